/**
 * Resolution of requested byte ranges against an object size, and parsing of
 * the HTTP `Range` header (RFC 9110 §14.1.2, single range only, as S3 does).
 *
 * @packageDocumentation
 */
import type { ByteRange } from './object-store.types.js';
import { ObjectsError } from './objects-error.js';

/**
 * Turns a requested range into inclusive `[start, end]` offsets within an
 * object of `size` bytes. Throws `InvalidRange` when nothing of it is satisfiable.
 */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  if ('suffixLength' in range) {
    const n = range.suffixLength;
    if (!Number.isSafeInteger(n) || n < 0) throw new ObjectsError('InvalidArgument', 'Invalid range.');
    // [RFC 9110 §14.1.1] a zero-length suffix, or any suffix of an empty object, is unsatisfiable.
    if (n === 0 || size === 0) throw new ObjectsError('InvalidRange', undefined, { details: { size } });
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw new ObjectsError('InvalidArgument', 'Invalid range.');
  }
  if (start >= size) throw new ObjectsError('InvalidRange', undefined, { details: { size } });
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

/**
 * Parses a `Range: bytes=…` header. Returns `undefined` for headers that are
 * syntactically invalid or name several ranges: HTTP says such a header is
 * ignored and the whole object is served (S3 behaves the same).
 */
export function parseRangeHeader(value: string | undefined): ByteRange | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') return { suffixLength: Number(b) };
  const start = Number(a);
  if (b === '') return { start };
  const end = Number(b);
  if (end < start) return undefined;
  return { start, end };
}
