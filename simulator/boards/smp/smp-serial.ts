/**
 * The board's own SMP console transport, written the way a device does it (MCUboot boot_serial.c):
 * collect a line, check the 06 09 / 04 14 marker, base64-decode the line into a packet buffer, and
 * once the length field is satisfied check the CRC-16 and hand over header + CBOR. Damaged frames
 * are dropped silently, as MCUboot does; the host notices by the missing or rewinding answer.
 * Deliberately independent of the host codec in src/ (a second implementation, like a real device),
 * and both are checked against the same vectors.
 */
const MAX_LINE = 127;

/** CRC-16/XMODEM computed bit by bit (crc16_itu_t(0, …) in Zephyr). */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export class SmpLineReader {
  private line: number[] = [];
  private overflow = false;
  private packet: number[] | undefined;
  private want = 0;
  /** Frames dropped because of a bad marker, base64, length or CRC. */
  dropped = 0;

  constructor(
    private readonly onPacket: (packet: Uint8Array) => void,
    private readonly maxPacket = 4096,
  ) {}

  push(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b !== 0x0a) {
        if (this.line.length < MAX_LINE) this.line.push(b);
        else this.overflow = true;
        continue;
      }
      const line = this.line;
      this.line = [];
      if (this.overflow) {
        this.overflow = false;
        const framed = (line[0] === 6 && line[1] === 9) || (line[0] === 4 && line[1] === 20);
        if (framed || this.packet !== undefined) this.dropped++;
        this.packet = undefined;
        continue;
      }
      this.handleLine(line);
    }
  }

  /** Forget a partial packet (after a reset). */
  clear(): void {
    this.line = [];
    this.packet = undefined;
    this.overflow = false;
  }

  private handleLine(line: number[]): void {
    const start = line[0] === 6 && line[1] === 9;
    const cont = line[0] === 4 && line[1] === 20;
    if (!start && !cont) return; // console input, not SMP
    if (start) {
      if (this.packet !== undefined) this.dropped++;
      this.packet = [];
      this.want = -1;
    } else if (this.packet === undefined) {
      this.dropped++;
      return;
    }
    const text = String.fromCharCode(...line.slice(2));
    if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return this.fail();
    const decoded = Buffer.from(text, 'base64');
    const packet = this.packet as number[];
    packet.push(...decoded);
    if (this.want < 0) {
      if (packet.length < 2) return this.fail();
      this.want = ((packet[0] as number) << 8) | (packet[1] as number);
      if (this.want < 10 || this.want > this.maxPacket + 2) return this.fail();
    }
    const have = packet.length - 2;
    if (have > this.want) return this.fail();
    if (have < this.want) {
      if (text.endsWith('=')) this.fail();
      return;
    }
    const body = Uint8Array.from(packet.slice(2, packet.length - 2));
    const crc = ((packet[packet.length - 2] as number) << 8) | (packet[packet.length - 1] as number);
    this.packet = undefined;
    if (crc16(body) !== crc) {
      this.dropped++;
      return;
    }
    this.onPacket(body);
  }

  private fail(): void {
    this.dropped++;
    this.packet = undefined;
  }
}

/** Packet → serial lines (length, CRC, base64 in 124-character chunks, markers, newline). */
export function frameResponse(packet: Uint8Array): Uint8Array {
  const raw = Buffer.alloc(packet.length + 4);
  raw.writeUInt16BE(packet.length + 2, 0);
  raw.set(packet, 2);
  raw.writeUInt16BE(crc16(packet), packet.length + 2);
  const text = raw.toString('base64');
  const parts: Buffer[] = [];
  for (let i = 0; i < text.length; i += 124) {
    parts.push(Buffer.from(i === 0 ? [6, 9] : [4, 20]), Buffer.from(text.slice(i, i + 124), 'latin1'), Buffer.from([10]));
  }
  return new Uint8Array(Buffer.concat(parts));
}
