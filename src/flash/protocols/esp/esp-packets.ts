/**
 * Espressif ROM loader packets (esptool docs "Serial Protocol"): requests
 * `00 op size(LE16) checksum(LE32) data`, responses `01 op size(LE16) value(LE32) data status…`.
 * Encoders of the request bodies esptool sends, and the response decoder.
 */
import { FlashError } from '../../flash-error.js';

export const OP = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  MEM_BEGIN: 0x05,
  MEM_END: 0x06,
  MEM_DATA: 0x07,
  SYNC: 0x08,
  WRITE_REG: 0x09,
  READ_REG: 0x0a,
  SPI_SET_PARAMS: 0x0b,
  SPI_ATTACH: 0x0d,
  CHANGE_BAUDRATE: 0x0f,
  SPI_FLASH_MD5: 0x13,
  GET_SECURITY_INFO: 0x14,
} as const;

/** The register esptool reads to tell the chips apart, and the values it finds there. */
export const CHIP_DETECT_MAGIC_REG = 0x4000_1000;
export const CHIP_MAGIC: ReadonlyMap<number, { chip: string; statusBytes: 2 | 4 }> = new Map([
  [0x00f0_1d83, { chip: 'ESP32', statusBytes: 4 }],
  [0x0000_07c6, { chip: 'ESP32-S2', statusBytes: 4 }],
  [0xfff0_c101, { chip: 'ESP8266', statusBytes: 2 }],
  [0x6921_506f, { chip: 'ESP32-C3', statusBytes: 4 }],
  [0x1b31_506f, { chip: 'ESP32-C3', statusBytes: 4 }],
]);

/** FLASH_DATA / MEM_DATA checksum: 0xEF XOR every data byte. */
export const CHECKSUM_SEED = 0xef;
export function espChecksum(data: Uint8Array): number {
  let x = CHECKSUM_SEED;
  for (const b of data) x ^= b;
  return x;
}

/** ROM status error codes (esptool docs). */
export const ROM_ERRORS: Readonly<Record<number, string>> = {
  0x05: 'received message is invalid (unsupported command or wrong length)',
  0x06: 'failed to act on received message',
  0x07: 'invalid CRC (checksum) in message',
  0x08: 'flash write error',
  0x09: 'flash read error',
  0x0a: 'flash read length error',
  0x0b: 'deflate error',
};

function u32le(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v >>> 0, true));
  return out;
}

/** One request packet (before SLIP). */
export function encodeRequest(op: number, data: Uint8Array, checksum = 0): Uint8Array {
  if (data.length > 0xffff) throw new RangeError('ESP request data exceeds 65535 bytes');
  const out = new Uint8Array(8 + data.length);
  const view = new DataView(out.buffer);
  out[0] = 0x00;
  out[1] = op;
  view.setUint16(2, data.length, true);
  view.setUint32(4, checksum >>> 0, true);
  out.set(data, 8);
  return out;
}

export const syncData = (): Uint8Array => Uint8Array.from([0x07, 0x07, 0x12, 0x20, ...new Array<number>(32).fill(0x55)]);
export const readRegData = (address: number): Uint8Array => u32le(address);
/** SPI_ATTACH: pin configuration 0 (default SPI pins) and, for the ROM, a second 0 word. */
export const spiAttachData = (): Uint8Array => u32le(0, 0);
/** SPI_SET_PARAMS as esptool sends it: id 0, total size, 64 KiB block, 4 KiB sector, 256 B page, status mask. */
export const spiSetParamsData = (flashSize: number): Uint8Array => u32le(0, flashSize, 0x1_0000, 0x1000, 0x100, 0xffff);
/** FLASH_BEGIN: erase size, number of blocks, block size, offset (+ `encrypted` word for later ROMs). */
export const flashBeginData = (eraseSize: number, blocks: number, blockSize: number, offset: number, encryptedWord: boolean): Uint8Array =>
  encryptedWord ? u32le(eraseSize, blocks, blockSize, offset, 0) : u32le(eraseSize, blocks, blockSize, offset);
/** FLASH_DATA: size, sequence number, two zero words, then the data. */
export function flashDataData(seq: number, block: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + block.length);
  out.set(u32le(block.length, seq, 0, 0));
  out.set(block, 16);
  return out;
}
/** FLASH_END: 0 = reboot, 1 = run user code. */
export const flashEndData = (runUserCode: boolean): Uint8Array => u32le(runUserCode ? 1 : 0);
export const md5Data = (address: number, size: number): Uint8Array => u32le(address, size, 0, 0);
/** CHANGE_BAUDRATE: new rate, old rate (0 when talking to the ROM). */
export const changeBaudData = (baud: number, oldBaud = 0): Uint8Array => u32le(baud, oldBaud);

export interface EspResponse {
  op: number;
  value: number;
  /** Response data without the status bytes. */
  data: Uint8Array;
  status: number;
  error: number;
}

/** Decodes one response packet (after SLIP). `statusBytes` is 4 for ESP32-family ROMs, 2 otherwise. */
export function decodeResponse(packet: Uint8Array, statusBytes: 2 | 4): EspResponse {
  const hexHead = Array.from(packet.subarray(0, 12), (b) => b.toString(16).padStart(2, '0')).join(' ');
  if (packet.length < 8 + statusBytes) throw new FlashError('Protocol', `ESP response too short (${packet.length} bytes: ${hexHead})`);
  if (packet[0] !== 0x01) throw new FlashError('Protocol', `ESP response direction byte is 0x${(packet[0] as number).toString(16)}, expected 0x01 (${hexHead})`);
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const size = view.getUint16(2, true);
  if (size !== packet.length - 8) throw new FlashError('Protocol', `ESP response says ${size} data bytes but carries ${packet.length - 8} (${hexHead})`);
  const body = packet.subarray(8);
  const st = body.subarray(body.length - statusBytes);
  return {
    op: packet[1] as number,
    value: view.getUint32(4, true),
    data: body.subarray(0, body.length - statusBytes),
    status: st[0] as number,
    error: st[1] as number,
  };
}
