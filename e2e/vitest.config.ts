import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`../packages/${path}`, import.meta.url));

// The end-to-end suite: real nginx, Redis, uvicorn, Prometheus, node_exporter
// and sshd on loopback, driven by the built bins. Files run one at a time (each
// starts its own daemons on its own free port range); the global teardown stops
// any daemon a crashed worker left behind.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  resolve: {
    alias: [
      { find: /^@dsa110\/ports$/, replacement: src('ports/src/index.ts') },
      { find: /^@dsa110\/ports\/system$/, replacement: src('ports/src/system/index.ts') },
      { find: /^@dsa110\/ports\/systemd$/, replacement: src('ports/src/systemd/index.ts') },
      { find: /^@dsa110\/ports\/files$/, replacement: src('ports/src/files/index.ts') },
      { find: /^@dsa110\/ports\/render$/, replacement: src('ports/src/render/index.ts') },
      { find: /^@dsa110\/ports\/parser$/, replacement: src('ports/src/parse.ts') },
    ],
  },
  test: {
    include: ['e2e/**/*.test.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
