// What both halves of the command share: the log callback, the JSON object, the error lines.
import { escapeText, oneLine } from '@dsa110/ports';
import { claimLabel, type ClaimArgs } from '@dsa110/ports/systemd';
import { type Env, EXIT_USAGE, errorJson, type Io } from '@dsa110/ports/cli';
import type { ClaimOptions } from './options.js';
import { EXIT_NOT_FREE, exitCode } from './exit-code.js';
import { resultJsonLine, type ClaimResult } from './result.js';

export const prefix = (port: number | string) => `[claim-port:${typeof port === 'number' ? port : escapeText(port, 64)}]`;

/** What was asked for, for the prefix of an error line (the port may be unknown): claimLabel's answer. */
export const labelOf = (argv: readonly string[]): string => claimLabel(argv);

/**
 * An error: one line on stderr, labelled with the port or id; with --json also
 * one JSON object on stdout. Returns the exit code: EX_USAGE, or 1 (the port is
 * not known to be free) for anything else.
 */
export function fail(io: Io, json: boolean, label: number | string, message: string, kind: 'usage' | 'error'): number {
  const code = kind === 'usage' ? EXIT_USAGE : EXIT_NOT_FREE;
  io.err(`${prefix(label)} error: ${oneLine(message)}\n`);
  if (json) io.out(errorJson('claim-port', kind, message, code));
  return code;
}

/** claimPort() options for the command line: human lines to stderr, `[claim-port:PORT]` first. */
export function cliOptions(args: ClaimArgs, label: number | string, io: Io, env: Env): ClaimOptions {
  return {
    dryRun: args.dryRun,
    force: args.force,
    env,
    ...(args.timeoutSeconds !== undefined && { timeoutSeconds: args.timeoutSeconds }),
    ...(args.registry !== undefined && { registry: args.registry, registryOrigin: 'from --registry' }),
    ...(args.transport !== undefined && { transport: args.transport }),
    // CPU and memory, for the log and the JSON holders.
    usage: !args.quiet || args.json,
    log: (line, level, port) => {
      if (args.quiet && level === 'info') return;
      // One line each, whatever a process's command line holds: no forged lines, no terminal escapes.
      io.err(`${prefix(port ?? label)} ${oneLine(line)}\n`);
    },
  };
}

/** --json's one object; returns the exit code. */
export function printResult(io: Io, args: ClaimArgs, result: ClaimResult): number {
  if (args.json) io.out(resultJsonLine(result));
  return exitCode(result.action);
}
