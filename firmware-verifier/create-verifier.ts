import type { FormatEngine } from './format-engine.types.js';
import { createMcubootEngine, type McubootOptions } from './formats/mcuboot.js';
import { createEsp32Engine, type Esp32Options } from './formats/esp32-sbv2.js';
import { createDetachedEngine, type FreeRtosOptions, type Cc3220Options } from './formats/detached-signature.js';
import { createNotationEngine, type NotationOptions } from './formats/notation.js';
import { createLambdaZipEngine, type LambdaZipOptions } from './formats/lambda-zip.js';
import type { FormatId, VerifyResult } from './result.types.js';
import { settle } from './settle.js';
import type { TrustStore } from './trust-store.js';
import type { StreamingVerifier } from './verifier.types.js';

/** Options per format. */
export interface FormatOptions {
  readonly mcuboot: McubootOptions;
  readonly 'esp32-sbv2': Esp32Options;
  readonly freertos: FreeRtosOptions;
  readonly cc3220sf: Cc3220Options;
  readonly notation: NotationOptions;
  readonly 'lambda-zip': LambdaZipOptions;
}

/** The formats, as an allow-list (also what the CLI offers). */
export const FORMATS: readonly FormatId[] = Object.freeze(['mcuboot', 'esp32-sbv2', 'freertos', 'cc3220sf', 'notation', 'lambda-zip']);

const ENGINES: { readonly [F in FormatId]: (trust: TrustStore, options: FormatOptions[F] | undefined) => FormatEngine } = {
  mcuboot: createMcubootEngine,
  'esp32-sbv2': createEsp32Engine,
  freertos: (trust, options) => createDetachedEngine('freertos', trust, options),
  cc3220sf: (trust, options) => createDetachedEngine('cc3220sf', trust, options),
  notation: createNotationEngine,
  'lambda-zip': createLambdaZipEngine,
};

/**
 * Starts a streaming verification of one image. Throws TypeError / RangeError only for
 * invalid arguments (unknown format, bad options); image problems end up in the result.
 *
 * @example
 * const v = createVerifier('mcuboot', trust, { slotSize: 0x10000 });
 * for await (const chunk of source) v.update(chunk);
 * const result = v.finish(); // { ok: true, info } | { ok: false, reason }
 */
export function createVerifier<F extends FormatId>(format: F, trust: TrustStore, options?: FormatOptions[F]): StreamingVerifier {
  if (!Object.hasOwn(ENGINES, format)) throw new TypeError(`unknown format ${String(format)}`);
  const engine = ENGINES[format](trust, options);
  let size = 0;
  let failure: unknown;
  let finished = false;
  return {
    workingMemory: engine.workingMemory,
    update(chunk: Uint8Array): void {
      if (!(chunk instanceof Uint8Array)) throw new TypeError('chunk must be a Uint8Array');
      if (finished) throw new Error('verifier already finished');
      if (failure !== undefined) return; // fail fast: the first failed check decides the result
      const offset = size;
      size += chunk.length;
      try {
        engine.update(chunk, offset);
      } catch (error) {
        failure = error;
      }
    },
    finish(): VerifyResult {
      if (finished) throw new Error('verifier already finished');
      finished = true;
      return settle(() => {
        if (failure !== undefined) throw failure;
        return engine.finish(size);
      });
    },
  };
}

/** One-shot verification of a whole image in memory. */
export function verify<F extends FormatId>(bytes: Uint8Array, format: F, trust: TrustStore, options?: FormatOptions[F]): VerifyResult {
  const verifier = createVerifier(format, trust, options);
  verifier.update(bytes);
  return verifier.finish();
}
