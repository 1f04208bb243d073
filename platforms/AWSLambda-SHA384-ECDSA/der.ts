/**
 * The little DER (ITU-T X.690) the Lambda signature needs: a writer for the CMS structure and a
 * bounds-checked reader for verification. Definite lengths only, as DER requires.
 */

/** Universal and context tags used here. */
export const TAG = Object.freeze({
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0: 0xa0,
  CONTEXT_1: 0xa1,
});

/** One TLV: `tag`, then the DER length, then the concatenated contents. */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(contents);
  const n = body.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = [0x80 | bytes.length, ...bytes];
  }
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...len]), body]));
}

/** OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(BigInt);
  const first = arcs[0]! * 40n + arcs[1]!;
  const out: number[] = [];
  for (const arc of [first, ...arcs.slice(2)]) {
    const groups: number[] = [];
    let v = arc;
    do {
      groups.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    groups.forEach((g, i) => out.push(i < groups.length - 1 ? g | 0x80 : g));
  }
  return tlv(TAG.OID, Uint8Array.from(out));
}

/** A small non-negative INTEGER. */
export function smallInt(n: number): Uint8Array {
  return tlv(TAG.INTEGER, Uint8Array.from([n]));
}

/** UTF8String. */
export function utf8(text: string): Uint8Array {
  return tlv(TAG.UTF8_STRING, Buffer.from(text, 'utf8'));
}

/** GeneralizedTime `YYYYMMDDHHMMSSZ` (whole seconds, UTC, as DER requires). */
export function generalizedTime(date: Date): Uint8Array {
  const iso = date.toISOString(); // 2026-11-24T12:00:00.000Z
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`, 'latin1'));
}

/** SET OF with DER ordering: elements sorted by their encodings (X.690 §11.6). */
export function setOf(tag: number, elements: Uint8Array[]): Uint8Array {
  return tlv(tag, ...[...elements].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

/** A parsed TLV: where its contents are inside the buffer it was read from. */
export interface Node {
  tag: number;
  /** offset of the tag byte */
  start: number;
  /** offset of the first content byte */
  contentStart: number;
  /** offset just past the contents */
  end: number;
}

/**
 * Reads the TLV at `offset`, checking that it fits inside `limit`.
 * @throws RangeError on truncation, indefinite or over-long lengths
 */
export function readNode(buf: Uint8Array, offset: number, limit = buf.length): Node {
  if (offset + 2 > limit) throw new RangeError('DER: truncated header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new RangeError('DER: multi-byte tags are not supported');
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0 || count > 4) throw new RangeError('DER: unsupported length form');
    if (p + count > limit) throw new RangeError('DER: truncated length');
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + buf[p + i]!;
    p += count;
  }
  if (p + len > limit) throw new RangeError('DER: contents run past their container');
  return { tag, start: offset, contentStart: p, end: p + len };
}

/** The child TLVs of a constructed node. */
export function children(buf: Uint8Array, node: Node): Node[] {
  const out: Node[] = [];
  for (let p = node.contentStart; p < node.end; ) {
    const child = readNode(buf, p, node.end);
    out.push(child);
    p = child.end;
  }
  return out;
}

/** The whole encoding (tag, length, contents) of a node. */
export function raw(buf: Uint8Array, node: Node): Uint8Array {
  return buf.subarray(node.start, node.end);
}

/** The contents of a node. */
export function content(buf: Uint8Array, node: Node): Uint8Array {
  return buf.subarray(node.contentStart, node.end);
}
