// What both halves of the command share: the log callback, the JSON line, the usage-error line.
import type { ClaimArgs } from '@dsa110/ports/systemd';
import type { ClaimOptions } from './claim.js';
import { exitCode } from './exit-code.js';
import { err, out } from './output.js';
import type { ClaimResult } from './result.js';

export const prefix = (port: number | string) => `[claim-port:${port}]`;

/** A usage error: one line on stderr, labelled with what was asked for (the port may be unknown). */
export function fail(argv: readonly string[], message: string, label: number | string = argv.find((a) => !a.startsWith('--')) ?? '?'): void {
  err(`${prefix(label)} error: ${message}\n`);
}

/** claimPort() options for the command line: human lines to stderr, `[claim-port:PORT]` first. */
export function cliOptions(args: ClaimArgs, label: number | string): ClaimOptions {
  return {
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
}

/** --json's one line, and the exit code. */
export function printResult(args: ClaimArgs, result: ClaimResult): void {
  if (args.json) {
    const { port, service, action, holders, elapsedMs, message, listeners, retakenBy, dryRun } = result;
    out(`${JSON.stringify({ port, ...(service !== undefined && { service }), action, holders, elapsedMs, message, listeners, dryRun, ...(retakenBy && { retakenBy }) })}\n`);
  }
  process.exitCode = exitCode(result.action);
}
