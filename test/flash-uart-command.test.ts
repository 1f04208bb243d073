/**
 * `signer flash`'s orchestrator (flashImage) with --protocol stm32 and esp against the simulated
 * boards: the image is checked first (refused unless --force), written, verified and booted; with
 * --force an invalid image reaches the board, whose boot loader refuses it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { flashImage, type FlashOptions } from '../src/flash/flash-command.js';
import { FlashError } from '../src/flash/flash-error.js';
import { mcubootTrust, sbv2Trust, startEspBoard, startStm32Board, vector } from './support/serial-boards.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const cases = [
  {
    protocol: 'stm32' as const,
    start: () => startStm32Board(),
    check: { format: 'mcuboot' as const, trust: mcubootTrust() },
    valid: vector('mcuboot/images/ecdsa-p256.signed.bin'),
    invalid: vector('mcuboot/images/neg-ecdsa-p256-body-bitflip.bin'),
    address: 0x0800_0000,
  },
  {
    protocol: 'esp' as const,
    start: () => startEspBoard(),
    check: { format: 'esp32-sbv2' as const, trust: sbv2Trust() },
    valid: vector('esp32-sbv2/generated/payload-4096.sbv2-ecdsa256.bin'),
    invalid: vector('esp32-sbv2/generated/neg-sig-r-flip.sbv2-ecdsa256.bin'),
    address: 0x1_0000,
  },
];

describe.each(cases)('signer flash --protocol $protocol', (c) => {
  async function run(image: Uint8Array, extra: Partial<FlashOptions> = {}) {
    const board = await c.start();
    cleanups.push(() => board.close());
    const booted = board.nextBoot();
    const result = await flashImage({ port: board.hostPath, baudRate: 115200, protocol: c.protocol, image, target: { address: c.address }, check: c.check, ...extra });
    return { result, boot: await booted, board };
  }

  it('checks, writes, verifies and boots a valid image', async () => {
    const { result, boot } = await run(c.valid);
    expect(result).toMatchObject({ protocol: c.protocol, bytes: c.valid.length, verified: true, booted: true, forced: false });
    expect(result.imageCheck?.ok).toBe(true);
    expect(boot.booted).toBe(true);
  });

  it('refuses an invalid image before touching the port', async () => {
    const board = await c.start();
    cleanups.push(() => board.close());
    const err = await flashImage({ port: board.hostPath, baudRate: 115200, protocol: c.protocol, image: c.invalid, target: { address: c.address }, check: c.check }).catch((e: unknown) => e);
    expect((err as FlashError).code).toBe('InvalidImage');
    expect(board.line.stats.rxBytes).toBe(0);
  });

  it('with --force writes the invalid image, and the board refuses to boot it', async () => {
    const { result, boot } = await run(c.invalid, { force: true });
    expect(result.forced).toBe(true);
    expect(result.verified).toBe(true);
    expect(boot.booted).toBe(false);
  });
});
