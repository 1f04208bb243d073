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
