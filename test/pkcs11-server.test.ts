import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeSigningJobCommand, PutSigningProfileCommand, StartSigningJobCommand } from '@aws-sdk/client-signer';
import { createTestCa, issueCodeSigningCertificate } from '../src/keys/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { findSoftHsm, needTool } from './support/tools.js';

const softhsm = findSoftHsm('PKCS#11 server (SoftHSM2)');
const pkcs11Tool = softhsm && needTool('PKCS#11 server (OpenSC pkcs11-tool)', 'pkcs11-tool');
const haveSoftHsm = softhsm !== undefined && pkcs11Tool !== undefined;
const LIB = softhsm?.library ?? '';
const dir = mkdtempSync(join(tmpdir(), 'server-softhsm-'));
let t: TestServer;

beforeAll(async () => {
  if (!haveSoftHsm) return;
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  // SoftHSM2 reads SOFTHSM2_CONF when the server's PKCS#11 backend initialises the library.
  process.env.SOFTHSM2_CONF = conf;
  execFileSync(softhsm!.util, ['--init-token', '--free', '--label', 'server', '--so-pin', '1234', '--pin', '2468'], { stdio: 'ignore' });
  t = await startTestServer({ env: { SIGNER_PKCS11_LIBRARY: LIB, SIGNER_PKCS11_TOKEN_LABEL: 'server', SIGNER_PKCS11_PIN: '2468' } });
});
afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Private-key objects on the token, as SoftHSM2's own tool reports them. */
function tokenPrivateKeys(): number {
  const out = execFileSync(pkcs11Tool!, ['--module', LIB, '--token-label', 'server', '--login', '--pin', '2468', '--list-objects', '--type', 'privkey'], { encoding: 'utf8' });
  return (out.match(/Private Key Object/g) ?? []).length;
}

describe.skipIf(!haveSoftHsm)('[StartSigningJob] with the PKCS#11 key backend (SoftHSM2)', () => {
  it('an imported certificate key goes into the token and a FreeRTOS job signs with it (openssl verifies)', async () => {
    const creds = { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey };
    const acm = new ACMClient({ endpoint: t.url, region: 'us-east-1', credentials: creds });
    const s3 = new S3Client({ endpoint: t.server.s3Url, region: 'us-east-1', forcePathStyle: true, credentials: creds });
    const before = tokenPrivateKeys();
    const ca = await createTestCa({ dir: join(dir, 'ca') });
    const leaf = await issueCodeSigningCertificate({ ca, subject: 'CN=hsm signer', algorithm: 'EC_prime256v1' });
    const { CertificateArn } = await acm.send(
      new ImportCertificateCommand({ Certificate: Buffer.from(leaf.certificatePem), PrivateKey: Buffer.from(leaf.privateKeyPem), CertificateChain: Buffer.from(leaf.chainPem) }),
    );
    // OpenSC's pkcs11-tool, reading the token itself, sees the new private key object.
    expect(tokenPrivateKeys()).toBe(before + 1);
    // Nothing went to the encrypted file store.
    const fileKeys = t.server.store as unknown as { db: { prepare(sql: string): { pluck(): { get(): number } } } };
    expect(fileKeys.db.prepare('SELECT COUNT(*) FROM keys_wrapped_keys').pluck().get()).toBe(0);

    await t.admin.client.send(
      new PutSigningProfileCommand({ profileName: 'hsm_fw', platformId: 'AmazonFreeRTOS-Default', signingMaterial: { certificateArn: CertificateArn! } }),
    );
    await s3.send(new CreateBucketCommand({ Bucket: 'hsm-src' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'hsm-src', VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new CreateBucketCommand({ Bucket: 'hsm-dst' }));
    const firmware = Buffer.from('firmware image '.repeat(5000));
    const put = await s3.send(new PutObjectCommand({ Bucket: 'hsm-src', Key: 'fw.bin', Body: firmware }));
    const { jobId } = await t.admin.client.send(
      new StartSigningJobCommand({
        source: { s3: { bucketName: 'hsm-src', key: 'fw.bin', version: put.VersionId! } },
        destination: { s3: { bucketName: 'hsm-dst', prefix: 'out/' } },
        profileName: 'hsm_fw',
      }),
    );
    await t.server.jobs.drain();
    const job = await t.admin.client.send(new DescribeSigningJobCommand({ jobId }));
    expect(job.status).toBe('Succeeded');
    const obj = await s3.send(new GetObjectCommand({ Bucket: 'hsm-dst', Key: job.signedObject!.s3!.key! }));
    const signed = JSON.parse(await obj.Body!.transformToString()) as { signature: string };
    writeFileSync(join(dir, 'fw.bin'), firmware);
    writeFileSync(join(dir, 'sig.der'), Buffer.from(signed.signature, 'base64'));
    writeFileSync(join(dir, 'leaf.pem'), leaf.certificatePem);
    const pub = execFileSync('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-pubkey', '-noout']);
    writeFileSync(join(dir, 'pub.pem'), pub);
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'fw.bin')], { encoding: 'utf8' });
    expect(out).toContain('Verified OK');
  });
});
