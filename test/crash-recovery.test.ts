import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateBucketCommand, GetObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeSigningJobCommand, PutSigningProfileCommand, StartSigningJobCommand, type DescribeSigningJobCommandOutput } from '@aws-sdk/client-signer';
import { createTestCa, issueCodeSigningCertificate } from '../src/keys/index.js';
import { startChildServer, type ChildServer } from './support/child-server.js';
import { waitFor } from './support/wait.js';

const JOBS = 50;
/** Distinct sources the 50 jobs sign (job i signs source i % SOURCES): fewer uploads, the same 50 jobs to recover. */
const SOURCES = 10;
const SIZE = 8 * 1024 * 1024;
/** A ceiling, not a budget: on a loaded 2-core machine this test is several times slower than alone (≈16 s). */
const CEILING = 600_000;
const dataDir = mkdtempSync(join(tmpdir(), 'signer-crash-'));
let server: ChildServer | undefined;
afterAll(async () => {
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

describe('[StartSigningJob] a server killed during 50 in-flight jobs recovers on restart', () => {
  it('every job ends Succeeded or Failed exactly once, signed objects verify, nothing partial is visible', async () => {
    server = await startChildServer(dataDir);
    const ca = await createTestCa({ dir: join(dataDir, 'test-ca') });
    const leaf = await issueCodeSigningCertificate({ ca, subject: 'CN=crash test', algorithm: 'EC_prime256v1' });
    const { CertificateArn } = await server.acm.send(
      new ImportCertificateCommand({ Certificate: Buffer.from(leaf.certificatePem), PrivateKey: Buffer.from(leaf.privateKeyPem), CertificateChain: Buffer.from(leaf.chainPem) }),
    );
    await server.signer.send(new PutSigningProfileCommand({ profileName: 'crash', platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA', signingMaterial: { certificateArn: CertificateArn! } }));
    await server.s3.send(new CreateBucketCommand({ Bucket: 'src' }));
    await server.s3.send(new PutBucketVersioningCommand({ Bucket: 'src', VersioningConfiguration: { Status: 'Enabled' } }));
    await server.s3.send(new CreateBucketCommand({ Bucket: 'dst' }));

    // Upload first, then start all 50 jobs at once and kill the server right away, so that most
    // jobs are queued or signing when it dies (two workers; each job hashes 8 MiB).
    const digests = new Map<string, Buffer>();
    const sourceVersions: string[] = [];
    for (let i = 0; i < SOURCES; i++) {
      const put = await server.s3.send(new PutObjectCommand({ Bucket: 'src', Key: `fw-${i}.bin`, Body: Buffer.alloc(SIZE, i) }));
      sourceVersions.push(put.VersionId!);
    }
    const started = await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        server!.signer.send(
          new StartSigningJobCommand({
            source: { s3: { bucketName: 'src', key: `fw-${i % SOURCES}.bin`, version: sourceVersions[i % SOURCES]! } },
            destination: { s3: { bucketName: 'dst', prefix: 'out/' } },
            profileName: 'crash',
            clientRequestToken: `crash-${i}`,
          }),
        ),
      ),
    );
    await server.kill('SIGKILL');
    const jobIds = started.map((s) => s.jobId!);
    const sourceDigests = Array.from({ length: SOURCES }, (_, i) => createHash('sha256').update(Buffer.alloc(SIZE, i)).digest());
    jobIds.forEach((id, i) => digests.set(id, sourceDigests[i % SOURCES]!));

    server = await startChildServer(dataDir);
    const final: DescribeSigningJobCommandOutput[] = await waitFor('all 50 jobs to leave InProgress after the restart', async () => {
      const now = await Promise.all(jobIds.map((jobId) => server!.signer.send(new DescribeSigningJobCommand({ jobId }))));
      return now.every((j) => j.status !== 'InProgress') && now;
    }, { ceilingMs: CEILING, pollMs: 250 });
    expect(final.map((j) => j.status).filter((s) => s !== 'Succeeded' && s !== 'Failed')).toEqual([]);

    // Exactly one object version per succeeded job, none for failed ones, and no other keys.
    const versions = await server.s3.send(new ListObjectVersionsCommand({ Bucket: 'dst' }));
    const keys = (versions.Versions ?? []).map((v) => v.Key!);
    const expected = final.filter((j) => j.status === 'Succeeded').map((j) => j.signedObject!.s3!.key!);
    expect(keys.sort()).toEqual([...new Set(expected)].sort());
    expect(expected.length).toBe(final.filter((j) => j.status === 'Succeeded').length);

    const pub = createPublicKey(leaf.certificatePem);
    for (const j of final.filter((x) => x.status === 'Succeeded')) {
      const obj = await server.s3.send(new GetObjectCommand({ Bucket: 'dst', Key: j.signedObject!.s3!.key! }));
      const signed = JSON.parse(await obj.Body!.transformToString()) as { signature: string; digest: string };
      expect(Buffer.from(signed.digest, 'base64')).toEqual(digests.get(j.jobId!));
      // ECDSA over SHA-256 of the whole file, checked by openssl against the digest we computed.
      expect(opensslVerifiesDigest(pub, digests.get(j.jobId!)!, Buffer.from(signed.signature, 'base64'))).toBe(true);
    }
    // No temp files left under the object root.
    const leftovers = walk(join(dataDir, 'objects')).filter((f) => /\.tmp|\.part|upload/i.test(f));
    expect(leftovers).toEqual([]);
    // The restarted server found jobs that were left InProgress by the kill and finished them.
    const resumed = /resuming signing jobs left in progress","count":(\d+)/.exec(server.output());
    expect(Number(resumed?.[1] ?? 0)).toBeGreaterThan(0);
  }, CEILING);
});

/** `openssl pkeyutl -verify`: ECDSA over a precomputed digest, by code nobody here wrote. */
function opensslVerifiesDigest(pub: KeyObject, digest: Buffer, sig: Buffer): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'ecdsa-'));
  writeFileSync(join(dir, 'pub.pem'), pub.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'digest'), digest);
  writeFileSync(join(dir, 'sig'), sig);
  try {
    execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-in', join(dir, 'digest'), '-sigfile', join(dir, 'sig')]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
