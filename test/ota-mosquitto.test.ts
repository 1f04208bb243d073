/**
 * The same OTA service code on an external broker: Mosquitto on 127.0.0.1:1883 (SIGNER_MQTT_URL;
 * .ci/run starts one when none runs). Thing names are unique per run because the broker is shared.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualScheduler } from '../simulator/agent/index.js';
import { firmware, freertosProfile, ROLE, startDevice, uploadFirmware, type DeviceRun } from './support/ota.js';
import { startTestServer, type TestServer } from './support/server.js';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';
let t: TestServer;
let d: DeviceRun | undefined;

beforeAll(async () => {
  t = await startTestServer({ env: { SIGNER_MQTT_URL: MOSQUITTO } });
});
afterAll(async () => {
  await d?.device.close().catch(() => undefined);
  await t?.stop();
});

describe('OTA through Mosquitto', () => {
  it('runs no embedded broker and names the external one', () => {
    expect(t.server.mqtt).toEqual({ externalUrl: MOSQUITTO });
  });

  it('updates a simulated device to SUCCEEDED', async () => {
    const profile = await freertosProfile(t);
    const thing = `mosq-${randomUUID().slice(0, 8)}`;
    d = await startDevice(t, thing, { scheduler: manualScheduler(), certificates: { 'ota.crt': profile.certificatePem }, url: MOSQUITTO, plain: true, blocksPerRequest: 4 });
    const src = await uploadFirmware(t, 'mosq.bin', firmware({ major: 1, minor: 1, build: 0 }, 30_000));
    const ctx = t.server.iotContext;
    await t.server.iot.otaUpdates.createOTAUpdate(ctx, {
      otaUpdateId: 'mosq',
      targets: [`arn:aws:iot:${ctx.region}:${ctx.accountId}:thing/${thing}`],
      roleArn: ROLE,
      files: [{ fileName: 'fw.bin', fileLocation: { s3Location: src }, codeSigning: { startSigningJobParameter: { signingProfileName: profile.profileName, signingProfileParameter: { certificatePathOnDevice: 'ota.crt' }, destination: { s3Destination: { bucket: src.bucket } } } } }],
    });
    expect((await t.server.iot.otaUpdates.settled(ctx, 'mosq')).otaUpdateStatus).toBe('CREATE_COMPLETE');
    await d.until((e) => e.kind === 'accepted');
    for (let i = 0; i < 600; i++) {
      const e = await t.server.iot.jobs.describeJobExecution(ctx, { jobId: 'AFR_OTA-mosq', thingName: thing });
      if (e.status === 'SUCCEEDED') {
        expect(e.statusDetails).toEqual({ reason: 'accepted  v1.1.0', updatedBy: '  v1.0.0' });
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('execution did not reach SUCCEEDED');
  });
});
