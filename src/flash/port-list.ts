/**
 * `signer flash --list`: serial ports with USB vendor/product ids. serialport's list (udevadm) first;
 * where udev is absent (containers, minimal installs) the same facts are read from sysfs.
 */
import { readdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface PortListing {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

const SERIAL_NAME = /^(tty(S|WCH|ACM|USB|AMA|MFD|O|XRUSB)\d+|rfcomm\d+)$/;

export async function listPorts(): Promise<PortListing[]> {
  try {
    const { SerialPort } = await import('serialport');
    const ports = await SerialPort.list();
    return ports.map((p) => ({
      path: p.path,
      ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}),
      ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}),
      ...(p.vendorId ? { vendorId: p.vendorId } : {}),
      ...(p.productId ? { productId: p.productId } : {}),
    }));
  } catch {
    return listFromSysfs();
  }
}

async function text(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Reads /sys/class/tty: a port with a `device` link is real hardware; USB ones carry idVendor up the tree. */
export async function listFromSysfs(root = '/sys/class/tty'): Promise<PortListing[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const out: PortListing[] = [];
  for (const name of names.filter((n) => SERIAL_NAME.test(n)).sort()) {
    let device: string;
    try {
      device = await realpath(join(root, name, 'device'));
    } catch {
      continue; // virtual terminal, no hardware behind it
    }
    const port: PortListing = { path: `/dev/${name}` };
    // ttyS ports with no UART behind them report type 0 (unknown); skip those as udev does.
    if (name.startsWith('ttyS') && (await text(join(root, name, 'type'))) === '0') continue;
    for (let dir = device; dir !== '/' && dir !== '.'; dir = dirname(dir)) {
      const vendor = await text(join(dir, 'idVendor'));
      if (vendor === undefined) continue;
      port.vendorId = vendor;
      const product = await text(join(dir, 'idProduct'));
      const manufacturer = await text(join(dir, 'manufacturer'));
      const serial = await text(join(dir, 'serial'));
      if (product) port.productId = product;
      if (manufacturer) port.manufacturer = manufacturer;
      if (serial) port.serialNumber = serial;
      break;
    }
    out.push(port);
  }
  return out;
}
