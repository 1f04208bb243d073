import { PlatformInputError, type PlatformDescriptorFile, type PlatformModule, type SignRequest, type SignedArtifact } from '../platform.types.js';
import { checkRequest, checkSourceSize, newHash } from '../_shared/index.js';
import descriptorJson from './descriptor.json' with { type: 'json' };
import { PAD_BYTE, encodeEcdsaBlock, encodeRsaBlock, encodeSignatureSector, paddedLength } from './sbv2-format.js';

export * as sbv2Format from './sbv2-format.js';

const descriptor = descriptorJson as PlatformDescriptorFile;

/**
 * `ESP32-SecureBootV2`: the image padded with 0xff to a 4 KiB multiple, then a 4 KiB signature sector
 * holding one signature block (RSA-3072-PSS, or ECDSA P-256 / P-384), as `espsecure sign_data -v 2` writes.
 * Output `<jobId>.bin`. `rawSignature`: the PSS signature (big-endian) or the DER ECDSA signature.
 */
const platform: PlatformModule = {
  async sign(request: SignRequest): Promise<SignedArtifact> {
    checkRequest(descriptor, request);
    checkSourceSize(descriptor, request.sourceSize);
    const { key, hashAlgorithm: hash, encryptionAlgorithm: algorithm, sourceSize } = request;
    const want = key.keyType === 'EC_secp384r1' ? 'SHA384' : 'SHA256';
    if (hash !== want) {
      throw new PlatformInputError(`Secure Boot V2 signatures with a ${key.keyType} key use ${want}, not ${hash} (set the hash algorithm override)`);
    }
    const padding = new Uint8Array(paddedLength(sourceSize) - sourceSize).fill(PAD_BYTE);
    const digest = await imageDigest(request, padding);
    // [secure-boot-v2.rst "Signature Block Format"] RSA: RSASSA-PSS, SHA-256, MGF1-SHA-256, salt = hash length
    // (RSA_PSS_SALT_LENGTH, 32, which SigningKey's pss padding gives for SHA-256); ECDSA over the digest
    const signature = await key.signDigest(digest, algorithm === 'RSA' ? { hash, rsaPadding: 'pss' } : { hash });
    const block = algorithm === 'RSA' ? encodeRsaBlock(digest, key.publicKeySpki, signature) : encodeEcdsaBlock(digest, key.publicKeySpki, signature);
    const sector = encodeSignatureSector([block]);
    return {
      extension: '.bin',
      contentType: 'application/octet-stream',
      rawSignature: signature,
      async *body() {
        const h = newHash(hash);
        let read = 0;
        for await (const chunk of request.openSource()) {
          read += chunk.length;
          if (read > sourceSize) break;
          h.update(chunk);
          yield chunk;
        }
        h.update(padding);
        if (read !== sourceSize || !Buffer.from(h.digest()).equals(Buffer.from(digest))) {
          throw new Error('source object changed between the signing pass and the output pass');
        }
        if (padding.length > 0) yield padding;
        yield sector;
      },
    };
  },
};
export default platform;

/** SHA-256 (SHA-384 for P-384) of the image and its 0xff padding to the sector boundary. */
async function imageDigest(request: SignRequest, padding: Uint8Array): Promise<Uint8Array> {
  const h = newHash(request.hashAlgorithm);
  let read = 0;
  for await (const chunk of request.openSource()) {
    read += chunk.length;
    if (read > request.sourceSize) break;
    h.update(chunk);
  }
  if (read !== request.sourceSize) {
    throw new PlatformInputError(`source object changed while signing: expected ${request.sourceSize} bytes, read ${read}`);
  }
  h.update(padding);
  return new Uint8Array(h.digest());
}
