/**
 * vitest globalSetup: gives test files a folder to record skipped backends in (see tools.ts) and
 * prints them at the end of the run, so a run without SoftHSM or the AWS CLI says what it did not
 * test. Under CI=true a recorded skip fails the run here too (tools.ts already fails the file).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'vitest-skips-'));
  project.provide('skipDir', dir);
  return () => {
    const lines = readdirSync(dir)
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8').trim());
    rmSync(dir, { recursive: true, force: true });
    if (lines.length === 0) return;
    process.stdout.write(`\nSkipped backends (their tests did not run):\n${lines.map((l) => `  skipped: ${l}\n`).join('')}`);
    if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`CI=true and ${lines.length} backend(s) were skipped`);
  };
}
