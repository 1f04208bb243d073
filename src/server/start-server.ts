import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Accounts, SecretBox, deriveKey } from '../accounts/index.js';
import { ApiServer, loadSignerModel, type TargetService } from '../api/index.js';
import { ConfigError, type Config } from '../config/index.js';
import { AuditTrail, MqttSink, WebhookSink, jobStatusEvents, type EventSink } from '../events/index.js';
import { JobRunner } from '../jobs/index.js';
import {
  acmAuditParameters,
  createAcmService,
  createCertificateManager,
  createEncryptedFileBackend,
  createPkcs11Backend,
  createSqliteKeysStore,
  isKeysError,
  loadOrCreateLocalCa,
  loadOrCreateMasterKey,
  type CertificateManager,
} from '../keys/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { createFsObjectStore, createSigV4Authenticator, startEmbeddedS3, type ObjectStore } from '../objects/index.js';
import { PageTokens, PlatformRegistry, SignerError, SignerService, type CertificateKeyType } from '../signer/index.js';
import { SqliteStateStore, type StateStore } from '../store/index.js';
import { createIotServices, SqliteTagService, type IotContext, type IotRuntime } from '../iot/index.js';
import { connectExternalTransport, loadOrCreateBrokerTls, startEmbeddedBroker, startOtaService, type EmbeddedBroker, type MqttTransport, type OtaService } from '../ota/index.js';
import { secureDataDir } from './data-dir.js';
import { listenWithFallback } from './listen.js';
import { createOtaSigning } from './ota-signing.js';
import { createIotRestServices } from '../api/iot/index.js';

/** A running server and the handles tests and the CLI need. */
export interface RunningServer {
  config: Config;
  apiUrl: string;
  apiPort: number;
  s3Url: string;
  adminAccountId: string;
  store: StateStore;
  accounts: Accounts;
  service: SignerService;
  certificates: CertificateManager;
  objects: ObjectStore;
  jobs: JobRunner;
  /** The AWS IoT domain (things, certificates, streams, jobs, OTA updates). */
  iot: IotRuntime;
  /** The account and region the MQTT data plane serves (the admin account). */
  iotContext: IotContext;
  /** The OTA data plane's MQTT listeners (embedded broker) or the external broker URL. */
  mqtt: { tlsUrl?: string; tlsPort?: number; plainUrl?: string; plainPort?: number; caFile?: string; externalUrl?: string };
  ota: OtaService;
  /** Waits until every job event handed to a sink has been delivered (or given up). */
  flushEvents(): Promise<void>;
  logger: Logger;
  close(): Promise<void>;
}

/** Wires the capabilities together and starts listening. The only place (with src/cli) that does. */
export async function startServer(config: Config, opts: { logger?: Logger } = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  if (config.database.kind !== 'sqlite') {
    throw new ConfigError('SIGNER_DATABASE_URL: the PostgreSQL backend is not available in this version; unset it to use the embedded SQLite store.');
  }
  // Before anything in it is opened: 0700/0600 for what exists (older versions left 0755/0644), umask 077 for what comes.
  secureDataDir(config.dataDir, { databaseFile: config.database.file, logger });
  const store = SqliteStateStore.open(config.database.file);
  const master = loadOrCreateMasterKey(config.dataDir);
  const accounts = new Accounts(store, new SecretBox(master.bytes, 'access-keys'));

  // Keys: certificates and wrapped private keys live in the same SQLite file, under their own migrations.
  const keysStore = createSqliteKeysStore(store.db);
  // New keys go to the configured backend; keys made earlier stay usable in the other one.
  const fileBackend = createEncryptedFileBackend({ repository: keysStore.wrappedKeys, masterKey: master });
  const hsm =
    config.keys.kind === 'pkcs11'
      ? await createPkcs11Backend({ libraryPath: config.keys.libraryPath, tokenLabel: config.keys.tokenLabel, pin: config.keys.pin })
      : undefined;
  const certificates = createCertificateManager({
    repository: keysStore.certificates,
    backend: hsm ?? fileBackend,
    otherBackends: hsm ? [fileBackend] : [],
  });
  // Whether the key fits the platform is checked in one place, with the descriptor (src/signer/profiles.ts).
  const certificateKeyType: CertificateKeyType = async (arn, accountId) => {
    try {
      return (await certificates.getCertificate(arn, { accountId, region: config.region })).facts.keyType;
    } catch (e) {
      if (isKeysError(e, 'NOT_FOUND') || isKeysError(e, 'INVALID_ARN')) throw new SignerError('ResourceNotFoundException', `Certificate ${arn} does not exist.`);
      throw e;
    }
  };

  const objects = await createFsObjectStore({ root: join(config.dataDir, 'objects') });
  const platforms = new PlatformRegistry();
  const sinks: EventSink[] = [];
  if (config.events.webhook) sinks.push(new WebhookSink({ ...config.events.webhook, timeoutMs: 10_000 }, logger));
  if (config.events.mqtt) sinks.push(await MqttSink.connect(config.events.mqtt.url, config.events.mqtt.topic, logger));
  const jobs = new JobRunner({
    store,
    platforms,
    objects,
    keys: certificates,
    region: config.region,
    logger,
    concurrency: 2,
    onStatusChange: (job) => {
      for (const event of jobStatusEvents(job, config.region)) for (const sink of sinks) sink.publish(event);
    },
  });
  const service = new SignerService(
    { store, platforms, tokens: new PageTokens(deriveKey(master.bytes, 'page-tokens')), region: config.region, now: () => new Date() },
    { engine: jobs, certificateKeyType },
  );

  // A certificate that an Active profile signs with cannot be deleted (ACM's ResourceInUseException).
  const acm = createAcmService({ certificates, inUseBy: (arn) => store.profilesUsingCertificate(arn) });
  const acmTarget: TargetService = {
    prefix: 'CertificateManager',
    signingName: 'acm',
    eventSource: 'acm.amazonaws.com',
    handlers: acm.handlers,
    auditParameters: acmAuditParameters,
    // 5xx details (key ids, PKCS#11 return codes) stay in the log; clients get a generic message.
    mapError: (e) => {
      if (!isKeysError(e)) return undefined;
      if (e.httpStatus >= 500) {
        logger.error('keys internal error', { code: e.code, error: e.message });
        return { type: e.awsType, status: e.httpStatus, message: 'An internal error occurred.' };
      }
      return { type: e.awsType, status: e.httpStatus, message: e.message };
    },
  };
  // The IoT domain shares the SQLite file (scope `iot`); the OTA data plane serves the admin account.
  // CA and broker keys are sealed under the master key on disk.
  const caKeys = new SecretBox(master.bytes, 'local-ca-keys');
  const deviceCa = await loadOrCreateLocalCa(join(config.dataDir, 'iot'), 'device-ca', 'iot-signer device CA', caKeys);
  const iot = createIotServices({
    db: store.db,
    objects,
    signing: createOtaSigning({ service, store, platforms, objects }),
    deviceCa,
    region: config.region,
    onError: (e) => logger.error('iot internal error', { error: String(e) }),
  });
  // DescribeEndpoint answers the listeners' real addresses, known once they are bound.
  const endpoints: { api?: string; dataAts?: string } = {};
  const iotRest = createIotRestServices(iot, {
    tags: new SqliteTagService(store.db, iot),
    endpoint: (type) => (type === 'iot:Jobs' ? endpoints.api : type === 'iot:Data-ATS' || type === 'iot:Data' ? endpoints.dataAts : undefined),
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
    targets: [acmTarget],
    services: iotRest,
    limits: { ...config.limits, requestTimeoutMs: config.limits.apiRequestTimeoutMs },
  });
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  // Every port (API, S3, both MQTT listeners) is bound, and an external broker connected, before the
  // first account or credentials file is written: a start that fails on a taken port leaves the data
  // folder as it found it (apart from the empty state file and the generated CAs).
  let s3Close: () => Promise<void> = async () => undefined;
  let apiPort: number;
  let s3Port: number;
  // The broker admits devices of the admin account only, which exists once the ports are bound.
  let bootstrapped: string | undefined;
  let broker: EmbeddedBroker | undefined;
  let transport: MqttTransport;
  let mqtt: RunningServer['mqtt'];
  try {
    apiPort = await listenWithFallback('Signer API', config.api, (p) => api.listen(p, config.host), logger);
    s3Port = await listenWithFallback(
    'embedded S3',
    config.s3,
    async (p) => {
      const s3 = await startEmbeddedS3({
        store: objects,
        authenticate: createSigV4Authenticator({ region: config.region, lookup: accounts.lookup, maxSkewMs: config.maxClockSkewMs }),
        host: config.host,
        port: p,
        region: config.region,
        limits: { ...config.limits, requestTimeoutMs: config.limits.s3RequestTimeoutMs },
        onError: (err, requestId) => logger.error('embedded S3 internal error', { requestId, error: String(err) }),
        onClientAbort: (requestId, reason) => logger.debug('embedded S3: client went away', { requestId, reason }),
      });
      s3Close = () => s3.close();
      return s3.port;
    },
    logger,
    );
    if (config.mqtt.kind === 'embedded') {
      const tls = await loadOrCreateBrokerTls(config.dataDir, caKeys);
      broker = await startEmbeddedBroker({ tls, devices: iot.certificates, accountId: () => bootstrapped, host: config.host, tlsPort: config.mqtt.tls, plainPort: config.mqtt.plain, logger });
      transport = broker.transport;
      mqtt = { tlsUrl: `mqtts://localhost:${broker.tlsPort}`, tlsPort: broker.tlsPort, plainUrl: `mqtt://127.0.0.1:${broker.plainPort}`, plainPort: broker.plainPort, caFile: tls.caFile };
    } else {
      const m = config.mqtt;
      transport = await connectExternalTransport(m.url, logger, {
        ...(m.caFile ? { ca: readFileSync(m.caFile, 'utf8') } : {}),
        ...(m.certFile && m.keyFile ? { cert: readFileSync(m.certFile, 'utf8'), key: readFileSync(m.keyFile, 'utf8') } : {}),
      });
      mqtt = { externalUrl: m.url };
    }
  } catch (e) {
    await api.close().catch(() => undefined);
    await s3Close().catch(() => undefined);
    await iot.close();
    await jobs.stop();
    for (const sink of sinks) await sink.close();
    await hsm?.close();
    await store.close();
    throw e;
  }
  const apiUrl = `http://${host}:${apiPort}`;
  endpoints.api = `${host}:${apiPort}`;
  const s3Url = `http://${host}:${s3Port}`;
  const { accountId: adminAccountId, created } = await accounts.bootstrap(config.dataDir, config.region);
  if (created) logger.info('created admin account and access key', { accountId: adminAccountId, credentials: join(config.dataDir, 'credentials') });

  const iotContext: IotContext = { accountId: adminAccountId, region: config.region };
  bootstrapped = adminAccountId;
  // AWS answers a bare host name (port 8883 implied); a broker on another port is named host:port.
  if (mqtt.tlsPort !== undefined) endpoints.dataAts = mqtt.tlsPort === 8883 ? 'localhost' : `localhost:${mqtt.tlsPort}`;
  else if (mqtt.externalUrl) {
    const u = new URL(mqtt.externalUrl);
    endpoints.dataAts = u.port && u.port !== '8883' ? `${u.hostname}:${u.port}` : u.hostname;
  }
  const ota = await startOtaService({ ctx: iotContext, iot, transport, logger });

  // Written whole under a temporary name, then renamed: a reader (the CLI, a test) never sees half a file.
  const endpointsFile = join(config.dataDir, 'endpoints.json');
  writeFileSync(
    `${endpointsFile}.tmp`,
    JSON.stringify(
      {
        signer: apiUrl,
        acm: apiUrl,
        iot: apiUrl,
        s3: s3Url,
        region: config.region,
        mqtt: broker
          ? { tls: mqtt.tlsUrl, plain: mqtt.plainUrl, caFile: mqtt.caFile, deviceCaFile: join(config.dataDir, 'iot', 'device-ca.cert.pem') }
          : { external: config.mqtt.kind === 'external' ? config.mqtt.url : undefined },
      },
      null,
      2,
    ) + '\n',
    { mode: 0o600 },
  );
  renameSync(`${endpointsFile}.tmp`, endpointsFile);
  logger.info('listening', { signer: apiUrl, s3: s3Url, mqtt: mqtt.tlsUrl ?? mqtt.externalUrl, mqttLocal: mqtt.plainUrl, dataDir: config.dataDir, platforms: platforms.all().length });
  await jobs.recover();

  return {
    config,
    apiUrl,
    apiPort,
    s3Url,
    adminAccountId,
    store,
    accounts,
    service,
    certificates,
    objects,
    jobs,
    iot,
    iotContext,
    mqtt,
    ota,
    logger,
    async flushEvents() {
      for (const sink of sinks) await sink.flush();
    },
    async close() {
      await ota.close();
      await broker?.close();
      await iot.close();
      await api.close();
      await s3Close();
      await jobs.stop();
      for (const sink of sinks) await sink.close();
      await hsm?.close();
      await audit.flush();
      await store.close();
    },
  };
}
