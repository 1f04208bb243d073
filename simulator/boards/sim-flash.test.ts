import { describe, expect, it } from 'vitest';
import { FlashFault, SimFlash } from './sim-flash.js';

describe('SimFlash (NOR rules)', () => {
  it('starts erased, erases whole sectors, programs only by clearing bits', () => {
    const f = new SimFlash({ size: 4096, sectorSize: 1024, base: 0x08000000 });
    expect([...f.read(0x08000000, 4)]).toEqual([0xff, 0xff, 0xff, 0xff]);
    f.write(0x08000010, Uint8Array.of(0x12, 0x34));
    expect([...f.read(0x08000010, 2)]).toEqual([0x12, 0x34]);
    // Clearing more bits is allowed; setting one back is not.
    f.write(0x08000010, Uint8Array.of(0x10));
    expect(() => f.write(0x08000010, Uint8Array.of(0x13))).toThrow(FlashFault);
    expect(f.read(0x08000010, 1)[0]).toBe(0x10);
    // Erasing one byte erases its whole sector, and nothing else.
    f.write(0x08000400, Uint8Array.of(0x00));
    f.erase(0x08000011, 1);
    expect([...f.read(0x08000000, 1024)].every((b) => b === 0xff)).toBe(true);
    expect(f.read(0x08000400, 1)[0]).toBe(0x00);
    expect(f.stats.erasedSectors).toBe(1);
  });

  it('a failing write changes nothing', () => {
    const f = new SimFlash({ size: 1024, sectorSize: 256 });
    f.write(2, Uint8Array.of(0x00));
    expect(() => f.write(0, Uint8Array.of(0x00, 0x00, 0x01))).toThrow(/not erased/);
    expect([...f.read(0, 3)]).toEqual([0xff, 0xff, 0x00]);
  });

  it.each([
    ['below base', 0x0fff, 1],
    ['past the end', 0x1000 + 1024 - 1, 2],
    ['negative length', 0x1000, -1],
  ])('refuses access %s', (_name, address, length) => {
    const f = new SimFlash({ size: 1024, sectorSize: 256, base: 0x1000 });
    expect(() => f.read(address, length)).toThrow(expect.objectContaining({ kind: 'OutOfRange' }));
  });

  it('read-out protection blocks host reads, not the boot loader', () => {
    const f = new SimFlash({ size: 1024, sectorSize: 256, readoutProtected: true });
    expect(() => f.read(0, 1)).toThrow(expect.objectContaining({ kind: 'ReadoutProtected' }));
    expect(f.peek(0, 1)[0]).toBe(0xff);
  });

  it('rejects a sector size that does not divide the flash', () => {
    expect(() => new SimFlash({ size: 1000, sectorSize: 256 })).toThrow(RangeError);
  });
});
