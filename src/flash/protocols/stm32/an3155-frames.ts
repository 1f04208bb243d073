/**
 * STM32 system boot loader, USART protocol (ST AN3155): the host's frame encoders and the decoders of
 * the boot loader's replies. Pure functions over bytes; the conversation is in stm32-protocol.ts.
 */
import { FlashError } from '../../flash-error.js';

export const ACK = 0x79;
export const NACK = 0x1f;
export const SYNC = 0x7f;

/** Command codes (AN3155 §2). */
export const CMD = {
  GET: 0x00,
  GET_VERSION: 0x01,
  GET_ID: 0x02,
  READ_MEMORY: 0x11,
  GO: 0x21,
  WRITE_MEMORY: 0x31,
  ERASE: 0x43,
  EXTENDED_ERASE: 0x44,
  WRITE_PROTECT: 0x63,
  WRITE_UNPROTECT: 0x73,
  READOUT_PROTECT: 0x82,
  READOUT_UNPROTECT: 0x92,
} as const;

/** Largest Read/Write Memory transfer and the largest page list one Erase accepts. */
export const MAX_BLOCK = 256;
export const MAX_ERASE_PAGES_STANDARD = 255;
export const MAX_ERASE_PAGES_EXTENDED = 0xfff0;

/** XOR of all bytes (AN3155's checksum). */
export function xorChecksum(bytes: Uint8Array, seed = 0): number {
  let x = seed;
  for (const b of bytes) x ^= b;
  return x & 0xff;
}

/** A command byte followed by its complement. */
export function commandFrame(cmd: number): Uint8Array {
  return Uint8Array.of(cmd & 0xff, ~cmd & 0xff);
}

/** A 32-bit address, big-endian, followed by the XOR of its 4 bytes. */
export function addressFrame(address: number): Uint8Array {
  if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) throw new RangeError(`address out of range: ${address}`);
  const a = Uint8Array.of(address >>> 24, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff);
  return Uint8Array.of(...a, xorChecksum(a));
}

/** Write Memory data: N-1, N bytes, XOR(N-1, data). N is 1..256. */
export function writeDataFrame(data: Uint8Array): Uint8Array {
  if (data.length < 1 || data.length > MAX_BLOCK) throw new RangeError(`write block must be 1..${MAX_BLOCK} bytes, got ${data.length}`);
  const out = new Uint8Array(data.length + 2);
  out[0] = data.length - 1;
  out.set(data, 1);
  out[data.length + 1] = xorChecksum(data, data.length - 1);
  return out;
}

/** Read Memory length: N-1 and its complement. */
export function readLengthFrame(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 1 || n > MAX_BLOCK) throw new RangeError(`read length must be 1..${MAX_BLOCK}, got ${n}`);
  return Uint8Array.of(n - 1, ~(n - 1) & 0xff);
}

/** Standard Erase (0x43): `FF 00` for a global erase, else N-1, page numbers (one byte each), XOR. */
export function eraseFrame(pages: readonly number[] | 'all'): Uint8Array {
  if (pages === 'all') return Uint8Array.of(0xff, 0x00);
  if (pages.length < 1 || pages.length > MAX_ERASE_PAGES_STANDARD) throw new RangeError(`standard erase takes 1..${MAX_ERASE_PAGES_STANDARD} pages`);
  const out = new Uint8Array(pages.length + 2);
  out[0] = pages.length - 1;
  pages.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 0 || p > 0xff) throw new RangeError(`standard erase page out of range: ${p}`);
    out[i + 1] = p;
  });
  out[pages.length + 1] = xorChecksum(out.subarray(0, pages.length + 1));
  return out;
}

/** Extended Erase (0x44): `FF FF 00` mass erase, else BE16 N-1, BE16 page numbers, XOR. */
export function extendedEraseFrame(pages: readonly number[] | 'all'): Uint8Array {
  if (pages === 'all') return Uint8Array.of(0xff, 0xff, 0x00);
  if (pages.length < 1 || pages.length > MAX_ERASE_PAGES_EXTENDED) throw new RangeError(`extended erase takes 1..${MAX_ERASE_PAGES_EXTENDED} pages`);
  const out = new Uint8Array(2 * pages.length + 3);
  out[0] = (pages.length - 1) >> 8;
  out[1] = (pages.length - 1) & 0xff;
  pages.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new RangeError(`extended erase page out of range: ${p}`);
    out[2 + 2 * i] = p >> 8;
    out[3 + 2 * i] = p & 0xff;
  });
  out[out.length - 1] = xorChecksum(out.subarray(0, out.length - 1));
  return out;
}

/** What Get (0x00) tells: the boot loader version and the commands it supports. */
export interface GetReply {
  version: number;
  commands: number[];
}

/** What Get Version (0x01) tells. */
export interface GetVersionReply {
  version: number;
  option1: number;
  option2: number;
}

function protocolError(what: string, bytes: Uint8Array): FlashError {
  const hex = Array.from(bytes.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return new FlashError('Protocol', `STM32 boot loader sent a malformed ${what} reply (${hex}${bytes.length > 16 ? ' …' : ''}); check --protocol and the wiring (BOOT0 high, then RESET)`);
}

/**
 * How many bytes a Get/Get ID reply has once its first two bytes (ACK, N) arrived: the variable-length
 * replies carry N = (bytes between N and the final ACK) − 1.
 */
export function variableReplyLength(head: Uint8Array): number {
  if (head.length < 2) return -1;
  return 2 + (head[1] as number) + 1 + 1;
}

/** Decodes `79 N version cmd… 79` (Get). */
export function decodeGetReply(bytes: Uint8Array): GetReply {
  if (bytes.length < 4 || bytes[0] !== ACK) throw protocolError('Get', bytes);
  const n = bytes[1] as number;
  if (bytes.length !== n + 4 || bytes[bytes.length - 1] !== ACK) throw protocolError('Get', bytes);
  return { version: bytes[2] as number, commands: Array.from(bytes.subarray(3, bytes.length - 1)) };
}

/** Decodes `79 version opt1 opt2 79` (Get Version). */
export function decodeGetVersionReply(bytes: Uint8Array): GetVersionReply {
  if (bytes.length !== 5 || bytes[0] !== ACK || bytes[4] !== ACK) throw protocolError('Get Version', bytes);
  return { version: bytes[1] as number, option1: bytes[2] as number, option2: bytes[3] as number };
}

/** Decodes `79 N pid… 79` (Get ID): the product ID, big-endian (N = 1 → two bytes). */
export function decodeGetIdReply(bytes: Uint8Array): number {
  if (bytes.length < 4 || bytes[0] !== ACK) throw protocolError('Get ID', bytes);
  const n = bytes[1] as number;
  if (n < 1 || n > 3 || bytes.length !== n + 4 || bytes[bytes.length - 1] !== ACK) throw protocolError('Get ID', bytes);
  let pid = 0;
  for (const b of bytes.subarray(2, bytes.length - 1)) pid = pid * 256 + b;
  return pid;
}
