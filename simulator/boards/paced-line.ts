/**
 * The board end of a serial line: opens the board side of a pty with `serialport`, hands received
 * bytes to the board and sends its answers, both paced to the configured baud rate (bits per
 * character: 10 for 8N1, 11 for 8E1) so transfers take as long as on a real UART. Fault hooks
 * (dropped bytes, flipped bits, a board that goes silent, a reset at a given byte) serve the
 * line-fault tests.
 */
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';

export interface LineFaults {
  /** Drop every Nth byte received from the host (1-based count). */
  dropEvery?: number;
  /** Drop the received bytes with these 0-based indices. */
  dropAt?: readonly number[];
  /** Flip bit 0 of the received bytes with these 0-based indices. */
  flipBitAt?: number | readonly number[];
  /** Flip bit 0 of the sent bytes with these 0-based indices. */
  txFlipBitAt?: readonly number[];
  /** Flip bit 0 of every Nth sent byte (1-based count): a line too noisy for any answer to survive. */
  txFlipEvery?: number;
  /** After this many received bytes the board neither reads nor answers (it hung). */
  stopAnsweringAfter?: number;
  /** When the received-byte count reaches this index the board resets ('reset' event, input dropped). */
  resetAt?: number;
}

export interface PacedLineOptions {
  baudRate: number;
  /** 10 for 8N1 (start + 8 data + stop), 11 for 8E1. Default 10. */
  bitsPerChar?: number;
  /** Also deliver received bytes at line rate (default true): the board "sees" them as a UART would. */
  paceReads?: boolean;
  faults?: LineFaults;
}

interface Clock {
  /** ms (performance.now timeline) when the line direction is next free. */
  free: number;
}

const CHUNK_MS = 4;

export class PacedLine extends EventEmitter<{ data: [Uint8Array]; reset: []; silent: [] }> {
  baudRate: number;
  bitsPerChar: number;
  faults: LineFaults;
  readonly stats = { rxBytes: 0, txBytes: 0, droppedRx: 0, flippedRx: 0 };
  private readonly paceReads: boolean;
  private readonly rxClock: Clock = { free: 0 };
  private readonly txClock: Clock = { free: 0 };
  private rxQueue: Uint8Array[] = [];
  private rxPumping = false;
  private txChain: Promise<void> = Promise.resolve();
  private txPending = 0;
  private silent = false;
  private closed = false;

  private constructor(
    private readonly port: SerialPort,
    opts: PacedLineOptions,
  ) {
    super();
    this.baudRate = opts.baudRate;
    this.bitsPerChar = opts.bitsPerChar ?? 10;
    this.paceReads = opts.paceReads ?? true;
    this.faults = opts.faults ?? {};
    port.on('data', (chunk: Buffer) => this.received(new Uint8Array(chunk)));
    port.on('error', () => undefined);
  }

  static async open(path: string, opts: PacedLineOptions): Promise<PacedLine> {
    const port = new SerialPort({ path, baudRate: opts.baudRate, autoOpen: false, lock: false, hupcl: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new PacedLine(port, opts);
  }

  /** Seconds per byte at the current line settings. */
  get byteTimeMs(): number {
    return (1000 * this.bitsPerChar) / this.baudRate;
  }

  /** True once `stopAnsweringAfter` has been reached. */
  get isSilent(): boolean {
    return this.silent;
  }

  /** Back to normal after a fault (e.g. the board was power-cycled in a test). */
  clearFaults(): void {
    this.faults = {};
    this.silent = false;
  }

  /** Sends bytes at line rate; resolves once the last byte is "on the wire". Silent boards send nothing. */
  write(bytes: Uint8Array): Promise<void> {
    const copy = bytes.slice();
    // A write queued behind another continues its schedule; one after an idle line starts now.
    const continuing = this.txPending > 0;
    this.txPending++;
    this.txChain = this.txChain.then(() => this.transmit(copy, continuing)).finally(() => void this.txPending--);
    return this.txChain;
  }

  /** Changes the line rate (ESP CHANGE_BAUDRATE); both ends must follow. */
  setBaudRate(baudRate: number): Promise<void> {
    this.baudRate = baudRate;
    return new Promise((resolve) => this.port.update({ baudRate }, () => resolve()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rxQueue = [];
    await this.txChain.catch(() => undefined);
    if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }

  private async transmit(bytes: Uint8Array, continuing: boolean): Promise<void> {
    if (!continuing) this.restart(this.txClock);
    const per = Math.max(1, Math.floor(CHUNK_MS / this.byteTimeMs));
    for (let i = 0; i < bytes.length; i += per) {
      if (this.silent || this.closed) return;
      const chunk = bytes.slice(i, i + per);
      for (let k = 0; k < chunk.length; k++) {
        const index = this.stats.txBytes + k;
        const every = this.faults.txFlipEvery;
        if (this.faults.txFlipBitAt?.includes(index) || (every !== undefined && (index + 1) % every === 0)) chunk[k] = (chunk[k] as number) ^ 0x01;
      }
      await this.pace(this.txClock, chunk.length);
      if (this.silent || this.closed) return;
      this.stats.txBytes += chunk.length;
      await new Promise<void>((resolve) => this.port.write(Buffer.from(chunk), () => resolve()));
    }
  }

  private received(raw: Uint8Array): void {
    if (this.closed || this.silent) return;
    const kept: number[] = [];
    const f = this.faults;
    const flips = f.flipBitAt === undefined ? [] : typeof f.flipBitAt === 'number' ? [f.flipBitAt] : f.flipBitAt;
    for (const b of raw) {
      const index = this.stats.rxBytes++;
      if (f.stopAnsweringAfter !== undefined && index >= f.stopAnsweringAfter) {
        this.goSilent();
        break;
      }
      if (f.resetAt !== undefined && index === f.resetAt) {
        // Everything received before the reset and not yet processed is lost with the RAM.
        this.rxQueue = [];
        kept.length = 0;
        this.faults = { ...f, resetAt: undefined };
        this.emit('reset');
        continue;
      }
      if ((f.dropEvery !== undefined && (index + 1) % f.dropEvery === 0) || f.dropAt?.includes(index)) {
        this.stats.droppedRx++;
        continue;
      }
      if (flips.includes(index)) {
        this.stats.flippedRx++;
        kept.push(b ^ 0x01);
        continue;
      }
      kept.push(b);
    }
    if (kept.length === 0) return;
    const bytes = Uint8Array.from(kept);
    if (!this.paceReads) {
      this.emit('data', bytes);
      return;
    }
    this.rxQueue.push(bytes);
    if (!this.rxPumping) void this.pumpRx();
  }

  private async pumpRx(): Promise<void> {
    this.rxPumping = true;
    this.restart(this.rxClock);
    try {
      while (this.rxQueue.length > 0 && !this.closed) {
        const next = this.rxQueue.shift() as Uint8Array;
        const per = Math.max(1, Math.floor(CHUNK_MS / this.byteTimeMs));
        for (let i = 0; i < next.length; i += per) {
          const chunk = next.subarray(i, i + per);
          await this.pace(this.rxClock, chunk.length);
          if (this.closed) return;
          this.emit('data', chunk);
        }
      }
    } finally {
      this.rxPumping = false;
    }
  }

  /** A direction that was idle starts its schedule now (never earlier than the last byte sent). */
  private restart(clock: Clock): void {
    clock.free = Math.max(clock.free, performance.now());
  }

  /**
   * Waits until `n` more bytes would have crossed the line. The schedule is a virtual clock that
   * keeps running while the direction is busy, so late timers do not add up into a slower line; it
   * restarts only after the direction went idle (restart()).
   */
  private async pace(clock: Clock, n: number): Promise<void> {
    clock.free += n * this.byteTimeMs;
    const wait = clock.free - performance.now();
    if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  private goSilent(): void {
    if (this.silent) return;
    // Bytes received before the hang are still processed; nothing after it, and nothing is sent.
    this.silent = true;
    this.emit('silent');
  }
}
