import { createHasher, digest, HASH_LENGTH, type HashName } from './hash.js';
import { equalBytes } from './bytes.js';

/**
 * RSA signature verification with BigInt: the public operation s^e mod n, then an exact
 * EMSA-PKCS1-v1_5 comparison (RFC 8017 §8.2.2) or an EMSA-PSS check (RFC 8017 §9.1.2).
 * Written here rather than taken from node-forge because it is ~100 lines, has no Node
 * dependency, reuses @noble/hashes, and lets PSS pin the salt length as MCUboot does.
 * Only public data goes through it, so timing does not leak secrets.
 */

/** An RSA public key. */
export interface RsaPublicKey {
  readonly n: bigint;
  readonly e: bigint;
  /** Modulus length in bits. */
  readonly bits: number;
}

/** Big-endian bytes → BigInt. */
export function os2ip(bytes: Uint8Array): bigint {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return x;
}

/** BigInt → big-endian bytes of exactly `length` (caller guarantees it fits). */
function i2osp(x: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Square-and-multiply; exponents here are public (usually 65537). */
function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** Bit length of a positive BigInt. */
export function bitLength(x: bigint): number {
  return x.toString(2).length;
}

/** RSAVP1 + I2OSP: the encoded message, or undefined when the signature is out of range. */
function openSignature(key: RsaPublicKey, signature: Uint8Array): Uint8Array | undefined {
  const k = Math.ceil(key.bits / 8);
  if (signature.length !== k) return undefined; // [RFC8017 8.2.2 step 1]
  const s = os2ip(signature);
  if (s >= key.n) return undefined; // [RFC8017 5.2.2 step 1]
  return i2osp(modPow(s, key.e, key.n), k);
}

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1). */
const DIGEST_INFO_PREFIX: Readonly<Record<HashName, Uint8Array>> = {
  sha1: Uint8Array.from([0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14]),
  sha256: Uint8Array.from([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]),
  sha384: Uint8Array.from([0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30]),
  sha512: Uint8Array.from([0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40]),
};

/**
 * RSASSA-PKCS1-v1_5 verification over a precomputed digest: rebuilds the one valid encoding
 * and compares bytes, so no lenient parsing of padding or DigestInfo is possible.
 */
export function verifyPkcs1v15(key: RsaPublicKey, hash: HashName, messageDigest: Uint8Array, signature: Uint8Array): boolean {
  const em = openSignature(key, signature);
  if (em === undefined) return false;
  const prefix = DIGEST_INFO_PREFIX[hash];
  const tLen = prefix.length + messageDigest.length;
  const expected = new Uint8Array(em.length).fill(0xff);
  expected[0] = 0x00;
  expected[1] = 0x01;
  expected[em.length - tLen - 1] = 0x00;
  expected.set(prefix, em.length - tLen);
  expected.set(messageDigest, em.length - messageDigest.length);
  return equalBytes(em, expected);
}

/** MGF1 (RFC 8017 §B.2.1). */
function mgf1(hash: HashName, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const hLen = HASH_LENGTH[hash];
  for (let counter = 0, offset = 0; offset < length; counter++, offset += hLen) {
    const h = createHasher(hash);
    h.update(seed);
    h.update(Uint8Array.from([counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff]));
    out.set(h.digest().subarray(0, Math.min(hLen, length - offset)), offset);
  }
  return out;
}

/**
 * RSASSA-PSS verification over a precomputed digest with a fixed salt length
 * (MCUboot and ESP32 both require salt = 32: `image_rsa.c` PSS_SLEN, espsecure).
 */
export function verifyPss(key: RsaPublicKey, hash: HashName, messageDigest: Uint8Array, signature: Uint8Array, saltLength: number): boolean {
  const k = Math.ceil(key.bits / 8);
  const decoded = openSignature(key, signature);
  if (decoded === undefined) return false;
  const emBits = key.bits - 1;
  const emLen = Math.ceil(emBits / 8);
  // When emBits is a multiple of 8 the encoded message is one byte shorter than k. [RFC8017 8.1.2 step 2]
  if (k !== emLen && decoded[0] !== 0) return false;
  const em = decoded.subarray(k - emLen);
  const hLen = HASH_LENGTH[hash];
  if (emLen < hLen + saltLength + 2 || em[emLen - 1] !== 0xbc) return false; // [RFC8017 9.1.2 steps 3-4]
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const unusedBits = 8 * emLen - emBits;
  const topMask = 0xff >>> unusedBits;
  if (((maskedDb[0] as number) & ~topMask & 0xff) !== 0) return false; // [RFC8017 9.1.2 step 6]
  const db = mgf1(hash, h, maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (maskedDb[i] as number);
  db[0] = (db[0] as number) & topMask;
  const psLen = emLen - hLen - saltLength - 2;
  let bad = db[psLen] !== 0x01 ? 1 : 0; // [RFC8017 9.1.2 step 10]
  for (let i = 0; i < psLen; i++) bad |= db[i] as number;
  const mPrime = new Uint8Array(8 + hLen + saltLength);
  mPrime.set(messageDigest, 8);
  mPrime.set(db.subarray(db.length - saltLength), 8 + hLen);
  return bad === 0 && equalBytes(digest(hash, mPrime), h);
}
