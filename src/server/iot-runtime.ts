/**
 * Wires the AWS IoT domain (src/iot) into the server: its device CA, the Signer as the OTA
 * service's signing back end, and the REST services mounted on the Signer API's endpoint.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { readSignedJson } from '../../platforms/_shared/index.js';
import { createIotRestServices, type EndpointLookup } from '../api/iot/index.js';
import type { RestService } from '../api/index.js';
import { createIotServices, type IotContext, type IotRuntime, type OtaSigning } from '../iot/index.js';
import { loadOrCreateLocalCa } from '../keys/index.js';
import type { ObjectStore } from '../objects/index.js';
import type { SignerService } from '../signer/index.js';
import type { SqliteDatabase } from '../store/sqlite.js';

/** The principal recorded as `requestedBy` of signing jobs that CreateOTAUpdate starts. */
const otaPrincipal = (ctx: IotContext) => `arn:aws:iam::${ctx.accountId}:root`;

/**
 * CreateOTAUpdate's signing through our own Signer: StartSigningJob with the profile, then the
 * signature and its job-document key from the JSON signed object the FreeRTOS platforms write
 * (docs/platforms.md, "Getting the signature for OTA"). The device gets the unsigned source object.
 */
export function signerForOta(service: SignerService, objects: ObjectStore): OtaSigning {
  return {
    async startSigningJob(ctx, input) {
      const { jobId } = await service.jobs.start(
        { accountId: ctx.accountId, principalArn: otaPrincipal(ctx) },
        {
          profileName: input.profileName,
          clientRequestToken: randomUUID(),
          source: { s3: { bucketName: input.source.bucket, key: input.source.key, version: input.source.version ?? 'null' } },
          destination: { s3: { bucketName: input.destination.bucket, ...(input.destination.prefix !== undefined ? { prefix: input.destination.prefix } : {}) } },
        },
      );
      return jobId;
    },
    async describeSigningJob(ctx, jobId) {
      const job = await service.jobs.describe({ accountId: ctx.accountId, principalArn: otaPrincipal(ctx) }, { jobId });
      if (job.status === 'InProgress') return { status: 'InProgress' };
      if (job.status !== 'Succeeded') return { status: 'Failed', reason: job.statusReason ?? `signing job ${jobId} ${job.status}` };
      const signed = job.signedObject?.s3;
      const source = job.source?.s3;
      if (!signed || !source) return { status: 'Failed', reason: `signing job ${jobId} has no signed object or source` };
      const obj = await objects.getObject(signed.bucketName, signed.key);
      let parsed;
      try {
        parsed = readSignedJson(await text(obj.body));
      } catch {
        return { status: 'Failed', reason: `signing job ${jobId} was not made by a platform with an OTA signature (JSON signed object)` };
      }
      const meta = parsed.header.metadata as { otaSignatureKey?: string; certname?: string } | undefined;
      if (!meta?.otaSignatureKey) return { status: 'Failed', reason: `signing job ${jobId}'s signed object names no job-document signature key` };
      return {
        status: 'Succeeded',
        signature: Buffer.from(parsed.signature).toString('base64'),
        signatureKey: meta.otaSignatureKey,
        source: { bucket: source.bucketName, key: source.key, version: source.version },
        ...(meta.certname !== undefined ? { certname: meta.certname } : {}),
      };
    },
  };
}

export interface IotWiring {
  runtime: IotRuntime;
  rest: RestService[];
}

export async function startIot(deps: {
  dataDir: string;
  db: SqliteDatabase;
  objects: ObjectStore;
  service: SignerService;
  region: string;
  endpoint: EndpointLookup;
  onError: (e: unknown) => void;
}): Promise<IotWiring> {
  const deviceCa = await loadOrCreateLocalCa(join(deps.dataDir, 'ca'), 'device-ca', 'iot-signer device CA');
  const runtime = createIotServices({ db: deps.db, objects: deps.objects, signing: signerForOta(deps.service, deps.objects), deviceCa, region: deps.region, onError: deps.onError });
  return { runtime, rest: createIotRestServices(runtime, { endpoint: deps.endpoint }) };
}
