/**
 * The messages the compiled FreeRTOS OTA agent publishes (test/vectors/ota/agent-mqtt-messages.json,
 * thing MyThing, job AFR_OTA-job1, stream AFR_OTA-stream1, a 10240-byte file) replayed byte for
 * byte against our server over mutual TLS; our answers are decoded with the device's rules and
 * compared with the CBOR vectors' shape (one-character keys, definite map f,i,l,p, byte string).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildAfrOtaDocument, decodeCbor, decodeDataBlock, parseJobMessage } from '../simulator/ota-wire/index.js';
import { connectDevice, provisionDevice, putFirmware, Recorder } from './support/mqtt.js';
import { startTestServer, type TestServer } from './support/server.js';

interface Captured {
  op: 'SUBSCRIBE' | 'PUBLISH' | 'UNSUBSCRIBE';
  qos: 0 | 1;
  topic: string;
  payload?: string;
  payloadCborHex?: string;
}
const capture = JSON.parse(readFileSync(join(import.meta.dirname, 'vectors/ota/agent-mqtt-messages.json'), 'utf8')) as { main: { case: string; messages: Captured[] }[] };
const cborVectors = JSON.parse(readFileSync(join(import.meta.dirname, 'vectors/ota/cbor-vectors.json'), 'utf8')) as { keyTables: { GetStreamResponse: Record<string, string> } };
const caseOf = (prefix: string) => {
  const c = capture.main.find((x) => x.case.startsWith(prefix));
  if (!c) throw new Error(`no capture ${prefix}`);
  return c.messages;
};

const FILE = randomBytes(10_240);
const SIG = Buffer.from('MEQCIF2QDvww1G/kpRGZ8FYvQrok1bSZvXjXefRk7sqNcyPTAiB4dvGt8fozIY5NC0vUDJ2MY42ZERYEcrbwA4n6q7vrBg==', 'base64');
let t: TestServer;
let c: MqttClient;
let r: Recorder;

async function replay(messages: Captured[]): Promise<void> {
  for (const m of messages) {
    if (m.op === 'SUBSCRIBE') await c.subscribeAsync(m.topic, { qos: m.qos });
    else if (m.op === 'UNSUBSCRIBE') await c.unsubscribeAsync(m.topic);
    else await c.publishAsync(m.topic, m.payloadCborHex !== undefined ? Buffer.from(m.payloadCborHex, 'hex') : (m.payload ?? ''), { qos: m.qos });
  }
  await t.server.ota.idle();
}

async function newJob(jobId: string): Promise<void> {
  const ctx = t.server.iotContext;
  const document = buildAfrOtaDocument({ protocols: ['MQTT'], streamname: 'AFR_OTA-stream1', file: { filepath: '/fw', filesize: FILE.length, fileid: 0, certfile: 'ota.crt', fileType: 0, signatureKey: 'sig-sha256-ecdsa', signature: SIG.toString('base64') } });
  await t.server.iot.jobs.createJob(ctx, { jobId, targets: [`arn:aws:iot:${ctx.region}:${ctx.accountId}:thing/MyThing`], document: JSON.stringify(document) });
}
const execution = (jobId: string) => t.server.iot.jobs.describeJobExecution(t.server.iotContext, { jobId, thingName: 'MyThing' });

beforeAll(async () => {
  t = await startTestServer();
  const id = await provisionDevice(t.server, 'MyThing');
  await putFirmware(t.server, 'replay-fw', 'fw.bin', FILE);
  await t.server.iot.streams.createStream(t.server.iotContext, { streamId: 'AFR_OTA-stream1', files: [{ fileId: 0, s3Location: { bucket: 'replay-fw', key: 'fw.bin' } }], roleArn: 'arn:aws:iam::123456789012:role/ota' });
  await newJob('AFR_OTA-job1');
  c = await connectDevice(t.server, 'MyThing', id);
  r = new Recorder(c);
});
afterAll(async () => {
  await c?.endAsync(true).catch(() => undefined);
  await t?.stop();
});

describe('captured FreeRTOS agent messages against our server', () => {
  it('requestJob: the job arrives on notify-next (the only topic the agent listens to), parseable by the agent', async () => {
    await replay(caseOf('requestJob_Mqtt (first call'));
    const m = await r.next((x) => x.topic === '$aws/things/MyThing/jobs/notify-next');
    expect(parseJobMessage(m.payload.toString(), { signatureKey: 'sig-sha256-ecdsa' })).toMatchObject({ kind: 'job', jobId: 'AFR_OTA-job1', streamname: 'AFR_OTA-stream1', filesize: 10_240 });
  });

  it('requestFileBlock: exactly the block each bitmap asks for, encoded like the vectors', async () => {
    await replay(caseOf('initFileTransfer_Mqtt'));
    await replay(caseOf('requestFileBlock_Mqtt 10240-byte file, nothing received yet'));
    const first = await r.next((x) => x.topic === '$aws/things/MyThing/streams/AFR_OTA-stream1/data/cbor');
    await replay(caseOf('requestFileBlock_Mqtt after block 0'));
    await r.all((x) => x.topic.endsWith('/data/cbor'), 2);
    const data = r.messages.filter((x) => x.topic.endsWith('/data/cbor'));
    expect(data).toHaveLength(2);
    const blocks = data.map((m) => decodeDataBlock(new Uint8Array(m.payload), 'cbor')!);
    expect(blocks.map((b) => b.blockId)).toEqual([0, 1]);
    expect(Buffer.from(blocks[0]!.payload)).toEqual(FILE.subarray(0, 4096));
    expect(Buffer.from(blocks[1]!.payload)).toEqual(FILE.subarray(4096, 8192));
    // Shape of the vectors: a definite map (0xa4) with the response keys, p a byte string, c echoed.
    expect(first.payload[0]).toBe(0xa5);
    const decoded = decodeCbor(new Uint8Array(first.payload)) as Record<string, unknown>;
    expect(Object.keys(decoded).sort()).toEqual(Object.keys(cborVectors.keyTables.GetStreamResponse).sort());
    expect(decoded['c']).toBe('rdy');
    expect(decoded['p']).toBeInstanceOf(Uint8Array);
  });

  it('updateJobStatus: receive, self_test ready/active and accepted are stored as sent', async () => {
    const steps: [string, string, Record<string, string>][] = [
      ['updateJobStatus InProgress/Receiving (1 of 3', 'IN_PROGRESS', { receive: '1/3' }],
      ['updateJobStatus InProgress/SigCheckPassed', 'IN_PROGRESS', { self_test: 'ready', updatedBy: '0x01020003' }],
      ['updateJobStatus InProgress/SelfTestActive', 'IN_PROGRESS', { self_test: 'active', updatedBy: '0x01020003' }],
      ['updateJobStatus Succeeded/Accepted (subReason=appFirmwareVersion)', 'SUCCEEDED', { reason: 'accepted  v1.2.3', updatedBy: '  v1.0.0' }],
    ];
    for (const [name, status, details] of steps) {
      await replay(caseOf(name));
      // QoS 0 publishes give no acknowledgement: wait (generous ceiling) for the server to apply it.
      await vi.waitFor(async () => expect(await execution('AFR_OTA-job1'), name).toMatchObject({ status, statusDetails: details }), { timeout: 30_000, interval: 20 });
    }
  });

  it('every FAILED reason the agent sends ends the execution FAILED with the reason byte for byte', async () => {
    const cases = capture.main.filter((x) => x.messages.some((m) => m.payload?.startsWith('{"status":"FAILED"')));
    expect(cases.length).toBeGreaterThanOrEqual(8);
    let i = 0;
    for (const cse of cases) {
      const jobId = `AFR_OTA-job1-f${++i}`;
      await newJob(jobId);
      const msgs = cse.messages.map((m) => ({ ...m, topic: m.topic.replace('AFR_OTA-job1', jobId) }));
      await replay(msgs);
      const reason = (JSON.parse(msgs[0]!.payload!) as { statusDetails: { reason: string } }).statusDetails.reason;
      await vi.waitFor(async () => expect(await execution(jobId), cse.case).toMatchObject({ status: 'FAILED', statusDetails: { reason } }), { timeout: 30_000, interval: 20 });
    }
  });

  it('the agent’s empty-job-id topic (jobs//update, after a late block) is ignored and changes nothing', async () => {
    await newJob('AFR_OTA-job2');
    const before = await execution('AFR_OTA-job2');
    await c.publishAsync('$aws/things/MyThing/jobs//update', '{"status":"FAILED","statusDetails":{"reason":"0x000000e0: 0x00000000"}}', { qos: 1 });
    await t.server.ota.idle();
    expect(await execution('AFR_OTA-job2')).toEqual(before);
  });

  it('cleanup: unsubscribes are accepted and the server keeps serving', async () => {
    await replay(caseOf('cleanupData/Control'));
    await c.subscribeAsync('$aws/things/MyThing/jobs/get/accepted', { qos: 1 });
    await c.publishAsync('$aws/things/MyThing/jobs/get', '{}', { qos: 1 });
    expect(r.json(await r.next((x) => x.topic === '$aws/things/MyThing/jobs/get/accepted'))).toHaveProperty('queuedJobs');
  });
});
