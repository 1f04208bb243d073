/**
 * `signer flash`, `signer simulate board` and `signer simulate device`: definitions only; the actions
 * (actions/flash.ts, actions/simulate-device.ts) call src/flash/flash-run.ts, simulator/boards/run-board.ts
 * (docs/serial.md) and simulator/agent (docs/ota.md).
 */
import { Option } from 'commander';
import type { CommandGroup } from '../command-group.types.js';
import { helpFooter } from '../help.js';
import type { FlashCliOptions, SimulateBoardOptions } from '../actions/flash.js';
import type { SimulateDeviceOptions } from '../actions/simulate-device.js';
import { collect, dataDirOf, integerArg, JSON_OPTION, withDataDir } from './common.js';
import { addTrustOptions } from './verify.js';

const PROTOCOLS = ['smp', 'stm32', 'esp'] as const;

export const flash: CommandGroup = {
  register(program, ctx) {
    addTrustOptions(
      program
        .command('flash')
        .description('flash a signed image to a board over a serial line (SMP/MCUboot, STM32 AN3155, ESP ROM loader)')
        .argument('[image]', 'the signed image (not with --list)')
        .option('--list', 'list serial ports with their USB vendor:product ids')
        .option('--port <path>', 'serial port, e.g. /dev/ttyUSB0 (see --list)')
        .addOption(new Option('--baud <n>', 'line rate').argParser(integerArg).default(115200))
        .addOption(new Option('--protocol <p>', 'boot loader protocol').choices(PROTOCOLS).default('smp'))
        .addOption(new Option('--slot <n>', 'smp: image pair number; the upload goes to its secondary slot (default 0)').argParser(integerArg))
        .addOption(new Option('--address <a>', 'stm32/esp: flash address (0x… accepted)').argParser(integerArg))
        .option('--confirm', 'smp: make the new image permanent (default: a test run that reverts unless confirmed)')
        .option('--chip <name>', 'refuse a board that reports another chip')
        .option('--force', 'write even if the image fails the check (the board still checks it at boot)')
        .option('--no-verify', 'skip the read-back / hash verification')
        .option('--no-boot', 'do not reset / start the board at the end')
        .addOption(new Option('--timeout <ms>', 'answer timeout per request (default 3000)').argParser(integerArg))
        .addOption(new Option('--retries <n>', 'bounded retries per request (default 3)').argParser(integerArg))
        .option('--verbose', 'log retries, rewinds and damaged frames on stderr'),
      'format the image is checked as (mcuboot for smp; required unless --force)',
    )
      .addOption(JSON_OPTION())
      .addHelpText(
        'after',
        helpFooter({
          notes:
            'Before writing, the image is checked with firmware-verifier against the trust you name (the options of\n' +
            "'signer verify'); an image that fails is refused unless --force. Progress goes to stderr; stdout gets the\n" +
            'result (JSON with --json). Exit 0 flashed, 1 FlashError (the message says what to do), 2 usage.\n' +
            'Wiring, protocols and error codes: docs/serial.md.',
          env: ['NO_COLOR'],
          examples: [
            'signer flash --list',
            'signer flash --port /dev/ttyACM0 --format mcuboot --key root-ec-p256.pem zephyr.signed.bin',
            'signer flash --port /dev/ttyACM0 --format mcuboot --key root-ec-p256.pem --confirm --json zephyr.signed.bin',
          ],
        }),
      )
      .action((image: string | undefined, opts: FlashCliOptions) =>
        ctx.run(async () => {
          const { runFlashAction } = await import('../actions/flash.js');
          return runFlashAction(ctx.io, image, opts);
        }),
      );
  },
};

export const simulate: CommandGroup = {
  register(program, ctx) {
    const sim = program
      .command('simulate')
      .description('simulated devices to test against')
      .addHelpText('after', helpFooter({ env: ['NO_COLOR'], examples: ['signer simulate board --protocol smp --key root-ec-p256.pem', 'signer simulate device --thing sensor-7 --signer-cert ota.crt=signer.pem --once'] }));
    sim
      .command('board')
      .description('a simulated board on a pseudo-terminal: prints the port to flash, logs what the board sees, until Ctrl-C')
      .addOption(new Option('--protocol <p>', 'boot loader protocol').choices(PROTOCOLS).default('smp'))
      .addOption(new Option('--baud <n>', 'line rate the board paces to').argParser(integerArg).default(115200))
      .addOption(new Option('--key <pem>', "public key the board's boot loader trusts; repeatable").argParser(collect))
      .addOption(new Option('--root <pem>', 'trusted root certificate; repeatable').argParser(collect))
      .addOption(new Option('--slot-size <n>', 'smp: slot size in bytes (default 512 KiB)').argParser(integerArg))
      .option('--factory-image <file>', 'an image already in the board (smp: confirmed in the primary slot)')
      .addOption(JSON_OPTION())
      .addHelpText(
        'after',
        helpFooter({
          notes: "Needs Debian's socat. The board paces its line to --baud and checks images with firmware-verifier at boot.",
          env: ['NO_COLOR'],
          examples: ['signer simulate board --protocol smp --key root-ec-p256.pem'],
        }),
      )
      .action((opts: SimulateBoardOptions) =>
        ctx.run(async () => {
          const { runSimulateBoardAction } = await import('../actions/flash.js');
          return runSimulateBoardAction(ctx.io, opts);
        }),
      );
    withDataDir(
      sim
        .command('device')
        .description('a simulated FreeRTOS OTA device on the running server\'s broker (mutual TLS): prints its progress')
        .requiredOption('--thing <name>', 'the thing the device is (made, with a new ACTIVE certificate, unless --cert/--key)')
        .option('--cert <pem>', 'device certificate (with --key; default: CreateKeysAndCertificate through the IoT API)')
        .option('--key <pem>', 'device private key (with --cert)')
        .option('--ca <pem>', "CA the broker's TLS certificate chains to (default: the one <data>/endpoints.json names)")
        .addOption(new Option('--signer-cert <[certfile=]pem>', "code-signing certificate the device verifies images with, for the job's certfile (or any); repeatable").argParser(collect))
        .option('--endpoint <host:port>', 'TLS broker (default: mqtt.tls of <data>/endpoints.json)')
        .option('--factory-version <a.b.c>', 'version of the image the device runs at start', '1.0.0')
        .addOption(new Option('--blocks-per-request <n>', 'blocks the agent asks for per request (otaconfigMAX_NUM_BLOCKS_REQUEST)').argParser(integerArg).default(1))
        .option('--fail-self-test', "the new image's self-test fails (the device rolls back and reports FAILED)")
        .option('--once', 'exit after one update: 0 once accepted, 1 if the device reports FAILED or REJECTED')
        .option('--credentials <profile>', 'credentials profile in <data>/credentials', 'default')
        .addOption(JSON_OPTION()),
    )
      .addHelpText(
        'after',
        helpFooter({
          notes:
            'Runs the simulator/agent OTA agent (FreeRTOS OTA library behaviour: job document, MQTT file stream, bitmap\n' +
            'requests, signature check with firmware-verifier, test boot, self-test, accept or roll back). Plain lines by\n' +
            'default (states, `receive JOB n/m` every tenth, the status payloads it publishes); --json: one JSON object per\n' +
            'event. Without --once it runs until Ctrl-C. An image must carry the simulator header (docs/ota.md).',
          env: ['SIGNER_DATA_DIR', 'SIGNER_CONFIG', 'NO_COLOR'],
          examples: [
            'signer simulate device --thing sensor-7 --signer-cert ota.crt=signer.pem',
            'signer simulate device --thing sensor-7 --cert sensor-7/certificate.pem.crt --key sensor-7/private.pem.key --signer-cert signer.pem --once --json',
          ],
        }),
      )
      .action((opts: SimulateDeviceOptions) =>
        ctx.run(async () => {
          const { runSimulateDevice } = await import('../actions/simulate-device.js');
          return runSimulateDevice(ctx.io, dataDirOf(ctx.io, opts), opts);
        }),
      );
  },
};
