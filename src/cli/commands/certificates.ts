/** `signer certificates create-test-ca|issue|import|list`. */
import { Option } from 'commander';
import type { CommandGroup } from '../command-group.types.js';
import { DATA_ENV, helpFooter } from '../help.js';
import { configFrom, dataDirOf, integerArg, JSON_OPTION, withDataDir, type DataDirOptions } from './common.js';

export const KEY_TYPES = ['EC_prime256v1', 'EC_secp384r1', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'ED25519'] as const;
const algorithm = () => new Option('--algorithm <type>', 'key type').choices(KEY_TYPES).default('EC_prime256v1');

export const certificates: CommandGroup = {
  register(program, ctx) {
    const group = program
      .command('certificates')
      .description('signing certificates: import into the server (ACM-like), list, and TEST ONLY CA tooling')
      .addHelpText('after', helpFooter({ env: DATA_ENV, examples: ['signer certificates create-test-ca --dir ca', 'signer certificates list'] }));

    group
      .command('create-test-ca')
      .description('write a TEST ONLY CA: <dir>/test-ca.cert.pem and <dir>/test-ca.key.pem (0600). Never trust it on real devices')
      .requiredOption('--dir <dir>', 'folder to write the CA into (created)')
      .addOption(algorithm())
      .addOption(new Option('--days <n>', 'validity in days').argParser(integerArg))
      .addHelpText('after', helpFooter({ env: ['NO_COLOR'], examples: ['signer certificates create-test-ca --dir ca', 'signer certificates create-test-ca --dir ca384 --algorithm EC_secp384r1'] }))
      .action((opts: { dir: string; algorithm: (typeof KEY_TYPES)[number]; days?: number }) =>
        ctx.run(async () => {
          const { createTestCa } = await import('../../keys/index.js');
          const ca = await createTestCa({ dir: opts.dir, algorithm: opts.algorithm, ...(opts.days === undefined ? {} : { validityDays: opts.days }) });
          ctx.io.stdout(`TEST ONLY CA written: ${ca.certificatePath} (key ${ca.privateKeyPath}, mode 0600). Never trust it on real devices.\n`);
        }),
      );

    group
      .command('issue')
      .description('issue a TEST ONLY code-signing certificate: <out>/<subject>.cert.pem, .key.pem (0600), .chain.pem')
      .requiredOption('--ca <dir>', 'the CA folder (from create-test-ca)')
      .requiredOption('--subject <name>', 'subject, e.g. "CN=dev signer" (TEST ONLY is added)')
      .option('--out <dir>', 'where to write the three files (default: the CA folder)')
      .addOption(algorithm())
      .addOption(new Option('--days <n>', 'validity in days').argParser(integerArg))
      .addHelpText('after', helpFooter({ env: ['NO_COLOR'], examples: ['signer certificates issue --ca ca --subject "CN=dev signer" --out ca'] }))
      .action((opts: { ca: string; subject: string; out?: string; algorithm: (typeof KEY_TYPES)[number]; days?: number }) =>
        ctx.run(async () => {
          const { existsSync } = await import('node:fs');
          const { UsageError } = await import('../io.js');
          if (!existsSync(opts.ca)) throw new UsageError(`--ca: ${opts.ca} does not exist (create it with 'signer certificates create-test-ca --dir ${opts.ca}')`);
          const { issueCodeSigningCertificate } = await import('../../keys/index.js');
          const c = await issueCodeSigningCertificate({
            ca: opts.ca,
            subject: opts.subject,
            algorithm: opts.algorithm,
            ...(opts.days === undefined ? {} : { validityDays: opts.days }),
            ...(opts.out === undefined ? {} : { outDir: opts.out }),
          });
          ctx.io.stdout(`TEST ONLY code-signing certificate: ${c.files.certificate}\n  key: ${c.files.privateKey}\n  chain: ${c.files.chain}\n`);
        }),
      );

    withDataDir(
      group
        .command('import')
        .description('import a certificate and its private key into the running server; prints the certificate ARN')
        .requiredOption('--certificate <file>', 'certificate PEM')
        .requiredOption('--private-key <file>', 'private key PEM (unencrypted PKCS#8 or PKCS#1/SEC1)')
        .option('--chain <file>', 'chain PEM (issuer certificates)')
        .option('--profile <name>', 'credentials profile in <data>/credentials', 'default')
        .addOption(JSON_OPTION()),
    )
      .addHelpText('after', helpFooter({ env: DATA_ENV, examples: ['signer certificates import --certificate ca/dev-signer.cert.pem --private-key ca/dev-signer.key.pem --chain ca/dev-signer.chain.pem'] }))
      .action((opts: DataDirOptions & { certificate: string; privateKey: string; chain?: string; profile: string; json?: boolean }) =>
        ctx.run(async () => {
          const { importCertificate } = await import('../actions/certificates.js');
          return importCertificate(ctx.io, dataDirOf(ctx.io, opts), opts);
        }),
      );

    withDataDir(group.command('list').description('the certificates of the running server').option('--profile <name>', 'credentials profile', 'default').addOption(JSON_OPTION()))
      .addHelpText('after', helpFooter({ env: DATA_ENV, examples: ['signer certificates list', 'signer certificates list --json'] }))
      .action((opts: DataDirOptions & { profile: string; json?: boolean }) =>
        ctx.run(async () => {
          const { listCertificates } = await import('../actions/certificates.js');
          return listCertificates(ctx.io, configFrom(ctx.io, opts).dataDir, opts);
        }),
      );
  },
};
