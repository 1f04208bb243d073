import { derFromPemOrDer } from './pem.js';
import { parseSpki, type PublicKey } from './public-key.js';
import type { RevocationList } from './revocation-list.js';
import { VerificationFailure } from './verification-failure.js';
import { parseCertificate, type ParsedCertificate } from './x509.js';
import { esp32KeyDigest } from './formats/esp32-key-digest.js';

/** Raw trust material as a provisioning tool or test hands it over (DER bytes or PEM text). */
export interface TrustStoreInput {
  /** Trusted public keys, SubjectPublicKeyInfo DER or `PUBLIC KEY` PEM (MCUboot `bootutil_keys[]`). */
  readonly publicKeys?: readonly (Uint8Array | string)[];
  /** Provisioned code-signing certificates (FreeRTOS PAL `certfile`). */
  readonly certificates?: readonly (Uint8Array | string)[];
  /** Intermediate CA certificates that may appear in a chain. */
  readonly intermediates?: readonly (Uint8Array | string)[];
  /** Trusted root catalog (CC3220SF NWP catalog, strict FreeRTOS mode). */
  readonly roots?: readonly (Uint8Array | string)[];
  /**
   * ESP32 eFuse key digests (SHA-256, 32 bytes each, at most 3 slots). When absent they are
   * derived from the ESP32-capable `publicKeys` (RSA-3072, P-256, P-384) in order: slot i = i-th such key.
   */
  readonly esp32KeyDigests?: readonly Uint8Array[];
  /** ESP32 revoked key slots (eFuse KEY_REVOKEn), 0..2. */
  readonly esp32RevokedSlots?: readonly number[];
  /** Revoked keys and certificates; defaults to an empty list. */
  readonly revocation?: RevocationList;
}

/** Parsed, frozen trust material; build it with {@link createTrustStore}. */
export interface TrustStore {
  readonly publicKeys: readonly PublicKey[];
  readonly certificates: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
  readonly roots: readonly ParsedCertificate[];
  readonly esp32KeyDigests: readonly Uint8Array[];
  readonly esp32RevokedSlots: ReadonlySet<number>;
  readonly revocation: RevocationList;
}

/** Most ESP32 eFuse key digest slots (SECURE_BOOT_DIGEST0..2). */
export const ESP32_KEY_SLOTS = 3;

const NOTHING_REVOKED: RevocationList = Object.freeze({ isRevoked: () => false });

function asTypeError<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw error instanceof VerificationFailure ? new TypeError(`${what}: ${error.detail}`) : error;
  }
}

/**
 * Parses and freezes trust material once, so each verification starts from checked data.
 * Throws TypeError / RangeError for malformed material (configuration errors, not image errors).
 */
export function createTrustStore(input: TrustStoreInput): TrustStore {
  const keys = (input.publicKeys ?? []).map((k) => asTypeError('public key', () => parseSpki(derFromPemOrDer(k, ['PUBLIC KEY']))));
  const certs = (list: readonly (Uint8Array | string)[] | undefined): ParsedCertificate[] =>
    (list ?? []).map((c) => asTypeError('certificate', () => parseCertificate(derFromPemOrDer(c, ['CERTIFICATE']))));
  const derived = keys.map(esp32KeyDigest).filter((d): d is Uint8Array => d !== undefined);
  const digests = input.esp32KeyDigests ?? derived.slice(0, ESP32_KEY_SLOTS);
  if (digests.length > ESP32_KEY_SLOTS || digests.some((d) => d.length !== 32)) {
    throw new RangeError('at most 3 ESP32 key digests of 32 bytes');
  }
  const revoked = input.esp32RevokedSlots ?? [];
  if (revoked.some((s) => !Number.isInteger(s) || s < 0 || s >= ESP32_KEY_SLOTS)) throw new RangeError('ESP32 key slots are 0..2');
  return Object.freeze({
    publicKeys: Object.freeze(keys),
    certificates: Object.freeze(certs(input.certificates)),
    intermediates: Object.freeze(certs(input.intermediates)),
    roots: Object.freeze(certs(input.roots)),
    esp32KeyDigests: Object.freeze(digests.map((d) => Uint8Array.from(d))),
    esp32RevokedSlots: new Set(revoked),
    revocation: input.revocation ?? NOTHING_REVOKED,
  });
}
