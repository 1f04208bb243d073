/**
 * The ESP32 ROM serial loader's side of the conversation (esptool "Serial Protocol"), as a
 * byte-stream state machine: SLIP frames in (`receive`), SLIP frames out (`send`). Written from the
 * protocol documentation independently of the host side in src/, so the two check each other (and
 * esptool-js checks this one).
 *
 * Commands: SYNC (answered 8 times), READ_REG / WRITE_REG (chip-detect magic; SPI_CMD's USR bit
 * clears itself), SPI_ATTACH, SPI_SET_PARAMS, CHANGE_BAUDRATE, FLASH_BEGIN (erases the sectors),
 * FLASH_DATA (0xEF-XOR checksum, sequence number → offset), FLASH_END, SPI_FLASH_MD5 (32 ASCII hex
 * digits, as the ROM answers). Anything else, RAM download (the flasher stub) included, gets status
 * 1 / 0x05 "invalid message". ESP32 ROM responses end with 4 status bytes.
 */
import { createHash } from 'node:crypto';
import type { SimFlash } from '../sim-flash.js';

const END = 0xc0;
const ESC = 0xdb;

export const ESP32_MAGIC = 0x00f0_1d83;
const CHIP_DETECT_REG = 0x4000_1000;
const SPI_CMD_REG = 0x3ff4_2000;
const SPI_CMD_USR = 1 << 18;

export const ERR = { invalidMessage: 0x05, failed: 0x06, checksum: 0x07, flashWrite: 0x08, flashRead: 0x09 } as const;

export interface RomLoaderDeviceOptions {
  flash: SimFlash;
  /** Chip-detect magic (ESP32 by default). */
  magic?: number;
  /** FLASH_END: the ROM leaves download mode and runs the application (the board's boot check). */
  onRun?: (reboot: boolean) => void;
  /** CHANGE_BAUDRATE: called after the answer went out at the old rate. */
  onBaudRate?: (baud: number) => Promise<void> | void;
  log?: (line: string) => void;
}

interface FlashSession {
  offset: number;
  eraseEnd: number;
  blocks: number;
  blockSize: number;
}

const hex = (n: number, w = 8) => `0x${n.toString(16).padStart(w, '0')}`;

export function slipFrame(packet: Uint8Array): Uint8Array {
  const out: number[] = [END];
  for (const b of packet) {
    if (b === END) out.push(ESC, 0xdc);
    else if (b === ESC) out.push(ESC, 0xdd);
    else out.push(b);
  }
  out.push(END);
  return Uint8Array.from(out);
}

export class RomLoaderDevice {
  private frame: number[] | undefined;
  private escaped = false;
  private invalidFrame = false;
  private session: FlashSession | undefined;
  private readonly registers = new Map<number, number>();

  constructor(
    private readonly o: RomLoaderDeviceOptions,
    private readonly send: (bytes: Uint8Array) => Promise<void> | void,
  ) {}

  /** Power-on / EN pulse: partial frames and the flash session are lost. */
  reset(): void {
    this.frame = undefined;
    this.escaped = false;
    this.invalidFrame = false;
    this.session = undefined;
    this.registers.clear();
  }

  receive(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b === END) {
        const frame = this.frame;
        const invalid = this.invalidFrame;
        this.frame = [];
        this.escaped = false;
        this.invalidFrame = false;
        // C0 C0: an empty frame, the second C0 opens the next one.
        if (frame && frame.length > 0) {
          if (invalid) this.o.log?.('frame with an invalid SLIP escape dropped');
          else this.packet(Uint8Array.from(frame));
        }
        continue;
      }
      if (!this.frame) continue; // noise between frames
      if (this.escaped) {
        this.escaped = false;
        if (b === 0xdc) this.frame.push(END);
        else if (b === 0xdd) this.frame.push(ESC);
        else this.invalidFrame = true;
      } else if (b === ESC) this.escaped = true;
      else this.frame.push(b);
    }
  }

  private respond(op: number, value: number, data: Uint8Array, status = 0, error = 0): void {
    const body = new Uint8Array(data.length + 4);
    body.set(data);
    body[data.length] = status;
    body[data.length + 1] = error;
    const out = new Uint8Array(8 + body.length);
    const v = new DataView(out.buffer);
    out[0] = 0x01;
    out[1] = op;
    v.setUint16(2, body.length, true);
    v.setUint32(4, value >>> 0, true);
    out.set(body, 8);
    void this.send(slipFrame(out));
  }

  private fail(op: number, error: number, why: string): void {
    this.o.log?.(`${hex(op, 2)}: ${why} → error ${hex(error, 2)}`);
    this.respond(op, 0, new Uint8Array(0), 1, error);
  }

  private packet(p: Uint8Array): void {
    if (p.length < 8 || p[0] !== 0x00) {
      this.o.log?.(`malformed request (${p.length} bytes) dropped`);
      return;
    }
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const op = p[1] as number;
    const size = v.getUint16(2, true);
    const checksum = v.getUint32(4, true);
    const data = p.subarray(8);
    if (size !== data.length) {
      this.fail(op, ERR.invalidMessage, `size field ${size} but ${data.length} data bytes`);
      return;
    }
    const word = (i: number) => (data.length >= 4 * i + 4 ? v.getUint32(8 + 4 * i, true) : -1);
    switch (op) {
      case 0x08: {
        const good = data.length === 36 && data[0] === 0x07 && data[1] === 0x07 && data[2] === 0x12 && data[3] === 0x20 && data.subarray(4).every((b) => b === 0x55);
        if (!good) return this.fail(op, ERR.invalidMessage, 'bad SYNC pattern');
        this.o.log?.('SYNC');
        for (let i = 0; i < 8; i++) this.respond(op, 0x2012_0707, new Uint8Array(0));
        return;
      }
      case 0x0a: {
        if (data.length !== 4) return this.fail(op, ERR.invalidMessage, 'READ_REG takes one address');
        const address = word(0) >>> 0;
        const value = address === CHIP_DETECT_REG ? (this.o.magic ?? ESP32_MAGIC) : (this.registers.get(address) ?? 0);
        this.o.log?.(`READ_REG ${hex(address)} = ${hex(value)}`);
        this.respond(op, value, new Uint8Array(0));
        return;
      }
      case 0x09: {
        if (data.length % 16 !== 0 || data.length === 0) return this.fail(op, ERR.invalidMessage, 'WRITE_REG takes address, value, mask, delay');
        for (let i = 0; i < data.length / 16; i++) {
          const address = word(4 * i) >>> 0;
          const mask = word(4 * i + 2) >>> 0;
          let value = ((this.registers.get(address) ?? 0) & ~mask) | (word(4 * i + 1) & mask);
          if (address === SPI_CMD_REG) value &= ~SPI_CMD_USR; // the SPI command completes at once
          this.registers.set(address, value >>> 0);
        }
        this.respond(op, 0, new Uint8Array(0));
        return;
      }
      case 0x0d:
        if (data.length !== 8 && data.length !== 4) return this.fail(op, ERR.invalidMessage, 'SPI_ATTACH takes 8 bytes');
        this.o.log?.('SPI_ATTACH');
        this.respond(op, 0, new Uint8Array(0));
        return;
      case 0x0b:
        if (data.length !== 24) return this.fail(op, ERR.invalidMessage, 'SPI_SET_PARAMS takes 24 bytes');
        this.o.log?.(`SPI_SET_PARAMS size ${word(1)}`);
        this.respond(op, 0, new Uint8Array(0));
        return;
      case 0x0f: {
        if (data.length !== 8) return this.fail(op, ERR.invalidMessage, 'CHANGE_BAUDRATE takes 8 bytes');
        const baud = word(0);
        this.o.log?.(`CHANGE_BAUDRATE ${baud}`);
        this.respond(op, 0, new Uint8Array(0));
        void this.o.onBaudRate?.(baud);
        return;
      }
      case 0x02:
        return this.flashBegin(op, data, word);
      case 0x03:
        return this.flashData(op, data, checksum, word);
      case 0x04: {
        if (data.length !== 4) return this.fail(op, ERR.invalidMessage, 'FLASH_END takes one word');
        const reboot = word(0) === 0;
        this.o.log?.(`FLASH_END (${reboot ? 'reboot' : 'run user code'})`);
        this.session = undefined;
        this.respond(op, 0, new Uint8Array(0));
        this.o.onRun?.(reboot);
        return;
      }
      case 0x13: {
        if (data.length !== 16) return this.fail(op, ERR.invalidMessage, 'SPI_FLASH_MD5 takes 16 bytes');
        const address = word(0) >>> 0;
        const length = word(1) >>> 0;
        if (!this.o.flash.contains(address, length)) return this.fail(op, ERR.flashRead, `MD5 range ${hex(address)}+${length} outside flash`);
        const md5 = createHash('md5').update(this.o.flash.peek(address, length)).digest('hex');
        this.o.log?.(`SPI_FLASH_MD5 ${hex(address)}+${length} = ${md5}`);
        this.respond(op, 0, new TextEncoder().encode(md5));
        return;
      }
      default:
        this.fail(op, ERR.invalidMessage, 'unsupported command');
    }
  }

  private flashBegin(op: number, data: Uint8Array, word: (i: number) => number): void {
    // ESP32 ROM: 4 words; esptool-js and later chips add an `encrypted` word.
    if (data.length !== 16 && data.length !== 20) return this.fail(op, ERR.invalidMessage, 'FLASH_BEGIN takes 4 or 5 words');
    const [eraseSize, blocks, blockSize, offset] = [word(0) >>> 0, word(1) >>> 0, word(2) >>> 0, word(3) >>> 0];
    if (data.length === 20 && word(4) !== 0) return this.fail(op, ERR.failed, 'encrypted writes are not supported');
    const flash = this.o.flash;
    if (blockSize === 0 || blockSize > 0x4000 || offset % flash.sectorSize !== 0 || !flash.contains(offset, Math.max(eraseSize, blocks * blockSize > 0 ? 1 : 0))) {
      return this.fail(op, ERR.failed, `bad FLASH_BEGIN (offset ${hex(offset)}, ${eraseSize} bytes, ${blocks} × ${blockSize})`);
    }
    const eraseEnd = Math.min(flash.base + flash.size, offset + Math.ceil(eraseSize / flash.sectorSize) * flash.sectorSize);
    if (eraseSize > 0) flash.erase(offset, eraseEnd - offset);
    this.session = { offset, eraseEnd, blocks, blockSize };
    this.o.log?.(`FLASH_BEGIN ${hex(offset)}: erased ${eraseEnd - offset} bytes, ${blocks} block(s) of ${blockSize}`);
    this.respond(op, 0, new Uint8Array(0));
  }

  private flashData(op: number, data: Uint8Array, checksum: number, word: (i: number) => number): void {
    const s = this.session;
    if (!s) return this.fail(op, ERR.failed, 'FLASH_DATA without FLASH_BEGIN');
    if (data.length < 16) return this.fail(op, ERR.invalidMessage, 'FLASH_DATA header missing');
    const [length, seq] = [word(0) >>> 0, word(1) >>> 0];
    const block = data.subarray(16);
    if (block.length !== length) return this.fail(op, ERR.invalidMessage, `FLASH_DATA says ${length} bytes, carries ${block.length}`);
    let x = 0xef;
    for (const b of block) x ^= b;
    if (x !== checksum) return this.fail(op, ERR.checksum, `FLASH_DATA seq ${seq}: checksum ${hex(checksum, 2)}, computed ${hex(x, 2)}`);
    if (seq >= s.blocks || length > s.blockSize) return this.fail(op, ERR.failed, `FLASH_DATA seq ${seq} outside the ${s.blocks}-block session`);
    const address = s.offset + seq * s.blockSize;
    // Padding past the erased region is dropped (it is all 0xFF); anything else there is an error.
    const inRegion = Math.max(0, Math.min(block.length, s.eraseEnd - address));
    if (block.subarray(inRegion).some((b) => b !== 0xff)) return this.fail(op, ERR.flashWrite, `FLASH_DATA seq ${seq} writes past the erased region`);
    try {
      this.o.flash.write(address, block.subarray(0, inRegion));
    } catch (error) {
      return this.fail(op, ERR.flashWrite, `FLASH_DATA seq ${seq}: ${(error as Error).message}`);
    }
    this.o.log?.(`FLASH_DATA seq ${seq} → ${hex(address)}+${inRegion}`);
    this.respond(op, 0, new Uint8Array(0));
  }
}
