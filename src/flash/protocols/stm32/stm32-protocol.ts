/**
 * Host side of the STM32 system boot loader's USART protocol (ST AN3155): sync, Get Version, Get,
 * Get ID, (Extended) Erase of the pages the image covers, Write Memory in 256-byte blocks, Read Memory
 * read-back, Go. The request sequence follows stm32flash's (see docs/serial.md for the differences).
 *
 * Faults: a NACK or a timeout inside a block is retried after a resync; since a page may already hold
 * part of the block, the retry erases that page again and rewrites it from its start. The number of
 * retries is bounded; past it the caller gets a FlashError naming what to check.
 */
import { FlashError } from '../../flash-error.js';
import type { BoardInfo, ConnectOptions, FlashProtocol, FlashTarget } from '../../protocol.types.js';
import type { ByteLink } from '../byte-link.js';
import {
  ACK,
  CMD,
  MAX_BLOCK,
  NACK,
  SYNC,
  addressFrame,
  commandFrame,
  decodeGetIdReply,
  decodeGetReply,
  decodeGetVersionReply,
  eraseFrame,
  extendedEraseFrame,
  readLengthFrame,
  variableReplyLength,
  writeDataFrame,
} from './an3155-frames.js';
import { STM32_CHIPS, type Stm32Chip } from './stm32-chips.js';

export interface Stm32Options {
  /** Wait for one reply byte (ms). */
  timeoutMs?: number;
  /** Wait for an erase to finish (ms); real parts take up to tens of seconds for a mass erase. */
  eraseTimeoutMs?: number;
  /** Bounded retries for sync and for each failing block. */
  retries?: number;
  /** Refuse any other product ID (e.g. 0x410). */
  expectedChipId?: number;
  /** Flash layout for a product ID the host does not know (or to override it). */
  pageSize?: number;
  flashSize?: number;
  flashBase?: number;
}

const DEFAULTS = { timeoutMs: 1000, eraseTimeoutMs: 30_000, retries: 4 };

/** Even parity: 1 start + 8 data + 1 parity + 1 stop. */
const BITS_PER_CHAR = 11;

const hex = (n: number, w = 8) => `0x${n.toString(16).padStart(w, '0')}`;

export class Stm32Protocol implements FlashProtocol {
  readonly name = 'stm32' as const;
  /** AN3155 asks for 8E1; the transport opens the port with even parity. */
  readonly parity = 'even' as const;
  private link?: ByteLink;
  private readonly opts: Required<Pick<Stm32Options, 'timeoutMs' | 'eraseTimeoutMs' | 'retries'>> & Stm32Options;
  private commands: number[] = [];
  private layout?: { flashBase: number; flashSize: number; pageSize: number };
  private lastWrite?: { address: number; length: number };

  constructor(options: Stm32Options = {}) {
    this.opts = { ...DEFAULTS, ...options };
  }

  async connect(t: ByteLink, o?: ConnectOptions): Promise<BoardInfo> {
    this.link = t;
    if (o?.timeoutMs !== undefined) this.opts.timeoutMs = o.timeoutMs;
    if (o?.retries !== undefined) this.opts.retries = o.retries;
    if (o?.expectChip !== undefined) this.opts.expectedChipId = parseChipId(o.expectChip);
    await this.sync();
    const version = decodeGetVersionReply(await this.simpleCommand(CMD.GET_VERSION, 5));
    const get = decodeGetReply(await this.variableCommand(CMD.GET));
    this.commands = get.commands;
    const pid = decodeGetIdReply(await this.variableCommand(CMD.GET_ID));
    if (this.opts.expectedChipId !== undefined && pid !== this.opts.expectedChipId) {
      throw new FlashError('UnexpectedChip', `the board answered product ID ${hex(pid, 3)}, expected ${hex(this.opts.expectedChipId, 3)}; check that the right board is on this port or change the expected chip ID`);
    }
    const known: Stm32Chip | undefined = STM32_CHIPS.get(pid);
    const pageSize = this.opts.pageSize ?? known?.pageSize;
    const flashSize = this.opts.flashSize ?? known?.flashSize;
    if (pageSize === undefined || flashSize === undefined) {
      throw new FlashError('UnexpectedChip', `unknown STM32 product ID ${hex(pid, 3)}: give its flash page size and flash size as options (pageSize, flashSize)`);
    }
    this.layout = { flashBase: this.opts.flashBase ?? known?.flashBase ?? 0x0800_0000, flashSize, pageSize };
    return {
      chip: known?.name ?? `STM32 PID ${hex(pid, 3)}`,
      flashSize,
      details: {
        productId: pid,
        bootloaderVersion: `${version.version >> 4}.${version.version & 0xf}`,
        commands: get.commands.map((c) => hex(c, 2)),
        flashBase: this.layout.flashBase,
        pageSize,
        extendedErase: this.commands.includes(CMD.EXTENDED_ERASE),
      },
    };
  }

  theoreticalBytesPerSecond(baud: number): number {
    // Per 256-byte block the line carries, one after the other (stop-and-wait):
    // host 31 CE, ACK, 4 address bytes + XOR, ACK, N-1, 256 data bytes, XOR, ACK.
    const chars = 2 + 1 + 5 + 1 + 1 + MAX_BLOCK + 1 + 1;
    return (MAX_BLOCK * baud) / BITS_PER_CHAR / chars;
  }

  async write(image: Uint8Array, target: FlashTarget, progress: (done: number, total: number) => void): Promise<void> {
    const layout = this.requireLayout();
    const start = target.address ?? layout.flashBase;
    this.checkRange(start, image.length);
    if (image.length === 0) return;
    await this.erasePages(this.pagesCovering(start, start + image.length));
    let cursor = 0;
    let failures = 0;
    progress(0, image.length);
    while (cursor < image.length) {
      const block = image.subarray(cursor, Math.min(cursor + MAX_BLOCK, image.length));
      try {
        await this.writeBlock(start + cursor, padToWord(block));
        cursor += block.length;
        progress(cursor, image.length);
      } catch (error) {
        if (error instanceof FlashError && error.code === 'ReadoutProtected') throw error;
        if (++failures > this.opts.retries * 4) throw this.giveUp('writing', start + cursor, error);
        await this.resync(error);
        // The page may hold part of this block already (NOR bits only clear): erase it again and
        // rewrite from its start.
        const pageStart = this.pageStartOf(start + cursor);
        const from = Math.max(start, pageStart);
        await this.erasePages(this.pagesCovering(from, start + Math.min(cursor + MAX_BLOCK, image.length)));
        cursor = from - start;
        progress(cursor, image.length);
      }
    }
    this.lastWrite = { address: start, length: image.length };
  }

  async verify(image: Uint8Array, target: FlashTarget): Promise<void> {
    const layout = this.requireLayout();
    const start = target.address ?? layout.flashBase;
    this.checkRange(start, image.length);
    for (let off = 0; off < image.length; off += MAX_BLOCK) {
      const want = image.subarray(off, Math.min(off + MAX_BLOCK, image.length));
      // Read Memory has no checksum: a mismatch is read again before it counts.
      let attempt = 0;
      for (;;) {
        let got: Uint8Array | undefined;
        try {
          got = await this.readBlock(start + off, want.length);
        } catch (error) {
          if (error instanceof FlashError && error.code === 'ReadoutProtected') throw error;
          if (++attempt > this.opts.retries) throw this.giveUp('reading back', start + off, error);
          await this.resync(error);
          continue;
        }
        const diff = firstDifference(got, want);
        if (diff < 0) break;
        if (++attempt > 2) {
          throw new FlashError('VerifyMismatch', `read-back differs from the image at ${hex(start + off + diff)} (flash ${hex(got[diff] ?? 0, 2)}, image ${hex(want[diff] ?? 0, 2)}); flash again, and check the supply and the wiring if it repeats`);
        }
      }
    }
  }

  async boot(): Promise<void> {
    const layout = this.requireLayout();
    const address = this.lastWrite?.address ?? layout.flashBase;
    await this.command(CMD.GO);
    await this.sendExpectAck(addressFrame(address), 'Go address');
  }

  // -- conversation pieces -------------------------------------------------------------------------

  private requireLink(): ByteLink {
    if (!this.link) throw new Error('connect() first');
    return this.link;
  }

  private requireLayout(): { flashBase: number; flashSize: number; pageSize: number } {
    if (!this.layout) throw new Error('connect() first');
    return this.layout;
  }

  private checkRange(start: number, length: number): void {
    const { flashBase, flashSize } = this.requireLayout();
    if (start < flashBase || start % 4 !== 0) {
      throw new FlashError('Protocol', `address ${hex(start)} is not a word-aligned flash address (flash starts at ${hex(flashBase)}); change --address`);
    }
    if (start - flashBase + length > flashSize) {
      throw new FlashError('ImageTooLarge', `the image (${length} bytes at ${hex(start)}) does not fit the ${flashSize / 1024} KiB flash ending at ${hex(flashBase + flashSize)}; use a smaller image or a lower --address`);
    }
  }

  private pageStartOf(address: number): number {
    const { flashBase, pageSize } = this.requireLayout();
    return flashBase + Math.floor((address - flashBase) / pageSize) * pageSize;
  }

  private pagesCovering(from: number, to: number): number[] {
    const { flashBase, pageSize } = this.requireLayout();
    const first = Math.floor((from - flashBase) / pageSize);
    const last = Math.floor((to - 1 - flashBase) / pageSize);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }

  private async readByte(timeoutMs = this.opts.timeoutMs): Promise<number> {
    return (await this.requireLink().read(1, timeoutMs))[0] as number;
  }

  /** Sends bytes and expects one ACK. */
  private async sendExpectAck(bytes: Uint8Array, what: string, timeoutMs = this.opts.timeoutMs): Promise<void> {
    await this.requireLink().write(bytes);
    const b = await this.readByte(timeoutMs);
    if (b === ACK) return;
    if (b === NACK) throw new FlashError('Nack', `the STM32 boot loader refused the ${what} (NACK)`);
    throw new FlashError('Protocol', `the STM32 boot loader answered ${hex(b, 2)} to the ${what}, expected ACK`);
  }

  /** Sends `cmd ~cmd` and expects ACK; a NACK of a memory command means readout protection. */
  private async command(cmd: number): Promise<void> {
    try {
      await this.sendExpectAck(commandFrame(cmd), `command ${hex(cmd, 2)}`);
    } catch (error) {
      const memoryCommand = [CMD.READ_MEMORY, CMD.WRITE_MEMORY, CMD.ERASE, CMD.EXTENDED_ERASE, CMD.GO].includes(cmd as never);
      if (error instanceof FlashError && error.code === 'Nack' && memoryCommand && this.commands.includes(cmd)) {
        throw new FlashError('ReadoutProtected', `the STM32 boot loader refused command ${hex(cmd, 2)}, which it lists as supported: readout protection (RDP) is active. Removing it (Readout Unprotect, e.g. stm32flash -k) mass-erases the flash`);
      }
      throw error;
    }
  }

  /** A command whose reply has a fixed length (including the leading ACK). */
  private async simpleCommand(cmd: number, length: number): Promise<Uint8Array> {
    const link = this.requireLink();
    await link.write(commandFrame(cmd));
    const reply = await link.read(length, this.opts.timeoutMs);
    if (reply[0] === NACK) throw new FlashError('Nack', `the STM32 boot loader refused command ${hex(cmd, 2)} (NACK)`);
    return reply;
  }

  /** A command whose reply is `ACK N <N+1 bytes> ACK`. */
  private async variableCommand(cmd: number): Promise<Uint8Array> {
    const link = this.requireLink();
    await link.write(commandFrame(cmd));
    return link.readUntil((buf) => {
      if (buf.length >= 1 && buf[0] === NACK) return 1;
      const n = variableReplyLength(buf);
      return n >= 0 && buf.length >= n ? n : -1;
    }, this.opts.timeoutMs);
  }

  private async sync(): Promise<void> {
    const link = this.requireLink();
    let last: unknown;
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      link.discardInput();
      await link.write(Uint8Array.of(SYNC));
      try {
        const b = await this.readByte();
        // NACK: the boot loader was already synced (a second 0x7F is an unknown command to it).
        if (b === ACK || b === NACK) return;
        last = new FlashError('Protocol', `the board answered ${hex(b, 2)} to the sync byte 0x7f`);
      } catch (error) {
        last = error;
      }
    }
    if (last instanceof FlashError && last.code === 'Timeout') {
      throw new FlashError('Timeout', `no answer from an STM32 boot loader after ${this.opts.retries + 1} sync attempts: set BOOT0 high and reset the board, check TX/RX are crossed, and that the line is 8E1 at the chosen --baud`);
    }
    throw last instanceof FlashError ? last : new FlashError('Protocol', String(last));
  }

  /**
   * Gets back to "waiting for a command" from any state. A burst of 0x7F longer than any frame
   * completes whatever frame the board was in (it NACKs it), or syncs it after a reset (ACK), and
   * leaves it at most one byte into a command pair; single 0x7F probes then get a reply, and Get ID
   * must answer before the conversation goes on.
   */
  private async resync(cause: unknown): Promise<void> {
    const link = this.requireLink();
    const quiet = Math.min(this.opts.timeoutMs, 200);
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      await link.write(new Uint8Array(MAX_BLOCK + 4).fill(SYNC));
      let answered = await this.drain(quiet);
      for (let probe = 0; probe < 3; probe++) {
        link.discardInput();
        await link.write(Uint8Array.of(SYNC));
        try {
          await this.readByte(quiet);
          answered = true;
          break;
        } catch {
          // idle with no pending byte: the next probe completes the pair
        }
      }
      if (!answered) continue;
      try {
        link.discardInput();
        decodeGetIdReply(await this.variableCommand(CMD.GET_ID));
        return;
      } catch {
        // not in sync yet
      }
    }
    throw this.giveUp('resynchronising', undefined, cause);
  }

  /** Reads and drops whatever arrives until the line is quiet; true if anything came. */
  private async drain(quietMs: number): Promise<boolean> {
    let got = 0;
    for (; got < 4096; got++) {
      try {
        await this.readByte(quietMs);
      } catch {
        break;
      }
    }
    return got > 0;
  }

  private giveUp(what: string, address: number | undefined, cause: unknown): FlashError {
    const at = address === undefined ? '' : ` at ${hex(address)}`;
    const why = cause instanceof Error ? cause.message : String(cause);
    const code = cause instanceof FlashError ? cause.code : 'Protocol';
    return new FlashError(code === 'Nack' || code === 'Timeout' || code === 'Checksum' ? code : 'Protocol', `gave up ${what}${at} after ${this.opts.retries} retries (${why}); check the cable, lower --baud, and that nothing else uses the port`);
  }

  private async erasePages(pages: number[]): Promise<void> {
    const extended = this.commands.includes(CMD.EXTENDED_ERASE);
    if (!extended && !this.commands.includes(CMD.ERASE)) {
      throw new FlashError('Protocol', 'the STM32 boot loader lists neither Erase (0x43) nor Extended Erase (0x44)');
    }
    const max = extended ? 0xfff0 : 255;
    for (let i = 0; i < pages.length; i += max) {
      const chunk = pages.slice(i, i + max);
      await this.command(extended ? CMD.EXTENDED_ERASE : CMD.ERASE);
      await this.sendExpectAck(extended ? extendedEraseFrame(chunk) : eraseFrame(chunk), 'erase page list', this.opts.eraseTimeoutMs);
    }
  }

  private async writeBlock(address: number, data: Uint8Array): Promise<void> {
    await this.command(CMD.WRITE_MEMORY);
    await this.sendExpectAck(addressFrame(address), 'Write Memory address');
    await this.sendExpectAck(writeDataFrame(data), `Write Memory block at ${hex(address)}`);
  }

  private async readBlock(address: number, length: number): Promise<Uint8Array> {
    await this.command(CMD.READ_MEMORY);
    await this.sendExpectAck(addressFrame(address), 'Read Memory address');
    await this.sendExpectAck(readLengthFrame(length), 'Read Memory length');
    return this.requireLink().read(length, this.opts.timeoutMs);
  }
}

/** `--chip 0x410` (or `410`) → 0x410. */
function parseChipId(text: string): number {
  const m = /^(?:0x)?([0-9a-f]{1,4})$/i.exec(text.trim());
  if (!m) throw new FlashError('UnexpectedChip', `expected chip "${text}" is not an STM32 product ID; give it in hex, e.g. 0x410`);
  return parseInt(m[1] as string, 16);
}

/** AN3155 wants whole words: a short last block is padded with erased bytes (0xFF). */
function padToWord(block: Uint8Array): Uint8Array {
  if (block.length % 4 === 0) return block;
  const out = new Uint8Array(block.length + 4 - (block.length % 4)).fill(0xff);
  out.set(block);
  return out;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}
