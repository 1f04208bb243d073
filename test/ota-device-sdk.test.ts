/**
 * A device built on the official aws-iot-device-sdk-v2 (AWS CRT, MQTT 3.1.1 client over mutual TLS,
 * its IotJobsClient) against the embedded broker. aedes 1.x speaks MQTT 3.1/3.1.1 only, so the SDK's
 * MQTT 5 client cannot use the embedded broker (see docs/ota.md).
 */
import { readFileSync } from 'node:fs';
import { iot, iotjobs, mqtt } from 'aws-iot-device-sdk-v2';
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
    const jobs = new iotjobs.IotJobsClient(connection);

    const described = new Promise<iotjobs.model.DescribeJobExecutionResponse>((resolve, reject) =>
      void jobs.subscribeToDescribeJobExecutionAccepted({ thingName: 'sdk-device', jobId: '$next' }, mqtt.QoS.AtLeastOnce, (err, res) => (err ? reject(err) : resolve(res!))),
    );
    await jobs.publishDescribeJobExecution({ thingName: 'sdk-device', jobId: '$next', clientToken: 'sdk-1' }, mqtt.QoS.AtLeastOnce);
    const d = await described;
    expect(d.clientToken).toBe('sdk-1');
    expect(d.execution).toMatchObject({ jobId: 'sdk-job', status: 'QUEUED', versionNumber: 1, jobDocument: { operation: 'reboot' } });

    const updates: iotjobs.model.UpdateJobExecutionResponse[] = [];
    let next!: () => void;
    await jobs.subscribeToUpdateJobExecutionAccepted({ thingName: 'sdk-device', jobId: 'sdk-job' }, mqtt.QoS.AtLeastOnce, (_err, res) => {
      if (res) updates.push(res);
      next?.();
    });
    for (const [status, version] of [[iotjobs.model.JobStatus.IN_PROGRESS, 1], [iotjobs.model.JobStatus.SUCCEEDED, 2]] as const) {
      const got = new Promise<void>((r) => (next = r));
      await jobs.publishUpdateJobExecution({ thingName: 'sdk-device', jobId: 'sdk-job', status, expectedVersion: version, includeJobExecutionState: true, statusDetails: { step: status } }, mqtt.QoS.AtLeastOnce);
      await got;
    }
    expect(updates.map((u) => u.executionState?.status)).toEqual(['IN_PROGRESS', 'SUCCEEDED']);
    expect(await t.server.iot.jobs.describeJobExecution(ctx, { jobId: 'sdk-job', thingName: 'sdk-device' })).toMatchObject({ status: 'SUCCEEDED', statusDetails: { step: 'SUCCEEDED' }, versionNumber: 3 });
  });
});
