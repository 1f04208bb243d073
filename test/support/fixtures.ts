/**
 * What signing jobs and certificate-bound profiles need, made through the server's own
 * user-facing APIs: source/destination buckets and objects in the embedded S3 (versioned, owned
 * by the invoking account) and code-signing certificates imported through the ACM-compatible API.
 * Nothing here is made up: every name, version and ARN comes from the server.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeSigningJobCommand, type DescribeSigningJobCommandOutput, type SignerClient } from '@aws-sdk/client-signer';
import { zipSync } from 'fflate';
import { createTestCa, issueCodeSigningCertificate, type TestCa } from '../../src/keys/test-ca.js';
import type { TestAccount, TestServer } from './server.js';

const buckets = new WeakMap<TestServer, Set<string>>();

function s3For(t: TestServer, who: TestAccount, url: string): S3Client {
  return new S3Client({
    endpoint: url,
    region: t.server.config.region,
    forcePathStyle: true,
    credentials: { accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey },
    maxAttempts: 1,
  });
}

/** A bucket owned by `who`, versioned (the engine signs only versioned sources). Name made unique per account. */
export async function bucket(t: TestServer, who: TestAccount, name: string): Promise<string> {
  const full = `${name}-${who.accountId}`;
  let seen = buckets.get(t);
  if (!seen) buckets.set(t, (seen = new Set()));
  if (!seen.has(full)) {
    const s3 = s3For(t, who, t.server.s3Url);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: full }));
    } catch (e) {
      // After a restart on the same data dir the bucket is already there.
      if ((e as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw e;
    }
    await s3.send(new PutBucketVersioningCommand({ Bucket: full, VersioningConfiguration: { Status: 'Enabled' } }));
    seen.add(full);
  }
  return full;
}

/** A small, valid Lambda deployment zip (what AWSLambda-SHA384-ECDSA signs). */
export function lambdaZip(marker = randomUUID()): Uint8Array {
  return zipSync({ 'index.js': new TextEncoder().encode(`exports.handler = async () => '${marker}';\n`) });
}

/** Uploads `body` as `key` into `who`'s source bucket; answers the S3Source a job takes. */
export async function sourceObject(
  t: TestServer,
  who: TestAccount,
  key: string,
  body: Uint8Array = lambdaZip(),
): Promise<{ bucketName: string; key: string; version: string }> {
  const bucketName = await bucket(t, who, 'src');
  const out = await s3For(t, who, t.server.s3Url).send(new PutObjectCommand({ Bucket: bucketName, Key: key, Body: body }));
  if (!out.VersionId) throw new Error('the source bucket answered no VersionId');
  return { bucketName, key, version: out.VersionId };
}

/** A complete StartSigningJob input for `who` (source uploaded, destination bucket created). */
export async function jobInput(
  t: TestServer,
  who: TestAccount,
  profileName: string,
  opts: { key?: string; profileOwner?: string; prefix?: string; body?: Uint8Array } = {},
) {
  const source = await sourceObject(t, who, opts.key ?? `fw/${randomUUID()}.zip`, opts.body);
  const destination = await bucket(t, who, 'dst');
  return {
    source: { s3: source },
    destination: { s3: { bucketName: destination, ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) } },
    profileName,
    ...(opts.profileOwner !== undefined ? { profileOwner: opts.profileOwner } : {}),
  };
}

const cas = new WeakMap<TestServer, Promise<{ ca: TestCa; dir: string }>>();

/**
 * A code-signing certificate ARN of `who`, imported through the ACM-compatible API.
 * The TEST ONLY CA lives in the server's data dir, so it goes away with the server.
 */
export async function certificateArn(t: TestServer, who: TestAccount, algorithm: 'EC_prime256v1' | 'EC_secp384r1' | 'RSA_2048' = 'EC_prime256v1'): Promise<string> {
  let ca = cas.get(t);
  if (!ca) {
    ca = (async () => {
      const dir = mkdtempSync(join(t.dataDir, 'test-ca-'));
      return { ca: await createTestCa({ dir }), dir };
    })();
    cas.set(t, ca);
  }
  const { ca: testCa, dir } = await ca;
  const issued = await issueCodeSigningCertificate({ ca: testCa, subject: `CN=api test ${randomUUID()}`, algorithm, outDir: dir });
  const acm = new ACMClient({
    endpoint: t.url,
    region: t.server.config.region,
    credentials: { accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey },
    maxAttempts: 1,
  });
  const enc = new TextEncoder();
  const out = await acm.send(
    new ImportCertificateCommand({
      Certificate: enc.encode(issued.certificatePem),
      PrivateKey: enc.encode(issued.privateKeyPem),
      CertificateChain: enc.encode(issued.chainPem),
    }),
  );
  return out.CertificateArn!;
}

/** Polls DescribeSigningJob until the job leaves InProgress (bounded by the test's timeout). */
export async function settledJob(client: SignerClient, jobId: string): Promise<DescribeSigningJobCommandOutput> {
  for (;;) {
    const d = await client.send(new DescribeSigningJobCommand({ jobId }));
    if (d.status !== 'InProgress') return d;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A Notary Project payload (what SignPayload signs for Notation-OCI-SHA384-ECDSA). */
export function notaryPayload(): Uint8Array {
  const payload = {
    targetArtifact: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${'a1'.repeat(32)}`,
      size: 1234,
    },
  };
  return new TextEncoder().encode(JSON.stringify(payload));
}

