import { bitLength, os2ip } from '../rsa.js';
import { equalBytes, reversed, toHex, u32le } from '../bytes.js';
import { crc32 } from '../crc32.js';
import type { FormatEngine } from '../format-engine.types.js';
import { createHasher, type HashName, type Hasher } from '../hash.js';
import { DEFAULT_MAX_IMAGE_SIZE, HASH_STATE_BYTES, VERIFIER_OVERHEAD_BYTES } from '../limits.js';
import type { PublicKey } from '../public-key.js';
import type { ReasonCode } from '../reason-codes.js';
import type { VerifyInfo } from '../result.types.js';
import type { RollbackCounter } from '../rollback-counter.js';
import { verifySignature } from '../signature.js';
import { sliceRange } from '../stream-slice.js';
import type { TrustStore } from '../trust-store.js';
import { check, fail } from '../verification-failure.js';
import { ESP32 } from './esp32-constants.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** Signature schemes an ESP32 Secure Boot V2 build may accept. ECDSA P-192 is not supported. */
export type Esp32Scheme = 'rsa3072' | 'ecdsa256' | 'ecdsa384';

/** Options of the `esp32-sbv2` format. */
export interface Esp32Options {
  /** Largest signed image (image + signature sector) in bytes. Default 64 MiB. */
  readonly maxImageSize?: number;
  /**
   * Schemes the chip accepts (eFuse / Kconfig). SHA-384 is computed only when `ecdsa384` is
   * listed. Default: all three.
   */
  readonly schemes?: readonly Esp32Scheme[];
  /**
   * `CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK`: the image is an app whose `esp_app_desc_t.secure_version`
   * must be ≥ the counter (eFuse SECURE_VERSION). The verifier never advances the counter.
   */
  readonly rollback?: { readonly counter: RollbackCounter; readonly domain?: string };
}

/** Default counter domain for ESP32 app anti-rollback. */
export const ESP32_DEFAULT_COUNTER_DOMAIN = 'esp32:app';

interface Candidate {
  readonly index: number;
  readonly scheme: Esp32Scheme | 'ecdsa192' | 'unknown';
  readonly keyMaterial: Uint8Array;
  readonly imageDigest: Uint8Array;
  readonly signature: Uint8Array;
}

/** Reads one signature block; undefined when it is not valid (magic, version, CRC). */
function readBlock(block: Uint8Array, index: number): Candidate | 'bad-crc' | undefined {
  const magic = block[0] === ESP32.BLOCK_MAGIC;
  const version = block[1];
  if (!magic || (version !== ESP32.VERSION_RSA && version !== ESP32.VERSION_ECDSA)) return undefined;
  if (crc32(block.subarray(0, ESP32.CRC_OFFSET)) !== u32le(block, ESP32.CRC_OFFSET)) return 'bad-crc';
  if (version === ESP32.VERSION_RSA) {
    return {
      index,
      scheme: 'rsa3072',
      keyMaterial: block.subarray(ESP32.RSA_KEY_OFFSET, ESP32.RSA_KEY_END),
      imageDigest: block.subarray(ESP32.DIGEST_OFFSET, ESP32.DIGEST_OFFSET + 32),
      signature: reversed(block.subarray(ESP32.RSA_SIGNATURE_OFFSET, ESP32.RSA_SIGNATURE_OFFSET + ESP32.RSA_MODULUS_BYTES)),
    };
  }
  // ECDSA: sha-version byte selects the digest length and where the curve id sits.
  const digestLength = block[2] === 1 ? 48 : 32;
  const curveOffset = ESP32.DIGEST_OFFSET + digestLength;
  const curve = block[curveOffset];
  const coordinate = curve === ESP32.CURVE_P384 ? 48 : curve === ESP32.CURVE_P256 ? 32 : 24;
  const pointLength = curve === ESP32.CURVE_P384 ? 96 : 64;
  const scheme =
    curve === ESP32.CURVE_P256 && digestLength === 32
      ? 'ecdsa256'
      : curve === ESP32.CURVE_P384 && digestLength === 48
        ? 'ecdsa384'
        : curve === ESP32.CURVE_P192
          ? 'ecdsa192'
          : 'unknown';
  const signatureOffset = curveOffset + 1 + pointLength;
  const r = reversed(block.subarray(signatureOffset, signatureOffset + coordinate));
  const s = reversed(block.subarray(signatureOffset + pointLength / 2, signatureOffset + pointLength / 2 + coordinate));
  const signature = new Uint8Array(2 * coordinate);
  signature.set(r);
  signature.set(s, coordinate);
  return {
    index,
    scheme,
    keyMaterial: block.subarray(curveOffset, curveOffset + 1 + pointLength),
    imageDigest: block.subarray(ESP32.DIGEST_OFFSET, ESP32.DIGEST_OFFSET + digestLength),
    signature,
  };
}

/** Rebuilds a public key from a block's key material (what the ROM does with the block it trusts). */
function blockKey(candidate: Candidate): PublicKey {
  const m = candidate.keyMaterial;
  if (candidate.scheme === 'rsa3072') {
    const n = os2ip(reversed(m.subarray(0, ESP32.RSA_MODULUS_BYTES)));
    const e = BigInt(u32le(m, ESP32.RSA_MODULUS_BYTES));
    return { kind: 'rsa', rsa: { n, e, bits: bitLength(n) }, pkcs1: m, spki: m, id: toHex(sha256(m)) };
  }
  const coordinate = (m.length - 1) / 2;
  const point = new Uint8Array(1 + 2 * coordinate);
  point[0] = 0x04;
  point.set(reversed(m.subarray(1, 1 + coordinate)), 1);
  point.set(reversed(m.subarray(1 + coordinate)), 1 + coordinate);
  return { kind: candidate.scheme === 'ecdsa384' ? 'ecdsa-p384' : 'ecdsa-p256', point, spki: m, id: toHex(sha256(m)) };
}

/** Failure precedence across blocks: the block that got furthest decides the reason. */
const RANK: readonly ReasonCode[] = ['BadMagic', 'BadCrc', 'KeyHashMismatch', 'Revoked', 'UnsupportedAlgorithm', 'HashMismatch', 'SignatureInvalid'];

/**
 * Streaming ESP32 Secure Boot V2 verification (ESP-IDF "Verifying a Signature Block" /
 * "Verifying an Image"): the last 4 KiB sector holds up to three 1216-byte blocks; a block
 * counts if its magic, version and CRC32 hold, its key digest equals a non-revoked eFuse
 * digest, its image digest equals the hash of everything before the sector, and its
 * signature verifies. Any one such block is enough. Holds back the last 4 KiB while streaming.
 */
export function createEsp32Engine(trust: TrustStore, options: Esp32Options = {}): FormatEngine {
  const maxSize = options.maxImageSize ?? DEFAULT_MAX_IMAGE_SIZE;
  if (!Number.isSafeInteger(maxSize) || maxSize < 2 * ESP32.SECTOR_SIZE) throw new RangeError('maxImageSize must be an integer ≥ 8192');
  const schemes = new Set<Esp32Scheme>(options.schemes ?? ['rsa3072', 'ecdsa256', 'ecdsa384']);
  const hashers = new Map<HashName, Hasher>([['sha256', createHasher('sha256')]]);
  if (schemes.has('ecdsa384')) hashers.set('sha384', createHasher('sha384'));
  // Delay line: the newest SECTOR_SIZE bytes may be the signature sector, so they are hashed only once more data arrives.
  const tail = new Uint8Array(ESP32.SECTOR_SIZE);
  let tailLength = 0;
  const appDesc = new Uint8Array(ESP32.APP_DESC_READ_END);

  const hashAll = (bytes: Uint8Array): void => {
    for (const h of hashers.values()) h.update(bytes);
  };

  const update = (chunk: Uint8Array, start: number): void => {
    check(start + chunk.length <= maxSize, 'Oversize', 'image larger than the limit');
    const desc = sliceRange(chunk, start, 0, ESP32.APP_DESC_READ_END);
    if (desc !== undefined) appDesc.set(desc.bytes, desc.at);
    const total = tailLength + chunk.length;
    const release = total - ESP32.SECTOR_SIZE;
    if (release <= 0) {
      tail.set(chunk, tailLength);
      tailLength = total;
      return;
    }
    const fromTail = Math.min(release, tailLength);
    hashAll(tail.subarray(0, fromTail));
    const fromChunk = release - fromTail;
    hashAll(chunk.subarray(0, fromChunk));
    tail.copyWithin(0, fromTail, tailLength);
    tail.set(chunk.subarray(fromChunk), tailLength - fromTail);
    tailLength = ESP32.SECTOR_SIZE;
  };

  const finish = (size: number): VerifyInfo => {
    check(trust.esp32KeyDigests.length > 0, 'NoTrustAnchor', 'no eFuse key digests provisioned');
    check(size >= 2 * ESP32.SECTOR_SIZE, 'Truncated', 'image shorter than one sector plus the signature sector');
    check(size % ESP32.SECTOR_SIZE === 0, 'BadLength', 'image length not a multiple of 4096');
    const digests = new Map<HashName, Uint8Array>([...hashers].map(([name, h]) => [name, h.digest()]));
    let failure: ReasonCode = 'BadMagic';
    const worse = (reason: ReasonCode): void => {
      if (RANK.indexOf(reason) > RANK.indexOf(failure)) failure = reason;
    };
    for (let index = 0; index < ESP32.MAX_BLOCKS; index++) {
      const candidate = readBlock(tail.subarray(index * ESP32.BLOCK_SIZE, (index + 1) * ESP32.BLOCK_SIZE), index);
      if (candidate === undefined) continue;
      if (candidate === 'bad-crc') {
        worse('BadCrc');
        continue;
      }
      const keyDigest = sha256(candidate.keyMaterial);
      const slot = trust.esp32KeyDigests.findIndex((d) => equalBytes(d, keyDigest));
      if (slot < 0) {
        worse('KeyHashMismatch');
        continue;
      }
      if (trust.esp32RevokedSlots.has(slot)) {
        worse('Revoked');
        continue;
      }
      if (candidate.scheme !== 'rsa3072' && candidate.scheme !== 'ecdsa256' && candidate.scheme !== 'ecdsa384') {
        worse('UnsupportedAlgorithm');
        continue;
      }
      const computed = digests.get(candidate.scheme === 'ecdsa384' ? 'sha384' : 'sha256');
      if (!schemes.has(candidate.scheme) || computed === undefined) {
        worse('UnsupportedAlgorithm');
        continue;
      }
      if (!equalBytes(computed, candidate.imageDigest)) {
        worse('HashMismatch');
        continue;
      }
      const key = blockKey(candidate);
      const scheme =
        key.kind === 'rsa'
          ? ({ kind: 'rsa-pss', hash: 'sha256', saltLength: ESP32.PSS_SALT_LENGTH } as const)
          : ({ kind: 'ecdsa', encoding: 'raw' } as const);
      if (!verifySignature(key, scheme, computed, candidate.signature)) {
        worse('SignatureInvalid');
        continue;
      }
      const securityCounter = checkAntiRollback(appDesc, options);
      return {
        format: 'esp32-sbv2',
        size,
        digest: toHex(computed),
        keyId: toHex(keyDigest),
        block: index,
        ...(securityCounter === undefined ? {} : { securityCounter }),
      };
    }
    fail(failure, 'no signature block verified with a trusted key');
  };

  return {
    update,
    finish,
    workingMemory: ESP32.SECTOR_SIZE + ESP32.APP_DESC_READ_END + 2 * HASH_STATE_BYTES + ESP32.RSA_MODULUS_BYTES * 4 + VERIFIER_OVERHEAD_BYTES,
  };
}

/** App anti-rollback: `esp_app_desc_t` magic, then secure_version ≥ eFuse counter. */
function checkAntiRollback(appDesc: Uint8Array, options: Esp32Options): number | undefined {
  if (options.rollback === undefined) return undefined;
  check(u32le(appDesc, ESP32.APP_DESC_OFFSET) === ESP32.APP_DESC_MAGIC, 'BadMagic', 'esp_app_desc_t magic');
  const secureVersion = u32le(appDesc, ESP32.APP_DESC_OFFSET + 4);
  const stored = options.rollback.counter.read(options.rollback.domain ?? ESP32_DEFAULT_COUNTER_DOMAIN);
  check(secureVersion >= stored, 'Rollback', 'secure_version lower than the eFuse counter');
  return secureVersion;
}
