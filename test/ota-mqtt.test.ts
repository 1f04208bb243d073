/**
 * The OTA data plane over real MQTT: the embedded broker with mutual TLS, the Jobs MQTT API and
 * MQTT file streams as a device sees them, the topic policy, certificate status, bad input.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bitmapFor, decodeDataBlock, decodeStreamError, encodeCbor, encodeGetRequest, parseJobMessage } from '../simulator/ota-wire/index.js';
import { connectDevice, provisionDevice, putFirmware, Recorder, tryConnect } from './support/mqtt.js';
import { startTestServer, type TestServer } from './support/server.js';

const ROLE = 'arn:aws:iam::123456789012:role/ota';
const FILE = randomBytes(10_000);
const SIG = Buffer.from('MEQCIF2QDvww1G/kpRGZ8FYvQrok1bSZvXjXefRk7sqNcyPTAiB4dvGt8fozIY5NC0vUDJ2MY42ZERYEcrbwA4n6q7vrBg==', 'base64');

let t: TestServer;
let dev1: { cert: string; key: string; certificateId: string; certificateArn: string };
let dev2: { cert: string; key: string; certificateId: string; certificateArn: string };
let streamId: string;
const clients: MqttClient[] = [];

async function device(id: string, identity: { cert: string; key: string }): Promise<{ c: MqttClient; r: Recorder }> {
  const c = await connectDevice(t.server, id, identity);
  clients.push(c);
  return { c, r: new Recorder(c) };
}

beforeAll(async () => {
  t = await startTestServer();
  dev1 = await provisionDevice(t.server, 'dev-1');
  dev2 = await provisionDevice(t.server, 'dev-2');
  await putFirmware(t.server, 'firmware', 'app.bin', FILE);
  const ctx = t.server.iotContext;
  await t.server.iot.otaUpdates.createOTAUpdate(ctx, {
    otaUpdateId: 'u1',
    targets: [`arn:aws:iot:${ctx.region}:${ctx.accountId}:thing/dev-1`, `arn:aws:iot:${ctx.region}:${ctx.accountId}:thing/dev-2`],
    roleArn: ROLE,
    files: [{ fileName: 'app.bin', fileLocation: { s3Location: { bucket: 'firmware', key: 'app.bin' } }, codeSigning: { customCodeSigning: { signature: { inlineDocument: SIG }, hashAlgorithm: 'SHA256', signatureAlgorithm: 'ECDSA', certificateChain: { certificateName: 'ota.crt' } } } }],
  });
  const u = await t.server.iot.otaUpdates.settled(ctx, 'u1');
  expect(u.otaUpdateStatus).toBe('CREATE_COMPLETE');
  streamId = u.streamId!;
});
afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  await t?.stop();
});

describe('endpoints.json and the broker certificate', () => {
  it('names every listener and the CA a device trusts', () => {
    const ep = JSON.parse(readFileSync(join(t.dataDir, 'endpoints.json'), 'utf8')) as { mqtt: { tls: string; plain: string; caFile: string; deviceCaFile: string } };
    expect(ep.mqtt.tls).toBe(`mqtts://localhost:${t.server.mqtt.tlsPort}`);
    expect(ep.mqtt.plain).toBe(`mqtt://127.0.0.1:${t.server.mqtt.plainPort}`);
    expect(readFileSync(ep.mqtt.caFile, 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(readFileSync(ep.mqtt.deviceCaFile, 'utf8')).toContain('BEGIN CERTIFICATE');
  });
  it('a device dialing 127.0.0.1 verifies the broker certificate (IP SAN)', async () => {
    const c = await connectAsync(`mqtts://127.0.0.1:${t.server.mqtt.tlsPort}`, { clientId: 'dev-1', ca: readFileSync(t.server.mqtt.caFile!, 'utf8'), cert: dev1.cert, key: dev1.key, reconnectPeriod: 0 });
    expect(c.connected).toBe(true);
    await c.endAsync();
  });
});

describe('Jobs MQTT API', () => {
  it('$next/get without a subscription to get/accepted: the execution is pushed on notify-next', async () => {
    const { c, r } = await device('dev-1', dev1);
    await c.subscribeAsync('$aws/things/dev-1/jobs/notify-next', { qos: 1 });
    await c.publishAsync('$aws/things/dev-1/jobs/$next/get', '{"clientToken":":dev-1"}', { qos: 1 });
    const m = await r.next((x) => x.topic === '$aws/things/dev-1/jobs/notify-next');
    const parsed = parseJobMessage(m.payload.toString(), { signatureKey: 'sig-sha256-ecdsa' });
    expect(parsed).toMatchObject({ kind: 'job', jobId: 'AFR_OTA-u1', streamname: streamId, filesize: FILE.length, fileid: 0, certfile: 'ota.crt' });
    expect(parsed.kind === 'job' && Buffer.from(parsed.signature!)).toEqual(SIG);
  });

  it('answers on accepted/rejected with the documented codes; unknown fields are ignored; the token is echoed', async () => {
    const { c, r } = await device('dev-1', dev1);
    await c.subscribeAsync(['$aws/things/dev-1/jobs/+/get/+', '$aws/things/dev-1/jobs/+/update/+', '$aws/things/dev-1/jobs/notify-next'], { qos: 1 });
    const mark = r.messages.length;
    await c.publishAsync('$aws/things/dev-1/jobs/$next/get', JSON.stringify({ clientToken: 'a1', includeJobDocument: false, somethingNew: 1 }), { qos: 1 });
    const acc = r.json(await r.next((x) => x.topic === '$aws/things/dev-1/jobs/$next/get/accepted', { from: mark }));
    expect(acc).toMatchObject({ clientToken: 'a1', execution: { jobId: 'AFR_OTA-u1', status: 'QUEUED', versionNumber: 1, executionNumber: 1 } });
    expect((acc['execution'] as Record<string, unknown>)['jobDocument']).toBeUndefined();

    const up = '$aws/things/dev-1/jobs/AFR_OTA-u1/update';
    await c.publishAsync(up, JSON.stringify({ status: 'IN_PROGRESS', statusDetails: { receive: '1/3' }, expectedVersion: 1, includeJobExecutionState: true, clientToken: 'u1', extra: { x: 1 } }), { qos: 1 });
    expect(r.json(await r.next((x) => x.topic === `${up}/accepted`))).toMatchObject({ clientToken: 'u1', executionState: { status: 'IN_PROGRESS', statusDetails: { receive: '1/3' }, versionNumber: 2 } });
    const cases: [string, string][] = [
      [JSON.stringify({ status: 'IN_PROGRESS', expectedVersion: 1, clientToken: 'v' }), 'VersionMismatch'],
      ['not json', 'InvalidJson'],
      ['[1,2]', 'InvalidJson'],
      [JSON.stringify({ status: 'QUEUED', clientToken: 'q' }), 'InvalidRequest'],
      [JSON.stringify({ status: 'IN_PROGRESS', statusDetails: { k: 5 } }), 'InvalidRequest'],
      [JSON.stringify({ status: 'IN_PROGRESS', expectedVersion: 'two' }), 'InvalidRequest'],
    ];
    for (const [payload, code] of cases) {
      const from = r.messages.length;
      await c.publishAsync(up, payload, { qos: 1 });
      expect(r.json(await r.next((x) => x.topic === `${up}/rejected`, { from })), payload).toMatchObject({ code });
    }
    const vm = r.messages.filter((x) => x.topic === `${up}/rejected`).map((x) => r.json(x)).find((x) => x['code'] === 'VersionMismatch');
    expect(vm).toMatchObject({ clientToken: 'v', executionState: { status: 'IN_PROGRESS', versionNumber: 2 } });
    let from = r.messages.length;
    await c.publishAsync('$aws/things/dev-1/jobs/nope/get', '{}', { qos: 1 });
    expect(r.json(await r.next((x) => x.topic === '$aws/things/dev-1/jobs/nope/get/rejected', { from }))).toMatchObject({ code: 'ResourceNotFound' });
    from = r.messages.length;
    await c.publishAsync('$aws/things/dev-1/jobs/bad!id/update', '{"status":"FAILED"}', { qos: 1 });
    expect(r.json(await r.next((x) => x.topic === '$aws/things/dev-1/jobs/bad!id/update/rejected', { from }))).toMatchObject({ code: 'InvalidTopic' });
    // The execution was not touched by any of the bad requests.
    expect((await t.server.iot.jobs.describeJobExecution(t.server.iotContext, { jobId: 'AFR_OTA-u1', thingName: 'dev-1' })).versionNumber).toBe(2);
  });

  it('get lists pending executions; notify-next is not re-sent for QUEUED → IN_PROGRESS', async () => {
    const { c, r } = await device('dev-2', dev2);
    await c.subscribeAsync(['$aws/things/dev-2/jobs/get/+', '$aws/things/dev-2/jobs/notify-next', '$aws/things/dev-2/jobs/+/update/accepted'], { qos: 1 });
    await c.publishAsync('$aws/things/dev-2/jobs/get', '{"clientToken":"g"}', { qos: 1 });
    expect(r.json(await r.next((x) => x.topic === '$aws/things/dev-2/jobs/get/accepted'))).toMatchObject({ clientToken: 'g', queuedJobs: [{ jobId: 'AFR_OTA-u1', versionNumber: 1 }], inProgressJobs: [] });
    await c.publishAsync('$aws/things/dev-2/jobs/AFR_OTA-u1/update', '{"status":"IN_PROGRESS"}', { qos: 1 });
    await r.next((x) => x.topic === '$aws/things/dev-2/jobs/AFR_OTA-u1/update/accepted');
    await t.server.ota.idle();
    expect(r.messages.filter((x) => x.topic.endsWith('notify-next'))).toEqual([]);
  });
});

describe('MQTT file streams', () => {
  it('serves the requested blocks in CBOR (one message each, never past the last block) and JSON', async () => {
    const { c, r } = await device('dev-1', dev1);
    const base = `$aws/things/dev-1/streams/${streamId}`;
    await c.subscribeAsync([`${base}/data/cbor`, `${base}/data/json`, `${base}/rejected/+`, `${base}/description/json`], { qos: 0 });
    const blocks = Math.ceil(FILE.length / 4096);
    await c.publishAsync(`${base}/get/cbor`, Buffer.from(encodeGetRequest({ clientToken: 'rdy', fileId: 0, blockSize: 4096, offset: 0, bitmap: bitmapFor(8), numberOfBlocks: 8 }, 'cbor')), { qos: 0 });
    const got = new Map<number, Uint8Array>();
    for (const m of await r.all((x) => x.topic === `${base}/data/cbor`, blocks)) {
      const b = decodeDataBlock(new Uint8Array(m.payload), 'cbor');
      expect(b).toBeDefined();
      got.set(b!.blockId, b!.payload);
    }
    expect(Buffer.concat([...got.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p))).toEqual(FILE);
    await t.server.ota.idle();
    expect(r.messages.filter((x) => x.topic === `${base}/data/cbor`)).toHaveLength(blocks);

    await c.publishAsync(`${base}/get/json`, JSON.stringify({ c: 'j', f: 0, l: 256, o: 39, n: 1 }), { qos: 0 });
    const j = r.json(await r.next((x) => x.topic === `${base}/data/json`));
    expect(j).toMatchObject({ c: 'j', f: 0, i: 39, l: FILE.length - 39 * 256 });
    expect(Buffer.from(j['p'] as string, 'base64')).toEqual(FILE.subarray(39 * 256));

    await c.publishAsync(`${base}/describe/json`, '{"c":"d"}', { qos: 0 });
    expect(r.json(await r.next((x) => x.topic === `${base}/description/json`))).toMatchObject({ c: 'd', s: 1, r: [{ f: 0, z: FILE.length }] });
  });

  it('rejects bad requests with error codes and keeps serving', async () => {
    const { c, r } = await device('dev-1', dev1);
    const base = `$aws/things/dev-1/streams/${streamId}`;
    await c.subscribeAsync([`${base}/rejected/cbor`, `${base}/rejected/json`, '$aws/things/dev-1/streams/nope/rejected/json'], { qos: 0 });
    const cases: [string, Buffer, string][] = [
      [`${base}/get/cbor`, Buffer.from('ff', 'hex'), 'InvalidCbor'],
      [`${base}/get/json`, Buffer.from('{'), 'InvalidJson'],
      [`${base}/get/json`, Buffer.from('{"f":0,"l":64}'), 'BlockSizeOutOfBounds'],
      [`${base}/get/json`, Buffer.from('{"f":0,"l":4096,"o":3}'), 'OffsetOutOfBounds'],
      [`${base}/get/json`, Buffer.from('{"f":0,"l":4096,"o":-5}'), 'OffsetOutOfBounds'],
      [`${base}/get/json`, Buffer.from(`{"f":0,"l":4096,"b":"0x${'ff'.repeat(12288)}"}`), 'BlockBitmapLimitExceeded'],
      [`${base}/get/json`, Buffer.from('{"f":7,"l":4096}'), 'ResourceNotFound'],
      [`${base}/get/json`, Buffer.from('{"f":0,"l":4096,"s":9}'), 'VersionMismatch'],
      ['$aws/things/dev-1/streams/nope/get/json', Buffer.from('{"f":0,"l":4096}'), 'ResourceNotFound'],
    ];
    for (const [topic, payload, code] of cases) {
      const from = r.messages.length;
      await c.publishAsync(topic, payload, { qos: 0 });
      const fmt = topic.endsWith('cbor') ? 'cbor' : 'json';
      const m = await r.next((x) => x.topic === topic.replace(/get\/(cbor|json)$/, `rejected/${fmt}`), { from });
      expect(decodeStreamError(new Uint8Array(m.payload), fmt), `${code}`).toMatchObject({ code });
    }
  });
});

describe('bad input on every request topic', () => {
  it('random bytes, JSON and CBOR on every request topic never crash the service or touch another device', async () => {
    const { c, r } = await device('dev-1', dev1);
    const other = await t.server.iot.jobs.describeJobExecution(t.server.iotContext, { jobId: 'AFR_OTA-u1', thingName: 'dev-2' });
    const topics = [
      '$aws/things/dev-1/jobs/get',
      '$aws/things/dev-1/jobs/start-next',
      '$aws/things/dev-1/jobs/$next/get',
      '$aws/things/dev-1/jobs/AFR_OTA-u1/get',
      '$aws/things/dev-1/jobs/AFR_OTA-u1/update',
      '$aws/things/dev-1/jobs/AFR_OTA-nope/update',
      `$aws/things/dev-1/streams/${streamId}/get/cbor`,
      `$aws/things/dev-1/streams/${streamId}/get/json`,
      `$aws/things/dev-1/streams/${streamId}/describe/cbor`,
      '$aws/things/dev-1/streams/nope/get/cbor',
    ];
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.json().map((j) => new TextEncoder().encode(j)),
      fc.dictionary(fc.constantFrom('c', 'f', 'l', 'o', 'n', 'b', 's', 'status', 'statusDetails', 'expectedVersion', 'clientToken', 'executionNumber'), fc.oneof(fc.integer({ min: -5, max: 200_000 }), fc.string(), fc.uint8Array({ maxLength: 40 }), fc.boolean(), fc.constant(null))).map((o) => encodeCbor(o)),
    );
    const cases = fc.sample(fc.tuple(fc.constantFrom(...topics), payload), { numRuns: 300, seed: 4242 });
    for (const [topic, body] of cases) await c.publishAsync(topic, Buffer.from(body), { qos: 0 });
    await c.publishAsync('$aws/things/dev-1/jobs/get', '{"clientToken":"alive"}', { qos: 1 });
    await c.subscribeAsync('$aws/things/dev-1/jobs/get/accepted', { qos: 1 });
    await c.publishAsync('$aws/things/dev-1/jobs/get', '{"clientToken":"alive2"}', { qos: 1 });
    expect(r.json(await r.next((x) => x.topic === '$aws/things/dev-1/jobs/get/accepted' && x.payload.includes('alive2')))).toHaveProperty('queuedJobs');
    await t.server.ota.idle();
    expect(await t.server.iot.jobs.describeJobExecution(t.server.iotContext, { jobId: 'AFR_OTA-u1', thingName: 'dev-2' })).toEqual(other);
  });
});

describe('who may connect and touch which topics', () => {
  it('a device cannot subscribe to or publish on another thing’s topics', async () => {
    const { c } = await device('dev-1', dev1);
    const err = (await c.subscribeAsync(['$aws/things/dev-2/jobs/notify-next', '$aws/things/+/jobs/notify-next', '#', '$aws/things/dev-1/jobs/notify-next'], { qos: 1 }).catch((e: unknown) => e)) as { packet?: { granted: number[] } };
    expect(err.packet?.granted).toEqual([128, 128, 128, 1]);
    const before = await t.server.iot.jobs.describeJobExecution(t.server.iotContext, { jobId: 'AFR_OTA-u1', thingName: 'dev-2' });
    expect(c.connected).toBe(true);
    // MQTT 3.1.1 has no PUBACK error: the broker drops the publish (and the connection).
    await c.publishAsync('$aws/things/dev-2/jobs/AFR_OTA-u1/update', '{"status":"FAILED"}', { qos: 0 }).catch(() => undefined);
    await t.server.ota.idle();
    const after = await t.server.iot.jobs.describeJobExecution(t.server.iotContext, { jobId: 'AFR_OTA-u1', thingName: 'dev-2' });
    expect(after).toEqual(before);
  });

  it('an unregistered certificate is refused; a certificate made INACTIVE or REVOKED is disconnected and cannot reconnect', async () => {
    const stranger = await t.server.iot.certificates.createKeysAndCertificate(t.server.iotContext, { setAsActive: false });
    expect(await tryConnect(t.server, 'x', { cert: stranger.certificate.certificatePem, key: stranger.keyPair.PrivateKey })).toBe('refused');
    const dev3 = await provisionDevice(t.server, 'dev-3');
    const { c } = await device('dev-3', dev3);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    await t.server.iot.certificates.updateCertificate(t.server.iotContext, { certificateId: dev3.certificateId, newStatus: 'REVOKED' });
    await closed;
    expect(await tryConnect(t.server, 'dev-3', dev3)).toBe('refused');
  });

  it('the plain listener is for local tools on 127.0.0.1 and sees the events', async () => {
    const tool = await connectAsync(t.server.mqtt.plainUrl!, { clientId: 'tool', reconnectPeriod: 0 });
    clients.push(tool);
    const r = new Recorder(tool);
    await tool.subscribeAsync('$aws/events/#', { qos: 1 });
    const { c } = await device('dev-2', dev2);
    await c.publishAsync('$aws/things/dev-2/jobs/AFR_OTA-u1/update', '{"status":"SUCCEEDED","statusDetails":{"reason":"accepted  v1.0.1"}}', { qos: 1 });
    expect(r.json(await r.next((x) => x.topic === '$aws/events/jobExecution/AFR_OTA-u1/succeeded'))).toMatchObject({ jobId: 'AFR_OTA-u1', status: 'SUCCEEDED' });
  });
});
