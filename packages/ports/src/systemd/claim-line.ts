// Recognising an ExecStartPre= command that calls claim-port, and what it
// claims, judged by claim-port's own argument parser: the one answer to
// "would claim-port accept this and claim the right port", for both
// `ports systemd --check` and the health check.
import { parseClaimArgs } from './claim-args.js';
import type { ExecLine } from './types.js';
import { simplifyPath } from './words.js';
import { unwrapCommand } from './claim-wrapper.js';
import { describeArgument, isArraySafely, listProblem, objectArgument, stringArgument, stringListArgument } from '../arguments.js';

const CLAIM_PORT_NAMES = ['claim-port', 'claim-port.sh', 'claim-port.js', 'claim-port.mjs'];

/** The drop-in `ports systemd` writes for a `claim: drop-in` service: `<unit>.d/claim-port.conf`. */
export const DROP_IN_NAME = 'claim-port.conf';

/** Whether `file` is a `claim-port.conf` in a drop-in directory (`NAME.d/`): the file `ports systemd` writes, not an operator's own. */
export function isClaimDropIn(file: string): boolean {
  stringArgument('isClaimDropIn', 'file', file, 'a path (a string)');
  const slash = file.lastIndexOf('/');
  return file.slice(slash + 1) === DROP_IN_NAME && file.slice(0, slash).endsWith('.d');
}

/**
 * Is this executable claim-port: named `claim-port` (`.sh`, `.js`, `.mjs`), or
 * one of `extraPaths`, compared as systemd stores a path (`//` and `/./`
 * simplified: `/opt//bin/claim` is `/opt/bin/claim`).
 */
export function isClaimPort(path: string | undefined, extraPaths: readonly string[]): boolean {
  if (path !== undefined) stringArgument('isClaimPort', 'path', path, 'a path (a string) or undefined');
  stringListArgument('isClaimPort', 'extraPaths', extraPaths);
  if (!path) return false;
  const name = path.slice(path.lastIndexOf('/') + 1);
  return CLAIM_PORT_NAMES.includes(name) || extraPaths.includes(path) || extraPaths.some((extra) => simplifyPath(extra) === simplifyPath(path));
}

/**
 * ExecLines (`name`) as the verdicts read them, each field checked with a type check: a wrong one failed inside
 * ("Cannot read properties of undefined (reading '0')" for `[{}]`), or in the name of a function called on the way.
 */
export function execLinesArgument(fn: string, name: string, lines: unknown): asserts lines is readonly ExecLine[] {
  if (!isArraySafely(lines)) throw new TypeError(`${fn}: ${name} must be an array of ExecLine ({ argv, ... }), not ${describeArgument(lines)}`);
  for (let index = 0; index < lines.length; index++) execLineArgument(fn, `${name}[${index}]`, lines[index]);
}

/** One ExecLine (`name`), each field checked as execLinesArgument checks those of a list. */
export function execLineArgument(fn: string, name: string, line: unknown): asserts line is ExecLine {
  if (typeof line !== 'object' || line === null) throw new TypeError(`${fn}: ${name} must be an ExecLine ({ argv, ... }), not ${describeArgument(line)}`);
  const { file, line: number, value, prefixes, argv, words } = line as Partial<Record<keyof ExecLine, unknown>>;
  const problem =
    listProblem('.argv', argv) ??
    listProblem('.words', words) ??
    (typeof file !== 'string'
      ? `.file must be a path (a string), not ${describeArgument(file)}`
      : typeof number !== 'number'
        ? `.line must be a line number, not ${describeArgument(number)}`
        : typeof value !== 'string'
          ? `.value must be the line as written (a string), not ${describeArgument(value)}`
          : typeof prefixes !== 'string'
            ? `.prefixes must be a string, not ${describeArgument(prefixes)}`
            : undefined);
  if (problem !== undefined) throw new TypeError(`${fn}: ${name}${problem}`);
}

/** Each claim line of a wrapper (`env claim-port 8000`), as claimLines gives it, to the ExecLine as written. */
const WRAPPED = new WeakMap<ExecLine, ExecLine>();
/** Each claim line of a wrapper that sets PATH before claim-port by name (`env PATH=/opt/x/bin claim-port 8000`), to that PATH. */
const ENV_PATH = new WeakMap<ExecLine, string>();

/** One of CLAIM_PORT_NAMES anywhere in a word, not part of a longer name: `claim-port`, `/usr/local/bin/claim-port 8000`. */
const CLAIM_PORT_NAME_IN = new RegExp(`(?:^|[^A-Za-z0-9_.-])(?:${CLAIM_PORT_NAMES.map((name) => name.replaceAll('.', '\\.')).join('|')})(?![A-Za-z0-9_.-])`);

/** A word that names claim-port (or one of `extraPaths`) anywhere in it: `claim-port`, `/usr/local/bin/claim-port 8000`. */
function mentionsClaimPort(word: string, extraPaths: readonly string[]): boolean {
  return CLAIM_PORT_NAME_IN.test(word) || extraPaths.some((path) => path !== '' && word.includes(path));
}

/**
 * Each of `lines` read once: the claim lines among them (as claimLines gives them) and those that run claim-port through
 * a wrapper not read (as unreadClaimWrappers gives them). The arguments are checked by the caller.
 */
function readLines(lines: readonly ExecLine[], extraPaths: readonly string[]): { claims: ExecLine[]; unread: { line: ExecLine; wrapper: string }[] } {
  const target = (program: string) => isClaimPort(program, extraPaths);
  const mentions = (word: string) => mentionsClaimPort(word, extraPaths);
  const claims: ExecLine[] = [];
  const unread: { line: ExecLine; wrapper: string }[] = [];
  for (const line of lines) {
    if (isClaimPort(line.argv[0], extraPaths)) {
      claims.push(line);
      continue;
    }
    const inner = unwrapCommand(line.argv, target, mentions);
    if (inner === undefined) continue;
    if ('unread' in inner) {
      unread.push({ line, wrapper: inner.unread });
      continue;
    }
    const words = unwrapCommand(line.words, target, mentions);
    const unwrapped: ExecLine = {
      ...line,
      path: simplifyPath(inner.argv[0]!),
      argv: inner.argv,
      words: words !== undefined && 'argv' in words ? words.argv : inner.argv,
    };
    WRAPPED.set(unwrapped, line);
    if (inner.path !== undefined) ENV_PATH.set(unwrapped, inner.path);
    claims.push(unwrapped);
  }
  return { claims, unread };
}

/**
 * The commands among `lines` that run claim-port: directly, or through wrappers read exactly (`env PATH=... claim-port`,
 * `nice -n 5`, `ionice`, `sh -c 'claim-port 8000'`; see claim-wrapper.ts). A wrapped one is given as the claim-port
 * command inside (its `path`, `words` and `argv`), its file, line, value and prefixes the line's as written.
 */
export function claimLines(lines: readonly ExecLine[], extraPaths: readonly string[]): ExecLine[] {
  execLinesArgument('claimLines', 'lines', lines);
  stringListArgument('claimLines', 'extraPaths', extraPaths);
  return readLines(lines, extraPaths).claims;
}

/** The ExecLine as written of a claim line claimLines gave (the wrapper's, for `env claim-port 8000`); `line` itself for a direct one. */
export function lineAsWritten(line: ExecLine): ExecLine {
  execLineArgument('lineAsWritten', 'line', line);
  return WRAPPED.get(line) ?? line;
}

/**
 * The PATH a wrapper of a claim line claimLines gave sets before naming claim-port without a slash
 * (`env PATH=/opt/x/bin claim-port 8000`: `/opt/x/bin`), in which env's execvp looks claim-port up, not where systemd
 * looks up a command; undefined for any other line (systemd's lookup, or a path).
 */
export function claimLookupPath(line: ExecLine): string | undefined {
  execLineArgument('claimLookupPath', 'line', line);
  return ENV_PATH.get(line);
}

/**
 * The commands among `lines` that run claim-port through a wrapper claimLines cannot read exactly (`sudo claim-port`,
 * `sh -c 'claim-port 8000 || true'`, `env -i claim-port`), each with that wrapper (and what in it) named.
 */
export function unreadClaimWrappers(lines: readonly ExecLine[], extraPaths: readonly string[]): { line: ExecLine; wrapper: string }[] {
  execLinesArgument('unreadClaimWrappers', 'lines', lines);
  stringListArgument('unreadClaimWrappers', 'extraPaths', extraPaths);
  return readLines(lines, extraPaths).unread;
}

/**
 * claimLines and unreadClaimWrappers of the same lines, each line read once: for a verdict that needs both
 * (judgeClaims: no claim line, but one through a wrapper not read, is unknown, not an error).
 */
export function claimsAndUnreadWrappers(
  lines: readonly ExecLine[],
  extraPaths: readonly string[],
): { claims: ExecLine[]; unread: { line: ExecLine; wrapper: string }[] } {
  execLinesArgument('claimsAndUnreadWrappers', 'lines', lines);
  stringListArgument('claimsAndUnreadWrappers', 'extraPaths', extraPaths);
  return readLines(lines, extraPaths);
}

/**
 * What claim-port does with this command line (argv[0] is the program): the
 * port or service id it claims, or why it would not claim (a usage error, exit
 * 2; --help, --version, --test; --dry-run, which frees nothing).
 */
export function claimTarget(argv: readonly string[]): { port: number; transport?: 'tcp' | 'udp' } | { id: string } | { problem: string } {
  stringListArgument('claimTarget', 'argv', argv);
  const args = parseClaimArgs(argv.slice(1));
  switch (args.command) {
    case 'claim':
      if (args.dryRun) return { problem: 'claim-port is given --dry-run, so it frees nothing' };
      return 'port' in args.target && args.transport ? { ...args.target, transport: args.transport } : args.target;
    case 'usage-error':
      return { problem: `claim-port would refuse these arguments (a usage error, exit 64): ${args.message}` };
    case 'help':
      return { problem: 'claim-port is given --help, so it prints its usage and claims nothing' };
    case 'version':
      return { problem: 'claim-port is given --version, so it prints its version and claims nothing' };
    case 'self-test':
      return { problem: 'claim-port is given --test, so it runs its self-test and claims no port of this service' };
  }
}

/** `/etc/systemd/system/redis-server.service.d/claim-port.conf:2` */
export function where(line: Pick<ExecLine, 'file' | 'line'>): string {
  objectArgument('where', 'line', line, '{ file, line }: an ExecLine');
  // Printed as they are: a symbol failed inside, and undefined printed "undefined:undefined".
  if (typeof line.file !== 'string') throw new TypeError(`where: line.file must be a path (a string), not ${describeArgument(line.file)}`);
  if (typeof line.line !== 'number') throw new TypeError(`where: line.line must be a line number, not ${describeArgument(line.line)}`);
  return `${line.file}:${line.line}`;
}
