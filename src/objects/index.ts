/**
 * Object storage: one {@link ObjectStore} interface, two backends (embedded
 * filesystem store, any S3-compatible service) and an embedded S3-compatible
 * HTTP endpoint. See `docs/objects.md`.
 *
 * @packageDocumentation
 */
export {
  NULL_VERSION_ID,
  type BucketInfo,
  type ByteRange,
  type CreateBucketOptions,
  type DeleteObjectResult,
  type GetObjectOptions,
  type GetObjectResult,
  type ListedObject,
  type ListedVersion,
  type ListObjectsV2Options,
  type ListObjectsV2Result,
  type ListObjectVersionsOptions,
  type ListObjectVersionsResult,
  type ListOptionsBase,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type PutObjectOptions,
  type PutObjectResult,
  type UploadedPart,
  type VersioningStatus,
} from './object-store.types.js';
export {
  OBJECTS_ERRORS,
  ObjectsError,
  isObjectsError,
  isObjectsErrorCode,
  type ObjectsErrorCode,
  type ObjectsErrorDetails,
  type ObjectsErrorSpec,
} from './objects-error.js';
export { createFsObjectStore, FS_OBJECT_STORE_DEFAULTS, OBJECTS_SUBDIR, type FsObjectStoreOptions, type FsObjectStoreTuning } from './fs/fs-object-store.js';
export { createS3ObjectStore, S3_OBJECT_STORE_DEFAULTS, type S3ObjectStoreOptions } from './s3/s3-object-store.js';
export { startEmbeddedS3, EMBEDDED_S3_DEFAULTS, S3_LIMIT_DEFAULTS, type EmbeddedS3, type EmbeddedS3Options, type S3Limits } from './http/embedded-s3.js';
export type { AuthContext, S3AuthRequest, S3Authenticator } from './http/auth.types.js';
export { createSigV4Authenticator, AUTH_ERROR_TO_S3 } from './http/sigv4-authenticator.js';
