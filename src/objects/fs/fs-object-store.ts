/**
 * Backend A: the embedded object store on a local filesystem.
 *
 * Layout under `root` (default `<dataDir>/objects`):
 * ```
 * .tmp/                              writes in progress (emptied at open)
 * .uploads/<uploadId>/upload.json    multipart uploads in progress, parts as part-<n>
 * <bucket>/bucket.json               owner, creation time, versioning state
 * <bucket>/keys/<sha256(key)>/key    the key itself, UTF-8
 * <bucket>/keys/<sha256(key)>/<seq>.<versionId>   one immutable version (see version-file.ts)
 * ```
 * Keys never become path segments (only their SHA-256 does), so no key can
 * reach outside the root; bucket names are restricted to `[a-z0-9.-]` without
 * `..` and cannot start with a dot, so they cannot collide with `.tmp`.
 *
 * Writes stream into `.tmp`, are fsynced, and appear with one `rename()`; a
 * failed or aborted write unlinks its temp file. One process owns a root.
 *
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { resolveRange } from '../byte-range.js';
import {
  assertBucketName,
  assertKey,
  compareKeys,
  decodeContinuationToken,
  encodeContinuationToken,
  normalizeMaxKeys,
  normalizeMetadata,
} from '../names.js';
import {
  NULL_VERSION_ID,
  type BucketInfo,
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
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type PutObjectOptions,
  type PutObjectResult,
  type UploadedPart,
  type VersioningStatus,
} from '../object-store.types.js';
import { isObjectsError, ObjectsError } from '../objects-error.js';

/** Objects are the owner's only: folders 0700, files 0600 (docs/security.md). */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
import { readVersionHeader, writeVersionTrailer, type VersionHeader } from './version-file.js';

/**
 * Options of {@link createFsObjectStore}. Give either `root`, or `dataDir`
 * (then the root is `<dataDir>/objects`).
 */
export type FsObjectStoreOptions = FsObjectStoreTuning & ({ readonly root: string; readonly dataDir?: never } | { readonly dataDir: string; readonly root?: never });

/** Options of {@link createFsObjectStore} other than where it lives. */
export interface FsObjectStoreTuning {
  /** Smallest allowed size of every multipart part but the last (S3: 5 MiB). */
  readonly minPartSize?: number;
  /** Fsync files and directories before publishing (default true; tests may turn it off for speed). */
  readonly fsync?: boolean;
}

/** Defaults of {@link FsObjectStoreOptions}. */
export const FS_OBJECT_STORE_DEFAULTS = Object.freeze({ minPartSize: 5 * 1024 * 1024, fsync: true });

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const MAX_PART_NUMBER = 10_000;
const TMP_DIR = '.tmp';
const UPLOADS_DIR = '.uploads';
/** Folder of the data directory that holds objects. */
export const OBJECTS_SUBDIR = 'objects';

/** In-process locks per store root (absolute path) → lock name → tail of its queue. */
const LOCKS_BY_ROOT = new Map<string, Map<string, Promise<unknown>>>();

interface BucketFile {
  readonly name: string;
  readonly createdAt: number;
  readonly owner?: string;
  readonly versioning?: VersioningStatus;
}

interface UploadFile {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
}

/** One version file found in a key directory. */
interface VersionEntry {
  readonly file: string;
  readonly seq: string;
  readonly versionId: string;
}

/**
 * Opens (creating if needed) a filesystem object store and removes temp files
 * left behind by a previous crash.
 */
export async function createFsObjectStore(options: FsObjectStoreOptions): Promise<ObjectStore> {
  const store = new FsObjectStore(options);
  await store.open();
  return store;
}

class FsObjectStore implements ObjectStore {
  readonly #root: string;
  readonly #minPartSize: number;
  readonly #fsync: boolean;
  readonly #locks: Map<string, Promise<unknown>>;
  /** sha256(key) → key; safe to cache because a hash names one key forever. */
  readonly #keyNames = new Map<string, string>();
  #lastSeq = 0n;

  constructor(options: FsObjectStoreOptions) {
    const root = options.root ?? (options.dataDir === undefined ? undefined : join(options.dataDir, OBJECTS_SUBDIR));
    if (typeof root !== 'string' || root === '') throw new TypeError('createFsObjectStore needs a root or a dataDir.');
    this.#root = resolve(root);
    // Stores opened on the same root in one process share their locks.
    let locks = LOCKS_BY_ROOT.get(this.#root);
    if (!locks) LOCKS_BY_ROOT.set(this.#root, (locks = new Map()));
    this.#locks = locks;
    this.#minPartSize = options.minPartSize ?? FS_OBJECT_STORE_DEFAULTS.minPartSize;
    this.#fsync = options.fsync ?? FS_OBJECT_STORE_DEFAULTS.fsync;
  }

  async open(): Promise<void> {
    await mkdir(this.#root, { recursive: true, mode: DIR_MODE });
    // Whatever is in .tmp belongs to writes that never finished.
    await rm(join(this.#root, TMP_DIR), { recursive: true, force: true });
    await mkdir(join(this.#root, TMP_DIR), { recursive: true, mode: DIR_MODE });
    await mkdir(join(this.#root, UPLOADS_DIR), { recursive: true, mode: DIR_MODE });
  }

  // ---------------------------------------------------------------- buckets

  async createBucket(bucket: string, options?: CreateBucketOptions): Promise<void> {
    assertBucketName(bucket);
    return this.#guard(async () => {
      const existing = await this.#readBucket(bucket).catch((err: unknown) => {
        if (isObjectsError(err, 'NoSuchBucket')) return undefined;
        throw err;
      });
      if (existing) throw this.#alreadyExists(existing, options?.owner);
      // Build the bucket in .tmp, then publish it with one rename.
      const tmp = this.#tmpPath();
      await mkdir(join(tmp, 'keys'), { recursive: true, mode: DIR_MODE });
      const file: BucketFile = { name: bucket, createdAt: Date.now(), ...(options?.owner === undefined ? {} : { owner: options.owner }) };
      await writeFile(join(tmp, 'bucket.json'), JSON.stringify(file), { mode: FILE_MODE });
      try {
        await rename(tmp, this.#bucketDir(bucket));
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        if (hasCode(err, 'EEXIST') || hasCode(err, 'ENOTEMPTY')) throw this.#alreadyExists(await this.#readBucket(bucket), options?.owner);
        throw err;
      }
      await this.#syncDir(this.#root);
    });
  }

  async headBucket(bucket: string): Promise<BucketInfo> {
    assertBucketName(bucket);
    return this.#guard(async () => toBucketInfo(await this.#readBucket(bucket)));
  }

  async listBuckets(): Promise<readonly BucketInfo[]> {
    return this.#guard(async () => {
      const names = (await readdir(this.#root)).filter((n) => !n.startsWith('.')).sort();
      const out: BucketInfo[] = [];
      for (const name of names) {
        const info = await this.#readBucket(name).catch(() => undefined);
        if (info) out.push(toBucketInfo(info));
      }
      return out;
    });
  }

  async deleteBucket(bucket: string): Promise<void> {
    assertBucketName(bucket);
    return this.#guard(async () => {
      await this.#readBucket(bucket);
      const keys = await readdir(join(this.#bucketDir(bucket), 'keys'));
      if (keys.length > 0) throw new ObjectsError('BucketNotEmpty');
      const tmp = this.#tmpPath();
      await rename(this.#bucketDir(bucket), tmp);
      await rm(tmp, { recursive: true, force: true });
    });
  }

  async getBucketVersioning(bucket: string): Promise<VersioningStatus | undefined> {
    assertBucketName(bucket);
    return this.#guard(async () => (await this.#readBucket(bucket)).versioning);
  }

  async putBucketVersioning(bucket: string, status: VersioningStatus): Promise<void> {
    assertBucketName(bucket);
    if (status !== 'Enabled' && status !== 'Suspended') throw new ObjectsError('MalformedXML');
    return this.#guard(() =>
      this.#withLock(`bucket:${bucket}`, async () => {
        const current = await this.#readBucket(bucket);
        await this.#writeFileAtomic(join(this.#bucketDir(bucket), 'bucket.json'), JSON.stringify({ ...current, versioning: status }));
      }),
    );
  }

  // ---------------------------------------------------------------- objects

  async putObject(bucket: string, key: string, body: ObjectBody, options: PutObjectOptions = {}): Promise<PutObjectResult> {
    assertBucketName(bucket);
    assertKey(key);
    const metadata = normalizeMetadata(options.metadata);
    return this.#guard(async () => {
      await this.#readBucket(bucket);
      const tmp = this.#tmpPath();
      try {
        const fh = await open(tmp, 'wx', FILE_MODE);
        let header: VersionHeader;
        try {
          const { size, md5 } = await streamInto(fh, body, options);
          header = {
            key,
            versionId: '',
            size,
            etag: md5.toString('hex'),
            contentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
            lastModified: Date.now(),
            metadata,
            deleteMarker: false,
          };
          // The version id is fixed at commit; the header is rewritten there if needed.
        } finally {
          await fh.close().catch(() => undefined);
        }
        return await this.#commit(bucket, key, tmp, header);
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
    });
  }

  async getObject(bucket: string, key: string, options: GetObjectOptions = {}): Promise<GetObjectResult> {
    assertBucketName(bucket);
    assertKey(key);
    return this.#guard(async () => {
      const { fh, header } = await this.#openVersion(bucket, key, options.versionId);
      try {
        const info = toObjectInfo(header);
        if (options.range === undefined) {
          return { ...info, body: bodyStream(fh, 0, header.size - 1) };
        }
        const range = resolveRange(options.range, header.size);
        return { ...info, range, body: bodyStream(fh, range.start, range.end) };
      } catch (err) {
        await fh.close().catch(() => undefined);
        throw err;
      }
    });
  }

  async headObject(bucket: string, key: string, options: { readonly versionId?: string } = {}): Promise<ObjectInfo> {
    assertBucketName(bucket);
    assertKey(key);
    return this.#guard(async () => {
      const { fh, header } = await this.#openVersion(bucket, key, options.versionId);
      await fh.close();
      return toObjectInfo(header);
    });
  }

  async deleteObject(bucket: string, key: string, options: { readonly versionId?: string } = {}): Promise<DeleteObjectResult> {
    assertBucketName(bucket);
    assertKey(key);
    return this.#guard(async () => {
      await this.#readBucket(bucket);
      const dir = this.#keyDir(bucket, key);
      return this.#withLock(`key:${dir}`, async () => {
        const versions = await this.#versions(dir);
        if (options.versionId !== undefined) {
          const entry = versions.find((v) => v.versionId === options.versionId);
          // [S3 DeleteObject] deleting a version that does not exist succeeds.
          if (!entry) return { versionId: options.versionId, deleteMarker: false };
          const header = await this.#readHeader(join(dir, entry.file));
          await unlink(join(dir, entry.file));
          await this.#dropKeyDirIfEmpty(dir, versions.length - 1);
          return { versionId: options.versionId, deleteMarker: header.deleteMarker };
        }
        const versioning = (await this.#readBucket(bucket)).versioning;
        if (versioning === undefined) {
          // Unversioned: remove the (only) null version; absent keys succeed quietly.
          for (const v of versions) await unlink(join(dir, v.file));
          await this.#dropKeyDirIfEmpty(dir, 0);
          return { deleteMarker: false };
        }
        const tmp = this.#tmpPath();
        try {
          const fh = await open(tmp, 'wx', FILE_MODE);
          try {
            await fh.truncate(0);
          } finally {
            await fh.close();
          }
          const marker: VersionHeader = {
            key,
            versionId: '',
            size: 0,
            etag: '',
            contentType: '',
            lastModified: Date.now(),
            metadata: {},
            deleteMarker: true,
          };
          const result = await this.#commitLocked(bucket, key, tmp, marker, versioning);
          return { versionId: result.versionId, deleteMarker: true };
        } finally {
          await unlink(tmp).catch(() => undefined);
        }
      });
    });
  }

  async listObjectsV2(bucket: string, options: ListObjectsV2Options = {}): Promise<ListObjectsV2Result> {
    assertBucketName(bucket);
    const maxKeys = normalizeMaxKeys(options.maxKeys);
    const prefix = options.prefix ?? '';
    const delimiter = options.delimiter || undefined;
    const after = options.continuationToken !== undefined ? decodeContinuationToken(options.continuationToken) : options.startAfter;
    return this.#guard(async () => {
      await this.#readBucket(bucket);
      const objects: ListedObject[] = [];
      const commonPrefixes: string[] = [];
      let last: string | undefined;
      let isTruncated = false;
      const all = await this.#sortedKeys(bucket);
      for (const { key, dir } of all) {
        if (!key.startsWith(prefix)) continue;
        if (after !== undefined && compareKeys(key, after) <= 0) continue;
        const cp = commonPrefixOf(key, prefix, delimiter);
        if (cp !== undefined && (cp === last || (after !== undefined && compareKeys(cp, after) <= 0))) continue;
        let listed: ListedObject | undefined;
        if (cp === undefined) {
          const current = await this.#currentHeader(dir);
          if (!current || current.deleteMarker) continue;
          listed = { key, size: current.size, etag: current.etag, lastModified: new Date(current.lastModified) };
        } else if (!(await this.#hasLiveObject(prefixKeys(all, cp)))) {
          continue;
        }
        if (objects.length + commonPrefixes.length >= maxKeys) {
          isTruncated = maxKeys > 0;
          break;
        }
        if (listed) objects.push(listed);
        else if (cp !== undefined) commonPrefixes.push(cp);
        last = cp ?? key;
      }
      return {
        objects,
        commonPrefixes,
        isTruncated,
        ...(isTruncated && last !== undefined ? { nextContinuationToken: encodeContinuationToken(last) } : {}),
      };
    });
  }

  async listObjectVersions(bucket: string, options: ListObjectVersionsOptions = {}): Promise<ListObjectVersionsResult> {
    assertBucketName(bucket);
    const maxKeys = normalizeMaxKeys(options.maxKeys);
    const prefix = options.prefix ?? '';
    const delimiter = options.delimiter || undefined;
    const { keyMarker, versionIdMarker } = options;
    return this.#guard(async () => {
      await this.#readBucket(bucket);
      const versions: ListedVersion[] = [];
      const commonPrefixes: string[] = [];
      let lastPrefix: string | undefined;
      let next: { key: string; versionId?: string } | undefined;
      let isTruncated = false;
      const full = (): boolean => versions.length + commonPrefixes.length >= maxKeys;
      outer: for (const { key, dir } of await this.#sortedKeys(bucket)) {
        if (!key.startsWith(prefix)) continue;
        if (keyMarker !== undefined) {
          const c = compareKeys(key, keyMarker);
          if (c < 0 || (c === 0 && versionIdMarker === undefined)) continue;
        }
        const cp = commonPrefixOf(key, prefix, delimiter);
        if (cp !== undefined) {
          if (cp === lastPrefix || (keyMarker !== undefined && compareKeys(cp, keyMarker) <= 0)) continue;
          if (full()) {
            isTruncated = maxKeys > 0;
            break;
          }
          commonPrefixes.push(cp);
          lastPrefix = cp;
          next = { key: cp };
          continue;
        }
        const entries = (await this.#versions(dir)).reverse();
        let skipping = keyMarker !== undefined && versionIdMarker !== undefined && key === keyMarker;
        for (const [i, entry] of entries.entries()) {
          if (skipping) {
            if (entry.versionId === versionIdMarker) skipping = false;
            continue;
          }
          if (full()) {
            isTruncated = maxKeys > 0;
            break outer;
          }
          const h = await this.#readHeader(join(dir, entry.file)).catch(() => undefined);
          if (!h) continue;
          versions.push({
            key,
            versionId: entry.versionId,
            isLatest: i === 0,
            lastModified: new Date(h.lastModified),
            deleteMarker: h.deleteMarker,
            size: h.size,
            etag: h.etag,
          });
          next = { key, versionId: entry.versionId };
        }
      }
      return {
        versions,
        commonPrefixes,
        isTruncated,
        ...(isTruncated && next ? { nextKeyMarker: next.key } : {}),
        ...(isTruncated && next?.versionId !== undefined ? { nextVersionIdMarker: next.versionId } : {}),
      };
    });
  }

  // ---------------------------------------------------------------- multipart

  async createMultipartUpload(
    bucket: string,
    key: string,
    options: Omit<PutObjectOptions, 'contentMd5' | 'contentLength'> = {},
  ): Promise<{ readonly uploadId: string }> {
    assertBucketName(bucket);
    assertKey(key);
    const metadata = normalizeMetadata(options.metadata);
    return this.#guard(async () => {
      await this.#readBucket(bucket);
      const uploadId = randomBytes(24).toString('base64url');
      const tmp = this.#tmpPath();
      await mkdir(tmp, { mode: DIR_MODE });
      const file: UploadFile = { bucket, key, contentType: options.contentType ?? DEFAULT_CONTENT_TYPE, metadata };
      await writeFile(join(tmp, 'upload.json'), JSON.stringify(file), { mode: FILE_MODE });
      await rename(tmp, this.#uploadDir(uploadId));
      return { uploadId };
    });
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
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw new ObjectsError('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.');
    }
    return this.#guard(async () => {
      await this.#readUpload(bucket, key, uploadId);
      const tmp = this.#tmpPath();
      try {
        const fh = await open(tmp, 'wx', FILE_MODE);
        let header: VersionHeader;
        try {
          const { size, md5 } = await streamInto(fh, body, options);
          header = { key: '', versionId: '', size, etag: md5.toString('hex'), contentType: '', lastModified: Date.now(), metadata: {}, deleteMarker: false };
          await writeVersionTrailer(fh, header);
          if (this.#fsync) await fh.sync();
        } finally {
          await fh.close().catch(() => undefined);
        }
        // The upload may have been aborted or completed meanwhile; the lock orders us against both.
        await this.#withLock(`upload:${uploadId}`, async () => {
          await this.#readUpload(bucket, key, uploadId);
          await rename(tmp, join(this.#uploadDir(uploadId), `part-${partNumber}`));
        });
        return { partNumber, etag: header.etag };
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
    });
  }

  async completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<PutObjectResult> {
    assertBucketName(bucket);
    assertKey(key);
    return this.#guard(() =>
      this.#withLock(`upload:${uploadId}`, async () => {
        const upload = await this.#readUpload(bucket, key, uploadId);
        if (parts.length === 0) throw new ObjectsError('MalformedXML', 'You must specify at least one part.');
        const dir = this.#uploadDir(uploadId);
        const headers: VersionHeader[] = [];
        let previous = 0;
        for (const part of parts) {
          if (!Number.isInteger(part.partNumber) || part.partNumber <= previous) throw new ObjectsError('InvalidPartOrder');
          previous = part.partNumber;
          const h = await this.#readHeader(join(dir, `part-${part.partNumber}`)).catch((err: unknown) => {
            if (isObjectsError(err, 'NoSuchKey')) throw new ObjectsError('InvalidPart');
            throw err;
          });
          if (h.etag !== stripQuotes(part.etag)) throw new ObjectsError('InvalidPart');
          headers.push(h);
        }
        headers.forEach((h, i) => {
          if (i < headers.length - 1 && h.size < this.#minPartSize) throw new ObjectsError('EntityTooSmall');
        });
        const tmp = this.#tmpPath();
        try {
          const out = await open(tmp, 'wx', FILE_MODE);
          let size = 0;
          try {
            for (const part of parts) {
              const src = await open(join(dir, `part-${part.partNumber}`), 'r');
              try {
                const h = headers[parts.indexOf(part)];
                if (!h) throw new ObjectsError('InvalidPart');
                const buf = Buffer.allocUnsafe(1024 * 1024);
                for (let off = 0; off < h.size; ) {
                  const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, h.size - off), off);
                  if (bytesRead === 0) throw new ObjectsError('InternalError', 'Stored part is truncated.');
                  await writeFully(out, buf.subarray(0, bytesRead), size);
                  off += bytesRead;
                  size += bytesRead;
                }
              } finally {
                await src.close();
              }
            }
          } finally {
            await out.close().catch(() => undefined);
          }
          const md5s = Buffer.concat(headers.map((h) => Buffer.from(h.etag, 'hex')));
          const header: VersionHeader = {
            key,
            versionId: '',
            size,
            etag: `${createHash('md5').update(md5s).digest('hex')}-${parts.length}`,
            contentType: upload.contentType,
            lastModified: Date.now(),
            metadata: upload.metadata,
            deleteMarker: false,
          };
          const result = await this.#commit(bucket, key, tmp, header);
          const gone = this.#tmpPath();
          await rename(dir, gone).catch(() => undefined);
          await rm(gone, { recursive: true, force: true });
          return result;
        } finally {
          await unlink(tmp).catch(() => undefined);
        }
      }),
    );
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    assertBucketName(bucket);
    assertKey(key);
    return this.#guard(() =>
      this.#withLock(`upload:${uploadId}`, async () => {
        await this.#readUpload(bucket, key, uploadId);
        const gone = this.#tmpPath();
        await rename(this.#uploadDir(uploadId), gone);
        await rm(gone, { recursive: true, force: true });
      }),
    );
  }

  // ---------------------------------------------------------------- internals

  /** Publishes a temp file holding a body as a new version of `key`. */
  async #commit(bucket: string, key: string, tmp: string, header: VersionHeader): Promise<PutObjectResult> {
    const dir = this.#keyDir(bucket, key);
    return this.#withLock(`key:${dir}`, async () => {
      const versioning = (await this.#readBucket(bucket)).versioning;
      return this.#commitLocked(bucket, key, tmp, header, versioning);
    });
  }

  /** {@link #commit} with the key lock already held. */
  async #commitLocked(bucket: string, key: string, tmp: string, header: VersionHeader, versioning: VersioningStatus | undefined): Promise<PutObjectResult> {
    const dir = this.#keyDir(bucket, key);
    const versionId = versioning === 'Enabled' ? randomBytes(16).toString('base64url') : NULL_VERSION_ID;
    const final: VersionHeader = { ...header, versionId };
    const fh = await open(tmp, 'r+');
    try {
      await writeVersionTrailer(fh, final);
      if (this.#fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const keyFile = join(dir, 'key');
    if (!(await exists(keyFile))) await this.#writeFileAtomic(keyFile, key);
    const existing = await this.#versions(dir);
    const seq = this.#nextSeq(existing.at(-1)?.seq);
    await rename(tmp, join(dir, `${seq}.${versionId}`));
    // [S3 versioning] a write while unversioned or suspended replaces the null version.
    if (versionId === NULL_VERSION_ID) {
      for (const v of existing) if (v.versionId === NULL_VERSION_ID) await unlink(join(dir, v.file)).catch(() => undefined);
    }
    await this.#syncDir(dir);
    return { versionId, etag: final.etag };
  }

  /** Opens the requested (or current) version of a key and reads its header. */
  async #openVersion(bucket: string, key: string, versionId: string | undefined): Promise<{ fh: FileHandle; header: VersionHeader }> {
    await this.#readBucket(bucket);
    const dir = this.#keyDir(bucket, key);
    for (let attempt = 0; attempt < 3; attempt++) {
      const versions = await this.#versions(dir);
      const entry = versionId === undefined ? versions.at(-1) : versions.find((v) => v.versionId === versionId);
      if (!entry) throw new ObjectsError(versionId === undefined ? 'NoSuchKey' : 'NoSuchVersion');
      let fh: FileHandle;
      try {
        fh = await open(join(dir, entry.file), 'r');
      } catch (err) {
        if (hasCode(err, 'ENOENT')) continue; // replaced between readdir and open
        throw err;
      }
      try {
        const header = await readVersionHeader(fh);
        if (header.deleteMarker) {
          // [S3 GetObject] current delete marker → 404; a marker asked for by id → 405.
          throw new ObjectsError(versionId === undefined ? 'NoSuchKey' : 'MethodNotAllowed', undefined, {
            details: { deleteMarker: true, versionId: header.versionId },
          });
        }
        return { fh, header };
      } catch (err) {
        await fh.close().catch(() => undefined);
        throw err;
      }
    }
    throw new ObjectsError('ServiceUnavailable', 'The object changed while it was being read; try again.');
  }

  async #readHeader(path: string): Promise<VersionHeader> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if (hasCode(err, 'ENOENT')) throw new ObjectsError('NoSuchKey');
      throw err;
    }
    try {
      return await readVersionHeader(fh);
    } finally {
      await fh.close();
    }
  }

  async #currentHeader(dir: string): Promise<VersionHeader | undefined> {
    const last = (await this.#versions(dir)).at(-1);
    if (!last) return undefined;
    return this.#readHeader(join(dir, last.file)).catch(() => undefined);
  }

  async #hasLiveObject(dirs: readonly string[]): Promise<boolean> {
    for (const dir of dirs) {
      const h = await this.#currentHeader(dir);
      if (h && !h.deleteMarker) return true;
    }
    return false;
  }

  /** Version files of a key directory, oldest first. */
  async #versions(dir: string): Promise<VersionEntry[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return [];
      throw err;
    }
    const out: VersionEntry[] = [];
    for (const file of names) {
      const m = /^(\d{20})\.([A-Za-z0-9_-]+)$/.exec(file);
      if (m?.[1] !== undefined && m[2] !== undefined) out.push({ file, seq: m[1], versionId: m[2] });
    }
    return out.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  }

  /** Every key directory of a bucket with its key, in S3 list order. */
  async #sortedKeys(bucket: string): Promise<Array<{ key: string; dir: string; bytes: Buffer }>> {
    const keysDir = join(this.#bucketDir(bucket), 'keys');
    const out: Array<{ key: string; dir: string; bytes: Buffer }> = [];
    for (const hash of await readdir(keysDir)) {
      const dir = join(keysDir, hash);
      let key = this.#keyNames.get(hash);
      if (key === undefined) {
        key = await readFile(join(dir, 'key'), 'utf8').catch(() => undefined);
        if (key === undefined) continue;
        this.#keyNames.set(hash, key);
      }
      out.push({ key, dir, bytes: Buffer.from(key, 'utf8') });
    }
    return out.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  }

  async #dropKeyDirIfEmpty(dir: string, remaining: number): Promise<void> {
    if (remaining > 0) return;
    if ((await this.#versions(dir)).length > 0) return;
    await unlink(join(dir, 'key')).catch(() => undefined);
    await rmdir(dir).catch(() => undefined);
    this.#keyNames.delete(basename(dir));
  }

  async #readBucket(bucket: string): Promise<BucketFile> {
    try {
      return JSON.parse(await readFile(join(this.#bucketDir(bucket), 'bucket.json'), 'utf8')) as BucketFile;
    } catch (err) {
      if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) throw new ObjectsError('NoSuchBucket');
      throw err;
    }
  }

  async #readUpload(bucket: string, key: string, uploadId: string): Promise<UploadFile> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(uploadId)) throw new ObjectsError('NoSuchUpload');
    let file: UploadFile;
    try {
      file = JSON.parse(await readFile(join(this.#uploadDir(uploadId), 'upload.json'), 'utf8')) as UploadFile;
    } catch (err) {
      if (hasCode(err, 'ENOENT')) throw new ObjectsError('NoSuchUpload');
      throw err;
    }
    if (file.bucket !== bucket || file.key !== key) throw new ObjectsError('NoSuchUpload');
    return file;
  }

  #alreadyExists(existing: BucketFile, owner: string | undefined): ObjectsError {
    return new ObjectsError(existing.owner === owner ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists');
  }

  async #writeFileAtomic(path: string, data: string): Promise<void> {
    const tmp = this.#tmpPath();
    try {
      const fh = await open(tmp, 'wx', FILE_MODE);
      try {
        await fh.writeFile(data);
        if (this.#fsync) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async #syncDir(dir: string): Promise<void> {
    if (!this.#fsync) return;
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } catch {
      // Some filesystems cannot fsync directories; the rename is still atomic.
    } finally {
      await fh.close();
    }
  }

  /** A sequence number greater than any used before, 20 digits so names sort. */
  #nextSeq(after: string | undefined): string {
    let seq = BigInt(Date.now()) * 1_000_000n;
    if (seq <= this.#lastSeq) seq = this.#lastSeq + 1n;
    if (after !== undefined && seq <= BigInt(after)) seq = BigInt(after) + 1n;
    this.#lastSeq = seq;
    return seq.toString().padStart(20, '0');
  }

  /** Runs `fn` after every earlier holder of `name` finished (in-process mutex). */
  async #withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(name) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#locks.set(name, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(name) === tail) this.#locks.delete(name);
    }
  }

  /** Translates filesystem errors into `ObjectsError`. */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateFsError(err);
    }
  }

  #tmpPath(): string {
    return join(this.#root, TMP_DIR, randomBytes(12).toString('hex'));
  }

  #bucketDir(bucket: string): string {
    return join(this.#root, bucket);
  }

  #keyDir(bucket: string, key: string): string {
    return join(this.#root, bucket, 'keys', createHash('sha256').update(key, 'utf8').digest('hex'));
  }

  #uploadDir(uploadId: string): string {
    return join(this.#root, UPLOADS_DIR, uploadId);
  }
}

/** Thrown from body iteration, so it can be told apart from disk errors. */
class BodyError extends Error {}

/**
 * Streams `body` into `fh` from offset 0, hashing as it goes, and checks the
 * declared length and MD5. Nothing is buffered beyond one chunk.
 */
async function streamInto(
  fh: FileHandle,
  body: ObjectBody,
  options: Pick<PutObjectOptions, 'contentMd5' | 'contentLength'>,
): Promise<{ size: number; md5: Buffer }> {
  const md5 = createHash('md5');
  let size = 0;
  const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  for (;;) {
    let step: IteratorResult<Uint8Array>;
    try {
      step = await iterator.next();
    } catch (err) {
      throw isObjectsError(err) ? err : new BodyError('body stream failed', { cause: err });
    }
    if (step.done) break;
    const chunk = typeof step.value === 'string' ? Buffer.from(step.value) : step.value;
    if (!(chunk instanceof Uint8Array)) throw new TypeError('Object body must yield Uint8Array chunks.');
    md5.update(chunk);
    await writeFully(fh, chunk, size);
    size += chunk.byteLength;
    if (options.contentLength !== undefined && size > options.contentLength) throw new ObjectsError('IncompleteBody');
  }
  if (options.contentLength !== undefined && size !== options.contentLength) throw new ObjectsError('IncompleteBody');
  const digest = md5.digest();
  if (options.contentMd5 !== undefined) {
    const expected = Buffer.from(options.contentMd5, 'base64');
    if (expected.length !== 16) throw new ObjectsError('InvalidDigest');
    if (!expected.equals(digest)) throw new ObjectsError('BadDigest');
  }
  return { size, md5: digest };
}

async function writeFully(fh: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let off = 0;
  while (off < chunk.byteLength) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off, position + off);
    off += bytesWritten;
  }
}

function bodyStream(fh: FileHandle, start: number, end: number): Readable {
  if (end < start) {
    // Empty object: createReadStream cannot express an empty range.
    void fh.close().catch(() => undefined);
    return Readable.from([]);
  }
  // Reading from the open descriptor keeps serving this version even if it is deleted meanwhile.
  return createReadStream('', { fd: fh, start, end, autoClose: true, highWaterMark: 256 * 1024 });
}

function commonPrefixOf(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (delimiter === undefined) return undefined;
  const i = key.indexOf(delimiter, prefix.length);
  return i < 0 ? undefined : key.slice(0, i + delimiter.length);
}

function prefixKeys(keys: ReadonlyArray<{ key: string; dir: string }>, prefix: string): string[] {
  return keys.filter((k) => k.key.startsWith(prefix)).map((k) => k.dir);
}

function toBucketInfo(b: BucketFile): BucketInfo {
  return { name: b.name, createdAt: new Date(b.createdAt), owner: b.owner };
}

function toObjectInfo(h: VersionHeader): ObjectInfo {
  return {
    key: h.key,
    size: h.size,
    etag: h.etag,
    versionId: h.versionId,
    contentType: h.contentType,
    lastModified: new Date(h.lastModified),
    metadata: h.metadata,
  };
}

function stripQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

async function exists(path: string): Promise<boolean> {
  try {
    await (await open(path, 'r')).close();
    return true;
  } catch {
    return false;
  }
}

function hasCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

function translateFsError(err: unknown): Error {
  if (err instanceof ObjectsError || err instanceof TypeError || err instanceof RangeError) return err;
  if (err instanceof BodyError) return new ObjectsError('RequestAborted', undefined, { cause: err.cause });
  if (hasCode(err, 'ENOSPC') || hasCode(err, 'EDQUOT')) return new ObjectsError('ServiceUnavailable', 'Out of storage space.', { cause: err });
  return new ObjectsError('InternalError', undefined, { cause: err });
}
