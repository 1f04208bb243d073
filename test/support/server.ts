/**
 * Starts the real server on free ports with a temporary data dir, and builds official
 * AWS SDK clients for its accounts. No mocks: requests travel over HTTP with SigV4.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignerClient } from '@aws-sdk/client-signer';
import { loadConfig, type ConfigInput } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

export interface TestAccount {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  client: SignerClient;
}

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  url: string;
  admin: TestAccount;
  /** Creates another account with its own key and client (for cross-account tests). */
  newAccount(name?: string): Promise<TestAccount>;
  /** An SDK client with arbitrary credentials (for authentication tests). */
  clientWith(accessKeyId: string, secretAccessKey: string, opts?: { region?: string }): SignerClient;
  /** Stops the server; `keepData` leaves the data dir for a restart. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export function signerClient(url: string, accessKeyId: string, secretAccessKey: string, region = 'us-east-1'): SignerClient {
  // disableHostPrefix: GetRevocationStatus carries hostPrefix "data-", which a custom endpoint cannot resolve.
  return new SignerClient({ endpoint: url, region, credentials: { accessKeyId, secretAccessKey }, disableHostPrefix: true, maxAttempts: 1 });
}

/** Starts a server; pass `dataDir` to restart on existing state. */
export async function startTestServer(opts: { dataDir?: string; flags?: ConfigInput; env?: Record<string, string> } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'signer-test-'));
  const config = loadConfig({ env: { SIGNER_THROTTLE_RPS: '0', ...opts.env }, flags: { dataDir, port: 0, s3Port: 0, mqttTlsPort: 0, mqttPort: 0, ...opts.flags } });
  const server = await startServer(config, { logger: createLogger('silent') });
  const url = server.apiUrl;
  const keys = await server.store.listAccessKeys(server.adminAccountId);
  const adminKey = keys[0]!;
  const adminCred = (await server.accounts.lookup(adminKey.accessKeyId))!;
  const admin: TestAccount = {
    accountId: server.adminAccountId,
    accessKeyId: adminCred.accessKeyId,
    secretAccessKey: adminCred.secretAccessKey,
    client: signerClient(url, adminCred.accessKeyId, adminCred.secretAccessKey, config.region),
  };
  let n = 0;
  return {
    server,
    dataDir,
    url,
    admin,
    async newAccount(name = `acct${++n}`) {
      const accountId = await server.accounts.createAccount(name);
      const key = await server.accounts.createAccessKey(accountId);
      return { accountId, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, client: signerClient(url, key.accessKeyId, key.secretAccessKey) };
    },
    clientWith(accessKeyId, secretAccessKey, o = {}) {
      return signerClient(url, accessKeyId, secretAccessKey, o.region);
    },
    async stop(o = {}) {
      await server.close();
      if (!o.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
