/**
 * The error names of the AWS IoT control plane and the Jobs data plane. The domain speaks in
 * these; `src/api` maps each to the HTTP status the model gives it, `src/ota` maps the Jobs
 * ones to the MQTT ErrorResponse codes (see {@link MQTT_ERROR_CODE}).
 */
export type IotErrorCode =
  | 'InvalidRequestException'
  | 'ResourceNotFoundException'
  | 'ResourceAlreadyExistsException'
  | 'VersionConflictException'
  | 'LimitExceededException'
  | 'ConflictException'
  | 'ConflictingResourceUpdateException'
  | 'CertificateStateException'
  | 'CertificateValidationException'
  | 'DeleteConflictException'
  | 'InvalidStateTransitionException'
  | 'TerminalStateException'
  | 'ThrottlingException'
  | 'UnauthorizedException'
  | 'ServiceUnavailableException'
  | 'InternalFailureException';

/** The one error type of `src/iot`. Messages are for users: no secrets, no internals. */
export class IotError extends Error {
  override readonly name = 'IotError';
  constructor(
    readonly code: IotErrorCode,
    message: string,
    /** For Jobs data-plane errors that carry the execution's state (VersionMismatch, InvalidStateTransition). */
    readonly executionState?: { status: string; statusDetails?: Record<string, string>; versionNumber: number },
  ) {
    super(message);
  }
}

export function isIotError(e: unknown, code?: IotErrorCode): e is IotError {
  return e instanceof IotError && (code === undefined || e.code === code);
}

/** Jobs MQTT ErrorResponse `code` for each data-plane error (AWS IoT developer guide, jobs-api). */
export const MQTT_ERROR_CODE: Partial<Record<IotErrorCode, string>> = Object.freeze({
  InvalidRequestException: 'InvalidRequest',
  ResourceNotFoundException: 'ResourceNotFound',
  InvalidStateTransitionException: 'InvalidStateTransition',
  ConflictException: 'VersionMismatch',
  VersionConflictException: 'VersionMismatch',
  TerminalStateException: 'TerminalStateReached',
  ThrottlingException: 'RequestThrottled',
  InternalFailureException: 'InternalError',
  ServiceUnavailableException: 'InternalError',
});
