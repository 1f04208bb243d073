/**
 * The part of `chunk` (which starts at absolute offset `chunkStart`) that falls inside the
 * absolute range [from, to), with its absolute start; undefined when they do not overlap.
 */
export function sliceRange(
  chunk: Uint8Array,
  chunkStart: number,
  from: number,
  to: number,
): { readonly bytes: Uint8Array; readonly at: number } | undefined {
  const begin = Math.max(from, chunkStart);
  const end = Math.min(to, chunkStart + chunk.length);
  return begin < end ? { bytes: chunk.subarray(begin - chunkStart, end - chunkStart), at: begin } : undefined;
}
