/**
 * The checksum algorithms S3 accepts in `x-amz-checksum-*` headers and
 * aws-chunked trailers: CRC32, CRC32C, CRC64NVME, SHA1, SHA256. Values are the
 * base64 of the big-endian digest, as S3 sends them.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';

/** A running checksum. */
export interface Checksum {
  update(chunk: Uint8Array): void;
  /** Base64 of the big-endian digest. */
  digest(): string;
}

/** Header names (`x-amz-checksum-<alg>`) S3 defines, each with its algorithm. */
export const CHECKSUM_HEADERS = {
  'x-amz-checksum-crc32': () => new Crc32(),
  'x-amz-checksum-crc32c': () => new Crc32c(),
  'x-amz-checksum-crc64nvme': () => new Crc64Nvme(),
  'x-amz-checksum-sha1': () => hashChecksum('sha1'),
  'x-amz-checksum-sha256': () => hashChecksum('sha256'),
} as const satisfies Record<string, () => Checksum>;

/** One of the `x-amz-checksum-*` header names. */
export type ChecksumHeader = keyof typeof CHECKSUM_HEADERS;

/** Narrows a lower-cased header name to a {@link ChecksumHeader}. */
export function isChecksumHeader(name: string): name is ChecksumHeader {
  return Object.prototype.hasOwnProperty.call(CHECKSUM_HEADERS, name);
}

function hashChecksum(alg: 'sha1' | 'sha256'): Checksum {
  const h = createHash(alg);
  return { update: (c) => void h.update(c), digest: () => h.digest('base64') };
}

class Crc32 implements Checksum {
  #crc = 0;
  update(chunk: Uint8Array): void {
    this.#crc = zlibCrc32(chunk, this.#crc);
  }
  digest(): string {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.#crc >>> 0);
    return b.toString('base64');
  }
}

// CRC-32C (Castagnoli), reflected polynomial 0x82F63B78.
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

class Crc32c implements Checksum {
  #crc = 0xffffffff;
  update(chunk: Uint8Array): void {
    let c = this.#crc;
    for (let i = 0; i < chunk.length; i++) c = (CRC32C_TABLE[(c ^ chunk[i]!) & 0xff]! ^ (c >>> 8)) >>> 0;
    this.#crc = c;
  }
  digest(): string {
    const b = Buffer.alloc(4);
    b.writeUInt32BE((this.#crc ^ 0xffffffff) >>> 0);
    return b.toString('base64');
  }
}

// CRC-64/NVME: reflected polynomial 0x9A6C9329AC4BC9B5, init and xorout all ones.
// The 64-bit state is kept as two 32-bit halves so the inner loop avoids BigInt.
const CRC64_TABLE_HI = new Uint32Array(256);
const CRC64_TABLE_LO = new Uint32Array(256);
(() => {
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let n = 0; n < 256; n++) {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    CRC64_TABLE_HI[n] = Number(c >> 32n);
    CRC64_TABLE_LO[n] = Number(c & 0xffffffffn);
  }
})();

class Crc64Nvme implements Checksum {
  #hi = 0xffffffff;
  #lo = 0xffffffff;
  update(chunk: Uint8Array): void {
    let hi = this.#hi;
    let lo = this.#lo;
    for (let i = 0; i < chunk.length; i++) {
      const idx = (lo ^ chunk[i]!) & 0xff;
      // state >> 8, then xor the table entry
      const nlo = ((lo >>> 8) | (hi << 24)) >>> 0;
      const nhi = hi >>> 8;
      lo = (nlo ^ CRC64_TABLE_LO[idx]!) >>> 0;
      hi = (nhi ^ CRC64_TABLE_HI[idx]!) >>> 0;
    }
    this.#hi = hi;
    this.#lo = lo;
  }
  digest(): string {
    const b = Buffer.alloc(8);
    b.writeUInt32BE((this.#hi ^ 0xffffffff) >>> 0, 0);
    b.writeUInt32BE((this.#lo ^ 0xffffffff) >>> 0, 4);
    return b.toString('base64');
  }
}
