/**
 * Translation of `@aws-sdk/client-s3` failures into `ObjectsError` (the way
 * verdaccio's S3 storage plugin keeps its `s3Errors.ts`). S3 error codes that
 * the registry knows pass through unchanged; HEAD requests, which have no
 * error body, arrive as bare statuses and are resolved by the caller's hint.
 *
 * @packageDocumentation
 */
import { isObjectsErrorCode, ObjectsError, type ObjectsErrorCode } from '../objects-error.js';

/** Network-level failures that mean "the service is not reachable right now". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'TimeoutError']);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/**
 * Converts anything an SDK call threw into an `ObjectsError`.
 *
 * @param notFound - the code a bodiless 404 means for this call (HEAD requests).
 */
export function translateS3Error(err: unknown, notFound: ObjectsErrorCode = 'NoSuchKey'): ObjectsError {
  if (err instanceof ObjectsError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const name = typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : undefined;
  const status = e.$metadata?.httpStatusCode;
  const headers = e.$response?.headers ?? {};
  const deleteMarker = headers['x-amz-delete-marker'] === 'true';
  const versionId = headers['x-amz-version-id'];
  const details = deleteMarker ? { deleteMarker, ...(versionId !== undefined ? { versionId } : {}) } : {};
  if (name !== undefined && isObjectsErrorCode(name) && name !== 'InternalError') {
    return new ObjectsError(name, undefined, { cause: err, details });
  }
  if (name === 'NotFound' || (status === 404 && name === 'UnknownError')) return new ObjectsError(notFound, undefined, { cause: err, details });
  if (status === 405) return new ObjectsError('MethodNotAllowed', undefined, { cause: err, details });
  if (status === 403) return new ObjectsError('AccessDenied', undefined, { cause: err });
  if (status === 416) return new ObjectsError('InvalidRange', undefined, { cause: err });
  if (name === 'AbortError') return new ObjectsError('RequestAborted', undefined, { cause: err });
  const code = typeof e.code === 'string' ? e.code : undefined;
  if ((code !== undefined && UNREACHABLE.has(code)) || (name !== undefined && UNREACHABLE.has(name)) || status === 503) {
    return new ObjectsError('ServiceUnavailable', undefined, { cause: err });
  }
  return new ObjectsError('InternalError', undefined, { cause: err });
}
