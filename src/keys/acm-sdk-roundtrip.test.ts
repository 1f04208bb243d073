/**
 * Requests serialized by @aws-sdk/client-acm reach the handlers unchanged, and handler
 * output (and KeysError) deserializes into the SDK's types: blobs as base64, timestamps as
 * epoch seconds, errors as the SDK's exception classes. In process: a request handler
 * stands in for HTTP (the API layer owns the real server).
 */
import { Readable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import {
  ACMClient,
  AddTagsToCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  GetCertificateCommand,
  ImportCertificateCommand,
  InvalidTagException,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  RemoveTagsFromCertificateCommand,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-acm';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACM_OPERATIONS, createAcmService, type AcmCaller, type AcmOperation } from './acm-service.js';
import { createCertificateManager } from './certificate-manager.js';
import { createEncryptedFileBackend } from './encrypted-file-backend.js';
import { KeysError } from './errors.js';
import { generateMasterKey } from './master-key.js';
import { createSqliteKeysStore, type SqliteKeysStore } from './sqlite-keys-store.js';
import { createTestCa, issueCodeSigningCertificate, type IssuedTestCertificate } from './test-ca.js';

const caller: AcmCaller = { accountId: '123456789012', arn: 'arn:aws:iam::123456789012:root', region: 'us-east-1' };
let dir: string;
let store: SqliteKeysStore;
let client: ACMClient;
let issued: IssuedTestCertificate;
const seen: { target: string; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'acm-sdk-'));
  store = createSqliteKeysStore(':memory:');
  const backend = createEncryptedFileBackend({ repository: store.wrappedKeys, masterKey: generateMasterKey() });
  const { handlers } = createAcmService({ certificates: createCertificateManager({ repository: store.certificates, backend }), defaultListKeyTypes: 'all' });
  const ca = await createTestCa({ dir, algorithm: 'EC_prime256v1' });
  issued = await issueCodeSigningCertificate({ ca, subject: 'CN=sdk.example.com', algorithm: 'EC_prime256v1' });
  client = new ACMClient({
    region: caller.region,
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: {
      async handle(req: HttpRequest) {
        const target = String(req.headers['x-amz-target'] ?? '');
        const body = JSON.parse(String(req.body)) as Record<string, unknown>;
        seen.push({ target, body });
        const op = target.replace(/^CertificateManager\./, '') as AcmOperation;
        let status = 200;
        let headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
        let payload: unknown;
        try {
          if (!ACM_OPERATIONS.includes(op)) throw new Error(`unexpected target ${target}`);
          payload = await handlers[op](body, caller);
        } catch (e) {
          if (!(e instanceof KeysError)) throw e;
          status = e.httpStatus;
          headers = { ...headers, 'x-amzn-errortype': e.awsType };
          payload = { __type: e.awsType, message: e.message };
        }
        return { response: new HttpResponse({ statusCode: status, headers, body: Readable.from([Buffer.from(JSON.stringify(payload))]) }) };
      },
    },
  });
});

afterAll(() => {
  client?.destroy();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('@aws-sdk/client-acm round trip (in process)', () => {
  it('ImportCertificate (blobs as base64) → Describe/Get/List/Tags/Delete with SDK types', async () => {
    const enc = new TextEncoder();
    const imp = await client.send(
      new ImportCertificateCommand({
        Certificate: enc.encode(issued.certificatePem),
        PrivateKey: enc.encode(issued.privateKeyPem),
        CertificateChain: enc.encode(issued.chainPem),
        Tags: [{ Key: 'team', Value: 'fw' }],
      }),
    );
    const sent = seen.find((s) => s.target === 'CertificateManager.ImportCertificate')!.body;
    expect(typeof sent.Certificate).toBe('string');
    expect(Buffer.from(sent.Certificate as string, 'base64').toString()).toBe(issued.certificatePem);
    const arn = imp.CertificateArn!;
    expect(arn).toMatch(/^arn:aws:acm:us-east-1:123456789012:certificate\//);

    const d = (await client.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate!;
    expect(d.NotAfter).toBeInstanceOf(Date);
    expect(Math.abs(d.NotBefore!.getTime() - new Date(new X509Certificate(issued.certificatePem).validFrom).getTime())).toBeLessThan(1000);
    expect(d.ImportedAt).toBeInstanceOf(Date);
    expect(d.Type).toBe('IMPORTED');
    expect(d.ExtendedKeyUsages).toEqual([{ Name: 'CODE_SIGNING', OID: '1.3.6.1.5.5.7.3.3' }]);

    const g = await client.send(new GetCertificateCommand({ CertificateArn: arn }));
    expect(g.Certificate).toContain('BEGIN CERTIFICATE');
    expect(g.CertificateChain).toContain('BEGIN CERTIFICATE');

    const l = await client.send(new ListCertificatesCommand({ MaxItems: 10 }));
    expect(l.CertificateSummaryList?.[0]?.CertificateArn).toBe(arn);
    expect(l.CertificateSummaryList?.[0]?.NotAfter).toBeInstanceOf(Date);

    await client.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'env', Value: 'dev' }] }));
    await client.send(new RemoveTagsFromCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'team' }] }));
    expect((await client.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags).toEqual([{ Key: 'env', Value: 'dev' }]);

    await client.send(new DeleteCertificateCommand({ CertificateArn: arn }));
    await expect(client.send(new DescribeCertificateCommand({ CertificateArn: arn }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('errors arrive as the SDK exception classes with our message', async () => {
    const enc = new TextEncoder();
    const e = await client
      .send(new ImportCertificateCommand({ Certificate: enc.encode(issued.certificatePem), PrivateKey: enc.encode('not a key') }))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValidationException);
    expect((e as Error).message).toContain('private key');
    await expect(
      client.send(new ImportCertificateCommand({ Certificate: enc.encode(issued.certificatePem), PrivateKey: enc.encode(issued.privateKeyPem), Tags: [{ Key: 'aws:x' }] })),
    ).rejects.toBeInstanceOf(InvalidTagException);
  });
});
