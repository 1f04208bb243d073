/**
 * Turns a PUT/POST request body into the verified payload bytes, whatever
 * framing the client chose (SigV4 `x-amz-content-sha256` modes):
 *
 * | x-amz-content-sha256                         | framing     | checked |
 * | --- | --- | --- |
 * | 64 hex digits                                | plain       | SHA-256 of the body |
 * | `UNSIGNED-PAYLOAD`                           | plain       | — |
 * | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`         | aws-chunked | every chunk signature |
 * | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` | aws-chunked | chunk signatures, trailer signature, trailer checksum |
 * | `STREAMING-UNSIGNED-PAYLOAD-TRAILER`         | aws-chunked | trailer checksum |
 *
 * plus `Content-MD5` (by the store), any `x-amz-checksum-*` header, and
 * `x-amz-decoded-content-length`. All checks complete before the returned
 * iterable ends, so a store that commits at end-of-stream never publishes a
 * body that failed one.
 *
 * @packageDocumentation
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ObjectsError } from '../objects-error.js';
import type { AuthContext } from './auth.types.js';
import { decodeAwsChunked } from './aws-chunked.js';
import { CHECKSUM_HEADERS, isChecksumHeader, type Checksum, type ChecksumHeader } from './checksums.js';

/** The `x-amz-content-sha256` values with a meaning other than a hash, defined once. */
export const PAYLOAD_MODES = {
  unsigned: 'UNSIGNED-PAYLOAD',
  streamingSigned: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  streamingSignedTrailer: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  streamingUnsignedTrailer: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
} as const;

/** A verified request body. */
export interface Payload {
  /** The decoded bytes; throws `ObjectsError` at the end if any check fails. */
  readonly body: AsyncIterable<Uint8Array>;
  /** Decoded length when the client declared it. */
  readonly length: number | undefined;
  /** The checksum that was verified (to echo in the response), once the body has ended. */
  verifiedChecksum(): { readonly header: ChecksumHeader; readonly value: string } | undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseLength(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value.trim())) throw new ObjectsError('InvalidArgument', 'Invalid content length.');
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n)) throw new ObjectsError('InvalidArgument', 'Invalid content length.');
  return n;
}

/**
 * Wraps the raw request stream according to its headers and the signed payload mode.
 * Throws synchronously for header combinations that cannot be right.
 */
export function openPayload(raw: AsyncIterable<Uint8Array>, headers: IncomingHttpHeaders, auth: AuthContext): Payload {
  const mode = auth.payloadHash;
  const streaming = mode.startsWith('STREAMING-');
  if (!/^[0-9a-f]{64}$/.test(mode) && mode !== PAYLOAD_MODES.unsigned && !streaming) {
    throw new ObjectsError('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-*, or a hex SHA-256.');
  }
  if (streaming && !(Object.values(PAYLOAD_MODES) as string[]).includes(mode)) {
    throw new ObjectsError('NotImplemented', `Payload mode ${mode} is not supported.`);
  }

  // Checksums: at most one x-amz-checksum-* header, or one announced trailer.
  const trailerName = header(headers, 'x-amz-trailer')?.trim().toLowerCase();
  const hasTrailer = mode === PAYLOAD_MODES.streamingSignedTrailer || mode === PAYLOAD_MODES.streamingUnsignedTrailer;
  if (trailerName !== undefined && !hasTrailer) throw new ObjectsError('InvalidRequest', 'x-amz-trailer needs a *-TRAILER payload mode.');
  if (hasTrailer && trailerName === undefined) throw new ObjectsError('InvalidRequest', 'A *-TRAILER payload mode needs x-amz-trailer.');
  if (trailerName !== undefined && !isChecksumHeader(trailerName)) throw new ObjectsError('InvalidRequest', 'Unsupported x-amz-trailer.');
  const checksumHeaders = Object.keys(headers).filter((h): h is ChecksumHeader => isChecksumHeader(h));
  if (checksumHeaders.length + (trailerName ? 1 : 0) > 1) throw new ObjectsError('InvalidRequest', 'Expecting a single x-amz-checksum- header.');
  const checksumName = (trailerName as ChecksumHeader | undefined) ?? checksumHeaders[0];
  const checksum: Checksum | undefined = checksumName ? CHECKSUM_HEADERS[checksumName]() : undefined;
  let expectedChecksum = checksumName && !trailerName ? header(headers, checksumName) : undefined;
  let verified: { header: ChecksumHeader; value: string } | undefined;

  const decodedLength = streaming ? parseLength(header(headers, 'x-amz-decoded-content-length')) : parseLength(header(headers, 'content-length'));
  if (streaming && decodedLength === undefined) throw new ObjectsError('MissingContentLength', 'x-amz-decoded-content-length is required for aws-chunked bodies.');

  const source: AsyncIterable<Uint8Array> = streaming
    ? decodeAwsChunked(raw, {
        ...(mode === PAYLOAD_MODES.streamingSigned || mode === PAYLOAD_MODES.streamingSignedTrailer
          ? { signing: { signingKey: auth.signingKey, amzDate: auth.amzDate, scope: auth.scope, seedSignature: auth.seedSignature } }
          : {}),
        trailer: hasTrailer,
        onTrailers: (t) => {
          if (trailerName === undefined) return;
          expectedChecksum = t.get(trailerName);
          if (expectedChecksum === undefined) throw new ObjectsError('InvalidRequest', 'The announced x-amz-trailer was not sent.');
        },
      })
    : raw;
  const sha256 = /^[0-9a-f]{64}$/.test(mode) ? createHash('sha256') : undefined;

  async function* verify(): AsyncGenerator<Uint8Array> {
    let size = 0;
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (decodedLength !== undefined && size > decodedLength) throw new ObjectsError('IncompleteBody', 'The body is longer than its declared length.');
      sha256?.update(chunk);
      checksum?.update(chunk);
      yield chunk;
    }
    if (decodedLength !== undefined && size !== decodedLength) throw new ObjectsError('IncompleteBody');
    if (sha256 && !safeEqual(sha256.digest('hex'), mode)) throw new ObjectsError('XAmzContentSHA256Mismatch');
    if (checksum && checksumName) {
      const actual = checksum.digest();
      if (expectedChecksum === undefined || !safeEqual(actual, expectedChecksum.trim())) {
        throw new ObjectsError('BadDigest', `The ${checksumName.slice('x-amz-checksum-'.length).toUpperCase()} you specified did not match the calculated checksum.`);
      }
      verified = { header: checksumName, value: actual };
    }
  }

  return { body: verify(), length: decodedLength, verifiedChecksum: () => verified };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads a small verified body (XML configuration) into memory, refusing more than `limit` bytes. */
export async function readSmallPayload(payload: Payload, limit = 1024 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload.body) {
    size += chunk.byteLength;
    if (size > limit) throw new ObjectsError('MalformedXML', 'The XML body is too large.');
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}
