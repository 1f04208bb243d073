/**
 * Raw HTTP to the Signer API, signed with SigV4 like an SDK would (or deliberately not), for
 * what the SDK refuses to send: wrong JSON types, malformed bodies, unknown routes, bad auth.
 */
import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { expect } from 'vitest';

export interface RawCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RawRequest {
  method: string;
  /** Path as sent on the wire (already percent-encoded where needed). */
  path: string;
  query?: Record<string, string | string[]>;
  /** A string is sent as is; anything else is JSON.stringify'd. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Omit to send the request unsigned. */
  credentials?: RawCredentials;
  region?: string;
  service?: string;
  signingDate?: Date;
  /** Sent instead of `body` after signing (to tamper with a signed request). */
  sendBody?: string;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
  errorType: string | null;
  requestId: string | null;
}

function queryString(query: Record<string, string | string[]>): string {
  return Object.entries(query)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
    .join('&');
}

/** Sends one request to `baseUrl` and returns status, headers and the parsed body. */
export async function rawRequest(baseUrl: string, r: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  let headers: Record<string, string> = {
    host: url.host,
    ...(body ? { 'content-type': 'application/json' } : {}),
    'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
    ...r.headers,
  };
  if (r.credentials) {
    const signer = new SignatureV4({
      service: r.service ?? 'signer',
      region: r.region ?? 'us-east-1',
      credentials: r.credentials,
      sha256: Hash.bind(null, 'sha256'),
    });
    const req = new HttpRequest({
      method: r.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: r.path,
      query: r.query ?? {},
      headers,
      body,
    });
    const signed = (await signer.sign(req, { signingDate: r.signingDate ?? new Date() })) as HttpRequest;
    headers = signed.headers;
  }
  const qs = r.query ? queryString(r.query) : '';
  const { host: _host, ...sendHeaders } = headers;
  const res = await fetch(`${url.origin}${r.path}${qs ? `?${qs}` : ''}`, {
    method: r.method,
    headers: sendHeaders,
    body: (r.sendBody ?? body) === '' ? undefined : (r.sendBody ?? body),
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, errorType: res.headers.get('x-amzn-errortype'), requestId: res.headers.get('x-amzn-requestid') };
}

/** Asserts a raw response is the given restJson1 error: status, x-amzn-ErrorType, request id, `{"message"}` body. */
export function expectRawError(res: RawResponse, type: string, status: number): void {
  expect({ status: res.status, type: res.errorType }).toEqual({ status, type });
  expect(res.requestId).toMatch(/\S/);
  expect(typeof res.json?.message).toBe('string');
  expect(String(res.json?.message)).not.toBe('');
}
