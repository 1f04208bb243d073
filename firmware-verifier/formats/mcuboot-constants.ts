/**
 * MCUboot wire constants, defined once (mcu-tools/mcuboot `boot/bootutil/include/bootutil/image.h`
 * at 2d4bacc3; where `docs/design.md` disagrees, `image.h` wins).
 */
export const MCUBOOT = Object.freeze({
  IMAGE_MAGIC: 0x96f3b83d,
  HEADER_SIZE: 32,
  TLV_INFO_MAGIC: 0x6907,
  TLV_PROT_INFO_MAGIC: 0x6908,
  TLV_INFO_SIZE: 4,
  TLV_HEADER_SIZE: 4,
});

/** Header field offsets (`struct image_header`). */
export const MCUBOOT_HEADER = Object.freeze({
  MAGIC: 0,
  LOAD_ADDR: 4,
  HDR_SIZE: 8,
  PROTECT_TLV_SIZE: 10,
  IMG_SIZE: 12,
  FLAGS: 16,
  VER_MAJOR: 20,
  VER_MINOR: 21,
  VER_REVISION: 22,
  VER_BUILD: 24,
});

/** `ih_flags` bits (image.h IMAGE_F_*). */
export const MCUBOOT_FLAGS = Object.freeze({
  PIC: 0x01,
  ENCRYPTED_AES128: 0x04,
  ENCRYPTED_AES256: 0x08,
  NON_BOOTABLE: 0x10,
  RAM_LOAD: 0x20,
  ROM_FIXED: 0x100,
  COMPRESSED_LZMA1: 0x200,
  COMPRESSED_LZMA2: 0x400,
  COMPRESSED_ARM_THUMB_FLT: 0x800,
});

/** Flags this verifier accepts; the rest need features (encryption, compression, PIC) it lacks. */
export const MCUBOOT_SUPPORTED_FLAGS = MCUBOOT_FLAGS.NON_BOOTABLE | MCUBOOT_FLAGS.RAM_LOAD | MCUBOOT_FLAGS.ROM_FIXED;
/** Known flags that ask for a feature this verifier does not implement. */
export const MCUBOOT_UNSUPPORTED_FLAGS =
  MCUBOOT_FLAGS.PIC |
  MCUBOOT_FLAGS.ENCRYPTED_AES128 |
  MCUBOOT_FLAGS.ENCRYPTED_AES256 |
  MCUBOOT_FLAGS.COMPRESSED_LZMA1 |
  MCUBOOT_FLAGS.COMPRESSED_LZMA2 |
  MCUBOOT_FLAGS.COMPRESSED_ARM_THUMB_FLT;

/** TLV type numbers (image.h IMAGE_TLV_*). */
export const TLV = Object.freeze({
  KEYHASH: 0x01,
  PUBKEY: 0x02,
  SHA256: 0x10,
  SHA384: 0x11,
  SHA512: 0x12,
  RSA2048_PSS: 0x20,
  ECDSA224: 0x21,
  ECDSA_SIG: 0x22,
  RSA3072_PSS: 0x23,
  ED25519: 0x24,
  SIG_PURE: 0x25,
  DEPENDENCY: 0x40,
  SEC_CNT: 0x50,
  BOOT_RECORD: 0x60,
  UUID_VID: 0x74,
  UUID_CID: 0x75,
});

/** Vendor-reserved TLV types: low byte 0xA0..0xFF of every high byte (image.h). */
export const TLV_VENDOR_LOW_BYTE_MIN = 0xa0;

/** RSA-PSS salt length bootutil hard-codes (`image_rsa.c` PSS_SLEN). */
export const MCUBOOT_PSS_SALT_LENGTH = 32;

/** Most bytes buffered per TLV area; larger areas fail with `Oversize` (bounds working memory). */
export const MCUBOOT_MAX_TLV_AREA = 8192;

/** Default anti-rollback counter domain. */
export const MCUBOOT_DEFAULT_COUNTER_DOMAIN = 'mcuboot:0';
