/**
 * `signer flash --protocol smp`: MCUmgr image management over a serial console (Zephyr SMP server
 * or MCUboot serial recovery). Upload goes to the board's secondary slot of image pair `--slot`
 * (default 0) in chunks sized to the board's buffer, several in flight when the board grants more
 * than one buffer; the board's `off` answer is the truth (a lost chunk rewinds, `off: 0` restarts).
 * Verify: the board's SHA-256 `match` of the upload and the image list's hash. Boot: mark the new
 * image for test (or confirm), reset, and read the image list back to see which image runs.
 */
import { createHash } from 'node:crypto';
import { FlashError, isRetryable } from '../../flash-error.js';
import type { BoardInfo, ConnectOptions, FlashProtocol, FlashTarget, ProgressFn } from '../../protocol.types.js';
import type { SerialTransport } from '../../serial-transport.js';
import { SMP_RC_ENOTSUP, SmpClient, nack, smpRc } from './smp-client.js';
import { MAX_LINE, serialFrameSize } from './smp-frame.js';
import { SMP_GROUP, SMP_HEADER_SIZE, SMP_ID, SMP_OP } from './smp-header.js';
import { encodeCbor, type SmpBody } from './smp-packet.js';

/** Zephyr's default SMP buffer when the board does not answer MCUmgr params. */
const DEFAULT_BUF_SIZE = 384;
const LINE_PAYLOAD = ((MAX_LINE - 3) / 4) * 3; // raw bytes per full line (93)

export interface SmpImageState {
  image: number;
  slot: number;
  version?: string;
  hash?: string;
  bootable?: boolean;
  pending?: boolean;
  confirmed?: boolean;
  active?: boolean;
  permanent?: boolean;
}

export class SmpProtocol implements FlashProtocol {
  readonly name = 'smp' as const;
  private client: SmpClient | undefined;
  private options: ConnectOptions = { baudRate: 115200 };
  private bufSize = DEFAULT_BUF_SIZE;
  private bufCount = 1;
  private lastMatch: boolean | undefined;
  /** What the board reported after boot (image list read back). */
  bootReport: { images: SmpImageState[]; running?: SmpImageState } | undefined;

  async connect(t: SerialTransport, o: ConnectOptions): Promise<BoardInfo> {
    this.options = o;
    this.client = new SmpClient(t, { timeoutMs: o.timeoutMs ?? 3000, retries: o.retries ?? 3, ...(o.log ? { log: o.log } : {}) });
    const params = await this.client.request({ op: SMP_OP.read, group: SMP_GROUP.os, id: SMP_ID.mcumgrParams, body: {} }, { allowRc: [SMP_RC_ENOTSUP] });
    if (smpRc(params) === 0 && typeof params.buf_size === 'number') {
      this.bufSize = params.buf_size;
      this.bufCount = typeof params.buf_count === 'number' && params.buf_count > 0 ? params.buf_count : 1;
    }
    const images = await this.readImageState();
    const slots = await this.client.request({ op: SMP_OP.read, group: SMP_GROUP.image, id: SMP_ID.slotInfo, body: {} }, { allowRc: [SMP_RC_ENOTSUP] });
    const slotSizes = parseSlotInfo(slots);
    const info: BoardInfo = {
      chip: 'MCUmgr SMP server (MCUboot)',
      details: { bufSize: this.bufSize, bufCount: this.bufCount, images, slots: slotSizes },
    };
    const secondary = slotSizes.find((s) => s.image === 0 && s.slot === 1);
    if (secondary) info.flashSize = secondary.size;
    if (o.expectChip !== undefined && !info.chip.toLowerCase().includes(o.expectChip.toLowerCase())) {
      throw new FlashError('UnexpectedChip', `the board answered as "${info.chip}", not "${o.expectChip}"; check --port or --chip`);
    }
    return info;
  }

  /** Largest `data` that keeps the whole packet within the board's buffer, rounded to fill serial lines. */
  chunkSize(off: number, total: number, first: boolean, bufSize = this.bufSize): number {
    const overhead = SMP_HEADER_SIZE + encodeCbor(uploadBody(first, off, total, new Uint8Array(0), new Uint8Array(32), 0)).length + 2; // + bstr length growth
    let d = Math.max(1, bufSize - overhead);
    const lines = Math.floor((2 + overhead + d + 2) / LINE_PAYLOAD);
    const aligned = lines * LINE_PAYLOAD - 4 - overhead;
    if (aligned > 0 && aligned <= d) d = aligned;
    return Math.min(d, total - off);
  }

  async write(image: Uint8Array, target: FlashTarget, progress: ProgressFn): Promise<void> {
    const client = this.need();
    const slot = target.slot ?? 0;
    const sha = new Uint8Array(createHash('sha256').update(image).digest());
    const total = image.length;
    const window = Math.max(1, Math.min(this.bufCount, 8));
    const timeoutMs = this.options.timeoutMs ?? 3000;
    const retries = this.options.retries ?? 3;
    let acked = 0; // the board's last answered offset
    let sendPos = 0;
    let failures = 0;
    this.lastMatch = undefined;
    const inflight: { seq: number; off: number; end: number; stale: boolean }[] = [];
    progress(0, total);
    while (acked < total || inflight.length > 0) {
      while (inflight.length < window && sendPos < total) {
        const first = sendPos === 0;
        const n = this.chunkSize(sendPos, total, first);
        const data = image.subarray(sendPos, sendPos + n);
        const seq = await client.send({ op: SMP_OP.write, group: SMP_GROUP.image, id: SMP_ID.imageUpload, body: uploadBody(first, sendPos, total, data, sha, slot) });
        inflight.push({ seq, off: sendPos, end: sendPos + n, stale: false });
        sendPos += n;
      }
      const head = inflight[0];
      if (!head) break;
      let body: SmpBody;
      try {
        body = await client.answerTo(head.seq, { group: SMP_GROUP.image, id: SMP_ID.imageUpload }, timeoutMs);
      } catch (e) {
        if (!isRetryable(e) || ++failures > retries) {
          if (e instanceof FlashError && e.code === 'Timeout') {
            throw new FlashError('Timeout', `the board stopped answering the upload at offset ${acked} of ${total} after ${failures} attempt(s); reset the board into its boot loader and run again (the new image is not marked for boot)`, { offset: acked, total });
          }
          throw e;
        }
        this.options.log?.(`smp: upload answer for offset ${head.off} missing (${(e as Error).message}); resending from ${acked}`);
        client.transport.discardInput();
        inflight.length = 0;
        sendPos = acked;
        continue;
      }
      inflight.shift();
      const rc = smpRc(body);
      if (rc !== 0) throw nack({ group: SMP_GROUP.image, id: SMP_ID.imageUpload }, rc, body);
      if (head.stale) continue;
      const off = body.off;
      if (typeof off !== 'number' || !Number.isInteger(off) || off < 0 || off > total) {
        throw new FlashError('Protocol', `the board answered the upload with offset ${String(off)} (image is ${total} bytes)`);
      }
      if (off !== head.end) {
        // The board lost or refused something: it says where it wants to continue. Everything in flight is stale.
        this.options.log?.(`smp: board asks for offset ${off} (sent up to ${head.end}); ${off === 0 ? 'restarting the upload' : 'resending'}`);
        if (++failures > retries * 4) throw new FlashError('Protocol', `the upload keeps being rewound (last to offset ${off}); check the line (--baud, cable) and run again`, { offset: off });
        for (const f of inflight) f.stale = true;
        sendPos = off;
        acked = off;
        progress(acked, total);
        continue;
      }
      acked = off;
      failures = 0;
      if (typeof body.match === 'boolean') this.lastMatch = body.match;
      progress(acked, total);
    }
  }

  async verify(image: Uint8Array, target: FlashTarget): Promise<void> {
    if (this.lastMatch === false) {
      throw new FlashError('VerifyMismatch', 'the board computed a different SHA-256 over the uploaded image; the line corrupted it. Run again (a lower --baud helps on a noisy line)');
    }
    const slot = target.slot ?? 0;
    const images = await this.readImageState();
    const entry = images.find((s) => s.image === slot && s.slot === 1);
    if (!entry) throw new FlashError('VerifyMismatch', `after the upload the board lists no image in the secondary slot of image ${slot}`);
    if (target.imageDigest !== undefined && entry.hash !== undefined && entry.hash !== target.imageDigest.toLowerCase()) {
      throw new FlashError('VerifyMismatch', `the board reports image hash ${entry.hash} in the secondary slot, the image has ${target.imageDigest}`);
    }
    if (this.lastMatch === undefined && target.imageDigest === undefined) {
      this.options.log?.(`smp: the board did not confirm the upload hash and no image digest is known; only the image list was checked (${image.length} bytes)`);
    }
  }

  async boot(target: FlashTarget = {}): Promise<void> {
    const client = this.need();
    const slot = target.slot ?? 0;
    const before = await this.readImageState();
    const secondary = before.find((s) => s.image === slot && s.slot === 1);
    if (!secondary?.hash) throw new FlashError('Protocol', `the board lists no image hash in the secondary slot of image ${slot}; cannot mark it for boot`);
    await client.request({ op: SMP_OP.write, group: SMP_GROUP.image, id: SMP_ID.imageState, body: { hash: hexToBytes(secondary.hash), confirm: Boolean(this.options.confirm) } });
    await client.request({ op: SMP_OP.write, group: SMP_GROUP.os, id: SMP_ID.reset, body: {} });
    // The board reboots: its boot loader checks the image and swaps (or refuses). Ask what runs now.
    // Poll with the normal answer timeout until the board is back (its UART is down while it boots).
    const timeoutMs = this.options.timeoutMs ?? 3000;
    const after = await this.readImageState({ timeoutMs, retries: Math.max(this.options.retries ?? 3, Math.ceil((this.options.bootTimeoutMs ?? 10_000) / timeoutMs)) });
    const running = after.find((s) => s.image === slot && s.active === true);
    this.bootReport = { images: after, ...(running ? { running } : {}) };
    if (!running) {
      throw new FlashError('InvalidImage', `after the reset the board runs no image of pair ${slot}: its boot loader refused the new image and found nothing else to boot; flash a valid image signed with a key the board trusts`, { images: after });
    }
    if (running.hash !== secondary.hash) {
      throw new FlashError('InvalidImage', `the board's boot loader did not boot the new image (it still runs ${running.hash ?? 'an image without hash'}); it refused the image: check that it is signed with a key the board trusts`, { images: after });
    }
  }

  theoreticalBytesPerSecond(baud: number, bitsPerChar = 10): number {
    // One full-size upload packet: image data bytes / bytes on the wire, host→board (answers travel the other way).
    const total = 1 << 20;
    const d = this.chunkSize(total >> 1, total, false);
    const packet = SMP_HEADER_SIZE + encodeCbor(uploadBody(false, total >> 1, total, new Uint8Array(d), new Uint8Array(32), 0)).length;
    return (baud / bitsPerChar) * (d / serialFrameSize(packet));
  }

  private async readImageState(o: { timeoutMs?: number; retries?: number } = {}): Promise<SmpImageState[]> {
    const body = await this.need().request({ op: SMP_OP.read, group: SMP_GROUP.image, id: SMP_ID.imageState, body: {} }, o);
    return parseImageState(body);
  }

  private need(): SmpClient {
    if (!this.client) throw new Error('SmpProtocol: connect() first');
    return this.client;
  }
}

/** Upload request body, keys in the order of Zephyr smp_group_1.rst (off-0 fields only on the first chunk). */
export function uploadBody(first: boolean, off: number, total: number, data: Uint8Array, sha: Uint8Array, image: number): SmpBody {
  if (first) return { image, len: total, off, sha, data, upgrade: false };
  return { off, data };
}

export function parseImageState(body: SmpBody): SmpImageState[] {
  const list = body.images;
  if (!Array.isArray(list)) throw new FlashError('Protocol', 'the board answered the image list without "images"');
  return list.map((raw: Record<string, unknown>) => {
    const hash = raw.hash instanceof Uint8Array ? Buffer.from(raw.hash).toString('hex') : undefined;
    const s: SmpImageState = { image: typeof raw.image === 'number' ? raw.image : 0, slot: Number(raw.slot) };
    if (typeof raw.version === 'string') s.version = raw.version;
    if (hash) s.hash = hash;
    for (const k of ['bootable', 'pending', 'confirmed', 'active', 'permanent'] as const) if (typeof raw[k] === 'boolean') s[k] = raw[k] as boolean;
    return s;
  });
}

function parseSlotInfo(body: SmpBody): { image: number; slot: number; size: number }[] {
  if (smpRc(body) !== 0 || !Array.isArray(body.images)) return [];
  const out: { image: number; slot: number; size: number }[] = [];
  for (const img of body.images as Record<string, unknown>[]) {
    for (const s of (Array.isArray(img.slots) ? img.slots : []) as Record<string, unknown>[]) {
      if (typeof s.slot === 'number' && typeof s.size === 'number') out.push({ image: typeof img.image === 'number' ? img.image : 0, slot: s.slot, size: s.size });
    }
  }
  return out;
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
