#!/usr/bin/env node
const entry = new URL('../dist/cli/ports.js', import.meta.url);
import(entry.href).catch((error) => {
  // A checkout that was never built (a published package always has dist/): one line saying what to run, not a stack trace.
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).startsWith(`Cannot find module '${decodeURIComponent(entry.pathname)}'`)) throw error;
  process.stderr.write('ports: not built: dist/ is missing; run `npx -y pnpm@10.34.9 build` in the checkout\n');
  process.exitCode = 1;
});
