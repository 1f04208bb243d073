/**
 * What the board's image manager reads from an image header to list a slot (Zephyr
 * img_mgmt_read_info): magic, version, flags, and the SHA-256 over header + body + protected TLVs —
 * the value MCUboot stores in the image's hash TLV. Listing only: whether the image may run is decided
 * by firmware-verifier in the boot step.
 */
import { createHash } from 'node:crypto';

const IMAGE_MAGIC = 0x96f3b83d;
const FLAG_NON_BOOTABLE = 0x00000010;

export interface SlotImage {
  version: string;
  hash: Uint8Array;
  bootable: boolean;
}

export function readSlotImage(slot: Uint8Array): SlotImage | undefined {
  if (slot.length < 32) return undefined;
  const v = new DataView(slot.buffer, slot.byteOffset, slot.byteLength);
  if (v.getUint32(0, true) !== IMAGE_MAGIC) return undefined;
  const hdrSize = v.getUint16(8, true);
  const protSize = v.getUint16(10, true);
  const imgSize = v.getUint32(12, true);
  const flags = v.getUint32(16, true);
  const end = hdrSize + imgSize + protSize;
  if (hdrSize < 32 || end > slot.length) return undefined;
  const version = `${slot[20]}.${slot[21]}.${v.getUint16(22, true)}${v.getUint32(24, true) === 0 ? '' : `.${v.getUint32(24, true)}`}`;
  return { version, hash: new Uint8Array(createHash('sha256').update(slot.subarray(0, end)).digest()), bootable: (flags & FLAG_NON_BOOTABLE) === 0 };
}
