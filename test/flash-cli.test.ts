/**
 * The commands as a user runs them: `signer simulate board` in one process prints a pty path,
 * `signer flash` in another flashes it; exit codes and --json as documented in docs/serial.md.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSigner, simulatedBoardPort, spawnSigner, type SignerProcess } from './support/cli-process.js';

const vec = (p: string) => fileURLToPath(new URL(`./vectors/bootloaders/mcuboot/${p}`, import.meta.url));
const signer = (args: string[]) => runSigner(args, { from: 'bin' });

let sim: SignerProcess;
let port = '';
const boardLog = () => sim.err();

beforeAll(async () => {
  sim = spawnSigner(['simulate', 'board', '--protocol', 'smp', '--key', vec('keys/root-ec-p256.pem'), '--baud', '230400', '--json'], { from: 'bin' });
  port = await sim.waitFor(simulatedBoardPort, 'the board printed its port');
});

afterAll(async () => sim?.stop());

describe('signer flash / signer simulate board (processes)', () => {
  it('flashes a signed image; the board log shows the boot loader checked and booted it', async () => {
    const r = await signer(['flash', '--port', port, '--baud', '230400', '--format', 'mcuboot', '--key', vec('keys/root-ec-p256.pem'), '--json', vec('images/ecdsa-p256.signed.bin')]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { verified: boolean; booted: boolean; bytes: number };
    expect(result).toMatchObject({ verified: true, booted: true, bytes: 4278 });
    expect(r.stderr).toMatch(/signer flash: write\b/);
    expect(boardLog()).toMatch(/swapped in for a test run/);
  });

  it('refuses an image the trust does not accept: exit 1 with the reason; no trust at all: exit 2', async () => {
    const bad = await signer(['flash', '--port', port, '--format', 'mcuboot', '--key', vec('keys/bad-ec-p256.pem'), vec('images/ecdsa-p256.signed.bin')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/InvalidImage: .*KeyHashMismatch.*--force/);
    const none = await signer(['flash', '--port', port, vec('images/ecdsa-p256.signed.bin')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--format and --key/);
  });

  it('--list --json prints an array of ports', async () => {
    const r = await signer(['flash', '--list', '--json']);
    expect(r.code).toBe(0);
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
  });
});

describe('signer flash in-process (runCli)', () => {
  const cli = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const { runCli } = await import('../src/cli/program.js');
    const code = await runCli(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
    return { code, out, err };
  };

  it('usage errors exit 2 and say what is missing', async () => {
    expect(await cli('flash', '--port', '/dev/x')).toMatchObject({ code: 2, err: expect.stringMatching(/IMAGE is required/) });
    expect(await cli('flash', '--port', '/dev/x', vec('images/ecdsa-p256.signed.bin'))).toMatchObject({ code: 2, err: expect.stringMatching(/--format and --key/) });
    expect(await cli('flash', '--force', vec('images/ecdsa-p256.signed.bin'))).toMatchObject({ code: 2, err: expect.stringMatching(/--port is required/) });
    expect(await cli('flash', '--protocol', 'xmodem', '--force', vec('images/ecdsa-p256.signed.bin'))).toMatchObject({ code: 2 });
    expect(await cli('flash', '--port', '/dev/x', '--force', vec('images/missing.bin'))).toMatchObject({ code: 2, err: expect.stringMatching(/does not exist/) });
  });

  it('a FlashError exits 1 with its code; --json puts it on stdout', async () => {
    const r = await cli('flash', '--port', '/dev/no-such-serial', '--format', 'mcuboot', '--key', vec('keys/root-ec-p256.pem'), '--json', vec('images/ecdsa-p256.signed.bin'));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ error: { code: 'NoSuchPort' }, phase: 'connect' });
    expect(r.err).toMatch(/NoSuchPort: no serial port \/dev\/no-such-serial/);
  });
});
