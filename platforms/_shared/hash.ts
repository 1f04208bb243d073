import { createHash, type Hash } from 'node:crypto';
import { PlatformInputError, type HashAlgorithm } from '../platform.types.js';

/** node:crypto names of the Signer API hash names. */
export const NODE_HASH_NAMES: Readonly<Record<HashAlgorithm, string>> = Object.freeze({
  SHA1: 'sha1',
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
});

/** Digest length in bytes of each hash. */
export const HASH_LENGTHS: Readonly<Record<HashAlgorithm, number>> = Object.freeze({
  SHA1: 20,
  SHA256: 32,
  SHA384: 48,
  SHA512: 64,
});

/** A fresh node:crypto hash for a Signer API hash name. */
export function newHash(hash: HashAlgorithm): Hash {
  return createHash(NODE_HASH_NAMES[hash]);
}

/**
 * Streams a source through `hash`, chunk by chunk (memory stays bounded whatever the size),
 * and checks that exactly `expectedSize` bytes came out: a source that changes between the
 * size check and the read (or between two passes) must not be signed.
 */
export async function digestStream(
  source: AsyncIterable<Uint8Array>,
  hash: HashAlgorithm,
  expectedSize: number,
): Promise<Uint8Array> {
  const h = newHash(hash);
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > expectedSize) break;
    h.update(chunk);
  }
  assertSourceSize(size, expectedSize);
  return new Uint8Array(h.digest());
}

/**
 * Re-reads a source for output (the second pass of a two-pass format), yielding its chunks
 * unchanged, and fails the stream if the bytes differ from what was signed.
 */
export async function* replayVerified(
  source: AsyncIterable<Uint8Array>,
  hash: HashAlgorithm,
  expectedDigest: Uint8Array,
  expectedSize: number,
): AsyncIterable<Uint8Array> {
  const h = newHash(hash);
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > expectedSize) break;
    h.update(chunk);
    yield chunk;
  }
  assertSourceSize(size, expectedSize);
  if (!Buffer.from(h.digest()).equals(Buffer.from(expectedDigest))) {
    throw new Error('source object changed between the signing pass and the output pass');
  }
}

function assertSourceSize(read: number, expected: number): void {
  if (read !== expected) {
    throw new PlatformInputError(
      `source object changed while signing: expected ${expected} bytes, read ${read > expected ? `more than ${expected}` : read}`,
    );
  }
}
