/** `signer platforms`: the running server's signing platforms. */
import type { CommandGroup } from '../command-group.types.js';
import { DATA_ENV, helpFooter } from '../help.js';
import { dataDirOf, JSON_OPTION, withDataDir, type DataDirOptions } from './common.js';

export const platforms: CommandGroup = {
  register(program, ctx) {
    withDataDir(program.command('platforms').description("the running server's signing platforms (ListSigningPlatforms)").addOption(JSON_OPTION()))
      .addHelpText('after', helpFooter({ env: DATA_ENV, examples: ['signer platforms', 'signer platforms --json'] }))
      .action((opts: DataDirOptions & { json?: boolean }) =>
        ctx.run(async () => {
          const { runPlatforms } = await import('../actions/platforms.js');
          return runPlatforms(ctx.io, dataDirOf(ctx.io, opts), opts.json === true);
        }),
      );
  },
};
