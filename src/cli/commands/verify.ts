/**
 * `signer verify --format FORMAT [options] IMAGE`: verifies an image the way a device would, with
 * firmware-verifier (the same code the simulator runs). Exit 0 = the device would accept it,
 * 1 = it would refuse it (the reason code is printed), 2 = usage error.
 *
 * Key material given on the command line may be public keys, private keys (the public half is used)
 * or certificates (their public key is used for --key); node:crypto turns it into SPKI here so the
 * verifier itself stays free of Node built-ins.
 */
import { X509Certificate, createPublicKey } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  FORMATS,
  InMemoryRollbackCounter,
  createTrustStore,
  createVerifier,
  type FormatId,
  type FormatOptions,
  type TrustStoreInput,
} from '../../../firmware-verifier/index.js';

/** What the command needs from its surroundings. */
export interface VerifyIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readFile: (p: string) => Promise<Uint8Array>;
}

const USAGE = `usage: signer verify --format mcuboot|esp32-sbv2|freertos|cc3220sf|notation|lambda-zip [options] IMAGE
  --key PEM              trusted public key (public/private key or certificate PEM); repeatable
  --cert PEM             provisioned signer certificate (freertos, cc3220sf); repeatable
  --root PEM             trusted root certificate; repeatable
  --intermediate PEM     intermediate CA certificate; repeatable
  --signature FILE       detached signature, raw bytes (freertos, cc3220sf)
  --signature-base64 B64 detached signature as in the OTA job document
  --signature-method M   sig-sha256-ecdsa (default) | sig-sha256-rsa (freertos)
  --signer-cert PEM      signer certificate delivered with the job (strict freertos, cc3220sf)
  --strict               freertos: also check chain, validity window and code-signing EKU
  --at ISO-8601          instant for certificate validity (default now in --strict)
  --slot-size N          mcuboot slot size in bytes
  --hash H               mcuboot image hash to compute (sha256|sha384|sha512); repeatable
  --security-counter N   mcuboot: device security counter (SEC_CNT must be ≥ N)
  --min-version X.Y.Z[+B] mcuboot: downgrade prevention (build compared when +B given)
  --efuse-digest HEX     esp32-sbv2: eFuse key digest; repeatable (default: digests of --key)
  --revoked-slot N       esp32-sbv2: revoked key slot 0..2; repeatable
  --secure-version N     esp32-sbv2: eFuse SECURE_VERSION (app anti-rollback)
  --envelope FILE        notation: the JWS signature envelope of IMAGE (the signed artifact)
  --allowed-profile-version-arn ARN  notation, lambda-zip: allowed signer; repeatable
  --max-size N           largest image accepted (all formats but mcuboot, which uses --slot-size)
  --json                 print the result as JSON
`;

export class UsageError extends Error {}

export const OPTIONS = {
  format: { type: 'string' },
  key: { type: 'string', multiple: true },
  cert: { type: 'string', multiple: true },
  root: { type: 'string', multiple: true },
  intermediate: { type: 'string', multiple: true },
  signature: { type: 'string' },
  'signature-base64': { type: 'string' },
  'signature-method': { type: 'string' },
  'signer-cert': { type: 'string' },
  strict: { type: 'boolean' },
  at: { type: 'string' },
  'slot-size': { type: 'string' },
  hash: { type: 'string', multiple: true },
  'security-counter': { type: 'string' },
  'min-version': { type: 'string' },
  'efuse-digest': { type: 'string', multiple: true },
  'revoked-slot': { type: 'string', multiple: true },
  'secure-version': { type: 'string' },
  'max-size': { type: 'string' },
  envelope: { type: 'string' },
  'allowed-profile-version-arn': { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(value)) throw new UsageError(`--${name} must be a non-negative integer`);
  return Number(value);
}

function date(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new UsageError('--at must be an ISO-8601 date');
  return at;
}

function parseVersion(value: string): { major: number; minor: number; revision: number; build?: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:\+(\d+))?$/.exec(value);
  if (m === null) throw new UsageError('--min-version must look like 1.2.3 or 1.2.3+4');
  return { major: Number(m[1]), minor: Number(m[2]), revision: Number(m[3]), ...(m[4] === undefined ? {} : { build: Number(m[4]) }) };
}

function hexBytes(name: string, value: string): Uint8Array {
  if (!/^([0-9a-f]{2})+$/i.test(value)) throw new UsageError(`--${name} must be hex`);
  return Uint8Array.from(value.match(/../g) as string[], (b) => parseInt(b, 16));
}

async function text(io: VerifyIo, path: string): Promise<string> {
  return new TextDecoder().decode(await io.readFile(path));
}

/** Any PEM key or certificate → SPKI DER (the verifier takes public keys only). */
function spkiOf(pem: string, path: string): Uint8Array {
  try {
    const key = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
    return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
  } catch {
    throw new UsageError(`${path}: not a PEM key or certificate`);
  }
}

export async function buildTrust(io: VerifyIo, values: Values): Promise<TrustStoreInput> {
  const all = async (paths: string[] | undefined): Promise<string[]> => Promise.all((paths ?? []).map((p) => text(io, p)));
  const keys = await all(values.key);
  const revoked = (values['revoked-slot'] ?? []).map((s) => integer('revoked-slot', s) as number);
  return {
    publicKeys: keys.map((pem, i) => spkiOf(pem, (values.key as string[])[i] as string)),
    certificates: await all(values.cert),
    roots: await all(values.root),
    intermediates: await all(values.intermediate),
    ...(values['efuse-digest'] ? { esp32KeyDigests: values['efuse-digest'].map((d) => hexBytes('efuse-digest', d)) } : {}),
    esp32RevokedSlots: revoked,
  };
}

export async function buildOptions(io: VerifyIo, format: FormatId, values: Values): Promise<FormatOptions[FormatId]> {
  if (format === 'mcuboot') {
    const slotSize = integer('slot-size', values['slot-size']);
    const counter = integer('security-counter', values['security-counter']);
    const hashes = values.hash?.map((h) => {
      if (h !== 'sha256' && h !== 'sha384' && h !== 'sha512') throw new UsageError('--hash must be sha256, sha384 or sha512');
      return h;
    });
    const minVersion = values['min-version'] === undefined ? undefined : parseVersion(values['min-version']);
    return {
      ...(slotSize === undefined ? {} : { slotSize }),
      ...(hashes === undefined ? {} : { hashes }),
      ...(counter === undefined ? {} : { rollback: { counter: new InMemoryRollbackCounter({ 'mcuboot:0': counter }) } }),
      ...(minVersion === undefined ? {} : { minVersion, compareBuildNumber: minVersion.build !== undefined }),
    };
  }
  const maxImageSize = integer('max-size', values['max-size']);
  const limit = maxImageSize === undefined ? {} : { maxImageSize };
  if (format === 'esp32-sbv2') {
    const secureVersion = integer('secure-version', values['secure-version']);
    return { ...limit, ...(secureVersion === undefined ? {} : { rollback: { counter: new InMemoryRollbackCounter({ 'esp32:app': secureVersion }) } }) };
  }
  const at = date(values.at);
  if (format === 'notation' || format === 'lambda-zip') {
    const arns = values['allowed-profile-version-arn'];
    return {
      ...limit,
      ...(format === 'notation' && values.envelope !== undefined ? { envelope: await io.readFile(values.envelope) } : {}),
      ...(at === undefined ? {} : { at }),
      ...(arns === undefined ? {} : { allowedProfileVersionArns: arns }),
    };
  }
  let signature: Uint8Array | undefined;
  if (values.signature !== undefined) signature = await io.readFile(values.signature);
  if (values['signature-base64'] !== undefined) {
    const b64 = values['signature-base64'];
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new UsageError('--signature-base64 must be base64');
    signature = new Uint8Array(Buffer.from(b64, 'base64'));
  }
  const signerCertificate = values['signer-cert'] === undefined ? undefined : await text(io, values['signer-cert']);
  const common = {
    ...limit,
    ...(signature === undefined ? {} : { signature }),
    ...(at === undefined ? {} : { at }),
    ...(signerCertificate === undefined ? {} : { signerCertificate }),
  };
  if (format === 'cc3220sf') return common;
  const method = values['signature-method'];
  if (method !== undefined && method !== 'sig-sha256-ecdsa' && method !== 'sig-sha256-rsa') {
    throw new UsageError('--signature-method must be sig-sha256-ecdsa or sig-sha256-rsa');
  }
  return { ...common, ...(method === undefined ? {} : { signatureMethod: method }), ...(values.strict ? { mode: 'strict' as const } : {}) };
}

/** Chunk size used to stream the file through the verifier, as a device reading flash would. */
const CHUNK = 64 * 1024;

/** Runs `signer verify`; returns the exit code (0 accepted, 1 rejected, 2 usage error). */
export async function runVerify(argv: string[], io: VerifyIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    const format = values.format as FormatId | undefined;
    if (format === undefined || !FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    if (positionals.length !== 1) throw new UsageError('exactly one IMAGE is required');
    let trust;
    try {
      trust = createTrustStore(await buildTrust(io, values));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`trust material rejected: ${(error as Error).message}`);
    }
    const options = await buildOptions(io, format, values);
    const image = await io.readFile(positionals[0] as string);
    const verifier = createVerifier(format, trust, options);
    for (let i = 0; i < image.length; i += CHUNK) verifier.update(image.subarray(i, i + CHUNK));
    const result = verifier.finish();
    if (values.json) io.stdout(`${JSON.stringify(result)}\n`);
    else if (result.ok) {
      const { info } = result;
      const extra = [
        info.version === undefined ? '' : ` version=${info.version}`,
        info.securityCounter === undefined ? '' : ` security-counter=${info.securityCounter}`,
        info.block === undefined ? '' : ` block=${info.block}`,
        info.certificate === undefined ? '' : ` certificate=${info.certificate}`,
      ].join('');
      io.stdout(`OK ${info.format} digest=${info.digest} key=${info.keyId}${extra}\n`);
    } else io.stdout(`FAIL ${result.reason}: ${result.detail}\n`);
    return result.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`signer verify: ${(error as Error).message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof RangeError || error instanceof TypeError || typeof (error as { code?: unknown }).code === 'string') {
      // Bad option values (RangeError/TypeError from the verifier) or unreadable files (fs error codes).
      io.stderr(`signer verify: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}
