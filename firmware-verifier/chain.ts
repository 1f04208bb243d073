import { digest, type HashName } from './hash.js';
import type { RevocationList } from './revocation-list.js';
import { verifySignature, type SignatureScheme } from './signature.js';
import { check, fail } from './verification-failure.js';
import type { ParsedCertificate } from './x509.js';

/** Certificate signature algorithms (OID → hash + scheme), allow-listed. */
const CERT_SIGNATURE_ALGORITHMS: Readonly<Record<string, { hash: HashName; scheme: SignatureScheme }>> = {
  '1.2.840.113549.1.1.5': { hash: 'sha1', scheme: { kind: 'rsa-pkcs1', hash: 'sha1' } },
  '1.2.840.113549.1.1.11': { hash: 'sha256', scheme: { kind: 'rsa-pkcs1', hash: 'sha256' } },
  '1.2.840.113549.1.1.12': { hash: 'sha384', scheme: { kind: 'rsa-pkcs1', hash: 'sha384' } },
  '1.2.840.113549.1.1.13': { hash: 'sha512', scheme: { kind: 'rsa-pkcs1', hash: 'sha512' } },
  '1.2.840.10045.4.3.2': { hash: 'sha256', scheme: { kind: 'ecdsa', encoding: 'der' } },
  '1.2.840.10045.4.3.3': { hash: 'sha384', scheme: { kind: 'ecdsa', encoding: 'der' } },
  '1.2.840.10045.4.3.4': { hash: 'sha512', scheme: { kind: 'ecdsa', encoding: 'der' } },
};

/** Longest chain accepted (leaf + intermediates + root); bounds work on hostile input. */
export const MAX_CHAIN_LENGTH = 4;

/** How strictly a certificate chain is checked. */
export interface ChainPolicy {
  /** Check every certificate's validity window at this instant; omit to skip (no RTC). */
  readonly at?: Date;
  /** Accept SHA-1 certificate signatures (TI CC3220SF root catalog certificates use them). */
  readonly allowSha1: boolean;
  /** The leaf must carry id-kp-codeSigning and, if it has keyUsage, digitalSignature. */
  readonly requireCodeSigning: boolean;
}

/** True when `issuer` signed `subject` (allow-listed algorithm, name match, signature verifies). */
function signedBy(subject: ParsedCertificate, issuer: ParsedCertificate, allowSha1: boolean): boolean {
  const algorithm = CERT_SIGNATURE_ALGORITHMS[subject.signatureAlgorithm];
  return (
    algorithm !== undefined &&
    (allowSha1 || algorithm.hash !== 'sha1') &&
    subject.issuer === issuer.subject &&
    verifySignature(issuer.publicKey, algorithm.scheme, digest(algorithm.hash, subject.tbs), subject.signature)
  );
}

function checkTime(cert: ParsedCertificate, at: Date | undefined): void {
  if (at === undefined) return;
  check(at.getTime() >= cert.notBefore.getTime(), 'NotYetValid', 'certificate not yet valid');
  check(at.getTime() <= cert.notAfter.getTime(), 'Expired', 'certificate expired');
}

/**
 * Builds a path from `leaf` through `intermediates` to one of `roots` (RFC 5280 §6, reduced:
 * names, signatures, CA flag, validity, revocation) and returns the root reached.
 * A leaf that is itself a trusted root (pinned) is accepted.
 */
export function verifyChain(
  leaf: ParsedCertificate,
  intermediates: readonly ParsedCertificate[],
  roots: readonly ParsedCertificate[],
  revocation: RevocationList,
  policy: ChainPolicy,
): ParsedCertificate {
  check(!policy.requireCodeSigning || (leaf.codeSigning && leaf.digitalSignature), 'UntrustedCertificate', 'certificate not for code signing');
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN_LENGTH; depth++) {
    check(!revocation.isRevoked('certificate', current.fingerprint), 'Revoked', 'certificate revoked');
    checkTime(current, policy.at);
    const pinned = roots.find((r) => r.fingerprint === current.fingerprint);
    if (pinned !== undefined) return pinned;
    const root = roots.find((r) => r.isCa && signedBy(current, r, policy.allowSha1));
    if (root !== undefined) {
      check(!revocation.isRevoked('certificate', root.fingerprint), 'Revoked', 'root revoked');
      return root;
    }
    const next = intermediates.find((c) => c.isCa && c !== current && signedBy(current, c, policy.allowSha1));
    if (next === undefined) break;
    current = next;
  }
  fail('UntrustedCertificate', 'certificate chain does not reach a trusted root');
}
