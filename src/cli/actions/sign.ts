/**
 * `signer sign`: checks the profile (exists, Active), its platform and the file size BEFORE uploading;
 * uploads to a versioned bucket of the caller, starts a signing job, waits, downloads the result.
 * A try that fails after the upload deletes the uploaded version: nothing is left under `uploads/`.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { DescribeSigningJobCommand, GetSigningPlatformCommand, GetSigningProfileCommand, StartSigningJobCommand } from '@aws-sdk/client-signer';
import { clientContext, type ClientContext } from '../client-context.js';
import { CliFailure, UsageError, type CliIo } from '../io.js';
import { printJson } from '../output.js';
import { formatBytes, Progress } from '../progress.js';
import type { DataDirOptions } from '../commands/common.js';

/** The options of `signer sign` (commands/sign.ts). */
export interface SignOptions extends DataDirOptions {
  profile: string;
  output?: string;
  profileOwner?: string;
  credentials: string;
  bucket?: string;
  json?: boolean;
}

/** How often the job is polled (DescribeSigningJob). */
const POLL_MS = 200;

function fileSize(file: string): number {
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UsageError(`${file} is not a file`);
    return st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`the file to sign, ${file}, does not exist`);
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Profile exists and is Active, and the file fits its platform: checked before anything is uploaded. */
async function preflight(ctx: ClientContext, opts: SignOptions, file: string, size: number): Promise<{ platformId: string; maxBytes?: number }> {
  let profile;
  try {
    profile = await ctx.signer.send(new GetSigningProfileCommand({ profileName: opts.profile, ...(opts.profileOwner ? { profileOwner: opts.profileOwner } : {}) }));
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'ResourceNotFoundException') {
      throw new CliFailure(`signing profile '${opts.profile}'${opts.profileOwner ? ` of account ${opts.profileOwner}` : ''} does not exist (create it with 'aws signer put-signing-profile'; list them with 'aws signer list-signing-profiles').`);
    }
    // A profile shared by another account may not grant GetSigningProfile: StartSigningJob will say.
    if (name === 'AccessDeniedException' && opts.profileOwner) return { platformId: '' };
    throw e;
  }
  if (profile.status !== 'Active') {
    throw new CliFailure(`signing profile '${opts.profile}' is ${profile.status}: a ${profile.status?.toLowerCase()} profile cannot sign (a canceled name cannot be reused; create a profile with a new name).`);
  }
  const platformId = profile.platformId ?? '';
  const platform = await ctx.signer.send(new GetSigningPlatformCommand({ platformId }));
  const maxBytes = platform.maxSizeInMB === undefined ? undefined : platform.maxSizeInMB * 1024 * 1024;
  if (maxBytes !== undefined && size > maxBytes) {
    throw new CliFailure(`${file} is ${formatBytes(size)}; platform ${platformId} (profile '${opts.profile}') signs files up to ${platform.maxSizeInMB} MB. Nothing was uploaded.`);
  }
  return { platformId, ...(maxBytes === undefined ? {} : { maxBytes }) };
}

async function ensureBucket(ctx: ClientContext, bucket: string): Promise<void> {
  try {
    await ctx.s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if (e instanceof CliFailure) throw e;
    await ctx.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  await ctx.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
}

/** Counts bytes through a stream. */
function counter(onBytes: (total: number) => void): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      onBytes(n);
      cb(null, chunk);
    },
  });
}

export async function runSign(io: CliIo, dataDir: string, file: string, opts: SignOptions): Promise<number> {
  const size = fileSize(file);
  const output = opts.output ?? `${file}.signed`;
  const ctx = clientContext(dataDir, opts.credentials);
  const { platformId } = await preflight(ctx, opts, file, size);
  const bucket = opts.bucket ?? `signer-cli-${ctx.accessKeyId.toLowerCase()}`;
  await ensureBucket(ctx, bucket);

  const progress = new Progress({ io, label: 'signer sign' });
  const key = `uploads/${randomUUID()}/${basename(file)}`;
  let uploadedVersion: string | undefined;
  let uploaded = false;
  // Ctrl-C (or SIGTERM) while uploading or waiting: stop, remove the upload, exit 1.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => interrupt.abort(new CliFailure(`interrupted by ${signal}: the upload was removed, no signed object was written.`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const abortable = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (interrupt.signal.aborted) return reject(interrupt.signal.reason);
      interrupt.signal.addEventListener('abort', () => reject(interrupt.signal.reason), { once: true });
      p.then(resolve, reject);
    });
  try {
    progress.phase('upload', size, `${basename(file)} → s3://${bucket}/${key}`);
    const body = createReadStream(file).pipe(counter((n) => progress.update(n)));
    const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Readable.from(body), ContentLength: size }), { abortSignal: interrupt.signal });
    uploaded = true;
    uploadedVersion = put.VersionId;

    progress.phase('signing', undefined, `profile ${opts.profile}${platformId ? ` (${platformId})` : ''}`);
    const { jobId = '' } = await abortable(ctx.signer.send(
      new StartSigningJobCommand({
        source: { s3: { bucketName: bucket, key, version: put.VersionId ?? 'null' } },
        destination: { s3: { bucketName: bucket, prefix: 'signed/' } },
        profileName: opts.profile,
        ...(opts.profileOwner ? { profileOwner: opts.profileOwner } : {}),
      }),
    ));
    for (;;) {
      const job = await abortable(ctx.signer.send(new DescribeSigningJobCommand({ jobId })));
      if (job.status === 'Failed') {
        progress.abort();
        throw new CliFailure(`signing job ${jobId} failed: ${job.statusReason ?? 'no reason given'}`);
      }
      if (job.status === 'Succeeded' && job.signedObject?.s3?.key) {
        const obj = await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: job.signedObject.s3.key }));
        progress.phase('download', obj.ContentLength ?? undefined, `→ ${output}`);
        await pipeline(obj.Body as Readable, counter((n) => progress.update(n)), createWriteStream(output));
        progress.finish(`signed by job ${jobId}`);
        if (opts.json) {
          printJson(io, {
            jobId,
            status: job.status,
            profileName: job.profileName,
            profileVersion: job.profileVersion,
            platformId: job.platformId,
            source: { bucket, key, version: uploadedVersion },
            signedObject: { bucket, key: job.signedObject.s3.key },
            output,
            size: statSync(output).size,
            signatureExpiresAt: job.signatureExpiresAt?.toISOString(),
          });
        } else io.stdout(`${output}\n`);
        return 0;
      }
      progress.update(0, `job ${jobId} ${job.status ?? 'InProgress'}`);
      await abortable(new Promise((r) => setTimeout(r, POLL_MS)));
    }
  } catch (e) {
    progress.abort();
    // A PutObject aborted mid-way may still have completed on the server: look for the version too.
    if (!uploaded && interrupt.signal.aborted) {
      const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
      const found = await ctx.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key })).catch(() => undefined);
      for (const v of found?.Versions ?? []) {
        if (v.Key === key) await ctx.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, ...(v.VersionId ? { VersionId: v.VersionId } : {}) })).catch(() => undefined);
      }
    }
    if (uploaded) {
      // Remove the uploaded version itself (a plain delete would only add a delete marker).
      await ctx.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, ...(uploadedVersion ? { VersionId: uploadedVersion } : {}) })).catch(() => undefined);
    }
    throw interrupt.signal.aborted ? interrupt.signal.reason : e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
