// Check 9, unknown listeners: ports below the ephemeral range (where daemons
// bind on purpose) that the registry does not know. Info, or a warning with
// --strict; a new daemon should get an entry in ports.yaml. A listener on a
// service's registry port that the service no longer uses (its unit's
// Environment= moved it) is a warning whatever the mode: whatever expects the
// service there reaches that holder instead.
import type { Service } from '@dsa110/ports';
import { where } from '@dsa110/ports/systemd';
import { formatListeners } from '../address.js';
import { effectivePort, type EffectivePort } from '../effective-port.js';
import { describeProcess } from '../process-match.js';
import type { CheckOptions, CheckResult, Facts, ListenerFacts } from '../types.js';
import { CHANGED_HOLDER, holdersOf, isDevOnly, restartOf, strayListeners, unreadParentText, unseenHolders } from './listeners.js';
import { serviceResult } from './service-result.js';

/** Used when the kernel's range cannot be read: Linux's default first ephemeral port. */
const DEFAULT_EPHEMERAL_START = 32768;

export function checkUnknownListeners(facts: Facts, options: CheckOptions): CheckResult[] {
  if (facts.sockets.problem) return [];
  const below = facts.kernel.ephemeral?.start ?? DEFAULT_EPHEMERAL_START;
  // Only TCP listeners are read: the ports TCP services use (moved or not), and those they moved away from.
  const tcp = facts.registry.services
    .filter((service) => service.transport === 'tcp')
    .map((service) => ({ service, effective: effectivePort(facts, service) }));
  const used = new Set(tcp.map(({ effective }) => effective.port));
  const vacated = new Map<number, { service: Service; effective: EffectivePort }>();
  for (const entry of tcp) if (entry.effective.override && !used.has(entry.service.port)) vacated.set(entry.service.port, entry);

  const results: CheckResult[] = [];
  for (const [port, { service, effective }] of [...vacated].sort(([a], [b]) => a - b)) {
    const listeners = facts.sockets.listeners.filter((listener) => listener.port === port);
    if (listeners.length === 0) continue;
    const { processes } = holdersOf(facts, listeners);
    const override = effective.override!;
    const moved = `port ${port} is ${service.id}'s in ${facts.registry.source}, but ${service.id} moved to port ${effective.port} (${override.variable}=${effective.port} from ${where(override)})`;
    // The service itself, started before its unit moved it: a restart moves it (claim-port would take it down).
    const itself = strayListeners(facts, service).listeners.some((listener) => listener.port === port);
    const advice = itself
      ? `by its names that is ${service.id} itself, started before it moved: ${restartOf(service)} so it takes port ${effective.port}`
      : `find out why it listens there, or set ${service.id} back to port ${port}`;
    results.push(serviceResult('unknown-listeners', service, port, { processes })('warning', `${moved}: ${heldBy(facts, listeners)}; ${advice}`));
  }

  const unknown = facts.sockets.listeners.filter(
    (listener) => listener.port < below && !used.has(listener.port) && !vacated.has(listener.port) && facts.registry.lookup(listener.port, 'tcp') === undefined,
  );
  if (unknown.length === 0 && results.length === 0) {
    return [{ check: 'unknown-listeners', severity: 'ok', reason: `every listener below port ${below} is in the registry` }];
  }
  const ports = [...new Set(unknown.map((listener) => listener.port))].sort((a, b) => a - b);
  for (const port of ports) {
    const listeners = unknown.filter((listener) => listener.port === port);
    // The registry may hold the number for UDP: say so, the TCP listener is still not the service.
    const udp = facts.registry.lookup(port, 'udp');
    const forUdp = udp && 'transport' in udp ? ` (for TCP: ${udp.id} has ${port}/udp)` : '';
    results.push({
      check: 'unknown-listeners',
      severity: options.strict ? 'warning' : 'info',
      port,
      reason: `port ${port} is not in ${facts.registry.source}${forUdp}: ${heldBy(facts, listeners)}${strayOf(facts, tcp, port)}`,
      processes: holdersOf(facts, listeners).processes,
    });
  }
  return results;
}

/**
 * `; by its names it is NAME's (ID), ...`: the registered service whose own processes (strayListeners) listen on
 * `port` while nothing listens on the port it is given; its listening result says what to do. '' for none.
 */
function strayOf(facts: Facts, tcp: readonly { service: Service; effective: EffectivePort }[], port: number): string {
  // Not a development-only service: nothing on its port is fine, as its listening result says.
  const owner = tcp.find(({ service }) => !isDevOnly(service) && strayListeners(facts, service).listeners.some((listener) => listener.port === port));
  if (!owner) return '';
  const { service, effective } = owner;
  return `; by its names it is ${service.name}'s (${service.id}), and nothing listens on port ${effective.port}, the one the registry gives it (its listening result says what to do)`;
}

/**
 * `listening on ADDRESS, ..., held by PROCESS; ...`: with, for a holder under an unreadable parent named as a
 * registry service (holdersOf: it may be that service's worker, the parent its master holding the same socket),
 * that parent and what would show it; a parent named as none (a root `runuser` or `sudo`) is not said.
 */
function heldBy(facts: Facts, listeners: readonly ListenerFacts[]): string {
  const { processes, unseen, changed, unreadParents } = holdersOf(facts, listeners);
  const why = unreadParentText(unreadParents);
  const hidden = why === undefined ? unseenHolders(facts).holder : `${unseenHolders(facts).holder} (${why}: ${unseenHolders(facts).remedy})`;
  const held = [...processes.map(describeProcess), ...(unseen ? [hidden] : []), ...(changed ? [CHANGED_HOLDER] : [])].join('; ');
  return `listening on ${formatListeners(listeners).join(', ')}, held by ${held}`;
}
