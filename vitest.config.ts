import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'platforms/**/*.test.ts', 'firmware-verifier/**/*.test.ts', 'simulator/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start real servers; two cores, so keep the pool small.
    maxWorkers: 2,
  },
});
