// Check 1, registry: it loads and validates. An invalid registry is one
// error per problem, each `file:line:col: path: message`, with that
// `file:line:col` as its file.
import { type RegistryError, formatIssue, type Registry } from '@dsa110/ports';
import { plural } from '../label.js';
import type { CheckResult } from '../types.js';

export function registryLoaded(registry: Registry): CheckResult[] {
  return [
    {
      check: 'registry',
      severity: 'ok',
      reason: `${registry.source}: valid, ${plural(registry.services.length, 'service')} and ${plural(registry.reserved.length, 'reserved range')}`,
    },
  ];
}

/** One error per problem, its `file` where the reason says it is: `FILE:LINE:COL`, or the file alone (it cannot be read, say). */
export function registryFailed(error: RegistryError): CheckResult[] {
  return error.issues.map((issue) => ({
    check: 'registry',
    severity: 'error',
    reason: formatIssue(error.source, issue),
    file: issue.line > 0 ? `${error.source}:${issue.line}:${issue.column}` : error.source,
  }));
}
