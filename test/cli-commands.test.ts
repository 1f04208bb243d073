/**
 * `signer` commands against a running server, through the whole command line (commander) in-process:
 * sign (checks before upload, cleanup after failure, progress lines, --json), verify of the signed
 * object the server wrote, platforms/certificates tables and JSON, keys lifecycle on a running server.
 */
import '../src/sdk/quiet-node-warning.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { CancelSigningProfileCommand, ListSigningPlatformsCommand, PutSigningProfileCommand } from '@aws-sdk/client-signer';
import { runCli } from '../src/cli/program.js';
import { signerClient, startTestServer, type TestServer } from './support/server.js';
import { expectSdkError } from './support/errors.js';
import { lambdaZip } from './support/fixtures.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
let t: TestServer;
let dir: string;
let s3: S3Client;
let certArn: string;
const f = (n: string) => join(dir, n);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli([...argv], { stdout: (s) => (out += s), stderr: (s) => (err += s), env: { SIGNER_DATA_DIR: t.dataDir } });
  return { code, out, err };
}

/** Every object version under uploads/ in every bucket of the admin. */
async function uploads(): Promise<string[]> {
  const bucket = `signer-cli-${t.admin.accessKeyId.toLowerCase()}`;
  try {
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'uploads/' }));
    return [...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])].map((v) => `${v.Key}@${v.VersionId}`);
  } catch (e) {
    if ((e as Error).name === 'NoSuchBucket') return [];
    throw e;
  }
}

beforeAll(async () => {
  t = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'cli-commands-'));
  s3 = new S3Client({ endpoint: t.server.s3Url, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey } });
  expect((await cli('certificates', 'create-test-ca', '--dir', f('ca'))).code).toBe(0);
  expect((await cli('certificates', 'issue', '--ca', f('ca'), '--subject', 'CN=dev signer')).code).toBe(0);
  const imp = await cli('certificates', 'import', '--certificate', f('ca/dev-signer.cert.pem'), '--private-key', f('ca/dev-signer.key.pem'), '--chain', f('ca/dev-signer.chain.pem'), '--json');
  expect(imp.code, imp.err).toBe(0);
  certArn = (JSON.parse(imp.out) as { certificateArn: string }).certificateArn;
  await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'fw', platformId: 'AmazonFreeRTOS-Default', signingMaterial: { certificateArn: certArn } }));
  await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'lambda', platformId: 'AWSLambda-SHA384-ECDSA' }));
  await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'gone', platformId: 'AWSLambda-SHA384-ECDSA' }));
  await t.admin.client.send(new CancelSigningProfileCommand({ profileName: 'gone' }));
  writeFileSync(f('firmware.bin'), Buffer.alloc(300_000, 7));
});
afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('signer sign', () => {
  it('signs end to end; plain progress lines on a non-terminal stderr; --json result; the signed object verifies as is', async () => {
    const r = await cli('sign', '--profile', 'fw', f('firmware.bin'), '-o', f('firmware.signed'), '--json');
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out) as { jobId: string; status: string; output: string; platformId: string };
    expect(result).toMatchObject({ status: 'Succeeded', output: f('firmware.signed'), platformId: 'AmazonFreeRTOS-Default' });
    expect(r.err).toMatch(/^signer sign: upload started \(293\.0 KiB\)/m);
    expect(r.err).toMatch(/^signer sign: upload done in .* 293\.0 KiB at .*\/s$/m);
    expect(r.err).toMatch(/^signer sign: signing started — profile fw \(AmazonFreeRTOS-Default\)$/m);
    expect(r.err).toMatch(/^signer sign: download started/m);
    expect(r.err).toMatch(/^signed by job /m);
    // The phases come in order and never go back.
    const order = ['upload started', 'upload done', 'signing started', 'signing done', 'download started', 'download done'].map((s) => r.err.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order.every((i) => i >= 0)).toBe(true);

    // The JSONEmbedded object: format, signature and method come from it.
    const v = await cli('verify', '--cert', f('ca/dev-signer.cert.pem'), f('firmware.signed'));
    expect(v.code, v.out + v.err).toBe(0);
    expect(v.out).toMatch(/^OK freertos digest=/);
    // A tampered payload inside the object is refused.
    const doc = JSON.parse(readFileSync(f('firmware.signed'), 'utf8')) as { payload: string };
    const bytes = Buffer.from(doc.payload, 'base64');
    bytes[1000] = bytes[1000]! ^ 1;
    writeFileSync(f('tampered.signed'), JSON.stringify({ ...doc, payload: bytes.toString('base64') }));
    const bad = await cli('verify', '--cert', f('ca/dev-signer.cert.pem'), f('tampered.signed'));
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^FAIL SignatureInvalid/);
    // A format that contradicts the object is a usage error.
    expect((await cli('verify', '--format', 'cc3220sf', '--cert', f('ca/dev-signer.cert.pem'), f('firmware.signed'))).code).toBe(2);
  });

  it('a JSONDetached signed object verifies together with the file it signs', async () => {
    await t.admin.client.send(
      new PutSigningProfileCommand({ profileName: 'detached', platformId: 'AmazonFreeRTOS-Default', signingMaterial: { certificateArn: certArn }, overrides: { signingImageFormat: 'JSONDetached' } }),
    ).catch(async () => {
      // The FreeRTOS platform signs JSONEmbedded only; IoT Device Management writes JSONDetached.
      await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'detached', platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA', signingMaterial: { certificateArn: certArn } }));
    });
    const r = await cli('sign', '--profile', 'detached', f('firmware.bin'), '-o', f('firmware.detached.json'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`${f('firmware.detached.json')}\n`);
    const doc = JSON.parse(readFileSync(f('firmware.detached.json'), 'utf8')) as { payload?: string; digest?: string };
    expect(doc.payload).toBeUndefined();
    expect(doc.digest).toBeDefined();
    const v = await cli('verify', '--cert', f('ca/dev-signer.cert.pem'), f('firmware.detached.json'), f('firmware.bin'));
    expect(v.code, v.out + v.err).toBe(0);
    const missing = await cli('verify', '--cert', f('ca/dev-signer.cert.pem'), f('firmware.detached.json'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/JSONDetached signed object: give the signed file too/);
  });

  it('an unknown or canceled profile, or a file over the platform limit, fails before anything is uploaded', async () => {
    const before = await uploads();
    const unknown = await cli('sign', '--profile', 'nosuch', f('firmware.bin'));
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/signing profile 'nosuch' does not exist/);
    const canceled = await cli('sign', '--profile', 'gone', f('firmware.bin'));
    expect(canceled.code).toBe(1);
    expect(canceled.err).toMatch(/signing profile 'gone' is Canceled/);
    writeFileSync(f('big.bin'), '');
    truncateSync(f('big.bin'), 17 * 1024 * 1024); // sparse: FreeRTOS takes 16 MB
    const big = await cli('sign', '--profile', 'fw', f('big.bin'));
    expect(big.code).toBe(1);
    expect(big.err).toMatch(/big\.bin is 17\.0 MiB; platform AmazonFreeRTOS-Default \(profile 'fw'\) signs files up to 16 MB\. Nothing was uploaded\./);
    for (const r of [unknown, canceled, big]) expect(r.err).not.toMatch(/upload started/);
    expect(await uploads()).toEqual(before);
  });

  it('a job that fails after the upload leaves no upload behind', async () => {
    const before = await uploads();
    // Not a zip: the Lambda platform fails the job after the upload.
    const r = await cli('sign', '--profile', 'lambda', f('firmware.bin'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/upload started/);
    expect(r.err).toMatch(/^signer sign: signing job [0-9a-f-]+ failed: /m);
    expect(await uploads()).toEqual(before);
    // and a good package still signs
    writeFileSync(f('fn.zip'), lambdaZip());
    expect((await cli('sign', '--profile', 'lambda', f('fn.zip'))).code).toBe(0);
  });
});

describe('signer sign interrupted', () => {
  it('Ctrl-C during the upload or the wait removes the upload and exits 1', async () => {
    const before = await uploads();
    writeFileSync(f('interrupted.bin'), Buffer.alloc(12 * 1024 * 1024, 3));
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'sign', '--profile', 'fw', f('interrupted.bin'), '--data-dir', t.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const started = new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('upload started')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await started;
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(err).toMatch(/^signer sign: interrupted by SIGINT: the upload was removed, no signed object was written\.$/m);
    expect(await uploads()).toEqual(before);
  }, 120_000);
});

describe('listings', () => {
  it('platforms and certificates list: an aligned table by default, JSON with --json', async () => {
    const table = await cli('platforms');
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^PLATFORM +PARTNER +ALGORITHMS +FORMATS +MAX MB$/m);
    expect(table.out).toMatch(/^AmazonFreeRTOS-Default +AmazonFreeRTOS +ECDSA,RSA\/SHA256 +JSONEmbedded +16$/m);
    const json = JSON.parse((await cli('platforms', '--json')).out) as { platformId: string }[];
    const sdk = await t.admin.client.send(new ListSigningPlatformsCommand({}));
    expect(json.map((p) => p.platformId).sort()).toEqual(sdk.platforms!.map((p) => p.platformId).sort());
    const certs = await cli('certificates', 'list');
    expect(certs.out).toMatch(/^CERTIFICATE ARN +SUBJECT +KEY +STATUS +NOT AFTER$/m);
    expect(certs.out).toContain(certArn);
    expect(JSON.parse((await cli('certificates', 'list', '--json')).out)).toEqual([expect.objectContaining({ certificateArn: certArn, keyAlgorithm: 'EC_prime256v1', status: 'ISSUED' })]);
  });
});

describe('signer keys (a running server sees every change on the next request)', () => {
  it('create → works; deactivate → refused on the next request; delete needs deactivation or --force; list shows status', async () => {
    const created = await cli('keys', 'create', '--account-id', t.admin.accountId);
    expect(created.code, created.err).toBe(0);
    const key = JSON.parse(created.out) as { accessKeyId: string; secretAccessKey: string };
    const client = signerClient(t.url, key.accessKeyId, key.secretAccessKey);
    await client.send(new ListSigningPlatformsCommand({})); // the server caches this key's secret now

    const list = JSON.parse((await cli('keys', 'list', '--json')).out) as { accessKeyId: string; status: string; secretSealed?: unknown }[];
    expect(list.find((k) => k.accessKeyId === key.accessKeyId)).toMatchObject({ status: 'Active' });
    expect(JSON.stringify(list)).not.toContain(key.secretAccessKey);
    expect(list.every((k) => k.secretSealed === undefined)).toBe(true);

    const refused = await cli('keys', 'delete', key.accessKeyId);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/is Active: deactivate it first/);

    expect((await cli('keys', 'deactivate', key.accessKeyId)).code).toBe(0);
    await expectSdkError(client.send(new ListSigningPlatformsCommand({})), 'UnrecognizedClientException', 403);
    expect((await cli('keys', 'list')).out).toMatch(new RegExp(`^${key.accessKeyId} +${t.admin.accountId} +Inactive `, 'm'));

    expect((await cli('keys', 'delete', key.accessKeyId)).code).toBe(0);
    await expectSdkError(client.send(new ListSigningPlatformsCommand({})), 'UnrecognizedClientException', 403);
    expect((await cli('keys', 'list')).out).not.toContain(key.accessKeyId);
    expect((await cli('keys', 'delete', key.accessKeyId)).err).toMatch(/does not exist/);

    // --force deletes an Active key, refused on its next request too (S3 as well).
    const other = JSON.parse((await cli('keys', 'create', '--account-id', t.admin.accountId)).out) as { accessKeyId: string; secretAccessKey: string };
    const otherS3 = new S3Client({ endpoint: t.server.s3Url, forcePathStyle: true, region: 'us-east-1', maxAttempts: 1, credentials: other });
    await otherS3.send(new ListObjectVersionsCommand({ Bucket: `signer-cli-${t.admin.accessKeyId.toLowerCase()}` }));
    expect((await cli('keys', 'delete', other.accessKeyId, '--force')).code).toBe(0);
    await expect(otherS3.send(new ListObjectVersionsCommand({ Bucket: `signer-cli-${t.admin.accessKeyId.toLowerCase()}` }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });

  it('accounts create and list', async () => {
    const r = await cli('accounts', 'create', '--name', 'partner', '--account-id', '111122223333', '--write-profile', 'partner');
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(t.dataDir, 'credentials'), 'utf8')).toContain('[partner]');
    expect((await cli('accounts', 'list')).out).toMatch(/^111122223333 +partner /m);
    expect(JSON.parse((await cli('accounts', 'list', '--json')).out)).toEqual(expect.arrayContaining([expect.objectContaining({ accountId: '111122223333', name: 'partner' })]));
    expect((await cli('accounts', 'create', '--name', 'x', '--account-id', '12')).code).toBe(2);
  });
});
