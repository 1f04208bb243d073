/**
 * Finding 7: the Signer API took any `x-amz-content-sha256` (UNSIGNED-PAYLOAD, or any string), so a
 * signed request's body could be replaced in transit. The Signer and ACM endpoints now require it,
 * when present, to be the hex SHA-256 of the body; the S3 endpoint keeps UNSIGNED-PAYLOAD and the
 * streaming modes (its own tests cover them).
 */
import { createHash } from 'node:crypto';
import { GetSigningProfileCommand } from '@aws-sdk/client-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRawError, rawRequest } from '../support/raw.js';
import { startTestServer, type TestServer } from '../support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

describe('finding 7: Signer and ACM requests sign their bodies', () => {
  it('a PutSigningProfile signed with UNSIGNED-PAYLOAD whose body is swapped in transit is refused, and nothing is created', async () => {
    const signedBody = JSON.stringify({ platformId: 'AWSLambda-SHA384-ECDSA' });
    const swapped = JSON.stringify({ platformId: 'AWSLambda-SHA384-ECDSA', tags: { injected: 'yes' } });
    const r = await rawRequest(t.url, {
      method: 'PUT', path: '/signing-profiles/swapped_body', body: signedBody, sendBody: swapped,
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, credentials: t.admin,
    });
    expectRawError(r, 'InvalidSignatureException', 403);
    await expect(t.admin.client.send(new GetSigningProfileCommand({ profileName: 'swapped_body' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it.each([
    ['UNSIGNED-PAYLOAD'],
    ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD'],
    ['not-a-hash'],
    ['E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855'], // upper-case hex is not what SigV4 sends
  ])('x-amz-content-sha256: %s is 403 InvalidSignatureException on the Signer API', async (value) => {
    const r = await rawRequest(t.url, { method: 'GET', path: '/signing-profiles', headers: { 'x-amz-content-sha256': value }, credentials: t.admin });
    expectRawError(r, 'InvalidSignatureException', 403);
  });

  it('the hex SHA-256 of the wrong body is 403; of the right body is accepted', async () => {
    const wrong = createHash('sha256').update('other').digest('hex');
    expectRawError(await rawRequest(t.url, { method: 'GET', path: '/signing-profiles', headers: { 'x-amz-content-sha256': wrong }, credentials: t.admin }), 'InvalidSignatureException', 403);
    expect((await rawRequest(t.url, { method: 'GET', path: '/signing-profiles', credentials: t.admin })).status).toBe(200);
  });

  it('the ACM endpoint refuses UNSIGNED-PAYLOAD too', async () => {
    const r = await rawRequest(t.url, {
      method: 'POST', path: '/', body: '{}', service: 'acm', credentials: t.admin,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CertificateManager.ListCertificates', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(r.status).toBe(403);
    expect(r.json?.__type).toBe('InvalidSignatureException');
    const ok = await rawRequest(t.url, {
      method: 'POST', path: '/', body: '{}', service: 'acm', credentials: t.admin,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CertificateManager.ListCertificates' },
    });
    expect(ok.status).toBe(200);
  });
});
