import { defineConfig } from 'vitest/config';

// Unit and integration tests of every package. The end-to-end suite on real
// daemons has its own config (e2e/vitest.config.ts) and runs after this one.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
