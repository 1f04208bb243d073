/**
 * Signing jobs beyond the happy path: StartSigningJob idempotency on clientRequestToken,
 * GetRevocationStatus semantics, and the source/destination checks a signing engine makes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddProfilePermissionCommand,
  GetRevocationStatusCommand,
  ListSigningJobsCommand,
  PutSigningProfileCommand,
  RevokeSignatureCommand,
  RevokeSigningProfileCommand,
  StartSigningJobCommand,
} from '@aws-sdk/client-signer';
import { expectSdkError } from './support/errors.js';
import { jobInput, settledJob } from './support/fixtures.js';
import { startTestServer, type TestAccount, type TestServer } from './support/server.js';

let t: TestServer;
let a: TestAccount;
let b: TestAccount;
let region: string;
const LAMBDA = 'AWSLambda-SHA384-ECDSA';

beforeAll(async () => {
  t = await startTestServer();
  a = t.admin;
  b = await t.newAccount('b');
  region = t.server.config.region;
  await a.client.send(new PutSigningProfileCommand({ profileName: 'idem', platformId: LAMBDA }));
  await b.client.send(new PutSigningProfileCommand({ profileName: 'idem', platformId: LAMBDA }));
});
afterAll(async () => t.stop());

describe('StartSigningJob idempotency', () => {
  it('[StartSigningJob] the same clientRequestToken with the same parameters answers the same jobId and records one job', async () => {
    const input = { ...(await jobInput(t, a, 'idem')), clientRequestToken: 'token-same' };
    const first = await a.client.send(new StartSigningJobCommand(input));
    const again = await a.client.send(new StartSigningJobCommand(input));
    const third = await a.client.send(new StartSigningJobCommand({ ...input }));
    expect(again.jobId).toBe(first.jobId);
    expect(third.jobId).toBe(first.jobId);
    expect(again.jobOwner).toBe(a.accountId);
    const list = await a.client.send(new ListSigningJobsCommand({ maxResults: 25 }));
    expect(list.jobs?.filter((j) => j.jobId === first.jobId)).toHaveLength(1);
  });

  it('[StartSigningJob] the same clientRequestToken with different parameters is a ValidationException', async () => {
    const input = { ...(await jobInput(t, a, 'idem')), clientRequestToken: 'token-diff' };
    await a.client.send(new StartSigningJobCommand(input));
    const other = await jobInput(t, a, 'idem', { key: 'another.zip' });
    await expectSdkError(
      a.client.send(new StartSigningJobCommand({ ...other, clientRequestToken: 'token-diff' })),
      'ValidationException',
      400,
      /clientRequestToken was already used with different parameters/,
    );
    await expectSdkError(
      a.client.send(new StartSigningJobCommand({ ...input, destination: { s3: { ...input.destination.s3, prefix: 'elsewhere/' } }, clientRequestToken: 'token-diff' })),
      'ValidationException',
      400,
    );
  });

  it('[StartSigningJob] a token is scoped to the invoking account: another account reusing it gets its own job', async () => {
    const ia = { ...(await jobInput(t, a, 'idem')), clientRequestToken: 'token-shared' };
    const ib = { ...(await jobInput(t, b, 'idem')), clientRequestToken: 'token-shared' };
    const ja = await a.client.send(new StartSigningJobCommand(ia));
    const jb = await b.client.send(new StartSigningJobCommand(ib));
    expect(jb.jobId).not.toBe(ja.jobId);
    expect(jb.jobOwner).toBe(b.accountId);
  });

  it('[StartSigningJob] without clientRequestToken the SDK fills a fresh one: two calls are two jobs', async () => {
    const input = await jobInput(t, a, 'idem');
    const j1 = await a.client.send(new StartSigningJobCommand(input));
    const j2 = await a.client.send(new StartSigningJobCommand(input));
    expect(j2.jobId).not.toBe(j1.jobId);
  });
});

describe('GetRevocationStatus', () => {
  let jobArn: string;
  let otherJobArn: string;
  let pvArn: string;
  let version: string;
  let effective: Date;
  const hash = 'ab'.repeat(96);
  const status = (signatureTimestamp: Date, opts: { job?: string; pv?: string; hashes?: string[] } = {}) =>
    a.client.send(
      new GetRevocationStatusCommand({
        signatureTimestamp,
        platformId: LAMBDA,
        profileVersionArn: opts.pv ?? pvArn,
        jobArn: opts.job ?? jobArn,
        certificateHashes: opts.hashes ?? [hash],
      }),
    );

  beforeAll(async () => {
    version = (await a.client.send(new PutSigningProfileCommand({ profileName: 'rev_status', platformId: LAMBDA }))).profileVersion!;
    pvArn = `arn:aws:signer:${region}:${a.accountId}:/signing-profiles/rev_status/${version}`;
    const j = await a.client.send(new StartSigningJobCommand(await jobInput(t, a, 'rev_status')));
    jobArn = `arn:aws:signer:${region}:${a.accountId}:/signing-jobs/${j.jobId}`;
    const j2 = await a.client.send(new StartSigningJobCommand(await jobInput(t, a, 'rev_status')));
    otherJobArn = `arn:aws:signer:${region}:${a.accountId}:/signing-jobs/${j2.jobId}`;
    await settledJob(a.client, j.jobId!);
    await a.client.send(new RevokeSignatureCommand({ jobId: j.jobId!, reason: 'leaked' }));
    effective = new Date(Date.now() - 3_600_000);
    await a.client.send(new RevokeSigningProfileCommand({ profileName: 'rev_status', profileVersion: version, reason: 'key rotated', effectiveTime: effective }));
  });

  it('[GetRevocationStatus] a revoked job ARN is returned; an unrevoked one is not', async () => {
    const before = new Date(effective.getTime() - 60_000);
    expect((await status(before)).revokedEntities).toEqual([jobArn]);
    expect((await status(before, { job: otherJobArn })).revokedEntities).toEqual([]);
  });

  it('[GetRevocationStatus] the profile version ARN is returned only when its effective time is at or before signatureTimestamp', async () => {
    expect((await status(new Date(effective.getTime() - 1000), { job: otherJobArn })).revokedEntities).toEqual([]);
    expect((await status(effective, { job: otherJobArn })).revokedEntities).toEqual([pvArn]);
    expect((await status(new Date(), { job: otherJobArn })).revokedEntities).toEqual([pvArn]);
    expect((await status(new Date())).revokedEntities).toEqual([pvArn, jobArn]);
  });

  it('[GetRevocationStatus] a job ARN naming the wrong account or region is not reported', async () => {
    const wrongAccount = jobArn.replace(`:${a.accountId}:`, ':999999999999:');
    const wrongRegion = jobArn.replace(`:${region}:`, ':eu-west-3:');
    const before = new Date(effective.getTime() - 60_000);
    expect((await status(before, { job: wrongAccount })).revokedEntities).toEqual([]);
    expect((await status(before, { job: wrongRegion })).revokedEntities).toEqual([]);
  });

  it('[GetRevocationStatus] any authenticated account may ask (revocation status is public to verifiers)', async () => {
    const out = await b.client.send(
      new GetRevocationStatusCommand({ signatureTimestamp: new Date(), platformId: LAMBDA, profileVersionArn: pvArn, jobArn, certificateHashes: [hash] }),
    );
    expect(out.revokedEntities).toEqual([pvArn, jobArn]);
  });

  it.each([
    ['191 hex digits', 'a'.repeat(191)],
    ['193 hex digits', 'a'.repeat(193)],
    ['non-hex characters', 'g'.repeat(192)],
    ['a SHA-256 pair (128 hex digits)', 'ab'.repeat(64)],
  ])('[GetRevocationStatus] a certificate hash of %s is a ValidationException', async (_w, bad) => {
    await expectSdkError(status(new Date(), { hashes: [hash, bad] }), 'ValidationException', 400, /192 hex digits/);
  });

  it('[GetRevocationStatus] an unknown platformId, a profile ARN without version or a non-job ARN is a ValidationException', async () => {
    await expectSdkError(
      a.client.send(new GetRevocationStatusCommand({ signatureTimestamp: new Date(), platformId: 'Nope', profileVersionArn: pvArn, jobArn, certificateHashes: [hash] })),
      'ValidationException',
      400,
      /platformId/,
    );
    await expectSdkError(status(new Date(), { pv: pvArn.slice(0, pvArn.lastIndexOf('/')) }), 'ValidationException', 400, /profileVersionArn/);
    await expectSdkError(status(new Date(), { job: pvArn }), 'ValidationException', 400, /jobArn/);
  });
});

describe('StartSigningJob source checks (signing engine)', () => {
  it('[StartSigningJob] a source bucket that does not exist is a ValidationException, not a 500', async () => {
    const input = await jobInput(t, a, 'idem');
    await expectSdkError(
      a.client.send(new StartSigningJobCommand({ ...input, source: { s3: { ...input.source.s3, bucketName: 'no-such-bucket' } } })),
      'ValidationException',
      400,
    );
  });
  it('[StartSigningJob] a source version that does not exist is a ValidationException', async () => {
    const input = await jobInput(t, a, 'idem');
    await expectSdkError(a.client.send(new StartSigningJobCommand({ ...input, source: { s3: { ...input.source.s3, version: 'nope' } } })), 'ValidationException', 400);
  });
  it('[StartSigningJob] cross-account: a source bucket of the invoker that does not exist is a ValidationException, not a 500', async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'shared_src', platformId: LAMBDA }));
    await a.client.send(new AddProfilePermissionCommand({ profileName: 'shared_src', action: 'signer:StartSigningJob', principal: b.accountId, statementId: 'b' }));
    const input = await jobInput(t, b, 'shared_src', { profileOwner: a.accountId });
    await expectSdkError(
      b.client.send(new StartSigningJobCommand({ ...input, source: { s3: { bucketName: 'no-such-bucket-anywhere', key: 'k', version: 'v' } } })),
      'ValidationException',
      400,
    );
    await expectSdkError(b.client.send(new StartSigningJobCommand({ ...input, destination: { s3: { bucketName: 'no-such-dst-anywhere' } } })), 'ValidationException', 400);
  });
  it('[StartSigningJob] another account\'s source bucket is AccessDenied', async () => {
    const foreign = await jobInput(t, b, 'idem');
    const own = await jobInput(t, a, 'idem');
    await expectSdkError(a.client.send(new StartSigningJobCommand({ ...own, source: foreign.source })), 'AccessDeniedException', 403);
  });
  it('[RevokeSignature] a revocation made while the job is InProgress survives the job finishing (5 jobs)', async () => {
    for (let i = 0; i < 5; i++) {
      const { jobId } = await a.client.send(new StartSigningJobCommand(await jobInput(t, a, 'idem')));
      await a.client.send(new RevokeSignatureCommand({ jobId: jobId!, reason: `in flight ${i}` }));
      const d = await settledJob(a.client, jobId!);
      expect({ status: d.status, reason: d.revocationRecord?.reason }).toEqual({ status: 'Succeeded', reason: `in flight ${i}` });
      const listed = await a.client.send(new ListSigningJobsCommand({ isRevoked: true, maxResults: 25 }));
      expect(listed.jobs?.map((j) => j.jobId)).toContain(jobId);
    }
  });
  it('[DescribeSigningJob] a job of a valid Lambda zip reaches Succeeded', async () => {
    const { jobId } = await a.client.send(new StartSigningJobCommand(await jobInput(t, a, 'idem')));
    const d = await settledJob(a.client, jobId!);
    expect({ status: d.status, statusReason: d.statusReason }).toEqual({ status: 'Succeeded', statusReason: 'Signing Succeeded' });
  });
});
