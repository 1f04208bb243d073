/** Help text pieces shared by every command: the environment variables and the examples footer. */

/** Every environment variable `signer` reads, with what it sets (src/config is the source of truth, docs/config.md the details; a test checks both agree). */
export const ENVIRONMENT: readonly (readonly [name: string, what: string])[] = Object.freeze([
  ['SIGNER_DATA_DIR', 'data folder: state, keys, credentials, endpoints.json (default ./data; --data-dir)'],
  ['SIGNER_CONFIG', 'JSON configuration file (--config); environment and flags override it'],
  ['SIGNER_HOST', 'listen address of serve (default 127.0.0.1; --host)'],
  ['SIGNER_PORT', 'Signer API + ACM port (default 8080, next free one if taken; --port)'],
  ['SIGNER_S3_PORT', 'embedded S3 port (default 9000, next free one if taken; --s3-port)'],
  ['SIGNER_REGION', 'region in ARNs and SigV4 (default us-east-1; --region)'],
  ['SIGNER_DATABASE_URL', 'postgres:// state store (not shipped yet; default embedded SQLite)'],
  ['SIGNER_THROTTLE_RPS', 'API requests per second per account (0 = off; default 200)'],
  ['SIGNER_THROTTLE_BURST', 'API burst per account (default max(400, 2 × rate))'],
  ['SIGNER_MAX_BODY_BYTES', 'largest API request body (default 1 MiB)'],
  ['SIGNER_LOG_LEVEL', 'debug | info | warn | error | silent (default info)'],
  ['SIGNER_HEADERS_TIMEOUT_MS', 'limits: request headers must arrive within this (default 10000)'],
  ['SIGNER_API_REQUEST_TIMEOUT_MS', 'limits: a whole request on the Signer/ACM port (default 30000)'],
  ['SIGNER_S3_REQUEST_TIMEOUT_MS', 'limits: a whole request on the S3 port (default 3600000)'],
  ['SIGNER_IDLE_TIMEOUT_MS', 'limits: close a connection idle this long (default 30000)'],
  ['SIGNER_KEEP_ALIVE_TIMEOUT_MS', 'limits: close an idle keep-alive connection after this (default 5000)'],
  ['SIGNER_MAX_CONNECTIONS_PER_IP', 'limits: open connections per client address and port (default 64)'],
  ['SIGNER_UNAUTHENTICATED_MAX_BODY_BYTES', 'limits: body read of a request refused on its headers (default 16384)'],
  ['SIGNER_AUTH_FAILURE_RPS', 'limits: failed authentications per second per address (0 = off; default 10)'],
  ['SIGNER_AUTH_FAILURE_BURST', 'limits: burst of failed authentications per address (default 50)'],
  ['SIGNER_MAX_JSON_DEPTH', 'limits: deepest JSON nesting in an API body (default 32)'],
  ['SIGNER_MAX_XML_BYTES', 'limits: largest S3 XML request body (default 2 MiB)'],
  ['SIGNER_MAX_XML_ELEMENTS', 'limits: most elements in one S3 XML body (default 100000)'],
  ['SIGNER_MAX_XML_DEPTH', 'limits: deepest nesting in one S3 XML body (default 16)'],
  ['SIGNER_EVENTS_WEBHOOK_URL', 'job status events: webhook URL'],
  ['SIGNER_EVENTS_WEBHOOK_SECRET', 'job status events: HMAC secret (≥ 16 characters, required with the URL)'],
  ['SIGNER_EVENTS_WEBHOOK_RETRIES', 'job status events: webhook delivery retries'],
  ['SIGNER_EVENTS_MQTT_URL', 'job status events: mqtt:// or mqtts:// broker'],
  ['SIGNER_EVENTS_MQTT_TOPIC', 'job status events: MQTT topic prefix'],
  ['SIGNER_PKCS11_LIBRARY', 'HSM: PKCS#11 module path (keys generated and stored in the token)'],
  ['SIGNER_PKCS11_TOKEN_LABEL', 'HSM: token label'],
  ['SIGNER_PKCS11_PIN', 'HSM: user PIN'],
  ['SIGNER_MQTT_TLS_PORT', 'OTA: embedded MQTT broker, TLS with device certificates (default 8883, next free one if taken)'],
  ['SIGNER_MQTT_PORT', 'OTA: embedded MQTT broker, plain on 127.0.0.1 for local tools (default 1883, next free one if taken)'],
  ['SIGNER_MQTT_URL', 'OTA: use this external broker instead (mqtt://, mqtts://), e.g. Mosquitto or AWS IoT Core'],
  ['SIGNER_MQTT_CA_FILE', 'OTA: CA (PEM) of the external broker'],
  ['SIGNER_MQTT_CERT_FILE', 'OTA: client certificate (PEM) for the external broker'],
  ['SIGNER_MQTT_KEY_FILE', 'OTA: client key (PEM) for the external broker'],
  ['NO_COLOR', 'any value: no colours in tables and help'],
]);

function envLines(names: readonly string[]): string {
  const rows = ENVIRONMENT.filter(([n]) => names.includes(n));
  const width = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, what]) => `  ${n.padEnd(width)}  ${what}`).join('\n');
}

/**
 * The text after the options in a command's help: the environment variables it reads and examples.
 * Every command registers one (a test walks the command tree and checks).
 */
export function helpFooter(opts: { env: readonly string[]; examples: readonly string[]; notes?: string }): string {
  const parts: string[] = [];
  if (opts.notes) parts.push(opts.notes.trimEnd());
  parts.push(`Environment:\n${envLines(opts.env)}`);
  parts.push(`Example${opts.examples.length > 1 ? 's' : ''}:\n${opts.examples.map((e) => `  $ ${e}`).join('\n')}`);
  return `\n${parts.join('\n\n')}\n`;
}

/** All of them, for the top-level help. */
export function allEnvironment(): string {
  return envLines(ENVIRONMENT.map(([n]) => n));
}

/** The variables of commands that read a data dir (and talk to the running server through it). */
export const DATA_ENV = ['SIGNER_DATA_DIR', 'SIGNER_CONFIG', 'NO_COLOR'] as const;

export const EXIT_CODES_HELP = 'Exit status: 0 success, 1 failure, 2 usage error (bad options, arguments or input files).';
