/**
 * End to end over real MQTT: CreateOTAUpdate (signed through our Signer, or customCodeSigning) →
 * the AFR_OTA job and stream → a simulated FreeRTOS device over mutual TLS through the embedded
 * broker → verification, test boot, self-test, SUCCEEDED; and the ways it ends otherwise.
 * Time-based behaviour (request timers, execution timeouts) runs on injected clocks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualScheduler } from '../simulator/agent/index.js';
import { loadOrCreateLocalCa } from '../src/keys/index.js';
import { SecretBox } from '../src/accounts/index.js';

const TEST_SEALER = new SecretBox(new Uint8Array(32).fill(9), 'test-ca-keys');
import { firmware, freertosProfile, ROLE, signWith, startDevice, uploadFirmware, type DeviceRun } from './support/ota.js';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
let profile: { profileName: string; certificatePem: string };
const devices: DeviceRun[] = [];
let n = 0;

const thingArn = (thing: string) => `arn:aws:iot:${t.server.iotContext.region}:${t.server.iotContext.accountId}:thing/${thing}`;

async function otaSignedBySigner(thing: string, bytes: Uint8Array, extra: { timeoutMinutes?: number } = {}): Promise<string> {
  const id = `u${++n}`;
  const src = await uploadFirmware(t, `fw-${id}.bin`, bytes);
  await t.server.iot.otaUpdates.createOTAUpdate(t.server.iotContext, {
    otaUpdateId: id,
    targets: [thingArn(thing)],
    roleArn: ROLE,
    ...(extra.timeoutMinutes ? { awsJobTimeoutConfig: { inProgressTimeoutInMinutes: extra.timeoutMinutes } } : {}),
    files: [
      {
        fileName: 'firmware.bin',
        fileLocation: { s3Location: src },
        codeSigning: { startSigningJobParameter: { signingProfileName: profile.profileName, signingProfileParameter: { certificatePathOnDevice: 'ota.crt' }, destination: { s3Destination: { bucket: src.bucket, prefix: 'signed/' } } } },
      },
    ],
  });
  const u = await t.server.iot.otaUpdates.settled(t.server.iotContext, id);
  expect(u.otaUpdateStatus, JSON.stringify(u.errorInfo)).toBe('CREATE_COMPLETE');
  return u.awsIotJobId!;
}

async function execution(jobId: string, thing: string) {
  return t.server.iot.jobs.describeJobExecution(t.server.iotContext, { jobId, thingName: thing });
}
async function executionReaches(jobId: string, thing: string, status: string) {
  for (let i = 0; i < 600; i++) {
    const e = await execution(jobId, thing);
    if (e.status === status) return e;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`execution of ${jobId} on ${thing} never became ${status}: ${JSON.stringify(await execution(jobId, thing))}`);
}

beforeAll(async () => {
  t = await startTestServer();
  profile = await freertosProfile(t);
});
afterAll(async () => {
  for (const d of devices) await d.device.close().catch(() => undefined);
  await t?.stop();
});

describe('a FreeRTOS device over mutual TLS through the embedded broker', () => {
  it('downloads, verifies, test-boots, passes self-test and reports SUCCEEDED (signed through our Signer)', async () => {
    const d = await startDevice(t, 'happy', { scheduler: manualScheduler(), certificates: { 'ota.crt': profile.certificatePem }, blocksPerRequest: 4 });
    devices.push(d);
    const image = firmware({ major: 1, minor: 1, build: 0 }, 40_000);
    const jobId = await otaSignedBySigner('happy', image);
    await d.until((e) => e.kind === 'accepted');
    const e = await executionReaches(jobId, 'happy', 'SUCCEEDED');
    expect(e.statusDetails).toEqual({ reason: 'accepted  v1.1.0', updatedBy: '  v1.0.0' });
    expect(d.statuses()).toEqual([
      '{"status":"IN_PROGRESS","statusDetails":{"receive":"1/10"}}',
      '{"status":"IN_PROGRESS","statusDetails":{"self_test":"ready","updatedBy":"0x01000000"}}',
      '{"status":"IN_PROGRESS","statusDetails":{"self_test":"active","updatedBy":"0x01010000"}}',
      '{"status":"SUCCEEDED","statusDetails":{"reason":"accepted  v1.1.0","updatedBy":"  v1.0.0"}}',
    ]);
    expect(d.flash.version).toEqual({ major: 1, minor: 1, build: 0 });
    expect(d.flash.state).toBe('Valid');
    expect(Buffer.from(d.flash.image)).toEqual(Buffer.from(image));
    expect(d.device.boots).toBe(2);
    expect((await t.server.iot.jobs.describeJob(t.server.iotContext, jobId)).status).toBe('COMPLETED');
  });

  it('a tampered image fails verification: FAILED 0x000000e3 and the old firmware keeps running', async () => {
    const keyDir = await loadOrCreateLocalCa(`${t.dataDir}/sig-ca`, 'sig', 'Signing test CA', TEST_SEALER);
    const signer = await keyDir.issue({ subject: 'CN=ota signer', extendedKeyUsage: ['1.3.6.1.5.5.7.3.3'] });
    const d = await startDevice(t, 'tampered', { scheduler: manualScheduler(), certificates: { 'ota.crt': signer.certificatePem }, blocksPerRequest: 8 });
    devices.push(d);
    const image = firmware({ major: 2, minor: 0, build: 0 }, 20_000);
    const sig = signWith(signer.privateKeyPem, image);
    const tampered = Uint8Array.from(image);
    tampered[10_000] = (tampered[10_000] as number) ^ 1;
    const src = await uploadFirmware(t, 'tampered.bin', tampered);
    await t.server.iot.otaUpdates.createOTAUpdate(t.server.iotContext, {
      otaUpdateId: 'tampered',
      targets: [thingArn('tampered')],
      roleArn: ROLE,
      files: [{ fileName: 'fw.bin', fileLocation: { s3Location: src }, codeSigning: { customCodeSigning: { signature: { inlineDocument: sig }, hashAlgorithm: 'SHA256', signatureAlgorithm: 'ECDSA', certificateChain: { certificateName: 'ota.crt' } } } }],
    });
    await t.server.iot.otaUpdates.settled(t.server.iotContext, 'tampered');
    const e = await executionReaches('AFR_OTA-tampered', 'tampered', 'FAILED');
    expect(e.statusDetails).toEqual({ reason: '0x000000e3: 0x00000000' });
    expect(d.flash.version).toEqual({ major: 1, minor: 0, build: 0 });
    expect(d.device.boots).toBe(1);
  });

  it('a device that trusts another signer certificate also ends 0x000000e3; one with no certificate ends 0x000000e7', async () => {
    const other = await loadOrCreateLocalCa(`${t.dataDir}/other-ca`, 'other', 'Other CA', TEST_SEALER);
    const otherCert = (await other.issue({ subject: 'CN=someone else' })).certificatePem;
    const d1 = await startDevice(t, 'wrong-cert', { scheduler: manualScheduler(), certificates: { 'ota.crt': otherCert }, blocksPerRequest: 8 });
    const d2 = await startDevice(t, 'no-cert', { scheduler: manualScheduler(), certificates: {}, blocksPerRequest: 8 });
    devices.push(d1, d2);
    const j1 = await otaSignedBySigner('wrong-cert', firmware({ major: 1, minor: 2, build: 0 }, 9000));
    const j2 = await otaSignedBySigner('no-cert', firmware({ major: 1, minor: 2, build: 0 }, 9000));
    expect((await executionReaches(j1, 'wrong-cert', 'FAILED')).statusDetails).toEqual({ reason: '0x000000e3: 0x00000000' });
    expect((await executionReaches(j2, 'no-cert', 'FAILED')).statusDetails).toEqual({ reason: '0x000000e7: 0x00000000' });
  });

  it('a failing self-test reports rejected and rolls back to the previous image', async () => {
    const d = await startDevice(t, 'selftest-fails', { scheduler: manualScheduler(), certificates: { 'ota.crt': profile.certificatePem }, selfTest: () => false, blocksPerRequest: 8 });
    devices.push(d);
    const jobId = await otaSignedBySigner('selftest-fails', firmware({ major: 1, minor: 3, build: 0 }, 9000));
    const e = await executionReaches(jobId, 'selftest-fails', 'FAILED');
    expect(e.statusDetails).toEqual({ reason: 'rejected: 0x00000000' });
    await d.until((_, boot) => boot === 3);
    expect(d.flash.version).toEqual({ major: 1, minor: 0, build: 0 });
  });

  it('the same version is refused by the version check on the test boot (rejected: 0x00000010)', async () => {
    const d = await startDevice(t, 'same-version', { scheduler: manualScheduler(), certificates: { 'ota.crt': profile.certificatePem }, blocksPerRequest: 8 });
    devices.push(d);
    const jobId = await otaSignedBySigner('same-version', firmware({ major: 1, minor: 0, build: 0 }, 9000));
    expect((await executionReaches(jobId, 'same-version', 'FAILED')).statusDetails).toEqual({ reason: 'rejected: 0x00000010' });
  });

  it('a job cancelled with force mid-download stops the download; the device stays on its firmware', async () => {
    const d = await startDevice(t, 'cancelled', { scheduler: manualScheduler(), certificates: { 'ota.crt': profile.certificatePem }, blocksPerRequest: 1 });
    devices.push(d);
    // Stop asking for blocks after the first one, so the cancel lands mid-download.
    const first = d.until((e) => e.kind === 'progress' && e.received === 1);
    void first.then(() => d.device.agent.suspend());
    const jobId = await otaSignedBySigner('cancelled', firmware({ major: 1, minor: 4, build: 0 }, 50_000));
    await first;
    await executionReaches(jobId, 'cancelled', 'IN_PROGRESS');
    const mark = d.events.length;
    await t.server.iot.jobs.cancelJob(t.server.iotContext, { jobId, force: true });
    await d.until((e) => e.kind === 'state' && e.state === 'WaitingForJob', 60_000, mark);
    expect((await execution(jobId, 'cancelled')).status).toBe('CANCELED');
    expect(d.flash.file()).toBeUndefined();
    expect(d.flash.version).toEqual({ major: 1, minor: 0, build: 0 });
  });

  it('an execution past its timeout becomes TIMED_OUT and the device drops the download', async () => {
    const d = await startDevice(t, 'timeout', { scheduler: manualScheduler(), certificates: { 'ota.crt': profile.certificatePem }, blocksPerRequest: 1 });
    devices.push(d);
    const first = d.until((e) => e.kind === 'progress' && e.received === 1);
    void first.then(() => d.device.agent.suspend());
    const jobId = await otaSignedBySigner('timeout', firmware({ major: 1, minor: 5, build: 0 }, 50_000), { timeoutMinutes: 1 });
    await executionReaches(jobId, 'timeout', 'IN_PROGRESS');
    const mark = d.events.length;
    await t.server.iot.tick(new Date(Date.now() + 2 * 60_000));
    expect((await execution(jobId, 'timeout')).status).toBe('TIMED_OUT');
    await d.until((e) => e.kind === 'state' && e.state === 'WaitingForJob', 60_000, mark);
    expect(d.flash.file()).toBeUndefined();
  });

  it('re-requests after its 10 s timer when a block is lost, and gives up after 32 requests (aborted: 0x00000008)', async () => {
    const clock = manualScheduler();
    const d = await startDevice(t, 'momentum', { scheduler: clock, certificates: { 'ota.crt': profile.certificatePem }, blocksPerRequest: 1 });
    devices.push(d);
    const first = d.until((e) => e.kind === 'progress' && e.received === 1);
    // After block 1, the device's stream subscription goes away: requests go unanswered.
    void first.then(() => d.device.client.unsubscribeAsync(`$aws/things/momentum/streams/+/data/cbor`).catch(() => undefined));
    const jobId = await otaSignedBySigner('momentum', firmware({ major: 1, minor: 6, build: 0 }, 50_000));
    await first;
    const stream = (await t.server.iot.otaUpdates.getOTAUpdate(t.server.iotContext, `u${n}`)).streamId!;
    await d.device.client.unsubscribeAsync(`$aws/things/momentum/streams/${stream}/data/cbor`);
    const before = d.events.length;
    clock.advance(10_000);
    expect(d.events.slice(before).some((x) => x.e.kind === 'state' && x.e.state === 'RequestingFileBlock')).toBe(true);
    clock.advance(32 * 10_000);
    const e = await executionReaches(jobId, 'momentum', 'FAILED');
    expect(e.statusDetails).toEqual({ reason: 'aborted: 0x00000008' });
  });
});

describe('restart of the server mid-download', () => {
  it('the device reconnects, asks again and continues from its bitmap to SUCCEEDED', async () => {
    const d = await startDevice(t, 'restart', { scheduler: manualScheduler(), certificates: { 'ota.crt': profile.certificatePem }, blocksPerRequest: 1, reconnectPeriod: 200 });
    devices.push(d);
    const third = d.until((e) => e.kind === 'progress' && e.received === 3);
    void third.then(() => d.device.agent.suspend());
    const jobId = await otaSignedBySigner('restart', firmware({ major: 1, minor: 7, build: 0 }, 40_000));
    await third;
    const tlsPort = t.server.mqtt.tlsPort!;
    const dataDir = t.dataDir;
    await t.stop({ keepData: true });
    t = await startTestServer({ dataDir, flags: { mqttTlsPort: tlsPort } });
    await d.until((e) => e.kind === 'accepted', 90_000);
    expect((await executionReaches(jobId, 'restart', 'SUCCEEDED')).statusDetails).toEqual({ reason: 'accepted  v1.7.0', updatedBy: '  v1.0.0' });
    const progress = d.events.filter((x) => x.e.kind === 'progress' && x.boot === 1).map((x) => (x.e as { received: number }).received);
    // One download, continued: every block counted once, in order, never restarted from 1.
    expect(progress).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });
});
