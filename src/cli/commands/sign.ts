import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadBucketCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeSigningJobCommand, StartSigningJobCommand } from '@aws-sdk/client-signer';
import { clientContext } from '../client-context.js';
import { Progress } from '../progress.js';

/**
 * `signer sign --profile P firmware.bin -o firmware.signed`: uploads the file to a versioned
 * bucket of the caller, starts a signing job, waits with a progress display, downloads the result.
 */
export async function runSign(argv: string[], dataDir: string, out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { profile: { type: 'string' }, output: { type: 'string', short: 'o' }, 'profile-owner': { type: 'string' }, credentials: { type: 'string' }, bucket: { type: 'string' } },
  });
  const file = positionals[0];
  if (!values.profile || !file) throw new Error('usage: signer sign --profile NAME FILE [-o OUT]');
  const output = values.output ?? `${file}.signed`;
  const ctx = clientContext(dataDir, values.credentials);
  const bucket = values.bucket ?? `signer-cli-${ctx.accessKeyId.toLowerCase()}`;
  try {
    await ctx.s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await ctx.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  await ctx.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));

  const size = statSync(file).size;
  const progress = new Progress('signing');
  let sent = 0;
  const body = Readable.from(
    (async function* () {
      for await (const chunk of createReadStream(file)) {
        sent += (chunk as Buffer).length;
        progress.update(sent, size, 'uploading');
        yield chunk as Buffer;
      }
    })(),
  );
  const key = `uploads/${randomUUID()}/${file.split('/').pop()}`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size }));
  const { jobId = "" } = await ctx.signer.send(
    new StartSigningJobCommand({
      source: { s3: { bucketName: bucket, key, version: put.VersionId ?? 'null' } },
      destination: { s3: { bucketName: bucket, prefix: 'signed/' } },
      profileName: values.profile,
      ...(values['profile-owner'] ? { profileOwner: values['profile-owner'] } : {}),
    }),
  );
  const started = Date.now();
  for (;;) {
    const job = await ctx.signer.send(new DescribeSigningJobCommand({ jobId }));
    if (job.status === 'Failed') {
      progress.done(`signing job ${jobId} failed: ${job.statusReason ?? 'no reason given'}`);
      return 1;
    }
    if (job.status === 'Succeeded' && job.signedObject?.s3?.key) {
      const obj = await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: job.signedObject.s3.key }));
      await pipeline(obj.Body as Readable, createWriteStream(output));
      progress.done(`signed by job ${jobId}`);
      out(`${output}\n`);
      return 0;
    }
    progress.update(1, 2, `job ${jobId.slice(0, 8)} in progress, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
