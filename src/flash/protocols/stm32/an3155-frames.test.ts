import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlashError } from '../../flash-error.js';
import {
  addressFrame,
  commandFrame,
  decodeGetIdReply,
  decodeGetReply,
  decodeGetVersionReply,
  eraseFrame,
  extendedEraseFrame,
  readLengthFrame,
  variableReplyLength,
  writeDataFrame,
  xorChecksum,
} from './an3155-frames.js';

const b = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
const h = (x: Uint8Array) => Buffer.from(x).toString('hex');

describe('AN3155 encoders (values from the stm32flash transcript)', () => {
  it('command, address, erase, read-length frames', () => {
    expect(h(commandFrame(0x31))).toBe('31ce');
    expect(h(commandFrame(0x00))).toBe('00ff');
    expect(h(addressFrame(0x0800_0000))).toBe('0800000008');
    expect(h(addressFrame(0x0800_0b00))).toBe('08000b0003');
    expect(h(eraseFrame([0, 1, 2]))).toBe('0200010201');
    expect(h(eraseFrame('all'))).toBe('ff00');
    expect(h(extendedEraseFrame('all'))).toBe('ffff00');
    expect(h(extendedEraseFrame([0, 1]))).toBe('000100000001' + '00');
    expect(h(readLengthFrame(256))).toBe('ff00');
    expect(h(readLengthFrame(184))).toBe('b748');
  });

  it('write data frame: N-1, data, XOR(N-1, data)', () => {
    const data = Uint8Array.from({ length: 184 }, (_, i) => i);
    const f = writeDataFrame(data);
    expect(f[0]).toBe(0xb7);
    expect(f.length).toBe(186);
    expect(xorChecksum(f)).toBe(0); // N-1 ^ data ^ checksum
  });

  it.each([
    ['empty write block', () => writeDataFrame(new Uint8Array(0))],
    ['257-byte write block', () => writeDataFrame(new Uint8Array(257))],
    ['read length 0', () => readLengthFrame(0)],
    ['read length 257', () => readLengthFrame(257)],
    ['negative address', () => addressFrame(-1)],
    ['address over 32 bits', () => addressFrame(2 ** 32)],
    ['standard erase page > 255', () => eraseFrame([256])],
    ['standard erase with no pages', () => eraseFrame([])],
    ['extended erase page > 0xffff', () => extendedEraseFrame([0x10000])],
  ])('refuses %s', (_n, f) => {
    expect(f).toThrow(RangeError);
  });

  it('property: address frames always carry the XOR of the address bytes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (a) => xorChecksum(addressFrame(a)) === 0));
  });
});

describe('AN3155 reply decoders', () => {
  it('decode the stm32flash transcript replies', () => {
    expect(decodeGetVersionReply(b('7922000079'))).toEqual({ version: 0x22, option1: 0, option2: 0 });
    expect(decodeGetReply(b('790b22000102112131436373829279'))).toEqual({ version: 0x22, commands: [0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82, 0x92] });
    expect(decodeGetIdReply(b('7901041079'))).toBe(0x410);
    expect(variableReplyLength(b('790b'))).toBe(15);
    expect(variableReplyLength(b('79'))).toBe(-1);
  });

  const bad: Array<[string, (x: Uint8Array) => unknown, string]> = [
    ['Get: NACK first', decodeGetReply, '1f0b22000102112131436373829279'],
    ['Get: too short', decodeGetReply, '7900'],
    ['Get: N longer than the reply', decodeGetReply, '790c22000102112131436373829279'],
    ['Get: no final ACK', decodeGetReply, '790b2200010211213143637382921f'],
    ['Get Version: 4 bytes', decodeGetVersionReply, '79220000'],
    ['Get Version: 6 bytes', decodeGetVersionReply, '792200000079'],
    ['Get Version: NACK last', decodeGetVersionReply, '792200001f'],
    ['Get ID: N = 0', decodeGetIdReply, '79000479'],
    ['Get ID: N = 4', decodeGetIdReply, '790401020304057979'],
    ['Get ID: missing final ACK', decodeGetIdReply, '7901041000'],
    ['Get ID: empty', decodeGetIdReply, ''],
  ];
  it.each(bad)('%s → FlashError Protocol', (_n, decode, hex) => {
    let err: unknown;
    try {
      decode(b(hex));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).code).toBe('Protocol');
    expect((err as FlashError).message).toMatch(/STM32 boot loader sent a malformed/);
  });

  it('fuzz: decoders either return a consistent value or throw FlashError Protocol', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const decode of [decodeGetReply, decodeGetVersionReply, decodeGetIdReply]) {
          try {
            const v = decode(bytes);
            expect(bytes[0]).toBe(0x79);
            expect(bytes[bytes.length - 1]).toBe(0x79);
            if (decode === decodeGetReply) expect((v as { commands: number[] }).commands.length).toBe(bytes[1]);
          } catch (e) {
            if (!(e instanceof FlashError) || e.code !== 'Protocol') throw e;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
