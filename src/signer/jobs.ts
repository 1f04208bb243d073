import { createHash } from 'node:crypto';
import type { JobRecord, JobStatus, ProfileRecord } from '../store/index.js';
import { jobArn, parseJobArn, parseProfileArn } from './arns.js';
import type { Caller, SignerDeps } from './context.js';
import { newJobId } from './ids.js';
import { authorizeOnProfile } from './permissions.js';
import type { RegisteredPlatform } from './platform-registry.js';
import { SignerError } from './signer-error.js';
import { expiryOf } from './validity.js';

/** The only payload format SignPayload accepts (Notary Project payload). */
export const NOTATION_PAYLOAD_FORMAT = 'application/vnd.cncf.notary.payload.v1+json';
const LIST_DEFAULT = 10;
const CERT_HASH = /^[0-9a-fA-F]{192}$/;

/** Does the actual signing (src/jobs/job-runner.ts); required when the service is built. */
export interface SigningEngine {
  /** Checks, before a job is recorded, what it needs (source object, size, destination); throws SignerError. */
  check(job: JobRecord): Promise<void>;
  /** Takes an InProgress job and drives it to Succeeded or Failed (asynchronously). */
  enqueue(job: JobRecord): void;
  /** Signs a SignPayload request synchronously. */
  signPayload(job: JobRecord, payload: Uint8Array, payloadFormat: string): Promise<{ signature: Uint8Array; metadata: Record<string, string> }>;
}

export interface StartSigningJobInput {
  source: { s3: { bucketName: string; key: string; version: string } };
  destination: { s3?: { bucketName?: string; prefix?: string } };
  profileName: string;
  clientRequestToken: string;
  profileOwner?: string;
}

export interface ListSigningJobsInput {
  status?: JobStatus;
  platformId?: string;
  requestedBy?: string;
  maxResults?: number;
  nextToken?: string;
  isRevoked?: boolean;
  signatureExpiresBefore?: Date;
  signatureExpiresAfter?: Date;
  jobInvoker?: string;
}

function fingerprint(input: unknown): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

/** Signing jobs: start (checked, recorded, handed to the engine), SignPayload, describe, list, revoke, revocation status. */
export class Jobs {
  constructor(
    private readonly deps: SignerDeps,
    private readonly engine: SigningEngine,
  ) {}

  /** Resolves the profile a job uses, checking cross-account permission and that it may sign now. */
  private async profileForSigning(caller: Caller, profileName: string, profileOwner: string | undefined, action: string) {
    const owner = profileOwner ?? caller.accountId;
    let profile: ProfileRecord | undefined;
    if (owner === caller.accountId) {
      profile = await this.deps.store.getProfile(owner, profileName);
      if (!profile) throw new SignerError('ResourceNotFoundException', `profile with name ${profileName} does not exist`);
    } else {
      profile = (await authorizeOnProfile(this.deps, caller, owner, profileName, action)).profile;
    }
    if (profile.status !== 'Active') {
      throw new SignerError('ValidationException', `Signing profile ${profileName} is ${profile.status} and cannot sign.`);
    }
    const platform = this.deps.platforms.get(profile.current.platformId);
    if (!platform) throw new SignerError('InternalServiceErrorException', 'The profile refers to a platform this server no longer has.');
    return { owner, profile, platform };
  }

  private newRecord(caller: Caller, owner: string, profile: ProfileRecord, platform: RegisteredPlatform, kind: JobRecord['kind']): JobRecord {
    const now = this.deps.now();
    const v = profile.current;
    return {
      jobId: newJobId(),
      kind,
      jobOwner: owner,
      jobInvoker: caller.accountId,
      requestedBy: caller.principalArn,
      profileName: profile.profileName,
      profileVersion: v.profileVersion,
      platformId: v.platformId,
      platformDisplayName: platform.descriptor.displayName,
      signingMaterial: v.signingMaterial,
      overrides: v.overrides,
      signingParameters: v.signingParameters,
      status: 'InProgress',
      createdAt: now,
      signatureExpiresAt: expiryOf(now, v.signatureValidityPeriod),
    };
  }

  async start(caller: Caller, input: StartSigningJobInput) {
    // The model leaves Source.s3 optional (it is a union in spirit); without it there is nothing to sign.
    if (!input.source.s3) throw new SignerError('ValidationException', 'source.s3 (bucketName, key, version) is required.');
    const dest = input.destination.s3;
    if (!dest?.bucketName) throw new SignerError('ValidationException', 'destination.s3.bucketName is required.');
    const requestFingerprint = fingerprint([input.source, input.destination, input.profileName, input.profileOwner ?? null]);
    const { owner, profile, platform } = await this.profileForSigning(caller, input.profileName, input.profileOwner, 'signer:StartSigningJob');
    if (!platform.extras.supportsSigningJobs) {
      throw new SignerError('ValidationException', `Platform ${platform.descriptor.platformId} signs through SignPayload, not StartSigningJob.`);
    }
    const job: JobRecord = {
      ...this.newRecord(caller, owner, profile, platform, 'job'),
      source: input.source,
      destination: { s3: { bucketName: dest.bucketName, ...(dest.prefix !== undefined ? { prefix: dest.prefix } : {}) } },
      clientRequestToken: input.clientRequestToken,
      requestFingerprint,
    };
    await this.engine.check(job);
    const { inserted, job: stored } = await this.deps.store.insertJob(job);
    if (!inserted) {
      if (stored.requestFingerprint !== requestFingerprint) {
        throw new SignerError('ValidationException', 'clientRequestToken was already used with different parameters.');
      }
      return { jobId: stored.jobId, jobOwner: stored.jobOwner };
    }
    this.engine.enqueue(stored);
    return { jobId: stored.jobId, jobOwner: stored.jobOwner };
  }

  async signPayload(caller: Caller, input: { profileName: string; profileOwner?: string; payload: Uint8Array; payloadFormat: string }) {
    const { owner, profile, platform } = await this.profileForSigning(caller, input.profileName, input.profileOwner, 'signer:SignPayload');
    if (!platform.extras.supportsSignPayload) {
      throw new SignerError('ValidationException', `Platform ${platform.descriptor.platformId} does not support SignPayload; use StartSigningJob.`);
    }
    if (input.payloadFormat !== NOTATION_PAYLOAD_FORMAT) {
      throw new SignerError('ValidationException', `payloadFormat must be ${NOTATION_PAYLOAD_FORMAT}.`);
    }
    const job = this.newRecord(caller, owner, profile, platform, 'payload');
    const { signature, metadata } = await this.engine.signPayload(job, input.payload, input.payloadFormat);
    const done: JobRecord = { ...job, status: 'Succeeded', statusReason: 'Signing Succeeded', completedAt: this.deps.now() };
    await this.deps.store.insertJob(done);
    return { jobId: job.jobId, jobOwner: owner, metadata, signature };
  }

  private async visibleJob(caller: Caller, jobId: string): Promise<JobRecord> {
    const job = await this.deps.store.getJob(jobId);
    if (!job || (job.jobOwner !== caller.accountId && job.jobInvoker !== caller.accountId)) {
      throw new SignerError('ResourceNotFoundException', `Signing job ${jobId} does not exist.`);
    }
    return job;
  }

  async describe(caller: Caller, input: { jobId: string }) {
    const j = await this.visibleJob(caller, input.jobId);
    return {
      jobId: j.jobId,
      source: j.source,
      signingMaterial: j.signingMaterial,
      platformId: j.platformId,
      platformDisplayName: j.platformDisplayName,
      profileName: j.profileName,
      profileVersion: j.profileVersion,
      overrides: j.overrides,
      signingParameters: j.signingParameters,
      createdAt: j.createdAt,
      completedAt: j.completedAt,
      signatureExpiresAt: j.signatureExpiresAt,
      requestedBy: j.requestedBy,
      status: j.status,
      statusReason: j.statusReason,
      revocationRecord: j.revocation,
      signedObject: j.signedObject,
      jobOwner: j.jobOwner,
      jobInvoker: j.jobInvoker,
    };
  }

  async list(caller: Caller, input: ListSigningJobsInput) {
    const filter = {
      visibleTo: caller.accountId,
      status: input.status,
      platformId: input.platformId,
      requestedBy: input.requestedBy,
      isRevoked: input.isRevoked,
      signatureExpiresBefore: input.signatureExpiresBefore,
      signatureExpiresAfter: input.signatureExpiresAfter,
      jobInvoker: input.jobInvoker,
    };
    const scope = JSON.stringify(['ListSigningJobs', filter]);
    const after = this.deps.tokens.open(scope, input.nextToken);
    const page = await this.deps.store.listJobs(filter, after, input.maxResults ?? LIST_DEFAULT);
    return {
      jobs: page.items.map((j) => ({
        jobId: j.jobId,
        source: j.source,
        signedObject: j.signedObject,
        signingMaterial: j.signingMaterial,
        createdAt: j.createdAt,
        status: j.status,
        isRevoked: j.revocation !== undefined,
        profileName: j.profileName,
        profileVersion: j.profileVersion,
        platformId: j.platformId,
        platformDisplayName: j.platformDisplayName,
        signatureExpiresAt: j.signatureExpiresAt,
        jobOwner: j.jobOwner,
        jobInvoker: j.jobInvoker,
      })),
      nextToken: page.nextKey === undefined ? undefined : this.deps.tokens.seal(scope, page.nextKey),
    };
  }

  async revoke(caller: Caller, input: { jobId: string; jobOwner?: string; reason: string }): Promise<void> {
    const owner = input.jobOwner ?? caller.accountId;
    const job = await this.deps.store.getJob(input.jobId);
    const visible = job && job.jobOwner === owner && (owner === caller.accountId || job.jobInvoker === caller.accountId);
    if (!job || !visible) throw new SignerError('ResourceNotFoundException', `Signing job ${input.jobId} does not exist.`);
    if (owner !== caller.accountId) await authorizeOnProfile(this.deps, caller, owner, job.profileName, 'signer:RevokeSignature');
    const platform = this.deps.platforms.get(job.platformId);
    if (!platform?.descriptor.revocationSupported) {
      throw new SignerError('ValidationException', `Platform ${job.platformId} does not support revocation.`);
    }
    if (job.status === 'Failed') throw new SignerError('ValidationException', `Signing job ${job.jobId} failed; there is no signature to revoke.`);
    if (job.revocation) throw new SignerError('ValidationException', `The signature of job ${job.jobId} is already revoked.`);
    await this.deps.store.updateJob({ ...job, revocation: { reason: input.reason, revokedAt: this.deps.now(), revokedBy: caller.principalArn } });
  }

  async revocationStatus(
    _caller: Caller,
    input: { signatureTimestamp: Date; platformId: string; profileVersionArn: string; jobArn: string; certificateHashes: string[] },
  ) {
    if (!this.deps.platforms.get(input.platformId)) throw new SignerError('ValidationException', `Unknown platformId '${input.platformId}'; valid platform ids: ${this.deps.platforms.all().map((p) => p.descriptor.platformId).join(', ')}.`);
    const pv = parseProfileArn(input.profileVersionArn);
    if (!pv?.profileVersion) throw new SignerError('ValidationException', 'profileVersionArn must be a signing profile version ARN.');
    const ja = parseJobArn(input.jobArn);
    if (!ja) throw new SignerError('ValidationException', 'jobArn must be a signing job ARN.');
    for (const h of input.certificateHashes) {
      if (!CERT_HASH.test(h)) {
        throw new SignerError('ValidationException', 'Each certificate hash must be hex(SHA-384(certificate TBS)) followed by hex(SHA-384(issuer TBS)): 192 hex digits.');
      }
    }
    const revoked: string[] = [];
    // ARNs of another region name resources this server does not hold: never reported revoked.
    const here = this.deps.region;
    const version = pv.region === here ? await this.deps.store.getProfileVersion(pv.accountId, pv.profileName, pv.profileVersion) : undefined;
    if (version?.revocation && version.revocation.revocationEffectiveFrom.getTime() <= input.signatureTimestamp.getTime()) {
      revoked.push(input.profileVersionArn);
    }
    const job = await this.deps.store.getJob(ja.jobId);
    if (job?.revocation && job.jobOwner === ja.accountId && jobArn(here, job.jobOwner, job.jobId) === input.jobArn) {
      revoked.push(input.jobArn);
    }
    // Certificate revocation: this server issues no CRL of its own yet, so no hash is reported revoked.
    return { revokedEntities: revoked };
  }
}
