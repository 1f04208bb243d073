/**
 * The `signer` command tree (commander): one module per command group under `commands/`, registered
 * in `commands/index.ts`. This module and the command definitions import only light code; each
 * action loads what it needs (AWS SDK, server, platforms, crypto) when it runs, so `--help` is fast.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { CommandContext } from './command-group.types.js';
import { COMMAND_GROUPS } from './commands/index.js';
import { allEnvironment, EXIT_CODES_HELP } from './help.js';
import { CliFailure, EXIT, UsageError, useColor, type CliIo } from './io.js';


function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'iot-signer' && pkg.version) return pkg.version;
    } catch {
      // not at this level (sources vs dist/)
    }
  }
  return '0.0.0';
}

const DESCRIPTION = 'self-hosted code signing and OTA for IoT firmware (AWS Signer API compatible)';

/** Builds the whole command tree writing to `io`. */
export function buildProgram(io: CliIo, ctx: CommandContext): Command {
  const program = new Command('signer');
  const color = useColor(io);
  program
    .description(DESCRIPTION)
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      getOutHasColors: () => color,
      getErrHasColors: () => useColor(io, 'stderr'),
      outputError: (s, write) => write(s),
    })
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false })
    .addHelpText(
      'after',
      `
Commands that talk to the server read <data>/endpoints.json and <data>/credentials, written by
'signer serve' (--data-dir or SIGNER_DATA_DIR; default ./data). Run 'signer <command> --help' for
each command's options, environment and examples.

Environment:
${allEnvironment()}

${EXIT_CODES_HELP}

Examples:
  $ signer serve
  $ signer sign --profile fw firmware.bin -o firmware.signed
  $ signer verify --format freertos --cert ca/dev-signer.cert.pem firmware.signed
`,
    );
  for (const group of COMMAND_GROUPS) group.register(program, ctx);
  // Every command inherits these from `program.command()`; groups that build commands with
  // `new Command()` get them here too.
  const walk = (c: Command) => {
    c.exitOverride().showSuggestionAfterError(true);
    c.configureOutput({ ...program.configureOutput() });
    c.commands.forEach(walk);
  };
  program.commands.forEach(walk);
  return program;
}

/** The command path named by argv (`['certificates', 'import']`), for messages. */
function commandPath(argv: readonly string[], program: Command): string[] {
  const names: string[] = [];
  let cmd: Command | undefined = program;
  for (const a of argv) {
    const next: Command | undefined = cmd?.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!next) break;
    names.push(next.name());
    cmd = next;
  }
  return names;
}

/**
 * Runs `signer argv…` with `io`; resolves to the exit code (never calls process.exit).
 * Usage errors → 2, failures the user can act on (CliFailure, an error answer of the server) → 1;
 * anything else is a bug and is rethrown (main prints it and exits 1).
 */
export async function runCli(argv: readonly string[], partial: Partial<CliIo> & Pick<CliIo, 'stdout' | 'stderr'>): Promise<number> {
  const io: CliIo = {
    readFile: async (p) => new Uint8Array(await (await import('node:fs/promises')).readFile(p)),
    env: {},
    stdoutIsTTY: false,
    stderrIsTTY: false,
    ...partial,
  };
  let code: number = EXIT.OK;
  const ctx: CommandContext = {
    io,
    async run(action) {
      const r = await action();
      code = typeof r === 'number' ? r : EXIT.OK;
    },
  };
  const program = buildProgram(io, ctx);
  const path = commandPath(argv, program);
  const who = ['signer', ...path].join(' ');
  const hint = `(run '${[who, '--help'].join(' ')}' for usage)\n`;
  const outputError = (s: string, write: (s: string) => void) => write(s.replace(/^error: /, `${who}: `));
  const setErrors = (c: Command) => {
    c.configureOutput({ ...c.configureOutput(), outputError });
    c.commands.forEach(setErrors);
  };
  setErrors(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.OK;
      // `signer accounts` with no sub-command prints its help on stderr (commander.help): a usage error.
      if (e.code !== 'commander.help') io.stderr(hint);
      return EXIT.USAGE;
    }
    if (e instanceof UsageError || (e as Error).name === 'ConfigError') {
      io.stderr(`${who}: ${(e as Error).message}\n${hint}`);
      return EXIT.USAGE;
    }
    if (e instanceof CliFailure) {
      io.stderr(`${who}: ${e.message}\n`);
      return EXIT.FAILURE;
    }
    if (e instanceof Error && '$metadata' in e) {
      // An error answer of the server (AccessDeniedException, ValidationException, …): its type and message.
      io.stderr(`${who}: ${e.name}: ${e.message}\n`);
      return EXIT.FAILURE;
    }
    throw e;
  }
}
