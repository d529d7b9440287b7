#!/usr/bin/env node
// First, before the bundle loads: SIGUSR1 would open Node's inspector in a process that may run as root, and
// a listener keeps it shut (@dsa110/ports/cli's inspector-signal.ts says why; the bundle adds its own, which says it).
process.on('SIGUSR1', () => {});
try {
  require('../dist/start.cjs');
} catch (error) {
  // A checkout that was never built (a published package always has dist/): one line saying what to run, not a stack trace.
  if (error?.code !== 'MODULE_NOT_FOUND' || !String(error.message).split('\n')[0].includes('dist/start.cjs')) throw error;
  process.stderr.write('port-health-check: not built: dist/ is missing; run `npx -y pnpm@10.34.9 build` in the checkout\n');
  process.exitCode = 3;
}
