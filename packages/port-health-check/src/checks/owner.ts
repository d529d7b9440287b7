// Check 5, owner: the processes holding the service's port are the ones the
// registry expects (its `processes` globs). Anything else is an intruder,
// named with PID, user and command line: the seed's conflict detection (e.g.
// Vite on Grafana's port). Holders this user cannot see make the check
// unknown, never a false "wrong owner".
import type { Service } from '@dsa110/ports';
import { effectivePort } from '../effective-port.js';
import { serviceResult } from './service-result.js';
import { describeProcess, processMatches } from '../process-match.js';
import type { CheckResult, Facts } from '../types.js';
import { holdersOf, listenersOn, unseenHolders } from './listeners.js';

export function checkOwner(facts: Facts, service: Service): CheckResult[] {
  if (facts.sockets.problem || service.transport !== 'tcp') return [];
  const { port } = effectivePort(facts, service);
  const listeners = listenersOn(facts, port);
  if (listeners.length === 0) return [];
  const { processes, unseen } = holdersOf(listeners);
  const result = serviceResult('owner', service, port, { processes });
  const expected = service.processes.join(', ');
  const intruders = processes.filter((process) => !processMatches(process, service.processes));
  if (intruders.length > 0) {
    return [result('error', `port ${port} is held by ${intruders.map(describeProcess).join('; ')}, not by ${service.name} (expected ${expected})`)];
  }
  if (unseen) {
    const seen = processes.length > 0 ? ` (seen: ${processes.map(describeProcess).join('; ')})` : '';
    return [
      result('unknown', `cannot see every process holding port ${port}: their open files (/proc/PID/fd) are unreadable; ${unseenHolders(facts).remedy}${seen}`),
    ];
  }
  return [result('ok', `held by ${processes.map(describeProcess).join('; ')}`)];
}
