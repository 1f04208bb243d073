import { toHex } from '../bytes.js';
import { verifyChain } from '../chain.js';
import type { FormatEngine } from '../format-engine.types.js';
import { createHasher, type HashName } from '../hash.js';
import { DEFAULT_MAX_IMAGE_SIZE, HASH_STATE_BYTES, MAX_DETACHED_SIGNATURE, VERIFIER_OVERHEAD_BYTES } from '../limits.js';
import { derFromPemOrDer } from '../pem.js';
import type { PublicKey } from '../public-key.js';
import type { ReasonCode } from '../reason-codes.js';
import type { VerifyInfo } from '../result.types.js';
import { verifySignature, type SignatureScheme } from '../signature.js';
import type { TrustStore } from '../trust-store.js';
import { check, fail, VerificationFailure } from '../verification-failure.js';
import { parseCertificate, type ParsedCertificate } from '../x509.js';

/** FreeRTOS OTA job-document signature keys (`sig-<hash>-<alg>`), defined once. */
export const FREERTOS_SIGNATURE_METHODS = Object.freeze({
  'sig-sha256-ecdsa': { hash: 'sha256', key: 'ecdsa-p256', scheme: { kind: 'ecdsa', encoding: 'der' } },
  'sig-sha256-rsa': { hash: 'sha256', key: 'rsa', scheme: { kind: 'rsa-pkcs1', hash: 'sha256' } },
  'sig-sha1-rsa': { hash: 'sha1', key: 'rsa', scheme: { kind: 'rsa-pkcs1', hash: 'sha1' } },
} as const satisfies Record<string, { hash: HashName; key: PublicKey['kind']; scheme: SignatureScheme }>);

/** Options common to the formats whose signature travels out of band (in the OTA job document). */
interface DetachedOptions {
  /** The signature from the job document (decoded from base64). */
  readonly signature?: Uint8Array;
  /** Largest file accepted, in bytes. Default 64 MiB. */
  readonly maxImageSize?: number;
}

/** Options of the `freertos` format (FreeRTOS default / AWS IoT Device Management). */
export interface FreeRtosOptions extends DetachedOptions {
  /** Job-document signature key. Default `sig-sha256-ecdsa`. */
  readonly signatureMethod?: 'sig-sha256-ecdsa' | 'sig-sha256-rsa';
  /**
   * `pal` (default) behaves like the FreeRTOS OTA PALs: the public key of a provisioned
   * certificate (or key) is used, nothing else of the certificate is checked.
   * `strict` also requires a chain to `trust.roots`, the validity window at `at`, the
   * code-signing EKU and digitalSignature key usage.
   */
  readonly mode?: 'pal' | 'strict';
  /** Strict mode: signer certificate delivered with the job (else the provisioned ones are tried). */
  readonly signerCertificate?: Uint8Array | string;
  /** Strict mode: the instant at which certificates must be valid. Default: now. */
  readonly at?: Date;
}

/** Options of the `cc3220sf` format (TI CC3220SF: SHA-1 RSA PKCS#1 v1.5, chained to the root catalog). */
export interface Cc3220Options extends DetachedOptions {
  /** Signer certificate named by the job (`certfile`); else the provisioned ones are tried. */
  readonly signerCertificate?: Uint8Array | string;
  /** Check validity windows at this instant; omitted = not checked (the NWP has no trusted clock). */
  readonly at?: Date;
}

interface Candidate {
  readonly key: PublicKey;
  readonly certificate?: ParsedCertificate;
}

/**
 * Whole-file hash + detached signature, as the FreeRTOS OTA PAL (`otaPal_CheckFileSignature`)
 * and the CC3220SF network processor verify: hash every byte received, then check the
 * job-document signature with the signer's key. Holds only the hash state.
 */
export function createDetachedEngine(
  format: 'freertos' | 'cc3220sf',
  trust: TrustStore,
  options: FreeRtosOptions | Cc3220Options = {},
): FormatEngine {
  const maxSize = options.maxImageSize ?? DEFAULT_MAX_IMAGE_SIZE;
  if (!Number.isSafeInteger(maxSize) || maxSize < 1) throw new RangeError('maxImageSize must be a positive integer');
  const methodName = format === 'cc3220sf' ? 'sig-sha1-rsa' : ((options as FreeRtosOptions).signatureMethod ?? 'sig-sha256-ecdsa');
  const method = FREERTOS_SIGNATURE_METHODS[methodName];
  if (method === undefined) throw new TypeError(`unknown signature method ${String(methodName)}`);
  const hasher = createHasher(method.hash);
  const strict = format === 'cc3220sf' || (options as FreeRtosOptions).mode === 'strict';

  const candidates = (): Candidate[] => {
    if (!strict) {
      return [
        ...trust.certificates.map((certificate) => ({ key: certificate.publicKey, certificate })),
        ...trust.publicKeys.map((key) => ({ key })),
      ];
    }
    const given = options.signerCertificate;
    const leaves = given === undefined ? trust.certificates : [parseGiven(given)];
    check(trust.roots.length > 0, 'NoTrustAnchor', 'no trusted roots provisioned');
    const policy =
      format === 'cc3220sf'
        ? { allowSha1: true, requireCodeSigning: false, ...(options.at === undefined ? {} : { at: options.at }) }
        : { allowSha1: false, requireCodeSigning: true, at: options.at ?? new Date() };
    const out: Candidate[] = [];
    let lastFailure: VerificationFailure | undefined;
    for (const leaf of leaves) {
      try {
        verifyChain(leaf, trust.intermediates, trust.roots, trust.revocation, policy);
        out.push({ key: leaf.publicKey, certificate: leaf });
      } catch (error) {
        if (!(error instanceof VerificationFailure)) throw error;
        lastFailure = error;
      }
    }
    if (out.length === 0 && lastFailure !== undefined) throw lastFailure;
    return out;
  };

  const finish = (size: number): VerifyInfo => {
    const found = candidates();
    check(found.length > 0, 'NoTrustAnchor', 'no signer certificate or key provisioned');
    const signature = options.signature;
    check(signature !== undefined && signature.length > 0, 'MissingSignature', 'no signature in the job document');
    check(signature.length <= MAX_DETACHED_SIGNATURE, 'Oversize', 'signature longer than the agent accepts');
    const digest = hasher.digest();
    let failure: ReasonCode = 'UnsupportedAlgorithm';
    for (const { key, certificate } of found) {
      if (key.kind !== method.key) continue;
      if (trust.revocation.isRevoked('key', key.id)) {
        failure = 'Revoked';
        continue;
      }
      if (!verifySignature(key, method.scheme, digest, signature)) {
        if (failure !== 'Revoked') failure = 'SignatureInvalid';
        continue;
      }
      return {
        format,
        size,
        digest: toHex(digest),
        keyId: key.id,
        ...(certificate === undefined ? {} : { certificate: certificate.fingerprint }),
      };
    }
    fail(failure, 'signature did not verify with a trusted key');
  };

  return {
    update(chunk: Uint8Array, start: number): void {
      check(start + chunk.length <= maxSize, 'Oversize', 'file larger than the limit');
      hasher.update(chunk);
    },
    finish,
    workingMemory: HASH_STATE_BYTES + MAX_DETACHED_SIGNATURE + VERIFIER_OVERHEAD_BYTES,
  };
}

function parseGiven(certificate: Uint8Array | string): ParsedCertificate {
  let der: Uint8Array;
  try {
    der = derFromPemOrDer(certificate, ['CERTIFICATE']);
  } catch {
    fail('BadCertificate', 'signer certificate is not DER or PEM');
  }
  return parseCertificate(der);
}
