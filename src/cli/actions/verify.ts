/**
 * `signer verify`: verifies an image the way a device would, with firmware-verifier (the same code the
 * simulator runs). Exit 0 = the device would accept it, 1 = it would refuse it (the reason code is
 * printed), 2 = usage error.
 *
 * Key material given on the command line may be public keys, private keys (the public half is used)
 * or certificates (their public key is used for --key); node:crypto turns it into SPKI here so the
 * verifier itself stays free of Node built-ins.
 */
import { X509Certificate, createPublicKey } from 'node:crypto';
import {
  DEFAULT_MAX_IMAGE_SIZE,
  FORMATS,
  InMemoryRollbackCounter,
  createTrustStore,
  createVerifier,
  type FormatId,
  type FormatOptions,
  type TrustStoreInput,
} from '../../../firmware-verifier/index.js';
import { readInput, UsageError, type CliIo } from '../io.js';

/** The options of `signer verify` (commands/verify.ts). */
export interface VerifyOptions {
  format?: FormatId;
  key?: string[];
  cert?: string[];
  root?: string[];
  intermediate?: string[];
  signature?: string;
  signatureBase64?: string;
  signatureMethod?: 'sig-sha256-ecdsa' | 'sig-sha256-rsa';
  signerCert?: string;
  strict?: boolean;
  at?: Date;
  slotSize?: number;
  hash?: string[];
  securityCounter?: number;
  minVersion?: string;
  efuseDigest?: string[];
  revokedSlot?: string[];
  secureVersion?: number;
  envelope?: string;
  allowedProfileVersionArn?: string[];
  maxSize?: number;
  json?: boolean;
  mode?: 'Warn' | 'Enforce';
  trustedRoot?: string[];
  dataDir?: string;
  endpoint?: string;
  region?: string;
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

function slot(value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError('--revoked-slot must be a non-negative integer');
  return Number(value);
}

async function text(io: CliIo, path: string, what: string): Promise<string> {
  return new TextDecoder().decode(await readInput(io, path, what));
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

export async function buildTrust(io: CliIo, o: VerifyOptions): Promise<TrustStoreInput> {
  const all = async (paths: string[] | undefined, what: string): Promise<string[]> => Promise.all((paths ?? []).map((p) => text(io, p, what)));
  const keys = await all(o.key, '--key');
  return {
    publicKeys: keys.map((pem, i) => spkiOf(pem, o.key![i]!)),
    certificates: await all(o.cert, '--cert'),
    roots: await all(o.root, '--root'),
    intermediates: await all(o.intermediate, '--intermediate'),
    ...(o.efuseDigest ? { esp32KeyDigests: o.efuseDigest.map((d) => hexBytes('efuse-digest', d)) } : {}),
    esp32RevokedSlots: (o.revokedSlot ?? []).map(slot),
  };
}

/** What a signed object (JSONEmbedded / JSONDetached, platforms/_shared/ota-json-platform.ts) contributes. */
interface SignedObject {
  format: FormatId;
  signature: Uint8Array;
  signatureMethod?: 'sig-sha256-ecdsa' | 'sig-sha256-rsa';
  /** JSONEmbedded: the image itself. */
  payload?: Uint8Array;
  platformId: string;
  jobId?: string;
}

/** OTA JSON platforms → the verifier format of their devices. */
const FORMAT_OF_PLATFORM: Record<string, FormatId> = {
  'AmazonFreeRTOS-Default': 'freertos',
  'AWSIoTDeviceManagement-SHA256-ECDSA': 'freertos',
  'AmazonFreeRTOS-TI-CC3220SF': 'cc3220sf',
};

/** The signed object in `bytes`, if it is one (a JSON object with `signature` and `metadata.platformId`). */
function signedObject(bytes: Uint8Array, path: string): SignedObject | undefined {
  if (bytes[0] !== 0x7b /* { */) return undefined;
  let doc: { signature?: unknown; payload?: unknown; metadata?: { platformId?: unknown; otaSignatureKey?: unknown; jobId?: unknown } };
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes)) as typeof doc;
  } catch {
    return undefined;
  }
  if (typeof doc.signature !== 'string' || typeof doc.metadata?.platformId !== 'string') return undefined;
  const platformId = doc.metadata.platformId;
  const format = FORMAT_OF_PLATFORM[platformId];
  if (format === undefined) throw new UsageError(`${path}: a signed object of platform ${platformId}, which signs OTA JSON for none of the formats (${Object.keys(FORMAT_OF_PLATFORM).join(', ')})`);
  const key = doc.metadata.otaSignatureKey;
  return {
    format,
    platformId,
    signature: new Uint8Array(Buffer.from(doc.signature, 'base64')),
    ...(key === 'sig-sha256-ecdsa' || key === 'sig-sha256-rsa' ? { signatureMethod: key } : {}),
    ...(typeof doc.payload === 'string' ? { payload: new Uint8Array(Buffer.from(doc.payload, 'base64')) } : {}),
    ...(typeof doc.metadata.jobId === 'string' ? { jobId: doc.metadata.jobId } : {}),
  };
}

export async function buildOptions(io: CliIo, format: FormatId, o: VerifyOptions, signed: SignedObject | undefined): Promise<FormatOptions[FormatId]> {
  if (format === 'mcuboot') {
    const hashes = o.hash?.map((h) => {
      if (h !== 'sha256' && h !== 'sha384' && h !== 'sha512') throw new UsageError('--hash must be sha256, sha384 or sha512');
      return h;
    });
    const minVersion = o.minVersion === undefined ? undefined : parseVersion(o.minVersion);
    return {
      ...(o.slotSize === undefined ? {} : { slotSize: o.slotSize }),
      ...(hashes === undefined ? {} : { hashes }),
      ...(o.securityCounter === undefined ? {} : { rollback: { counter: new InMemoryRollbackCounter({ 'mcuboot:0': o.securityCounter }) } }),
      ...(minVersion === undefined ? {} : { minVersion, compareBuildNumber: minVersion.build !== undefined }),
    };
  }
  const limit = o.maxSize === undefined ? {} : { maxImageSize: o.maxSize };
  if (format === 'esp32-sbv2') {
    return { ...limit, ...(o.secureVersion === undefined ? {} : { rollback: { counter: new InMemoryRollbackCounter({ 'esp32:app': o.secureVersion }) } }) };
  }
  const at = o.at;
  if (format === 'notation' || format === 'lambda-zip') {
    return {
      ...limit,
      ...(format === 'notation' && o.envelope !== undefined ? { envelope: await readInput(io, o.envelope, '--envelope') } : {}),
      ...(at === undefined ? {} : { at }),
      ...(o.allowedProfileVersionArn === undefined ? {} : { allowedProfileVersionArns: o.allowedProfileVersionArn }),
    };
  }
  let signature = signed?.signature;
  if (o.signature !== undefined) signature = await readInput(io, o.signature, '--signature');
  if (o.signatureBase64 !== undefined) {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(o.signatureBase64)) throw new UsageError('--signature-base64 must be base64');
    signature = new Uint8Array(Buffer.from(o.signatureBase64, 'base64'));
  }
  const signerCertificate = o.signerCert === undefined ? undefined : await text(io, o.signerCert, '--signer-cert');
  const common = {
    ...limit,
    ...(signature === undefined ? {} : { signature }),
    ...(at === undefined ? {} : { at }),
    ...(signerCertificate === undefined ? {} : { signerCertificate }),
  };
  if (format === 'cc3220sf') return common;
  const method = o.signatureMethod ?? signed?.signatureMethod;
  return { ...common, ...(method === undefined ? {} : { signatureMethod: method }), ...(o.strict ? { mode: 'strict' as const } : {}) };
}

/** Chunk size used to stream the file through the verifier, as a device reading flash would. */
const CHUNK = 64 * 1024;

/** "FAIL Oversize: …" alone does not say which limit, nor how to change it. */
function oversizeHint(format: FormatId, o: VerifyOptions, size: number): string {
  if (format === 'mcuboot') return o.slotSize === undefined ? '' : ` (the image is ${size} bytes; --slot-size is ${o.slotSize})`;
  const limit = o.maxSize ?? DEFAULT_MAX_IMAGE_SIZE;
  if (size <= limit) return '';
  const source = o.maxSize === undefined ? `the default limit, ${DEFAULT_MAX_IMAGE_SIZE / (1024 * 1024)} MiB (${DEFAULT_MAX_IMAGE_SIZE} bytes)` : `the --max-size limit, ${limit} bytes`;
  return ` (the image is ${size} bytes, over ${source}; pass --max-size ${size} or more to accept it)`;
}

/** Runs `signer verify`; returns the exit code (0 accepted, 1 rejected; usage errors throw UsageError). */
export async function runVerify(io: CliIo, imagePath: string, payloadPath: string | undefined, o: VerifyOptions): Promise<number> {
  if (o.mode !== undefined || o.trustedRoot !== undefined || o.dataDir !== undefined || o.endpoint !== undefined) {
    if (o.format !== 'lambda-zip') throw new UsageError('--mode, --trusted-root, --data-dir and --endpoint go with --format lambda-zip');
    if (payloadPath !== undefined) throw new UsageError('a Lambda package is one file');
    const { runLambdaReport } = await import('./lambda-report.js');
    return runLambdaReport(io, imagePath, {
      roots: [...(o.root ?? []), ...(o.trustedRoot ?? [])],
      allowed: o.allowedProfileVersionArn ?? [],
      mode: o.mode ?? 'Warn',
      ...(o.at === undefined ? {} : { at: o.at }),
      ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }),
      ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
      ...(o.region === undefined ? {} : { region: o.region }),
      ...(o.maxSize === undefined ? {} : { maxSize: o.maxSize }),
    });
  }
  const input = await readInput(io, imagePath, 'IMAGE');
  const signed = signedObject(input, imagePath);
  if (signed && o.format !== undefined && o.format !== signed.format) {
    throw new UsageError(`${imagePath} was signed on platform ${signed.platformId} (format ${signed.format}), not --format ${o.format}`);
  }
  const format = o.format ?? signed?.format;
  if (format === undefined) throw new UsageError(`--format is required for an image that is not a signed object: one of ${FORMATS.join(', ')}`);
  let image = input;
  if (signed) {
    if (signed.payload !== undefined) {
      if (payloadPath !== undefined) throw new UsageError(`${imagePath} embeds its image (JSONEmbedded); give no [payload]`);
      image = signed.payload;
    } else {
      if (payloadPath === undefined) throw new UsageError(`${imagePath} is a JSONDetached signed object: give the signed file too (signer verify … ${imagePath} FILE)`);
      image = await readInput(io, payloadPath, 'payload');
    }
  } else if (payloadPath !== undefined) throw new UsageError('a [payload] goes with a JSONDetached signed object only');

  let trust;
  try {
    trust = createTrustStore(await buildTrust(io, o));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`trust material rejected: ${(error as Error).message}`);
  }
  const options = await buildOptions(io, format, o, signed);
  let result;
  try {
    const verifier = createVerifier(format, trust, options);
    for (let i = 0; i < image.length; i += CHUNK) verifier.update(image.subarray(i, i + CHUNK));
    result = verifier.finish();
  } catch (error) {
    // Bad option values: the verifier throws RangeError / TypeError before reading anything.
    if (error instanceof RangeError || error instanceof TypeError) throw new UsageError(error.message);
    throw error;
  }
  const hint = !result.ok && result.reason === 'Oversize' ? oversizeHint(format, o, image.length) : '';
  if (o.json) io.stdout(`${JSON.stringify(hint ? { ...result, hint: hint.trim().replace(/^\(|\)$/g, '') } : result)}\n`);
  else if (result.ok) {
    const { info } = result;
    const extra = [
      info.version === undefined ? '' : ` version=${info.version}`,
      info.securityCounter === undefined ? '' : ` security-counter=${info.securityCounter}`,
      info.block === undefined ? '' : ` block=${info.block}`,
      info.certificate === undefined ? '' : ` certificate=${info.certificate}`,
    ].join('');
    io.stdout(`OK ${info.format} digest=${info.digest} key=${info.keyId}${extra}\n`);
  } else io.stdout(`FAIL ${result.reason}: ${result.detail}${hint}\n`);
  return result.ok ? 0 : 1;
}
