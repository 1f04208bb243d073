/**
 * Notation artifact fuzzing, half 1 of 2: a mutated artifact under an intact envelope is never
 * accepted, and no exception escapes. Each run verifies a P-384 chain in pure JS (the slowest campaign),
 * so the VERIFIER_FUZZ_RUNS runs are split over two files with different seeds, which vitest runs on
 * separate workers. Runs: VERIFIER_FUZZ_RUNS (default 2000; `npm run fuzz:campaign` 100000), half in each file.
 */
import { describe, expect, it } from 'vitest';
import { RUNS, SEED, TIMEOUT, fuzzTitle, equalPrefix, fuzz, notationFixture, run } from '../test/support/verifier-fuzz.js';

const runs = Math.ceil(RUNS / 2);

describe(fuzzTitle('Notation fuzzing, half 1: mutated artifacts', runs), () => {
  it('[Notation] no exception, no false accept: accepted ⇒ artifact unchanged', () => {
    const { store, artifact, envelope } = notationFixture();
    expect(run('notation', artifact, 64, store, { envelope }).ok).toBe(true);
    fuzz('notation', artifact, (m) => m.length === artifact.length && equalPrefix(m, artifact, artifact.length), { envelope }, store, { numRuns: runs, seed: SEED + 0 });
  }, TIMEOUT);
});
