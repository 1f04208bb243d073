/**
 * Code shared by the platform folders (not a platform: it has no descriptor.json).
 * Platforms import it only through this file.
 */
export { NODE_HASH_NAMES, HASH_LENGTHS, newHash, digestStream, replayVerified } from './hash.js';
export { base64Stream } from './base64-stream.js';
export { allowedKeyTypes, checkAlgorithms, checkKeyType, checkRequest, checkSourceSize, resolveSigningParameters, MIB, type CheckedFields } from './request-checks.js';
export {
  createOtaJsonPlatform,
  readSignedJson,
  otaSignatureKey,
  signatureAlgorithmName,
  IMAGE_FORMAT,
  SIGNED_JSON_CONTENT_TYPE,
  type SignedJsonHeader,
  type SignedJsonMetadata,
} from './ota-json-platform.js';
