/**
 * The stream block bitmap: bit k is byte k>>3, mask 1<<(k&7) (LSB first), relative to a block
 * offset. The FreeRTOS agent keeps its receive bitmap the same way with 1 = still needed.
 */
export function bitmapFor(blocks: number, needed: (i: number) => boolean = () => true): Uint8Array {
  const out = new Uint8Array(Math.ceil(blocks / 8));
  for (let i = 0; i < blocks; i++) if (needed(i)) out[i >> 3] = (out[i >> 3] as number) | (1 << (i & 7));
  return out;
}

export function bitIsSet(bitmap: Uint8Array, k: number): boolean {
  const byte = bitmap[k >> 3];
  return byte !== undefined && (byte & (1 << (k & 7))) !== 0;
}

export function clearBit(bitmap: Uint8Array, k: number): void {
  if (k >> 3 < bitmap.length) bitmap[k >> 3] = (bitmap[k >> 3] as number) & ~(1 << (k & 7));
}

/** Block ids (absolute: offset + k) of the set bits, in increasing order, at most `max`. */
export function setBlocks(bitmap: Uint8Array, offset: number, max: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < bitmap.length * 8 && out.length < max; k++) if (bitIsSet(bitmap, k)) out.push(offset + k);
  return out;
}

/** JSON requests carry the bitmap as hex text, `"0x130080"` (the `0x` is optional); undefined when malformed. */
export function bitmapFromHex(text: string): Uint8Array | undefined {
  const hex = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bitmapToHex(bitmap: Uint8Array): string {
  return '0x' + [...bitmap].map((b) => b.toString(16).padStart(2, '0')).join('');
}
