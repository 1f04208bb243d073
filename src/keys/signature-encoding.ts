/**
 * Wire encodings shared by every key backend: DigestInfo prefixes for RSA PKCS#1 v1.5,
 * EMSA-PSS encoding, ECDSA raw r||s ↔ DER, and key-type detection from a public key.
 */
import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { KeysError } from './errors.js';
import type { HashAlgorithm, KeyType } from './key-backend.types.js';

/** Digest length in bytes per hash. */
export const HASH_LENGTH: Readonly<Record<HashAlgorithm, number>> = Object.freeze({
  SHA1: 20,
  SHA256: 32,
  SHA384: 48,
  SHA512: 64,
});

/** node:crypto / OpenSSL digest names. */
export const NODE_HASH_NAME: Readonly<Record<HashAlgorithm, string>> = Object.freeze({
  SHA1: 'sha1',
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
});

/**
 * DER prefix of DigestInfo ::= SEQUENCE { AlgorithmIdentifier (with NULL params), OCTET STRING digest }
 * for each hash. [RFC 8017 §9.2 note 1]
 */
export const DIGEST_INFO_PREFIX: Readonly<Record<HashAlgorithm, Uint8Array>> = Object.freeze({
  SHA1: Uint8Array.from([0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14]),
  SHA256: Uint8Array.from([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]),
  SHA384: Uint8Array.from([0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30]),
  SHA512: Uint8Array.from([0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40]),
});

/** Throws a TypeError/RangeError when `digest` is not a Uint8Array of the hash's length. */
export function checkDigest(digest: unknown, hash: unknown): asserts digest is Uint8Array {
  if (!(digest instanceof Uint8Array)) throw new TypeError('digest must be a Uint8Array');
  if (typeof hash !== 'string' || !Object.hasOwn(HASH_LENGTH, hash)) throw new TypeError('hash must be SHA1, SHA256, SHA384 or SHA512');
  const want = HASH_LENGTH[hash as HashAlgorithm];
  if (digest.length !== want) throw new RangeError(`digest must be ${want} bytes for ${hash}, got ${digest.length}`);
}

/** DigestInfo(hash, digest), the input of RSASSA-PKCS1-v1_5's private operation. [RFC 8017 §9.2 step 2] */
export function digestInfo(hash: HashAlgorithm, digest: Uint8Array): Buffer {
  return Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]);
}

function mgf1(hash: HashAlgorithm, seed: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  const hLen = HASH_LENGTH[hash];
  const counter = Buffer.alloc(4);
  for (let i = 0, off = 0; off < length; i++, off += hLen) {
    counter.writeUInt32BE(i, 0);
    const block = createHash(NODE_HASH_NAME[hash]).update(seed).update(counter).digest();
    block.copy(out, off, 0, Math.min(hLen, length - off));
  }
  return out;
}

/**
 * EMSA-PSS-ENCODE over an already computed mHash, MGF1 with the same hash and a salt as
 * long as the hash. Returns EM left-padded to `modulusBytes` for a raw (no padding)
 * private operation. [RFC 8017 §9.1.1]
 */
export function emsaPssEncode(hash: HashAlgorithm, mHash: Uint8Array, modulusBits: number): Buffer {
  const hLen = HASH_LENGTH[hash];
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const sLen = hLen;
  if (emLen < hLen + sLen + 2) throw new KeysError('UNSUPPORTED_OPERATION', 'RSA modulus too small for PSS with this hash');
  const salt = randomBytes(sLen);
  const mPrime = Buffer.concat([Buffer.alloc(8), mHash, salt]);
  const h = createHash(NODE_HASH_NAME[hash]).update(mPrime).digest();
  const db = Buffer.alloc(emLen - hLen - 1);
  db[emLen - sLen - hLen - 2] = 0x01;
  salt.copy(db, emLen - sLen - hLen - 1);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (mask[i] as number);
  const unused = 8 * emLen - emBits;
  db[0] = (db[0] as number) & (0xff >>> unused);
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  const k = Math.ceil(modulusBits / 8);
  return k > emLen ? Buffer.concat([Buffer.alloc(k - emLen), em]) : em;
}

function derInteger(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = Buffer.from(bytes.subarray(i));
  if (((v[0] as number) & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v]);
  return Buffer.concat([Buffer.from([0x02]), derLength(v.length), v]);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}

/** Converts a raw `r || s` ECDSA signature (PKCS#11 CKM_ECDSA output) to DER Ecdsa-Sig-Value. [RFC 3279 §2.2.3] */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new RangeError('raw ECDSA signature must be r||s of equal halves');
  const half = raw.length / 2;
  const body = Buffer.concat([derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half))]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]));
}

/**
 * Key type of a public key, or an `UNSUPPORTED_ALGORITHM` error naming what was found.
 * Allowed: RSA 2048/3072/4096, EC P-256/P-384, Ed25519. [AWS Signer: code-signing certificate requirements]
 */
export function keyTypeOf(key: KeyObject): KeyType {
  const t = key.asymmetricKeyType;
  const d = key.asymmetricKeyDetails ?? {};
  if (t === 'rsa') {
    const bits = d.modulusLength ?? 0;
    if (bits === 2048) return 'RSA_2048';
    if (bits === 3072) return 'RSA_3072';
    if (bits === 4096) return 'RSA_4096';
    throw new KeysError('UNSUPPORTED_ALGORITHM', `RSA keys must be 2048, 3072 or 4096 bits; got ${bits}`);
  }
  if (t === 'ec') {
    if (d.namedCurve === 'prime256v1') return 'EC_prime256v1';
    if (d.namedCurve === 'secp384r1') return 'EC_secp384r1';
    throw new KeysError('UNSUPPORTED_ALGORITHM', `EC keys must use P-256 or P-384; got ${d.namedCurve ?? 'an unknown curve'}`);
  }
  if (t === 'ed25519') return 'ED25519';
  throw new KeysError('UNSUPPORTED_ALGORITHM', `unsupported key algorithm ${t ?? 'unknown'}; use RSA, ECDSA P-256/P-384 or Ed25519`);
}

/** Key type of a DER SubjectPublicKeyInfo. */
export function keyTypeOfSpki(spki: Uint8Array): KeyType {
  return keyTypeOf(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }));
}

/** RSA modulus length in bits for an RSA key type. */
export function rsaBits(keyType: KeyType): number {
  switch (keyType) {
    case 'RSA_2048': return 2048;
    case 'RSA_3072': return 3072;
    case 'RSA_4096': return 4096;
    default: return 0;
  }
}

/** Overwrites a buffer with zeros (best effort: V8 may hold copies of strings, never of this buffer). */
export function zeroize(...bufs: (Uint8Array | undefined | null)[]): void {
  for (const b of bufs) if (b) b.fill(0);
}
