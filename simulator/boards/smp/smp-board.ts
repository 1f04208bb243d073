/**
 * A simulated board running MCUboot with an MCUmgr SMP server on its UART (a Zephyr app with
 * img_mgmt/os_mgmt, or MCUboot serial recovery with the same commands):
 * - flash: primary slot (runs) and secondary slot (uploads land here), each ending in an MCUboot-style
 *   trailer (copy_done, image_ok, boot magic) that survives resets;
 * - SMP: echo, reset, MCUmgr params, image state read/write (test/confirm), upload, slot info;
 * - boot step: an unconfirmed swapped-in image reverts; a pending secondary image is checked with
 *   firmware-verifier (format mcuboot, the board's trust) and swapped in only if valid, otherwise
 *   erased; the primary is checked again before it runs. Nothing that fails the check ever boots.
 */
import { createHash } from 'node:crypto';
import { Decoder, Encoder } from 'cbor-x';
import { createTrustStore, createVerifier, type McubootOptions, type TrustStoreInput, type VerifyResult } from '../../../firmware-verifier/index.js';
import type { BoardLog, BootResult, SimulatedBoard } from '../board.types.js';
import type { PacedLine } from '../paced-line.js';
import { SimFlash } from '../sim-flash.js';
import { frameResponse, SmpLineReader } from './smp-serial.js';
import { readSlotImage } from './slot-image.js';

/** MCUboot's boot magic (BOOT_MAGIC in bootutil_public.c). */
const BOOT_MAGIC = Uint8Array.from([0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f, 0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80]);
const FLAG_SET = 0x01;

const RC = { ok: 0, unknown: 1, inval: 3, noent: 5, badstate: 6, msgsize: 7, notsup: 8 } as const;

export interface SmpBoardOptions {
  /** Keys the boot loader trusts (MCUboot's bootutil_keys[]). */
  trust: TrustStoreInput;
  /** Further boot loader options (hash, rollback, downgrade prevention). */
  verifier?: Omit<McubootOptions, 'slotSize'>;
  /** Bytes per slot; default 512 KiB. */
  slotSize?: number;
  /** Erase sector; default 4 KiB. The last sector of each slot holds the trailer. */
  sectorSize?: number;
  /** SMP buffer (MCUmgr params `buf_size`), default 2048, and buffers (`buf_count`), default 4. */
  bufSize?: number;
  bufCount?: number;
  /** Answer MCUmgr params with ENOTSUP, as older servers and MCUboot serial recovery do. */
  noParams?: boolean;
  /** A factory image in the primary slot, confirmed. */
  primaryImage?: Uint8Array;
  /** Input dropped for this long after a reset while the board boots (ms). Default 20. */
  bootDelayMs?: number;
  log?: BoardLog;
}

interface Trailer {
  magic: boolean;
  imageOk: boolean;
  copyDone: boolean;
}

interface Upload {
  len: number;
  off: number;
  sha?: Uint8Array;
}

export interface SmpBoardBootRecord extends BootResult {
  /** What the boot loader did before booting: 'none' | 'swap' | 'revert' | 'refused'. */
  action: 'none' | 'swap' | 'revert' | 'refused';
  at: number;
}

export class SmpBoard implements SimulatedBoard {
  readonly protocol = 'smp';
  readonly flash: SimFlash;
  readonly slotSize: number;
  readonly sectorSize: number;
  /** Every boot, oldest first (tests and `signer simulate board` read it). */
  readonly boots: SmpBoardBootRecord[] = [];
  private readonly encoder = new Encoder({ useRecords: false, variableMapSize: true, mapsAsObjects: true, tagUint8Array: false });
  private readonly decoder = new Decoder({ useRecords: false, mapsAsObjects: true });
  private readonly reader: SmpLineReader;
  private readonly log: BoardLog;
  private line: PacedLine | undefined;
  private upload: Upload | undefined;
  private bootingUntil = 0;
  private running: BootResult = { booted: false, reason: 'not started' };

  constructor(private readonly o: SmpBoardOptions) {
    this.slotSize = o.slotSize ?? 512 * 1024;
    this.sectorSize = o.sectorSize ?? 4096;
    this.flash = new SimFlash({ size: 2 * this.slotSize, sectorSize: this.sectorSize });
    this.log = o.log ?? (() => undefined);
    this.reader = new SmpLineReader((p) => this.handlePacket(p), Math.max(4096, this.bufSize));
    if (o.primaryImage) {
      if (o.primaryImage.length > this.maxImageSize) throw new RangeError('primaryImage does not fit the slot');
      this.flash.write(0, o.primaryImage);
      this.writeTrailer(0, { magic: true, imageOk: true, copyDone: false });
    }
    this.running = this.boot();
  }

  get bufSize(): number {
    return this.o.bufSize ?? 2048;
  }

  /** Largest image: the slot minus its trailer sector. */
  get maxImageSize(): number {
    return this.slotSize - this.sectorSize;
  }

  /** What runs now. */
  get current(): BootResult {
    return this.running;
  }

  attach(line: PacedLine): void {
    this.line = line;
    line.on('data', (bytes) => {
      if (performance.now() < this.bootingUntil) return; // still in the boot loader, UART not up
      this.reader.push(bytes);
    });
    line.on('reset', () => this.reset('line fault: reset'));
  }

  /** A reset (SMP reset command, power glitch): RAM state is lost, the boot loader runs. */
  reset(why: string): BootResult {
    this.log(`reset (${why})`);
    this.upload = undefined;
    this.reader.clear();
    this.bootingUntil = performance.now() + (this.o.bootDelayMs ?? 20);
    this.running = this.boot();
    return this.running;
  }

  /** MCUboot's decision at reset (swap type from the trailers, image validation, swap or revert). */
  boot(): BootResult {
    const primary = 0;
    const secondary = this.slotSize;
    const pt = this.readTrailer(primary);
    const st = this.readTrailer(secondary);
    let action: SmpBoardBootRecord['action'] = 'none';
    let refusal: string | undefined;
    // Swap type from the trailers (MCUboot's swap table: a pending secondary wins over a revert).
    const swapType = st.magic ? (st.imageOk ? 'perm' : 'test') : pt.magic && pt.copyDone && !pt.imageOk ? 'revert' : 'none';
    if (swapType !== 'none') {
      // boot_validated_swap_type: whatever comes from the secondary slot is checked first.
      const check = this.verifySlot(secondary);
      if (check.ok && swapType === 'revert') {
        this.swapSlots({ magic: true, imageOk: true, copyDone: false }, { magic: false, imageOk: false, copyDone: false });
        action = 'revert';
        this.log('boot: the test image was not confirmed; reverted to the previous image');
      } else if (check.ok) {
        this.swapSlots({ magic: true, imageOk: swapType === 'perm', copyDone: true }, { magic: false, imageOk: false, copyDone: false });
        action = 'swap';
        this.log(`boot: secondary image ${check.info.version ?? ''} valid (${check.info.digest.slice(0, 16)}…); swapped in${swapType === 'perm' ? ' permanently' : ' for a test run'}`);
      } else if (swapType === 'revert') {
        this.log(`boot: the test image was not confirmed but the secondary slot holds nothing valid to revert to (${check.reason}); staying`);
      } else {
        // MCUboot erases an invalid secondary image and boots what it had.
        refusal = `${check.reason}: ${check.detail}`;
        this.flash.erase(secondary, this.slotSize);
        action = 'refused';
        this.log(`boot: secondary image refused (${refusal}); erased it, staying on the primary image`);
      }
    }
    const check = this.verifySlot(primary);
    let result: BootResult;
    if (check.ok) {
      result = { booted: true, image: { slot: 0, digest: check.info.digest, size: check.info.size, ...(check.info.version ? { version: check.info.version } : {}) } };
      if (refusal) result.reason = `new image refused: ${refusal}`;
      else if (action === 'revert') result.reason = 'reverted: the test image was not confirmed';
    } else {
      result = { booted: false, reason: refusal ? `new image refused: ${refusal}; no valid image in the primary slot (${check.reason})` : `no bootable image in the primary slot: ${check.reason}: ${check.detail}` };
    }
    this.log(result.booted ? `boot: running ${result.image?.version ?? ''} ${result.image?.digest?.slice(0, 16) ?? ''}…` : `boot: halted, ${result.reason}`);
    this.boots.push({ ...result, action, at: Date.now() });
    return result;
  }

  private verifySlot(base: number): VerifyResult {
    const bytes = this.flash.peek(base, this.maxImageSize);
    const verifier = createVerifier('mcuboot', createTrustStore(this.o.trust), { ...this.o.verifier, slotSize: this.maxImageSize });
    verifier.update(bytes);
    return verifier.finish();
  }

  private swapSlots(primaryTrailer: Trailer, secondaryTrailer: Trailer): void {
    const a = this.flash.peek(0, this.maxImageSize);
    const b = this.flash.peek(this.slotSize, this.maxImageSize);
    this.flash.erase(0, this.slotSize);
    this.flash.erase(this.slotSize, this.slotSize);
    this.flash.write(0, b);
    this.flash.write(this.slotSize, a);
    this.writeTrailer(0, primaryTrailer);
    this.writeTrailer(this.slotSize, secondaryTrailer);
  }

  private trailerBase(slot: number): number {
    return slot + this.slotSize - 32;
  }

  private readTrailer(slot: number): Trailer {
    const t = this.flash.peek(this.trailerBase(slot), 32);
    return { copyDone: t[0] === FLAG_SET, imageOk: t[8] === FLAG_SET, magic: BOOT_MAGIC.every((b, i) => t[16 + i] === b) };
  }

  /** Sets trailer fields (only ever programs erased bytes, as on NOR flash). */
  private writeTrailer(slot: number, t: Partial<Trailer>): void {
    const base = this.trailerBase(slot);
    const cur = this.readTrailer(slot);
    if (t.copyDone && !cur.copyDone) this.flash.write(base, Uint8Array.of(FLAG_SET));
    if (t.imageOk && !cur.imageOk) this.flash.write(base + 8, Uint8Array.of(FLAG_SET));
    if (t.magic && !cur.magic) this.flash.write(base + 16, BOOT_MAGIC);
  }

  // ---------------------------------------------------------------- SMP server

  private handlePacket(packet: Uint8Array): void {
    if (packet.length < 8) return;
    const op = (packet[0] as number) & 7;
    const len = ((packet[2] as number) << 8) | (packet[3] as number);
    const group = ((packet[4] as number) << 8) | (packet[5] as number);
    const seq = packet[6] as number;
    const id = packet[7] as number;
    if (len !== packet.length - 8 || (op !== 0 && op !== 2)) return;
    let req: Record<string, unknown>;
    try {
      const body: unknown = this.decoder.decode(packet.subarray(8));
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not a map');
      req = body as Record<string, unknown>;
    } catch {
      return this.respond(op, group, seq, id, { rc: RC.inval, rsn: 'bad CBOR' });
    }
    let rsp: Record<string, unknown>;
    let after: (() => void) | undefined;
    try {
      if (group === 0 && id === 0 && op === 2) rsp = { r: typeof req.d === 'string' ? req.d : '' };
      else if (group === 0 && id === 5 && op === 2) {
        rsp = {};
        after = () => this.reset('SMP reset command');
      } else if (group === 0 && id === 6 && op === 0) rsp = this.o.noParams ? { rc: RC.notsup } : { buf_size: this.bufSize, buf_count: this.o.bufCount ?? 4 };
      else if (group === 1 && id === 0 && op === 0) rsp = this.imageList();
      else if (group === 1 && id === 0 && op === 2) rsp = this.imageStateWrite(req);
      else if (group === 1 && id === 1 && op === 2) rsp = this.imageUpload(req);
      else if (group === 1 && id === 6 && op === 0) {
        rsp = { images: [{ image: 0, slots: [{ slot: 0, size: this.slotSize }, { slot: 1, size: this.slotSize, upload_image_id: 0 }], max_image_size: this.maxImageSize }] };
      } else rsp = { rc: RC.notsup };
    } catch (e) {
      rsp = { rc: RC.unknown, rsn: (e as Error).message };
    }
    this.respond(op, group, seq, id, rsp, after);
  }

  private respond(op: number, group: number, seq: number, id: number, body: Record<string, unknown>, after?: () => void): void {
    const cbor = this.encoder.encode(body);
    const packet = new Uint8Array(8 + cbor.length);
    packet[0] = op + 1;
    packet[2] = cbor.length >> 8;
    packet[3] = cbor.length & 0xff;
    packet[4] = group >> 8;
    packet[5] = group & 0xff;
    packet[6] = seq;
    packet[7] = id;
    packet.set(cbor, 8);
    const sent = this.line?.write(frameResponse(packet)) ?? Promise.resolve();
    if (after) void sent.then(after);
  }

  private imageList(): Record<string, unknown> {
    const images: Record<string, unknown>[] = [];
    const pt = this.readTrailer(0);
    const st = this.readTrailer(this.slotSize);
    for (const [slot, base] of [[0, 0], [1, this.slotSize]] as const) {
      const img = readSlotImage(this.flash.peek(base, this.maxImageSize));
      if (!img) continue;
      const isPrimary = slot === 0;
      images.push({
        image: 0,
        slot,
        version: img.version,
        hash: img.hash,
        bootable: img.bootable,
        pending: !isPrimary && st.magic,
        confirmed: isPrimary && (pt.imageOk || !pt.magic),
        active: isPrimary && this.running.booted,
        permanent: !isPrimary && st.magic && st.imageOk,
      });
    }
    return { images, splitStatus: 0 };
  }

  private imageStateWrite(req: Record<string, unknown>): Record<string, unknown> {
    const confirm = req.confirm === true;
    const hash = req.hash instanceof Uint8Array ? Buffer.from(req.hash).toString('hex') : undefined;
    const primary = readSlotImage(this.flash.peek(0, this.maxImageSize));
    const secondary = readSlotImage(this.flash.peek(this.slotSize, this.maxImageSize));
    const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);
    if (hash === undefined || hash === hex(primary?.hash)) {
      if (!confirm) return { rc: RC.inval, rsn: 'the running image can only be confirmed' };
      if (!this.running.booted) return { rc: RC.badstate, rsn: 'no image is running' };
      this.writeTrailer(0, { imageOk: true });
      this.log('image state: running image confirmed');
      return this.imageList();
    }
    if (hash === hex(secondary?.hash)) {
      if (this.upload) return { rc: RC.badstate, rsn: 'upload in progress' };
      this.writeTrailer(this.slotSize, { magic: true, ...(confirm ? { imageOk: true } : {}) });
      this.log(`image state: secondary image marked ${confirm ? 'permanent' : 'for test'}`);
      return this.imageList();
    }
    return { rc: RC.noent, rsn: 'no image with that hash' };
  }

  private imageUpload(req: Record<string, unknown>): Record<string, unknown> {
    const off = req.off;
    const data = req.data;
    if (typeof off !== 'number' || !(data instanceof Uint8Array)) return { rc: RC.inval, rsn: 'off and data are required' };
    if (off === 0) {
      const len = req.len;
      if (typeof len !== 'number' || len <= 0) return { rc: RC.inval, rsn: 'len is required at offset 0' };
      if (req.image !== undefined && req.image !== 0) return { rc: RC.noent, rsn: `no image ${String(req.image)}` };
      if (len > this.maxImageSize) return { rc: RC.inval, rsn: `image of ${len} bytes does not fit the ${this.maxImageSize}-byte slot` };
      this.flash.erase(this.slotSize, this.slotSize);
      this.upload = { len, off: 0, ...(req.sha instanceof Uint8Array ? { sha: Uint8Array.from(req.sha) } : {}) };
      this.log(`upload: start, ${len} bytes to the secondary slot`);
    }
    const u = this.upload;
    if (!u) return { rc: RC.ok, off: 0 }; // nothing in progress (e.g. after a reset): start over
    if (off !== u.off) {
      this.log(`upload: got offset ${off}, expected ${u.off}; asking for ${u.off}`);
      return { rc: RC.ok, off: u.off };
    }
    if (off + data.length > u.len) return { rc: RC.inval, rsn: 'data past len' };
    this.flash.write(this.slotSize + off, data);
    u.off += data.length;
    if (u.off < u.len) return { rc: RC.ok, off: u.off };
    this.upload = undefined;
    const written = this.flash.peek(this.slotSize, u.len);
    const match = u.sha ? Buffer.from(createHash('sha256').update(written).digest()).equals(Buffer.from(u.sha)) : undefined;
    this.log(`upload: complete, ${u.len} bytes${match === undefined ? '' : match ? ', SHA-256 matches' : ', SHA-256 MISMATCH'}`);
    return { rc: RC.ok, off: u.off, ...(match === undefined ? {} : { match }) };
  }
}
