// The command's arguments and environment as the kernel gave them. Node
// decodes argv and environment values as UTF-8 and turns each byte that is not
// UTF-8 into U+FFFD, so `--registry /etc/dsa110/p\xffrts.yaml` (or
// DSA110_PORTS_FILE=/etc/dsa110/p\xffrts.yaml) would name no file, or another
// one whose name holds a real U+FFFD; claim-port, root in ExecStartPre=+,
// would drop the operator's protections for its built-in list.
// /proc/self/cmdline and /proc/self/environ still hold the bytes: a value with
// U+FFFD in it is read back from there, each byte that is not UTF-8 kept as
// U+DC80+byte (decodeKeepingBadBytes), which the file readers and writers open
// as that byte (fileSystemPath) and every message prints as `\xff`. When they
// cannot be read back, the bins refuse such a path (lostPathMessage), never
// open its U+FFFD form. Shared by the three bins.
import { readFileSync } from 'node:fs';
import { describeArgument, envObjectArgument, stringListArgument } from '../arguments.js';
import { quoteValue } from '../escape.js';
import { decodeKeepingBadBytes, fileSystemPath } from '../utf8.js';
import type { Env } from './io.js';

export interface CommandLine {
  /** The arguments after the script, with the bytes of those Node could not decode read back. */
  readonly argv: readonly string[];
  /**
   * An argument held bytes that are not UTF-8 and they could not be read back
   * (no /proc, or a cmdline that no longer matches): each U+FFFD in `argv` may
   * stand for any bytes, so a path holding one must not be opened.
   */
  readonly bytesLost: boolean;
}

const REPLACEMENT = '\uFFFD';

/**
 * Pure: `args` (process.argv after node and the script), each argument holding
 * U+FFFD replaced by its bytes from `cmdline` (/proc/self/cmdline: every word
 * of the process's argv, each ended by a NUL); `bytesLost` when they cannot be
 * matched. The script's arguments are cmdline's last words: node's options and
 * the script come before them, and process.execArgv does not count all of
 * those (`node -- bin` has no `--` in it; a single-executable app has no
 * script word), so they are counted from the end, and each word must decode
 * to exactly what Node gave, or nothing is taken from cmdline.
 */
export function recoverArguments(args: readonly string[], cmdline: Buffer | undefined): CommandLine {
  if (!args.some((arg) => arg.includes(REPLACEMENT))) return { argv: args, bytesLost: false };
  const words = cmdline === undefined ? undefined : nulSeparated(cmdline);
  if (words === undefined || words.length < args.length + 1) return { argv: args, bytesLost: true };
  const own = words.slice(words.length - args.length);
  if (own.some((word, index) => word.toString('utf8') !== args[index])) return { argv: args, bytesLost: true };
  return { argv: args.map((arg, index) => (arg.includes(REPLACEMENT) ? decodeKeepingBadBytes(own[index]!) : arg)), bytesLost: false };
}

/** The words of a cmdline or environ, or undefined when it is not one (empty, or not ended by a NUL: a process that rewrote its argv area). */
function nulSeparated(bytes: Buffer): Buffer[] | undefined {
  if (bytes.length === 0 || bytes[bytes.length - 1] !== 0) return undefined;
  const words: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const end = bytes.indexOf(0, start);
    words.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return words;
}

/** A file of /proc/self, or undefined where there is none (macOS): then the bytes are lost. */
function readOwn(name: 'cmdline' | 'environ'): Buffer | undefined {
  try {
    return readFileSync(`/proc/self/${name}`);
  } catch {
    return undefined;
  }
}

/** This process's arguments (recoverArguments); /proc/self/cmdline is read only when an argument holds U+FFFD. */
export function commandLine(argv: readonly string[] = process.argv): CommandLine {
  const args = argv.slice(2);
  if (!args.some((arg) => arg.includes(REPLACEMENT))) return { argv: args, bytesLost: false };
  return recoverArguments(args, readOwn('cmdline'));
}

export interface Environment {
  /** A copy of the environment, the named variables' bytes read back where Node could not decode them. */
  readonly env: Env;
  /** The named variables that held bytes that are not UTF-8 which could not be read back: their U+FFFD may stand for any bytes. */
  readonly bytesLost: readonly string[];
}

/**
 * Pure: `env` with each of `names` that holds U+FFFD read back from `environ`
 * (/proc/self/environ: NAME=VALUE words, each ended by a NUL), as
 * recoverArguments does for argv. environ is the environment the process
 * started with: the first entry of the name (getenv's) must decode to exactly
 * the value Node gave, or the bytes are lost (the process changed it since).
 */
export function recoverEnvironment(env: Env, names: readonly string[], environ: Buffer | undefined): Environment {
  envObjectArgument('recoverEnvironment', 'env', env);
  stringListArgument('recoverEnvironment', 'names', names);
  if (environ !== undefined && !Buffer.isBuffer(environ))
    throw new TypeError(`recoverEnvironment: environ must be the bytes of /proc/self/environ (a Buffer) or undefined, not ${describeArgument(environ)}`);
  const held = names.filter((name) => env[name]?.includes(REPLACEMENT));
  if (held.length === 0) return { env, bytesLost: [] };
  const words = environ === undefined ? undefined : nulSeparated(environ);
  const recovered: Record<string, string | undefined> = { ...env };
  const bytesLost: string[] = [];
  for (const name of held) {
    const prefix = Buffer.from(`${name}=`);
    const word = words?.find((entry) => entry.subarray(0, prefix.length).equals(prefix));
    const bytes = word?.subarray(prefix.length);
    if (bytes === undefined || bytes.toString('utf8') !== env[name]) bytesLost.push(name);
    else recovered[name] = decodeKeepingBadBytes(bytes);
  }
  return { env: recovered, bytesLost };
}

/**
 * The variables of `env` that hold U+FFFD: bytes Node could not decode, whatever the variable. For a bin that
 * reads variables the registry names (a service's port override, CONTIMG_API_PORT): their values are shown
 * with `\xff` as the bytes they hold when read back (processEnvironment), not as U+FFFD.
 */
export function undecodedVariables(env: Env = process.env): string[] {
  envObjectArgument('undecodedVariables', 'env', env);
  return Object.keys(env).filter((name) => env[name]?.includes(REPLACEMENT));
}

/** This process's environment (recoverEnvironment) for `names`; /proc/self/environ is read only when one of them holds U+FFFD. */
export function processEnvironment(names: readonly string[], env: Env = process.env): Environment {
  stringListArgument('processEnvironment', 'names', names);
  envObjectArgument('processEnvironment', 'env', env);
  if (!names.some((name) => env[name]?.includes(REPLACEMENT))) return { env, bytesLost: [] };
  return recoverEnvironment(env, names, readOwn('environ'));
}

/**
 * The one-line refusal of a path whose bytes are lost (`what`: `--registry`,
 * `$DSA110_PORTS_FILE`, `FILE`), or undefined when `path` holds no U+FFFD and
 * can be used as it is.
 */
export function lostPathMessage(what: string, path: string): string | undefined {
  if (!path.includes(REPLACEMENT)) return undefined;
  // \ufffd, escaped as the rest of the path is: a byte that was lost, not a character of the name.
  const shown = quoteValue(path).replace(/\uFFFD/g, '\\ufffd');
  const from = what.startsWith('$') ? '/proc/self/environ' : '/proc/self/cmdline';
  return `${what} ${shown}: the path is not UTF-8 (\\ufffd: bytes Node could not decode) and its bytes could not be read back from ${from}, so the file cannot be opened; give it a UTF-8 name (or a symlink with one)`;
}

/**
 * The one-line refusal of a path that holds bytes that are not UTF-8 (read
 * back, `\xff`) where the tool can only use UTF-8 (`why`: what takes the path
 * as text), or undefined when it is UTF-8.
 */
export function notUtf8PathMessage(what: string, path: string, why: string): string | undefined {
  if (typeof fileSystemPath(path) === 'string') return undefined;
  return `${what} ${quoteValue(path)}: the path is not UTF-8, and ${why}; give it a UTF-8 name (or a symlink with one)`;
}
