/**
 * Espressif ROM loader end to end on a real pty pair: our host protocol → the simulated ESP32 ROM
 * loader (paced, 8N1) → the board's Secure Boot V2 check.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EspBoard } from '../simulator/boards/esp/esp-board.js';
import { FlashError } from '../src/flash/flash-error.js';
import { EspProtocol } from '../src/flash/protocols/esp/esp-protocol.js';
import { SerialTransport } from '../src/flash/serial-transport.js';
import { startEspBoard, vector, type RunningBoard } from './support/serial-boards.js';

const APP = 0x1_0000;
const valid = vector('esp32-sbv2/generated/payload-4096.sbv2-ecdsa256.bin');

let board: RunningBoard<EspBoard> | undefined;
let transport: SerialTransport | undefined;
afterEach(async () => {
  await transport?.close();
  await board?.close();
  transport = undefined;
  board = undefined;
});

async function connect(opts: Parameters<typeof startEspBoard>[0] = {}, protocol = new EspProtocol(), fastBaudRate?: number) {
  board = await startEspBoard(opts);
  transport = await SerialTransport.open(board.hostPath, { baudRate: 115200 });
  const info = await protocol.connect(transport, { baudRate: 115200, ...(fastBaudRate ? { fastBaudRate } : {}) });
  return { protocol, info, b: board };
}

async function flash(image: Uint8Array, opts: Parameters<typeof startEspBoard>[0] = {}, fastBaudRate?: number) {
  const { protocol, info, b } = await connect(opts, undefined, fastBaudRate);
  await protocol.write(image, { address: APP }, () => undefined);
  await protocol.verify(image, { address: APP });
  const booted = b.nextBoot();
  await protocol.boot();
  return { info, boot: await booted, b };
}

describe('esp: signer flash protocol → simulated ESP32 ROM loader → Secure Boot V2', () => {
  it('writes, verifies (MD5) and boots a valid Secure Boot V2 image', async () => {
    const { info, boot, b } = await flash(valid);
    expect(info.chip).toBe('ESP32');
    expect(b.board.flash.peek(APP, valid.length)).toEqual(valid);
    expect(boot.booted).toBe(true);
    expect(boot.image?.size).toBe(valid.length);
  });

  it.each(['neg-payload-bitflip.sbv2-ecdsa256.bin', 'neg-sig-r-flip.sbv2-ecdsa256.bin', 'neg-crc-flip.sbv2-ecdsa256.bin'])('flashes %s when asked, and the board refuses to boot it', async (name) => {
    const { boot } = await flash(vector(`esp32-sbv2/generated/${name}`));
    expect(boot.booted).toBe(false);
    expect(boot.reason).toMatch(/^(HashMismatch|SignatureInvalid|BadCrc|BadMagic)/);
  });

  it('moves to a faster line rate with CHANGE_BAUDRATE after sync', async () => {
    const { info, boot, b } = await flash(valid, {}, 460800);
    expect(info.details.baud).toBe(460800);
    expect(b.line.baudRate).toBe(460800);
    expect(b.log).toContain('CHANGE_BAUDRATE 460800');
    expect(boot.booted).toBe(true);
  });

  it('refuses an unexpected chip', async () => {
    board = await startEspBoard();
    transport = await SerialTransport.open(board.hostPath, { baudRate: 115200 });
    const err = await new EspProtocol().connect(transport, { baudRate: 115200, expectChip: 'esp32-s3' }).catch((e: unknown) => e);
    expect((err as FlashError).code).toBe('UnexpectedChip');
  });

  it('refuses an image too large for the flash', async () => {
    const { protocol } = await connect();
    const err = await protocol.write(new Uint8Array(8192), { address: 4 * 1024 * 1024 - 4096 }, () => undefined).catch((e: unknown) => e);
    expect((err as FlashError).code).toBe('ImageTooLarge');
  });

  it('gives a clear Timeout when nothing answers', async () => {
    board = await startEspBoard({ faults: { stopAnsweringAfter: 0 } });
    transport = await SerialTransport.open(board.hostPath, { baudRate: 115200 });
    const err = await new EspProtocol({ timeoutMs: 100, retries: 1 }).connect(transport, { baudRate: 115200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).code).toBe('Timeout');
    expect((err as FlashError).message).toMatch(/GPIO0/);
  });
});
