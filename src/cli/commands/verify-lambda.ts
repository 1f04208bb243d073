/**
 * `signer verify-lambda` (hidden): Lambda's deployment checks (integrity, expiry, mismatch, revocation)
 * with Warn/Enforce. Kept as an alias for scripts; `signer verify --format lambda-zip` is the command.
 */
import type { Command } from 'commander';
import type { CommandGroup } from '../command-group.types.js';

export const verifyLambda: CommandGroup = {
  register(program, ctx) {
    program
      .command('verify-lambda', { hidden: true })
      .description('Lambda code-signing checks of a signed deployment package (see signer verify-lambda --help)')
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument('[args...]')
      .action((_args: string[], _opts: unknown, cmd: Command) =>
        ctx.run(async () => {
          const { runVerifyLambda } = await import('../actions/verify-lambda.js');
          return runVerifyLambda(cmd.args, { ...ctx.io, env: ctx.io.env });
        }),
      );
  },
};
