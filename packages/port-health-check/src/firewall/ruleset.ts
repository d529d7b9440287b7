// Does the live nftables ruleset let a new TCP connection from outside reach a
// port? A pure evaluator of `nft -j list ruleset`: it walks the filter base
// chains on the input hook (tables of family inet, and ip or ip6 for the
// packet's family) for a TCP SYN to the port, on a non-loopback interface,
// conntrack state new, from a SET of source addresses: a rule on `ip saddr`
// splits that set (a bogon filter drops its ranges, the rest goes on), so the
// answer is per range of sources, never one sample's answer taken for all.
// Every other field has one value. The packet gets in only if every such
// chain accepts it. Whatever it cannot evaluate (an iptables-nft `xt` match,
// `fib`, `limit`, `tcp flags`, a daddr when the destination is not given, a
// mark...) makes the answer `unknown` for the sources that reach it, naming
// the rule, never a guess. An untracked packet is not `ct state new`: where a
// chain that runs before conntrack (ingress, or prerouting below priority
// -200, as `priority raw` is) may `notrack` the packet, the input chains are
// walked for `ct state untracked` too, and the answer is that one where the
// notrack surely applies, else the same both ways or unknown (trackingStates).
// The same walk runs one prerouting chain for nat.ts
// (evaluateBaseChain), which follows a packet through DNAT to a loopback
// listener: there a `dnat` or `redirect` statement ends the walk with where
// it sends the packet. A dormant table's
// chains do not run. Each chain is walked once per set of sources (its
// result is remembered: jumps that fan out would otherwise cost every path
// through them), and the work per question is bounded: beyond it, `unknown`.
import { type AddressSet, addressSet, emptySet, fromRanges, intersect, isEmpty, prefixRange, setKey, subtract, union } from './address-set.js';
import { quoteValue } from '@dsa110/ports';
import { addressBits } from './ip.js';

/** One packet: a new TCP connection from `source` to `port` (at `destination`, when given), arriving on a non-loopback interface. */
export interface Probe {
  readonly family: 4 | 6;
  readonly port: number;
  readonly source: string;
  /** The destination address, when the question is about one (a loopback address reached through route_localnet); else a daddr match cannot be told. */
  readonly destination?: string;
  /** The interface it comes in on, when the question is about one; else some non-loopback interface (only `lo` can be told apart). */
  readonly interface?: string;
  /** The packet is known to be tracked (it was NATed): no `notrack` before conntrack is asked about. */
  readonly tracked?: true;
}

/** The same question for every source in `sources` at once. */
export interface SourcesProbe {
  readonly family: 4 | 6;
  readonly port: number;
  readonly sources: AddressSet;
  readonly destination?: string;
  readonly interface?: string;
  readonly tracked?: true;
}

/** A sample outside source of each family (documentation ranges, never routed), for questions about one packet. */
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
  | {
      readonly verdict: 'accept';
      /** One per base chain on the hook; empty when there is none. */
      readonly by: readonly Decision[];
      /** The `notrack` rule that leaves the packet untracked, when one surely does. */
      readonly untracked?: Decision;
    }
  | { readonly verdict: 'drop'; readonly by: Decision; readonly untracked?: Decision }
  | { readonly verdict: 'unknown'; readonly at?: Decision; readonly why: string };

/** A nat chain's answer besides a verdict: a `dnat` or `redirect` that sends the packet to `to` (a listener asked about), or elsewhere when `to` is undefined. The chain ends there (the kernel accepts the packet once its NAT is set). */
export interface Mapped {
  readonly verdict: 'mapped';
  readonly by: Decision;
  readonly to?: string;
}

/** A chain before conntrack's answer in a walk for `notrack`: the rule whose `notrack` the packet meets. */
interface Untracked {
  readonly verdict: 'untracked';
  readonly by: Decision;
}

/** A base chain's answer: a verdict, or (in a nat walk) where NAT sends the packet, or (before conntrack) a notrack. */
export type ChainOutcome = Outcome | Mapped | Untracked;

/**
 * Where a `dnat` or `redirect` statement sends a packet: one of the listeners asked about (`127.0.0.1`), elsewhere
 * (undefined), or why it cannot tell (`{ why }`); or it does not apply (`skip`): the kernel goes on with the rule's
 * next statement (`dnat ip6` in an inet table for an IPv4 packet), or with the next rule (a map lookup that finds no key).
 */
export type NatTarget = (
  statement: 'dnat' | 'redirect',
  body: unknown,
  /** The chain the statement is in (a named map is its table's). */
  chain: Chain,
) => { readonly to?: string } | { readonly why: string } | { readonly skip: 'statement' | 'rule' };

export interface Chain {
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

/** Whether a table is dormant (its chains do not run); a table whose flags it cannot read is not. */
export function isDormant(ruleset: Ruleset, family: string, table: string): boolean {
  return ruleset.tables.get(tableKey(family, table)) === 'dormant';
}

const key = (family: string, table: string, name: string) => `${family}\0${table}\0${name}`;
const tableKey = (family: string, table: string) => `${family}\0${table}`;
/** `value` as an object of nft's JSON, or undefined when it is no object (an array, a string, null). */
export const record = (value: unknown): Record<string, unknown> | undefined =>
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

/** The answer for one range of the sources asked about. */
export interface SourcesOutcome {
  readonly sources: AddressSet;
  readonly outcome: Outcome;
}

/** One base chain's answer for one range of the sources asked about. */
export interface SourcesChainOutcome {
  readonly sources: AddressSet;
  readonly outcome: ChainOutcome;
}

/** The elements of a named set or map of a table; undefined when there is none. */
export function namedSet(ruleset: Ruleset, family: string, table: string, name: string): readonly unknown[] | undefined {
  return ruleset.sets.get(key(family, table, name));
}

/**
 * One base chain's answer for every source in `probe.sources` (its rules, the
 * chains it jumps to, its policy), by the input hook's walk; undefined when
 * its table is dormant. With `nat`, a `dnat` or `redirect` ends the walk with
 * where it sends the packet, and `notrack` is unknown (an untracked packet
 * gets no NAT, and what follows is not followed); without it both are.
 */
export function evaluateBaseChain(ruleset: Ruleset, chain: Chain, probe: SourcesProbe, nat?: NatTarget, budget?: Budget): SourcesChainOutcome[] | undefined {
  if (isEmpty(probe.sources)) return [];
  return runTableChain(newWalk(ruleset, probe, { ...(nat && { nat }), ...(budget && { budget }) }), chain, probe.sources);
}

/** The input path's answer for one packet. */
export function evaluateInput(ruleset: Ruleset, probe: Probe): Outcome {
  const sources = addressSet(probe.family, probe.source);
  if (!sources) throw new TypeError(`evaluateInput: the probe's source ${JSON.stringify(probe.source)} is not an IPv${probe.family} address`);
  const { source: _, ...rest } = probe;
  return evaluateSources(ruleset, { ...rest, sources })[0]!.outcome;
}

/** The input path's answer for every source in `probe.sources`: ranges that together cover them, each with its outcome (none when the set is empty). `budget`: shared with other questions, instead of this one's own. */
export function evaluateSources(ruleset: Ruleset, probe: SourcesProbe, budget: Budget = probeBudget()): SourcesOutcome[] {
  if (isEmpty(probe.sources)) return [];
  const answers: SourcesOutcome[] = [];
  for (const { sources, state } of trackingStates(ruleset, probe, budget)) {
    const asked = { ...probe, sources };
    if (state.kind === 'new') answers.push(...inputPath(ruleset, asked, 'new', budget));
    else if (state.kind === 'untracked') answers.push(...inputPath(ruleset, asked, 'untracked', budget).map((answer) => untrackedBy(answer, state.by)));
    else answers.push(...eitherState(inputPath(ruleset, asked, 'new', budget), inputPath(ruleset, asked, 'untracked', budget), state));
  }
  return answers;
}

/** What conntrack makes of the packet before the input hook: tracked (`new`), left untracked by a `notrack` rule, or either (why it cannot tell). */
type TrackingState =
  | { readonly kind: 'new' }
  | { readonly kind: 'untracked'; readonly by: Decision }
  | { readonly kind: 'either'; readonly at?: Decision; readonly why: string };

/** Conntrack's own hook on prerouting: a `notrack` in a chain below it leaves the packet untracked; above it, the packet is tracked already (tried on a real kernel). */
const CONNTRACK_PRIORITY = -200;

/**
 * The base chains that may see a packet from outside before conntrack does, in the order they run: ingress (netdev
 * tables, on some device, and inet ones), then prerouting below conntrack's priority and at it (where the order is the
 * kernel's to choose).
 */
function beforeConntrack(ruleset: Ruleset, family: 4 | 6): Chain[] {
  const families = ['inet', family === 4 ? 'ip' : 'ip6'];
  const early = (chain: Chain) =>
    chain.type === 'filter' &&
    ((chain.hook === 'ingress' && (chain.family === 'netdev' || chain.family === 'inet')) ||
      (chain.hook === 'prerouting' && families.includes(chain.family) && chain.prio <= CONNTRACK_PRIORITY));
  return [...ruleset.chains.values()].filter(early).sort((a, b) => Number(a.hook === 'prerouting') - Number(b.hook === 'prerouting') || a.prio - b.prio);
}

/** Whether a rule may leave a packet untracked: a `notrack`, or an iptables target nft -j does not show (`-j CT --notrack`). */
function mayNotrack(expr: readonly unknown[]): boolean {
  return expr.some((statement) => {
    const parsed = statementOf(statement);
    return parsed?.name === 'notrack' || (parsed?.name === 'xt' && str(record(parsed.body)?.type) === 'target');
  });
}

/**
 * The packet's conntrack state for each range of the sources: the chains before conntrack are walked (when some rule
 * of their tables may notrack it) up to the first `notrack` each range meets. One they accept goes on to the next;
 * one they drop never reaches the input hook (left as tracked, as prerouting's drops are not followed); one they
 * cannot tell for may be either.
 */
function trackingStates(ruleset: Ruleset, probe: SourcesProbe, budget: Budget): { sources: AddressSet; state: TrackingState }[] {
  const tracked: TrackingState = { kind: 'new' };
  if (probe.tracked) return [{ sources: probe.sources, state: tracked }];
  const chains = beforeConntrack(ruleset, probe.family);
  const tables = new Set(chains.map((chain) => tableKey(chain.family, chain.table)));
  const relevant = [...ruleset.chains.values()].some(
    (chain) => tables.has(tableKey(chain.family, chain.table)) && chain.rules.some((rule) => mayNotrack(rule.expr)),
  );
  if (!relevant) return [{ sources: probe.sources, state: tracked }];
  // Below conntrack's priority, `ct state` sees no conntrack entry yet: invalid; at it, either.
  const walks = {
    before: newWalk(ruleset, probe, { budget, ctState: 'invalid', track: true }),
    at: newWalk(ruleset, probe, { budget, ctState: 'unsure', track: true }),
  };
  const states: { sources: AddressSet; state: TrackingState }[] = [];
  let going = probe.sources;
  for (const chain of chains) {
    if (isEmpty(going)) break;
    // An ingress chain sees the packets of its device only, and nft -j (1.0.6) does not name it; at conntrack's own
    // priority, the kernel may run the chain after conntrack (then a notrack changes nothing).
    const atConntrack = chain.hook === 'prerouting' && chain.prio === CONNTRACK_PRIORITY;
    const maybe =
      chain.hook === 'ingress'
        ? 'a notrack in an ingress chain, on a device nft -j does not name'
        : atConntrack
          ? `a notrack at conntrack's own priority (${CONNTRACK_PRIORITY}), which may run after conntrack`
          : undefined;
    const walk = atConntrack ? walks.at : walks.before;
    const outcomes = runTableChain(walk, chain, going);
    if (!outcomes) continue;
    let next = emptySet(probe.family);
    for (const { sources, outcome } of outcomes) {
      if (outcome.verdict === 'accept') next = union(next, sources);
      else if (outcome.verdict === 'untracked' && maybe) states.push({ sources, state: { kind: 'either', at: outcome.by, why: maybe } });
      else if (outcome.verdict === 'untracked') states.push({ sources, state: { kind: 'untracked', by: outcome.by } });
      else if (outcome.verdict === 'unknown') states.push({ sources, state: { kind: 'either', ...(outcome.at && { at: outcome.at }), why: outcome.why } });
      // Dropped: it never reaches the input hook, unless it came in on another device than this chain's.
      else if (maybe) next = union(next, sources);
      else states.push({ sources, state: tracked });
    }
    going = next;
  }
  if (!isEmpty(going)) states.push({ sources: going, state: tracked });
  return states;
}

function untrackedBy(answer: SourcesOutcome, by: Decision): SourcesOutcome {
  const { outcome } = answer;
  if (outcome.verdict === 'unknown') return answer;
  return { sources: answer.sources, outcome: { ...outcome, untracked: by } };
}

/** Pieces of answers for both states, at most; beyond, unknown rather than a slow product. */
const MAX_STATE_PIECES = 100_000;

/** The answer when the packet may be tracked or not: the same both ways, else unknown (naming what each way does). */
function eitherState(
  tracked: readonly SourcesOutcome[],
  untracked: readonly SourcesOutcome[],
  state: Extract<TrackingState, { kind: 'either' }>,
): SourcesOutcome[] {
  const may = `${state.why}, so the packet may be untracked`;
  if (tracked.length * untracked.length > MAX_STATE_PIECES) {
    const sources = fromRanges(
      tracked[0]!.sources.family,
      tracked.flatMap((answer) => answer.sources.ranges),
    );
    return [{ sources, outcome: { verdict: 'unknown', ...(state.at && { at: state.at }), why: `${may}, and too many source ranges to compare both ways` } }];
  }
  const answers: SourcesOutcome[] = [];
  for (const one of tracked) {
    for (const other of untracked) {
      const sources = intersect(one.sources, other.sources);
      if (isEmpty(sources)) continue;
      const [a, b] = [one.outcome, other.outcome];
      if (a.verdict === 'unknown') answers.push({ sources, outcome: a });
      else if (b.verdict === 'unknown') answers.push({ sources, outcome: b });
      else if (a.verdict === b.verdict) answers.push({ sources, outcome: a });
      else {
        const why = `${may} (then ${outcomeWords(b)}; tracked, ${outcomeWords(a)})`;
        answers.push({ sources, outcome: { verdict: 'unknown', ...(state.at && { at: state.at }), why } });
      }
    }
  }
  return answers;
}

/** `accepted by the policy (accept) of inet f input`, `dropped by rule inet f input handle 3`. */
function outcomeWords(outcome: Exclude<Outcome, { verdict: 'unknown' }>): string {
  if (outcome.verdict === 'drop') return `dropped by ${describeDecision(outcome.by)}`;
  return outcome.by.length === 0 ? 'no input chain filters it' : `accepted by ${outcome.by.map(describeDecision).join(' and ')}`;
}

/** The input hook's answer for a packet in conntrack state `state`. */
function inputPath(ruleset: Ruleset, probe: SourcesProbe, state: 'new' | 'untracked', budget: Budget): SourcesOutcome[] {
  const families = ['inet', probe.family === 4 ? 'ip' : 'ip6'];
  const base = [...ruleset.chains.values()]
    .filter((chain) => chain.hook === 'input' && chain.type === 'filter' && families.includes(chain.family))
    .sort((a, b) => a.prio - b.prio);
  const walk = newWalk(ruleset, probe, { budget, ctState: state });
  // Every base chain sees the packet unless an earlier one drops it; a drop anywhere keeps it out,
  // and an earlier "cannot tell" stays the answer unless a later chain drops.
  let going: { sources: AddressSet; accepted: readonly Decision[]; unknown?: Outcome }[] = [{ sources: probe.sources, accepted: [] }];
  const answers: SourcesOutcome[] = [];
  for (const chain of base) {
    const next: typeof going = [];
    for (const piece of going) {
      const outcomes = runTableChain(walk, chain, piece.sources);
      if (!outcomes) {
        next.push(piece);
        continue;
      }
      for (const { sources, outcome } of outcomes) {
        // A walk without `nat` maps nothing, nor one without `track` notracks.
        if (outcome.verdict === 'mapped' || outcome.verdict === 'untracked')
          throw new TypeError(`evaluateSources: a ${outcome.verdict} outcome on the input hook`);
        if (outcome.verdict === 'drop') answers.push({ sources, outcome });
        else if (outcome.verdict === 'unknown') next.push({ sources, accepted: piece.accepted, unknown: piece.unknown ?? outcome });
        else next.push({ sources, accepted: [...piece.accepted, ...outcome.by], ...(piece.unknown && { unknown: piece.unknown }) });
      }
    }
    going = next;
  }
  for (const piece of going) answers.push({ sources: piece.sources, outcome: piece.unknown ?? { verdict: 'accept', by: piece.accepted } });
  return answers;
}

type ChainResult = { kind: 'verdict'; outcome: ChainOutcome } | { kind: 'return' };
const RETURN: ChainResult = { kind: 'return' };

/** What a chain does with some of the sources. */
interface Piece {
  readonly sources: AddressSet;
  readonly result: ChainResult;
}

/** Rules one question may cost; beyond, unknown rather than a hang. With chains and named sets remembered, only a ruleset this large reaches it. */
export const MAX_RULES_PER_PROBE = 100_000;

/**
 * The rules walks may still visit, shared by the questions that hold the same object (nat.ts asks one per port and
 * interface), and what to say once they are spent. With `rangesPerRule`, a rule asked about many separate source
 * ranges costs one more per that many: cutting them is what makes a rule slow.
 */
export interface Budget {
  left: number;
  readonly why: string;
  readonly rangesPerRule?: number;
}

const probeBudget = (): Budget => ({ left: MAX_RULES_PER_PROBE, why: `more than ${MAX_RULES_PER_PROBE} rules to evaluate for one packet` });

/**
 * Separate source ranges one chain may carry on; beyond, unknown. Each rule on
 * single addresses (a blocklist written as rules, as fail2ban's iptables action
 * does) cuts one more hole in the sources that go on, and each cut copies them:
 * 10,000 such rules cost about a second a question, so the cost stays bounded.
 */
export const MAX_SOURCE_RANGES = 16_384;

/** One question's walk through the ruleset. Nothing but the chain and the sources decides a chain's result (the evaluator keeps no state along the path: it never reads a mark it could have set), so a result found once holds for every jump to that chain with those sources. */
interface Walk {
  readonly ruleset: Ruleset;
  readonly probe: Omit<SourcesProbe, 'sources'>;
  /** The packet's `ct state`; `unsure` where it cannot tell (a chain at conntrack's own priority). */
  readonly ctState: CtState;
  /** In a walk of the chains before conntrack: a `notrack` ends it, with the rule that notracks. */
  readonly track: boolean;
  /** By chain, then by set of sources (setKey). */
  readonly done: Map<Chain, Map<string, readonly Piece[]>>;
  /** The chains on the current path: a jump back to one is a loop. */
  readonly walking: Set<Chain>;
  /** Named sets and maps searched for a value (or read as addresses): each once, however many rules name it. */
  readonly searched: Map<string, unknown>;
  /** In a nat walk: where a `dnat` or `redirect` sends the packet. */
  readonly nat?: NatTarget;
  readonly budget: Budget;
}

type CtState = 'new' | 'untracked' | 'invalid' | 'unsure';

function newWalk(ruleset: Ruleset, probe: SourcesProbe, options: { nat?: NatTarget; budget?: Budget; ctState?: CtState; track?: boolean } = {}): Walk {
  const { sources: _, ...fixed } = probe;
  const { nat, budget = probeBudget(), ctState = 'new', track = false } = options;
  return { ruleset, probe: fixed, ctState, track, done: new Map(), walking: new Set(), searched: new Map(), ...(nat && { nat }), budget };
}

/** Spend one rule asked about `sources` from the walk's budget; why it cannot tell when the budget is gone. */
function spend(walk: Walk, sources: AddressSet): string | undefined {
  const { rangesPerRule } = walk.budget;
  walk.budget.left -= rangesPerRule === undefined ? 1 : 1 + Math.floor(sources.ranges.length / rangesPerRule);
  return walk.budget.left < 0 ? walk.budget.why : undefined;
}

/** A base chain's outcomes as its table's flags allow: undefined when the table is dormant (its chains do not run). */
function runTableChain(walk: Walk, chain: Chain, sources: AddressSet): SourcesChainOutcome[] | undefined {
  const table = walk.ruleset.tables.get(tableKey(chain.family, chain.table)) ?? 'running';
  if (table === 'dormant') return undefined;
  const outcomes = runBaseChain(walk, chain, sources);
  // Flags it cannot read: the table runs or not, and only an accept is the same answer both ways.
  if (table === 'running') return outcomes;
  const at: Decision = { family: chain.family, table: chain.table, chain: chain.name };
  const why = `a table whose flags nft prints as ${JSON.stringify(table.flags)} (dormant or not)`;
  return outcomes.map((answer) => (answer.outcome.verdict === 'accept' ? answer : { sources: answer.sources, outcome: { verdict: 'unknown', at, why } }));
}

function runBaseChain(walk: Walk, chain: Chain, sources: AddressSet): SourcesChainOutcome[] {
  return runChain(walk, chain, sources, 0).map(({ sources, result }): SourcesChainOutcome => {
    if (result.kind === 'verdict') return { sources, outcome: result.outcome };
    const at: Decision = { family: chain.family, table: chain.table, chain: chain.name, policy: chain.policy ?? 'accept' };
    if (at.policy === 'accept') return { sources, outcome: { verdict: 'accept', by: [at] } };
    if (at.policy === 'drop') return { sources, outcome: { verdict: 'drop', by: at } };
    return { sources, outcome: { verdict: 'unknown', at, why: `policy ${at.policy}` } };
  });
}

const MAX_DEPTH = 64;

/** A chain's result for these sources, walked on the first jump to it with them and remembered for the others. */
function runChain(walk: Walk, chain: Chain, sources: AddressSet, depth: number): readonly Piece[] {
  const sourcesKey = setKey(sources);
  const known = walk.done.get(chain)?.get(sourcesKey);
  if (known) return known;
  if (depth > MAX_DEPTH) return [unknownPiece(sources, { family: chain.family, table: chain.table, chain: chain.name }, 'jumps nest too deep')];
  walk.walking.add(chain);
  const result = runRules(walk, chain, sources, depth);
  walk.walking.delete(chain);
  let byChain = walk.done.get(chain);
  if (!byChain) walk.done.set(chain, (byChain = new Map()));
  byChain.set(sourcesKey, result);
  return result;
}

function runRules(walk: Walk, chain: Chain, sources: AddressSet, depth: number): Piece[] {
  const pieces: Piece[] = [];
  let going = sources;
  for (const rule of chain.rules) {
    if (isEmpty(going)) return pieces;
    const at: Decision = { family: chain.family, table: chain.table, chain: chain.name, ...(rule.handle !== undefined && { handle: rule.handle }) };
    const spent = spend(walk, going);
    if (spent) return [...pieces, unknownPiece(going, at, spent)];
    const decided = runRule(walk, chain, rule.expr, at, depth, going);
    pieces.push(...decided);
    going = decided.reduce((left, piece) => subtract(left, piece.sources), going);
    if (going.ranges.length > MAX_SOURCE_RANGES) return [...pieces, unknownPiece(going, at, `more than ${MAX_SOURCE_RANGES} separate source ranges to follow`)];
  }
  if (!isEmpty(going)) pieces.push({ sources: going, result: RETURN });
  return pieces;
}

function unknownPiece(sources: AddressSet, at: Decision, why: string): Piece {
  return { sources, result: { kind: 'verdict', outcome: { verdict: 'unknown', at, why } } };
}

/** Statements that change nothing about where the packet goes. */
const NO_OPS = new Set(['counter', 'log', 'notrack']);

/** Whether a statement changes nothing for this walk: `notrack` does on the way to NAT (an untracked packet gets none), and before conntrack. */
function isNoOp(walk: Walk, name: string, body: unknown): boolean {
  return (NO_OPS.has(name) && !(name === 'notrack' && (walk.nat || walk.track))) || setsMark(name, body);
}

/** `meta mark set`, `ct mark set`: a mark changes no verdict by itself, and a later match on one stays unknown (marks are not followed). */
function setsMark(name: string, body: unknown): boolean {
  const target = record(record(body)?.key);
  return name === 'mangle' && (str(record(target?.meta)?.key) === 'mark' || str(record(target?.ct)?.key) === 'mark');
}

/** The statement's name and body; undefined when it is not one nft writes. */
function statementOf(statement: unknown): { name: string; body: unknown } | undefined {
  const entry = record(statement);
  const name = entry && Object.keys(entry).length === 1 ? Object.keys(entry)[0]! : undefined;
  return entry && name ? { name, body: entry[name] } : undefined;
}

/** What a rule decides for which of `sources` (a verdict, a return, or unknown); the sources it decides nothing for go on to the next rule. */
function runRule(walk: Walk, chain: Chain, expr: readonly unknown[], at: Decision, depth: number, sources: AddressSet): Piece[] {
  // Matches are a conjunction: one false match means the rule does not apply, whatever the others are. The
  // matches on one value (port, protocol, state...) are read first: one false is the answer for every source,
  // without splitting them (500 rules on a 20,000-address set and a port each cost 500 port tests).
  const answers = new Map<number, MatchAnswer>();
  const answer = (index: number, body: unknown) => {
    if (!answers.has(index)) answers.set(index, matchAnswer(walk, chain, record(body)));
    return answers.get(index)!;
  };
  for (const [index, statement] of expr.entries()) {
    const parsed = statementOf(statement);
    if (!parsed || (parsed.name !== 'match' && parsed.name !== 'xt' && !isNoOp(walk, parsed.name, parsed.body))) break;
    if (parsed.name !== 'match') continue;
    const left = field(record(record(parsed.body)?.left), walk);
    if (typeof left !== 'string' && left.kind !== 'source' && answer(index, parsed.body) === false) return [];
  }
  const decided: Piece[] = [];
  // The sources every match so far holds for; those some match could not tell (none refused), and why.
  let live = sources;
  let unsure = emptySet(sources.family);
  let doubt: string | undefined;
  for (const [index, statement] of expr.entries()) {
    if (isEmpty(live) && isEmpty(unsure)) break;
    const parsed = statementOf(statement);
    if (!parsed) return [...decided, unknownPiece(union(live, unsure), at, 'an expression it cannot read')];
    const { name, body } = parsed;
    if (name === 'match') {
      const split = splitBy(answer(index, body), union(live, unsure));
      if (!isEmpty(split.unsure)) doubt ??= split.why;
      unsure = union(intersect(unsure, union(split.holds, split.unsure)), intersect(live, split.unsure));
      live = intersect(live, split.holds);
      continue;
    }
    if (name === 'xt') {
      const what = `an iptables extension (xt ${str(record(body)?.name) ?? '?'}) that nft -j does not show`;
      if (str(record(body)?.type) === 'target') return [...decided, unknownPiece(union(live, unsure), at, doubt ?? what)];
      doubt ??= what;
      unsure = union(unsure, live);
      live = emptySet(sources.family);
      continue;
    }
    if (isNoOp(walk, name, body)) continue;
    // From here on the statement acts: every match before it must hold for sure.
    if (!isEmpty(unsure)) decided.push(unknownPiece(unsure, at, doubt!));
    unsure = emptySet(sources.family);
    if (isEmpty(live)) break;
    if (name === 'vmap') {
      const looked = lookupVmap(walk, chain, record(body), live);
      for (const { sources: some, why } of looked.unsure) decided.push(unknownPiece(some, at, why));
      // A verdict that does not end the rule (continue, a jump that returns) goes on to the next rule.
      for (const { sources: some, verdict } of looked.found) decided.push(...applyVerdict(walk, chain, verdict, at, depth, some).decided);
      break;
    }
    const applied = applyVerdict(walk, chain, record(statement)!, at, depth, live);
    decided.push(...applied.decided);
    live = applied.going;
  }
  if (!isEmpty(unsure)) decided.push(unknownPiece(unsure, at, doubt!));
  return decided;
}

/** A verdict statement's effect on `sources`: what it decides, and the sources that go on with the rule's next statement. */
function applyVerdict(
  walk: Walk,
  chain: Chain,
  entry: Record<string, unknown>,
  at: Decision,
  depth: number,
  sources: AddressSet,
): { decided: Piece[]; going: AddressSet } {
  const name = Object.keys(entry)[0]!;
  const none = emptySet(sources.family);
  const decide = (result: ChainResult) => ({ decided: [{ sources, result }], going: none });
  switch (name) {
    case 'accept':
      return decide({ kind: 'verdict', outcome: { verdict: 'accept', by: [at] } });
    case 'drop':
    case 'reject':
      return decide({ kind: 'verdict', outcome: { verdict: 'drop', by: at } });
    case 'return':
      return decide(RETURN);
    case 'continue':
      return { decided: [], going: sources };
    case 'notrack':
      if (walk.track) return decide({ kind: 'verdict', outcome: { verdict: 'untracked', by: at } });
      break;
    case 'jump':
    case 'goto': {
      const targetName = str(record(entry[name])?.target);
      const target = targetName ? walk.ruleset.chains.get(key(chain.family, chain.table, targetName)) : undefined;
      if (!target) return { decided: [unknownPiece(sources, at, `${name} to a chain it cannot find`)], going: none };
      // The kernel refuses a loop when loading; only hand-made JSON holds one.
      if (walk.walking.has(target))
        return { decided: [unknownPiece(sources, at, `${name} to ${targetName}, a loop back to a chain on the path`)], going: none };
      const pieces = runChain(walk, target, sources, depth + 1);
      const decided = pieces.filter((piece) => piece.result.kind === 'verdict');
      const returned = pieces.filter((piece) => piece.result.kind === 'return');
      // A jump comes back to the next statement; a goto returns from the calling chain.
      if (name === 'goto') return { decided: [...decided, ...returned], going: none };
      return {
        decided,
        going:
          returned.length === 1
            ? returned[0]!.sources
            : fromRanges(
                sources.family,
                returned.flatMap((piece) => piece.sources.ranges),
              ),
      };
    }
    case 'dnat':
    case 'redirect': {
      if (!walk.nat) break;
      const target = walk.nat(name, entry[name], chain);
      if ('why' in target) return { decided: [unknownPiece(sources, at, target.why)], going: none };
      if ('skip' in target) return { decided: [], going: target.skip === 'statement' ? sources : none };
      return decide({ kind: 'verdict', outcome: { verdict: 'mapped', by: at, ...(target.to !== undefined && { to: target.to }) } });
    }
  }
  return { decided: [unknownPiece(sources, at, `a "${name}" statement`)], going: none };
}

// ---- matches ---------------------------------------------------------------

/** A value the probe has for a left-hand side: one value, or the source (a set); a string is why it cannot tell. */
type Field =
  | { kind: 'port'; value: number }
  | { kind: 'addr'; value: string }
  | { kind: 'word'; value: string; known: readonly string[] }
  | { kind: 'iface'; value: string }
  | { kind: 'source' }
  | { kind: 'absent' };

const TCP_NAMES = ['tcp', '6'];
const PROTOCOL_NAMES = ['tcp', 'udp', 'udplite', 'sctp', 'dccp', 'icmp', 'icmpv6', 'ipv6-icmp', 'igmp', 'gre', 'esp', 'ah'];
/** The same protocols by number (6 is tcp). */
const PROTOCOL_NUMBERS = ['6', '17', '136', '132', '33', '1', '58', '2', '47', '50', '51'];

function field(left: Record<string, unknown> | undefined, walk: Walk): Field | string {
  const { probe } = walk;
  const payload = record(left?.payload);
  if (payload) {
    const protocol = str(payload.protocol);
    const name = str(payload.field);
    if ((protocol === 'tcp' || protocol === 'th') && name === 'dport') return { kind: 'port', value: probe.port };
    if (['udp', 'udplite', 'sctp', 'dccp', 'icmp', 'icmpv6', 'igmp'].includes(protocol ?? '')) return { kind: 'absent' };
    if (protocol === 'ip' || protocol === 'ip6') {
      // `ip saddr` in an inet table implies an IPv4 packet: an IPv6 one never matches (and vice versa).
      if ((protocol === 'ip') !== (probe.family === 4)) return { kind: 'absent' };
      if (name === 'saddr') return { kind: 'source' };
      if (name === 'daddr' && probe.destination !== undefined) return { kind: 'addr', value: probe.destination };
      if ((protocol === 'ip' && name === 'protocol') || (protocol === 'ip6' && name === 'nexthdr'))
        return { kind: 'word', value: 'tcp', known: [...PROTOCOL_NAMES, ...PROTOCOL_NUMBERS] };
    }
    return `${protocol ?? '?'} ${name ?? '?'}`;
  }
  const meta = str(record(left?.meta)?.key);
  if (meta === 'l4proto') return { kind: 'word', value: 'tcp', known: [...PROTOCOL_NAMES, ...PROTOCOL_NUMBERS] };
  if (meta === 'nfproto') return { kind: 'word', value: probe.family === 4 ? 'ipv4' : 'ipv6', known: ['ipv4', 'ipv6'] };
  if (meta === 'protocol') return { kind: 'word', value: probe.family === 4 ? 'ip' : 'ip6', known: ['ip', 'ip6', 'arp', 'vlan'] };
  // The interface asked about; else some non-loopback one, where only "lo" can be told apart.
  if ((meta === 'iif' || meta === 'iifname') && probe.interface !== undefined) return { kind: 'iface', value: probe.interface };
  if (meta === 'iif' || meta === 'iifname') return { kind: 'word', value: 'not-lo', known: ['lo'] };
  if (meta === 'iiftype') return { kind: 'word', value: 'not-loopback', known: ['loopback'] };
  if (meta) return `meta ${meta}`;
  const ct = str(record(left?.ct)?.key);
  // At conntrack's own priority, a chain may run before it (no entry yet: invalid) or after it (new).
  if (ct === 'state' && walk.ctState === 'unsure') return "ct state (in a chain at conntrack's priority, -200)";
  if (ct === 'state') return { kind: 'word', value: walk.ctState, known: ['new', 'established', 'related', 'invalid', 'untracked'] };
  if (ct) return `ct ${ct}`;
  return Object.keys(left ?? {})[0] ?? 'an expression';
}

/** A match's answer: true, false or why it cannot tell, when the field has one value; for the source, the sources it holds for (and, when part of its value could not be read, why the others are unsure). */
type MatchAnswer = boolean | string | { readonly holds: AddressSet; readonly why?: string; readonly negated: boolean };

function matchAnswer(walk: Walk, chain: Chain, match: Record<string, unknown> | undefined): MatchAnswer {
  const op = str(match?.op);
  const left = field(record(match?.left), walk);
  if (typeof left === 'string') return `a match on ${left}`;
  // `udp dport != 53`, `ip saddr != ...` on IPv6: nft adds the protocol as a dependency, so the rule never matches.
  if (left.kind === 'absent') return false;
  const right = match?.right;
  if (left.kind === 'source') {
    if (op !== '==' && op !== 'in' && op !== '!=') return `a "${op ?? '?'}" comparison`;
    const held = addressesIn(walk, chain, right, walk.probe.family);
    return { holds: held.set, ...(held.why !== undefined && { why: `a match on ${held.why}` }), negated: op === '!=' };
  }
  const contained = contains(walk, chain, right, left);
  if (typeof contained === 'string') return `a match on ${contained}`;
  if (op === '==' || op === 'in') return contained;
  if (op === '!=') return !contained;
  return `a "${op ?? '?'}" comparison`;
}

/** Which of `among` a match holds for, which it cannot tell for (and why); it refuses the rest. */
function splitBy(answer: MatchAnswer, among: AddressSet): { holds: AddressSet; unsure: AddressSet; why?: string } {
  const none = emptySet(among.family);
  if (answer === true) return { holds: among, unsure: none };
  if (answer === false) return { holds: none, unsure: none };
  if (typeof answer === 'string') return { holds: none, unsure: among, why: answer };
  const inside = intersect(among, answer.holds);
  // The sources outside what it could read may be in what it could not.
  const unsure = answer.why === undefined ? none : subtract(among, answer.holds);
  const holds = answer.negated ? subtract(subtract(among, inside), unsure) : inside;
  return { holds, unsure, ...(answer.why !== undefined && { why: answer.why }) };
}

/** Whether the probe's value is in `right` (a value, a set, a range, a prefix, a named set); a string is why it cannot tell. */
function contains(walk: Walk, chain: Chain, right: unknown, value: Exclude<Field, { kind: 'source' | 'absent' }>): boolean | string {
  if (value.kind === 'addr') {
    const address = addressSet(walk.probe.family, value.value);
    if (!address) return `address ${JSON.stringify(value.value)}`;
    const held = addressesIn(walk, chain, right, walk.probe.family);
    return !isEmpty(intersect(held.set, address)) || (held.why ?? false);
  }
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
    if (Array.isArray(range) && range.length === 2) {
      if (value.kind === 'port' && typeof range[0] === 'number' && typeof range[1] === 'number') return range[0] <= value.value && value.value <= range[1];
      return `a range of ${JSON.stringify(range)}`;
    }
    return `a ${Object.keys(object)[0] ?? 'value'} value`;
  }
  if (value.kind === 'port') {
    if (typeof right === 'number') return right === value.value;
    return `port ${JSON.stringify(right)}`;
  }
  if (value.kind === 'iface') return typeof right === 'string' ? interfaceMatches(right, value.value) : `interface ${JSON.stringify(right)}`;
  const word = typeof right === 'number' ? String(right) : right;
  if (typeof word !== 'string') return `value ${JSON.stringify(right)}`;
  if (value.value === 'tcp' && TCP_NAMES.includes(word)) return true;
  if (word === value.value) return true;
  if (value.known.includes(word)) return false;
  return `"${word}"`;
}

/** The addresses of `family` an address value holds (an address, a prefix, a range, a set, a named set), and why, when part of it cannot be read. Addresses of the other family hold none (the table's family check keeps them apart). */
function addressesIn(walk: Walk, chain: Chain, right: unknown, family: 4 | 6): { set: AddressSet; why?: string } {
  // A named set alone (the usual `ip saddr @blocklist`): read once per walk, never copied.
  if (typeof right === 'string' && right.startsWith('@')) return namedAddresses(walk, chain, right, family);
  const ranges: (readonly [bigint, bigint])[] = [];
  let why: string | undefined;
  const add = (item: unknown): void => {
    if (Array.isArray(item)) {
      for (const element of item) add(element);
      return;
    }
    if (typeof item === 'string' && item.startsWith('@')) {
      const named = namedAddresses(walk, chain, item, family);
      ranges.push(...named.set.ranges);
      why ??= named.why;
      return;
    }
    const object = record(item);
    if (object) {
      if (Array.isArray(object.set) || record(object.elem)) {
        add(Array.isArray(object.set) ? object.set : record(object.elem)!.val);
        return;
      }
      const range = object.range;
      if (Array.isArray(range) && range.length === 2) {
        const [low, high] = range.map((end) => (typeof end === 'string' ? addressBits(end) : undefined));
        if (!low || !high || low.family !== high.family) why ??= `the range ${String(range[0])}-${String(range[1])}`;
        else if (low.family === family) ranges.push([low.value, high.value]);
        return;
      }
      const prefix = record(object.prefix);
      if (prefix) {
        const network = str(prefix.addr);
        const length = prefix.len;
        const bits = network === undefined ? undefined : addressBits(network);
        const span = bits && typeof length === 'number' ? prefixRange(bits.family, network!, length) : undefined;
        if (!span) why ??= `the prefix ${network}/${String(length)}`;
        else if (bits!.family === family) ranges.push(span);
        return;
      }
      why ??= `a ${Object.keys(object)[0] ?? 'value'} value`;
      return;
    }
    const bits = typeof item === 'string' ? addressBits(item) : undefined;
    if (!bits) why ??= `address ${JSON.stringify(item)}`;
    else if (bits.family === family) ranges.push([bits.value, bits.value]);
  };
  add(right);
  return { set: fromRanges(family, ranges), ...(why !== undefined && { why }) };
}

/** A named set's addresses, read once per walk however many rules name it. */
function namedAddresses(walk: Walk, chain: Chain, reference: string, family: 4 | 6): { set: AddressSet; why?: string } {
  const setKey = key(chain.family, chain.table, reference.slice(1));
  const memo = `addresses\0${setKey}\0${family}`;
  if (!walk.searched.has(memo)) {
    const elements = walk.ruleset.sets.get(setKey);
    walk.searched.set(memo, elements ? addressesIn(walk, chain, elements, family) : { set: emptySet(family), why: `the set ${reference} it cannot find` });
  }
  return walk.searched.get(memo) as { set: AddressSet; why?: string };
}

/** `search` over the elements of `@name` (undefined when there is no such set), once per walk and value: many rules searching one large set would otherwise cost their product. */
function searchNamed<T>(
  walk: Walk,
  chain: Chain,
  use: 'match' | 'vmap',
  reference: string,
  value: Exclude<Field, { kind: 'source' }>,
  search: (elements: readonly unknown[] | undefined) => T,
): T {
  const setKey = key(chain.family, chain.table, reference.slice(1));
  // Each kind of field has one value per probe, and a word's known names follow from its value.
  const memo = `${use}\0${setKey}\0${value.kind}\0${'value' in value ? value.value : ''}`;
  if (!walk.searched.has(memo)) walk.searched.set(memo, search(walk.ruleset.sets.get(setKey)));
  return walk.searched.get(memo) as T;
}

/** Whether nft's interface name `pattern` (`eth0`, the wildcard `eth*`, `eth\\*` for a name that ends in a star) names `name`. */
export function interfaceMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('*') && !pattern.endsWith('\\*')) return name.startsWith(pattern.slice(0, -1));
  return pattern.replace(/\\\*$/, '*') === name;
}

function anyOf(results: readonly (boolean | string)[]): boolean | string {
  if (results.includes(true)) return true;
  return results.find((result) => typeof result === 'string') ?? false;
}

/** A verdict map's answer for `among`: the verdict each range of them gets, and those it cannot tell for; the rest match no element. */
function lookupVmap(
  walk: Walk,
  chain: Chain,
  vmap: Record<string, unknown> | undefined,
  among: AddressSet,
): { found: { sources: AddressSet; verdict: Record<string, unknown> }[]; unsure: { sources: AddressSet; why: string }[] } {
  const left = field(record(vmap?.key), walk);
  if (typeof left === 'string') return { found: [], unsure: [{ sources: among, why: `a verdict map on ${left}` }] };
  const data = vmap?.data;
  const named = typeof data === 'string' && data.startsWith('@');
  if (left.kind === 'source') {
    const groups = named
      ? (searchNamed(walk, chain, 'vmap', data, { kind: 'absent' }, (elements) =>
          elements ? sourcePairs(walk, chain, elements) : `the map ${data} it cannot find`,
        ) as ReturnType<typeof sourcePairs> | string)
      : sourcePairs(walk, chain, record(data)?.set);
    if (typeof groups === 'string') return { found: [], unsure: [{ sources: among, why: groups }] };
    const found = groups.verdicts.map(({ set, verdict }) => ({ sources: intersect(among, set), verdict })).filter(({ sources }) => !isEmpty(sources));
    if (groups.why === undefined) return { found, unsure: [] };
    // Sources outside what it could read may be keys of what it could not.
    const rest = found.reduce((left, { sources }) => subtract(left, sources), among);
    return { found, unsure: isEmpty(rest) ? [] : [{ sources: rest, why: `a verdict map: ${groups.why}` }] };
  }
  const verdict = named
    ? searchNamed(walk, chain, 'vmap', data, left, (elements) => (elements ? lookupPairs(walk, chain, elements, left) : `the map ${data} it cannot find`))
    : lookupPairs(walk, chain, record(data)?.set, left);
  if (typeof verdict === 'string') return { found: [], unsure: [{ sources: among, why: verdict }] };
  return { found: verdict ? [{ sources: among, verdict }] : [], unsure: [] };
}

/** A verdict map keyed by source address, as one set of sources per verdict (nft keeps a map's keys apart, so their order does not matter). */
function sourcePairs(walk: Walk, chain: Chain, pairs: unknown): { verdicts: { set: AddressSet; verdict: Record<string, unknown> }[]; why?: string } | string {
  if (!Array.isArray(pairs)) return 'a verdict map it cannot read';
  const byVerdict = new Map<string, { ranges: (readonly [bigint, bigint])[]; verdict: Record<string, unknown> }>();
  let why: string | undefined;
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2 || !record(pair[1])) return 'a verdict map it cannot read';
    const held = addressesIn(walk, chain, pair[0], walk.probe.family);
    why ??= held.why;
    const name = JSON.stringify(pair[1]);
    const group = byVerdict.get(name) ?? { ranges: [], verdict: record(pair[1])! };
    group.ranges.push(...held.set.ranges);
    byVerdict.set(name, group);
  }
  const verdicts = [...byVerdict.values()].map(({ ranges, verdict }) => ({ set: fromRanges(walk.probe.family, ranges), verdict }));
  return { verdicts, ...(why !== undefined && { why }) };
}

/** The verdict of the first pair whose key holds the probe's value. */
function lookupPairs(walk: Walk, chain: Chain, pairs: unknown, left: Exclude<Field, { kind: 'source' }>): Record<string, unknown> | undefined | string {
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
  const chain = `${decision.family} ${nftName(decision.table)} ${nftName(decision.chain)}`;
  if (decision.handle !== undefined) return `rule ${chain} handle ${decision.handle}`;
  if (decision.policy !== undefined) return `the policy (${decision.policy}) of ${chain}`;
  return `chain ${chain}`;
}

/** A table or chain name as nft would need it written: bare when it is an identifier, else quoted with what it holds escaped (nft takes any quoted name; a control character or a space must not pass for the reason's own text). */
function nftName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(name) ? name : quoteValue(name);
}
