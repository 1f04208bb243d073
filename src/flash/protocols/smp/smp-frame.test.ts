import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16Xmodem } from './crc16.js';
import { decodeSerialFrame, encodeSerialFrame, encodeSerialLines, serialFrameSize, SmpFrameError, SmpSerialDecoder } from './smp-frame.js';
import { decodeSmpHeader, SMP_GROUP, SMP_ID, SMP_OP } from './smp-header.js';
import { decodeSmpPacket, encodeSmpPacket } from './smp-packet.js';
import { uploadBody } from './smp-protocol.js';

const vectors = JSON.parse(readFileSync(new URL('../../../../test/vectors/bootloaders/protocols/smp-serial-vectors.json', import.meta.url), 'utf8')) as {
  crc16: { check_123456789: string };
  cases: { name: string; smp_packet_hex: string; cbor_hex: string; crc16: string; serial_raw_before_base64_hex: string; serial_frames_hex: string[] }[];
};
const signedImage = new Uint8Array(readFileSync(new URL('../../../../test/vectors/bootloaders/mcuboot/images/ecdsa-p256.signed.bin', import.meta.url)));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const byName = (prefix: string) => vectors.cases.find((c) => c.name.startsWith(prefix)) as (typeof vectors.cases)[number];

describe('SMP serial framing: smp-serial-vectors.json byte for byte', () => {
  it('CRC-16/XMODEM check value', () => {
    expect(crc16Xmodem(new TextEncoder().encode('123456789'))).toBe(Number(vectors.crc16.check_123456789));
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s: packet → frames and frames → packet', (_name, c) => {
    const packet = unhex(c.smp_packet_hex);
    expect(crc16Xmodem(packet)).toBe(Number(c.crc16));
    const lines = encodeSerialLines(packet);
    expect(lines.map(hex)).toEqual(c.serial_frames_hex);
    expect(lines.every((l) => l.length <= 127)).toBe(true);
    expect(serialFrameSize(packet.length)).toBe(lines.reduce((n, l) => n + l.length, 0));
    expect(hex(decodeSerialFrame(unhex(c.serial_frames_hex.join(''))))).toBe(c.smp_packet_hex);
  });

  it('our requests encode to the vector packets (echo, image state read, first upload chunk)', () => {
    const echo = encodeSmpPacket({ op: SMP_OP.write, version: 0, flags: 0, group: SMP_GROUP.os, seq: 0, id: SMP_ID.echo }, { d: 'hello' });
    expect(hex(echo)).toBe(byName('os echo').smp_packet_hex);
    const state = encodeSmpPacket({ op: SMP_OP.read, version: 0, flags: 0, group: SMP_GROUP.image, seq: 0, id: SMP_ID.imageState }, {});
    expect(hex(state)).toBe(byName('image state read').smp_packet_hex);
    const sha = new Uint8Array(createHash('sha256').update(signedImage).digest());
    const body = uploadBody(true, 0, signedImage.length, signedImage.subarray(0, 128), sha, 0);
    const upload = encodeSmpPacket({ op: SMP_OP.write, version: 0, flags: 0, group: SMP_GROUP.image, seq: 0, id: SMP_ID.imageUpload }, body);
    const c = byName('image upload first chunk');
    expect(hex(upload)).toBe(c.smp_packet_hex);
    expect(encodeSerialLines(upload).map(hex)).toEqual(c.serial_frames_hex);
  });

  it("decodes MCUboot's published upload payload (non-minimal bstr length 58 10)", () => {
    const { header, body } = decodeSmpPacket(unhex(byName('image upload, MCUboot').smp_packet_hex));
    expect(header).toMatchObject({ op: SMP_OP.write, group: 1, id: 1, length: 0x26 });
    expect(body.len).toBe(70888);
    expect(body.off).toBe(0);
    expect([...(body.data as Uint8Array)]).toEqual(new Array(16).fill(0xa5));
  });
});

/** A valid frame to damage. */
const GOOD = unhex(byName('os echo').serial_frames_hex[0] as string);
const goodText = Buffer.from(GOOD.subarray(2, GOOD.length - 1)).toString('latin1');
const frame = (marker: number[], text: string) => Uint8Array.from([...marker, ...Buffer.from(text, 'latin1'), 0x0a]);
const b64 = (raw: number[]) => Buffer.from(raw).toString('base64');

describe('SMP frame decoder: bad input', () => {
  it.each<[string, Uint8Array, SmpFrameError['kind'] | 'none']>([
    ['empty input', new Uint8Array(0), 'BadLength'],
    ['console text only', Buffer.from('uart:~$ hello\n'), 'BadLength'],
    ['continuation without a start', frame([0x04, 0x14], goodText), 'BadMarker'],
    ['base64 not a multiple of 4', frame([0x06, 0x09], goodText.slice(0, -1)), 'BadBase64'],
    ['not base64 at all', frame([0x06, 0x09], '!!!!'), 'BadBase64'],
    ['empty frame line', frame([0x06, 0x09], ''), 'BadBase64'],
    ['length field alone', frame([0x06, 0x09], b64([0x00])), 'BadLength'],
    ['length below a header', frame([0x06, 0x09], b64([0x00, 0x05, 1, 2, 3, 4, 5, 6, 7])), 'BadLength'],
    ['length far too large', frame([0x06, 0x09], b64([0xff, 0xff, 1, 2, 3, 4])), 'BadLength'],
    ['more bytes than the length says', frame([0x06, 0x09], b64([0x00, 0x0a, ...new Array(12).fill(0)])), 'BadLength'],
    ['truncated packet', frame([0x06, 0x09], b64([0x00, 0x13, 2, 0, 0, 9])), 'BadLength'],
    ['CRC wrong', (() => {
      const raw = Buffer.from(goodText, 'base64');
      raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 0xff;
      return frame([0x06, 0x09], raw.toString('base64'));
    })(), 'BadCrc'],
    ['line longer than 127 bytes', frame([0x06, 0x09], 'AAAA'.repeat(40)), 'TooLong'],
  ])('%s', (_name, bytes, kind) => {
    const e = (() => {
      try {
        decodeSerialFrame(bytes);
        return undefined;
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(SmpFrameError);
    expect((e as SmpFrameError).kind).toBe(kind);
  });

  it('SMP packet: header length must match, body must be a CBOR map', () => {
    expect(() => decodeSmpPacket(unhex('0200000a00000000a161646568656c6c6f'))).toThrow(/header says 10/);
    expect(() => decodeSmpPacket(unhex('02000001000000008a'))).toThrow(SmpFrameError);
    expect(() => decodeSmpPacket(unhex('0200000100000000ff'))).toThrow(SmpFrameError);
    expect(() => decodeSmpPacket(unhex('020000'))).toThrow(/shorter than its header/);
    expect(decodeSmpHeader(unhex('0a0100020001ff07'))).toEqual({ op: 2, version: 1, flags: 1, length: 2, group: 1, seq: 255, id: 7 });
  });

  it('keeps sync: console text and a damaged frame between good frames', () => {
    const d = new SmpSerialDecoder();
    const bad = Uint8Array.from(GOOD);
    bad[10] = bad[10] === 0x41 ? 0x42 : 0x41;
    const items = d.push(Buffer.concat([GOOD, Buffer.from('*** Booting Zephyr ***\r\n'), bad, GOOD]));
    expect(items.map((i) => ('packet' in i ? 'packet' : i.error.kind))).toEqual(['packet', 'BadCrc', 'packet']);
  });
});

describe('SMP frame decoder: properties (fast-check)', () => {
  const packetArb = fc
    .record({ op: fc.constantFrom(0, 1, 2, 3), group: fc.integer({ min: 0, max: 0xffff }), seq: fc.integer({ min: 0, max: 255 }), id: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 700 }), off: fc.nat() })
    .map((r) => encodeSmpPacket({ op: r.op as 0 | 1 | 2 | 3, version: 0, flags: 0, group: r.group, seq: r.seq, id: r.id }, { off: r.off, data: r.data }));

  it('round-trips any packet, fed in any split', () => {
    fc.assert(
      fc.property(packetArb, fc.array(fc.nat(), { maxLength: 8 }), (packet, cuts) => {
        const wire = encodeSerialFrame(packet);
        const d = new SmpSerialDecoder();
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
        const items = [];
        let last = 0;
        for (const p of [...points, wire.length]) {
          items.push(...d.push(wire.subarray(last, p)));
          last = p;
        }
        expect(items).toHaveLength(1);
        expect(hex((items[0] as { packet: Uint8Array }).packet)).toBe(hex(packet));
        expect(decodeSmpPacket(packet).body.data).toEqual(decodeSmpPacket((items[0] as { packet: Uint8Array }).packet).body.data);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and never returns a packet that was not sent, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const items = new SmpSerialDecoder().push(bytes);
        for (const i of items) if ('packet' in i) expect(crc16Xmodem(i.packet)).toBeTypeOf('number');
      }),
      { numRuns: 1000 },
    );
  });

  it('a flipped bit or a dropped byte in a frame gives an error or nothing, never a different packet', () => {
    fc.assert(
      fc.property(packetArb, fc.nat(), fc.integer({ min: 0, max: 7 }), fc.boolean(), (packet, at, bit, drop) => {
        const wire = Uint8Array.from(encodeSerialFrame(packet));
        const i = at % wire.length;
        const damaged = drop ? Uint8Array.from([...wire.subarray(0, i), ...wire.subarray(i + 1)]) : (wire[i] = (wire[i] as number) ^ (1 << bit), wire);
        for (const item of new SmpSerialDecoder().push(damaged)) if ('packet' in item) expect(hex(item.packet)).toBe(hex(packet));
      }),
      { numRuns: 1000 },
    );
  });
});
