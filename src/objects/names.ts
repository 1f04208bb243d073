/**
 * Validation of bucket names and object keys, and the key order S3 lists in.
 *
 * @packageDocumentation
 */
import { ObjectsError } from './objects-error.js';

/** Longest key S3 accepts, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Most entries one list page returns. */
export const MAX_LIST_KEYS = 1000;

// [S3 bucket naming rules] 3-63 chars; lowercase letters, digits, dots, hyphens;
// begins and ends with a letter or digit; no adjacent dots; not an IPv4 address.
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Throws `InvalidBucketName` unless `bucket` follows the S3 naming rules. */
export function assertBucketName(bucket: string): void {
  if (typeof bucket !== 'string' || !BUCKET_RE.test(bucket) || bucket.includes('..') || IPV4_RE.test(bucket)) {
    throw new ObjectsError('InvalidBucketName');
  }
}

/** Throws unless `key` is a non-empty string of at most {@link MAX_KEY_BYTES} UTF-8 bytes. */
export function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new ObjectsError('InvalidArgument', 'Object key must not be empty.');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new ObjectsError('KeyTooLongError');
  // Lone surrogates cannot round-trip through UTF-8, so two keys could collide.
  if (/[\uD800-\uDFFF]/u.test(key)) throw new ObjectsError('InvalidArgument', 'Object key is not valid Unicode.');
}

/** Compares keys in UTF-8 byte order, the order S3 lists keys in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Clamps a requested page size into 0..{@link MAX_LIST_KEYS} (default 1000). */
export function normalizeMaxKeys(maxKeys: number | undefined): number {
  if (maxKeys === undefined) return MAX_LIST_KEYS;
  if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new ObjectsError('InvalidArgument', 'max-keys must be a non-negative integer.');
  return Math.min(maxKeys, MAX_LIST_KEYS);
}

/** Encodes a listing position as an opaque continuation token. */
export function encodeContinuationToken(after: string): string {
  return Buffer.from(after, 'utf8').toString('base64url');
}

/** Decodes {@link encodeContinuationToken}; rejects tokens that are not ours. */
export function decodeContinuationToken(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new ObjectsError('InvalidArgument', 'The continuation token provided is incorrect.');
  const after = Buffer.from(token, 'base64url').toString('utf8');
  if (encodeContinuationToken(after) !== token) throw new ObjectsError('InvalidArgument', 'The continuation token provided is incorrect.');
  return after;
}

/** Validates user metadata keys/values as header-safe and lower-cases the keys. */
export function normalizeMetadata(metadata: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!metadata) return out;
  for (const [k, v] of Object.entries(metadata)) {
    const key = k.toLowerCase();
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) throw new ObjectsError('InvalidArgument', 'Metadata key is not a valid header token.');
    if (typeof v !== 'string' || /[\r\n\0]/.test(v)) throw new ObjectsError('InvalidArgument', 'Metadata value is not a valid header value.');
    out[key] = v;
  }
  return out;
}
