import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

// Unit and integration tests of every package, against the TypeScript sources
// (tests that run a bin run the built JavaScript). The end-to-end suite on
// real daemons has its own config (e2e/vitest.config.ts).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@dsa110\/ports$/, replacement: src('ports/src/index.ts') },
      { find: /^@dsa110\/ports\/system$/, replacement: src('ports/src/system/index.ts') },
      { find: /^@dsa110\/ports\/systemd$/, replacement: src('ports/src/systemd/index.ts') },
      { find: /^@dsa110\/ports\/files$/, replacement: src('ports/src/files/index.ts') },
      { find: /^@dsa110\/ports\/render$/, replacement: src('ports/src/render/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
