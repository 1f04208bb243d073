import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import { openPtyPair, type PtyPair } from './pty-pair.js';
import { PacedLine } from './paced-line.js';

let pair: PtyPair | undefined;
const opened: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
  await pair?.close();
  pair = undefined;
});

async function hostPort(path: string): Promise<{ port: SerialPort; received: () => Buffer }> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  let got = Buffer.alloc(0);
  port.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
  opened.push({ close: () => new Promise<void>((r) => port.close(() => r())) });
  return { port, received: () => got };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('openPtyPair (socat)', () => {
  it('connects host and board both ways, raw (no echo, no newline translation)', async () => {
    pair = await openPtyPair();
    expect(existsSync(pair.hostPath) && existsSync(pair.boardPath)).toBe(true);
    expect(pair.hostDevice).toMatch(/^\/dev\/pts\//);
    const board = await PacedLine.open(pair.boardPath, { baudRate: 115200, paceReads: false });
    opened.push(board);
    const seen: number[] = [];
    board.on('data', (b) => seen.push(...b));
    const host = await hostPort(pair.hostPath);
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    host.port.write(Buffer.from(bytes));
    await until(() => seen.length >= 256, 'bytes at the board');
    expect(seen).toEqual([...bytes]);
    await board.write(Uint8Array.of(0x0a, 0x0d, 0x00, 0xff));
    await until(() => host.received().length >= 4, 'bytes at the host');
    expect([...host.received()]).toEqual([0x0a, 0x0d, 0x00, 0xff]);
  });

  it('close() stops socat and removes the links', async () => {
    const p = await openPtyPair();
    await p.close();
    expect(existsSync(p.hostPath)).toBe(false);
  });
});

describe('PacedLine', () => {
  it('takes at least the line time to send (10 bits a byte at the baud rate)', async () => {
    pair = await openPtyPair();
    const board = await PacedLine.open(pair.boardPath, { baudRate: 19200 });
    opened.push(board);
    const host = await hostPort(pair.hostPath);
    const n = 960; // 0.5 s at 19200 8N1
    const t0 = performance.now();
    await board.write(new Uint8Array(n).fill(0x55));
    await until(() => host.received().length >= n, 'paced bytes');
    // A lower bound only: pacing can make it slower on a busy machine, never faster.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(n * board.byteTimeMs - 5);
    expect(board.stats.txBytes).toBe(n);
  });

  it('fault hooks: drop, flip, reset, then silence', async () => {
    pair = await openPtyPair();
    const board = await PacedLine.open(pair.boardPath, { baudRate: 115200, faults: { dropAt: [1], flipBitAt: [2], resetAt: 5, stopAnsweringAfter: 8 } });
    opened.push(board);
    const seen: number[] = [];
    let resets = 0;
    let silent = false;
    board.on('data', (b) => seen.push(...b));
    board.on('reset', () => {
      resets++;
      seen.length = 0;
    });
    board.on('silent', () => (silent = true));
    const host = await hostPort(pair.hostPath);
    host.port.write(Buffer.from([0x10, 0x11, 0x12, 0x13, 0x14]));
    await until(() => seen.length >= 4, 'first bytes');
    expect(seen).toEqual([0x10, 0x13, 0x13, 0x14]); // 0x11 dropped, 0x12 → 0x13
    host.port.write(Buffer.from([0x15, 0x16, 0x17, 0x18, 0x19]));
    await until(() => silent && seen.length >= 2, 'silence');
    expect(resets).toBe(1);
    expect(seen).toEqual([0x16, 0x17]); // byte 5 was the reset; bytes from 8 on are never seen
    await board.write(Uint8Array.of(1, 2, 3));
    expect(board.stats.txBytes).toBe(0);
  });
});
