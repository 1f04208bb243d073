/**
 * bench/signing — what the signing engine costs, against raw node:crypto in the same run.
 *
 * (a) SignPayload (Notation, server-issued P-384 key) requests/second over HTTP with SigV4: the SDK-signed
 *     request is captured and replayed over keep-alive connections (as bench/api.ts does), and the SDK
 *     end-to-end rate is measured too. Ratios: ÷ raw node:crypto ECDSA P-256 signatures/second (one core)
 *     and ÷ the authenticated GetSigningProfile rate on the same server (target ≥ 0.5).
 * (b) StartSigningJob of a 1 MiB image (IoT Device Management, ECDSA P-256): submit → Succeeded latency
 *     (server in process: `server.jobs.drain()`), ÷ raw SHA-256 + ECDSA sign of the same bytes. The
 *     "queue hop" is the same round trip for a 1-byte image; target: latency ≤ 3 × raw + one hop.
 * (c) Sustained jobs/minute for 1 MiB images over ~20 s (target ≥ 500/min).
 *
 * Client and server share this machine (and its cores). Env: BENCH_SECONDS (a, default 5),
 * BENCH_CONCURRENCY (a, default 8), BENCH_SUSTAIN_SECONDS (c, default 20), BENCH_JOBS (b, pairs, default 30).
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeSigningJobCommand,
  GetSigningProfileCommand,
  PutSigningProfileCommand,
  SignPayloadCommand,
  StartSigningJobCommand,
} from '@aws-sdk/client-signer';
import { createTestCa, issueCodeSigningCertificate } from '../src/keys/index.js';
import { startTestServer } from '../test/support/server.js';
import { captureSignedRequest, rate, replayer, report } from './measure.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SUSTAIN_SECONDS = Number(process.env.BENCH_SUSTAIN_SECONDS ?? 20);
const LATENCY_JOBS = Number(process.env.BENCH_JOBS ?? 30);
const MIB = 1024 * 1024;
const NOTARY_FORMAT = 'application/vnd.cncf.notary.payload.v1+json';

/** Operations per second of a synchronous function on this thread. */
function syncRate(fn: () => void, seconds: number): number {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const start = performance.now();
  while (performance.now() < end) {
    fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Median of a sample, in the sample's unit. */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const t = await startTestServer();
const caDir = mkdtempSync(join(tmpdir(), 'bench-signing-ca-'));
try {
  const c = t.admin.client;
  const credentials = { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey };

  // ---- (a) SignPayload over HTTP ---------------------------------------------------------------
  await c.send(new PutSigningProfileCommand({ profileName: 'bench_notation', platformId: 'Notation-OCI-SHA384-ECDSA' }));
  const payload = new TextEncoder().encode(JSON.stringify({ targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'ab'.repeat(32)}`, size: 1234 } }));
  const signPayload = new SignPayloadCommand({ profileName: 'bench_notation', payload, payloadFormat: NOTARY_FORMAT });
  await c.send(signPayload); // issues the profile version's server key

  const capture = (command: SignPayloadCommand | GetSigningProfileCommand) => captureSignedRequest(t.url, credentials, command);
  const replay = replayer(t.url, CONCURRENCY);
  const send = replay.send;
  const opts = { seconds: SECONDS, concurrency: CONCURRENCY, warmupSeconds: 1 };
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
  const message = randomBytes(512);
  const rawP256 = syncRate(() => sign('sha256', message, p256), 2);
  const rawP384 = syncRate(() => sign('sha384', message, p384), 2);
  const getRate = await rate(send(await capture(new GetSigningProfileCommand({ profileName: 'bench_notation' }))), opts);
  const payloadRate = await rate(send(await capture(signPayload)), opts);
  const sdkPayloadRate = await rate(() => c.send(signPayload), opts);
  replay.close();
  report('bench/signing raw node:crypto ECDSA P-256 sign (one thread)', { perSec: Math.round(rawP256) });
  report('bench/signing raw node:crypto ECDSA P-384 sign (one thread, the Notation key type)', { perSec: Math.round(rawP384) });
  report('bench/signing GetSigningProfile (SigV4, SDK-signed, replayed)', { perSec: Math.round(getRate) });
  report('bench/signing SignPayload Notation (SigV4, SDK-signed, replayed)', {
    perSec: Math.round(payloadRate),
    ratioToRawP256: payloadRate / rawP256,
    ratioToRawP384: payloadRate / rawP384,
    ratioToGetSigningProfile: payloadRate / getRate,
    target: '>=0.5 of GetSigningProfile',
  });
  report('bench/signing SignPayload end-to-end through the SDK client (client cost included)', {
    perSec: Math.round(sdkPayloadRate),
    ratioToRawP256: sdkPayloadRate / rawP256,
    ratioToGetSigningProfile: sdkPayloadRate / getRate,
  });

  // ---- (b) StartSigningJob latency, 1 MiB IoT DM ------------------------------------------------
  const ca = await createTestCa({ dir: caDir });
  const leaf = await issueCodeSigningCertificate({ ca, subject: 'CN=bench signing', algorithm: 'EC_prime256v1' });
  const acm = new ACMClient({ endpoint: t.url, region: 'us-east-1', credentials });
  const { CertificateArn } = await acm.send(
    new ImportCertificateCommand({ Certificate: Buffer.from(leaf.certificatePem), PrivateKey: Buffer.from(leaf.privateKeyPem), CertificateChain: Buffer.from(leaf.chainPem) }),
  );
  await c.send(new PutSigningProfileCommand({ profileName: 'bench_iot', platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA', signingMaterial: { certificateArn: CertificateArn! } }));
  const s3 = new S3Client({ endpoint: t.server.s3Url, forcePathStyle: true, region: 'us-east-1', credentials });
  await s3.send(new CreateBucketCommand({ Bucket: 'bench-src' }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: 'bench-src', VersioningConfiguration: { Status: 'Enabled' } }));
  await s3.send(new CreateBucketCommand({ Bucket: 'bench-dst' }));
  const image = randomBytes(MIB);
  const big = await s3.send(new PutObjectCommand({ Bucket: 'bench-src', Key: 'image-1mib.bin', Body: image }));
  const tiny = await s3.send(new PutObjectCommand({ Bucket: 'bench-src', Key: 'image-1b.bin', Body: Buffer.from([1]) }));
  const start = (key: string, version: string) =>
    c.send(new StartSigningJobCommand({ source: { s3: { bucketName: 'bench-src', key, version } }, destination: { s3: { bucketName: 'bench-dst', prefix: 'out/' } }, profileName: 'bench_iot' }));
  const once = async (key: string, version: string) => {
    const t0 = performance.now();
    const { jobId } = await start(key, version);
    await t.server.jobs.drain();
    const ms = performance.now() - t0;
    const d = await c.send(new DescribeSigningJobCommand({ jobId }));
    if (d.status !== 'Succeeded') throw new Error(`job ${jobId} ${d.status}: ${d.statusReason}`);
    return ms;
  };
  // 1 MiB and 1-byte jobs interleaved, so both samples see the same machine (fsync latency and load vary)
  const bigSample: number[] = [];
  const hopSample: number[] = [];
  for (let i = 0; i < LATENCY_JOBS + 3; i++) {
    const b = await once('image-1mib.bin', big.VersionId!);
    const h = await once('image-1b.bin', tiny.VersionId!);
    if (i >= 3) (bigSample.push(b), hopSample.push(h)); // 3 warm-up pairs
  }
  const bigMs = median(bigSample);
  const hopMs = median(hopSample);
  // node's one-shot sign hashes the 1 MiB with SHA-256 and signs the digest: the raw cost of the job's work
  const rawMs = 1000 / syncRate(() => sign('sha256', image, p256), 2);
  const hashMs = 1000 / syncRate(() => createHash('sha256').update(image).digest(), 2);
  report('bench/signing raw SHA-256(1 MiB) + ECDSA P-256 sign (node:crypto)', { ms: rawMs, hashOnlyMs: hashMs });
  report('bench/signing StartSigningJob 1 MiB IoT DM, submit → Succeeded (median)', {
    ms: bigMs,
    queueHopMs: hopMs,
    ratioToRaw: bigMs / rawMs,
    ratioToRawPlusHop: bigMs / (rawMs + hopMs),
    marginalRatio: (bigMs - hopMs) / rawMs,
    target: '<= 3x raw + one hop',
    withinTarget: bigMs <= 3 * rawMs + hopMs ? 'yes' : 'no',
  });

  // ---- (c) sustained jobs/minute, 1 MiB ---------------------------------------------------------
  const BATCH = 16;
  const ids: string[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < SUSTAIN_SECONDS * 1000) {
    const batch = await Promise.all(Array.from({ length: BATCH }, () => start('image-1mib.bin', big.VersionId!)));
    ids.push(...batch.map((b) => b.jobId!));
    await t.server.jobs.drain();
  }
  const elapsed = (performance.now() - t0) / 1000;
  let succeeded = 0;
  for (const jobId of ids) if ((await c.send(new DescribeSigningJobCommand({ jobId }))).status === 'Succeeded') succeeded++;
  report('bench/signing sustained 1 MiB IoT DM jobs', {
    seconds: elapsed,
    jobs: ids.length,
    succeeded,
    perMinute: Math.round((succeeded / elapsed) * 60),
    MiBPerSec: succeeded / elapsed,
    target: '>=500/min',
  });
} finally {
  await t.stop();
  rmSync(caDir, { recursive: true, force: true });
}
