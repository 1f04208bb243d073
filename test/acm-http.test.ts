/**
 * The ACM-compatible target over real HTTP: @aws-sdk/client-acm (AWS JSON 1.1, SigV4, the SDK's own
 * serializers and exception classes) against the server's API port.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACMClient,
  AddTagsToCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  GetCertificateCommand,
  ImportCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  RemoveTagsFromCertificateCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-acm';
import { CancelSigningProfileCommand, PutSigningProfileCommand } from '@aws-sdk/client-signer';
import { createTestCa, INVALID_EKU_MESSAGE, issueCodeSigningCertificate, type IssuedTestCertificate, type TestCa } from '../src/keys/index.js';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
let acm: ACMClient;
let ca: TestCa;
let dir: string;
const enc = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  t = await startTestServer();
  acm = new ACMClient({ endpoint: t.url, region: 'us-east-1', credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey }, maxAttempts: 1 });
  dir = mkdtempSync(join(tmpdir(), 'acm-http-'));
  ca = await createTestCa({ dir: join(dir, 'ca') });
});
afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const issue = (subject: string, algorithm: 'EC_prime256v1' | 'RSA_2048' = 'EC_prime256v1', overrides?: Parameters<typeof issueCodeSigningCertificate>[0]['overrides']) =>
  issueCodeSigningCertificate({ ca, subject, algorithm, outDir: join(dir, 'leaves'), ...(overrides ? { overrides } : {}) });

const importOf = (c: Pick<IssuedTestCertificate, 'certificatePem' | 'privateKeyPem' | 'chainPem'>, extra: Partial<ConstructorParameters<typeof ImportCertificateCommand>[0]> = {}) =>
  new ImportCertificateCommand({ Certificate: enc(c.certificatePem), PrivateKey: enc(c.privateKeyPem), CertificateChain: enc(c.chainPem), ...extra });

async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('[ImportCertificate] [DescribeCertificate] [GetCertificate] [ListCertificates] [tags] [DeleteCertificate] over HTTP', () => {
  it('a good certificate: import, describe, get, list (Includes keyTypes), tags, delete', async () => {
    const leaf = await issue('CN=acm http ec');
    const rsa = await issue('CN=acm http rsa', 'RSA_2048');
    const { CertificateArn: arn } = await acm.send(importOf(leaf, { Tags: [{ Key: 'team', Value: 'fw' }] }));
    expect(arn).toMatch(new RegExp(`^arn:aws:acm:us-east-1:${t.admin.accountId}:certificate/[0-9a-f-]{36}$`));
    const { CertificateArn: rsaArn } = await acm.send(importOf(rsa));

    const { Certificate: d } = await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }));
    const x = new X509Certificate(leaf.certificatePem);
    expect(d).toMatchObject({
      CertificateArn: arn,
      Type: 'IMPORTED',
      Status: 'ISSUED',
      KeyAlgorithm: 'EC-prime256v1',
      DomainName: 'acm http ec',
      InUseBy: [],
      ExtendedKeyUsages: [{ Name: 'CODE_SIGNING', OID: '1.3.6.1.5.5.7.3.3' }],
      KeyUsages: [{ Name: 'DIGITAL_SIGNATURE' }],
      Serial: x.serialNumber.toLowerCase().match(/.{2}/g)!.join(':'),
    });
    expect(d!.NotAfter!.getTime()).toBe(new Date(x.validTo).getTime());

    const got = await acm.send(new GetCertificateCommand({ CertificateArn: arn }));
    expect(new X509Certificate(got.Certificate!).raw.equals(x.raw)).toBe(true);
    expect(new X509Certificate(got.CertificateChain!).raw.equals(new X509Certificate(ca.certificatePem).raw)).toBe(true);
    expect(JSON.stringify(got)).not.toMatch(/PRIVATE KEY/);

    // ACM's default lists RSA_1024/RSA_2048 only; Includes.keyTypes widens it
    const byDefault = await acm.send(new ListCertificatesCommand({}));
    expect(byDefault.CertificateSummaryList!.map((s) => s.CertificateArn)).toEqual([rsaArn]);
    const ec = await acm.send(new ListCertificatesCommand({ Includes: { keyTypes: ['EC_prime256v1'] } }));
    expect(ec.CertificateSummaryList!.map((s) => [s.CertificateArn, s.KeyAlgorithm, s.Status, s.InUse])).toEqual([[arn, 'EC_prime256v1', 'ISSUED', false]]);
    const both = await acm.send(new ListCertificatesCommand({ Includes: { keyTypes: ['EC_prime256v1', 'RSA_2048'] }, MaxItems: 1 }));
    expect(both.CertificateSummaryList).toHaveLength(1);
    const next = await acm.send(new ListCertificatesCommand({ Includes: { keyTypes: ['EC_prime256v1', 'RSA_2048'] }, MaxItems: 1, NextToken: both.NextToken }));
    expect([...both.CertificateSummaryList!, ...next.CertificateSummaryList!].map((s) => s.CertificateArn).sort()).toEqual([arn, rsaArn].sort());

    await acm.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'boot' }] }));
    expect((await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags).toEqual(
      expect.arrayContaining([{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'boot' }]),
    );
    await acm.send(new RemoveTagsFromCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'env' }] }));
    expect((await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags).toEqual([{ Key: 'team', Value: 'boot' }]);
    const reserved = await rejection(acm.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'aws:x', Value: 'y' }] })));
    expect(reserved.name).toBe('InvalidTagException');

    await acm.send(new DeleteCertificateCommand({ CertificateArn: arn }));
    await acm.send(new DeleteCertificateCommand({ CertificateArn: rsaArn }));
    const gone = await rejection(acm.send(new DescribeCertificateCommand({ CertificateArn: arn })));
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
    expect((await acm.send(new ListCertificatesCommand({ Includes: { keyTypes: ['EC_prime256v1', 'RSA_2048'] } }))).CertificateSummaryList).toEqual([]);
  });
});

describe('[ImportCertificate] rejected imports → ValidationException with the message', () => {
  it('wrong EKU (serverAuth only)', async () => {
    const c = await issue('CN=tls only', 'EC_prime256v1', { extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] });
    const e = await rejection(acm.send(importOf(c)));
    expect(e).toBeInstanceOf(ValidationException);
    expect(e.$metadata?.httpStatusCode).toBe(400);
    expect(e.message).toBe(INVALID_EKU_MESSAGE);
  });

  it('expired', async () => {
    const c = await issue('CN=expired', 'EC_prime256v1', { notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const e = await rejection(acm.send(importOf(c)));
    expect(e).toBeInstanceOf(ValidationException);
    expect(e.message).toMatch(/^The certificate expired at \d{4}-/);
  });

  it('private key that does not match the certificate', async () => {
    const a = await issue('CN=key a');
    const b = await issue('CN=key b');
    const e = await rejection(acm.send(importOf({ ...a, privateKeyPem: b.privateKeyPem })));
    expect(e).toBeInstanceOf(ValidationException);
    expect(e.message).toBe('The private key does not match the public key in the certificate.');
    expect(e.message).not.toMatch(/PRIVATE/);
  });

  it('RSA 1024 (made by the openssl CLI)', async () => {
    const d = join(dir, 'rsa1024');
    execFileSync('mkdir', ['-p', d]);
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-keyout', join(d, 'key.pem'), '-out', join(d, 'cert.pem'),
      '-subj', '/CN=weak rsa', '-days', '30', '-addext', 'extendedKeyUsage=codeSigning', '-addext', 'keyUsage=digitalSignature',
    ], { stdio: 'ignore' });
    const e = await rejection(acm.send(new ImportCertificateCommand({ Certificate: readFileSync(join(d, 'cert.pem')), PrivateKey: readFileSync(join(d, 'key.pem')) })));
    expect(e).toBeInstanceOf(ValidationException);
    expect(e.message).toBe('RSA keys must be 2048, 3072 or 4096 bits; got 1024');
  });
});

describe('[DeleteCertificate] a certificate an Active signing profile uses', () => {
  it('→ ResourceInUseException (InUseBy names the profile); deletable once the profile is canceled', async () => {
    const c = await issue('CN=in use');
    const { CertificateArn: arn } = await acm.send(importOf(c));
    await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'acm_in_use', platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA', signingMaterial: { certificateArn: arn! } }));
    const { Certificate: d } = await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }));
    expect(d!.InUseBy).toEqual([`arn:aws:signer:us-east-1:${t.admin.accountId}:/signing-profiles/acm_in_use`]);
    const e = await rejection(acm.send(new DeleteCertificateCommand({ CertificateArn: arn })));
    expect(e).toBeInstanceOf(ResourceInUseException);
    expect(e.message).toMatch(/is in use by 1 resource\(s\) and cannot be deleted/);
    await t.admin.client.send(new CancelSigningProfileCommand({ profileName: 'acm_in_use' }));
    await acm.send(new DeleteCertificateCommand({ CertificateArn: arn }));
  });
});
