import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsync, type MqttClient } from 'mqtt';
import { zipSync, strToU8 } from 'fflate';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutSigningProfileCommand, StartSigningJobCommand } from '@aws-sdk/client-signer';
import { webhookSignature, WEBHOOK_SIGNATURE_HEADER, type JobStatusEvent } from '../src/events/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

const SECRET = 'webhook-secret-for-tests-0123456789';
const TOPIC = 'signer-test/events';

let t: TestServer;
let mqtt: MqttClient;
// The test's own MQTT broker (in-process aedes on a free port): nothing outside the test has to run.
let broker: Aedes;
let brokerServer: Server;
let mqttUrl: string;
const hooks: { body: string; signature: string | undefined; attempt: string | undefined; status: number }[] = [];
const mqttEvents: JobStatusEvent[] = [];
let failuresLeft = 2;
const receiver = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    // The first two deliveries fail with 503: the sink must retry.
    const status = failuresLeft-- > 0 ? 503 : 200;
    hooks.push({ body, signature: req.headers[WEBHOOK_SIGNATURE_HEADER] as string, attempt: req.headers['x-signer-delivery-attempt'] as string, status });
    res.writeHead(status).end();
  });
});

beforeAll(async () => {
  broker = await Aedes.createBroker();
  brokerServer = createTcpServer(broker.handle);
  await new Promise<void>((r) => brokerServer.listen(0, '127.0.0.1', r));
  mqttUrl = `mqtt://127.0.0.1:${(brokerServer.address() as AddressInfo).port}`;
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  mqtt = await connectAsync(mqttUrl, { clientId: `events-test-${process.pid}` });
  await mqtt.subscribeAsync(`${TOPIC}/#`, { qos: 1 });
  mqtt.on('message', (_topic, payload) => mqttEvents.push(JSON.parse(payload.toString()) as JobStatusEvent));
  t = await startTestServer({
    env: {
      SIGNER_EVENTS_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
      SIGNER_EVENTS_WEBHOOK_SECRET: SECRET,
      SIGNER_EVENTS_MQTT_URL: mqttUrl,
      SIGNER_EVENTS_MQTT_TOPIC: TOPIC,
    },
  });
});
afterAll(async () => {
  await t?.stop();
  await mqtt?.endAsync();
  receiver.close();
  await new Promise<void>((r) => (broker ? broker.close(() => r()) : r()));
  await new Promise<void>((r) => (brokerServer ? brokerServer.close(() => r()) : r()));
});

describe('[Events] "Signer Job Status Change" events reach a webhook and an MQTT topic', () => {
  it('a Lambda signing job emits InProgress then Succeeded, HMAC-signed, retried after 5xx, on MQTT too', async () => {
    const s3 = new S3Client({
      endpoint: t.server.s3Url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'ev-src' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'ev-src', VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new CreateBucketCommand({ Bucket: 'ev-dst' }));
    const zip = zipSync({ 'index.js': strToU8('exports.handler = async () => 1;\n') });
    const put = await s3.send(new PutObjectCommand({ Bucket: 'ev-src', Key: 'fn.zip', Body: zip }));
    await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'events_lambda', platformId: 'AWSLambda-SHA384-ECDSA' }));
    const { jobId } = await t.admin.client.send(
      new StartSigningJobCommand({
        source: { s3: { bucketName: 'ev-src', key: 'fn.zip', version: put.VersionId! } },
        destination: { s3: { bucketName: 'ev-dst', prefix: 'signed/' } },
        profileName: 'events_lambda',
      }),
    );
    await t.server.jobs.drain();
    await t.server.flushEvents();
    await waitFor('both job events on the MQTT topic', () => mqttEvents.filter((e) => e.detail.job_id === jobId).length >= 2);

    const delivered = hooks.filter((h) => h.status === 200).map((h) => JSON.parse(h.body) as JobStatusEvent);
    expect(delivered.map((e) => e.detail.status)).toEqual(['InProgress', 'Succeeded']);
    for (const h of hooks) expect(h.signature).toBe(webhookSignature(SECRET, h.body));
    expect(hooks.filter((h) => h.status === 503)).toHaveLength(2);
    expect(hooks.some((h) => Number(h.attempt) > 1)).toBe(true);

    const done = delivered[1]!;
    expect(done).toMatchObject({
      version: '0',
      'detail-type': 'Signer Job Status Change',
      source: 'aws.signer',
      account: t.admin.accountId,
      region: 'us-east-1',
      resources: [`arn:aws:signer:us-east-1:${t.admin.accountId}:/signing-jobs/${jobId}`],
      detail: {
        job_id: jobId,
        platform: 'AWSLambda-SHA384-ECDSA',
        status: 'Succeeded',
        source: { bucketName: 'ev-src', key: 'fn.zip', version: put.VersionId },
        destination: { bucketName: 'ev-dst', key: `signed/${jobId}.zip` },
      },
    });
    expect(Number.isNaN(Date.parse(done.time))).toBe(false);
    expect(mqttEvents.filter((e) => e.detail.job_id === jobId).map((e) => e.detail.status).sort()).toEqual(['InProgress', 'Succeeded']);
  });
});
