/**
 * The error names of the Signer API (the model's error shapes). The domain speaks in these
 * because they are the service's vocabulary; `src/api` maps each to its HTTP status from the model.
 */
export type SignerErrorCode =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'AccessDeniedException'
  | 'ConflictException'
  | 'ServiceLimitExceededException'
  | 'TooManyRequestsException'
  | 'BadRequestException'
  | 'NotFoundException'
  | 'InternalServiceErrorException';

/** The one error type of `src/signer`. Messages are for users: no secrets, no internals. */
export class SignerError extends Error {
  override readonly name = 'SignerError';
  constructor(
    readonly code: SignerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
