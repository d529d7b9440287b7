// The NAT rules that send connections from outside to a loopback address: a
// `dnat` to 127.0.0.1 in a table with a nat chain on the prerouting hook. With
// route_localnet on (route-localnet.ts) such a rule makes a listener bound to
// 127.0.0.1 reachable from any host whose packets reach this one, not only
// from the link. `redirect` is not one: on prerouting it sends the packet to
// the primary address of the interface it came in on, never to loopback
// (only lo has a 127.x address; tried on a real kernel: refused by a listener
// on 127.0.0.1).
//
// dnatWaysIn follows such a packet as the kernel does, with ruleset.ts's
// evaluator (the same walk, the same matches): every filter and nat base
// chain on prerouting in priority order (a nat chain's `dnat` ends it; once a
// NAT is set, later nat chains are not asked; a filter chain after it sees
// the translated packet), then the input hook for 127.0.0.1:PORT; asked for
// every source at once, for each port the DNAT rules take connections on and
// each interface route_localnet is on for (interfaces that no iif/iifname
// match in the ruleset tells apart are asked once).
import { type AddressSet, isEmpty } from './address-set.js';
import { addressBits } from './ip.js';
import {
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
        if (xt && xt.type === 'target' && xt.name === 'DNAT') found.push({ at, from: originalPorts(ruleset, chain, rule.expr, undefined, port) });
        else if (dnat && dnat.family !== 'ip6') {
          const target = reaches(dnat, addresses, port);
          if (target === false) continue;
          found.push({ at, ...(target !== undefined && { to: `${target}:${port}` }), from: originalPorts(ruleset, chain, rule.expr, dnat, port) });
        }
      }
    }
  }
  return found;
}

/** The listener a dnat statement sends a connection to `port` to (`127.0.0.1`); false when none; undefined when it cannot tell. `from` is the port the connection came to, when known (a DNAT without a port keeps it). */
function reaches(dnat: Record<string, unknown>, addresses: readonly string[], port: number, from?: number): string | false | undefined {
  if (typeof dnat.addr !== 'string') return undefined;
  const bits = addressBits(dnat.addr);
  if (!bits) return undefined;
  if (bits.family !== 4) return false;
  const listener = addresses.find((address) => addressBits(address)?.value === bits.value);
  if (listener === undefined) return false;
  // No port: the connection keeps its own, which may be this one.
  if (dnat.port === undefined) return from === undefined || from === port ? listener : false;
  if (dnat.port === port) return listener;
  if (typeof dnat.port === 'number') return false;
  const range = record(dnat.port)?.range;
  if (Array.isArray(range) && typeof range[0] === 'number' && typeof range[1] === 'number') return range[0] <= port && port <= range[1] ? listener : false;
  return undefined;
}

/** Where a nat chain's `dnat` or `redirect` sends a connection that came to port `from`, for the walk. */
function natTarget(addresses: readonly string[], port: number, from: number): NatTarget {
  return (statement, body) => {
    // To the incoming interface's primary address: never 127.x, which only lo has.
    if (statement === 'redirect') return {};
    const dnat = record(body);
    if (!dnat) return { why: 'a dnat statement it cannot read' };
    if (dnat.family === 'ip6') return {};
    const target = reaches(dnat, addresses, port, from);
    if (target === undefined) return { why: 'a DNAT whose target it cannot read' };
    return target === false ? {} : { to: target };
  };
}

/** The ports a DNAT rule takes connections on that it may send to `port`: the listener's own when it keeps the port, else those its `tcp dport` match names. */
function originalPorts(
  ruleset: Ruleset,
  chain: Chain,
  expr: readonly unknown[],
  dnat: Record<string, unknown> | undefined,
  port: number,
): LoopbackDnat['from'] {
  if (dnat && dnat.port === undefined) return [port];
  const match = expr
    .map((statement) => record(record(statement)?.match))
    .find((match) => {
      const payload = record(record(match?.left)?.payload);
      return (match?.op === '==' || match?.op === 'in') && (payload?.protocol === 'tcp' || payload?.protocol === 'th') && payload.field === 'dport';
    });
  if (!match) return { why: 'a DNAT from ports it does not follow (no tcp dport match it reads)' };
  const ports = new Set<number>();
  const add = (value: unknown): boolean => {
    if (typeof value === 'number') return ports.add(value).size <= MAX_DNAT_PORTS;
    if (Array.isArray(value)) return value.every(add);
    if (typeof value === 'string' && value.startsWith('@')) {
      const elements = namedSet(ruleset, chain.family, chain.table, value.slice(1));
      return elements !== undefined && add(elements);
    }
    const object = record(value);
    if (Array.isArray(object?.set)) return add(object.set);
    if (record(object?.elem)) return add(record(object!.elem)!.val);
    const range = object?.range;
    if (!Array.isArray(range) || typeof range[0] !== 'number' || typeof range[1] !== 'number' || range[1] - range[0] >= MAX_DNAT_PORTS) return false;
    for (let each = range[0]; each <= range[1]; each++) ports.add(each);
    return ports.size <= MAX_DNAT_PORTS;
  };
  if (!add(match.right)) return { why: `a DNAT from ports it does not follow (more than ${MAX_DNAT_PORTS}, or a value it cannot read)` };
  return [...ports].sort((a, b) => a - b);
}

/** What becomes of a connection from some of the sources: let in to the listener through a DNAT rule, kept out (dropped, or sent elsewhere), or cannot tell. */
export type DnatOutcome =
  | { readonly verdict: 'in'; readonly by: Decision; readonly to: string; readonly input: readonly Decision[] }
  | { readonly verdict: 'out' }
  | { readonly verdict: 'unknown'; readonly at?: Decision; readonly why: string };

export interface DnatAnswer {
  readonly sources: AddressSet;
  /** The port the connection was sent to, before DNAT. */
  readonly from?: number;
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
 * the listener through DNAT rules: for each port such a rule takes
 * connections on, the answers by ranges of sources (only the ones let in and
 * those it cannot tell for matter; the rest are out).
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
  const groups = interfaceGroups(ruleset, question.interfaces);
  if (ports.size * groups.length > MAX_DNAT_QUESTIONS) {
    const why = `more than ${MAX_DNAT_QUESTIONS} ports and interfaces to follow through DNAT rules`;
    return { dnats, answers: [{ sources: question.sources, outcome: { verdict: 'unknown', why } }] };
  }
  for (const from of [...ports].sort((a, b) => a - b)) {
    for (const names of groups) {
      for (const answer of throughPrerouting(ruleset, question, from, names?.[0])) answers.push({ ...answer, from, ...(names && { interfaces: names }) });
    }
  }
  return { dnats, answers };
}

/** The prerouting base chains that see an IPv4 packet, in the order the kernel runs them. */
function preroutingChains(ruleset: Ruleset): Chain[] {
  return [...ruleset.chains.values()]
    .filter((chain) => chain.hook === 'prerouting' && (chain.type === 'filter' || chain.type === 'nat') && (chain.family === 'ip' || chain.family === 'inet'))
    .sort((a, b) => a.prio - b.prio);
}

/** One packet to port `from` on interface `name`, for every source: through prerouting, then the input hook. */
function throughPrerouting(ruleset: Ruleset, question: DnatQuestion, from: number, name: string | undefined): { sources: AddressSet; outcome: DnatOutcome }[] {
  const answers: { sources: AddressSet; outcome: DnatOutcome }[] = [];
  const on = name === undefined ? {} : { interface: name };
  const target = natTarget(question.addresses, question.port, from);
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
        ? evaluateBaseChain(ruleset, chain, { family: 4, port: question.port, destination: piece.mapped.to, sources: piece.sources, ...on })
        : evaluateBaseChain(ruleset, chain, { family: 4, port: from, sources: piece.sources, ...on }, target);
      if (!outcomes) {
        next.push(piece);
        continue;
      }
      for (const { sources, outcome } of outcomes) {
        if (outcome.verdict === 'accept') next.push({ ...piece, sources });
        else if (outcome.verdict === 'mapped' && outcome.to !== undefined) next.push({ sources, mapped: { by: outcome.by, to: outcome.to } });
        else if (outcome.verdict === 'unknown') answers.push({ sources, outcome: unknownOf(outcome) });
        // Dropped, or sent elsewhere.
        else answers.push({ sources, outcome: { verdict: 'out' } });
      }
    }
    going = next;
  }
  for (const piece of going) {
    // No NAT to the listener: the packet goes where it was sent.
    if (!piece.mapped) {
      answers.push({ sources: piece.sources, outcome: { verdict: 'out' } });
      continue;
    }
    const { by, to } = piece.mapped;
    for (const { sources, outcome } of evaluateSources(ruleset, { family: 4, port: question.port, destination: to, sources: piece.sources, ...on })) {
      if (outcome.verdict === 'accept') answers.push({ sources, outcome: { verdict: 'in', by, to: `${to}:${question.port}`, input: outcome.by } });
      else if (outcome.verdict === 'unknown') answers.push({ sources, outcome: unknownOf(outcome) });
      else answers.push({ sources, outcome: { verdict: 'out' } });
    }
  }
  return answers;
}

function unknownOf(outcome: Extract<Outcome, { verdict: 'unknown' }>): DnatOutcome {
  return { verdict: 'unknown', ...(outcome.at && { at: outcome.at }), why: outcome.why };
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
