import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, issueCodeSigningCertificate } from '../src/keys/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { needTool } from './support/tools.js';

const run = promisify(execFile);
/** The AWS CLI on PATH (CI installs Debian's awscli). */
const AWS = needTool('AWS CLI (acm commands)', 'aws');
const dir = mkdtempSync(join(tmpdir(), 'acm-cli-'));
let t: TestServer;

beforeAll(async () => {
  if (AWS === undefined) return;
  t = await startTestServer();
});
afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function aws(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(AWS!, ['--endpoint-url', t.url, ...args], {
      env: { ...process.env, AWS_SHARED_CREDENTIALS_FILE: join(t.dataDir, 'credentials'), AWS_CONFIG_FILE: join(t.dataDir, 'config'), AWS_PAGER: '' },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe.skipIf(AWS === undefined)('ACM-compatible endpoint with Debian awscli', () => {
  it('[ImportCertificate] aws acm import-certificate, describe-certificate, and a signing profile that uses it', async () => {
    const ca = await createTestCa({ dir: join(dir, 'ca') });
    const leaf = await issueCodeSigningCertificate({ ca, subject: 'CN=cli signer', outDir: join(dir, 'leaf') });
    const imported = await aws('acm', 'import-certificate', '--certificate', `fileb://${leaf.files.certificate}`, '--private-key', `fileb://${leaf.files.privateKey}`, '--certificate-chain', `fileb://${leaf.files.chain}`);
    expect(imported.stderr).toBe('');
    const arn = (JSON.parse(imported.stdout) as { CertificateArn: string }).CertificateArn;
    expect(arn).toMatch(new RegExp(`^arn:aws:acm:us-east-1:${t.admin.accountId}:certificate/[0-9a-f-]{36}$`));
    const described = JSON.parse((await aws('acm', 'describe-certificate', '--certificate-arn', arn)).stdout) as { Certificate: { Type: string; KeyAlgorithm: string; Status: string } };
    expect(described.Certificate).toMatchObject({ Type: 'IMPORTED', KeyAlgorithm: 'EC-prime256v1', Status: 'ISSUED' });
    const put = await aws('signer', 'put-signing-profile', '--profile-name', 'cli_acm', '--platform-id', 'AmazonFreeRTOS-Default', '--signing-material', `certificateArn=${arn}`);
    expect(put.code).toBe(0);
  });

  it('[ImportCertificate] a certificate without the codeSigning EKU is refused with the AWS message', async () => {
    const ca = await createTestCa({ dir: join(dir, 'ca2') });
    const leaf = await issueCodeSigningCertificate({ ca, subject: 'CN=server auth', outDir: join(dir, 'leaf2'), overrides: { extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] } });
    const r = await aws('acm', 'import-certificate', '--certificate', `fileb://${leaf.files.certificate}`, '--private-key', `fileb://${leaf.files.privateKey}`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ValidationException/);
    expect(r.stderr).toMatch(/Invalid EKU in Certificate/);
  });

  it('[PutSigningProfile] a private key never appears in anything the CLI prints', async () => {
    const list = await aws('acm', 'list-certificates', '--includes', 'keyTypes=EC_prime256v1');
    expect(list.stdout + list.stderr).not.toMatch(/PRIVATE KEY/);
  });
});
