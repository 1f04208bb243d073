/** Where the state lives: the embedded SQLite file, or a PostgreSQL server (scale-out). */
export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** Where new private keys live: the encrypted file store (default) or a PKCS#11 token (HSM). */
export type KeyBackendConfig = { kind: 'file' } | { kind: 'pkcs11'; libraryPath: string; tokenLabel: string; pin: string };

/** A listening port and whether the user chose it (a chosen port that is taken is an error). */
export interface PortConfig {
  port: number;
  explicit: boolean;
  /** The variable or flag that sets it, named in errors. */
  setBy: string;
}

/** The one typed, frozen configuration of a server process. */
export interface Config {
  dataDir: string;
  host: string;
  region: string;
  api: PortConfig;
  s3: PortConfig;
  database: DatabaseConfig;
  keys: KeyBackendConfig;
  /** Per account and per operation token bucket; `ratePerSecond` 0 turns throttling off. */
  throttle: { ratePerSecond: number; burst: number };
  /** Largest request body the API accepts, in bytes (larger → 413). */
  maxBodyBytes: number;
  /** Largest allowed difference between a request's X-Amz-Date and the server clock. */
  maxClockSkewMs: number;
  /** What one client may make the listeners hold or parse (docs/security.md, "Limits and their defaults"). */
  limits: LimitsConfig;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Where "Signer Job Status Change" events go (none by default). */
  /**
   * The OTA data plane (Jobs MQTT API and MQTT file streams): an embedded broker with a TLS
   * listener for devices and a plain one on 127.0.0.1, or an external broker.
   */
  mqtt:
    | { kind: 'embedded'; tls: PortConfig; plain: PortConfig }
    | { kind: 'external'; url: string; caFile?: string; certFile?: string; keyFile?: string };
  events: {
    webhook?: { url: string; secret: string; retries: number; baseDelayMs: number };
    mqtt?: { url: string; topic: string };
  };
}

/** Bounds on what a client, authenticated or not, can make a listener hold, wait for or parse. */
export interface LimitsConfig {
  /** Time to receive a request's headers, both listeners (node's `headersTimeout`). */
  headersTimeoutMs: number;
  /** Time to receive a whole request on the Signer/ACM port (node's `requestTimeout`). */
  apiRequestTimeoutMs: number;
  /** Time to receive a whole request on the S3 port; large uploads stream, so this is long. */
  s3RequestTimeoutMs: number;
  /** A connection with no byte in either direction for this long is closed (both listeners). */
  idleTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections one client address may hold on each listener; more are closed at once. */
  maxConnectionsPerIp: number;
  /** Largest body read from a request that failed the header checks (it is refused anyway). */
  unauthenticatedMaxBodyBytes: number;
  /** Per client address token bucket for failed authentications (refill per second, capacity). */
  authFailures: { ratePerSecond: number; burst: number };
  /** Deepest JSON nesting a request body may have (checked on the raw text, before parsing). */
  maxJsonDepth: number;
  /** S3 XML request bodies: bytes, elements and nesting depth. */
  xml: { maxBytes: number; maxElements: number; maxDepth: number };
}
