/**
 * Total encoded length (header + content) of the DER TLV that starts `bytes`, or undefined when the
 * header is malformed (indefinite length, length of more than 4 bytes, or cut short). Used to refuse
 * trailing bytes after a structure: DER is canonical, so an encoding with junk after it is not one.
 */
export function derTotalLength(bytes: Uint8Array): number | undefined {
  const first = bytes[1];
  if (first === undefined) return undefined;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || bytes.length < 2 + count) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[2 + i] as number);
  return 2 + count + length;
}
