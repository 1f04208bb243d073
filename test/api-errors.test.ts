/**
 * Error paths of the Signer API as an SDK user sees them (error name, HTTP status, request id,
 * message), plus the protocol errors only raw HTTP can provoke.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddProfilePermissionCommand,
  CancelSigningProfileCommand,
  DescribeSigningJobCommand,
  GetSigningPlatformCommand,
  GetSigningProfileCommand,
  ListProfilePermissionsCommand,
  ListSigningJobsCommand,
  ListSigningPlatformsCommand,
  ListSigningProfilesCommand,
  ListTagsForResourceCommand,
  PutSigningProfileCommand,
  RemoveProfilePermissionCommand,
  RevokeSignatureCommand,
  RevokeSigningProfileCommand,
  StartSigningJobCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type PutSigningProfileCommandInput,
} from '@aws-sdk/client-signer';
import { expectSdkError, sdkError } from './support/errors.js';
import { certificateArn, jobInput, settledJob } from './support/fixtures.js';
import { expectRawError, rawRequest } from './support/raw.js';
import { startTestServer, type TestAccount, type TestServer } from './support/server.js';

let t: TestServer;
let a: TestAccount;
let b: TestAccount;
let region: string;
const LAMBDA = 'AWSLambda-SHA384-ECDSA';
const IOT = 'AWSIoTDeviceManagement-SHA256-ECDSA';
let cert: string;
const CERT = (_acct: string) => cert;
const job = (profileName: string) => jobInput(t, a, profileName, { prefix: 'out/' });

beforeAll(async () => {
  t = await startTestServer();
  a = t.admin;
  b = await t.newAccount('other');
  region = t.server.config.region;
  cert = await certificateArn(t, a);
  await a.client.send(new PutSigningProfileCommand({ profileName: 'err_lambda', platformId: LAMBDA }));
});
afterAll(async () => t.stop());

describe('ValidationException (400): model constraints', () => {
  const put = (input: Partial<PutSigningProfileCommandInput>) =>
    a.client.send(new PutSigningProfileCommand({ profileName: 'err_v', platformId: LAMBDA, ...input } as PutSigningProfileCommandInput));

  it.each([
    ['a single character', 'a'],
    ['65 characters', 'p'.repeat(65)],
    ['a hyphen after a valid start (model pattern is start-anchored only)', 'ab-cd'],
    ['a dot', 'ab.cd'],
  ])('[PutSigningProfile] profileName with %s is a ValidationException', async (_what, profileName) => {
    await expectSdkError(put({ profileName }), 'ValidationException', 400, /profileName|validation error/);
  });

  it('[PutSigningProfile] a 64-character profileName is accepted', async () => {
    const out = await put({ profileName: 'p'.repeat(64) });
    expect(out.arn).toMatch(/\/signing-profiles\/p{64}$/);
  });

  it.each([0, 26])('[ListSigningProfiles] maxResults %i is a ValidationException', async (maxResults) => {
    await expectSdkError(a.client.send(new ListSigningProfilesCommand({ maxResults })), 'ValidationException', 400, /maxResults/);
  });
  it.each([0, 26])('[ListSigningJobs] maxResults %i is a ValidationException', async (maxResults) => {
    await expectSdkError(a.client.send(new ListSigningJobsCommand({ maxResults })), 'ValidationException', 400, /maxResults/);
  });
  it.each([0, 26])('[ListSigningPlatforms] maxResults %i is a ValidationException', async (maxResults) => {
    await expectSdkError(a.client.send(new ListSigningPlatformsCommand({ maxResults })), 'ValidationException', 400, /maxResults/);
  });

  it('[PutSigningProfile] a tag key with the reserved aws: prefix is a ValidationException', async () => {
    await expectSdkError(put({ tags: { 'aws:owner': 'x' } }), 'ValidationException', 400, /pattern/);
  });
  it('[PutSigningProfile] a tag value over 256 characters is a ValidationException', async () => {
    await expectSdkError(put({ tags: { k: 'v'.repeat(257) } }), 'ValidationException', 400, /length less than or equal to 256/);
  });
  it('[PutSigningProfile] more than 200 tags is a ValidationException', async () => {
    const tags = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, 'v']));
    await expectSdkError(put({ tags }), 'ValidationException', 400, /length less than or equal to 200/);
  });
  it('[TagResource] a tag key with the aws: prefix is a ValidationException (model validation runs before the tag ops\' own errors)', async () => {
    const arn = `arn:aws:signer:${region}:${a.accountId}:/signing-profiles/err_lambda`;
    await expectSdkError(a.client.send(new TagResourceCommand({ resourceArn: arn, tags: { 'aws:x': '1' } })), 'ValidationException', 400);
  });

  it('[RevokeSignature] a reason over 500 characters is a ValidationException', async () => {
    const { jobId } = await a.client.send(new StartSigningJobCommand(await job('err_lambda')));
    await expectSdkError(a.client.send(new RevokeSignatureCommand({ jobId, reason: 'r'.repeat(501) })), 'ValidationException', 400, /reason/);
  });
  it('[RevokeSigningProfile] a reason over 500 characters is a ValidationException', async () => {
    const p = await a.client.send(new GetSigningProfileCommand({ profileName: 'err_lambda' }));
    await expectSdkError(
      a.client.send(new RevokeSigningProfileCommand({ profileName: 'err_lambda', profileVersion: p.profileVersion!, reason: 'r'.repeat(501), effectiveTime: new Date() })),
      'ValidationException',
      400,
      /reason/,
    );
  });
  it.each(['abc', 'abcdefghijk', 'abcdefghi!'])('[RevokeSigningProfile] profileVersion %j (not 10 alphanumerics) is a ValidationException', async (profileVersion) => {
    await expectSdkError(
      a.client.send(new RevokeSigningProfileCommand({ profileName: 'err_lambda', profileVersion, reason: 'x', effectiveTime: new Date() })),
      'ValidationException',
      400,
      /profileVersion/,
    );
  });
  it('[AddProfilePermission] a profileVersion that is not 10 characters is a ValidationException', async () => {
    await expectSdkError(
      a.client.send(new AddProfilePermissionCommand({ profileName: 'err_lambda', action: 'signer:GetSigningProfile', principal: b.accountId, statementId: 's', profileVersion: 'short' })),
      'ValidationException',
      400,
      /profileVersion/,
    );
  });
  it('[AddProfilePermission] a well-formed profileVersion the profile does not have is a ValidationException', async () => {
    await expectSdkError(
      a.client.send(new AddProfilePermissionCommand({ profileName: 'err_lambda', action: 'signer:GetSigningProfile', principal: b.accountId, statementId: 's', profileVersion: 'AAAAAAAAAA' })),
      'ValidationException',
      400,
      /has no version/,
    );
  });
  it.each([
    ['not a number nor an ARN', 'bob'],
    ['an 11-digit account id', '12345678901'],
    ['a user ARN', 'arn:aws:iam::111122223333:user/bob'],
  ])('[AddProfilePermission] a principal that is %s is a ValidationException', async (_w, principal) => {
    await expectSdkError(
      a.client.send(new AddProfilePermissionCommand({ profileName: 'err_lambda', action: 'signer:GetSigningProfile', principal, statementId: 's' })),
      'ValidationException',
      400,
      /Principal is not a valid AWS account id or IAM Role Arn/,
    );
  });

  it('[PutSigningProfile] an unknown platformId is a ValidationException', async () => {
    await expectSdkError(put({ platformId: 'NoSuchPlatform' }), 'ValidationException', 400, /Unknown platformId 'NoSuchPlatform'/);
  });
  it.each([
    // The descriptor checks (platforms/_shared/request-checks.ts) run before the certificate's key is looked at.
    ['hashAlgorithm SHA1', { signingConfiguration: { hashAlgorithm: 'SHA1' } }, /does not support hash algorithm SHA1 \(allowed: SHA256\)/],
    ['encryptionAlgorithm RSA', { signingConfiguration: { encryptionAlgorithm: 'RSA' } }, /does not support encryption algorithm RSA \(allowed: ECDSA\)/],
    ['signingImageFormat JSONEmbedded', { signingImageFormat: 'JSONEmbedded' }, /does not support signing image format JSONEmbedded \(allowed: JSONDetached\)/],
  ] as const)('[PutSigningProfile] overrides with %s (not allowed by the IoT platform) is a ValidationException', async (_w, overrides, msg) => {
    await expectSdkError(
      put({ platformId: IOT, signingMaterial: { certificateArn: CERT(a.accountId) }, overrides: overrides as PutSigningProfileCommandInput['overrides'] }),
      'ValidationException',
      400,
      msg,
    );
  });
  it.each(['AmazonFreeRTOS-Default', 'AmazonFreeRTOS-TI-CC3220SF', IOT])('[PutSigningProfile] %s without signingMaterial is a ValidationException', async (platformId) => {
    await expectSdkError(put({ platformId }), 'ValidationException', 400, /requires signingMaterial/);
  });
  it('[PutSigningProfile] a certificateArn that is not an ACM ARN is a ValidationException', async () => {
    await expectSdkError(put({ platformId: IOT, signingMaterial: { certificateArn: 'arn:aws:iam::111122223333:server-certificate/x' } }), 'ValidationException', 400, /ACM/);
  });
  describe('[PutSigningProfile] certificate checks', () => {
    it('[PutSigningProfile] a well-formed certificate ARN that does not exist is a ResourceNotFoundException', async () => {
      const missing = `arn:aws:acm:${region}:${a.accountId}:certificate/00000000-0000-4000-8000-000000000000`;
      await expectSdkError(put({ platformId: IOT, signingMaterial: { certificateArn: missing } }), 'ResourceNotFoundException', 404, /does not exist/);
    });
    it('[PutSigningProfile] another account\'s certificate is a ResourceNotFoundException', async () => {
      const theirs = await certificateArn(t, b);
      await expectSdkError(put({ platformId: IOT, signingMaterial: { certificateArn: theirs } }), 'ResourceNotFoundException', 404);
    });
    it('[PutSigningProfile] an RSA certificate for the ECDSA-only IoT platform is a ValidationException', async () => {
      const rsa = await certificateArn(t, a, 'RSA_2048');
      await expectSdkError(put({ platformId: IOT, signingMaterial: { certificateArn: rsa } }), 'ValidationException', 400, /Certificate arn:aws:acm:\S+: AWSIoTDeviceManagement-SHA256-ECDSA with ECDSA needs a key of type EC_prime256v1; the signing key is RSA_2048/);
    });
  });

  it.each([
    [{ value: 136, type: 'MONTHS' }],
    [{ value: 12, type: 'YEARS' }],
    [{ value: 4200, type: 'DAYS' }],
  ] as const)('[PutSigningProfile] signatureValidityPeriod %j (over 135 months) is a ValidationException', async (v) => {
    await expectSdkError(put({ signatureValidityPeriod: v }), 'ValidationException', 400, /135 months/);
  });
  it.each([
    [{ value: 0, type: 'DAYS' }, /positive integer/],
    [{ value: 5 }, /both value and type/],
    [{ value: 5, type: 'WEEKS' }, /enum/],
  ] as const)('[PutSigningProfile] signatureValidityPeriod %j is a ValidationException', async (v, msg) => {
    await expectSdkError(put({ signatureValidityPeriod: v as PutSigningProfileCommandInput['signatureValidityPeriod'] }), 'ValidationException', 400, msg);
  });
  it('[PutSigningProfile] 135 months, 11 years and 4100 days are accepted', async () => {
    await put({ profileName: 'err_v135', signatureValidityPeriod: { value: 135, type: 'MONTHS' } });
    await put({ profileName: 'err_v11y', signatureValidityPeriod: { value: 11, type: 'YEARS' } });
    await put({ profileName: 'err_v4100', signatureValidityPeriod: { value: 4100, type: 'DAYS' } });
  });
  it('[PutSigningProfile] the platform of an existing profile cannot change', async () => {
    await expectSdkError(put({ profileName: 'err_lambda', platformId: 'Notation-OCI-SHA384-ECDSA' }), 'ValidationException', 400, /platform cannot change/);
  });

  describe('[RevokeSigningProfile] effective time rules', () => {
    let version: string;
    beforeAll(async () => {
      version = (await a.client.send(new PutSigningProfileCommand({ profileName: 'err_rev', platformId: LAMBDA }))).profileVersion!;
    });
    it('[RevokeSigningProfile] an effectiveTime in the future is a ValidationException', async () => {
      await expectSdkError(
        a.client.send(new RevokeSigningProfileCommand({ profileName: 'err_rev', profileVersion: version, reason: 'x', effectiveTime: new Date(Date.now() + 86_400_000) })),
        'ValidationException',
        400,
        /future/,
      );
    });
    it('[RevokeSigningProfile] a revocation may move earlier but moving it later is a ValidationException', async () => {
      const t1 = new Date(Date.now() - 3_600_000);
      await a.client.send(new RevokeSigningProfileCommand({ profileName: 'err_rev', profileVersion: version, reason: 'x', effectiveTime: t1 }));
      const earlier = new Date(t1.getTime() - 3_600_000);
      await a.client.send(new RevokeSigningProfileCommand({ profileName: 'err_rev', profileVersion: version, reason: 'x', effectiveTime: earlier }));
      await expectSdkError(
        a.client.send(new RevokeSigningProfileCommand({ profileName: 'err_rev', profileVersion: version, reason: 'x', effectiveTime: t1 })),
        'ValidationException',
        400,
        /never later/,
      );
      const got = await a.client.send(new GetSigningProfileCommand({ profileName: 'err_rev' }));
      expect(got.revocationRecord?.revocationEffectiveFrom).toEqual(earlier);
    });
    it('[PutSigningProfile] the name of a revoked profile cannot be reused', async () => {
      await expectSdkError(put({ profileName: 'err_rev' }), 'ValidationException', 400, /Revoked/);
    });
    it('[StartSigningJob] a revoked profile cannot sign', async () => {
      await expectSdkError(a.client.send(new StartSigningJobCommand(await job('err_rev'))), 'ValidationException', 400, /Revoked and cannot sign/);
    });
  });

  it('[RevokeSigningProfile] a platform without revocation support is a ValidationException', async () => {
    const put1 = await a.client.send(new PutSigningProfileCommand({ profileName: 'err_iot', platformId: IOT, signingMaterial: { certificateArn: CERT(a.accountId) } }));
    await expectSdkError(
      a.client.send(new RevokeSigningProfileCommand({ profileName: 'err_iot', profileVersion: put1.profileVersion!, reason: 'x', effectiveTime: new Date() })),
      'ValidationException',
      400,
      /does not support revocation/,
    );
  });
  it('[RevokeSignature] revoking the same job twice is a ValidationException', async () => {
    const { jobId } = await a.client.send(new StartSigningJobCommand(await job('err_lambda')));
    await settledJob(a.client, jobId!);
    await a.client.send(new RevokeSignatureCommand({ jobId, reason: 'x' }));
    await expectSdkError(a.client.send(new RevokeSignatureCommand({ jobId, reason: 'x' })), 'ValidationException', 400, /already revoked/);
  });
  it('[StartSigningJob] a canceled profile cannot sign', async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'err_canceled', platformId: LAMBDA }));
    await a.client.send(new CancelSigningProfileCommand({ profileName: 'err_canceled' }));
    await expectSdkError(a.client.send(new StartSigningJobCommand(await job('err_canceled'))), 'ValidationException', 400, /Canceled and cannot sign/);
  });
  it('[StartSigningJob] a Notation profile signs through SignPayload only', async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'err_notation', platformId: 'Notation-OCI-SHA384-ECDSA' }));
    await expectSdkError(a.client.send(new StartSigningJobCommand(await job('err_notation'))), 'ValidationException', 400, /SignPayload/);
  });
  it('[StartSigningJob] a destination without s3.bucketName is a ValidationException', async () => {
    await expectSdkError(a.client.send(new StartSigningJobCommand({ ...(await job('err_lambda')), destination: {} })), 'ValidationException', 400, /bucketName/);
  });
});

describe('ResourceNotFoundException (404)', () => {
  const uuid = '00000000-0000-4000-8000-000000000000';
  it.each([
    ['GetSigningProfile', () => a.client.send(new GetSigningProfileCommand({ profileName: 'nope' })), /nope does not exist/],
    ['CancelSigningProfile', () => a.client.send(new CancelSigningProfileCommand({ profileName: 'nope' })), /nope does not exist/],
    ['RevokeSigningProfile', () => a.client.send(new RevokeSigningProfileCommand({ profileName: 'nope', profileVersion: 'AAAAAAAAAA', reason: 'x', effectiveTime: new Date() })), /nope/],
    ['GetSigningPlatform', () => a.client.send(new GetSigningPlatformCommand({ platformId: 'NoSuchPlatform' })), /NoSuchPlatform/],
    ['DescribeSigningJob', () => a.client.send(new DescribeSigningJobCommand({ jobId: uuid })), /does not exist/],
    ['RevokeSignature', () => a.client.send(new RevokeSignatureCommand({ jobId: uuid, reason: 'x' })), /does not exist/],
    ['StartSigningJob', async () => a.client.send(new StartSigningJobCommand(await job('nope'))), /^profile with name nope does not exist$/],
    ['AddProfilePermission', () => a.client.send(new AddProfilePermissionCommand({ profileName: 'nope', action: 'signer:GetSigningProfile', principal: '111122223333', statementId: 's' })), /nope/],
    ['ListProfilePermissions', () => a.client.send(new ListProfilePermissionsCommand({ profileName: 'nope' })), /nope/],
    ['RemoveProfilePermission', () => a.client.send(new RemoveProfilePermissionCommand({ profileName: 'err_lambda', statementId: 'nope', revisionId: 'r' })), /statementId nope/],
  ] as const)('[%s] an unknown resource is a ResourceNotFoundException', async (_op, call, msg) => {
    await expectSdkError(call(), 'ResourceNotFoundException', 404, msg);
  });

  it('[RevokeSigningProfile] an unknown version of an existing profile is a ResourceNotFoundException', async () => {
    await expectSdkError(
      a.client.send(new RevokeSigningProfileCommand({ profileName: 'err_lambda', profileVersion: 'AAAAAAAAAA', reason: 'x', effectiveTime: new Date() })),
      'ResourceNotFoundException',
      404,
      /no version AAAAAAAAAA/,
    );
  });
  it('[DescribeSigningJob] another account\'s job is a ResourceNotFoundException, not a leak', async () => {
    const { jobId } = await a.client.send(new StartSigningJobCommand(await job('err_lambda')));
    await expectSdkError(b.client.send(new DescribeSigningJobCommand({ jobId: jobId! })), 'ResourceNotFoundException', 404);
    await expectSdkError(b.client.send(new RevokeSignatureCommand({ jobId: jobId!, reason: 'x' })), 'ResourceNotFoundException', 404);
  });
});

describe('AccessDeniedException (403): cross-account without permission', () => {
  it('[GetSigningProfile] another account\'s profile via profileOwner without a grant is AccessDenied', async () => {
    await expectSdkError(b.client.send(new GetSigningProfileCommand({ profileName: 'err_lambda', profileOwner: a.accountId })), 'AccessDeniedException', 403, /not authorized/);
  });
  it('[GetSigningProfile] a non-existent profile of another account is the same AccessDenied (no name probing)', async () => {
    const e1 = await sdkError(b.client.send(new GetSigningProfileCommand({ profileName: 'err_lambda', profileOwner: a.accountId })));
    const e2 = await sdkError(b.client.send(new GetSigningProfileCommand({ profileName: 'nope', profileOwner: a.accountId })));
    expect([e1.name, e1.status, e2.name, e2.status]).toEqual(['AccessDeniedException', 403, 'AccessDeniedException', 403]);
  });
  it('[StartSigningJob] with profileOwner of another account and no grant is AccessDenied', async () => {
    await expectSdkError(b.client.send(new StartSigningJobCommand(await jobInput(t, b, 'err_lambda', { profileOwner: a.accountId }))), 'AccessDeniedException', 403);
  });
  it('[RevokeSignature] with jobOwner of another account is ResourceNotFound when the caller did not invoke the job', async () => {
    const { jobId } = await a.client.send(new StartSigningJobCommand(await job('err_lambda')));
    await expectSdkError(b.client.send(new RevokeSignatureCommand({ jobId: jobId!, reason: 'x', jobOwner: a.accountId })), 'ResourceNotFoundException', 404);
  });
});

describe('ConflictException (409): policy revisions', () => {
  let rev: string;
  beforeAll(async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'err_conflict', platformId: LAMBDA }));
  });
  const add = (statementId: string, revisionId?: string) =>
    a.client.send(new AddProfilePermissionCommand({ profileName: 'err_conflict', action: 'signer:GetSigningProfile', principal: b.accountId, statementId, revisionId }));

  it('[AddProfilePermission] a revisionId on a profile without a policy is a ConflictException', async () => {
    await expectSdkError(add('s0', 'made-up'), 'ConflictException', 409, /no policy yet/);
  });
  it('[AddProfilePermission] the first grant without revisionId succeeds', async () => {
    rev = (await add('s1')).revisionId!;
    expect(rev).toMatch(/\S/);
  });
  it('[AddProfilePermission] a missing revisionId once a policy exists is a ConflictException', async () => {
    await expectSdkError(add('s2'), 'ConflictException', 409, /revisionId/);
  });
  it('[AddProfilePermission] a stale revisionId is a ConflictException', async () => {
    const next = (await add('s2', rev)).revisionId!;
    await expectSdkError(add('s3', rev), 'ConflictException', 409, /revisionId/);
    rev = next;
  });
  it('[AddProfilePermission] a duplicate statementId is a ConflictException', async () => {
    await expectSdkError(add('s1', rev), 'ConflictException', 409, /statementId s1 already exists/);
  });
  it('[RemoveProfilePermission] a stale revisionId is a ConflictException', async () => {
    await expectSdkError(
      a.client.send(new RemoveProfilePermissionCommand({ profileName: 'err_conflict', statementId: 's1', revisionId: 'stale' })),
      'ConflictException',
      409,
    );
  });
  it('[AddProfilePermission] an emptied policy keeps its revisionId: adding again still needs it', async () => {
    let r = rev;
    for (const s of ['s1', 's2']) r = (await a.client.send(new RemoveProfilePermissionCommand({ profileName: 'err_conflict', statementId: s, revisionId: r }))).revisionId!;
    const list = await a.client.send(new ListProfilePermissionsCommand({ profileName: 'err_conflict' }));
    expect(list.permissions).toEqual([]);
    expect(list.revisionId).toBe(r);
    await expectSdkError(add('s9'), 'ConflictException', 409);
    await add('s9', r);
  });
});

describe('ServiceLimitExceededException (402): policy size', () => {
  it('[AddProfilePermission] statements with long role ARNs eventually exceed 20480 bytes', async () => {
    await a.client.send(new PutSigningProfileCommand({ profileName: 'err_big', platformId: LAMBDA }));
    const longPath = Array.from({ length: 8 }, (_, i) => `segment${i}${'x'.repeat(50)}`).join('/');
    let revisionId: string | undefined;
    let lastSize = 0;
    let error: Awaited<ReturnType<typeof sdkError>> | undefined;
    for (let i = 0; i < 100 && !error; i++) {
      try {
        const out = await a.client.send(
          new AddProfilePermissionCommand({
            profileName: 'err_big',
            action: 'signer:StartSigningJob',
            principal: `arn:aws:iam::${b.accountId}:role/${longPath}/role${i}`,
            statementId: `statement_${i}_${'s'.repeat(40)}`,
            revisionId,
          }),
        );
        revisionId = out.revisionId;
        lastSize = (await a.client.send(new ListProfilePermissionsCommand({ profileName: 'err_big' }))).policySizeBytes!;
      } catch (e) {
        error = await sdkError(Promise.reject(e));
      }
    }
    expect(error).toMatchObject({ name: 'ServiceLimitExceededException', status: 402, message: expect.stringMatching(/20480 bytes/) });
    expect(error?.requestId).toMatch(/\S/);
    expect(lastSize).toBeLessThanOrEqual(20_480);
    expect(lastSize).toBeGreaterThan(19_000);
    // The rejected statement was not stored.
    const after = await a.client.send(new ListProfilePermissionsCommand({ profileName: 'err_big' }));
    expect(after.revisionId).toBe(revisionId);
    expect(after.policySizeBytes).toBe(lastSize);
  });
});

describe('tag operations: BadRequestException (400) / NotFoundException (404)', () => {
  it.each([
    ['a malformed ARN', 'not-an-arn'],
    ['a profile version ARN', () => `arn:aws:signer:${region}:${a.accountId}:/signing-profiles/err_lambda/AAAAAAAAAA`],
    ['a signing job ARN', () => `arn:aws:signer:${region}:${a.accountId}:/signing-jobs/00000000-0000-4000-8000-000000000000`],
  ])('[ListTagsForResource] [TagResource] [UntagResource] %s is a BadRequestException', async (_w, arnOrFn) => {
    const resourceArn = typeof arnOrFn === 'function' ? arnOrFn() : arnOrFn;
    await expectSdkError(a.client.send(new ListTagsForResourceCommand({ resourceArn })), 'BadRequestException', 400, /not a signing profile ARN/);
    await expectSdkError(a.client.send(new TagResourceCommand({ resourceArn, tags: { k: 'v' } })), 'BadRequestException', 400);
    await expectSdkError(a.client.send(new UntagResourceCommand({ resourceArn, tagKeys: ['k'] })), 'BadRequestException', 400);
  });
  it.each([
    ['an unknown profile', () => `arn:aws:signer:${region}:${a.accountId}:/signing-profiles/nope`],
    ['another account\'s profile', () => `arn:aws:signer:${region}:${a.accountId}:/signing-profiles/err_lambda`, 'b'],
    ['a profile ARN of another region', () => `arn:aws:signer:eu-west-3:${a.accountId}:/signing-profiles/err_lambda`],
  ] as const)('[ListTagsForResource] [TagResource] [UntagResource] %s is a NotFoundException', async (_w, arnFn, who?: string) => {
    const c = who === 'b' ? b.client : a.client;
    const resourceArn = arnFn();
    await expectSdkError(c.send(new ListTagsForResourceCommand({ resourceArn })), 'NotFoundException', 404, /not found/);
    await expectSdkError(c.send(new TagResourceCommand({ resourceArn, tags: { k: 'v' } })), 'NotFoundException', 404);
    await expectSdkError(c.send(new UntagResourceCommand({ resourceArn, tagKeys: ['k'] })), 'NotFoundException', 404);
  });
  it('[TagResource] [UntagResource] a canceled profile is a BadRequestException; [ListTagsForResource] still reads it', async () => {
    const { arn } = await a.client.send(new PutSigningProfileCommand({ profileName: 'err_tag_canceled', platformId: LAMBDA, tags: { k: 'v' } }));
    await a.client.send(new CancelSigningProfileCommand({ profileName: 'err_tag_canceled' }));
    await expectSdkError(a.client.send(new TagResourceCommand({ resourceArn: arn!, tags: { k2: 'v' } })), 'BadRequestException', 400, /canceled/);
    await expectSdkError(a.client.send(new UntagResourceCommand({ resourceArn: arn!, tagKeys: ['k'] })), 'BadRequestException', 400, /canceled/);
    expect((await a.client.send(new ListTagsForResourceCommand({ resourceArn: arn! }))).tags).toEqual({ k: 'v' });
  });
  it('[TagResource] going over 200 tags in total is a BadRequestException and keeps the old tags', async () => {
    const tags150 = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`a${i}`, 'v']));
    const tags60 = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`b${i}`, 'v']));
    const { arn } = await a.client.send(new PutSigningProfileCommand({ profileName: 'err_tag_many', platformId: LAMBDA, tags: tags150 }));
    await expectSdkError(a.client.send(new TagResourceCommand({ resourceArn: arn!, tags: tags60 })), 'BadRequestException', 400, /at most 200 tags/);
    expect(Object.keys((await a.client.send(new ListTagsForResourceCommand({ resourceArn: arn! }))).tags ?? {})).toHaveLength(150);
  });
  it('[PutSigningProfile] tags merged over 200 on an existing profile is a ValidationException', async () => {
    const tags150 = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`c${i}`, 'v']));
    const tags60 = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`d${i}`, 'v']));
    await a.client.send(new PutSigningProfileCommand({ profileName: 'err_tag_merge', platformId: LAMBDA, tags: tags150 }));
    await expectSdkError(a.client.send(new PutSigningProfileCommand({ profileName: 'err_tag_merge', platformId: LAMBDA, tags: tags60 })), 'ValidationException', 400, /200 tags/);
  });
});

describe('TooManyRequestsException (429)', () => {
  let slow: TestServer;
  beforeAll(async () => {
    slow = await startTestServer({ env: { SIGNER_THROTTLE_RPS: '1', SIGNER_THROTTLE_BURST: '2' } });
  });
  afterAll(async () => slow.stop());

  it('[ListSigningPlatforms] a burst beyond the bucket is answered TooManyRequestsException; other operations have their own bucket', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => slow.admin.client.send(new ListSigningPlatformsCommand({}))));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const rejected = await Promise.all(results.filter((r) => r.status === 'rejected').map((r) => sdkError(Promise.reject((r as PromiseRejectedResult).reason))));
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    for (const e of rejected) {
      expect({ name: e.name, status: e.status, message: e.message }).toEqual({ name: 'TooManyRequestsException', status: 429, message: 'Rate exceeded.' });
      expect(e.requestId).toMatch(/\S/);
    }
    // The bucket is per operation: another operation is not throttled by the burst above.
    await expect(slow.admin.client.send(new ListSigningProfilesCommand({}))).resolves.toBeDefined();
  });
});

describe('protocol errors (raw HTTP)', () => {
  const creds = () => ({ accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey });

  it('an unknown route is 404 UnknownOperationException, signed or not', async () => {
    const signed = await rawRequest(t.url, { method: 'GET', path: '/no-such-thing', credentials: creds() });
    expectRawError(signed, 'UnknownOperationException', 404);
    const unsigned = await rawRequest(t.url, { method: 'POST', path: '/signing-platforms' });
    expectRawError(unsigned, 'UnknownOperationException', 404);
  });
  it('a path label with malformed percent-encoding matches no operation: 404 UnknownOperationException', async () => {
    const res = await rawRequest(t.url, { method: 'GET', path: '/signing-profiles/%E0%A4%A', credentials: creds() });
    expectRawError(res, 'UnknownOperationException', 404);
  });
  it('a method the model does not bind on a known path (OPTIONS, PATCH) is 404 UnknownOperationException', async () => {
    for (const method of ['OPTIONS', 'PATCH']) expectRawError(await rawRequest(t.url, { method, path: '/signing-profiles', credentials: creds() }), 'UnknownOperationException', 404);
  });
  it('a body over 1 MiB is 413 RequestEntityTooLargeException', async () => {
    const big = JSON.stringify({ platformId: LAMBDA, signingParameters: { x: 'a'.repeat(1024 * 1024 + 10) } });
    const res = await rawRequest(t.url, { method: 'PUT', path: '/signing-profiles/err_big_body', body: big, credentials: creds() });
    expectRawError(res, 'RequestEntityTooLargeException', 413);
  });
  it('[PutSigningProfile] a body over 1 MiB through the SDK is an error with status 413', async () => {
    const e = await sdkError(
      a.client.send(new PutSigningProfileCommand({ profileName: 'err_big_sdk', platformId: LAMBDA, signingParameters: { x: 'a'.repeat(1024 * 1024 + 10) } })),
    );
    expect({ name: e.name, status: e.status }).toEqual({ name: 'RequestEntityTooLargeException', status: 413 });
  });
  it.each([
    ['truncated JSON', '{"platformId": '],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"x"'],
    ['JSON null', 'null'],
  ])('[PutSigningProfile] a body that is %s is 400 SerializationException', async (_w, body) => {
    const res = await rawRequest(t.url, { method: 'PUT', path: '/signing-profiles/err_ser', body, credentials: creds() });
    expectRawError(res, 'SerializationException', 400);
  });
  it('every error carries x-amzn-RequestId, x-amzn-ErrorType and a {"message"} body with no other members', async () => {
    const res = await rawRequest(t.url, { method: 'GET', path: '/signing-profiles/nope', credentials: creds() });
    expectRawError(res, 'ResourceNotFoundException', 404);
    expect(Object.keys(res.json ?? {})).toEqual(['message']);
    expect(res.headers.get('content-type')).toBe('application/json');
  });
  it('request ids are unique per request', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, async () => (await rawRequest(t.url, { method: 'GET', path: '/signing-profiles/nope', credentials: creds() })).requestId));
    expect(new Set(ids).size).toBe(5);
  });
});
