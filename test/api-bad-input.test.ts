/**
 * Bad-input tables for every operation, sent as signed raw HTTP (the SDK refuses to serialize
 * most of these): wrong JSON types, missing required members, out-of-range values, malformed
 * bodies. Each must be the documented 400 error with a request id and a message — never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutSigningProfileCommand, StartSigningJobCommand } from '@aws-sdk/client-signer';
import { certificateArn, jobInput } from './support/fixtures.js';
import { expectRawError, rawRequest, type RawRequest } from './support/raw.js';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
let jobId: string;
let acct: string;
let cert: string;
beforeAll(async () => {
  t = await startTestServer();
  acct = t.admin.accountId;
  await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'bad_p', platformId: 'AWSLambda-SHA384-ECDSA' }));
  jobId = (await t.admin.client.send(new StartSigningJobCommand(await jobInput(t, t.admin, 'bad_p')))).jobId!;
  cert = await certificateArn(t, t.admin);
});
afterAll(async () => t.stop());

type Row = [description: string, request: () => Omit<RawRequest, 'credentials'>, errorType?: string];
const V = 'ValidationException';
const S = 'SerializationException';
const goodJob = { source: { s3: { bucketName: 's', key: 'k', version: '1' } }, destination: { s3: { bucketName: 'd' } }, profileName: 'bad_p', clientRequestToken: 'tok-1' };
const goodPut = { platformId: 'AWSLambda-SHA384-ECDSA' };
const goodPerm = { action: 'signer:GetSigningProfile', principal: '111122223333', statementId: 's1' };
const hash = 'ab'.repeat(96);
const revQuery = () => ({
  signatureTimestamp: '2024-01-01T00:00:00Z',
  platformId: 'AWSLambda-SHA384-ECDSA',
  profileVersionArn: `arn:aws:signer:us-east-1:${acct}:/signing-profiles/bad_p/AAAAAAAAAA`,
  jobArn: `arn:aws:signer:us-east-1:${acct}:/signing-jobs/${jobId}`,
  certificateHashes: hash,
});
const without = <T extends Record<string, unknown>>(o: T, k: keyof T): Partial<T> => {
  const { [k]: _x, ...rest } = o;
  return rest as Partial<T>;
};

const TABLES: Record<string, Row[]> = {
  AddProfilePermission: [
    ['missing action', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: without(goodPerm, 'action') })],
    ['missing principal', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: without(goodPerm, 'principal') })],
    ['missing statementId', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: without(goodPerm, 'statementId') })],
    ['principal as a number', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: { ...goodPerm, principal: 111122223333 } })],
    ['profileVersion as a number', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: { ...goodPerm, profileVersion: 1234567890 } })],
    ['profileVersion of 9 characters', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: { ...goodPerm, profileVersion: 'AAAAAAAAA' } })],
    ['revisionId as a boolean', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: { ...goodPerm, revisionId: true } })],
    ['an unknown action', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: { ...goodPerm, action: 'signer:DeleteEverything' } })],
    ['a statementId with a space', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: { ...goodPerm, statementId: 'a b' } })],
    ['a statementId of 65 characters', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: { ...goodPerm, statementId: 's'.repeat(65) } })],
    ['a profileName of one character', () => ({ method: 'POST', path: '/signing-profiles/x/permissions', body: goodPerm })],
    ['a body that is a JSON array', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: '[]' }), S],
    ['a body that is not JSON', () => ({ method: 'POST', path: '/signing-profiles/bad_p/permissions', body: 'action=x' }), S],
  ],
  CancelSigningProfile: [
    ['a profileName of one character', () => ({ method: 'DELETE', path: '/signing-profiles/x' })],
    ['a profileName of 65 characters', () => ({ method: 'DELETE', path: `/signing-profiles/${'p'.repeat(65)}` })],
    ['a profileName starting with a hyphen', () => ({ method: 'DELETE', path: '/signing-profiles/-abc' })],
  ],
  DescribeSigningJob: [
    // JobId has no model constraints: any id that is not a job is simply not found.
    ['a jobId that is not a UUID', () => ({ method: 'GET', path: '/signing-jobs/not-a-job' }), 'ResourceNotFoundException'],
  ],
  GetRevocationStatus: [
    ['missing signatureTimestamp', () => ({ method: 'GET', path: '/revocations', query: without(revQuery(), 'signatureTimestamp') as Record<string, string> })],
    ['missing platformId', () => ({ method: 'GET', path: '/revocations', query: without(revQuery(), 'platformId') as Record<string, string> })],
    ['missing profileVersionArn', () => ({ method: 'GET', path: '/revocations', query: without(revQuery(), 'profileVersionArn') as Record<string, string> })],
    ['missing jobArn', () => ({ method: 'GET', path: '/revocations', query: without(revQuery(), 'jobArn') as Record<string, string> })],
    ['missing certificateHashes', () => ({ method: 'GET', path: '/revocations', query: without(revQuery(), 'certificateHashes') as Record<string, string> })],
    ['signatureTimestamp that is not a date', () => ({ method: 'GET', path: '/revocations', query: { ...revQuery(), signatureTimestamp: 'yesterday' } })],
    ['an unknown platformId', () => ({ method: 'GET', path: '/revocations', query: { ...revQuery(), platformId: 'Nope' } })],
    ['a jobArn shorter than 20 characters', () => ({ method: 'GET', path: '/revocations', query: { ...revQuery(), jobArn: 'arn:x' } })],
    ['a jobArn that is a profile ARN', () => ({ method: 'GET', path: '/revocations', query: { ...revQuery(), jobArn: `arn:aws:signer:us-east-1:${acct}:/signing-profiles/bad_p` } })],
    ['a profileVersionArn without a version', () => ({ method: 'GET', path: '/revocations', query: { ...revQuery(), profileVersionArn: `arn:aws:signer:us-east-1:${acct}:/signing-profiles/bad_p` } })],
    ['a certificate hash of 191 hex digits', () => ({ method: 'GET', path: '/revocations', query: { ...revQuery(), certificateHashes: hash.slice(1) } })],
    ['a certificate hash with non-hex characters', () => ({ method: 'GET', path: '/revocations', query: { ...revQuery(), certificateHashes: 'zz'.repeat(96) } })],
    ['one bad hash among good ones', () => ({ method: 'GET', path: '/revocations', query: { ...revQuery(), certificateHashes: [hash, 'abc'] } })],
  ],
  GetSigningPlatform: [
    // PlatformId has no model constraints: an unknown id is not found.
    ['an unknown platformId', () => ({ method: 'GET', path: '/signing-platforms/NoSuch' }), 'ResourceNotFoundException'],
  ],
  GetSigningProfile: [
    ['a profileName of one character', () => ({ method: 'GET', path: '/signing-profiles/x' })],
    ['a profileOwner of 11 digits', () => ({ method: 'GET', path: '/signing-profiles/bad_p', query: { profileOwner: '12345678901' } })],
    ['a profileOwner with letters', () => ({ method: 'GET', path: '/signing-profiles/bad_p', query: { profileOwner: '12345678901a' } })],
    ['profileOwner given twice', () => ({ method: 'GET', path: '/signing-profiles/bad_p', query: { profileOwner: ['111122223333', '111122223334'] } })],
  ],
  ListProfilePermissions: [
    ['a profileName of one character', () => ({ method: 'GET', path: '/signing-profiles/x/permissions' })],
    ['a nextToken that was never issued', () => ({ method: 'GET', path: '/signing-profiles/bad_p/permissions', query: { nextToken: 'eyJrIjoiMjUifQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })],
    ['a nextToken without a MAC', () => ({ method: 'GET', path: '/signing-profiles/bad_p/permissions', query: { nextToken: 'garbage' } })],
  ],
  ListSigningJobs: [
    ['status not in the enum', () => ({ method: 'GET', path: '/signing-jobs', query: { status: 'Done' } })],
    ['maxResults that is not a number', () => ({ method: 'GET', path: '/signing-jobs', query: { maxResults: 'ten' } })],
    ['maxResults 1.5', () => ({ method: 'GET', path: '/signing-jobs', query: { maxResults: '1.5' } })],
    ['maxResults -1', () => ({ method: 'GET', path: '/signing-jobs', query: { maxResults: '-1' } })],
    ['isRevoked "yes"', () => ({ method: 'GET', path: '/signing-jobs', query: { isRevoked: 'yes' } })],
    ['signatureExpiresBefore that is not a date', () => ({ method: 'GET', path: '/signing-jobs', query: { signatureExpiresBefore: 'soon' } })],
    ['signatureExpiresAfter that is not a date', () => ({ method: 'GET', path: '/signing-jobs', query: { signatureExpiresAfter: '2024-13-45T99:00:00Z' } })],
    ['jobInvoker that is not an account id', () => ({ method: 'GET', path: '/signing-jobs', query: { jobInvoker: 'me' } })],
    ['a tampered nextToken', () => ({ method: 'GET', path: '/signing-jobs', query: { nextToken: 'x.y' } })],
    ['a nextToken with non-ASCII characters', () => ({ method: 'GET', path: '/signing-jobs', query: { nextToken: `ü.${'ü'.repeat(32)}` } })],
  ],
  ListSigningPlatforms: [
    ['maxResults 0', () => ({ method: 'GET', path: '/signing-platforms', query: { maxResults: '0' } })],
    ['maxResults 26', () => ({ method: 'GET', path: '/signing-platforms', query: { maxResults: '26' } })],
    ['maxResults that is not a number', () => ({ method: 'GET', path: '/signing-platforms', query: { maxResults: 'x' } })],
    ['a nextToken that was never issued', () => ({ method: 'GET', path: '/signing-platforms', query: { nextToken: 'abc' } })],
  ],
  ListSigningProfiles: [
    ['includeCanceled "maybe"', () => ({ method: 'GET', path: '/signing-profiles', query: { includeCanceled: 'maybe' } })],
    ['a status not in the enum', () => ({ method: 'GET', path: '/signing-profiles', query: { statuses: ['Active', 'Deleted'] } })],
    ['maxResults 26', () => ({ method: 'GET', path: '/signing-profiles', query: { maxResults: '26' } })],
    ['a nextToken that was never issued', () => ({ method: 'GET', path: '/signing-profiles', query: { nextToken: 'Zm9v.YmFy' } })],
    ['a nextToken with non-ASCII characters in its MAC', () => ({ method: 'GET', path: '/signing-profiles', query: { nextToken: `abc.${'é'.repeat(32)}` } })],
  ],
  ListTagsForResource: [
    ['an ARN that is not a signing profile ARN', () => ({ method: 'GET', path: `/tags/${encodeURIComponent('arn:aws:s3:::bucket')}` }), 'BadRequestException'],
  ],
  PutSigningProfile: [
    ['missing platformId', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: {} })],
    ['an empty body', () => ({ method: 'PUT', path: '/signing-profiles/bad_new' })],
    ['platformId as a number', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { platformId: 7 } })],
    ['platformId null', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { platformId: null } })],
    ['signingMaterial null', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, signingMaterial: null, platformId: 'AmazonFreeRTOS-Default' } })],
    ['signingMaterial as a string', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, signingMaterial: 'arn:aws:acm:...' } })],
    ['signingMaterial without certificateArn', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, signingMaterial: {} } })],
    ['signatureValidityPeriod.value as a string', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, signatureValidityPeriod: { value: '12', type: 'MONTHS' } } })],
    ['signatureValidityPeriod.value 1.5', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, signatureValidityPeriod: { value: 1.5, type: 'MONTHS' } } })],
    ['signatureValidityPeriod.type not in the enum', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, signatureValidityPeriod: { value: 1, type: 'WEEKS' } } })],
    ['signatureValidityPeriod as an array', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, signatureValidityPeriod: [1, 'MONTHS'] } })],
    ['overrides as a string', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, overrides: 'SHA384' } })],
    ['overrides null', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, overrides: null } }), 'ok'],
    ['signingParameters with a number value', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, signingParameters: { a: 1 } } })],
    ['signingParameters null', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, signingParameters: null } }), 'ok'],
    ['tags as an array', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, tags: [['k', 'v']] } })],
    ['tags null', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, tags: null } }), 'ok'],
    ['tags {} (the map needs at least one entry)', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, tags: {} } })],
    ['a tag key with a space', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, tags: { 'a b': 'v' } } })],
    ['a tag key of 129 characters', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, tags: { ['k'.repeat(129)]: 'v' } } })],
    ['a tag value as a number', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: { ...goodPut, tags: { k: 5 } } })],
    ['a signingParameters key the platform does not know (IoT)', () => ({
      method: 'PUT',
      path: '/signing-profiles/bad_new',
      body: { platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA', signingMaterial: { certificateArn: cert }, signingParameters: { nope: 'x' } },
    })],
    ['a body that is truncated JSON', () => ({ method: 'PUT', path: '/signing-profiles/bad_new', body: '{"platformId":' }), S],
  ],
  RemoveProfilePermission: [
    ['missing revisionId', () => ({ method: 'DELETE', path: '/signing-profiles/bad_p/permissions/s1' })],
    ['revisionId given twice', () => ({ method: 'DELETE', path: '/signing-profiles/bad_p/permissions/s1', query: { revisionId: ['a', 'b'] } })],
    ['a profileName of one character', () => ({ method: 'DELETE', path: '/signing-profiles/x/permissions/s1', query: { revisionId: 'r' } })],
  ],
  RevokeSignature: [
    ['missing reason', () => ({ method: 'PUT', path: `/signing-jobs/${jobId}/revoke`, body: {} })],
    ['an empty reason', () => ({ method: 'PUT', path: `/signing-jobs/${jobId}/revoke`, body: { reason: '' } })],
    ['reason as a number', () => ({ method: 'PUT', path: `/signing-jobs/${jobId}/revoke`, body: { reason: 42 } })],
    ['reason of 501 characters', () => ({ method: 'PUT', path: `/signing-jobs/${jobId}/revoke`, body: { reason: 'r'.repeat(501) } })],
    ['jobOwner that is not an account id', () => ({ method: 'PUT', path: `/signing-jobs/${jobId}/revoke`, body: { reason: 'x', jobOwner: 'owner' } })],
    ['a body that is a JSON string', () => ({ method: 'PUT', path: `/signing-jobs/${jobId}/revoke`, body: '"x"' }), S],
  ],
  RevokeSigningProfile: [
    ['missing effectiveTime', () => ({ method: 'PUT', path: '/signing-profiles/bad_p/revoke', body: { profileVersion: 'AAAAAAAAAA', reason: 'x' } })],
    ['effectiveTime as a word', () => ({ method: 'PUT', path: '/signing-profiles/bad_p/revoke', body: { profileVersion: 'AAAAAAAAAA', reason: 'x', effectiveTime: 'now' } })],
    ['effectiveTime as a boolean', () => ({ method: 'PUT', path: '/signing-profiles/bad_p/revoke', body: { profileVersion: 'AAAAAAAAAA', reason: 'x', effectiveTime: true } })],
    ['missing profileVersion', () => ({ method: 'PUT', path: '/signing-profiles/bad_p/revoke', body: { reason: 'x', effectiveTime: 1700000000 } })],
    ['profileVersion with a symbol', () => ({ method: 'PUT', path: '/signing-profiles/bad_p/revoke', body: { profileVersion: 'AAAAAAAAA-', reason: 'x', effectiveTime: 1700000000 } })],
    ['missing reason', () => ({ method: 'PUT', path: '/signing-profiles/bad_p/revoke', body: { profileVersion: 'AAAAAAAAAA', effectiveTime: 1700000000 } })],
    ['an empty reason', () => ({ method: 'PUT', path: '/signing-profiles/bad_p/revoke', body: { profileVersion: 'AAAAAAAAAA', reason: '', effectiveTime: 1700000000 } })],
  ],
  SignPayload: [
    ['missing payload', () => ({ method: 'POST', path: '/signing-jobs/with-payload', body: { profileName: 'bad_p', payloadFormat: 'x' } })],
    ['missing payloadFormat', () => ({ method: 'POST', path: '/signing-jobs/with-payload', body: { profileName: 'bad_p', payload: 'AQID' } })],
    ['missing profileName', () => ({ method: 'POST', path: '/signing-jobs/with-payload', body: { payload: 'AQID', payloadFormat: 'x' } })],
    ['payload that is not base64', () => ({ method: 'POST', path: '/signing-jobs/with-payload', body: { profileName: 'bad_p', payload: 'not base64!', payloadFormat: 'x' } })],
    ['payload as a number', () => ({ method: 'POST', path: '/signing-jobs/with-payload', body: { profileName: 'bad_p', payload: 123, payloadFormat: 'x' } })],
    ['an empty payload', () => ({ method: 'POST', path: '/signing-jobs/with-payload', body: { profileName: 'bad_p', payload: '', payloadFormat: 'x' } })],
    ['a payload of 4097 bytes', () => ({ method: 'POST', path: '/signing-jobs/with-payload', body: { profileName: 'bad_p', payload: Buffer.alloc(4097).toString('base64'), payloadFormat: 'x' } })],
    ['profileOwner that is not an account id', () => ({ method: 'POST', path: '/signing-jobs/with-payload', body: { profileName: 'bad_p', payload: 'AQID', payloadFormat: 'x', profileOwner: '1' } })],
  ],
  StartSigningJob: [
    ['missing source', () => ({ method: 'POST', path: '/signing-jobs', body: without(goodJob, 'source') })],
    ['missing destination', () => ({ method: 'POST', path: '/signing-jobs', body: without(goodJob, 'destination') })],
    ['missing profileName', () => ({ method: 'POST', path: '/signing-jobs', body: without(goodJob, 'profileName') })],
    ['missing clientRequestToken (the SDK fills it; raw clients must send it)', () => ({ method: 'POST', path: '/signing-jobs', body: without(goodJob, 'clientRequestToken') })],
    ['source.s3 without key', () => ({ method: 'POST', path: '/signing-jobs', body: { ...goodJob, source: { s3: { bucketName: 's', version: '1' } } } })],
    ['source.s3 without version', () => ({ method: 'POST', path: '/signing-jobs', body: { ...goodJob, source: { s3: { bucketName: 's', key: 'k' } } } })],
    ['source.s3.key as a number', () => ({ method: 'POST', path: '/signing-jobs', body: { ...goodJob, source: { s3: { bucketName: 's', key: 1, version: '1' } } } })],
    ['source null', () => ({ method: 'POST', path: '/signing-jobs', body: { ...goodJob, source: null } })],
    ['source.s3 null', () => ({ method: 'POST', path: '/signing-jobs', body: { ...goodJob, source: { s3: null } } })],
    ['destination as a string', () => ({ method: 'POST', path: '/signing-jobs', body: { ...goodJob, destination: 's3://d' } })],
    // The model pattern is start-anchored, so 'bad-p' passes validation; no profile can have that name: 404.
    ['profileName with a hyphen after a valid start', () => ({ method: 'POST', path: '/signing-jobs', body: { ...goodJob, profileName: 'bad-p' } }), 'ResourceNotFoundException'],
    ['profileName of one character', () => ({ method: 'POST', path: '/signing-jobs', body: { ...goodJob, profileName: 'b' } })],
    ['source {} (no s3 location)', () => ({ method: 'POST', path: '/signing-jobs', body: { ...goodJob, source: {} } })],
    ['profileOwner of 13 digits', () => ({ method: 'POST', path: '/signing-jobs', body: { ...goodJob, profileOwner: '1234567890123' } })],
  ],
  TagResource: [
    ['missing tags', () => ({ method: 'POST', path: `/tags/${encodeURIComponent(`arn:aws:signer:us-east-1:${acct}:/signing-profiles/bad_p`)}`, body: {} })],
    ['tags {}', () => ({ method: 'POST', path: `/tags/${encodeURIComponent(`arn:aws:signer:us-east-1:${acct}:/signing-profiles/bad_p`)}`, body: { tags: {} } })],
    ['tags as a list', () => ({ method: 'POST', path: `/tags/${encodeURIComponent(`arn:aws:signer:us-east-1:${acct}:/signing-profiles/bad_p`)}`, body: { tags: ['a'] } })],
    ['a tag value of 257 characters', () => ({ method: 'POST', path: `/tags/${encodeURIComponent(`arn:aws:signer:us-east-1:${acct}:/signing-profiles/bad_p`)}`, body: { tags: { k: 'v'.repeat(257) } } })],
    ['201 tags', () => ({
      method: 'POST',
      path: `/tags/${encodeURIComponent(`arn:aws:signer:us-east-1:${acct}:/signing-profiles/bad_p`)}`,
      body: { tags: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, 'v'])) },
    })],
  ],
  UntagResource: [
    ['missing tagKeys', () => ({ method: 'DELETE', path: `/tags/${encodeURIComponent(`arn:aws:signer:us-east-1:${acct}:/signing-profiles/bad_p`)}` })],
    ['a tag key with the aws: prefix', () => ({ method: 'DELETE', path: `/tags/${encodeURIComponent(`arn:aws:signer:us-east-1:${acct}:/signing-profiles/bad_p`)}`, query: { tagKeys: 'aws:x' } })],
    ['201 tag keys', () => ({
      method: 'DELETE',
      path: `/tags/${encodeURIComponent(`arn:aws:signer:us-east-1:${acct}:/signing-profiles/bad_p`)}`,
      query: { tagKeys: Array.from({ length: 201 }, (_, i) => `k${i}`) },
    })],
  ],
};

const STATUS: Record<string, number> = {
  ValidationException: 400,
  SerializationException: 400,
  ResourceNotFoundException: 404,
  BadRequestException: 400,
};

describe('bad inputs, one table per operation (signed raw HTTP)', () => {
  it('covers all 19 operations', () => {
    expect(Object.keys(TABLES)).toHaveLength(19);
  });

  for (const [op, rows] of Object.entries(TABLES)) {
    describe(op, () => {
      it.each(rows)(`[${op}] %s`, async (_description, request, errorType = V) => {
        const res = await rawRequest(t.url, { ...request(), credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey } });
        if (errorType === 'ok') {
          expect(res.status).toBe(200);
          return;
        }
        expectRawError(res, errorType, STATUS[errorType]!);
      });
    });
  }
});
