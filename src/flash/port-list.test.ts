import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listFromSysfs } from './port-list.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('listFromSysfs (signer flash --list without udev)', () => {
  it('finds USB serial adapters with their vendor:product ids, skips virtual terminals and empty ttyS', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sysfs-'));
    const usb = join(dir, 'devices/usb1/1-1');
    mkdirSync(join(usb, '1-1:1.0/ttyUSB0'), { recursive: true });
    writeFileSync(join(usb, 'idVendor'), '10c4\n');
    writeFileSync(join(usb, 'idProduct'), 'ea60\n');
    writeFileSync(join(usb, 'manufacturer'), 'Silicon Labs\n');
    writeFileSync(join(usb, 'serial'), '0001\n');
    const cls = join(dir, 'class/tty');
    for (const n of ['ttyUSB0', 'tty1', 'ttyS0', 'ttyS1']) mkdirSync(join(cls, n), { recursive: true });
    symlinkSync(join(usb, '1-1:1.0'), join(cls, 'ttyUSB0/device'));
    mkdirSync(join(dir, 'devices/platform/serial8250'), { recursive: true });
    symlinkSync(join(dir, 'devices/platform/serial8250'), join(cls, 'ttyS0/device'));
    writeFileSync(join(cls, 'ttyS0/type'), '4\n');
    symlinkSync(join(dir, 'devices/platform/serial8250'), join(cls, 'ttyS1/device'));
    writeFileSync(join(cls, 'ttyS1/type'), '0\n');
    await expect(listFromSysfs(cls)).resolves.toEqual([
      { path: '/dev/ttyS0' },
      { path: '/dev/ttyUSB0', vendorId: '10c4', productId: 'ea60', manufacturer: 'Silicon Labs', serialNumber: '0001' },
    ]);
  });
});
