// The NAT rules that send connections from outside to a loopback address: a
// `dnat` to 127.0.0.1 in a table with a nat chain on the prerouting hook. With
// route_localnet on (route-localnet.ts) such a rule makes a listener bound to
// 127.0.0.1 reachable from any host whose packets reach this one, not only
// from the link. `redirect` is not one: on prerouting it sends the packet to
// the primary address of the interface it came in on, never to loopback
// (only lo has a 127.x address; tried on a real kernel: refused by a listener
// on 127.0.0.1). Nor is `dnat ip6 to [::1]`: IPv6 has no route_localnet, and
// an IPv4 listener is not on ::1. Read exactly: a dnat to an address or a
// range of them, with a port, a range or none (the port is kept), and a map
// keyed by `tcp dport` whose values are such addresses or `address . port`;
// any other target (a map keyed by `ip saddr`, `numgen`, `jhash`...) is
// "cannot tell" where a packet reaches it, never narrowed to a guess.
//
// dnatWaysIn follows such a packet as the kernel does, with ruleset.ts's
// evaluator (the same walk, the same matches): every filter and nat base
// chain on prerouting in priority order (a nat chain's `dnat` ends it; once a
// NAT is set, later nat chains are not asked; a filter chain after it sees
// the translated packet), then the input hook for 127.0.0.1:PORT; asked for
// every source at once, for each port the DNAT rules take connections on and
// each interface route_localnet is on for (ports, and interfaces, that no
// rule in the ruleset tells apart are asked once), within one budget of rules
// for all of them.
import { type AddressSet, isEmpty } from './address-set.js';
import { addressBits } from './ip.js';
import {
  type Budget,
  type Chain,
  type Decision,
  evaluateBaseChain,
  evaluateSources,
  interfaceMatches,
  isDormant,
  namedSet,
  type NatTarget,
  type Outcome,
  record,
  type Ruleset,
} from './ruleset.js';

/** A rule that DNATs connections to a loopback listener: `to` is `127.0.0.1:6379`, or undefined when it cannot read where (it may be this listener). */
export interface LoopbackDnat {
  readonly at: Decision;
  readonly to?: string;
  /** The ports it takes connections on that may be sent to the listener; or why they cannot be told. */
  readonly from: readonly number[] | { readonly why: string };
}

/** Ports one DNAT rule may take connections on that are followed one by one; beyond, unknown. */
export const MAX_DNAT_PORTS = 256;

/** Ports times interfaces asked about for one listener; beyond, unknown rather than a long run. */
export const MAX_DNAT_QUESTIONS = 1024;

/**
 * Rules the whole DNAT evaluation of one listener may visit, over every port and interface it asks about (a rule
 * asked about many separate source ranges counts once more per DNAT_RANGES_PER_RULE of them: cutting them is what
 * makes a rule slow); beyond, unknown. Measured on a 2-core machine: half a second at worst, a tenth for 5,000 rules asked once.
 */
export const MAX_DNAT_RULES = 50_000;

/** Separate source ranges that cost as much as one more rule. */
export const DNAT_RANGES_PER_RULE = 128;

/** Where a dnat statement may send a connection: an address or a range of them (`low`..`high`), and a port, a range of them, or none (it keeps its own). */
interface Destination {
  readonly family: 4 | 6;
  readonly low: bigint;
  readonly high: bigint;
  readonly port?: number | readonly [number, number];
}

/** Ports as inclusive ranges. */
type PortRanges = readonly (readonly [number, number])[];

/**
 * A dnat statement as far as it is read: one destination (`dnat to 127.0.0.1:6379`, an address or port range); a
 * map keyed by the port the connection came to (`dnat ip to tcp dport map { 16379 : 127.0.0.1 . 6379 }`, inline or
 * named), whose first key holding that port decides; or why not (a map keyed by `ip saddr`, `numgen`, `jhash`...),
 * with the destinations it may send to when they can be read.
 */
type DnatReading =
  | { readonly kind: 'fixed'; readonly to: Destination }
  | { readonly kind: 'by-port'; readonly entries: readonly { readonly ports: PortRanges; readonly to: Destination }[] }
  | { readonly kind: 'unread'; readonly why: string; readonly destinations?: readonly Destination[] };

function readDnat(ruleset: Ruleset, chain: Chain, dnat: Record<string, unknown>): DnatReading {
  const port = readPort(dnat.port);
  if (port === null) return { kind: 'unread', why: 'a DNAT to a port it cannot read' };
  const withPort = (to: Omit<Destination, 'port'>): Destination => ({ ...to, ...(port !== undefined && { port }) });
  const fixed = readAddresses(dnat.addr);
  if (fixed) return { kind: 'fixed', to: withPort(fixed) };
  const map = record(record(dnat.addr)?.map);
  if (!map) return { kind: 'unread', why: 'a DNAT whose target it cannot read' };
  const pairs = mapPairs(ruleset, chain, map.data);
  const destinations = pairs?.map(([, value]) => readValue(value, withPort));
  const read = destinations?.every((to) => to !== undefined) ? (destinations as Destination[]) : undefined;
  if (isPortField(map.key) && pairs && read) {
    const entries = pairs.map(([key], index) => ({ ports: portRanges(ruleset, chain, key), to: read[index]! }));
    if (entries.every((entry) => entry.ports !== undefined)) return { kind: 'by-port', entries: entries as { ports: PortRanges; to: Destination }[] };
  }
  const payload = record(record(map.key)?.payload);
  const keyedBy = payload ? `${String(payload.protocol)} ${String(payload.field)}` : (Object.keys(record(map.key) ?? {})[0] ?? 'something');
  const why = isPortField(map.key) ? 'a DNAT through a map it cannot read' : `a DNAT through a map keyed by ${keyedBy}`;
  return { kind: 'unread', why, ...(read && { destinations: read }) };
}

/** A dnat statement's port: none (undefined), a port, a range; null when it cannot read it. */
function readPort(port: unknown): Destination['port'] | null {
  if (port === undefined || typeof port === 'number') return port;
  const range = record(port)?.range;
  return Array.isArray(range) && typeof range[0] === 'number' && typeof range[1] === 'number' ? [range[0], range[1]] : null;
}

/** An address or a range of them, as nft prints a dnat's (or a map value's) address. */
function readAddresses(value: unknown): Omit<Destination, 'port'> | undefined {
  const range = record(value)?.range;
  const [low, high] = Array.isArray(range) ? range.map((end) => (typeof end === 'string' ? addressBits(end) : undefined)) : [];
  if (low && high && low.family === high.family) return { family: low.family, low: low.value, high: high.value };
  const bits = typeof value === 'string' ? addressBits(value) : undefined;
  return bits && { family: bits.family, low: bits.value, high: bits.value };
}

/** A map value: an address (the statement's port, if any), or `address . port`. */
function readValue(value: unknown, withPort: (to: Omit<Destination, 'port'>) => Destination): Destination | undefined {
  const concat = record(value)?.concat;
  if (!Array.isArray(concat)) {
    const to = readAddresses(value);
    return to && withPort(to);
  }
  const to = concat.length === 2 ? readAddresses(concat[0]) : undefined;
  const port = readPort(concat[1]);
  return to && port !== null && port !== undefined ? { ...to, port } : undefined;
}

/** The [key, value] pairs of an inline map or a named one (`@name`); undefined when it cannot read them. */
function mapPairs(ruleset: Ruleset, chain: Chain, data: unknown): readonly (readonly [unknown, unknown])[] | undefined {
  const elements = typeof data === 'string' && data.startsWith('@') ? namedSet(ruleset, chain.family, chain.table, data.slice(1)) : record(data)?.set;
  if (!Array.isArray(elements) || !elements.every((pair) => Array.isArray(pair) && pair.length === 2)) return undefined;
  return elements as (readonly [unknown, unknown])[];
}

/** Whether an expression is the port a TCP connection came to (`tcp dport`, `th dport`). */
function isPortField(expression: unknown): boolean {
  const payload = record(record(expression)?.payload);
  return (payload?.protocol === 'tcp' || payload?.protocol === 'th') && payload.field === 'dport';
}

/** The ports a value holds (a port, a range, a set, a named set); undefined when it cannot read them. */
function portRanges(ruleset: Ruleset, chain: Chain, value: unknown): PortRanges | undefined {
  if (typeof value === 'number') return [[value, value]];
  if (Array.isArray(value)) {
    const all = value.map((item) => portRanges(ruleset, chain, item));
    return all.every((ranges) => ranges !== undefined) ? all.flat() : undefined;
  }
  if (typeof value === 'string' && value.startsWith('@')) {
    const elements = namedSet(ruleset, chain.family, chain.table, value.slice(1));
    return elements && portRanges(ruleset, chain, elements);
  }
  const object = record(value);
  if (Array.isArray(object?.set)) return portRanges(ruleset, chain, object.set);
  if (record(object?.elem)) return portRanges(ruleset, chain, record(object!.elem)!.val);
  const range = object?.range;
  return Array.isArray(range) && typeof range[0] === 'number' && typeof range[1] === 'number' ? [[range[0], range[1]]] : undefined;
}

const holds = (ranges: PortRanges, port: number) => ranges.some(([low, high]) => low <= port && port <= high);

/** The listener a destination sends a connection that came to port `from` (any port, when undefined) to, when it is `port` on one of `addresses`; else false. An address or port range that holds it counts: the kernel picks one per connection. IPv6 (`dnat ip6 to [::1]`) never reaches an IPv4 listener. */
function destinationReaches(to: Destination, addresses: readonly string[], port: number, from?: number): string | false {
  if (to.family !== 4) return false;
  const listener = addresses.find((address) => {
    const bits = addressBits(address);
    return bits?.family === 4 && to.low <= bits.value && bits.value <= to.high;
  });
  if (listener === undefined) return false;
  // No port: the connection keeps its own, which may be this one.
  if (to.port === undefined) return from === undefined || from === port ? listener : false;
  if (typeof to.port === 'number') return to.port === port ? listener : false;
  return to.port[0] <= port && port <= to.port[1] ? listener : false;
}

/** The listener a dnat statement may send some connection to `port` to; false when none; undefined when it cannot tell. */
function reachesAny(reading: DnatReading, addresses: readonly string[], port: number): string | false | undefined {
  if (reading.kind === 'fixed') return destinationReaches(reading.to, addresses, port);
  if (reading.kind === 'by-port') {
    for (const { ports, to } of reading.entries) {
      // An entry without a port keeps the connection's own: only a connection to this port.
      const listener = to.port === undefined && !holds(ports, port) ? false : destinationReaches(to, addresses, port);
      if (listener !== false) return listener;
    }
    return false;
  }
  // Destinations that can all be read and none this listener: the statement never sends to it.
  return reading.destinations?.every((to) => destinationReaches(to, addresses, port) === false) ? false : undefined;
}

/** Whether a connection keeps its port through the statement (a DNAT without one, and a map without one in its values). */
function keepsPort(reading: DnatReading): boolean {
  if (reading.kind === 'fixed') return reading.to.port === undefined;
  return reading.kind === 'unread' && reading.destinations !== undefined && reading.destinations.every((to) => to.port === undefined);
}

/**
 * The DNAT rules that may send connections to `port` on one of `addresses`
 * (IPv4 loopback addresses a service listens on). Every chain of a table
 * that has a nat chain on prerouting counts but base chains on other hooks
 * (output's DNAT is for this host's own connections); whether a packet
 * reaches one is dnatWaysIn's answer.
 */
export function loopbackDnats(ruleset: Ruleset, addresses: readonly string[], port: number): LoopbackDnat[] {
  const chains = [...ruleset.chains.values()].filter((chain) => chain.family === 'ip' || chain.family === 'inet');
  const natTables = new Set(
    chains
      .filter((chain) => chain.type === 'nat' && chain.hook === 'prerouting' && !isDormant(ruleset, chain.family, chain.table))
      .map((chain) => `${chain.family} ${chain.table}`),
  );
  const found: LoopbackDnat[] = [];
  for (const chain of chains) {
    if (!natTables.has(`${chain.family} ${chain.table}`) || (chain.hook !== undefined && chain.hook !== 'prerouting')) continue;
    for (const rule of chain.rules) {
      const at: Decision = { family: chain.family, table: chain.table, chain: chain.name, ...(rule.handle !== undefined && { handle: rule.handle }) };
      for (const statement of rule.expr) {
        const dnat = record(record(statement)?.dnat);
        const xt = record(record(statement)?.xt);
        if (xt && xt.type === 'target' && xt.name === 'DNAT') found.push({ at, from: originalPorts(ruleset, chain, rule.expr, undefined, addresses, port) });
        else if (dnat && dnat.family !== 'ip6') {
          const reading = readDnat(ruleset, chain, dnat);
          const target = reachesAny(reading, addresses, port);
          if (target === false) continue;
          found.push({
            at,
            ...(target !== undefined && { to: `${target}:${port}` }),
            from: originalPorts(ruleset, chain, rule.expr, reading, addresses, port),
          });
        }
      }
    }
  }
  return found;
}

/** Where a nat chain's `dnat` or `redirect` sends a connection that came to port `from`, for the walk. */
function natTarget(ruleset: Ruleset, addresses: readonly string[], port: number, from: number): NatTarget {
  const readings = new WeakMap<object, DnatReading>();
  return (statement, body, chain) => {
    // To the incoming interface's primary address: never 127.x, which only lo has.
    if (statement === 'redirect') return {};
    const dnat = record(body);
    if (!dnat) return { why: 'a dnat statement it cannot read' };
    // In an inet table, the kernel passes over it for an IPv4 packet.
    if (dnat.family === 'ip6') return { skip: 'statement' };
    let reading = readings.get(dnat);
    if (!reading) readings.set(dnat, (reading = readDnat(ruleset, chain, dnat)));
    if (reading.kind === 'unread') return { why: reading.why };
    const to = reading.kind === 'fixed' ? reading.to : reading.entries.find((entry) => holds(entry.ports, from))?.to;
    // No key holds the port: the map lookup fails, and the kernel goes on with the next rule.
    if (!to) return { skip: 'rule' };
    const listener = destinationReaches(to, addresses, port, from);
    return listener === false ? {} : { to: listener };
  };
}

/** The ports a DNAT rule takes connections on that it may send to `port`: the listener's own when it keeps the port; a port map's keys that send to it; else those its `tcp dport` match names. */
function originalPorts(
  ruleset: Ruleset,
  chain: Chain,
  expr: readonly unknown[],
  reading: DnatReading | undefined,
  addresses: readonly string[],
  port: number,
): LoopbackDnat['from'] {
  if (reading && keepsPort(reading)) return [port];
  const ports = new Set<number>();
  const add = (ranges: PortRanges): boolean => {
    for (const [low, high] of ranges) {
      if (high - low >= MAX_DNAT_PORTS) return false;
      for (let each = low; each <= high; each++) ports.add(each);
    }
    return ports.size <= MAX_DNAT_PORTS;
  };
  const tooMany = { why: `a DNAT from ports it does not follow (more than ${MAX_DNAT_PORTS}, or a value it cannot read)` };
  if (reading?.kind === 'by-port') {
    for (const { ports: keys, to } of reading.entries) {
      // An entry without a port keeps the connection's own: only this port, if it is a key.
      const sent: PortRanges = to.port === undefined ? (holds(keys, port) ? [[port, port]] : []) : keys;
      if (destinationReaches(to, addresses, port, to.port === undefined ? port : undefined) !== false && !add(sent)) return tooMany;
    }
    return [...ports].sort((a, b) => a - b);
  }
  const match = expr
    .map((statement) => record(record(statement)?.match))
    .find((match) => (match?.op === '==' || match?.op === 'in') && isPortField(match.left));
  if (!match) return { why: 'a DNAT from ports it does not follow (no tcp dport match it reads)' };
  const ranges = portRanges(ruleset, chain, match.right);
  if (!ranges || !add(ranges)) return tooMany;
  return [...ports].sort((a, b) => a - b);
}

/** What becomes of a connection from some of the sources that matters: let in to the listener through a DNAT rule, or cannot tell (the rest are kept out: dropped, or sent elsewhere). */
export type DnatOutcome =
  | { readonly verdict: 'in'; readonly by: Decision; readonly to: string; readonly input: readonly Decision[] }
  | { readonly verdict: 'unknown'; readonly at?: Decision; readonly why: string };

export interface DnatAnswer {
  readonly sources: AddressSet;
  /** The ports the connection was sent to, before DNAT, that get this answer (ascending); undefined: any of them. */
  readonly ports?: readonly number[];
  /** The interfaces it came in on that get this answer; undefined: some interface. */
  readonly interfaces?: readonly string[];
  readonly outcome: DnatOutcome;
}

export interface DnatQuestion {
  /** The listener's IPv4 loopback addresses. */
  readonly addresses: readonly string[];
  readonly port: number;
  /** The sources asked about (those the service's access forbids). */
  readonly sources: AddressSet;
  /** The interfaces route_localnet is on for; `undefined` in the list: some interface, not told apart. */
  readonly interfaces: readonly (string | undefined)[];
}

/**
 * How connections from `sources` that come in on one of `interfaces` reach
 * the listener through DNAT rules: for the ports such a rule takes
 * connections on, the answers by ranges of sources that are let in or that
 * it cannot tell for (the rest are out). Ports that no rule tells apart, and
 * interfaces likewise, are asked once; all the questions share one budget of
 * MAX_DNAT_RULES rules, past which the answer is unknown (but for the ways in
 * already found).
 */
export function dnatWaysIn(ruleset: Ruleset, question: DnatQuestion): { readonly dnats: readonly LoopbackDnat[]; readonly answers: readonly DnatAnswer[] } {
  const dnats = loopbackDnats(ruleset, question.addresses, question.port);
  const answers: DnatAnswer[] = [];
  if (dnats.length === 0 || isEmpty(question.sources)) return { dnats, answers };
  const ports = new Set<number>();
  for (const dnat of dnats) {
    if (Array.isArray(dnat.from)) for (const port of dnat.from) ports.add(port);
    else answers.push({ sources: question.sources, outcome: { verdict: 'unknown', at: dnat.at, why: (dnat.from as { why: string }).why } });
  }
  const portSets = portGroups(
    ruleset,
    [...ports].sort((a, b) => a - b),
    question.port,
  );
  const interfaceSets = interfaceGroups(ruleset, question.interfaces);
  const questions = portSets.length * interfaceSets.length;
  if (questions > MAX_DNAT_QUESTIONS) {
    const why = `more than ${MAX_DNAT_QUESTIONS} ports and interfaces to follow through DNAT rules`;
    return { dnats, answers: [{ sources: question.sources, outcome: { verdict: 'unknown', why } }] };
  }
  const asked = interfaceSets.length > 1 ? 'ports and interfaces' : 'ports';
  const budget: Budget = {
    left: MAX_DNAT_RULES,
    why: `the prerouting ruleset is too large to evaluate for every port: ${rulesSeen(ruleset)} rules × ${questions} ${asked} (more than ${MAX_DNAT_RULES} rules in all)`,
    rangesPerRule: DNAT_RANGES_PER_RULE,
  };
  for (const group of portSets) {
    for (const names of interfaceSets) {
      for (const answer of throughPrerouting(ruleset, question, group[0]!, names?.[0], budget))
        answers.push({ ...answer, ports: group, ...(names && { interfaces: names }) });
      if (budget.left < 0) {
        // Spent: what is found let in stands; the rest is unknown, for that reason alone.
        const found = answers.filter((answer) => answer.outcome.verdict === 'in');
        return { dnats, answers: [...found, { sources: question.sources, outcome: { verdict: 'unknown', why: budget.why } }] };
      }
    }
  }
  return { dnats, answers };
}

/** The index of the first of `sorted` (ascending) that is at least `value`; its length when none is. */
function firstAtLeast(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The rules of the chains a packet from outside may meet (IPv4: tables of family ip and inet). */
function rulesSeen(ruleset: Ruleset): number {
  let count = 0;
  for (const chain of ruleset.chains.values()) if (chain.family === 'ip' || chain.family === 'inet') count += chain.rules.length;
  return count;
}

/** The prerouting base chains that see an IPv4 packet, in the order the kernel runs them. */
function preroutingChains(ruleset: Ruleset): Chain[] {
  return [...ruleset.chains.values()]
    .filter((chain) => chain.hook === 'prerouting' && (chain.type === 'filter' || chain.type === 'nat') && (chain.family === 'ip' || chain.family === 'inet'))
    .sort((a, b) => a.prio - b.prio);
}

/** One packet to port `from` on interface `name`, for every source: through prerouting, then the input hook; the sources let in and those it cannot tell for. */
function throughPrerouting(
  ruleset: Ruleset,
  question: DnatQuestion,
  from: number,
  name: string | undefined,
  budget: Budget,
): { sources: AddressSet; outcome: DnatOutcome }[] {
  const answers: { sources: AddressSet; outcome: DnatOutcome }[] = [];
  const on = name === undefined ? {} : { interface: name };
  const target = natTarget(ruleset, question.addresses, question.port, from);
  let going: { sources: AddressSet; mapped?: { by: Decision; to: string } }[] = [{ sources: question.sources }];
  for (const chain of preroutingChains(ruleset)) {
    const next: typeof going = [];
    for (const piece of going) {
      // Once its NAT is set, a packet meets no other nat chain.
      if (piece.mapped && chain.type === 'nat') {
        next.push(piece);
        continue;
      }
      const outcomes = piece.mapped
        ? evaluateBaseChain(ruleset, chain, { family: 4, port: question.port, destination: piece.mapped.to, sources: piece.sources, ...on }, undefined, budget)
        : evaluateBaseChain(ruleset, chain, { family: 4, port: from, sources: piece.sources, ...on }, target, budget);
      if (!outcomes) {
        next.push(piece);
        continue;
      }
      for (const { sources, outcome } of outcomes) {
        if (outcome.verdict === 'accept') next.push({ ...piece, sources });
        else if (outcome.verdict === 'mapped' && outcome.to !== undefined) next.push({ sources, mapped: { by: outcome.by, to: outcome.to } });
        else if (outcome.verdict === 'unknown') answers.push({ sources, outcome: unknownOf(outcome) });
        // Dropped, or sent elsewhere: out.
      }
    }
    going = next;
  }
  for (const piece of going) {
    // No NAT to the listener: the packet goes where it was sent.
    if (!piece.mapped) continue;
    const { by, to } = piece.mapped;
    // NATed, so tracked: a notrack would have left it unNATed (the nat walk cannot tell then).
    const probe = { family: 4, port: question.port, destination: to, sources: piece.sources, ...on, tracked: true } as const;
    for (const { sources, outcome } of evaluateSources(ruleset, probe, budget)) {
      if (outcome.verdict === 'accept') answers.push({ sources, outcome: { verdict: 'in', by, to: `${to}:${question.port}`, input: outcome.by } });
      else if (outcome.verdict === 'unknown') answers.push({ sources, outcome: unknownOf(outcome) });
    }
  }
  return answers;
}

function unknownOf(outcome: Extract<Outcome, { verdict: 'unknown' }>): DnatOutcome {
  return { verdict: 'unknown', ...(outcome.at && { at: outcome.at }), why: outcome.why };
}

/**
 * The ports in groups that every rule answers alike for, so that one of each
 * is asked: a DNAT of 256 ports that no rule before it tells apart costs one
 * walk, not 256. What tells ports apart: every `tcp dport` / `th dport` match
 * (its value, a set, a named set), each key of a map or verdict map on it
 * (a DNAT's port map included), and whether a port is the listener's (a DNAT
 * that keeps the port reaches it from there alone). A value it cannot read:
 * every port asked on its own.
 */
function portGroups(ruleset: Ruleset, ports: readonly number[], listenerPort: number): (readonly number[])[] {
  const patterns: (PortRanges | undefined)[] = [[[listenerPort, listenerPort]]];
  const scan = (value: unknown, chain: Chain): void => {
    if (Array.isArray(value)) {
      for (const item of value) scan(item, chain);
      return;
    }
    const object = record(value);
    if (!object) return;
    if (isPortField(object.left)) patterns.push(portRanges(ruleset, chain, object.right));
    if (isPortField(object.key)) {
      const pairs = mapPairs(ruleset, chain, object.data);
      if (pairs) for (const [key] of pairs) patterns.push(portRanges(ruleset, chain, key));
      else patterns.push(undefined);
    }
    for (const item of Object.values(object)) scan(item, chain);
  };
  for (const chain of ruleset.chains.values()) if (chain.family === 'ip' || chain.family === 'inet') for (const rule of chain.rules) scan(rule.expr, chain);
  if (patterns.includes(undefined)) return ports.map((port) => [port]);
  // Each port's signature: the patterns that hold it (ports ascending, so a range's ports are found by bisection).
  const signatures = ports.map(() => [] as number[]);
  for (const [index, ranges] of patterns.entries()) {
    for (const [low, high] of ranges!) {
      for (let at = firstAtLeast(ports, low); at < ports.length && ports[at]! <= high; at++) signatures[at]!.push(index);
    }
  }
  const bySignature = new Map<string, number[]>();
  for (const [at, port] of ports.entries()) {
    const signature = signatures[at]!.join(',');
    const group = bySignature.get(signature);
    if (group) group.push(port);
    else bySignature.set(signature, [port]);
  }
  return [...bySignature.values()];
}

/**
 * The interfaces in groups that every iif/iifname match in the ruleset
 * answers alike for, so that one of each is asked: a host with route_localnet
 * on `all` and a hundred container interfaces asks once for those no rule
 * names.
 */
function interfaceGroups(ruleset: Ruleset, interfaces: readonly (string | undefined)[]): (readonly string[] | undefined)[] {
  const names = interfaces.filter((name): name is string => name !== undefined);
  // Some interface, not told apart: asked once, without a name.
  const groups: (readonly string[] | undefined)[] = interfaces.includes(undefined) ? [undefined] : [];
  if (names.length === 0) return groups;
  const patterns = interfacePatterns(ruleset);
  const byPatterns = new Map<string, string[]>();
  for (const name of names) {
    const signature = patterns.map((pattern) => (interfaceMatches(pattern, name) ? '1' : '0')).join('');
    byPatterns.set(signature, [...(byPatterns.get(signature) ?? []), name]);
  }
  return [...groups, ...byPatterns.values()];
}

/** Every string the ruleset compares an interface name with (iif/iifname matches and verdict maps, their sets): more than the patterns is harmless. */
function interfacePatterns(ruleset: Ruleset): string[] {
  const found = new Set<string>();
  const collect = (value: unknown, chain: Chain): void => {
    if (typeof value === 'string') {
      if (value.startsWith('@')) {
        const elements = namedSet(ruleset, chain.family, chain.table, value.slice(1));
        if (elements) collect(elements, chain);
      } else found.add(value);
    } else if (Array.isArray(value)) for (const item of value) collect(item, chain);
    else if (record(value)) for (const item of Object.values(record(value)!)) collect(item, chain);
  };
  const onInterface = (left: unknown) => {
    const key = record(record(left)?.meta)?.key;
    return key === 'iif' || key === 'iifname';
  };
  for (const chain of ruleset.chains.values()) {
    for (const rule of chain.rules) {
      for (const statement of rule.expr) {
        const match = record(record(statement)?.match);
        const vmap = record(record(statement)?.vmap);
        if (match && onInterface(match.left)) collect(match.right, chain);
        if (vmap && onInterface(vmap.key)) collect(vmap.data, chain);
      }
    }
  }
  return [...found];
}
