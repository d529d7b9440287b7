// The conventions the three bins share (README: "Conventions"), in one place.
import type { Env } from './io.js';

/**
 * A mistake in the command line. 64 is EX_USAGE (sysexits.h); systemd shows it
 * as `status=64/USAGE`. Not 2: the health check's 2 means "warnings", and
 * claim-port's and ports' 0/1 keep their meaning.
 */
export const EXIT_USAGE = 64;

/**
 * --json was asked for (before any `--`): then even a usage error prints one
 * JSON object on stdout. `--json=VALUE` counts too (a usage error: --json
 * takes no value, but JSON was asked for). `aliases` are other spellings,
 * e.g. the health check's `--format json`.
 */
export function wantsJson(argv: readonly string[], aliases: readonly (readonly string[])[] = []): boolean {
  const end = argv.indexOf('--');
  const args = end < 0 ? argv : argv.slice(0, end);
  if (args.some((arg) => arg === '--json' || arg.startsWith('--json='))) return true;
  return aliases.some((alias) =>
    args.some((_, index) => alias.every((part, offset) => args[index + offset] === part) || (alias.length === 2 && args[index] === `${alias[0]}=${alias[1]}`)),
  );
}

/** The JSON object every tool prints on stdout for an error when --json was given. */
export function errorJson(tool: string, kind: 'usage' | 'error', message: string, exitCode: number): string {
  return `${JSON.stringify({ tool, error: { kind, message }, exitCode })}\n`;
}

/** Colour only on a terminal, never with NO_COLOR set to anything non-empty (no-color.org) or TERM=dumb. */
export function useColor(stdoutIsTTY: boolean | undefined, env: Env): boolean {
  if (env.NO_COLOR) return false;
  return stdoutIsTTY === true && env.TERM !== 'dumb';
}
