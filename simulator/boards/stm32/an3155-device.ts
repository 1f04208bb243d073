/**
 * The STM32 system-memory boot loader's side of AN3155, as a byte-stream state machine: bytes in
 * (`receive`), answers out (`send`). Written from AN3155 independently of the host side in src/, so
 * the two check each other (and stm32flash checks this one).
 *
 * After reset it waits for 0x7F (autobaud) and answers ACK; then it takes `cmd ~cmd` frames.
 * Memory commands are NACKed under read-out protection (AN3155 §3). Writes follow NOR rules through
 * SimFlash: a write over non-erased bytes is NACKed.
 */
import type { SimFlash } from '../sim-flash.js';

export const ACK = 0x79;
export const NACK = 0x1f;

export interface An3155DeviceOptions {
  flash: SimFlash;
  /** Product ID answered by Get ID (AN2606), e.g. 0x410. */
  productId: number;
  /** Boot loader version byte (0x22 = v2.2). */
  version?: number;
  /** Offer Extended Erase (0x44) instead of Erase (0x43), as newer parts do. */
  extendedErase?: boolean;
  /** Erase page size (the SimFlash sector size unless given). */
  pageSize?: number;
  /** Go: the device leaves the boot loader for the code at `address` (the board runs its boot check). */
  onGo?: (address: number) => void;
  /** Read-out protection level changed by a command (the device resets afterwards). */
  onReset?: (why: string) => void;
  log?: (line: string) => void;
}

type Step = { need: number; then: (bytes: Uint8Array) => void };

const hex = (n: number, w = 2) => `0x${n.toString(16).padStart(w, '0')}`;

function xor(bytes: Uint8Array, seed = 0): number {
  let x = seed;
  for (const b of bytes) x ^= b;
  return x & 0xff;
}

export class An3155Device {
  private buffer: number[] = [];
  private step: Step | undefined;
  private synced = false;
  private readonly commands: number[];

  constructor(
    private readonly o: An3155DeviceOptions,
    private readonly send: (bytes: Uint8Array) => void,
  ) {
    this.commands = [0x00, 0x01, 0x02, 0x11, 0x21, 0x31, o.extendedErase ? 0x44 : 0x43, 0x63, 0x73, 0x82, 0x92];
  }

  /** The boot loader starts over (power-on or reset pin): waits for 0x7F again, partial frames are lost. */
  reset(): void {
    this.buffer = [];
    this.step = undefined;
    this.synced = false;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  receive(bytes: Uint8Array): void {
    for (const b of bytes) this.buffer.push(b);
    this.process();
  }

  private process(): void {
    for (;;) {
      if (!this.synced) {
        const i = this.buffer.indexOf(0x7f);
        if (i < 0) {
          this.buffer = [];
          return;
        }
        this.buffer.splice(0, i + 1);
        this.synced = true;
        this.o.log?.('sync 0x7f → ACK');
        this.reply(ACK);
        continue;
      }
      const step = this.step ?? { need: 2, then: (b: Uint8Array) => this.command(b[0] as number, b[1] as number) };
      if (this.buffer.length < step.need) return;
      const bytes = Uint8Array.from(this.buffer.splice(0, step.need));
      this.step = undefined;
      step.then(bytes);
      if (!this.synced) continue;
    }
  }

  private reply(...bytes: number[]): void {
    this.send(Uint8Array.from(bytes));
  }

  private replyBytes(bytes: Uint8Array): void {
    this.send(bytes);
  }

  private expect(need: number, then: (bytes: Uint8Array) => void): void {
    this.step = { need, then };
  }

  private get flash(): SimFlash {
    return this.o.flash;
  }

  private get pageSize(): number {
    return this.o.pageSize ?? this.flash.sectorSize;
  }

  private command(cmd: number, complement: number): void {
    if ((cmd ^ complement) !== 0xff || !this.commands.includes(cmd)) {
      this.o.log?.(`bad command frame ${hex(cmd)} ${hex(complement)} → NACK`);
      this.reply(NACK);
      return;
    }
    const protectedCmd = [0x11, 0x21, 0x31, 0x43, 0x44, 0x63, 0x73].includes(cmd);
    if (protectedCmd && this.flash.readoutProtected) {
      this.o.log?.(`command ${hex(cmd)} refused: read-out protection active → NACK`);
      this.reply(NACK);
      return;
    }
    switch (cmd) {
      case 0x00:
        this.o.log?.('Get');
        this.reply(ACK, this.commands.length, this.o.version ?? 0x22, ...this.commands, ACK);
        return;
      case 0x01:
        this.o.log?.('Get Version');
        this.reply(ACK, this.o.version ?? 0x22, 0x00, 0x00, ACK);
        return;
      case 0x02:
        this.o.log?.('Get ID');
        this.reply(ACK, 0x01, (this.o.productId >> 8) & 0xff, this.o.productId & 0xff, ACK);
        return;
      case 0x11:
        this.reply(ACK);
        this.expectAddress((address) => this.expect(2, ([n, c]) => this.readMemory(address, n as number, c as number)));
        return;
      case 0x21:
        this.reply(ACK);
        this.expectAddress((address) => {
          this.o.log?.(`Go ${hex(address, 8)}`);
          this.o.onGo?.(address);
        });
        return;
      case 0x31:
        this.reply(ACK);
        this.expectAddress((address) => this.expect(1, ([n]) => this.expect((n as number) + 2, (rest) => this.writeMemory(address, n as number, rest))));
        return;
      case 0x43:
        this.reply(ACK);
        this.expect(1, ([n]) => {
          if (n === 0xff) this.expect(1, ([c]) => this.eraseAll(c === 0x00));
          else this.expect((n as number) + 2, (rest) => this.erasePages(Array.from(rest.subarray(0, rest.length - 1)), xor(rest.subarray(0, rest.length - 1), n) === rest[rest.length - 1]));
        });
        return;
      case 0x44:
        this.reply(ACK);
        this.expect(2, ([hi, lo]) => {
          const n = ((hi as number) << 8) | (lo as number);
          if (n >= 0xfff0) {
            this.expect(1, ([c]) => (n === 0xffff ? this.eraseAll(c === xor(Uint8Array.of(hi as number, lo as number))) : this.reply(NACK)));
            return;
          }
          this.expect(2 * (n + 1) + 1, (rest) => {
            const pages: number[] = [];
            for (let i = 0; i < n + 1; i++) pages.push(((rest[2 * i] as number) << 8) | (rest[2 * i + 1] as number));
            const ok = xor(rest.subarray(0, rest.length - 1), xor(Uint8Array.of(hi as number, lo as number))) === rest[rest.length - 1];
            this.erasePages(pages, ok);
          });
        });
        return;
      case 0x63:
        this.reply(ACK);
        this.expect(1, ([n]) =>
          this.expect((n as number) + 2, () => {
            this.o.log?.('Write Protect (accepted; the simulated flash has no write protection) → reset');
            this.reply(ACK);
            this.systemReset('write protect');
          }),
        );
        return;
      case 0x73:
        this.o.log?.('Write Unprotect → reset');
        this.reply(ACK, ACK);
        this.systemReset('write unprotect');
        return;
      case 0x82:
        this.o.log?.('Readout Protect → reset');
        this.flash.readoutProtected = true;
        this.reply(ACK, ACK);
        this.systemReset('readout protect');
        return;
      case 0x92:
        this.o.log?.('Readout Unprotect: mass erase → reset');
        this.flash.erase(this.flash.base, this.flash.size);
        this.flash.readoutProtected = false;
        this.reply(ACK, ACK);
        this.systemReset('readout unprotect');
        return;
    }
  }

  private systemReset(why: string): void {
    this.reset();
    this.o.onReset?.(why);
  }

  /** 4 address bytes + XOR; NACK if the checksum is wrong or the address is outside flash. */
  private expectAddress(then: (address: number) => void): void {
    this.expect(5, (b) => {
      const address = (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0;
      if (xor(b.subarray(0, 4)) !== b[4]) {
        this.o.log?.(`address ${hex(address, 8)}: bad checksum → NACK`);
        this.reply(NACK);
        return;
      }
      if (!this.flash.contains(address, 1)) {
        this.o.log?.(`address ${hex(address, 8)} outside flash → NACK`);
        this.reply(NACK);
        return;
      }
      this.reply(ACK);
      then(address);
    });
  }

  private readMemory(address: number, n: number, complement: number): void {
    if ((n ^ complement) !== 0xff || !this.flash.contains(address, n + 1)) {
      this.o.log?.(`Read Memory ${hex(address, 8)}: bad length ${hex(n)} ${hex(complement)} → NACK`);
      this.reply(NACK);
      return;
    }
    this.reply(ACK);
    this.replyBytes(this.flash.read(address, n + 1));
  }

  private writeMemory(address: number, n: number, rest: Uint8Array): void {
    const data = rest.subarray(0, n + 1);
    if (xor(data, n) !== rest[n + 1]) {
      this.o.log?.(`Write Memory ${hex(address, 8)} +${n + 1}: bad checksum → NACK`);
      this.reply(NACK);
      return;
    }
    if (!this.flash.contains(address, n + 1)) {
      this.reply(NACK);
      return;
    }
    try {
      this.flash.write(address, data);
    } catch (error) {
      this.o.log?.(`Write Memory ${hex(address, 8)} +${n + 1}: ${(error as Error).message} → NACK`);
      this.reply(NACK);
      return;
    }
    this.o.log?.(`Write Memory ${hex(address, 8)} +${n + 1}`);
    this.reply(ACK);
  }

  private eraseAll(ok: boolean): void {
    if (!ok) {
      this.reply(NACK);
      return;
    }
    this.o.log?.('mass erase');
    this.flash.erase(this.flash.base, this.flash.size);
    this.reply(ACK);
  }

  private erasePages(pages: number[], ok: boolean): void {
    const count = this.flash.size / this.pageSize;
    if (!ok || pages.some((p) => p >= count)) {
      this.o.log?.(`erase pages ${pages.join(',')}: ${ok ? 'page out of range' : 'bad checksum'} → NACK`);
      this.reply(NACK);
      return;
    }
    for (const p of pages) this.flash.erase(this.flash.base + p * this.pageSize, this.pageSize);
    this.o.log?.(`erase ${pages.length} page(s) from ${pages[0]}`);
    this.reply(ACK);
  }
}
