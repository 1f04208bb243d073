/**
 * Authentication (SigV4) as SDK and raw-HTTP users see it: every failure is a 403 with the
 * AWS error name, a request id and a message; nothing is executed for an unauthenticated caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetSigningProfileCommand, ListSigningPlatformsCommand, PutSigningProfileCommand, SignerClient } from '@aws-sdk/client-signer';
import { expectSdkError } from './support/errors.js';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { expectRawError, rawRequest } from './support/raw.js';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

const skewedClient = (offsetMs: number) =>
  new SignerClient({
    endpoint: t.url,
    region: t.server.config.region,
    credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey },
    disableHostPrefix: true,
    maxAttempts: 1,
    systemClockOffset: offsetMs,
  });

describe('SDK clients', () => {
  it('[ListSigningPlatforms] valid credentials are accepted', async () => {
    const out = await t.admin.client.send(new ListSigningPlatformsCommand({}));
    expect(out.$metadata.httpStatusCode).toBe(200);
  });

  it('[ListSigningPlatforms] an unknown access key is UnrecognizedClientException 403', async () => {
    const c = t.clientWith('AKIAUNKNOWNKEY000000', 'whatever');
    await expectSdkError(c.send(new ListSigningPlatformsCommand({})), 'UnrecognizedClientException', 403, /security token included in the request is invalid/);
  });

  it('[ListSigningPlatforms] a wrong secret is InvalidSignatureException 403', async () => {
    const c = t.clientWith(t.admin.accessKeyId, t.admin.secretAccessKey + 'x');
    await expectSdkError(c.send(new ListSigningPlatformsCommand({})), 'InvalidSignatureException', 403);
  });

  it('[PutSigningProfile] a wrong secret does not execute the operation', async () => {
    const c = t.clientWith(t.admin.accessKeyId, 'wrong-secret');
    await expectSdkError(c.send(new PutSigningProfileCommand({ profileName: 'auth_never', platformId: 'AWSLambda-SHA384-ECDSA' })), 'InvalidSignatureException', 403);
    await expectSdkError(t.admin.client.send(new GetSigningProfileCommand({ profileName: 'auth_never' })), 'ResourceNotFoundException', 404);
  });

  it.each([
    ['20 minutes behind', -20 * 60 * 1000],
    ['20 minutes ahead', 20 * 60 * 1000],
  ])('[ListSigningPlatforms] a client clock %s (skew > 15 min) is InvalidSignatureException 403', async (_w, offset) => {
    await expectSdkError(skewedClient(offset).send(new ListSigningPlatformsCommand({})), 'InvalidSignatureException', 403, /Signature expired|15 minutes/);
  });

  it('[ListSigningPlatforms] a client clock 10 minutes off (within 15 min) is accepted', async () => {
    const out = await skewedClient(-10 * 60 * 1000).send(new ListSigningPlatformsCommand({}));
    expect(out.platforms?.length).toBeGreaterThan(0);
  });

  it('[ListSigningPlatforms] a credential scoped to another region is InvalidSignatureException 403 naming the region', async () => {
    const c = t.clientWith(t.admin.accessKeyId, t.admin.secretAccessKey, { region: 'eu-west-1' });
    await expectSdkError(c.send(new ListSigningPlatformsCommand({})), 'InvalidSignatureException', 403, /eu-west-1/);
  });
});

describe('raw HTTP', () => {
  const creds = () => ({ accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey });

  it('[ListSigningPlatforms] no authentication at all is MissingAuthenticationTokenException 403', async () => {
    const res = await rawRequest(t.url, { method: 'GET', path: '/signing-platforms' });
    expectRawError(res, 'MissingAuthenticationTokenException', 403);
    expect(res.json?.message).toBe('Missing Authentication Token');
  });

  it.each([
    ['a garbage Authorization value', 'AWS4-HMAC-SHA256 garbage'],
    ['another algorithm', 'Bearer abc.def'],
    ['a Credential without scope parts', 'AWS4-HMAC-SHA256 Credential=AKIA/20240101, SignedHeaders=host, Signature=00'],
    ['no Signature', `AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/signer/aws4_request, SignedHeaders=host`],
  ])('[ListSigningPlatforms] %s is IncompleteSignatureException 403', async (_w, authorization) => {
    const res = await rawRequest(t.url, { method: 'GET', path: '/signing-platforms', headers: { authorization, 'x-amz-date': '20240101T000000Z' } });
    expectRawError(res, 'IncompleteSignatureException', 403);
  });

  it('[ListSigningPlatforms] a correctly signed raw request is accepted', async () => {
    const res = await rawRequest(t.url, { method: 'GET', path: '/signing-platforms', credentials: creds(), region: t.server.config.region });
    expect(res.status).toBe(200);
    expect(res.requestId).toMatch(/\S/);
    expect(Array.isArray(res.json?.platforms)).toBe(true);
  });

  it('[ListSigningPlatforms] a credential scoped to another service is InvalidSignatureException 403', async () => {
    const res = await rawRequest(t.url, { method: 'GET', path: '/signing-platforms', credentials: creds(), service: 's3' });
    expectRawError(res, 'InvalidSignatureException', 403);
    expect(String(res.json?.message)).toMatch(/service/);
  });

  it('[PutSigningProfile] a body changed after signing is InvalidSignatureException 403', async () => {
    const res = await rawRequest(t.url, {
      method: 'PUT',
      path: '/signing-profiles/auth_tamper',
      body: { platformId: 'AWSLambda-SHA384-ECDSA' },
      sendBody: JSON.stringify({ platformId: 'Notation-OCI-SHA384-ECDSA' }),
      credentials: creds(),
    });
    expectRawError(res, 'InvalidSignatureException', 403);
    await expectSdkError(t.admin.client.send(new GetSigningProfileCommand({ profileName: 'auth_tamper' })), 'ResourceNotFoundException', 404);
  });
});

describe('presigned URLs (query-string SigV4)', () => {
  async function presigned(opts: { expiresIn: number; signingDate?: Date; secret?: string }): Promise<Response> {
    const url = new URL(t.url);
    const signer = new SignatureV4({
      service: 'signer',
      region: t.server.config.region,
      credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: opts.secret ?? t.admin.secretAccessKey },
      sha256: Hash.bind(null, 'sha256'),
    });
    const req = await signer.presign(
      new HttpRequest({ method: 'GET', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: '/signing-platforms', query: { maxResults: '2' }, headers: { host: url.host } }),
      { expiresIn: opts.expiresIn, signingDate: opts.signingDate ?? new Date() },
    );
    const qs = Object.entries(req.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    return fetch(`${url.origin}${req.path}?${qs}`);
  }

  it('[ListSigningPlatforms] a valid presigned URL works without an Authorization header', async () => {
    const res = await presigned({ expiresIn: 300 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { platforms: unknown[] }).platforms).toHaveLength(2);
  });

  it('[ListSigningPlatforms] an expired presigned URL is 403 InvalidSignatureException', async () => {
    const res = await presigned({ expiresIn: 60, signingDate: new Date(Date.now() - 10 * 60 * 1000) });
    expect({ status: res.status, type: res.headers.get('x-amzn-errortype') }).toEqual({ status: 403, type: 'InvalidSignatureException' });
    expect(((await res.json()) as { message: string }).message).toMatch(/expired/);
  });

  it('[ListSigningPlatforms] a presigned URL signed with the wrong secret is 403 InvalidSignatureException', async () => {
    const res = await presigned({ expiresIn: 300, secret: 'wrong' });
    expect({ status: res.status, type: res.headers.get('x-amzn-errortype') }).toEqual({ status: 403, type: 'InvalidSignatureException' });
  });
});
