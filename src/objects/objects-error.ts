/**
 * The one error type of the objects capability.
 *
 * Every backend translates its own failures (filesystem errno values, AWS SDK
 * exceptions) into an {@link ObjectsError} whose `code` comes from the closed
 * list in {@link OBJECTS_ERRORS}. The codes are S3 error codes, so the embedded
 * S3 endpoint can write them on the wire unchanged.
 *
 * @packageDocumentation
 */

/** One registry entry: the HTTP status S3 uses for the code and a generic message. */
export interface ObjectsErrorSpec {
  /** HTTP status code of the S3 error response. */
  readonly status: number;
  /** Generic message; never carries payload bytes or secrets. */
  readonly message: string;
}

/**
 * Every error code the objects capability can produce, with the HTTP status
 * S3 answers it with (S3 API reference, "Error responses": List of error codes).
 * Defined once; the embedded endpoint, the adapters and `docs/objects.md` use it.
 */
export const OBJECTS_ERRORS = {
  AccessDenied: { status: 403, message: 'Access Denied' },
  AuthorizationHeaderMalformed: { status: 400, message: 'The authorization header is malformed.' },
  BadDigest: { status: 400, message: 'The Content-MD5 or checksum you specified did not match what we received.' },
  BucketAlreadyExists: { status: 409, message: 'The requested bucket name is not available.' },
  BucketAlreadyOwnedByYou: { status: 409, message: 'Your previous request to create the named bucket succeeded and you already own it.' },
  BucketNotEmpty: { status: 409, message: 'The bucket you tried to delete is not empty.' },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed object size.' },
  EntityTooSmall: { status: 400, message: 'Your proposed upload is smaller than the minimum allowed object size.' },
  IncompleteBody: { status: 400, message: 'You did not provide the number of bytes specified by the Content-Length HTTP header.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  InvalidAccessKeyId: { status: 403, message: 'The AWS access key Id you provided does not exist in our records.' },
  InvalidArgument: { status: 400, message: 'Invalid Argument' },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.' },
  InvalidDigest: { status: 400, message: 'The Content-MD5 or checksum you specified is not valid.' },
  InvalidPart: { status: 400, message: 'One or more of the specified parts could not be found.' },
  InvalidPartOrder: { status: 400, message: 'The list of parts was not in ascending order.' },
  InvalidRange: { status: 416, message: 'The requested range is not satisfiable' },
  InvalidRequest: { status: 400, message: 'Invalid Request' },
  KeyTooLongError: { status: 400, message: 'Your key is too long.' },
  MalformedXML: { status: 400, message: 'The XML you provided was not well-formed or did not validate against our published schema.' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.' },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  NoSuchUpload: { status: 404, message: 'The specified multipart upload does not exist.' },
  NoSuchVersion: { status: 404, message: 'The specified version does not exist.' },
  NotImplemented: { status: 501, message: 'A header or query you provided implies functionality that is not implemented.' },
  PreconditionFailed: { status: 412, message: 'At least one of the pre-conditions you specified did not hold' },
  RequestAborted: { status: 400, message: 'The request body was aborted before it was complete.' },
  RequestTimeTooSkewed: { status: 403, message: 'The difference between the request time and the server time is too large.' },
  ServiceUnavailable: { status: 503, message: 'Service is unable to handle request.' },
  SignatureDoesNotMatch: { status: 403, message: 'The request signature we calculated does not match the signature you provided.' },
  XAmzContentSHA256Mismatch: { status: 400, message: "The provided 'x-amz-content-sha256' header does not match what was computed." },
} as const satisfies Record<string, ObjectsErrorSpec>;

/** Closed union of the codes an {@link ObjectsError} can carry. */
export type ObjectsErrorCode = keyof typeof OBJECTS_ERRORS;

/** Narrows an arbitrary string to an {@link ObjectsErrorCode}. */
export function isObjectsErrorCode(code: unknown): code is ObjectsErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(OBJECTS_ERRORS, code);
}

/** Extra facts some errors carry (S3 returns them as headers). */
export interface ObjectsErrorDetails {
  /** The current version of the key is a delete marker (`x-amz-delete-marker: true`). */
  readonly deleteMarker?: boolean;
  /** Version id the error is about, if any. */
  readonly versionId?: string;
  /** Object size, for `InvalidRange` (`Content-Range: bytes *\/size`). */
  readonly size?: number;
}

/**
 * The error every object store operation rejects with.
 *
 * `message` is generic by default (from the registry); callers may pass a more
 * specific one, which must not contain key material or payload bytes.
 */
export class ObjectsError extends Error {
  /** S3 error code, from {@link OBJECTS_ERRORS}. */
  readonly code: ObjectsErrorCode;
  /** HTTP status S3 answers this code with. */
  readonly status: number;
  /** Optional facts for the wire layer. */
  readonly details: ObjectsErrorDetails;

  constructor(code: ObjectsErrorCode, message?: string, options?: { cause?: unknown; details?: ObjectsErrorDetails }) {
    super(message ?? OBJECTS_ERRORS[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ObjectsError';
    this.code = code;
    this.status = OBJECTS_ERRORS[code].status;
    this.details = options?.details ?? {};
  }
}

/** True when `err` is an {@link ObjectsError}, optionally with the given code. */
export function isObjectsError(err: unknown, code?: ObjectsErrorCode): err is ObjectsError {
  return err instanceof ObjectsError && (code === undefined || err.code === code);
}
