// The claim-port command: parse -> claimPort() -> print -> exit code. Every
// human line goes to stderr as `[claim-port:PORT] ...` (journalctl -g);
// --json prints one object to stdout.
import { parseArgs, USAGE } from './args.js';
import type { ClaimOptions } from './claim.js';
import { earlyFree } from './early.js';
import { EXIT_USAGE, exitCode } from './exit-code.js';
import { err, out } from './output.js';

declare const PACKAGE_VERSION: string;

const argv = process.argv.slice(2);
const args = parseArgs(argv);
const prefix = (port: number | string) => `[claim-port:${port}]`;
// Before the port is known, lines are labelled with what was asked for.
const asked = argv.find((a) => !a.startsWith('--')) ?? '?';

function fail(message: string, label: number | string = asked): void {
  err(`${prefix(label)} error: ${message}\n`);
  process.exitCode = EXIT_USAGE;
}

async function main(): Promise<void> {
  switch (args.command) {
    case 'help':
      out(`${USAGE}\n`);
      return;
    case 'version':
      out(`${PACKAGE_VERSION}\n`);
      return;
    case 'usage-error':
      fail(args.message);
      return;
    case 'self-test': {
      const { runSelfTest } = await import('./self-test.js');
      process.exitCode = (await runSelfTest({ json: args.json })) ? 0 : 1;
      return;
    }
    case 'claim':
      break;
  }
  const target = 'port' in args.target ? args.target.port : args.target.id;
  let label: number | string = target;
  const options: ClaimOptions = {
    dryRun: args.dryRun,
    force: args.force,
    ...(args.timeoutSeconds !== undefined && { timeoutSeconds: args.timeoutSeconds }),
    ...(args.registry !== undefined && { registry: args.registry }),
    // CPU and memory, for the log and the JSON holders.
    usage: !args.quiet || args.json,
    log: (line, level, port) => {
      if (args.quiet && level === 'info') return;
      err(`${prefix(port ?? label)} ${line}\n`);
    },
  };
  // A free port is answered before the rest of claim-port is even loaded.
  const early = earlyFree(target, options);
  if (early) options.log!(early.message, 'info', early.port);
  const { claimPort, ClaimUsageError } = early ? { claimPort: undefined, ClaimUsageError: undefined } : await import('./claim.js');
  try {
    const result = early ?? (await claimPort!(target, options));
    label = result.port;
    if (args.json) {
      const { port, service, action, holders, elapsedMs, message, listeners, retakenBy, dryRun } = result;
      out(`${JSON.stringify({ port, ...(service !== undefined && { service }), action, holders, elapsedMs, message, listeners, dryRun, ...(retakenBy && { retakenBy }) })}\n`);
    }
    process.exitCode = exitCode(result.action);
  } catch (error) {
    if (ClaimUsageError && error instanceof ClaimUsageError) {
      fail(error.message, error.port ?? label);
      return;
    }
    // Unexpected: still one line, and exit 1 (the port is not known to be free).
    err(`${prefix(label)} error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

void main();
