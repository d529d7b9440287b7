// Whether systemd can run a script it is told to run: the kernel reads the
// file's `#!` line and runs that interpreter; `#!/usr/bin/env node` makes env
// look node up in the PATH systemd gives the service, which is the unit's own
// Environment=PATH=, its ExecSearchPath= or systemd's default, not the PATH of the operator's
// shell (nvm, asdf and /opt installs of Node are on that one only). Used by
// the health check's dependencies check and by `ports systemd`, for the
// claim-port a unit runs. Reads happen under a root: links resolved inside it.
import { closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { objectArgument, pathArgument, stringArgument } from '../arguments.js';
import { escapeText } from '../escape.js';
import { FileReadError } from '../files/read.js';
import { hostPath } from '../files/root.js';
import { isElfHead, isScriptHead } from '../files/program-head.js';
import { claimPortInstall } from './claim-port-install.js';
import type { UnitFacts } from './types.js';

/** The PATH systemd gives a system service that sets none (systemd.exec(5), "Environment Variables in Spawned Processes"). */
export const SYSTEMD_DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin';

/** The first bytes of a file the kernel reads for its `#!` line (BINPRM_BUF_SIZE since Linux 5.1). */
const SHEBANG_BYTES = 256;

/** How many `#!` interpreters that are scripts themselves the kernel follows before ELOOP (BINPRM_MAX_RECURSION). */
const MAX_NESTING = 4;

/** The PATH a unit's processes get, with where it is set; no file: systemd's default. */
export interface SearchPath {
  readonly value: string;
  /** Where the unit sets it; undefined for systemd's default. */
  readonly file?: string;
  readonly line?: number;
  /** What sets it, when not Environment=/EnvironmentFile= PATH= (or the #! line's env PATH=): the unit's ExecSearchPath=, or PassEnvironment=PATH (the manager's, systemd's default). */
  readonly setBy?: 'ExecSearchPath' | 'PassEnvironment';
  /** The unit's ExecSearchPath= goes on past `value` with an entry the model cannot resolve (`%H/bin`): a command not found in `value` may be there. */
  readonly unresolved?: string;
}

/**
 * What running a file would run first: `none` (no interpreter: an ELF
 * binary), `found` (the interpreter, and the command env runs, are there and
 * can run), `missing` (they are not: systemd cannot start it, `reason` says
 * which), `invalid` (the file cannot run as it is: not ELF and no `#!` line,
 * Windows line endings, env running the script itself, interpreters nested
 * too deep; `reason` says why and what to do), or `unknown` (`reason` says why
 * it cannot be told). A `#!` interpreter that is a script itself is followed
 * as the kernel does, and so is the command env runs.
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
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'unknown'; readonly reason: string };

/**
 * The PATH systemd gives `unit`'s processes (systemd.exec(5)): its
 * Environment=/EnvironmentFile= PATH, else the manager's (systemd's default)
 * when PassEnvironment= names PATH, else its ExecSearchPath=, else
 * SYSTEMD_DEFAULT_PATH; no unit: the default.
 */
export function unitSearchPath(unit: Pick<UnitFacts, 'environment' | 'execSearchPath' | 'passEnvironment'> | undefined): SearchPath {
  if (unit === undefined) return { value: SYSTEMD_DEFAULT_PATH };
  objectArgument('unitSearchPath', 'unit', unit, '{ environment, execSearchPath?, passEnvironment? }, a UnitFacts, or left out');
  const setting = unit.environment instanceof Map ? unit.environment.get('PATH') : undefined;
  if (setting) return { value: setting.value, file: setting.file, line: setting.line };
  const passed = Array.isArray(unit.passEnvironment) ? unit.passEnvironment.findLast((name) => name?.value === 'PATH') : undefined;
  if (passed) return { value: SYSTEMD_DEFAULT_PATH, file: passed.file, line: passed.line, setBy: 'PassEnvironment' };
  const search = unit.execSearchPath;
  const unresolved = search?.unresolved;
  if (search && typeof search.value === 'string' && (search.value !== '' || unresolved !== undefined))
    return {
      value: search.value,
      file: search.file,
      line: search.line,
      setBy: 'ExecSearchPath',
      ...(unresolved !== undefined && {
        unresolved: `${unresolved.file}:${unresolved.line} goes on with "${unresolved.entry}", whose ${unresolved.specifier} this check cannot resolve as systemd does`,
      }),
    };
  return { value: SYSTEMD_DEFAULT_PATH };
}

/** What execve finds at `path` inside `root`: an executable regular file, or why not (the error of a stat that failed otherwise). */
export type ExecutableStat =
  | { readonly kind: 'executable' | 'missing' | 'not-regular' | 'not-executable' }
  | { readonly kind: 'unreadable'; readonly error: unknown };

/** The one stat behind every "can systemd run this file" here and in `ports systemd`'s warnings. */
export function statExecutable(root: string, path: string): ExecutableStat {
  try {
    const info = statSync(hostPath(root, path));
    if (!info.isFile()) return { kind: 'not-regular' };
    return { kind: (info.mode & 0o111) !== 0 ? 'executable' : 'not-executable' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'missing' } : { kind: 'unreadable', error };
  }
}

const NOT_EXECUTABLE = { missing: 'does not exist', 'not-regular': 'is not a regular file', 'not-executable': 'is not executable' } as const;

/** What exists and is executable at `path` inside `root`: 'yes', 'no' (with why), or a problem looking. */
function executableAt(root: string, path: string): { yes: true } | { no: string } | { problem: string } {
  const at = statExecutable(root, path);
  if (at.kind === 'executable') return { yes: true };
  return at.kind === 'unreadable' ? { problem: readProblem(at.error) } : { no: NOT_EXECUTABLE[at.kind] };
}

function readProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return error instanceof FileReadError ? error.reason : code === 'EACCES' ? 'permission denied' : (code ?? (error as Error).message);
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
 * started with `searchPath` (unitSearchPath's): a file that is neither ELF
 * nor starts with `#!` cannot run (ENOEXEC); an absolute interpreter must
 * exist and itself run (a script's own `#!` line followed, as the kernel
 * does, up to 4 levels); `/usr/bin/env NAME` (or `env -S NAME ...`) needs an
 * executable NAME in a directory of the PATH, inside `root`.
 */
export function readInterpreter(root: string, path: string, searchPath: SearchPath): InterpreterLookup {
  pathArgument('readInterpreter', 'root', root);
  pathArgument('readInterpreter', 'path', path);
  objectArgument('readInterpreter', 'searchPath', searchPath, '{ value, file?, line? }, as unitSearchPath gives it');
  stringArgument('readInterpreter', 'searchPath.value', searchPath.value, 'a PATH (a string of directories separated by :)');
  const file = executableAt(root, path);
  if (!('yes' in file)) return { kind: 'unknown', reason: 'problem' in file ? `cannot look at it: ${file.problem}` : `it ${file.no}` };
  const result = runs(root, searchPath, [path], 0, false);
  return result.kind === 'ok' ? { kind: 'none' } : result;
}

type Step = InterpreterLookup | { readonly kind: 'ok' };

/**
 * What the kernel does running `chain`'s last file (an executable file inside
 * `root`, reached from chain[0] by the #! lines before it; `depth` of them
 * since the last execve, as BINPRM_MAX_RECURSION counts). `execvp`: env runs
 * it, which runs a file with neither ELF nor #! by /bin/sh. `ok`: an ELF file.
 */
function runs(root: string, searchPath: SearchPath, chain: readonly string[], depth: number, execvp: boolean): Step {
  const path = chain.at(-1)!;
  const top = chain.length === 1;
  // Its own words at the top ("its first line"); inside a chain, the file named, and the chain after.
  const its = top ? 'its' : `${escapeText(path)}'s`;
  const along = (next?: string) =>
    top ? '' : ` (the kernel follows each #! line: ${[...chain, ...(next === undefined ? [] : [next])].map((step) => escapeText(step)).join(' -> ')})`;
  let head: Buffer;
  try {
    head = readHead(hostPath(root, path));
  } catch (error) {
    return { kind: 'unknown', reason: `cannot read ${its} first line: ${readProblem(error)}${along()}` };
  }
  if (isElfHead(head)) return { kind: 'ok' };
  if (!isScriptHead(head)) {
    if (execvp) return { kind: 'ok' }; // env's execvp runs it with /bin/sh
    return top
      ? {
          kind: 'invalid',
          reason: `it is not a program the kernel can run (no #! line and not ELF), so execve fails (Exec format error) and systemd cannot start it; reinstall claim-port (${claimPortInstall(path, root)})`,
        }
      : {
          kind: 'invalid',
          reason: `${escapeText(path)} is not a program the kernel can run (no #! line and not ELF), so execve fails (Exec format error) and systemd cannot start it${along()}; reinstall ${escapeText(path)}, or fix the #! line that runs it`,
        };
  }
  const end = head.indexOf(0x0a);
  if (end < 0 && head.length >= SHEBANG_BYTES)
    return { kind: 'unknown', reason: `${its} #! line is longer than the ${SHEBANG_BYTES} bytes the kernel reads${along()}` };
  // As the kernel splits it: spaces and tabs after #!, the interpreter up to the next, the rest one argument.
  const raw = head.subarray(2, end < 0 ? head.length : end).toString('utf8');
  const written = `#!${raw.trim()}`;
  if (raw.endsWith('\r'))
    return {
      kind: 'invalid',
      reason: `${its} first line ${escapeText(`#!${raw.trimStart()}`)} ends in a carriage return: the file has Windows (CRLF) line endings, so the kernel looks for an interpreter whose name ends in \\r and systemd cannot start it${along()}; convert ${escapeText(path)} to Unix line endings (dos2unix, or sed -i 's/\\r$//'), or reinstall it`,
    };
  const match = /^[ \t]*([^ \t]*)[ \t]*(.*?)[ \t]*$/s.exec(raw)!;
  const interpreter = match[1]!;
  const argument = match[2]!;
  if (interpreter === '') return { kind: 'missing', interpreter, reason: `${its} first line ${escapeText(written)} names no interpreter${along()}` };
  if (!interpreter.startsWith('/'))
    return { kind: 'unknown', reason: `${its} first line ${escapeText(written)} names a relative interpreter, found from the directory it runs in${along()}` };
  const there = executableAt(root, interpreter);
  if ('problem' in there)
    return { kind: 'unknown', reason: `cannot look at ${its} interpreter ${escapeText(interpreter)}: ${there.problem}${along(interpreter)}` };
  if ('no' in there)
    return { kind: 'missing', interpreter, reason: `${its} interpreter ${escapeText(interpreter)} (${escapeText(written)}) ${there.no}${along(interpreter)}` };
  // The interpreter must run too: a script's own #! line is followed, as deep as the kernel goes.
  if (depth + 1 > MAX_NESTING)
    return {
      kind: 'invalid',
      reason: `${its} interpreter ${escapeText(interpreter)} is one more script than the ${MAX_NESTING} levels of #! interpreters Linux follows, so execve fails (Too many levels of symbolic links) and systemd cannot start it${along(interpreter)}; name a binary in the #! line`,
    };
  const nested = runs(root, searchPath, [...chain, interpreter], depth + 1, false);
  if (nested.kind !== 'ok' && nested.kind !== 'found') return nested;
  if (!/(^|\/)env$/.test(interpreter)) return top ? { kind: 'found', interpreter, path: interpreter } : nested.kind === 'found' ? nested : { kind: 'ok' };

  // env: NAME, or -S splitting the rest into words (NAME=VALUE settings, then the command).
  let words: string[];
  if (/^(-S|--split-string(=|\s|$))/.test(argument))
    words = argument
      .replace(/^(-S|--split-string=?)/, '')
      .trim()
      .split(/[ \t]+/)
      .filter(Boolean);
  else if (argument.startsWith('-'))
    return { kind: 'unknown', reason: `${its} first line ${escapeText(written)} passes env options this check does not follow${along()}` };
  else words = argument === '' ? [] : [argument]; // without -S the kernel passes the rest as one word
  let search = searchPath;
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) {
    const setting = words.shift()!;
    if (setting.startsWith('PATH=')) search = { value: setting.slice(5), file: path, line: 1 };
  }
  const command = words[0];
  if (command === undefined)
    return {
      kind: 'invalid',
      reason: `${its} first line ${escapeText(written)} runs env without a command, so env runs the script itself again, which runs env again: an endless exec loop, and systemd waits on it until its start timeout (TimeoutStartSec=)${along()}; name the command after env, such as #!/usr/bin/env node`,
    };
  if (command.startsWith('-') || /['"\\$]/.test(command))
    return { kind: 'unknown', reason: `${its} first line ${escapeText(written)} passes env options this check does not follow${along()}` };
  let found: string | undefined;
  if (command.includes('/')) {
    if (!command.startsWith('/'))
      return { kind: 'unknown', reason: `${its} first line ${escapeText(written)} runs a relative path, found from the directory it runs in${along()}` };
    const at = executableAt(root, command);
    if ('problem' in at) return { kind: 'unknown', reason: `cannot look at ${escapeText(command)}: ${at.problem}${along()}` };
    if ('no' in at)
      return {
        kind: 'missing',
        interpreter,
        command,
        reason: `${escapeText(command)}, which ${its} first line ${escapeText(written)} runs, ${at.no}${along()}`,
      };
    found = command;
  } else {
    const problems: string[] = [];
    for (const dir of search.value.split(':')) {
      if (!dir.startsWith('/')) continue; // an empty or relative entry is the directory the service runs in
      const candidate = join(dir, command);
      const at = executableAt(root, candidate);
      if ('yes' in at) {
        found = candidate;
        break;
      }
      if ('problem' in at) problems.push(`${escapeText(candidate)}: ${at.problem}`);
    }
    if (found === undefined && problems.length > 0)
      return { kind: 'unknown', reason: `cannot tell whether ${escapeText(command)} is in PATH=${escapeText(search.value)}: ${problems.join('; ')}${along()}` };
    if (found === undefined && search.unresolved !== undefined)
      return {
        kind: 'unknown',
        reason: `cannot tell whether ${escapeText(command)} is in the PATH systemd gives the service: not in ExecSearchPath=${escapeText(search.value)}, and ${escapeText(search.unresolved)}${along()}`,
      };
  }
  if (found === undefined) {
    const spaced = /\s/.test(command)
      ? `; without -S the kernel passes ${escapeText(command)} to env as one word: write #!${interpreter} -S ${escapeText(command)}`
      : '';
    return {
      kind: 'missing',
      interpreter,
      command,
      searchPath: search,
      reason: `${its} first line ${escapeText(written)} runs ${escapeText(command)} from the PATH systemd gives the service, and no executable ${escapeText(command)} is in it${along()}${spaced}`,
    };
  }
  // env execs the command anew (a fresh count of nested interpreters); a script it runs must run too.
  const ran = runs(root, search, [...chain, interpreter, found], 0, true);
  if (ran.kind !== 'ok' && ran.kind !== 'found') return ran;
  return { kind: 'found', interpreter, command, path: found };
}

/**
 * Pure: what is wrong with a lookup (readInterpreter's), in words, with what
 * to do: undefined for `none` and `found`. `missing` says the PATH searched
 * (the unit's, with its file:line, or systemd's default).
 */
export function interpreterProblem(lookup: InterpreterLookup): string | undefined {
  objectArgument('interpreterProblem', 'lookup', lookup, '{ kind, ... }, as readInterpreter gives it');
  if (lookup.kind === 'none' || lookup.kind === 'found') return undefined;
  if (lookup.kind === 'unknown' || lookup.kind === 'invalid') return lookup.reason;
  if (lookup.searchPath === undefined || lookup.command === undefined)
    return `${lookup.reason}; systemd cannot start it (install the interpreter there, or fix the #! line)`;
  const { value, file, line } = lookup.searchPath;
  const at = file === undefined ? '' : `${escapeText(file)}${line === undefined ? '' : `:${line}`}`;
  const from =
    file === undefined
      ? `systemd's default PATH=${escapeText(value)} (the unit sets none)`
      : lookup.searchPath.setBy === 'ExecSearchPath'
        ? `ExecSearchPath=${escapeText(value)} (set in ${at}, and the unit sets no PATH)`
        : lookup.searchPath.setBy === 'PassEnvironment'
          ? `systemd's own PATH=${escapeText(value)} (passed by PassEnvironment=PATH in ${at})`
          : `PATH=${escapeText(value)} (set in ${at})`;
  const name = escapeText(lookup.command);
  return `${lookup.reason} (${from}), so systemd cannot start it (/usr/bin/env: '${name}': No such file or directory); install ${name} where systemd finds it, such as /usr/bin/${name} or a link /usr/local/bin/${name} -> $(command -v ${name}), or set Environment=PATH= in the unit`;
}
