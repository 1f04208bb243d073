/**
 * Serial flashing benchmark: goodput of a 256 KiB flash at 115200 baud, each protocol against its
 * simulated board over a real pty pair paced to the line rate (stm32: 8E1 = 11 bits per character;
 * esp, smp: 8N1 = 10), divided by that protocol's theoretical maximum at that line rate after its
 * framing and encoding overhead (`theoreticalBytesPerSecond`). Goodput = image bytes / time of the
 * write phase (connect and verify excluded).
 *
 * Raw baselines, measured in the same run:
 *  - line: 256 KiB of plain bytes through the same paced line (no protocol) ÷ the line's character
 *    rate — how close the line model itself comes to the wire rate;
 *  - handshakes: STM32 (3 handshakes per 256-byte block) and the ESP ROM loader (1 per 1 KiB block)
 *    are stop-and-wait: every turn waits for the board's answer, so each frame's last pacing sleep
 *    (a timer wake-up, late on a loaded machine) and the pty/socat hops add to the write time, which a
 *    streaming baseline hides. The raw handshake baseline replays exactly the protocol's frame and
 *    answer sizes over the same paced line with no protocol logic (a board that answers as soon as a
 *    frame is complete). `ofRawHandshakes` = protocol goodput ÷ that baseline's: what the protocol
 *    code itself costs. SMP pipelines its requests and has no such baseline.
 *
 *   node --import tsx bench/serial.ts            # all three protocols
 *   BENCH_SERIAL_KIB=64 node --import tsx bench/serial.ts stm32 esp
 *
 * Target (issue 11): ≥ 0.9 per protocol. Numbers only; no thresholds.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createTrustStore, verify } from '../firmware-verifier/index.js';
import { esp32Image, mcubootEcdsaSigner, mcubootImage, spkiFor } from '../firmware-verifier/testing/signers.js';
import { PacedLine } from '../simulator/boards/paced-line.js';
import { openPtyPair } from '../simulator/boards/pty-pair.js';
import { runBoard } from '../simulator/boards/run-board.js';
import type { FlashTarget, ProtocolName } from '../src/flash/protocol.types.js';
import { createProtocol } from '../src/flash/protocols/registry.js';
import { SerialTransport } from '../src/flash/serial-transport.js';
import { report } from './measure.js';

const BAUD = 115200;
const SIZE = Number(process.env.BENCH_SERIAL_KIB ?? 256) * 1024;
const only = process.argv.slice(2);

const secret = sha256(new TextEncoder().encode('test-only serial bench key'));
const spki = spkiFor('p256', p256.getPublicKey(secret, false));
const pem = `-----BEGIN PUBLIC KEY-----\n${Buffer.from(spki).toString('base64')}\n-----END PUBLIC KEY-----\n`;
const trust = { publicKeys: [pem] };
/** Pseudo-random bytes (xorshift): SLIP escapes about 2 in 256 of them, as the ESP model assumes. */
function payload(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const mcuboot = mcubootImage({ payload: payload(SIZE - 32 - 256), signer: mcubootEcdsaSigner('p256', secret, spki) });
const esp = esp32Image(payload(SIZE - 4096), [{ kind: 'ecdsa256', secret }]);

interface Case {
  protocol: ProtocolName;
  /** One block of a stop-and-wait protocol: [bytes sent, bytes answered] per handshake, image bytes per block. */
  handshakes?: { turns: Array<[number, number]>; payload: number };
  image: Uint8Array;
  target: FlashTarget;
  board: Record<string, unknown>;
  bitsPerChar: number;
}

const cases: Case[] = [
  // STM32F10xxx high density (PID 0x414): 512 KiB flash in 2 KiB pages holds a 256 KiB image.
  { protocol: 'stm32', image: mcuboot, target: { address: 0x0800_0000 }, board: { productId: 0x414, flashSize: 512 * 1024, pageSize: 2048 }, bitsPerChar: 11, handshakes: { turns: [[2, 1], [5, 1], [258, 1]], payload: 256 } },
  { protocol: 'esp', image: esp, target: { address: 0x1_0000 }, board: {}, bitsPerChar: 10, handshakes: { turns: [[Math.round((8 + 16 + 1024) * (1 + 2 / 256)) + 2, 14]], payload: 1024 } },
  { protocol: 'smp', image: mcuboot, target: {}, board: { slotSize: 512 * 1024 }, bitsPerChar: 10 },
];

async function flashOnce(c: Case): Promise<{ seconds: number; theoretical: number; booted: string }> {
  const running = await runBoard({ protocol: c.protocol, baudRate: BAUD, bitsPerChar: c.bitsPerChar, trust, board: c.board });
  const transport = await SerialTransport.open(running.hostPath, { baudRate: BAUD });
  try {
    const protocol = createProtocol(c.protocol);
    await protocol.connect(transport, { baudRate: BAUD, timeoutMs: 3000 });
    const t0 = performance.now();
    await protocol.write(c.image, c.target, () => undefined);
    const seconds = (performance.now() - t0) / 1000;
    await protocol.verify(c.image, c.target);
    return { seconds, theoretical: protocol.theoreticalBytesPerSecond(BAUD), booted: 'verified' };
  } finally {
    await transport.close();
    await running.close();
  }
}

/** Plain bytes host → board through the paced line: the line model's own efficiency. */
async function rawLine(bitsPerChar: number): Promise<number> {
  const pair = await openPtyPair();
  const line = await PacedLine.open(pair.boardPath, { baudRate: BAUD, bitsPerChar });
  const transport = await SerialTransport.open(pair.hostPath, { baudRate: BAUD });
  try {
    let got = 0;
    const done = new Promise<void>((resolve) =>
      line.on('data', (b) => {
        got += b.length;
        if (got >= SIZE) resolve();
      }),
    );
    const t0 = performance.now();
    await transport.write(payload(SIZE));
    await done;
    return SIZE / ((performance.now() - t0) / 1000);
  } finally {
    await transport.close();
    await line.close();
    await pair.close();
  }
}

/** Image bytes per second of the protocol's handshake pattern alone: same frame sizes, no protocol. */
async function rawHandshakes(h: NonNullable<Case['handshakes']>, bitsPerChar: number, bytes: number): Promise<number> {
  const pair = await openPtyPair();
  const line = await PacedLine.open(pair.boardPath, { baudRate: BAUD, bitsPerChar });
  const transport = await SerialTransport.open(pair.hostPath, { baudRate: BAUD });
  let turn = 0;
  let got = 0;
  line.on('data', (b) => {
    got += b.length;
    const [send, answer] = h.turns[turn] as [number, number];
    if (got >= send) {
      got -= send;
      turn = (turn + 1) % h.turns.length;
      void line.write(new Uint8Array(answer).fill(0x79));
    }
  });
  try {
    const blocks = Math.ceil(bytes / h.payload);
    const t0 = performance.now();
    for (let i = 0; i < blocks; i++) {
      for (const [send, answer] of h.turns) {
        await transport.write(new Uint8Array(send).fill(0x55));
        await transport.read(answer, 5000);
      }
    }
    return (blocks * h.payload) / ((performance.now() - t0) / 1000);
  } finally {
    await transport.close();
    await line.close();
    await pair.close();
  }
}

if (!verify(mcuboot, 'mcuboot', createTrustStore(trust), { slotSize: 512 * 1024 }).ok) throw new Error('bench MCUboot image must verify');
if (!verify(esp, 'esp32-sbv2', createTrustStore(trust)).ok) throw new Error('bench ESP32 image must verify');

console.log(`serial bench: ${SIZE / 1024} KiB image at ${BAUD} baud over a paced pty pair`);
const raw = await rawLine(10);
report('raw paced line (8N1, no protocol)', { bytesPerSecond: Math.round(raw), wireRate: BAUD / 10, ratio: raw / (BAUD / 10) });
for (const c of cases.filter((x) => only.length === 0 || only.includes(x.protocol))) {
  // The handshake baseline is measured right before and after the protocol run and averaged.
  const baseline = c.handshakes ? [await rawHandshakes(c.handshakes, c.bitsPerChar, c.image.length / 4)] : [];
  const r = await flashOnce(c);
  if (c.handshakes) baseline.push(await rawHandshakes(c.handshakes, c.bitsPerChar, c.image.length / 4));
  const goodput = c.image.length / r.seconds;
  const raw = baseline.length ? baseline.reduce((a, b) => a + b) / baseline.length : undefined;
  report(`${c.protocol.padEnd(5)} write ${c.image.length} B`, {
    seconds: Number(r.seconds.toFixed(2)),
    goodput: Math.round(goodput),
    theoretical: Math.round(r.theoretical),
    ratio: goodput / r.theoretical,
    ...(raw ? { rawHandshakes: Math.round(raw), rawHandshakesRatio: raw / r.theoretical, ofRawHandshakes: goodput / raw } : {}),
  });
}
