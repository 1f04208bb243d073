/**
 * CreateOTAUpdate as AWS IoT runs it: the update is stored CREATE_PENDING and answered at once;
 * then (CREATE_IN_PROGRESS) the file's signature is obtained — from an existing signing job, by
 * starting one through our Signer, or from `customCodeSigning` — an `AFR_OTA-<uuid>` stream is
 * made for a file in the object store, and the `AFR_OTA-<otaUpdateId>` job is created with the
 * `afr_ota` document; the update ends CREATE_COMPLETE, or CREATE_FAILED with `errorInfo`.
 * Updates left pending by a restart are picked up again by {@link SqliteOtaUpdateService.recover}.
 */
import { randomUUID } from 'node:crypto';
import { buildAfrOtaDocument, JobDocumentError, STREAM_NAME_MAX } from '../../simulator/ota-wire/index.js';
import { iotArn } from './arns.js';
import { IotError, isIotError } from './iot-error.js';
import { decode, encode, type IotDb } from './iot-store.js';
import type { IotContext, JobService, OtaUpdate, OtaUpdateFile, OtaUpdateService, OtaUpdateStatus, Paged, StreamService } from './iot.types.js';
import { pageWindow, toPage } from './pagination.js';

/** What the OTA service needs from the Signer (wired in src/server). */
export interface OtaSigning {
  /** Starts a signing job for `ctx.accountId`; returns its id. */
  startSigningJob(ctx: IotContext, input: { profileName: string; source: { bucket: string; key: string; version?: string }; destination: { bucket: string; prefix?: string } }): Promise<string>;
  /** The job's state; when Succeeded, the base64 signature, its job-document key and the object that was signed. */
  describeSigningJob(
    ctx: IotContext,
    jobId: string,
  ): Promise<
    | { status: 'InProgress' }
    | { status: 'Failed'; reason: string }
    | { status: 'Succeeded'; signature: string; signatureKey: string; source: { bucket: string; key: string; version?: string }; certname?: string }
  >;
}

/** Device-side default for `certfile` when nothing names one: the PKCS#11 label FreeRTOS ports use for the code-verify key. */
export const DEFAULT_CERTFILE = 'Code Verify Key';

class UpdateFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type CreateInput = Parameters<OtaUpdateService['createOTAUpdate']>[1];

const OTA_ID = /^[a-zA-Z0-9_-]{1,128}$/;
/** Job ids are ≤ 64 characters; `AFR_OTA-` takes 8. */
const MAX_OTA_ID_FOR_JOB = 56;

export class SqliteOtaUpdateService implements OtaUpdateService {
  private readonly running = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly d: IotDb,
    private readonly deps: {
      streams: StreamService;
      jobs: JobService;
      signing: OtaSigning;
      now: () => Date;
      /** Delay between polls of a signing job (ms). */
      pollMs?: number;
      onError?: (e: unknown) => void;
    },
  ) {}

  private key(ctx: IotContext, id: string): string {
    return `${ctx.accountId}/${id}`;
  }
  private load(ctx: IotContext, id: string): OtaUpdate | undefined {
    const row = this.d.q('SELECT data FROM iot_ota_updates WHERE account_id = ? AND ota_update_id = ?').pluck().get(ctx.accountId, id) as string | undefined;
    return row ? decode<OtaUpdate>(row) : undefined;
  }
  private save(ctx: IotContext, u: OtaUpdate): void {
    this.d.q('UPDATE iot_ota_updates SET status = ?, data = ? WHERE account_id = ? AND ota_update_id = ?').run(u.otaUpdateStatus, encode(u), ctx.accountId, u.otaUpdateId);
  }
  private setStatus(ctx: IotContext, id: string, status: OtaUpdateStatus, patch: Partial<OtaUpdate> = {}): OtaUpdate {
    const u = this.load(ctx, id);
    if (!u) throw new IotError('ResourceNotFoundException', `OTA update ${id} cannot be found.`);
    const next = { ...u, ...patch, otaUpdateStatus: status, lastModifiedDate: this.deps.now() };
    this.save(ctx, next);
    return next;
  }

  async createOTAUpdate(ctx: IotContext, input: CreateInput) {
    if (typeof input.otaUpdateId !== 'string' || !OTA_ID.test(input.otaUpdateId)) throw new IotError('InvalidRequestException', 'otaUpdateId must match [a-zA-Z0-9_-]+ and be 1 to 128 characters long.');
    if (input.otaUpdateId.length > MAX_OTA_ID_FOR_JOB) throw new IotError('InvalidRequestException', `otaUpdateId must be at most ${MAX_OTA_ID_FOR_JOB} characters so that its job id AFR_OTA-<otaUpdateId> fits in 64.`);
    if (!Array.isArray(input.targets) || input.targets.length < 1) throw new IotError('InvalidRequestException', 'targets must list at least one thing or thing group ARN.');
    if (!Array.isArray(input.files) || input.files.length !== 1) throw new IotError('InvalidRequestException', 'files must list exactly one file: the FreeRTOS agent takes one file per job.');
    if (typeof input.roleArn !== 'string' || input.roleArn.length < 20) throw new IotError('InvalidRequestException', 'roleArn must be an IAM role ARN.');
    const protocols = input.protocols ?? ['MQTT'];
    if (protocols.length === 0 || protocols.some((p) => p !== 'MQTT' && p !== 'HTTP')) throw new IotError('InvalidRequestException', 'protocols must be MQTT and/or HTTP.');
    if (!protocols.includes('MQTT')) throw new IotError('InvalidRequestException', 'Only MQTT delivery is served by this server; protocols must include MQTT.');
    const file = input.files[0] as OtaUpdateFile;
    const cs = file.codeSigning;
    const ways = [cs?.awsSignerJobId, cs?.startSigningJobParameter, cs?.customCodeSigning].filter((x) => x !== undefined).length;
    if (ways !== 1) throw new IotError('InvalidRequestException', 'codeSigning needs exactly one of awsSignerJobId, startSigningJobParameter and customCodeSigning.');
    if (!file.fileLocation?.s3Location && !file.fileLocation?.stream && !cs?.awsSignerJobId) throw new IotError('InvalidRequestException', 'fileLocation needs s3Location or stream.');
    if (file.fileType !== undefined && (!Number.isInteger(file.fileType) || file.fileType < 0 || file.fileType > 255)) throw new IotError('InvalidRequestException', 'fileType must be 0 to 255.');
    const now = this.deps.now();
    const update: OtaUpdate = {
      otaUpdateId: input.otaUpdateId,
      otaUpdateArn: iotArn(ctx, 'otaupdate', input.otaUpdateId),
      ...(input.description !== undefined ? { description: input.description } : {}),
      targets: [...input.targets],
      protocols,
      targetSelection: input.targetSelection ?? 'SNAPSHOT',
      ...(input.awsJobExecutionsRolloutConfig ? { awsJobExecutionsRolloutConfig: input.awsJobExecutionsRolloutConfig } : {}),
      ...(input.awsJobAbortConfig ? { awsJobAbortConfig: input.awsJobAbortConfig } : {}),
      ...(input.awsJobTimeoutConfig ? { awsJobTimeoutConfig: input.awsJobTimeoutConfig } : {}),
      otaUpdateFiles: input.files,
      roleArn: input.roleArn,
      ...(input.additionalParameters ? { additionalParameters: input.additionalParameters } : {}),
      otaUpdateStatus: 'CREATE_PENDING',
      creationDate: now,
      lastModifiedDate: now,
    };
    const stored = encode(toStorable(update));
    const r = this.d.q('INSERT OR IGNORE INTO iot_ota_updates (account_id, ota_update_id, status, created_at, data) VALUES (?, ?, ?, ?, ?)').run(ctx.accountId, update.otaUpdateId, update.otaUpdateStatus, now.getTime(), stored);
    if (r.changes === 0) throw new IotError('ResourceAlreadyExistsException', `OTA update ${input.otaUpdateId} already exists.`);
    this.start(ctx, update.otaUpdateId);
    return { otaUpdateId: update.otaUpdateId, otaUpdateArn: update.otaUpdateArn, otaUpdateStatus: update.otaUpdateStatus };
  }

  private start(ctx: IotContext, id: string): void {
    const k = this.key(ctx, id);
    if (this.running.has(k)) return;
    const p = this.run(ctx, id)
      .catch((e) => this.deps.onError?.(e))
      .finally(() => this.running.delete(k));
    this.running.set(k, p);
  }

  /** Picks up updates a restart left CREATE_PENDING or CREATE_IN_PROGRESS. */
  recover(region: string): void {
    const rows = this.d.q("SELECT account_id, ota_update_id FROM iot_ota_updates WHERE status IN ('CREATE_PENDING','CREATE_IN_PROGRESS')").all() as { account_id: string; ota_update_id: string }[];
    for (const r of rows) this.start({ accountId: r.account_id, region }, r.ota_update_id);
  }

  private async run(ctx: IotContext, id: string): Promise<void> {
    const u = this.setStatus(ctx, id, 'CREATE_IN_PROGRESS');
    try {
      const done = await this.build(ctx, fromStorable(u));
      this.setStatus(ctx, id, 'CREATE_COMPLETE', done);
    } catch (e) {
      if (this.closed) return;
      const info = e instanceof UpdateFailure ? { code: e.code, message: e.message } : isIotError(e) ? { code: e.code, message: e.message } : e instanceof JobDocumentError ? { code: 'InvalidRequestException', message: e.message } : { code: 'InternalFailureException', message: 'The OTA update could not be created.' };
      if (!(e instanceof UpdateFailure) && !isIotError(e) && !(e instanceof JobDocumentError)) this.deps.onError?.(e);
      this.setStatus(ctx, id, 'CREATE_FAILED', { errorInfo: info });
    }
  }

  private async waitForSigningJob(ctx: IotContext, jobId: string) {
    for (;;) {
      if (this.closed) throw new UpdateFailure('InternalFailureException', 'The server stopped while the signing job ran.');
      const s = await this.deps.signing.describeSigningJob(ctx, jobId);
      if (s.status === 'Succeeded') return s;
      if (s.status === 'Failed') throw new UpdateFailure('SigningJobFailed', `Signing job ${jobId} failed: ${s.reason}`);
      await new Promise((r) => setTimeout(r, this.deps.pollMs ?? 100));
    }
  }

  /** Signature, the file's location and the certfile, then the stream and the job. */
  private async build(ctx: IotContext, u: OtaUpdate): Promise<Partial<OtaUpdate>> {
    const file = u.otaUpdateFiles[0] as OtaUpdateFile;
    const cs = file.codeSigning ?? {};
    let signature: string;
    let signatureKey: string;
    let certfile: string | undefined;
    let s3: { bucket: string; key: string; version?: string } | undefined = file.fileLocation?.s3Location?.bucket && file.fileLocation.s3Location.key ? (file.fileLocation.s3Location as { bucket: string; key: string; version?: string }) : undefined;
    if (cs.customCodeSigning) {
      const c = cs.customCodeSigning;
      const sig = c.signature?.inlineDocument;
      if (!sig || sig.length === 0) throw new UpdateFailure('InvalidRequestException', 'customCodeSigning.signature.inlineDocument is required.');
      if (!c.hashAlgorithm || !c.signatureAlgorithm) throw new UpdateFailure('InvalidRequestException', 'customCodeSigning needs hashAlgorithm and signatureAlgorithm.');
      signature = bytesToBase64(sig);
      signatureKey = `sig-${c.hashAlgorithm.toLowerCase()}-${c.signatureAlgorithm.toLowerCase()}`;
      certfile = c.certificateChain?.certificateName;
    } else {
      let jobId = cs.awsSignerJobId;
      const p = cs.startSigningJobParameter;
      if (p) {
        if (!p.signingProfileName) throw new UpdateFailure('InvalidRequestException', 'startSigningJobParameter.signingProfileName is required.');
        const dest = p.destination?.s3Destination;
        if (!dest?.bucket) throw new UpdateFailure('InvalidRequestException', 'startSigningJobParameter.destination.s3Destination.bucket is required.');
        if (!s3) throw new UpdateFailure('InvalidRequestException', 'Signing through startSigningJobParameter needs fileLocation.s3Location.');
        jobId = await this.deps.signing.startSigningJob(ctx, { profileName: p.signingProfileName, source: s3, destination: { bucket: dest.bucket, ...(dest.prefix !== undefined ? { prefix: dest.prefix } : {}) } });
        certfile = p.signingProfileParameter?.certificatePathOnDevice;
      }
      const done = await this.waitForSigningJob(ctx, jobId as string);
      signature = done.signature;
      signatureKey = done.signatureKey;
      certfile = certfile ?? done.certname;
      // What the device receives is what was signed.
      if (!file.fileLocation?.stream) s3 = done.source;
    }
    let streamId: string;
    let fileId: number;
    let createdStream: string | undefined;
    if (file.fileLocation?.stream?.streamId) {
      streamId = file.fileLocation.stream.streamId;
      fileId = file.fileLocation.stream.fileId ?? 0;
      if (streamId.length > STREAM_NAME_MAX) throw new UpdateFailure('InvalidRequestException', `Stream id ${streamId} is longer than the ${STREAM_NAME_MAX} characters a FreeRTOS device accepts.`);
    } else {
      if (!s3) throw new UpdateFailure('InvalidRequestException', 'fileLocation needs s3Location or stream.');
      streamId = `AFR_OTA-${randomUUID()}`;
      fileId = 0;
      await this.deps.streams.createStream(ctx, { streamId, description: `OTA update ${u.otaUpdateId}`, files: [{ fileId, s3Location: s3 }], roleArn: u.roleArn });
      createdStream = streamId;
    }
    const { size } = await this.deps.streams.readFile(ctx, streamId, fileId);
    const document = buildAfrOtaDocument({
      protocols: u.protocols,
      streamname: streamId,
      file: {
        filepath: file.fileName ?? '',
        filesize: size,
        fileid: fileId,
        certfile: certfile ?? DEFAULT_CERTFILE,
        fileType: file.fileType ?? 0,
        signatureKey,
        signature,
      },
    });
    const jobId = `AFR_OTA-${u.otaUpdateId}`;
    const job = await this.deps.jobs.createJob(ctx, {
      jobId,
      targets: u.targets,
      document: JSON.stringify(document),
      description: `OTA update ${u.otaUpdateId}`,
      targetSelection: u.targetSelection,
      ...(u.awsJobExecutionsRolloutConfig ? { jobExecutionsRolloutConfig: u.awsJobExecutionsRolloutConfig } : {}),
      ...(u.awsJobAbortConfig ? { abortConfig: { criteriaList: u.awsJobAbortConfig.abortCriteriaList } } : {}),
      ...(u.awsJobTimeoutConfig ? { timeoutConfig: u.awsJobTimeoutConfig } : {}),
    });
    return { awsIotJobId: job.jobId, awsIotJobArn: job.jobArn, ...(createdStream ? { streamId: createdStream } : {}) };
  }

  async getOTAUpdate(ctx: IotContext, otaUpdateId: string): Promise<OtaUpdate> {
    const u = this.load(ctx, otaUpdateId);
    if (!u) throw new IotError('ResourceNotFoundException', `OTA update ${otaUpdateId} cannot be found.`);
    return fromStorable(u);
  }

  async listOTAUpdates(ctx: IotContext, input: { nextToken?: string; maxResults?: number; otaUpdateStatus?: OtaUpdateStatus }): Promise<Paged<OtaUpdate>> {
    const { offset, limit } = pageWindow(input);
    const rows = (
      input.otaUpdateStatus
        ? this.d.q('SELECT data FROM iot_ota_updates WHERE account_id = ? AND status = ? ORDER BY created_at DESC, ota_update_id LIMIT ? OFFSET ?').pluck().all(ctx.accountId, input.otaUpdateStatus, limit + 1, offset)
        : this.d.q('SELECT data FROM iot_ota_updates WHERE account_id = ? ORDER BY created_at DESC, ota_update_id LIMIT ? OFFSET ?').pluck().all(ctx.accountId, limit + 1, offset)
    ) as string[];
    return toPage(rows.map((r) => fromStorable(decode<OtaUpdate>(r))), offset, limit);
  }

  async deleteOTAUpdate(ctx: IotContext, input: { otaUpdateId: string; deleteStream?: boolean; forceDeleteAWSJob?: boolean }): Promise<void> {
    const u = await this.getOTAUpdate(ctx, input.otaUpdateId);
    if (u.otaUpdateStatus === 'CREATE_PENDING' || u.otaUpdateStatus === 'CREATE_IN_PROGRESS') throw new IotError('InvalidRequestException', `OTA update ${u.otaUpdateId} is still being created.`);
    if (u.awsIotJobId) {
      try {
        await this.deps.jobs.deleteJob(ctx, { jobId: u.awsIotJobId, force: input.forceDeleteAWSJob === true });
      } catch (e) {
        if (!isIotError(e, 'ResourceNotFoundException')) throw e;
      }
    }
    if (input.deleteStream && u.streamId) {
      try {
        await this.deps.streams.deleteStream(ctx, u.streamId);
      } catch (e) {
        if (!isIotError(e, 'ResourceNotFoundException')) throw e;
      }
    }
    this.d.q('DELETE FROM iot_ota_updates WHERE account_id = ? AND ota_update_id = ?').run(ctx.accountId, u.otaUpdateId);
  }

  async settled(ctx: IotContext, otaUpdateId: string): Promise<OtaUpdate> {
    await this.running.get(this.key(ctx, otaUpdateId));
    return this.getOTAUpdate(ctx, otaUpdateId);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.running.values()]);
  }
}

function bytesToBase64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64');
}

/** Uint8Array members (customCodeSigning signature) are stored as base64 text. */
function toStorable(u: OtaUpdate): unknown {
  return {
    ...u,
    otaUpdateFiles: u.otaUpdateFiles.map((f) => {
      const sig = f.codeSigning?.customCodeSigning?.signature?.inlineDocument;
      if (!sig) return f;
      return { ...f, codeSigning: { ...f.codeSigning, customCodeSigning: { ...f.codeSigning?.customCodeSigning, signature: { inlineDocumentBase64: bytesToBase64(sig) } } } };
    }),
  };
}
function fromStorable(u: OtaUpdate): OtaUpdate {
  return {
    ...u,
    otaUpdateFiles: u.otaUpdateFiles.map((f) => {
      const stored = (f.codeSigning?.customCodeSigning?.signature as { inlineDocumentBase64?: string } | undefined)?.inlineDocumentBase64;
      if (stored === undefined) return f;
      return { ...f, codeSigning: { ...f.codeSigning, customCodeSigning: { ...f.codeSigning?.customCodeSigning, signature: { inlineDocument: new Uint8Array(Buffer.from(stored, 'base64')) } } } };
    }),
  };
}
