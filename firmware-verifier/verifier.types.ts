import type { VerifyResult } from './result.types.js';

/**
 * A streaming verification: feed the image in chunks of any size, then ask for the result.
 * Data errors never throw: they end in `finish()` returning `{ ok: false, reason }`.
 * Programming errors throw: a chunk that is not a Uint8Array (TypeError), `update` or `finish`
 * after `finish` (Error).
 */
export interface StreamingVerifier {
  /** Feeds the next bytes. The verifier keeps no reference to `chunk` after returning. */
  update(chunk: Uint8Array): void;
  /** Runs the remaining checks; call once. */
  finish(): VerifyResult;
  /** Upper bound, in bytes, of the memory this verifier holds beyond the caller's chunk. */
  readonly workingMemory: number;
}
