// Check 1, registry: it loads and validates. An invalid registry is one
// error per problem, each `file:line:col: path: message`.
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

export function registryFailed(error: RegistryError): CheckResult[] {
  return error.issues.map((issue) => ({ check: 'registry', severity: 'error', reason: formatIssue(error.source, issue) }));
}
