/**
 * THE way tests find the outside programs they drive (the AWS CLI, SoftHSM2, OpenSC, openssl):
 * on PATH, never at a hard-coded path. A test that cannot run without a tool asks `needTool`:
 * - the tool is there: its absolute path;
 * - it is missing and CI=true: an error, so the run FAILS (CI installs every tool in .ci/run);
 * - it is missing elsewhere: undefined, and the reason goes into the run's summary of skipped
 *   backends (printed by test/support/skip-summary.ts at the end of `npm test`).
 */
import { accessSync, constants, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { inject } from 'vitest';

/** Every executable called `name` on PATH, in PATH order, one per real file (symlinks and /bin vs /usr/bin folded). */
export function findToolsOnPath(name: string): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      const real = realpathSync(candidate);
      if (seen.has(real)) continue;
      seen.add(real);
      found.push(candidate);
    } catch {
      // not in this directory
    }
  }
  return found;
}

/** The first executable called `name` on PATH, or undefined. */
export function findTool(name: string): string | undefined {
  return findToolsOnPath(name)[0];
}

/** True when this run is CI (`.ci/run` exports CI=true): nothing it installs may be skipped. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Records that `backend` is skipped because of `reason`, for the end-of-run summary; under CI
 * throws instead, which fails the test file (and so the run).
 */
export function skipBackend(backend: string, reason: string): void {
  const line = `${backend} (${reason})`;
  if (IN_CI) throw new Error(`CI=true but ${line}: .ci/run must install it; nothing CI is meant to run may be skipped`);
  let dir: string | undefined;
  try {
    dir = inject('skipDir');
  } catch {
    dir = undefined; // run outside the project's vitest config: no summary to add to
  }
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${backend.replace(/[^A-Za-z0-9._-]/g, '_')}.txt`), `${line}\n`);
  }
  console.warn(`skipped: ${line}`);
}

/**
 * The path of `tool` on PATH for `backend` (a name for the summary, e.g. 'PKCS#11 (SoftHSM2)'),
 * or undefined after recording the skip (and failing under CI; see the file comment).
 */
export function needTool(backend: string, tool: string): string | undefined {
  const path = findTool(tool);
  if (path === undefined) skipBackend(backend, `${tool} not on PATH`);
  return path;
}

/**
 * SoftHSM2's PKCS#11 module, located from `softhsm2-util` on PATH: the Debian/Ubuntu and
 * /usr/local layouts next to the tool's prefix. Undefined (recorded as a skip) when either is missing.
 */
export function findSoftHsm(backend = 'PKCS#11 (SoftHSM2)'): { util: string; library: string } | undefined {
  const util = needTool(backend, 'softhsm2-util');
  if (util === undefined) return undefined;
  const prefix = join(realpathSync(util), '..', '..');
  const candidates = [
    process.env.SOFTHSM2_LIBRARY,
    join(prefix, 'lib', 'softhsm', 'libsofthsm2.so'),
    join(prefix, 'lib', `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, 'softhsm', 'libsofthsm2.so'),
    join(prefix, 'lib64', 'softhsm', 'libsofthsm2.so'),
  ].filter((x): x is string => x !== undefined);
  for (const library of candidates) {
    try {
      accessSync(library, constants.R_OK);
      return { util, library };
    } catch {
      // try the next layout
    }
  }
  skipBackend(backend, `softhsm2-util is on PATH but libsofthsm2.so is in none of ${candidates.join(', ')} (set SOFTHSM2_LIBRARY)`);
  return undefined;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder where skipped backends are recorded for the end-of-run summary (test/support/skip-summary.ts). */
    skipDir: string;
  }
}
