/**
 * Raw HTTP to an S3 endpoint, signed with SigV4 (service s3, header or presigned form) by
 * @smithy/signature-v4 — the signer the AWS SDK and its presigner use — for requests an SDK
 * would not build: extra unsigned headers, hostile XML bodies, odd query values.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The S3 error code of an error document. */
  code: string | undefined;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function signer(cred: S3Credentials, region: string): SignatureV4 {
  return new SignatureV4({ service: 's3', region, credentials: cred, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false });
}

const qs = (query: Record<string, unknown>): string =>
  Object.entries(query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');

/** Sends exact bytes to `baseUrl` and collects the reply. */
export function send(baseUrl: string, method: string, pathAndQuery: string, headers: Record<string, string>, body?: Buffer): Promise<S3RawReply> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path: pathAndQuery, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A header-signed request. `unsignedHeaders` are added after signing (what a tamperer or a
 * careless client does); `signedHeaders` are signed.
 */
export async function s3Signed(
  baseUrl: string,
  cred: S3Credentials,
  r: { method: string; path: string; query?: Record<string, string>; headers?: Record<string, string>; unsignedHeaders?: Record<string, string>; body?: Buffer | string; region?: string },
): Promise<S3RawReply> {
  const url = new URL(baseUrl);
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : (r.body ?? Buffer.alloc(0));
  const headers = { host: url.host, 'content-length': String(body.length), 'x-amz-content-sha256': sha256(body), ...r.headers };
  const signed = (await signer(cred, r.region ?? 'us-east-1').sign(
    new HttpRequest({ method: r.method, hostname: url.hostname, port: Number(url.port), path: r.path, query: r.query ?? {}, headers }),
    { signingDate: new Date() },
  )) as HttpRequest;
  const q = qs(r.query ?? {});
  return send(baseUrl, r.method, r.path + (q ? `?${q}` : ''), { ...signed.headers, ...r.unsignedHeaders }, body);
}

/** A presigned URL (path + query), as the S3 presigner builds it: UNSIGNED-PAYLOAD, only `host` signed. */
export async function presign(baseUrl: string, cred: S3Credentials, method: string, path: string, expiresIn = 300): Promise<string> {
  const url = new URL(baseUrl);
  // As @aws-sdk/s3-request-presigner does: the payload is UNSIGNED-PAYLOAD, a header neither signed nor hoisted.
  const unsent = new Set(['x-amz-content-sha256']);
  const p = await signer(cred, 'us-east-1').presign(
    new HttpRequest({ method, hostname: url.hostname, port: Number(url.port), path, query: {}, headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
    { expiresIn, signingDate: new Date(), unsignableHeaders: unsent, unhoistableHeaders: unsent },
  );
  return `${p.path}?${qs(p.query ?? {})}`;
}
