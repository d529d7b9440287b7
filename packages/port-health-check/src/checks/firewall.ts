// Check 6b, firewall: a robust service that is not public must not be
// reachable from the sources its access forbids (every other host for
// `localhost` and `dev`; every host outside the private networks for
// `private`) through the live nftables ruleset. Two ways in are asked about:
// a listener bound beyond loopback, for each address family it listens on;
// and a listener bound to 127.x while net.ipv4.conf.*.route_localnet is on
// (then the kernel delivers packets for 127.x that come in on that
// interface, and a DNAT rule to 127.0.0.1 brings them from anywhere: such a
// rule's conditions, the prerouting rules before it and the input hook are
// evaluated, so a DNAT that lets forbidden sources in is an error). The
// evaluator answers for every forbidden source at once: a rule that drops
// some sources (a bogon filter) never speaks for the others. The ruleset
// unreadable (not root, no nft) or a rule it cannot evaluate: unknown, never
// an error.
import type { AccessLevel, Service } from '@dsa110/ports';
import { normalizeAddress } from '@dsa110/ports/system';
import { formatListeners, isLoopback } from '../address.js';
import { effectivePort } from '../effective-port.js';
import { type AddressSet, describeSet, fromRanges, sameSet, union } from '../firewall/address-set.js';
import { addressBits } from '../firewall/ip.js';
import { type DnatAnswer, dnatWaysIn, type LoopbackDnat } from '../firewall/nat.js';
import { describeRouteLocalnet, localnetInterfaces } from '../firewall/route-localnet.js';
import { describeDecision, evaluateSources, type Outcome, type Ruleset, type SourcesOutcome } from '../firewall/ruleset.js';
import { forbiddenSources, forbiddenWords } from '../firewall/sources.js';
import { serviceResult } from './service-result.js';
import { SEVERITIES, type CheckResult, type Facts, type ListenerFacts, type Severity } from '../types.js';
import { listenersOn } from './listeners.js';
import { portsCommand } from '../ports-command.js';

/** The services this check looks at: robust, TCP, and not public. */
export function needsFirewall(service: Service): boolean {
  return service.robust && service.access !== 'public' && service.transport === 'tcp';
}

/** What loads the registry's rules: `ports firewall` for the registry checked, with the service's port override. */
function firewallFix(facts: Facts, service: Service): string {
  return `${portsCommand(facts, ['firewall', '--format', 'nft'], [service])} > dsa110-ports.nft && nft -f dsa110-ports.nft`;
}

type ListenerView = Pick<Facts, 'registry' | 'units' | 'sockets'>;

/** The listeners of a service that needs the firewall check that are bound beyond loopback. */
export function exposedListeners(facts: ListenerView, service: Service): ListenerFacts[] {
  if (facts.sockets.problem || !needsFirewall(service)) return [];
  return listenersOn(facts, effectivePort(facts, service).port).filter((listener) => !isLoopback(listener.address));
}

/** The listeners of a service that needs the firewall check that are bound to an IPv4 loopback address: other hosts reach them when route_localnet is on. */
export function localnetListeners(facts: ListenerView, service: Service): ListenerFacts[] {
  if (facts.sockets.problem || !needsFirewall(service)) return [];
  return listenersOn(facts, effectivePort(facts, service).port).filter(
    (listener) => isLoopback(listener.address) && addressBits(normalizeAddress(listener.address))?.family === 4,
  );
}

/** The address families outside traffic can reach the listener by. */
function families(listener: ListenerFacts): (4 | 6)[] {
  if (listener.family === 4 || /^::ffff:/i.test(listener.address)) return [4];
  return listener.address === '::' && listener.dualStack ? [4, 6] : [6];
}

type Verdict = readonly [Severity, string];

export function checkFirewall(facts: Facts, service: Service): CheckResult[] {
  if (!facts.firewall || facts.sockets.problem || !needsFirewall(service)) return [];
  const { port } = effectivePort(facts, service);
  if (listenersOn(facts, port).length === 0) return [];
  const result = serviceResult('firewall', service, port);
  const exposed = exposedListeners(facts, service);
  const verdicts: Verdict[] = [
    ...(exposed.length > 0 ? [beyondLoopback(facts, service, port, exposed)] : []),
    ...throughRouteLocalnet(facts, service, port, localnetListeners(facts, service)),
  ];
  if (verdicts.length === 0) return [result('ok', 'bound to loopback only: not reachable from outside whatever the firewall says')];
  const [severity, reason] = verdicts.reduce((worst, verdict) => (SEVERITIES.indexOf(verdict[0]) > SEVERITIES.indexOf(worst[0]) ? verdict : worst));
  return [result(severity, reason)];
}

/** Listeners on a wildcard or a specific non-loopback address: every forbidden source, per family it listens on. */
function beyondLoopback(facts: Facts, service: Service, port: number, exposed: readonly ListenerFacts[]): Verdict {
  const where = formatListeners(exposed).join(', ');
  const firewall = facts.firewall!;
  if ('unread' in firewall) return ['unknown', `listens on ${where}, but the ruleset was not read`];
  if ('problem' in firewall)
    return ['unknown', `cannot read the ruleset (${firewall.problem}); listens on ${where}, so only the firewall keeps it from outside`];
  const wanted = [...new Set(exposed.flatMap(families))].sort();
  const judged = judge(
    firewall.ruleset,
    service.access,
    wanted.map((family) => ({ family, port })),
  );
  if (judged.accepted) {
    // A port moved by the unit's Environment= is not in an operator's shell: `ports firewall` filters it only when told.
    const fix = firewallFix(facts, service);
    return [
      'error',
      `listens on ${where} and the firewall lets outside connections in (${judged.accepted}), but its access is ${service.access}; load the registry's rules (${fix}) or drop port ${port} from outside in your own rules`,
    ];
  }
  if (judged.unknown)
    return ['unknown', `cannot tell whether the firewall lets outside ${judged.unknown.family} connections in to ${where}: ${judged.unknown.why}`];
  return ['ok', `listens on ${where}; the firewall drops outside connections (${judged.dropped})`];
}

/** Listeners on 127.x: nothing when route_localnet is off everywhere; else the input hook's answer for packets to them from other hosts. */
function throughRouteLocalnet(facts: Facts, service: Service, port: number, listeners: readonly ListenerFacts[]): Verdict[] {
  const localnet = facts.routeLocalnet;
  if (listeners.length === 0 || !localnet) return [];
  const addresses = [...new Set(listeners.map((listener) => normalizeAddress(listener.address)))];
  const where = addresses.map((address) => `${address}:${port}`).join(', ');
  if ('problem' in localnet)
    return [['unknown', `listens on ${where}, but cannot tell whether route_localnet lets other hosts reach it (${localnet.problem})`]];
  if (localnet.on.length === 0) return [];
  const sysctl = `${describeRouteLocalnet(localnet.on)} is 1`;
  const firewall = facts.firewall!;
  const link = localnet.on.includes('all') ? 'any interface' : localnet.on.join(', ');
  if (!('ruleset' in firewall)) {
    const why = 'problem' in firewall ? `cannot read the ruleset (${firewall.problem})` : 'the ruleset was not read';
    return [['unknown', `listens on ${where}, but ${sysctl}: hosts on the link of ${link} reach it unless the firewall drops them, and ${why}`]];
  }
  const judged = judge(
    firewall.ruleset,
    service.access,
    addresses.map((destination) => ({ family: 4, port, destination })),
  );
  const forbidden = forbiddenSources(service.access, 4);
  const ways = dnatWaysIn(firewall.ruleset, { addresses, port, sources: forbidden, interfaces: localnetInterfaces(localnet) });
  const linkOnly = `hosts on the link of ${link} can send to it`;
  // The input hook drops them on every interface: no path through prerouting gets in either.
  if (!judged.accepted && !judged.unknown) {
    const via = `${linkOnly}${ways.dnats.length > 0 ? `, and any host through ${ways.dnats.map(describeDnat).join(', ')}` : ''}`;
    return [['ok', `bound to loopback only; ${sysctl} (${via}), but the firewall drops them (${judged.dropped})`]];
  }
  const letIn = describeWaysIn(ways.answers, forbidden, service.access);
  const unsure = ways.answers.find((answer) => answer.outcome.verdict === 'unknown');
  const dnatUnsure = unsure ? `; cannot tell whether ${dnatNames(ways.dnats, unsure)} brings other hosts to it: ${describeUnsure(unsure, forbidden)}` : '';
  const onLink = judged.accepted
    ? `${linkOnly}, and the firewall lets them in (${judged.accepted})`
    : `${linkOnly}; cannot tell whether the firewall lets them in: ${judged.unknown!.why}`;
  if (letIn) {
    return [
      [
        'error',
        `listens on ${where} only, but ${sysctl}: other hosts reach it through a DNAT rule, and the firewall lets them in (${letIn}), and ${linkOnly} straight${dnatUnsure}; remove that DNAT rule or limit it to the sources its access (${service.access}) allows, and set route_localnet to 0 or drop packets to 127.0.0.0/8 that do not come in on lo`,
      ],
    ];
  }
  if (judged.accepted)
    return [
      ['warning', `listens on ${where} only, but ${sysctl}: ${onLink}${dnatUnsure}; set it to 0, or drop packets to 127.0.0.0/8 that do not come in on lo`],
    ];
  return [
    ['unknown', `listens on ${where} only, but ${sysctl} (${linkOnly}); cannot tell whether the firewall lets them in: ${judged.unknown!.why}${dnatUnsure}`],
  ];
}

/** The connections DNAT rules let in, grouped by rule, input verdict and interfaces: `IPv4 from any other host on eth0 to port 16379: rule ip nat prerouting handle 2 (DNAT to 127.0.0.1:6379), accepted by ...`; empty when none. */
function describeWaysIn(answers: readonly DnatAnswer[], forbidden: AddressSet, access: AccessLevel): string {
  const groups = new Map<string, { sources: AddressSet; ports: Set<number>; head: string; tail: string }>();
  for (const { sources, ports, interfaces, outcome } of answers) {
    if (outcome.verdict !== 'in') continue;
    const on = interfaces ? ` on ${describeNames(interfaces)}` : '';
    const tail = `${describeDecision(outcome.by)} (DNAT to ${outcome.to}), ${decidedBy({ verdict: 'accept', by: outcome.input })}`;
    const key = `${on}\0${tail}`;
    const group = groups.get(key) ?? { sources, ports: new Set<number>(), head: on, tail };
    group.sources = union(group.sources, sources);
    for (const port of ports ?? []) group.ports.add(port);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map(({ sources, ports, head, tail }) => {
      const who = sameSet(sources, forbidden) ? forbiddenWords(access) : describeSet(sources);
      const to = ports.size > 0 ? ` to ${describePorts([...ports])}` : '';
      return `IPv4 from ${who}${head}${to}: ${tail}`;
    })
    .join('; ');
}

/** The DNAT rules an unsure answer may be about: those that take connections on its port (all of them when it has none). */
function dnatNames(dnats: readonly LoopbackDnat[], answer: DnatAnswer): string {
  const { ports } = answer;
  const about = dnats.filter((dnat) => ports === undefined || !Array.isArray(dnat.from) || dnat.from.some((port) => ports.includes(port)));
  return (about.length > 0 ? about : dnats).map(describeDnat).join(', ');
}

function describeUnsure({ sources, ports, interfaces, outcome }: DnatAnswer, forbidden: AddressSet): string {
  if (outcome.verdict !== 'unknown') return '';
  const uses = outcome.at ? `${describeDecision(outcome.at)} uses ${outcome.why}` : outcome.why;
  const which = [
    ...(sameSet(sources, forbidden) ? [] : [`sources ${describeSet(sources)}`]),
    ...(ports === undefined ? [] : [describePorts(ports)]),
    ...(interfaces ? [`on ${describeNames(interfaces)}`] : []),
  ];
  return which.length > 0 ? `${uses} (for ${which.join(', ')})` : uses;
}

/** `port 16379`, `ports 16379, 20000-20255`: ports in runs, ascending. */
function describePorts(ports: readonly number[]): string {
  const runs: [number, number][] = [];
  for (const port of [...ports].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last && port === last[1] + 1) last[1] = port;
    else runs.push([port, port]);
  }
  const text = runs.map(([first, last]) => (first === last ? String(first) : `${first}-${last}`)).join(', ');
  return `${ports.length === 1 ? 'port' : 'ports'} ${text}`;
}

/** `eth0, wg0`, or the first three and how many more. */
function describeNames(names: readonly string[]): string {
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
}

function describeDnat(dnat: LoopbackDnat): string {
  return `${describeDecision(dnat.at)} (${dnat.to === undefined ? 'a DNAT whose target it cannot read' : `DNAT to ${dnat.to}`})`;
}

interface Question {
  readonly family: 4 | 6;
  readonly port: number;
  readonly destination?: string;
}

/**
 * The input hook's answer for the sources `access` forbids, for each question
 * (a family, or a loopback destination): which of them it lets in and by what
 * rule; else what it cannot tell and why; else what drops them.
 */
function judge(ruleset: Ruleset, access: AccessLevel, questions: readonly Question[]) {
  const answered = questions.map((question) => {
    const forbidden = forbiddenSources(access, question.family);
    const answers = evaluateSources(ruleset, { ...question, sources: forbidden });
    const label = `IPv${question.family}${question.destination === undefined ? '' : ` to ${question.destination}`}`;
    return { label, forbidden, answers };
  });
  const accepted = answered.flatMap(({ label, forbidden, answers }) =>
    grouped(answers.filter(({ outcome }) => outcome.verdict === 'accept')).map(
      ({ how, sources }) => `${label} from ${sameSet(sources, forbidden) ? forbiddenWords(access) : describeSet(sources)}: ${how}`,
    ),
  );
  if (accepted.length > 0) return { accepted: accepted.join('; ') };
  for (const { label, forbidden, answers } of answered) {
    const unsure = answers.find(({ outcome }) => outcome.verdict === 'unknown');
    if (unsure?.outcome.verdict !== 'unknown') continue;
    const { at, why } = unsure.outcome;
    const some = sameSet(unsure.sources, forbidden) ? '' : ` (for sources ${describeSet(unsure.sources)})`;
    return { unknown: { family: label, why: `${at ? `${describeDecision(at)} uses ${why}` : why}${some}` } };
  }
  const dropped = answered.map(({ label, answers }) => {
    const groups = grouped(answers);
    if (groups.length === 1) return `${label}: ${groups[0]!.how}`;
    return `${label}: ${groups.map(({ how, sources }) => `${how} (${describeSet(sources)})`).join(', ')}`;
  });
  return { dropped: dropped.join('; ') };
}

/** Answers by the rule or policy that decided them, each with the sources it decided for, in the order met. */
function grouped(answers: readonly SourcesOutcome[]): { how: string; sources: AddressSet }[] {
  const groups = new Map<string, AddressSet[]>();
  for (const { sources, outcome } of answers) {
    const how = decidedBy(outcome);
    groups.set(how, [...(groups.get(how) ?? []), sources]);
  }
  return [...groups].map(([how, sets]) => ({
    how,
    sources: fromRanges(
      sets[0]!.family,
      sets.flatMap((set) => set.ranges),
    ),
  }));
}

function decidedBy(outcome: Outcome): string {
  if (outcome.verdict === 'unknown') return outcome.at ? describeDecision(outcome.at) : outcome.why;
  // An untracked packet is not `ct state new`: say which rule makes it so.
  const untracked = outcome.untracked ? `, the packet untracked by ${describeDecision(outcome.untracked)}` : '';
  if (outcome.verdict === 'drop') return `${describeDecision(outcome.by)}${untracked}`;
  if (outcome.by.length === 0) return `no input chain filters it${untracked}`;
  return `accepted by ${outcome.by.map(describeDecision).join(' and ')}${untracked}`;
}
