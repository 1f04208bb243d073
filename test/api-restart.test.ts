/**
 * Restart persistence: everything a client created survives a stop and a start on the same
 * data directory — profiles, versions, permissions and their revisionId, tags, jobs and their
 * revocations, access keys — and nextTokens handed out before the restart still work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddProfilePermissionCommand,
  CancelSigningProfileCommand,
  DescribeSigningJobCommand,
  GetSigningProfileCommand,
  ListProfilePermissionsCommand,
  ListSigningJobsCommand,
  ListSigningProfilesCommand,
  ListTagsForResourceCommand,
  PutSigningProfileCommand,
  RevokeSignatureCommand,
  StartSigningJobCommand,
  type DescribeSigningJobCommandOutput,
  type GetSigningProfileCommandOutput,
  type SignerClient,
} from '@aws-sdk/client-signer';
import { jobInput, settledJob } from './support/fixtures.js';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestAccount, type TestServer } from './support/server.js';

const strip = <T extends { $metadata: unknown }>(o: T): Omit<T, '$metadata'> => {
  const { $metadata: _m, ...rest } = o;
  return rest;
};

let first: TestServer;
let second: TestServer;
let b: TestAccount;
let bAfter: SignerClient;
const before: {
  profile?: Omit<GetSigningProfileCommandOutput, '$metadata'>;
  revisionId?: string;
  arn?: string;
  jobIds: string[];
  jobs: Omit<DescribeSigningJobCommandOutput, '$metadata'>[];
  profilesToken?: string;
  profilesPage2?: string[];
  jobsToken?: string;
  jobsPage2?: string[];
} = { jobIds: [], jobs: [] };

beforeAll(async () => {
  first = await startTestServer();
  const a = first.admin;
  // An id above any random one: which account comes first by id must not matter after a restart.
  const bId = await first.server.accounts.createAccount('restart_b', '999999999999');
  const bKey = await first.server.accounts.createAccessKey(bId);
  b = { accountId: bId, accessKeyId: bKey.accessKeyId, secretAccessKey: bKey.secretAccessKey, client: first.clientWith(bKey.accessKeyId, bKey.secretAccessKey) };
  for (const n of ['rs_a', 'rs_b', 'rs_c', 'rs_d', 'rs_e']) await a.client.send(new PutSigningProfileCommand({ profileName: n, platformId: 'AWSLambda-SHA384-ECDSA' }));
  before.arn = (await a.client.send(new PutSigningProfileCommand({ profileName: 'rs_main', platformId: 'AWSLambda-SHA384-ECDSA', tags: { team: 'fw', tier: '1' } }))).arn;
  // A second version, so the version history matters.
  await a.client.send(new PutSigningProfileCommand({ profileName: 'rs_main', platformId: 'AWSLambda-SHA384-ECDSA', signatureValidityPeriod: { value: 2, type: 'YEARS' } }));
  await a.client.send(new PutSigningProfileCommand({ profileName: 'rs_gone', platformId: 'AWSLambda-SHA384-ECDSA' }));
  await a.client.send(new CancelSigningProfileCommand({ profileName: 'rs_gone' }));
  const r1 = await a.client.send(new AddProfilePermissionCommand({ profileName: 'rs_main', action: 'signer:GetSigningProfile', principal: b.accountId, statementId: 'b_read' }));
  before.revisionId = (
    await a.client.send(new AddProfilePermissionCommand({ profileName: 'rs_main', action: 'signer:StartSigningJob', principal: b.accountId, statementId: 'b_sign', revisionId: r1.revisionId }))
  ).revisionId;
  for (let i = 0; i < 4; i++) {
    const { jobId } = await a.client.send(new StartSigningJobCommand(await jobInput(first, a, 'rs_main')));
    before.jobIds.push(jobId!);
  }
  const bJob = await b.client.send(new StartSigningJobCommand(await jobInput(first, b, 'rs_main', { profileOwner: a.accountId })));
  before.jobIds.push(bJob.jobId!);
  for (const id of before.jobIds) await settledJob(a.client, id);
  await a.client.send(new RevokeSignatureCommand({ jobId: before.jobIds[0]!, reason: 'before restart' }));

  before.profile = strip(await a.client.send(new GetSigningProfileCommand({ profileName: 'rs_main' })));
  for (const id of before.jobIds) before.jobs.push(strip(await a.client.send(new DescribeSigningJobCommand({ jobId: id }))));
  before.profilesToken = (await a.client.send(new ListSigningProfilesCommand({ maxResults: 2 }))).nextToken;
  before.profilesPage2 = (await a.client.send(new ListSigningProfilesCommand({ maxResults: 2, nextToken: before.profilesToken }))).profiles!.map((p) => p.profileName!);
  before.jobsToken = (await a.client.send(new ListSigningJobsCommand({ maxResults: 2 }))).nextToken;
  before.jobsPage2 = (await a.client.send(new ListSigningJobsCommand({ maxResults: 2, nextToken: before.jobsToken }))).jobs!.map((j) => j.jobId!);

  await first.stop({ keepData: true });
  second = await startTestServer({ dataDir: first.dataDir });
  bAfter = second.clientWith(b.accessKeyId, b.secretAccessKey);
}, 60_000);
afterAll(async () => second?.stop());

describe('after a restart on the same data dir', () => {
  it('the admin account and its access key are the same; another account\'s key still authenticates', async () => {
    expect(second.admin.accountId).toBe(first.admin.accountId);
    expect(second.admin.accessKeyId).toBe(first.admin.accessKeyId);
    const out = await bAfter.send(new ListSigningProfilesCommand({}));
    expect(out.$metadata.httpStatusCode).toBe(200);
  });

  it('[GetSigningProfile] the profile is unchanged: current version, validity, tags, ARNs', async () => {
    const got = strip(await second.admin.client.send(new GetSigningProfileCommand({ profileName: 'rs_main' })));
    expect(got).toEqual(before.profile);
    expect(got.signatureValidityPeriod).toEqual({ value: 2, type: 'YEARS' });
  });

  it('[ListSigningProfiles] a canceled profile is still canceled', async () => {
    expect((await second.admin.client.send(new GetSigningProfileCommand({ profileName: 'rs_gone' }))).status).toBe('Canceled');
  });

  it('[ListTagsForResource] tags survive', async () => {
    expect((await second.admin.client.send(new ListTagsForResourceCommand({ resourceArn: before.arn! }))).tags).toEqual({ team: 'fw', tier: '1' });
  });

  it('[ListProfilePermissions] permissions and the revisionId survive; [AddProfilePermission] the old revisionId is still current', async () => {
    const list = await second.admin.client.send(new ListProfilePermissionsCommand({ profileName: 'rs_main' }));
    expect(list.revisionId).toBe(before.revisionId);
    expect(list.permissions?.map((p) => p.statementId)).toEqual(['b_read', 'b_sign']);
    const next = await second.admin.client.send(
      new AddProfilePermissionCommand({ profileName: 'rs_main', action: 'signer:RevokeSignature', principal: b.accountId, statementId: 'b_revoke', revisionId: before.revisionId }),
    );
    expect(next.revisionId).not.toBe(before.revisionId);
  });

  it('[GetSigningProfile] cross-account grants still apply to the other account', async () => {
    const got = await bAfter.send(new GetSigningProfileCommand({ profileName: 'rs_main', profileOwner: second.admin.accountId }));
    expect(got.profileVersion).toBe(before.profile!.profileVersion);
  });

  it('[DescribeSigningJob] every job is unchanged, including its revocation record', async () => {
    for (const [i, id] of before.jobIds.entries()) {
      const d = strip(await second.admin.client.send(new DescribeSigningJobCommand({ jobId: id })));
      expect(d).toEqual(before.jobs[i]);
    }
    expect(before.jobs[0]!.revocationRecord?.reason).toBe('before restart');
  });

  it('[ListSigningProfiles] [ListSigningJobs] nextTokens issued before the restart still work and give the same page', async () => {
    const p = await second.admin.client.send(new ListSigningProfilesCommand({ maxResults: 2, nextToken: before.profilesToken }));
    expect(p.profiles!.map((x) => x.profileName)).toEqual(before.profilesPage2);
    const j = await second.admin.client.send(new ListSigningJobsCommand({ maxResults: 2, nextToken: before.jobsToken }));
    expect(j.jobs!.map((x) => x.jobId)).toEqual(before.jobsPage2);
  });

  it('[StartSigningJob] the other account can still sign with the owner\'s profile; and the job completes', async () => {
    const { jobId, jobOwner } = await bAfter.send(new StartSigningJobCommand(await jobInput(second, { ...b, client: bAfter }, 'rs_main', { profileOwner: second.admin.accountId })));
    expect(jobOwner).toBe(second.admin.accountId);
    expect((await settledJob(bAfter, jobId!)).status).toBe('Succeeded');
  });
});

describe('admin account across restarts', () => {
  // Bootstrap must pick the account it created (named admin), not whichever account id sorts first.

  it('after a restart with a lower-id account present, the admin account and the rewritten CLI credentials are still the admin\'s', async () => {
    const s1 = await startTestServer();
    const adminId = s1.admin.accountId;
    const adminKey = s1.admin.accessKeyId;
    await s1.server.accounts.createAccount('low', '000000000001');
    await s1.server.accounts.createAccessKey('000000000001');
    await s1.stop({ keepData: true });
    rmSync(join(s1.dataDir, 'credentials'));
    const s2 = await startTestServer({ dataDir: s1.dataDir });
    try {
      expect(existsSync(join(s2.dataDir, 'credentials'))).toBe(true);
      expect(readFileSync(join(s2.dataDir, 'credentials'), 'utf8')).toContain(adminKey);
      expect(s2.server.adminAccountId).toBe(adminId);
    } finally {
      await s2.stop();
    }
  });
});
