/**
 * The closed list of reasons a verification can fail for. `docs/verifier.md` lists exactly these
 * (a test checks both ways), so add a code here and there together.
 */
export const REASON_CODES = [
  'BadMagic',
  'Truncated',
  'Oversize',
  'BadLength',
  'BadHeader',
  'BadTlv',
  'UnknownTlv',
  'BadCrc',
  'BadEnvelope',
  'MissingHash',
  'HashMismatch',
  'KeyHashMismatch',
  'MissingSignature',
  'SignatureInvalid',
  'UnsupportedAlgorithm',
  'Rollback',
  'Downgrade',
  'Expired',
  'NotYetValid',
  'Revoked',
  'UntrustedCertificate',
  'UntrustedSigner',
  'BadCertificate',
  'NoTrustAnchor',
  'InternalError',
] as const;

/** One reason a verification failed; see `docs/verifier.md` for what each means. */
export type ReasonCode = (typeof REASON_CODES)[number];
