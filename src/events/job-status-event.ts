import { randomUUID } from 'node:crypto';
import type { JobRecord } from '../store/index.js';

/** The EventBridge "Signer Job Status Change" event, as AWS Signer sends it. */
export interface JobStatusEvent {
  version: '0';
  id: string;
  'detail-type': 'Signer Job Status Change';
  source: 'aws.signer';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    certificate_arn?: string;
    job_id: string;
    destination?: { bucketName: string; key?: string };
    source?: { bucketName: string; key: string; version: string };
    platform: string;
    status: string;
    statusReason?: string;
  };
}

/**
 * The events one status change produces: one per account involved (the profile owner and, for a
 * cross-account job, the invoker too), as AWS sends "the same event to each account".
 */
export function jobStatusEvents(job: JobRecord, region: string): JobStatusEvent[] {
  const accounts = [...new Set([job.jobOwner, job.jobInvoker])];
  const dest = job.signedObject?.s3 ?? (job.destination?.s3?.bucketName ? { bucketName: job.destination.s3.bucketName } : undefined);
  return accounts.map((account) => ({
    version: '0',
    id: randomUUID(),
    'detail-type': 'Signer Job Status Change',
    source: 'aws.signer',
    account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:signer:${region}:${job.jobOwner}:/signing-jobs/${job.jobId}`],
    detail: {
      ...(job.signingMaterial ? { certificate_arn: job.signingMaterial.certificateArn } : {}),
      job_id: job.jobId,
      ...(dest ? { destination: dest } : {}),
      ...(job.source ? { source: job.source.s3 } : {}),
      platform: job.platformId,
      status: job.status,
      ...(job.statusReason && job.status === 'Failed' ? { statusReason: job.statusReason } : {}),
    },
  }));
}
