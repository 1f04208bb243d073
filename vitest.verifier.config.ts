import { defineConfig } from 'vitest/config';

/**
 * The firmware-verifier suite with its coverage gate (100% branches on firmware-verifier/**).
 * Run: npx vitest run --config vitest.verifier.config.ts --coverage
 * Fuzz size: VERIFIER_FUZZ_RUNS (default 2000 per format; CI sets 100000).
 */
export default defineConfig({
  test: {
    include: ['firmware-verifier/**/*.test.ts', 'src/cli/commands/verify.test.ts', 'test/verifier-crosscheck.test.ts'],
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
