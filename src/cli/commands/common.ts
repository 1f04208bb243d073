/** Options and parsing shared by command definitions (light: no SDK, no server). */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadConfig, type Config, type ConfigInput } from '../../config/index.js';
import type { CliIo } from '../io.js';

/** Options every command that reads a data folder takes. */
export interface DataDirOptions {
  dataDir?: string;
  config?: string;
  region?: string;
}

export function withDataDir(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'data folder of the server (SIGNER_DATA_DIR, default ./data)'))
    .addOption(new Option('--config <file>', 'JSON configuration file (SIGNER_CONFIG)'));
}

/** The one typed configuration, from the config file, the environment and these flags. */
export function configFrom(io: CliIo, opts: DataDirOptions & { host?: string; port?: number; s3Port?: number }): Config {
  const flags: ConfigInput = {};
  if (opts.dataDir !== undefined) flags.dataDir = opts.dataDir;
  if (opts.region !== undefined) flags.region = opts.region;
  if (opts.host !== undefined) flags.host = opts.host;
  if (opts.port !== undefined) flags.port = opts.port;
  if (opts.s3Port !== undefined) flags.s3Port = opts.s3Port;
  return loadConfig({ env: io.env, flags, file: opts.config ?? io.env.SIGNER_CONFIG });
}

/** The data folder a client command reads endpoints and credentials from. */
export function dataDirOf(io: CliIo, opts: DataDirOptions): string {
  return configFrom(io, opts).dataDir;
}

/** commander argParser: a non-negative integer (decimal or 0x hex). */
export function integerArg(value: string): number {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(value)) throw new InvalidArgumentError('must be a non-negative integer.');
  return Number(value);
}

/** commander argParser: a TCP port (0 = any free one). */
export function portArg(value: string): number {
  const n = integerArg(value);
  if (n > 65535) throw new InvalidArgumentError('must be a port number 0-65535.');
  return n;
}

/** commander argParser for repeatable options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** commander argParser: an ISO-8601 instant. */
export function dateArg(value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('must be an ISO-8601 date or time.');
  return d;
}

export const JSON_OPTION = (): Option => new Option('--json', 'print the result as JSON');
