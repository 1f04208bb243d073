/**
 * Serial flashing goodput (issue 11): a 256 KiB image flashed at 115200 baud over a real pty to a
 * simulated board that paces the line like a UART (10 bits a byte, 8N1), divided by the protocol's
 * theoretical maximum at that line rate after its framing and encoding overhead, measured in the
 * same run. Target ≥ 0.9. Numbers only; no thresholds.
 *
 *   node --import tsx bench/serial.ts            # BENCH_BAUD=115200 BENCH_KIB=256 by default
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { mcubootEcdsaSigner, mcubootImage, spkiFor } from '../firmware-verifier/testing/signers.js';
import { runBoard } from '../simulator/boards/run-board.js';
import { flashImage } from '../src/flash/flash-command.js';
import { SmpProtocol } from '../src/flash/protocols/smp/smp-protocol.js';
import { report } from './measure.js';

const BAUD = Number(process.env.BENCH_BAUD ?? 115200);
const SIZE = Number(process.env.BENCH_KIB ?? 256) * 1024;

const secret = sha256(new TextEncoder().encode('test-only serial bench key'));
const spki = spkiFor('p256', p256.getPublicKey(secret, false));
const payload = Uint8Array.from({ length: SIZE - 512 }, (_, i) => (i * 31 + 7) & 0xff);

async function smp(): Promise<void> {
  const image = mcubootImage({ payload, signer: mcubootEcdsaSigner('p256', secret, spki) });
  const trust = { publicKeys: [spki] };
  const board = await runBoard({ protocol: 'smp', baudRate: BAUD, trust, board: { slotSize: 512 * 1024 } });
  try {
    const protocol = new SmpProtocol();
    const r = await flashImage({ port: board.hostPath, baudRate: BAUD, protocol, image, check: { format: 'mcuboot', trust }, connect: { timeoutMs: 5000 } });
    // With the buffer size the board granted (MCUmgr params), as the upload used it.
    const theoretical = protocol.theoreticalBytesPerSecond(BAUD);
    report('smp', { bytes: image.length, baud: BAUD, seconds: r.writeSeconds, goodputBps: r.bytesPerSecond, theoreticalBps: theoretical, lineBps: BAUD / 10, ratio: r.bytesPerSecond / theoretical });
  } finally {
    await board.close();
  }
}

await smp();
