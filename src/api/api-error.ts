import type { ServiceModel } from './model.js';

/**
 * Errors of the HTTP protocol layer that the model does not list (authentication, routing,
 * body framing), with the status and name AWS services answer them with.
 */
export const PROTOCOL_ERRORS = Object.freeze({
  UnknownOperationException: 404,
  MissingAuthenticationTokenException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  IncompleteSignatureException: 403,
  SerializationException: 400,
  RequestEntityTooLargeException: 413,
} as const);

export type ProtocolErrorType = keyof typeof PROTOCOL_ERRORS;

/** An error response: `type` is the shape name sent as `x-amzn-ErrorType`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The one registry: error type → HTTP status, from the model's error shapes plus the protocol errors. */
export class ErrorRegistry {
  private readonly status = new Map<string, number>();
  constructor(model: ServiceModel) {
    for (const [name, shape] of Object.entries(model.shapes)) {
      if (shape.exception && shape.error) this.status.set(name, shape.error.httpStatusCode);
    }
    for (const [name, status] of Object.entries(PROTOCOL_ERRORS)) this.status.set(name, status);
  }
  /** All known error types with their statuses (for docs and the registry test). */
  entries(): [string, number][] {
    return [...this.status.entries()].sort();
  }
  create(type: string, message: string): ApiError {
    const status = this.status.get(type);
    if (status === undefined) throw new Error(`error type ${type} is not in the registry`);
    return new ApiError(type, status, message);
  }
}
