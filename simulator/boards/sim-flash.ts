/**
 * A simulated NOR flash: erased bytes read 0xFF, erase works on whole sectors, a write can only clear
 * bits (programming a byte that is not erased is a FlashFault, as on real parts that need erase before
 * write), optional read-out protection.
 */
export class FlashFault extends Error {
  override readonly name = 'FlashFault';
  constructor(
    readonly kind: 'OutOfRange' | 'NotErased' | 'Unaligned' | 'ReadoutProtected',
    message: string,
  ) {
    super(message);
  }
}

export interface SimFlashOptions {
  size: number;
  sectorSize: number;
  /** Address of the first byte (e.g. 0x08000000 on STM32). Default 0. */
  base?: number;
  readoutProtected?: boolean;
}

export class SimFlash {
  readonly size: number;
  readonly sectorSize: number;
  readonly base: number;
  readoutProtected: boolean;
  private readonly bytes: Uint8Array;
  /** Counters a test can read: how many sectors were erased, bytes programmed. */
  readonly stats = { erasedSectors: 0, programmedBytes: 0 };

  constructor(opts: SimFlashOptions) {
    if (!Number.isInteger(opts.size) || opts.size <= 0) throw new RangeError('SimFlash size must be a positive integer');
    if (!Number.isInteger(opts.sectorSize) || opts.sectorSize <= 0 || opts.size % opts.sectorSize !== 0) {
      throw new RangeError('SimFlash sectorSize must divide size');
    }
    this.size = opts.size;
    this.sectorSize = opts.sectorSize;
    this.base = opts.base ?? 0;
    this.readoutProtected = opts.readoutProtected ?? false;
    this.bytes = new Uint8Array(opts.size).fill(0xff);
  }

  /** Erases every sector touched by [address, address+length): whole sectors, as hardware does. */
  erase(address: number, length: number): void {
    const off = this.offset(address, length);
    if (length === 0) return;
    const first = Math.floor(off / this.sectorSize);
    const last = Math.floor((off + length - 1) / this.sectorSize);
    for (let s = first; s <= last; s++) {
      this.bytes.fill(0xff, s * this.sectorSize, (s + 1) * this.sectorSize);
      this.stats.erasedSectors++;
    }
  }

  /** Erases exactly the sectors [first, first+count) by index. */
  eraseSectors(first: number, count: number): void {
    this.erase(this.base + first * this.sectorSize, count * this.sectorSize);
  }

  /** Programs bytes; fails without writing anything if any target byte would need a bit set. */
  write(address: number, data: Uint8Array): void {
    const off = this.offset(address, data.length);
    for (let i = 0; i < data.length; i++) {
      const cur = this.bytes[off + i] as number;
      const want = data[i] as number;
      if ((cur & want) !== want) {
        throw new FlashFault('NotErased', `flash write at 0x${(address + i).toString(16)}: byte 0x${cur.toString(16)} is not erased (erase the sector first)`);
      }
    }
    for (let i = 0; i < data.length; i++) this.bytes[off + i] = (this.bytes[off + i] as number) & (data[i] as number);
    this.stats.programmedBytes += data.length;
  }

  /** Reads bytes as the host would (refused under read-out protection). */
  read(address: number, length: number): Uint8Array {
    if (this.readoutProtected) throw new FlashFault('ReadoutProtected', 'flash is read-out protected');
    return this.peek(address, length);
  }

  /** Reads bytes as the boot loader itself does (read-out protection does not apply on-chip). */
  peek(address: number, length: number): Uint8Array {
    const off = this.offset(address, length);
    return this.bytes.slice(off, off + length);
  }

  /** True when [address, address+length) is inside the flash. */
  contains(address: number, length: number): boolean {
    return Number.isInteger(address) && Number.isInteger(length) && length >= 0 && address >= this.base && address + length <= this.base + this.size;
  }

  private offset(address: number, length: number): number {
    if (!this.contains(address, length)) {
      throw new FlashFault('OutOfRange', `flash access 0x${address.toString(16)}+${length} is outside 0x${this.base.toString(16)}..0x${(this.base + this.size).toString(16)}`);
    }
    return address - this.base;
  }
}
