// Check 9, unknown listeners: ports below the ephemeral range (where daemons
// bind on purpose) that the registry does not know. Info, or a warning with
// --strict; a new daemon should get an entry in ports.yaml.
import { formatListener } from '../address.js';
import { effectivePort } from '../effective-port.js';
import { describeProcess } from '../process-match.js';
import type { CheckOptions, CheckResult, Facts } from '../types.js';
import { holdersOf, unseenHolders } from './listeners.js';

/** Used when the kernel's range cannot be read: Linux's default first ephemeral port. */
const DEFAULT_EPHEMERAL_START = 32768;

export function checkUnknownListeners(facts: Facts, options: CheckOptions): CheckResult[] {
  if (facts.sockets.problem) return [];
  const below = facts.kernel.ephemeral?.start ?? DEFAULT_EPHEMERAL_START;
  const known = new Set<number>();
  for (const service of facts.registry.services) {
    known.add(service.port);
    known.add(effectivePort(facts, service).port);
  }
  const unknown = facts.sockets.listeners.filter(
    (listener) => listener.port < below && !known.has(listener.port) && facts.registry.lookup(listener.port) === undefined,
  );
  if (unknown.length === 0) {
    return [{ check: 'unknown-listeners', severity: 'ok', reason: `every listener below port ${below} is in the registry` }];
  }
  const ports = [...new Set(unknown.map((listener) => listener.port))].sort((a, b) => a - b);
  return ports.map((port): CheckResult => {
    const listeners = unknown.filter((listener) => listener.port === port);
    const { processes, unseen } = holdersOf(listeners);
    const held = [...processes.map(describeProcess), ...(unseen ? [unseenHolders(facts).holder] : [])].join('; ');
    return {
      check: 'unknown-listeners',
      severity: options.strict ? 'warning' : 'info',
      port,
      reason: `port ${port} is not in ${facts.registry.source}: listening on ${listeners.map(formatListener).join(', ')}, held by ${held}`,
      processes,
    };
  });
}
