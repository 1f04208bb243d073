/**
 * SMP over a serial console (Zephyr smp_transport.rst, MCUboot boot_serial.c):
 *   raw   = BE16(len(packet)+2) ‖ packet ‖ BE16(CRC-16/XMODEM(packet))
 *   text  = base64(raw), cut into chunks of ≤ 124 characters (multiples of 4, so each decodes alone)
 *   line1 = 06 09 ‖ chunk ‖ 0A, further lines = 04 14 ‖ chunk ‖ 0A   (≤ 127 bytes a line)
 * Encoder, and a streaming decoder that skips console text between frames and reports bad frames
 * as typed SmpFrameError without losing sync.
 */
import { crc16Xmodem } from './crc16.js';

export const FRAME_START = [0x06, 0x09] as const;
export const FRAME_CONTINUE = [0x04, 0x14] as const;
/** Longest line: 2 marker bytes + 124 base64 characters + newline. */
export const MAX_LINE = 127;
const MAX_CHUNK = MAX_LINE - 3;
/** Largest SMP packet accepted by the decoder (a length field can claim up to 65535). */
export const MAX_PACKET = 8192;

export type SmpFrameErrorKind = 'BadMarker' | 'BadBase64' | 'BadLength' | 'BadCrc' | 'TooLong';

export class SmpFrameError extends Error {
  override readonly name = 'SmpFrameError';
  constructor(
    readonly kind: SmpFrameErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** Packet → the serial lines that carry it (each with markers and newline). */
export function encodeSerialLines(packet: Uint8Array, lineMax = MAX_LINE): Uint8Array[] {
  if (packet.length + 2 > 0xffff) throw new RangeError('SMP packet too long for the 16-bit length field');
  const raw = new Uint8Array(packet.length + 4);
  const total = packet.length + 2;
  raw[0] = total >> 8;
  raw[1] = total & 0xff;
  raw.set(packet, 2);
  const crc = crc16Xmodem(packet);
  raw[raw.length - 2] = crc >> 8;
  raw[raw.length - 1] = crc & 0xff;
  const text = Buffer.from(raw).toString('base64');
  const chunk = Math.floor((lineMax - 3) / 4) * 4;
  if (chunk <= 0) throw new RangeError('lineMax too small');
  const lines: Uint8Array[] = [];
  for (let i = 0; i < text.length; i += chunk) {
    const part = text.slice(i, i + chunk);
    const line = new Uint8Array(part.length + 3);
    const marker = i === 0 ? FRAME_START : FRAME_CONTINUE;
    line[0] = marker[0];
    line[1] = marker[1];
    for (let k = 0; k < part.length; k++) line[2 + k] = part.charCodeAt(k);
    line[line.length - 1] = 0x0a;
    lines.push(line);
  }
  return lines;
}

/** Packet → all its lines as one buffer, ready to write. */
export function encodeSerialFrame(packet: Uint8Array, lineMax = MAX_LINE): Uint8Array {
  return Buffer.concat(encodeSerialLines(packet, lineMax));
}

/** Bytes on the wire for a packet of `packetLength` bytes. */
export function serialFrameSize(packetLength: number): number {
  const chars = Math.ceil((packetLength + 4) / 3) * 4;
  return chars + Math.ceil(chars / MAX_CHUNK) * 3;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

export type DecodedItem = { packet: Uint8Array } | { error: SmpFrameError };

/**
 * Streaming decoder: push bytes as they arrive; get back whole packets (CRC checked) and errors.
 * Lines that do not start with a frame marker are console output and are skipped.
 */
export class SmpSerialDecoder {
  private line: number[] = [];
  private raw: Uint8Array | undefined;
  private rawLength = 0;
  private expected = -1;
  private discardingLine = false;

  push(bytes: Uint8Array): DecodedItem[] {
    const out: DecodedItem[] = [];
    for (const b of bytes) {
      if (b === 0x0a) {
        if (!this.discardingLine) this.endLine(out);
        this.line = [];
        this.discardingLine = false;
        continue;
      }
      if (this.discardingLine) continue;
      if (this.line.length >= MAX_LINE) {
        this.discardingLine = true;
        if (this.raw !== undefined || this.startsFrame()) {
          this.reset();
          out.push({ error: new SmpFrameError('TooLong', `serial line longer than ${MAX_LINE} bytes`) });
        }
        continue;
      }
      this.line.push(b);
    }
    return out;
  }

  /** True while a multi-line packet is partly received. */
  get midPacket(): boolean {
    return this.raw !== undefined;
  }

  reset(): void {
    this.raw = undefined;
    this.rawLength = 0;
    this.expected = -1;
  }

  private startsFrame(): boolean {
    return this.line[0] === FRAME_START[0] && this.line[1] === FRAME_START[1];
  }

  private endLine(out: DecodedItem[]): void {
    const l = this.line;
    if (l.length > 0 && l[l.length - 1] === 0x0d) l.pop();
    const isStart = l[0] === FRAME_START[0] && l[1] === FRAME_START[1];
    const isCont = l[0] === FRAME_CONTINUE[0] && l[1] === FRAME_CONTINUE[1];
    if (!isStart && !isCont) return; // console text
    if (isStart && this.raw !== undefined) {
      out.push({ error: new SmpFrameError('BadMarker', 'a new frame started before the previous packet was complete') });
      this.reset();
    }
    if (isCont && this.raw === undefined) {
      out.push({ error: new SmpFrameError('BadMarker', 'continuation line without a start frame') });
      return;
    }
    const text = String.fromCharCode(...l.slice(2));
    if (text.length === 0 || text.length % 4 !== 0 || !B64.test(text)) {
      this.reset();
      out.push({ error: new SmpFrameError('BadBase64', 'frame line is not whole base64 groups') });
      return;
    }
    const bytes = Buffer.from(text, 'base64');
    if (isStart) {
      if (bytes.length < 2) {
        out.push({ error: new SmpFrameError('BadLength', 'frame too short for its length field') });
        return;
      }
      this.expected = ((bytes[0] as number) << 8) | (bytes[1] as number);
      if (this.expected < 2 + 8 || this.expected > MAX_PACKET + 2) {
        out.push({ error: new SmpFrameError('BadLength', `frame length ${this.expected} outside 10..${MAX_PACKET + 2}`) });
        this.reset();
        return;
      }
      this.raw = new Uint8Array(this.expected);
      this.rawLength = 0;
      this.append(bytes.subarray(2), out, text.endsWith('='));
    } else {
      this.append(bytes, out, text.endsWith('='));
    }
  }

  private append(bytes: Uint8Array, out: DecodedItem[], padded: boolean): void {
    const raw = this.raw as Uint8Array;
    if (this.rawLength + bytes.length > raw.length) {
      this.reset();
      out.push({ error: new SmpFrameError('BadLength', 'frame carries more bytes than its length field says') });
      return;
    }
    raw.set(bytes, this.rawLength);
    this.rawLength += bytes.length;
    if (this.rawLength < raw.length) {
      if (padded) {
        this.reset();
        out.push({ error: new SmpFrameError('BadLength', 'base64 padding before the end of the packet') });
      }
      return;
    }
    const packet = raw.slice(0, raw.length - 2);
    const crc = ((raw[raw.length - 2] as number) << 8) | (raw[raw.length - 1] as number);
    this.reset();
    const computed = crc16Xmodem(packet);
    if (crc !== computed) {
      out.push({ error: new SmpFrameError('BadCrc', `frame CRC 0x${crc.toString(16)} does not match 0x${computed.toString(16)}`) });
      return;
    }
    out.push({ packet });
  }
}

/** Decodes exactly one complete frame (one or more lines); throws SmpFrameError on anything wrong. */
export function decodeSerialFrame(bytes: Uint8Array): Uint8Array {
  const d = new SmpSerialDecoder();
  const items = d.push(bytes);
  const first = items[0];
  if (first === undefined) throw new SmpFrameError('BadLength', d.midPacket ? 'frame ends before its length field says' : 'no frame found');
  if ('error' in first) throw first.error;
  if (items.length > 1 || d.midPacket) throw new SmpFrameError('BadLength', 'more than one frame');
  return first.packet;
}
