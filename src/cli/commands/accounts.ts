/** `signer accounts create|list` and `signer keys list|create|deactivate|delete`: principals, on the data folder directly. */
import { Option, type Command } from 'commander';
import type { Accounts } from '../../accounts/index.js';
import type { StateStore } from '../../store/index.js';
import type { CommandContext, CommandGroup } from '../command-group.types.js';
import { DATA_ENV, helpFooter } from '../help.js';
import { printJson, printTable } from '../output.js';
import { configFrom, JSON_OPTION, withDataDir, type DataDirOptions } from './common.js';

const NOTE = 'Works on the data folder directly (the server may be running: changes apply to its next request).';

function local(cmd: Command): Command {
  return withDataDir(cmd);
}

async function withLocal<T>(ctx: CommandContext, opts: DataDirOptions, fn: (a: { accounts: Accounts; store: StateStore }) => Promise<T>): Promise<T> {
  const config = configFrom(ctx.io, opts);
  const { withAccounts } = await import('../actions/local-accounts.js');
  return withAccounts(config, fn);
}

function printNewKey(ctx: CommandContext, key: { accountId: string; accessKeyId: string; secretAccessKey: string }, note: string): void {
  printJson(ctx.io, { accountId: key.accountId, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
  ctx.io.stderr(note);
}

export const accounts: CommandGroup = {
  register(program, ctx) {
    const group = program
      .command('accounts')
      .description('accounts (12-digit ids) for cross-account use')
      .addHelpText('after', helpFooter({ env: DATA_ENV, examples: ['signer accounts create --name partner --write-profile partner', 'signer accounts list'] }));

    local(
      group
        .command('create')
        .description('create an account with an access key; prints the key once (JSON)')
        .requiredOption('--name <name>', 'account name')
        .option('--account-id <id>', 'the 12-digit id (default: random)')
        .option('--write-profile <profile>', 'also write the key to <data>/credentials and <data>/config under this profile'),
    )
      .addHelpText('after', helpFooter({ notes: NOTE, env: DATA_ENV, examples: ['signer accounts create --name partner --write-profile partner'] }))
      .action((opts: DataDirOptions & { name: string; accountId?: string; writeProfile?: string }) =>
        ctx.run(() =>
          withLocal(ctx, opts, async ({ accounts }) => {
            if (opts.accountId !== undefined && !/^\d{12}$/.test(opts.accountId)) {
              const { UsageError } = await import('../io.js');
              throw new UsageError('--account-id must have 12 digits');
            }
            const id = await accounts.createAccount(opts.name, opts.accountId);
            const key = await accounts.createAccessKey(id);
            if (opts.writeProfile) {
              const { writeCliFiles } = await import('../../accounts/index.js');
              const config = configFrom(ctx.io, opts);
              writeCliFiles(config.dataDir, config.region, key, opts.writeProfile);
            }
            printNewKey(ctx, key, 'The secret is shown only now.\n');
          }),
        ),
      );

    local(group.command('list').description('list the accounts').addOption(JSON_OPTION()))
      .addHelpText('after', helpFooter({ notes: NOTE, env: DATA_ENV, examples: ['signer accounts list', 'signer accounts list --json'] }))
      .action((opts: DataDirOptions & { json?: boolean }) =>
        ctx.run(() =>
          withLocal(ctx, opts, async ({ store }) => {
            const rows = (await store.listAccounts()).map((a) => ({ accountId: a.accountId, name: a.name, createdAt: a.createdAt.toISOString() }));
            if (opts.json) printJson(ctx.io, rows);
            else printTable(ctx.io, [{ header: 'ACCOUNT', value: (r) => r.accountId }, { header: 'NAME', value: (r) => r.name }, { header: 'CREATED', value: (r) => r.createdAt }], rows);
          }),
        ),
      );
  },
};

export const keys: CommandGroup = {
  register(program, ctx) {
    const group = program
      .command('keys')
      .description('access keys: list, create, deactivate, delete (rotation: docs/operations.md)')
      .addHelpText(
        'after',
        helpFooter({
          notes: 'A deactivated or deleted key is refused on its next request to a running server (InvalidClientTokenId / UnrecognizedClient).',
          env: DATA_ENV,
          examples: ['signer keys list', 'signer keys create --account-id 123456789012', 'signer keys deactivate AKIA…', 'signer keys delete AKIA…'],
        }),
      );

    local(group.command('list').description('list access keys (never their secrets)').option('--account-id <id>', 'only this account').addOption(JSON_OPTION()))
      .addHelpText('after', helpFooter({ notes: NOTE, env: DATA_ENV, examples: ['signer keys list', 'signer keys list --account-id 123456789012 --json'] }))
      .action((opts: DataDirOptions & { accountId?: string; json?: boolean }) =>
        ctx.run(() =>
          withLocal(ctx, opts, async ({ accounts }) => {
            const rows = (await accounts.listAccessKeys(opts.accountId)).map((k) => ({ ...k, createdAt: k.createdAt.toISOString() }));
            if (opts.json) printJson(ctx.io, rows);
            else
              printTable(
                ctx.io,
                [
                  { header: 'ACCESS KEY', value: (r) => r.accessKeyId },
                  { header: 'ACCOUNT', value: (r) => r.accountId },
                  { header: 'STATUS', value: (r) => r.status },
                  { header: 'CREATED', value: (r) => r.createdAt },
                  { header: 'PRINCIPAL', value: (r) => r.principalArn },
                ],
                rows,
              );
          }),
        ),
      );

    local(
      group
        .command('create')
        .description('create another access key for an account; prints it once (JSON)')
        .requiredOption('--account-id <id>', 'the account')
        .option('--user <name>', 'principal user name (default: the account root)')
        .option('--write-profile <profile>', 'also write the key to <data>/credentials and <data>/config under this profile'),
    )
      .addHelpText('after', helpFooter({ notes: NOTE, env: DATA_ENV, examples: ['signer keys create --account-id 123456789012 --write-profile rotated'] }))
      .action((opts: DataDirOptions & { accountId: string; user?: string; writeProfile?: string }) =>
        ctx.run(() =>
          withLocal(ctx, opts, async ({ accounts }) => {
            const key = await accounts.createAccessKey(opts.accountId, opts.user);
            if (opts.writeProfile) {
              const { writeCliFiles } = await import('../../accounts/index.js');
              const config = configFrom(ctx.io, opts);
              writeCliFiles(config.dataDir, config.region, key, opts.writeProfile);
            }
            printNewKey(ctx, key, 'The secret is shown only now.\n');
          }),
        ),
      );

    local(group.command('deactivate').description('deactivate an access key (refused from its next request on)').argument('<access-key-id>', 'the key'))
      .addHelpText('after', helpFooter({ notes: NOTE, env: DATA_ENV, examples: ['signer keys deactivate AKIAEXAMPLE234567ABC'] }))
      .action((id: string, opts: DataDirOptions) =>
        ctx.run(() =>
          withLocal(ctx, opts, async ({ accounts }) => {
            await accounts.deactivateAccessKey(id);
            ctx.io.stdout(`${id} deactivated\n`);
          }),
        ),
      );

    local(
      group
        .command('delete')
        .description('delete an access key for good (deactivate it first, or --force)')
        .argument('<access-key-id>', 'the key')
        .addOption(new Option('--force', 'delete even if the key is Active')),
    )
      .addHelpText('after', helpFooter({ notes: NOTE, env: DATA_ENV, examples: ['signer keys delete AKIAEXAMPLE234567ABC'] }))
      .action((id: string, opts: DataDirOptions & { force?: boolean }) =>
        ctx.run(() =>
          withLocal(ctx, opts, async ({ accounts }) => {
            await accounts.deleteAccessKey(id, { force: opts.force === true });
            ctx.io.stdout(`${id} deleted\n`);
          }),
        ),
      );
  },
};
