// Errors meant for people: each says what is wrong, where, and (where it can)
// what to do. CLIs print `error.message` alone, never a stack trace.
import { pathText } from './escape.js';
import { describeArgument, objectArgument, stringArgument } from './arguments.js';

export interface RegistryIssue {
  /** Dotted path into the registry, with list entries named by id: `services.api.port`. */
  path: string;
  message: string;
  /** 1-based; 0 when the problem has no place in the file (e.g. the file is too large). */
  line: number;
  column: number;
}

export function formatIssue(source: string, issue: RegistryIssue): string {
  stringArgument('formatIssue', 'source', source, 'a file name (a string)');
  objectArgument('formatIssue', 'issue', issue, '{ path, message, line, column }: a RegistryIssue');
  // The path is from outside (a --registry argument, $DSA110_PORTS_FILE): a line break or a
  // terminal escape in it must not start a forged line or colour the terminal, and an
  // empty or white-space name must still be seen (quoted).
  const file = pathText(String(source));
  const where = issue.line > 0 ? `${file}:${issue.line}:${issue.column}` : file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** RegistryError's message, its arguments checked first: `new RegistryError('x', null)` used to fail inside on `.map`. */
function registryErrorMessage(source: unknown, issues: unknown): string {
  if (typeof source !== 'string') throw new TypeError(`RegistryError: source must be a file name (a string), not ${describeArgument(source)}`);
  if (!Array.isArray(issues))
    throw new TypeError(`RegistryError: issues must be an array of RegistryIssue ({ path, message, line, column }), not ${describeArgument(issues)}`);
  return issues
    .map((issue: unknown, index) => {
      if (typeof issue !== 'object' || issue === null || Array.isArray(issue))
        throw new TypeError(`RegistryError: issues[${index}] must be a RegistryIssue ({ path, message, line, column }), not ${describeArgument(issue)}`);
      const { path, message, line, column } = issue as Record<string, unknown>;
      if (typeof path !== 'string') throw new TypeError(`RegistryError: issues[${index}].path must be a string, not ${describeArgument(path)}`);
      if (typeof message !== 'string') throw new TypeError(`RegistryError: issues[${index}].message must be a string, not ${describeArgument(message)}`);
      for (const [name, value] of [
        ['line', line],
        ['column', column],
      ] as const) {
        if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0))
          throw new TypeError(`RegistryError: issues[${index}].${name} must be a whole number (0 for no place in the file), not ${describeArgument(value)}`);
      }
      return formatIssue(source, issue as RegistryIssue);
    })
    .join('\n');
}

/** A registry that cannot be used. Carries every problem found, not just the first. */
export class RegistryError extends Error {
  override name = 'RegistryError';
  /** Stable across copies of this package: test `error.code`, not only `instanceof`. */
  readonly code = 'INVALID_REGISTRY';
  readonly source: string;
  readonly issues: readonly RegistryIssue[];

  constructor(source: string, issues: readonly RegistryIssue[]) {
    super(registryErrorMessage(source, issues));
    this.source = source;
    this.issues = issues;
  }
}

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
