import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { Accounts, SecretBox, writeCliFiles } from '../accounts/index.js';
import { ConfigError, loadConfig, type ConfigInput } from '../config/index.js';
import { loadOrCreateMasterKey } from '../keys/index.js';
import { startServer } from '../server/index.js';
import { SqliteStateStore } from '../store/index.js';

const HELP = `signer — self-hosted code signing and OTA for IoT firmware (AWS Signer API compatible)

Usage:
  signer serve [--port N] [--host H] [--data-dir DIR] [--region R] [--config FILE]
      Run the server on embedded defaults (SQLite state under ./data). Writes data/credentials
      and data/config on first start so the AWS CLI and SDKs work against it.
  signer accounts create --name NAME [--account-id 123456789012] [--write-profile PROFILE]
      Create an account (for cross-account use) with an access key; prints the key once.
      --write-profile also writes it to <data>/credentials under that profile name.
  signer keys create --account-id ID [--user NAME]
      Create another access key for an account; prints it once.
  signer accounts list
  signer platforms                         the running server's signing platforms
  signer certificates create-test-ca --dir DIR [--algorithm EC_prime256v1|EC_secp384r1|RSA_2048|RSA_3072|ED25519]
  signer certificates issue --ca DIR --subject NAME [--algorithm A] [--out DIR]   (TEST ONLY certificates)
  signer certificates import --certificate cert.pem --private-key key.pem [--chain chain.pem]
  signer certificates list
  signer sign --profile NAME firmware.bin [-o firmware.signed] [--profile-owner ACCOUNT]
      Upload, sign with a signing job, wait (progress on stderr), download.
  signer verify --format FORMAT --key pub.pem image.bin     verify an image the way a device would
  signer verify-lambda signed.zip --trusted-root ca.pem [--allowed-profile-version-arn ARN]... [--mode Warn|Enforce]
      check a signed Lambda deployment package as Lambda would (integrity, expiry, signer, revocation)
  signer audit [--event-name N] [--account-id A] [--since ISO] [--limit N]
  signer things create NAME [--out DIR] [--group G]...   thing + ACTIVE certificate + key in a folder a device can use
  signer ota create (--thing T | --group G)... --file FW --profile P    OTA update over MQTT (CreateOTAUpdate)
  signer ota describe|cancel|executions ID, signer ota list
  signer --help

Commands that talk to the server read <data>/endpoints.json and <data>/credentials (--data-dir, SIGNER_DATA_DIR).

Environment: SIGNER_PORT, SIGNER_HOST, SIGNER_DATA_DIR, SIGNER_REGION, SIGNER_THROTTLE_RPS,
SIGNER_THROTTLE_BURST, SIGNER_MAX_BODY_BYTES, SIGNER_LOG_LEVEL (see docs/config.md).
`;

const COMMON = {
  'data-dir': { type: 'string' },
  config: { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function configFrom(values: Record<string, unknown>) {
  const flags: ConfigInput = {};
  if (typeof values['data-dir'] === 'string') flags.dataDir = values['data-dir'];
  if (typeof values.region === 'string') flags.region = values.region;
  if (typeof values.host === 'string') flags.host = values.host;
  if (typeof values.port === 'string') flags.port = Number(values.port);
  return loadConfig({ env: process.env, flags, file: typeof values.config === 'string' ? values.config : process.env.SIGNER_CONFIG });
}

/** Opens the state store and accounts of a data dir without starting the server. */
function openAccounts(values: Record<string, unknown>) {
  const config = configFrom(values);
  const store = SqliteStateStore.open(join(config.dataDir, 'state.db'));
  const master = loadOrCreateMasterKey(config.dataDir);
  return { config, store, accounts: new Accounts(store, new SecretBox(master.bytes, 'access-keys')) };
}

async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (cmd === 'serve') {
    const { values } = parseArgs({ args: argv.slice(1), options: { ...COMMON, port: { type: 'string' }, host: { type: 'string' } } });
    if (values.help) return (process.stdout.write(HELP), 0);
    const server = await startServer(configFrom(values));
    const stop = async () => {
      await server.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop());
    process.on('SIGTERM', () => void stop());
    process.stdout.write(
      `Signer API on ${server.apiUrl}\n` +
        `  export AWS_SHARED_CREDENTIALS_FILE=${join(server.config.dataDir, 'credentials')} AWS_CONFIG_FILE=${join(server.config.dataDir, 'config')}\n` +
        `  aws --endpoint-url ${server.apiUrl} signer list-signing-platforms\n`,
    );
    return new Promise<number>(() => undefined);
  }
  if (cmd === 'verify') {
    const { runVerify } = await import('./commands/verify.js');
    const { readFile } = await import('node:fs/promises');
    return runVerify(argv.slice(1), {
      stdout: (s) => process.stdout.write(s),
      stderr: (s) => process.stderr.write(s),
      readFile: async (p) => new Uint8Array(await readFile(p)),
    });
  }
  const out = (s: string) => void process.stdout.write(s);
  if (cmd === 'platforms' || cmd === 'certificates' || cmd === 'sign' || cmd === 'audit' || cmd === 'things' || cmd === 'ota') {
    const { values, tokens } = parseArgs({ args: argv.slice(1), options: { 'data-dir': { type: 'string' } }, strict: false, tokens: true });
    const dataDir = configFrom(values).dataDir;
    // Drop --data-dir from what the sub-command parses.
    const skip = new Set<number>();
    for (const t of tokens ?? []) if (t.kind === 'option' && t.name === 'data-dir') { skip.add(t.index); if (t.inlineValue === false) skip.add(t.index + 1); }
    const args = argv.slice(1).filter((_a, i) => !skip.has(i));
    if (cmd === 'platforms') return (await import('./commands/platforms.js')).runPlatforms(dataDir, out);
    if (cmd === 'certificates') return (await import('./commands/certificates.js')).runCertificates(args, dataDir, out);
    if (cmd === 'sign') return (await import('./commands/sign.js')).runSign(args, dataDir, out);
    if (cmd === 'things') return (await import('./commands/iot.js')).runThings(args, dataDir, out);
    if (cmd === 'ota') return (await import('./commands/iot.js')).runOta(args, dataDir, out);
    const store = SqliteStateStore.open(join(dataDir, 'state.db'));
    try {
      return await (await import('./commands/audit.js')).runAudit(args, store, out);
    } finally {
      await store.close();
    }
  }
  if (cmd === 'verify-lambda') {
    const { runVerifyLambda } = await import('./commands/verify-lambda.js');
    const { readFile } = await import('node:fs/promises');
    return runVerifyLambda(argv.slice(1), {
      stdout: (s) => process.stdout.write(s),
      stderr: (s) => process.stderr.write(s),
      readFile: async (p) => new Uint8Array(await readFile(p)),
    });
  }
  if (cmd === 'accounts' && sub === 'create') {
    const { values } = parseArgs({ args: rest, options: { ...COMMON, name: { type: 'string' }, 'account-id': { type: 'string' }, 'write-profile': { type: 'string' } } });
    if (!values.name) throw new ConfigError('accounts create needs --name.');
    const { config, store, accounts } = openAccounts(values);
    const id = await accounts.createAccount(values.name, values['account-id']);
    const key = await accounts.createAccessKey(id);
    if (values['write-profile']) writeCliFiles(config.dataDir, config.region, key, values['write-profile']);
    process.stdout.write(JSON.stringify({ accountId: id, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, null, 2) + '\n');
    await store.close();
    return 0;
  }
  if (cmd === 'accounts' && sub === 'list') {
    const { values } = parseArgs({ args: rest, options: COMMON });
    const { store } = openAccounts(values);
    for (const a of await store.listAccounts()) process.stdout.write(`${a.accountId}\t${a.name}\n`);
    await store.close();
    return 0;
  }
  if (cmd === 'keys' && sub === 'create') {
    const { values } = parseArgs({ args: rest, options: { ...COMMON, 'account-id': { type: 'string' }, user: { type: 'string' } } });
    if (!values['account-id']) throw new ConfigError('keys create needs --account-id.');
    const { store, accounts } = openAccounts(values);
    const key = await accounts.createAccessKey(values['account-id'], values.user);
    process.stdout.write(JSON.stringify({ accountId: key.accountId, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, null, 2) + '\n');
    await store.close();
    return 0;
  }
  process.stderr.write(`unknown command: ${argv.join(' ')}\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`signer: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof ConfigError ? 2 : 1);
  },
);
