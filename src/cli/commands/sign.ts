/** `signer sign`: upload, sign with a signing job, wait, download — one command. */
import { Option } from 'commander';
import type { CommandGroup } from '../command-group.types.js';
import { DATA_ENV, helpFooter } from '../help.js';
import type { SignOptions } from '../actions/sign.js';
import { dataDirOf, JSON_OPTION, withDataDir } from './common.js';

export const sign: CommandGroup = {
  register(program, ctx) {
    withDataDir(
      program
        .command('sign')
        .description('sign a file with a signing profile of the running server: upload, signing job, download')
        .argument('<file>', 'the file to sign')
        .requiredOption('--profile <name>', 'signing profile (PutSigningProfile)')
        .option('-o, --output <file>', 'where to write the signed object (default <file>.signed)')
        .option('--profile-owner <account>', "the profile's account, for a profile shared with yours")
        .option('--credentials <profile>', 'credentials profile in <data>/credentials', 'default')
        .option('--bucket <name>', 'bucket for the upload (default signer-cli-<access key>, created versioned)')
        .addOption(JSON_OPTION()),
    )
      .addHelpText(
        'after',
        helpFooter({
          notes:
            'Before uploading it checks that the profile exists and is Active, and that the file fits the platform\'s\n' +
            'size limit. A failed try deletes its upload. Progress (upload, signing, download) goes to stderr: a bar on\n' +
            'a terminal, plain lines otherwise; stdout gets the output path (or JSON with --json).',
          env: DATA_ENV,
          examples: ['signer sign --profile fw firmware.bin -o firmware.signed', 'signer sign --profile fw firmware.bin --json'],
        }),
      )
      .action((file: string, opts: SignOptions) =>
        ctx.run(async () => {
          const { runSign } = await import('../actions/sign.js');
          return runSign(ctx.io, dataDirOf(ctx.io, opts), file, opts);
        }),
      );
  },
};
