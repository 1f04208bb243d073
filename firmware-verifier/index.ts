/**
 * firmware-verifier: device-side verification of signed firmware images, the way boot loaders
 * check them (MCUboot bootutil, ESP32 Secure Boot V2, FreeRTOS OTA PAL, TI CC3220SF), plus Notary
 * Project (Notation) JWS envelopes and AWS Lambda signed zips.
 * Pure TypeScript over @noble/curves, @noble/hashes, @peculiar/asn1-* and fflate: no Node built-ins.
 * See docs/verifier.md.
 */
export { createVerifier, verify, FORMATS, type FormatOptions } from './create-verifier.js';
export type { StreamingVerifier } from './verifier.types.js';
export type { FormatId, VerifyInfo, VerifyResult } from './result.types.js';
export { REASON_CODES, type ReasonCode } from './reason-codes.js';
export { createTrustStore, ESP32_KEY_SLOTS, type TrustStore, type TrustStoreInput } from './trust-store.js';
export { InMemoryRevocationList, type RevocationKind, type RevocationList, type RevocationUpdate } from './revocation-list.js';
export { InMemoryRollbackCounter, type RollbackCounter } from './rollback-counter.js';
export { rollbackCounterContract, type ContractRunner } from './rollback-counter.contract.js';
export { DEFAULT_MAX_IMAGE_SIZE, MAX_DETACHED_SIGNATURE } from './limits.js';
export { MCUBOOT_DEFAULT_COUNTER_DOMAIN, MCUBOOT_MAX_TLV_AREA } from './formats/mcuboot-constants.js';
export type { ImageVersion, McubootHash, McubootOptions } from './formats/mcuboot.js';
export { ESP32_DEFAULT_COUNTER_DOMAIN, type Esp32Options, type Esp32Scheme } from './formats/esp32-sbv2.js';
export { esp32KeyDigest } from './formats/esp32-key-digest.js';
export { NOTATION, type NotationOptions } from './formats/notation.js';
export { LAMBDA, type LambdaZipOptions } from './formats/lambda-zip.js';
export { FREERTOS_SIGNATURE_METHODS, type Cc3220Options, type FreeRtosOptions } from './formats/detached-signature.js';
