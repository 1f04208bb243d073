/**
 * Profile permissions: optimistic concurrency under concurrent AddProfilePermission calls, and
 * cross-account use of a profile (GetSigningProfile, StartSigningJob, SignPayload,
 * RevokeSignature) gated by account and role principals and by profileVersion locks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddProfilePermissionCommand,
  DescribeSigningJobCommand,
  GetSigningProfileCommand,
  ListProfilePermissionsCommand,
  ListSigningJobsCommand,
  PutSigningProfileCommand,
  RemoveProfilePermissionCommand,
  RevokeSignatureCommand,
  SignPayloadCommand,
  StartSigningJobCommand,
  type AddProfilePermissionCommandInput,
} from '@aws-sdk/client-signer';
import { expectSdkError, sdkError } from './support/errors.js';
import { jobInput, notaryPayload, settledJob } from './support/fixtures.js';
import { keyForPrincipal } from './support/principals.js';
import { startTestServer, type TestAccount, type TestServer } from './support/server.js';

let t: TestServer;
let a: TestAccount;
let b: TestAccount;
const LAMBDA = 'AWSLambda-SHA384-ECDSA';
const NOTATION = 'Notation-OCI-SHA384-ECDSA';
const NOTATION_FORMAT = 'application/vnd.cncf.notary.payload.v1+json';

beforeAll(async () => {
  t = await startTestServer();
  a = t.admin;
  b = await t.newAccount('partner');
});
afterAll(async () => t.stop());

/** Adds a statement to A's profile using the current revisionId. */
async function grant(profileName: string, input: Omit<AddProfilePermissionCommandInput, 'profileName' | 'revisionId'>): Promise<string> {
  const { revisionId } = await a.client.send(new ListProfilePermissionsCommand({ profileName }));
  return (await a.client.send(new AddProfilePermissionCommand({ ...input, profileName, revisionId }))).revisionId!;
}
async function revokeGrant(profileName: string, statementId: string): Promise<void> {
  const { revisionId } = await a.client.send(new ListProfilePermissionsCommand({ profileName }));
  await a.client.send(new RemoveProfilePermissionCommand({ profileName, statementId, revisionId: revisionId! }));
}
/** B's StartSigningJob input for A's profile (B's own source and destination buckets). */
const bJob = (profileName: string) => jobInput(t, b, profileName, { profileOwner: a.accountId });

describe('concurrent AddProfilePermission', () => {
  it('[AddProfilePermission] 20 concurrent first grants without revisionId: exactly one wins, 19 are ConflictException', async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'race_first', platformId: LAMBDA }));
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        a.client.send(new AddProfilePermissionCommand({ profileName: 'race_first', action: 'signer:GetSigningProfile', principal: b.accountId, statementId: `r${i}` })),
      ),
    );
    const won = results.filter((r): r is PromiseFulfilledResult<{ revisionId?: string; $metadata: object }> => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) {
      const e = await sdkError(Promise.reject((r as PromiseRejectedResult).reason));
      expect({ name: e.name, status: e.status }).toEqual({ name: 'ConflictException', status: 409 });
    }
    const list = await a.client.send(new ListProfilePermissionsCommand({ profileName: 'race_first' }));
    expect(list.permissions).toHaveLength(1);
    expect(list.revisionId).toBe(won[0]!.value.revisionId);
  });

  it('[AddProfilePermission] 20 concurrent grants with the same revisionId: exactly one wins; then 20 sequential grants with fresh revisionIds all succeed', async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'race_same', platformId: LAMBDA }));
    const first = await a.client.send(new AddProfilePermissionCommand({ profileName: 'race_same', action: 'signer:GetSigningProfile', principal: b.accountId, statementId: 'seed' }));
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        a.client.send(
          new AddProfilePermissionCommand({ profileName: 'race_same', action: 'signer:GetSigningProfile', principal: b.accountId, statementId: `c${i}`, revisionId: first.revisionId }),
        ),
      ),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, revisionId: r.value.revisionId }] : []));
    expect(won).toHaveLength(1);
    const losers = await Promise.all(results.filter((r) => r.status === 'rejected').map((r) => sdkError(Promise.reject((r as PromiseRejectedResult).reason))));
    expect(losers).toHaveLength(19);
    for (const e of losers) {
      expect({ name: e.name, status: e.status }).toEqual({ name: 'ConflictException', status: 409 });
      expect(e.requestId).toMatch(/\S/);
    }
    let list = await a.client.send(new ListProfilePermissionsCommand({ profileName: 'race_same' }));
    expect(list.permissions?.map((p) => p.statementId)).toEqual(['seed', `c${won[0]!.i}`]);
    expect(list.revisionId).toBe(won[0]!.revisionId);

    let rev = list.revisionId;
    const seen = new Set([first.revisionId, rev]);
    for (let i = 0; i < 20; i++) {
      rev = (
        await a.client.send(new AddProfilePermissionCommand({ profileName: 'race_same', action: 'signer:GetSigningProfile', principal: b.accountId, statementId: `s${i}`, revisionId: rev }))
      ).revisionId;
      seen.add(rev);
    }
    expect(seen.size).toBe(22);
    list = await a.client.send(new ListProfilePermissionsCommand({ profileName: 'race_same' }));
    expect(list.permissions).toHaveLength(22);
  });

  it('[RemoveProfilePermission] 10 concurrent removals of different statements with the same revisionId: exactly one wins', async () => {
    const rev = (await a.client.send(new ListProfilePermissionsCommand({ profileName: 'race_same' }))).revisionId!;
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => a.client.send(new RemoveProfilePermissionCommand({ profileName: 'race_same', statementId: `s${i}`, revisionId: rev }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await a.client.send(new ListProfilePermissionsCommand({ profileName: 'race_same' }))).permissions).toHaveLength(21);
  });
});

describe('cross-account: account principal', () => {
  beforeAll(async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'shared', platformId: LAMBDA, tags: { secret: 'x' } }));
  });

  it('[GetSigningProfile] B reads A\'s profile with profileOwner only after A grants signer:GetSigningProfile to B', async () => {
    await expectSdkError(b.client.send(new GetSigningProfileCommand({ profileName: 'shared', profileOwner: a.accountId })), 'AccessDeniedException', 403);
    await grant('shared', { action: 'signer:GetSigningProfile', principal: b.accountId, statementId: 'b_read' });
    const got = await b.client.send(new GetSigningProfileCommand({ profileName: 'shared', profileOwner: a.accountId }));
    expect(got.arn).toBe(`arn:aws:signer:${t.server.config.region}:${a.accountId}:/signing-profiles/shared`);
    expect(got.status).toBe('Active');
    // Without profileOwner, B looks in its own account.
    await expectSdkError(b.client.send(new GetSigningProfileCommand({ profileName: 'shared' })), 'ResourceNotFoundException', 404);
  });

  it('[GetSigningProfile] a grant to B does not let a third account in; [RemoveProfilePermission] removing it locks B out again', async () => {
    const c = await t.newAccount('third');
    await expectSdkError(c.client.send(new GetSigningProfileCommand({ profileName: 'shared', profileOwner: a.accountId })), 'AccessDeniedException', 403);
    await revokeGrant('shared', 'b_read');
    await expectSdkError(b.client.send(new GetSigningProfileCommand({ profileName: 'shared', profileOwner: a.accountId })), 'AccessDeniedException', 403);
  });

  it('[GetSigningProfile] profileOwner equal to the caller\'s own account is an ordinary own read', async () => {
    const got = await a.client.send(new GetSigningProfileCommand({ profileName: 'shared', profileOwner: a.accountId }));
    expect(got.profileName).toBe('shared');
  });

  it('[StartSigningJob] with profileOwner needs signer:StartSigningJob (GetSigningProfile is not enough); the job is owned by A, invoked by B', async () => {
    await grant('shared', { action: 'signer:GetSigningProfile', principal: b.accountId, statementId: 'b_read2' });
    await expectSdkError(b.client.send(new StartSigningJobCommand(await bJob('shared'))), 'AccessDeniedException', 403, /signer:StartSigningJob/);
    await grant('shared', { action: 'signer:StartSigningJob', principal: b.accountId, statementId: 'b_sign' });
    const out = await b.client.send(new StartSigningJobCommand(await bJob('shared')));
    expect(out.jobOwner).toBe(a.accountId);
    const asB = await b.client.send(new DescribeSigningJobCommand({ jobId: out.jobId! }));
    expect({ owner: asB.jobOwner, invoker: asB.jobInvoker, by: asB.requestedBy }).toEqual({ owner: a.accountId, invoker: b.accountId, by: `arn:aws:iam::${b.accountId}:root` });
    const asA = await a.client.send(new DescribeSigningJobCommand({ jobId: out.jobId! }));
    expect(asA.jobInvoker).toBe(b.accountId);
    const listB = await b.client.send(new ListSigningJobsCommand({}));
    expect(listB.jobs?.map((j) => j.jobId)).toContain(out.jobId);
  });

  it('[RevokeSignature] B revokes a job it invoked on A\'s profile with jobOwner only with signer:RevokeSignature', async () => {
    const { jobId } = await b.client.send(new StartSigningJobCommand(await bJob('shared')));
    // Without jobOwner, B looks for its own job: it owns none.
    await expectSdkError(b.client.send(new RevokeSignatureCommand({ jobId: jobId!, reason: 'x' })), 'ResourceNotFoundException', 404);
    await expectSdkError(b.client.send(new RevokeSignatureCommand({ jobId: jobId!, reason: 'x', jobOwner: a.accountId })), 'AccessDeniedException', 403, /signer:RevokeSignature/);
    await grant('shared', { action: 'signer:RevokeSignature', principal: b.accountId, statementId: 'b_revoke' });
    await settledJob(b.client, jobId!);
    await b.client.send(new RevokeSignatureCommand({ jobId: jobId!, reason: 'compromised', jobOwner: a.accountId }));
    const d = await a.client.send(new DescribeSigningJobCommand({ jobId: jobId! }));
    expect(d.revocationRecord).toMatchObject({ reason: 'compromised', revokedBy: `arn:aws:iam::${b.accountId}:root` });
  });

  it('[RevokeSignature] a signer:RevokeSignature grant covers only jobs the grantee invoked: a job the owner ran itself is ResourceNotFound to B', async () => {
    const own = await a.client.send(new StartSigningJobCommand(await jobInput(t, a, 'shared')));
    await settledJob(a.client, own.jobId!);
    await expectSdkError(b.client.send(new RevokeSignatureCommand({ jobId: own.jobId!, reason: 'x', jobOwner: a.accountId })), 'ResourceNotFoundException', 404);
    expect((await a.client.send(new DescribeSigningJobCommand({ jobId: own.jobId! }))).revocationRecord).toBeUndefined();
  });

  it('[RevokeSignature] the owner revokes a job another account invoked without any grant', async () => {
    const { jobId } = await b.client.send(new StartSigningJobCommand(await bJob('shared')));
    await settledJob(a.client, jobId!);
    await a.client.send(new RevokeSignatureCommand({ jobId: jobId!, reason: 'owner says no' }));
    expect((await b.client.send(new DescribeSigningJobCommand({ jobId: jobId! }))).revocationRecord?.reason).toBe('owner says no');
  });
});

describe('cross-account: platform rules for actions', () => {
  it('[AddProfilePermission] a Notation profile rejects signer:StartSigningJob with the AWS message', async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'notation_p', platformId: NOTATION }));
    await expectSdkError(
      a.client.send(new AddProfilePermissionCommand({ profileName: 'notation_p', action: 'signer:StartSigningJob', principal: b.accountId, statementId: 's' })),
      'ValidationException',
      400,
      /^Action signer:StartSigningJob not supported for platform Notation-OCI-SHA384-ECDSA\. Action must be one of \[signer:SignPayload, signer:GetSigningProfile, signer:RevokeSignature\]\.$/,
    );
  });

  it('[AddProfilePermission] a Lambda profile rejects signer:SignPayload', async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'lambda_p', platformId: LAMBDA }));
    await expectSdkError(
      a.client.send(new AddProfilePermissionCommand({ profileName: 'lambda_p', action: 'signer:SignPayload', principal: b.accountId, statementId: 's' })),
      'ValidationException',
      400,
      /signer:SignPayload not supported for platform AWSLambda-SHA384-ECDSA/,
    );
  });

  it('[SignPayload] with profileOwner is AccessDenied without signer:SignPayload and signs with it', async () => {
    await expectSdkError(
      b.client.send(new SignPayloadCommand({ profileName: 'notation_p', profileOwner: a.accountId, payload: notaryPayload(), payloadFormat: NOTATION_FORMAT })),
      'AccessDeniedException',
      403,
    );
    await grant('notation_p', { action: 'signer:SignPayload', principal: b.accountId, statementId: 'b_payload' });
    const call = b.client.send(new SignPayloadCommand({ profileName: 'notation_p', profileOwner: a.accountId, payload: notaryPayload(), payloadFormat: NOTATION_FORMAT }));
    expect((await call).jobOwner).toBe(a.accountId);
  });
});

describe('cross-account: profileVersion lock', () => {
  it('[AddProfilePermission] a grant locked to a profileVersion works while it is current and stops when a new version is put', async () => {
    const v1 = (await a.client.send(new PutSigningProfileCommand({ profileName: 'locked', platformId: LAMBDA }))).profileVersion!;
    await grant('locked', { action: 'signer:GetSigningProfile', principal: b.accountId, statementId: 'v1_only', profileVersion: v1 });
    const got = await b.client.send(new GetSigningProfileCommand({ profileName: 'locked', profileOwner: a.accountId }));
    expect(got.profileVersion).toBe(v1);
    const v2 = (await a.client.send(new PutSigningProfileCommand({ profileName: 'locked', platformId: LAMBDA, signatureValidityPeriod: { value: 1, type: 'YEARS' } }))).profileVersion!;
    expect(v2).not.toBe(v1);
    await expectSdkError(b.client.send(new GetSigningProfileCommand({ profileName: 'locked', profileOwner: a.accountId })), 'AccessDeniedException', 403);
    await grant('locked', { action: 'signer:GetSigningProfile', principal: b.accountId, statementId: 'v2_only', profileVersion: v2 });
    expect((await b.client.send(new GetSigningProfileCommand({ profileName: 'locked', profileOwner: a.accountId }))).profileVersion).toBe(v2);
  });
});

describe('cross-account: role principal', () => {
  it('[GetSigningProfile] a grant to role arn:aws:iam::<B>:role/ci/signer admits only callers whose principal is that role', async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'role_p', platformId: LAMBDA }));
    const roleArn = `arn:aws:iam::${b.accountId}:role/ci/signer`;
    await grant('role_p', { action: 'signer:GetSigningProfile', principal: roleArn, statementId: 'ci_role' });
    const role = await keyForPrincipal(t, b.accountId, roleArn);
    const otherRole = await keyForPrincipal(t, b.accountId, `arn:aws:iam::${b.accountId}:role/ci/other`);
    const sameNameOtherAccount = await keyForPrincipal(t, (await t.newAccount('x')).accountId, roleArn.replace(b.accountId, '999999999999'));

    const got = await role.client.send(new GetSigningProfileCommand({ profileName: 'role_p', profileOwner: a.accountId }));
    expect(got.profileName).toBe('role_p');
    await expectSdkError(b.client.send(new GetSigningProfileCommand({ profileName: 'role_p', profileOwner: a.accountId })), 'AccessDeniedException', 403);
    await expectSdkError(otherRole.client.send(new GetSigningProfileCommand({ profileName: 'role_p', profileOwner: a.accountId })), 'AccessDeniedException', 403);
    await expectSdkError(sameNameOtherAccount.client.send(new GetSigningProfileCommand({ profileName: 'role_p', profileOwner: a.accountId })), 'AccessDeniedException', 403);
  });

  it('[GetSigningProfile] an account principal admits every principal of that account, roles included', async () => {
    await grant('role_p', { action: 'signer:GetSigningProfile', principal: b.accountId, statementId: 'b_all' });
    const anyRole = await keyForPrincipal(t, b.accountId, `arn:aws:iam::${b.accountId}:role/whatever`);
    expect((await anyRole.client.send(new GetSigningProfileCommand({ profileName: 'role_p', profileOwner: a.accountId }))).profileName).toBe('role_p');
  });
});
