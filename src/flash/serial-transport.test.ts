import { afterEach, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../simulator/boards/pty-pair.js';
import { PacedLine } from '../../simulator/boards/paced-line.js';
import { FlashError } from './flash-error.js';
import { openError, SerialTransport } from './serial-transport.js';

let pair: PtyPair | undefined;
const toClose: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of toClose.splice(0)) await c.close();
  await pair?.close();
  pair = undefined;
});

describe('SerialTransport', () => {
  it('NoSuchPort for a path that does not exist, with what to do next', async () => {
    const e = await SerialTransport.open('/dev/does-not-exist-42', { baudRate: 115200 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FlashError);
    expect((e as FlashError).code).toBe('NoSuchPort');
    expect((e as FlashError).message).toMatch(/--list/);
  });

  it('PortBusy when another program holds the port', async () => {
    pair = await openPtyPair();
    const first = await SerialTransport.open(pair.hostPath, { baudRate: 115200 });
    toClose.push(first);
    const e = await SerialTransport.open(pair.hostPath, { baudRate: 115200 }).catch((x: unknown) => x);
    expect((e as FlashError).code).toBe('PortBusy');
  });

  it('reads exact lengths and predicate units, times out with FlashError Timeout', async () => {
    pair = await openPtyPair();
    const board = await PacedLine.open(pair.boardPath, { baudRate: 115200 });
    toClose.push(board);
    const t = await SerialTransport.open(pair.hostPath, { baudRate: 115200 });
    toClose.push(t);
    board.on('data', (b) => void board.write(b)); // loopback board
    await t.write(Uint8Array.of(1, 2, 3, 4, 0x0a, 9));
    expect([...(await t.read(2, 5000))]).toEqual([1, 2]);
    const line = await t.readUntil((buf) => {
      const i = buf.indexOf(0x0a);
      return i < 0 ? -1 : i + 1;
    }, 5000);
    expect([...line]).toEqual([3, 4, 0x0a]);
    expect([...(await t.read(1, 5000))]).toEqual([9]);
    const e = await t.read(1, 50).catch((x: unknown) => x);
    expect((e as FlashError).code).toBe('Timeout');
    await t.write(Uint8Array.of(7));
    await new Promise((r) => setTimeout(r, 50));
    t.discardInput();
    expect(t.pending).toBe(0);
  });

  it('maps serialport open messages to codes', () => {
    expect(openError('/dev/x', 'Error: No such file or directory, cannot open /dev/x').code).toBe('NoSuchPort');
    expect(openError('/dev/x', 'Error Resource temporarily unavailable Cannot lock port').code).toBe('PortBusy');
    expect(openError('/dev/x', 'Error: Permission denied, cannot open /dev/x').message).toMatch(/dialout/);
  });
});
