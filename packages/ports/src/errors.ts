// Errors meant for people: each says what is wrong, where, and (where it can)
// what to do. CLIs print `error.message` alone, never a stack trace.
import { pathText } from './escape.js';
import { objectArgument, stringArgument } from './arguments.js';

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

/** A registry that cannot be used. Carries every problem found, not just the first. */
export class RegistryError extends Error {
  override name = 'RegistryError';
  /** Stable across copies of this package: test `error.code`, not only `instanceof`. */
  readonly code = 'INVALID_REGISTRY';
  readonly source: string;
  readonly issues: readonly RegistryIssue[];

  constructor(source: string, issues: readonly RegistryIssue[]) {
    super(issues.map((issue) => formatIssue(source, issue)).join('\n'));
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
