import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16, frameResponse, SmpLineReader } from './smp-serial.js';

const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/bootloaders/protocols/smp-serial-vectors.json', import.meta.url), 'utf8')) as {
  cases: { name: string; smp_packet_hex: string; serial_frames_hex: string[] }[];
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

function decodeAll(bytes: Uint8Array): { packets: string[]; dropped: number } {
  const packets: string[] = [];
  const r = new SmpLineReader((p) => packets.push(hex(p)));
  r.push(bytes);
  return { packets, dropped: r.dropped };
}

describe('board-side SMP transport against smp-serial-vectors.json', () => {
  it('CRC-16/XMODEM check value', () => expect(crc16(new TextEncoder().encode('123456789'))).toBe(0x31c3));

  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    expect(decodeAll(unhex(c.serial_frames_hex.join('')))).toEqual({ packets: [c.smp_packet_hex], dropped: 0 });
    expect(hex(frameResponse(unhex(c.smp_packet_hex)))).toBe(c.serial_frames_hex.join(''));
  });
});

const echo = unhex(vectors.cases[0]?.serial_frames_hex[0] as string);
const line = (marker: number[], text: string) => Uint8Array.from([...marker, ...Buffer.from(text, 'latin1'), 0x0a]);

describe('board-side SMP transport: bad input is dropped, never delivered', () => {
  it.each<[string, Uint8Array]>([
    ['continuation without start', line([4, 20], 'AAAA')],
    ['bad base64', line([6, 9], 'AB*D')],
    ['length below a header', line([6, 9], Buffer.from([0, 4, 1, 2]).toString('base64'))],
    ['too many bytes', line([6, 9], Buffer.from([0, 10, ...new Array(12).fill(0)]).toString('base64'))],
    ['CRC wrong', (() => {
      const e = Uint8Array.from(echo);
      e[e.length - 2] = e[e.length - 2] === 0x76 ? 0x77 : 0x76;
      return e;
    })()],
    ['line too long', line([6, 9], 'AAAA'.repeat(40))],
    ['padding mid-packet', Uint8Array.from([...line([6, 9], Buffer.from([0, 40]).toString('base64')), ...line([4, 20], 'AAAA')])],
  ])('%s', (_n, bytes) => {
    const r = decodeAll(bytes);
    expect(r.packets).toEqual([]);
    expect(r.dropped).toBeGreaterThan(0);
  });

  it('a good frame after garbage still decodes', () => {
    expect(decodeAll(Uint8Array.from([...line([6, 9], '!!!!'), ...Buffer.from('console\n'), ...echo])).packets).toHaveLength(1);
  });

  it('fast-check: arbitrary bytes never throw; damage never yields a different packet', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 800 }), (b) => void decodeAll(b)), { numRuns: 1000 });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 600 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (packet, at, bit) => {
        const wire = Uint8Array.from(frameResponse(packet));
        wire[at % wire.length] = (wire[at % wire.length] as number) ^ (1 << bit);
        for (const p of decodeAll(wire).packets) expect(p).toBe(hex(packet));
      }),
      { numRuns: 1000 },
    );
  });
});
