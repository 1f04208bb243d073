/** `signer serve`: the server (Signer API + ACM on one port, embedded S3 on another). */
import { Option } from 'commander';
import type { CommandGroup } from '../command-group.types.js';
import { DATA_ENV, ENVIRONMENT, helpFooter } from '../help.js';
import { configFrom, portArg, withDataDir, type DataDirOptions } from './common.js';

interface ServeOptions extends DataDirOptions {
  port?: number;
  s3Port?: number;
  host?: string;
}

export const serve: CommandGroup = {
  register(program, ctx) {
    withDataDir(
      program
        .command('serve')
        .description('run the server on embedded defaults (SQLite state, keys and objects under the data folder)')
        .addOption(new Option('--port <n>', 'Signer API + ACM port (SIGNER_PORT, default 8080)').argParser(portArg))
        .addOption(new Option('--s3-port <n>', 'embedded S3 port (SIGNER_S3_PORT, default 9000)').argParser(portArg))
        .addOption(new Option('--host <address>', 'listen address (SIGNER_HOST, default 127.0.0.1)'))
        .addOption(new Option('--region <region>', 'region (SIGNER_REGION, default us-east-1)')),
    )
      .addHelpText(
        'after',
        helpFooter({
          notes:
            'On first start it creates an admin account and access key and writes <data>/credentials and <data>/config\n' +
            '(AWS CLI formats) and <data>/endpoints.json (read by the other commands). Default ports that are taken\n' +
            'move to the next free one; a port you chose that is taken stops the start before anything is written.\n' +
            'SIGINT/SIGTERM stop it cleanly (running jobs resume at the next start).',
          env: [...ENVIRONMENT.map(([n]) => n).filter((n) => n !== 'NO_COLOR'), ...DATA_ENV.filter((n) => n === 'NO_COLOR')],
          examples: ['signer serve', 'SIGNER_PORT=8443 signer serve --data-dir /var/lib/signer --host 0.0.0.0'],
        }),
      )
      .action((opts: ServeOptions) =>
        ctx.run(async () => {
          const config = configFrom(ctx.io, opts);
          const { runServe } = await import('../actions/serve.js');
          return runServe(config, ctx.io);
        }),
      );
  },
};
