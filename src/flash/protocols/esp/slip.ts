/**
 * SLIP framing (RFC 1055) as the Espressif ROM loader uses it: every packet starts and ends with
 * 0xC0; inside, 0xC0 → DB DC and 0xDB → DB DD.
 */
import { FlashError } from '../../flash-error.js';

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** Wraps one packet: C0, escaped bytes, C0. */
export function slipEncode(packet: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of packet) if (b === SLIP_END || b === SLIP_ESC) extra++;
  const out = new Uint8Array(packet.length + extra + 2);
  let o = 0;
  out[o++] = SLIP_END;
  for (const b of packet) {
    if (b === SLIP_END) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_END;
    } else if (b === SLIP_ESC) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_ESC;
    } else out[o++] = b;
  }
  out[o] = SLIP_END;
  return out;
}

/**
 * Finds the first complete frame in `buf`: returns the unescaped packet and how many bytes of `buf`
 * it used (bytes before the opening C0 are skipped, as line noise), or `undefined` if no frame is
 * complete yet. An empty frame (C0 C0) is skipped: the second C0 opens the next one.
 * Throws FlashError('Protocol') for an invalid escape (DB followed by anything but DC/DD).
 */
export function slipDecodeFirst(buf: Uint8Array): { packet: Uint8Array; consumed: number } | undefined {
  let start = buf.indexOf(SLIP_END);
  while (start >= 0) {
    const end = buf.indexOf(SLIP_END, start + 1);
    if (end < 0) return undefined;
    if (end === start + 1) {
      start = end;
      continue;
    }
    return { packet: slipUnescape(buf.subarray(start + 1, end)), consumed: end + 1 };
  }
  return undefined;
}

/** Undoes the escapes of a frame's body (without its C0 delimiters). */
export function slipUnescape(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length);
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const b = body[i] as number;
    if (b === SLIP_END) throw new FlashError('Protocol', 'SLIP frame body contains an unescaped 0xC0');
    if (b !== SLIP_ESC) {
      out[o++] = b;
      continue;
    }
    const next = body[++i];
    if (next === SLIP_ESC_END) out[o++] = SLIP_END;
    else if (next === SLIP_ESC_ESC) out[o++] = SLIP_ESC;
    else throw new FlashError('Protocol', `invalid SLIP escape 0xDB ${next === undefined ? 'at the end of a frame' : `0x${next.toString(16).padStart(2, '0')}`}`);
  }
  return out.slice(0, o);
}
