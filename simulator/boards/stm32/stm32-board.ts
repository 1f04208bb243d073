/**
 * A simulated STM32 (default: STM32F103 medium density, PID 0x410, 128 KiB flash in 1 KiB pages at
 * 0x08000000) with its system-memory boot loader on a serial line, and a boot step.
 *
 * Boot check: the STM32 ROM itself checks nothing, so the board models the usual secure set-up, a
 * first-stage boot loader in front of the application that accepts only an MCUboot-signed image
 * (firmware-verifier format `mcuboot`, slot = from the Go address to the end of flash). A valid
 * image boots; anything else stays in the boot loader and the board reports why.
 */
import { EventEmitter } from 'node:events';
import { createTrustStore, createVerifier, type TrustStore, type TrustStoreInput } from '../../../firmware-verifier/index.js';
import type { BoardLog, BootResult, SimulatedBoard } from '../board.types.js';
import type { PacedLine } from '../paced-line.js';
import { SimFlash } from '../sim-flash.js';
import { An3155Device } from './an3155-device.js';

export interface Stm32BoardOptions {
  /** Keys the boot check trusts (MCUboot signatures). */
  trust: TrustStoreInput;
  productId?: number;
  flashBase?: number;
  flashSize?: number;
  pageSize?: number;
  extendedErase?: boolean;
  readoutProtected?: boolean;
  log?: BoardLog;
}

/** AN3155 lines are 8E1: 11 bits per character. */
export const STM32_BITS_PER_CHAR = 11;

export class Stm32Board extends EventEmitter<{ boot: [BootResult] }> implements SimulatedBoard {
  readonly protocol = 'stm32';
  readonly bitsPerChar = STM32_BITS_PER_CHAR;
  readonly flash: SimFlash;
  readonly device: An3155Device;
  /** The result of the last boot (after Go), if any. */
  lastBoot: BootResult | undefined;
  private bootAddress: number;
  private line: PacedLine | undefined;
  private readonly trust: TrustStore;

  constructor(private readonly o: Stm32BoardOptions) {
    super();
    this.trust = createTrustStore(o.trust);
    const base = o.flashBase ?? 0x0800_0000;
    this.bootAddress = base;
    this.flash = new SimFlash({ size: o.flashSize ?? 128 * 1024, sectorSize: o.pageSize ?? 1024, base, readoutProtected: o.readoutProtected ?? false });
    this.device = new An3155Device(
      {
        flash: this.flash,
        productId: o.productId ?? 0x410,
        extendedErase: o.extendedErase ?? false,
        ...(o.log ? { log: o.log } : {}),
        onGo: (address) => {
          this.bootAddress = address;
          this.lastBoot = this.boot();
          this.emit('boot', this.lastBoot);
        },
        onReset: (why) => o.log?.(`system reset (${why})`),
      },
      (bytes) => void this.line?.write(bytes),
    );
  }

  attach(line: PacedLine): void {
    this.line = line;
    line.on('data', (bytes) => this.device.receive(bytes));
    line.on('reset', () => {
      this.o.log?.('reset: back to the boot loader, waiting for 0x7f');
      this.device.reset();
    });
  }

  boot(): BootResult {
    const address = this.bootAddress;
    const slotSize = this.flash.base + this.flash.size - address;
    const verifier = createVerifier('mcuboot', this.trust, { slotSize });
    for (let off = 0; off < slotSize; off += 4096) verifier.update(this.flash.peek(address + off, Math.min(4096, slotSize - off)));
    const result = verifier.finish();
    if (!result.ok) {
      this.o.log?.(`boot refused at 0x${address.toString(16)}: ${result.reason} (${result.detail})`);
      return { booted: false, reason: `${result.reason}: ${result.detail}` };
    }
    const version = result.info.version;
    this.o.log?.(`booted image at 0x${address.toString(16)} (sha256 ${result.info.digest}${version ? `, version ${version}` : ''})`);
    return { booted: true, image: { address, digest: result.info.digest, size: result.info.size, ...(version ? { version } : {}) } };
  }
}
