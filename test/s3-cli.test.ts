/**
 * Interop with the real AWS CLI (`aws`, v1 or v2) against the embedded S3
 * endpoint: the commands a CI job uses to upload firmware and fetch results.
 * Runs once per distinct `aws` on PATH (test/support/tools.ts), since v1 and v2 frame uploads differently.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsObjectStore, startEmbeddedS3, type EmbeddedS3 } from '../src/objects/index.js';
import { createTestAuthenticator, TEST_CREDENTIALS } from '../src/objects/test-support/s3-test-authenticator.js';
import { findToolsOnPath, needTool } from './support/tools.js';

/** Every distinct AWS CLI version on PATH. */
function findAwsClis(): Array<{ bin: string; version: string }> {
  if (needTool('AWS CLI (embedded S3)', 'aws') === undefined) return [];
  const found = new Map<string, string>();
  for (const bin of findToolsOnPath('aws')) {
    const version = /aws-cli\/\S+/.exec(execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[0];
    if (version && !found.has(version)) found.set(version, bin);
  }
  return [...found].map(([version, bin]) => ({ bin, version }));
}

const CLIS = findAwsClis();

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(CLIS.length === 0).each(CLIS)('$version ($bin) against the embedded S3 endpoint', ({ bin, version }) => {
  let server: EmbeddedS3;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const bucket = `cli-v${version.slice('aws-cli/'.length, 'aws-cli/'.length + 1)}-${process.pid}`;

  /** Runs `aws --endpoint-url <server> ...args`; resolves with stdout, rejects with stderr. */
  function aws(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(bin, ['--endpoint-url', server.url, ...args], { env, cwd: dir, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`aws ${args.join(' ')} failed: ${stderr || err.message}`));
        else resolve(stdout);
      });
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'objects-cli-'));
    server = await startEmbeddedS3({ store: await createFsObjectStore({ root: join(dir, 'objects'), fsync: false }), authenticate: createTestAuthenticator() });
    const { accessKeyId, secretAccessKey } = TEST_CREDENTIALS.alice;
    await writeFile(join(dir, 'credentials'), `[default]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\n`);
    await writeFile(join(dir, 'config'), '[default]\nregion = us-east-1\noutput = json\ns3 =\n    addressing_style = path\n');
    // Only what the CLI needs: no inherited credentials, profiles or instance metadata lookups.
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
    };
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('[aws s3 mb] creates a bucket; [aws s3 ls] lists it', async () => {
    expect(await aws('s3', 'mb', `s3://${bucket}`)).toContain(`make_bucket: ${bucket}`);
    expect(await aws('s3', 'ls')).toContain(bucket);
  });

  it('[aws s3api put-bucket-versioning] enables versioning', async () => {
    await aws('s3api', 'put-bucket-versioning', '--bucket', bucket, '--versioning-configuration', 'Status=Enabled');
    expect(JSON.parse(await aws('s3api', 'get-bucket-versioning', '--bucket', bucket))).toEqual({ Status: 'Enabled' });
  });

  it('[aws s3 cp] uploads and downloads a small file', async () => {
    const data = randomBytes(1234);
    await writeFile(join(dir, 'small.bin'), data);
    await aws('s3', 'cp', join(dir, 'small.bin'), `s3://${bucket}/fw/small.bin`);
    await aws('s3', 'cp', `s3://${bucket}/fw/small.bin`, join(dir, 'small.out'));
    expect((await readFile(join(dir, 'small.out'))).equals(data)).toBe(true);
  });

  it('[aws s3 cp] a 20 MB file goes up as a multipart upload and comes down in ranged parts', async () => {
    const data = randomBytes(20 * 1024 * 1024 + 17);
    await writeFile(join(dir, 'big.bin'), data);
    await aws('s3', 'cp', join(dir, 'big.bin'), `s3://${bucket}/fw/big.bin`);
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', bucket, '--key', 'fw/big.bin')) as { ContentLength: number; ETag: string };
    expect(head.ContentLength).toBe(data.length);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-3"$/); // 8 MiB parts: three of them
    await aws('s3', 'cp', `s3://${bucket}/fw/big.bin`, join(dir, 'big.out'));
    expect(sha256(await readFile(join(dir, 'big.out')))).toBe(sha256(data));
  });

  it('[aws s3 cp] keys with spaces, "+", "%" and non-ASCII survive the round trip', async () => {
    const key = 'odd names/a b+c%41 ü.bin';
    await writeFile(join(dir, 'odd.bin'), 'odd');
    await aws('s3', 'cp', join(dir, 'odd.bin'), `s3://${bucket}/${key}`);
    const listed = JSON.parse(await aws('s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', 'odd names/')) as { Contents: Array<{ Key: string }> };
    expect(listed.Contents.map((c) => c.Key)).toEqual([key]);
    await aws('s3', 'cp', `s3://${bucket}/${key}`, join(dir, 'odd.out'));
    expect(await readFile(join(dir, 'odd.out'), 'utf8')).toBe('odd');
  });

  it('[aws s3 ls] lists keys under a prefix', async () => {
    const out = await aws('s3', 'ls', `s3://${bucket}/fw/`);
    expect(out).toMatch(/\b1234 small\.bin/);
    expect(out).toMatch(/\b20971537 big\.bin/);
    expect(await aws('s3', 'ls', `s3://${bucket}`)).toMatch(/PRE fw\/[\s\S]*PRE odd names\//);
  });

  it('[aws s3api list-object-versions] shows every version and delete markers', async () => {
    await writeFile(join(dir, 'v.txt'), 'version two');
    await aws('s3', 'cp', join(dir, 'v.txt'), `s3://${bucket}/fw/small.bin`);
    await aws('s3', 'rm', `s3://${bucket}/fw/small.bin`);
    const out = JSON.parse(await aws('s3api', 'list-object-versions', '--bucket', bucket, '--prefix', 'fw/small.bin')) as {
      Versions: Array<{ Key: string; Size: number; IsLatest: boolean }>;
      DeleteMarkers: Array<{ Key: string; IsLatest: boolean }>;
    };
    expect(out.Versions.map((v) => [v.Key, v.Size, v.IsLatest])).toEqual([
      ['fw/small.bin', 11, false],
      ['fw/small.bin', 1234, false],
    ]);
    expect(out.DeleteMarkers.map((d) => [d.Key, d.IsLatest])).toEqual([['fw/small.bin', true]]);
  });

  it('[aws s3api get-object --range] fetches a byte range', async () => {
    const meta = JSON.parse(await aws('s3api', 'get-object', '--bucket', bucket, '--key', 'fw/big.bin', '--range', 'bytes=100-199', join(dir, 'range.out'))) as {
      ContentRange: string;
      ContentLength: number;
    };
    expect(meta.ContentRange).toBe(`bytes 100-199/${20 * 1024 * 1024 + 17}`);
    const big = await readFile(join(dir, 'big.bin'));
    expect((await readFile(join(dir, 'range.out'))).equals(big.subarray(100, 200))).toBe(true);
  });

  it('[aws s3api get-object] a missing key fails with NoSuchKey', async () => {
    await expect(aws('s3api', 'get-object', '--bucket', bucket, '--key', 'nope', join(dir, 'x'))).rejects.toThrow(/NoSuchKey/);
  });

  it('[aws s3 cp s3->s3][aws s3 mv] copy server-side (CopyObject; UploadPartCopy above 8 MB)', async () => {
    await aws('s3', 'cp', `s3://${bucket}/fw/big.bin`, `s3://${bucket}/copies/big.bin`);
    await aws('s3', 'cp', `s3://${bucket}/copies/big.bin`, join(dir, 'big.copy'));
    expect(sha256(await readFile(join(dir, 'big.copy')))).toBe(sha256(await readFile(join(dir, 'big.bin'))));
    await writeFile(join(dir, 'm.txt'), 'move me');
    await aws('s3', 'cp', join(dir, 'm.txt'), `s3://${bucket}/copies/m.txt`);
    await aws('s3', 'mv', `s3://${bucket}/copies/m.txt`, `s3://${bucket}/moved/m.txt`);
    await aws('s3', 'cp', `s3://${bucket}/moved/m.txt`, join(dir, 'm.out'));
    expect(await readFile(join(dir, 'm.out'), 'utf8')).toBe('move me');
  });

  it('[aws s3 presign] the URL reads the object; the same URL with an unsigned x-amz-* header is AccessDenied', async () => {
    await writeFile(join(dir, 'p.txt'), 'presigned bytes');
    await aws('s3', 'cp', join(dir, 'p.txt'), `s3://${bucket}/presign/p.txt`);
    // aws-cli v1 presigns with SigV2 unless told otherwise; this server speaks SigV4 only.
    await writeFile(join(dir, 'config-v4'), '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n    signature_version = s3v4\n');
    const presigned = await new Promise<string>((resolve, reject) => {
      execFile(bin, ['--endpoint-url', server.url, 's3', 'presign', `s3://${bucket}/presign/p.txt`, '--expires-in', '300'], { env: { ...env, AWS_CONFIG_FILE: join(dir, 'config-v4') }, cwd: dir, timeout: 120_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`aws s3 presign failed: ${stderr || err.message}`)) : resolve(stdout),
      );
    });
    const url = new URL(presigned.trim());
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('presigned bytes');
    const tampered = await fetch(url, { headers: { 'x-amz-meta-extra': 'unsigned' } });
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('[aws s3 rm --recursive][aws s3 rb] empties and removes an unversioned bucket', async () => {
    const scratch = `${bucket}-scratch`;
    await aws('s3', 'mb', `s3://${scratch}`);
    await writeFile(join(dir, 'a.txt'), 'a');
    for (const k of ['x/1.txt', 'x/2.txt', 'y.txt']) await aws('s3', 'cp', join(dir, 'a.txt'), `s3://${scratch}/${k}`);
    const removed = await aws('s3', 'rm', '--recursive', `s3://${scratch}/`);
    expect(removed.match(/^delete: /gm)).toHaveLength(3);
    await aws('s3', 'rb', `s3://${scratch}`);
    expect(await aws('s3', 'ls')).not.toContain(scratch);
  });
});
