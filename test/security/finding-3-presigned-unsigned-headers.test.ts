/**
 * Finding 3: the holder of a presigned PUT (signed headers: `host`) could add
 * `x-amz-copy-source: /private-a/secret.key` and turn the upload into a copy of any object of the
 * issuer's; unsigned `x-amz-meta-*` were stored too. S3's rule now holds on the embedded endpoint:
 * every `x-amz-*` header on a request must be covered by the signature, or 403 AccessDenied.
 * `content-type` stays accepted unsigned on a presigned PUT, as AWS S3 accepts it (docs/security.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presign, s3Signed, send } from '../support/s3-raw.js';
import { startTestServer, type TestServer } from '../support/server.js';

let t: TestServer;
let s3: string;
let host: string;
beforeAll(async () => {
  t = await startTestServer();
  s3 = t.server.s3Url;
  host = new URL(s3).host;
  for (const b of ['bucket-a', 'private-a']) expect((await s3Signed(s3, t.admin, { method: 'PUT', path: `/${b}` })).status).toBe(200);
  expect((await s3Signed(s3, t.admin, { method: 'PUT', path: '/private-a/secret.key', body: 'TOP SECRET KEY BYTES' })).status).toBe(200);
});
afterAll(async () => t.stop());

describe('finding 3: a presigned PUT grants exactly what it signs', () => {
  it('x-amz-copy-source on a presigned PUT that did not sign it is 403 AccessDenied, and nothing is copied', async () => {
    const url = await presign(s3, t.admin, 'PUT', '/bucket-a/upload-slot.bin');
    const r = await send(s3, 'PUT', url, { host, 'content-length': '0', 'x-amz-copy-source': '/private-a/secret.key' });
    expect({ status: r.status, code: r.code }).toEqual({ status: 403, code: 'AccessDenied' });
    expect(r.text).toContain('x-amz-copy-source');
    expect((await s3Signed(s3, t.admin, { method: 'GET', path: '/bucket-a/upload-slot.bin' })).status).toBe(404);
  });

  it('unsigned x-amz-meta-* (and any other x-amz-* header) on a presigned PUT is 403', async () => {
    const url = await presign(s3, t.admin, 'PUT', '/bucket-a/meta.bin');
    for (const h of ['x-amz-meta-approved', 'x-amz-tagging', 'x-amz-metadata-directive', 'x-amz-checksum-crc32']) {
      const r = await send(s3, 'PUT', url, { host, 'content-length': '1', [h]: 'x' }, Buffer.from('x'));
      expect({ header: h, status: r.status, code: r.code }).toEqual({ header: h, status: 403, code: 'AccessDenied' });
    }
    expect((await s3Signed(s3, t.admin, { method: 'HEAD', path: '/bucket-a/meta.bin' })).status).toBe(404);
  });

  it('the presigned PUT as issued still works, with or without a content-type (AWS accepts it unsigned)', async () => {
    const url = await presign(s3, t.admin, 'PUT', '/bucket-a/upload-slot.bin');
    const r = await send(s3, 'PUT', url, { host, 'content-length': '8', 'content-type': 'application/octet-stream', 'x-amzn-trace-id': 'Root=1-abc' }, Buffer.from('firmware'));
    expect({ status: r.status, text: r.text }).toMatchObject({ status: 200 });
    const got = await s3Signed(s3, t.admin, { method: 'GET', path: '/bucket-a/upload-slot.bin' });
    expect(got.text).toBe('firmware');
  });

  it('a header-signed request with an x-amz-* header added after signing is 403; the same header signed is accepted', async () => {
    const tampered = await s3Signed(s3, t.admin, { method: 'PUT', path: '/bucket-a/signed.bin', body: 'x', unsignedHeaders: { 'x-amz-meta-approved': 'yes' } });
    expect({ status: tampered.status, code: tampered.code }).toEqual({ status: 403, code: 'AccessDenied' });
    const ok = await s3Signed(s3, t.admin, { method: 'PUT', path: '/bucket-a/signed.bin', body: 'x', headers: { 'x-amz-meta-approved': 'yes' } });
    expect(ok.status).toBe(200);
    expect((await s3Signed(s3, t.admin, { method: 'HEAD', path: '/bucket-a/signed.bin' })).headers['x-amz-meta-approved']).toBe('yes');
  });

  it('a header-signed copy that signs x-amz-copy-source still copies (CopyObject is intact)', async () => {
    const r = await s3Signed(s3, t.admin, { method: 'PUT', path: '/private-a/copy.key', headers: { 'x-amz-copy-source': '/private-a/secret.key' } });
    expect(r.status).toBe(200);
    expect(r.text).toContain('CopyObjectResult');
  });
});
