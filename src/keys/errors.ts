/**
 * The one error class of the keys capability, with a closed list of codes.
 *
 * Every code maps to the AWS exception shape the ACM-compatible API answers with and to
 * an HTTP status (ACM answers 400 for every client error). Messages are written here or
 * at the throw site and never contain key bytes, PEM text or PINs.
 */

/** Every code a {@link KeysError} can carry. */
export type KeysErrorCode =
  | 'INVALID_ARN'
  | 'NOT_FOUND'
  | 'VALIDATION'
  | 'INVALID_PARAMETER'
  | 'INVALID_ARGS'
  | 'INVALID_TAG'
  | 'TOO_MANY_TAGS'
  | 'LIMIT_EXCEEDED'
  | 'IN_USE'
  | 'CERT_MALFORMED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_EXPIRED'
  | 'CERT_KEY_USAGE'
  | 'CERT_EKU'
  | 'CERT_CHAIN'
  | 'CERT_IS_CA'
  | 'KEY_MALFORMED'
  | 'KEY_ENCRYPTED'
  | 'KEY_MISMATCH'
  | 'UNSUPPORTED_ALGORITHM'
  | 'UNSUPPORTED_OPERATION'
  | 'KEY_NOT_FOUND'
  | 'UNWRAP_FAILED'
  | 'MASTER_KEY'
  | 'BACKEND';

/** How one code is answered on the wire. */
export interface KeysErrorInfo {
  /** ACM exception shape name (`x-amzn-ErrorType`). */
  readonly awsType: string;
  /** HTTP status. */
  readonly httpStatus: number;
  /** One line for docs/keys.md. */
  readonly description: string;
}

/**
 * Registry: code → AWS exception type and HTTP status. Server-side faults (a token that
 * went away, a master key that does not open a stored key) are 500
 * `InternalServerException`: the caller cannot fix them and must not learn details.
 */
export const KEYS_ERRORS: Readonly<Record<KeysErrorCode, KeysErrorInfo>> = Object.freeze({
  INVALID_ARN: { awsType: 'InvalidArnException', httpStatus: 400, description: 'The certificate ARN is malformed.' },
  NOT_FOUND: { awsType: 'ResourceNotFoundException', httpStatus: 400, description: 'No certificate with this ARN in the caller\'s account and region.' },
  VALIDATION: { awsType: 'ValidationException', httpStatus: 400, description: 'The input does not match the operation\'s shape or constraints.' },
  INVALID_PARAMETER: { awsType: 'InvalidParameterException', httpStatus: 400, description: 'A parameter is well formed but not acceptable (e.g. duplicate tag keys in one request).' },
  INVALID_ARGS: { awsType: 'InvalidArgsException', httpStatus: 400, description: 'ListCertificates arguments are inconsistent (e.g. a NextToken from another query).' },
  INVALID_TAG: { awsType: 'InvalidTagException', httpStatus: 400, description: 'A tag key or value is not allowed (e.g. the reserved aws: prefix).' },
  TOO_MANY_TAGS: { awsType: 'TooManyTagsException', httpStatus: 400, description: 'The certificate would carry more than 50 tags.' },
  LIMIT_EXCEEDED: { awsType: 'LimitExceededException', httpStatus: 400, description: 'The account holds the maximum number of certificates.' },
  IN_USE: { awsType: 'ResourceInUseException', httpStatus: 400, description: 'The certificate is used by a signing profile and cannot be deleted.' },
  CERT_MALFORMED: { awsType: 'ValidationException', httpStatus: 400, description: 'The certificate is not a PEM-encoded X.509 certificate.' },
  CERT_NOT_YET_VALID: { awsType: 'ValidationException', httpStatus: 400, description: 'The certificate\'s notBefore is in the future.' },
  CERT_EXPIRED: { awsType: 'ValidationException', httpStatus: 400, description: 'The certificate\'s notAfter is in the past.' },
  CERT_KEY_USAGE: { awsType: 'ValidationException', httpStatus: 400, description: 'The key usage extension does not allow digitalSignature.' },
  CERT_EKU: { awsType: 'ValidationException', httpStatus: 400, description: 'The extended key usage is neither codeSigning nor anyExtendedKeyUsage.' },
  CERT_CHAIN: { awsType: 'ValidationException', httpStatus: 400, description: 'The certificate chain is malformed or does not certify the certificate, or exceeds 10 certificates / 64 KiB.' },
  CERT_IS_CA: { awsType: 'ValidationException', httpStatus: 400, description: 'The certificate is a CA certificate (basicConstraints CA:TRUE or keyCertSign); a CA does not sign code.' },
  KEY_MALFORMED: { awsType: 'ValidationException', httpStatus: 400, description: 'The private key is not a PEM-encoded private key.' },
  KEY_ENCRYPTED: { awsType: 'ValidationException', httpStatus: 400, description: 'The private key is protected by a passphrase.' },
  KEY_MISMATCH: { awsType: 'ValidationException', httpStatus: 400, description: 'The private key does not match the certificate\'s public key.' },
  UNSUPPORTED_ALGORITHM: { awsType: 'ValidationException', httpStatus: 400, description: 'Key algorithm not allowed for code signing (RSA ≥ 2048, ECDSA P-256/P-384, Ed25519).' },
  UNSUPPORTED_OPERATION: { awsType: 'ValidationException', httpStatus: 400, description: 'The key type cannot perform the requested operation (e.g. RSA PSS on an EC key).' },
  KEY_NOT_FOUND: { awsType: 'InternalServerException', httpStatus: 500, description: 'The key backend has no key with the recorded id.' },
  UNWRAP_FAILED: { awsType: 'InternalServerException', httpStatus: 500, description: 'A stored key could not be decrypted with the master key (wrong key or tampered record).' },
  MASTER_KEY: { awsType: 'InternalServerException', httpStatus: 500, description: 'The master key file is missing, unreadable, of the wrong size or too permissive.' },
  BACKEND: { awsType: 'InternalServerException', httpStatus: 500, description: 'The key backend (e.g. a PKCS#11 token) failed.' },
});

/** The one error class of `src/keys`. */
export class KeysError extends Error {
  override readonly name = 'KeysError';
  /** Closed code. */
  readonly code: KeysErrorCode;
  /** AWS exception shape name for the wire. */
  readonly awsType: string;
  /** HTTP status for the wire. */
  readonly httpStatus: number;

  /**
   * @param code - one of {@link KeysErrorCode}
   * @param message - human-readable, never containing secrets
   * @param options - `cause` stays server-side (logs); it is not serialized by the API
   */
  constructor(code: KeysErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    const info = KEYS_ERRORS[code];
    this.code = code;
    this.awsType = info.awsType;
    this.httpStatus = info.httpStatus;
  }
}

/** True when `e` is a {@link KeysError} (optionally with the given code). */
export function isKeysError(e: unknown, code?: KeysErrorCode): e is KeysError {
  return e instanceof KeysError && (code === undefined || e.code === code);
}
