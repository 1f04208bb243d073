import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bitmapFor,
  bitmapFromHex,
  blocksToServe,
  buildAfrOtaDocument,
  decodeDataBlock,
  decodeDescription,
  decodeStreamError,
  encodeDataBlock,
  encodeDescription,
  encodeGetRequest,
  encodeStreamError,
  fromBase64,
  JobDocumentError,
  parseGetRequest,
  parseJobMessage,
  parseRequestTopic,
  StreamRequestError,
  toBase64,
} from './index.js';

const VECTORS = join(import.meta.dirname, '../../test/vectors/ota');
const cbor = JSON.parse(readFileSync(join(VECTORS, 'cbor-vectors.json'), 'utf8')) as {
  vectors: { id: string; hex: string; decoded: Record<string, unknown> }[];
};
const vector = (id: string) => {
  const v = cbor.vectors.find((x) => x.id === id);
  if (!v) throw new Error(`no vector ${id}`);
  return { ...v, bytes: new Uint8Array(Buffer.from(v.hex, 'hex')) };
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const jobDoc = (name: string) => readFileSync(join(VECTORS, 'job-documents', name), 'utf8');
const ECDSA = { signatureKey: 'sig-sha256-ecdsa' };

describe('job documents as the FreeRTOS agent parses them (its own unit-test cases)', () => {
  it('JOB_DOC_A: a valid MQTT job', () => {
    const p = parseJobMessage(jobDoc('freertos-utest-JOB_DOC_A.json'), ECDSA);
    expect(p).toMatchObject({ kind: 'job', jobId: 'AFR_OTA-testjob20', streamname: 'AFR_OTA-XYZ', filesize: 10240, fileid: 0, certfile: 'test.crt', filepath: '/test/demo', fileType: 0, selfTest: false });
    if (p.kind !== 'job') throw new Error('unreachable');
    expect(p.signature?.length).toBe(70);
    expect(p.signature?.[0]).toBe(0x30);
  });
  it('JOB_DOC_EMPTY: no pending job', () => {
    expect(parseJobMessage(jobDoc('freertos-utest-JOB_DOC_EMPTY.json'), ECDSA).kind).toBe('empty');
  });
  it('JOB_DOC_INVALID: not JSON', () => {
    expect(parseJobMessage(jobDoc('freertos-utest-JOB_DOC_INVALID.txt'), ECDSA).kind).toBe('invalid-json');
  });
  it('self-test documents carry self_test and updatedBy (strtoul base 0)', () => {
    const p = parseJobMessage(jobDoc('freertos-utest-JOB_DOC_SELF_TEST.json'), ECDSA);
    expect(p).toMatchObject({ kind: 'job', selfTest: true, updatedBy: 0x1000000, status: 'IN_PROGRESS' });
    expect(parseJobMessage(jobDoc('freertos-utest-JOB_DOC_SELF_TEST_FILE_TYPE.json'), ECDSA)).toMatchObject({ kind: 'job', fileType: 255 });
    expect(parseJobMessage(jobDoc('freertos-utest-JOB_DOC_SERVERFILE_ID.json'), ECDSA)).toMatchObject({ kind: 'job', fileid: 1 });
  });
  it.each([
    ['freertos-utest-JOB_DOC_INVALID_BASE64_KEY.json', 'base64'],
    ['freertos-utest-JOB_DOC_MISSING_KEY.json', 'filesize'],
    ['freertos-utest-JOB_DOC_INVALID_NUMBER_NAN.json', 'numbers'],
    ['freertos-utest-JOB_DOC_INVALID_NUMBER_VAL.json', 'numbers'],
    ['freertos-utest-JOB_DOC_MISSING_JOB_DOC.json', 'jobDocument'],
    ['freertos-utest-JOB_DOC_MISSING_JOB_ID.json', 'jobId'],
  ])('%s fails the model', (file, why) => {
    const p = parseJobMessage(jobDoc(file), ECDSA);
    expect(p.kind).toBe('malformed');
    if (p.kind === 'malformed') expect(p.why).toContain(why);
  });
  it('filesize strings are read like strtoul (JOB_DOC_ONE_BLOCK)', () => {
    expect(parseJobMessage(jobDoc('freertos-utest-JOB_DOC_ONE_BLOCK.json'), ECDSA)).toMatchObject({ kind: 'job', filesize: 1024 });
  });
  it('a file size past OTA_MAX_FILE_SIZE and job ids past 72 characters are refused', () => {
    expect(parseJobMessage(jobDoc('freertos-utest-JOB_DOC_FILESIZE_OVERFLOW.json'), ECDSA)).toMatchObject({ kind: 'rejected', err: 0x17 });
    expect(parseJobMessage(jobDoc('freertos-utest-JOB_DOC_INVALID_JOB_ID_LEN_MAX.json'), ECDSA)).toMatchObject({ kind: 'rejected', err: 0x0c });
    expect(parseJobMessage(jobDoc('freertos-utest-JOB_DOC_INVALID_JOB_ID.json'), ECDSA)).toMatchObject({ kind: 'rejected' });
  });
  it('the signature under another key is simply absent (the device fails later at verification)', () => {
    const p = parseJobMessage(jobDoc('freertos-utest-JOB_DOC_A.json'), { signatureKey: 'sig-sha1-rsa' });
    expect(p.kind).toBe('job');
    if (p.kind === 'job') expect(p.signature).toBeUndefined();
  });
  it('rustot describe-next response (AWS-made document, 44-character stream name): its placeholder signature is not base64', () => {
    expect(parseJobMessage(jobDoc('rustot-describe-next-accepted.json'), ECDSA)).toMatchObject({ kind: 'malformed', jobId: 'AFR_OTA-rustot_test_1' });
    const p = parseJobMessage(jobDoc('rustot-describe-next-accepted.json'), { signatureKey: 'sig-sha1-rsa' });
    expect(p.kind).toBe('job');
    if (p.kind === 'job') expect(p.streamname?.length).toBe(44);
  });

  it('builds the document the agent parses back, with every key in AWS order', () => {
    const sig = toBase64(new Uint8Array(70).fill(7));
    const doc = buildAfrOtaDocument({
      protocols: ['MQTT'],
      streamname: 'AFR_OTA-01234567-89ab-cdef-0123-456789abcdef',
      file: { filepath: 'firmware.bin', filesize: 10240, fileid: 0, certfile: 'Code Verify Key', fileType: 0, signatureKey: 'sig-sha256-ecdsa', signature: sig },
    });
    expect(Object.keys((doc.afr_ota['files'] as Record<string, unknown>[])[0] as object)).toEqual(['filepath', 'filesize', 'fileid', 'certfile', 'fileType', 'sig-sha256-ecdsa']);
    const msg = JSON.stringify({ timestamp: 1, execution: { jobId: 'AFR_OTA-u1', status: 'QUEUED', versionNumber: 1, executionNumber: 1, jobDocument: doc } });
    expect(parseJobMessage(msg, ECDSA)).toMatchObject({ kind: 'job', jobId: 'AFR_OTA-u1', filesize: 10240, streamname: 'AFR_OTA-01234567-89ab-cdef-0123-456789abcdef' });
  });
  it.each([
    [{ streamname: 'x'.repeat(45) }, 'streamname'],
    [{ signature: 'Zg===' }, 'signature'],
    [{ signatureKey: 'signature' }, 'signatureKey'],
    [{ filesize: 0 }, 'filesize'],
  ])('refuses to build a document a device cannot take: %o', (patch, what) => {
    const base = { protocols: ['MQTT' as const], streamname: 'AFR_OTA-s', file: { filepath: 'f', filesize: 1, fileid: 0, certfile: 'c', fileType: 0, signatureKey: 'sig-sha256-ecdsa', signature: 'AAAA' } };
    const input = 'streamname' in patch ? { ...base, ...patch } : { ...base, file: { ...base.file, ...patch } };
    expect(() => buildAfrOtaDocument(input as never)).toThrow(JobDocumentError);
    expect(() => buildAfrOtaDocument(input as never)).toThrow(what);
  });
});

describe('base64 and bitmaps', () => {
  it('round-trips and refuses non-canonical base64', () => {
    for (let n = 0; n < 10; n++) {
      const b = new Uint8Array(n).map((_, i) => i * 37);
      expect(fromBase64(toBase64(b))).toEqual(b);
      expect(toBase64(b)).toBe(Buffer.from(b).toString('base64'));
    }
    for (const bad of ['Zg===', 'Zh==', 'Z', 'Zg=a', '!!!!']) expect(fromBase64(bad)).toBeUndefined();
  });
  it('the developer-guide bitmap: blocks 20, 21, 24, 43 from offset 20 are 0x130080', () => {
    expect(hex(bitmapFor(24, (k) => [0, 1, 4, 23].includes(k)))).toBe('130080');
    expect(bitmapFromHex('0x130080')).toEqual(new Uint8Array([0x13, 0x00, 0x80]));
    expect(bitmapFromHex('0x1')).toBeUndefined();
  });
});

describe('stream requests (device → server) against the captured CBOR vectors', () => {
  it('encodes the FreeRTOS agent request byte for byte', () => {
    const v = vector('getstream-req-agent-initial');
    expect(hex(encodeGetRequest({ clientToken: 'rdy', fileId: 0, blockSize: 4096, offset: 0, bitmap: bitmapFor(3), numberOfBlocks: 1 }, 'cbor'))).toBe(v.hex);
    const after = vector('getstream-req-agent-after-block0');
    expect(hex(encodeGetRequest({ clientToken: 'rdy', fileId: 0, blockSize: 4096, offset: 0, bitmap: bitmapFor(3, (i) => i !== 0), numberOfBlocks: 1 }, 'cbor'))).toBe(after.hex);
    const utest = vector('getstream-req-freertos-utest');
    expect(hex(encodeGetRequest({ clientToken: 'ThisIsAClientToken', fileId: 1, blockSize: 4096, offset: 0, bitmap: new Uint8Array([0xaa, 0xaa, 0xaa, 0xaa]), numberOfBlocks: 4 }, 'cbor'))).toBe(utest.hex);
  });
  it.each([
    ['getstream-req-agent-initial', 10240, [0]],
    ['getstream-req-agent-after-block0', 10240, [1]],
    ['getstream-req-freertos-utest', 32 * 4096, [1, 3, 5, 7]],
    ['getstream-req-awsdoc-bitmap-example-as-cbor', 64 * 256, [20, 21, 24, 43]],
    ['getstream-req-mqtt-file-streams-lib', 40 * 4096, [0]],
    ['getstream-req-mqtt-file-streams-lib-offset7', 40 * 4096, [7]],
    ['getstream-req-rustot-4keys', 31 * 256, Array.from({ length: 31 }, (_, i) => i)],
    // Never a block after the file's last one, whatever the bitmap asks for.
    ['getstream-req-rustot-4keys', 5 * 256 - 10, [0, 1, 2, 3, 4]],
  ])('%s on a %d-byte file serves %j', (id, size, blocks) => {
    const req = parseGetRequest(vector(id).bytes, 'cbor');
    expect(blocksToServe(req, size)).toEqual(blocks);
  });
  it('JSON requests carry the bitmap as hex', () => {
    const req = parseGetRequest(new TextEncoder().encode('{"c":"t","s":1,"f":0,"l":256,"o":20,"n":32,"b":"0x130080","x":"ignored"}'), 'json');
    expect(req).toMatchObject({ clientToken: 't', streamVersion: 1, fileId: 0, blockSize: 256, offset: 20 });
    expect(blocksToServe(req, 100 * 256)).toEqual([20, 21, 24, 43]);
  });
  it.each([
    ['cbor', 'ff', 'InvalidCbor'],
    ['cbor', '', 'InvalidCbor'],
    ['cbor', '83010203', 'InvalidCbor'],
    ['json', '7b', 'InvalidJson'],
    ['json', '{"f":0,"l":100}', 'BlockSizeOutOfBounds'],
    ['json', '{"f":0,"l":131073}', 'BlockSizeOutOfBounds'],
    ['json', '{"f":0,"l":4096,"o":-1}', 'OffsetOutOfBounds'],
    ['json', '{"f":0,"l":4096,"o":98305}', 'OffsetOutOfBounds'],
    ['json', '{"f":0,"l":4096,"n":98305}', 'BlockCountLimitExceeded'],
    ['json', `{"f":0,"l":4096,"b":"0x${'ff'.repeat(12288)}"}`, 'BlockBitmapLimitExceeded'],
    ['json', '{"f":256,"l":4096}', 'InvalidRequest'],
    ['json', '{"l":4096}', 'InvalidRequest'],
    ['json', '{"f":"0","l":4096}', 'InvalidRequest'],
    ['json', '{"f":0,"l":4096,"b":"zz"}', 'InvalidRequest'],
    ['json', `{"f":0,"l":4096,"c":"${'x'.repeat(65)}"}`, 'InvalidRequest'],
  ])('%s %s → %s', (format, payload, code) => {
    const bytes = format === 'cbor' ? new Uint8Array(Buffer.from(payload, 'hex')) : new TextEncoder().encode(payload);
    try {
      parseGetRequest(bytes, format as 'cbor' | 'json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StreamRequestError);
      expect((e as StreamRequestError).code).toBe(code);
    }
  });
  it('an offset past the last block is OffsetOutOfBounds, with the client token', () => {
    const req = parseGetRequest(new TextEncoder().encode('{"c":"tok","f":0,"l":4096,"o":3}'), 'json');
    expect(() => blocksToServe(req, 10240)).toThrow(expect.objectContaining({ code: 'OffsetOutOfBounds', clientToken: 'tok' }));
  });
  it('serves at most 128 KiB per request', () => {
    const req = parseGetRequest(new TextEncoder().encode('{"f":0,"l":256}'), 'json');
    expect(blocksToServe(req, 10 * 1024 * 1024)).toHaveLength(512);
  });
});

describe('stream answers (server → device) against the captured CBOR vectors', () => {
  it('the device decoder accepts every server capture (indefinite-length maps) with the right payload', () => {
    const captures = cbor.vectors.filter((v) => v.id.startsWith('getstream-resp-server-capture'));
    expect(captures).toHaveLength(16);
    for (const v of captures) {
      const block = decodeDataBlock(new Uint8Array(Buffer.from(v.hex, 'hex')), 'cbor');
      expect(block, v.id).toBeDefined();
      const want = v.decoded as { f: number; i: number; l: number; p: { $sha256: string } };
      expect(block?.fileId).toBe(want.f);
      expect(block?.blockId).toBe(want.i);
      expect(block?.payload.length).toBe(want.l);
      expect(createHash('sha256').update(block!.payload).digest('hex')).toBe(want.p.$sha256);
    }
  });
  it('our data block is the byte-exact definite-length encoding of the synthesized vector', () => {
    const v = vector('getstream-resp-last-block-10-bytes');
    expect(hex(encodeDataBlock({ fileId: 0, blockId: 0, payload: new TextEncoder().encode('0123456789') }, 'cbor'))).toBe(v.hex);
  });
  it('our blocks of the captured file decode to what the captures carry', () => {
    const pattern = 'bcYzuhEnFsbj78b5TIdcha7R/OvJPExddq30XxcT';
    const file = new TextEncoder().encode(pattern.repeat(Math.ceil((32 * 256) / pattern.length)).slice(0, 32 * 256));
    for (const v of cbor.vectors.filter((x) => x.id.startsWith('getstream-resp-server-capture'))) {
      const theirs = decodeDataBlock(new Uint8Array(Buffer.from(v.hex, 'hex')), 'cbor')!;
      const ours = decodeDataBlock(encodeDataBlock({ fileId: 1, blockId: theirs.blockId, payload: file.slice(theirs.blockId * 256, theirs.blockId * 256 + 256) }, 'cbor'), 'cbor');
      expect(ours).toEqual(theirs);
    }
  });
  it('the device decoder refuses the negative vectors', () => {
    expect(decodeDataBlock(vector('getstream-resp-NEG-missing-l').bytes, 'cbor')).toBeUndefined();
    expect(decodeDataBlock(vector('getstream-resp-NEG-p-text').bytes, 'cbor')).toBeUndefined();
  });
  it('describe responses decode (indefinite maps) and round-trip', () => {
    expect(decodeDescription(vector('describestream-resp-amazon-freertos-testfile').bytes, 'cbor')).toEqual({ clientToken: 'ThisIsAClientToken', streamVersion: 1, description: 'Testing stream', files: [{ fileId: 1, size: 2 }] });
    for (const fmt of ['json', 'cbor'] as const) {
      const d = { clientToken: 'c', streamVersion: 2, description: 'd', files: [{ fileId: 0, size: 10 }] };
      expect(decodeDescription(encodeDescription(d, fmt), fmt)).toEqual(d);
    }
  });
  it('JSON data blocks carry base64 and error messages round-trip', () => {
    const json = encodeDataBlock({ clientToken: 'x', fileId: 3, blockId: 9, payload: new Uint8Array([1, 2, 3]) }, 'json');
    expect(JSON.parse(new TextDecoder().decode(json))).toEqual({ c: 'x', f: 3, i: 9, l: 3, p: 'AQID' });
    for (const fmt of ['json', 'cbor'] as const) expect(decodeStreamError(encodeStreamError({ code: 'ResourceNotFound', message: 'm', clientToken: 'c' }, fmt), fmt)).toEqual({ code: 'ResourceNotFound', message: 'm', clientToken: 'c' });
  });
});

describe('topics', () => {
  it('routes request topics and leaves everything else alone', () => {
    expect(parseRequestTopic('$aws/things/MyThing/jobs/$next/get')).toEqual({ api: 'jobs', thing: 'MyThing', op: 'describe', jobId: '$next' });
    expect(parseRequestTopic('$aws/things/MyThing/jobs/AFR_OTA-job1/update')).toEqual({ api: 'jobs', thing: 'MyThing', op: 'update', jobId: 'AFR_OTA-job1' });
    expect(parseRequestTopic('$aws/things/MyThing/jobs/get')).toEqual({ api: 'jobs', thing: 'MyThing', op: 'get' });
    expect(parseRequestTopic('$aws/things/MyThing/jobs/start-next')).toEqual({ api: 'jobs', thing: 'MyThing', op: 'start-next' });
    expect(parseRequestTopic('$aws/things/MyThing/streams/AFR_OTA-stream1/get/cbor')).toEqual({ api: 'streams', thing: 'MyThing', op: 'get', streamId: 'AFR_OTA-stream1', format: 'cbor' });
    for (const t of ['$aws/things/MyThing/jobs/notify-next', '$aws/things/MyThing/jobs/$next/get/accepted', '$aws/things/MyThing/streams/s/data/cbor', '$aws/things/MyThing/streams/s/get/xml', 'a/b', '$aws/things//jobs/get']) {
      expect(parseRequestTopic(t), t).toBeUndefined();
    }
  });
});
