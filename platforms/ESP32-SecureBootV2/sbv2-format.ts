/**
 * ESP32 Secure Boot V2 signature sector (ESP-IDF `docs/en/security/secure-boot-v2.rst`
 * "Signature Block Format", espsecure `sign_data -v 2`). Every constant of the format is defined
 * here once. Multi-byte integers little-endian; RSA numbers and ECDSA coordinates are stored
 * little-endian (byte-reversed) as the ROM's big-number code reads them.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { p256, p384 } from '@noble/curves/nist.js';

/** Byte 0 of a signature block. */
export const SIG_BLOCK_MAGIC = 0xe7;
/** Byte 1: block version for RSA-3072-PSS. */
export const SIG_BLOCK_VERSION_RSA = 0x02;
/** Byte 1: block version for ECDSA. */
export const SIG_BLOCK_VERSION_ECDSA = 0x03;
/** Byte 2 (ECDSA): 0 = SHA-256 digest, 1 = SHA-384 digest. */
export const ECDSA_SHA_VERSION = Object.freeze({ SHA256: 0, SHA384: 1 });
/** Curve ids of the ECDSA block. */
export const CURVE_ID = Object.freeze({ P192: 1, P256: 2, P384: 3 });
/** Size of one signature block. */
export const SIG_BLOCK_SIZE = 1216;
/** Offset of the CRC32 (over bytes 0..1195); 16 zero bytes follow it. */
export const SIG_BLOCK_CRC_OFFSET = 1196;
/** The image is padded to, and the signature sector is, one flash sector. */
export const SECTOR_SIZE = 4096;
/** Fill of the image padding and of the unused part of the signature sector. */
export const PAD_BYTE = 0xff;
/** Blocks per signature sector. */
export const MAX_SIG_BLOCKS = 3;
/** RSA key size the scheme supports. */
export const RSA_BYTES = 384;
/** Offsets in the RSA block: digest, n, e, R, M', signature. */
export const RSA_BLOCK = Object.freeze({ digest: 4, n: 36, e: 420, r: 424, mPrime: 808, signature: 812 });
/** Offsets in the ECDSA block: digest, then curve id / point / r‖s after the digest. */
export const ECDSA_BLOCK = Object.freeze({ digest: 4 });

/** The RSA-PSS salt length the ROM expects. */
export const RSA_PSS_SALT_LENGTH = 32;

/**
 * An RSA-3072 block: SHA-256 image digest, the public key with the Montgomery constants the ROM needs
 * (R = 2^(2·3072) mod n, M' = −n⁻¹ mod 2³²) and the PSS signature, all byte-reversed.
 */
export function encodeRsaBlock(digest: Uint8Array, publicKeySpki: Uint8Array, signature: Uint8Array): Uint8Array {
  const jwk = createPublicKey({ key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  const nBytes = Buffer.from(String(jwk.n), 'base64url');
  if (nBytes.length !== RSA_BYTES) throw new RangeError(`Secure Boot V2 RSA keys are 3072-bit, not ${nBytes.length * 8}-bit`);
  if (signature.length !== RSA_BYTES) throw new RangeError(`RSA signature is ${signature.length} bytes, expected ${RSA_BYTES}`);
  const n = BigInt(`0x${nBytes.toString('hex')}`);
  const e = Number(BigInt(`0x${Buffer.from(String(jwk.e), 'base64url').toString('hex')}`));
  const r = (1n << BigInt(2 * RSA_BYTES * 8)) % n;
  const mPrime = (1n << 32n) - inverseMod2p32(n & 0xffffffffn);
  const b = Buffer.alloc(SIG_BLOCK_SIZE, 0);
  b[0] = SIG_BLOCK_MAGIC;
  b[1] = SIG_BLOCK_VERSION_RSA;
  b.set(digest, RSA_BLOCK.digest);
  b.set(littleEndian(n, RSA_BYTES), RSA_BLOCK.n);
  b.writeUInt32LE(e, RSA_BLOCK.e);
  b.set(littleEndian(r, RSA_BYTES), RSA_BLOCK.r);
  b.writeUInt32LE(Number(mPrime & 0xffffffffn), RSA_BLOCK.mPrime);
  b.set(Buffer.from(signature).reverse(), RSA_BLOCK.signature);
  return withCrc(b);
}

/**
 * An ECDSA block (P-256 with a SHA-256 digest, P-384 with SHA-384): digest, curve id, public point X‖Y and
 * signature r‖s, each coordinate little-endian, then reserved zeros.
 */
export function encodeEcdsaBlock(digest: Uint8Array, publicKeySpki: Uint8Array, derSignature: Uint8Array): Uint8Array {
  const jwk = createPublicKey({ key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  const p384key = jwk.crv === 'P-384';
  if (!p384key && jwk.crv !== 'P-256') throw new RangeError(`Secure Boot V2 ECDSA keys are P-256 or P-384, not ${jwk.crv}`);
  const size = p384key ? 48 : 32;
  if (digest.length !== size) throw new RangeError(`digest is ${digest.length} bytes, the ${jwk.crv} block holds ${size}`);
  const compact = (p384key ? p384 : p256).Signature.fromBytes(derSignature, 'der').toBytes('compact');
  const b = Buffer.alloc(SIG_BLOCK_SIZE, 0);
  b[0] = SIG_BLOCK_MAGIC;
  b[1] = SIG_BLOCK_VERSION_ECDSA;
  b[2] = p384key ? ECDSA_SHA_VERSION.SHA384 : ECDSA_SHA_VERSION.SHA256;
  let off = ECDSA_BLOCK.digest;
  b.set(digest, off);
  off += size;
  b[off++] = p384key ? CURVE_ID.P384 : CURVE_ID.P256;
  for (const part of [Buffer.from(String(jwk.x), 'base64url'), Buffer.from(String(jwk.y), 'base64url'), compact.subarray(0, size), compact.subarray(size)]) {
    b.set(Buffer.from(part).reverse(), off);
    off += size;
  }
  return withCrc(b);
}

/**
 * The key digest the device's eFuse holds for a block's key (espsecure `digest_sbv2_public_key`):
 * SHA-256 over n, e, R, M' (bytes 36..811) for RSA, over curve id ‖ point for ECDSA.
 */
export function publicKeyDigest(block: Uint8Array): Uint8Array {
  if (block[1] === SIG_BLOCK_VERSION_RSA) return new Uint8Array(createHash('sha256').update(block.subarray(RSA_BLOCK.n, RSA_BLOCK.signature)).digest());
  const size = block[2] === ECDSA_SHA_VERSION.SHA384 ? 48 : 32;
  const start = ECDSA_BLOCK.digest + size;
  return new Uint8Array(createHash('sha256').update(block.subarray(start, start + 1 + 2 * size)).digest());
}

/** A signature sector: the blocks in order, the rest `0xff`. */
export function encodeSignatureSector(blocks: readonly Uint8Array[]): Uint8Array {
  if (blocks.length === 0 || blocks.length > MAX_SIG_BLOCKS) throw new RangeError(`a signature sector holds 1..${MAX_SIG_BLOCKS} blocks`);
  const b = Buffer.alloc(SECTOR_SIZE, PAD_BYTE);
  blocks.forEach((block, i) => b.set(block, i * SIG_BLOCK_SIZE));
  return new Uint8Array(b);
}

/** Length of the image once padded to a whole sector (the length the digest covers). */
export function paddedLength(size: number): number {
  return Math.ceil(size / SECTOR_SIZE) * SECTOR_SIZE;
}

function withCrc(b: Buffer): Uint8Array {
  b.writeUInt32LE(crc32(b.subarray(0, SIG_BLOCK_CRC_OFFSET)) >>> 0, SIG_BLOCK_CRC_OFFSET);
  return new Uint8Array(b);
}

function littleEndian(n: bigint, length: number): Buffer {
  return Buffer.from(n.toString(16).padStart(length * 2, '0'), 'hex').reverse();
}

/** x⁻¹ mod 2³² for odd x (Newton iteration: each step doubles the correct low bits). */
function inverseMod2p32(x: bigint): bigint {
  let inv = x; // correct to 3 bits for odd x
  for (let i = 0; i < 5; i++) inv = (inv * (2n - x * inv)) & 0xffffffffn;
  return inv;
}
