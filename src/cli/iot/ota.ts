/**
 * `signer ota create|describe|list|cancel|executions`: OTA updates through the AWS IoT API of the
 * running server (CreateOTAUpdate and friends, as `aws iot create-ota-update` would call them).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  CancelJobCommand,
  CreateOTAUpdateCommand,
  DescribeJobExecutionCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  GetOTAUpdateCommand,
  ListJobExecutionsForJobCommand,
  ListOTAUpdatesCommand,
  type IoTClient,
  type OTAUpdateInfo,
} from '@aws-sdk/client-iot';
import { CliFailure, UsageError } from '../io.js';
import { CreateBucketCommand, HeadBucketCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface OtaCreateOptions {
  /** Things and thing groups to update (names). */
  things: string[];
  groups: string[];
  file: string;
  /** Sign by starting a signing job with this profile … */
  profile?: string;
  /** … or use the output of an existing signing job. */
  signingJobId?: string;
  otaUpdateId?: string;
  /** Where the file lives on the device (the job document's `filepath`). */
  filePath?: string;
  /** The signer certificate's path on the device (`certfile`), when signing with a profile. */
  certificatePathOnDevice?: string;
  fileType?: number;
  continuous?: boolean;
  bucket: string;
  /** Seconds to wait for CREATE_COMPLETE/CREATE_FAILED; 0 returns at once. */
  waitSeconds: number;
}

/** Uploads the firmware to a versioned bucket and creates the OTA update; waits until it settles. */
export async function createOta(iot: IoTClient, s3: S3Client, o: OtaCreateOptions): Promise<OTAUpdateInfo> {
  if (!o.things.length && !o.groups.length) throw new UsageError('ota create needs at least one --thing or --group.');
  if (!o.profile && !o.signingJobId) throw new UsageError('ota create needs --profile (sign now) or --signing-job (already signed).');
  const targets: string[] = [];
  for (const t of o.things) targets.push((await iot.send(new DescribeThingCommand({ thingName: t }))).thingArn!);
  for (const g of o.groups) targets.push((await iot.send(new DescribeThingGroupCommand({ thingGroupName: g }))).thingGroupArn!);

  let s3Location: { bucket: string; key: string; version?: string } | undefined;
  if (!o.signingJobId) {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: o.bucket }));
    } catch {
      await s3.send(new CreateBucketCommand({ Bucket: o.bucket }));
    }
    await s3.send(new PutBucketVersioningCommand({ Bucket: o.bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const key = `ota/${randomUUID()}/${basename(o.file)}`;
    const put = await s3.send(new PutObjectCommand({ Bucket: o.bucket, Key: key, Body: readFileSync(o.file) }));
    s3Location = { bucket: o.bucket, key, version: put.VersionId };
  }
  const otaUpdateId = o.otaUpdateId ?? `ota-${randomUUID()}`;
  await iot.send(
    new CreateOTAUpdateCommand({
      otaUpdateId,
      targets,
      protocols: ['MQTT'],
      targetSelection: o.continuous ? 'CONTINUOUS' : 'SNAPSHOT',
      // The server does not assume IAM roles; AWS requires the member, so a role of the caller's account is named.
      roleArn: `arn:aws:iam::${targets[0]!.split(':')[4]}:role/signer-ota`,
      files: [
        {
          fileName: o.filePath ?? basename(o.file),
          fileType: o.fileType,
          fileLocation: s3Location ? { s3Location } : undefined,
          codeSigning: o.signingJobId
            ? { awsSignerJobId: o.signingJobId }
            : {
                startSigningJobParameter: {
                  signingProfileName: o.profile,
                  signingProfileParameter: o.certificatePathOnDevice ? { certificatePathOnDevice: o.certificatePathOnDevice } : undefined,
                  destination: { s3Destination: { bucket: o.bucket, prefix: 'ota-signed/' } },
                },
              },
        },
      ],
    }),
  );
  const deadline = Date.now() + o.waitSeconds * 1000;
  for (;;) {
    const { otaUpdateInfo } = await iot.send(new GetOTAUpdateCommand({ otaUpdateId }));
    const status = otaUpdateInfo!.otaUpdateStatus;
    if (status !== 'CREATE_PENDING' && status !== 'CREATE_IN_PROGRESS') return otaUpdateInfo!;
    if (Date.now() >= deadline) return otaUpdateInfo!;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function describeOta(iot: IoTClient, otaUpdateId: string): Promise<OTAUpdateInfo> {
  return (await iot.send(new GetOTAUpdateCommand({ otaUpdateId }))).otaUpdateInfo!;
}

export async function listOtas(iot: IoTClient): Promise<{ otaUpdateId: string; otaUpdateArn: string; creationDate?: Date }[]> {
  const out: { otaUpdateId: string; otaUpdateArn: string; creationDate?: Date }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await iot.send(new ListOTAUpdatesCommand({ nextToken, maxResults: 100 }));
    for (const u of page.otaUpdates ?? []) out.push({ otaUpdateId: u.otaUpdateId!, otaUpdateArn: u.otaUpdateArn!, creationDate: u.creationDate });
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

async function jobOf(iot: IoTClient, otaUpdateId: string): Promise<string> {
  const info = await describeOta(iot, otaUpdateId);
  if (!info.awsIotJobId) throw new CliFailure(`OTA update ${otaUpdateId} has no job (status ${info.otaUpdateStatus}${info.errorInfo?.message ? `: ${info.errorInfo.message}` : ''}).`);
  return info.awsIotJobId;
}

/** Cancels the update's job; with `force`, executions already IN_PROGRESS are canceled too. */
export async function cancelOta(iot: IoTClient, otaUpdateId: string, force: boolean): Promise<{ jobId: string }> {
  const jobId = await jobOf(iot, otaUpdateId);
  await iot.send(new CancelJobCommand({ jobId, force, comment: `canceled with signer ota cancel ${otaUpdateId}` }));
  return { jobId };
}

export interface ExecutionRow {
  thingName: string;
  status: string;
  versionNumber?: number;
  statusDetails?: Record<string, string>;
}

/** One row per thing of the update's job, with the status details the device last reported. */
export async function otaExecutions(iot: IoTClient, otaUpdateId: string): Promise<{ jobId: string; executions: ExecutionRow[] }> {
  const jobId = await jobOf(iot, otaUpdateId);
  const executions: ExecutionRow[] = [];
  let nextToken: string | undefined;
  do {
    const page = await iot.send(new ListJobExecutionsForJobCommand({ jobId, nextToken, maxResults: 100 }));
    for (const s of page.executionSummaries ?? []) {
      const thingName = s.thingArn!.slice(s.thingArn!.indexOf(':thing/') + ':thing/'.length);
      const { execution } = await iot.send(new DescribeJobExecutionCommand({ jobId, thingName }));
      executions.push({ thingName, status: execution!.status!, versionNumber: execution!.versionNumber, statusDetails: execution!.statusDetails?.detailsMap });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return { jobId, executions };
}
