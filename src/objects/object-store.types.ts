/**
 * The object storage seam: one verb-shaped, streaming interface that every
 * backend (embedded filesystem store, any S3-compatible service) implements.
 *
 * Bodies are always streams; no operation buffers a whole object, since
 * firmware images can be up to 2 GiB.
 *
 * @packageDocumentation
 */
import type { Readable } from 'node:stream';

/** Versioning state of a bucket; `undefined` means versioning was never configured. */
export type VersioningStatus = 'Enabled' | 'Suspended';

/** The version id S3 gives objects written while versioning is unset or suspended. */
export const NULL_VERSION_ID = 'null';

/** An object body as callers hand it in. */
export type ObjectBody = AsyncIterable<Uint8Array> | Readable;

/** What a store knows about a bucket. */
export interface BucketInfo {
  /** Bucket name. */
  readonly name: string;
  /** When the bucket was created. */
  readonly createdAt: Date;
  /** Account id that created the bucket; `undefined` when the backend cannot record owners. */
  readonly owner?: string | undefined;
}

/** Options for {@link ObjectStore.createBucket}. */
export interface CreateBucketOptions {
  /** Account that owns the new bucket. */
  readonly owner?: string;
}

/** Options for {@link ObjectStore.putObject}. */
export interface PutObjectOptions {
  /** Base64 MD5 of the body (`Content-MD5`); a mismatch fails the write with `BadDigest`. */
  readonly contentMd5?: string;
  /** MIME type returned on reads; default `application/octet-stream`. */
  readonly contentType?: string;
  /** User metadata (`x-amz-meta-*`); keys are lower-cased. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Exact body length when known; a different length fails the write with `IncompleteBody`. */
  readonly contentLength?: number;
}

/** Result of a successful write. */
export interface PutObjectResult {
  /** New version id, or `'null'` when the bucket is not versioning. */
  readonly versionId: string;
  /** Entity tag without quotes: hex MD5 for single writes, `<md5>-<parts>` for multipart. */
  readonly etag: string;
}

/**
 * A byte range, inclusive at both ends like HTTP `Range`.
 * `{ start }` reads to the end; `{ suffixLength }` reads the last bytes.
 */
export type ByteRange = { readonly start: number; readonly end?: number } | { readonly suffixLength: number };

/** Options for reads of one object. */
export interface GetObjectOptions {
  /** Read this version instead of the current one. */
  readonly versionId?: string;
  /** Read only these bytes; unsatisfiable ranges fail with `InvalidRange`. */
  readonly range?: ByteRange;
}

/** Metadata of one stored object version. */
export interface ObjectInfo {
  /** Object key. */
  readonly key: string;
  /** Size of the whole object in bytes. */
  readonly size: number;
  /** Entity tag without quotes. */
  readonly etag: string;
  /** Version id (`'null'` for unversioned writes). */
  readonly versionId: string;
  /** MIME type. */
  readonly contentType: string;
  /** Time of the write. */
  readonly lastModified: Date;
  /** User metadata. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Result of {@link ObjectStore.getObject}. */
export interface GetObjectResult extends ObjectInfo {
  /** The bytes (the requested range only, when a range was given). */
  readonly body: Readable;
  /** The inclusive range served, when a range was requested. */
  readonly range?: { readonly start: number; readonly end: number };
}

/** Paging and filtering shared by both list operations. */
export interface ListOptionsBase {
  /** Only keys that begin with this. */
  readonly prefix?: string;
  /** Roll keys up to the first occurrence of this after the prefix (`CommonPrefixes`). */
  readonly delimiter?: string;
  /** At most this many keys plus common prefixes (1..1000, default 1000). */
  readonly maxKeys?: number;
}

/** Options for {@link ObjectStore.listObjectsV2}. */
export interface ListObjectsV2Options extends ListOptionsBase {
  /** Token from a previous truncated page. */
  readonly continuationToken?: string;
  /** List keys after this one (first page only). */
  readonly startAfter?: string;
}

/** One key in a listing. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
}

/** One page of {@link ObjectStore.listObjectsV2}. */
export interface ListObjectsV2Result {
  readonly objects: readonly ListedObject[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  /** Pass as `continuationToken` to get the next page. */
  readonly nextContinuationToken?: string;
}

/** Options for {@link ObjectStore.listObjectVersions}. */
export interface ListObjectVersionsOptions extends ListOptionsBase {
  /** Start after this key (with `versionIdMarker`: after that version of it). */
  readonly keyMarker?: string;
  /** Start after this version of `keyMarker`. */
  readonly versionIdMarker?: string;
}

/** One entry in a version listing: a stored version or a delete marker. */
export interface ListedVersion {
  readonly key: string;
  readonly versionId: string;
  readonly isLatest: boolean;
  readonly lastModified: Date;
  /** True for delete markers (which have no size or etag). */
  readonly deleteMarker: boolean;
  readonly size: number;
  readonly etag: string;
}

/** One page of {@link ObjectStore.listObjectVersions}; versions of one key come newest first. */
export interface ListObjectVersionsResult {
  readonly versions: readonly ListedVersion[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  readonly nextKeyMarker?: string;
  readonly nextVersionIdMarker?: string;
}

/** Result of {@link ObjectStore.deleteObject}. */
export interface DeleteObjectResult {
  /** Version id of the delete marker created, or of the version removed. */
  readonly versionId?: string;
  /** True when a delete marker was created, or the removed version was one. */
  readonly deleteMarker: boolean;
}

/** One uploaded part of a multipart upload. */
export interface UploadedPart {
  readonly partNumber: number;
  /** Entity tag without quotes (hex MD5 of the part). */
  readonly etag: string;
}

/**
 * Object storage behind one interface.
 *
 * Guarantees every backend gives (checked by the shared contract suite in
 * `test-support/object-store-contract.ts`):
 * - writes are atomic: a write that fails or whose body stream errors leaves
 *   nothing visible, not even a partial object;
 * - stored versions are immutable;
 * - every failure is an `ObjectsError` with a code from `OBJECTS_ERRORS`.
 */
export interface ObjectStore {
  /** Creates a bucket; `BucketAlreadyOwnedByYou`/`BucketAlreadyExists` if it exists. */
  createBucket(bucket: string, options?: CreateBucketOptions): Promise<void>;
  /** Facts about a bucket; `NoSuchBucket` if absent. */
  headBucket(bucket: string): Promise<BucketInfo>;
  /** All buckets, sorted by name. */
  listBuckets(): Promise<readonly BucketInfo[]>;
  /** Removes an empty bucket; `BucketNotEmpty` otherwise. */
  deleteBucket(bucket: string): Promise<void>;
  /** Versioning state; `undefined` if never configured. */
  getBucketVersioning(bucket: string): Promise<VersioningStatus | undefined>;
  /** Sets versioning; once enabled it can only be suspended, never unset. */
  putBucketVersioning(bucket: string, status: VersioningStatus): Promise<void>;
  /** Streams `body` into a new object version. */
  putObject(bucket: string, key: string, body: ObjectBody, options?: PutObjectOptions): Promise<PutObjectResult>;
  /** Opens a stream over an object (or a range of it). */
  getObject(bucket: string, key: string, options?: GetObjectOptions): Promise<GetObjectResult>;
  /** Metadata of an object without its bytes. */
  headObject(bucket: string, key: string, options?: { readonly versionId?: string }): Promise<ObjectInfo>;
  /** Current (non-deleted) objects, in UTF-8 byte order of keys. */
  listObjectsV2(bucket: string, options?: ListObjectsV2Options): Promise<ListObjectsV2Result>;
  /** All versions and delete markers. */
  listObjectVersions(bucket: string, options?: ListObjectVersionsOptions): Promise<ListObjectVersionsResult>;
  /** Deletes (or, in versioned buckets, hides behind a delete marker) an object. */
  deleteObject(bucket: string, key: string, options?: { readonly versionId?: string }): Promise<DeleteObjectResult>;
  /** Starts a multipart upload; nothing is visible until it completes. */
  createMultipartUpload(bucket: string, key: string, options?: Omit<PutObjectOptions, 'contentMd5' | 'contentLength'>): Promise<{ readonly uploadId: string }>;
  /** Stores one part (1..10000); re-uploading a part number replaces it. */
  uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: ObjectBody, options?: Pick<PutObjectOptions, 'contentMd5' | 'contentLength'>): Promise<UploadedPart>;
  /** Joins the listed parts into one new object version, atomically. */
  completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<PutObjectResult>;
  /** Discards an upload and its parts. */
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
}
