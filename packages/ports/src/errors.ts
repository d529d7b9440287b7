// Errors meant for people: each says what is wrong, where, and (where it can)
// what to do. CLIs print `error.message` alone, never a stack trace.
import { oneLine, pathText } from './escape.js';
import { describeArgument, listProblem, stringArgument } from './arguments.js';

export interface RegistryIssue {
  /** Dotted path into the registry, with list entries named by id: `services.api.port`. */
  path: string;
  message: string;
  /** 1-based; 0 when the problem has no place in the file (e.g. the file is too large). */
  line: number;
  column: number;
}

/**
 * One issue as one line, `file:line:col: path: message` (`file: message` when it has no place):
 * its arguments checked (`formatIssue('a', {})` printed "a: undefined"), and a line break or
 * control character in the path or message shown escaped, as the rest of a line is (oneLine),
 * so that no issue prints as two lines or moves the terminal's cursor.
 */
export function formatIssue(source: string, issue: RegistryIssue): string {
  stringArgument('formatIssue', 'source', source, 'a file name (a string)');
  checkedIssue('formatIssue', 'issue', issue);
  return issueLine(source, issue);
}

function issueLine(source: string, issue: RegistryIssue): string {
  // The path is from outside (a --registry argument, $DSA110_PORTS_FILE): a line break or a
  // terminal escape in it must not start a forged line or colour the terminal, and an
  // empty or white-space name must still be seen (quoted).
  const file = pathText(source);
  const where = issue.line > 0 ? `${file}:${issue.line}:${issue.column}` : file;
  return oneLine(issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`);
}

/** A RegistryIssue from JavaScript, checked: `{ path, message }` strings and `line`, `column` whole numbers (0: no place in the file). */
function checkedIssue(fn: string, name: string, issue: unknown): RegistryIssue {
  if (typeof issue !== 'object' || issue === null || Array.isArray(issue))
    throw new TypeError(`${fn}: ${name} must be a RegistryIssue ({ path, message, line, column }), not ${describeArgument(issue)}`);
  const { path, message, line, column } = issue as Record<string, unknown>;
  if (typeof path !== 'string') throw new TypeError(`${fn}: ${name}.path must be a string, not ${describeArgument(path)}`);
  if (typeof message !== 'string') throw new TypeError(`${fn}: ${name}.message must be a string, not ${describeArgument(message)}`);
  for (const [key, value] of [
    ['line', line],
    ['column', column],
  ] as const) {
    if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0))
      throw new TypeError(`${fn}: ${name}.${key} must be a whole number (0 for no place in the file), not ${describeArgument(value)}`);
  }
  return issue as RegistryIssue;
}

/** RegistryError's message, its arguments checked first: `new RegistryError('x', null)` used to fail inside on `.map`. */
function registryErrorMessage(source: unknown, issues: unknown): string {
  if (typeof source !== 'string') throw new TypeError(`RegistryError: source must be a file name (a string), not ${describeArgument(source)}`);
  if (!Array.isArray(issues))
    throw new TypeError(`RegistryError: issues must be an array of RegistryIssue ({ path, message, line, column }), not ${describeArgument(issues)}`);
  return issues
    .map((issue: unknown, index) => {
      checkedIssue('RegistryError', `issues[${index}]`, issue);
      // Every issue is checked; only those the message lists are formatted.
      return index < MAX_ISSUES_IN_MESSAGE ? issueLine(source, issue as RegistryIssue) : '';
    })
    .slice(0, MAX_ISSUES_IN_MESSAGE)
    .concat(
      issues.length > MAX_ISSUES_IN_MESSAGE
        ? [`${pathText(source)}: … and ${moreProblems(issues.length - MAX_ISSUES_IN_MESSAGE)} (fix these first; ports validate lists every one)`]
        : [],
    )
    .join('\n');
}

/**
 * The problems an error's message lists (`issues` holds every one): a 1 MiB file can hold 100,000,
 * whose message was 10 MB, printed whole by anything that logs an error. Each is checked first.
 */
export const MAX_ISSUES_IN_MESSAGE = 200;

/**
 * What a registry that does not validate still says about the processes a
 * claim must never signal: `claim.protect.processes` (each pattern that is
 * valid on its own) and `claim.protect.pidsUpTo` (when valid), read from a
 * file that parsed as YAML. Only what adds protection: a claim that falls
 * back to the built-in list adds these to it, so that a typo elsewhere in the
 * file never lets it signal a process the registry protects.
 */
export interface SalvagedProtection {
  readonly processes: readonly string[];
  readonly pidsUpTo?: number;
}

/** RegistryError's `protect`, checked and copied (frozen): what a claim adds to its protected list must be what it looks like. */
function checkedProtection(protect: unknown): SalvagedProtection {
  const bad = (what: string): never => {
    throw new TypeError(`RegistryError: protect must be { processes: string[], pidsUpTo?: number } or left out, not ${what}`);
  };
  if (typeof protect !== 'object' || protect === null || Array.isArray(protect)) return bad(describeArgument(protect));
  const { processes, pidsUpTo } = protect as Record<string, unknown>;
  const problem = listProblem('processes', processes);
  if (problem !== undefined) throw new TypeError(`RegistryError: protect.${problem}`);
  if (pidsUpTo !== undefined && !(typeof pidsUpTo === 'number' && Number.isInteger(pidsUpTo) && pidsUpTo >= 0))
    return bad(`pidsUpTo ${describeArgument(pidsUpTo)}`);
  return Object.freeze({ processes: Object.freeze([...(processes as string[])]), ...(pidsUpTo !== undefined && { pidsUpTo: pidsUpTo as number }) });
}

/** A registry that cannot be used. Carries every problem found, not just the first. */
export class RegistryError extends Error {
  override name = 'RegistryError';
  /** Stable across copies of this package: test `error.code`, not only `instanceof`. */
  readonly code = 'INVALID_REGISTRY';
  readonly source: string;
  readonly issues: readonly RegistryIssue[];
  /**
   * The protections the file still names, when it parsed as YAML and names any (see SalvagedProtection);
   * absent otherwise, not an own property set to undefined (`declare`: no class field is made for it).
   */
  declare readonly protect?: SalvagedProtection;

  constructor(source: string, issues: readonly RegistryIssue[], protect?: SalvagedProtection) {
    super(registryErrorMessage(source, issues));
    this.source = source;
    this.issues = issues;
    if (protect !== undefined) this.protect = checkedProtection(protect);
  }
}

/**
 * Which PortsError (README, "Errors", says who throws each). `BAD_PORT` and `IO` are reserved: no package
 * throws them in this version (a bad port is a TypeError or RangeError, an unreadable file a RegistryError);
 * they stay in the type so that a consumer's `switch` over it stays valid.
 */
export type PortsErrorCode = 'UNKNOWN_SERVICE' | 'BAD_OVERRIDE' | 'BAD_PORT' | 'NOT_FOUND' | 'IO';

/** A lookup or an override that cannot be honoured (unknown id, bad env value, ...). */
export class PortsError extends Error {
  override name = 'PortsError';
  /** Which failure; stable across copies of this package. */
  readonly code: PortsErrorCode;

  constructor(code: PortsErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** `1 more problem`, `2 more problems`: the tail of a message that lists the first MAX_ISSUES_IN_MESSAGE. */
export function moreProblems(count: number): string {
  return `${count} more problem${count === 1 ? '' : 's'}`;
}
