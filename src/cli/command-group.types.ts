import type { Command } from 'commander';
import type { CliIo } from './io.js';

/** What a command definition gets: the io and the way to report its exit code. */
export interface CommandContext {
  io: CliIo;
  /** Runs an action and records its exit code (0 unless it returns another). */
  run(action: () => Promise<number | void>): Promise<void>;
}

/**
 * A command group (`signer sign`, `signer certificates …`): adds its command(s) to the program.
 * Definitions import only commander and light modules; actions `await import()` the rest.
 */
export interface CommandGroup {
  register(program: Command, ctx: CommandContext): void;
}
