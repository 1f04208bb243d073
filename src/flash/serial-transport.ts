/**
 * The host end of a serial line over `serialport`: exact-length and predicate reads with timeouts,
 * drained writes, and open errors mapped to FlashError (NoSuchPort, PortBusy). Every protocol reads
 * and writes through this one class.
 */
import { SerialPort } from 'serialport';
import { FlashError } from './flash-error.js';

export interface SerialOpenOptions {
  baudRate: number;
  parity?: 'none' | 'even';
}

interface Waiter {
  /** Returns the bytes to resolve with, or undefined to keep waiting. */
  take: () => Uint8Array | undefined;
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
}

export class SerialTransport {
  private buffer = new Uint8Array(0);
  private waiter: Waiter | undefined;
  private closed = false;
  private failure: Error | undefined;

  private constructor(
    private readonly port: SerialPort,
    readonly path: string,
  ) {
    port.on('data', (chunk: Buffer) => {
      const next = new Uint8Array(this.buffer.length + chunk.length);
      next.set(this.buffer);
      next.set(chunk, this.buffer.length);
      this.buffer = next;
      this.wake();
    });
    port.on('close', () => {
      this.closed = true;
      this.fail(new FlashError('Timeout', `${path} closed while waiting for the board; check the cable and run again`));
    });
    port.on('error', (e: Error) => this.fail(new FlashError('Protocol', `${path}: ${e.message}`)));
  }

  /** Opens `path`; ENOENT → NoSuchPort, a lock held elsewhere or EBUSY → PortBusy. */
  static async open(path: string, opts: SerialOpenOptions): Promise<SerialTransport> {
    const port = new SerialPort({ path, baudRate: opts.baudRate, parity: opts.parity ?? 'none', dataBits: 8, stopBits: 1, autoOpen: false, lock: true, hupcl: false });
    await new Promise<void>((resolve, reject) => {
      port.open((error) => {
        if (!error) return resolve();
        reject(openError(path, error.message));
      });
    });
    return new SerialTransport(port, path);
  }

  /**
   * Resolves once the OS took the bytes. It does not wait for them to leave the UART (tcdrain): a
   * protocol waits for the board's answer anyway, and a drain per write cost ~2.5 ms on a pty, which
   * dominated stop-and-wait protocols (3 handshakes per STM32 block). `drain()` waits when needed.
   */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new FlashError('Protocol', `${this.path} is closed`);
    await new Promise<void>((resolve, reject) => {
      this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (e) => (e ? reject(new FlashError('Protocol', `${this.path}: write failed: ${e.message}`)) : resolve()));
    });
  }

  /** Waits until everything written has left the port (before a baud change or close). */
  async drain(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve, reject) => this.port.drain((e) => (e ? reject(new FlashError('Protocol', `${this.path}: write failed: ${e.message}`)) : resolve())));
  }

  /** Exactly `n` bytes, or FlashError Timeout after `timeoutMs` without them. */
  read(n: number, timeoutMs: number): Promise<Uint8Array> {
    return this.wait(() => (this.buffer.length >= n ? this.consume(n) : undefined), timeoutMs, `${n} byte(s)`);
  }

  /**
   * Waits until `pred(buffered)` returns how many bytes make a complete unit (≥ 0) and returns those
   * bytes; -1 = need more. The predicate sees everything buffered so far, oldest first.
   */
  readUntil(pred: (buf: Uint8Array) => number, timeoutMs: number): Promise<Uint8Array> {
    return this.wait(
      () => {
        const k = pred(this.buffer);
        return k < 0 ? undefined : this.consume(k);
      },
      timeoutMs,
      'an answer',
    );
  }

  /** Drops everything received and not yet read (after a timeout, before a resend). */
  discardInput(): void {
    this.buffer = new Uint8Array(0);
  }

  /** Bytes received and not yet read (diagnostics). */
  get pending(): number {
    return this.buffer.length;
  }

  async setBaudRate(baudRate: number): Promise<void> {
    // serialport's update flushes both queues (tcflush): let what was written go out first.
    await this.drain();
    await new Promise<void>((resolve, reject) => this.port.update({ baudRate }, (e) => (e ? reject(new FlashError('Protocol', `${this.path}: cannot set ${baudRate} baud: ${e.message}`)) : resolve())));
  }

  async close(): Promise<void> {
    if (this.closed || !this.port.isOpen) return;
    await this.drain().catch(() => undefined);
    this.closed = true;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }

  private consume(n: number): Uint8Array {
    const out = this.buffer.slice(0, n);
    this.buffer = this.buffer.slice(n);
    return out;
  }

  private wait(take: () => Uint8Array | undefined, timeoutMs: number, what: string): Promise<Uint8Array> {
    if (this.waiter) return Promise.reject(new Error('SerialTransport: one read at a time'));
    if (this.failure) return Promise.reject(this.failure);
    const now = take();
    if (now) return Promise.resolve(now);
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new FlashError('Timeout', `no answer from the board on ${this.path} within ${timeoutMs} ms (waiting for ${what}); check the wiring, the baud rate (--baud) and that the board is in its boot loader`, { pending: this.buffer.length }));
      }, timeoutMs);
      this.waiter = {
        take,
        resolve: (b) => (clearTimeout(timer), resolve(b)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    let got: Uint8Array | undefined;
    try {
      got = w.take();
    } catch (e) {
      this.waiter = undefined;
      w.reject(e as Error);
      return;
    }
    if (got) {
      this.waiter = undefined;
      w.resolve(got);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }
}

/** serialport's open error text → the FlashError a user can act on. */
export function openError(path: string, message: string): FlashError {
  if (/No such file or directory|ENOENT/i.test(message)) {
    return new FlashError('NoSuchPort', `no serial port ${path}; run \`signer flash --list\` to see the ports and pass one with --port`, { path });
  }
  if (/Cannot lock port|Resource temporarily unavailable|EBUSY|Device or resource busy/i.test(message)) {
    return new FlashError('PortBusy', `${path} is in use by another program (a terminal, another flash); close it and run again`, { path });
  }
  if (/Permission denied|EACCES/i.test(message)) {
    return new FlashError('Protocol', `no permission to open ${path}; add your user to the dialout group (or uucp) and log in again`, { path });
  }
  return new FlashError('Protocol', `cannot open ${path}: ${message}`, { path });
}
