/** The progress display off a terminal (plain periodic lines) and the table/colour rules. */
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { printTable } from './output.js';
import { formatBytes, Progress } from './progress.js';

function io(over: Partial<CliIo> = {}): CliIo & { out: string; err: string } {
  const o = {
    out: '',
    err: '',
    stdout: (s: string) => void (o.out += s),
    stderr: (s: string) => void (o.err += s),
    readFile: async () => new Uint8Array(),
    env: {},
    stdoutIsTTY: false,
    stderrIsTTY: false,
    ...over,
  };
  return o;
}

describe('Progress (stderr not a terminal)', () => {
  it('prints each phase start, a status line per interval with throughput and ETA, and a summary; never goes back', () => {
    let now = 0;
    const o = io();
    const p = new Progress({ io: o, label: 'signer sign', intervalMs: 2000, now: () => now });
    p.phase('upload', 10 * 1024 * 1024);
    for (let t = 1; t <= 10; t++) {
      now = t * 500;
      p.update(t * 512 * 1024);
    }
    p.phase('signing', undefined, 'profile fw');
    now = 9000;
    p.update(0, 'job 1234 InProgress');
    now = 9500;
    p.phase('download', 2048);
    p.update(2048);
    p.finish('signed by job 1234');
    const lines = o.err.trimEnd().split('\n');
    expect(lines).toEqual([
      'signer sign: upload started (10.0 MiB)',
      'signer sign: upload 20% 2.0 MiB/10.0 MiB 1.0 MiB/s ETA 8.0 s',
      'signer sign: upload 40% 4.0 MiB/10.0 MiB 1.0 MiB/s ETA 6.0 s',
      'signer sign: upload done in 5.0 s 5.0 MiB at 1.0 MiB/s',
      'signer sign: signing started — profile fw',
      'signer sign: signing: 4.0 s — job 1234 InProgress',
      'signer sign: signing done in 4.5 s',
      'signer sign: download started (2.0 KiB)',
      'signer sign: download done in 0.0 s 2.0 KiB',
      'signed by job 1234',
    ]);
    expect(o.out).toBe('');
  });

  it('formats sizes', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(3 * 1024 * 1024), formatBytes(3 * 1024 ** 3)]).toEqual(['512 B', '1.5 KiB', '3.0 MiB', '3.00 GiB']);
  });
});

describe('tables and NO_COLOR', () => {
  const cols = [{ header: 'ID', value: (r: { id: string; n: number }) => r.id }, { header: 'N', value: (r: { id: string; n: number }) => r.n }];
  const rows = [{ id: 'a-long-id', n: 1 }, { id: 'b', n: 22 }];
  it('aligns columns; bold header only on a colour terminal without NO_COLOR', () => {
    const plain = io();
    printTable(plain, cols, rows);
    expect(plain.out).toBe('ID         N\na-long-id  1\nb          22\n');
    const tty = io({ stdoutIsTTY: true });
    printTable(tty, cols, rows);
    expect(tty.out).toContain('\u001b[1m');
    const noColor = io({ stdoutIsTTY: true, env: { NO_COLOR: '1' } });
    printTable(noColor, cols, rows);
    expect(noColor.out).toBe(plain.out);
  });
  it('an empty table says so', () => {
    const o = io();
    printTable(o, cols, []);
    expect(o.out).toBe('(none)\n');
  });
});
