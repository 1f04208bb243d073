/**
 * Finding 8: client errors that answered 500 — `<ETag>&#x110000;</ETag>` (a RangeError),
 * `?response-content-type=` with CR/LF, DEL or non-ASCII (the header write threw), a tag value
 * nested 100,000 deep — and client-aborted requests logged at error level with a stack. Each is now
 * the documented 4xx, and an abort is one debug line without a stack.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { expectRawError, rawRequest } from '../support/raw.js';
import { s3Signed } from '../support/s3-raw.js';

let server: RunningServer;
let dataDir: string;
let cred: { accessKeyId: string; secretAccessKey: string };
const lines: Record<string, unknown>[] = [];
const waiters: (() => void)[] = [];

/** Resolves when a log line matching `test` has been written. */
function logged(test: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const check = () => {
      const hit = lines.find(test);
      if (hit) resolve(hit);
      else waiters.push(check);
    };
    check();
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sec-4xx-'));
  const logger = createLogger('debug', (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  server = await startServer(loadConfig({ env: { SIGNER_THROTTLE_RPS: '0' }, flags: { dataDir, port: 0, s3Port: 0 } }), { logger });
  const key = (await server.store.listAccessKeys(server.adminAccountId))[0]!;
  const c = (await server.accounts.lookup(key.accessKeyId))!;
  cred = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
  expect((await s3Signed(server.s3Url, cred, { method: 'PUT', path: '/errs' })).status).toBe(200);
  expect((await s3Signed(server.s3Url, cred, { method: 'PUT', path: '/errs/obj', body: 'hello' })).status).toBe(200);
});
afterAll(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('finding 8: every client error is a 4xx', () => {
  it('CompleteMultipartUpload with <ETag>&#x110000;</ETag> is 400 MalformedXML', async () => {
    const init = await s3Signed(server.s3Url, cred, { method: 'POST', path: '/errs/mp', query: { uploads: '' } });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)?.[1];
    expect(uploadId).toBeDefined();
    const body = '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&#x110000;</ETag></Part></CompleteMultipartUpload>';
    const r = await s3Signed(server.s3Url, cred, { method: 'POST', path: '/errs/mp', query: { uploadId: uploadId! }, body });
    expect({ status: r.status, code: r.code }).toEqual({ status: 400, code: 'MalformedXML' });
  });

  it.each([
    ['CR/LF', 'text/plain\r\nx-injected: 1'],
    ['DEL (%7F)', 'text/\x7fplain'],
    ['non-ASCII above U+00FF', 'text/plain; charset=\u20ac'],
    ['non-ASCII Latin-1', 'text/pl\u00e4in'],
  ])('GET with response-content-type containing %s is 400 InvalidArgument', async (_n, value) => {
    const r = await s3Signed(server.s3Url, cred, { method: 'GET', path: '/errs/obj', query: { 'response-content-type': value } });
    expect({ status: r.status, code: r.code }).toEqual({ status: 400, code: 'InvalidArgument' });
    expect(r.headers['x-injected']).toBeUndefined();
  });

  it('a printable response-content-type is still honoured', async () => {
    const r = await s3Signed(server.s3Url, cred, { method: 'GET', path: '/errs/obj', query: { 'response-content-type': 'text/plain; charset=utf-8' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('TagResource with a tag value nested 100,000 deep is 400 SerializationException', async () => {
    const arn = encodeURIComponent(`arn:aws:signer:us-east-1:${server.adminAccountId}:/signing-profiles/none`);
    const r = await rawRequest(server.apiUrl, { method: 'POST', path: `/tags/${arn}`, body: `{"tags":{"k":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`, credentials: cred });
    expectRawError(r, 'SerializationException', 400);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('finding 8: client aborts are logged at debug level, without a stack', () => {
  /** Sends a signed request's head plus a few body bytes of the declared length, then hangs up. */
  async function abortMidBody(url: string, service: 'signer' | 's3', path: string): Promise<void> {
    const u = new URL(url);
    const signer = new SignatureV4({ service, region: 'us-east-1', credentials: cred, sha256: Hash.bind(null, 'sha256'), uriEscapePath: service !== 's3', applyChecksum: false });
    const headers = { host: u.host, 'content-length': '100000', 'content-type': 'application/json', ...(service === 's3' ? { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } : {}) };
    const signed = (await signer.sign(new HttpRequest({ method: 'PUT', hostname: u.hostname, port: Number(u.port), path, headers }))) as HttpRequest;
    await new Promise<void>((resolve) => {
      const s = connect(Number(u.port), u.hostname, () => {
        s.write(`PUT ${path} HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n{"platformId":`, () => {
          setTimeout(() => {
            s.destroy();
            resolve();
          }, 50);
        });
      });
      s.on('error', () => undefined);
    });
  }

  it('Signer API: one debug line, no error line, no stack', async () => {
    const before = lines.length;
    await abortMidBody(server.apiUrl, 'signer', '/signing-profiles/aborted');
    const line = await logged((l) => l.msg === 'client went away');
    expect(line.level).toBe('debug');
    expect(JSON.stringify(line)).not.toMatch(/\n\s+at /);
    expect(lines.slice(before).filter((l) => l.level === 'error')).toEqual([]);
  });

  it('S3 endpoint: one debug line, no error line, no stack', async () => {
    const before = lines.length;
    await abortMidBody(server.s3Url, 's3', '/errs/aborted-upload');
    const line = await logged((l) => l.msg === 'embedded S3: client went away');
    expect(line.level).toBe('debug');
    expect(JSON.stringify(line)).not.toMatch(/\n\s+at /);
    expect(lines.slice(before).filter((l) => l.level === 'error')).toEqual([]);
  });
});
