import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';

/** Hash algorithms the verifier may run. SHA-1 only for the TI CC3220SF format. */
export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** An incremental hash (the subset of @noble/hashes we use). */
export interface Hasher {
  update(chunk: Uint8Array): unknown;
  digest(): Uint8Array;
}

const HASHES = { sha1, sha256, sha384, sha512 } as const;

/** Output length in bytes per hash. */
export const HASH_LENGTH: Readonly<Record<HashName, number>> = Object.freeze({
  sha1: 20,
  sha256: 32,
  sha384: 48,
  sha512: 64,
});

/** A fresh incremental hasher. */
export function createHasher(name: HashName): Hasher {
  return HASHES[name].create();
}

/** One-shot digest. */
export function digest(name: HashName, bytes: Uint8Array): Uint8Array {
  return HASHES[name](bytes);
}
