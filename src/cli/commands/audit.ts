/** `signer audit`: the CloudTrail-shaped audit trail of the data folder. */
import { Option } from 'commander';
import type { CommandGroup } from '../command-group.types.js';
import { DATA_ENV, helpFooter } from '../help.js';
import type { AuditOptions } from '../actions/audit.js';
import { configFrom, dateArg, integerArg, JSON_OPTION, withDataDir } from './common.js';

export const audit: CommandGroup = {
  register(program, ctx) {
    withDataDir(
      program
        .command('audit')
        .description('API calls recorded in the audit trail, newest first (CloudTrail record shape)')
        .option('--event-name <name>', 'only this operation, e.g. StartSigningJob')
        .option('--account-id <id>', 'only calls by this account')
        .addOption(new Option('--since <iso>', 'only calls at or after this time').argParser(dateArg))
        .addOption(new Option('--limit <n>', 'at most this many records').argParser(integerArg).default(100))
        .addOption(JSON_OPTION().default(undefined)),
    )
      .addHelpText(
        'after',
        helpFooter({
          notes: 'Output: one JSON record per line with --json or when stdout is not a terminal; a table on a terminal.',
          env: DATA_ENV,
          examples: ['signer audit --event-name StartSigningJob --since 2026-11-01', 'signer audit --json --limit 5'],
        }),
      )
      .action((opts: AuditOptions) =>
        ctx.run(async () => {
          const { runAudit } = await import('../actions/audit.js');
          return runAudit(ctx.io, configFrom(ctx.io, opts).dataDir, opts);
        }),
      );
  },
};
