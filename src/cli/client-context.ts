import '../sdk/quiet-node-warning.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACMClient } from '@aws-sdk/client-acm';
import { IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { SignerClient } from '@aws-sdk/client-signer';
import { CliFailure } from './io.js';

/** How a CLI command reaches a running server: endpoints and the admin key from its data dir. */
export interface ClientContext {
  region: string;
  signer: SignerClient;
  acm: ACMClient;
  s3: S3Client;
  /** AWS IoT control plane (served on the Signer API's endpoint). */
  iot: IoTClient;
  accessKeyId: string;
  endpoints: Endpoints;
}

interface Endpoints {
  signer: string;
  acm: string;
  s3: string;
  /** The AWS IoT endpoint (the Signer API's; older data folders lack it). */
  iot?: string;
  region: string;
}

/** Reads one profile's keys from an AWS shared-credentials file. */
function readCredentials(file: string, profile: string): { accessKeyId: string; secretAccessKey: string } {
  if (!existsSync(file)) throw new CliFailure(`${file} is missing: start the server once ('npm start') to write it, or pass --data-dir.`);
  let section = '';
  const found: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\[(.+)\]\s*$/.exec(line.trim());
    if (m) section = m[1]!;
    else if (section === profile) {
      const kv = /^\s*([a-z_]+)\s*=\s*(\S+)\s*$/.exec(line);
      if (kv) found[kv[1]!] = kv[2]!;
    }
  }
  if (!found.aws_access_key_id || !found.aws_secret_access_key) throw new CliFailure(`no profile '${profile}' in ${file}`);
  return { accessKeyId: found.aws_access_key_id, secretAccessKey: found.aws_secret_access_key };
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EADDRNOTAVAIL']);

/** The network error code of an SDK failure, if it is one (the SDK keeps Node's `code`). */
function connectionCode(e: unknown): string | undefined {
  for (let cur = e as { code?: unknown; cause?: unknown } | undefined, depth = 0; cur && depth < 4; cur = cur.cause as typeof cur, depth++) {
    if (typeof cur.code === 'string' && CONNECTION_CODES.has(cur.code)) return cur.code;
    for (const inner of (cur as { errors?: unknown[] }).errors ?? []) {
      const c = (inner as { code?: unknown }).code;
      if (typeof c === 'string' && CONNECTION_CODES.has(c)) return c;
    }
  }
  return undefined;
}

/** "connect ECONNREFUSED 127.0.0.1:9000" → which server, that it is not running, and where its data dir came from. */
export function explainConnectionError(e: unknown, what: string, endpoint: string, dataDir: string): Error {
  const code = connectionCode(e);
  if (code === undefined) return e as Error;
  return new CliFailure(
    `cannot reach the ${what} at ${endpoint} (${code}): the server is not running, or not on that address.\n` +
      `  The address comes from ${join(dataDir, 'endpoints.json')}, written by the server that last started with that data folder.\n` +
      `  Start it with 'npm start' (or 'signer serve --data-dir ${dataDir}'), or point at the right one with --data-dir DIR or SIGNER_DATA_DIR.`,
  );
}

/** Rewrites connection failures of every request of `client` into a CliFailure naming the endpoint. */
function explainFailures(client: { middlewareStack: { add: (mw: never, opts: { step: 'initialize'; name: string }) => void } }, what: string, endpoint: string, dataDir: string): void {
  const mw = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    try {
      return await next(args);
    } catch (e) {
      throw explainConnectionError(e, what, endpoint, dataDir);
    }
  };
  client.middlewareStack.add(mw as never, { step: 'initialize', name: 'signerCliExplainConnection' });
}

/** Clients for the server whose data dir is `dataDir` (it must be running: endpoints.json names it). */
export function clientContext(dataDir: string, profile = 'default'): ClientContext {
  const endpointsFile = join(dataDir, 'endpoints.json');
  if (!existsSync(endpointsFile)) {
    throw new CliFailure(
      `no server found for data folder ${dataDir}: ${endpointsFile} is missing.\n` +
        `  Start the server with 'npm start' (or 'signer serve --data-dir ${dataDir}'), or pass --data-dir DIR (SIGNER_DATA_DIR) to use another one.`,
    );
  }
  const ep = JSON.parse(readFileSync(endpointsFile, 'utf8')) as Endpoints;
  const credentials = readCredentials(join(dataDir, 'credentials'), profile);
  const common = { region: ep.region, credentials, maxAttempts: 2 };
  const signer = new SignerClient({ ...common, endpoint: ep.signer, disableHostPrefix: true });
  const acm = new ACMClient({ ...common, endpoint: ep.acm });
  const s3 = new S3Client({ ...common, endpoint: ep.s3, forcePathStyle: true });
  explainFailures(signer as never, 'Signer API', ep.signer, dataDir);
  explainFailures(acm as never, 'ACM endpoint', ep.acm, dataDir);
  const iot = new IoTClient({ ...common, endpoint: ep.iot ?? ep.signer });
  explainFailures(s3 as never, 'embedded S3 endpoint', ep.s3, dataDir);
  explainFailures(iot as never, 'AWS IoT endpoint', ep.iot ?? ep.signer, dataDir);
  return { region: ep.region, accessKeyId: credentials.accessKeyId, signer, acm, s3, iot, endpoints: ep };
}
