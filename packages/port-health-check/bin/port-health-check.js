#!/usr/bin/env node
try {
  require('../dist/start.cjs');
} catch (error) {
  // A checkout that was never built (a published package always has dist/): one line saying what to run, not a stack trace.
  if (error?.code !== 'MODULE_NOT_FOUND' || !String(error.message).split('\n')[0].includes('dist/start.cjs')) throw error;
  process.stderr.write('port-health-check: not built: dist/ is missing; run `npx -y pnpm@10.34.9 build` in the checkout\n');
  process.exitCode = 3;
}
