/**
 * The pre-flight check of `signer flash`: the image goes through firmware-verifier with the trust the
 * user named, exactly as the board's boot loader will check it.
 */
import {
  createTrustStore,
  createVerifier,
  type FormatId,
  type FormatOptions,
  type TrustStoreInput,
  type VerifyResult,
} from '../../firmware-verifier/index.js';

export interface ImageCheckSpec<F extends FormatId = FormatId> {
  format: F;
  trust: TrustStoreInput;
  options?: FormatOptions[F];
}

const CHUNK = 64 * 1024;

export function checkImage(image: Uint8Array, spec: ImageCheckSpec): VerifyResult {
  const verifier = createVerifier(spec.format, createTrustStore(spec.trust), spec.options);
  for (let i = 0; i < image.length; i += CHUNK) verifier.update(image.subarray(i, i + CHUNK));
  return verifier.finish();
}
