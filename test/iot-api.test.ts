/**
 * The AWS IoT control plane and the Jobs data plane over HTTP, through the official SDK clients
 * (@aws-sdk/client-iot, @aws-sdk/client-iot-jobs-data-plane) against a fresh server: every
 * implemented operation's happy path, its documented errors, model validation and pagination.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AddThingToThingGroupCommand,
  AttachThingPrincipalCommand,
  CancelJobCommand,
  CancelJobExecutionCommand,
  CreateJobCommand,
  CreateKeysAndCertificateCommand,
  CreateStreamCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteJobCommand,
  DeleteStreamCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeEndpointCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  DescribeStreamCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  DetachThingPrincipalCommand,
  GetJobDocumentCommand,
  ListCertificatesCommand,
  ListJobExecutionsForJobCommand,
  ListJobExecutionsForThingCommand,
  ListJobsCommand,
  ListStreamsCommand,
  ListThingGroupsCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  ListTagsForResourceCommand,
  ListThingsInThingGroupCommand,
  TagResourceCommand,
  UntagResourceCommand,
  RegisterCertificateWithoutCACommand,
  UpdateCertificateCommand,
  UpdateStreamCommand,
  UpdateThingCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import {
  DescribeJobExecutionCommand as DataDescribeJobExecutionCommand,
  GetPendingJobExecutionsCommand,
  StartNextPendingJobExecutionCommand,
  UpdateJobExecutionCommand,
  type IoTJobsDataPlaneClient,
} from '@aws-sdk/client-iot-jobs-data-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSdkError } from './support/errors.js';
import { sourceObject } from './support/fixtures.js';
import { allPages, iotClient, jobsDataClient } from './support/iot.js';
import { rawRequest } from './support/raw.js';
import { startTestServer, type TestAccount, type TestServer } from './support/server.js';

let t: TestServer;
let iot: IoTClient;
let data: IoTJobsDataPlaneClient;
beforeAll(async () => {
  t = await startTestServer();
  iot = iotClient(t);
  data = jobsDataClient(t);
});
afterAll(async () => t?.stop());

const thingArn = (name: string, who: TestAccount = t.admin) => `arn:aws:iot:${t.server.config.region}:${who.accountId}:thing/${name}`;

describe('things', () => {
  it('[CreateThing] [DescribeThing] [UpdateThing] [DeleteThing] a thing lives, changes version and goes away', async () => {
    const made = await iot.send(new CreateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { model: 'esp32', site: 'lab' } } }));
    expect(made.thingArn).toBe(thingArn('sensor-1'));
    expect(made.thingId).toMatch(/\S/);
    const d = await iot.send(new DescribeThingCommand({ thingName: 'sensor-1' }));
    expect(d).toMatchObject({ thingName: 'sensor-1', thingId: made.thingId, thingArn: made.thingArn, attributes: { model: 'esp32', site: 'lab' }, version: 1, defaultClientId: 'sensor-1' });

    await iot.send(new UpdateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { site: 'field' }, merge: true }, expectedVersion: 1 }));
    const d2 = await iot.send(new DescribeThingCommand({ thingName: 'sensor-1' }));
    expect(d2.attributes).toEqual({ model: 'esp32', site: 'field' });
    expect(d2.version).toBe(2);
    await expectSdkError(iot.send(new UpdateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { x: '1' } }, expectedVersion: 1 })), 'VersionConflictException', 409);
    await expectSdkError(iot.send(new DeleteThingCommand({ thingName: 'sensor-1', expectedVersion: 1 })), 'VersionConflictException', 409);

    await iot.send(new DeleteThingCommand({ thingName: 'sensor-1' }));
    await expectSdkError(iot.send(new DescribeThingCommand({ thingName: 'sensor-1' })), 'ResourceNotFoundException', 404);
  });

  it('[CreateThing] the same request again is idempotent; different attributes are ResourceAlreadyExistsException', async () => {
    const a = await iot.send(new CreateThingCommand({ thingName: 'twice', attributePayload: { attributes: { a: '1' } } }));
    const b = await iot.send(new CreateThingCommand({ thingName: 'twice', attributePayload: { attributes: { a: '1' } } }));
    expect(b.thingId).toBe(a.thingId);
    await expectSdkError(iot.send(new CreateThingCommand({ thingName: 'twice', attributePayload: { attributes: { a: '2' } } })), 'ResourceAlreadyExistsException', 409);
  });

  it('[CreateThing] [ListThings] names and limits are checked against the model (InvalidRequestException 400)', async () => {
    await expectSdkError(iot.send(new CreateThingCommand({ thingName: 'has space' })), 'InvalidRequestException', 400, /thingName.*regular expression/);
    await expectSdkError(iot.send(new CreateThingCommand({ thingName: 'x'.repeat(129) })), 'InvalidRequestException', 400, /length less than or equal to 128/);
    await expectSdkError(iot.send(new ListThingsCommand({ maxResults: 0 })), 'InvalidRequestException', 400, /greater than or equal to 1/);
    await expectSdkError(iot.send(new ListThingsCommand({ maxResults: 251 })), 'InvalidRequestException', 400, /less than or equal to 250/);
  });

  it('[ListThings] pages with nextToken cover every thing exactly once; attribute filter', async () => {
    for (let i = 0; i < 7; i++) await iot.send(new CreateThingCommand({ thingName: `paged-${i}`, attributePayload: { attributes: { batch: i % 2 ? 'odd' : 'even' } } }));
    const { items, pages } = await allPages(
      (nextToken) => iot.send(new ListThingsCommand({ maxResults: 2, nextToken })),
      (p) => p.things,
      (p) => p.nextToken,
    );
    const names = items.map((x) => x.thingName!).filter((n) => n.startsWith('paged-'));
    expect(names.sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `paged-${i}`));
    expect(new Set(items.map((x) => x.thingName)).size).toBe(items.length);
    expect(pages).toBeGreaterThanOrEqual(4);
    const odd = await iot.send(new ListThingsCommand({ attributeName: 'batch', attributeValue: 'odd' }));
    expect(odd.things!.map((x) => x.thingName).sort()).toEqual(['paged-1', 'paged-3', 'paged-5']);
    await expectSdkError(iot.send(new ListThingsCommand({ attributeName: 'batch', attributeValue: 'od', usePrefixAttributeValue: true })), 'InvalidRequestException', 400, /usePrefixAttributeValue/);
    expect(odd.things![0]).toMatchObject({ thingArn: expect.stringContaining(':thing/paged-'), version: 1, attributes: { batch: 'odd' } });
  });
});

describe('thing groups', () => {
  it('[CreateThingGroup] [DescribeThingGroup] [ListThingGroups] [AddThingToThingGroup] [ListThingsInThingGroup]', async () => {
    const g = await iot.send(
      new CreateThingGroupCommand({ thingGroupName: 'fleet', thingGroupProperties: { thingGroupDescription: 'all devices' }, tags: [{ Key: 'team', Value: 'fw' }] }),
    );
    expect(g.thingGroupArn).toBe(`arn:aws:iot:${t.server.config.region}:${t.admin.accountId}:thinggroup/fleet`);
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'fleet-eu', parentGroupName: 'fleet' }));
    const d = await iot.send(new DescribeThingGroupCommand({ thingGroupName: 'fleet-eu' }));
    expect(d).toMatchObject({ thingGroupName: 'fleet-eu', version: 1, thingGroupMetadata: { parentGroupName: 'fleet', rootToParentThingGroups: [{ groupName: 'fleet', groupArn: g.thingGroupArn }] } });
    expect(d.thingGroupMetadata!.creationDate).toBeInstanceOf(Date);
    const top = await iot.send(new DescribeThingGroupCommand({ thingGroupName: 'fleet' }));
    expect(top.thingGroupProperties).toEqual({ thingGroupDescription: 'all devices' });

    const list = await iot.send(new ListThingGroupsCommand({}));
    expect(list.thingGroups!.map((x) => x.groupName).sort()).toEqual(['fleet', 'fleet-eu']);
    const children = await iot.send(new ListThingGroupsCommand({ parentGroup: 'fleet' }));
    expect(children.thingGroups!.map((x) => x.groupName)).toEqual(['fleet-eu']);

    await iot.send(new CreateThingCommand({ thingName: 'g-1' }));
    await iot.send(new CreateThingCommand({ thingName: 'g-2' }));
    await iot.send(new AddThingToThingGroupCommand({ thingName: 'g-1', thingGroupName: 'fleet' }));
    // The ARN forms of AddThingToThingGroup.
    await iot.send(new AddThingToThingGroupCommand({ thingArn: thingArn('g-2'), thingGroupArn: g.thingGroupArn }));
    const members = await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: 'fleet' }));
    expect(members.things!.sort()).toEqual(['g-1', 'g-2']);
    const page1 = await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: 'fleet', maxResults: 1 }));
    expect(page1.things).toHaveLength(1);
    const page2 = await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: 'fleet', maxResults: 1, nextToken: page1.nextToken }));
    expect([...page1.things!, ...page2.things!].sort()).toEqual(['g-1', 'g-2']);
  });

  it('[AddThingToThingGroup] [DescribeThingGroup] [CreateThingGroup] unknown names and duplicates', async () => {
    await expectSdkError(iot.send(new AddThingToThingGroupCommand({ thingName: 'no-such-thing', thingGroupName: 'fleet' })), 'ResourceNotFoundException', 404);
    await expectSdkError(iot.send(new AddThingToThingGroupCommand({ thingName: 'g-1', thingGroupName: 'no-such-group' })), 'ResourceNotFoundException', 404);
    await expectSdkError(iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'fleet' })), 'InvalidRequestException', 400);
    await expectSdkError(iot.send(new DescribeThingGroupCommand({ thingGroupName: 'nope' })), 'ResourceNotFoundException', 404);
    await expectSdkError(iot.send(new CreateThingGroupCommand({ thingGroupName: 'fleet', thingGroupProperties: { thingGroupDescription: 'other' } })), 'ResourceAlreadyExistsException', 409);
    await expectSdkError(iot.send(new ListThingsInThingGroupCommand({ thingGroupName: 'nope' })), 'ResourceNotFoundException', 404);
  });
});

describe('certificates and principals', () => {
  it('[CreateKeysAndCertificate] [DescribeCertificate] a P-256 key pair once, and a certificate the device CA signed', async () => {
    const c = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const x = new X509Certificate(c.certificatePem!);
    expect(c.certificateId).toBe(createHash('sha256').update(x.raw).digest('hex'));
    expect(c.certificateArn).toBe(`arn:aws:iot:${t.server.config.region}:${t.admin.accountId}:cert/${c.certificateId}`);
    expect(c.keyPair!.PrivateKey).toMatch(/-----BEGIN (EC |)PRIVATE KEY-----/);
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const d = await iot.send(new DescribeCertificateCommand({ certificateId: c.certificateId }));
    expect(d.certificateDescription).toMatchObject({ certificateId: c.certificateId, certificateArn: c.certificateArn, status: 'ACTIVE', certificatePem: c.certificatePem, ownedBy: t.admin.accountId });
    expect(JSON.stringify(d)).not.toContain('PRIVATE KEY');
    expect(d.certificateDescription!.validity!.notAfter!.getTime()).toBeGreaterThan(Date.now());
  });

  it('[UpdateCertificate] ACTIVE → INACTIVE → ACTIVE → REVOKED; REVOKED cannot come back (CertificateStateException 406)', async () => {
    const c = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }));
    const status = async () => (await iot.send(new DescribeCertificateCommand({ certificateId: c.certificateId }))).certificateDescription!.status;
    expect(await status()).toBe('INACTIVE');
    await iot.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'ACTIVE' }));
    expect(await status()).toBe('ACTIVE');
    await iot.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'REVOKED' }));
    expect(await status()).toBe('REVOKED');
    await expectSdkError(iot.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'ACTIVE' })), 'CertificateStateException', 406);
    await expectSdkError(iot.send(new UpdateCertificateCommand({ certificateId: 'ab'.repeat(32), newStatus: 'ACTIVE' })), 'ResourceNotFoundException', 404);
    await expectSdkError(iot.send(new DescribeCertificateCommand({ certificateId: 'short' })), 'InvalidRequestException', 400, /length greater than or equal to 64/);
  });

  it('[RegisterCertificateWithoutCA] an openssl-made certificate; twice is ResourceAlreadyExistsException; garbage is rejected', async () => {
    const dir = mkdtempSync(join(t.dataDir, 'ossl-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=byo-device', '-days', '2'], { stdio: 'ignore' });
    const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
    const r = await iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: pem, status: 'ACTIVE' }));
    expect(r.certificateId).toBe(createHash('sha256').update(new X509Certificate(pem).raw).digest('hex'));
    const d = await iot.send(new DescribeCertificateCommand({ certificateId: r.certificateId }));
    expect(d.certificateDescription).toMatchObject({ status: 'ACTIVE', certificateMode: 'SNI_ONLY' });
    await expectSdkError(iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: pem })), 'ResourceAlreadyExistsException', 409);
    const bad = await expectSdkError(iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' })), 'CertificateValidationException', 400);
    expect(bad.message).not.toMatch(/at .*\.ts/);
  });

  it('[ListCertificates] pages by pageSize/marker; newest first unless ascendingOrder', async () => {
    for (let i = 0; i < 3; i++) await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const { items, pages } = await allPages(
      (marker) => iot.send(new ListCertificatesCommand({ pageSize: 2, marker })),
      (p) => p.certificates,
      (p) => p.nextMarker,
    );
    expect(items.length).toBeGreaterThanOrEqual(6);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(items.map((c) => c.certificateId)).size).toBe(items.length);
    for (const c of items) expect(c).toMatchObject({ certificateArn: expect.stringContaining(':cert/'), status: expect.any(String), creationDate: expect.any(Date) });
    const asc = await iot.send(new ListCertificatesCommand({ ascendingOrder: true, pageSize: 250 }));
    const desc = await iot.send(new ListCertificatesCommand({ pageSize: 250 }));
    const times = (l: typeof items) => l.map((c) => c.creationDate!.getTime());
    expect(times(asc.certificates!)).toEqual([...times(asc.certificates!)].sort((a, b) => a - b));
    expect(times(desc.certificates!)).toEqual([...times(desc.certificates!)].sort((a, b) => b - a));
  });

  it('[AttachThingPrincipal] [ListThingPrincipals] [DetachThingPrincipal] principal in the x-amzn-principal header', async () => {
    await iot.send(new CreateThingCommand({ thingName: 'dev-p' }));
    const c = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'dev-p', principal: c.certificateArn }));
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'dev-p' }))).principals).toEqual([c.certificateArn]);
    await iot.send(new DetachThingPrincipalCommand({ thingName: 'dev-p', principal: c.certificateArn }));
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'dev-p' }))).principals ?? []).toEqual([]);
    await expectSdkError(iot.send(new AttachThingPrincipalCommand({ thingName: 'no-such', principal: c.certificateArn })), 'ResourceNotFoundException', 404);
    await expectSdkError(
      iot.send(new AttachThingPrincipalCommand({ thingName: 'dev-p', principal: `arn:aws:iot:${t.server.config.region}:${t.admin.accountId}:cert/${'0'.repeat(64)}` })),
      'ResourceNotFoundException',
      404,
    );
    await expectSdkError(iot.send(new ListThingPrincipalsCommand({ thingName: 'no-such' })), 'ResourceNotFoundException', 404);
  });
});

describe('DescribeEndpoint', () => {
  it('[DescribeEndpoint] iot:Data-ATS is the TLS broker named in <data>/endpoints.json; unknown types are InvalidRequestException', async () => {
    const ep = JSON.parse(readFileSync(join(t.dataDir, 'endpoints.json'), 'utf8')) as Record<string, unknown>;
    const ats = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
    expect(ats.endpointAddress).toMatch(/^[\w.-]+(:\d+)?$/);
    expect(JSON.stringify(ep)).toContain(ats.endpointAddress!.split(':')[0]!);
    const jobs = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Jobs' }));
    expect(`http://${jobs.endpointAddress}`).toBe(t.url);
    await expectSdkError(iot.send(new DescribeEndpointCommand({ endpointType: 'iot:CredentialProvider' })), 'InvalidRequestException', 400);
  });
});

describe('streams', () => {
  it('[CreateStream] [DescribeStream] [ListStreams] [UpdateStream] [DeleteStream]', async () => {
    const src = await sourceObject(t, t.admin, 'fw/stream.bin', new Uint8Array(5000).fill(7));
    const roleArn = `arn:aws:iam::${t.admin.accountId}:role/ota`;
    const s3Location = { bucket: src.bucketName, key: src.key, version: src.version };
    const made = await iot.send(new CreateStreamCommand({ streamId: 'fw-stream', description: 'v1', files: [{ fileId: 0, s3Location }], roleArn, tags: [{ Key: 'k', Value: 'v' }] }));
    expect(made).toMatchObject({ streamId: 'fw-stream', streamVersion: 1, description: 'v1', streamArn: `arn:aws:iot:${t.server.config.region}:${t.admin.accountId}:stream/fw-stream` });
    const d = await iot.send(new DescribeStreamCommand({ streamId: 'fw-stream' }));
    expect(d.streamInfo).toMatchObject({ streamId: 'fw-stream', streamVersion: 1, files: [{ fileId: 0, s3Location: { bucket: src.bucketName, key: src.key } }], roleArn });
    expect(d.streamInfo!.createdAt).toBeInstanceOf(Date);
    await expectSdkError(iot.send(new CreateStreamCommand({ streamId: 'fw-stream', files: [{ fileId: 0, s3Location }], roleArn })), 'ResourceAlreadyExistsException', 409);

    const u = await iot.send(new UpdateStreamCommand({ streamId: 'fw-stream', description: 'v2' }));
    expect(u).toMatchObject({ streamId: 'fw-stream', streamVersion: 2, description: 'v2' });
    const list = await iot.send(new ListStreamsCommand({}));
    expect(list.streams!.find((s) => s.streamId === 'fw-stream')).toMatchObject({ streamVersion: 2, description: 'v2' });

    await iot.send(new DeleteStreamCommand({ streamId: 'fw-stream' }));
    await expectSdkError(iot.send(new DescribeStreamCommand({ streamId: 'fw-stream' })), 'ResourceNotFoundException', 404);
    await expectSdkError(iot.send(new DeleteStreamCommand({ streamId: 'fw-stream' })), 'ResourceNotFoundException', 404);
  });

  it('[CreateStream] a missing object, no files, or a bad fileId is refused', async () => {
    const roleArn = `arn:aws:iam::${t.admin.accountId}:role/ota`;
    await expectSdkError(iot.send(new CreateStreamCommand({ streamId: 'empty', files: [], roleArn })), 'InvalidRequestException', 400);
    await expectSdkError(iot.send(new CreateStreamCommand({ streamId: 'badid', files: [{ fileId: 256, s3Location: { bucket: 'b', key: 'k' } }], roleArn })), 'InvalidRequestException', 400, /255/);
    await expectSdkError(iot.send(new CreateStreamCommand({ streamId: 'gone', files: [{ fileId: 0, s3Location: { bucket: 'no-such-bucket', key: 'k' } }], roleArn })), 'InvalidRequestException', 400, /no-such-bucket/);
    await expectSdkError(iot.send(new DescribeStreamCommand({ streamId: 'gone' })), 'ResourceNotFoundException', 404);
  });
});

describe('jobs, executions and the Jobs data plane', () => {
  const doc = JSON.stringify({ operation: 'reboot', delay: 5 });

  it('[CreateJob] [DescribeJob] [GetJobDocument] [ListJobs] [DescribeJobExecution] [ListJobExecutionsForJob] [ListJobExecutionsForThing]', async () => {
    await iot.send(new CreateThingCommand({ thingName: 'j-1' }));
    await iot.send(new CreateThingCommand({ thingName: 'j-2' }));
    const j = await iot.send(new CreateJobCommand({ jobId: 'reboot-1', targets: [thingArn('j-1'), thingArn('j-2')], document: doc, description: 'reboot', tags: [{ Key: 'k', Value: 'v' }] }));
    expect(j).toEqual(expect.objectContaining({ jobId: 'reboot-1', jobArn: `arn:aws:iot:${t.server.config.region}:${t.admin.accountId}:job/reboot-1`, description: 'reboot' }));
    const d = await iot.send(new DescribeJobCommand({ jobId: 'reboot-1' }));
    expect(d.job).toMatchObject({ jobId: 'reboot-1', status: 'IN_PROGRESS', targetSelection: 'SNAPSHOT', targets: [thingArn('j-1'), thingArn('j-2')], jobProcessDetails: { numberOfQueuedThings: 2 } });
    expect((await iot.send(new GetJobDocumentCommand({ jobId: 'reboot-1' }))).document).toBe(doc);
    expect((await iot.send(new ListJobsCommand({ status: 'IN_PROGRESS' }))).jobs!.map((x) => x.jobId)).toContain('reboot-1');

    const e = await iot.send(new DescribeJobExecutionCommand({ jobId: 'reboot-1', thingName: 'j-1' }));
    expect(e.execution).toMatchObject({ jobId: 'reboot-1', status: 'QUEUED', thingArn: thingArn('j-1'), executionNumber: 1, versionNumber: 1 });
    const forJob = await iot.send(new ListJobExecutionsForJobCommand({ jobId: 'reboot-1' }));
    expect(forJob.executionSummaries!.map((s) => s.thingArn).sort()).toEqual([thingArn('j-1'), thingArn('j-2')]);
    const p1 = await iot.send(new ListJobExecutionsForJobCommand({ jobId: 'reboot-1', maxResults: 1 }));
    expect(p1.executionSummaries).toHaveLength(1);
    expect(p1.nextToken).toBeTruthy();
    const forThing = await iot.send(new ListJobExecutionsForThingCommand({ thingName: 'j-1' }));
    expect(forThing.executionSummaries).toEqual([expect.objectContaining({ jobId: 'reboot-1', jobExecutionSummary: expect.objectContaining({ status: 'QUEUED', executionNumber: 1 }) })]);

    await expectSdkError(iot.send(new CreateJobCommand({ jobId: 'reboot-1', targets: [thingArn('j-1')], document: doc })), 'ResourceAlreadyExistsException', 409);
    await expectSdkError(iot.send(new DescribeJobCommand({ jobId: 'no-such-job' })), 'ResourceNotFoundException', 404);
    await expectSdkError(iot.send(new DescribeJobExecutionCommand({ jobId: 'reboot-1', thingName: 'no-such' })), 'ResourceNotFoundException', 404);
    await expectSdkError(iot.send(new CreateJobCommand({ jobId: 'bad id!', targets: [thingArn('j-1')], document: doc })), 'InvalidRequestException', 400);
    await expectSdkError(iot.send(new CreateJobCommand({ jobId: 'no-doc', targets: [thingArn('j-1')] })), 'InvalidRequestException', 400);
    await expectSdkError(iot.send(new CreateJobCommand({ jobId: 'not-json', targets: [thingArn('j-1')], document: '{not json' })), 'InvalidRequestException', 400);
    await expectSdkError(iot.send(new CreateJobCommand({ jobId: 'sched', targets: [thingArn('j-1')], document: doc, schedulingConfig: { startTime: '2030-01-01T00:00' } })), 'InvalidRequestException', 400, /schedulingConfig/);
    await expectSdkError(iot.send(new DescribeJobCommand({ jobId: 'sched' })), 'ResourceNotFoundException', 404);
  });

  it('[GetPendingJobExecutions] [StartNextPendingJobExecution] [UpdateJobExecution] [DescribeJobExecution] the device side over HTTP', async () => {
    await iot.send(new CreateThingCommand({ thingName: 'dp-1' }));
    await iot.send(new CreateJobCommand({ jobId: 'dp-job', targets: [thingArn('dp-1')], document: doc }));
    const pending = await data.send(new GetPendingJobExecutionsCommand({ thingName: 'dp-1' }));
    expect(pending.queuedJobs!.map((x) => x.jobId)).toEqual(['dp-job']);
    expect(pending.inProgressJobs).toEqual([]);
    expect(typeof pending.queuedJobs![0]!.queuedAt).toBe('number');

    const started = await data.send(new StartNextPendingJobExecutionCommand({ thingName: 'dp-1', statusDetails: { step: 'download' } }));
    expect(started.execution).toMatchObject({ jobId: 'dp-job', thingName: 'dp-1', status: 'IN_PROGRESS', statusDetails: { step: 'download' }, jobDocument: doc });
    const v = started.execution!.versionNumber!;

    // Same method and path as the control plane's DescribeJobExecution: told apart by the SigV4 service name.
    const dev = await data.send(new DataDescribeJobExecutionCommand({ thingName: 'dp-1', jobId: 'dp-job', includeJobDocument: true }));
    expect(dev.execution).toMatchObject({ thingName: 'dp-1', status: 'IN_PROGRESS', statusDetails: { step: 'download' }, jobDocument: doc, versionNumber: v });
    const ctl = await iot.send(new DescribeJobExecutionCommand({ thingName: 'dp-1', jobId: 'dp-job' }));
    expect(ctl.execution).toMatchObject({ thingArn: thingArn('dp-1'), status: 'IN_PROGRESS', statusDetails: { detailsMap: { step: 'download' } } });

    // The data-plane model names no version error; the MQTT API's VersionMismatch travels as ConflictException 409.
    await expectSdkError(data.send(new UpdateJobExecutionCommand({ thingName: 'dp-1', jobId: 'dp-job', status: 'SUCCEEDED', expectedVersion: v + 5 })), 'ConflictException', 409);
    expect((await data.send(new DataDescribeJobExecutionCommand({ thingName: 'dp-1', jobId: 'dp-job' }))).execution!.status).toBe('IN_PROGRESS');
    const done = await data.send(new UpdateJobExecutionCommand({ thingName: 'dp-1', jobId: 'dp-job', status: 'SUCCEEDED', expectedVersion: v, includeJobExecutionState: true, statusDetails: { step: 'done' } }));
    expect(done.executionState).toMatchObject({ status: 'SUCCEEDED', statusDetails: { step: 'done' }, versionNumber: v + 1 });
    await expectSdkError(data.send(new UpdateJobExecutionCommand({ thingName: 'dp-1', jobId: 'dp-job', status: 'IN_PROGRESS' })), 'InvalidStateTransitionException', 409);
    expect((await data.send(new StartNextPendingJobExecutionCommand({ thingName: 'dp-1' }))).execution).toBeUndefined();
    await expectSdkError(data.send(new GetPendingJobExecutionsCommand({ thingName: 'bad name' })), 'InvalidRequestException', 400);
    await expectSdkError(data.send(new DataDescribeJobExecutionCommand({ thingName: 'dp-1', jobId: 'no-such-job' })), 'ResourceNotFoundException', 404);
  });

  it('[CancelJobExecution] [CancelJob] [DeleteJob] QUEUED cancels; IN_PROGRESS needs force; delete', async () => {
    await iot.send(new CreateThingCommand({ thingName: 'c-1' }));
    await iot.send(new CreateThingCommand({ thingName: 'c-2' }));
    await iot.send(new CreateJobCommand({ jobId: 'cancel-me', targets: [thingArn('c-1'), thingArn('c-2')], document: doc }));
    await iot.send(new CancelJobExecutionCommand({ jobId: 'cancel-me', thingName: 'c-1' }));
    expect((await iot.send(new DescribeJobExecutionCommand({ jobId: 'cancel-me', thingName: 'c-1' }))).execution!.status).toBe('CANCELED');
    await data.send(new StartNextPendingJobExecutionCommand({ thingName: 'c-2' }));
    await expectSdkError(iot.send(new CancelJobExecutionCommand({ jobId: 'cancel-me', thingName: 'c-2' })), 'InvalidStateTransitionException', 409);

    const canceled = await iot.send(new CancelJobCommand({ jobId: 'cancel-me', comment: 'no longer needed' }));
    expect(canceled.jobId).toBe('cancel-me');
    expect((await iot.send(new DescribeJobCommand({ jobId: 'cancel-me' }))).job).toMatchObject({ status: 'CANCELED', comment: 'no longer needed' });
    // Without force the device's IN_PROGRESS execution keeps going.
    expect((await iot.send(new DescribeJobExecutionCommand({ jobId: 'cancel-me', thingName: 'c-2' }))).execution!.status).toBe('IN_PROGRESS');
    await iot.send(new CancelJobCommand({ jobId: 'cancel-me', force: true }));
    expect((await iot.send(new DescribeJobExecutionCommand({ jobId: 'cancel-me', thingName: 'c-2' }))).execution).toMatchObject({ status: 'CANCELED', forceCanceled: true });

    await iot.send(new DeleteJobCommand({ jobId: 'cancel-me' }));
    await expectSdkError(iot.send(new DescribeJobCommand({ jobId: 'cancel-me' })), 'ResourceNotFoundException', 404);
    await expectSdkError(iot.send(new CancelJobCommand({ jobId: 'cancel-me' })), 'ResourceNotFoundException', 404);
  });
});

describe('tags', () => {
  it('[TagResource] [UntagResource] [ListTagsForResource] tags given at creation are kept; tag, untag, page', async () => {
    const g = await iot.send(new CreateThingGroupCommand({ thingGroupName: 'tagged', tags: [{ Key: 'team', Value: 'fw' }, { Key: 'flag' }] }));
    const arn = g.thingGroupArn!;
    expect((await iot.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual([{ Key: 'flag' }, { Key: 'team', Value: 'fw' }]);
    await iot.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'team', Value: 'ota' }, { Key: 'cost', Value: '42' }] }));
    await iot.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['flag'] }));
    expect((await iot.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual([{ Key: 'cost', Value: '42' }, { Key: 'team', Value: 'ota' }]);

    const many = Array.from({ length: 49 }, (_, i) => ({ Key: `k${String(i).padStart(2, '0')}`, Value: String(i) }));
    await expectSdkError(iot.send(new TagResourceCommand({ resourceArn: arn, tags: many })), 'LimitExceededException', 410);
    await expectSdkError(iot.send(new CreateThingGroupCommand({ thingGroupName: 'too-many', tags: [...many, { Key: 'a' }, { Key: 'b' }] })), 'LimitExceededException', 410);
    await expectSdkError(iot.send(new DescribeThingGroupCommand({ thingGroupName: 'too-many' })), 'ResourceNotFoundException', 404);
    await expectSdkError(iot.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'bad key!' }] })), 'InvalidRequestException', 400, /tags\.1\.member\.Key/);
    await expectSdkError(iot.send(new TagResourceCommand({ resourceArn: arn.replace('tagged', 'nope'), tags: [{ Key: 'a' }] })), 'ResourceNotFoundException', 404);
    await expectSdkError(iot.send(new ListTagsForResourceCommand({ resourceArn: thingArn('g-1') })), 'InvalidRequestException', 400);
    await expectSdkError(iot.send(new ListTagsForResourceCommand({ resourceArn: 'not-an-arn' })), 'InvalidRequestException', 400);
  });

  it('[CreateJob] [DeleteJob] [ListTagsForResource] a job keeps its tags until it is deleted; a new job of the same id starts untagged', async () => {
    await iot.send(new CreateThingCommand({ thingName: 'tag-dev' }));
    const j = await iot.send(new CreateJobCommand({ jobId: 'tagged-job', targets: [thingArn('tag-dev')], document: '{}', tags: [{ Key: 'wave', Value: '1' }] }));
    expect((await iot.send(new ListTagsForResourceCommand({ resourceArn: j.jobArn }))).tags).toEqual([{ Key: 'wave', Value: '1' }]);
    await iot.send(new DeleteJobCommand({ jobId: 'tagged-job', force: true }));
    for (;;) {
      try {
        await iot.send(new DescribeJobCommand({ jobId: 'tagged-job' }));
        await new Promise((r) => setTimeout(r, 50));
      } catch {
        break;
      }
    }
    await iot.send(new CreateJobCommand({ jobId: 'tagged-job', targets: [thingArn('tag-dev')], document: '{}' }));
    expect((await iot.send(new ListTagsForResourceCommand({ resourceArn: j.jobArn }))).tags ?? []).toEqual([]);
  });
});

describe('the wire: error shape, SigV4 service names, accounts', () => {
  it('errors are restJson1: x-amzn-ErrorType, x-amzn-RequestId and a {message} body', async () => {
    const r = await rawRequest(t.url, { method: 'GET', path: '/things/nobody-here', credentials: t.admin, service: 'iot' });
    expect(r.status).toBe(404);
    expect(r.errorType).toBe('ResourceNotFoundException');
    expect(r.requestId).toMatch(/\S/);
    expect(r.json).toEqual({ message: expect.stringMatching(/nobody-here/) });
  });

  it('IoT accepts SigV4 service names iot and execute-api (Debian aws CLI 2.9.19), and refuses others', async () => {
    await iot.send(new CreateThingCommand({ thingName: 'sig-1' }));
    for (const service of ['iot', 'execute-api']) {
      const r = await rawRequest(t.url, { method: 'GET', path: '/things/sig-1', credentials: t.admin, service });
      expect({ service, status: r.status, thing: r.json?.thingName }).toEqual({ service, status: 200, thing: 'sig-1' });
    }
    for (const service of ['signer', 'iot-jobs-data', 's3']) {
      const r = await rawRequest(t.url, { method: 'GET', path: '/things/sig-1', credentials: t.admin, service });
      expect({ service, status: r.status, type: r.errorType }).toEqual({ service, status: 403, type: 'InvalidSignatureException' });
    }
    const unsigned = await rawRequest(t.url, { method: 'GET', path: '/things/sig-1' });
    expect({ status: unsigned.status, type: unsigned.errorType }).toEqual({ status: 403, type: 'MissingAuthenticationTokenException' });
  });

  it('the Signer API keeps its own service name and error types beside IoT', async () => {
    const r = await rawRequest(t.url, { method: 'GET', path: '/signing-platforms', credentials: t.admin, service: 'iot' });
    expect({ status: r.status, type: r.errorType }).toEqual({ status: 403, type: 'InvalidSignatureException' });
    const ok = await rawRequest(t.url, { method: 'GET', path: '/signing-platforms', credentials: t.admin, service: 'signer' });
    expect(ok.status).toBe(200);
  });

  it('a body that is not JSON, and wrong JSON types, are InvalidRequestException', async () => {
    const r = await rawRequest(t.url, { method: 'POST', path: '/things/json-1', body: '{nope', credentials: t.admin, service: 'iot' });
    expect({ status: r.status, type: r.errorType }).toEqual({ status: 400, type: 'InvalidRequestException' });
    const r2 = await rawRequest(t.url, { method: 'POST', path: '/things/json-2', body: { attributePayload: { attributes: { a: 5 } } }, credentials: t.admin, service: 'iot' });
    expect({ status: r2.status, type: r2.errorType }).toEqual({ status: 400, type: 'InvalidRequestException' });
    expect(r2.json?.message).toMatch(/attributePayload\.attributes\.a/);
  });

  it('[ListThings] a burst beyond the throttle bucket is ThrottlingException (the status the IoT model gives it)', async () => {
    const slow = await startTestServer({ env: { SIGNER_THROTTLE_RPS: '1', SIGNER_THROTTLE_BURST: '2' } });
    try {
      const client = iotClient(slow);
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => client.send(new ListThingsCommand({}))));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as { name: string; $metadata: { httpStatusCode: number } });
      expect(results.length - rejected.length).toBeGreaterThanOrEqual(2);
      expect(rejected.length).toBeGreaterThanOrEqual(1);
      for (const e of rejected) expect({ name: e.name, status: e.$metadata.httpStatusCode }).toEqual({ name: 'ThrottlingException', status: 400 });
    } finally {
      await slow.stop();
    }
  });

  it('each account sees only its own things, certificates and jobs', async () => {
    const other = await t.newAccount('iot-other');
    const theirs = iotClient(t, other);
    await iot.send(new CreateThingCommand({ thingName: 'mine-only' }));
    await expectSdkError(theirs.send(new DescribeThingCommand({ thingName: 'mine-only' })), 'ResourceNotFoundException', 404);
    const made = await theirs.send(new CreateThingCommand({ thingName: 'mine-only' }));
    expect(made.thingArn).toBe(thingArn('mine-only', other));
    expect((await theirs.send(new ListThingsCommand({}))).things!.map((x) => x.thingName)).toEqual(['mine-only']);
  });
});
