/**
 * The `signer` command as a user runs it: a child process of the shipped bin (`bin/signer.js` → `dist/`,
 * what `npm ci` builds) or of the TypeScript sources through tsx. One place for running it to completion
 * and for long-running ones (`simulate board`, `simulate device`) that print a line when they are ready.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/signer.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliOptions {
  /** `bin`: the shipped command; `source` (default): the TypeScript sources through tsx. */
  from?: 'bin' | 'source';
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const argvFor = (args: readonly string[], from: CliOptions['from']) => (from === 'bin' ? [BIN, ...args] : ['--import', 'tsx', MAIN, ...args]);

/** Runs `signer ARGS` to completion; a non-zero exit is a result, not an error. */
export async function runSigner(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  try {
    const r = await run(process.execPath, argvFor(args, opts.from), { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

/** A `signer` process left running: its output so far, its exit, a wait for a line, and a stop. */
export interface SignerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  out(): string;
  err(): string;
  /** Resolves with what `pick` finds in stdout once it finds something; rejects if the process exits first. */
  waitFor<T>(pick: (stdout: string) => T | undefined, what: string): Promise<T>;
  /** SIGINT (a user's Ctrl-C), then waits for the exit. */
  stop(): Promise<void>;
}

export function spawnSigner(args: readonly string[], opts: CliOptions = {}): SignerProcess {
  const child = spawn(process.execPath, argvFor(args, opts.from), { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    exited,
    out: () => out,
    err: () => err,
    waitFor: <T>(pick: (stdout: string) => T | undefined, what: string) =>
      new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = pick(out);
          if (found !== undefined) {
            child.stdout!.off('data', check);
            resolve(found);
          }
        };
        child.stdout!.on('data', check);
        check();
        void exited.then((code) => reject(new Error(`signer ${args.join(' ')} exited (${code}) before ${what}:\n${out}\n${err}`)));
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        await exited;
      }
    },
  };
}

/** For `waitFor`: the pty path a `signer simulate board --json` process announces in its first JSON line. */
export function simulatedBoardPort(stdout: string): string | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as { port: string }).port : undefined;
}
