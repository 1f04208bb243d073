/**
 * The 8-byte SMP header (Zephyr smp_protocol.rst): [Res:3|Ver:2|OP:3], flags, BE16 body length,
 * BE16 group, sequence, command id — followed by a CBOR map.
 */
export const SMP_OP = { read: 0, readRsp: 1, write: 2, writeRsp: 3 } as const;
export type SmpOp = (typeof SMP_OP)[keyof typeof SMP_OP];

export const SMP_GROUP = { os: 0, image: 1 } as const;
/** Command ids used here: OS echo/reset/params, image state/upload/slot info. */
export const SMP_ID = { echo: 0, reset: 5, mcumgrParams: 6, imageState: 0, imageUpload: 1, imageErase: 5, slotInfo: 6 } as const;

export interface SmpHeader {
  op: SmpOp;
  version: 0 | 1 | 2 | 3;
  flags: number;
  /** Length of the CBOR body. */
  length: number;
  group: number;
  seq: number;
  id: number;
}

export const SMP_HEADER_SIZE = 8;

export function encodeSmpHeader(h: SmpHeader): Uint8Array {
  const out = new Uint8Array(SMP_HEADER_SIZE);
  out[0] = ((h.version & 0x3) << 3) | (h.op & 0x7);
  out[1] = h.flags & 0xff;
  out[2] = (h.length >> 8) & 0xff;
  out[3] = h.length & 0xff;
  out[4] = (h.group >> 8) & 0xff;
  out[5] = h.group & 0xff;
  out[6] = h.seq & 0xff;
  out[7] = h.id & 0xff;
  return out;
}

/** Parses the header; the caller checks `length` against the bytes that follow. */
export function decodeSmpHeader(b: Uint8Array): SmpHeader {
  if (b.length < SMP_HEADER_SIZE) throw new RangeError(`SMP packet of ${b.length} bytes is shorter than its 8-byte header`);
  return {
    op: ((b[0] as number) & 0x7) as SmpOp,
    version: (((b[0] as number) >> 3) & 0x3) as SmpHeader['version'],
    flags: b[1] as number,
    length: ((b[2] as number) << 8) | (b[3] as number),
    group: ((b[4] as number) << 8) | (b[5] as number),
    seq: b[6] as number,
    id: b[7] as number,
  };
}
