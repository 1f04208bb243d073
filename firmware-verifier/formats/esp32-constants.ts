/** ESP32 Secure Boot V2 wire constants (ESP-IDF `docs/en/security/secure-boot-v2.rst`, espsecure). */
export const ESP32 = Object.freeze({
  SECTOR_SIZE: 4096,
  BLOCK_SIZE: 1216,
  MAX_BLOCKS: 3,
  BLOCK_MAGIC: 0xe7,
  VERSION_RSA: 0x02,
  VERSION_ECDSA: 0x03,
  /** CRC32 covers bytes [0, CRC_OFFSET) and is stored little-endian at CRC_OFFSET. */
  CRC_OFFSET: 1196,
  DIGEST_OFFSET: 4,
  /** RSA block: key material (n, e, R, M') at [36, 812), signature (reversed) at 812. */
  RSA_KEY_OFFSET: 36,
  RSA_KEY_END: 812,
  RSA_MODULUS_BYTES: 384,
  RSA_SIGNATURE_OFFSET: 812,
  /** ECDSA curve ids (byte after the digest). */
  CURVE_P192: 1,
  CURVE_P256: 2,
  CURVE_P384: 3,
  /** `esp_app_desc_t` starts at file offset 32 (24-byte image header + 8-byte segment header). */
  APP_DESC_OFFSET: 32,
  APP_DESC_MAGIC: 0xabcd5432,
  /** The last byte of the app descriptor fields we read (magic_word, secure_version). */
  APP_DESC_READ_END: 40,
  PSS_SALT_LENGTH: 32,
});
