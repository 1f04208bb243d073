import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config, PortConfig } from './config.types.js';

/** Raised when configuration is invalid; the message names the option to change. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Options as they may appear in a JSON config file or as command-line flags (all optional). */
export interface ConfigInput {
  dataDir?: string;
  host?: string;
  region?: string;
  port?: number;
  s3Port?: number;
  databaseUrl?: string;
  throttleRatePerSecond?: number;
  throttleBurst?: number;
  maxBodyBytes?: number;
  logLevel?: Config['logLevel'];
  eventsWebhookUrl?: string;
  eventsWebhookSecret?: string;
  eventsWebhookRetries?: number;
  eventsMqttUrl?: string;
  eventsMqttTopic?: string;
  pkcs11Library?: string;
  pkcs11TokenLabel?: string;
  pkcs11Pin?: string;
  mqttTlsPort?: number;
  mqttPort?: number;
  mqttUrl?: string;
  mqttCaFile?: string;
  mqttCertFile?: string;
  mqttKeyFile?: string;
  headersTimeoutMs?: number;
  apiRequestTimeoutMs?: number;
  s3RequestTimeoutMs?: number;
  idleTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  maxConnectionsPerIp?: number;
  unauthenticatedMaxBodyBytes?: number;
  authFailureRatePerSecond?: number;
  authFailureBurst?: number;
  maxJsonDepth?: number;
  maxXmlBytes?: number;
  maxXmlElements?: number;
  maxXmlDepth?: number;
}

/** Limit options: JSON key, environment variable, default, smallest and largest accepted value. */
const LIMITS = [
  ['headersTimeoutMs', 'SIGNER_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000],
  ['apiRequestTimeoutMs', 'SIGNER_API_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000],
  ['s3RequestTimeoutMs', 'SIGNER_S3_REQUEST_TIMEOUT_MS', 3_600_000, 100, 86_400_000],
  ['idleTimeoutMs', 'SIGNER_IDLE_TIMEOUT_MS', 30_000, 100, 3_600_000],
  ['keepAliveTimeoutMs', 'SIGNER_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 600_000],
  ['maxConnectionsPerIp', 'SIGNER_MAX_CONNECTIONS_PER_IP', 64, 1, 100_000],
  ['unauthenticatedMaxBodyBytes', 'SIGNER_UNAUTHENTICATED_MAX_BODY_BYTES', 16 * 1024, 0, 1024 * 1024],
  ['authFailureRatePerSecond', 'SIGNER_AUTH_FAILURE_RPS', 10, 0, 1_000_000],
  ['authFailureBurst', 'SIGNER_AUTH_FAILURE_BURST', 50, 1, 1_000_000],
  ['maxJsonDepth', 'SIGNER_MAX_JSON_DEPTH', 32, 4, 1000],
  ['maxXmlBytes', 'SIGNER_MAX_XML_BYTES', 2 * 1024 * 1024, 8192, 64 * 1024 * 1024],
  ['maxXmlElements', 'SIGNER_MAX_XML_ELEMENTS', 100_000, 16, 10_000_000],
  ['maxXmlDepth', 'SIGNER_MAX_XML_DEPTH', 16, 4, 1000],
] as const satisfies readonly (readonly [keyof ConfigInput, string, number, number, number])[];
type LimitKey = (typeof LIMITS)[number][0];

/** The defaults: everything embedded, on loopback, under ./data. */
export const DEFAULTS = Object.freeze({
  dataDir: './data',
  host: '127.0.0.1',
  region: 'us-east-1',
  port: 8080,
  s3Port: 9000,
  mqttTlsPort: 8883,
  mqttPort: 1883,
  throttleRatePerSecond: 200,
  throttleBurst: 400,
  maxBodyBytes: 1024 * 1024,
  maxClockSkewMs: 15 * 60 * 1000,
  logLevel: 'info' as Config['logLevel'],
});

/** The limit defaults, by option name (docs/config.md lists them). */
export const LIMIT_DEFAULTS: Readonly<Record<LimitKey, number>> = Object.freeze(Object.fromEntries(LIMITS.map(([key, , d]) => [key, d])) as Record<LimitKey, number>);

/** Environment variables and the option each sets. `process.env` is read only by the caller of loadConfig. */
const ENV: Record<string, keyof ConfigInput> = {
  SIGNER_DATA_DIR: 'dataDir',
  SIGNER_HOST: 'host',
  SIGNER_REGION: 'region',
  SIGNER_PORT: 'port',
  SIGNER_S3_PORT: 's3Port',
  SIGNER_DATABASE_URL: 'databaseUrl',
  SIGNER_THROTTLE_RPS: 'throttleRatePerSecond',
  SIGNER_THROTTLE_BURST: 'throttleBurst',
  SIGNER_MAX_BODY_BYTES: 'maxBodyBytes',
  SIGNER_LOG_LEVEL: 'logLevel',
  SIGNER_EVENTS_WEBHOOK_URL: 'eventsWebhookUrl',
  SIGNER_EVENTS_WEBHOOK_SECRET: 'eventsWebhookSecret',
  SIGNER_EVENTS_WEBHOOK_RETRIES: 'eventsWebhookRetries',
  SIGNER_EVENTS_MQTT_URL: 'eventsMqttUrl',
  SIGNER_EVENTS_MQTT_TOPIC: 'eventsMqttTopic',
  SIGNER_PKCS11_LIBRARY: 'pkcs11Library',
  SIGNER_PKCS11_TOKEN_LABEL: 'pkcs11TokenLabel',
  SIGNER_PKCS11_PIN: 'pkcs11Pin',
  SIGNER_MQTT_TLS_PORT: 'mqttTlsPort',
  SIGNER_MQTT_PORT: 'mqttPort',
  SIGNER_MQTT_URL: 'mqttUrl',
  SIGNER_MQTT_CA_FILE: 'mqttCaFile',
  SIGNER_MQTT_CERT_FILE: 'mqttCertFile',
  SIGNER_MQTT_KEY_FILE: 'mqttKeyFile',
  ...Object.fromEntries(LIMITS.map(([key, env]) => [env, key])),
};
/** Every environment variable the configuration reads (the CLI's help lists them all). */
export const ENVIRONMENT_VARIABLES: readonly string[] = Object.freeze(Object.keys(ENV));
const NUMERIC = new Set<keyof ConfigInput>(['port', 's3Port', 'mqttTlsPort', 'mqttPort', 'throttleRatePerSecond', 'throttleBurst', 'maxBodyBytes', 'eventsWebhookRetries', ...LIMITS.map(([key]) => key)]);
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'];

function fromEnv(env: Record<string, string | undefined>): { input: ConfigInput; source: Map<keyof ConfigInput, string> } {
  const input: Record<string, unknown> = {};
  const source = new Map<keyof ConfigInput, string>();
  for (const [name, key] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (NUMERIC.has(key)) {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got '${raw}'.`);
      input[key] = n;
    } else input[key] = raw;
    source.set(key, name);
  }
  return { input: input as ConfigInput, source };
}

function port(value: number | undefined, fallback: number, setBy: string | undefined, defaultName: string): PortConfig {
  const p = value ?? fallback;
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new ConfigError(`${setBy ?? defaultName} must be a port number 0-65535, got ${p}.`);
  return { port: p, explicit: value !== undefined, setBy: setBy ?? defaultName };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Builds the configuration: defaults, then the JSON file (if any), then the environment,
 * then flags. Validated once and deep-frozen.
 */
export function loadConfig(opts: { env?: Record<string, string | undefined>; flags?: ConfigInput; file?: string } = {}): Config {
  let fileInput: ConfigInput = {};
  if (opts.file) {
    try {
      fileInput = JSON.parse(readFileSync(opts.file, 'utf8')) as ConfigInput;
    } catch (e) {
      throw new ConfigError(`Cannot read config file ${opts.file}: ${(e as Error).message}`);
    }
  }
  const env = fromEnv(opts.env ?? {});
  const flags = opts.flags ?? {};
  const merged: ConfigInput = { ...fileInput, ...env.input, ...flags };
  const setBy = (key: keyof ConfigInput, flag: string): string | undefined =>
    key in flags && flags[key] !== undefined ? flag : env.source.get(key) ?? (key in fileInput ? `${key} in ${opts.file}` : undefined);

  const dataDir = resolve(merged.dataDir ?? DEFAULTS.dataDir);
  const logLevel = merged.logLevel ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`SIGNER_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}.`);
  const region = merged.region ?? DEFAULTS.region;
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new ConfigError(`SIGNER_REGION must look like an AWS region (us-east-1), got '${region}'.`);
  let database: Config['database'] = { kind: 'sqlite', file: join(dataDir, 'state.db') };
  if (merged.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(merged.databaseUrl)) throw new ConfigError('SIGNER_DATABASE_URL must be a postgres:// URL.');
    database = { kind: 'postgres', url: merged.databaseUrl };
  }
  const rate = merged.throttleRatePerSecond ?? DEFAULTS.throttleRatePerSecond;
  const burst = merged.throttleBurst ?? Math.max(DEFAULTS.throttleBurst, rate * 2);
  if (rate < 0 || burst < 1) throw new ConfigError('SIGNER_THROTTLE_RPS must be ≥ 0 (0 = off) and SIGNER_THROTTLE_BURST ≥ 1.');
  const maxBodyBytes = merged.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 8192) throw new ConfigError('SIGNER_MAX_BODY_BYTES must be an integer ≥ 8192.');

  const events: Config['events'] = {};
  if (merged.eventsWebhookUrl) {
    if (!/^https?:\/\//.test(merged.eventsWebhookUrl)) throw new ConfigError('SIGNER_EVENTS_WEBHOOK_URL must be an http(s) URL.');
    if (!merged.eventsWebhookSecret || merged.eventsWebhookSecret.length < 16) {
      throw new ConfigError('SIGNER_EVENTS_WEBHOOK_SECRET (at least 16 characters) is required with SIGNER_EVENTS_WEBHOOK_URL: receivers check the HMAC.');
    }
    events.webhook = { url: merged.eventsWebhookUrl, secret: merged.eventsWebhookSecret, retries: merged.eventsWebhookRetries ?? 5, baseDelayMs: 500 };
  }
  if (merged.eventsMqttUrl) {
    if (!/^mqtts?:\/\//.test(merged.eventsMqttUrl)) throw new ConfigError('SIGNER_EVENTS_MQTT_URL must be an mqtt:// or mqtts:// URL.');
    events.mqtt = { url: merged.eventsMqttUrl, topic: merged.eventsMqttTopic ?? 'signer/events' };
  }

  const limit = {} as Record<LimitKey, number>;
  for (const [key, envName, fallback, min, max] of LIMITS) {
    const v = merged[key] ?? fallback;
    const whole = key !== 'authFailureRatePerSecond'; // a refill rate may be fractional (0.1 = one per 10 s)
    if (typeof v !== 'number' || !Number.isFinite(v) || (whole && !Number.isInteger(v)) || v < min || v > max) {
      throw new ConfigError(`${setBy(key, key) ?? envName} must be ${whole ? 'an integer' : 'a number'} from ${min} to ${max}, got ${v}.`);
    }
    limit[key] = v;
  }
  if (limit.unauthenticatedMaxBodyBytes > maxBodyBytes) throw new ConfigError('SIGNER_UNAUTHENTICATED_MAX_BODY_BYTES must not exceed SIGNER_MAX_BODY_BYTES.');
  const limits: Config['limits'] = {
    headersTimeoutMs: limit.headersTimeoutMs,
    apiRequestTimeoutMs: limit.apiRequestTimeoutMs,
    s3RequestTimeoutMs: limit.s3RequestTimeoutMs,
    idleTimeoutMs: limit.idleTimeoutMs,
    keepAliveTimeoutMs: limit.keepAliveTimeoutMs,
    maxConnectionsPerIp: limit.maxConnectionsPerIp,
    unauthenticatedMaxBodyBytes: limit.unauthenticatedMaxBodyBytes,
    authFailures: { ratePerSecond: limit.authFailureRatePerSecond, burst: limit.authFailureBurst },
    maxJsonDepth: limit.maxJsonDepth,
    xml: { maxBytes: limit.maxXmlBytes, maxElements: limit.maxXmlElements, maxDepth: limit.maxXmlDepth },
  };

  let keys: Config['keys'] = { kind: 'file' };
  if (merged.pkcs11Library) {
    if (!merged.pkcs11TokenLabel || merged.pkcs11Pin === undefined) {
      throw new ConfigError('SIGNER_PKCS11_LIBRARY needs SIGNER_PKCS11_TOKEN_LABEL and SIGNER_PKCS11_PIN.');
    }
    keys = { kind: 'pkcs11', libraryPath: merged.pkcs11Library, tokenLabel: merged.pkcs11TokenLabel, pin: String(merged.pkcs11Pin) };
  }

  let mqtt: Config['mqtt'];
  if (merged.mqttUrl) {
    if (!/^(mqtts?|wss?):\/\//.test(merged.mqttUrl)) throw new ConfigError('SIGNER_MQTT_URL must be an mqtt://, mqtts://, ws:// or wss:// URL.');
    if ((merged.mqttCertFile === undefined) !== (merged.mqttKeyFile === undefined)) throw new ConfigError('SIGNER_MQTT_CERT_FILE and SIGNER_MQTT_KEY_FILE go together.');
    mqtt = {
      kind: 'external',
      url: merged.mqttUrl,
      ...(merged.mqttCaFile ? { caFile: merged.mqttCaFile } : {}),
      ...(merged.mqttCertFile && merged.mqttKeyFile ? { certFile: merged.mqttCertFile, keyFile: merged.mqttKeyFile } : {}),
    };
  } else {
    mqtt = {
      kind: 'embedded',
      tls: port(merged.mqttTlsPort, DEFAULTS.mqttTlsPort, setBy('mqttTlsPort', '--mqtt-tls-port'), 'SIGNER_MQTT_TLS_PORT'),
      plain: port(merged.mqttPort, DEFAULTS.mqttPort, setBy('mqttPort', '--mqtt-port'), 'SIGNER_MQTT_PORT'),
    };
  }

  return deepFreeze<Config>({
    dataDir,
    host: merged.host ?? DEFAULTS.host,
    region,
    api: port(merged.port, DEFAULTS.port, setBy('port', '--port'), 'SIGNER_PORT'),
    s3: port(merged.s3Port, DEFAULTS.s3Port, setBy('s3Port', '--s3-port'), 'SIGNER_S3_PORT'),
    database,
    keys,
    throttle: { ratePerSecond: rate, burst },
    maxBodyBytes,
    maxClockSkewMs: DEFAULTS.maxClockSkewMs,
    limits,
    logLevel,
    events,
    mqtt,
  });
}
