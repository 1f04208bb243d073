import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimFlash } from '../sim-flash.js';
import { ACK, An3155Device, NACK } from './an3155-device.js';

const BASE = 0x0800_0000;
const b = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));

function device(o: { readoutProtected?: boolean; extendedErase?: boolean } = {}) {
  const flash = new SimFlash({ size: 8 * 1024, sectorSize: 1024, base: BASE, readoutProtected: o.readoutProtected ?? false });
  const out: number[] = [];
  const gos: number[] = [];
  const d = new An3155Device({ flash, productId: 0x410, extendedErase: o.extendedErase ?? false, onGo: (a) => gos.push(a) }, (x) => out.push(...x));
  const send = (hex: string) => {
    out.length = 0;
    d.receive(b(hex));
    return Buffer.from(out).toString('hex');
  };
  return { d, flash, send, gos };
}

describe('simulated AN3155 boot loader', () => {
  it('answers the stm32flash conversation as the transcript shows', () => {
    const { send, flash, gos } = device();
    expect(send('11')).toBe(''); // not synced: ignored
    expect(send('7f')).toBe('79');
    expect(send('01fe')).toBe('7922000079');
    expect(send('00ff')).toBe('790b22000102112131436373829279');
    expect(send('02fd')).toBe('7901041079');
    expect(send('43bc')).toBe('79');
    expect(send('02 000102 01')).toBe('79');
    expect(send('31ce')).toBe('79');
    expect(send('0800000008')).toBe('79');
    expect(send('03 01020304 07')).toBe('79'); // N-1 = 3, XOR(03,01,02,03,04) = 07
    expect(Buffer.from(flash.peek(BASE, 4)).toString('hex')).toBe('01020304');
    expect(send('11ee')).toBe('79');
    expect(send('0800000008')).toBe('79');
    expect(send('03fc')).toBe('7901020304');
    expect(send('21de')).toBe('79');
    expect(send('0800000008')).toBe('79');
    expect(gos).toEqual([BASE]);
  });

  const bad: Array<[string, string[], string]> = [
    ['a command without its complement', ['31cf'], '1f'],
    ['an unknown command', ['44bb'], '1f'],
    ['an address with a wrong XOR', ['31ce', '0800000009'], '791f'],
    ['an address outside flash', ['31ce', '0900000009'], '791f'],
    ['write data with a wrong XOR', ['31ce', '0800000008', '030102030406'], '79791f'],
    ['a read length without its complement', ['11ee', '0800000008', 'ff01'], '79791f'],
    ['a read past the end of flash', ['11ee', '08001f8097', 'ff00'], '79791f'],
    ['an erase page list with a wrong XOR', ['43bc', '0200010202'], '791f'],
    ['an erase of a page that does not exist', ['43bc', '00 09 09'], '791f'],
    ['a global erase with a wrong second byte', ['43bc', 'ff01'], '791f'],
  ];
  it.each(bad)('NACKs %s and then takes the next command', (_n, frames, expected) => {
    const { send } = device();
    send('7f');
    expect(frames.map((f) => send(f)).join('')).toBe(expected);
    expect(send('02fd')).toBe('7901041079');
  });

  it('NACKs a write over non-erased flash (NOR: erase first) and leaves it unchanged', () => {
    const { send, flash } = device();
    send('7f');
    send('31ce');
    send('0800000008');
    expect(send('0300000000' + '03')).toBe('79');
    send('31ce');
    send('0800000008');
    expect(send('03ffffffff' + '03')).toBe('1f');
    expect(Buffer.from(flash.peek(BASE, 4)).toString('hex')).toBe('00000000');
  });

  it('read-out protection: memory commands NACKed, Get ID still answers, unprotect mass-erases', () => {
    const { send, flash } = device({ readoutProtected: true });
    send('7f');
    for (const c of ['11ee', '31ce', '43bc', '21de']) expect(send(c)).toBe(Buffer.of(NACK).toString('hex'));
    expect(send('02fd')).toBe('7901041079');
    expect(send('926d')).toBe('7979');
    expect(flash.readoutProtected).toBe(false);
    expect(send('02fd')).toBe(''); // reset: waits for 0x7F again
    expect(send('7f')).toBe(Buffer.of(ACK).toString('hex'));
  });

  it('extended erase: page list and mass erase', () => {
    const { send, flash } = device({ extendedErase: true });
    send('7f');
    expect(send('00ff')).toContain('44');
    flash.write(BASE + 1024, Uint8Array.of(0));
    expect(send('44bb')).toBe('79');
    expect(send('0000 0001 01')).toBe('79');
    expect(flash.peek(BASE + 1024, 1)[0]).toBe(0xff);
    expect(send('44bb')).toBe('79');
    expect(send('ffff00')).toBe('79');
    expect(send('44bb')).toBe('79');
    expect(send('ffff01')).toBe('1f');
  });

  it('fuzz: any byte stream never throws, and every answer is ACK/NACK-framed', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 40 }), fc.boolean(), (chunks, rdp) => {
        const flash = new SimFlash({ size: 8 * 1024, sectorSize: 1024, base: BASE, readoutProtected: rdp });
        const out: number[] = [];
        const d = new An3155Device({ flash, productId: 0x410 }, (x) => out.push(...x));
        for (const c of chunks) d.receive(c);
        if (out.length > 0) expect([ACK, NACK]).toContain(out[0]);
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: a write frame with any one bit flipped is NACKed and writes nothing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 256 }), fc.nat(), (data, bit) => {
        const { d, flash } = device();
        d.receive(b('7f31ce0800000008'));
        let x = data.length - 1;
        for (const v of data) x ^= v;
        const frame = Uint8Array.of(data.length - 1, ...data, x);
        const i = 1 + (bit % (frame.length - 1)); // a data or checksum byte
        frame[i] = (frame[i] as number) ^ (1 << (bit % 8));
        const out: number[] = [];
        const d2 = d as unknown as { send: (x: Uint8Array) => void };
        d2.send = (y) => out.push(...y);
        d.receive(frame);
        expect(out).toEqual([NACK]);
        expect(flash.peek(BASE, data.length).every((v) => v === 0xff)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
