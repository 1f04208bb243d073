/** The command tree itself: help on every command, exit codes, --version, environment listed, formats in sync. */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_VARIABLES } from '../config/index.js';
import { FORMATS } from '../../firmware-verifier/index.js';
import { ENVIRONMENT } from './help.js';
import { buildProgram, runCli } from './program.js';
import { VERIFY_FORMATS } from './commands/verify.js';
import type { CliIo } from './io.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

/** Every visible command path: [['serve'], ['certificates'], ['certificates', 'import'], …]. */
function commandPaths(): string[][] {
  const io: CliIo = { stdout: () => undefined, stderr: () => undefined, readFile: async () => new Uint8Array(), env: {}, stdoutIsTTY: false, stderrIsTTY: false };
  const program = buildProgram(io, { io, run: async () => undefined });
  const out: string[][] = [];
  const walk = (c: Command, path: string[]) => {
    for (const sub of c.commands) {
      if ((sub as unknown as { _hidden?: boolean })._hidden || sub.name() === 'help') continue;
      out.push([...path, sub.name()]);
      walk(sub, [...path, sub.name()]);
    }
  };
  walk(program, []);
  return out;
}

describe('signer command line', () => {
  it('top-level help lists every command and every environment variable the configuration reads', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const c of ['serve', 'sign', 'verify', 'platforms', 'certificates', 'accounts', 'keys', 'audit']) expect(r.out).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    for (const name of [...ENVIRONMENT_VARIABLES, 'SIGNER_CONFIG', 'NO_COLOR']) expect(r.out).toContain(name);
    expect(ENVIRONMENT.map(([n]) => n).sort()).toEqual([...ENVIRONMENT_VARIABLES, 'SIGNER_CONFIG', 'NO_COLOR'].sort());
    expect(r.out).toMatch(/Exit status: 0 success, 1 failure, 2 usage/);
    expect((await cli()).code).toBe(2); // no command: help on stderr, usage error
  });

  it('every command and sub-command has -h/--help with usage, options, environment and an example', async () => {
    const paths = commandPaths();
    expect(paths.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining(['serve', 'sign', 'verify', 'certificates import', 'certificates issue', 'accounts list', 'keys list', 'keys create', 'keys deactivate', 'keys delete', 'audit']),
    );
    for (const path of paths) {
      for (const flag of ['--help', '-h']) {
        const r = await cli(...path, flag);
        expect(r.code, `${path.join(' ')} ${flag}`).toBe(0);
        expect(r.out, path.join(' ')).toMatch(new RegExp(`^Usage: signer ${path.join(' ')}\\b`));
        expect(r.out, path.join(' ')).toMatch(/^Environment:$/m);
        expect(r.out, path.join(' ')).toMatch(/^Examples?:\n  \$ signer /m);
        expect(r.out).toMatch(/-h, --help/);
      }
    }
  });

  it('--version prints the package version', async () => {
    const r = await cli('--version');
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('unknown options, unknown commands, missing arguments and options are usage errors: exit 2 and a pointer to --help', async () => {
    for (const argv of [
      ['sign', '--profile', 'fw', 'f.bin', '--bogus'],
      ['sign', 'f.bin'],
      ['sign', '--profile', 'fw'],
      ['certificates', 'import', '--certificate', 'c.pem'],
      ['keys', 'deactivate'],
      ['accounts', 'create'],
      ['platforms', 'extra'],
      ['frobnicate'],
      ['certificates'],
      ['serve', '--port', 'eighty'],
      ['verify', '--format', 'uf2', 'x.bin'],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.out, argv.join(' ')).toBe('');
      if (argv[0] !== 'certificates' || argv.length > 1) expect(r.err, argv.join(' ')).toMatch(/run 'signer .*--help' for usage|Usage: signer/);
    }
    expect((await cli('sign', '--profile', 'fw', 'f.bin', '--bogus')).err).toMatch(/^signer sign: unknown option '--bogus'/);
  });

  it('a missing input file is a clear usage error, not a raw ENOENT', async () => {
    const r = await cli('verify', '--format', 'mcuboot', '/nonexistent/image.bin');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^signer verify: IMAGE: \/nonexistent\/image.bin does not exist/);
    expect(r.err).not.toMatch(/ENOENT/);
    const s = await cli('sign', '--profile', 'fw', '/nonexistent/fw.bin', '--data-dir', '/nonexistent/data');
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/the file to sign, \/nonexistent\/fw.bin, does not exist/);
  });

  it("verify's format list is firmware-verifier's", () => {
    expect([...VERIFY_FORMATS].sort()).toEqual([...FORMATS].sort());
  });

  it('a data folder without a server: the message names the missing file, the command to start it and --data-dir', async () => {
    const r = await cli('platforms', '--data-dir', '/nonexistent/data');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no server found for data folder \/nonexistent\/data: \/nonexistent\/data\/endpoints.json is missing/);
    expect(r.err).toMatch(/npm start/);
    expect(r.err).toMatch(/--data-dir/);
  });
});
