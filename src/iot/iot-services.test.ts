import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJobMessage } from '../../simulator/ota-wire/index.js';
import { loadOrCreateLocalCa } from '../keys/index.js';
import { SecretBox } from '../accounts/index.js';

const TEST_SEALER = new SecretBox(new Uint8Array(32).fill(9), 'test-ca-keys');
import { createFsObjectStore, type ObjectStore } from '../objects/index.js';
import { openSqlite, type SqliteDatabase } from '../store/sqlite.js';
import { createIotServices, type IotRuntime } from './create-iot-services.js';
import { isIotError, type IotErrorCode } from './iot-error.js';
import type { IotEvent } from './iot.types.js';
import type { OtaSigning } from './ota-updates-service.js';

const ctx = { accountId: '123456789012', region: 'us-east-1' };
const thingArn = (t: string) => `arn:aws:iot:us-east-1:123456789012:thing/${t}`;
const groupArn = (g: string) => `arn:aws:iot:us-east-1:123456789012:thinggroup/${g}`;
const ROLE = 'arn:aws:iam::123456789012:role/ota';

/** No Signer in these unit tests: CreateOTAUpdate paths through the Signer are tested with the server (test/ota-*.test.ts). */
const noSigner: OtaSigning = {
  startSigningJob: async () => {
    throw new Error('not used');
  },
  describeSigningJob: async () => ({ status: 'Failed', reason: 'no signer in this test' }),
};

async function expectCode(p: Promise<unknown>, code: IotErrorCode): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isIotError(e)) throw e;
    expect(e.code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

let dir: string;
let db: SqliteDatabase;
let objects: ObjectStore;
let iot: IotRuntime;
let clock: Date;
let events: IotEvent[];

async function open(): Promise<IotRuntime> {
  db = openSqlite(join(dir, 'state.db'));
  const services = createIotServices({ db, objects, signing: noSigner, deviceCa: await loadOrCreateLocalCa(join(dir, 'ca'), 'device-ca', 'Device CA', TEST_SEALER), region: ctx.region, now: () => clock });
  services.events.subscribe((e) => events.push(e));
  return services;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iot-'));
  objects = await createFsObjectStore({ root: join(dir, 'objects') });
  clock = new Date('2026-01-01T00:00:00Z');
  events = [];
  iot = await open();
});
afterEach(async () => {
  await iot.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('things and groups', () => {
  it('creates, updates with expectedVersion, lists and deletes', async () => {
    const t = await iot.things.createThing(ctx, { thingName: 'dev-1', attributePayload: { attributes: { model: 'a' } } });
    expect(t).toMatchObject({ thingName: 'dev-1', thingArn: thingArn('dev-1'), version: 1, attributes: { model: 'a' } });
    expect(await iot.things.createThing(ctx, { thingName: 'dev-1', attributePayload: { attributes: { model: 'a' } } })).toEqual(t);
    await expectCode(iot.things.createThing(ctx, { thingName: 'dev-1', attributePayload: { attributes: { model: 'b' } } }), 'ResourceAlreadyExistsException');
    await expectCode(iot.things.createThing(ctx, { thingName: 'bad name' }), 'InvalidRequestException');
    await expectCode(iot.things.updateThing(ctx, { thingName: 'dev-1', expectedVersion: 7 }), 'VersionConflictException');
    const u = await iot.things.updateThing(ctx, { thingName: 'dev-1', expectedVersion: 1, attributePayload: { attributes: { rev: '2', model: '' }, merge: true } });
    expect(u).toMatchObject({ version: 2, attributes: { rev: '2' } });
    for (let i = 0; i < 5; i++) await iot.things.createThing(ctx, { thingName: `x-${i}` });
    const p1 = await iot.things.listThings(ctx, { maxResults: 4 });
    expect(p1.items).toHaveLength(4);
    const p2 = await iot.things.listThings(ctx, { maxResults: 4, nextToken: p1.nextToken! });
    expect(p2.items.map((x) => x.thingName)).toEqual(['x-3', 'x-4']);
    expect(p2.nextToken).toBeUndefined();
    await expectCode(iot.things.listThings(ctx, { nextToken: 'garbage' }), 'InvalidRequestException');
    await iot.things.deleteThing(ctx, { thingName: 'dev-1' });
    await expectCode(iot.things.describeThing(ctx, 'dev-1'), 'ResourceNotFoundException');
  });
  it('groups nest; listing a group recursively finds things of subgroups', async () => {
    await iot.things.createThingGroup(ctx, { thingGroupName: 'fleet' });
    await iot.things.createThingGroup(ctx, { thingGroupName: 'eu', parentGroupName: 'fleet' });
    await expectCode(iot.things.createThingGroup(ctx, { thingGroupName: 'x', parentGroupName: 'nope' }), 'ResourceNotFoundException');
    await iot.things.createThing(ctx, { thingName: 'a' });
    await iot.things.createThing(ctx, { thingName: 'b' });
    await iot.things.addThingToThingGroup(ctx, { thingName: 'a', thingGroupName: 'fleet' });
    await iot.things.addThingToThingGroup(ctx, { thingName: 'b', thingGroupName: 'eu' });
    expect((await iot.things.listThingsInThingGroup(ctx, { thingGroupName: 'fleet' })).items).toEqual(['a']);
    expect((await iot.things.listThingsInThingGroup(ctx, { thingGroupName: 'fleet', recursive: true })).items).toEqual(['a', 'b']);
    expect((await iot.things.listThingGroups(ctx, { parentGroup: 'fleet' })).items.map((g) => g.thingGroupName)).toEqual(['eu']);
    await expectCode(iot.things.addThingToThingGroup(ctx, { thingName: 'zz', thingGroupName: 'eu' }), 'ResourceNotFoundException');
  });
});

describe('device certificates', () => {
  it('CreateKeysAndCertificate issues from the device CA; the key is returned once and the broker can authenticate it', async () => {
    const { certificate, keyPair } = await iot.certificates.createKeysAndCertificate(ctx, { setAsActive: true });
    expect(certificate.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(certificate.status).toBe('ACTIVE');
    const x = new X509Certificate(certificate.certificatePem);
    expect(x.verify(new X509Certificate(iot.certificates.deviceCaPem()).publicKey)).toBe(true);
    expect(createPublicKey(keyPair.PrivateKey).export({ format: 'pem', type: 'spki' })).toBe(keyPair.PublicKey);
    expect(JSON.stringify(await iot.certificates.describeCertificate(ctx, certificate.certificateId))).not.toContain('PRIVATE KEY');
    await iot.things.createThing(ctx, { thingName: 'dev-1' });
    await iot.certificates.attachThingPrincipal(ctx, { thingName: 'dev-1', principal: certificate.certificateArn });
    expect((await iot.certificates.listThingPrincipals(ctx, { thingName: 'dev-1' })).items).toEqual([certificate.certificateArn]);
    expect(await iot.certificates.authenticateDevice(x.raw)).toEqual({ accountId: ctx.accountId, certificateId: certificate.certificateId, thingNames: ['dev-1'] });
    await iot.certificates.updateCertificate(ctx, { certificateId: certificate.certificateId, newStatus: 'INACTIVE' });
    expect(await iot.certificates.authenticateDevice(x.raw)).toBeUndefined();
    await iot.certificates.updateCertificate(ctx, { certificateId: certificate.certificateId, newStatus: 'REVOKED' });
    await expectCode(iot.certificates.updateCertificate(ctx, { certificateId: certificate.certificateId, newStatus: 'ACTIVE' }), 'CertificateStateException');
    await expectCode(iot.certificates.deleteCertificate(ctx, { certificateId: certificate.certificateId }), 'DeleteConflictException');
    await iot.certificates.detachThingPrincipal(ctx, { thingName: 'dev-1', principal: certificate.certificateArn });
    await iot.certificates.deleteCertificate(ctx, { certificateId: certificate.certificateId });
    await expectCode(iot.certificates.describeCertificate(ctx, certificate.certificateId), 'ResourceNotFoundException');
  });
  it('RegisterCertificateWithoutCA takes any valid certificate once; garbage is CertificateValidationException', async () => {
    const other = await loadOrCreateLocalCa(join(dir, 'other'), 'x', 'Some CA', TEST_SEALER);
    const leaf = await other.issue({ subject: 'CN=device' });
    const c = await iot.certificates.registerCertificateWithoutCA(ctx, { certificatePem: leaf.certificatePem });
    expect(c).toMatchObject({ status: 'ACTIVE', certificateMode: 'SNI_ONLY' });
    await expectCode(iot.certificates.registerCertificateWithoutCA(ctx, { certificatePem: leaf.certificatePem }), 'ResourceAlreadyExistsException');
    await expectCode(iot.certificates.registerCertificateWithoutCA(ctx, { certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }), 'CertificateValidationException');
    await expectCode(iot.certificates.registerCertificateWithoutCA(ctx, { certificatePem: 'hello' }), 'CertificateValidationException');
  });
});

describe('jobs and executions', () => {
  beforeEach(async () => {
    for (const t of ['a', 'b', 'c']) await iot.things.createThing(ctx, { thingName: t });
    await iot.things.createThingGroup(ctx, { thingGroupName: 'g' });
    await iot.things.addThingToThingGroup(ctx, { thingName: 'b', thingGroupName: 'g' });
  });
  const doc = JSON.stringify({ op: 'x' });

  it('SNAPSHOT targets things and group members; device transitions with versions; job completes', async () => {
    const job = await iot.jobs.createJob(ctx, { jobId: 'j1', targets: [thingArn('a'), groupArn('g')], document: doc });
    expect(job.jobProcessDetails.numberOfQueuedThings).toBe(2);
    await expectCode(iot.jobs.createJob(ctx, { jobId: 'j1', targets: [thingArn('a')], document: doc }), 'ResourceAlreadyExistsException');
    await expectCode(iot.jobs.createJob(ctx, { jobId: 'j2', targets: [thingArn('nope')], document: doc }), 'ResourceNotFoundException');
    await expectCode(iot.jobs.createJob(ctx, { jobId: 'j2', targets: [thingArn('a')], document: '{' }), 'InvalidRequestException');
    expect(events.filter((e) => e.kind === 'next-changed').map((e) => (e as { thingName: string }).thingName).sort()).toEqual(['a', 'b']);

    const next = await iot.jobsData.describeJobExecution(ctx, { thingName: 'a', jobId: '$next' });
    expect(next.execution).toMatchObject({ jobId: 'j1', status: 'QUEUED', versionNumber: 1, executionNumber: 1, jobDocument: doc });
    events.length = 0;
    const r = await iot.jobsData.updateJobExecution(ctx, { thingName: 'a', jobId: 'j1', status: 'IN_PROGRESS', statusDetails: { receive: '1/3' }, expectedVersion: 1, includeJobExecutionState: true });
    expect(r.executionState).toEqual({ status: 'IN_PROGRESS', statusDetails: { receive: '1/3' }, versionNumber: 2 });
    // QUEUED → IN_PROGRESS of the first job is not a notify-next.
    expect(events.filter((e) => e.kind === 'next-changed')).toEqual([]);
    await expectCode(iot.jobsData.updateJobExecution(ctx, { thingName: 'a', jobId: 'j1', status: 'IN_PROGRESS', expectedVersion: 1 }), 'ConflictException');
    await expectCode(iot.jobsData.updateJobExecution(ctx, { thingName: 'a', jobId: 'j1', status: 'QUEUED' }), 'InvalidRequestException');
    await expectCode(iot.jobsData.updateJobExecution(ctx, { thingName: 'a', jobId: 'j1', status: 'IN_PROGRESS', statusDetails: { 'bad key!': 'x' } }), 'InvalidRequestException');
    await expectCode(iot.jobsData.updateJobExecution(ctx, { thingName: 'a', jobId: 'j1', status: 'IN_PROGRESS', statusDetails: { k: 'x'.repeat(1025) } }), 'InvalidRequestException');
    await expectCode(iot.jobsData.updateJobExecution(ctx, { thingName: 'a', jobId: 'j1', status: 'IN_PROGRESS', statusDetails: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) }), 'InvalidRequestException');
    await expectCode(iot.jobsData.updateJobExecution(ctx, { thingName: 'c', jobId: 'j1', status: 'IN_PROGRESS' }), 'ResourceNotFoundException');
    await iot.jobsData.updateJobExecution(ctx, { thingName: 'a', jobId: 'j1', status: 'SUCCEEDED', statusDetails: { reason: 'accepted  v1.2.3' } });
    const ended = events.find((e) => e.kind === 'next-changed' && e.thingName === 'a');
    expect(ended).toMatchObject({ kind: 'next-changed', thingName: 'a' });
    expect((ended as { execution?: unknown }).execution).toBeUndefined();
    expect(events.some((e) => e.kind === 'job-execution' && e.event === 'succeeded')).toBe(true);
    await expectCode(iot.jobsData.updateJobExecution(ctx, { thingName: 'a', jobId: 'j1', status: 'FAILED' }), 'InvalidStateTransitionException');
    await iot.jobsData.updateJobExecution(ctx, { thingName: 'b', jobId: 'j1', status: 'FAILED' });
    expect(await iot.jobs.describeJob(ctx, 'j1')).toMatchObject({ status: 'COMPLETED', jobProcessDetails: { numberOfSucceededThings: 1, numberOfFailedThings: 1 } });
  });

  it('notify-next fires only when the first pending job changes', async () => {
    await iot.jobs.createJob(ctx, { jobId: 'j1', targets: [thingArn('a')], document: doc });
    events.length = 0;
    await iot.jobs.createJob(ctx, { jobId: 'j2', targets: [thingArn('a')], document: doc });
    expect(events.filter((e) => e.kind === 'next-changed')).toEqual([]);
    expect(events.filter((e) => e.kind === 'pending-changed')).toHaveLength(1);
    await iot.jobs.cancelJob(ctx, { jobId: 'j1' });
    const n = events.filter((e) => e.kind === 'next-changed');
    expect(n).toHaveLength(1);
    expect((n[0] as { execution?: { jobId: string } }).execution?.jobId).toBe('j2');
  });

  it('cancel without force leaves IN_PROGRESS running; with force cancels it; CancelJobExecution needs force for IN_PROGRESS', async () => {
    await iot.jobs.createJob(ctx, { jobId: 'j1', targets: [thingArn('a'), thingArn('c')], document: doc });
    await iot.jobsData.startNextPendingJobExecution(ctx, { thingName: 'a' });
    const j = await iot.jobs.cancelJob(ctx, { jobId: 'j1', reasonCode: 'R', comment: 'stop' });
    expect(j).toMatchObject({ status: 'CANCELED', reasonCode: 'R', jobProcessDetails: { numberOfInProgressThings: 1, numberOfCanceledThings: 1 } });
    expect((await iot.jobs.describeJobExecution(ctx, { jobId: 'j1', thingName: 'a' })).status).toBe('IN_PROGRESS');
    await iot.jobs.cancelJob(ctx, { jobId: 'j1', force: true });
    expect(await iot.jobs.describeJobExecution(ctx, { jobId: 'j1', thingName: 'a' })).toMatchObject({ status: 'CANCELED', forceCanceled: true });
    // The device's next update of a canceled execution is refused.
    await expectCode(iot.jobsData.updateJobExecution(ctx, { thingName: 'a', jobId: 'j1', status: 'SUCCEEDED' }), 'InvalidStateTransitionException');

    await iot.jobs.createJob(ctx, { jobId: 'j2', targets: [thingArn('a')], document: doc });
    await iot.jobsData.startNextPendingJobExecution(ctx, { thingName: 'a' });
    await expectCode(iot.jobs.cancelJobExecution(ctx, { jobId: 'j2', thingName: 'a' }), 'InvalidStateTransitionException');
    await expectCode(iot.jobs.cancelJobExecution(ctx, { jobId: 'j2', thingName: 'a', force: true, expectedVersion: 99 }), 'VersionConflictException');
    await iot.jobs.cancelJobExecution(ctx, { jobId: 'j2', thingName: 'a', force: true });
    expect((await iot.jobsData.describeJobExecution(ctx, { thingName: 'a', jobId: '$next' })).execution).toBeUndefined();
  });

  it('timeoutConfig: IN_PROGRESS becomes TIMED_OUT when the clock passes it, then a retry is queued', async () => {
    await iot.jobs.createJob(ctx, {
      jobId: 'j1',
      targets: [thingArn('a')],
      document: doc,
      timeoutConfig: { inProgressTimeoutInMinutes: 5 },
      jobExecutionsRetryConfig: { criteriaList: [{ failureType: 'TIMED_OUT', numberOfRetries: 1 }] },
    });
    const s = await iot.jobsData.startNextPendingJobExecution(ctx, { thingName: 'a' });
    expect(s.execution).toMatchObject({ status: 'IN_PROGRESS', approximateSecondsBeforeTimedOut: 300 });
    clock = new Date(clock.getTime() + 4 * 60_000);
    await iot.tick(clock);
    expect((await iot.jobs.describeJobExecution(ctx, { jobId: 'j1', thingName: 'a' })).status).toBe('IN_PROGRESS');
    clock = new Date(clock.getTime() + 2 * 60_000);
    await iot.tick(clock);
    expect(await iot.jobs.describeJobExecution(ctx, { jobId: 'j1', thingName: 'a', executionNumber: 1 })).toMatchObject({ status: 'TIMED_OUT' });
    expect(events.some((e) => e.kind === 'job-execution' && e.event === 'timed_out')).toBe(true);
    expect((await iot.jobsData.describeJobExecution(ctx, { thingName: 'a', jobId: '$next' })).execution).toMatchObject({ jobId: 'j1', executionNumber: 2, status: 'QUEUED' });
    // The retry may time out too; then there is none left.
    await iot.jobsData.startNextPendingJobExecution(ctx, { thingName: 'a', stepTimeoutInMinutes: 1 });
    clock = new Date(clock.getTime() + 2 * 60_000);
    await iot.tick(clock);
    expect((await iot.jobsData.describeJobExecution(ctx, { thingName: 'a', jobId: '$next' })).execution).toBeUndefined();
  });

  it('CONTINUOUS jobs reach a thing added to the group later', async () => {
    await iot.jobs.createJob(ctx, { jobId: 'cont', targets: [groupArn('g')], document: doc, targetSelection: 'CONTINUOUS' });
    expect((await iot.jobsData.getPendingJobExecutions(ctx, 'c')).queuedJobs).toEqual([]);
    await iot.things.addThingToThingGroup(ctx, { thingName: 'c', thingGroupName: 'g' });
    expect((await iot.jobsData.getPendingJobExecutions(ctx, 'c')).queuedJobs.map((j) => j.jobId)).toEqual(['cont']);
    expect(events.some((e) => e.kind === 'next-changed' && e.thingName === 'c')).toBe(true);
  });

  it('rollout maximumPerMinute releases executions as the clock advances', async () => {
    for (let i = 0; i < 5; i++) await iot.things.createThing(ctx, { thingName: `r${i}` });
    const j = await iot.jobs.createJob(ctx, { jobId: 'roll', targets: [0, 1, 2, 3, 4].map((i) => thingArn(`r${i}`)), document: doc, jobExecutionsRolloutConfig: { maximumPerMinute: 2 } });
    expect(j.jobProcessDetails.numberOfQueuedThings).toBe(5);
    expect((await iot.jobs.listJobExecutionsForJob(ctx, { jobId: 'roll' })).items).toHaveLength(2);
    await iot.tick(clock);
    expect((await iot.jobs.listJobExecutionsForJob(ctx, { jobId: 'roll' })).items).toHaveLength(2);
    clock = new Date(clock.getTime() + 61_000);
    await iot.tick(clock);
    expect((await iot.jobs.listJobExecutionsForJob(ctx, { jobId: 'roll' })).items).toHaveLength(4);
  });

  it('rollout exponentialRate grows the rate by the factor each time the notified-things criterion is met', async () => {
    for (let i = 0; i < 12; i++) await iot.things.createThing(ctx, { thingName: `e${i}` });
    await iot.jobs.createJob(ctx, {
      jobId: 'expo',
      targets: Array.from({ length: 12 }, (_, i) => thingArn(`e${i}`)),
      document: doc,
      jobExecutionsRolloutConfig: { exponentialRate: { baseRatePerMinute: 2, incrementFactor: 2, rateIncreaseCriteria: { numberOfNotifiedThings: 2 } } },
    });
    const released = async () => (await iot.jobs.listJobExecutionsForJob(ctx, { jobId: 'expo' })).items.length;
    expect(await released()).toBe(2);
    clock = new Date(clock.getTime() + 61_000);
    await iot.tick(clock);
    expect(await released()).toBe(2 + 4);
    clock = new Date(clock.getTime() + 61_000);
    await iot.tick(clock);
    expect(await released()).toBe(12);
    await expectCode(iot.jobs.createJob(ctx, { jobId: 'bad-roll', targets: [thingArn('a')], document: doc, jobExecutionsRolloutConfig: { exponentialRate: { baseRatePerMinute: 2, incrementFactor: 9, rateIncreaseCriteria: { numberOfNotifiedThings: 2 } } } }), 'InvalidRequestException');
  });

  it('abort criteria cancel the queued rest once enough executions failed', async () => {
    for (let i = 0; i < 4; i++) await iot.things.createThing(ctx, { thingName: `f${i}` });
    await iot.jobs.createJob(ctx, {
      jobId: 'ab',
      targets: [0, 1, 2, 3].map((i) => thingArn(`f${i}`)),
      document: doc,
      abortConfig: { criteriaList: [{ failureType: 'FAILED', action: 'CANCEL', thresholdPercentage: 50, minNumberOfExecutedThings: 2 }] },
    });
    await iot.jobsData.updateJobExecution(ctx, { thingName: 'f0', jobId: 'ab', status: 'FAILED' });
    await iot.jobsData.updateJobExecution(ctx, { thingName: 'f1', jobId: 'ab', status: 'IN_PROGRESS' });
    expect((await iot.jobs.describeJob(ctx, 'ab')).status).toBe('IN_PROGRESS');
    await iot.jobsData.updateJobExecution(ctx, { thingName: 'f2', jobId: 'ab', status: 'FAILED' });
    const job = await iot.jobs.describeJob(ctx, 'ab');
    expect(job).toMatchObject({ status: 'CANCELED', reasonCode: 'FAILURE_TYPE_FAILED_THRESHOLD_REACHED' });
    expect((await iot.jobs.describeJobExecution(ctx, { jobId: 'ab', thingName: 'f3' })).status).toBe('CANCELED');
    expect((await iot.jobs.describeJobExecution(ctx, { jobId: 'ab', thingName: 'f1' })).status).toBe('IN_PROGRESS');
  });

  it('everything survives a reopen of the database', async () => {
    await iot.jobs.createJob(ctx, { jobId: 'j1', targets: [thingArn('a')], document: doc });
    await iot.jobsData.updateJobExecution(ctx, { thingName: 'a', jobId: 'j1', status: 'IN_PROGRESS', statusDetails: { self_test: 'ready', updatedBy: '0x01000000' } });
    await iot.close();
    db.close();
    iot = await open();
    expect((await iot.jobsData.describeJobExecution(ctx, { thingName: 'a', jobId: '$next' })).execution).toMatchObject({ jobId: 'j1', status: 'IN_PROGRESS', statusDetails: { self_test: 'ready', updatedBy: '0x01000000' }, versionNumber: 2 });
  });
});

describe('streams and OTA updates (customCodeSigning)', () => {
  beforeEach(async () => {
    await objects.createBucket('firmware');
    await objects.putObject('firmware', 'app.bin', Readable.from([Buffer.alloc(10240, 7)]));
    await iot.things.createThing(ctx, { thingName: 'dev' });
  });

  it('a stream pins the object version and reads ranges', async () => {
    const s = await iot.streams.createStream(ctx, { streamId: 's1', files: [{ fileId: 0, s3Location: { bucket: 'firmware', key: 'app.bin' } }], roleArn: ROLE });
    expect(s.files[0]?.s3Location.version).toBeDefined();
    const f = await iot.streams.readFile(ctx, 's1', 0);
    expect(f.size).toBe(10240);
    expect(await f.read(10200, 4096)).toEqual(new Uint8Array(40).fill(7));
    await expectCode(iot.streams.createStream(ctx, { streamId: 's2', files: [{ fileId: 0, s3Location: { bucket: 'firmware', key: 'missing' } }], roleArn: ROLE }), 'InvalidRequestException');
    await expectCode(iot.streams.readFile(ctx, 's1', 3), 'ResourceNotFoundException');
  });

  it('CreateOTAUpdate → CREATE_COMPLETE with an AFR_OTA stream and job whose document a device parses', async () => {
    const signature = new Uint8Array(Buffer.from('MEQCIF2QDvww1G/kpRGZ8FYvQrok1bSZvXjXefRk7sqNcyPTAiB4dvGt8fozIY5NC0vUDJ2MY42ZERYEcrbwA4n6q7vrBg==', 'base64'));
    const r = await iot.otaUpdates.createOTAUpdate(ctx, {
      otaUpdateId: 'u1',
      targets: [thingArn('dev')],
      roleArn: ROLE,
      files: [{ fileName: '/fw/app.bin', fileLocation: { s3Location: { bucket: 'firmware', key: 'app.bin' } }, codeSigning: { customCodeSigning: { signature: { inlineDocument: signature }, certificateChain: { certificateName: 'ota.crt' }, hashAlgorithm: 'SHA256', signatureAlgorithm: 'ECDSA' } } }],
    });
    expect(r.otaUpdateStatus).toBe('CREATE_PENDING');
    const u = await iot.otaUpdates.settled(ctx, 'u1');
    expect(u).toMatchObject({ otaUpdateStatus: 'CREATE_COMPLETE', awsIotJobId: 'AFR_OTA-u1' });
    expect(u.streamId).toMatch(/^AFR_OTA-[0-9a-f-]{36}$/);
    expect(u.otaUpdateFiles[0]?.codeSigning?.customCodeSigning?.signature?.inlineDocument).toEqual(signature);
    const next = await iot.jobsData.describeJobExecution(ctx, { thingName: 'dev', jobId: '$next' });
    const msg = JSON.stringify({ execution: { ...next.execution, jobDocument: JSON.parse(next.execution!.jobDocument!) } });
    const parsed = parseJobMessage(msg, { signatureKey: 'sig-sha256-ecdsa' });
    expect(parsed).toMatchObject({ kind: 'job', jobId: 'AFR_OTA-u1', streamname: u.streamId, filesize: 10240, fileid: 0, certfile: 'ota.crt', filepath: '/fw/app.bin', fileType: 0 });
    expect(parsed.kind === 'job' && parsed.signature).toEqual(signature);
    await expectCode(iot.otaUpdates.createOTAUpdate(ctx, { otaUpdateId: 'u1', targets: [thingArn('dev')], roleArn: ROLE, files: u.otaUpdateFiles }), 'ResourceAlreadyExistsException');
    expect((await iot.otaUpdates.listOTAUpdates(ctx, {})).items.map((x) => x.otaUpdateId)).toEqual(['u1']);
    await iot.otaUpdates.deleteOTAUpdate(ctx, { otaUpdateId: 'u1', deleteStream: true, forceDeleteAWSJob: true });
    await expectCode(iot.jobs.describeJob(ctx, 'AFR_OTA-u1'), 'ResourceNotFoundException');
    await expectCode(iot.streams.describeStream(ctx, u.streamId!), 'ResourceNotFoundException');
  });

  it('ends CREATE_FAILED with a reason when the file or the signing fails', async () => {
    await iot.otaUpdates.createOTAUpdate(ctx, {
      otaUpdateId: 'bad',
      targets: [thingArn('dev')],
      roleArn: ROLE,
      files: [{ fileLocation: { s3Location: { bucket: 'firmware', key: 'nope.bin' } }, codeSigning: { customCodeSigning: { signature: { inlineDocument: new Uint8Array([1]) }, hashAlgorithm: 'SHA256', signatureAlgorithm: 'ECDSA' } } }],
    });
    expect(await iot.otaUpdates.settled(ctx, 'bad')).toMatchObject({ otaUpdateStatus: 'CREATE_FAILED', errorInfo: { code: 'InvalidRequestException' } });
    await iot.otaUpdates.createOTAUpdate(ctx, { otaUpdateId: 'sj', targets: [thingArn('dev')], roleArn: ROLE, files: [{ codeSigning: { awsSignerJobId: 'x' } }] });
    expect(await iot.otaUpdates.settled(ctx, 'sj')).toMatchObject({ otaUpdateStatus: 'CREATE_FAILED', errorInfo: { code: 'SigningJobFailed' } });
    await expectCode(iot.otaUpdates.createOTAUpdate(ctx, { otaUpdateId: 'two', targets: [thingArn('dev')], roleArn: ROLE, files: [{}, {}] }), 'InvalidRequestException');
    await expectCode(iot.otaUpdates.createOTAUpdate(ctx, { otaUpdateId: 'x'.repeat(57), targets: [thingArn('dev')], roleArn: ROLE, files: [{ codeSigning: { awsSignerJobId: 'x' } }] }), 'InvalidRequestException');
  });
});


