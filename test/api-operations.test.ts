/**
 * Happy paths of all 19 Signer operations through the official SDK, with exact response shapes
 * (timestamps as Date, blobs as Uint8Array, only the model's members).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddProfilePermissionCommand,
  CancelSigningProfileCommand,
  DescribeSigningJobCommand,
  GetRevocationStatusCommand,
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
  SignPayloadCommand,
  StartSigningJobCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-signer';
import { expectSdkError } from './support/errors.js';
import { rawRequest } from './support/raw.js';
import { certificateArn, jobInput, notaryPayload, settledJob } from './support/fixtures.js';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
let acct: string;
let region: string;
const NOTATION_FORMAT = 'application/vnd.cncf.notary.payload.v1+json';
let cert: string;
const CERT = (_a: string) => cert;

beforeAll(async () => {
  t = await startTestServer();
  acct = t.admin.accountId;
  region = t.server.config.region;
  cert = await certificateArn(t, t.admin);
});
afterAll(async () => t.stop());

/** The SDK output without `$metadata`, after checking the request id is there. */
function body<T extends { $metadata: { requestId?: string; httpStatusCode?: number } }>(out: T): Omit<T, '$metadata'> {
  expect(out.$metadata.httpStatusCode).toBe(200);
  expect(out.$metadata.requestId).toMatch(/\S/);
  const { $metadata: _m, ...rest } = out;
  return rest;
}

function descriptor(platformId: string): Record<string, unknown> {
  const { extras: _e, ...d } = JSON.parse(readFileSync(new URL(`../platforms/${platformId}/descriptor.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
  return d;
}


describe('platforms', () => {
  it('[ListSigningPlatforms] lists every platform folder, sorted by id, with the model shape', async () => {
    const out = body(await t.admin.client.send(new ListSigningPlatformsCommand({})));
    const ids = [
      'AWSIoTDeviceManagement-SHA256-ECDSA',
      'AWSLambda-SHA384-ECDSA',
      'AmazonFreeRTOS-Default',
      'AmazonFreeRTOS-TI-CC3220SF',
      'ESP32-SecureBootV2',
      'MCUboot',
      'Notation-OCI-SHA384-ECDSA',
    ];
    expect(out.platforms?.map((p) => p.platformId)).toEqual(ids);
    expect(out.nextToken).toBeUndefined();
    expect(out.platforms?.[1]).toEqual(descriptor('AWSLambda-SHA384-ECDSA'));
  });

  it('[ListSigningPlatforms] filters by partner and target', async () => {
    const out = await t.admin.client.send(new ListSigningPlatformsCommand({ partner: 'AmazonFreeRTOS' }));
    expect(out.platforms?.map((p) => p.platformId)).toEqual(['AmazonFreeRTOS-Default', 'AmazonFreeRTOS-TI-CC3220SF']);
    const byTarget = await t.admin.client.send(new ListSigningPlatformsCommand({ target: 'SHA384-ECDSA' }));
    expect(byTarget.platforms?.map((p) => p.platformId)).toEqual(['AWSLambda-SHA384-ECDSA', 'Notation-OCI-SHA384-ECDSA']);
  });

  it('[GetSigningPlatform] returns the platform descriptor members (no server extras)', async () => {
    const out = body(await t.admin.client.send(new GetSigningPlatformCommand({ platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA' })));
    expect(out).toEqual(descriptor('AWSIoTDeviceManagement-SHA256-ECDSA'));
    expect(out.displayName).toBe('AWS IoT Device Management SHA256-ECDSA ');
    expect(out.revocationSupported).toBe(false);
  });
});

describe('profiles', () => {
  it('[PutSigningProfile] creates an IoT profile and answers its ARN, version and version ARN', async () => {
    const out = body(
      await t.admin.client.send(
        new PutSigningProfileCommand({
          profileName: 'ops_iot',
          platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA',
          signingMaterial: { certificateArn: CERT(acct) },
          signatureValidityPeriod: { value: 12, type: 'MONTHS' },
          overrides: { signingConfiguration: { encryptionAlgorithm: 'ECDSA', hashAlgorithm: 'SHA256' }, signingImageFormat: 'JSONDetached' },
          signingParameters: { certname: '/cert/code.crt' },
          tags: { team: 'fw', env: 'test' },
        }),
      ),
    );
    expect(out).toEqual({
      arn: `arn:aws:signer:${region}:${acct}:/signing-profiles/ops_iot`,
      profileVersion: expect.stringMatching(/^[a-zA-Z0-9]{10}$/),
      profileVersionArn: `arn:aws:signer:${region}:${acct}:/signing-profiles/ops_iot/${out.profileVersion}`,
    });
  });

  it('[PutSigningProfile] an identical Put keeps the version; a changed Put makes a new one', async () => {
    const input = { profileName: 'ops_ver', platformId: 'AWSLambda-SHA384-ECDSA' };
    const a = await t.admin.client.send(new PutSigningProfileCommand(input));
    const b = await t.admin.client.send(new PutSigningProfileCommand(input));
    expect(b.profileVersion).toBe(a.profileVersion);
    const c = await t.admin.client.send(new PutSigningProfileCommand({ ...input, signatureValidityPeriod: { value: 30, type: 'DAYS' } }));
    expect(c.profileVersion).not.toBe(a.profileVersion);
    const got = await t.admin.client.send(new GetSigningProfileCommand({ profileName: 'ops_ver' }));
    expect(got.profileVersion).toBe(c.profileVersion);
    expect(got.signatureValidityPeriod).toEqual({ value: 30, type: 'DAYS' });
  });

  it('[GetSigningProfile] returns every member of the profile', async () => {
    const out = body(await t.admin.client.send(new GetSigningProfileCommand({ profileName: 'ops_iot' })));
    expect(out).toEqual({
      profileName: 'ops_iot',
      profileVersion: expect.stringMatching(/^[a-zA-Z0-9]{10}$/),
      profileVersionArn: `arn:aws:signer:${region}:${acct}:/signing-profiles/ops_iot/${out.profileVersion}`,
      signingMaterial: { certificateArn: CERT(acct) },
      platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA',
      platformDisplayName: 'AWS IoT Device Management SHA256-ECDSA ',
      signatureValidityPeriod: { value: 12, type: 'MONTHS' },
      overrides: { signingConfiguration: { encryptionAlgorithm: 'ECDSA', hashAlgorithm: 'SHA256' }, signingImageFormat: 'JSONDetached' },
      signingParameters: { certname: '/cert/code.crt' },
      status: 'Active',
      arn: `arn:aws:signer:${region}:${acct}:/signing-profiles/ops_iot`,
      tags: { team: 'fw', env: 'test' },
    });
  });

  it('[ListSigningProfiles] lists Active profiles with the list-item shape (no overrides)', async () => {
    const out = body(await t.admin.client.send(new ListSigningProfilesCommand({ platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA' })));
    expect(out.nextToken).toBeUndefined();
    expect(out.profiles).toHaveLength(1);
    const p = out.profiles![0]!;
    expect(p).toEqual({
      profileName: 'ops_iot',
      profileVersion: expect.stringMatching(/^[a-zA-Z0-9]{10}$/),
      profileVersionArn: expect.stringMatching(/\/signing-profiles\/ops_iot\/[a-zA-Z0-9]{10}$/),
      signingMaterial: { certificateArn: CERT(acct) },
      signatureValidityPeriod: { value: 12, type: 'MONTHS' },
      platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA',
      platformDisplayName: 'AWS IoT Device Management SHA256-ECDSA ',
      signingParameters: { certname: '/cert/code.crt' },
      status: 'Active',
      arn: `arn:aws:signer:${region}:${acct}:/signing-profiles/ops_iot`,
      tags: { team: 'fw', env: 'test' },
    });
    expect(p).not.toHaveProperty('overrides');
  });

  it('[CancelSigningProfile] cancels: status Canceled, hidden from the default list, shown with includeCanceled/statuses', async () => {
    await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'ops_cancel', platformId: 'AWSLambda-SHA384-ECDSA' }));
    const out = await t.admin.client.send(new CancelSigningProfileCommand({ profileName: 'ops_cancel' }));
    expect(body(out)).toEqual({});
    const got = await t.admin.client.send(new GetSigningProfileCommand({ profileName: 'ops_cancel' }));
    expect(got.status).toBe('Canceled');
    const names = async (input: ConstructorParameters<typeof ListSigningProfilesCommand>[0]) =>
      ((await t.admin.client.send(new ListSigningProfilesCommand({ ...input, maxResults: 25 }))).profiles ?? []).map((p) => p.profileName);
    expect(await names({})).not.toContain('ops_cancel');
    expect(await names({ includeCanceled: true })).toContain('ops_cancel');
    expect(await names({ statuses: ['Canceled'] })).toEqual(['ops_cancel']);
    // Canceling again is not an error.
    await t.admin.client.send(new CancelSigningProfileCommand({ profileName: 'ops_cancel' }));
  });

  it('[RevokeSigningProfile] revokes the current version: status Revoked with a revocation record of Dates', async () => {
    const put = await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'ops_revoke', platformId: 'AWSLambda-SHA384-ECDSA' }));
    const effective = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
    const out = await t.admin.client.send(
      new RevokeSigningProfileCommand({ profileName: 'ops_revoke', profileVersion: put.profileVersion!, reason: 'key leaked', effectiveTime: effective }),
    );
    expect(body(out)).toEqual({});
    const got = await t.admin.client.send(new GetSigningProfileCommand({ profileName: 'ops_revoke' }));
    expect(got.status).toBe('Revoked');
    expect(got.statusReason).toBe('key leaked');
    expect(got.revocationRecord?.revocationEffectiveFrom).toEqual(effective);
    expect(got.revocationRecord?.revokedAt).toBeInstanceOf(Date);
    expect(got.revocationRecord?.revokedBy).toBe(`arn:aws:iam::${acct}:root`);
    const list = await t.admin.client.send(new ListSigningProfilesCommand({ statuses: ['Revoked'] }));
    expect(list.profiles?.map((p) => p.profileName)).toEqual(['ops_revoke']);
  });

  it('[RevokeSigningProfile] revoking an older version leaves the profile Active and signing with the current version', async () => {
    const v1 = (await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'ops_oldver', platformId: 'AWSLambda-SHA384-ECDSA' }))).profileVersion!;
    const v2 = (
      await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'ops_oldver', platformId: 'AWSLambda-SHA384-ECDSA', signatureValidityPeriod: { value: 1, type: 'YEARS' } }))
    ).profileVersion!;
    await t.admin.client.send(new RevokeSigningProfileCommand({ profileName: 'ops_oldver', profileVersion: v1, reason: 'old key', effectiveTime: new Date(Date.now() - 60_000) }));
    const got = await t.admin.client.send(new GetSigningProfileCommand({ profileName: 'ops_oldver' }));
    expect({ status: got.status, profileVersion: got.profileVersion, revocationRecord: got.revocationRecord }).toEqual({ status: 'Active', profileVersion: v2, revocationRecord: undefined });
    const pv = (v: string) => `arn:aws:signer:${region}:${acct}:/signing-profiles/ops_oldver/${v}`;
    const jobArn = `arn:aws:signer:${region}:${acct}:/signing-jobs/00000000-0000-4000-8000-000000000000`;
    const ask = (v: string) =>
      t.admin.client.send(
        new GetRevocationStatusCommand({ signatureTimestamp: new Date(), platformId: 'AWSLambda-SHA384-ECDSA', profileVersionArn: pv(v), jobArn, certificateHashes: ['ab'.repeat(96)] }),
      );
    expect((await ask(v1)).revokedEntities).toEqual([pv(v1)]);
    expect((await ask(v2)).revokedEntities).toEqual([]);
    const job = await t.admin.client.send(new StartSigningJobCommand(await jobInput(t, t.admin, 'ops_oldver')));
    expect((await t.admin.client.send(new DescribeSigningJobCommand({ jobId: job.jobId! }))).profileVersion).toBe(v2);
  });

  it('[PutSigningProfile] a Put that only adds tags keeps the version and merges the tags', async () => {
    const a1 = await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'ops_tagput', platformId: 'AWSLambda-SHA384-ECDSA', tags: { a: '1' } }));
    const a2 = await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'ops_tagput', platformId: 'AWSLambda-SHA384-ECDSA', tags: { b: '2' } }));
    expect(a2.profileVersion).toBe(a1.profileVersion);
    expect((await t.admin.client.send(new GetSigningProfileCommand({ profileName: 'ops_tagput' }))).tags).toEqual({ a: '1', b: '2' });
  });
});

describe('concurrent writes', () => {
  it('[PutSigningProfile] 20 concurrent identical Puts of a new profile all answer the same version', async () => {
    const outs = await Promise.all(Array.from({ length: 20 }, () => t.admin.client.send(new PutSigningProfileCommand({ profileName: 'cc_same', platformId: 'AWSLambda-SHA384-ECDSA' }))));
    expect(new Set(outs.map((o) => o.profileVersion)).size).toBe(1);
  });
  it('[PutSigningProfile] 20 concurrent different Puts each make a version; the profile ends on one of them', async () => {
    const outs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.admin.client.send(new PutSigningProfileCommand({ profileName: 'cc_diff', platformId: 'AWSLambda-SHA384-ECDSA', signatureValidityPeriod: { value: i + 1, type: 'DAYS' } })),
      ),
    );
    const versions = outs.map((o) => o.profileVersion);
    expect(new Set(versions).size).toBe(20);
    const got = await t.admin.client.send(new GetSigningProfileCommand({ profileName: 'cc_diff' }));
    const i = versions.indexOf(got.profileVersion);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(got.signatureValidityPeriod).toEqual({ value: i + 1, type: 'DAYS' });
  });
  it('[TagResource] 20 concurrent TagResource calls with different keys lose none', async () => {
    const { arn } = await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'cc_tags', platformId: 'AWSLambda-SHA384-ECDSA' }));
    await Promise.all(Array.from({ length: 20 }, (_, i) => t.admin.client.send(new TagResourceCommand({ resourceArn: arn!, tags: { [`k${i}`]: String(i) } }))));
    const tags = (await t.admin.client.send(new ListTagsForResourceCommand({ resourceArn: arn! }))).tags ?? {};
    expect(Object.keys(tags).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
  });
});

describe('permissions', () => {
  beforeAll(async () => {
    await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'ops_perm', platformId: 'AWSLambda-SHA384-ECDSA' }));
  });

  it('[ListProfilePermissions] a profile without a policy has no permissions, no revisionId, size 0', async () => {
    const out = body(await t.admin.client.send(new ListProfilePermissionsCommand({ profileName: 'ops_perm' })));
    expect(out).toEqual({ permissions: [], policySizeBytes: 0 });
  });

  it('[AddProfilePermission] [ListProfilePermissions] [RemoveProfilePermission] grant, list and remove with revisionIds', async () => {
    const add = body(
      await t.admin.client.send(
        new AddProfilePermissionCommand({ profileName: 'ops_perm', action: 'signer:GetSigningProfile', principal: '111122223333', statementId: 'read' }),
      ),
    );
    expect(add).toEqual({ revisionId: expect.stringMatching(/\S/) });
    const list1 = body(await t.admin.client.send(new ListProfilePermissionsCommand({ profileName: 'ops_perm' })));
    expect(list1).toEqual({
      revisionId: add.revisionId,
      policySizeBytes: expect.any(Number),
      permissions: [{ action: 'signer:GetSigningProfile', principal: '111122223333', statementId: 'read' }],
    });
    expect(list1.policySizeBytes).toBeGreaterThan(0);

    const add2 = await t.admin.client.send(
      new AddProfilePermissionCommand({
        profileName: 'ops_perm',
        action: 'signer:StartSigningJob',
        principal: 'arn:aws:iam::111122223333:role/ci/signer',
        statementId: 'sign',
        revisionId: add.revisionId,
      }),
    );
    expect(add2.revisionId).not.toBe(add.revisionId);
    const list2 = await t.admin.client.send(new ListProfilePermissionsCommand({ profileName: 'ops_perm' }));
    expect(list2.permissions?.map((p) => p.statementId)).toEqual(['read', 'sign']);
    expect(list2.policySizeBytes).toBeGreaterThan(list1.policySizeBytes!);

    const rm = body(await t.admin.client.send(new RemoveProfilePermissionCommand({ profileName: 'ops_perm', statementId: 'read', revisionId: add2.revisionId! })));
    expect(rm).toEqual({ revisionId: expect.stringMatching(/\S/) });
    const list3 = await t.admin.client.send(new ListProfilePermissionsCommand({ profileName: 'ops_perm' }));
    expect(list3.revisionId).toBe(rm.revisionId);
    expect(list3.permissions).toEqual([{ action: 'signer:StartSigningJob', principal: 'arn:aws:iam::111122223333:role/ci/signer', statementId: 'sign' }]);
  });

  it('[AddProfilePermission] a statement locked to a profileVersion lists that version', async () => {
    const p = await t.admin.client.send(new GetSigningProfileCommand({ profileName: 'ops_perm' }));
    const cur = await t.admin.client.send(new ListProfilePermissionsCommand({ profileName: 'ops_perm' }));
    await t.admin.client.send(
      new AddProfilePermissionCommand({
        profileName: 'ops_perm',
        action: 'signer:RevokeSignature',
        principal: '111122223333',
        statementId: 'revoke_v',
        profileVersion: p.profileVersion,
        revisionId: cur.revisionId,
      }),
    );
    const list = await t.admin.client.send(new ListProfilePermissionsCommand({ profileName: 'ops_perm' }));
    expect(list.permissions?.find((x) => x.statementId === 'revoke_v')).toEqual({
      action: 'signer:RevokeSignature',
      principal: '111122223333',
      statementId: 'revoke_v',
      profileVersion: p.profileVersion,
    });
  });
});

describe('tags', () => {
  let arn: string;
  beforeAll(async () => {
    arn = (await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'ops_tags', platformId: 'AWSLambda-SHA384-ECDSA', tags: { team: 'fw' } }))).arn!;
  });

  it('[ListTagsForResource] returns the tags given at creation', async () => {
    expect(body(await t.admin.client.send(new ListTagsForResourceCommand({ resourceArn: arn })))).toEqual({ tags: { team: 'fw' } });
  });

  it('[TagResource] adds and overwrites tags; answers an empty body', async () => {
    const out = await t.admin.client.send(new TagResourceCommand({ resourceArn: arn, tags: { team: 'iot', 'cost:center': '42' } }));
    expect(body(out)).toEqual({});
    const list = await t.admin.client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    expect(list.tags).toEqual({ team: 'iot', 'cost:center': '42' });
  });

  it('[ListTagsForResource] the ARN label is also accepted unencoded (/tags/arn:aws:signer:…:/signing-profiles/name, as moto routes it)', async () => {
    const res = await rawRequest(t.url, {
      method: 'GET',
      path: `/tags/${arn}`,
      credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey },
      region,
    });
    expect(res.status).toBe(200);
    expect(res.json?.tags).toEqual((await t.admin.client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags);
    expect(Object.keys(res.json?.tags as object).length).toBeGreaterThan(0);
  });

  it('[UntagResource] removes the given keys (unknown keys are ignored)', async () => {
    const out = await t.admin.client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team', 'nope'] }));
    expect(body(out)).toEqual({});
    expect((await t.admin.client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual({ 'cost:center': '42' });
    await t.admin.client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['cost:center'] }));
    expect((await t.admin.client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual({});
    expect((await t.admin.client.send(new GetSigningProfileCommand({ profileName: 'ops_tags' }))).tags).toBeUndefined();
  });
});

describe('jobs', () => {
  let profileVersion: string;
  let jobId: string;
  let input: Awaited<ReturnType<typeof jobInput>>;
  beforeAll(async () => {
    profileVersion = (await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'ops_jobs', platformId: 'AWSLambda-SHA384-ECDSA' }))).profileVersion!;
    input = await jobInput(t, t.admin, 'ops_jobs', { key: 'app.zip', prefix: 'signed/' });
  });

  it('[StartSigningJob] records a job and answers jobId (UUID) and jobOwner', async () => {
    const out = body(await t.admin.client.send(new StartSigningJobCommand(input)));
    expect(out).toEqual({ jobId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/), jobOwner: acct });
    jobId = out.jobId!;
  });

  it('[DescribeSigningJob] returns the job record with Date timestamps', async () => {
    const out = body(await settledJob(t.admin.client, jobId));
    expect(out).toEqual({
      jobId,
      source: input.source,
      platformId: 'AWSLambda-SHA384-ECDSA',
      platformDisplayName: 'AWS Lambda',
      profileName: 'ops_jobs',
      profileVersion,
      createdAt: expect.any(Date),
      signatureExpiresAt: expect.any(Date),
      requestedBy: `arn:aws:iam::${acct}:root`,
      status: 'Succeeded',
      jobOwner: acct,
      jobInvoker: acct,
      completedAt: expect.any(Date),
      statusReason: 'Signing Succeeded',
      signedObject: { s3: { bucketName: input.destination.s3.bucketName, key: `signed/${jobId}.zip` } },
    });
    // Default validity is 135 months from the job's creation.
    const expected = new Date(out.createdAt!);
    expected.setUTCMonth(expected.getUTCMonth() + 135);
    expect(out.signatureExpiresAt).toEqual(expected);
  });

  it('[ListSigningJobs] lists the job with the list-item shape (isRevoked, no requestedBy)', async () => {
    const out = body(await t.admin.client.send(new ListSigningJobsCommand({})));
    expect(out.nextToken).toBeUndefined();
    const j = out.jobs?.find((x) => x.jobId === jobId);
    expect(j).toEqual({
      jobId,
      source: input.source,
      createdAt: expect.any(Date),
      status: 'Succeeded',
      isRevoked: false,
      profileName: 'ops_jobs',
      profileVersion,
      platformId: 'AWSLambda-SHA384-ECDSA',
      platformDisplayName: 'AWS Lambda',
      signatureExpiresAt: expect.any(Date),
      jobOwner: acct,
      jobInvoker: acct,
      signedObject: { s3: { bucketName: input.destination.s3.bucketName, key: `signed/${jobId}.zip` } },
    });
  });

  it('[RevokeSignature] revokes a job: revocationRecord on Describe, isRevoked on List', async () => {
    const out = await t.admin.client.send(new RevokeSignatureCommand({ jobId, reason: 'bad build' }));
    expect(body(out)).toEqual({});
    const d = await t.admin.client.send(new DescribeSigningJobCommand({ jobId }));
    expect(d.revocationRecord).toEqual({ reason: 'bad build', revokedAt: expect.any(Date), revokedBy: `arn:aws:iam::${acct}:root` });
    const l = await t.admin.client.send(new ListSigningJobsCommand({ isRevoked: true }));
    expect(l.jobs?.map((x) => x.jobId)).toEqual([jobId]);
    expect(l.jobs?.[0]?.isRevoked).toBe(true);
  });

  it('[GetRevocationStatus] reports the revoked job ARN and nothing else for an unrevoked profile version', async () => {
    const jobArn = `arn:aws:signer:${region}:${acct}:/signing-jobs/${jobId}`;
    const pvArn = `arn:aws:signer:${region}:${acct}:/signing-profiles/ops_jobs/${profileVersion}`;
    const out = body(
      await t.admin.client.send(
        new GetRevocationStatusCommand({
          signatureTimestamp: new Date(),
          platformId: 'AWSLambda-SHA384-ECDSA',
          profileVersionArn: pvArn,
          jobArn,
          certificateHashes: ['ab'.repeat(96)],
        }),
      ),
    );
    expect(out).toEqual({ revokedEntities: [jobArn] });
  });
});

describe('SignPayload', () => {
  beforeAll(async () => {
    await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'ops_notation', platformId: 'Notation-OCI-SHA384-ECDSA' }));
  });

  it('[SignPayload] validates before signing: a Lambda profile is a ValidationException', async () => {
    await expectSdkError(
      t.admin.client.send(new SignPayloadCommand({ profileName: 'ops_jobs', payload: new Uint8Array([1, 2, 3]), payloadFormat: NOTATION_FORMAT })),
      'ValidationException',
      400,
      /does not support SignPayload/,
    );
  });

  it('[SignPayload] validates before signing: a payloadFormat other than the Notary payload is a ValidationException', async () => {
    await expectSdkError(
      t.admin.client.send(new SignPayloadCommand({ profileName: 'ops_notation', payload: new Uint8Array([1]), payloadFormat: 'application/json' })),
      'ValidationException',
      400,
      /payloadFormat/,
    );
  });

  it('[SignPayload] answers jobId, jobOwner, metadata and a Uint8Array signature', async () => {
    const out = body(
      await t.admin.client.send(new SignPayloadCommand({ profileName: 'ops_notation', payload: notaryPayload(), payloadFormat: NOTATION_FORMAT })),
    );
    expect(out).toEqual({ jobId: expect.stringMatching(/^[0-9a-f-]{36}$/), jobOwner: acct, metadata: expect.any(Object), signature: expect.any(Uint8Array) });
    expect(out.signature!.length).toBeGreaterThan(0);
    // The payload signature is recorded as a finished job of the profile.
    const d = await t.admin.client.send(new DescribeSigningJobCommand({ jobId: out.jobId! }));
    expect({ status: d.status, profileName: d.profileName, platformId: d.platformId }).toEqual({ status: 'Succeeded', profileName: 'ops_notation', platformId: 'Notation-OCI-SHA384-ECDSA' });
  });
});
