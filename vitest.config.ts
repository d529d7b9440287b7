import { defineConfig } from 'vitest/config';

// Unit and integration tests of every package, against the TypeScript sources:
// `@dsa110/ports` resolves through its "development" export condition to
// src/*.ts (tests that run a bin run the built JavaScript). The end-to-end
// suite on real daemons has its own config (e2e/vitest.config.ts).
export default defineConfig({
  ssr: { resolve: { conditions: ['development', 'module', 'node'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
