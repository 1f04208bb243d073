/**
 * The server as a separate process (`signer serve`), for tests that kill it mid-work.
 * Clients read the endpoints and admin key the server writes into its data dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ACMClient } from '@aws-sdk/client-acm';
import { S3Client } from '@aws-sdk/client-s3';
import { SignerClient } from '@aws-sdk/client-signer';
import { waitFor } from './wait.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface ChildServer {
  process: ChildProcess;
  signer: SignerClient;
  acm: ACMClient;
  s3: S3Client;
  /** Everything the process wrote to stdout and stderr. */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

function credentials(dataDir: string) {
  const text = readFileSync(`${dataDir}/credentials`, 'utf8');
  return {
    accessKeyId: /aws_access_key_id = (\S+)/.exec(text)![1]!,
    secretAccessKey: /aws_secret_access_key = (\S+)/.exec(text)![1]!,
  };
}

/** Starts `signer serve` on free ports over `dataDir` and waits until it listens. */
export async function startChildServer(dataDir: string, env: Record<string, string> = {}): Promise<ChildServer> {
  rmSync(`${dataDir}/endpoints.json`, { force: true });
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, SIGNER_S3_PORT: '0', SIGNER_MQTT_TLS_PORT: '0', SIGNER_MQTT_PORT: '0', SIGNER_THROTTLE_RPS: '0', SIGNER_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // endpoints.json is written while the server starts: wait until it is there AND whole (a loaded
  // machine can show a half-written file). A child that fails to start is killed, never left behind.
  let ep: { signer: string; s3: string; region: string };
  try {
    ep = await waitFor('the server to write endpoints.json', () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early:\n${out}`);
      try {
        return JSON.parse(readFileSync(`${dataDir}/endpoints.json`, 'utf8')) as { signer: string; s3: string; region: string };
      } catch {
        return undefined;
      }
    });
  } catch (e) {
    child.kill('SIGKILL');
    throw (e as Error).message.includes(out) ? e : new Error(`${(e as Error).message}\n${out}`);
  }
  const common = { region: ep.region, credentials: credentials(dataDir), maxAttempts: 1 };
  return {
    process: child,
    signer: new SignerClient({ ...common, endpoint: ep.signer, disableHostPrefix: true }),
    acm: new ACMClient({ ...common, endpoint: ep.signer }),
    s3: new S3Client({ ...common, endpoint: ep.s3, forcePathStyle: true }),
    output: () => out,
    kill: (signal = 'SIGKILL') =>
      new Promise((resolve) => {
        // A process ended by a signal has signalCode set and exitCode null.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
