import type { VerifyInfo } from './result.types.js';

/**
 * What each format implements. Both methods report failure by throwing a
 * `VerificationFailure`; the streaming wrapper turns that into the one result.
 */
export interface FormatEngine {
  /** Consumes the next bytes of the image (the wrapper has already counted and bounded them). */
  update(chunk: Uint8Array, offset: number): void;
  /** Runs the remaining checks once the whole image was fed; `size` = total bytes. */
  finish(size: number): VerifyInfo;
  /** Upper bound, in bytes, of what this engine buffers (documented working memory). */
  readonly workingMemory: number;
}
