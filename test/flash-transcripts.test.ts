/**
 * Our host tool's requests, as the simulated board receives them on the pty, against the saved
 * transcripts of the real tools (test/vectors/bootloaders/protocols/):
 *  - stm32flash 0.7 `-w fw.bin -v -g 0x08000000` (3000-byte file): byte for byte, with one intended
 *    difference: stm32flash reads each block back right after writing it, we write all blocks, then
 *    read all back (write and verify are separate steps of `signer flash`). Every transaction's bytes
 *    are identical; only their order differs.
 *  - esptool v5.3.1 `--no-stub write-flash 0x10000` (8192-byte image): our requests are, in order and
 *    field for field (opcode, length, checksum, first 24 data bytes), a subsequence of esptool's;
 *    what we skip is only its READ_REG/WRITE_REG probing (eFuses, MAC, SPI flash ID) and
 *    GET_SECURITY_INFO (which the ESP32 ROM does not support).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { slipDecodeFirst } from '../src/flash/protocols/esp/slip.js';
import { EspProtocol } from '../src/flash/protocols/esp/esp-protocol.js';
import { Stm32Protocol } from '../src/flash/protocols/stm32/stm32-protocol.js';
import { SerialTransport } from '../src/flash/serial-transport.js';
import { startEspBoard, startStm32Board, vector, VECTORS } from './support/serial-boards.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const concat = (parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

describe('stm32flash transcript', () => {
  const t = JSON.parse(readFileSync(new URL('protocols/stm32flash-an3155-transcript.json', VECTORS), 'utf8')) as { transcript: Array<{ dir: string; hex: string }> };

  const COMMANDS = [0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x44];

  /** stm32flash's host→device bytes cut into transactions: a sync byte or `cmd ~cmd` opens one. */
  function transactions(): Array<{ cmd: number; bytes: Uint8Array }> {
    const host = t.transcript.filter((e) => e.dir === 'host->dev').map((e) => fromHex(e.hex));
    const out: Array<{ cmd: number; bytes: Uint8Array[] }> = [];
    for (let i = 0; i < host.length; i++) {
      const e = host[i] as Uint8Array;
      const next = host[i + 1];
      const isCommand = e.length === 1 && COMMANDS.includes(e[0] as number) && next?.length === 1 && ((e[0] as number) ^ (next[0] as number)) === 0xff;
      const opens = (out.length === 0 && e.length === 1 && e[0] === 0x7f) || isCommand;
      if (opens) out.push({ cmd: e[0] as number, bytes: [e] });
      else out.at(-1)?.bytes.push(e);
    }
    return out.map((x) => ({ cmd: x.cmd, bytes: concat(x.bytes) }));
  }

  it('matches byte for byte (writes, then read-backs)', async () => {
    const image = vector('mcuboot/images/ecdsa-p256.signed.bin').subarray(0, 3000);
    expect(createHash('sha256').update(image).digest('hex')).toBe('44eafb354c7177456a2e780068adacf13f8f7de6c79b5e508de2a1e4e913b984');
    const board = await startStm32Board();
    cleanups.push(() => board.close());
    const seen: Uint8Array[] = [];
    board.line.on('data', (b) => seen.push(b.slice()));
    const transport = await SerialTransport.open(board.hostPath, { baudRate: 115200 });
    cleanups.push(() => transport.close());
    const p = new Stm32Protocol();
    await p.connect(transport, { baudRate: 115200 });
    await p.write(image, { address: 0x0800_0000 }, () => undefined);
    await p.verify(image, { address: 0x0800_0000 });
    const booted = board.nextBoot();
    await p.boot();
    await booted;

    const tx = transactions();
    const byCmd = (pred: (c: number) => boolean) => tx.filter((x) => pred(x.cmd)).map((x) => x.bytes);
    const expected = concat([
      ...byCmd((c) => ![0x31, 0x11, 0x21].includes(c)), // 7F, Get Version, Get, Get ID, Erase
      ...byCmd((c) => c === 0x31),
      ...byCmd((c) => c === 0x11),
      ...byCmd((c) => c === 0x21),
    ]);
    expect(tx.map((x) => x.cmd).filter((c) => ![0x31, 0x11].includes(c))).toEqual([0x7f, 0x01, 0x00, 0x02, 0x43, 0x21]);
    expect(toHex(concat(seen))).toBe(toHex(expected));
  });
});

describe('esptool transcript', () => {
  interface Req {
    op: string;
    len: number;
    chk: string;
    data_head: string;
  }
  const t = JSON.parse(readFileSync(new URL('protocols/esptool-esp32-rom-transcript.json', VECTORS), 'utf8')) as { requests: Req[] };

  it('our requests are, field for field, esptool requests in esptool order; the rest are register probes', async () => {
    const image = vector('esp32-sbv2/generated/payload-4096.sbv2-ecdsa256.bin');
    const board = await startEspBoard();
    cleanups.push(() => board.close());
    const seen: Uint8Array[] = [];
    board.line.on('data', (b) => seen.push(b.slice()));
    const transport = await SerialTransport.open(board.hostPath, { baudRate: 115200 });
    cleanups.push(() => transport.close());
    const p = new EspProtocol();
    await p.connect(transport, { baudRate: 115200 });
    await p.write(image, { address: 0x10000 }, () => undefined);
    await p.verify(image, { address: 0x10000 });

    let buf = concat(seen);
    const ours: Req[] = [];
    for (let f = slipDecodeFirst(buf); f; f = slipDecodeFirst(buf)) {
      const v = new DataView(f.packet.buffer, f.packet.byteOffset);
      ours.push({ op: `0x${(f.packet[1] as number).toString(16)}`, len: v.getUint16(2, true), chk: `0x${v.getUint32(4, true).toString(16)}`, data_head: toHex(f.packet.subarray(8, 32)) });
      buf = buf.subarray(f.consumed);
    }
    expect(ours.map((r) => r.op)).toEqual(['0x8', '0xa', '0xd', '0xb', '0x2', ...new Array(8).fill('0x3'), '0x13']);
    const skipped: string[] = [];
    let i = 0;
    for (const theirs of t.requests) {
      const mine = ours[i];
      if (mine && JSON.stringify(mine) === JSON.stringify({ op: theirs.op, len: theirs.len, chk: theirs.chk, data_head: theirs.data_head })) i++;
      else skipped.push(theirs.op);
    }
    expect(i).toBe(ours.length);
    expect(new Set(skipped)).toEqual(new Set(['0x14', '0xa', '0x9']));
  });
});
