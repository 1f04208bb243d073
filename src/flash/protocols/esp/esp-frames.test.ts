import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlashError } from '../../flash-error.js';
import { decodeResponse, encodeRequest, espChecksum, flashBeginData, flashDataData, md5Data, syncData } from './esp-packets.js';
import { slipDecodeFirst, slipEncode, slipUnescape } from './slip.js';

const b = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
const h = (x: Uint8Array) => Buffer.from(x).toString('hex');

function expectFlashProtocolError(f: () => unknown): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FlashError);
  expect((err as FlashError).code).toBe('Protocol');
}

describe('SLIP', () => {
  it('escapes C0 and DB', () => {
    expect(h(slipEncode(b('01c002db03')))).toBe('c001dbdc02dbdd03c0');
    expect(h(slipDecodeFirst(b('00c001dbdc02dbdd03c0ff'))?.packet ?? new Uint8Array())).toBe('01c002db03');
    expect(slipDecodeFirst(b('00c001dbdc02dbdd03c0ff'))?.consumed).toBe(10);
  });

  it('skips empty frames and waits for a complete one', () => {
    expect(h(slipDecodeFirst(b('c0c00102c0'))?.packet ?? new Uint8Array())).toBe('0102');
    expect(slipDecodeFirst(b('c00102'))).toBeUndefined();
    expect(slipDecodeFirst(b('0102'))).toBeUndefined();
  });

  it.each([
    ['escape followed by a plain byte', 'c001db01c0'],
    ['escape at the end of a frame', 'c001dbc0'],
    ['escape followed by DB', 'c0dbdbc0'],
  ])('refuses %s', (_n, hex) => expectFlashProtocolError(() => slipDecodeFirst(b(hex))));

  it('refuses a bare C0 inside a body', () => expectFlashProtocolError(() => slipUnescape(b('01c0'))));

  it('property: decode(encode(x)) = x, and the frame has no inner C0', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), (x) => {
        const f = slipEncode(x);
        expect(f.subarray(1, f.length - 1).includes(0xc0)).toBe(false);
        const d = slipDecodeFirst(f);
        expect(d?.consumed).toBe(f.length);
        expect(h(d?.packet ?? new Uint8Array())).toBe(h(x));
      }),
    );
  });

  it('fuzz: any bytes decode to a packet without C0 or a FlashError Protocol', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (x) => {
        try {
          const d = slipDecodeFirst(x);
          if (d) {
            expect(d.consumed).toBeLessThanOrEqual(x.length);
            expect(d.packet.length).toBeGreaterThan(0);
          }
        } catch (e) {
          if (!(e instanceof FlashError) || e.code !== 'Protocol') throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('ESP packets (values from the esptool transcript)', () => {
  it('encode requests as esptool does', () => {
    expect(h(encodeRequest(0x08, syncData()))).toBe('0008240000000000' + '07071220' + '55'.repeat(32));
    expect(h(flashBeginData(0x2000, 8, 0x400, 0x10000, false))).toBe('00200000080000000004000000000100');
    expect(h(md5Data(0x10000, 8192))).toBe('00000100002000000000000000000000');
    expect(h(flashDataData(4, new Uint8Array(4)).subarray(0, 16))).toBe('04000000040000000000000000000000');
    expect(espChecksum(new Uint8Array(1024).fill(0xff))).toBe(0xef);
  });

  it('decodes an ESP32 ROM response (4 status bytes)', () => {
    const r = decodeResponse(b('010a0400831df00000000000'), 4);
    expect(r).toMatchObject({ op: 0x0a, value: 0x00f01d83, status: 0, error: 0 });
    expect(r.data.length).toBe(0);
    const md5 = decodeResponse(b('0113240000000000' + h(new TextEncoder().encode('0'.repeat(32))) + '00000000'), 4);
    expect(md5.data.length).toBe(32);
    expect(decodeResponse(b('01140400000000000105' + '0000'), 4)).toMatchObject({ status: 1, error: 5 });
  });

  it.each([
    ['too short for its status bytes', '0108020000000000'],
    ['request direction byte', '000804000000000000000000'],
    ['size field larger than the data', '010808000000000000000000'],
    ['size field smaller than the data', '01080200000000000000000000'],
    ['empty', ''],
  ])('refuses a response that is %s', (_n, hex) => expectFlashProtocolError(() => decodeResponse(b(hex), 4)));

  it('fuzz: any packet decodes consistently or throws FlashError Protocol', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(2 as const, 4 as const), (x, status) => {
        try {
          const r = decodeResponse(x, status);
          expect(r.data.length + status + 8).toBe(x.length);
          expect(x[0]).toBe(1);
        } catch (e) {
          if (!(e instanceof FlashError) || e.code !== 'Protocol') throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
