/**
 * Backend B: any S3-compatible service, through `@aws-sdk/client-s3` (the only
 * place in the project that imports it).
 *
 * Uploads never hold a whole object in memory: a body of known length is
 * streamed in one PutObject; a body of unknown length is read one part
 * (default 8 MiB) at a time, sent as a single PutObject if it fits in one part,
 * otherwise as a multipart upload that is aborted on any failure, so a failed
 * write leaves nothing visible.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { assertBucketName, assertKey, compareKeys, normalizeMaxKeys, normalizeMetadata } from '../names.js';
import {
  NULL_VERSION_ID,
  type BucketInfo,
  type ByteRange,
  type DeleteObjectResult,
  type GetObjectOptions,
  type GetObjectResult,
  type ListedVersion,
  type ListObjectsV2Options,
  type ListObjectsV2Result,
  type ListObjectVersionsOptions,
  type ListObjectVersionsResult,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type PutObjectOptions,
  type PutObjectResult,
  type UploadedPart,
  type VersioningStatus,
} from '../object-store.types.js';
import { ObjectsError, type ObjectsErrorCode } from '../objects-error.js';
import { translateS3Error } from './s3-errors.js';

/** Options of {@link createS3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /** Endpoint URL of the S3-compatible service; omit for AWS S3. */
  readonly endpoint?: string;
  /** Region to sign for. */
  readonly region: string;
  /** Static credentials; omit to use the SDK's default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Path-style addressing (`endpoint/bucket/key`), needed by most self-hosted services. */
  readonly forcePathStyle?: boolean;
  /** Part size for bodies of unknown length (5 MiB..5 GiB; default 8 MiB). Bounds memory per upload. */
  readonly partSize?: number;
  /**
   * When the SDK adds CRC32 checksums to uploads (`WHEN_SUPPORTED`, the SDK default, frames streams as
   * aws-chunked with a trailer); `WHEN_REQUIRED` for services that do not understand trailers.
   */
  readonly requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
}

/** Defaults of {@link S3ObjectStoreOptions}. */
export const S3_OBJECT_STORE_DEFAULTS = Object.freeze({ forcePathStyle: false, partSize: 8 * 1024 * 1024 });

const MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Creates an {@link ObjectStore} over an S3-compatible service. */
export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const partSize = options.partSize ?? S3_OBJECT_STORE_DEFAULTS.partSize;
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE) throw new RangeError('partSize must be an integer of at least 5 MiB.');
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle ?? S3_OBJECT_STORE_DEFAULTS.forcePathStyle,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: { ...options.credentials } } : {}),
    ...(options.requestChecksumCalculation !== undefined ? { requestChecksumCalculation: options.requestChecksumCalculation } : {}),
  });
  return new S3ObjectStore(client, options.region, partSize);
}

class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly region: string,
    private readonly partSize: number,
  ) {}

  async #call<T>(fn: () => Promise<T>, notFound?: ObjectsErrorCode): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateS3Error(err, notFound);
    }
  }

  // ---------------------------------------------------------------- buckets

  async createBucket(bucket: string): Promise<void> {
    assertBucketName(bucket);
    await this.#call(() =>
      this.client.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(this.region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: this.region as BucketLocationConstraint } } : {}),
        }),
      ),
    );
  }

  async headBucket(bucket: string): Promise<BucketInfo> {
    assertBucketName(bucket);
    await this.#call(() => this.client.send(new HeadBucketCommand({ Bucket: bucket })), 'NoSuchBucket');
    // HeadBucket carries no creation date; ListBuckets does, but may be denied to narrow IAM policies.
    const listed = (await this.listBuckets().catch(() => [])).find((b) => b.name === bucket);
    // The S3 API has no owner account id to compare with ours, so owner stays unknown.
    return { name: bucket, createdAt: listed?.createdAt ?? new Date(0), owner: undefined };
  }

  async listBuckets(): Promise<readonly BucketInfo[]> {
    const out = await this.#call(() => this.client.send(new ListBucketsCommand({})));
    return (out.Buckets ?? [])
      .filter((b): b is typeof b & { Name: string } => typeof b.Name === 'string')
      .map((b) => ({ name: b.Name, createdAt: b.CreationDate ?? new Date(0), owner: undefined }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async deleteBucket(bucket: string): Promise<void> {
    assertBucketName(bucket);
    await this.#call(() => this.client.send(new DeleteBucketCommand({ Bucket: bucket })), 'NoSuchBucket');
  }

  async getBucketVersioning(bucket: string): Promise<VersioningStatus | undefined> {
    assertBucketName(bucket);
    const out = await this.#call(() => this.client.send(new GetBucketVersioningCommand({ Bucket: bucket })), 'NoSuchBucket');
    return out.Status === 'Enabled' || out.Status === 'Suspended' ? out.Status : undefined;
  }

  async putBucketVersioning(bucket: string, status: VersioningStatus): Promise<void> {
    assertBucketName(bucket);
    if (status !== 'Enabled' && status !== 'Suspended') throw new ObjectsError('MalformedXML');
    await this.#call(() => this.client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } })), 'NoSuchBucket');
  }

  // ---------------------------------------------------------------- objects

  async putObject(bucket: string, key: string, body: ObjectBody, options: PutObjectOptions = {}): Promise<PutObjectResult> {
    assertBucketName(bucket);
    assertKey(key);
    const metadata = normalizeMetadata(options.metadata);
    const common = { Bucket: bucket, Key: key, ContentType: options.contentType ?? DEFAULT_CONTENT_TYPE, Metadata: metadata };
    if (options.contentLength !== undefined) {
      // Known length: stream straight through in one request (the SDK frames it as aws-chunked).
      const { stream, signal, failure } = abortOnError(body);
      const out = await this.#call(() =>
        this.client.send(
          new PutObjectCommand({
            ...common,
            Body: stream,
            ContentLength: options.contentLength,
            ...(options.contentMd5 !== undefined ? { ContentMD5: options.contentMd5 } : {}),
          }),
          { abortSignal: signal },
        ),
      ).catch((err: unknown) => {
        stream.destroy();
        throw failure() ?? err;
      });
      return { versionId: out.VersionId ?? NULL_VERSION_ID, etag: stripQuotes(out.ETag ?? '') };
    }

    const reader = new PartReader(body, this.partSize);
    const md5 = options.contentMd5 !== undefined ? createHash('md5') : undefined;
    const first = await reader.next();
    md5?.update(first);
    if (reader.done) {
      const out = await this.#call(() =>
        this.client.send(
          new PutObjectCommand({ ...common, Body: first, ...(options.contentMd5 !== undefined ? { ContentMD5: options.contentMd5 } : {}) }),
        ),
      );
      return { versionId: out.VersionId ?? NULL_VERSION_ID, etag: stripQuotes(out.ETag ?? '') };
    }

    const { uploadId } = await this.createMultipartUpload(bucket, key, { ...(options.contentType ? { contentType: options.contentType } : {}), metadata });
    try {
      const parts: UploadedPart[] = [];
      let part: Buffer = first;
      for (let n = 1; ; n++) {
        parts.push(await this.#uploadPartBuffer(bucket, key, uploadId, n, part));
        if (reader.done) break;
        part = await reader.next();
        md5?.update(part);
        if (part.length === 0 && reader.done) break;
      }
      if (md5 && options.contentMd5 !== undefined) {
        const expected = Buffer.from(options.contentMd5, 'base64');
        if (expected.length !== 16) throw new ObjectsError('InvalidDigest');
        if (!expected.equals(md5.digest())) throw new ObjectsError('BadDigest');
      }
      return await this.completeMultipartUpload(bucket, key, uploadId, parts);
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw translateS3Error(err);
    }
  }

  async getObject(bucket: string, key: string, options: GetObjectOptions = {}): Promise<GetObjectResult> {
    assertBucketName(bucket);
    assertKey(key);
    const out = await this.#call(
      () =>
        this.client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(options.versionId !== undefined ? { VersionId: options.versionId } : {}),
            ...(options.range !== undefined ? { Range: rangeHeader(options.range) } : {}),
          }),
        ),
      options.versionId !== undefined ? 'NoSuchVersion' : 'NoSuchKey',
    );
    const body = out.Body;
    if (!(body instanceof Readable)) throw new ObjectsError('InternalError', 'The S3 response has no readable body.');
    const range = parseContentRange(out.ContentRange);
    return {
      key,
      size: range?.total ?? out.ContentLength ?? 0,
      etag: stripQuotes(out.ETag ?? ''),
      versionId: out.VersionId ?? NULL_VERSION_ID,
      contentType: out.ContentType ?? DEFAULT_CONTENT_TYPE,
      lastModified: out.LastModified ?? new Date(0),
      metadata: out.Metadata ?? {},
      body,
      ...(range ? { range: { start: range.start, end: range.end } } : {}),
    };
  }

  async headObject(bucket: string, key: string, options: { readonly versionId?: string } = {}): Promise<ObjectInfo> {
    assertBucketName(bucket);
    assertKey(key);
    let out;
    try {
      out = await this.client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key, ...(options.versionId !== undefined ? { VersionId: options.versionId } : {}) }),
      );
    } catch (err) {
      const translated = translateS3Error(err, options.versionId !== undefined ? 'NoSuchVersion' : 'NoSuchKey');
      // HEAD errors have no body: a 404 may mean the bucket is missing; ask.
      if (translated.status === 404) await this.headBucketExists(bucket);
      throw translated;
    }
    return {
      key,
      size: out.ContentLength ?? 0,
      etag: stripQuotes(out.ETag ?? ''),
      versionId: out.VersionId ?? NULL_VERSION_ID,
      contentType: out.ContentType ?? DEFAULT_CONTENT_TYPE,
      lastModified: out.LastModified ?? new Date(0),
      metadata: out.Metadata ?? {},
    };
  }

  private async headBucketExists(bucket: string): Promise<void> {
    await this.#call(() => this.client.send(new HeadBucketCommand({ Bucket: bucket })), 'NoSuchBucket');
  }

  async deleteObject(bucket: string, key: string, options: { readonly versionId?: string } = {}): Promise<DeleteObjectResult> {
    assertBucketName(bucket);
    assertKey(key);
    const out = await this.#call(
      () => this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, ...(options.versionId !== undefined ? { VersionId: options.versionId } : {}) })),
      'NoSuchBucket',
    );
    return { deleteMarker: out.DeleteMarker === true, ...(out.VersionId !== undefined ? { versionId: out.VersionId } : {}) };
  }

  async listObjectsV2(bucket: string, options: ListObjectsV2Options = {}): Promise<ListObjectsV2Result> {
    assertBucketName(bucket);
    const maxKeys = normalizeMaxKeys(options.maxKeys);
    const out = await this.#call(
      () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            MaxKeys: maxKeys,
            ...(options.prefix ? { Prefix: options.prefix } : {}),
            ...(options.delimiter ? { Delimiter: options.delimiter } : {}),
            ...(options.continuationToken !== undefined ? { ContinuationToken: options.continuationToken } : {}),
            ...(options.startAfter !== undefined ? { StartAfter: options.startAfter } : {}),
          }),
        ),
      'NoSuchBucket',
    );
    return {
      objects: (out.Contents ?? []).map((o) => ({
        key: o.Key ?? '',
        size: o.Size ?? 0,
        etag: stripQuotes(o.ETag ?? ''),
        lastModified: o.LastModified ?? new Date(0),
      })),
      commonPrefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''),
      isTruncated: out.IsTruncated === true,
      ...(out.IsTruncated && out.NextContinuationToken !== undefined ? { nextContinuationToken: out.NextContinuationToken } : {}),
    };
  }

  async listObjectVersions(bucket: string, options: ListObjectVersionsOptions = {}): Promise<ListObjectVersionsResult> {
    assertBucketName(bucket);
    const maxKeys = normalizeMaxKeys(options.maxKeys);
    const out = await this.#call(
      () =>
        this.client.send(
          new ListObjectVersionsCommand({
            Bucket: bucket,
            MaxKeys: maxKeys,
            ...(options.prefix ? { Prefix: options.prefix } : {}),
            ...(options.delimiter ? { Delimiter: options.delimiter } : {}),
            ...(options.keyMarker !== undefined ? { KeyMarker: options.keyMarker } : {}),
            ...(options.versionIdMarker !== undefined ? { VersionIdMarker: options.versionIdMarker } : {}),
          }),
        ),
      'NoSuchBucket',
    );
    const versions: ListedVersion[] = [
      ...(out.Versions ?? []).map((v) => ({
        key: v.Key ?? '',
        versionId: v.VersionId ?? NULL_VERSION_ID,
        isLatest: v.IsLatest === true,
        lastModified: v.LastModified ?? new Date(0),
        deleteMarker: false,
        size: v.Size ?? 0,
        etag: stripQuotes(v.ETag ?? ''),
      })),
      ...(out.DeleteMarkers ?? []).map((d) => ({
        key: d.Key ?? '',
        versionId: d.VersionId ?? NULL_VERSION_ID,
        isLatest: d.IsLatest === true,
        lastModified: d.LastModified ?? new Date(0),
        deleteMarker: true,
        size: 0,
        etag: '',
      })),
    ];
    // The SDK splits versions and delete markers; restore S3's order (key, then newest first).
    versions.sort(
      (a, b) =>
        compareKeys(a.key, b.key) || Number(b.isLatest) - Number(a.isLatest) || b.lastModified.getTime() - a.lastModified.getTime(),
    );
    return {
      versions,
      commonPrefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''),
      isTruncated: out.IsTruncated === true,
      ...(out.IsTruncated && out.NextKeyMarker !== undefined ? { nextKeyMarker: out.NextKeyMarker } : {}),
      ...(out.IsTruncated && out.NextVersionIdMarker !== undefined ? { nextVersionIdMarker: out.NextVersionIdMarker } : {}),
    };
  }

  // ---------------------------------------------------------------- multipart

  async createMultipartUpload(
    bucket: string,
    key: string,
    options: Omit<PutObjectOptions, 'contentMd5' | 'contentLength'> = {},
  ): Promise<{ readonly uploadId: string }> {
    assertBucketName(bucket);
    assertKey(key);
    const out = await this.#call(
      () =>
        this.client.send(
          new CreateMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            ContentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
            Metadata: normalizeMetadata(options.metadata),
          }),
        ),
      'NoSuchBucket',
    );
    if (!out.UploadId) throw new ObjectsError('InternalError', 'The service returned no upload id.');
    return { uploadId: out.UploadId };
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: ObjectBody,
    options: Pick<PutObjectOptions, 'contentMd5' | 'contentLength'> = {},
  ): Promise<UploadedPart> {
    assertBucketName(bucket);
    assertKey(key);
    if (options.contentLength !== undefined) {
      const { stream, signal, failure } = abortOnError(body);
      const out = await this.#call(
        () =>
          this.client.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: partNumber,
              Body: stream,
              ContentLength: options.contentLength,
              ...(options.contentMd5 !== undefined ? { ContentMD5: options.contentMd5 } : {}),
            }),
            { abortSignal: signal },
          ),
        'NoSuchUpload',
      ).catch((err: unknown) => {
        stream.destroy();
        throw failure() ?? err;
      });
      return { partNumber, etag: stripQuotes(out.ETag ?? '') };
    }
    // Unknown length: a part is at most one part size in memory (S3 parts need a length).
    const reader = new PartReader(body, 5 * 1024 * 1024 * 1024);
    const data = await reader.next();
    return this.#uploadPartBuffer(bucket, key, uploadId, partNumber, data, options.contentMd5);
  }

  async #uploadPartBuffer(bucket: string, key: string, uploadId: string, partNumber: number, data: Buffer, contentMd5?: string): Promise<UploadedPart> {
    const out = await this.#call(
      () =>
        this.client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: data,
            ...(contentMd5 !== undefined ? { ContentMD5: contentMd5 } : {}),
          }),
        ),
      'NoSuchUpload',
    );
    return { partNumber, etag: stripQuotes(out.ETag ?? '') };
  }

  async completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<PutObjectResult> {
    assertBucketName(bucket);
    assertKey(key);
    const out = await this.#call(
      () =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: `"${stripQuotes(p.etag)}"` })) },
          }),
        ),
      'NoSuchUpload',
    );
    return { versionId: out.VersionId ?? NULL_VERSION_ID, etag: stripQuotes(out.ETag ?? '') };
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    assertBucketName(bucket);
    assertKey(key);
    await this.#call(() => this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })), 'NoSuchUpload');
  }
}

/**
 * Cuts a body into buffers of exactly `size` bytes (the last may be shorter).
 * Holds at most one part plus one incoming chunk.
 */
class PartReader {
  readonly #it: AsyncIterator<Uint8Array>;
  readonly #size: number;
  #carry: Buffer = Buffer.alloc(0);
  #ended = false;
  /** True once the body is exhausted and nothing is carried over. */
  done = false;

  constructor(body: ObjectBody, size: number) {
    this.#it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    this.#size = size;
  }

  async next(): Promise<Buffer> {
    const parts: Buffer[] = this.#carry.length > 0 ? [this.#carry] : [];
    let have = this.#carry.length;
    this.#carry = Buffer.alloc(0);
    while (have < this.#size && !this.#ended) {
      let step: IteratorResult<Uint8Array>;
      try {
        step = await this.#it.next();
      } catch (err) {
        throw err instanceof ObjectsError ? err : new ObjectsError('RequestAborted', undefined, { cause: err });
      }
      if (step.done) {
        this.#ended = true;
        break;
      }
      const chunk = Buffer.from(step.value.buffer, step.value.byteOffset, step.value.byteLength);
      parts.push(chunk);
      have += chunk.length;
    }
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (all.length > this.#size) {
      this.#carry = Buffer.from(all.subarray(this.#size));
      this.done = false;
      return all.subarray(0, this.#size);
    }
    if (this.#ended) this.done = true;
    else {
      // Exactly one part's worth: find out whether more follows without losing it.
      const step = await this.#it.next().catch((err: unknown) => {
        throw err instanceof ObjectsError ? err : new ObjectsError('RequestAborted', undefined, { cause: err });
      });
      if (step.done) {
        this.#ended = true;
        this.done = true;
      } else {
        this.#carry = Buffer.from(step.value);
      }
    }
    return all;
  }
}

/**
 * Wraps a body for the SDK so that a failing source aborts the HTTP request:
 * the SDK pipes bodies, and a pipe does not end its destination on error, so
 * without this the request would wait forever for the missing bytes.
 */
function abortOnError(body: ObjectBody): { stream: Readable; signal: AbortSignal; failure: () => ObjectsError | undefined } {
  const controller = new AbortController();
  let failed: ObjectsError | undefined;
  const source = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  // The wrapper never emits 'error': the SDK re-emits body errors on an internal
  // stream nobody listens to, which would crash the process. It aborts instead.
  const stream = new Readable({
    read() {
      source.next().then(
        (step) => {
          if (step.done) this.push(null);
          else this.push(step.value);
        },
        (err: unknown) => {
          failed = err instanceof ObjectsError ? err : new ObjectsError('RequestAborted', undefined, { cause: err });
          controller.abort(failed);
        },
      );
    },
  });
  return { stream, signal: controller.signal, failure: () => failed };
}

function rangeHeader(range: ByteRange): string {
  if ('suffixLength' in range) return `bytes=-${range.suffixLength}`;
  return `bytes=${range.start}-${range.end ?? ''}`;
}

function parseContentRange(value: string | undefined): { start: number; end: number; total: number } | undefined {
  const m = value === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+)$/.exec(value);
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]) };
}

function stripQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}
