import { createPublicKey } from 'node:crypto';
import {
  PlatformInputError,
  type PlatformDescriptorFile,
  type PlatformModule,
  type SignRequest,
  type SignedArtifact,
  type SigningKey,
} from '../platform.types.js';
import { checkRequest, checkSourceSize, newHash } from '../_shared/index.js';
import descriptorJson from './descriptor.json' with { type: 'json' };
import { IMAGE_HEADER_SIZE, TLV, autoSecurityCounter, parseVersion, type Tlv } from './mcuboot-format.js';
import { buildMcubootImage, type McubootImageOptions, type McubootSignature } from './mcuboot-image.js';

export { buildMcubootImage, type McubootImageOptions, type McubootImage, type McubootSignature } from './mcuboot-image.js';
export * as mcubootFormat from './mcuboot-format.js';

const descriptor = descriptorJson as PlatformDescriptorFile;

/**
 * `MCUboot`: an imgtool-compatible signed image (header, payload, protected SEC_CNT, unprotected
 * hash / KEYHASH / signature TLVs, optional padded trailer). Output `<jobId>.signed.bin`.
 */
const platform: PlatformModule = {
  async sign(request: SignRequest): Promise<SignedArtifact> {
    const params = checkRequest(descriptor, request);
    checkSourceSize(descriptor, request.sourceSize);
    const options = imageOptions(request, params);
    const image = await buildMcubootImage(options);
    return {
      extension: '.signed.bin',
      contentType: 'application/octet-stream',
      rawSignature: image.signature!.signatureTlv.value,
      body: () => image.body(),
    };
  },
};
export default platform;

/** Turns the request's signing parameters into imgtool options, and its key into the signing step. */
function imageOptions(request: SignRequest, params: Record<string, string>): McubootImageOptions {
  const { key, encryptionAlgorithm: algorithm, hashAlgorithm } = request;
  const wantHash = key.keyType === 'EC_secp384r1' ? 'SHA384' : 'SHA256';
  if (hashAlgorithm !== wantHash) {
    throw new PlatformInputError(`MCUboot images signed with a ${key.keyType} key use ${wantHash}, not ${hashAlgorithm} (set the hash algorithm override)`);
  }
  const version = parseVersion(params['version']!);
  if (version === undefined) throw new PlatformInputError(`signing parameter "version" ${params['version']} is out of range (major, minor ≤ 255, revision ≤ 65535)`);
  const headerSize = integer(params['headerSize']!, 'headerSize');
  if (headerSize < IMAGE_HEADER_SIZE || headerSize > 0xffff) {
    throw new PlatformInputError(`signing parameter "headerSize" must be ${IMAGE_HEADER_SIZE}..65535, not ${headerSize}`);
  }
  const sc = params['securityCounter'];
  const securityCounter = sc === undefined ? undefined : sc === 'auto' ? autoSecurityCounter(version) : integer(sc, 'securityCounter');
  if (securityCounter !== undefined && securityCounter > 0xffffffff) throw new PlatformInputError('signing parameter "securityCounter" exceeds 32 bits');
  const confirm = params['confirm'] === 'true';
  const pad = confirm || params['pad'] === 'true';
  const slotSize = params['slotSize'] === undefined ? undefined : integer(params['slotSize'], 'slotSize');
  if (pad && slotSize === undefined) throw new PlatformInputError('signing parameters "pad" and "confirm" need "slotSize"');
  const full = params['publicKeyFormat'] === 'full';
  return {
    openPayload: () => request.openSource(),
    payloadSize: request.sourceSize,
    headerSize,
    padHeader: params['padHeader'] !== 'false',
    version,
    ...(securityCounter === undefined ? {} : { securityCounter }),
    hash: wantHash,
    ...(slotSize === undefined ? {} : { slot: { size: slotSize, align: Number(params['align']), pad, confirm } }),
    sign: (digest) => signDigest(key, algorithm, wantHash, digest, full),
  };
}

/** Signs the image digest as bootutil verifies it and returns the key and signature TLVs. */
async function signDigest(
  key: SigningKey,
  algorithm: string,
  hash: 'SHA256' | 'SHA384',
  digest: Uint8Array,
  fullPublicKey: boolean,
): Promise<McubootSignature> {
  const keyBytes = mcubootPublicKeyBytes(key);
  const keyTlv: Tlv = fullPublicKey
    ? { type: TLV.PUBKEY, value: keyBytes }
    : { type: TLV.KEYHASH, value: new Uint8Array(newHash(hash).update(keyBytes).digest()) };
  switch (algorithm) {
    case 'ECDSA':
      // [image_ecdsa.c] ASN.1 DER signature over the SHA-256/384 image digest
      return { keyTlv, signatureTlv: { type: TLV.ECDSA_SIG, value: await key.signDigest(digest, { hash }) } };
    case 'RSA': {
      // [image_rsa.c] RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32 (PSS_SLEN)
      const value = await key.signDigest(digest, { hash, rsaPadding: 'pss' });
      return { keyTlv, signatureTlv: { type: key.keyType === 'RSA_3072' ? TLV.RSA3072_PSS : TLV.RSA2048_PSS, value } };
    }
    case 'ED25519':
      // [image_ed25519.c] Ed25519 over the 32-byte digest as the message (not pure mode)
      return { keyTlv, signatureTlv: { type: TLV.ED25519, value: await key.signMessage(digest) } };
    default:
      throw new PlatformInputError(`MCUboot does not support encryption algorithm ${algorithm}`);
  }
}

/**
 * The public key bytes bootutil's key table holds (imgtool `getpub -e raw`): DER SubjectPublicKeyInfo
 * for EC and Ed25519 keys, DER PKCS#1 RSAPublicKey for RSA keys. KEYHASH hashes these.
 */
export function mcubootPublicKeyBytes(key: Pick<SigningKey, 'keyType' | 'publicKeySpki'>): Uint8Array {
  if (!key.keyType.startsWith('RSA_')) return key.publicKeySpki;
  const pub = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
  return new Uint8Array(pub.export({ type: 'pkcs1', format: 'der' }));
}

function integer(text: string, name: string): number {
  const n = text.startsWith('0x') ? Number.parseInt(text.slice(2), 16) : Number(text);
  if (!Number.isSafeInteger(n)) throw new PlatformInputError(`signing parameter "${name}" is not an integer: ${text}`);
  return n;
}
