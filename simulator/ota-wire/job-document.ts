/**
 * The `afr_ota` job document: the server builds it (CreateOTAUpdate), the device agent parses
 * it the way the FreeRTOS v3 agent does (source/ota.c, otaJobDocModelParamStructure):
 * required `execution`, `execution.jobId` (≤ 72 characters), `execution.jobDocument.afr_ota`
 * with `protocols` and `files` (exactly one file used), `files[0].filesize` and `fileid`
 * (numbers, or numeric strings as strtoul reads them); the signature under the PAL's own key.
 */
import { fromBase64 } from './base64.js';

/** FreeRTOS `STREAM_NAME_MAX_LEN`: `AFR_OTA-` + a UUID. */
export const STREAM_NAME_MAX = 44;
/** FreeRTOS `OTA_JOB_ID_MAX_SIZE` − 1. */
export const DEVICE_JOB_ID_MAX = 72;
/** Signature buffer of the agent (`kOTA_MaxSignatureSize`). */
export const SIGNATURE_MAX_BYTES = 384;
/** `OTA_MAX_FILE_SIZE` for 4 KiB blocks: UINT32_MAX − 4096 + 1. */
export const MAX_FILE_SIZE = 0xffffffff - 4096 + 1;

/** What one OTA file entry carries. */
export interface AfrOtaFile {
  filepath: string;
  filesize: number;
  fileid: number;
  certfile: string;
  fileType: number;
  /** e.g. `sig-sha256-ecdsa`; the key the device PAL reads. */
  signatureKey: string;
  /** base64 of the DER ECDSA signature or the PKCS#1 v1.5 RSA signature. */
  signature: string;
  attr?: number;
}

export interface AfrOtaDocument {
  protocols: ('MQTT' | 'HTTP')[];
  streamname: string;
  file: AfrOtaFile;
}

export class JobDocumentError extends Error {
  override readonly name = 'JobDocumentError';
}

const SIG_KEY = /^sig-[a-z0-9]+-[a-z0-9]+$/;

/**
 * Builds the job document object (the value of the job's `document`), with every key a FreeRTOS
 * device or the newer modular parser requires, in the order AWS writes them.
 */
export function buildAfrOtaDocument(doc: AfrOtaDocument): { afr_ota: Record<string, unknown> } {
  const f = doc.file;
  if (doc.protocols.length === 0 || doc.protocols.some((p) => p !== 'MQTT' && p !== 'HTTP')) throw new JobDocumentError('protocols must be MQTT and/or HTTP.');
  if (doc.protocols.includes('MQTT') && (doc.streamname.length === 0 || doc.streamname.length > STREAM_NAME_MAX)) {
    throw new JobDocumentError(`streamname must be 1 to ${STREAM_NAME_MAX} characters (the FreeRTOS agent's topic buffers).`);
  }
  if (!Number.isInteger(f.filesize) || f.filesize <= 0 || f.filesize > MAX_FILE_SIZE) throw new JobDocumentError(`filesize must be 1 to ${MAX_FILE_SIZE}.`);
  if (!Number.isInteger(f.fileid) || f.fileid < 0 || f.fileid > 255) throw new JobDocumentError('fileid must be 0 to 255.');
  if (!Number.isInteger(f.fileType) || f.fileType < 0 || f.fileType > 255) throw new JobDocumentError('fileType must be 0 to 255.');
  if (!SIG_KEY.test(f.signatureKey)) throw new JobDocumentError('signatureKey must look like sig-<hash>-<algorithm>, e.g. sig-sha256-ecdsa.');
  const sig = fromBase64(f.signature);
  if (!sig || sig.length === 0 || sig.length > SIGNATURE_MAX_BYTES) throw new JobDocumentError(`signature must be base64 of 1 to ${SIGNATURE_MAX_BYTES} bytes.`);
  const file: Record<string, unknown> = {
    filepath: f.filepath,
    filesize: f.filesize,
    fileid: f.fileid,
    certfile: f.certfile,
    fileType: f.fileType,
    [f.signatureKey]: f.signature,
  };
  if (f.attr !== undefined) file['attr'] = f.attr;
  return { afr_ota: { protocols: [...doc.protocols], streamname: doc.streamname, files: [file] } };
}

// ------------------------------------------------------------------ device-side parsing

/** OtaErr_t values the agent reports (ota.h). */
export const OtaErr = Object.freeze({
  None: 0x00,
  JobParserError: 0x0c,
  InvalidDataProtocol: 0x0d,
  MomentumAbort: 0x0e,
  DowngradeNotAllowed: 0x0f,
  SameFirmwareVersion: 0x10,
  ImageStateMismatch: 0x11,
  NoActiveJob: 0x12,
  UserAbort: 0x13,
  FileSizeOverflow: 0x17,
  EmptyJobDocument: 0x18,
});

/** OtaJobParseErr_t sub-codes (ota_private.h). */
export const JobParseErr = Object.freeze({
  NullJob: 1,
  UpdateCurrentJob: 2,
  ZeroFileSize: 3,
  NonConformingJobDoc: 4,
  BadModelInitParams: 5,
});

/** What a device makes of a `$next/get/accepted` or `notify-next` payload. */
export type ParsedJobMessage =
  /** Not JSON: ignored. */
  | { kind: 'invalid-json' }
  /** Only clientToken/timestamp: no pending job. */
  | { kind: 'empty' }
  /**
   * The document fails the model (missing or malformed required key, bad number, bad base64):
   * the agent reports `0x0000000c: 0x00000004` when it has the job id.
   */
  | { kind: 'malformed'; jobId?: string; why: string }
  /** Parsed but not usable (zero size, size overflow, too many blocks, job id too long). */
  | { kind: 'rejected'; jobId?: string; err: number; sub: number; why: string }
  | {
      kind: 'job';
      jobId: string;
      status?: string;
      statusDetails: Record<string, unknown>;
      /** `execution.statusDetails.self_test` is present (its value is not checked, as in FreeRTOS). */
      selfTest: boolean;
      /** `statusDetails.updatedBy` as strtoul(…, 0) reads it. */
      updatedBy?: number;
      protocols: string;
      streamname?: string;
      filepath?: string;
      filesize: number;
      fileid: number;
      certfile?: string;
      fileType: number;
      signature?: Uint8Array;
    };

/** strtoul(text, 0) over a JSON scalar as coreJSON hands it over: digits (decimal, 0x hex, 0 octal) and nothing else. */
export function strtoul(value: unknown): number | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) return undefined;
    text = String(value);
  } else if (typeof value === 'string') text = value;
  else return undefined;
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text)) n = parseInt(text, 8);
  else if (/^[0-9]+$/.test(text)) n = Number(text);
  else return undefined;
  return n > 0xffffffff ? undefined : n;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a job message as the FreeRTOS v3 agent does, for a device whose PAL reads the signature
 * under `signatureKey` (`sig-sha256-ecdsa` on most ports, `sig-sha1-rsa` on TI CC3220SF).
 * `maxBlocks` is the agent's bitmap capacity (default 1024 blocks of `blockSize`).
 */
export function parseJobMessage(payload: string, opts: { signatureKey: string; blockSize?: number; maxBlocks?: number }): ParsedJobMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(payload);
  } catch {
    return { kind: 'invalid-json' };
  }
  if (!isObject(msg)) return { kind: 'invalid-json' };
  const ex = msg['execution'];
  if (ex === undefined) return { kind: 'empty' };
  if (!isObject(ex)) return { kind: 'malformed', why: 'execution is not an object' };
  const jobIdRaw = ex['jobId'];
  const jobId = typeof jobIdRaw === 'string' ? jobIdRaw : undefined;
  if (jobId === undefined) return { kind: 'malformed', why: 'execution.jobId is missing' };
  const malformed = (why: string): ParsedJobMessage => ({ kind: 'malformed', jobId, why });
  const jd = ex['jobDocument'];
  if (!isObject(jd)) return malformed('execution.jobDocument is missing');
  const ota = jd['afr_ota'];
  if (!isObject(ota)) return malformed('jobDocument.afr_ota is missing');
  if (!Array.isArray(ota['protocols'])) return malformed('afr_ota.protocols is missing');
  const files = ota['files'];
  if (!Array.isArray(files) || !isObject(files[0])) return malformed('afr_ota.files is missing');
  const f = files[0];
  if (f['filesize'] === undefined || f['fileid'] === undefined) return malformed('filesize and fileid are required');
  const filesize = strtoul(f['filesize']);
  const fileid = strtoul(f['fileid']);
  if (filesize === undefined || fileid === undefined) return malformed('filesize/fileid are not numbers');
  const fileType = f['fileType'] === undefined ? 0 : strtoul(f['fileType']);
  if (fileType === undefined) return malformed('fileType is not a number');
  let signature: Uint8Array | undefined;
  if (f[opts.signatureKey] !== undefined) {
    const s = f[opts.signatureKey];
    signature = typeof s === 'string' ? fromBase64(s) : undefined;
    if (!signature || signature.length > SIGNATURE_MAX_BYTES) return malformed(`${opts.signatureKey} is not valid base64`);
  }
  const details = isObject(ex['statusDetails']) ? ex['statusDetails'] : {};
  const updatedBy = details['updatedBy'] !== undefined ? strtoul(details['updatedBy']) : undefined;
  // Validation after the model: what FreeRTOS checks in validateAndStartJob.
  if (jobId.length > DEVICE_JOB_ID_MAX) return { kind: 'rejected', jobId, err: OtaErr.JobParserError, sub: JobParseErr.NonConformingJobDoc, why: 'jobId longer than 72 characters' };
  if (filesize === 0) return { kind: 'rejected', jobId, err: OtaErr.JobParserError, sub: JobParseErr.ZeroFileSize, why: 'filesize is 0' };
  const blockSize = opts.blockSize ?? 4096;
  if (filesize > 0xffffffff - blockSize + 1) return { kind: 'rejected', jobId, err: OtaErr.FileSizeOverflow, sub: 0, why: 'filesize overflows' };
  if (Math.ceil(filesize / blockSize) > (opts.maxBlocks ?? 1024)) return { kind: 'rejected', jobId, err: OtaErr.JobParserError, sub: JobParseErr.BadModelInitParams, why: 'too many blocks for the bitmap' };
  const str = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : undefined);
  const filepath = str('filepath');
  const certfile = str('certfile');
  const streamname = typeof ota['streamname'] === 'string' ? (ota['streamname'] as string) : undefined;
  return {
    kind: 'job',
    jobId,
    ...(typeof ex['status'] === 'string' ? { status: ex['status'] as string } : {}),
    statusDetails: details,
    selfTest: details['self_test'] !== undefined,
    ...(updatedBy !== undefined ? { updatedBy } : {}),
    protocols: JSON.stringify(ota['protocols']),
    ...(streamname !== undefined ? { streamname } : {}),
    ...(filepath !== undefined ? { filepath } : {}),
    filesize,
    fileid,
    ...(certfile !== undefined ? { certfile } : {}),
    fileType,
    ...(signature ? { signature } : {}),
  };
}
