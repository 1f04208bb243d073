import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimFlash } from '../sim-flash.js';
import { ERR, ESP32_MAGIC, RomLoaderDevice, slipFrame } from './rom-loader-device.js';

interface Reply {
  op: number;
  value: number;
  data: Uint8Array;
  status: number;
  error: number;
}

function le32(...v: number[]): Uint8Array {
  const out = new Uint8Array(4 * v.length);
  v.forEach((x, i) => new DataView(out.buffer).setUint32(4 * i, x >>> 0, true));
  return out;
}

function request(op: number, data: Uint8Array, checksum = 0): Uint8Array {
  const p = new Uint8Array(8 + data.length);
  const v = new DataView(p.buffer);
  p[1] = op;
  v.setUint16(2, data.length, true);
  v.setUint32(4, checksum, true);
  p.set(data, 8);
  return slipFrame(p);
}

/** Splits the device's output into unescaped response packets. */
function replies(bytes: number[]): Reply[] {
  const out: Reply[] = [];
  let cur: number[] | undefined;
  for (let i = 0; i < bytes.length; i++) {
    const x = bytes[i] as number;
    if (x === 0xc0) {
      if (cur && cur.length) {
        const p = Uint8Array.from(cur);
        const v = new DataView(p.buffer);
        out.push({ op: p[1] as number, value: v.getUint32(4, true), data: p.subarray(8, p.length - 4), status: p[p.length - 4] as number, error: p[p.length - 3] as number });
      }
      cur = [];
    } else if (x === 0xdb) cur?.push(bytes[++i] === 0xdc ? 0xc0 : 0xdb);
    else cur?.push(x);
  }
  return out;
}

function device() {
  const flash = new SimFlash({ size: 64 * 1024, sectorSize: 4096 });
  const out: number[] = [];
  const runs: boolean[] = [];
  const bauds: number[] = [];
  const d = new RomLoaderDevice({ flash, onRun: (r) => runs.push(r), onBaudRate: (b) => void bauds.push(b) }, (x) => void out.push(...x));
  const send = (frame: Uint8Array) => {
    out.length = 0;
    d.receive(frame);
    return replies(out);
  };
  return { d, flash, send, runs, bauds };
}

const SYNC = Uint8Array.from([0x07, 0x07, 0x12, 0x20, ...new Array<number>(32).fill(0x55)]);
const chk = (data: Uint8Array) => data.reduce((x, b) => x ^ b, 0xef);

describe('simulated ESP32 ROM loader', () => {
  it('SYNC gets 8 answers; READ_REG reads the ESP32 magic; SPI_CMD USR clears itself', () => {
    const { send } = device();
    const r = send(request(0x08, SYNC));
    expect(r).toHaveLength(8);
    expect(r.every((x) => x.op === 0x08 && x.status === 0 && x.value !== 0)).toBe(true);
    expect(send(request(0x0a, le32(0x4000_1000)))[0]?.value).toBe(ESP32_MAGIC);
    send(request(0x09, le32(0x3ff4_2000, 0x40000, 0xffffffff, 0)));
    expect(send(request(0x0a, le32(0x3ff4_2000)))[0]?.value).toBe(0);
  });

  it('FLASH_BEGIN erases, FLASH_DATA writes by sequence number, MD5 answers 32 hex digits, FLASH_END runs', () => {
    const { send, flash, runs } = device();
    flash.write(0x1000, Uint8Array.of(0));
    expect(send(request(0x02, le32(0x800, 2, 0x400, 0x1000)))[0]?.status).toBe(0);
    expect(flash.peek(0x1000, 1)[0]).toBe(0xff);
    const block = Uint8Array.from({ length: 0x400 }, (_, i) => i & 0xff);
    for (const seq of [0, 1]) {
      const data = Uint8Array.from([...le32(0x400, seq, 0, 0), ...block]);
      expect(send(request(0x03, data, chk(block)))[0]).toMatchObject({ op: 3, status: 0 });
    }
    expect(flash.peek(0x1400, 0x400)).toEqual(block);
    const md5 = send(request(0x13, le32(0x1000, 0x800, 0, 0)))[0];
    expect(new TextDecoder().decode(md5?.data)).toBe(createHash('md5').update(Uint8Array.from([...block, ...block])).digest('hex'));
    expect(send(request(0x04, le32(1)))[0]?.status).toBe(0);
    expect(runs).toEqual([false]);
  });

  const bad: Array<[string, () => Uint8Array[], number]> = [
    ['a bad SYNC pattern', () => [request(0x08, new Uint8Array(36))], ERR.invalidMessage],
    ['a size field that does not match the data', () => [slipFrame(Uint8Array.from([0, 0x0a, 8, 0, 0, 0, 0, 0, 0, 0x10, 0, 0x40]))], ERR.invalidMessage],
    ['READ_REG with 8 bytes', () => [request(0x0a, le32(1, 2))], ERR.invalidMessage],
    ['FLASH_DATA without FLASH_BEGIN', () => [request(0x03, Uint8Array.from([...le32(4, 0, 0, 0), 1, 2, 3, 4]), chk(Uint8Array.of(1, 2, 3, 4)))], ERR.failed],
    ['FLASH_DATA with a wrong checksum', () => [request(0x02, le32(0x400, 1, 0x400, 0)), request(0x03, Uint8Array.from([...le32(4, 0, 0, 0), 1, 2, 3, 4]), 0)], ERR.checksum],
    ['FLASH_DATA with a length field that lies', () => [request(0x02, le32(0x400, 1, 0x400, 0)), request(0x03, Uint8Array.from([...le32(8, 0, 0, 0), 1, 2, 3, 4]), chk(Uint8Array.of(1, 2, 3, 4)))], ERR.invalidMessage],
    ['FLASH_DATA past the session', () => [request(0x02, le32(0x400, 1, 0x400, 0)), request(0x03, Uint8Array.from([...le32(4, 1, 0, 0), 1, 2, 3, 4]), chk(Uint8Array.of(1, 2, 3, 4)))], ERR.failed],
    ['FLASH_BEGIN outside flash', () => [request(0x02, le32(0x1000, 4, 0x400, 0x10000))], ERR.failed],
    ['FLASH_BEGIN at an unaligned offset', () => [request(0x02, le32(0x400, 1, 0x400, 0x100))], ERR.failed],
    ['FLASH_BEGIN asking for encryption', () => [request(0x02, le32(0x400, 1, 0x400, 0, 1))], ERR.failed],
    ['SPI_FLASH_MD5 outside flash', () => [request(0x13, le32(0xf000, 0x2000, 0, 0))], ERR.flashRead],
    ['the flasher stub upload (MEM_BEGIN)', () => [request(0x05, le32(0, 0, 0, 0))], ERR.invalidMessage],
    ['GET_SECURITY_INFO (not in the ESP32 ROM)', () => [request(0x14, new Uint8Array(0))], ERR.invalidMessage],
  ];
  it.each(bad)('answers %s with an error status', (_n, frames, error) => {
    const { send } = device();
    const all = frames().map((f) => send(f));
    expect(all.at(-1)?.[0]).toMatchObject({ status: 1, error });
  });

  it('drops a frame with an invalid escape, then answers the next one', () => {
    const { send } = device();
    expect(send(Uint8Array.of(0xc0, 0x00, 0x0a, 0xdb, 0x01, 0xc0))).toEqual([]);
    expect(send(request(0x0a, le32(0x4000_1000)))[0]?.value).toBe(ESP32_MAGIC);
  });

  it('CHANGE_BAUDRATE answers at the old rate, then switches', () => {
    const { send, bauds } = device();
    expect(send(request(0x0f, le32(921600, 0)))[0]?.status).toBe(0);
    expect(bauds).toEqual([921600]);
  });

  it('fuzz: any byte stream never throws and never writes flash without a valid FLASH_BEGIN + FLASH_DATA', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 30 }), (chunks) => {
        const { d, flash } = device();
        for (const c of chunks) d.receive(c);
        // Random frames essentially never form a valid, checksummed FLASH_DATA inside a session.
        expect(flash.stats.programmedBytes).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: a FLASH_DATA block with any one bit flipped is refused and writes nothing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 0x400 }), fc.nat(), (block, bit) => {
        const { send, flash } = device();
        send(request(0x02, le32(0x400, 1, 0x400, 0)));
        const data = Uint8Array.from([...le32(block.length, 0, 0, 0), ...block]);
        const good = chk(block);
        const i = 16 + (bit % block.length);
        data[i] = (data[i] as number) ^ (1 << (bit % 8));
        expect(send(request(0x03, data, good))[0]).toMatchObject({ status: 1, error: ERR.checksum });
        expect(flash.stats.programmedBytes).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});
