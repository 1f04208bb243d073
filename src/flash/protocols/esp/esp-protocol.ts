/**
 * Host side of the Espressif ROM serial loader (esptool's "--no-stub" conversation): SYNC, READ_REG
 * of the chip-detect magic register, SPI_ATTACH, SPI_SET_PARAMS, optional CHANGE_BAUDRATE,
 * FLASH_BEGIN / FLASH_DATA (0x400-byte blocks, 0xEF-XOR checksum) / FLASH_END, SPI_FLASH_MD5.
 * Request bytes match esptool's for the same image and offset (docs/serial.md lists the differences).
 *
 * Faults: a block that fails (timeout, error status, garbled reply) is sent again, as esptool does;
 * after that the whole write restarts from SYNC and FLASH_BEGIN (which erases the region again).
 */
import { createHash } from 'node:crypto';
import { FlashError } from '../../flash-error.js';
import type { BoardInfo, ConnectOptions, FlashProtocol, FlashTarget } from '../../protocol.types.js';
import type { ByteLink } from '../byte-link.js';
import {
  CHIP_DETECT_MAGIC_REG,
  CHIP_MAGIC,
  OP,
  ROM_ERRORS,
  changeBaudData,
  decodeResponse,
  encodeRequest,
  espChecksum,
  flashBeginData,
  flashDataData,
  flashEndData,
  md5Data,
  readRegData,
  spiAttachData,
  spiSetParamsData,
  syncData,
  type EspResponse,
} from './esp-packets.js';
import { slipDecodeFirst, slipEncode } from './slip.js';

export interface EspOptions {
  /** Reply timeout for ordinary commands (ms). */
  timeoutMs?: number;
  /** Reply timeout for FLASH_BEGIN (erase) and SPI_FLASH_MD5 (ms). */
  longTimeoutMs?: number;
  /** Bounded retries: sync attempts, per-block resends and whole-write restarts. */
  retries?: number;
  /** Line rate to switch to after sync with CHANGE_BAUDRATE (as esptool's --baud does); none = stay. */
  flashBaud?: number;
  /** The rate the ROM answers at (the transport is opened at it). */
  romBaud?: number;
  /** Flash size sent with SPI_SET_PARAMS and used for the size check. */
  flashSize?: number;
  /** Refuse any other chip (e.g. 'ESP32'). */
  expectedChip?: string;
}

const DEFAULTS = { timeoutMs: 1000, longTimeoutMs: 30_000, retries: 3, romBaud: 115200, flashSize: 4 * 1024 * 1024 };

/** The ROM loader's FLASH_DATA block size (esptool ESP_ROM FLASH_WRITE_SIZE). */
export const ROM_BLOCK = 0x400;
/** The ESP-IDF default application offset, used when no --address is given. */
export const DEFAULT_APP_OFFSET = 0x1_0000;

const hex = (n: number, w = 8) => `0x${n.toString(16).padStart(w, '0')}`;

export class EspProtocol implements FlashProtocol {
  readonly name = 'esp' as const;
  readonly parity = 'none' as const;
  private link?: ByteLink;
  private readonly opts: typeof DEFAULTS & EspOptions;
  private statusBytes: 2 | 4 = 4;
  private chip = 'ESP32';
  private wrote = false;

  constructor(options: EspOptions = {}) {
    this.opts = { ...DEFAULTS, ...options };
  }

  theoreticalBytesPerSecond(baud: number): number {
    // Per 0x400-byte block: the SLIP-framed request (8-byte header + 16-byte FLASH_DATA header + data,
    // 2 of 256 byte values escaped to two bytes on average, two C0 delimiters), then the response
    // (8-byte header + 4 status bytes + delimiters), at 10 bits per character (8N1).
    const request = (8 + 16 + ROM_BLOCK) * (1 + 2 / 256) + 2;
    const response = 8 + 4 + 2;
    return (ROM_BLOCK * baud) / 10 / (request + response);
  }

  async connect(t: ByteLink, o?: ConnectOptions): Promise<BoardInfo> {
    this.link = t;
    if (o?.baudRate !== undefined) this.opts.romBaud = o.baudRate;
    if (o?.timeoutMs !== undefined) this.opts.timeoutMs = o.timeoutMs;
    if (o?.retries !== undefined) this.opts.retries = o.retries;
    if (o?.expectChip !== undefined) this.opts.expectedChip = o.expectChip.toUpperCase();
    if (o?.fastBaudRate !== undefined) this.opts.flashBaud = o.fastBaudRate;
    await this.sync();
    const magic = (await this.withResends(() => this.command(OP.READ_REG, readRegData(CHIP_DETECT_MAGIC_REG)))).value >>> 0;
    const known = CHIP_MAGIC.get(magic);
    if (!known) {
      throw new FlashError('UnexpectedChip', `unknown chip-detect magic ${hex(magic)} at ${hex(CHIP_DETECT_MAGIC_REG)}: not an Espressif ROM loader this tool supports (ESP32, ESP32-S2, ESP32-C3, ESP8266)`);
    }
    if (this.opts.expectedChip !== undefined && known.chip !== this.opts.expectedChip) {
      throw new FlashError('UnexpectedChip', `the board is an ${known.chip}, expected ${this.opts.expectedChip}; check the port or the expected chip`);
    }
    this.chip = known.chip;
    this.statusBytes = known.statusBytes;
    await this.withResends(() => this.command(OP.SPI_ATTACH, spiAttachData()));
    await this.withResends(() => this.command(OP.SPI_SET_PARAMS, spiSetParamsData(this.opts.flashSize)));
    let baud = this.opts.romBaud;
    if (this.opts.flashBaud !== undefined && this.opts.flashBaud !== this.opts.romBaud) {
      await this.changeBaud(this.opts.flashBaud);
      baud = this.opts.flashBaud;
    }
    return { chip: this.chip, flashSize: this.opts.flashSize, details: { magic: hex(magic), baud, blockSize: ROM_BLOCK } };
  }

  async write(image: Uint8Array, target: FlashTarget, progress: (done: number, total: number) => void): Promise<void> {
    const offset = target.address ?? DEFAULT_APP_OFFSET;
    const data = padTo4(image);
    this.checkRange(offset, data.length);
    const blocks = Math.ceil(data.length / ROM_BLOCK);
    let restarts = 0;
    for (;;) {
      try {
        progress(0, image.length);
        await this.command(OP.FLASH_BEGIN, flashBeginData(data.length, blocks, ROM_BLOCK, offset, this.chip !== 'ESP32' && this.chip !== 'ESP8266'), this.opts.longTimeoutMs);
        for (let seq = 0; seq < blocks; seq++) {
          const block = new Uint8Array(ROM_BLOCK).fill(0xff);
          block.set(data.subarray(seq * ROM_BLOCK, (seq + 1) * ROM_BLOCK));
          await this.withResends(() => this.command(OP.FLASH_DATA, flashDataData(seq, block), this.opts.timeoutMs, espChecksum(block)));
          progress(Math.min((seq + 1) * ROM_BLOCK, image.length), image.length);
        }
        this.wrote = true;
        return;
      } catch (error) {
        if (!(error instanceof FlashError) || !['Timeout', 'Checksum', 'Protocol', 'Nack'].includes(error.code)) throw error;
        if (++restarts > this.opts.retries) throw this.giveUp(`writing ${image.length} bytes at ${hex(offset)}`, error);
        // The board may have reset: start over from sync; FLASH_BEGIN erases the region again.
        await this.sync();
        await this.withResends(() => this.command(OP.SPI_ATTACH, spiAttachData()));
        await this.withResends(() => this.command(OP.SPI_SET_PARAMS, spiSetParamsData(this.opts.flashSize)));
      }
    }
  }

  async verify(image: Uint8Array, target: FlashTarget): Promise<void> {
    const offset = target.address ?? DEFAULT_APP_OFFSET;
    const data = padTo4(image);
    this.checkRange(offset, data.length);
    const expected = createHash('md5').update(data).digest('hex');
    // The answer carries no checksum: a mismatch is asked again before it counts.
    let got = '';
    for (let attempt = 0; attempt < 3 && got !== expected; attempt++) {
      const reply = await this.withResends(() => this.command(OP.SPI_FLASH_MD5, md5Data(offset, data.length), this.opts.longTimeoutMs));
      // The ROM answers 32 ASCII hex digits (a stub answers 16 raw bytes).
      got = reply.data.length === 16 ? Buffer.from(reply.data).toString('hex') : new TextDecoder().decode(reply.data).toLowerCase();
    }
    if (got !== expected) {
      throw new FlashError('VerifyMismatch', `flash MD5 at ${hex(offset)} (+${data.length} bytes) is ${got || '(empty)'}, the image's is ${expected}; flash again, and lower --baud if it repeats`);
    }
  }

  async boot(): Promise<void> {
    // FLASH_END needs a flash session; esptool starts an empty one (FLASH_BEGIN 0, 0) when it has none.
    if (!this.wrote) await this.withResends(() => this.command(OP.FLASH_BEGIN, flashBeginData(0, 0, ROM_BLOCK, 0, this.chip !== 'ESP32' && this.chip !== 'ESP8266')));
    await this.withResends(() => this.command(OP.FLASH_END, flashEndData(false)));
  }

  // -- conversation pieces -------------------------------------------------------------------------

  private requireLink(): ByteLink {
    if (!this.link) throw new Error('connect() first');
    return this.link;
  }

  private checkRange(offset: number, length: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset % 0x1000 !== 0) {
      throw new FlashError('Protocol', `address ${hex(offset)} is not on a 4 KiB flash sector boundary; change --address`);
    }
    if (offset + length > this.opts.flashSize) {
      throw new FlashError('ImageTooLarge', `the image (${length} bytes at ${hex(offset)}) does not fit the ${this.opts.flashSize / 1024 / 1024} MiB flash; use a smaller image, a lower --address or a larger flash size`);
    }
  }

  private async readPacket(timeoutMs: number): Promise<Uint8Array> {
    const raw = await this.requireLink().readUntil((buf) => {
      try {
        const first = slipDecodeFirst(buf);
        return first ? first.consumed : -1;
      } catch {
        // a garbled frame: consume through its closing C0, the caller sees a bad packet
        const end = buf.indexOf(0xc0, buf.indexOf(0xc0) + 1);
        return end < 0 ? -1 : end + 1;
      }
    }, timeoutMs);
    const first = slipDecodeFirst(raw);
    if (!first) throw new FlashError('Protocol', 'garbled SLIP frame from the board');
    return first.packet;
  }

  /** Sends one request and returns its response; a non-zero status is a typed error. */
  private async command(op: number, data: Uint8Array, timeoutMs = this.opts.timeoutMs, checksum = 0): Promise<EspResponse> {
    const link = this.requireLink();
    link.discardInput();
    await link.write(slipEncode(encodeRequest(op, data, checksum)));
    for (;;) {
      const response = decodeResponse(await this.readPacket(timeoutMs), this.statusBytes);
      if (response.op !== op) continue; // a late reply to an earlier request (e.g. SYNC's extra replies)
      if (response.status !== 0) {
        const why = ROM_ERRORS[response.error] ?? `error 0x${response.error.toString(16)}`;
        const code = response.error === 0x07 ? 'Checksum' : 'Nack';
        throw new FlashError(code, `the ESP ROM loader refused command ${hex(op, 2)}: ${why}`);
      }
      return response;
    }
  }

  private async withResends<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!(error instanceof FlashError) || attempt >= this.opts.retries) throw error;
      }
    }
  }

  private async sync(): Promise<void> {
    const link = this.requireLink();
    let last: unknown;
    for (let attempt = 0; attempt <= this.opts.retries * 2; attempt++) {
      try {
        await this.command(OP.SYNC, syncData(), this.opts.timeoutMs);
        // The ROM answers SYNC eight times; let the other seven arrive and drop them.
        for (let i = 0; i < 7; i++) {
          try {
            await this.readPacket(100);
          } catch {
            break;
          }
        }
        link.discardInput();
        return;
      } catch (error) {
        last = error;
      }
    }
    if (last instanceof FlashError && last.code === 'Timeout') {
      throw new FlashError('Timeout', `no answer from an ESP ROM loader after ${this.opts.retries * 2 + 1} sync attempts: hold GPIO0 low while pulsing EN (or use an auto-reset adapter), check TX/RX are crossed and --baud (the ROM starts at ${this.opts.romBaud})`);
    }
    throw last instanceof FlashError ? last : new FlashError('Protocol', String(last));
  }

  private async changeBaud(baud: number): Promise<void> {
    const link = this.requireLink();
    await this.command(OP.CHANGE_BAUDRATE, changeBaudData(baud, 0));
    await link.setBaudRate(baud);
    link.discardInput();
    // As esptool: make sure the board still answers at the new rate.
    try {
      await this.withResends(() => this.command(OP.READ_REG, readRegData(CHIP_DETECT_MAGIC_REG)));
    } catch (error) {
      throw new FlashError('Timeout', `the board stopped answering after CHANGE_BAUDRATE to ${baud}; use a lower flash baud rate (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  private giveUp(what: string, cause: FlashError): FlashError {
    return new FlashError(cause.code, `gave up ${what} after ${this.opts.retries} restarts (${cause.message}); check the cable, lower --baud, and that nothing else uses the port`);
  }
}

/** esptool pads images to a multiple of 4 bytes (with 0xFF) before sizing and hashing them. */
function padTo4(image: Uint8Array): Uint8Array {
  if (image.length % 4 === 0) return image;
  const out = new Uint8Array(image.length + 4 - (image.length % 4)).fill(0xff);
  out.set(image);
  return out;
}
