/**
 * The one progress display for long CLI work (`signer sign` and the commands after it).
 *
 * Work is a sequence of named phases (upload, signing, download, …). A phase with a known total shows
 * bytes done, throughput and ETA; one without (waiting on a job) shows elapsed time.
 * - stderr is a terminal: one line redrawn by `cli-progress`, at most `fps` times a second;
 * - otherwise (pipes, CI logs): plain lines — the start of each phase, a status line every
 *   `intervalMs`, and a summary when the phase ends — so progress is visible without a terminal.
 * Nothing is printed on stdout: results stay machine-readable.
 */
import cliProgress from 'cli-progress';
import type { CliIo } from './io.js';

export interface ProgressOptions {
  io: CliIo;
  /** Prefix of plain lines, e.g. "signer sign". */
  label: string;
  /** Plain-line period when stderr is not a terminal (default 2000 ms). */
  intervalMs?: number;
  /** Redraws per second on a terminal (default 8). */
  fps?: number;
  /** Clock (tests). */
  now?: () => number;
}

const MiB = 1024 * 1024;

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < MiB) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * MiB) return `${(n / MiB).toFixed(1)} MiB`;
  return `${(n / (1024 * MiB)).toFixed(2)} GiB`;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

interface PhaseState {
  name: string;
  total?: number;
  done: number;
  note: string;
  startedAt: number;
}

export class Progress {
  private readonly io: CliIo;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private bar: cliProgress.SingleBar | undefined;
  private current: PhaseState | undefined;
  private lastLine = 0;

  constructor(private readonly opts: ProgressOptions) {
    this.io = opts.io;
    this.tty = opts.io.stderrIsTTY;
    this.now = opts.now ?? Date.now;
    this.intervalMs = opts.intervalMs ?? 2000;
  }

  /** Ends the current phase (with its summary) and starts `name`; `total` in bytes when known. */
  phase(name: string, total?: number, note = ''): void {
    this.endPhase();
    this.current = { name, ...(total === undefined ? {} : { total }), done: 0, note, startedAt: this.now() };
    if (this.tty) {
      this.bar = new cliProgress.SingleBar({
        stream: process.stderr,
        fps: this.opts.fps ?? 8,
        hideCursor: true,
        clearOnComplete: true,
        format: () => this.describe(),
      });
      this.bar.start(total ?? 1, 0);
    } else {
      this.io.stderr(`${this.opts.label}: ${name} started${total === undefined ? '' : ` (${formatBytes(total)})`}${note ? ` — ${note}` : ''}\n`);
      this.lastLine = this.now();
    }
  }

  /** Progress within the phase: bytes done (known total) and/or a note ("job 1a2b InProgress"). */
  update(done: number, note?: string): void {
    const p = this.current;
    if (!p) return;
    p.done = done;
    if (note !== undefined) p.note = note;
    if (this.tty) this.bar?.update(p.total === undefined ? 0 : Math.min(done, p.total));
    else if (this.now() - this.lastLine >= this.intervalMs) {
      this.io.stderr(`${this.opts.label}: ${this.describe()}\n`);
      this.lastLine = this.now();
    }
  }

  /** Ends the last phase and prints `message` (if any) on its own line. */
  finish(message?: string): void {
    this.endPhase();
    if (message) this.io.stderr(`${message}\n`);
  }

  /** Stops the display without a phase summary (an error message follows). */
  abort(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.current = undefined;
  }

  /** The status of the current phase, as shown on the bar or a plain line. */
  describe(): string {
    const p = this.current;
    if (!p) return '';
    const elapsed = (this.now() - p.startedAt) / 1000;
    if (p.total === undefined) return `${p.name}: ${formatSeconds(elapsed)}${p.note ? ` — ${p.note}` : ''}`;
    const ratio = p.total === 0 ? 1 : p.done / p.total;
    const rate = elapsed > 0 ? p.done / elapsed : 0;
    const eta = rate > 0 ? (p.total - p.done) / rate : Number.POSITIVE_INFINITY;
    const width = 24;
    const bar = this.tty ? ` [${'#'.repeat(Math.round(ratio * width))}${'.'.repeat(width - Math.round(ratio * width))}]` : '';
    return `${p.name}${bar} ${Math.floor(ratio * 100)}% ${formatBytes(p.done)}/${formatBytes(p.total)} ${formatBytes(Math.round(rate))}/s ETA ${formatSeconds(eta)}`;
  }

  private endPhase(): void {
    const p = this.current;
    if (!p) return;
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
    }
    const seconds = (this.now() - p.startedAt) / 1000;
    const what = p.total === undefined ? '' : ` ${formatBytes(p.done)}${seconds > 0 ? ` at ${formatBytes(Math.round(p.done / seconds))}/s` : ''}`;
    this.io.stderr(`${this.opts.label}: ${p.name} done in ${formatSeconds(seconds)}${what}\n`);
    this.current = undefined;
  }
}
