import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Accounts, SecretBox, deriveKey } from '../accounts/index.js';
import { ApiServer, loadSignerModel, type TargetService } from '../api/index.js';
import { ConfigError, type Config } from '../config/index.js';
import { AuditTrail } from '../events/index.js';
import { loadOrCreateMasterKey } from '../keys/master-key.js';
import { createLogger, type Logger } from '../log/index.js';
import { PageTokens, PlatformRegistry, SignerService } from '../signer/index.js';
import { SqliteStateStore, type StateStore } from '../store/index.js';
import { listenWithFallback } from './listen.js';

/** A running server and the handles tests and the CLI need. */
export interface RunningServer {
  config: Config;
  apiUrl: string;
  apiPort: number;
  adminAccountId: string;
  store: StateStore;
  accounts: Accounts;
  service: SignerService;
  logger: Logger;
  close(): Promise<void>;
}

/** Wires the capabilities together and starts listening. The only place (with src/cli) that does. */
export async function startServer(config: Config, opts: { logger?: Logger; targets?: TargetService[] } = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  if (config.database.kind !== 'sqlite') {
    throw new ConfigError('SIGNER_DATABASE_URL: the PostgreSQL backend is not available in this version; unset it to use the embedded SQLite store.');
  }
  const store = SqliteStateStore.open(config.database.file);
  const master = loadOrCreateMasterKey(config.dataDir);
  const accounts = new Accounts(store, new SecretBox(master.bytes, 'access-keys'));
  const { accountId: adminAccountId, created } = await accounts.bootstrap(config.dataDir, config.region);
  if (created) logger.info('created admin account and access key', { accountId: adminAccountId, credentials: join(config.dataDir, 'credentials') });

  const platforms = new PlatformRegistry();
  const service = new SignerService({
    store,
    platforms,
    tokens: new PageTokens(deriveKey(master.bytes, 'page-tokens')),
    region: config.region,
    now: () => new Date(),
  });
  const audit = new AuditTrail(store);
  const api = new ApiServer({
    model: loadSignerModel(),
    service,
    lookup: accounts.lookup,
    audit,
    logger,
    region: config.region,
    maxBodyBytes: config.maxBodyBytes,
    maxClockSkewMs: config.maxClockSkewMs,
    throttle: config.throttle,
    targets: opts.targets,
  });
  const apiPort = await listenWithFallback('Signer API', config.api, (p) => api.listen(p, config.host), logger);
  const apiUrl = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${apiPort}`;
  writeFileSync(join(config.dataDir, 'endpoints.json'), JSON.stringify({ signer: apiUrl, acm: apiUrl, region: config.region }, null, 2) + '\n');
  logger.info('Signer API listening', { url: apiUrl, dataDir: config.dataDir, platforms: platforms.all().length });

  return {
    config,
    apiUrl,
    apiPort,
    adminAccountId,
    store,
    accounts,
    service,
    logger,
    async close() {
      await api.close();
      await store.close();
    },
  };
}
