// Does the live nftables ruleset let a new TCP connection from outside reach a
// port? A pure evaluator of `nft -j list ruleset`: it walks the filter base
// chains on the input hook (tables of family inet, and ip or ip6 for the
// packet's family) for one probe packet: a TCP SYN to the port, from a public
// address, on a non-loopback interface, conntrack state new. The packet gets
// in only if every such chain accepts it. Whatever it cannot evaluate (an
// iptables-nft `xt` match, `fib`, `limit`, `tcp flags`, a daddr, a mark...)
// makes the answer `unknown` naming the rule, never a guess. Chains on other
// hooks (prerouting, ingress) and NAT are not evaluated. A dormant table's
// chains do not run. Each chain is walked once per packet (its result is
// remembered: jumps that fan out would otherwise cost every path through
// them), and the work per packet is bounded: beyond it, `unknown`.
import { addressBits } from './ip.js';

/** The probe: a new TCP connection from `source` (public) to `port`, arriving on a non-loopback interface. */
export interface Probe {
  readonly family: 4 | 6;
  readonly port: number;
  readonly source: string;
}

/** Outside sources the health check probes with (documentation ranges, never routed). */
export const OUTSIDE_SOURCE: Readonly<Record<4 | 6, string>> = { 4: '203.0.113.7', 6: '2001:db8::7' };

/** Where a decision was made: a rule (by handle) or a chain's policy. */
export interface Decision {
  readonly family: string;
  readonly table: string;
  readonly chain: string;
  /** The rule's handle; undefined when the chain's policy decided. */
  readonly handle?: number;
  /** For a policy: accept or drop. */
  readonly policy?: string;
}

export type Outcome =
  | { readonly verdict: 'accept' /** One per base chain on the hook; empty when there is none. */; readonly by: readonly Decision[] }
  | { readonly verdict: 'drop'; readonly by: Decision }
  | { readonly verdict: 'unknown'; readonly at?: Decision; readonly why: string };

interface Chain {
  readonly family: string;
  readonly table: string;
  readonly name: string;
  readonly type?: string;
  readonly hook?: string;
  readonly prio: number;
  readonly policy?: string;
  readonly rules: { readonly handle?: number; readonly expr: readonly unknown[] }[];
}

/** Whether a table's chains run; flags it cannot read are kept as nft printed them. */
type TableState = 'running' | 'dormant' | { readonly flags: unknown };

/** A parsed ruleset: tables, chains and named sets/maps, by family and table. */
export interface Ruleset {
  readonly tables: ReadonlyMap<string, TableState>;
  readonly chains: ReadonlyMap<string, Chain>;
  readonly sets: ReadonlyMap<string, readonly unknown[]>;
}

export class RulesetError extends Error {}

const key = (family: string, table: string, name: string) => `${family}\0${table}\0${name}`;
const tableKey = (family: string, table: string) => `${family}\0${table}`;
const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Parse `nft -j list ruleset` output. Throws RulesetError when it is not that JSON at all. */
export function parseRuleset(text: string): Ruleset {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new RulesetError(`not JSON: ${(error as Error).message}`);
  }
  const items = record(document)?.nftables;
  if (!Array.isArray(items)) throw new RulesetError('no "nftables" array in the JSON');
  const tables = new Map<string, TableState>();
  const chains = new Map<string, Chain>();
  const sets = new Map<string, readonly unknown[]>();
  const pendingRules: Record<string, unknown>[] = [];
  for (const item of items) {
    const entry = record(item);
    if (!entry) continue;
    const chain = record(entry.chain);
    const set = record(entry.set) ?? record(entry.map);
    const rule = record(entry.rule);
    const table = record(entry.table);
    if (table) {
      const family = str(table.family);
      const name = str(table.name);
      if (family && name) tables.set(tableKey(family, name), tableState(table.flags));
    } else if (chain) {
      const family = str(chain.family);
      const table = str(chain.table);
      const name = str(chain.name);
      if (!family || !table || !name) continue;
      chains.set(key(family, table, name), {
        family,
        table,
        name,
        ...(str(chain.type) !== undefined && { type: str(chain.type) }),
        ...(str(chain.hook) !== undefined && { hook: str(chain.hook) }),
        prio: typeof chain.prio === 'number' ? chain.prio : 0,
        ...(str(chain.policy) !== undefined && { policy: str(chain.policy) }),
        rules: [],
      });
    } else if (set) {
      const family = str(set.family);
      const table = str(set.table);
      const name = str(set.name);
      if (family && table && name) sets.set(key(family, table, name), Array.isArray(set.elem) ? set.elem : []);
    } else if (rule) pendingRules.push(rule);
  }
  for (const rule of pendingRules) {
    const chain = chains.get(key(str(rule.family) ?? '', str(rule.table) ?? '', str(rule.chain) ?? ''));
    if (!chain) continue;
    chain.rules.push({ ...(typeof rule.handle === 'number' && { handle: rule.handle }), expr: Array.isArray(rule.expr) ? rule.expr : [] });
  }
  return { tables, chains, sets };
}

/** The flags a table can have (nft's table_flags_name); only `dormant` stops its chains. */
const TABLE_FLAGS = ['dormant', 'owner', 'persist'];

/** nft prints one flag as a string and several as a list. nft 1.0.6 prints a single flag from freed memory ("f", its release name...), so a name it does not know is kept as unreadable, not taken for "running". */
function tableState(flags: unknown): TableState {
  if (flags === undefined) return 'running';
  const names: unknown[] = Array.isArray(flags) ? flags : [flags];
  if (!names.every((name) => typeof name === 'string' && TABLE_FLAGS.includes(name))) return { flags };
  return names.includes('dormant') ? 'dormant' : 'running';
}

/** The input path's answer for one probe packet. */
export function evaluateInput(ruleset: Ruleset, probe: Probe): Outcome {
  const families = ['inet', probe.family === 4 ? 'ip' : 'ip6'];
  const base = [...ruleset.chains.values()]
    .filter((chain) => chain.hook === 'input' && chain.type === 'filter' && families.includes(chain.family))
    .sort((a, b) => a.prio - b.prio);
  const accepted: Decision[] = [];
  let unknown: Outcome | undefined;
  const walk = newWalk(ruleset, probe);
  // Every base chain sees the packet unless an earlier one drops it; a drop anywhere keeps it out.
  for (const chain of base) {
    const outcome = runTableChain(walk, chain);
    if (outcome === undefined) continue;
    if (outcome.verdict === 'drop') return outcome;
    if (outcome.verdict === 'unknown') unknown ??= outcome;
    else accepted.push(...outcome.by);
  }
  return unknown ?? { verdict: 'accept', by: accepted };
}

type ChainResult = { kind: 'verdict'; outcome: Outcome } | { kind: 'return' };

/** Rules one packet may cost; beyond, unknown rather than a hang. With chains and named sets remembered, only a ruleset this large reaches it. */
export const MAX_RULES_PER_PROBE = 100_000;

/** One packet's walk through the ruleset. Nothing but the chain decides a chain's result (the evaluator keeps no state along the path: it never reads a mark it could have set), so a result found once holds for every jump to that chain. */
interface Walk {
  readonly ruleset: Ruleset;
  readonly probe: Probe;
  readonly done: Map<Chain, ChainResult>;
  /** The chains on the current path: a jump back to one is a loop. */
  readonly walking: Set<Chain>;
  /** Named sets and maps searched for a value: each is searched once per value, however many rules name it. */
  readonly searched: Map<string, unknown>;
  budget: number;
}

function newWalk(ruleset: Ruleset, probe: Probe): Walk {
  return { ruleset, probe, done: new Map(), walking: new Set(), searched: new Map(), budget: MAX_RULES_PER_PROBE };
}

/** Spend one rule of the walk's budget; why it cannot tell when the budget is gone. */
function spend(walk: Walk): string | undefined {
  walk.budget -= 1;
  return walk.budget < 0 ? `more than ${MAX_RULES_PER_PROBE} rules to evaluate for one packet` : undefined;
}

/** A base chain's outcome as its table's flags allow: undefined when the table is dormant (its chains do not run). */
function runTableChain(walk: Walk, chain: Chain): Outcome | undefined {
  const table = walk.ruleset.tables.get(tableKey(chain.family, chain.table)) ?? 'running';
  if (table === 'dormant') return undefined;
  const outcome = runBaseChain(walk, chain);
  // Flags it cannot read: the table runs or not, and only an accept is the same answer both ways.
  if (table === 'running' || outcome.verdict === 'accept') return outcome;
  const at: Decision = { family: chain.family, table: chain.table, chain: chain.name };
  return { verdict: 'unknown', at, why: `a table whose flags nft prints as ${JSON.stringify(table.flags)} (dormant or not)` };
}

function runBaseChain(walk: Walk, chain: Chain): Outcome {
  const result = runChain(walk, chain, 0);
  if (result.kind === 'verdict') return result.outcome;
  const at: Decision = { family: chain.family, table: chain.table, chain: chain.name, policy: chain.policy ?? 'accept' };
  if (at.policy === 'accept') return { verdict: 'accept', by: [at] };
  if (at.policy === 'drop') return { verdict: 'drop', by: at };
  return { verdict: 'unknown', at, why: `policy ${at.policy}` };
}

const MAX_DEPTH = 64;

/** A chain's result for the walk's packet, walked on the first jump to it and remembered for the others. */
function runChain(walk: Walk, chain: Chain, depth: number): ChainResult {
  const known = walk.done.get(chain);
  if (known) return known;
  if (depth > MAX_DEPTH) return unknownResult({ family: chain.family, table: chain.table, chain: chain.name }, 'jumps nest too deep');
  walk.walking.add(chain);
  const result = runRules(walk, chain, depth);
  walk.walking.delete(chain);
  walk.done.set(chain, result);
  return result;
}

function runRules(walk: Walk, chain: Chain, depth: number): ChainResult {
  for (const rule of chain.rules) {
    const at: Decision = { family: chain.family, table: chain.table, chain: chain.name, ...(rule.handle !== undefined && { handle: rule.handle }) };
    const spent = spend(walk);
    if (spent) return unknownResult(at, spent);
    const result = runRule(walk, chain, rule.expr, at, depth);
    if (result) return result;
  }
  return { kind: 'return' };
}

function unknownResult(at: Decision, why: string): ChainResult {
  return { kind: 'verdict', outcome: { verdict: 'unknown', at, why } };
}

/** Statements that change nothing about where the packet goes. */
const NO_OPS = new Set(['counter', 'log', 'notrack']);

/** `meta mark set`, `ct mark set`: a mark changes no verdict by itself, and a later match on one stays unknown (marks are not followed). */
function setsMark(name: string, body: unknown): boolean {
  const target = record(record(body)?.key);
  return name === 'mangle' && (str(record(target?.meta)?.key) === 'mark' || str(record(target?.ct)?.key) === 'mark');
}

/** A rule's result, or undefined when the packet goes on to the next rule. */
function runRule(walk: Walk, chain: Chain, expr: readonly unknown[], at: Decision, depth: number): ChainResult | undefined {
  // Matches are a conjunction: one false match means the rule does not apply, whatever the others are.
  let doubt: string | undefined;
  for (const statement of expr) {
    const entry = record(statement);
    const name = entry && Object.keys(entry).length === 1 ? Object.keys(entry)[0]! : undefined;
    if (!entry || !name) return unknownResult(at, 'an expression it cannot read');
    const body = entry[name];
    if (name === 'match') {
      const matched = evaluateMatch(walk, chain, record(body));
      if (matched === false) return undefined;
      if (typeof matched === 'string') doubt ??= matched;
      continue;
    }
    if (name === 'xt') {
      const what = `an iptables extension (xt ${str(record(body)?.name) ?? '?'}) that nft -j does not show`;
      if (str(record(body)?.type) === 'target') return unknownResult(at, doubt ?? what);
      doubt ??= what;
      continue;
    }
    if (NO_OPS.has(name) || setsMark(name, body)) continue;
    // From here on the statement acts: every match before it must hold for sure.
    if (doubt) return unknownResult(at, doubt);
    if (name === 'vmap') {
      const verdict = lookupVmap(walk, chain, record(body));
      if (typeof verdict === 'string') return unknownResult(at, verdict);
      if (verdict === undefined) return undefined;
      const result = applyVerdict(walk, chain, verdict, at, depth);
      if (result === 'next') return undefined;
      return result;
    }
    const result = applyVerdict(walk, chain, entry, at, depth);
    if (result === 'next') continue;
    return result;
  }
  return doubt ? unknownResult(at, doubt) : undefined;
}

/** A verdict statement's effect; 'next' when it is not one that ends the rule (continue). */
function applyVerdict(walk: Walk, chain: Chain, entry: Record<string, unknown>, at: Decision, depth: number): ChainResult | 'next' {
  const name = Object.keys(entry)[0]!;
  switch (name) {
    case 'accept':
      return { kind: 'verdict', outcome: { verdict: 'accept', by: [at] } };
    case 'drop':
    case 'reject':
      return { kind: 'verdict', outcome: { verdict: 'drop', by: at } };
    case 'return':
      return { kind: 'return' };
    case 'continue':
      return 'next';
    case 'jump':
    case 'goto': {
      const targetName = str(record(entry[name])?.target);
      const target = targetName ? walk.ruleset.chains.get(key(chain.family, chain.table, targetName)) : undefined;
      if (!target) return unknownResult(at, `${name} to a chain it cannot find`);
      // The kernel refuses a loop when loading; only hand-made JSON holds one.
      if (walk.walking.has(target)) return unknownResult(at, `${name} to ${targetName}, a loop back to a chain on the path`);
      const result = runChain(walk, target, depth + 1);
      if (result.kind === 'verdict') return result;
      // A jump comes back to the next rule; a goto returns from the calling chain.
      return name === 'jump' ? ('next' as const) : { kind: 'return' };
    }
    default:
      return unknownResult(at, `a "${name}" statement`);
  }
}

// ---- matches ---------------------------------------------------------------

/** A value the probe has for a left-hand side; a string is why it cannot tell. */
type Field = { kind: 'port'; value: number } | { kind: 'addr'; value: string } | { kind: 'word'; value: string; known: readonly string[] } | { kind: 'absent' };

const TCP_NAMES = ['tcp', '6'];
const PROTOCOL_NAMES = ['tcp', 'udp', 'udplite', 'sctp', 'dccp', 'icmp', 'icmpv6', 'ipv6-icmp', 'igmp', 'gre', 'esp', 'ah'];
/** The same protocols by number (6 is tcp). */
const PROTOCOL_NUMBERS = ['6', '17', '136', '132', '33', '1', '58', '2', '47', '50', '51'];

function field(left: Record<string, unknown> | undefined, probe: Probe): Field | string {
  const payload = record(left?.payload);
  if (payload) {
    const protocol = str(payload.protocol);
    const name = str(payload.field);
    if ((protocol === 'tcp' || protocol === 'th') && name === 'dport') return { kind: 'port', value: probe.port };
    if (['udp', 'udplite', 'sctp', 'dccp', 'icmp', 'icmpv6', 'igmp'].includes(protocol ?? '')) return { kind: 'absent' };
    if (protocol === 'ip' || protocol === 'ip6') {
      // `ip saddr` in an inet table implies an IPv4 packet: an IPv6 one never matches (and vice versa).
      if ((protocol === 'ip') !== (probe.family === 4)) return { kind: 'absent' };
      if (name === 'saddr') return { kind: 'addr', value: probe.source };
      if ((protocol === 'ip' && name === 'protocol') || (protocol === 'ip6' && name === 'nexthdr'))
        return { kind: 'word', value: 'tcp', known: [...PROTOCOL_NAMES, ...PROTOCOL_NUMBERS] };
    }
    return `${protocol ?? '?'} ${name ?? '?'}`;
  }
  const meta = str(record(left?.meta)?.key);
  if (meta === 'l4proto') return { kind: 'word', value: 'tcp', known: [...PROTOCOL_NAMES, ...PROTOCOL_NUMBERS] };
  if (meta === 'nfproto') return { kind: 'word', value: probe.family === 4 ? 'ipv4' : 'ipv6', known: ['ipv4', 'ipv6'] };
  if (meta === 'protocol') return { kind: 'word', value: probe.family === 4 ? 'ip' : 'ip6', known: ['ip', 'ip6', 'arp', 'vlan'] };
  // The interface is some non-loopback one: only "lo" can be told apart.
  if (meta === 'iif' || meta === 'iifname') return { kind: 'word', value: 'not-lo', known: ['lo'] };
  if (meta === 'iiftype') return { kind: 'word', value: 'not-loopback', known: ['loopback'] };
  if (meta) return `meta ${meta}`;
  const ct = str(record(left?.ct)?.key);
  if (ct === 'state') return { kind: 'word', value: 'new', known: ['new', 'established', 'related', 'invalid', 'untracked'] };
  if (ct) return `ct ${ct}`;
  return Object.keys(left ?? {})[0] ?? 'an expression';
}

/** true, false, or why it cannot tell. */
function evaluateMatch(walk: Walk, chain: Chain, match: Record<string, unknown> | undefined): boolean | string {
  const op = str(match?.op);
  const left = field(record(match?.left), walk.probe);
  if (typeof left === 'string') return `a match on ${left}`;
  // `udp dport != 53`, `ip saddr != ...` on IPv6: nft adds the protocol as a dependency, so the rule never matches.
  if (left.kind === 'absent') return false;
  const right = match?.right;
  const contained = contains(walk, chain, right, left);
  if (typeof contained === 'string') return `a match on ${contained}`;
  if (op === '==' || op === 'in') return contained;
  if (op === '!=') return !contained;
  return `a "${op ?? '?'}" comparison`;
}

/** Whether the probe's value is in `right` (a value, a set, a range, a prefix, a named set); a string is why it cannot tell. */
function contains(walk: Walk, chain: Chain, right: unknown, value: Field): boolean | string {
  if (Array.isArray(right)) return anyOf(right.map((element) => contains(walk, chain, element, value)));
  if (typeof right === 'string' && right.startsWith('@')) {
    return searchNamed(walk, chain, 'match', right, value, (elements) =>
      elements ? contains(walk, chain, elements, value) : `the set ${right} it cannot find`,
    );
  }
  const object = record(right);
  if (object) {
    if (Array.isArray(object.set)) return contains(walk, chain, object.set, value);
    if (record(object.elem)) return contains(walk, chain, record(object.elem)!.val, value);
    const range = object.range;
    if (Array.isArray(range) && range.length === 2) return inRange(range[0], range[1], value);
    const prefix = record(object.prefix);
    if (prefix && value.kind === 'addr') return inPrefix(str(prefix.addr), prefix.len, value.value);
    return `a ${Object.keys(object)[0] ?? 'value'} value`;
  }
  switch (value.kind) {
    case 'port':
      if (typeof right === 'number') return right === value.value;
      return `port ${JSON.stringify(right)}`;
    case 'addr':
      if (typeof right === 'string' && addressBits(right)) return inPrefix(right, addressBits(right)!.bits, value.value);
      return `address ${JSON.stringify(right)}`;
    case 'word': {
      const word = typeof right === 'number' ? String(right) : right;
      if (typeof word !== 'string') return `value ${JSON.stringify(right)}`;
      if (value.value === 'tcp' && TCP_NAMES.includes(word)) return true;
      if (word === value.value) return true;
      if (value.known.includes(word)) return false;
      return `"${word}"`;
    }
    default:
      return false;
  }
}

/** `search` over the elements of `@name` (undefined when there is no such set), once per walk and value: many rules searching one large set would otherwise cost their product. */
function searchNamed<T>(
  walk: Walk,
  chain: Chain,
  use: 'match' | 'vmap',
  reference: string,
  value: Field,
  search: (elements: readonly unknown[] | undefined) => T,
): T {
  const setKey = key(chain.family, chain.table, reference.slice(1));
  // Each kind of field has one value per probe, and a word's known names follow from its value.
  const memo = `${use}\0${setKey}\0${value.kind}\0${'value' in value ? value.value : ''}`;
  if (!walk.searched.has(memo)) walk.searched.set(memo, search(walk.ruleset.sets.get(setKey)));
  return walk.searched.get(memo) as T;
}

function anyOf(results: readonly (boolean | string)[]): boolean | string {
  if (results.includes(true)) return true;
  return results.find((result) => typeof result === 'string') ?? false;
}

function inRange(low: unknown, high: unknown, value: Field): boolean | string {
  if (value.kind === 'port' && typeof low === 'number' && typeof high === 'number') return low <= value.value && value.value <= high;
  if (value.kind === 'addr' && typeof low === 'string' && typeof high === 'string') {
    const [from, to, address] = [addressBits(low), addressBits(high), addressBits(value.value)];
    if (!from || !to || !address) return `the range ${low}-${high}`;
    if (from.family !== address.family || to.family !== address.family) return false;
    return from.value <= address.value && address.value <= to.value;
  }
  return `a range of ${JSON.stringify([low, high])}`;
}

function inPrefix(network: string | undefined, length: unknown, address: string): boolean | string {
  const net = network === undefined ? undefined : addressBits(network);
  const probe = addressBits(address);
  if (!net || !probe || typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > net.bits)
    return `the prefix ${network}/${String(length)}`;
  // An address of the other family never matches (the table's family check keeps them apart).
  if (net.family !== probe.family) return false;
  const shift = BigInt(net.bits - length);
  return net.value >> shift === probe.value >> shift;
}

/** The verdict a vmap gives the probe: a verdict statement, undefined when no element matches, or why it cannot tell. */
function lookupVmap(walk: Walk, chain: Chain, vmap: Record<string, unknown> | undefined): Record<string, unknown> | undefined | string {
  const left = field(record(vmap?.key), walk.probe);
  if (typeof left === 'string') return `a verdict map on ${left}`;
  const data = vmap?.data;
  if (typeof data === 'string' && data.startsWith('@'))
    return searchNamed(walk, chain, 'vmap', data, left, (elements) => (elements ? lookupPairs(walk, chain, elements, left) : `the map ${data} it cannot find`));
  return lookupPairs(walk, chain, record(data)?.set, left);
}

/** The verdict of the first pair whose key holds the probe's value. */
function lookupPairs(walk: Walk, chain: Chain, pairs: unknown, left: Field): Record<string, unknown> | undefined | string {
  if (!Array.isArray(pairs)) return 'a verdict map it cannot read';
  if (left.kind === 'absent') return undefined;
  let doubt: string | undefined;
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2 || !record(pair[1])) return 'a verdict map it cannot read';
    const matched = contains(walk, chain, pair[0], left);
    if (matched === true) return doubt ? `a verdict map: ${doubt}` : record(pair[1]);
    if (typeof matched === 'string') doubt ??= matched;
  }
  return doubt ? `a verdict map: ${doubt}` : undefined;
}

/** `rule inet filter input handle 7`, `the policy (accept) of inet filter input`. */
export function describeDecision(decision: Decision): string {
  const chain = `${decision.family} ${decision.table} ${decision.chain}`;
  if (decision.handle !== undefined) return `rule ${chain} handle ${decision.handle}`;
  if (decision.policy !== undefined) return `the policy (${decision.policy}) of ${chain}`;
  return `chain ${chain}`;
}
