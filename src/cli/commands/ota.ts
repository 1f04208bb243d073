/** `signer ota create|describe|list|cancel|executions`: OTA updates through the running server's AWS IoT API. */
import type { CommandGroup } from '../command-group.types.js';
import { DATA_ENV, helpFooter } from '../help.js';
import type { Command } from 'commander';
import type { OtaCreateCliOptions, OtaOptions } from '../actions/ota.js';
import { collect, dataDirOf, integerArg, JSON_OPTION, withDataDir } from './common.js';

const common = (cmd: Command) =>
  withDataDir(cmd.option('--credentials <profile>', 'credentials profile in <data>/credentials', 'default').addOption(JSON_OPTION()));

export const ota: CommandGroup = {
  register(program, ctx) {
    const group = program
      .command('ota')
      .description('OTA updates over MQTT (CreateOTAUpdate and friends of the running server)')
      .addHelpText('after', helpFooter({ env: DATA_ENV, examples: ['signer ota create --thing sensor-7 --file fw.bin --profile fw', 'signer ota list'] }));
    common(
      group
        .command('create')
        .description('upload a firmware file, sign it and start an OTA update to things and thing groups')
        .option('--thing <name>', 'target thing (repeatable)', collect)
        .option('--group <name>', 'target thing group (repeatable)', collect)
        .option('--file <path>', 'the firmware file to upload and sign')
        .option('--profile <name>', 'signing profile to sign with (a FreeRTOS platform)')
        .option('--signing-job <id>', 'use the output of an existing signing job instead of --file/--profile')
        .option('--id <otaUpdateId>', 'OTA update id (default ota-<uuid>)')
        .option('--file-path <path>', "the file's path on the device (job document filepath; default the file name)")
        .option('--certificate-path <path>', "the signer certificate's path on the device (job document certfile)")
        .option('--file-type <n>', 'job document fileType (0–255)', integerArg)
        .option('--continuous', 'CONTINUOUS: things added to a target group later get the update too')
        .option('--bucket <name>', 'bucket for the upload (default signer-cli-<access key>, created versioned)')
        .option('--wait <seconds>', 'wait this long for CREATE_COMPLETE/CREATE_FAILED (0: return at once)', integerArg, 120),
    )
      .addHelpText(
        'after',
        helpFooter({
          notes: 'Exit status 1 when the update ends CREATE_FAILED (its errorInfo is printed).',
          env: DATA_ENV,
          examples: ['signer ota create --thing sensor-7 --file fw.bin --profile fw --certificate-path ota.crt', 'signer ota create --group fleet --continuous --file fw.bin --profile fw --json'],
        }),
      )
      .action((opts: OtaCreateCliOptions) =>
        ctx.run(async () => (await import('../actions/ota.js')).runOtaCreate(ctx.io, dataDirOf(ctx.io, opts), opts)),
      );
    for (const [name, description, example] of [
      ['describe', 'an OTA update: status, targets, job, error', 'signer ota describe ota-1234'],
      ['cancel', "cancel an OTA update's job (--force: executions in progress too)", 'signer ota cancel ota-1234 --force'],
      ['executions', "each target thing's execution of the update and the status details it last reported", 'signer ota executions ota-1234'],
    ] as const) {
      const cmd = group.command(name).description(description).argument('<otaUpdateId>', 'the OTA update id');
      if (name === 'cancel') cmd.option('--force', 'also cancel executions already IN_PROGRESS');
      common(cmd)
        .addHelpText('after', helpFooter({ env: DATA_ENV, examples: [example] }))
        .action((id: string, opts: OtaOptions & { force?: boolean }) =>
          ctx.run(async () => (await import('../actions/ota.js')).runOtaOne(ctx.io, dataDirOf(ctx.io, opts), name, id, opts)),
        );
    }
    common(group.command('list').description('every OTA update of the account'))
      .addHelpText('after', helpFooter({ env: DATA_ENV, examples: ['signer ota list', 'signer ota list --json'] }))
      .action((opts: OtaOptions) => ctx.run(async () => (await import('../actions/ota.js')).runOtaList(ctx.io, dataDirOf(ctx.io, opts), opts)));
  },
};
