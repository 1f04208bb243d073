/**
 * Pagination over many pages with the SDK paginators: every item exactly once, in the
 * documented order, for every filter; nextTokens are tamper-proof and bound to their request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddProfilePermissionCommand,
  CancelSigningProfileCommand,
  ListProfilePermissionsCommand,
  ListSigningJobsCommand,
  ListSigningPlatformsCommand,
  ListSigningProfilesCommand,
  PutSigningProfileCommand,
  RevokeSignatureCommand,
  StartSigningJobCommand,
  paginateListSigningJobs,
  paginateListSigningPlatforms,
  paginateListSigningProfiles,
  type ListSigningJobsCommandInput,
  type SigningJob,
} from '@aws-sdk/client-signer';
import { expectSdkError } from './support/errors.js';
import { certificateArn, jobInput, settledJob } from './support/fixtures.js';
import { startTestServer, type TestAccount, type TestServer } from './support/server.js';

let t: TestServer;
let a: TestAccount;
let b: TestAccount;
const LAMBDA = 'AWSLambda-SHA384-ECDSA';
const IOT = 'AWSIoTDeviceManagement-SHA256-ECDSA';

interface JobFacts {
  jobId: string;
  platformId: string;
  invoker: string;
  revoked: boolean;
  short: boolean;
}
const jobs: JobFacts[] = [];
const profileNames: string[] = [];

beforeAll(async () => {
  t = await startTestServer();
  a = t.admin;
  b = await t.newAccount('pager');
  // 60 profiles (plus 3 used for jobs), created out of name order.
  for (let i = 59; i >= 0; i--) profileNames.push(`pg_${String(i).padStart(3, '0')}`);
  for (const name of profileNames) await a.client.send(new PutSigningProfileCommand({ profileName: name, platformId: LAMBDA }));
  profileNames.sort();

  await a.client.send(new PutSigningProfileCommand({ profileName: 'job_lambda', platformId: LAMBDA }));
  await a.client.send(new PutSigningProfileCommand({ profileName: 'job_short', platformId: LAMBDA, signatureValidityPeriod: { value: 10, type: 'DAYS' } }));
  await a.client.send(
    new PutSigningProfileCommand({
      profileName: 'job_iot',
      platformId: IOT,
      signingMaterial: { certificateArn: await certificateArn(t, a) },
    }),
  );
  await a.client.send(new AddProfilePermissionCommand({ profileName: 'job_lambda', action: 'signer:StartSigningJob', principal: b.accountId, statementId: 'b_signs' }));

  const start = async (who: TestAccount, profileName: string, platformId: string, short = false) => {
    const input = await jobInput(t, who, profileName, { key: `k${jobs.length}`, ...(who === b ? { profileOwner: a.accountId } : {}) });
    const out = await who.client.send(new StartSigningJobCommand(input));
    jobs.push({ jobId: out.jobId!, platformId, invoker: who.accountId, revoked: false, short });
  };
  for (let i = 0; i < 20; i++) await start(a, 'job_lambda', LAMBDA);
  for (let i = 0; i < 8; i++) await start(a, 'job_short', LAMBDA, true);
  for (let i = 0; i < 6; i++) await start(a, 'job_iot', IOT);
  for (let i = 0; i < 6; i++) await start(b, 'job_lambda', LAMBDA);
  // Let every job finish first, so status filters are deterministic.
  for (const j of jobs) await settledJob(j.invoker === a.accountId ? a.client : b.client, j.jobId);
  for (const j of jobs.filter((x) => x.invoker === a.accountId && !x.short && x.platformId === LAMBDA).slice(0, 5)) {
    await a.client.send(new RevokeSignatureCommand({ jobId: j.jobId, reason: 'test' }));
    j.revoked = true;
  }
}, 60_000);
afterAll(async () => t.stop());

async function allJobs(client: TestAccount, input: ListSigningJobsCommandInput): Promise<{ items: SigningJob[]; pages: number }> {
  const items: SigningJob[] = [];
  let pages = 0;
  for await (const page of paginateListSigningJobs({ client: client.client, pageSize: 7 }, input)) {
    pages++;
    expect(page.jobs!.length).toBeLessThanOrEqual(7);
    items.push(...(page.jobs ?? []));
  }
  return { items, pages };
}

/** Newest first; ties on createdAt broken by jobId, descending. */
function expectJobOrder(items: SigningJob[]): void {
  for (let i = 1; i < items.length; i++) {
    const p = items[i - 1]!;
    const c = items[i]!;
    const ok = p.createdAt!.getTime() > c.createdAt!.getTime() || (p.createdAt!.getTime() === c.createdAt!.getTime() && p.jobId! > c.jobId!);
    expect(ok, `job ${i} out of order`).toBe(true);
  }
}

describe('ListSigningProfiles', () => {
  it('[ListSigningProfiles] the paginator with pageSize 7 returns all 63 profiles exactly once, in name order, in 9 pages', async () => {
    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListSigningProfiles({ client: a.client, pageSize: 7 }, {})) {
      pages++;
      expect(page.profiles!.length).toBeLessThanOrEqual(7);
      names.push(...page.profiles!.map((p) => p.profileName!));
    }
    const expected = [...profileNames, 'job_iot', 'job_lambda', 'job_short'].sort();
    expect(names).toEqual(expected);
    expect(pages).toBe(9);
  });

  it('[ListSigningProfiles] without maxResults a page has 10 profiles and a nextToken', async () => {
    const out = await a.client.send(new ListSigningProfilesCommand({}));
    expect(out.profiles).toHaveLength(10);
    expect(out.nextToken).toEqual(expect.any(String));
  });

  it('[ListSigningProfiles] the platformId filter pages through only that platform', async () => {
    const names: string[] = [];
    for await (const page of paginateListSigningProfiles({ client: a.client, pageSize: 1 }, { platformId: IOT })) names.push(...page.profiles!.map((p) => p.profileName!));
    expect(names).toEqual(['job_iot']);
  });

  it('[ListSigningProfiles] another account sees none of them', async () => {
    const out = await b.client.send(new ListSigningProfilesCommand({}));
    expect(out.profiles).toEqual([]);
    expect(out.nextToken).toBeUndefined();
  });

  it('[ListSigningProfiles] a tampered nextToken is a ValidationException', async () => {
    const first = await a.client.send(new ListSigningProfilesCommand({ maxResults: 5 }));
    const token = first.nextToken!;
    const [body, mac] = token.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ k: 'pg_050' })).toString('base64url');
    for (const bad of [`${forgedBody}.${mac}`, `${body}.${mac!.slice(0, -1)}${mac!.endsWith('A') ? 'B' : 'A'}`, token.slice(1), 'garbage']) {
      await expectSdkError(a.client.send(new ListSigningProfilesCommand({ maxResults: 5, nextToken: bad })), 'ValidationException', 400, /nextToken/);
    }
    // The genuine token still works.
    const second = await a.client.send(new ListSigningProfilesCommand({ maxResults: 5, nextToken: token }));
    expect(second.profiles![0]!.profileName! > first.profiles![4]!.profileName!).toBe(true);
  });

  it('[ListSigningProfiles] a nextToken from another filter set, another account or another operation is a ValidationException', async () => {
    const token = (await a.client.send(new ListSigningProfilesCommand({ maxResults: 5 }))).nextToken!;
    await expectSdkError(a.client.send(new ListSigningProfilesCommand({ maxResults: 5, nextToken: token, includeCanceled: true })), 'ValidationException', 400);
    await expectSdkError(a.client.send(new ListSigningProfilesCommand({ maxResults: 5, nextToken: token, platformId: LAMBDA })), 'ValidationException', 400);
    await expectSdkError(b.client.send(new ListSigningProfilesCommand({ maxResults: 5, nextToken: token })), 'ValidationException', 400);
    await expectSdkError(a.client.send(new ListSigningJobsCommand({ nextToken: token })), 'ValidationException', 400);
    // maxResults is not part of the token's scope: a page size change keeps the token valid.
    const out = await a.client.send(new ListSigningProfilesCommand({ maxResults: 2, nextToken: token }));
    expect(out.profiles).toHaveLength(2);
  });

  it('[ListSigningProfiles] canceled profiles are skipped by default and paged with includeCanceled', async () => {
    for (const n of ['pg_010', 'pg_011', 'pg_012']) await a.client.send(new CancelSigningProfileCommand({ profileName: n }));
    const active: string[] = [];
    for await (const page of paginateListSigningProfiles({ client: a.client, pageSize: 7 }, {})) active.push(...page.profiles!.map((p) => p.profileName!));
    expect(active).toHaveLength(60);
    expect(active).not.toContain('pg_011');
    const all: string[] = [];
    for await (const page of paginateListSigningProfiles({ client: a.client, pageSize: 7 }, { includeCanceled: true })) all.push(...page.profiles!.map((p) => p.profileName!));
    expect(all).toHaveLength(63);
    expect(new Set(all).size).toBe(63);
  });
});

describe('ListSigningJobs', () => {
  const ids = (xs: { jobId?: string }[]) => xs.map((x) => x.jobId!).sort();

  it('[ListSigningJobs] the paginator with pageSize 7 returns all 40 jobs exactly once, newest first, in 6 pages', async () => {
    const { items, pages } = await allJobs(a, {});
    expect(items).toHaveLength(40);
    expect(ids(items)).toEqual(ids(jobs));
    expect(pages).toBe(6);
    expectJobOrder(items);
  });

  it.for<[string, () => ListSigningJobsCommandInput, (j: JobFacts) => boolean]>([
    // Every job was settled above and every (valid) job has Succeeded.
    ['status InProgress', () => ({ status: 'InProgress' }), () => false],
    ['status Succeeded', () => ({ status: 'Succeeded' }), () => true],
    ['status Failed', () => ({ status: 'Failed' }), () => false],
    ['platformId', () => ({ platformId: IOT }), (j) => j.platformId === IOT],
    ['requestedBy', () => ({ requestedBy: `arn:aws:iam::${b.accountId}:root` }), (j) => j.invoker === b.accountId],
    ['isRevoked true', () => ({ isRevoked: true }), (j) => j.revoked],
    ['isRevoked false', () => ({ isRevoked: false }), (j) => !j.revoked],
    ['signatureExpiresBefore (a year from now)', () => ({ signatureExpiresBefore: new Date(Date.now() + 365 * 86_400_000) }), (j) => j.short],
    ['signatureExpiresAfter (a year from now)', () => ({ signatureExpiresAfter: new Date(Date.now() + 365 * 86_400_000) }), (j) => !j.short],
    ['jobInvoker', () => ({ jobInvoker: b.accountId }), (j) => j.invoker === b.accountId],
    ['platformId + isRevoked + jobInvoker', () => ({ platformId: LAMBDA, isRevoked: false, jobInvoker: a.accountId }), (j) => j.platformId === LAMBDA && !j.revoked && j.invoker === a.accountId],
  ])('[ListSigningJobs] filter %s pages through exactly the matching jobs', async ([, input, match]) => {
    const { items } = await allJobs(a, input());
    expect(ids(items)).toEqual(ids(jobs.filter(match)));
    expect(new Set(items.map((j) => j.jobId)).size).toBe(items.length);
    expectJobOrder(items);
  });

  it('[ListSigningJobs] the invoking account sees only the jobs it invoked (on the owner\'s profile)', async () => {
    const { items } = await allJobs(b, {});
    expect(ids(items)).toEqual(ids(jobs.filter((j) => j.invoker === b.accountId)));
    expect(items.every((j) => j.jobOwner === a.accountId && j.jobInvoker === b.accountId)).toBe(true);
  });

  it('[ListSigningJobs] a tampered nextToken or one from another filter set is a ValidationException', async () => {
    const token = (await a.client.send(new ListSigningJobsCommand({ maxResults: 3, platformId: LAMBDA }))).nextToken!;
    await expectSdkError(a.client.send(new ListSigningJobsCommand({ maxResults: 3, platformId: IOT, nextToken: token })), 'ValidationException', 400, /nextToken/);
    await expectSdkError(a.client.send(new ListSigningJobsCommand({ maxResults: 3, nextToken: token })), 'ValidationException', 400, /nextToken/);
    await expectSdkError(b.client.send(new ListSigningJobsCommand({ maxResults: 3, platformId: LAMBDA, nextToken: token })), 'ValidationException', 400);
    await expectSdkError(a.client.send(new ListSigningJobsCommand({ maxResults: 3, platformId: LAMBDA, nextToken: token + 'x' })), 'ValidationException', 400);
    const ok = await a.client.send(new ListSigningJobsCommand({ maxResults: 3, platformId: LAMBDA, nextToken: token }));
    expect(ok.jobs).toHaveLength(3);
  });
});

describe('ListSigningPlatforms', () => {
  it('[ListSigningPlatforms] the paginator with pageSize 1 returns every platform once, in id order, one per page', async () => {
    const all = (await a.client.send(new ListSigningPlatformsCommand({}))).platforms!.map((p) => p.platformId!);
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListSigningPlatforms({ client: a.client, pageSize: 1 }, {})) {
      pages++;
      expect(page.platforms).toHaveLength(1);
      seen.push(page.platforms![0]!.platformId!);
    }
    expect(seen).toEqual(all);
    expect(pages).toBe(all.length);
  });

  it('[ListSigningPlatforms] a nextToken from another category filter is a ValidationException', async () => {
    const token = (await a.client.send(new ListSigningPlatformsCommand({ maxResults: 1 }))).nextToken!;
    await expectSdkError(a.client.send(new ListSigningPlatformsCommand({ maxResults: 1, category: 'AWS', nextToken: token })), 'ValidationException', 400);
  });
});

describe('ListProfilePermissions', () => {
  it('[ListProfilePermissions] more than 25 statements come in pages of 25 linked by nextToken; a token dies with its revision', async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'perm_pages', platformId: LAMBDA }));
    let revisionId: string | undefined;
    for (let i = 0; i < 30; i++) {
      revisionId = (
        await a.client.send(
          new AddProfilePermissionCommand({ profileName: 'perm_pages', action: 'signer:GetSigningProfile', principal: '111122223333', statementId: `s${String(i).padStart(2, '0')}`, revisionId }),
        )
      ).revisionId;
    }
    const p1 = await a.client.send(new ListProfilePermissionsCommand({ profileName: 'perm_pages' }));
    expect(p1.permissions).toHaveLength(25);
    expect(p1.nextToken).toEqual(expect.any(String));
    const p2 = await a.client.send(new ListProfilePermissionsCommand({ profileName: 'perm_pages', nextToken: p1.nextToken }));
    expect(p2.permissions).toHaveLength(5);
    expect(p2.nextToken).toBeUndefined();
    expect([...p1.permissions!, ...p2.permissions!].map((p) => p.statementId)).toEqual(Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, '0')}`));
    expect(p2.revisionId).toBe(p1.revisionId);
    // After the policy changes, the old token no longer applies.
    await a.client.send(new AddProfilePermissionCommand({ profileName: 'perm_pages', action: 'signer:GetSigningProfile', principal: '111122223333', statementId: 'late', revisionId }));
    await expectSdkError(a.client.send(new ListProfilePermissionsCommand({ profileName: 'perm_pages', nextToken: p1.nextToken })), 'ValidationException', 400, /nextToken/);
  });
});
