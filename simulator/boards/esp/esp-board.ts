/**
 * A simulated ESP32 (4 MiB SPI flash, 4 KiB sectors) with its ROM serial loader on a serial line
 * and a Secure Boot V2 boot step: on FLASH_END (or `boot()`), the second-stage boot loader's check
 * runs on the application at `appOffset` (0x10000 by default) with firmware-verifier format
 * `esp32-sbv2` against the eFuse key digests in `trust`. The image ends with its signature sector:
 * the first 4 KiB-aligned sector from the application offset that starts with a signature block
 * (magic 0xE7, version 2 or 3). Only a valid image boots.
 */
import { EventEmitter } from 'node:events';
import { createTrustStore, createVerifier, type TrustStore, type TrustStoreInput } from '../../../firmware-verifier/index.js';
import type { BoardLog, BootResult, SimulatedBoard } from '../board.types.js';
import type { PacedLine } from '../paced-line.js';
import { SimFlash } from '../sim-flash.js';
import { RomLoaderDevice } from './rom-loader-device.js';

export interface EspBoardOptions {
  /** eFuse key digests / public keys the Secure Boot V2 check trusts. */
  trust: TrustStoreInput;
  flashSize?: number;
  appOffset?: number;
  /** The baud rate the ROM answers at after a reset. */
  romBaud?: number;
  log?: BoardLog;
}

const SECTOR = 4096;

export class EspBoard extends EventEmitter<{ boot: [BootResult] }> implements SimulatedBoard {
  readonly protocol = 'esp';
  readonly bitsPerChar = 10;
  readonly flash: SimFlash;
  readonly device: RomLoaderDevice;
  lastBoot: BootResult | undefined;
  private line: PacedLine | undefined;
  private readonly trust: TrustStore;
  private readonly appOffset: number;

  constructor(private readonly o: EspBoardOptions) {
    super();
    this.trust = createTrustStore(o.trust);
    this.appOffset = o.appOffset ?? 0x1_0000;
    this.flash = new SimFlash({ size: o.flashSize ?? 4 * 1024 * 1024, sectorSize: SECTOR });
    this.device = new RomLoaderDevice(
      {
        flash: this.flash,
        ...(o.log ? { log: o.log } : {}),
        onRun: () => {
          this.lastBoot = this.boot();
          this.emit('boot', this.lastBoot);
        },
        onBaudRate: async (baud) => {
          const line = this.line;
          if (!line) return;
          // The answer goes out at the old rate; then the UART switches. On a pty the rate is only
          // the line's pacing: re-configuring the tty (serialport's update) would flush the answer
          // still in flight, which a real UART's baud change after the TX FIFO drained does not.
          await line.write(new Uint8Array(0));
          line.baudRate = baud;
        },
      },
      (bytes) => this.line?.write(bytes),
    );
  }

  attach(line: PacedLine): void {
    this.line = line;
    line.on('data', (bytes) => this.device.receive(bytes));
    line.on('reset', () => {
      this.o.log?.('reset (EN): back to the ROM loader');
      this.device.reset();
      if (this.o.romBaud !== undefined) line.baudRate = this.o.romBaud;
    });
  }

  /** Where the signed image ends (after its signature sector), or undefined if none is found. */
  private signedImageEnd(): number | undefined {
    const end = this.flash.base + this.flash.size;
    for (let at = this.appOffset + SECTOR; at + SECTOR <= end; at += SECTOR) {
      const head = this.flash.peek(at, 2);
      if (head[0] === 0xe7 && (head[1] === 0x02 || head[1] === 0x03)) return at + SECTOR;
    }
    return undefined;
  }

  boot(): BootResult {
    const address = this.appOffset;
    const imageEnd = this.signedImageEnd();
    if (imageEnd === undefined) {
      this.o.log?.(`boot refused at 0x${address.toString(16)}: no signature sector found`);
      return { booted: false, reason: 'BadMagic: no Secure Boot V2 signature sector after the application' };
    }
    const verifier = createVerifier('esp32-sbv2', this.trust);
    for (let at = address; at < imageEnd; at += SECTOR) verifier.update(this.flash.peek(at, SECTOR));
    const result = verifier.finish();
    if (!result.ok) {
      this.o.log?.(`boot refused at 0x${address.toString(16)}: ${result.reason} (${result.detail})`);
      return { booted: false, reason: `${result.reason}: ${result.detail}` };
    }
    this.o.log?.(`booted image at 0x${address.toString(16)} (${imageEnd - address} bytes, digest ${result.info.digest}, signature block ${result.info.block})`);
    return { booted: true, image: { address, digest: result.info.digest, size: imageEnd - address } };
  }
}
