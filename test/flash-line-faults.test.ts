/**
 * Line faults on the pty between our host protocols and the simulated boards: dropped bytes, flipped
 * bits (both directions), a board that stops answering mid-transfer, a board reset mid-write. Each
 * ends in a successful retry (flash = image, the board boots it) or a clear FlashError, and never in
 * a board that boots something else.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EspBoard } from '../simulator/boards/esp/esp-board.js';
import type { LineFaults } from '../simulator/boards/paced-line.js';
import type { Stm32Board } from '../simulator/boards/stm32/stm32-board.js';
import { FlashError } from '../src/flash/flash-error.js';
import { EspProtocol } from '../src/flash/protocols/esp/esp-protocol.js';
import { Stm32Protocol } from '../src/flash/protocols/stm32/stm32-protocol.js';
import { SerialTransport } from '../src/flash/serial-transport.js';
import { startEspBoard, startStm32Board, vector, type RunningBoard } from './support/serial-boards.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const STM32_BASE = 0x0800_0000;
const ESP_APP = 0x1_0000;
const stm32Image = vector('mcuboot/images/ecdsa-p256.signed.bin');
const espImage = vector('esp32-sbv2/generated/payload-4096.sbv2-ecdsa256.bin');

async function open<B extends Stm32Board | EspBoard>(board: RunningBoard<B>): Promise<SerialTransport> {
  cleanups.push(() => board.close());
  const t = await SerialTransport.open(board.hostPath, { baudRate: 115200 });
  cleanups.push(() => t.close());
  return t;
}

async function stm32(faults: LineFaults) {
  const board = await startStm32Board({ faults });
  const t = await open(board);
  const p = new Stm32Protocol({ timeoutMs: 1000, retries: 4 });
  await p.connect(t, { baudRate: 115200 });
  await p.write(stm32Image, { address: STM32_BASE }, () => undefined);
  await p.verify(stm32Image, { address: STM32_BASE });
  const booted = board.nextBoot();
  await p.boot();
  return { board, boot: await booted };
}

async function esp(faults: LineFaults) {
  const board = await startEspBoard({ faults });
  const t = await open(board);
  const p = new EspProtocol({ timeoutMs: 1000, retries: 4 });
  await p.connect(t, { baudRate: 115200 });
  await p.write(espImage, { address: ESP_APP }, () => undefined);
  await p.verify(espImage, { address: ESP_APP });
  const booted = board.nextBoot();
  await p.boot();
  return { board, boot: await booted };
}

// Byte indices counted from the first byte the board receives: past the connect preamble, inside
// the image transfer (STM32: ~20 preamble bytes, 265 per block; ESP: ~130 preamble bytes, ~1050 per block).
const recoverable: Array<[string, LineFaults, LineFaults]> = [
  ['a dropped byte', { dropAt: [700] }, { dropAt: [2500] }],
  ['several dropped bytes', { dropAt: [300, 1500, 3100] }, { dropAt: [900, 4000, 7000] }],
  ['a flipped bit host → board', { flipBitAt: [1200] }, { flipBitAt: [3000] }],
  ['flipped bits board → host (ACKs, replies, read-back data)', { txFlipBitAt: [40, 200] }, { txFlipBitAt: [150, 300] }],
  ['a board reset mid-write', { resetAt: 1800 }, { resetAt: 5000 }],
];

/** The fault really happened on the line (so the test can fail). */
function expectFaultHappened(board: RunningBoard<Stm32Board | EspBoard>, f: LineFaults): void {
  const s = board.line.stats;
  if (f.dropAt) expect(s.droppedRx).toBe(f.dropAt.length);
  if (Array.isArray(f.flipBitAt)) expect(s.flippedRx).toBe(f.flipBitAt.length);
  if (f.txFlipBitAt) expect(s.txBytes).toBeGreaterThan(Math.max(...f.txFlipBitAt));
  if (f.resetAt !== undefined) expect(board.log.some((l) => l.startsWith('reset'))).toBe(true);
}

describe.each(recoverable)('%s', (_name, stm32Faults, espFaults) => {
  it('stm32: retried; the flash holds the image and the board boots it', async () => {
    const { board, boot } = await stm32(stm32Faults);
    expectFaultHappened(board, stm32Faults);
    expect(board.board.flash.peek(STM32_BASE, stm32Image.length)).toEqual(stm32Image);
    expect(boot.booted).toBe(true);
  });

  it('esp: retried; the flash holds the image and the board boots it', async () => {
    const { board, boot } = await esp(espFaults);
    expectFaultHappened(board, espFaults);
    expect(board.board.flash.peek(ESP_APP, espImage.length)).toEqual(espImage);
    expect(boot.booted).toBe(true);
  });
});

describe('a board that stops answering mid-transfer', () => {
  it('stm32: a clear Timeout, and what is in flash does not boot', async () => {
    const board = await startStm32Board({ faults: { stopAnsweringAfter: 1500 } });
    const t = await open(board);
    const p = new Stm32Protocol({ timeoutMs: 100, retries: 1 });
    await p.connect(t, { baudRate: 115200 });
    const err = await p.write(stm32Image, { address: STM32_BASE }, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).code).toBe('Timeout');
    expect((err as FlashError).message).toMatch(/gave up .*check the cable/);
    expect(board.board.lastBoot).toBeUndefined();
    expect(board.board.boot().booted).toBe(false);
  });

  it('esp: a clear Timeout, and what is in flash does not boot', async () => {
    const board = await startEspBoard({ faults: { stopAnsweringAfter: 4000 } });
    const t = await open(board);
    const p = new EspProtocol({ timeoutMs: 100, retries: 1 });
    await p.connect(t, { baudRate: 115200 });
    const err = await p.write(espImage, { address: ESP_APP }, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).code).toBe('Timeout');
    expect(board.board.lastBoot).toBeUndefined();
    expect(board.board.boot().booted).toBe(false);
  });
});
