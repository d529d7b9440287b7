// Check 7, reserved: listeners inside the registry's reserved ranges, with
// their owners. Info when the owner is (or may be) the service the range is
// kept for; a warning when it is someone else; unknown when the owner cannot
// be seen and the range is kept for particular services. The owner's worker
// (workers.ts: it shares the owner's socket, or descends from the owner
// within its unit) is the owner's, whatever its name; a holder under an
// unreadable parent named as the owner may be its worker (unknown), as the
// owner check says of a service's port.
import { formatRange, type ReservedRange } from '@dsa110/ports';
import { formatListeners } from '../address.js';
import { describeProcess, processMatches } from '../process-match.js';
import type { CheckResult, Facts, ProcessFacts } from '../types.js';
import { CHANGED_HOLDER, holdersOf, unreadParentText, unseenHolders } from './listeners.js';
import { descentOf, workersOf } from './workers.js';

export function checkReserved(facts: Facts): CheckResult[] {
  if (facts.sockets.problem) return [];
  return facts.registry.reserved.flatMap((range) => checkRange(facts, range));
}

function checkRange(facts: Facts, range: ReservedRange): CheckResult[] {
  const name = `reserved "${range.id}" (${formatRange(range)}: ${range.purpose})`;
  const inside = facts.sockets.listeners.filter((listener) => listener.port >= range.start && listener.port <= range.end);
  if (inside.length === 0) return [{ check: 'reserved', severity: 'ok', reason: `${name}: nothing listening` }];
  const ports = [...new Set(inside.map((listener) => listener.port))].sort((a, b) => a - b);
  const owners = range.for.filter((id) => facts.registry.has(id)).map((id) => facts.registry.service(id));
  const globs = owners.flatMap((service) => service.processes);
  return ports.map((port): CheckResult => {
    const listeners = inside.filter((listener) => listener.port === port);
    const { processes, unseen, changed, unreadParents } = holdersOf(facts, listeners);
    const unseenWords = unseenHolders(facts);
    const held = processes.length > 0 ? processes.map(describeProcess).join('; ') : unseen || !changed ? unseenWords.holder : CHANGED_HOLDER;
    const base = `port ${port} in ${name} is in use on ${formatListeners(listeners).join(', ')}, held by ${held}`;
    const result = (severity: CheckResult['severity'], reason: string): CheckResult => ({ check: 'reserved', severity, port, reason, processes });
    if (owners.length === 0) return result('info', base);
    const forWhom = owners.map((service) => service.id).join(', ');
    const named = (process: ProcessFacts) => processMatches(process, globs);
    const workers = workersOf(listeners, named, descentOf(facts, owners));
    // A holder under an unreadable parent named as a service the range is kept for (holdersOf) may be its worker, as
    // the owner check judges it: not someone else for sure.
    const intruders = processes.filter((process) => !named(process) && !workers.has(process.pid) && !unreadParents.has(process.pid));
    if (intruders.length > 0) return result('warning', `${base}; the range is kept for ${forWhom} (expected ${globs.join(', ')})`);
    if (unseen) {
      const why = unreadParentText(unreadParents);
      return result('unknown', `${base}; cannot tell whether it is ${forWhom}${why === undefined ? '' : `: ${why}`} (${unseenWords.remedy})`);
    }
    return result('info', `${base} (kept for ${forWhom})`);
  });
}
