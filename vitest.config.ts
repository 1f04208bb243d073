import { configDefaults, defineConfig } from 'vitest/config';
import { VERIFIER_SUITE } from './vitest.verifier.config.js';

/**
 * `npm test`: every suite. CI (.ci/run) sets SIGNER_TEST_WITHOUT_VERIFIER=1 because it runs the
 * verifier suite once, under coverage (vitest.verifier.config.ts), instead of twice.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'platforms/**/*.test.ts', 'firmware-verifier/**/*.test.ts', 'simulator/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(process.env.SIGNER_TEST_WITHOUT_VERIFIER === '1' ? VERIFIER_SUITE : [])],
    // Prints the backends a run skipped (test/support/tools.ts records them); fails CI if any.
    globalSetup: ['test/support/skip-summary.ts'],
    // The AWS SDK's Node-version warning would flood the output of every suite that builds a client.
    setupFiles: ['src/sdk/quiet-node-warning.ts'],
    // Ceilings, not budgets: a test waits for events and these only catch a hang (a loaded 2-core
    // machine running two `npm test` at once is several times slower than an idle one).
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Integration suites start real servers; two cores, so keep the pool small.
    maxWorkers: 2,
  },
});
