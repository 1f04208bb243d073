/** Why a request failed authentication. Each protocol maps these to its own error names. */
export type AuthErrorCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'UnrecognizedClient'
  | 'InvalidSignature'
  | 'SignatureExpired'
  | 'WrongScope'
  /** An `x-amz-*` header the signature does not cover (S3's rule). */
  | 'UnsignedHeaders';

/** The one error type of `src/auth`. Messages never carry secrets or signatures. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
  }
}
