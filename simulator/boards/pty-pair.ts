/**
 * A connected pair of pseudo-terminals made by Debian's `socat`: what the host writes to `hostPath`
 * the board reads on `boardPath` and back. A real tty on both ends, so the host tool, stm32flash and
 * serialport open it exactly as they open a USB-serial adapter.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** Symlink to the pty the host tool opens (`signer flash --port`). */
  hostPath: string;
  /** Symlink to the pty the simulated board opens. */
  boardPath: string;
  /** The real /dev/pts/N behind each link. */
  hostDevice: string;
  boardDevice: string;
  close(): Promise<void>;
}

export class PtyPairError extends Error {
  override readonly name = 'PtyPairError';
}

/** Starts socat and resolves once both ptys exist and socat is relaying. */
export async function openPtyPair(opts: { socat?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'sim-pty-'));
  const hostPath = join(dir, 'host');
  const boardPath = join(dir, 'board');
  let child: ChildProcess;
  try {
    child = spawn(opts.socat ?? 'socat', ['-d', '-d', `pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${boardPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw new PtyPairError(`cannot start socat (apt-get install socat): ${(e as Error).message}`);
  }
  const devices: string[] = [];
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  try {
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new PtyPairError(`socat did not start within ${opts.timeoutMs ?? 10_000} ms: ${log}`)), opts.timeoutMs ?? 10_000);
      child.once('error', (e) => (clearTimeout(timer), reject(new PtyPairError(`cannot start socat (apt-get install socat): ${e.message}`))));
      child.once('exit', (code) => (clearTimeout(timer), reject(new PtyPairError(`socat exited (${code}): ${log}`))));
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (s: string) => {
        log += s;
        for (const m of s.matchAll(/PTY is (\S+)/g)) devices.push(m[1] as string);
        if (/starting data transfer loop/.test(log)) (clearTimeout(timer), resolve());
      });
    });
  } catch (e) {
    child.kill();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  // Keep draining socat's log so it never blocks on a full pipe.
  child.stderr?.resume();
  return {
    hostPath,
    boardPath,
    hostDevice: devices[0] ?? hostPath,
    boardDevice: devices[1] ?? boardPath,
    async close() {
      if (!exited) {
        child.kill('SIGTERM');
        await exitedPromise;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
