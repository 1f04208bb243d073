import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { equalBytes, toHex, u16le, u32le } from '../bytes.js';
import type { FormatEngine } from '../format-engine.types.js';
import { createHasher, HASH_LENGTH, type Hasher } from '../hash.js';
import { DEFAULT_MAX_IMAGE_SIZE, HASH_STATE_BYTES, VERIFIER_OVERHEAD_BYTES } from '../limits.js';
import type { PublicKey } from '../public-key.js';
import type { VerifyInfo } from '../result.types.js';
import type { RollbackCounter } from '../rollback-counter.js';
import { verifySignature, type SignatureScheme } from '../signature.js';
import { sliceRange } from '../stream-slice.js';
import type { TrustStore } from '../trust-store.js';
import { check, fail } from '../verification-failure.js';
import type { ReasonCode } from '../reason-codes.js';
import {
  MCUBOOT,
  MCUBOOT_DEFAULT_COUNTER_DOMAIN,
  MCUBOOT_HEADER as H,
  MCUBOOT_MAX_TLV_AREA,
  MCUBOOT_PSS_SALT_LENGTH,
  MCUBOOT_SUPPORTED_FLAGS,
  MCUBOOT_UNSUPPORTED_FLAGS,
  TLV,
  TLV_VENDOR_LOW_BYTE_MIN,
} from './mcuboot-constants.js';

/** MCUboot image version (`struct image_version`). */
export interface ImageVersion {
  readonly major: number;
  readonly minor: number;
  readonly revision: number;
  readonly build?: number;
}

/** Image hash algorithms an MCUboot build may use. */
export type McubootHash = 'sha256' | 'sha384' | 'sha512';

/** Options of the `mcuboot` format (the bootloader's build configuration). */
export interface McubootOptions {
  /** Slot size in bytes: header + image + TLVs (+ trailer) must fit. Default 64 MiB. */
  readonly slotSize?: number;
  /**
   * Hashes to compute while streaming (the TLV naming the hash comes after the data). Default:
   * SHA-384 for P-384 keys, SHA-256 for the others (as imgtool chooses).
   */
  readonly hashes?: readonly McubootHash[];
  /**
   * `MCUBOOT_HW_ROLLBACK_PROT`: the protected SEC_CNT TLV must be present and ≥ the counter.
   * The verifier never advances the counter; do it once the image is confirmed.
   */
  readonly rollback?: { readonly counter: RollbackCounter; readonly domain?: string };
  /** `MCUBOOT_DOWNGRADE_PREVENTION`: the image version must not be lower than this one. */
  readonly minVersion?: ImageVersion;
  /** `MCUBOOT_VERSION_CMP_USE_BUILD_NUMBER`: compare the build number too. */
  readonly compareBuildNumber?: boolean;
}

interface Layout {
  readonly hdrSize: number;
  readonly imgSize: number;
  readonly protSize: number;
  readonly flags: number;
  readonly version: Required<ImageVersion>;
  /** Start of the protected TLV area = hdr + img. */
  readonly protStart: number;
  /** End of the hashed region = start of the unprotected TLV info. */
  readonly hashEnd: number;
}

interface Tlv {
  readonly type: number;
  readonly value: Uint8Array;
}

const HASH_TLV: Readonly<Record<number, McubootHash>> = { [TLV.SHA256]: 'sha256', [TLV.SHA384]: 'sha384', [TLV.SHA512]: 'sha512' };
const SIGNATURE_TLVS: ReadonlySet<number> = new Set([TLV.RSA2048_PSS, TLV.ECDSA_SIG, TLV.RSA3072_PSS, TLV.ED25519]);
/** Unprotected area allow-list (`MCUBOOT_USE_TLV_ALLOW_LIST`): hash, key and signature TLVs only. */
const UNPROTECTED_ALLOWED: ReadonlySet<number> = new Set([TLV.KEYHASH, TLV.PUBKEY, TLV.SHA256, TLV.SHA384, TLV.SHA512, ...SIGNATURE_TLVS]);
/** Protected area allow-list: metadata covered by the hash. */
const PROTECTED_ALLOWED: ReadonlySet<number> = new Set([TLV.SEC_CNT, TLV.DEPENDENCY, TLV.BOOT_RECORD, TLV.UUID_VID, TLV.UUID_CID]);

/** Failure precedence when no signature verified: the one that got furthest wins. */
const SIGNATURE_FAILURE_RANK: readonly ReasonCode[] = ['MissingSignature', 'KeyHashMismatch', 'SignatureInvalid', 'Revoked'];

/** Bytes MCUboot hashes for KEYHASH: what `imgtool getpub -e raw` prints (PKCS#1 for RSA, SPKI otherwise). */
function getpubBytes(key: PublicKey): Uint8Array {
  return key.kind === 'rsa' ? key.pkcs1 : key.spki;
}

function compareVersion(a: Required<ImageVersion>, b: ImageVersion, withBuild: boolean): number {
  const fields: [number, number][] = [
    [a.major, b.major],
    [a.minor, b.minor],
    [a.revision, b.revision],
  ];
  if (withBuild) fields.push([a.build, b.build ?? 0]);
  for (const [x, y] of fields) if (x !== y) return x < y ? -1 : 1;
  return 0;
}

/** Splits a TLV area (info header included) into entries; bounds per bootutil `tlv.c`. */
function walkTlvs(area: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let off = MCUBOOT.TLV_INFO_SIZE;
  while (off < area.length) {
    check(off + MCUBOOT.TLV_HEADER_SIZE <= area.length, 'BadTlv', 'TLV header crosses the area end');
    const type = u16le(area, off);
    const len = u16le(area, off + 2);
    const start = off + MCUBOOT.TLV_HEADER_SIZE;
    check(start + len <= area.length, 'BadTlv', 'TLV value crosses the area end');
    out.push({ type, value: area.subarray(start, start + len) });
    off = start + len;
  }
  return out;
}

/**
 * Streaming MCUboot image verification, in `bootutil` order: header magic and sizes, TLV
 * layout, hash over header + image + protected TLVs, KEYHASH/PUBKEY against the trusted keys,
 * signature, security counter, downgrade. Buffers at most the 32-byte header and the two TLV
 * areas (each ≤ {@link MCUBOOT_MAX_TLV_AREA}).
 */
export function createMcubootEngine(trust: TrustStore, options: McubootOptions = {}): FormatEngine {
  const slotSize = options.slotSize ?? DEFAULT_MAX_IMAGE_SIZE;
  if (!Number.isSafeInteger(slotSize) || slotSize < MCUBOOT.HEADER_SIZE) throw new RangeError('slotSize must be an integer ≥ 32');
  const hashNames: McubootHash[] =
    options.hashes !== undefined
      ? [...new Set(options.hashes)]
      : [...new Set(trust.publicKeys.map((k): McubootHash => (k.kind === 'ecdsa-p384' ? 'sha384' : 'sha256')))];
  if (hashNames.length === 0) hashNames.push('sha256');
  const hashers = new Map<McubootHash, Hasher>(hashNames.map((name) => [name, createHasher(name)]));

  const header = new Uint8Array(MCUBOOT.HEADER_SIZE);
  const info = new Uint8Array(MCUBOOT.TLV_INFO_SIZE);
  let layout: Layout | undefined;
  let protArea = new Uint8Array(0);
  let unprotArea: Uint8Array | undefined;
  let tlvEnd = Number.POSITIVE_INFINITY;

  const hashAll = (bytes: Uint8Array): void => {
    for (const h of hashers.values()) h.update(bytes);
  };

  const parseHeader = (): Layout => {
    check(u32le(header, H.MAGIC) === MCUBOOT.IMAGE_MAGIC, 'BadMagic', 'image header magic');
    const hdrSize = u16le(header, H.HDR_SIZE);
    const protSize = u16le(header, H.PROTECT_TLV_SIZE);
    const imgSize = u32le(header, H.IMG_SIZE);
    const flags = u32le(header, H.FLAGS);
    check(hdrSize >= MCUBOOT.HEADER_SIZE, 'BadHeader', 'ih_hdr_size smaller than the header');
    check((flags & MCUBOOT_UNSUPPORTED_FLAGS) === 0, 'UnsupportedAlgorithm', 'encrypted, compressed or PIC image');
    check((flags & ~MCUBOOT_SUPPORTED_FLAGS) === 0, 'BadHeader', 'unknown ih_flags bits');
    check(protSize === 0 || protSize >= MCUBOOT.TLV_INFO_SIZE, 'BadTlv', 'protected TLV area smaller than its info header');
    check(protSize <= MCUBOOT_MAX_TLV_AREA, 'Oversize', 'protected TLV area too large');
    const protStart = hdrSize + imgSize;
    const hashEnd = protStart + protSize;
    // [bootutil boot_check_header_valid] hdr + img + protected TLVs must fit the slot.
    check(hashEnd + MCUBOOT.TLV_INFO_SIZE <= slotSize, 'Oversize', 'image does not fit the slot');
    protArea = new Uint8Array(protSize);
    return {
      hdrSize,
      imgSize,
      protSize,
      flags,
      version: {
        major: header[H.VER_MAJOR] as number,
        minor: header[H.VER_MINOR] as number,
        revision: u16le(header, H.VER_REVISION),
        build: u32le(header, H.VER_BUILD),
      },
      protStart,
      hashEnd,
    };
  };

  const parseInfo = (hashEnd: number): void => {
    check(u16le(info, 0) === MCUBOOT.TLV_INFO_MAGIC, 'BadMagic', 'TLV info magic');
    const total = u16le(info, 2);
    check(total >= MCUBOOT.TLV_INFO_SIZE, 'BadTlv', 'TLV area smaller than its info header');
    check(total <= MCUBOOT_MAX_TLV_AREA, 'Oversize', 'TLV area too large');
    tlvEnd = hashEnd + total;
    check(tlvEnd <= slotSize, 'Oversize', 'TLVs do not fit the slot');
    unprotArea = new Uint8Array(total);
    unprotArea.set(info);
  };

  const update = (chunk: Uint8Array, start: number): void => {
    consume(chunk, start);
    // Checked after the layout checks so a verdict never depends on how the stream was chunked.
    check(start + chunk.length <= slotSize, 'Oversize', 'more data than the slot holds');
  };

  const consume = (chunk: Uint8Array, start: number): void => {
    const head = sliceRange(chunk, start, 0, MCUBOOT.HEADER_SIZE);
    if (head !== undefined) {
      header.set(head.bytes, head.at);
      if (head.at + head.bytes.length === MCUBOOT.HEADER_SIZE) layout = parseHeader();
    }
    if (layout === undefined) {
      hashAll(chunk); // still inside the header, which is always hashed
      return;
    }
    // One update per chunk keeps the hash on its block-aligned fast path (no split at byte 32).
    const hashed = sliceRange(chunk, start, 0, layout.hashEnd);
    if (hashed !== undefined) hashAll(hashed.bytes);
    const prot = sliceRange(chunk, start, layout.protStart, layout.hashEnd);
    if (prot !== undefined) protArea.set(prot.bytes, prot.at - layout.protStart);
    const infoPart = sliceRange(chunk, start, layout.hashEnd, layout.hashEnd + MCUBOOT.TLV_INFO_SIZE);
    if (infoPart !== undefined) {
      info.set(infoPart.bytes, infoPart.at - layout.hashEnd);
      if (infoPart.at + infoPart.bytes.length === layout.hashEnd + MCUBOOT.TLV_INFO_SIZE) parseInfo(layout.hashEnd);
    }
    if (unprotArea === undefined) return;
    const tlvPart = sliceRange(chunk, start, layout.hashEnd + MCUBOOT.TLV_INFO_SIZE, tlvEnd);
    if (tlvPart !== undefined) unprotArea.set(tlvPart.bytes, tlvPart.at - layout.hashEnd);
  };

  const finish = (size: number): VerifyInfo => {
    check(trust.publicKeys.length > 0, 'NoTrustAnchor', 'no public keys provisioned');
    check(layout !== undefined && unprotArea !== undefined && size >= tlvEnd, 'Truncated', 'image ends before its TLVs');
    const L = layout;

    // TLV layout and allow-lists [bootutil tlv.c, MCUBOOT_USE_TLV_ALLOW_LIST].
    let securityCounter: number | undefined;
    if (L.protSize > 0) {
      check(u16le(protArea, 0) === MCUBOOT.TLV_PROT_INFO_MAGIC, 'BadMagic', 'protected TLV info magic');
      check(u16le(protArea, 2) === L.protSize, 'BadTlv', 'protected TLV size differs from ih_protect_tlv_size');
      for (const tlv of walkTlvs(protArea)) {
        const vendor = (tlv.type & 0xff) >= TLV_VENDOR_LOW_BYTE_MIN;
        check(vendor || PROTECTED_ALLOWED.has(tlv.type), 'UnknownTlv', `protected TLV 0x${tlv.type.toString(16)}`);
        if (tlv.type === TLV.SEC_CNT) {
          check(securityCounter === undefined && tlv.value.length === 4, 'BadTlv', 'SEC_CNT must appear once with 4 bytes');
          securityCounter = u32le(tlv.value, 0);
        }
      }
    }
    const tlvs = walkTlvs(unprotArea);
    for (const tlv of tlvs) check(UNPROTECTED_ALLOWED.has(tlv.type), 'UnknownTlv', `unprotected TLV 0x${tlv.type.toString(16)}`);

    // Hash [bootutil_img_validate]: exactly one hash TLV of the right length, equal to ours.
    const hashTlvs = tlvs.filter((t) => HASH_TLV[t.type] !== undefined);
    check(hashTlvs.length > 0, 'MissingHash', 'no hash TLV');
    check(hashTlvs.length === 1, 'BadTlv', 'more than one hash TLV');
    const hashTlv = hashTlvs[0] as Tlv;
    const hashName = HASH_TLV[hashTlv.type] as McubootHash;
    check(hashTlv.value.length === HASH_LENGTH[hashName], 'BadTlv', 'hash TLV length');
    const hasher = hashers.get(hashName);
    check(hasher !== undefined, 'UnsupportedAlgorithm', `${hashName} not enabled for this verifier`);
    const computed = hasher.digest();
    check(equalBytes(computed, hashTlv.value), 'HashMismatch', 'image hash');

    // Keys and signatures [bootutil_find_key, image_ecdsa.c, image_rsa.c, image_ed25519.c].
    let verifiedKey: PublicKey | undefined;
    let failure: ReasonCode = 'MissingSignature';
    const worse = (reason: ReasonCode): void => {
      if (SIGNATURE_FAILURE_RANK.indexOf(reason) > SIGNATURE_FAILURE_RANK.indexOf(failure)) failure = reason;
    };
    let current: PublicKey | 'unknown' | 'revoked' | undefined;
    for (const tlv of tlvs) {
      if (tlv.type === TLV.KEYHASH) {
        check(tlv.value.length === 32 || tlv.value.length === 48, 'BadTlv', 'KEYHASH length');
        const keyHash = tlv.value.length === 32 ? sha256 : sha384;
        current = findKey(trust, (k) => equalBytes(keyHash(getpubBytes(k)), tlv.value));
      } else if (tlv.type === TLV.PUBKEY) {
        current = findKey(trust, (k) => equalBytes(getpubBytes(k), tlv.value));
      } else if (SIGNATURE_TLVS.has(tlv.type) && verifiedKey === undefined) {
        if (current === undefined || current === 'unknown') worse('KeyHashMismatch');
        else if (current === 'revoked') worse('Revoked');
        else if (signatureMatches(current, tlv, hashName, hashTlv.value)) verifiedKey = current;
        else worse('SignatureInvalid');
        current = undefined;
      }
    }
    if (verifiedKey === undefined) fail(failure, 'no signature verified with a trusted key');

    // Anti-rollback [image_validate.c MCUBOOT_HW_ROLLBACK_PROT] and downgrade prevention [loader.c].
    if (options.rollback !== undefined) {
      check(securityCounter !== undefined, 'Rollback', 'image has no security counter');
      const stored = options.rollback.counter.read(options.rollback.domain ?? MCUBOOT_DEFAULT_COUNTER_DOMAIN);
      check(securityCounter >= stored, 'Rollback', 'security counter lower than the device counter');
    }
    if (options.minVersion !== undefined) {
      check(compareVersion(L.version, options.minVersion, options.compareBuildNumber === true) >= 0, 'Downgrade', 'image version lower than the running one');
    }
    const v = L.version;
    return {
      format: 'mcuboot',
      size,
      digest: toHex(computed),
      keyId: verifiedKey.id,
      version: `${v.major}.${v.minor}.${v.revision}+${v.build}`,
      ...(securityCounter === undefined ? {} : { securityCounter }),
    };
  };

  return {
    update,
    finish,
    workingMemory: MCUBOOT.HEADER_SIZE + MCUBOOT.TLV_INFO_SIZE + 2 * MCUBOOT_MAX_TLV_AREA + HASH_STATE_BYTES * 3 + VERIFIER_OVERHEAD_BYTES,
  };
}

function findKey(trust: TrustStore, matches: (key: PublicKey) => boolean): PublicKey | 'unknown' | 'revoked' {
  const key = trust.publicKeys.find(matches);
  if (key === undefined) return 'unknown';
  return trust.revocation.isRevoked('key', key.id) ? 'revoked' : key;
}

/** ECDSA DER may carry trailing padding (`imgtool --pad-sig`); the DER length governs. */
function trimDer(signature: Uint8Array): Uint8Array {
  const len = signature[1];
  return len !== undefined && len < 0x80 && len + 2 <= signature.length ? signature.subarray(0, len + 2) : signature;
}

/** Verifies one signature TLV if its type fits the key (other types are skipped, as in bootutil). */
function signatureMatches(key: PublicKey, tlv: Tlv, hashName: McubootHash, hash: Uint8Array): boolean {
  let scheme: SignatureScheme | undefined;
  let signature = tlv.value;
  if (tlv.type === TLV.ECDSA_SIG) {
    const curveHash = key.kind === 'ecdsa-p256' ? 'sha256' : key.kind === 'ecdsa-p384' ? 'sha384' : undefined;
    if (curveHash === hashName) scheme = { kind: 'ecdsa', encoding: 'der' };
    signature = trimDer(signature);
  } else if (tlv.type === TLV.ED25519) {
    if (key.kind === 'ed25519' && hashName !== 'sha384') scheme = { kind: 'ed25519' };
  } else {
    const bits = tlv.type === TLV.RSA2048_PSS ? 2048 : 3072;
    if (key.kind === 'rsa' && key.rsa.bits === bits && hashName === 'sha256') {
      scheme = { kind: 'rsa-pss', hash: 'sha256', saltLength: MCUBOOT_PSS_SALT_LENGTH };
    }
  }
  return scheme !== undefined && verifySignature(key, scheme, hash, signature);
}
