/**
 * Finding 4: the Signer API read whole bodies (up to 1 MiB) before looking at the signature, and
 * nothing closed a stalled connection: 200 unsigned connections each declaring 1 MiB pinned
 * 170 MiB, and a signed S3 PUT that declares 10 bytes and sends 1 stayed open for ever
 * (`requestTimeout = 0`). Now the headers are checked first, unauthenticated bodies are not read
 * past a small limit, failures are rate-limited per address, and both listeners have headers,
 * request and idle timeouts and a per-address connection cap (short values configured here; the
 * tests wait for the server's answer or its close, never for a wall-clock threshold).
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Signed, send } from '../support/s3-raw.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** A raw connection that records what arrives and when it closes. */
function open(url: string): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    let data = '';
    socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** Resolves once `test` holds for what arrived (or the connection closed). */
function until(conn: { socket: Socket; received: () => string }, test: (s: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      if (test(conn.received())) done();
    };
    const done = () => {
      conn.socket.off('data', check);
      conn.socket.off('close', done);
      resolve(conn.received());
    };
    conn.socket.on('data', check);
    conn.socket.once('close', done);
    check();
  });
}

describe('finding 4: the Signer API authenticates before reading', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { SIGNER_HEADERS_TIMEOUT_MS: '500', SIGNER_AUTH_FAILURE_RPS: '0', SIGNER_AUTH_FAILURE_BURST: '1000' } });
  });
  afterAll(async () => t.stop());

  it('50 unsigned requests declaring 1 MiB are answered 403 before their bodies arrive, and closed', async () => {
    const conns = await Promise.all(Array.from({ length: 50 }, () => open(t.url)));
    const host = new URL(t.url).host;
    for (const c of conns) {
      c.socket.write(`PUT /signing-profiles/p1 HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: 1048576\r\n\r\n`);
      c.socket.write(Buffer.alloc(16 * 1024, 0x20)); // a sliver of the megabyte, then stall
    }
    const replies = await Promise.all(conns.map((c) => until(c, (s) => s.includes('\r\n\r\n'))));
    for (const r of replies) {
      expect(r).toMatch(/^HTTP\/1\.1 403 /);
      expect(r.toLowerCase()).toContain('x-amzn-errortype: missingauthenticationtokenexception');
      expect(r.toLowerCase()).toContain('connection: close');
    }
    await Promise.all(conns.map((c) => c.closed));
  });

  it('a request with a malformed Authorization header is refused before its body, too', async () => {
    const c = await open(t.url);
    c.socket.write(
      `PUT /signing-profiles/p1 HTTP/1.1\r\nhost: ${new URL(t.url).host}\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN00000000/20260101/us-east-1/signer/aws4_request, SignedHeaders=host, Signature=00\r\nx-amz-date: 20260101T000000Z\r\ncontent-length: 1048576\r\n\r\n`,
    );
    const r = await until(c, (s) => s.includes('\r\n\r\n'));
    expect(r).toMatch(/^HTTP\/1\.1 403 /);
    await c.closed;
  });

  it('a client that never finishes its headers is closed (headersTimeout)', async () => {
    const c = await open(t.url);
    c.socket.write(`GET /ping HTTP/1.1\r\nhost: ${new URL(t.url).host}\r\nx-slow: `);
    await c.closed;
    expect(c.received()).not.toContain('"status":"ok"');
  });
});

describe('finding 4: per-address caps on the Signer port', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { SIGNER_MAX_CONNECTIONS_PER_IP: '3' } });
  });
  afterAll(async () => t.stop());

  it('a fourth concurrent connection from one address is closed at once; the first three still work', async () => {
    const held = await Promise.all([open(t.url), open(t.url), open(t.url)]);
    const fourth = await open(t.url);
    await fourth.closed;
    expect(fourth.received()).toBe('');
    const ping = `GET /ping HTTP/1.1\r\nhost: ${new URL(t.url).host}\r\n\r\n`;
    for (const c of held) c.socket.write(ping);
    for (const c of held) expect(await until(c, (s) => s.includes('"status":"ok"'))).toMatch(/^HTTP\/1\.1 200 /);
    for (const c of held) c.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
  });
});

describe('finding 4: failed authentications are rate-limited per address', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { SIGNER_AUTH_FAILURE_RPS: '0.01', SIGNER_AUTH_FAILURE_BURST: '3' } });
  });
  afterAll(async () => t.stop());

  it('failed authentications are rate-limited per address: past the burst, 429 and the connection is closed', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await send(t.url, 'GET', '/signing-profiles', { host: new URL(t.url).host });
      statuses.push(r.status);
      if (r.status === 429) expect(r.headers['x-amzn-errortype']).toBe('TooManyRequestsException');
    }
    expect(statuses.slice(0, 3)).toEqual([403, 403, 403]);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });
});

describe('finding 4: the S3 port closes stalled requests', () => {
  let t: TestServer;
  let s3: string;
  beforeAll(async () => {
    t = await startTestServer({ env: { SIGNER_IDLE_TIMEOUT_MS: '400', SIGNER_HEADERS_TIMEOUT_MS: '500' } });
    s3 = t.server.s3Url;
    expect((await s3Signed(s3, t.admin, { method: 'PUT', path: '/stall-bucket' })).status).toBe(200);
  });
  afterAll(async () => t.stop());

  it('a signed PUT that declares 10 bytes and sends 1 is closed after the idle timeout, and stores nothing', async () => {
    // Sign a 10-byte PUT (UNSIGNED-PAYLOAD, as S3 allows), then send its head and one byte over a raw socket.
    const u = new URL(s3);
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { HttpRequest } = await import('@smithy/protocol-http');
    const { Hash } = await import('@smithy/hash-node');
    const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: t.admin, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false });
    const signed = (await signer.sign(
      new HttpRequest({ method: 'PUT', hostname: u.hostname, port: Number(u.port), path: '/stall-bucket/ten-bytes', headers: { host: u.host, 'content-length': '10', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
    )) as InstanceType<typeof HttpRequest>;
    const c = await open(s3);
    c.socket.write(`PUT /stall-bucket/ten-bytes HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\nX`);
    await c.closed;
    const head = await s3Signed(s3, t.admin, { method: 'HEAD', path: '/stall-bucket/ten-bytes' });
    expect(head.status).toBe(404);
  });

  it('a client that never finishes its headers is closed', async () => {
    const c = await open(s3);
    c.socket.write(`GET /stall-bucket HTTP/1.1\r\nhost: ${new URL(s3).host}\r\n`);
    await c.closed;
  });

  it('an upload that keeps sending is not cut by the idle timeout (streams longer than it)', async () => {
    const u = new URL(s3);
    const body = Buffer.alloc(256 * 1024, 7);
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { HttpRequest } = await import('@smithy/protocol-http');
    const { Hash } = await import('@smithy/hash-node');
    const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: t.admin, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false });
    const signed = (await signer.sign(
      new HttpRequest({ method: 'PUT', hostname: u.hostname, port: Number(u.port), path: '/stall-bucket/slow', headers: { host: u.host, 'content-length': String(body.length), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
    )) as InstanceType<typeof HttpRequest>;
    const c = await open(s3);
    c.socket.write(`PUT /stall-bucket/slow HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
    // 16 pieces, each sent when the previous one has been written out, with a pause of a quarter of the idle timeout.
    for (let i = 0; i < 16; i++) {
      await new Promise<void>((r) => c.socket.write(body.subarray(i * 16384, (i + 1) * 16384), () => r()));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await until(c, (s) => s.includes('\r\n\r\n'))).toMatch(/^HTTP\/1\.1 200 /);
    c.socket.destroy();
    expect((await s3Signed(s3, t.admin, { method: 'HEAD', path: '/stall-bucket/slow' })).headers['content-length']).toBe(String(body.length));
  });
});
