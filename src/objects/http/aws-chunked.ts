/**
 * Decoder for `Content-Encoding: aws-chunked` request bodies (SigV4 streaming
 * uploads, S3 API reference "Signature Calculations for the Authorization
 * Header: Transferring Payload in Multiple Chunks").
 *
 * ```
 * signed:    <hex-size>;chunk-signature=<64 hex>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n
 * unsigned:  <hex-size>\r\n<data>\r\n ... 0\r\n
 * then:      [<trailer-name>:<value>\r\n ... [x-amz-trailer-signature:<sig>\r\n]] \r\n
 * ```
 *
 * Data is passed on as it arrives (never a whole chunk in memory); each chunk
 * signature is checked when its chunk ends and a bad one throws, so a store
 * that commits only after the body ends never publishes unverified bytes.
 * Fails closed: anything not in the grammar above is rejected.
 *
 * @packageDocumentation
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ObjectsError } from '../objects-error.js';

/** SHA-256 of the empty string, part of every chunk string-to-sign. */
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
/** Longest chunk header or trailer line accepted. */
const MAX_LINE = 4096;
/** Most trailer lines accepted. */
const MAX_TRAILERS = 16;

/** Keys and seed needed to check chunk signatures (from the authenticated request). */
export interface ChunkSigning {
  readonly signingKey: Uint8Array;
  readonly amzDate: string;
  readonly scope: string;
  readonly seedSignature: string;
}

/** How the body is framed. */
export interface AwsChunkedOptions {
  /** Present for `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: every chunk must be signed. */
  readonly signing?: ChunkSigning;
  /** Whether trailers follow the final chunk (`x-amz-trailer` was sent). */
  readonly trailer: boolean;
  /** Receives the trailer lines (lower-cased names) once the body is complete, before the decoder ends. */
  readonly onTrailers?: (trailers: ReadonlyMap<string, string>) => void;
}

type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done';

/**
 * Decodes an aws-chunked body, yielding the payload bytes.
 * Throws `ObjectsError` (`IncompleteBody`, `InvalidRequest`, `SignatureDoesNotMatch`).
 */
export async function* decodeAwsChunked(source: AsyncIterable<Uint8Array>, options: AwsChunkedOptions): AsyncGenerator<Uint8Array> {
  const { signing } = options;
  let pending: Buffer = Buffer.alloc(0);
  let state = 'size' as State;
  let remaining = 0;
  let chunkSig = '';
  let chunkHash = createHash('sha256');
  let previousSig = signing?.seedSignature ?? '';
  const trailers = new Map<string, string>();
  const trailerLines: string[] = [];
  let trailerSignature: string | undefined;

  const malformed = (why: string): ObjectsError => new ObjectsError('InvalidRequest', `Malformed aws-chunked body: ${why}.`);

  const verifyChunk = (): void => {
    if (!signing) return;
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, previousSig, EMPTY_SHA256, chunkHash.digest('hex')].join('\n');
    const expected = createHmac('sha256', signing.signingKey).update(toSign).digest('hex');
    if (!safeEqualHex(expected, chunkSig)) throw new ObjectsError('SignatureDoesNotMatch');
    previousSig = chunkSig;
  };

  /** Takes one CRLF-terminated line off `pending`, or undefined if incomplete. */
  const takeLine = (): string | undefined => {
    const i = pending.indexOf('\r\n');
    if (i < 0) {
      if (pending.length > MAX_LINE) throw malformed('line too long');
      return undefined;
    }
    if (i > MAX_LINE) throw malformed('line too long');
    const line = pending.subarray(0, i).toString('latin1');
    pending = pending.subarray(i + 2);
    return line;
  };

  for await (const input of source) {
    pending = pending.length === 0 ? Buffer.from(input.buffer, input.byteOffset, input.byteLength) : Buffer.concat([pending, input]);
    for (;;) {
      if (state === 'data') {
        if (pending.length === 0) break;
        const n = Math.min(remaining, pending.length);
        const piece = pending.subarray(0, n);
        pending = pending.subarray(n);
        remaining -= n;
        if (signing) chunkHash.update(piece);
        yield piece;
        if (remaining === 0) state = 'data-crlf';
        continue;
      }
      if (state === 'data-crlf') {
        if (pending.length < 2) break;
        if (pending[0] !== 0x0d || pending[1] !== 0x0a) throw malformed('chunk data not followed by CRLF');
        pending = pending.subarray(2);
        verifyChunk();
        state = 'size';
        continue;
      }
      if (state === 'size') {
        const line = takeLine();
        if (line === undefined) break;
        const m = signing ? /^([0-9a-fA-F]{1,16});chunk-signature=([0-9a-f]{64})$/.exec(line) : /^([0-9a-fA-F]{1,16})$/.exec(line);
        if (!m?.[1]) throw malformed(signing ? 'chunk header without a valid chunk-signature' : 'bad chunk size line');
        const size = Number.parseInt(m[1], 16);
        if (!Number.isSafeInteger(size)) throw malformed('chunk size too large');
        chunkSig = m[2] ?? '';
        chunkHash = createHash('sha256');
        if (size > 0) {
          remaining = size;
          state = 'data';
          continue;
        }
        // The final, empty chunk: its signature covers the empty payload.
        verifyChunk();
        state = 'trailer';
        continue;
      }
      if (state === 'trailer') {
        const line = takeLine();
        if (line === undefined) break;
        if (line === '') {
          state = 'done';
          continue;
        }
        if (!options.trailer) throw malformed('unexpected data after the final chunk');
        if (trailerSignature !== undefined) throw malformed('trailer after the trailer signature');
        const colon = line.indexOf(':');
        if (colon <= 0) throw malformed('bad trailer line');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'x-amz-trailer-signature') {
          trailerSignature = value;
          continue;
        }
        if (trailers.has(name) || trailers.size >= MAX_TRAILERS) throw malformed('repeated or too many trailers');
        trailers.set(name, value);
        trailerLines.push(`${name}:${value}\n`);
        continue;
      }
      // state === 'done'
      if (pending.length > 0) throw malformed('data after the end of the body');
      break;
    }
  }
  if (state !== 'done') throw new ObjectsError('IncompleteBody');
  if (signing && options.trailer) {
    // [SigV4 streaming with trailers] the trailer signature chains from the final chunk's signature.
    if (trailerSignature === undefined) throw new ObjectsError('SignatureDoesNotMatch', 'Missing x-amz-trailer-signature.');
    const canonical = createHash('sha256').update(trailerLines.join('')).digest('hex');
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, previousSig, canonical].join('\n');
    const expected = createHmac('sha256', signing.signingKey).update(toSign).digest('hex');
    if (!safeEqualHex(expected, trailerSignature)) throw new ObjectsError('SignatureDoesNotMatch');
  } else if (trailerSignature !== undefined) {
    throw malformed('trailer signature on an unsigned body');
  }
  options.onTrailers?.(trailers);
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
