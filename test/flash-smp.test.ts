/**
 * End to end over real ptys: `signer flash`'s engine (src/flash) → socat pty pair → the simulated
 * MCUboot/SMP board (simulator/boards/smp) → its boot step with firmware-verifier.
 * Images are signed here by platforms/MCUboot with the published MCUboot test key.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import platform from '../platforms/MCUboot/index.js';
import descriptor from '../platforms/MCUboot/descriptor.json' with { type: 'json' };
import type { PlatformDescriptorFile } from '../platforms/platform.types.js';
import { flashImage, type FlashOptions } from '../src/flash/flash-command.js';
import { FlashError } from '../src/flash/flash-error.js';
import { SmpProtocol } from '../src/flash/protocols/smp/smp-protocol.js';
import { SerialTransport } from '../src/flash/serial-transport.js';
import { runBoard, type RunningBoard } from '../simulator/boards/run-board.js';
import type { LineFaults } from '../simulator/boards/paced-line.js';
import type { SmpBoard } from '../simulator/boards/smp/smp-board.js';
import { collect, signRequest } from './platforms-helpers.js';
import { localSigningKey } from './support/local-signing-key.js';

const dir = new URL('./vectors/bootloaders/mcuboot/', import.meta.url);
const file = (name: string) => readFileSync(new URL(name, dir));
const pem = (name: string) => file(`keys/${name}`).toString('utf8');
const spki = (p: string) => new Uint8Array(createPublicKey(p).export({ type: 'spki', format: 'der' }));
const TRUST = { publicKeys: [spki(pem('root-ec-p256.pem'))] };
/** imgtool-signed 1.2.3+4 image from the vendor vectors: the board's factory image. */
const FACTORY = new Uint8Array(file('images/ecdsa-p256.signed.bin'));

async function signed(size: number, keyPem = pem('root-ec-p256.pem'), version = '2.0.0+1'): Promise<Uint8Array> {
  const payload = Uint8Array.from({ length: size }, (_, i) => (i * 131 + 17) & 0xff);
  const req = signRequest(descriptor as PlatformDescriptorFile, payload, localSigningKey(keyPem), {
    encryptionAlgorithm: 'ECDSA',
    hashAlgorithm: 'SHA256',
    signingParameters: { version, headerSize: '0x20' },
  });
  return new Uint8Array(await collect((await platform.sign(req)).body()));
}

let running: RunningBoard<SmpBoard> | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(o: { baudRate?: number; faults?: LineFaults; slotSize?: number; bufCount?: number; noParams?: boolean } = {}): Promise<RunningBoard<SmpBoard>> {
  const log: string[] = [];
  running = await runBoard<SmpBoard>({
    protocol: 'smp',
    baudRate: o.baudRate ?? 921600,
    trust: TRUST,
    ...(o.faults ? { faults: o.faults } : {}),
    log: (l) => log.push(l),
    board: { primaryImage: FACTORY, slotSize: o.slotSize ?? 128 * 1024, ...(o.bufCount ? { bufCount: o.bufCount } : {}), ...(o.noParams ? { noParams: true } : {}) },
  });
  return running;
}

function opts(r: RunningBoard, image: Uint8Array, extra: Partial<FlashOptions> = {}, log: string[] = []): FlashOptions {
  return {
    port: r.hostPath,
    baudRate: r.line.baudRate,
    protocol: 'smp',
    image,
    check: { format: 'mcuboot', trust: TRUST },
    connect: { timeoutMs: 1500, retries: 4, log: (l) => log.push(l) },
    ...extra,
  };
}

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe('signer flash --protocol smp → simulated MCUboot board', () => {
  it('flashes a valid image at 115200 8N1; the board verifies it, swaps it in for a test run, and reverts it when unconfirmed', async () => {
    const r = await start({ baudRate: 115200 });
    const factoryDigest = r.board.current.image?.digest;
    expect(r.board.current.booted).toBe(true);
    const image = await signed(20 * 1024);
    const progress: number[] = [];
    const result = await flashImage({ ...opts(r, image), onProgress: (done) => progress.push(done) });
    expect(result.imageCheck?.ok).toBe(true);
    expect(result).toMatchObject({ protocol: 'smp', bytes: image.length, verified: true, booted: true, forced: false });
    expect(progress.at(-1)).toBe(image.length);
    // The board's own boot loader checked and runs the new image.
    const digest = result.imageCheck?.ok ? result.imageCheck.info.digest : '';
    expect(r.board.current).toMatchObject({ booted: true, image: { slot: 0, digest, version: '2.0.0+1' } });
    expect(r.board.boots.at(-1)?.action).toBe('swap');
    // Nobody confirmed it: the next reset reverts to the factory image.
    r.board.reset('power cycle');
    expect(r.board.boots.at(-1)?.action).toBe('revert');
    expect(r.board.current.image?.digest).toBe(factoryDigest);
  });

  it('--confirm makes the new image permanent across resets; chunks pipelined in the window the board grants', async () => {
    const r = await start({ bufCount: 4 });
    const image = await signed(40 * 1024, undefined, '3.1.0');
    const result = await flashImage(opts(r, image, { connect: { confirm: true, timeoutMs: 1500, retries: 3 } }));
    expect(result.board.details).toMatchObject({ bufCount: 4, bufSize: 2048 });
    r.board.reset('power cycle');
    r.board.reset('power cycle');
    expect(r.board.current.image?.version).toBe('3.1.0+0');
    expect(r.board.boots.slice(-2).map((b) => b.action)).toEqual(['none', 'none']);
  });

  it('a board without MCUmgr params: Zephyr defaults (384-byte packets, one in flight) still flash and boot', async () => {
    const r = await start({ noParams: true });
    const image = await signed(6 * 1024);
    const result = await flashImage(opts(r, image));
    expect(result.board.details).toMatchObject({ bufSize: 384, bufCount: 1 });
    expect(r.board.current.image?.version).toBe('2.0.0+1');
  });

  it('--chip that does not match the board: UnexpectedChip before writing', async () => {
    const r = await start();
    const e = await errorOf(flashImage(opts(r, await signed(1024), { connect: { expectChip: 'STM32F1' } })));
    expect((e as FlashError).code).toBe('UnexpectedChip');
    expect(r.board.boots).toHaveLength(1);
  });

  it('a Nack from the board carries its rc and reason (no image pair 1 on this board)', async () => {
    const r = await start();
    const e = await errorOf(flashImage(opts(r, await signed(2048), { target: { slot: 1 } })));
    expect((e as FlashError).code).toBe('Nack');
    expect((e as FlashError).message).toMatch(/rc 5 \(ENOENT\): no image 1/);
  });

  it('refuses an image signed with a key the board does not trust, before touching the board', async () => {
    const r = await start();
    const bad = await signed(8 * 1024, pem('bad-ec-p256.pem'));
    const e = await errorOf(flashImage(opts(r, bad)));
    expect(e).toBeInstanceOf(FlashError);
    expect((e as FlashError).code).toBe('InvalidImage');
    expect((e as FlashError).message).toMatch(/--force/);
    expect(r.line.stats.rxBytes).toBe(0);
  });

  it('with --force the invalid image is written, and the board refuses to boot it (stays on the old image)', async () => {
    const r = await start();
    const factoryDigest = r.board.current.image?.digest;
    const bad = await signed(8 * 1024, pem('bad-ec-p256.pem'));
    const e = await errorOf(flashImage(opts(r, bad, { force: true })));
    expect((e as FlashError).code).toBe('InvalidImage');
    expect((e as FlashError).message).toMatch(/did not boot the new image/);
    expect(r.board.boots.at(-1)).toMatchObject({ action: 'refused', booted: true, image: { digest: factoryDigest } });
    expect(r.board.boots.at(-1)?.reason).toMatch(/new image refused: /);
  });

  it('a forced invalid image after an unconfirmed one: refused at boot, the tool says so, and later resets never run garbage', async () => {
    const r = await start();
    const good = await signed(8 * 1024, undefined, '2.0.0');
    await flashImage(opts(r, good));
    expect(r.board.current.image?.version).toBe('2.0.0+0');
    const bitflip = new Uint8Array(file('images/neg-ecdsa-p256-body-bitflip.bin'));
    const e = await errorOf(flashImage(opts(r, bitflip, { force: true })));
    expect((e as FlashError).code).toBe('InvalidImage');
    expect(r.board.boots.at(-1)?.action).toBe('refused');
    for (let i = 0; i < 3; i++) {
      r.board.reset('power cycle');
      expect(r.board.current).toMatchObject({ booted: true, image: { version: '2.0.0+0' } });
    }
  });

  it('an image larger than the slot is ImageTooLarge before any upload', async () => {
    const r = await start({ slotSize: 32 * 1024 });
    const image = await signed(40 * 1024);
    const e = await errorOf(flashImage(opts(r, image)));
    expect((e as FlashError).code).toBe('ImageTooLarge');
    expect((e as FlashError).message).toMatch(/--slot/);
  });

  it('no such port; port busy', async () => {
    const image = await signed(1024);
    expect(((await errorOf(flashImage({ port: '/dev/nope-serial', baudRate: 115200, protocol: 'smp', image, check: { format: 'mcuboot', trust: TRUST } }))) as FlashError).code).toBe('NoSuchPort');
    const r = await start();
    const holder = await SerialTransport.open(r.hostPath, { baudRate: 115200 });
    try {
      expect(((await errorOf(flashImage(opts(r, image)))) as FlashError).code).toBe('PortBusy');
    } finally {
      await holder.close();
    }
  });
});

describe('line faults never end in a board that boots garbage', () => {
  // Byte indices counted at the board from the first byte the host sends; the connect phase uses
  // well under 200 bytes, so these land inside the upload.
  it.each<[string, LineFaults]>([
    ['dropped bytes', { dropAt: [1500, 1501, 5000] }],
    ['flipped bits', { flipBitAt: [1800, 9000] }],
    ['a board reset mid-write', { resetAt: 6000 }],
  ])('%s: the tool retries and the board boots the right image', async (_name, faults) => {
    const r = await start({ faults });
    const image = await signed(16 * 1024);
    const log: string[] = [];
    const result = await flashImage(opts(r, image, {}, log));
    const digest = result.imageCheck?.ok ? result.imageCheck.info.digest : '';
    expect(r.board.current).toMatchObject({ booted: true, image: { digest } });
    expect(log.some((l) => /resend|restart|retry|asks for offset/.test(l))).toBe(true);
  });

  it('answers corrupted on the way back: the tool retries', async () => {
    const r = await start({ faults: { txFlipBitAt: [40, 700] } });
    const image = await signed(8 * 1024);
    const log: string[] = [];
    const result = await flashImage(opts(r, image, {}, log));
    expect(result.booted).toBe(true);
    expect(log.some((l) => /damaged frame|retry|resend/.test(l))).toBe(true);
  });

  it('a line so noisy that no answer survives: a Checksum error naming the cause, after bounded retries', async () => {
    const r = await start({ faults: { txFlipEvery: 7 } });
    const e = await errorOf(flashImage(opts(r, await signed(2048), { connect: { timeoutMs: 500, retries: 2 } })));
    expect((e as FlashError).code).toBe('Checksum');
    expect((e as FlashError).message).toMatch(/damaged.*--baud/);
    expect(r.board.boots).toHaveLength(1);
  });

  it('a board that stops answering mid-transfer: a clear Timeout after bounded retries; the partial image never boots', async () => {
    const r = await start({ faults: { stopAnsweringAfter: 4000 } });
    const factoryDigest = r.board.current.image?.digest;
    const image = await signed(16 * 1024);
    const e = await errorOf(flashImage(opts(r, image, { connect: { timeoutMs: 1000, retries: 2 } })));
    expect(e).toBeInstanceOf(FlashError);
    expect((e as FlashError).code).toBe('Timeout');
    expect((e as FlashError).message).toMatch(/stopped answering the upload at offset \d+ of 16/);
    // Power-cycle the hung board: it boots what it had, the half-written secondary is not pending.
    r.line.clearFaults();
    r.board.reset('power cycle');
    expect(r.board.current).toMatchObject({ booted: true, image: { digest: factoryDigest } });
    expect(r.board.boots.at(-1)?.action).toBe('none');
  });
});

describe('SmpProtocol', () => {
  it('theoretical goodput at 115200 8N1 is below the raw byte rate and above 65 % of it (base64 + framing)', () => {
    const p = new SmpProtocol();
    const bps = p.theoreticalBytesPerSecond(115200);
    expect(bps).toBeLessThan(11520);
    expect(bps).toBeGreaterThan(0.65 * 11520);
  });
});
