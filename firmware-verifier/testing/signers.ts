/**
 * TEST-ONLY helpers: pure-JS signers and image builders used by the verifier's tests, fuzzing
 * and benchmark. Never shipped to devices; excluded from coverage. Keys used with them are
 * published test keys or generated per run.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { crc32 } from '../crc32.js';
import { createHasher, digest as hashOf, HASH_LENGTH, type HashName } from '../hash.js';
import { os2ip } from '../rsa.js';

/** An RSA private key as BigInts (from a JWK in tests). */
export interface RsaPrivate {
  readonly n: bigint;
  readonly e: bigint;
  readonly d: bigint;
}

function i2osp(x: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

/** Base64url → BigInt (JWK fields). */
export function b64uToBigInt(s: string): bigint {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return os2ip(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

function rsaBytes(key: RsaPrivate): number {
  return Math.ceil(key.n.toString(2).length / 8);
}

/** Raw RSA private operation on an encoded message (no padding added). */
export function rsaRaw(key: RsaPrivate, em: Uint8Array): Uint8Array {
  return i2osp(modPow(os2ip(em), key.d, key.n), rsaBytes(key));
}

const PREFIX: Record<HashName, string> = {
  sha1: '3021300906052b0e03021a05000414',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** RSASSA-PKCS1-v1_5 over a digest. */
export function rsaSignPkcs1(key: RsaPrivate, hash: HashName, digest: Uint8Array): Uint8Array {
  const k = rsaBytes(key);
  const t = Uint8Array.from([...hexToBytes(PREFIX[hash]), ...digest]);
  const em = new Uint8Array(k).fill(0xff);
  em[0] = 0;
  em[1] = 1;
  em[k - t.length - 1] = 0;
  em.set(t, k - t.length);
  return rsaRaw(key, em);
}

function mgf1(hash: HashName, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const hLen = HASH_LENGTH[hash];
  for (let c = 0, off = 0; off < length; c++, off += hLen) {
    const h = createHasher(hash);
    h.update(seed);
    h.update(Uint8Array.from([c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff]));
    out.set(h.digest().subarray(0, Math.min(hLen, length - off)), off);
  }
  return out;
}

/** RSASSA-PSS over a digest (MGF1 with the same hash). */
export function rsaSignPss(key: RsaPrivate, hash: HashName, mHash: Uint8Array, salt: Uint8Array): Uint8Array {
  const modBits = key.n.toString(2).length;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = HASH_LENGTH[hash];
  const mPrime = new Uint8Array(8 + hLen + salt.length);
  mPrime.set(mHash, 8);
  mPrime.set(salt, 8 + hLen);
  const h = hashOf(hash, mPrime);
  const db = new Uint8Array(emLen - hLen - 1);
  db[emLen - salt.length - hLen - 2] = 1;
  db.set(salt, db.length - salt.length);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & (0xff >>> (8 * emLen - emBits));
  const em = new Uint8Array(emLen);
  em.set(db);
  em.set(h, db.length);
  em[emLen - 1] = 0xbc;
  const k = rsaBytes(key);
  const full = new Uint8Array(k);
  full.set(em, k - emLen);
  return rsaRaw(key, full);
}

/** Hex → bytes. */
export function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** A TLV entry for the MCUboot builder. */
export interface TlvSpec {
  readonly type: number;
  readonly value: Uint8Array;
}

function tlvArea(magic: number, tlvs: readonly TlvSpec[]): Uint8Array {
  const total = 4 + tlvs.reduce((s, t) => s + 4 + t.value.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, magic, true);
  dv.setUint16(2, total, true);
  let off = 4;
  for (const t of tlvs) {
    dv.setUint16(off, t.type, true);
    dv.setUint16(off + 2, t.value.length, true);
    out.set(t.value, off + 4);
    off += 4 + t.value.length;
  }
  return out;
}

/** How the MCUboot builder signs: given the image hash, return the key + signature TLVs. */
export type McubootSigner = (hash: Uint8Array) => TlvSpec[];

/** Options of {@link mcubootImage}. */
export interface McubootImageSpec {
  readonly payload: Uint8Array;
  readonly hdrSize?: number;
  readonly version?: readonly [number, number, number, number];
  readonly flags?: number;
  readonly protectedTlvs?: readonly TlvSpec[];
  readonly hash?: 'sha256' | 'sha384' | 'sha512';
  readonly signer?: McubootSigner;
  readonly extraUnprotected?: readonly TlvSpec[];
  readonly padHeaderWith?: number;
}

/** Builds an MCUboot image the way imgtool lays it out. */
export function mcubootImage(spec: McubootImageSpec): Uint8Array {
  const hdrSize = spec.hdrSize ?? 32;
  const prot = spec.protectedTlvs && spec.protectedTlvs.length > 0 ? tlvArea(0x6908, spec.protectedTlvs) : new Uint8Array(0);
  const header = new Uint8Array(hdrSize).fill(spec.padHeaderWith ?? 0xff);
  const dv = new DataView(header.buffer);
  const [major, minor, revision, build] = spec.version ?? [1, 2, 3, 4];
  dv.setUint32(0, 0x96f3b83d, true);
  dv.setUint32(4, 0, true);
  dv.setUint16(8, hdrSize, true);
  dv.setUint16(10, prot.length, true);
  dv.setUint32(12, spec.payload.length, true);
  dv.setUint32(16, spec.flags ?? 0, true);
  header[20] = major;
  header[21] = minor;
  dv.setUint16(22, revision, true);
  dv.setUint32(24, build, true);
  dv.setUint32(28, 0, true);
  const hashed = Uint8Array.from([...header, ...spec.payload, ...prot]);
  const hashName = spec.hash ?? 'sha256';
  const hash = hashName === 'sha256' ? sha256(hashed) : hashName === 'sha384' ? sha384(hashed) : sha512(hashed);
  const hashType = { sha256: 0x10, sha384: 0x11, sha512: 0x12 }[hashName];
  const unprot = tlvArea(0x6907, [{ type: hashType, value: hash }, ...(spec.signer?.(hash) ?? []), ...(spec.extraUnprotected ?? [])]);
  return Uint8Array.from([...hashed, ...unprot]);
}

/** Signer TLVs for ECDSA (P-256 or P-384) with KEYHASH = hash of the SPKI. */
export function mcubootEcdsaSigner(curve: 'p256' | 'p384', secret: Uint8Array, spki: Uint8Array): McubootSigner {
  const c = curve === 'p256' ? p256 : p384;
  const keyHash = curve === 'p256' ? sha256(spki) : sha384(spki);
  return (hash) => [
    { type: 0x01, value: keyHash },
    { type: 0x22, value: c.sign(hash, secret, { prehash: false, format: 'der' }) },
  ];
}

/** Signer TLVs for Ed25519 (signs the hash, as imgtool does). */
export function mcubootEd25519Signer(secret: Uint8Array, spki: Uint8Array): McubootSigner {
  return (hash) => [
    { type: 0x01, value: sha256(spki) },
    { type: 0x24, value: ed25519.sign(hash, secret) },
  ];
}

/** Signer TLVs for RSA-PSS (salt 32); KEYHASH = SHA-256 of PKCS#1 RSAPublicKey. */
export function mcubootRsaSigner(key: RsaPrivate, pkcs1: Uint8Array, salt = new Uint8Array(32).fill(7)): McubootSigner {
  const bits = key.n.toString(2).length;
  return (hash) => [
    { type: 0x01, value: sha256(pkcs1) },
    { type: bits === 2048 ? 0x20 : 0x23, value: rsaSignPss(key, 'sha256', hash, salt) },
  ];
}

/** SPKI DER for a raw EC point or Ed25519 key (fixed prefixes, RFC 5480 / RFC 8410). */
export function spkiFor(kind: 'p256' | 'p384' | 'ed25519', publicKey: Uint8Array): Uint8Array {
  const prefix = {
    p256: '3059301306072a8648ce3d020106082a8648ce3d030107034200',
    p384: '3076301006072a8648ce3d020106052b81040022036200',
    ed25519: '302a300506032b6570032100',
  }[kind];
  return Uint8Array.from([...hexToBytes(prefix), ...publicKey]);
}

/** Options of {@link esp32Image}. */
export interface Esp32BlockSpec {
  readonly kind: 'ecdsa256' | 'ecdsa384' | 'rsa3072';
  readonly secret?: Uint8Array;
  readonly rsa?: RsaPrivate;
}

function le(x: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** One ESP32 SBv2 signature block over `image` (padded to 4 KiB already). */
export function esp32Block(image: Uint8Array, spec: Esp32BlockSpec): Uint8Array {
  const block = new Uint8Array(1216);
  block[0] = 0xe7;
  if (spec.kind === 'rsa3072') {
    const key = spec.rsa as RsaPrivate;
    const d = sha256(image);
    block[1] = 0x02;
    block.set(d, 4);
    const mod = 1n << 32n;
    let inv = 1n;
    for (let i = 0; i < 5; i++) inv = (inv * (2n - ((key.n * inv) % mod) + mod)) % mod;
    block.set(le(key.n, 384), 36);
    block.set(le(key.e, 4), 420);
    block.set(le((1n << 6144n) % key.n, 384), 424);
    block.set(le(mod - inv, 4), 808);
    block.set(rsaSignPss(key, 'sha256', d, new Uint8Array(32).fill(9)).reverse(), 812);
  } else {
    const is384 = spec.kind === 'ecdsa384';
    const c = is384 ? p384 : p256;
    const n = is384 ? 48 : 32;
    const d = is384 ? sha384(image) : sha256(image);
    const secret = spec.secret as Uint8Array;
    const point = c.getPublicKey(secret, false);
    block[1] = 0x03;
    block[2] = is384 ? 1 : 0;
    block.set(d, 4);
    const curveOff = 4 + n;
    block[curveOff] = is384 ? 3 : 2;
    block.set(point.slice(1, 1 + n).reverse(), curveOff + 1);
    block.set(point.slice(1 + n).reverse(), curveOff + 1 + n);
    const sig = c.sign(d, secret, { prehash: false, format: 'compact' });
    block.set(sig.slice(0, n).reverse(), curveOff + 1 + 2 * n);
    block.set(sig.slice(n).reverse(), curveOff + 1 + 3 * n);
  }
  new DataView(block.buffer).setUint32(1196, crc32(block.subarray(0, 1196)), true);
  return block;
}

/** A signed ESP32 SBv2 image: payload padded with 0xFF to 4 KiB, then the signature sector. */
export function esp32Image(payload: Uint8Array, blocks: readonly Esp32BlockSpec[]): Uint8Array {
  const len = Math.ceil(payload.length / 4096) * 4096;
  const image = new Uint8Array(len).fill(0xff);
  image.set(payload);
  const sector = new Uint8Array(4096).fill(0xff);
  blocks.forEach((b, i) => sector.set(esp32Block(image, b), i * 1216));
  return Uint8Array.from([...image, ...sector]);
}

/** An ESP-IDF app prefix: image header, segment header, `esp_app_desc_t` with `secure_version`. */
export function esp32AppPayload(secureVersion: number, length = 4096): Uint8Array {
  const out = new Uint8Array(length);
  out[0] = 0xe9;
  const dv = new DataView(out.buffer);
  dv.setUint32(32, 0xabcd5432, true);
  dv.setUint32(36, secureVersion, true);
  for (let i = 40; i < length; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}
