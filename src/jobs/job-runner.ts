import { isKeysError, type CertificateManager } from '../keys/index.js';
import { isObjectsError, type ObjectStore } from '../objects/index.js';
import type { Logger } from '../log/index.js';
import { SignerError, arns, authorizeOnProfile, type PlatformRegistry, type RegisteredPlatform, type SigningEngine } from '../signer/index.js';
import { outsideAuditScope, type JobRecord, type StateStore } from '../store/index.js';
import { PlatformInputError, type HashAlgorithm, type SigningKey } from '../../platforms/platform.types.js';

/** Publishes a job's status change (EventBridge "Signer Job Status Change"); failures are logged, never fatal. */
export type JobEventSink = (job: JobRecord) => void;

export interface JobRunnerDeps {
  store: StateStore;
  platforms: PlatformRegistry;
  objects: ObjectStore;
  keys: CertificateManager;
  region: string;
  logger: Logger;
  /** Jobs signed at the same time (each streams its source; hashing is CPU-bound). */
  concurrency: number;
  onStatusChange?: JobEventSink;
  now?: () => Date;
}

const MB = 1024 * 1024;

/**
 * The signing engine: a durable queue (InProgress jobs in the state store) worked by an
 * in-process pool. The signed object is written with one atomic put after signing succeeds,
 * so a failed or interrupted job leaves no object; on restart, `recover()` re-runs every job
 * still InProgress (signing is deterministic in its inputs, so a re-run is safe).
 */
export class JobRunner implements SigningEngine {
  private readonly queue: string[] = [];
  private running = 0;
  private readonly idle: (() => void)[] = [];
  private readonly serverKeyLocks = new Map<string, Promise<string>>();
  private stopped = false;
  private readonly now: () => Date;

  constructor(private readonly deps: JobRunnerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private platform(job: JobRecord): RegisteredPlatform {
    const p = this.deps.platforms.get(job.platformId);
    if (!p) throw new SignerError('InternalServiceErrorException', `platform ${job.platformId} is not installed`);
    return p;
  }

  async check(job: JobRecord): Promise<void> {
    const src = job.source?.s3;
    const dst = job.destination?.s3;
    if (!src || !dst?.bucketName) throw new SignerError('ValidationException', 'source.s3 and destination.s3.bucketName are required.');
    const { objects } = this.deps;
    try {
      const bucket = await objects.headBucket(src.bucketName);
      if (bucket.owner !== undefined && bucket.owner !== job.jobInvoker) {
        throw new SignerError('AccessDeniedException', `Access denied to source bucket ${src.bucketName}.`);
      }
      // Versioning must be Enabled: a 'null' version (unversioned or suspended bucket) can be overwritten
      // between StartSigningJob and the signing passes, so it does not name fixed bytes.
      if ((await objects.getBucketVersioning(src.bucketName)) !== 'Enabled') {
        throw new SignerError('ValidationException', `Source bucket ${src.bucketName} must have versioning enabled.`);
      }
      // The same holds for a 'null' version in a bucket whose versioning was enabled later: suspending
      // versioning lets a PUT overwrite it, so the job's provenance would not be fixed (docs/signing.md).
      if (src.version === 'null') {
        throw new SignerError(
          'ValidationException',
          `Source version 'null' (an object written before versioning was enabled) cannot be signed: it can be overwritten. Copy the object to get a real version id.`,
        );
      }
      const info = await objects.headObject(src.bucketName, src.key, { versionId: src.version });
      const max = this.platform(job).descriptor.maxSizeInMB * MB;
      if (info.size > max) {
        throw new SignerError('ValidationException', `The source object is ${info.size} bytes; platform ${job.platformId} signs at most ${max} bytes.`);
      }
      const dest = await objects.headBucket(dst.bucketName);
      if (dest.owner !== undefined && dest.owner !== job.jobInvoker) {
        throw new SignerError('AccessDeniedException', `Access denied to destination bucket ${dst.bucketName}.`);
      }
    } catch (e) {
      if (isObjectsError(e)) {
        const what = e.code === 'NoSuchBucket' ? 'bucket' : e.code === 'NoSuchVersion' ? 'object version' : 'object';
        throw new SignerError('ValidationException', `Source or destination ${what} not found (${e.code}).`);
      }
      throw e;
    }
  }

  enqueue(job: JobRecord): void {
    this.emit(job);
    this.queue.push(job.jobId);
    this.pump();
  }

  private emit(job: JobRecord): void {
    try {
      this.deps.onStatusChange?.(job);
    } catch (e) {
      this.deps.logger.warn('job event sink failed', { jobId: job.jobId, error: String(e) });
    }
  }

  /** Re-queues every job left InProgress (after a crash or restart). Returns how many. */
  async recover(): Promise<number> {
    const jobs = (await this.deps.store.listInProgressJobs()).filter((j) => j.kind === 'job');
    this.queue.push(...jobs.map((j) => j.jobId));
    this.pump();
    if (jobs.length) this.deps.logger.info('resuming signing jobs left in progress', { count: jobs.length });
    return jobs.length;
  }

  /** Resolves when the queue is empty and no job runs. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /** Stops taking new jobs; jobs in flight finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    await this.drain();
  }

  private pump(): void {
    while (!this.stopped && this.running < this.deps.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.running++;
      // The job's writes are the runner's, not part of the call that queued it (and its audit record).
      void outsideAuditScope(() => this.run(id)).finally(() => {
        this.running--;
        this.pump();
        if (this.queue.length === 0 && this.running === 0) for (const r of this.idle.splice(0)) r();
      });
    }
  }

  /** The key a job signs with: the profile's certificate, or the profile version's server key. */
  private async signingKey(job: JobRecord): Promise<SigningKey> {
    const { keys, store, region } = this.deps;
    if (job.signingMaterial) return keys.getSigningKey(job.signingMaterial.certificateArn, job.jobOwner);
    const lockKey = `${job.jobOwner}/${job.profileName}/${job.profileVersion}`;
    let pending = this.serverKeyLocks.get(lockKey);
    if (!pending) {
      // A server key is shared by every later job of the version: its issuance is not the change of the call that needed it first.
      pending = outsideAuditScope(async () => {
        const version = await store.getProfileVersion(job.jobOwner, job.profileName, job.profileVersion);
        if (!version) throw new Error('profile version vanished');
        if (version.serverCertificateArn) return version.serverCertificateArn;
        const issued = await keys.issueServerKey({ accountId: job.jobOwner, region, profileName: job.profileName });
        await store.updateProfileVersion({ ...version, serverCertificateArn: issued.certificateArn });
        return issued.certificateArn;
      });
      this.serverKeyLocks.set(lockKey, pending);
      pending.catch(() => this.serverKeyLocks.delete(lockKey));
    }
    return keys.getSigningKey(await pending, job.jobOwner);
  }

  private resolved(job: JobRecord, platform: RegisteredPlatform) {
    const d = platform.descriptor;
    return {
      encryptionAlgorithm: job.overrides?.signingConfiguration?.encryptionAlgorithm ?? d.signingConfiguration.encryptionAlgorithmOptions.defaultValue,
      hashAlgorithm: (job.overrides?.signingConfiguration?.hashAlgorithm ?? d.signingConfiguration.hashAlgorithmOptions.defaultValue) as HashAlgorithm,
      imageFormat: job.overrides?.signingImageFormat ?? d.signingImageFormat.defaultFormat,
    };
  }

  private jobContext(job: JobRecord) {
    const { region } = this.deps;
    return {
      jobId: job.jobId,
      jobArn: arns.jobArn(region, job.jobOwner, job.jobId),
      profileName: job.profileName,
      profileVersion: job.profileVersion,
      profileVersionArn: arns.profileVersionArn(region, job.jobOwner, job.profileName, job.profileVersion),
      platformId: job.platformId,
      createdAt: job.createdAt,
      signatureExpiresAt: job.signatureExpiresAt ?? job.createdAt,
    };
  }

  /**
   * Re-checks, when a job is taken, what StartSigningJob checked when it was queued: the profile
   * is still Active, the job's profile version is not revoked, and a cross-account invoker still
   * holds the permission. A job that fails here ends Failed with the reason; nothing is signed.
   */
  private async stillMaySign(job: JobRecord): Promise<void> {
    const { store } = this.deps;
    const profile = await store.getProfile(job.jobOwner, job.profileName);
    if (!profile) throw new SignerError('ValidationException', `Signing profile ${job.profileName} no longer exists; the job was not signed.`);
    if (profile.status !== 'Active') {
      const why = profile.statusReason ? ` (${profile.statusReason})` : '';
      throw new SignerError('ValidationException', `Signing profile ${job.profileName} was ${profile.status}${why} before the job was signed; the job was not signed.`);
    }
    const version = await store.getProfileVersion(job.jobOwner, job.profileName, job.profileVersion);
    if (!version) throw new SignerError('ValidationException', `Signing profile version ${job.profileVersion} no longer exists; the job was not signed.`);
    if (version.revocation) {
      throw new SignerError(
        'ValidationException',
        `Signing profile version ${job.profileVersion} was revoked (${version.revocation.reason}) before the job was signed; the job was not signed.`,
      );
    }
    if (job.jobInvoker !== job.jobOwner) {
      try {
        await authorizeOnProfile(
          { store },
          { accountId: job.jobInvoker, principalArn: job.requestedBy },
          job.jobOwner,
          job.profileName,
          'signer:StartSigningJob',
          job.profileVersion,
        );
      } catch (e) {
        if (e instanceof SignerError) {
          throw new SignerError('AccessDeniedException', `Account ${job.jobInvoker} no longer holds signer:StartSigningJob on signing profile ${job.profileName}; the job was not signed.`);
        }
        throw e;
      }
    }
  }

  private async run(jobId: string): Promise<void> {
    const { store, objects, logger } = this.deps;
    const job = await store.getJob(jobId);
    if (!job || job.status !== 'InProgress') return;
    let done: JobRecord;
    try {
      await this.stillMaySign(job);
      const platform = this.platform(job);
      const module = await this.deps.platforms.module(job.platformId);
      const src = job.source!.s3;
      const dst = job.destination!.s3!;
      const head = await objects.headObject(src.bucketName, src.key, { versionId: src.version });
      const key = await this.signingKey(job);
      const artifact = await module.sign({
        openSource: () => openStream(objects, src.bucketName, src.key, head.versionId),
        sourceSize: head.size,
        sourceKey: src.key,
        key,
        ...this.resolved(job, platform),
        signingParameters: job.signingParameters ?? {},
        job: this.jobContext(job),
      });
      const destKey = `${dst.prefix ?? ''}${job.jobId}${artifact.extension}`;
      await objects.putObject(dst.bucketName!, destKey, artifact.body(), { contentType: artifact.contentType });
      done = {
        ...job,
        status: 'Succeeded',
        statusReason: 'Signing Succeeded',
        completedAt: this.now(),
        signedObject: { s3: { bucketName: dst.bucketName!, key: destKey } },
        rawSignature: Buffer.from(artifact.rawSignature).toString('base64'),
      };
    } catch (e) {
      // A certificate that expired (or is not yet valid) after the profile was created is the
      // caller's to fix: say so. Key-backend faults (5xx) stay generic; details go to the log.
      const clientKeysError = isKeysError(e) && e.httpStatus < 500;
      const reason =
        e instanceof PlatformInputError || e instanceof SignerError || (isKeysError(e) && clientKeysError)
          ? e.message
          : isObjectsError(e)
            ? `Object storage error: ${e.code}`
            : 'Signing failed because of an internal error; see the server log.';
      if (!(e instanceof PlatformInputError) && !clientKeysError) logger.warn('signing job failed', { jobId, error: e instanceof Error ? e.message : String(e) });
      done = { ...job, status: 'Failed', statusReason: reason, completedAt: this.now() };
    }
    await store.updateJob(done);
    this.emit(done);
  }

  async signPayload(job: JobRecord, payload: Uint8Array, payloadFormat: string) {
    const module = await this.deps.platforms.module(job.platformId);
    if (!module.signPayload) throw new SignerError('ValidationException', `Platform ${job.platformId} does not support SignPayload.`);
    const key = await this.signingKey(job);
    try {
      return await module.signPayload({ payload, payloadFormat, key, job: this.jobContext(job) });
    } catch (e) {
      if (e instanceof PlatformInputError) throw new SignerError('ValidationException', e.message);
      throw e;
    }
  }
}

async function* openStream(objects: ObjectStore, bucket: string, key: string, versionId: string): AsyncIterable<Uint8Array> {
  const r = await objects.getObject(bucket, key, { versionId });
  for await (const chunk of r.body) yield chunk as Uint8Array;
}
