/** `signer things create`: a device identity (thing, ACTIVE certificate, key) in a folder, through the IoT API. */
import type { CommandGroup } from '../command-group.types.js';
import { DATA_ENV, helpFooter } from '../help.js';
import type { ThingsCreateOptions } from '../actions/things.js';
import { collect, dataDirOf, JSON_OPTION, withDataDir } from './common.js';

export const things: CommandGroup = {
  register(program, ctx) {
    const group = program
      .command('things')
      .description('AWS IoT things of the running server (identities for devices)')
      .addHelpText('after', helpFooter({ env: DATA_ENV, examples: ['signer things create sensor-7 --out devices/sensor-7'] }));
    withDataDir(
      group
        .command('create')
        .description('a thing, an ACTIVE certificate with its key attached to it, and the files a device needs, in one folder')
        .argument('<name>', 'thing name ([a-zA-Z0-9:_-], 1–128 characters)')
        .option('--out <dir>', 'folder to write (default ./<name>); must not hold an identity already')
        .option('--group <name>', 'add the thing to this thing group (repeatable)', collect)
        .option('--attribute <key=value>', 'thing attribute (repeatable)', collect)
        .option('--credentials <profile>', 'credentials profile in <data>/credentials', 'default')
        .addOption(JSON_OPTION()),
    )
      .addHelpText(
        'after',
        helpFooter({
          notes:
            'Writes certificate.pem.crt, private.pem.key (0600), public.pem.key, root-ca.pem (the CA the broker\'s TLS\n' +
            'certificate chains to) and device.json (thing name, broker address from DescribeEndpoint iot:Data-ATS, file\n' +
            'names). The private key is written once and kept nowhere else. Same calls as CreateThing,\n' +
            'CreateKeysAndCertificate --set-as-active and AttachThingPrincipal.',
          env: DATA_ENV,
          examples: ['signer things create sensor-7 --out devices/sensor-7', 'signer things create sensor-8 --group fleet --attribute model=esp32 --json'],
        }),
      )
      .action((name: string, opts: ThingsCreateOptions) =>
        ctx.run(async () => {
          const { runThingsCreate } = await import('../actions/things.js');
          return runThingsCreate(ctx.io, dataDirOf(ctx.io, opts), name, opts);
        }),
      );
  },
};
