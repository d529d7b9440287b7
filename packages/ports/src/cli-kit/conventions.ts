// The conventions the three bins share (README: "Conventions"), in one place.
import { envObjectArgument } from '../arguments.js';
import { CACHE_ENV, ROOT_CACHE_DIR } from '../cache.js';
import type { Env } from './io.js';
import type { Flags } from './parse.js';

/**
 * A mistake in the command line. 64 is EX_USAGE (sysexits.h); systemd shows it
 * as `status=64/USAGE`. Not 2: the health check's 2 means "warnings", and
 * claim-port's and ports' 0/1 keep their meaning.
 */
export const EXIT_USAGE = 64;

/**
 * The --help lines that say where the bins keep what they can make again
 * (cache.ts): every tool writes there, claim-port as root, so each says so.
 */
export function cacheHelp(): string {
  return `Cache: ${ROOT_CACHE_DIR} as root, else $XDG_CACHE_HOME/dsa110-ports ($XDG_CACHE_HOME when
absolute) or ~/.cache/dsa110-ports, made when the directory above it exists (compiled code of
claim-port and port-health-check, parsed registry files; safe to delete). ${CACHE_ENV}=DIR
(absolute, its parent existing) moves it, ${CACHE_ENV}=off turns it off.`;
}

/**
 * What to say when the bin's working directory was removed while it ran from it (`process.cwd()` fails with
 * ENOENT, syscall uv_cwd: a relative path, or a checkout found from where it runs): the words for one line,
 * or undefined for any other error. It is the operator's to fix, never an internal error.
 */
export function workingDirectoryGone(error: unknown): string | undefined {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  return code === 'ENOENT' && syscall === 'uv_cwd'
    ? 'the current directory no longer exists (it was removed while in use); cd to one that does, or give every path absolute'
    : undefined;
}

/** The line after a usage error (README: "Conventions"), as GNU tools add `Try '... --help'`: `Run "ports list --help" for usage.` */
export function usageHint(helpCommand: string): string {
  return `Run "${helpCommand}" for usage.`;
}

/**
 * JSON output was asked for, by a flag declared with `selectsJson` (`--json`,
 * `--json=VALUE`, `--format json`, `--format=json`) before any `--`: then
 * even a usage error prints one JSON object on stdout. It reads argv as typed,
 * not parsed, because it must answer when parsing fails (`--json=VALUE` is a
 * usage error: --json takes no value, but JSON was asked for; not
 * `--json=false`, `=0`, `=no`, `=off` or `--json=`, which ask for none).
 */
/** A value given to a boolean JSON flag that asks for no JSON. */
const NO_JSON = /^(?:false|0|no|off|)$/i;

export function wantsJson(argv: readonly string[], flags: Flags): boolean {
  const end = argv.indexOf('--');
  const args = end < 0 ? argv : argv.slice(0, end);
  return Object.entries(flags).some(([name, { type, short, selectsJson }]) => {
    if (selectsJson === undefined) return false;
    const long = `--${name}`;
    if (type === 'boolean')
      return args.some(
        (arg) => arg === long || (arg.startsWith(`${long}=`) && !NO_JSON.test(arg.slice(long.length + 1))) || (short !== undefined && arg === `-${short}`),
      );
    return args.some((arg, index) => arg === `${long}=${selectsJson}` || (arg === long && args[index + 1] === selectsJson));
  });
}

declare const PACKAGE_VERSION: string | undefined;

/**
 * What --version prints: PACKAGE_VERSION where the bin's build defines it
 * (claim-port, port-health-check: scripts/build-support.mjs); else the version
 * of the package.json named `name` beside or above the calling module (`from`:
 * its import.meta.url), as when the source runs unbundled (tsx) or in a bundle
 * built without the define (`ports`).
 */
export async function packageVersion(from: string, name: string): Promise<string> {
  if (typeof PACKAGE_VERSION === 'string') return PACKAGE_VERSION;
  const { createRequire } = await import('node:module');
  const require = createRequire(from);
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    } catch {}
  }
  return 'unknown';
}

/** The JSON object every tool prints on stdout for an error when --json was given. */
export function errorJson(tool: string, kind: 'usage' | 'error', message: string, exitCode: number): string {
  return `${JSON.stringify({ tool, error: { kind, message }, exitCode })}\n`;
}

/** Colour only on a terminal, never with NO_COLOR set to anything non-empty (no-color.org) or TERM=dumb. */
export function useColor(stdoutIsTTY: boolean | undefined, env: Env): boolean {
  envObjectArgument('useColor', 'env', env);
  if (env.NO_COLOR) return false;
  return stdoutIsTTY === true && env.TERM !== 'dumb';
}
