/**
 * `signer verify --format lambda-zip --mode Warn|Enforce` (formerly `signer verify-lambda`, still a hidden
 * alias) against packages signed by a real server (StartSigningJob on AWSLambda-SHA384-ECDSA), with
 * revocation asked of that server over HTTP. Every cryptographic check is firmware-verifier's.
 */
import '../../sdk/quiet-node-warning.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeSigningJobCommand, PutSigningProfileCommand, RevokeSignatureCommand, RevokeSigningProfileCommand, StartSigningJobCommand } from '@aws-sdk/client-signer';
import { strToU8, zipSync } from 'fflate';
import { createTestCa } from '../../keys/index.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { runCli } from '../program.js';

let t: TestServer;
let dir: string;
let s3: S3Client;
const f = (n: string) => join(dir, n);
const jobs: Record<string, { jobId: string; profileVersionArn: string }> = {};

async function signPackage(name: string, body: Uint8Array): Promise<void> {
  const profileName = `vl_${name}`;
  const p = await t.admin.client.send(new PutSigningProfileCommand({ profileName, platformId: 'AWSLambda-SHA384-ECDSA' }));
  const put = await s3.send(new PutObjectCommand({ Bucket: 'src', Key: `${name}.zip`, Body: body }));
  const { jobId } = await t.admin.client.send(
    new StartSigningJobCommand({ source: { s3: { bucketName: 'src', key: `${name}.zip`, version: put.VersionId! } }, destination: { s3: { bucketName: 'dst' } }, profileName }),
  );
  await t.server.jobs.drain();
  const job = await t.admin.client.send(new DescribeSigningJobCommand({ jobId }));
  expect(job.status, job.statusReason).toBe('Succeeded');
  const obj = await s3.send(new GetObjectCommand({ Bucket: 'dst', Key: job.signedObject!.s3!.key! }));
  writeFileSync(f(`${name}.signed.zip`), await obj.Body!.transformToByteArray());
  jobs[name] = { jobId: jobId!, profileVersionArn: p.profileVersionArn! };
}

beforeAll(async () => {
  t = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'verify-lambda-'));
  s3 = new S3Client({ endpoint: t.server.s3Url, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey } });
  await s3.send(new CreateBucketCommand({ Bucket: 'src' }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: 'src', VersioningConfiguration: { Status: 'Enabled' } }));
  await s3.send(new CreateBucketCommand({ Bucket: 'dst' }));
  const pkg = zipSync({ 'index.js': [strToU8('exports.handler = async () => "hello";\n'.repeat(20)), { level: 0 }] });
  writeFileSync(f('unsigned.zip'), pkg);
  await signPackage('good', pkg);
  await signPackage('revoked', pkg);
  await signPackage('revokedprofile', pkg);
  writeFileSync(f('root.pem'), await t.server.certificates.getInternalCaCertificate({ accountId: t.admin.accountId, region: 'us-east-1' }));
  writeFileSync(f('foreign.pem'), (await createTestCa({ dir: f('foreign-ca') })).certificatePem);
  // one byte of the stored index.js changed
  const tampered = Buffer.from(readFileSync(f('good.signed.zip')));
  const at = tampered.indexOf('hello');
  tampered[at] = 'j'.charCodeAt(0);
  writeFileSync(f('tampered.zip'), tampered);
  await t.admin.client.send(new RevokeSignatureCommand({ jobId: jobs.revoked!.jobId, reason: 'key compromise drill' }));
  await t.admin.client.send(
    new RevokeSigningProfileCommand({
      profileName: 'vl_revokedprofile',
      profileVersion: jobs.revokedprofile!.profileVersionArn.split('/').at(-1)!,
      reason: 'profile retired',
      effectiveTime: new Date(Date.now() - 3_600_000),
    }),
  );
});
afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `signer verify --format lambda-zip --mode Warn …` (Lambda's default policy unless --mode is given). */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return cli('verify', '--format', 'lambda-zip', ...(argv.includes('--mode') ? [] : ['--mode', 'Warn']), ...argv);
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    readFile: async (p) => new Uint8Array(readFileSync(p)),
    env: {},
  });
  return { code, out, err };
}

describe('[signer verify --format lambda-zip --mode] Lambda code-signing checks: integrity, expiry, mismatch, revocation; Warn vs Enforce', () => {
  it('a good package, trusted root, allowed profile version, not revoked → deployable in Enforce', async () => {
    const r = await run(f('good.signed.zip'), '--trusted-root', f('root.pem'), '--allowed-profile-version-arn', jobs.good!.profileVersionArn, '--data-dir', t.dataDir, '--mode', 'Enforce');
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^integrity: OK — signed .* by job arn:aws:signer:us-east-1:\d{12}:\/signing-jobs\//m);
    expect(r.out).toMatch(/^expiry: OK — valid until /m);
    expect(r.out).toMatch(/^mismatch: OK — .*chain ends in a trusted root/m);
    expect(r.out).toMatch(/^revocation: OK — not revoked/m);
    expect(r.out).toMatch(/^result: deployable$/m);
    expect(r.err).toBe('');
  });

  it('a profile version that is not allowed: Warn exits 0 with a warning, Enforce exits 1', async () => {
    const other = jobs.good!.profileVersionArn.replace(/\/[^/]+$/, '/0000000000');
    const args = [f('good.signed.zip'), '--trusted-root', f('root.pem'), '--allowed-profile-version-arn', other];
    const warn = await run(...args);
    expect(warn.code).toBe(0);
    expect(warn.out).toMatch(/^mismatch: FAIL — profile version .* is not an allowed publisher/m);
    expect(warn.out).toMatch(/^result: deployable with warnings \(Warn: mismatch\)/m);
    expect(warn.err).toMatch(/warning: mismatch check failed/);
    expect((await run(...args, '--mode', 'Enforce')).code).toBe(1);
  });

  it('a revoked signing job: revocation FAIL from the server; Warn 0, Enforce 1', async () => {
    const args = [f('revoked.signed.zip'), '--trusted-root', f('root.pem'), '--data-dir', t.dataDir];
    const warn = await run(...args);
    expect(warn.out).toMatch(new RegExp(`^revocation: FAIL — revoked: arn:aws:signer:us-east-1:${t.admin.accountId}:/signing-jobs/${jobs.revoked!.jobId}`, 'm'));
    expect(warn.code).toBe(0);
    expect((await run(...args, '--mode', 'Enforce')).code).toBe(1);
    // the other package of the same server is not affected
    expect((await run(f('good.signed.zip'), '--data-dir', t.dataDir)).out).toMatch(/^revocation: OK/m);
  });

  it('a revoked profile version (effective before the signing time) is reported too', async () => {
    const r = await run(f('revokedprofile.signed.zip'), '--data-dir', t.dataDir, '--mode', 'Enforce');
    expect(r.out).toContain(`revocation: FAIL — revoked: ${jobs.revokedprofile!.profileVersionArn}`);
    expect(r.code).toBe(1);
  });

  it('revocation asked with --endpoint and credentials from the environment', async () => {
    let out = '';
    const code = await runCli(['verify', '--format', 'lambda-zip', f('revoked.signed.zip'), '--endpoint', t.url, '--mode', 'Enforce'], {
      stdout: (s) => (out += s),
      stderr: () => undefined,
      readFile: async (p) => new Uint8Array(readFileSync(p)),
      env: { AWS_ACCESS_KEY_ID: t.admin.accessKeyId, AWS_SECRET_ACCESS_KEY: t.admin.secretAccessKey },
    });
    expect(out).toMatch(/^revocation: FAIL — revoked: /m);
    expect(code).toBe(1);
  });

  it('an expired signature (--at after the expiry): expiry FAIL; Warn 0, Enforce 1', async () => {
    const warn = await run(f('good.signed.zip'), '--at', '2200-01-01T00:00:00Z');
    expect(warn.out).toMatch(/^expiry: FAIL — the signature expired at /m);
    expect(warn.code).toBe(0);
    expect((await run(f('good.signed.zip'), '--at', '2200-01-01T00:00:00Z', '--mode', 'Enforce')).code).toBe(1);
  });

  it('a modified package fails integrity and is blocked in Warn mode too', async () => {
    for (const mode of ['Warn', 'Enforce']) {
      const r = await run(f('tampered.zip'), '--trusted-root', f('root.pem'), '--mode', mode);
      expect(r.out).toMatch(/^integrity: FAIL — /m);
      expect(r.out).toMatch(/^result: BLOCKED \(integrity failures block deployment in every mode\)/m);
      expect(r.code).toBe(1);
    }
  });

  it('an unsigned package is a mismatch (policy): Warn 0, Enforce 1', async () => {
    const warn = await run(f('unsigned.zip'));
    expect(warn.out).toMatch(/^mismatch: FAIL — the package is not signed/m);
    expect(warn.code).toBe(0);
    expect((await run(f('unsigned.zip'), '--mode', 'Enforce')).code).toBe(1);
  });

  it('a root that did not issue the chain, or allowed ARNs without any root: the signer is unverified', async () => {
    const foreign = await run(f('good.signed.zip'), '--trusted-root', f('foreign.pem'), '--mode', 'Enforce');
    expect(foreign.out).toMatch(/^mismatch: FAIL — the signer is not trusted: certificate chain does not reach a trusted root/m);
    expect(foreign.code).toBe(1);
    const noRoot = await run(f('good.signed.zip'), '--allowed-profile-version-arn', jobs.good!.profileVersionArn, '--mode', 'Enforce');
    expect(noRoot.out).toMatch(/^mismatch: FAIL — no --trusted-root/m);
    expect(noRoot.err).toMatch(/note: the package's chain ends at ".*iot-signer internal code-signing CA.*" \(SHA-256 [0-9A-F:]+\)/);
    expect(noRoot.code).toBe(1);
  });

  it('without a server: revocation SKIPPED with a note; without publisher list: mismatch SKIPPED', async () => {
    const r = await run(f('good.signed.zip'), '--mode', 'Enforce');
    expect(r.out).toMatch(/^revocation: SKIPPED — no --data-dir or --endpoint/m);
    expect(r.out).toMatch(/^mismatch: SKIPPED — no --allowed-profile-version-arn given/m);
    expect(r.code).toBe(0);
  });

  it('the hidden alias verify-lambda runs the same code (Warn by default)', async () => {
    const args = [f('good.signed.zip'), '--trusted-root', f('root.pem'), '--allowed-profile-version-arn', jobs.good!.profileVersionArn, '--data-dir', t.dataDir];
    const alias = await cli('verify-lambda', ...args);
    expect(alias).toEqual(await run(...args));
    expect(alias.code).toBe(0);
    expect((await cli('--help')).out).not.toMatch(/verify-lambda/);
    // Without --mode, lambda-zip is the device's OK/FAIL (firmware-verifier), with --root as the anchor.
    const device = await cli('verify', '--format', 'lambda-zip', '--root', f('root.pem'), f('good.signed.zip'));
    expect(device.out).toMatch(/^OK lambda-zip digest=[0-9a-f]+ /);
    expect((await cli('verify', '--format', 'lambda-zip', '--root', f('root.pem'), f('tampered.zip'))).out).toMatch(/^FAIL (BadCrc|HashMismatch): /);
  });

  it('usage errors exit 2', async () => {
    expect((await run()).code).toBe(2);
    expect((await run(f('good.signed.zip'), '--mode', 'Audit')).code).toBe(2);
    expect((await run(f('good.signed.zip'), '--bogus')).code).toBe(2);
    expect((await run(f('good.signed.zip'), '--trusted-root', f('unsigned.zip'))).code).toBe(2);
    expect((await run(f('missing.zip'))).code).toBe(2);
  });
});
