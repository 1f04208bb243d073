import { SignatureV4Base, getCanonicalHeaders } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/protocol-http';
import { Hash } from '@smithy/hash-node';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AuthError } from './auth-error.js';

/** A secret the server knows for an access key id. */
export interface CredentialRecord {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  /** The IAM-like principal ARN recorded as `requestedBy` and in the audit trail. */
  principalArn: string;
}

/** Finds the credential for an access key id, or undefined when the key is unknown or disabled. */
export type CredentialLookup = (accessKeyId: string) => CredentialRecord | undefined | Promise<CredentialRecord | undefined>;

/** The parts of an HTTP request that SigV4 covers, exactly as they arrived on the wire. */
export interface SignedRequest {
  method: string;
  /** Path as received, still percent-encoded, without the query string. */
  rawPath: string;
  /** Query string as received, without the leading `?`. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
}

export interface VerifyOptions {
  /** The service name the credential scope must carry (`signer`, `acm`, `s3`). Several may be allowed. */
  services: readonly string[];
  /** The region the credential scope must carry. */
  region: string;
  lookup: CredentialLookup;
  /**
   * SHA-256 (hex) of the body that arrived. When the client sent `x-amz-content-sha256` with a hex
   * hash, it must equal this. Omit for streaming bodies: the caller then checks the payload itself.
   */
  bodySha256?: string;
  /** S3 signs the path as sent; every other service double-encodes it. */
  uriEscapePath: boolean;
  now?: Date;
  /** Allowed clock difference; AWS allows 15 minutes. */
  maxSkewMs?: number;
  /**
   * S3's rule: every `x-amz-*` header on the request must be listed in SignedHeaders (or, presigned,
   * in X-Amz-SignedHeaders); otherwise the request is refused as `UnsignedHeaders`. `x-amz-date` and
   * `x-amz-content-sha256` are exempt: the string to sign covers them whether listed or not.
   */
  requireSignedAmzHeaders?: boolean;
  /**
   * The Signer and ACM rule: a payload hash the client declares (`x-amz-content-sha256`, or the
   * presigned `X-Amz-Content-Sha256`) must be 64 lowercase hex digits — no UNSIGNED-PAYLOAD, no
   * STREAMING-* — so a signature always covers the body.
   */
  requireHexPayloadHash?: boolean;
}

/**
 * The result of {@link precheckSigV4}: the request's authentication is well-formed, in scope, in
 * time, and names a known access key. The signature itself is not checked yet.
 */
export interface PrecheckedRequest {
  readonly credential: CredentialRecord;
  /** @internal what {@link verifySigV4} needs to finish. */
  readonly parsed: ParsedAuth;
  /** @internal */
  readonly query: Record<string, string | string[]>;
  readonly signingDate: Date;
}

/** What a verified request proves. */
export interface VerifiedRequest {
  credential: CredentialRecord;
  region: string;
  service: string;
  /** `yyyymmdd/region/service/aws4_request`. */
  scope: string;
  /** `yyyymmddThhmmssZ` the client signed with. */
  amzDate: string;
  /** The request's own signature (seed for aws-chunked payload signatures). */
  signature: string;
  /** The SigV4 signing key derived for this scope (for aws-chunked payload signatures); derived on first use. */
  readonly signingKey: Uint8Array;
  /** The payload hash the signature covers (a hex hash, UNSIGNED-PAYLOAD or a STREAMING-* marker). */
  payloadHash: string;
  presigned: boolean;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const FIFTEEN_MINUTES = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** The authentication fields of a request (Authorization header or presigned query). */
export interface ParsedAuth {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  presigned: boolean;
  expiresSeconds?: number;
}

/** Splits a raw query string into decoded name → value(s), the shape smithy's signer expects. */
export function parseRawQuery(rawQuery: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!rawQuery) return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new AuthError('IncompleteSignature', 'The request contains a malformed percent-encoding.');
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseCredential(credential: string): Pick<ParsedAuth, 'accessKeyId' | 'date' | 'region' | 'service'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1] ?? '')) {
    throw new AuthError('IncompleteSignature', "Credential must have the form 'AKID/yyyymmdd/region/service/aws4_request'.");
  }
  const [accessKeyId, date, region, service] = parts as [string, string, string, string, string];
  if (!accessKeyId || !region || !service) {
    throw new AuthError('IncompleteSignature', 'Credential has an empty component.');
  }
  return { accessKeyId, date, region, service };
}

function parseAuthorizationHeader(value: string, headers: IncomingHttpHeaders): ParsedAuth {
  if (!value.startsWith(ALGORITHM + ' ')) {
    throw new AuthError('IncompleteSignature', `Authorization header must use ${ALGORITHM}.`);
  }
  const fields = new Map<string, string>();
  for (const piece of value.slice(ALGORITHM.length + 1).split(',')) {
    const p = piece.trim();
    const eq = p.indexOf('=');
    if (eq <= 0) throw new AuthError('IncompleteSignature', 'Authorization header is malformed.');
    fields.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    throw new AuthError(
      'IncompleteSignature',
      'Authorization header requires Credential, SignedHeaders and Signature parameters.',
    );
  }
  const amzDate = headerValue(headers, 'x-amz-date');
  if (!amzDate) throw new AuthError('IncompleteSignature', 'Authorization header requires an X-Amz-Date header.');
  return {
    ...parseCredential(credential),
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate,
    presigned: false,
  };
}

function parsePresignedQuery(query: Record<string, string | string[]>): ParsedAuth {
  const one = (k: string): string | undefined => {
    const v = query[k];
    return Array.isArray(v) ? undefined : v;
  };
  const algorithm = one('X-Amz-Algorithm');
  const credential = one('X-Amz-Credential');
  const amzDate = one('X-Amz-Date');
  const signedHeaders = one('X-Amz-SignedHeaders');
  const signature = one('X-Amz-Signature');
  const expires = one('X-Amz-Expires');
  if (algorithm !== ALGORITHM || !credential || !amzDate || !signedHeaders || !signature || !expires) {
    throw new AuthError(
      'IncompleteSignature',
      'A presigned request requires X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature.',
    );
  }
  const expiresSeconds = Number(expires);
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_SECONDS) {
    throw new AuthError('IncompleteSignature', 'X-Amz-Expires must be an integer from 1 to 604800.');
  }
  return { ...parseCredential(credential), signedHeaders: signedHeaders.split(';'), signature, amzDate, presigned: true, expiresSeconds };
}

function parseAmzDate(amzDate: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) throw new AuthError('IncompleteSignature', 'X-Amz-Date must have the form yyyymmddThhmmssZ.');
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/** Headers SigV4 covers even when SignedHeaders does not list them. */
const COVERED_ANYWAY = new Set(['x-amz-date', 'x-amz-content-sha256']);

/**
 * The checks that need only the request line and headers, cheapest first: the authentication's
 * form, scope and date, the rules of {@link VerifyOptions}, and that the access key exists. A
 * server runs these before reading a body, so a request that cannot be authentic is refused
 * without holding its bytes.
 */
export async function precheckSigV4(req: SignedRequest, opts: VerifyOptions): Promise<PrecheckedRequest> {
  const parsedQuery = parseRawQuery(req.rawQuery);
  const authorization = headerValue(req.headers, 'authorization');
  let parsed: ParsedAuth;
  if (authorization !== undefined) parsed = parseAuthorizationHeader(authorization, req.headers);
  else if ('X-Amz-Signature' in parsedQuery || 'X-Amz-Credential' in parsedQuery) parsed = parsePresignedQuery(parsedQuery);
  else throw new AuthError('MissingAuthenticationToken', 'Missing Authentication Token');

  const signingDate = parseAmzDate(parsed.amzDate);
  if (parsed.amzDate.slice(0, 8) !== parsed.date) {
    throw new AuthError('InvalidSignature', 'The credential scope date does not match X-Amz-Date.');
  }
  if (!opts.services.includes(parsed.service)) {
    throw new AuthError('WrongScope', `Credential should be scoped to a valid service: '${opts.services.join("' or '")}'.`);
  }
  if (parsed.region !== opts.region) {
    throw new AuthError('WrongScope', `Credential should be scoped to a valid region, not '${parsed.region}'. This server's region is '${opts.region}'.`);
  }
  for (const h of ['host']) {
    if (!parsed.signedHeaders.includes(h)) throw new AuthError('IncompleteSignature', `SignedHeaders must include ${h}.`);
  }
  if (opts.requireSignedAmzHeaders) {
    const signed = new Set(parsed.signedHeaders);
    const unsigned = Object.keys(req.headers).filter((h) => h.startsWith('x-amz-') && !signed.has(h) && !COVERED_ANYWAY.has(h));
    if (unsigned.length) {
      throw new AuthError('UnsignedHeaders', `There were headers present in the request which were not signed: ${unsigned.slice(0, 8).join(', ').slice(0, 300)}`);
    }
  }
  if (opts.requireHexPayloadHash) {
    const declared = headerValue(req.headers, 'x-amz-content-sha256') ?? (parsed.presigned ? parsedQuery['X-Amz-Content-Sha256'] : undefined);
    if (declared !== undefined && (typeof declared !== 'string' || !/^[0-9a-f]{64}$/.test(declared))) {
      throw new AuthError('InvalidSignature', 'x-amz-content-sha256 must be the hex SHA-256 of the request body.');
    }
  }

  const now = opts.now ?? new Date();
  const skew = opts.maxSkewMs ?? FIFTEEN_MINUTES;
  if (parsed.presigned) {
    const expiresAt = signingDate.getTime() + (parsed.expiresSeconds ?? 0) * 1000;
    if (now.getTime() > expiresAt) throw new AuthError('SignatureExpired', 'Request has expired.');
    if (signingDate.getTime() - now.getTime() > skew) {
      throw new AuthError('SignatureExpired', 'Request is signed too far in the future.');
    }
  } else if (Math.abs(now.getTime() - signingDate.getTime()) > skew) {
    throw new AuthError(
      'SignatureExpired',
      `Signature expired: ${parsed.amzDate} is now earlier or later than the allowed 15 minutes from ${formatAmzDate(now)}.`,
    );
  }

  const credential = await opts.lookup(parsed.accessKeyId);
  if (!credential) throw new AuthError('UnrecognizedClient', 'The security token included in the request is invalid.');
  return { credential, parsed, query: parsedQuery, signingDate };
}

/**
 * Verifies an AWS Signature Version 4 request (Authorization header or presigned query).
 * The canonical request is built by `@smithy/signature-v4`, restricted to exactly the headers
 * the client listed in SignedHeaders, so our signature is the client's if and only if the
 * request is what the client signed. Pass the result of {@link precheckSigV4} when the caller
 * already ran it (before reading the body).
 */
export async function verifySigV4(req: SignedRequest, opts: VerifyOptions, prechecked?: PrecheckedRequest): Promise<VerifiedRequest> {
  const { credential, parsed, query: parsedQuery } = prechecked ?? (await precheckSigV4(req, opts));

  const clientPayloadHash = headerValue(req.headers, 'x-amz-content-sha256');
  let payloadHash: string;
  if (clientPayloadHash !== undefined) {
    payloadHash = clientPayloadHash;
  } else if (parsed.presigned) {
    const q = parsedQuery['X-Amz-Content-Sha256'];
    payloadHash = typeof q === 'string' ? q : parsed.service === 's3' ? 'UNSIGNED-PAYLOAD' : (opts.bodySha256 ?? EMPTY_SHA256);
  } else {
    payloadHash = opts.bodySha256 ?? EMPTY_SHA256;
  }
  if (/^[0-9a-f]{64}$/.test(payloadHash) && opts.bodySha256 !== undefined && payloadHash !== opts.bodySha256) {
    throw new AuthError('InvalidSignature', 'The provided x-amz-content-sha256 header does not match what was computed.');
  }

  const signedSet = new Set(parsed.signedHeaders);
  const headers: Record<string, string> = {};
  for (const name of Object.keys(req.headers)) {
    const value = headerValue(req.headers, name);
    if (value === undefined) continue;
    if (signedSet.has(name)) headers[name] = value;
  }
  for (const name of signedSet) {
    if (headers[name] === undefined && name !== 'x-amz-date') {
      throw new AuthError('IncompleteSignature', `Signed header '${name}' is missing from the request.`);
    }
  }
  // The canonical request comes from @smithy/signature-v4 (the code the SDKs sign with), restricted to
  // exactly the client's SignedHeaders; the string to sign and its HMAC are the two fixed SigV4 steps.
  const canonicalHeaders = getCanonicalHeaders({ headers } as unknown as HttpRequest, undefined, signedSet);
  const query: Record<string, string | string[]> = { ...parsedQuery };
  delete query['X-Amz-Signature'];
  const canonical = canonicalRequests[opts.uriEscapePath ? 'escaped' : 'raw'].build(
    { method: req.method, path: req.rawPath, query } as unknown as HttpRequest,
    canonicalHeaders,
    payloadHash,
  );
  const scope = `${parsed.date}/${parsed.region}/${parsed.service}/aws4_request`;
  const signingKey = deriveSigningKey(credential.secretAccessKey, parsed.date, parsed.region, parsed.service);
  const stringToSign = `${ALGORITHM}\n${parsed.amzDate}\n${scope}\n${sha256Hex(canonical)}`;
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  if (!constantTimeEqualHex(expected, parsed.signature)) {
    throw new AuthError(
      'InvalidSignature',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return {
    credential,
    region: parsed.region,
    service: parsed.service,
    scope,
    amzDate: parsed.amzDate,
    signature: parsed.signature,
    signingKey,
    payloadHash,
    presigned: parsed.presigned,
  };
}

/** Exposes @smithy/signature-v4's canonical-request builder (a protected method of its signer base). */
class CanonicalRequestBuilder extends SignatureV4Base {
  constructor(uriEscapePath: boolean) {
    // Credentials, region and service are not used to build a canonical request.
    super({ service: 'unused', region: 'unused', credentials: { accessKeyId: '', secretAccessKey: '' }, sha256: Hash.bind(null, 'sha256'), uriEscapePath });
  }
  build(request: HttpRequest, canonicalHeaders: Record<string, string>, payloadHash: string): string {
    return this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
  }
}

/** S3 signs the path as sent; every other service double-encodes it. */
const canonicalRequests = { escaped: new CanonicalRequestBuilder(true), raw: new CanonicalRequestBuilder(false) };

const MAX_DERIVED_KEYS = 1024;
const derivedKeys = new Map<string, Uint8Array>();

/** The SigV4 key-derivation chain (for callers that verify aws-chunked payload signatures); cached per day and scope. */
export function deriveSigningKey(secret: string, date: string, region: string, service: string): Uint8Array {
  const cacheKey = `${sha256Hex(secret)}/${date}/${region}/${service}`;
  const hit = derivedKeys.get(cacheKey);
  if (hit) return hit;
  if (derivedKeys.size >= MAX_DERIVED_KEYS) derivedKeys.clear();
  const key = deriveUncached(secret, date, region, service);
  derivedKeys.set(cacheKey, key);
  return key;
}

function deriveUncached(secret: string, date: string, region: string, service: string): Uint8Array {
  const kDate = createHmac('sha256', 'AWS4' + secret).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/** SHA-256 hex of bytes. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function constantTimeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function formatAmzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
