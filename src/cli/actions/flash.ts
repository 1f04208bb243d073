/** Actions of `signer flash` and `signer simulate board` (definitions in commands/flash.ts). */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { FORMATS, type FormatId } from '../../../firmware-verifier/index.js';
import { FlashUsageError, runFlash } from '../../flash/flash-run.js';
import type { ProtocolName } from '../../flash/protocol.types.js';
import { readInput, UsageError, type CliIo } from '../io.js';
import { Progress } from '../progress.js';
import { buildOptions, buildTrust, type VerifyOptions } from './verify.js';

export interface FlashCliOptions extends VerifyOptions {
  list?: boolean;
  port?: string;
  baud: number;
  protocol: ProtocolName;
  slot?: number;
  address?: number;
  confirm?: boolean;
  chip?: string;
  force?: boolean;
  verify: boolean;
  boot: boolean;
  timeout?: number;
  retries?: number;
  verbose?: boolean;
}

export async function runFlashAction(io: CliIo, imagePath: string | undefined, o: FlashCliOptions): Promise<number> {
  let check;
  let image: Uint8Array | undefined;
  if (!o.list) {
    if (imagePath === undefined) throw new UsageError('an IMAGE is required (or --list)');
    if (o.format !== undefined && !FORMATS.includes(o.format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    if (o.format === undefined && !o.force) throw new UsageError('name the trust to check the image with (--format and --key/--cert, as for signer verify), or --force');
    image = await readInput(io, imagePath, 'IMAGE');
    if (o.format !== undefined) {
      const format: FormatId = o.format;
      check = { format, trust: await buildTrust(io, o), options: await buildOptions(io, format, o, undefined) };
    }
  }
  try {
    return await runFlash(
      { stdout: io.stdout, stderr: io.stderr, progress: new Progress({ io, label: 'signer flash' }) },
      {
        list: Boolean(o.list),
        ...(image ? { image } : {}),
        ...(o.port === undefined ? {} : { port: o.port }),
        baud: o.baud,
        protocol: o.protocol,
        ...(o.slot === undefined ? {} : { slot: o.slot }),
        ...(o.address === undefined ? {} : { address: o.address }),
        ...(check ? { check } : {}),
        force: Boolean(o.force),
        confirm: Boolean(o.confirm),
        noVerify: o.verify === false,
        noBoot: o.boot === false,
        ...(o.chip === undefined ? {} : { chip: o.chip }),
        ...(o.timeout === undefined ? {} : { timeoutMs: o.timeout }),
        ...(o.retries === undefined ? {} : { retries: o.retries }),
        json: Boolean(o.json),
        verbose: Boolean(o.verbose),
      },
    );
  } catch (e) {
    if (e instanceof FlashUsageError) throw new UsageError(e.message);
    throw e;
  }
}

export interface SimulateBoardOptions {
  protocol: string;
  baud: number;
  key?: string[];
  root?: string[];
  slotSize?: number;
  factoryImage?: string;
  json?: boolean;
}

/** Any PEM key or certificate → SPKI DER. */
function spki(pem: string, path: string): Uint8Array {
  try {
    const key = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
    return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
  } catch {
    throw new UsageError(`${path}: not a PEM key or certificate`);
  }
}

export async function runSimulateBoardAction(io: CliIo, o: SimulateBoardOptions, untilStopped?: Promise<void>): Promise<number> {
  const text = async (p: string, what: string) => new TextDecoder().decode(await readInput(io, p, what));
  const publicKeys = await Promise.all((o.key ?? []).map(async (p) => spki(await text(p, '--key'), p)));
  const roots = await Promise.all((o.root ?? []).map((p) => text(p, '--root')));
  const board: Record<string, unknown> = { ...(o.slotSize === undefined ? {} : { slotSize: o.slotSize }) };
  if (o.factoryImage !== undefined) board.primaryImage = await readInput(io, o.factoryImage, '--factory-image');
  const { runBoard } = await import('../../../simulator/boards/run-board.js');
  let running;
  try {
    running = await runBoard({ protocol: o.protocol, baudRate: o.baud, trust: { publicKeys, roots }, board, log: (l) => io.stderr(`board: ${l}\n`) });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  if (o.json) io.stdout(`${JSON.stringify({ protocol: o.protocol, port: running.hostPath, device: running.hostDevice, baudRate: o.baud })}\n`);
  else io.stdout(`simulated ${o.protocol} board on ${running.hostPath} (${running.hostDevice}), ${o.baud} baud\n  signer flash --protocol ${o.protocol} --port ${running.hostPath} --baud ${o.baud} …\n`);
  await (untilStopped ?? new Promise<void>((resolve) => (process.once('SIGINT', () => resolve()), process.once('SIGTERM', () => resolve()))));
  await running.close();
  return 0;
}
