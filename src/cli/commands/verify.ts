/** `signer verify`: verify an image (or the signed object the server wrote) the way a device would. */
import { Option, type Command } from 'commander';
import type { CommandGroup } from '../command-group.types.js';
import { helpFooter } from '../help.js';
import type { VerifyOptions } from '../actions/verify.js';
import { collect, dateArg, integerArg, JSON_OPTION } from './common.js';

/** firmware-verifier's formats (a test checks this list against `FORMATS`). */
export const VERIFY_FORMATS = ['mcuboot', 'esp32-sbv2', 'freertos', 'cc3220sf', 'notation', 'lambda-zip'] as const;

const many = (flags: string, what: string) => new Option(flags, `${what}; repeatable`).argParser(collect);

/** The trust and format options of `signer verify`; `signer flash` takes the same ones (one parser: actions/verify.ts). */
export function addTrustOptions(cmd: Command, formatHelp = 'image format (taken from a signed object when omitted)'): Command {
  return cmd
    .addOption(new Option('--format <format>', formatHelp).choices(VERIFY_FORMATS))
    .addOption(many('--key <pem>', 'trusted public key (public/private key or certificate PEM)'))
    .addOption(many('--cert <pem>', 'provisioned signer certificate (freertos, cc3220sf)'))
    .addOption(many('--root <pem>', 'trusted root certificate'))
    .addOption(many('--intermediate <pem>', 'intermediate CA certificate'))
    .option('--signature <file>', 'detached signature, raw bytes (freertos, cc3220sf)')
    .option('--signature-base64 <b64>', 'detached signature as in the OTA job document')
    .addOption(new Option('--signature-method <m>', 'freertos signature method (default sig-sha256-ecdsa)').choices(['sig-sha256-ecdsa', 'sig-sha256-rsa']))
    .option('--signer-cert <pem>', 'signer certificate delivered with the job (strict freertos, cc3220sf)')
    .option('--strict', 'freertos: also check chain, validity window and code-signing EKU')
    .addOption(new Option('--at <iso>', 'instant for certificate validity (default now in --strict)').argParser(dateArg))
    .addOption(new Option('--slot-size <n>', 'mcuboot slot size in bytes').argParser(integerArg))
    .addOption(new Option('--hash <h>', 'mcuboot image hash to compute (sha256|sha384|sha512); repeatable').argParser(collect))
    .addOption(new Option('--security-counter <n>', 'mcuboot: device security counter (SEC_CNT must be ≥ N)').argParser(integerArg))
    .option('--min-version <x.y.z[+b]>', 'mcuboot: downgrade prevention (build compared when +B given)')
    .addOption(many('--efuse-digest <hex>', 'esp32-sbv2: eFuse key digest (default: digests of --key)'))
    .addOption(many('--revoked-slot <n>', 'esp32-sbv2: revoked key slot 0..2'))
    .addOption(new Option('--secure-version <n>', 'esp32-sbv2: eFuse SECURE_VERSION (app anti-rollback)').argParser(integerArg))
    .option('--envelope <file>', 'notation: the JWS signature envelope of IMAGE')
    .addOption(many('--allowed-profile-version-arn <arn>', 'notation, lambda-zip: allowed signer'))
    .addOption(new Option('--max-size <n>', 'largest image accepted in bytes (default 64 MiB; mcuboot uses --slot-size)').argParser(integerArg));
}

export const verify: CommandGroup = {
  register(program, ctx) {
    addTrustOptions(
      program
        .command('verify')
        .description('verify an image the way a device would (firmware-verifier): exit 0 accepted, 1 refused, 2 usage')
        .argument('<image>', 'the image, or the signed object the server wrote (JSONEmbedded / JSONDetached)')
        .argument('[payload]', 'with a JSONDetached signed object: the file it signs'),
    )
      .addOption(new Option('--mode <mode>', "lambda-zip: report Lambda's checks (integrity, expiry, mismatch, revocation) under this policy").choices(['Warn', 'Enforce']))
      .addOption(many('--trusted-root <pem>', 'lambda-zip: same as --root'))
      .option('--data-dir <dir>', 'lambda-zip --mode: ask the server of this data folder about revocation')
      .option('--endpoint <url>', 'lambda-zip --mode: ask this Signer endpoint about revocation (AWS_* credentials)')
      .option('--region <region>', 'region for --endpoint (default AWS_REGION or us-east-1)')
      .addOption(JSON_OPTION())
      .addHelpText(
        'after',
        helpFooter({
          notes:
            'Given the signed object the server wrote for a FreeRTOS / IoT platform (JSON with "signature" and\n' +
            '"metadata"), the format, signature and signature method come from it: JSONEmbedded carries the image,\n' +
            'JSONDetached needs the signed file as [payload]. The trust (--cert, --key, --root) is always yours.\n' +
            'Lambda packages: --format lambda-zip checks as a device would (OK/FAIL); add --mode Warn|Enforce for\n' +
            "Lambda's deployment report (integrity, expiry, mismatch, revocation): Warn exits 0 with warnings, Enforce\n" +
            'exits 1 on any failed check; integrity failures exit 1 in both.',
          env: ['NO_COLOR', 'SIGNER_DATA_DIR', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION'],
          examples: [
            'signer verify --format mcuboot --key root-ec-p256.pem zephyr.signed.bin',
            'signer verify --cert ca/dev-signer.cert.pem firmware.signed',
            'signer verify --cert ca/dev-signer.cert.pem firmware.detached.json firmware.bin',
            'signer verify --format lambda-zip --mode Enforce --root ca.pem --data-dir data fn.signed.zip',
          ],
        }),
      )
      .action((image: string, payload: string | undefined, opts: VerifyOptions) =>
        ctx.run(async () => {
          const { runVerify } = await import('../actions/verify.js');
          return runVerify(ctx.io, image, payload, opts);
        }),
      );

    // The former `signer verify-lambda`, kept for scripts: the same code as `verify --format lambda-zip --mode`.
    program
      .command('verify-lambda', { hidden: true })
      .description("alias of 'signer verify --format lambda-zip --mode Warn|Enforce'")
      .argument('<package>', 'the signed Lambda deployment package')
      .addOption(many('--trusted-root <pem>', 'trusted root certificate'))
      .addOption(many('--allowed-profile-version-arn <arn>', 'allowed signer'))
      .addOption(new Option('--mode <mode>', 'policy').choices(['Warn', 'Enforce']).default('Warn'))
      .option('--data-dir <dir>', 'ask the server of this data folder about revocation')
      .option('--endpoint <url>', 'ask this Signer endpoint about revocation')
      .option('--region <region>', 'region for --endpoint')
      .addOption(new Option('--at <iso>', 'check instant').argParser(dateArg))
      .addHelpText('after', helpFooter({ env: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'], examples: ['signer verify --format lambda-zip --mode Enforce --root ca.pem fn.signed.zip'] }))
      .action((pkg: string, opts: VerifyOptions) =>
        ctx.run(async () => {
          const { runVerify } = await import('../actions/verify.js');
          return runVerify(ctx.io, pkg, undefined, { ...opts, format: 'lambda-zip' });
        }),
      );
  },
};
