/**
 * Request/response over an SMP serial line: sequence numbers, answer matching, bounded retries on a
 * timeout or a damaged frame, SMP error codes → FlashError. Pipelined sends for uploads.
 */
import { FlashError, isRetryable } from '../../flash-error.js';
import type { SerialTransport } from '../../serial-transport.js';
import { encodeSerialFrame, SmpSerialDecoder } from './smp-frame.js';
import { SMP_OP, type SmpOp } from './smp-header.js';
import { decodeSmpPacket, encodeSmpPacket, type SmpBody, type SmpPacket } from './smp-packet.js';

/** SMP v1 `rc` values (Zephyr mgmt/mcumgr/mgmt/mgmt.h). */
export const SMP_RC_NAMES: Record<number, string> = {
  0: 'EOK',
  1: 'EUNKNOWN',
  2: 'ENOMEM',
  3: 'EINVAL',
  4: 'ETIMEOUT',
  5: 'ENOENT',
  6: 'EBADSTATE',
  7: 'EMSGSIZE',
  8: 'ENOTSUP',
  9: 'ECORRUPT',
  10: 'EBUSY',
};
export const SMP_RC_ENOTSUP = 8;

export interface SmpClientOptions {
  timeoutMs: number;
  retries: number;
  log?: (line: string) => void;
}

export interface SmpRequest {
  op: SmpOp;
  group: number;
  id: number;
  body: SmpBody;
}

export class SmpClient {
  private seq = 0;
  private readonly decoder = new SmpSerialDecoder();
  private readonly queue: SmpPacket[] = [];
  /** Damaged frames seen (CRC, base64, length): a measure of line quality. */
  badFrames = 0;

  constructor(
    readonly transport: SerialTransport,
    readonly options: SmpClientOptions,
  ) {}

  /** Sends a request without waiting; returns its sequence number. */
  async send(r: SmpRequest): Promise<number> {
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xff;
    const packet = encodeSmpPacket({ op: r.op, version: 0, flags: 0, group: r.group, seq, id: r.id }, r.body);
    await this.transport.write(encodeSerialFrame(packet));
    return seq;
  }

  /** The next well-formed packet from the board (damaged frames are counted and skipped). */
  async receive(timeoutMs = this.options.timeoutMs): Promise<SmpPacket> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const queued = this.queue.shift();
      if (queued) return queued;
      const left = Math.max(1, deadline - performance.now());
      const line = await this.transport.readUntil((buf) => {
        const nl = buf.indexOf(0x0a);
        return nl < 0 ? -1 : nl + 1;
      }, left);
      for (const item of this.decoder.push(line)) {
        if ('error' in item) {
          this.badFrames++;
          this.options.log?.(`smp: damaged frame from the board (${item.error.kind}): ${item.error.message}`);
          continue;
        }
        try {
          this.queue.push(decodeSmpPacket(item.packet));
        } catch (e) {
          this.badFrames++;
          this.options.log?.(`smp: bad packet from the board: ${(e as Error).message}`);
        }
      }
    }
  }

  /** Waits for the answer to `seq` (answers to other sequence numbers are stale and dropped). */
  async answerTo(seq: number, r: Pick<SmpRequest, 'group' | 'id'>, timeoutMs = this.options.timeoutMs): Promise<SmpBody> {
    const deadline = performance.now() + timeoutMs;
    const badBefore = this.badFrames;
    for (;;) {
      let p: SmpPacket;
      try {
        p = await this.receive(Math.max(1, deadline - performance.now()));
      } catch (e) {
        // The board did answer, but what arrived was damaged: a line problem, not a silent board.
        if (e instanceof FlashError && e.code === 'Timeout' && this.badFrames > badBefore) {
          throw new FlashError('Checksum', `the board's answers on ${this.transport.path} arrive damaged (${this.badFrames - badBefore} frame(s) with a bad CRC or encoding); check the cable and ground, or lower --baud`, { badFrames: this.badFrames - badBefore });
        }
        throw e;
      }
      if (p.header.seq !== seq || p.header.group !== r.group || p.header.id !== r.id) continue;
      if (p.header.op !== SMP_OP.readRsp && p.header.op !== SMP_OP.writeRsp) continue;
      return p.body;
    }
  }

  /** One request with bounded retries on timeouts and damaged frames; SMP errors → FlashError Nack. */
  async request(r: SmpRequest, o: { timeoutMs?: number; retries?: number; allowRc?: number[] } = {}): Promise<SmpBody> {
    const retries = o.retries ?? this.options.retries;
    for (let attempt = 0; ; attempt++) {
      try {
        const seq = await this.send(r);
        const body = await this.answerTo(seq, r, o.timeoutMs);
        const rc = smpRc(body);
        if (rc !== 0 && !(o.allowRc ?? []).includes(rc)) throw nack(r, rc, body);
        return body;
      } catch (e) {
        if (!isRetryable(e) || attempt >= retries) {
          if (e instanceof FlashError && e.code === 'Timeout') {
            throw new FlashError('Timeout', `${e.message} (group ${r.group} command ${r.id}, ${attempt + 1} attempt(s))`, { ...e.details, attempts: attempt + 1 });
          }
          throw e;
        }
        this.options.log?.(`smp: retry ${attempt + 1}/${retries} of group ${r.group} command ${r.id}: ${(e as Error).message}`);
        this.transport.discardInput();
        this.decoder.reset();
        this.queue.length = 0;
      }
    }
  }
}

/** SMP v1 `rc` or SMP v2 `err.rc`; 0 when absent. */
export function smpRc(body: SmpBody): number {
  if (typeof body.rc === 'number') return body.rc;
  const err = body.err as { rc?: unknown } | undefined;
  if (err && typeof err.rc === 'number') return err.rc;
  return 0;
}

export function nack(r: Pick<SmpRequest, 'group' | 'id'>, rc: number, body: SmpBody): FlashError {
  const reason = typeof body.rsn === 'string' ? `: ${body.rsn}` : '';
  return new FlashError('Nack', `the board refused group ${r.group} command ${r.id} with rc ${rc} (${SMP_RC_NAMES[rc] ?? 'unknown'})${reason}`, { rc, ...(typeof body.rsn === 'string' ? { rsn: body.rsn } : {}) });
}
