/**
 * `signer simulate board --protocol stm32|esp` in one process, `signer flash --protocol stm32|esp` in
 * another, as a user runs them.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runSigner, simulatedBoardPort, spawnSigner, type SignerProcess } from './support/cli-process.js';

const vec = (p: string) => fileURLToPath(new URL(`./vectors/bootloaders/${p}`, import.meta.url));
const signer = (args: string[]) => runSigner(args, { from: 'bin' });

let sim: SignerProcess | undefined;
const boardLog = () => sim?.err() ?? '';

async function simulate(protocol: string, key: string): Promise<string> {
  sim = spawnSigner(['simulate', 'board', '--protocol', protocol, '--key', key, '--json'], { from: 'bin' });
  return sim.waitFor(simulatedBoardPort, 'the board printed its port');
}

afterEach(async () => {
  await sim?.stop();
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
    await expect.poll(boardLog, { timeout: 10_000 }).toMatch(/booted image at 0x8000000/);
  });

  it('esp: flashes a Secure Boot V2 image; the board boots it', async () => {
    const key = vec('esp32-sbv2/esptool-fixtures/ecdsa256_secure_boot_signing_pubkey.pem');
    const port = await simulate('esp', key);
    const r = await signer(['flash', '--protocol', 'esp', '--port', port, '--address', '0x10000', '--format', 'esp32-sbv2', '--key', key, '--json', vec('esp32-sbv2/generated/payload-4096.sbv2-ecdsa256.bin')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ protocol: 'esp', verified: true, booted: true, bytes: 8192, board: { chip: 'ESP32' } });
    await expect.poll(boardLog, { timeout: 10_000 }).toMatch(/booted image at 0x10000/);
  });
});
