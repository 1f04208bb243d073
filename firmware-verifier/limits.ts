/** Default largest image any format accepts, in bytes, unless the caller sets a smaller slot/limit. */
export const DEFAULT_MAX_IMAGE_SIZE = 64 * 1024 * 1024;

/** Largest signature accepted out of band (FreeRTOS OTA agent v3 `kOTA_MaxSignatureSize`, RSA-3072). */
export const MAX_DETACHED_SIGNATURE = 384;

/** Memory counted per incremental hash object (state, block buffer, views) in the working-memory bound. */
export const HASH_STATE_BYTES = 1024;

/** Memory counted per verifier for its closures, result objects and bookkeeping (measured by bench/verifier.ts). */
export const VERIFIER_OVERHEAD_BYTES = 2048;
