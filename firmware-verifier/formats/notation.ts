import { toHex } from '../bytes.js';
import { verifyChain } from '../chain.js';
import type { FormatEngine } from '../format-engine.types.js';
import { createHasher, digest, type HashName, type Hasher } from '../hash.js';
import { DEFAULT_MAX_IMAGE_SIZE, HASH_STATE_BYTES, VERIFIER_OVERHEAD_BYTES } from '../limits.js';
import type { VerifyInfo } from '../result.types.js';
import { verifySignature } from '../signature.js';
import type { TrustStore } from '../trust-store.js';
import { check, fail } from '../verification-failure.js';
import { parseCertificate, type ParsedCertificate } from '../x509.js';

/**
 * Notary Project JWS envelope names (notaryproject/specifications `specs/signature-envelope-jws.md`,
 * `specs/signature-specification.md`; AWS Signer extended attributes from aws/aws-signer-notation-plugin).
 */
export const NOTATION = Object.freeze({
  PAYLOAD_MEDIA_TYPE: 'application/vnd.cncf.notary.payload.v1+json',
  SIGNING_SCHEMES: ['notary.x509', 'notary.x509.signingAuthority'] as readonly string[],
  HEADER_SIGNING_SCHEME: 'io.cncf.notary.signingScheme',
  HEADER_SIGNING_TIME: 'io.cncf.notary.signingTime',
  HEADER_AUTHENTIC_SIGNING_TIME: 'io.cncf.notary.authenticSigningTime',
  HEADER_EXPIRY: 'io.cncf.notary.expiry',
  HEADER_VERIFICATION_PLUGIN: 'io.cncf.notary.verificationPlugin',
  HEADER_VERIFICATION_PLUGIN_MIN_VERSION: 'io.cncf.notary.verificationPluginMinVersion',
  HEADER_PROFILE_VERSION: 'com.amazonaws.signer.signingProfileVersion',
  HEADER_SIGNING_JOB: 'com.amazonaws.signer.signingJob',
});

/** JWS `alg` values accepted (RFC 7518 §3.4), with their curve hash; an allow-list. */
const ALGORITHMS: Readonly<Record<string, { hash: HashName; key: 'ecdsa-p256' | 'ecdsa-p384' }>> = {
  ES256: { hash: 'sha256', key: 'ecdsa-p256' },
  ES384: { hash: 'sha384', key: 'ecdsa-p384' },
};

/** OCI digest algorithms accepted for the target artifact (OCI image-spec `descriptor.md`). */
const DIGEST_ALGORITHMS: Readonly<Record<string, HashName>> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

/** Critical headers this verifier understands; any other `crit` entry fails the envelope [RFC 7515 §4.1.11]. */
const UNDERSTOOD_CRIT: ReadonlySet<string> = new Set([
  NOTATION.HEADER_SIGNING_SCHEME,
  NOTATION.HEADER_SIGNING_TIME,
  NOTATION.HEADER_AUTHENTIC_SIGNING_TIME,
  NOTATION.HEADER_EXPIRY,
  NOTATION.HEADER_VERIFICATION_PLUGIN,
  NOTATION.HEADER_VERIFICATION_PLUGIN_MIN_VERSION,
  NOTATION.HEADER_PROFILE_VERSION,
  NOTATION.HEADER_SIGNING_JOB,
]);

/** Options of the `notation` format: the streamed bytes are the signed artifact (e.g. an OCI manifest). */
export interface NotationOptions {
  /** The JWS envelope (JSON, as bytes or text) that travels next to the artifact. */
  readonly envelope?: Uint8Array | string;
  /** Check instant for expiry (default now). Certificates are checked at the signing time. */
  readonly at?: Date;
  /** Trust policy `trustedIdentities`: allowed AWS Signer profile version ARNs; absent = any. */
  readonly allowedProfileVersionArns?: readonly string[];
  /** Largest artifact accepted, in bytes. Default 64 MiB. */
  readonly maxImageSize?: number;
}

interface Envelope {
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
  readonly algorithm: { hash: HashName; key: 'ecdsa-p256' | 'ecdsa-p384' };
  readonly header: Readonly<Record<string, unknown>>;
  readonly chain: readonly ParsedCertificate[];
  readonly targetDigestAlgorithm: HashName;
  readonly targetDigest: string;
  readonly targetSize: number;
}

function base64ToBytes(b64: string, url: boolean): Uint8Array {
  const pattern = url ? /^[A-Za-z0-9_-]*$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  check(pattern.test(b64) && b64.length % 4 !== 1, 'BadEnvelope', 'bad base64');
  const standard = url ? b64.replace(/-/g, '+').replace(/_/g, '/') : b64;
  const binary = atob(standard);
  // Canonical only: re-encoding must give the input back (no stray padding bits or padding).
  const again = btoa(binary);
  check((url ? again.replace(/=+$/, '') : again) === standard, 'BadEnvelope', 'non-canonical base64');
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function json(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    fail('BadEnvelope', `${what} is not UTF-8 JSON`);
  }
  check(typeof value === 'object' && value !== null && !Array.isArray(value), 'BadEnvelope', `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function time(value: unknown, name: string): Date {
  check(typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value), 'BadEnvelope', `${name} is not RFC 3339`);
  return new Date(value);
}

/** Parses and structurally checks a flattened JWS JSON envelope (`signature-envelope-jws.md`). */
function parseEnvelope(raw: Uint8Array | string | undefined): Envelope {
  check(raw !== undefined, 'MissingSignature', 'no signature envelope');
  const env = json(typeof raw === 'string' ? new TextEncoder().encode(raw) : raw, 'envelope');
  const { payload, signature } = env;
  const protectedB64 = env['protected'];
  const unprotected = env['header'] as { x5c?: unknown } | undefined;
  check(typeof payload === 'string' && typeof protectedB64 === 'string' && typeof signature === 'string', 'BadEnvelope', 'payload, protected and signature must be strings');
  check(typeof unprotected === 'object' && unprotected !== null && Array.isArray(unprotected.x5c) && unprotected.x5c.length > 0, 'BadEnvelope', 'header.x5c must list the chain');
  const header = json(base64ToBytes(protectedB64, true), 'protected header');
  const algorithm = ALGORITHMS[String(header['alg'])];
  check(algorithm !== undefined, 'UnsupportedAlgorithm', 'JWS alg not allowed');
  check(header['cty'] === NOTATION.PAYLOAD_MEDIA_TYPE, 'BadEnvelope', 'cty is not the Notary payload type');
  check(NOTATION.SIGNING_SCHEMES.includes(String(header[NOTATION.HEADER_SIGNING_SCHEME])), 'BadEnvelope', 'unknown signing scheme');
  const crit = header['crit'];
  check(Array.isArray(crit) && crit.includes(NOTATION.HEADER_SIGNING_SCHEME), 'BadEnvelope', 'crit must include the signing scheme');
  check(crit.every((c) => typeof c === 'string' && UNDERSTOOD_CRIT.has(c) && c in header), 'BadEnvelope', 'unknown or absent critical header');
  const target = json(base64ToBytes(payload, true), 'payload')['targetArtifact'] as Record<string, unknown> | undefined;
  check(typeof target === 'object' && target !== null, 'BadEnvelope', 'payload has no targetArtifact');
  const match = typeof target['digest'] === 'string' ? /^([a-z0-9]+):([0-9a-f]+)$/.exec(target['digest']) : null;
  check(match !== null, 'BadEnvelope', 'targetArtifact.digest malformed');
  const targetDigestAlgorithm = DIGEST_ALGORITHMS[match[1] as string];
  check(targetDigestAlgorithm !== undefined, 'UnsupportedAlgorithm', 'targetArtifact digest algorithm');
  const size = target['size'];
  check(typeof size === 'number' && Number.isSafeInteger(size) && size >= 0, 'BadEnvelope', 'targetArtifact.size malformed');
  const chain = (unprotected.x5c as unknown[]).map((c) => {
    check(typeof c === 'string', 'BadEnvelope', 'x5c entries must be strings');
    return parseCertificate(base64ToBytes(c, false));
  });
  return {
    signingInput: new TextEncoder().encode(`${protectedB64}.${payload}`),
    signature: base64ToBytes(signature, true),
    algorithm,
    header,
    chain,
    targetDigestAlgorithm,
    targetDigest: match[2] as string,
    targetSize: size,
  };
}

/**
 * Notary Project signature verification for one artifact (`trust-store-trust-policy.md`
 * "Signature Verification"): integrity (ES256/ES384 over the JWS signing input with x5c[0]),
 * authenticity (x5c chain to `trust.roots`, code-signing EKU, validity at the signing time),
 * trusted identity (allowed profile version ARNs), expiry, revocation (certificates, profile
 * version and job ARNs), then the streamed artifact's size and digest against the payload.
 * Holds only the hash state and the parsed envelope.
 */
export function createNotationEngine(trust: TrustStore, options: NotationOptions = {}): FormatEngine {
  const maxSize = options.maxImageSize ?? DEFAULT_MAX_IMAGE_SIZE;
  if (!Number.isSafeInteger(maxSize) || maxSize < 1) throw new RangeError('maxImageSize must be a positive integer');
  // The envelope arrives before the artifact; a bad one is remembered and reported by finish().
  let envelope: Envelope | undefined;
  let parseError: unknown;
  try {
    envelope = parseEnvelope(options.envelope);
  } catch (error) {
    parseError = error;
  }
  const hasher: Hasher | undefined = envelope && createHasher(envelope.targetDigestAlgorithm);

  const finish = (size: number): VerifyInfo => {
    if (envelope === undefined) throw parseError;
    const env = envelope;
    check(trust.roots.length > 0, 'NoTrustAnchor', 'no trusted roots provisioned');
    const leaf = env.chain[0] as ParsedCertificate;
    check(leaf.publicKey.kind === env.algorithm.key, 'UnsupportedAlgorithm', 'JWS alg does not match the signer key');
    const ok = verifySignature(leaf.publicKey, { kind: 'ecdsa', encoding: 'raw' }, digest(env.algorithm.hash, env.signingInput), env.signature);
    check(ok, 'SignatureInvalid', 'envelope signature');
    const signedAt = time(env.header[NOTATION.HEADER_AUTHENTIC_SIGNING_TIME] ?? env.header[NOTATION.HEADER_SIGNING_TIME], 'signing time');
    verifyChain(leaf, env.chain.slice(1), trust.roots, trust.revocation, { allowSha1: false, requireCodeSigning: true, at: signedAt });
    const profile = env.header[NOTATION.HEADER_PROFILE_VERSION];
    const job = env.header[NOTATION.HEADER_SIGNING_JOB];
    const allowed = options.allowedProfileVersionArns;
    check(allowed === undefined || (typeof profile === 'string' && allowed.includes(profile)), 'UntrustedSigner', 'signing profile version not allowed');
    const expiry = env.header[NOTATION.HEADER_EXPIRY];
    if (expiry !== undefined) {
      check((options.at ?? new Date()).getTime() <= time(expiry, 'expiry').getTime(), 'Expired', 'signature expired');
    }
    for (const arn of [profile, job]) {
      check(typeof arn !== 'string' || !trust.revocation.isRevoked('signer', arn), 'Revoked', 'signing profile version or job revoked');
    }
    check(size === env.targetSize, 'BadLength', 'artifact size differs from the signed descriptor');
    const computed = toHex((hasher as Hasher).digest());
    check(computed === env.targetDigest, 'HashMismatch', 'artifact digest');
    return { format: 'notation', size, digest: computed, keyId: leaf.publicKey.id, certificate: leaf.fingerprint };
  };

  return {
    update(chunk: Uint8Array, start: number): void {
      check(start + chunk.length <= maxSize, 'Oversize', 'artifact larger than the limit');
      hasher?.update(chunk);
    },
    finish,
    workingMemory: HASH_STATE_BYTES + VERIFIER_OVERHEAD_BYTES,
  };
}
