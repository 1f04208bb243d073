/**
 * Interop with Debian's stm32flash (apt-get install stm32flash): it writes, verifies (-v) and starts
 * (-g) an image on our simulated STM32 board over a pty. `-m 8n1` because a pty cannot keep parity
 * settings (stm32flash's default 8e1 aborts with "Failed to set terminal flags").
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Stm32Board } from '../simulator/boards/stm32/stm32-board.js';
import { startStm32Board, vector, type RunningBoard } from './support/serial-boards.js';
import { needTool } from './support/tools.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'stm32flash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Debian's stm32flash on PATH (.ci/run installs it; elsewhere a missing tool is a recorded skip). */
const STM32FLASH = needTool('stm32flash (AN3155 interop)', 'stm32flash');

let board: RunningBoard<Stm32Board> | undefined;
afterEach(async () => {
  await board?.close();
  board = undefined;
});

async function stm32flash(image: Uint8Array, args: string[], boardOpts: Parameters<typeof startStm32Board>[0] = {}) {
  board = await startStm32Board(boardOpts);
  const file = join(dir, `fw-${Math.random().toString(16).slice(2)}.bin`);
  writeFileSync(file, image);
  const booted = board.nextBoot();
  const r = await run(STM32FLASH as string, ['-b', '115200', '-m', '8n1', '-w', file, ...args, board.hostPath], { timeout: 120_000 }).catch((e: { code: number; stdout: string; stderr: string }) => e);
  return { r: r as { stdout: string; stderr: string; code?: number }, booted, b: board };
}

describe.skipIf(STM32FLASH === undefined)('stm32flash (Debian) against the simulated STM32 board', () => {
  it('writes, verifies and starts a valid MCUboot-signed image, which boots', async () => {
    const image = vector('mcuboot/images/ecdsa-p256.signed.bin');
    const { r, booted, b } = await stm32flash(image, ['-v', '-g', '0x08000000', '-S', '0x08000000']);
    expect(r.code ?? 0).toBe(0);
    expect(r.stdout).toMatch(/Device ID\s*: 0x0410/);
    expect(b.board.flash.peek(0x0800_0000, image.length)).toEqual(image);
    const boot = await booted;
    expect(boot.booted).toBe(true);
  });

  it('writes an invalid image (stm32flash checks no signatures); the board refuses to boot it', async () => {
    const image = vector('mcuboot/images/neg-ecdsa-p256-sig-lastbyte-flip.bin');
    const { r, booted } = await stm32flash(image, ['-v', '-g', '0x08000000']);
    expect(r.code ?? 0).toBe(0);
    const boot = await booted;
    expect(boot.booted).toBe(false);
    expect(boot.reason).toMatch(/^SignatureInvalid/);
  });

  it('works with a boot loader that offers Extended Erase (0x44)', async () => {
    const image = vector('mcuboot/images/ecdsa-p256.signed.bin');
    const { r, booted } = await stm32flash(image, ['-v', '-g', '0x08000000'], { extendedErase: true });
    expect(r.code ?? 0).toBe(0);
    expect((await booted).booted).toBe(true);
  });
});
