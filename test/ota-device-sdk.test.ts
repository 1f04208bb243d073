/**
 * A device built on the official aws-iot-device-sdk-v2 (AWS CRT) and its IotJobsClient: the MQTT 3.1.1
 * client over mutual TLS against the embedded broker, and the MQTT 5 client through Mosquitto
 * (SIGNER_MQTT_URL) — aedes 1.x speaks MQTT 3.1/3.1.1 only (see docs/ota.md).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { iot, iotjobs, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionDevice } from './support/mqtt.js';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
let connection: mqtt.MqttClientConnection | undefined;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await connection?.disconnect().catch(() => undefined);
  await t?.stop();
});

describe('aws-iot-device-sdk-v2 Jobs client', () => {
  it('describes $next, starts and completes an execution over mutual TLS', async () => {
    const ctx = t.server.iotContext;
    const id = await provisionDevice(t.server, 'sdk-device');
    await t.server.iot.jobs.createJob(ctx, { jobId: 'sdk-job', targets: [`arn:aws:iot:${ctx.region}:${ctx.accountId}:thing/sdk-device`], document: '{"operation":"reboot"}' });
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(id.cert, id.key)
      .with_certificate_authority(readFileSync(t.server.mqtt.caFile!, 'utf8'))
      .with_client_id('sdk-device')
      .with_endpoint('localhost')
      .with_port(t.server.mqtt.tlsPort!)
      .with_clean_session(true)
      .build();
    connection = new mqtt.MqttClient().new_connection(config);
    await connection.connect();
    await runJob(new iotjobs.IotJobsClient(connection), 'sdk-device', 'sdk-job');
  });
});

describe('aws-iot-device-sdk-v2 MQTT 5 client through Mosquitto', () => {
  let m: TestServer | undefined;
  let client: mqtt5.Mqtt5Client | undefined;
  afterAll(async () => {
    client?.stop();
    client?.close();
    await m?.stop();
  });
  it('runs the same job flow with the Jobs client on an MQTT 5 connection', async () => {
    m = await startTestServer({ env: { SIGNER_MQTT_URL: 'mqtt://127.0.0.1:1883' } });
    const thing = `sdk5-${randomUUID().slice(0, 8)}`;
    await m.server.iot.things.createThing(m.server.iotContext, { thingName: thing });
    client = new mqtt5.Mqtt5Client({ hostName: '127.0.0.1', port: 1883, connectProperties: { keepAliveIntervalSeconds: 30, clientId: thing } });
    const up = new Promise<void>((resolve) => client!.once('connectionSuccess', () => resolve()));
    client.start();
    await up;
    await runJob(iotjobs.IotJobsClient.newFromMqtt5Client(client), thing, 'sdk5-job', m);
  });
});

async function runJob(jobs: iotjobs.IotJobsClient, thing: string, jobId: string, server: TestServer = t): Promise<void> {
  {
    const ctx = server.server.iotContext;
    if (server !== t) await server.server.iot.jobs.createJob(ctx, { jobId, targets: [`arn:aws:iot:${ctx.region}:${ctx.accountId}:thing/${thing}`], document: '{"operation":"reboot"}' });

    const described = new Promise<iotjobs.model.DescribeJobExecutionResponse>((resolve, reject) =>
      // On a shared broker another test's server may also answer (without an execution: it does not know the thing).
      void jobs.subscribeToDescribeJobExecutionAccepted({ thingName: thing, jobId: '$next' }, mqtt.QoS.AtLeastOnce, (err, res) => (err ? reject(err) : res?.execution ? resolve(res) : undefined)),
    );
    await jobs.publishDescribeJobExecution({ thingName: thing, jobId: '$next', clientToken: 'sdk-1' }, mqtt.QoS.AtLeastOnce);
    const d = await described;
    expect(d.clientToken).toBe('sdk-1');
    expect(d.execution).toMatchObject({ jobId, status: 'QUEUED', versionNumber: 1, jobDocument: { operation: 'reboot' } });

    const updates: iotjobs.model.UpdateJobExecutionResponse[] = [];
    let next!: () => void;
    await jobs.subscribeToUpdateJobExecutionAccepted({ thingName: thing, jobId }, mqtt.QoS.AtLeastOnce, (_err, res) => {
      if (res) updates.push(res);
      next?.();
    });
    for (const [status, version] of [[iotjobs.model.JobStatus.IN_PROGRESS, 1], [iotjobs.model.JobStatus.SUCCEEDED, 2]] as const) {
      const got = new Promise<void>((r) => (next = r));
      await jobs.publishUpdateJobExecution({ thingName: thing, jobId, status, expectedVersion: version, includeJobExecutionState: true, statusDetails: { step: status } }, mqtt.QoS.AtLeastOnce);
      await got;
    }
    expect(updates.map((u) => u.executionState?.status)).toEqual(['IN_PROGRESS', 'SUCCEEDED']);
    expect(await server.server.iot.jobs.describeJobExecution(ctx, { jobId, thingName: thing })).toMatchObject({ status: 'SUCCEEDED', statusDetails: { step: 'SUCCEEDED' }, versionNumber: 3 });
  }
}
