/**
 * `signer flash` as a runnable function with typed options (the CLI command is a thin wrapper):
 * `--list` prints the serial ports with USB IDs; otherwise the image is checked, written with a
 * progress display, verified and booted. Exit codes: 0 flashed (and booted when asked),
 * 1 FlashError (message says what to do next), 2 usage.
 */
import { FlashError } from './flash-error.js';
import { flashImage, type FlashResult } from './flash-command.js';
import { listPorts } from './port-list.js';
import type { ImageCheckSpec } from './image-check.js';
import type { ProtocolName } from './protocol.types.js';

/** The progress display the CLI supplies (src/cli/progress.ts `Progress` has this shape). */
export interface ProgressSink {
  phase(name: string, total?: number, note?: string): void;
  update(done: number, note?: string): void;
  finish(message?: string): void;
  abort(): void;
}

export interface FlashRunIo {
  stdout(s: string): void;
  stderr(s: string): void;
  progress: ProgressSink;
}

export interface FlashRunOptions {
  list?: boolean;
  image?: Uint8Array;
  imagePath?: string;
  port?: string;
  baud: number;
  protocol: ProtocolName;
  slot?: number;
  address?: number;
  check?: ImageCheckSpec;
  force?: boolean;
  confirm?: boolean;
  noVerify?: boolean;
  noBoot?: boolean;
  chip?: string;
  timeoutMs?: number;
  retries?: number;
  json?: boolean;
  verbose?: boolean;
}

export class FlashUsageError extends Error {
  override readonly name = 'FlashUsageError';
}

export async function runFlash(io: FlashRunIo, o: FlashRunOptions): Promise<number> {
  if (o.list) {
    const ports = await listPorts();
    if (o.json) io.stdout(`${JSON.stringify(ports, null, 2)}\n`);
    else if (ports.length === 0) io.stdout('no serial ports found\n');
    else for (const p of ports) io.stdout(`${p.path}\t${p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : '-'}\t${p.manufacturer ?? ''}${p.serialNumber ? ` (${p.serialNumber})` : ''}\n`);
    return 0;
  }
  if (!o.port) throw new FlashUsageError('--port is required (see `signer flash --list`)');
  if (!o.image) throw new FlashUsageError('an IMAGE file is required');
  if (!Number.isInteger(o.baud) || o.baud <= 0) throw new FlashUsageError('--baud must be a positive integer');
  const target = { ...(o.slot === undefined ? {} : { slot: o.slot }), ...(o.address === undefined ? {} : { address: o.address }) };
  let phase = '';
  try {
    const result = await flashImage({
      port: o.port,
      baudRate: o.baud,
      protocol: o.protocol,
      image: o.image,
      target,
      ...(o.check ? { check: o.check } : {}),
      force: Boolean(o.force),
      noVerify: Boolean(o.noVerify),
      noBoot: Boolean(o.noBoot),
      connect: {
        ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
        ...(o.retries === undefined ? {} : { retries: o.retries }),
        ...(o.chip === undefined ? {} : { expectChip: o.chip }),
        confirm: Boolean(o.confirm),
        ...(o.verbose ? { log: (l: string) => io.stderr(`${l}\n`) } : {}),
      },
      onPhase: (p, detail) => {
        phase = p;
        if (p === 'check' && !o.check) io.stderr('signer flash: WARNING: no trust given, the image is written unchecked (--force)\n');
        io.progress.phase(p, p === 'write' ? o.image?.length : undefined, detail);
      },
      onProgress: (done) => io.progress.update(done),
    });
    io.progress.finish();
    if (result.imageCheck && !result.imageCheck.ok) io.stderr(`signer flash: WARNING: written despite a failed check (${result.imageCheck.reason}) because of --force\n`);
    if (o.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else io.stdout(summary(result));
    return 0;
  } catch (e) {
    io.progress.abort();
    if (!(e instanceof FlashError)) throw e;
    if (o.json) io.stdout(`${JSON.stringify({ error: e.toJSON(), phase }, null, 2)}\n`);
    io.stderr(`signer flash: ${e.code}: ${e.message}\n`);
    return 1;
  }
}

function summary(r: FlashResult): string {
  const check = r.imageCheck?.ok ? ` ${r.imageCheck.info.format} ${r.imageCheck.info.version ?? ''} digest ${r.imageCheck.info.digest.slice(0, 16)}…` : '';
  return (
    `flashed ${r.bytes} bytes to ${r.board.chip} on ${r.port} (${r.protocol}) in ${r.writeSeconds.toFixed(1)} s, ${(r.bytesPerSecond / 1024).toFixed(1)} KiB/s;${check}\n` +
    `verified: ${r.verified ? 'yes' : 'skipped'}; booted: ${r.booted ? 'yes' : 'no (--no-boot)'}\n`
  );
}
