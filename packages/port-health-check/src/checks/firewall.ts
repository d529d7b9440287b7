// Check 6b, firewall: a robust service that is not public, listening on a
// non-loopback address, must not be reachable from outside through the live
// nftables ruleset. For each address family it listens on, the evaluator
// asks whether a new TCP connection from a public address on a non-loopback
// interface gets through the input hook. A listener on loopback only is not
// exposed whatever the firewall says. The ruleset unreadable (not root, no
// nft) or a rule it cannot evaluate: unknown, never an error.
import type { Service } from '@dsa110/ports';
import { formatListener, isLoopback } from '../address.js';
import { effectivePort } from '../effective-port.js';
import { describeDecision, evaluateInput, OUTSIDE_SOURCE, type Outcome } from '../firewall/ruleset.js';
import { serviceResult } from './service-result.js';
import type { CheckResult, Facts, ListenerFacts } from '../types.js';
import { listenersOn } from './listeners.js';

/** The services this check looks at: robust, TCP, and not public. */
export function needsFirewall(service: Service): boolean {
  return service.robust && service.access !== 'public' && service.transport === 'tcp';
}

export const FIREWALL_FIX = 'ports firewall --format nft > dsa110-ports.nft && nft -f dsa110-ports.nft';

/** The listeners of a service that needs the firewall check that are bound beyond loopback. */
export function exposedListeners(facts: Pick<Facts, 'registry' | 'units' | 'sockets'>, service: Service): ListenerFacts[] {
  if (facts.sockets.problem || !needsFirewall(service)) return [];
  return listenersOn(facts, effectivePort(facts, service).port).filter((listener) => !isLoopback(listener.address));
}

/** The address families outside traffic can reach the listener by. */
function families(listener: ListenerFacts): (4 | 6)[] {
  if (listener.family === 4 || /^::ffff:/i.test(listener.address)) return [4];
  return listener.address === '::' && listener.dualStack ? [4, 6] : [6];
}

export function checkFirewall(facts: Facts, service: Service): CheckResult[] {
  if (!facts.firewall || facts.sockets.problem || !needsFirewall(service)) return [];
  const { port } = effectivePort(facts, service);
  const listeners = listenersOn(facts, port);
  if (listeners.length === 0) return [];
  const result = serviceResult('firewall', service, port);
  const exposed = exposedListeners(facts, service);
  if (exposed.length === 0) return [result('ok', 'bound to loopback only: not reachable from outside whatever the firewall says')];
  const where = exposed.map((listener) => formatListener(listener)).join(', ');
  if ('unread' in facts.firewall) return [result('unknown', `listens on ${where}, but the ruleset was not read`)];
  if ('problem' in facts.firewall) {
    return [result('unknown', `cannot read the ruleset (${facts.firewall.problem}); listens on ${where}, so only the firewall keeps it from outside`)];
  }
  const { ruleset } = facts.firewall;
  const wanted = [...new Set(exposed.flatMap(families))].sort();
  const outcomes = wanted.map((family) => ({ family, outcome: evaluateInput(ruleset, { family, port, source: OUTSIDE_SOURCE[family] }) }));
  const accepted = outcomes.filter(({ outcome }) => outcome.verdict === 'accept');
  if (accepted.length > 0) {
    const how = accepted.map(({ family, outcome }) => `IPv${family} from ${OUTSIDE_SOURCE[family]}: ${acceptedBy(outcome)}`).join('; ');
    return [
      result(
        'error',
        `listens on ${where} and the firewall lets outside connections in (${how}), but its access is ${service.access}; load the registry's rules (${FIREWALL_FIX}) or drop port ${port} from outside in your own rules`,
      ),
    ];
  }
  const unknown = outcomes.find(({ outcome }) => outcome.verdict === 'unknown');
  if (unknown && unknown.outcome.verdict === 'unknown') {
    const at = unknown.outcome.at ? `${describeDecision(unknown.outcome.at)} uses ${unknown.outcome.why}` : unknown.outcome.why;
    return [result('unknown', `cannot tell whether the firewall lets outside IPv${unknown.family} connections in to ${where}: ${at}`)];
  }
  const dropped = outcomes.map(({ family, outcome }) => `IPv${family}: ${outcome.verdict === 'drop' ? describeDecision(outcome.by) : '?'}`).join('; ');
  return [result('ok', `listens on ${where}; the firewall drops outside connections (${dropped})`)];
}

function acceptedBy(outcome: Outcome): string {
  if (outcome.verdict !== 'accept') return '?';
  if (outcome.by.length === 0) return 'no input chain filters it';
  return `accepted by ${outcome.by.map(describeDecision).join(' and ')}`;
}
