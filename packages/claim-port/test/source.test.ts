// The source runs as it is, unbundled, under tsx (with the `development`
// export condition, which maps @dsa110/ports to its sources): no build-only
// require() of a second bundle in src/ (the split is the build's business).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guardPort, isAlive, spawnListener } from '../../../test-support/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('claim-port from its TypeScript source', () => {
  it('answers a port in use (the engine half) under tsx', async () => {
    const server = await spawnListener();
    guardPort(server.port);
    const run = spawnSync(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', 'packages/claim-port/src/bin.ts', String(server.port), '--dry-run'],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(run.stderr).toContain(`would send SIGTERM to PID ${server.pid}`);
    expect(run.status).toBe(0);
    expect(isAlive(server.pid)).toBe(true);
  });
});
