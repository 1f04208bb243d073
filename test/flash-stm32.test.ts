/**
 * STM32 AN3155 end to end on a real pty pair: our host protocol → the simulated STM32 boot loader
 * (paced to 115200 baud, 8E1 timing) → the board's MCUboot boot check.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FlashError } from '../src/flash/flash-error.js';
import { Stm32Protocol } from '../src/flash/protocols/stm32/stm32-protocol.js';
import { SerialTransport } from '../src/flash/serial-transport.js';
import { startStm32Board, vector, type RunningBoard } from './support/serial-boards.js';
import type { Stm32Board } from '../simulator/boards/stm32/stm32-board.js';

const BASE = 0x0800_0000;
const valid = vector('mcuboot/images/ecdsa-p256.signed.bin');
const bitflip = vector('mcuboot/images/neg-ecdsa-p256-body-bitflip.bin');

let board: RunningBoard<Stm32Board> | undefined;
let transport: SerialTransport | undefined;
afterEach(async () => {
  await transport?.close();
  await board?.close();
  transport = undefined;
  board = undefined;
});

async function flash(image: Uint8Array, opts: Parameters<typeof startStm32Board>[0] = {}, protocol = new Stm32Protocol()) {
  board = await startStm32Board(opts);
  transport = await SerialTransport.open(board.hostPath, { baudRate: 115200 });
  const info = await protocol.connect(transport, { baudRate: 115200 });
  const progress: number[] = [];
  await protocol.write(image, { address: BASE }, (done) => progress.push(done));
  await protocol.verify(image, { address: BASE });
  const booted = board.nextBoot();
  await protocol.boot();
  return { info, progress, boot: await booted, board };
}

describe('stm32: signer flash protocol → simulated board → boot check', () => {
  it('writes, verifies and boots a valid MCUboot-signed image', async () => {
    const { info, progress, boot, board: b } = await flash(valid);
    expect(info.chip).toBe('STM32F10xxx Medium-density');
    expect(info.details.productId).toBe(0x410);
    expect(progress.at(-1)).toBe(valid.length);
    expect(b.board.flash.peek(BASE, valid.length)).toEqual(valid);
    expect(boot.booted).toBe(true);
    expect(boot.image?.address).toBe(BASE);
  });

  it('writes an invalid image when asked, and the board refuses to boot it', async () => {
    const { boot } = await flash(bitflip);
    expect(boot.booted).toBe(false);
    expect(boot.reason).toMatch(/^HashMismatch/);
  });

  it('uses Extended Erase when the boot loader offers it', async () => {
    const { boot, board: b } = await flash(valid, { extendedErase: true });
    expect(boot.booted).toBe(true);
    expect(b.log.some((l) => l.startsWith('erase'))).toBe(true);
  });

  it('reports read-out protection clearly', async () => {
    board = await startStm32Board({ readoutProtected: true });
    transport = await SerialTransport.open(board.hostPath, { baudRate: 115200 });
    const p = new Stm32Protocol();
    await p.connect(transport, { baudRate: 115200 });
    const err = await p.write(valid, { address: BASE }, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).code).toBe('ReadoutProtected');
    expect((err as FlashError).message).toMatch(/readout protection/i);
  });

  it('refuses an unexpected chip ID', async () => {
    board = await startStm32Board({ productId: 0x414 });
    transport = await SerialTransport.open(board.hostPath, { baudRate: 115200 });
    const err = await new Stm32Protocol().connect(transport, { baudRate: 115200, expectChip: '0x410' }).catch((e: unknown) => e);
    expect((err as FlashError).code).toBe('UnexpectedChip');
    expect((err as FlashError).message).toContain('0x414');
  });

  it('refuses an image too large for the flash', async () => {
    board = await startStm32Board();
    transport = await SerialTransport.open(board.hostPath, { baudRate: 115200 });
    const p = new Stm32Protocol();
    await p.connect(transport, { baudRate: 115200 });
    const err = await p.write(new Uint8Array(4096), { address: BASE + 126 * 1024 }, () => undefined).catch((e: unknown) => e);
    expect((err as FlashError).code).toBe('ImageTooLarge');
  });

  it('gives a clear Timeout when nothing answers', async () => {
    board = await startStm32Board({ faults: { stopAnsweringAfter: 0 } });
    transport = await SerialTransport.open(board.hostPath, { baudRate: 115200 });
    const err = await new Stm32Protocol({ timeoutMs: 100, retries: 1 }).connect(transport, { baudRate: 115200 }).catch((e: unknown) => e);
    expect((err as FlashError).code).toBe('Timeout');
    expect((err as FlashError).message).toMatch(/BOOT0/);
  });
});
