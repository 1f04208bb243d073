/**
 * CreateOTAUpdate's way into the Signer: starts signing jobs as the account's root principal and
 * reads their result — the raw signature the job runner keeps for OTA job documents, the
 * `sig-<hash>-<algorithm>` key the platform signs for, and the object that was signed.
 */
import { randomUUID } from 'node:crypto';
import type { IotContext, OtaSigning } from '../iot/index.js';
import type { ObjectStore } from '../objects/index.js';
import { SignerError, type PlatformRegistry, type SignerService } from '../signer/index.js';
import type { StateStore } from '../store/index.js';

export function createOtaSigning(deps: { service: SignerService; store: StateStore; platforms: PlatformRegistry; objects: ObjectStore }): OtaSigning {
  return {
    async startSigningJob(ctx: IotContext, input) {
      const version = input.source.version ?? (await deps.objects.headObject(input.source.bucket, input.source.key)).versionId;
      try {
        const r = await deps.service.jobs.start(
          { accountId: ctx.accountId, principalArn: `arn:aws:iam::${ctx.accountId}:root` },
          {
            source: { s3: { bucketName: input.source.bucket, key: input.source.key, version } },
            destination: { s3: { bucketName: input.destination.bucket, ...(input.destination.prefix !== undefined ? { prefix: input.destination.prefix } : {}) } },
            profileName: input.profileName,
            clientRequestToken: randomUUID(),
          },
        );
        return r.jobId;
      } catch (e) {
        if (e instanceof SignerError) throw Object.assign(new Error(`StartSigningJob: ${e.message}`), { signerCode: e.code });
        throw e;
      }
    },
    async describeSigningJob(ctx: IotContext, jobId: string) {
      const job = await deps.store.getJob(jobId);
      if (!job || (job.jobOwner !== ctx.accountId && job.jobInvoker !== ctx.accountId)) return { status: 'Failed', reason: `signing job ${jobId} does not exist` };
      if (job.status === 'InProgress') return { status: 'InProgress' };
      if (job.status !== 'Succeeded') return { status: 'Failed', reason: job.statusReason ?? job.status };
      if (!job.rawSignature || !job.source?.s3) return { status: 'Failed', reason: `signing job ${jobId} has no signature an OTA job document can carry` };
      const sc = deps.platforms.get(job.platformId)?.descriptor.signingConfiguration;
      const hash = job.overrides?.signingConfiguration?.hashAlgorithm ?? sc?.hashAlgorithmOptions.defaultValue ?? 'SHA256';
      const alg = job.overrides?.signingConfiguration?.encryptionAlgorithm ?? sc?.encryptionAlgorithmOptions.defaultValue ?? 'ECDSA';
      const certname = job.signingParameters?.['certname'];
      return {
        status: 'Succeeded',
        signature: job.rawSignature,
        signatureKey: `sig-${hash.toLowerCase()}-${alg.toLowerCase()}`,
        source: { bucket: job.source.s3.bucketName, key: job.source.s3.key, version: job.source.s3.version },
        ...(certname !== undefined ? { certname } : {}),
      };
    },
  };
}
