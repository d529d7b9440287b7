import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The end-to-end suite: real nginx, Redis, uvicorn, Prometheus, node_exporter
// and sshd on loopback, driven by the built bins. Files run one at a time (each
// starts its own daemons on its own free port range); the global teardown stops
// any daemon a crashed worker left behind.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  // @dsa110/ports from its sources, through its "development" export condition.
  ssr: { resolve: { conditions: ['development', 'module', 'node'] } },
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
