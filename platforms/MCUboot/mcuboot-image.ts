import { PlatformInputError } from '../platform.types.js';
import { newHash } from '../_shared/index.js';
import {
  ERASED_VALUE,
  TLV,
  TLV_INFO_MAGIC,
  TLV_PROT_INFO_MAGIC,
  encodeHeader,
  encodePadding,
  encodeTlvArea,
  trailerSize,
  u32le,
  type ImageVersion,
  type Tlv,
} from './mcuboot-format.js';

/** What the signing step returns: the TLVs imgtool writes after the hash TLV. */
export interface McubootSignature {
  /** KEYHASH (hash of the public key) or PUBKEY (the key itself). */
  keyTlv: Tlv;
  /** RSA2048_PSS / RSA3072_PSS / ECDSA_SIG / ED25519 */
  signatureTlv: Tlv;
}

/** Everything that decides the bytes of an MCUboot image (imgtool `sign` options in brackets). */
export interface McubootImageOptions {
  /** Opens the firmware payload; called twice (hash pass, output pass). */
  openPayload(): AsyncIterable<Uint8Array>;
  payloadSize: number;
  /** [-H] header region size, 32..65535 */
  headerSize: number;
  /** [--pad-header] true: the header is prepended to the payload; false: the payload's first `headerSize` bytes must be zero and are replaced */
  padHeader: boolean;
  /** [-v] */
  version: ImageVersion;
  /** [-s] protected SEC_CNT TLV when set */
  securityCounter?: number;
  /** image hash: SHA256, or SHA384 for P-384 keys */
  hash: 'SHA256' | 'SHA384';
  /** [-L] ih_load_addr (0 unless RAM-loading) */
  loadAddress?: number;
  /** [-S --align --pad --confirm] */
  slot?: { size: number; align: number; pad: boolean; confirm: boolean };
  /** Signs the image digest. Absent: a hash-only image (imgtool without -k). */
  sign?: (digest: Uint8Array) => Promise<McubootSignature>;
}

/** A built image: its digest (the hash TLV value) and a body streaming header, payload, TLVs and padding. */
export interface McubootImage {
  digest: Uint8Array;
  signature?: McubootSignature;
  /** total length of the output */
  size: number;
  body(): AsyncIterable<Uint8Array>;
}

/**
 * Builds an MCUboot image the way imgtool does: the hash covers header + payload + protected TLV area
 * (bootutil `bootutil_img_hash`), the unprotected area holds the hash TLV, the key TLV and the signature.
 * Streams: the payload is hashed in pass 1 and copied in pass 2, never held in memory.
 */
export async function buildMcubootImage(o: McubootImageOptions): Promise<McubootImage> {
  const imageSize = o.padHeader ? o.payloadSize : o.payloadSize - o.headerSize;
  if (imageSize <= 0) throw new PlatformInputError(`image of ${o.payloadSize} bytes has no payload after a ${o.headerSize}-byte header`);
  if (imageSize > 0xffffffff) throw new PlatformInputError('image is larger than ih_img_size can describe');
  const protectedArea = encodeTlvArea(
    TLV_PROT_INFO_MAGIC,
    o.securityCounter === undefined ? [] : [{ type: TLV.SEC_CNT, value: u32le(o.securityCounter) }],
  );
  const header = encodeHeader({
    headerSize: o.headerSize,
    protectedTlvSize: protectedArea.length,
    imageSize,
    flags: 0,
    loadAddress: o.loadAddress ?? 0,
    version: o.version,
    padding: o.padHeader ? ERASED_VALUE : 0,
  });

  const hashRegion = async () => {
    const h = newHash(o.hash);
    h.update(header);
    let read = 0;
    for await (const chunk of payloadOf(o)) {
      read += chunk.length;
      if (read > imageSize) break;
      h.update(chunk);
    }
    if (read !== imageSize) throw new PlatformInputError(`source object changed while signing: expected ${imageSize} payload bytes, read ${read}`);
    h.update(protectedArea);
    return new Uint8Array(h.digest());
  };

  const digest = await hashRegion();
  const signature = o.sign === undefined ? undefined : await o.sign(digest);
  const hashTlv: Tlv = { type: o.hash === 'SHA384' ? TLV.SHA384 : TLV.SHA256, value: digest };
  const unprotected = encodeTlvArea(TLV_INFO_MAGIC, signature === undefined ? [hashTlv] : [hashTlv, signature.keyTlv, signature.signatureTlv]);
  const imageLength = o.headerSize + imageSize + protectedArea.length + unprotected.length;

  let padding: Uint8Array = new Uint8Array(0);
  if (o.slot !== undefined) {
    const reserve = trailerSize(o.slot.align);
    if (imageLength + reserve > o.slot.size) {
      throw new PlatformInputError(
        `image of ${imageLength} bytes plus a ${reserve}-byte trailer does not fit slotSize ${o.slot.size}`,
      );
    }
    if (o.slot.pad) padding = encodePadding(imageLength, o.slot.size, o.slot.align, o.slot.confirm);
  }

  return {
    digest,
    ...(signature === undefined ? {} : { signature }),
    size: imageLength + padding.length,
    async *body() {
      yield header;
      const h = newHash(o.hash);
      h.update(header);
      let read = 0;
      for await (const chunk of payloadOf(o)) {
        read += chunk.length;
        if (read > imageSize) break;
        h.update(chunk);
        yield chunk;
      }
      h.update(protectedArea);
      if (read !== imageSize || !Buffer.from(h.digest()).equals(Buffer.from(digest))) {
        throw new Error('source object changed between the signing pass and the output pass');
      }
      if (protectedArea.length > 0) yield protectedArea;
      yield unprotected;
      if (padding.length > 0) yield padding;
    },
  };
}

/** The payload without the zeroed header room imgtool expects when `--pad-header` is not given. */
async function* payloadOf(o: McubootImageOptions): AsyncIterable<Uint8Array> {
  if (o.padHeader) {
    yield* o.openPayload();
    return;
  }
  let skip = o.headerSize;
  for await (const chunk of o.openPayload()) {
    if (skip === 0) {
      yield chunk;
      continue;
    }
    const head = chunk.subarray(0, Math.min(skip, chunk.length));
    if (head.some((b) => b !== 0)) {
      throw new PlatformInputError(`padHeader is false but the first ${o.headerSize} bytes of the source are not all zero`);
    }
    skip -= head.length;
    if (chunk.length > head.length) yield chunk.subarray(head.length);
  }
}
