import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsObjectStore } from '../fs/fs-object-store.js';
import { startEmbeddedS3 } from '../http/embedded-s3.js';
import { collect, describeObjectStoreContract } from '../test-support/object-store-contract.js';
import { createTestAuthenticator, TEST_CREDENTIALS } from '../test-support/s3-test-authenticator.js';
import { createS3ObjectStore } from './s3-object-store.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

// The S3 client backend, pointed at the embedded endpoint: proves both sides
// speak the same wire protocol as @aws-sdk/client-s3 with its defaults.
describeObjectStoreContract('s3 client -> embedded endpoint', async () => {
  const root = await mkdtemp(join(tmpdir(), 'objects-s3-'));
  dirs.push(root);
  const server = await startEmbeddedS3({
    store: await createFsObjectStore({ root, fsync: false }),
    authenticate: createTestAuthenticator(),
    onError: (err) => console.error('embedded S3 internal error', err),
  });
  const { accessKeyId, secretAccessKey } = TEST_CREDENTIALS.alice;
  return {
    store: createS3ObjectStore({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, partSize: 5 * 1024 * 1024 }),
    minPartSize: 5 * 1024 * 1024,
    close: () => server.close(),
  };
});

describe('S3 backend options', () => {
  it('requestChecksumCalculation WHEN_REQUIRED uploads streams and buffers without checksum trailers', async () => {
    const root = await mkdtemp(join(tmpdir(), 'objects-s3-wr-'));
    dirs.push(root);
    const server = await startEmbeddedS3({ store: await createFsObjectStore({ root, fsync: false }), authenticate: createTestAuthenticator() });
    try {
      const { accessKeyId, secretAccessKey } = TEST_CREDENTIALS.alice;
      const store = createS3ObjectStore({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, requestChecksumCalculation: 'WHEN_REQUIRED' });
      await store.createBucket('when-required');
      const data = randomBytes(100_000);
      await store.putObject('when-required', 'sized', Readable.from([data]), { contentLength: data.length });
      await store.putObject('when-required', 'buffered', (async function* () { yield data; })());
      for (const k of ['sized', 'buffered']) expect((await collect((await store.getObject('when-required', k)).body)).equals(data)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('rejects a part size below 5 MiB', () => {
    expect(() => createS3ObjectStore({ region: 'us-east-1', partSize: 1024 })).toThrow(RangeError);
  });
});
