import { describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import { Hash } from '@smithy/hash-node';
import { AuthError, verifySigV4, sha256Hex, type CredentialRecord } from './index.js';

const cred: CredentialRecord = {
  accessKeyId: 'AKIDEXAMPLE00000001',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  accountId: '111122223333',
  principalArn: 'arn:aws:iam::111122223333:root',
};
const lookup = (id: string) => (id === cred.accessKeyId ? cred : undefined);
const clientSigner = (secret = cred.secretAccessKey, service = 'signer') =>
  new SignatureV4({
    service,
    region: 'us-east-1',
    credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: secret },
    sha256: Hash.bind(null, 'sha256'),
  });

/** Signs like an SDK would, then returns the wire view our server sees. */
async function signed(opts: { path?: string; query?: Record<string, string | string[]>; body?: string; date?: Date; secret?: string; service?: string } = {}) {
  const body = opts.body ?? '';
  const req = new HttpRequest({
    method: 'POST',
    hostname: '127.0.0.1',
    port: 8080,
    path: opts.path ?? '/signing-profiles/p1',
    query: opts.query ?? {},
    headers: { host: '127.0.0.1:8080', 'content-type': 'application/json', 'x-amz-content-sha256': sha256Hex(body) },
    body,
  });
  const out = (await clientSigner(opts.secret, opts.service).sign(req, { signingDate: opts.date ?? new Date() })) as HttpRequest;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(out.headers)) headers[k.toLowerCase()] = v;
  const rawQuery = Object.entries(out.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(String(x))}`))
    .join('&');
  return { method: 'POST', rawPath: out.path, rawQuery, headers, bodySha256: sha256Hex(body) };
}

const opts = (bodySha256: string) => ({ services: ['signer'], region: 'us-east-1', lookup, bodySha256, uriEscapePath: true });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof AuthError ? e.code : String(e);
  }
}

describe('SigV4 verification [AWS SigV4]', () => {
  it('accepts a request signed by @smithy/signature-v4 with the right secret', async () => {
    const r = await signed({ body: '{"a":1}', query: { statuses: ['Active', 'Revoked'], maxResults: '5' } });
    const v = await verifySigV4(r, opts(r.bodySha256));
    expect(v.credential.accountId).toBe('111122223333');
    expect(v.service).toBe('signer');
  });
  it('accepts percent-encoded path labels (ARN in /tags/{resourceArn})', async () => {
    const arn = 'arn:aws:signer:us-east-1:111122223333:/signing-profiles/p1';
    const r = await signed({ path: '/tags/' + encodeURIComponent(arn) });
    expect(await code(verifySigV4(r, opts(r.bodySha256)))).toBe('ok');
  });
  it('rejects a wrong secret as InvalidSignature', async () => {
    const r = await signed({ secret: 'not-the-secret' });
    expect(await code(verifySigV4(r, opts(r.bodySha256)))).toBe('InvalidSignature');
  });
  it('rejects a body that differs from the signed hash', async () => {
    const r = await signed({ body: '{"a":1}' });
    expect(await code(verifySigV4(r, opts(sha256Hex('{"a":2}'))))).toBe('InvalidSignature');
  });
  it('rejects a tampered query string', async () => {
    const r = await signed({ query: { maxResults: '5' } });
    expect(await code(verifySigV4({ ...r, rawQuery: 'maxResults=6' }, opts(r.bodySha256)))).toBe('InvalidSignature');
  });
  it('rejects an unknown access key as UnrecognizedClient', async () => {
    const r = await signed();
    r.headers['authorization'] = r.headers['authorization']!.replace(cred.accessKeyId, 'AKIDUNKNOWN000000000');
    expect(await code(verifySigV4(r, opts(r.bodySha256)))).toBe('UnrecognizedClient');
  });
  it('rejects a request without credentials as MissingAuthenticationToken', async () => {
    const r = await signed();
    delete r.headers['authorization'];
    expect(await code(verifySigV4(r, opts(r.bodySha256)))).toBe('MissingAuthenticationToken');
  });
  it('rejects a signature older than 15 minutes as SignatureExpired', async () => {
    const r = await signed({ date: new Date(Date.now() - 16 * 60 * 1000) });
    expect(await code(verifySigV4(r, opts(r.bodySha256)))).toBe('SignatureExpired');
  });
  it('accepts a signature 14 minutes old', async () => {
    const r = await signed({ date: new Date(Date.now() - 14 * 60 * 1000) });
    expect(await code(verifySigV4(r, opts(r.bodySha256)))).toBe('ok');
  });
  it.each([
    ['garbage', 'Basic abc'],
    ['no signature', 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE00000001/20240101/us-east-1/signer/aws4_request, SignedHeaders=host'],
    ['bad credential', 'AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=00'],
  ])('rejects a malformed Authorization header (%s) as IncompleteSignature', async (_n, value) => {
    const r = await signed();
    r.headers['authorization'] = value;
    expect(await code(verifySigV4(r, opts(r.bodySha256)))).toBe('IncompleteSignature');
  });
  it('rejects a credential scoped to another service or region', async () => {
    const r = await signed({ service: 'iam' });
    expect(await code(verifySigV4(r, opts(r.bodySha256)))).toBe('WrongScope');
  });
  it('accepts the presigned-query form and rejects it once expired', async () => {
    const req = new HttpRequest({ method: 'GET', hostname: '127.0.0.1', port: 8080, path: '/signing-platforms', query: { maxResults: '2' }, headers: { host: '127.0.0.1:8080' } });
    const at = new Date();
    const p = await clientSigner().presign(req, { signingDate: at, expiresIn: 60 });
    const rawQuery = Object.entries(p.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
    const wire = { method: 'GET', rawPath: p.path, rawQuery, headers: { host: '127.0.0.1:8080' } };
    const o = { ...opts(sha256Hex('')), bodySha256: undefined };
    expect(await code(verifySigV4(wire, o))).toBe('ok');
    expect(await code(verifySigV4(wire, { ...o, now: new Date(at.getTime() + 61_000) }))).toBe('SignatureExpired');
    expect(await code(verifySigV4({ ...wire, rawQuery: rawQuery.replace('maxResults=2', 'maxResults=3') }, o))).toBe('InvalidSignature');
  });
});
