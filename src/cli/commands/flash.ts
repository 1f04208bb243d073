/**
 * `signer flash` and `signer simulate board`: thin wrappers; the work is in src/flash (flash-run.ts)
 * and simulator/boards (run-board.ts). Trust options are `signer verify`'s, built by its helpers.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { FormatId } from '../../../firmware-verifier/index.js';
import { FORMATS } from '../../../firmware-verifier/index.js';
import { FlashUsageError, runFlash, type ProgressSink } from '../../flash/flash-run.js';
import { PROTOCOL_NAMES } from '../../flash/protocols/registry.js';
import type { ProtocolName } from '../../flash/protocol.types.js';
import { buildOptions, buildTrust, OPTIONS as VERIFY_OPTIONS, UsageError, type Values, type VerifyIo } from './verify.js';

const FLASH_USAGE = `usage: signer flash --port PATH [--protocol smp|stm32|esp] [--baud N] [--slot N | --address A]
                    --format FORMAT --key PEM [trust options of signer verify] [--force] [--json] IMAGE
       signer flash --list [--json]
  --port PATH        serial port (signer flash --list shows them with USB vendor:product ids)
  --baud N           line rate, default 115200 (8N1; stm32 uses 8E1 on real UARTs)
  --protocol P       smp (MCUboot/MCUmgr, default), stm32 (AN3155), esp (Espressif ROM loader)
  --slot N           smp: image pair number (the upload goes to its secondary slot), default 0
  --address A        stm32/esp: flash address (0x… accepted)
  --confirm          smp: make the new image permanent (default: test run, reverts unless confirmed)
  --chip NAME        refuse a board that reports another chip
  --force            write even if the image fails the check (the board still checks it at boot)
  --no-verify        skip read-back / hash verification; --no-boot: do not reset/start the board
  --timeout MS       answer timeout per request (default 3000); --retries N (default 3)
  --verbose          log protocol retries and rewinds on stderr; --json: machine-readable result
Trust options (as signer verify): --format, --key, --cert, --root, --intermediate, --slot-size, --hash, …
`;

const FLASH_OPTIONS = {
  ...VERIFY_OPTIONS,
  list: { type: 'boolean' },
  port: { type: 'string' },
  baud: { type: 'string' },
  protocol: { type: 'string' },
  slot: { type: 'string' },
  address: { type: 'string' },
  confirm: { type: 'boolean' },
  chip: { type: 'string' },
  force: { type: 'boolean' },
  'no-verify': { type: 'boolean' },
  'no-boot': { type: 'boolean' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v)) throw new UsageError(`--${name} must be a non-negative integer`);
  return Number(v);
}

/** Plain progress lines on stderr (a bar on a terminal). */
function stderrProgress(io: VerifyIo, tty: boolean): ProgressSink {
  let name = '';
  let total: number | undefined;
  let started = 0;
  let last = 0;
  const line = (done: number) => {
    const s = (performance.now() - started) / 1000;
    const rate = s > 0 ? done / s : 0;
    const eta = rate > 0 && total ? (total - done) / rate : 0;
    const pct = total ? Math.floor((done / total) * 100) : 0;
    return `${name} ${pct}% ${done}/${total ?? '?'} B ${(rate / 1024).toFixed(1)} KiB/s ETA ${eta.toFixed(1)} s`;
  };
  return {
    phase(n, t, note) {
      if (tty && total !== undefined) io.stderr('\n');
      name = n;
      total = t;
      started = performance.now();
      io.stderr(`signer flash: ${n}${note ? ` (${note})` : ''}\n`);
    },
    update(done) {
      const now = performance.now();
      if (tty) io.stderr(`\r${line(done)}`.padEnd(70));
      else if (now - last > 2000 || done === total) io.stderr(`signer flash: ${line(done)}\n`), (last = now);
    },
    finish() {
      if (tty) io.stderr('\n');
    },
    abort() {
      if (tty) io.stderr('\n');
    },
  };
}

export async function runFlashCli(argv: string[], io: VerifyIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: FLASH_OPTIONS, allowPositionals: true, strict: true });
    if (values.help) return (io.stdout(FLASH_USAGE), 0);
    const protocol = (values.protocol ?? 'smp') as ProtocolName;
    if (!PROTOCOL_NAMES.includes(protocol)) throw new UsageError(`--protocol must be ${PROTOCOL_NAMES.join(', ')}`);
    let check;
    if (!values.list) {
      if (positionals.length !== 1) throw new UsageError('exactly one IMAGE is required');
      const format = values.format as FormatId | undefined;
      if (format !== undefined && !FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
      if (format === undefined && !values.force) throw new UsageError('name the trust to check the image (--format and --key/--cert, as for signer verify), or --force');
      if (format !== undefined) check = { format, trust: await buildTrust(io, values as unknown as Values), options: await buildOptions(io, format, values as unknown as Values) };
    }
    const slot = int('slot', values.slot);
    const address = int('address', values.address);
    const timeoutMs = int('timeout', values.timeout);
    const retries = int('retries', values.retries);
    return await runFlash(
      { stdout: io.stdout, stderr: io.stderr, progress: stderrProgress(io, Boolean(process.stderr.isTTY)) },
      {
        list: Boolean(values.list),
        ...(values.list ? {} : { image: await io.readFile(positionals[0] as string) }),
        ...(values.port === undefined ? {} : { port: values.port }),
        baud: int('baud', values.baud) ?? 115200,
        protocol,
        ...(slot === undefined ? {} : { slot }),
        ...(address === undefined ? {} : { address }),
        ...(check ? { check } : {}),
        force: Boolean(values.force),
        confirm: Boolean(values.confirm),
        noVerify: Boolean(values['no-verify']),
        noBoot: Boolean(values['no-boot']),
        ...(values.chip === undefined ? {} : { chip: values.chip }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(retries === undefined ? {} : { retries }),
        json: Boolean(values.json),
        verbose: Boolean(values.verbose),
      },
    );
  } catch (e) {
    if (e instanceof UsageError || e instanceof FlashUsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`signer flash: ${(e as Error).message}\n${FLASH_USAGE}`);
      return 2;
    }
    if ((e as { code?: string }).code === 'ENOENT') {
      io.stderr(`signer flash: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

const SIM_USAGE = `usage: signer simulate board --protocol smp|stm32|esp --key PEM [--baud N] [--slot-size N] [--factory-image FILE]
  Starts a simulated board on a pseudo-terminal, prints the path to flash against (signer flash --port PATH)
  and logs what the board sees, until Ctrl-C. --key: public key(s) the board's boot loader trusts.
`;

/** Any PEM key or certificate → SPKI DER. */
function spki(pem: string): Uint8Array {
  const key = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
}

export async function runSimulateBoardCli(argv: string[], io: VerifyIo, untilStopped: Promise<void>): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { protocol: { type: 'string' }, baud: { type: 'string' }, key: { type: 'string', multiple: true }, root: { type: 'string', multiple: true }, 'slot-size': { type: 'string' }, 'factory-image': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
    if (values.help) return (io.stdout(SIM_USAGE), 0);
    const protocol = values.protocol ?? 'smp';
    const keys = await Promise.all((values.key ?? []).map(async (p) => spki(new TextDecoder().decode(await io.readFile(p)))));
    const roots = await Promise.all((values.root ?? []).map(async (p) => new TextDecoder().decode(await io.readFile(p))));
    const slotSize = int('slot-size', values['slot-size']);
    const { runBoard } = await import('../../../simulator/boards/run-board.js');
    const board: Record<string, unknown> = { ...(slotSize === undefined ? {} : { slotSize }) };
    if (values['factory-image']) board.primaryImage = await io.readFile(values['factory-image']);
    const baudRate = int('baud', values.baud) ?? 115200;
    const running = await runBoard({ protocol, baudRate, trust: { publicKeys: keys, roots }, board, log: (l) => io.stderr(`board: ${l}\n`) });
    if (values.json) io.stdout(`${JSON.stringify({ protocol, port: running.hostPath, device: running.hostDevice, baudRate })}\n`);
    else io.stdout(`simulated ${protocol} board on ${running.hostPath} (${running.hostDevice}), ${baudRate} baud\n  signer flash --protocol ${protocol} --port ${running.hostPath} --baud ${baudRate} …\n`);
    await untilStopped;
    await running.close();
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof RangeError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') || (e as { code?: string }).code === 'ENOENT') {
      io.stderr(`signer simulate board: ${(e as Error).message}\n${SIM_USAGE}`);
      return 2;
    }
    throw e;
  }
}
