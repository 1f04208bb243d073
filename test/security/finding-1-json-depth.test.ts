/**
 * Finding 1 (JSON) and the deep-value half of finding 8: a JSON body nested 100,000 deep used to
 * reach recursive walkers (the codec, the audit trail's redaction) and overflow the stack after the
 * handler had run — a 500, and for ACM ImportCertificate a stored certificate with no audit record.
 * Now the raw text's depth is measured in one linear pass before anything parses or walks it.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ListCertificatesCommand, ACMClient } from '@aws-sdk/client-acm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonDepth, type JsonDepthMeter } from '../../src/api/json-depth.js';
import { createTestCa, issueCodeSigningCertificate } from '../../src/keys/index.js';
import { expectRawError, rawRequest } from '../support/raw.js';
import { startTestServer, type TestServer } from '../support/server.js';

const nested = (n: number, open = '[', close = ']', inner = '0') => open.repeat(n) + inner + close.repeat(n);

describe('jsonDepth: one linear pass over the raw text', () => {
  it('measures arrays and objects, ignores brackets inside strings and escapes', () => {
    expect(jsonDepth('{}', 10)).toBe(1);
    expect(jsonDepth('{"a":[1,{"b":[]}]}', 10)).toBe(4);
    expect(jsonDepth('{"a":"[[[[[[\\"[[[["}', 10)).toBe(1);
    expect(jsonDepth('"\\\\"', 10)).toBe(0);
    expect(jsonDepth(nested(100_000), 32)).toBe(33);
  });

  it('property: the steps never exceed the input length, for adversarial shapes', () => {
    const shapes = [
      (n: number) => nested(n),
      (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n),
      (n: number) => '['.repeat(n), // openings without closings
      (n: number) => '"' + '\\"['.repeat(n) + '"',
      (n: number) => '[' + '[],'.repeat(n) + '[]]', // wide, shallow
      (n: number) => '{' + Array.from({ length: n }, (_, i) => `"k${i}":{}`).join(',') + '}', // many members
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: shapes.length - 1 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 4, max: 64 }), (s, n, limit) => {
        const text = shapes[s]!(n);
        const meter: JsonDepthMeter = { steps: 0 };
        const depth = jsonDepth(text, limit, meter);
        expect(depth).toBeLessThanOrEqual(limit + 1);
        expect(meter.steps).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 200 },
    );
  });

  it('property: the measured depth equals the real depth whenever it is within the limit', () => {
    const tree: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string(), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 3 })),
    })).node;
    const depthOf = (v: unknown): number =>
      v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as Record<string, unknown>).map(depthOf)) : 0;
    fc.assert(
      fc.property(tree, (v) => {
        expect(jsonDepth(JSON.stringify(v), 1000)).toBe(depthOf(v));
      }),
      { numRuns: 300 },
    );
  });
});

describe('deep JSON bodies through the API are 400, never 500 or a stack overflow', () => {
  let t: TestServer;
  let acm: ACMClient;
  let cert: { certificatePem: string; privateKeyPem: string };
  beforeAll(async () => {
    t = await startTestServer();
    const dir = mkdtempSync(join(t.dataDir, 'ca-'));
    const ca = await createTestCa({ dir });
    cert = await issueCodeSigningCertificate({ ca, subject: 'CN=depth test', algorithm: 'EC_prime256v1', outDir: dir });
    acm = new ACMClient({ endpoint: t.url, region: 'us-east-1', credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey }, maxAttempts: 1 });
  });
  afterAll(async () => t.stop());

  it('PutSigningProfile with a tag value nested 100,000 arrays deep is SerializationException', async () => {
    const body = `{"platformId":"AWSLambda-SHA384-ECDSA","tags":{"k":${nested(100_000)}}}`;
    const r = await rawRequest(t.url, { method: 'PUT', path: '/signing-profiles/deep_tags', body, credentials: t.admin });
    expectRawError(r, 'SerializationException', 400);
  });

  it('ACM ImportCertificate (valid certificate and key) with "Junk" 100,000 arrays deep is refused and stores nothing', async () => {
    const before = (await acm.send(new ListCertificatesCommand({}))).CertificateSummaryList?.length ?? 0;
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const body = `{"Certificate":"${b64(cert.certificatePem)}","PrivateKey":"${b64(cert.privateKeyPem)}","Junk":${nested(100_000)}}`;
    const r = await rawRequest(t.url, {
      method: 'POST',
      path: '/',
      body,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CertificateManager.ImportCertificate' },
      credentials: t.admin,
      service: 'acm',
    });
    expect(r.status).toBe(400);
    expect(r.json?.__type).toBe('SerializationException');
    expect((await acm.send(new ListCertificatesCommand({}))).CertificateSummaryList?.length ?? 0).toBe(before);
  });

  it('ACM DeleteCertificate with 20,000-deep junk is refused before the handler runs', async () => {
    const r = await rawRequest(t.url, {
      method: 'POST',
      path: '/',
      body: `{"CertificateArn":"arn:aws:acm:us-east-1:${t.admin.accountId}:certificate/x","Junk":${nested(20_000, '{"a":', '}', '1')}}`,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CertificateManager.DeleteCertificate' },
      credentials: t.admin,
      service: 'acm',
    });
    expect(r.status).toBe(400);
    expect(r.json?.__type).toBe('SerializationException');
  });

  it('a body within the depth limit still works', async () => {
    const r = await rawRequest(t.url, { method: 'PUT', path: '/signing-profiles/shallow_tags', body: { platformId: 'AWSLambda-SHA384-ECDSA', tags: { k: 'v' } }, credentials: t.admin });
    expect(r.status).toBe(200);
  });
});
