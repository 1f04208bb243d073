/**
 * The agent's decisions and bytes, driven message by message: what it publishes (compared with the
 * captured FreeRTOS messages), what it does with bad blocks, late blocks, lost blocks, canceled jobs,
 * self-test jobs and timers (on a manual clock).
 */
import { createSign, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAfrOtaDocument, encodeDataBlock, toBase64 } from '../ota-wire/index.js';
import { buildImage, fromVersion32, manualScheduler, OtaAgent, SimulatedFlash, version32, type AgentEvent, type AppVersion } from './index.js';

const capture = JSON.parse(readFileSync(join(import.meta.dirname, '../../test/vectors/ota/agent-mqtt-messages.json'), 'utf8')) as { main: { case: string; messages: { op: string; qos: number; topic: string; payload?: string; payloadCborHex?: string }[] }[] };
const captured = (prefix: string) => capture.main.find((c) => c.case.startsWith(prefix))!.messages;

const V100: AppVersion = { major: 1, minor: 0, build: 0 };
const V123: AppVersion = { major: 1, minor: 2, build: 3 };

interface Sent {
  op: 'SUBSCRIBE' | 'UNSUBSCRIBE' | 'PUBLISH';
  topic: string;
  qos?: number;
  payload?: string | Uint8Array;
}

/** The published FreeRTOS OTA PAL test signer (amazon-freertos integration tests): PUBLIC TEST KEY, never for devices. */
const palVector = (JSON.parse(readFileSync(join(import.meta.dirname, '../../test/vectors/ota/signature-vectors.json'), 'utf8')) as { vectors: { id: string; signerCertificatePem: string; testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY: string }[] }).vectors.find((v) => v.id === 'ecdsa-p256-sha256')!;
const signerCert = palVector.signerCertificatePem;
const signerKey = palVector.testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY;

function harness(opts: { running?: AppVersion; flash?: SimulatedFlash; selfTest?: boolean; certificates?: Record<string, string> } = {}) {
  const sent: Sent[] = [];
  const events: AgentEvent[] = [];
  const resets: string[] = [];
  const clock = manualScheduler();
  const flash = opts.flash ?? new SimulatedFlash({ image: buildImage(opts.running ?? V100, new Uint8Array(0)), version: opts.running ?? V100 });
  const boot = flash.boot();
  const agent = new OtaAgent({
    thingName: 'MyThing',
    connection: {
      subscribe: (topic, qos) => sent.push({ op: 'SUBSCRIBE', topic, qos }),
      unsubscribe: (topic) => sent.push({ op: 'UNSUBSCRIBE', topic }),
      publish: (topic, payload, qos) => sent.push({ op: 'PUBLISH', topic, qos, payload }),
    },
    flash,
    scheduler: clock,
    boot,
    codeSigningCertificates: opts.certificates ?? { 'ota.crt': signerCert },
    onReset: (r) => resets.push(r),
    onEvent: (e) => events.push(e),
  });
  agent.start();
  const statuses = () => sent.filter((s) => s.op === 'PUBLISH' && s.topic.endsWith('/update')).map((s) => `${s.topic} ${s.payload as string}`);
  return { agent, sent, events, resets, clock, flash, statuses };
}

function jobMessage(o: { jobId?: string; file: Uint8Array; signature?: Uint8Array; fileType?: number; status?: string; statusDetails?: Record<string, string>; protocols?: string[] }): Uint8Array {
  const doc = buildAfrOtaDocument({
    protocols: ['MQTT'],
    streamname: 'AFR_OTA-stream1',
    file: { filepath: '/fw', filesize: o.file.length, fileid: 0, certfile: 'ota.crt', fileType: o.fileType ?? 0, signatureKey: 'sig-sha256-ecdsa', signature: toBase64(o.signature ?? new Uint8Array(70).fill(1)) },
  });
  if (o.protocols) doc.afr_ota['protocols'] = o.protocols;
  return new TextEncoder().encode(
    JSON.stringify({ timestamp: 1, execution: { jobId: o.jobId ?? 'AFR_OTA-job1', status: o.status ?? 'QUEUED', ...(o.statusDetails ? { statusDetails: o.statusDetails } : {}), queuedAt: 1, lastUpdatedAt: 1, versionNumber: 1, executionNumber: 1, jobDocument: doc } }),
  );
}
const NOTIFY = '$aws/things/MyThing/jobs/notify-next';
const DATA = '$aws/things/MyThing/streams/AFR_OTA-stream1/data/cbor';
const block = (file: Uint8Array, i: number, size = 4096) => encodeDataBlock({ fileId: 0, blockId: i, payload: file.subarray(i * 4096, i * 4096 + size) }, 'cbor');
const sign = (bytes: Uint8Array) => new Uint8Array(createSign('sha256').update(bytes).sign(signerKey));

describe('what the agent publishes, against the captured FreeRTOS messages', () => {
  it('requestJob, initFileTransfer and the first two block requests are byte-identical', () => {
    const h = harness();
    const expected = [...captured('requestJob_Mqtt (first call'), ...captured('initFileTransfer_Mqtt'), ...captured('requestFileBlock_Mqtt 10240-byte file, nothing'), ...captured('requestFileBlock_Mqtt after block 0')];
    const file = randomBytes(10_240);
    h.agent.onMessage(NOTIFY, jobMessage({ file }));
    h.agent.onMessage(DATA, block(file, 0));
    const got = h.sent.filter((s) => !s.topic.endsWith('/update')).map((s) => ({ op: s.op, qos: s.qos, topic: s.topic, ...(typeof s.payload === 'string' ? { payload: s.payload } : s.payload ? { payloadCborHex: Buffer.from(s.payload).toString('hex') } : {}) }));
    expect(got).toEqual(expected);
    expect(h.statuses()).toEqual(['$aws/things/MyThing/jobs/AFR_OTA-job1/update {"status":"IN_PROGRESS","statusDetails":{"receive":"1/3"}}']);
  });

  it('a verified firmware file: self_test ready with the running version, then a reset into the test boot', () => {
    const h = harness({ running: V100 });
    const file = buildImage(V123, randomBytes(9000));
    h.agent.onMessage(NOTIFY, jobMessage({ file, signature: sign(file) }));
    for (let i = 0; i < 3; i++) h.agent.onMessage(DATA, block(file, i, i === 2 ? file.length - 8192 : 4096));
    expect(h.statuses().at(-1)).toBe('$aws/things/MyThing/jobs/AFR_OTA-job1/update {"status":"IN_PROGRESS","statusDetails":{"self_test":"ready","updatedBy":"0x01000000"}}');
    expect(h.resets).toEqual(['activating the new image']);
    expect(h.flash.state).toBe('PendingCommit');
    expect(h.flash.boot()).toEqual({ version: V123, selfTest: true });
  });

  it('a non-firmware file is accepted right away with the file type as sub-reason (accepted  v0.0.2)', () => {
    const h = harness({ running: V100 });
    const file = randomBytes(5000);
    h.agent.onMessage(NOTIFY, jobMessage({ file, signature: sign(file), fileType: 2 }));
    h.agent.onMessage(DATA, block(file, 0));
    h.agent.onMessage(DATA, block(file, 1, 5000 - 4096));
    expect(h.statuses().at(-1)).toBe('$aws/things/MyThing/jobs/AFR_OTA-job1/update {"status":"SUCCEEDED","statusDetails":{"reason":"accepted  v0.0.2","updatedBy":"  v1.0.0"}}');
    expect(h.resets).toEqual([]);
  });
});

describe('bad and unexpected blocks', () => {
  it.each([
    ['a block past the end', (f: Uint8Array) => encodeDataBlock({ fileId: 0, blockId: 3, payload: f.subarray(0, 4096) }, 'cbor')],
    ['a short middle block', (f: Uint8Array) => block(f, 0, 100)],
    ['a last block of the wrong size', (f: Uint8Array) => encodeDataBlock({ fileId: 0, blockId: 2, payload: f.subarray(0, 4096) }, 'cbor')],
    ['not CBOR', () => new Uint8Array([0xff, 0x00])],
    ['p as text', () => new Uint8Array(Buffer.from('a4616600616c03616902617063616263', 'hex'))],
  ])('%s fails the job with 0x000000e0', (_, make) => {
    const h = harness();
    const file = randomBytes(10_240);
    h.agent.onMessage(NOTIFY, jobMessage({ file }));
    h.agent.onMessage(DATA, make(file));
    expect(h.statuses().at(-1)).toBe('$aws/things/MyThing/jobs/AFR_OTA-job1/update {"status":"FAILED","statusDetails":{"reason":"0x000000e0: 0x00000000"}}');
    expect(h.agent.state).toBe('WaitingForJob');
  });

  it('a duplicate block while others are missing is ignored; a block after the last one fails on jobs//update', () => {
    const h = harness();
    const file = randomBytes(10_240);
    h.agent.onMessage(NOTIFY, jobMessage({ file }));
    h.agent.onMessage(DATA, block(file, 0));
    h.agent.onMessage(DATA, block(file, 0));
    expect(h.statuses()).toHaveLength(1);
    h.agent.onMessage(DATA, block(file, 1));
    h.agent.onMessage(DATA, block(file, 2, 2048));
    // The signature does not verify (placeholder): 0xe3, then a late block.
    expect(h.statuses().at(-1)).toContain('0x000000e3: 0x00000000');
    h.agent.onMessage(DATA, block(file, 2, 2048));
    expect(h.statuses().at(-1)).toBe('$aws/things/MyThing/jobs//update {"status":"FAILED","statusDetails":{"reason":"0x000000e0: 0x00000000"}}');
  });

  it('re-requests every 10 s without a block; after 32 requests it aborts with 0x00000008', () => {
    const h = harness();
    const file = randomBytes(10_240);
    h.agent.onMessage(NOTIFY, jobMessage({ file }));
    const requests = () => h.sent.filter((s) => s.topic.endsWith('/get/cbor')).length;
    expect(requests()).toBe(1);
    h.clock.advance(9_999);
    expect(requests()).toBe(1);
    h.clock.advance(1);
    expect(requests()).toBe(2);
    h.clock.advance(30 * 10_000);
    expect(requests()).toBe(32);
    h.clock.advance(10_000);
    expect(h.statuses().at(-1)).toContain('"reason":"aborted: 0x00000008"');
    expect(h.clock.pending()).toBe(0);
  });

  it('an empty notify-next (job canceled) stops the download; the same job again continues from the bitmap', () => {
    const h = harness();
    const file = randomBytes(10_240);
    h.agent.onMessage(NOTIFY, jobMessage({ file }));
    h.agent.onMessage(DATA, block(file, 0));
    h.agent.onMessage(NOTIFY, jobMessage({ file }));
    const last = h.sent.filter((s) => s.topic.endsWith('/get/cbor')).at(-1)!;
    expect(Buffer.from(last.payload as Uint8Array).toString('hex')).toBe('a6616363726479616600616c191000616f0061624106616e01');
    h.agent.onMessage(NOTIFY, new TextEncoder().encode('{"timestamp":2}'));
    expect(h.agent.state).toBe('WaitingForJob');
    expect(h.flash.file()).toBeUndefined();
    expect(h.sent.at(-1)).toEqual({ op: 'UNSUBSCRIBE', topic: DATA });
  });

  it('garbage on notify-next is ignored; a malformed job is reported 0x0000000c: 0x00000004; a bad protocol aborted: 0x0000000d', () => {
    const h = harness();
    h.agent.onMessage(NOTIFY, new TextEncoder().encode('not json'));
    expect(h.statuses()).toEqual([]);
    h.agent.onMessage(NOTIFY, new TextEncoder().encode('{"execution":{"jobId":"AFR_OTA-bad","jobDocument":{"afr_ota":{"protocols":["MQTT"],"files":[{"fileid":0}]}}}}'));
    expect(h.statuses().at(-1)).toBe('$aws/things/MyThing/jobs/AFR_OTA-bad/update {"status":"FAILED","statusDetails":{"reason":"0x0000000c: 0x00000004"}}');
    h.agent.onMessage(NOTIFY, jobMessage({ jobId: 'AFR_OTA-http', file: randomBytes(10), protocols: ['HTTP'] }));
    expect(h.statuses().at(-1)).toBe('$aws/things/MyThing/jobs/AFR_OTA-http/update {"status":"FAILED","statusDetails":{"reason":"aborted: 0x0000000d"}}');
  });
});

describe('the test boot', () => {
  function testBoot(selfTestPasses = true) {
    const flash = new SimulatedFlash({ image: buildImage(V100, new Uint8Array(0)), version: V100 });
    flash.createFile(100);
    flash.writeBlock(0, buildImage(V123, new Uint8Array(84)));
    flash.activate(V123);
    return { flash, h: harness({ flash }), selfTestPasses };
  }
  const selfTestJob = (updatedBy: AppVersion, file = randomBytes(10)) => jobMessage({ file, status: 'IN_PROGRESS', statusDetails: { self_test: 'ready', updatedBy: `0x${version32(updatedBy).toString(16).padStart(8, '0')}` } });

  it('self_test active, then accepted with both versions, and the image is committed', () => {
    const { h, flash } = testBoot();
    h.agent.onMessage(NOTIFY, selfTestJob(V100));
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(h.statuses()).toEqual([
          '$aws/things/MyThing/jobs/AFR_OTA-job1/update {"status":"IN_PROGRESS","statusDetails":{"self_test":"active","updatedBy":"0x01020003"}}',
          '$aws/things/MyThing/jobs/AFR_OTA-job1/update {"status":"SUCCEEDED","statusDetails":{"reason":"accepted  v1.2.3","updatedBy":"  v1.0.0"}}',
        ]);
        expect(flash.state).toBe('Valid');
        expect(flash.boot()).toEqual({ version: V123, selfTest: false });
        resolve();
      }),
    );
  });

  it('updatedBy newer than the running image: rejected 0x0000000f and a reset into the old image', () => {
    const { h, flash } = testBoot();
    h.agent.onMessage(NOTIFY, selfTestJob({ major: 9, minor: 0, build: 0 }));
    expect(h.statuses()).toEqual(['$aws/things/MyThing/jobs/AFR_OTA-job1/update {"status":"FAILED","statusDetails":{"reason":"rejected: 0x0000000f"}}']);
    expect(h.resets).toHaveLength(1);
    expect(flash.boot()).toEqual({ version: V100, selfTest: false });
  });

  it('a self-test job on a platform that is not in self-test: rejected 0x00000011', () => {
    const h = harness({ running: V123 });
    h.agent.onMessage(NOTIFY, selfTestJob(V100));
    expect(h.statuses()).toEqual(['$aws/things/MyThing/jobs/AFR_OTA-job1/update {"status":"FAILED","statusDetails":{"reason":"rejected: 0x00000011"}}']);
  });

  it('no job within 16 s of a test boot: the timer resets and the boot loader rolls back', () => {
    const { h, flash } = testBoot();
    h.clock.advance(15_999);
    expect(h.resets).toEqual([]);
    h.clock.advance(1);
    expect(h.resets).toEqual(['self-test timer expired']);
    expect(flash.boot()).toEqual({ version: V100, selfTest: false });
    expect(flash.state).toBe('Invalid');
  });

  it('a normal job on a test boot resets at once (rollback)', () => {
    const { h } = testBoot();
    h.agent.onMessage(NOTIFY, jobMessage({ file: randomBytes(10) }));
    expect(h.resets).toEqual(['test boot received a job that is not in self-test']);
    expect(h.statuses()).toEqual([]);
  });
});

it('version words: 1.2.3 is 0x01020003', () => {
  expect(version32(V123)).toBe(0x01020003);
  expect(fromVersion32(0x01020003)).toEqual(V123);
});
