import { defineConfig } from 'vitest/config';

/** The verifier suite: firmware-verifier's own tests plus the two that drive it from outside. */
export const VERIFIER_SUITE = ['firmware-verifier/**/*.test.ts', 'src/cli/commands/verify.test.ts', 'test/verifier-crosscheck.test.ts'];

/**
 * The firmware-verifier suite with its coverage gate (100% branches on firmware-verifier/**).
 * Run: npm run coverage:verifier. CI runs the verifier suite only here (npm test there excludes it).
 * Fuzz size: VERIFIER_FUZZ_RUNS (default 2000 per format; CI sets a few thousand, `npm run
 * fuzz:campaign` 100000); seed: VERIFIER_FUZZ_SEED (CI picks a new one each run and prints it).
 */
export default defineConfig({
  test: {
    include: VERIFIER_SUITE,
    globalSetup: ['test/support/skip-summary.ts'],
    testTimeout: 600_000,
    maxWorkers: 2,
    coverage: {
      provider: 'v8',
      include: ['firmware-verifier/**/*.ts'],
      exclude: ['firmware-verifier/**/*.test.ts', 'firmware-verifier/testing/**', 'firmware-verifier/**/*.types.ts', 'firmware-verifier/index.ts'],
      reporter: ['text', 'json-summary'],
      thresholds: { branches: 100, lines: 100, functions: 100, statements: 100 },
    },
  },
});
