/**
 * MQTT file-stream messages (AWS IoT "MQTT-based file delivery") in both formats: CBOR maps with
 * one-character keys and a byte-string payload, or JSON with the bitmap as hex text and the
 * payload as base64. The request parser is the server's; the data decoder is the device's and
 * applies the FreeRTOS decoder's rules (f, i, l integers and p a byte string, all required;
 * definite or indefinite maps; extra keys ignored).
 */
import { Encoder } from 'cbor-x';
import { fromBase64, toBase64 } from './base64.js';
import { bitmapFromHex, bitmapToHex, setBlocks } from './bitmap.js';
import type { StreamFormat } from './topics.js';

/** Limits of the service (developer guide, MQTT-based file delivery). */
export const STREAM_LIMITS = Object.freeze({
  minBlockSize: 256,
  maxBlockSize: 131_072,
  maxOffset: 98_304,
  maxBlocks: 98_304,
  /** Bitmap < 12288 bytes. */
  maxBitmapBytes: 12_287,
  /** Block data served per request. */
  maxBytesPerRequest: 131_072,
  maxClientToken: 64,
});

export type StreamErrorCode =
  | 'InvalidTopic'
  | 'InvalidJson'
  | 'InvalidCbor'
  | 'InvalidRequest'
  | 'Unauthorized'
  | 'BlockSizeOutOfBounds'
  | 'OffsetOutOfBounds'
  | 'BlockCountLimitExceeded'
  | 'BlockBitmapLimitExceeded'
  | 'ResourceNotFound'
  | 'VersionMismatch'
  | 'ETagMismatch'
  | 'InternalError';

export class StreamRequestError extends Error {
  override readonly name = 'StreamRequestError';
  constructor(
    readonly code: StreamErrorCode,
    message: string,
    readonly clientToken?: string,
  ) {
    super(message);
  }
}

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });

export function encodeCbor(value: unknown): Uint8Array {
  return cbor.encode(value);
}

/** Decodes exactly one CBOR item; undefined when the bytes are not one well-formed item. */
export function decodeCbor(bytes: Uint8Array): unknown {
  try {
    const items: unknown[] = [];
    cbor.decodeMultiple(bytes, (v: unknown) => {
      items.push(v);
    });
    return items.length === 1 ? items[0] : undefined;
  } catch {
    return undefined;
  }
}

const text = new TextDecoder('utf-8', { fatal: true });
const utf8 = new TextEncoder();

/** A plain Uint8Array view (cbor-x hands out Node Buffers under Node). */
function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map);
}
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Decodes a request payload to a key → value map, or throws InvalidJson / InvalidCbor. */
function decodeRequest(payload: Uint8Array, format: StreamFormat): Record<string, unknown> {
  if (format === 'cbor') {
    const v = decodeCbor(payload);
    if (!isMap(v)) throw new StreamRequestError('InvalidCbor', 'The payload is not a CBOR map.');
    return v;
  }
  let v: unknown;
  try {
    v = JSON.parse(text.decode(payload));
  } catch {
    throw new StreamRequestError('InvalidJson', 'The payload is not valid JSON.');
  }
  if (!isMap(v)) throw new StreamRequestError('InvalidJson', 'The payload is not a JSON object.');
  return v;
}

function clientTokenOf(m: Record<string, unknown>): string | undefined {
  const c = m['c'];
  return typeof c === 'string' && c.length <= STREAM_LIMITS.maxClientToken ? c : undefined;
}

export interface DescribeStreamRequest {
  clientToken?: string;
}

export function parseDescribeRequest(payload: Uint8Array, format: StreamFormat): DescribeStreamRequest {
  // An empty payload is a describe without a token.
  if (payload.length === 0) return {};
  const m = decodeRequest(payload, format);
  const c = m['c'];
  if (c !== undefined && (typeof c !== 'string' || c.length > STREAM_LIMITS.maxClientToken)) throw new StreamRequestError('InvalidRequest', 'c must be a string of at most 64 characters.');
  return c !== undefined ? { clientToken: c as string } : {};
}

export interface GetStreamRequest {
  clientToken?: string;
  streamVersion?: number;
  fileId: number;
  blockSize: number;
  offset: number;
  /** Undefined: not given (or 0). */
  numberOfBlocks?: number;
  bitmap?: Uint8Array;
}

/** Parses and range-checks a GetStream request; errors carry the service's error code. */
export function parseGetRequest(payload: Uint8Array, format: StreamFormat): GetStreamRequest {
  const m = decodeRequest(payload, format);
  const clientToken = clientTokenOf(m);
  const fail = (code: StreamErrorCode, message: string): never => {
    throw new StreamRequestError(code, message, clientToken);
  };
  if (m['c'] !== undefined && clientToken === undefined) fail('InvalidRequest', 'c must be a string of at most 64 characters.');
  const { f, l, o, n, s, b } = m;
  if (!isInt(f) || f < 0 || f > 255) fail('InvalidRequest', 'f (file id) must be an integer from 0 to 255.');
  if (!isInt(l)) fail('InvalidRequest', 'l (block size) must be an integer.');
  if ((l as number) < STREAM_LIMITS.minBlockSize || (l as number) > STREAM_LIMITS.maxBlockSize) fail('BlockSizeOutOfBounds', `l must be from ${STREAM_LIMITS.minBlockSize} to ${STREAM_LIMITS.maxBlockSize}.`);
  if (o !== undefined && !isInt(o)) fail('InvalidRequest', 'o (block offset) must be an integer.');
  if (isInt(o) && (o < 0 || o > STREAM_LIMITS.maxOffset)) fail('OffsetOutOfBounds', `o must be from 0 to ${STREAM_LIMITS.maxOffset}.`);
  if (n !== undefined && !isInt(n)) fail('InvalidRequest', 'n (number of blocks) must be an integer.');
  if (isInt(n) && (n < 0 || n > STREAM_LIMITS.maxBlocks)) fail('BlockCountLimitExceeded', `n must be from 0 to ${STREAM_LIMITS.maxBlocks}.`);
  if (s !== undefined && !isInt(s)) fail('InvalidRequest', 's (stream version) must be an integer.');
  let bitmap: Uint8Array | undefined;
  if (b !== undefined) {
    if (format === 'cbor') {
      if (!(b instanceof Uint8Array)) fail('InvalidRequest', 'b (bitmap) must be a byte string.');
      bitmap = plain(b as Uint8Array);
    } else {
      const parsed = typeof b === 'string' ? bitmapFromHex(b) : undefined;
      if (!parsed) fail('InvalidRequest', 'b (bitmap) must be a hex string such as "0x130080".');
      bitmap = parsed;
    }
    if ((bitmap as Uint8Array).length > STREAM_LIMITS.maxBitmapBytes) fail('BlockBitmapLimitExceeded', `b must be shorter than ${STREAM_LIMITS.maxBitmapBytes + 1} bytes.`);
  }
  return {
    ...(clientToken !== undefined ? { clientToken } : {}),
    ...(isInt(s) ? { streamVersion: s } : {}),
    fileId: f as number,
    blockSize: l as number,
    offset: isInt(o) ? o : 0,
    ...(isInt(n) && n > 0 ? { numberOfBlocks: n } : {}),
    ...(bitmap ? { bitmap } : {}),
  };
}

/**
 * The block ids to send for a request on a file of `fileSize` bytes: set bits from `o` upward
 * (or `o` … `o+n-1` without a bitmap), never past the file's last block, at most `n` and at most
 * 128 KiB of data. Throws OffsetOutOfBounds when `o` is past the last block.
 */
export function blocksToServe(req: GetStreamRequest, fileSize: number): number[] {
  const blockCount = Math.ceil(fileSize / req.blockSize);
  if (req.offset >= blockCount) throw new StreamRequestError('OffsetOutOfBounds', `o (${req.offset}) is past the file's last block (${blockCount - 1}).`, req.clientToken);
  const perRequest = Math.floor(STREAM_LIMITS.maxBytesPerRequest / req.blockSize);
  const max = Math.min(req.numberOfBlocks ?? perRequest, perRequest);
  if (req.bitmap) return setBlocks(req.bitmap, req.offset, max).filter((i) => i < blockCount);
  const out: number[] = [];
  for (let i = req.offset; i < blockCount && out.length < max; i++) out.push(i);
  return out;
}

export interface DataBlock {
  clientToken?: string;
  fileId: number;
  blockId: number;
  payload: Uint8Array;
}

export function encodeDataBlock(block: DataBlock, format: StreamFormat): Uint8Array {
  const base = block.clientToken !== undefined ? { c: block.clientToken } : {};
  if (format === 'cbor') return encodeCbor({ ...base, f: block.fileId, i: block.blockId, l: block.payload.length, p: block.payload });
  return utf8.encode(JSON.stringify({ ...base, f: block.fileId, i: block.blockId, l: block.payload.length, p: toBase64(block.payload) }));
}

export function encodeDescription(d: { clientToken?: string; streamVersion: number; description?: string; files: { fileId: number; size: number }[] }, format: StreamFormat): Uint8Array {
  const msg = {
    ...(d.clientToken !== undefined ? { c: d.clientToken } : {}),
    s: d.streamVersion,
    ...(d.description !== undefined ? { d: d.description } : {}),
    r: d.files.map((f) => ({ f: f.fileId, z: f.size })),
  };
  return format === 'cbor' ? encodeCbor(msg) : utf8.encode(JSON.stringify(msg));
}

export function encodeStreamError(e: { code: StreamErrorCode; message: string; clientToken?: string }, format: StreamFormat): Uint8Array {
  const msg = { o: e.code, m: e.message, ...(e.clientToken !== undefined ? { c: e.clientToken } : {}) };
  return format === 'cbor' ? encodeCbor(msg) : utf8.encode(JSON.stringify(msg));
}

/** Device side: builds a GetStream request like the FreeRTOS agent (`{c,f,l,o,b,n}`, definite map). */
export function encodeGetRequest(r: { clientToken?: string; fileId: number; blockSize: number; offset: number; bitmap?: Uint8Array; numberOfBlocks?: number; streamVersion?: number }, format: StreamFormat): Uint8Array {
  const msg: Record<string, unknown> = {};
  if (r.clientToken !== undefined) msg['c'] = r.clientToken;
  if (r.streamVersion !== undefined) msg['s'] = r.streamVersion;
  msg['f'] = r.fileId;
  msg['l'] = r.blockSize;
  msg['o'] = r.offset;
  if (r.bitmap) msg['b'] = format === 'cbor' ? r.bitmap : bitmapToHex(r.bitmap);
  if (r.numberOfBlocks !== undefined) msg['n'] = r.numberOfBlocks;
  return format === 'cbor' ? encodeCbor(msg) : utf8.encode(JSON.stringify(msg));
}

/** Device side: the message a payload of either format carries; undefined when it is not one CBOR item or valid JSON. */
function decodeMessage(payload: Uint8Array, format: StreamFormat): unknown {
  if (format === 'cbor') return decodeCbor(payload);
  try {
    return JSON.parse(text.decode(payload)) as unknown;
  } catch {
    return undefined;
  }
}

/** Device side: decodes a data message; undefined when the FreeRTOS decoder would refuse it. */
export function decodeDataBlock(payload: Uint8Array, format: StreamFormat): DataBlock | undefined {
  const m = decodeMessage(payload, format);
  if (!isMap(m)) return undefined;
  const { f, i, l, p, c } = m;
  if (!isInt(f) || !isInt(i) || !isInt(l) || f < 0 || i < 0) return undefined;
  let bytes: Uint8Array | undefined;
  if (format === 'cbor') bytes = p instanceof Uint8Array ? plain(p) : undefined;
  else bytes = typeof p === 'string' ? fromBase64(p) : undefined;
  if (!bytes || bytes.length !== l) return undefined;
  return { ...(typeof c === 'string' ? { clientToken: c } : {}), fileId: f, blockId: i, payload: bytes };
}

/** Device/tool side: decodes a `rejected` message (short or long key forms). */
export function decodeStreamError(payload: Uint8Array, format: StreamFormat): { code: string; message?: string; clientToken?: string } | undefined {
  const m = decodeMessage(payload, format);
  if (!isMap(m)) return undefined;
  const code = m['o'] ?? m['code'];
  if (typeof code !== 'string') return undefined;
  const message = m['m'] ?? m['message'];
  const token = m['c'] ?? m['clientToken'];
  return { code, ...(typeof message === 'string' ? { message } : {}), ...(typeof token === 'string' ? { clientToken: token } : {}) };
}

/** Device/tool side: decodes a `description` message. */
export function decodeDescription(payload: Uint8Array, format: StreamFormat): { clientToken?: string; streamVersion: number; description?: string; files: { fileId: number; size: number }[] } | undefined {
  const m = decodeMessage(payload, format);
  if (!isMap(m) || !isInt(m['s']) || !Array.isArray(m['r'])) return undefined;
  const files: { fileId: number; size: number }[] = [];
  for (const r of m['r'] as unknown[]) {
    if (!isMap(r) || !isInt(r['f']) || !isInt(r['z'])) return undefined;
    files.push({ fileId: r['f'], size: r['z'] });
  }
  return {
    ...(typeof m['c'] === 'string' ? { clientToken: m['c'] } : {}),
    streamVersion: m['s'],
    ...(typeof m['d'] === 'string' ? { description: m['d'] } : {}),
    files,
  };
}
