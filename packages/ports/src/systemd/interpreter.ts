// Whether systemd can run a script it is told to run: the kernel reads the
// file's `#!` line and runs that interpreter; `#!/usr/bin/env node` makes env
// look node up in the PATH systemd gives the service, which is the unit's own
// Environment=PATH= or systemd's default, not the PATH of the operator's
// shell (nvm, asdf and /opt installs of Node are on that one only). Used by
// the health check's dependencies check and by `ports systemd`, for the
// claim-port a unit runs. Reads happen under a root: links resolved inside it.
import { closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { objectArgument, pathArgument, stringArgument } from '../arguments.js';
import { escapeText } from '../escape.js';
import { FileReadError } from '../files/read.js';
import { hostPath } from '../files/root.js';
import type { UnitFacts } from './types.js';

/** The PATH systemd gives a system service that sets none (systemd.exec(5), "Environment Variables in Spawned Processes"). */
export const SYSTEMD_DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin';

/** The first bytes of a file the kernel reads for its `#!` line (BINPRM_BUF_SIZE since Linux 5.1). */
const SHEBANG_BYTES = 256;

/** The PATH a unit's processes get: its own (Environment=, EnvironmentFile=), with where it is set, else systemd's default (no file). */
export interface SearchPath {
  readonly value: string;
  /** Where the unit sets PATH; undefined for systemd's default. */
  readonly file?: string;
  readonly line?: number;
}

/**
 * What running a file would run first: `none` (no `#!` line: the kernel runs
 * the file itself), `found` (the interpreter, and the command env runs, are
 * there and executable), `missing` (they are not: systemd cannot start it,
 * `reason` says which), or `unknown` (`reason` says why it cannot be told).
 */
export type InterpreterLookup =
  | { readonly kind: 'none' }
  | { readonly kind: 'found'; readonly interpreter: string; readonly command?: string; readonly path: string }
  | {
      readonly kind: 'missing';
      readonly interpreter: string;
      /** The command `#!/usr/bin/env` names (`node`), when it is the one missing. */
      readonly command?: string;
      /** The PATH that was searched for `command`. */
      readonly searchPath?: SearchPath;
      readonly reason: string;
    }
  | { readonly kind: 'unknown'; readonly reason: string };

/** The PATH systemd gives `unit`'s processes (its environment's PATH, else SYSTEMD_DEFAULT_PATH); no unit: the default. */
export function unitSearchPath(unit: Pick<UnitFacts, 'environment'> | undefined): SearchPath {
  if (unit === undefined) return { value: SYSTEMD_DEFAULT_PATH };
  objectArgument('unitSearchPath', 'unit', unit, '{ environment }, a UnitFacts, or left out');
  const setting = unit.environment instanceof Map ? unit.environment.get('PATH') : undefined;
  return setting ? { value: setting.value, file: setting.file, line: setting.line } : { value: SYSTEMD_DEFAULT_PATH };
}

/** What exists and is executable at `path` inside `root`: 'yes', 'no' (with why), or a problem looking. */
function executableAt(root: string, path: string): { yes: true } | { no: string } | { problem: string } {
  try {
    const info = statSync(hostPath(root, path));
    if (!info.isFile()) return { no: 'is not a file' };
    return (info.mode & 0o111) !== 0 ? { yes: true } : { no: 'is not executable' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { no: 'does not exist' };
    return { problem: error instanceof FileReadError ? error.reason : code === 'EACCES' ? 'permission denied' : (code ?? (error as Error).message) };
  }
}

/** The first line of `file` (at most SHEBANG_BYTES), as bytes; throws what the open or read throws. */
function readHead(file: string): Buffer {
  // Non-blocking: a FIFO put in its place meanwhile is not waited on.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const buffer = Buffer.alloc(SHEBANG_BYTES);
    const read = readSync(fd, buffer, 0, SHEBANG_BYTES, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * Read the `#!` line of `path` (absolute, inside `root`; an executable file)
 * and look its interpreter up as the kernel and env would for a service
 * started with `searchPath` (unitSearchPath's): an absolute interpreter must
 * exist and be executable; `/usr/bin/env NAME` (or `env -S NAME ...`) needs
 * an executable NAME in a directory of the PATH, inside `root`.
 */
export function readInterpreter(root: string, path: string, searchPath: SearchPath): InterpreterLookup {
  pathArgument('readInterpreter', 'root', root);
  pathArgument('readInterpreter', 'path', path);
  objectArgument('readInterpreter', 'searchPath', searchPath, '{ value, file?, line? }, as unitSearchPath gives it');
  stringArgument('readInterpreter', 'searchPath.value', searchPath.value, 'a PATH (a string of directories separated by :)');
  const file = executableAt(root, path);
  if (!('yes' in file)) return { kind: 'unknown', reason: 'problem' in file ? `cannot look at it: ${file.problem}` : `it ${file.no}` };
  let head: Buffer;
  try {
    head = readHead(hostPath(root, path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      kind: 'unknown',
      reason: `cannot read its first line: ${error instanceof FileReadError ? error.reason : code === 'EACCES' ? 'permission denied' : (code ?? (error as Error).message)}`,
    };
  }
  if (head[0] !== 0x23 || head[1] !== 0x21) return { kind: 'none' };
  const end = head.indexOf(0x0a);
  if (end < 0 && head.length >= SHEBANG_BYTES) return { kind: 'unknown', reason: `its #! line is longer than the ${SHEBANG_BYTES} bytes the kernel reads` };
  // As the kernel splits it: spaces and tabs after #!, the interpreter up to the next, the rest one argument.
  const line = head.subarray(2, end < 0 ? head.length : end).toString('utf8');
  const match = /^[ \t]*([^ \t]*)[ \t]*(.*?)[ \t]*$/s.exec(line)!;
  const interpreter = match[1]!;
  const argument = match[2]!;
  const written = `#!${line.trim()}`;
  if (interpreter === '') return { kind: 'missing', interpreter, reason: `its first line ${escapeText(written)} names no interpreter` };
  if (!interpreter.startsWith('/'))
    return { kind: 'unknown', reason: `its first line ${escapeText(written)} names a relative interpreter, found from the directory it runs in` };
  const there = executableAt(root, interpreter);
  if ('problem' in there) return { kind: 'unknown', reason: `cannot look at its interpreter ${escapeText(interpreter)}: ${there.problem}` };
  if ('no' in there) return { kind: 'missing', interpreter, reason: `its interpreter ${escapeText(interpreter)} (${escapeText(written)}) ${there.no}` };
  if (!/(^|\/)env$/.test(interpreter)) return { kind: 'found', interpreter, path: interpreter };

  // env: NAME, or -S splitting the rest into words (NAME=VALUE settings, then the command).
  let words: string[];
  if (/^(-S|--split-string(=|\s|$))/.test(argument))
    words = argument
      .replace(/^(-S|--split-string=?)/, '')
      .trim()
      .split(/[ \t]+/)
      .filter(Boolean);
  else if (argument.startsWith('-')) return { kind: 'unknown', reason: `its first line ${escapeText(written)} passes env options this check does not follow` };
  else words = argument === '' ? [] : [argument]; // without -S the kernel passes the rest as one word
  let search = searchPath;
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) {
    const setting = words.shift()!;
    if (setting.startsWith('PATH=')) search = { value: setting.slice(5), file: path, line: 1 };
  }
  const command = words[0];
  if (command === undefined) return { kind: 'missing', interpreter, reason: `its first line ${escapeText(written)} runs env without a command` };
  if (command.startsWith('-') || /['"\\$]/.test(command))
    return { kind: 'unknown', reason: `its first line ${escapeText(written)} passes env options this check does not follow` };
  if (command.includes('/')) {
    if (!command.startsWith('/'))
      return { kind: 'unknown', reason: `its first line ${escapeText(written)} runs a relative path, found from the directory it runs in` };
    const found = executableAt(root, command);
    if ('problem' in found) return { kind: 'unknown', reason: `cannot look at ${escapeText(command)}: ${found.problem}` };
    if ('no' in found)
      return { kind: 'missing', interpreter, command, reason: `${escapeText(command)}, which its first line ${escapeText(written)} runs, ${found.no}` };
    return { kind: 'found', interpreter, command, path: command };
  }
  const problems: string[] = [];
  for (const dir of search.value.split(':')) {
    if (!dir.startsWith('/')) continue; // an empty or relative entry is the directory the service runs in
    const candidate = join(dir, command);
    const found = executableAt(root, candidate);
    if ('yes' in found) return { kind: 'found', interpreter, command, path: candidate };
    if ('problem' in found) problems.push(`${escapeText(candidate)}: ${found.problem}`);
  }
  if (problems.length > 0)
    return { kind: 'unknown', reason: `cannot tell whether ${escapeText(command)} is in PATH=${escapeText(search.value)}: ${problems.join('; ')}` };
  const spaced = /\s/.test(command)
    ? `; without -S the kernel passes ${escapeText(command)} to env as one word: write #!${interpreter} -S ${escapeText(command)}`
    : '';
  return {
    kind: 'missing',
    interpreter,
    command,
    searchPath: search,
    reason: `its first line ${escapeText(written)} runs ${escapeText(command)} from the PATH systemd gives the service, and no executable ${escapeText(command)} is in it${spaced}`,
  };
}

/**
 * Pure: what is wrong with a lookup (readInterpreter's), in words, with what
 * to do: undefined for `none` and `found`. `missing` says the PATH searched
 * (the unit's, with its file:line, or systemd's default).
 */
export function interpreterProblem(lookup: InterpreterLookup): string | undefined {
  objectArgument('interpreterProblem', 'lookup', lookup, '{ kind, ... }, as readInterpreter gives it');
  if (lookup.kind === 'none' || lookup.kind === 'found') return undefined;
  if (lookup.kind === 'unknown') return lookup.reason;
  if (lookup.searchPath === undefined || lookup.command === undefined)
    return `${lookup.reason}; systemd cannot start it (install the interpreter there, or fix the #! line)`;
  const { value, file, line } = lookup.searchPath;
  const from =
    file === undefined
      ? `systemd's default PATH=${escapeText(value)} (the unit sets none)`
      : `PATH=${escapeText(value)} (set in ${escapeText(file)}${line === undefined ? '' : `:${line}`})`;
  const name = escapeText(lookup.command);
  return `${lookup.reason} (${from}), so systemd cannot start it (/usr/bin/env: '${name}': No such file or directory); install ${name} where systemd finds it, such as /usr/bin/${name} or a link /usr/local/bin/${name} -> $(command -v ${name}), or set Environment=PATH= in the unit`;
}
