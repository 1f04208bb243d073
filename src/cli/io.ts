/**
 * What every `signer` command needs from its surroundings, and the exit-code contract:
 * 0 success, 1 failure (the work was tried and did not succeed), 2 usage (bad command line or input files).
 */
import { readFile } from 'node:fs/promises';

export const EXIT = Object.freeze({ OK: 0, FAILURE: 1, USAGE: 2 });

export interface CliIo {
  stdout(s: string): void;
  stderr(s: string): void;
  readFile(path: string): Promise<Uint8Array>;
  /** Environment seen by the command (NO_COLOR, AWS_* for --endpoint, SIGNER_*). */
  env: Record<string, string | undefined>;
  /** Whether stdout / stderr are terminals (tables, colours and redrawn progress only there). */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
}

/** The real process: stdout, stderr, files, environment. */
export function processIo(): CliIo {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    readFile: async (p) => new Uint8Array(await readFile(p)),
    env: process.env,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
  };
}

/** A bad command line or unusable input (missing file, unknown format): exit 2, message plus a hint to `--help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The work failed for a reason the user can act on (server not running, job failed): exit 1, message only. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
}

/** Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(io: CliIo, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  const tty = stream === 'stdout' ? io.stdoutIsTTY : io.stderrIsTTY;
  return tty && (io.env.NO_COLOR === undefined || io.env.NO_COLOR === '') && io.env.TERM !== 'dumb';
}

/** Reads a file the user named; a missing or unreadable one is a usage error naming the option. */
export async function readInput(io: CliIo, path: string, what: string): Promise<Uint8Array> {
  try {
    return await io.readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw e;
    if (code === 'ENOENT') throw new UsageError(`${what}: ${path} does not exist`);
    if (code === 'EISDIR') throw new UsageError(`${what}: ${path} is a folder, not a file`);
    if (code === 'EACCES') throw new UsageError(`${what}: ${path} is not readable (permission denied)`);
    throw new UsageError(`${what}: cannot read ${path}: ${(e as Error).message}`);
  }
}
