import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSigningKey } from '../../auth/index.js';
import { createFsObjectStore } from '../fs/fs-object-store.js';
import type { ObjectStore } from '../object-store.types.js';
import { OBJECTS_ERRORS } from '../objects-error.js';
import { createTestAuthenticator, TEST_CREDENTIALS, type TestCredential } from '../test-support/s3-test-authenticator.js';
import { CHECKSUM_HEADERS } from './checksums.js';
import { startEmbeddedS3, type EmbeddedS3 } from './embedded-s3.js';
import { waitFor } from '../../../test/support/wait.js';

let server: EmbeddedS3;
let store: ObjectStore;
let root: string;
const { alice, bob } = TEST_CREDENTIALS;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'objects-http-'));
  store = await createFsObjectStore({ root, fsync: false });
  server = await startEmbeddedS3({ store, authenticate: createTestAuthenticator() });
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  code: string | undefined;
}

interface Req {
  method?: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  cred?: TestCredential | null;
  /** x-amz-content-sha256; default: hex SHA-256 of the body. */
  payloadHash?: string;
  signingDate?: Date;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Signs like an SDK (SigV4, service s3, path not re-escaped) and sends the exact bytes. */
async function s3(req: Req): Promise<Reply> {
  const body = typeof req.body === 'string' ? Buffer.from(req.body) : (req.body ?? Buffer.alloc(0));
  const host = `127.0.0.1:${server.port}`;
  let headers: Record<string, string> = {
    host,
    'content-length': String(body.length),
    'x-amz-content-sha256': req.payloadHash ?? sha256(body),
    ...req.headers,
  };
  const query = req.query ?? {};
  if (req.cred !== null) {
    const cred = req.cred ?? alice;
    const signer = new SignatureV4({
      service: 's3',
      region: 'us-east-1',
      credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey },
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
      applyChecksum: false,
    });
    const signed = (await signer.sign(new HttpRequest({ method: req.method ?? 'GET', hostname: '127.0.0.1', path: req.path, query, headers }), {
      signingDate: req.signingDate ?? new Date(),
    })) as HttpRequest;
    headers = signed.headers;
  }
  const qs = Object.entries(query)
    .map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
  return new Promise<Reply>((resolve, reject) => {
    const r = httpRequest({ host: '127.0.0.1', port: server.port, method: req.method ?? 'GET', path: req.path + (qs ? `?${qs}` : ''), headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const b = Buffer.concat(parts);
        const text = b.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] });
      });
    });
    r.on('error', reject);
    r.end(body);
  });
}

let n = 0;
async function newBucket(cred: TestCredential = alice): Promise<string> {
  const b = `wire-${process.pid}-${++n}`;
  const r = await s3({ method: 'PUT', path: `/${b}`, cred });
  expect(r.status).toBe(200);
  return b;
}

function expectError(r: Reply, code: keyof typeof OBJECTS_ERRORS): void {
  expect({ status: r.status, code: r.code }).toEqual({ status: OBJECTS_ERRORS[code].status, code });
  if (r.body.length > 0) {
    expect(r.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>/);
    expect(r.text).toMatch(/<RequestId>[0-9A-F]{16}<\/RequestId>/);
    expect(r.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
  }
}

/** Builds a signed aws-chunked body for a request signed with `seed` at `amzDate`. */
interface Trailer {
  readonly name: string;
  readonly value: string;
  /** Send this instead of the real trailer signature. */
  readonly forgedSignature?: string;
}

function signedChunks(cred: TestCredential, amzDate: string, seed: string, data: Buffer, chunkSize: number, trailer?: Trailer): Buffer {
  const key = deriveSigningKey(cred.secretAccessKey, amzDate.slice(0, 8), 'us-east-1', 's3');
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  let prev = seed;
  const out: Buffer[] = [];
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) pieces.push(data.subarray(i, i + chunkSize));
  pieces.push(Buffer.alloc(0));
  for (const p of pieces) {
    const sig = createHmac('sha256', key)
      .update(['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, prev, sha256(''), sha256(p)].join('\n'))
      .digest('hex');
    out.push(Buffer.from(`${p.length.toString(16)};chunk-signature=${sig}\r\n`), p);
    if (p.length > 0 || !trailer) out.push(Buffer.from('\r\n'));
    prev = sig;
  }
  if (trailer) {
    const line = `${trailer.name}:${trailer.value}`;
    const sig = createHmac('sha256', key)
      .update(['AWS4-HMAC-SHA256-TRAILER', amzDate, scope, prev, sha256(`${line}\n`)].join('\n'))
      .digest('hex');
    out.push(Buffer.from(`${line}\r\nx-amz-trailer-signature:${trailer.forgedSignature ?? sig}\r\n\r\n`));
  }
  return Buffer.concat(out);
}

/** Signs the headers of a streaming request first, then frames the body with the resulting seed. */
async function signedStreamingPut(path: string, data: Buffer, tamper: boolean, trailer?: Trailer): Promise<Reply> {
  const date = new Date();
  const amzDate = date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  // The framed length depends only on the data length, not on the signatures.
  const framedLength = signedChunks(alice, amzDate, '0'.repeat(64), data, 4096, trailer).length;
  const signer = new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    credentials: { accessKeyId: alice.accessKeyId, secretAccessKey: alice.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });
  const headers: Record<string, string> = {
    host: `127.0.0.1:${server.port}`,
    'content-encoding': 'aws-chunked',
    'content-length': String(framedLength),
    'x-amz-decoded-content-length': String(data.length),
    'x-amz-content-sha256': trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    ...(trailer ? { 'x-amz-trailer': trailer.name } : {}),
  };
  const signed = (await signer.sign(new HttpRequest({ method: 'PUT', hostname: '127.0.0.1', path, headers }), { signingDate: date })) as HttpRequest;
  const seed = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? '';
  const body = signedChunks(alice, amzDate, seed, data, 4096, trailer);
  if (tamper) body.writeUInt8(body.readUInt8(5000) ^ 0x20, 5000);
  return new Promise<Reply>((resolve, reject) => {
    const r = httpRequest({ host: '127.0.0.1', port: server.port, method: 'PUT', path, headers: signed.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), text, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] });
      });
    });
    r.on('error', reject);
    r.end(body);
  });
}

function unsignedTrailerBody(data: Buffer, trailerName: string, trailerValue: string): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from(`\r\n0\r\n${trailerName}:${trailerValue}\r\n\r\n`)]);
}

function checksumOf(name: keyof typeof CHECKSUM_HEADERS, data: Buffer): string {
  const c = CHECKSUM_HEADERS[name]();
  c.update(data);
  return c.digest();
}

describe('embedded S3 endpoint: authentication and ownership', () => {
  it('[AccessDenied] an unsigned request is 403 with an S3 XML error', async () => {
    expectError(await s3({ path: '/', cred: null }), 'AccessDenied');
  });

  it('[InvalidAccessKeyId] an unknown access key is 403', async () => {
    expectError(await s3({ path: '/', cred: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x', accountId: '1' } }), 'InvalidAccessKeyId');
  });

  it('[SignatureDoesNotMatch] a wrong secret is 403', async () => {
    expectError(await s3({ path: '/', cred: { ...alice, secretAccessKey: 'wrong' } }), 'SignatureDoesNotMatch');
  });

  it('[RequestTimeTooSkewed] a signature from an hour ago is 403', async () => {
    expectError(await s3({ path: '/', signingDate: new Date(Date.now() - 3600_000) }), 'RequestTimeTooSkewed');
  });

  it('[CreateBucket] buckets belong to their creator: 409s on re-create, AccessDenied for other accounts', async () => {
    const b = await newBucket(alice);
    expectError(await s3({ method: 'PUT', path: `/${b}` }), 'BucketAlreadyOwnedByYou');
    expectError(await s3({ method: 'PUT', path: `/${b}`, cred: bob }), 'BucketAlreadyExists');
    expectError(await s3({ path: `/${b}`, query: { 'list-type': '2' }, cred: bob }), 'AccessDenied');
    expectError(await s3({ method: 'PUT', path: `/${b}/k`, body: 'x', cred: bob }), 'AccessDenied');
    expectError(await s3({ path: `/${b}/k`, cred: bob }), 'AccessDenied');
    const list = await s3({ path: '/', cred: bob });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(b);
    expect((await s3({ path: '/' })).text).toContain(`<Name>${b}</Name>`);
  });

  it('[CreateBucket] an invalid name is InvalidBucketName', async () => {
    expectError(await s3({ method: 'PUT', path: '/Bad_Name' }), 'InvalidBucketName');
  });
});

describe('embedded S3 endpoint: payload checks', () => {
  let b: string;
  beforeAll(async () => {
    b = await newBucket();
  });

  it('[PutObject] Content-MD5 mismatch is 400 BadDigest and stores nothing', async () => {
    const wrong = createHash('md5').update('other').digest('base64');
    expectError(await s3({ method: 'PUT', path: `/${b}/md5`, body: 'payload', headers: { 'content-md5': wrong } }), 'BadDigest');
    expectError(await s3({ path: `/${b}/md5` }), 'NoSuchKey');
    const right = createHash('md5').update('payload').digest('base64');
    const ok = await s3({ method: 'PUT', path: `/${b}/md5`, body: 'payload', headers: { 'content-md5': right } });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe(`"${createHash('md5').update('payload').digest('hex')}"`);
  });

  it('[PutObject] a signed hex x-amz-content-sha256 that does not match the body is XAmzContentSHA256Mismatch', async () => {
    expectError(await s3({ method: 'PUT', path: `/${b}/sha`, body: 'payload', payloadHash: sha256('something else') }), 'XAmzContentSHA256Mismatch');
    expectError(await s3({ path: `/${b}/sha` }), 'NoSuchKey');
  });

  it('[PutObject] UNSIGNED-PAYLOAD is accepted as is', async () => {
    expect((await s3({ method: 'PUT', path: `/${b}/unsigned`, body: 'abc', payloadHash: 'UNSIGNED-PAYLOAD' })).status).toBe(200);
    expect((await s3({ path: `/${b}/unsigned` })).text).toBe('abc');
  });

  it('[x-amz-checksum-crc32] a wrong header checksum is BadDigest; a right one is echoed', async () => {
    const data = Buffer.from('checksummed');
    expectError(await s3({ method: 'PUT', path: `/${b}/crc`, body: data, headers: { 'x-amz-checksum-crc32': 'AAAAAA==' } }), 'BadDigest');
    const good = checksumOf('x-amz-checksum-crc32', data);
    const ok = await s3({ method: 'PUT', path: `/${b}/crc`, body: data, headers: { 'x-amz-checksum-crc32': good } });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-amz-checksum-crc32']).toBe(good);
  });

  it('[STREAMING-AWS4-HMAC-SHA256-PAYLOAD] verifies every chunk signature; a tampered chunk is SignatureDoesNotMatch and stores nothing', async () => {
    const data = Buffer.alloc(20_000, 'q');
    const ok = await signedStreamingPut(`/${b}/streamed`, data, false);
    expect(ok.status).toBe(200);
    expect((await s3({ path: `/${b}/streamed` })).body.equals(data)).toBe(true);
    const bad = await signedStreamingPut(`/${b}/tampered`, data, true);
    expectError(bad, 'SignatureDoesNotMatch');
    expectError(await s3({ path: `/${b}/tampered` }), 'NoSuchKey');
  });

  it('[STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER] checks chunk signatures, the trailer signature and the trailer checksum', async () => {
    const data = Buffer.alloc(10_000, 'r');
    const crc = checksumOf('x-amz-checksum-crc32', data);
    const ok = await signedStreamingPut(`/${b}/signed-trailer`, data, false, { name: 'x-amz-checksum-crc32', value: crc });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-amz-checksum-crc32']).toBe(crc);
    expect((await s3({ path: `/${b}/signed-trailer` })).body.equals(data)).toBe(true);
    expectError(await signedStreamingPut(`/${b}/st-bad-crc`, data, false, { name: 'x-amz-checksum-crc32', value: 'AAAAAA==' }), 'BadDigest');
    expectError(await signedStreamingPut(`/${b}/st-bad-sig`, data, false, { name: 'x-amz-checksum-crc32', value: crc, forgedSignature: 'f'.repeat(64) }), 'SignatureDoesNotMatch');
    expectError(await signedStreamingPut(`/${b}/st-tampered`, data, true, { name: 'x-amz-checksum-crc32', value: crc }), 'SignatureDoesNotMatch');
    for (const k of ['st-bad-crc', 'st-bad-sig', 'st-tampered']) expectError(await s3({ path: `/${b}/${k}` }), 'NoSuchKey');
  });

  for (const alg of ['x-amz-checksum-crc32', 'x-amz-checksum-crc32c', 'x-amz-checksum-crc64nvme', 'x-amz-checksum-sha1', 'x-amz-checksum-sha256'] as const) {
    it(`[STREAMING-UNSIGNED-PAYLOAD-TRAILER] ${alg} trailer is verified`, async () => {
      const data = Buffer.from(`trailer data for ${alg}`);
      const headers = {
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': String(data.length),
        'x-amz-trailer': alg,
      };
      const key = `/${b}/trailer-${alg}`;
      const bad = await s3({ method: 'PUT', path: key, headers, payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', body: unsignedTrailerBody(data, alg, checksumOf(alg, Buffer.from('x'))) });
      expectError(bad, 'BadDigest');
      expectError(await s3({ path: key }), 'NoSuchKey');
      const ok = await s3({ method: 'PUT', path: key, headers, payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', body: unsignedTrailerBody(data, alg, checksumOf(alg, data)) });
      expect(ok.status).toBe(200);
      expect((await s3({ path: key })).body.equals(data)).toBe(true);
    });
  }

  it('[x-amz-decoded-content-length] a body shorter than declared is IncompleteBody', async () => {
    const data = Buffer.from('short');
    const r = await s3({
      method: 'PUT',
      path: `/${b}/declared`,
      payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '99', 'x-amz-trailer': 'x-amz-checksum-crc32' },
      body: unsignedTrailerBody(data, 'x-amz-checksum-crc32', checksumOf('x-amz-checksum-crc32', data)),
    });
    expectError(r, 'IncompleteBody');
  });

  it('[x-amz-content-sha256] an unknown mode is InvalidArgument; sigv4a streaming is NotImplemented', async () => {
    expectError(await s3({ method: 'PUT', path: `/${b}/mode`, body: 'x', payloadHash: 'BOGUS' }), 'InvalidArgument');
    expectError(await s3({ method: 'PUT', path: `/${b}/mode`, body: 'x', payloadHash: 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD' }), 'NotImplemented');
  });

  it('[PutObject] a connection dropped mid-body leaves no object and no temp file', async () => {
    const path = `/${b}/dropped`;
    const signer = new SignatureV4({
      service: 's3',
      region: 'us-east-1',
      credentials: { accessKeyId: alice.accessKeyId, secretAccessKey: alice.secretAccessKey },
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
      applyChecksum: false,
    });
    const headers = { host: `127.0.0.1:${server.port}`, 'content-length': String(4 << 20), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const signed = (await signer.sign(new HttpRequest({ method: 'PUT', hostname: '127.0.0.1', path, headers }))) as HttpRequest;
    const head = `PUT ${path} HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    await new Promise<void>((resolve, reject) => {
      const sock = connect(server.port, '127.0.0.1', () => {
        sock.write(head);
        sock.write(Buffer.alloc(1 << 20, 1), () => setTimeout(() => {
          sock.destroy();
          resolve();
        }, 50));
      });
      sock.on('error', reject);
    });
    // The server notices the abort and cleans up (a ceiling, not a budget: see test/support/wait.ts).
    await waitFor('the aborted upload\'s temp file to go', async () => (await readdir(join(root, '.tmp'))).length === 0);
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
    expectError(await s3({ path }), 'NoSuchKey');
  });
});

describe('embedded S3 endpoint: reads, listings and errors', () => {
  let b: string;
  const data = Buffer.from('0123456789abcdefghij');
  beforeAll(async () => {
    b = await newBucket();
    await s3({ method: 'PUT', path: `/${b}/obj`, body: data, headers: { 'content-type': 'text/plain', 'x-amz-meta-build': '7' } });
  });

  it('[GetObject] Range bytes=5-9 is 206 with Content-Range; past the end is 416 InvalidRange', async () => {
    const r = await s3({ path: `/${b}/obj`, headers: { range: 'bytes=5-9' } });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe('bytes 5-9/20');
    expect(r.text).toBe('56789');
    const suffix = await s3({ path: `/${b}/obj`, headers: { range: 'bytes=-3' } });
    expect([suffix.status, suffix.text]).toEqual([206, 'hij']);
    const bad = await s3({ path: `/${b}/obj`, headers: { range: 'bytes=20-' } });
    expectError(bad, 'InvalidRange');
    expect(bad.headers['content-range']).toBe('bytes */20');
    const ignored = await s3({ path: `/${b}/obj`, headers: { range: 'bytes=9-5' } });
    expect([ignored.status, ignored.text]).toEqual([200, data.toString()]);
  });

  it('[HeadObject] returns size, type, etag and metadata without a body', async () => {
    const r = await s3({ method: 'HEAD', path: `/${b}/obj` });
    expect(r.status).toBe(200);
    expect(r.headers).toMatchObject({ 'content-length': '20', 'content-type': 'text/plain', 'x-amz-meta-build': '7', 'accept-ranges': 'bytes' });
    expect(r.body.length).toBe(0);
    const missing = await s3({ method: 'HEAD', path: `/${b}/none` });
    expect([missing.status, missing.body.length]).toEqual([404, 0]);
  });

  it('[GetObject] NoSuchKey, NoSuchBucket and NoSuchVersion are 404s', async () => {
    expectError(await s3({ path: `/${b}/none` }), 'NoSuchKey');
    expectError(await s3({ path: '/no-such-bucket-here/x' }), 'NoSuchBucket');
    expectError(await s3({ path: `/${b}/obj`, query: { versionId: 'nope' } }), 'NoSuchVersion');
  });

  it('[PutBucketVersioning] a body that is not a VersioningConfiguration is MalformedXML', async () => {
    expectError(await s3({ method: 'PUT', path: `/${b}`, query: { versioning: '' }, body: '<VersioningConfiguration><Status>Maybe</Status></VersioningConfiguration>' }), 'MalformedXML');
    expectError(await s3({ method: 'PUT', path: `/${b}`, query: { versioning: '' }, body: 'not xml' }), 'MalformedXML');
  });

  it('[ListObjectsV2] XML shape; encoding-type=url encodes keys', async () => {
    await s3({ method: 'PUT', path: `/${b}/dir/a%20b%2Bc`, body: 'x' });
    const r = await s3({ path: `/${b}`, query: { 'list-type': '2', prefix: 'dir/', 'encoding-type': 'url' } });
    expect(r.status).toBe(200);
    expect(r.text).toContain('<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">');
    expect(r.text).toContain('<Key>dir/a%20b%2Bc</Key>');
    expect(r.text).toContain('<KeyCount>1</KeyCount>');
    const plain = await s3({ path: `/${b}`, query: { 'list-type': '2', prefix: 'dir/' } });
    expect(plain.text).toContain('<Key>dir/a b+c</Key>');
  });

  it('[NotImplemented] unknown sub-resources are 501', async () => {
    expectError(await s3({ path: `/${b}`, query: { acl: '' } }), 'NotImplemented');
    expectError(await s3({ method: 'PUT', path: `/${b}/obj`, query: { tagging: '' }, body: '<Tagging><TagSet/></Tagging>' }), 'NotImplemented');
    expectError(await s3({ path: `/${b}`, query: { tagging: '' } }), 'NotImplemented');
    expectError(await s3({ method: 'PUT', path: `/${b}/tagged`, body: 'x', headers: { 'x-amz-tagging': 'a=b' } }), 'NotImplemented');
    // A sub-resource never falls through to the plain operation.
    expectError(await s3({ method: 'PUT', path: `/${b}-new`, query: { delete: '' } }), 'NotImplemented');
    expectError(await s3({ method: 'DELETE', path: `/${b}`, query: { versioning: '' } }), 'NotImplemented');
    expectError(await s3({ method: 'PUT', path: `/${b}/k`, query: { versioning: '' }, body: 'x' }), 'NotImplemented');
    expectError(await s3({ path: `/${b}`, query: { uploads: '' } }), 'NotImplemented');
    expectError(await s3({ path: `/${b}-new` }), 'NoSuchBucket');
  });

  it('[DeleteObject] in a versioned bucket answers with x-amz-delete-marker and a version id', async () => {
    const vb = await newBucket();
    const cfg = '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>';
    expect((await s3({ method: 'PUT', path: `/${vb}`, query: { versioning: '' }, body: cfg })).status).toBe(200);
    expect((await s3({ path: `/${vb}`, query: { versioning: '' } })).text).toContain('<Status>Enabled</Status>');
    const put = await s3({ method: 'PUT', path: `/${vb}/k`, body: 'v1' });
    expect(put.headers['x-amz-version-id']).toBeTruthy();
    const del = await s3({ method: 'DELETE', path: `/${vb}/k` });
    expect(del.status).toBe(204);
    expect(del.headers['x-amz-delete-marker']).toBe('true');
    const get = await s3({ path: `/${vb}/k` });
    expectError(get, 'NoSuchKey');
    expect(get.headers['x-amz-delete-marker']).toBe('true');
    const versions = await s3({ path: `/${vb}`, query: { versions: '' } });
    expect(versions.text).toContain('<DeleteMarker><Key>k</Key>');
    expect(versions.text).toContain(`<Version><Key>k</Key><VersionId>${String(put.headers['x-amz-version-id'])}</VersionId><IsLatest>false</IsLatest>`);
  });

  it('[presigned GET] a query-signed URL reads the object; a tampered one is SignatureDoesNotMatch', async () => {
    const signer = new SignatureV4({
      service: 's3',
      region: 'us-east-1',
      credentials: { accessKeyId: alice.accessKeyId, secretAccessKey: alice.secretAccessKey },
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
    });
    // As S3 presigners do: the payload is UNSIGNED-PAYLOAD, and that header is neither signed nor sent.
    const unsent = new Set(['x-amz-content-sha256']);
    const presigned = await signer.presign(
      new HttpRequest({ method: 'GET', hostname: '127.0.0.1', path: `/${b}/obj`, headers: { host: `127.0.0.1:${server.port}`, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
      { expiresIn: 300, unsignableHeaders: unsent, unhoistableHeaders: unsent },
    );
    const qs = Object.entries(presigned.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
    const get = (path: string): Promise<{ status: number; text: string }> =>
      new Promise((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port: server.port, path }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }));
        }).on('error', reject).end();
      });
    const ok = await get(`/${b}/obj?${qs}`);
    expect(ok).toEqual({ status: 200, text: data.toString() });
    const tampered = await get(`/${b}/other?${qs}`);
    expect(tampered.status).toBe(403);
    expect(tampered.text).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('[PutObject] percent-encoded dot segments in the path are a key, never a file path', async () => {
    const r = await s3({ method: 'PUT', path: `/${b}/..%2F..%2F..%2Fescape`, body: 'inside' });
    expect(r.status).toBe(200);
    expect((await s3({ path: `/${b}/..%2F..%2F..%2Fescape` })).text).toBe('inside');
    expect((await readdir(root)).filter((x) => !x.startsWith('.') && !x.startsWith('wire-'))).toEqual([]);
  });

  it('[HeadBucket][GetBucketLocation][ListObjects v1] answer for the owner', async () => {
    const head = await s3({ method: 'HEAD', path: `/${b}` });
    expect([head.status, head.headers['x-amz-bucket-region']]).toEqual([200, 'us-east-1']);
    expect((await s3({ path: `/${b}`, query: { location: '' } })).text).toContain('<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>');
    const v1 = await s3({ path: `/${b}`, query: { 'max-keys': '1' } });
    expect(v1.text).toContain('<IsTruncated>true</IsTruncated>');
    expect(v1.text).toMatch(/<NextMarker>[^<]+<\/NextMarker>/);
  });

  it('[DeleteObjects] deletes many keys, reports per-key results, and needs an integrity header', async () => {
    const db = await newBucket();
    for (const k of ['x1', 'x2']) await s3({ method: 'PUT', path: `/${db}/${k}`, body: k });
    const xml = '<Delete><Object><Key>x1</Key></Object><Object><Key>x2</Key></Object><Object><Key>never</Key></Object></Delete>';
    expectError(await s3({ method: 'POST', path: `/${db}`, query: { delete: '' }, body: xml }), 'InvalidRequest');
    expectError(await s3({ method: 'POST', path: `/${db}`, query: { delete: '' }, body: xml, headers: { 'content-md5': createHash('md5').update('x').digest('base64') } }), 'BadDigest');
    const r = await s3({ method: 'POST', path: `/${db}`, query: { delete: '' }, body: xml, headers: { 'content-md5': createHash('md5').update(xml).digest('base64') } });
    expect(r.status).toBe(200);
    expect(r.text).toContain('<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Deleted><Key>x1</Key></Deleted><Deleted><Key>x2</Key></Deleted><Deleted><Key>never</Key></Deleted></DeleteResult>');
    expectError(await s3({ path: `/${db}/x1` }), 'NoSuchKey');
    expectError(await s3({ method: 'POST', path: `/${db}`, query: { delete: '' }, body: xml, cred: bob, headers: { 'content-md5': createHash('md5').update(xml).digest('base64') } }), 'AccessDenied');
  });

  it('[CopyObject] copies bytes and metadata (COPY) or takes new ones (REPLACE); self-copy without REPLACE is InvalidRequest', async () => {
    const copied = await s3({ method: 'PUT', path: `/${b}/copy-1`, headers: { 'x-amz-copy-source': `${b}/obj` } });
    expect(copied.status).toBe(200);
    expect(copied.text).toContain(`<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>&quot;${createHash('md5').update(data).digest('hex')}&quot;</ETag>`);
    const got = await s3({ path: `/${b}/copy-1` });
    expect([got.text, got.headers['content-type'], got.headers['x-amz-meta-build']]).toEqual([data.toString(), 'text/plain', '7']);
    const replaced = await s3({ method: 'PUT', path: `/${b}/copy-2`, headers: { 'x-amz-copy-source': `/${b}/obj`, 'x-amz-metadata-directive': 'REPLACE', 'content-type': 'application/x-new', 'x-amz-meta-other': 'y' } });
    expect(replaced.status).toBe(200);
    const head = await s3({ method: 'HEAD', path: `/${b}/copy-2` });
    expect([head.headers['content-type'], head.headers['x-amz-meta-build'], head.headers['x-amz-meta-other']]).toEqual(['application/x-new', undefined, 'y']);
    expectError(await s3({ method: 'PUT', path: `/${b}/obj`, headers: { 'x-amz-copy-source': `/${b}/obj` } }), 'InvalidRequest');
    expectError(await s3({ method: 'PUT', path: `/${b}/copy-3`, headers: { 'x-amz-copy-source': `/${b}/missing` } }), 'NoSuchKey');
    expectError(await s3({ method: 'PUT', path: `/${b}/copy-3`, headers: { 'x-amz-copy-source': 'nobucketonly' } }), 'InvalidArgument');
  });

  it('[CopyObject] the source bucket must belong to the caller too', async () => {
    const theirs = await newBucket(bob);
    await s3({ method: 'PUT', path: `/${theirs}/secret`, body: 'bob only', cred: bob });
    expectError(await s3({ method: 'PUT', path: `/${b}/stolen`, headers: { 'x-amz-copy-source': `/${theirs}/secret` } }), 'AccessDenied');
    expectError(await s3({ path: `/${b}/stolen` }), 'NoSuchKey');
  });

  it('[CopyObject] x-amz-copy-source-if-match / if-none-match are checked (412 PreconditionFailed)', async () => {
    const etag = `"${createHash('md5').update(data).digest('hex')}"`;
    expect((await s3({ method: 'PUT', path: `/${b}/cond-1`, headers: { 'x-amz-copy-source': `/${b}/obj`, 'x-amz-copy-source-if-match': etag } })).status).toBe(200);
    expectError(await s3({ method: 'PUT', path: `/${b}/cond-2`, headers: { 'x-amz-copy-source': `/${b}/obj`, 'x-amz-copy-source-if-match': '"0000"' } }), 'PreconditionFailed');
    expectError(await s3({ method: 'PUT', path: `/${b}/cond-2`, headers: { 'x-amz-copy-source': `/${b}/obj`, 'x-amz-copy-source-if-none-match': etag } }), 'PreconditionFailed');
    expectError(await s3({ path: `/${b}/cond-2` }), 'NoSuchKey');
  });

  it('[GetObjectTagging] every object has an empty tag set', async () => {
    const r = await s3({ path: `/${b}/obj`, query: { tagging: '' } });
    expect(r.text).toContain('<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet></TagSet></Tagging>');
    expectError(await s3({ path: `/${b}/none`, query: { tagging: '' } }), 'NoSuchKey');
  });
});

describe('embedded S3 endpoint: lifecycle', () => {
  it('a taken port rejects with EADDRINUSE so the caller can pick another', async () => {
    const err = await startEmbeddedS3({ store, authenticate: createTestAuthenticator(), port: server.port }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EADDRINUSE');
  });

  it('close() stops listening', async () => {
    const other = await startEmbeddedS3({ store, authenticate: createTestAuthenticator() });
    expect(other.url).toBe(`http://127.0.0.1:${other.port}`);
    await other.close();
    const err = await new Promise<unknown>((resolve) => {
      httpRequest({ host: '127.0.0.1', port: other.port, path: '/' }, () => resolve(undefined)).on('error', resolve).end();
    });
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
  });
});
