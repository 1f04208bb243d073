import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, describeObjectStoreContract, expectCode } from '../test-support/object-store-contract.js';
import { createFsObjectStore } from './fs-object-store.js';

const dirs: string[] = [];
async function tempRoot(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'objects-fs-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describeObjectStoreContract('fs', async () => ({
  store: await createFsObjectStore({ root: await tempRoot(), fsync: false }),
  minPartSize: 5 * 1024 * 1024,
}));

describe('filesystem backend specifics', () => {
  it('an aborted write leaves no object and no temp file', async () => {
    const root = await tempRoot();
    const store = await createFsObjectStore({ root });
    await store.createBucket('crash');
    const body = (async function* () {
      yield Buffer.alloc(1 << 20, 1);
      throw new Error('socket hang up');
    })();
    await expectCode(store.putObject('crash', 'fw.bin', body), 'RequestAborted');
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
    expect(await readdir(join(root, 'crash', 'keys'))).toEqual([]);
    await expectCode(store.headObject('crash', 'fw.bin'), 'NoSuchKey');
  });

  it('keys never become paths: traversal keys stay inside the bucket', async () => {
    const root = await tempRoot();
    const store = await createFsObjectStore({ root });
    await store.createBucket('trav');
    await store.putObject('trav', '../../../../outside', (async function* () { yield Buffer.from('x'); })());
    expect((await readdir(root)).sort()).toEqual(['.tmp', '.uploads', 'trav']);
    expect((await collect((await store.getObject('trav', '../../../../outside')).body)).toString()).toBe('x');
  });

  it('temp files left by a crash are removed when the store opens; published objects survive', async () => {
    const root = await tempRoot();
    const a = await createFsObjectStore({ root });
    await a.createBucket('reopen');
    await a.putObject('reopen', 'k', (async function* () { yield Buffer.from('kept'); })());
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(root, '.tmp', 'leftover'), 'half a write');
    const b = await createFsObjectStore({ root });
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
    expect((await collect((await b.getObject('reopen', 'k')).body)).toString()).toBe('kept');
  });

  it('a reader keeps its version while the key is overwritten and deleted', async () => {
    const root = await tempRoot();
    const store = await createFsObjectStore({ root });
    await store.createBucket('race');
    await store.putObject('race', 'k', (async function* () { yield Buffer.alloc(300_000, 7); })());
    const got = await store.getObject('race', 'k');
    await store.putObject('race', 'k', (async function* () { yield Buffer.from('new'); })());
    await store.deleteObject('race', 'k');
    const bytes = await collect(got.body);
    expect(bytes.length).toBe(300_000);
    expect(bytes.every((x) => x === 7)).toBe(true);
  });

  it('rejects empty and over-long keys', async () => {
    const store = await createFsObjectStore({ root: await tempRoot() });
    await store.createBucket('keys');
    await expectCode(store.putObject('keys', '', (async function* () {})()), 'InvalidArgument');
    await expectCode(store.putObject('keys', 'k'.repeat(1025), (async function* () {})()), 'KeyTooLongError');
    await expectCode(store.putObject('keys', 'bad\uD800', (async function* () {})()), 'InvalidArgument');
  });

  it('with dataDir, lives in <dataDir>/objects', async () => {
    const dataDir = await tempRoot();
    const store = await createFsObjectStore({ dataDir });
    await store.createBucket('placed');
    expect(await readdir(join(dataDir, 'objects'))).toContain('placed');
  });

  it('two stores opened on one root serialise their writes to a key', async () => {
    const root = await tempRoot();
    const a = await createFsObjectStore({ root });
    const b = await createFsObjectStore({ root: `${root}/./` });
    await a.createBucket('shared');
    await a.putBucketVersioning('shared', 'Enabled');
    const writes = Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).putObject('shared', 'k', (async function* () { yield Buffer.from(`w${i}`); })()));
    const ids = new Set((await Promise.all(writes)).map((r) => r.versionId));
    expect(ids.size).toBe(10);
    expect((await a.listObjectVersions('shared')).versions).toHaveLength(10);
  });
});
