/**
 * The one contract suite every {@link ObjectStore} backend must pass (in the
 * manner of aedes-persistence's abstract suite). A backend's test file calls
 * {@link describeObjectStoreContract} with a factory; nothing here knows which
 * backend it runs against.
 *
 * Test names cite the S3 operation whose behaviour they pin down.
 *
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../object-store.types.js';
import { ObjectsError, type ObjectsErrorCode } from '../objects-error.js';

/** What a backend's test hands the contract suite. */
export interface ContractHarness {
  readonly store: ObjectStore;
  /** Smallest part size the backend accepts for all parts but the last. */
  readonly minPartSize: number;
  /** Called once after the suite. */
  readonly close?: () => Promise<void>;
}

let bucketCounter = 0;
/** A bucket name no other test in this process uses. */
export function uniqueBucket(tag = 'c'): string {
  bucketCounter += 1;
  return `${tag}-${process.pid}-${bucketCounter}-${randomBytes(3).toString('hex')}`;
}

/** Collects a stream into one buffer (test objects are small). */
export async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** Asserts that `p` rejects with an `ObjectsError` carrying `code`. */
export async function expectCode(p: Promise<unknown>, code: ObjectsErrorCode): Promise<ObjectsError> {
  const err = await p.then(
    () => {
      throw new Error(`expected ${code}, but the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ObjectsError);
  expect((err as ObjectsError).code).toBe(code);
  return err as ObjectsError;
}

function md5hex(b: Uint8Array): string {
  return createHash('md5').update(b).digest('hex');
}

/** An async iterable that yields `data` in `pieces` chunks. */
function chunked(data: Buffer, pieces: number): AsyncIterable<Uint8Array> {
  return (async function* () {
    const step = Math.ceil(data.length / pieces) || 1;
    for (let i = 0; i < data.length; i += step) yield data.subarray(i, i + step);
  })();
}

/** A body that yields some bytes, then fails like a dropped connection. */
function failingBody(bytes: number): AsyncIterable<Uint8Array> {
  return (async function* () {
    yield randomBytes(bytes);
    await new Promise((r) => setTimeout(r, 5));
    throw new Error('connection reset by peer');
  })();
}

/**
 * Registers the contract tests for one backend.
 *
 * @param name - shown in the test report, e.g. `'fs'`.
 * @param setup - builds a fresh store; runs once before the suite.
 */
export function describeObjectStoreContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let h: ContractHarness;
    let store: ObjectStore;
    beforeAll(async () => {
      h = await setup();
      store = h.store;
    });
    afterAll(async () => {
      await h?.close?.();
    });

    async function bucket(versioning?: 'Enabled'): Promise<string> {
      const b = uniqueBucket(name.replace(/[^a-z0-9]/g, '').slice(0, 6) || 'c');
      await store.createBucket(b, { owner: '111122223333' });
      if (versioning) await store.putBucketVersioning(b, versioning);
      return b;
    }

    it('[CreateBucket] a second create by the owner is BucketAlreadyOwnedByYou; HeadBucket sees it', async () => {
      const b = await bucket();
      await expectCode(store.createBucket(b, { owner: '111122223333' }), 'BucketAlreadyOwnedByYou');
      expect((await store.headBucket(b)).name).toBe(b);
      expect((await store.listBuckets()).map((x) => x.name)).toContain(b);
    });

    it('[CreateBucket] names outside the S3 rules are InvalidBucketName', async () => {
      for (const bad of ['ab', 'UPPER', '..', 'a..b', '-abc', 'abc-', '192.168.1.1', 'a/b', '.tmp', 'x'.repeat(64)]) {
        await expectCode(store.createBucket(bad), 'InvalidBucketName');
      }
    });

    it('[HeadBucket][GetObject][PutObject] a missing bucket is NoSuchBucket', async () => {
      const b = uniqueBucket('missing');
      await expectCode(store.headBucket(b), 'NoSuchBucket');
      await expectCode(store.getObject(b, 'k'), 'NoSuchBucket');
      await expectCode(store.putObject(b, 'k', chunked(Buffer.from('x'), 1)), 'NoSuchBucket');
      await expectCode(store.listObjectsV2(b), 'NoSuchBucket');
    });

    it('[PutObject][GetObject] round-trips bytes, etag, type, metadata; unversioned version id is "null"', async () => {
      const b = await bucket();
      const data = randomBytes(70_000);
      const put = await store.putObject(b, 'fw/app.bin', chunked(data, 7), {
        contentType: 'application/x-firmware',
        metadata: { 'Build-Id': '42' },
      });
      expect(put).toEqual({ versionId: 'null', etag: md5hex(data) });
      const got = await store.getObject(b, 'fw/app.bin');
      expect(await collect(got.body)).toEqual(data);
      expect(got).toMatchObject({ key: 'fw/app.bin', size: data.length, etag: md5hex(data), versionId: 'null', contentType: 'application/x-firmware' });
      expect(got.metadata).toEqual({ 'build-id': '42' });
      expect(Math.abs(got.lastModified.getTime() - Date.now())).toBeLessThan(60_000);
      const head = await store.headObject(b, 'fw/app.bin');
      expect(head).toMatchObject({ size: data.length, etag: md5hex(data), contentType: 'application/x-firmware' });
    });

    it('[PutObject] accepts a Node Readable and an empty body', async () => {
      const b = await bucket();
      await store.putObject(b, 'r', Readable.from([Buffer.from('hello '), Buffer.from('world')]));
      expect((await collect((await store.getObject(b, 'r')).body)).toString()).toBe('hello world');
      const empty = await store.putObject(b, 'empty', chunked(Buffer.alloc(0), 1));
      expect(empty.etag).toBe(md5hex(Buffer.alloc(0)));
      const got = await store.getObject(b, 'empty');
      expect(got.size).toBe(0);
      expect((await collect(got.body)).length).toBe(0);
    });

    it('[PutObject] Content-MD5 is checked: a mismatch is BadDigest and leaves no object', async () => {
      const b = await bucket();
      const data = Buffer.from('firmware image');
      const good = createHash('md5').update(data).digest('base64');
      await store.putObject(b, 'ok', chunked(data, 2), { contentMd5: good });
      const wrong = createHash('md5').update('other').digest('base64');
      await expectCode(store.putObject(b, 'bad', chunked(data, 2), { contentMd5: wrong }), 'BadDigest');
      await expectCode(store.headObject(b, 'bad'), 'NoSuchKey');
    });

    it('[PutObject] a body that fails mid-stream leaves no object and keeps the previous version', async () => {
      const b = await bucket();
      await expect(store.putObject(b, 'partial', failingBody(100_000))).rejects.toBeInstanceOf(ObjectsError);
      await expectCode(store.headObject(b, 'partial'), 'NoSuchKey');
      await store.putObject(b, 'kept', chunked(Buffer.from('v1'), 1));
      await expect(store.putObject(b, 'kept', failingBody(50_000), { contentLength: 200_000 })).rejects.toBeInstanceOf(ObjectsError);
      expect((await collect((await store.getObject(b, 'kept')).body)).toString()).toBe('v1');
      const listed = await store.listObjectsV2(b);
      expect(listed.objects.map((o) => o.key)).toEqual(['kept']);
    });

    it('[PutObject] a body of declared length streams through; a wrong length is IncompleteBody', async () => {
      const b = await bucket();
      const data = randomBytes(200_000);
      const put = await store.putObject(b, 'sized', Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { contentLength: data.length });
      expect(put.etag).toBe(md5hex(data));
      expect((await collect((await store.getObject(b, 'sized')).body)).equals(data)).toBe(true);
      await expect(store.putObject(b, 'short', chunked(data, 3), { contentLength: data.length + 1 })).rejects.toBeInstanceOf(ObjectsError);
      await expectCode(store.headObject(b, 'short'), 'NoSuchKey');
    });

    it('[Versioning] concurrent writes to one key each get their own version', async () => {
      const b = await bucket('Enabled');
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.putObject(b, 'busy', chunked(Buffer.from(`w${i}`), 1))));
      const ids = new Set(results.map((r) => r.versionId));
      expect(ids.size).toBe(8);
      const listed = await store.listObjectVersions(b, { prefix: 'busy' });
      expect(new Set(listed.versions.map((v) => v.versionId))).toEqual(ids);
      expect(listed.versions.filter((v) => v.isLatest)).toHaveLength(1);
    });

    it('[ListObjectVersions] delimiter rolls keys up into common prefixes', async () => {
      const b = await bucket('Enabled');
      for (const k of ['fw/a', 'fw/b', 'top']) await store.putObject(b, k, chunked(Buffer.from(k), 1));
      const page = await store.listObjectVersions(b, { delimiter: '/' });
      expect(page.commonPrefixes).toEqual(['fw/']);
      expect(page.versions.map((v) => v.key)).toEqual(['top']);
    });

    it('[GetObject] Range: first-last, open-ended and suffix ranges; past the end is InvalidRange', async () => {
      const b = await bucket();
      const data = randomBytes(1000);
      await store.putObject(b, 'r', chunked(data, 3));
      const a = await store.getObject(b, 'r', { range: { start: 10, end: 19 } });
      expect(a.range).toEqual({ start: 10, end: 19 });
      expect(a.size).toBe(1000);
      expect(await collect(a.body)).toEqual(data.subarray(10, 20));
      const open = await store.getObject(b, 'r', { range: { start: 990 } });
      expect(await collect(open.body)).toEqual(data.subarray(990));
      const clipped = await store.getObject(b, 'r', { range: { start: 995, end: 5000 } });
      expect(clipped.range).toEqual({ start: 995, end: 999 });
      expect(await collect(clipped.body)).toEqual(data.subarray(995));
      const suffix = await store.getObject(b, 'r', { range: { suffixLength: 16 } });
      expect(await collect(suffix.body)).toEqual(data.subarray(984));
      await expectCode(store.getObject(b, 'r', { range: { start: 1000 } }), 'InvalidRange');
    });

    it('[GetObject][HeadObject] a missing key is NoSuchKey', async () => {
      const b = await bucket();
      await expectCode(store.getObject(b, 'nope'), 'NoSuchKey');
      await expectCode(store.headObject(b, 'nope'), 'NoSuchKey');
    });

    it('[PutObject] keys with spaces, unicode, "+", "%", "?", "#" and dot segments round-trip as keys, not paths', async () => {
      const b = await bucket();
      const keys = ['a b/c+d%20e?x=1&y#z', 'ünïcødé/ファイル.bin', '../../../etc/passwd', './x/../y', 'trailing/', '/leading'];
      for (const k of keys) await store.putObject(b, k, chunked(Buffer.from(k), 1));
      for (const k of keys) expect((await collect((await store.getObject(b, k)).body)).toString()).toBe(k);
      const listed = await store.listObjectsV2(b);
      expect(listed.objects.map((o) => o.key).sort()).toEqual([...keys].sort());
    });

    it('[PutObject] unversioned overwrite replaces the null version', async () => {
      const b = await bucket();
      await store.putObject(b, 'k', chunked(Buffer.from('one'), 1));
      await store.putObject(b, 'k', chunked(Buffer.from('two'), 1));
      expect((await collect((await store.getObject(b, 'k')).body)).toString()).toBe('two');
      const v = await store.listObjectVersions(b);
      expect(v.versions.map((x) => [x.key, x.versionId, x.isLatest])).toEqual([['k', 'null', true]]);
    });

    it('[DeleteObject] unversioned delete removes the object; deleting a missing key succeeds', async () => {
      const b = await bucket();
      await store.putObject(b, 'k', chunked(Buffer.from('x'), 1));
      expect((await store.deleteObject(b, 'k')).deleteMarker).toBe(false);
      await expectCode(store.getObject(b, 'k'), 'NoSuchKey');
      await store.deleteObject(b, 'never-existed');
      expect((await store.listObjectVersions(b)).versions).toEqual([]);
    });

    it('[PutBucketVersioning][GetBucketVersioning] unset, Enabled, Suspended', async () => {
      const b = await bucket();
      expect(await store.getBucketVersioning(b)).toBeUndefined();
      await store.putBucketVersioning(b, 'Enabled');
      expect(await store.getBucketVersioning(b)).toBe('Enabled');
      await store.putBucketVersioning(b, 'Suspended');
      expect(await store.getBucketVersioning(b)).toBe('Suspended');
    });

    it('[Versioning] versions are immutable, delete adds a marker, old versions stay readable', async () => {
      const b = await bucket('Enabled');
      const v1 = await store.putObject(b, 'fw', chunked(Buffer.from('v1'), 1));
      const v2 = await store.putObject(b, 'fw', chunked(Buffer.from('v2'), 1));
      expect(v1.versionId).not.toBe('null');
      expect(v2.versionId).not.toBe(v1.versionId);
      expect((await collect((await store.getObject(b, 'fw')).body)).toString()).toBe('v2');
      expect((await collect((await store.getObject(b, 'fw', { versionId: v1.versionId })).body)).toString()).toBe('v1');
      expect((await store.headObject(b, 'fw', { versionId: v1.versionId })).versionId).toBe(v1.versionId);

      const del = await store.deleteObject(b, 'fw');
      expect(del.deleteMarker).toBe(true);
      expect(del.versionId).toBeTruthy();
      const err = await expectCode(store.getObject(b, 'fw'), 'NoSuchKey');
      expect(err.details.deleteMarker ?? true).toBe(true);
      expect((await store.listObjectsV2(b)).objects).toEqual([]);
      expect((await collect((await store.getObject(b, 'fw', { versionId: v2.versionId })).body)).toString()).toBe('v2');

      const listed = await store.listObjectVersions(b);
      expect(listed.versions.map((v) => [v.versionId, v.isLatest, v.deleteMarker])).toEqual([
        [del.versionId, true, true],
        [v2.versionId, false, false],
        [v1.versionId, false, false],
      ]);
      expect(listed.versions[1]).toMatchObject({ size: 2, etag: md5hex(Buffer.from('v2')) });

      // Removing the marker by id brings v2 back; removing v1 by id is permanent.
      await store.deleteObject(b, 'fw', { versionId: del.versionId! });
      expect((await collect((await store.getObject(b, 'fw')).body)).toString()).toBe('v2');
      await store.deleteObject(b, 'fw', { versionId: v1.versionId });
      await expectCode(store.getObject(b, 'fw', { versionId: v1.versionId }), 'NoSuchVersion');
      expect((await store.listObjectVersions(b)).versions.map((v) => v.versionId)).toEqual([v2.versionId]);
    });

    it('[Versioning] Suspended writes get version id "null" and keep older versions', async () => {
      const b = await bucket('Enabled');
      const v1 = await store.putObject(b, 'k', chunked(Buffer.from('v1'), 1));
      await store.putBucketVersioning(b, 'Suspended');
      const n1 = await store.putObject(b, 'k', chunked(Buffer.from('n1'), 1));
      const n2 = await store.putObject(b, 'k', chunked(Buffer.from('n2'), 1));
      expect([n1.versionId, n2.versionId]).toEqual(['null', 'null']);
      const listed = await store.listObjectVersions(b);
      expect(listed.versions.map((v) => [v.versionId, v.isLatest])).toEqual([
        ['null', true],
        [v1.versionId, false],
      ]);
      expect((await collect((await store.getObject(b, 'k', { versionId: 'null' })).body)).toString()).toBe('n2');
    });

    it('[ListObjectsV2] prefix, delimiter, UTF-8 key order and continuation tokens', async () => {
      const b = await bucket();
      const keys = ['a/1', 'a/2', 'a/b/3', 'b', 'c/x', 'c/y', 'd', 'é', 'z', '\u{1F600}', '\uFFFD'];
      for (const k of keys) await store.putObject(b, k, chunked(Buffer.from(k), 1));
      const all = await store.listObjectsV2(b);
      const byteOrder = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect(all.objects.map((o) => o.key)).toEqual(byteOrder);
      expect(all.isTruncated).toBe(false);
      expect(all.objects[0]).toMatchObject({ size: 3, etag: md5hex(Buffer.from('a/1')) });

      const rolled = await store.listObjectsV2(b, { delimiter: '/' });
      expect(rolled.commonPrefixes).toEqual(['a/', 'c/']);
      expect(rolled.objects.map((o) => o.key)).toEqual(['b', 'd', 'z', 'é', '\uFFFD', '\u{1F600}']);

      const underA = await store.listObjectsV2(b, { prefix: 'a/', delimiter: '/' });
      expect(underA.objects.map((o) => o.key)).toEqual(['a/1', 'a/2']);
      expect(underA.commonPrefixes).toEqual(['a/b/']);

      // Pages of two, with prefixes counting towards the page size.
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await store.listObjectsV2(b, { delimiter: '/', maxKeys: 2, ...(token ? { continuationToken: token } : {}) });
        seen.push(...page.commonPrefixes, ...page.objects.map((o) => o.key));
        expect(page.objects.length + page.commonPrefixes.length).toBeLessThanOrEqual(2);
        token = page.isTruncated ? page.nextContinuationToken : undefined;
        if (page.isTruncated) expect(token).toBeTruthy();
        pages += 1;
      } while (token && pages < 20);
      expect(seen.sort()).toEqual(['a/', 'b', 'c/', 'd', 'z', 'é', '\uFFFD', '\u{1F600}'].sort());
      expect(pages).toBe(4);

      const after = await store.listObjectsV2(b, { startAfter: 'c/x' });
      expect(after.objects[0]?.key).toBe('c/y');
    });

    it('[ListObjectVersions] pages with key and version-id markers visit every version once', async () => {
      const b = await bucket('Enabled');
      const written: string[] = [];
      for (const k of ['a', 'b', 'c']) {
        for (let i = 0; i < 3; i++) written.push(`${k}:${(await store.putObject(b, k, chunked(Buffer.from(`${k}${i}`), 1))).versionId}`);
      }
      const seen: string[] = [];
      let marker: { keyMarker?: string; versionIdMarker?: string } = {};
      for (let pages = 0; pages < 20; pages++) {
        const page = await store.listObjectVersions(b, { maxKeys: 2, ...marker });
        seen.push(...page.versions.map((v) => `${v.key}:${v.versionId}`));
        if (!page.isTruncated) break;
        marker = { keyMarker: page.nextKeyMarker!, ...(page.nextVersionIdMarker ? { versionIdMarker: page.nextVersionIdMarker } : {}) };
      }
      expect(seen.sort()).toEqual(written.sort());
      const onlyB = await store.listObjectVersions(b, { prefix: 'b' });
      expect(onlyB.versions.map((v) => v.isLatest)).toEqual([true, false, false]);
    });

    it('[CreateMultipartUpload][UploadPart][CompleteMultipartUpload] joins parts atomically with an md5-of-md5s etag', async () => {
      const b = await bucket();
      const p1 = randomBytes(h.minPartSize);
      const p2 = randomBytes(1234);
      const { uploadId } = await store.createMultipartUpload(b, 'mp', { contentType: 'application/x-mp', metadata: { a: 'b' } });
      const u2 = await store.uploadPart(b, 'mp', uploadId, 2, chunked(p2, 2));
      const u1 = await store.uploadPart(b, 'mp', uploadId, 1, chunked(p1, 4));
      await expectCode(store.headObject(b, 'mp'), 'NoSuchKey');
      await expectCode(store.completeMultipartUpload(b, 'mp', uploadId, [u2, u1]), 'InvalidPartOrder');
      await expectCode(store.completeMultipartUpload(b, 'mp', uploadId, [u1, { partNumber: 2, etag: md5hex(Buffer.from('x')) }]), 'InvalidPart');
      const done = await store.completeMultipartUpload(b, 'mp', uploadId, [u1, u2]);
      const expectedEtag = `${createHash('md5').update(Buffer.concat([Buffer.from(u1.etag, 'hex'), Buffer.from(u2.etag, 'hex')])).digest('hex')}-2`;
      expect(done.etag).toBe(expectedEtag);
      const got = await store.getObject(b, 'mp');
      expect(got).toMatchObject({ size: p1.length + p2.length, etag: expectedEtag, contentType: 'application/x-mp' });
      expect(got.metadata).toEqual({ a: 'b' });
      expect((await collect(got.body)).equals(Buffer.concat([p1, p2]))).toBe(true);
      await expectCode(store.uploadPart(b, 'mp', uploadId, 3, chunked(p2, 1)), 'NoSuchUpload');
    });

    it('[AbortMultipartUpload] discards the upload; nothing becomes visible', async () => {
      const b = await bucket();
      const { uploadId } = await store.createMultipartUpload(b, 'gone');
      await store.uploadPart(b, 'gone', uploadId, 1, chunked(Buffer.from('part'), 1));
      await store.abortMultipartUpload(b, 'gone', uploadId);
      await expectCode(store.completeMultipartUpload(b, 'gone', uploadId, [{ partNumber: 1, etag: md5hex(Buffer.from('part')) }]), 'NoSuchUpload');
      await expectCode(store.headObject(b, 'gone'), 'NoSuchKey');
    });

    it('[PutObject] a multi-MB object streams in and out intact', async () => {
      const b = await bucket();
      const data = randomBytes(h.minPartSize * 2 + 333);
      const put = await store.putObject(b, 'big.bin', chunked(data, 40));
      expect(put.etag).toMatch(/^[0-9a-f]{32}(-\d+)?$/);
      const got = await store.getObject(b, 'big.bin');
      expect(got.size).toBe(data.length);
      expect(createHash('sha256').update(await collect(got.body)).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      const tail = await store.getObject(b, 'big.bin', { range: { start: data.length - 10 } });
      expect(await collect(tail.body)).toEqual(data.subarray(data.length - 10));
    });

    it('[DeleteBucket] an empty bucket can be deleted; a non-empty one is BucketNotEmpty', async () => {
      const b = await bucket();
      await store.putObject(b, 'k', chunked(Buffer.from('x'), 1));
      await expectCode(store.deleteBucket(b), 'BucketNotEmpty');
      await store.deleteObject(b, 'k');
      await store.deleteBucket(b);
      await expectCode(store.headBucket(b), 'NoSuchBucket');
    });
  });
}
