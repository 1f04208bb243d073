/**
 * A Web Serial `SerialPort` look-alike over Node's `serialport`, so esptool-js (written for browsers)
 * can drive a real tty from Node: `open`/`close`, `readable`/`writable` streams (fresh ones per open,
 * as in browsers), `setSignals` (DTR/RTS; a pty has none, so recorded only), `getInfo`, and the
 * optional in-place `setBaudRate` esptool-js prefers for CHANGE_BAUDRATE.
 */
import { SerialPort } from 'serialport';

interface OpenOptions {
  baudRate: number;
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  parity?: 'none' | 'even' | 'odd';
}

export class NodeWebSerialPort {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  /** DTR/RTS changes esptool-js asked for (for tests). */
  readonly signals: Array<{ dataTerminalReady?: boolean; requestToSend?: boolean; break?: boolean }> = [];
  private port: SerialPort | undefined;

  constructor(readonly path: string) {}

  async open(o: OpenOptions): Promise<void> {
    if (this.port?.isOpen) throw new DOMException('The port is already open.', 'InvalidStateError');
    const port = new SerialPort({ path: this.path, baudRate: o.baudRate, dataBits: o.dataBits ?? 8, stopBits: o.stopBits ?? 1, parity: o.parity ?? 'none', autoOpen: false, lock: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    this.port = port;
    let onData: ((b: Buffer) => void) | undefined;
    let onClose: (() => void) | undefined;
    this.readable = new ReadableStream<Uint8Array>({
      start(controller) {
        onData = (b: Buffer) => controller.enqueue(new Uint8Array(b));
        onClose = () => {
          try {
            controller.close();
          } catch {
            // already closed or cancelled
          }
        };
        port.on('data', onData);
        port.once('close', onClose);
      },
      cancel() {
        if (onData) port.off('data', onData);
      },
    });
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) =>
        new Promise<void>((resolve, reject) => {
          port.write(Buffer.from(chunk), (e) => (e ? reject(e) : undefined));
          port.drain((e) => (e ? reject(e) : resolve()));
        }),
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    this.readable = null;
    this.writable = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async setSignals(s: { dataTerminalReady?: boolean; requestToSend?: boolean; break?: boolean }): Promise<void> {
    this.signals.push(s);
  }

  getInfo(): { usbVendorId?: number; usbProductId?: number } {
    return {};
  }

  async setBaudRate(baudRate: number): Promise<void> {
    const port = this.port;
    if (!port) throw new DOMException('The port is closed.', 'InvalidStateError');
    await new Promise<void>((resolve, reject) => port.update({ baudRate }, (e) => (e ? reject(e) : resolve())));
  }
}
