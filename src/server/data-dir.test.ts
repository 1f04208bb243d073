import { chmodSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../log/index.js';
import { secureDataDir } from './data-dir.js';

function recordingLogger(): { logger: Logger; warnings: { msg: string; fields?: Record<string, unknown> }[] } {
  const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
  const noop = () => undefined;
  const logger: Logger = { debug: noop, info: noop, error: noop, warn: (msg, fields) => void warnings.push({ msg, fields }) };
  return { logger, warnings };
}
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('secureDataDir', () => {
  it('re-chmods an existing tree to 0700/0600, creates the database 0600, leaves symbolic link targets alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'data-dir-'));
    const outside = mkdtempSync(join(tmpdir(), 'outside-'));
    writeFileSync(join(outside, 'shared.txt'), 'x');
    chmodSync(join(outside, 'shared.txt'), 0o644);
    mkdirSync(join(dir, 'objects', 'b', 'keys'), { recursive: true });
    writeFileSync(join(dir, 'objects', 'b', 'keys', 'k'), 'v');
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'objects', 'b'), 0o755);
    chmodSync(join(dir, 'objects', 'b', 'keys', 'k'), 0o644);
    symlinkSync(join(outside, 'shared.txt'), join(dir, 'link'));
    const { logger, warnings } = recordingLogger();
    expect(secureDataDir(dir, { databaseFile: join(dir, 'state.db'), logger })).toEqual([]);
    expect([mode(dir), mode(join(dir, 'objects', 'b')), mode(join(dir, 'objects', 'b', 'keys', 'k')), mode(join(dir, 'state.db'))]).toEqual(['700', '700', '600', '600']);
    expect(mode(join(outside, 'shared.txt'))).toBe('644');
    expect(warnings).toEqual([]);
  });

  it('names every path it could not fix in one warning', () => {
    // /proc entries refuse chmod even to root: a stand-in for a path owned by someone else or on a read-only mount.
    const { logger, warnings } = recordingLogger();
    const failed = secureDataDir('/proc/self/fdinfo', { logger });
    expect(failed).toContain('/proc/self/fdinfo');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/could not restrict permissions/);
    expect(warnings[0]!.fields?.paths).toEqual(failed);
  });
});
