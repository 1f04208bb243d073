/**
 * Issue 9, finding 9: trust and files. ACM import refuses a CA certificate as signing material
 * and bounds the chain; the data directory and everything under it are the server user's only
 * (0700/0600), including what an older version left readable; a source version 'null' is refused.
 */
import { generateKeyPairSync, createPublicKey, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutSigningProfileCommand, StartSigningJobCommand } from '@aws-sdk/client-signer';
import { buildCertificate, OID_CODE_SIGNING, toPem } from '../../src/keys/certificate-builder.js';
import { inMemorySigningKey } from '../../src/keys/software-sign.js';
import { createTestCa, issueCodeSigningCertificate, type TestCa } from '../../src/keys/test-ca.js';
import { expectSdkError } from '../support/errors.js';
import { bucket, lambdaZip } from '../support/fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

let t: TestServer;
let acm: ACMClient;
let ca: TestCa;
beforeAll(async () => {
  t = await startTestServer();
  acm = new ACMClient({
    endpoint: t.url,
    region: t.server.config.region,
    credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey },
    maxAttempts: 1,
  });
  ca = await createTestCa({ dir: mkdtempSync(join(t.dataDir, 'ca-')) });
});
afterAll(async () => t?.stop());

const enc = new TextEncoder();

/** A self-signed certificate that otherwise passes every import check (code-signing EKU, digitalSignature). */
async function selfSigned(opts: { ca?: { pathLength?: number }; keyUsage: ('digitalSignature' | 'keyCertSign')[] }) {
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const der = await buildCertificate(
    {
      subject: `CN=TEST ONLY self-signed ${randomUUID()}`,
      publicKeySpki: new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' })),
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      ...(opts.ca ? { ca: opts.ca } : {}),
      keyUsage: opts.keyUsage,
      extendedKeyUsage: [OID_CODE_SIGNING],
    },
    { key: inMemorySigningKey(key) },
  );
  return { certificatePem: toPem(der), privateKeyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

describe('[Security 9] ACM import: no CA as signing material, a bounded chain', () => {
  it('refuses a CA certificate (CA:TRUE with keyCertSign) with ValidationException', async () => {
    const c = await selfSigned({ ca: { pathLength: 0 }, keyUsage: ['digitalSignature', 'keyCertSign'] });
    await expectSdkError(
      acm.send(new ImportCertificateCommand({ Certificate: enc.encode(c.certificatePem), PrivateKey: enc.encode(c.privateKeyPem) })),
      'ValidationException',
      400,
      /CA certificate/,
    );
  });

  it('refuses basicConstraints CA:TRUE alone, and keyCertSign alone', async () => {
    for (const c of [
      await selfSigned({ ca: {}, keyUsage: ['digitalSignature'] }),
      await selfSigned({ keyUsage: ['digitalSignature', 'keyCertSign'] }),
    ]) {
      await expectSdkError(
        acm.send(new ImportCertificateCommand({ Certificate: enc.encode(c.certificatePem), PrivateKey: enc.encode(c.privateKeyPem) })),
        'ValidationException',
        400,
        /CA certificate/,
      );
    }
  });

  it('still imports a code-signing leaf with its issuer in the chain', async () => {
    const leaf = await issueCodeSigningCertificate({ ca, subject: `CN=leaf ${randomUUID()}` });
    const out = await acm.send(
      new ImportCertificateCommand({ Certificate: enc.encode(leaf.certificatePem), PrivateKey: enc.encode(leaf.privateKeyPem), CertificateChain: enc.encode(leaf.chainPem) }),
    );
    expect(out.CertificateArn).toMatch(/^arn:aws:acm:/);
  });

  it('refuses a chain of more than 10 certificates, and one over 64 KiB', async () => {
    const leaf = await issueCodeSigningCertificate({ ca, subject: `CN=leaf ${randomUUID()}` });
    const eleven = leaf.chainPem.repeat(11);
    await expectSdkError(
      acm.send(new ImportCertificateCommand({ Certificate: enc.encode(leaf.certificatePem), PrivateKey: enc.encode(leaf.privateKeyPem), CertificateChain: enc.encode(eleven) })),
      'ValidationException',
      400,
      /11 certificates; at most 10/,
    );
    const big = leaf.chainPem + '\n'.repeat(70_000);
    await expectSdkError(
      acm.send(new ImportCertificateCommand({ Certificate: enc.encode(leaf.certificatePem), PrivateKey: enc.encode(leaf.privateKeyPem), CertificateChain: enc.encode(big) })),
      'ValidationException',
      400,
      /at most 65536/,
    );
    const ten = leaf.chainPem.repeat(10);
    const ok = await acm.send(
      new ImportCertificateCommand({ Certificate: enc.encode(leaf.certificatePem), PrivateKey: enc.encode(leaf.privateKeyPem), CertificateChain: enc.encode(ten) }),
    );
    expect(ok.CertificateArn).toMatch(/^arn:aws:acm:/);
  });
});

/** Every path under `root` whose mode lets group or others in (symbolic links aside). */
function openToOthers(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) out.push(`${p} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(root);
  return out;
}

describe('[Security 9] the data directory is the server user\'s only', () => {
  it('a data directory left 0755/0644 by an older version is fixed at start; new state and objects are 0600/0700', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'signer-modes-'));
    // What an older version (or a careless operator) left behind.
    mkdirSync(join(dataDir, 'objects', 'legacy-bucket', 'keys'), { recursive: true });
    writeFileSync(join(dataDir, 'objects', 'legacy-bucket', 'keys', 'old-object'), 'firmware bytes');
    writeFileSync(join(dataDir, 'notes.txt'), 'hello');
    for (const [p, m] of [
      [dataDir, 0o755], [join(dataDir, 'objects'), 0o755], [join(dataDir, 'objects', 'legacy-bucket'), 0o755],
      [join(dataDir, 'objects', 'legacy-bucket', 'keys'), 0o755], [join(dataDir, 'objects', 'legacy-bucket', 'keys', 'old-object'), 0o644],
      [join(dataDir, 'notes.txt'), 0o644],
    ] as const) chmodSync(p, m);

    const s = await startTestServer({ dataDir });
    try {
      // State, credentials and an object written through the S3 API.
      await s.admin.client.send(new PutSigningProfileCommand({ profileName: 'modes', platformId: 'AWSLambda-SHA384-ECDSA' }));
      const name = await bucket(s, s.admin, 'modes');
      const s3 = new S3Client({
        endpoint: s.server.s3Url, region: s.server.config.region, forcePathStyle: true, maxAttempts: 1,
        credentials: { accessKeyId: s.admin.accessKeyId, secretAccessKey: s.admin.secretAccessKey },
      });
      await s3.send(new PutObjectCommand({ Bucket: name, Key: 'deep/path/fw.bin', Body: lambdaZip() }));
      for (const f of ['state.db', 'state.db-wal', 'state.db-shm', 'master.key', 'credentials']) {
        expect({ f, mode: (statSync(join(dataDir, f)).mode & 0o777).toString(8) }).toEqual({ f, mode: '600' });
      }
      expect((statSync(dataDir).mode & 0o777).toString(8)).toBe('700');
      expect(openToOthers(dataDir)).toEqual([]);
    } finally {
      await s.stop({ keepData: true });
    }

    // As an older version left it: everything 0755/0644, master.key included. A restart fixes it all.
    const widen = (p: string) => {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) return;
      chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
      if (st.isDirectory()) for (const e of readdirSync(p)) widen(join(p, e));
    };
    widen(dataDir);
    expect(openToOthers(dataDir).length).toBeGreaterThan(5);
    const again = await startTestServer({ dataDir });
    try {
      expect(openToOthers(dataDir)).toEqual([]);
      await again.admin.client.send(new PutSigningProfileCommand({ profileName: 'modes_again', platformId: 'AWSLambda-SHA384-ECDSA' }));
    } finally {
      await again.stop();
    }
  });
});

describe('[Security 9] a source version \'null\' is refused', () => {
  it('an object written before versioning was enabled cannot be signed by its null version', async () => {
    await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'nullver', platformId: 'AWSLambda-SHA384-ECDSA' }));
    const s3 = new S3Client({
      endpoint: t.server.s3Url, region: t.server.config.region, forcePathStyle: true, maxAttempts: 1,
      credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey },
    });
    const src = `nullsrc-${t.admin.accountId}`;
    await s3.send(new CreateBucketCommand({ Bucket: src }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: 'fw.zip', Body: lambdaZip() }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: src, VersioningConfiguration: { Status: 'Enabled' } }));
    const dst = await bucket(t, t.admin, 'dst');
    await expectSdkError(
      t.admin.client.send(
        new StartSigningJobCommand({ source: { s3: { bucketName: src, key: 'fw.zip', version: 'null' } }, destination: { s3: { bucketName: dst } }, profileName: 'nullver' }),
      ),
      'ValidationException',
      400,
      /version 'null'/,
    );
  });
});
