/**
 * `signer simulate board --protocol stm32|esp` in one process, `signer flash --protocol stm32|esp` in
 * another, as a user runs them.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/signer.js', import.meta.url));
const vec = (p: string) => fileURLToPath(new URL(`./vectors/bootloaders/${p}`, import.meta.url));

async function signer(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [bin, ...args], { cwd: root, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

let sim: ChildProcess | undefined;
let boardLog = '';

async function simulate(protocol: string, key: string): Promise<string> {
  boardLog = '';
  sim = spawn('node', [bin, 'simulate', 'board', '--protocol', protocol, '--key', key, '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  sim.stderr?.on('data', (d: Buffer) => (boardLog += d.toString()));
  return new Promise<string>((resolve, reject) => {
    let out = '';
    sim?.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: string }).port);
    });
    sim?.once('exit', (c) => reject(new Error(`simulate board exited ${c}: ${boardLog}`)));
  });
}

afterEach(async () => {
  if (sim && sim.exitCode === null) {
    const exited = new Promise((r) => sim?.once('exit', r));
    sim.kill('SIGINT');
    await exited;
  }
  sim = undefined;
});

describe('signer flash / signer simulate board with the STM32 and ESP boot loaders (processes)', () => {
  it('stm32: flashes an MCUboot-signed image; the board boots it', async () => {
    const key = vec('mcuboot/keys/root-ec-p256.pem');
    const port = await simulate('stm32', key);
    const r = await signer(['flash', '--protocol', 'stm32', '--port', port, '--address', '0x08000000', '--format', 'mcuboot', '--key', key, '--json', vec('mcuboot/images/ecdsa-p256.signed.bin')]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ protocol: 'stm32', verified: true, booted: true, bytes: 4278, board: { chip: 'STM32F10xxx Medium-density' } });
    await expect.poll(() => boardLog, { timeout: 10_000 }).toMatch(/booted image at 0x8000000/);
  });

  it('esp: flashes a Secure Boot V2 image; the board boots it', async () => {
    const key = vec('esp32-sbv2/esptool-fixtures/ecdsa256_secure_boot_signing_pubkey.pem');
    const port = await simulate('esp', key);
    const r = await signer(['flash', '--protocol', 'esp', '--port', port, '--address', '0x10000', '--format', 'esp32-sbv2', '--key', key, '--json', vec('esp32-sbv2/generated/payload-4096.sbv2-ecdsa256.bin')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ protocol: 'esp', verified: true, booted: true, bytes: 8192, board: { chip: 'ESP32' } });
    await expect.poll(() => boardLog, { timeout: 10_000 }).toMatch(/booted image at 0x10000/);
  });
});
