/**
 * MCUboot image wire format (mcu-tools/mcuboot `boot/bootutil/include/bootutil/image.h`,
 * imgtool `image.py`): the 32-byte header, TLV areas and the slot trailer. Every constant of the
 * format is defined here once. All integers little-endian.
 */

/** `ih_magic` of a current image header. [image.h IMAGE_MAGIC] */
export const IMAGE_MAGIC = 0x96f3b83d;
/** Size of `struct image_header`. [image.h IMAGE_HEADER_SIZE] */
export const IMAGE_HEADER_SIZE = 32;
/** `it_magic` of the unprotected TLV area. [image.h IMAGE_TLV_INFO_MAGIC] */
export const TLV_INFO_MAGIC = 0x6907;
/** `it_magic` of the protected TLV area (covered by the image hash). [image.h IMAGE_TLV_PROT_INFO_MAGIC] */
export const TLV_PROT_INFO_MAGIC = 0x6908;
/** Size of `struct image_tlv_info` and of one TLV entry header. */
export const TLV_INFO_SIZE = 4;
/** The last 16 bytes of a padded slot. [bootutil boot_img_magic] */
export const BOOT_MAGIC = Uint8Array.from([0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f, 0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80]);
/** Flash erased value imgtool pads with (`--erased-val` default). */
export const ERASED_VALUE = 0xff;
/** imgtool `DEFAULT_MAX_SECTORS`: sectors reserved in the swap status area of the trailer. */
export const DEFAULT_MAX_SECTORS = 128;
/** imgtool default `max_align` for write sizes up to 8. */
export const DEFAULT_MAX_ALIGN = 8;
/** Byte written to the trailer's image_ok field by `--confirm`. [bootutil BOOT_FLAG_SET] */
export const BOOT_FLAG_SET = 0x01;

/** TLV types used here. [image.h IMAGE_TLV_*] */
export const TLV = Object.freeze({
  KEYHASH: 0x01,
  PUBKEY: 0x02,
  SHA256: 0x10,
  SHA384: 0x11,
  RSA2048_PSS: 0x20,
  ECDSA_SIG: 0x22,
  RSA3072_PSS: 0x23,
  ED25519: 0x24,
  SEC_CNT: 0x50,
});

/** `struct image_version`. */
export interface ImageVersion {
  major: number;
  minor: number;
  revision: number;
  build: number;
}

/** One TLV entry. */
export interface Tlv {
  type: number;
  value: Uint8Array;
}

/**
 * Parses imgtool's version syntax `major[.minor[.revision[+build]]]` (e.g. `1.2.3+4`).
 * @returns undefined when the text is not a version or a field is out of range
 */
export function parseVersion(text: string): ImageVersion | undefined {
  const m = /^(\d{1,3})(?:\.(\d{1,3})(?:\.(\d{1,5})(?:\+(\d{1,10}))?)?)?$/.exec(text);
  if (m === null) return undefined;
  const v = { major: Number(m[1]), minor: Number(m[2] ?? 0), revision: Number(m[3] ?? 0), build: Number(m[4] ?? 0) };
  if (v.major > 0xff || v.minor > 0xff || v.revision > 0xffff || v.build > 0xffffffff) return undefined;
  return v;
}

/** imgtool `-s auto`: the security counter derived from the version, `major<<24 | minor<<16 | revision`. */
export function autoSecurityCounter(v: ImageVersion): number {
  return ((v.major << 24) >>> 0) + (v.minor << 16) + v.revision;
}

/**
 * The header region `[0, headerSize)`: the 32-byte `struct image_header`, then padding — the erased value
 * when imgtool adds the room (`--pad-header`), zero when the input brought zeroed room of its own.
 */
export function encodeHeader(h: {
  headerSize: number;
  protectedTlvSize: number;
  imageSize: number;
  flags: number;
  loadAddress: number;
  version: ImageVersion;
  padding?: number;
}): Uint8Array {
  const b = Buffer.alloc(h.headerSize, h.padding ?? ERASED_VALUE);
  b.writeUInt32LE(IMAGE_MAGIC, 0);
  b.writeUInt32LE(h.loadAddress, 4);
  b.writeUInt16LE(h.headerSize, 8);
  b.writeUInt16LE(h.protectedTlvSize, 10);
  b.writeUInt32LE(h.imageSize, 12);
  b.writeUInt32LE(h.flags, 16);
  b.writeUInt8(h.version.major, 20);
  b.writeUInt8(h.version.minor, 21);
  b.writeUInt16LE(h.version.revision, 22);
  b.writeUInt32LE(h.version.build, 24);
  b.writeUInt32LE(0, 28);
  return new Uint8Array(b);
}

/**
 * A TLV area: `image_tlv_info{magic, it_tlv_tot}` then each entry `{u16 type, u16 len, value}`.
 * `it_tlv_tot` counts the 4-byte info header. An empty protected area is omitted altogether
 * (returns an empty array) because `ih_protect_tlv_size` must then be 0.
 */
export function encodeTlvArea(magic: number, tlvs: readonly Tlv[]): Uint8Array {
  if (tlvs.length === 0 && magic === TLV_PROT_INFO_MAGIC) return new Uint8Array(0);
  const total = tlvs.reduce((n, t) => n + TLV_INFO_SIZE + t.value.length, TLV_INFO_SIZE);
  if (total > 0xffff) throw new RangeError(`TLV area of ${total} bytes does not fit it_tlv_tot`);
  const b = Buffer.alloc(total);
  b.writeUInt16LE(magic, 0);
  b.writeUInt16LE(total, 2);
  let off = TLV_INFO_SIZE;
  for (const t of tlvs) {
    b.writeUInt16LE(t.type, off);
    b.writeUInt16LE(t.value.length, off + 2);
    b.set(t.value, off + TLV_INFO_SIZE);
    off += TLV_INFO_SIZE + t.value.length;
  }
  return new Uint8Array(b);
}

/** A u32 little-endian TLV value (SEC_CNT). */
export function u32le(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return new Uint8Array(b);
}

/**
 * Bytes imgtool reserves at the end of a slot for the swap-mode trailer: status area
 * (`max_sectors × 3 × align`), image_ok/copy_done/swap_info/swap_size (`4 × max_align`) and the magic.
 */
export function trailerSize(align: number, maxAlign = Math.max(DEFAULT_MAX_ALIGN, align)): number {
  return DEFAULT_MAX_SECTORS * 3 * align + maxAlign * 4 + alignUp(BOOT_MAGIC.length, maxAlign);
}

/**
 * imgtool `--pad [--confirm]`: erased fill from the end of the image to the end of the slot, the
 * boot magic in the last 16 bytes and, when confirmed, image_ok = 0x01 in the `max_align` field before it.
 */
export function encodePadding(imageLength: number, slotSize: number, align: number, confirm: boolean): Uint8Array {
  const maxAlign = Math.max(DEFAULT_MAX_ALIGN, align);
  const b = Buffer.alloc(slotSize - imageLength, ERASED_VALUE);
  b.set(BOOT_MAGIC, b.length - BOOT_MAGIC.length);
  if (confirm) b[b.length - alignUp(BOOT_MAGIC.length, maxAlign) - maxAlign] = BOOT_FLAG_SET;
  return new Uint8Array(b);
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
