// A key written twice in one mapping of a YAML file, found from its logical
// lines (prometheus-jobs.ts's logicalLines): in a block mapping by
// indentation, in a flow mapping (`{a: 1, a: 2}`, `[{targets: [...],
// targets: [...]}]`) by its brackets and commas. Prometheus reads its files
// with yaml.v2's UnmarshalStrict, which refuses a repeated key in any mapping
// (`promtool check config`: "field static_configs already set in type
// config.ScrapeConfig", `key "x" already set in map`), so the file is not
// loaded at all. A merge key (`<<: *base`) is read as yaml.v2 reads it: into
// a struct (a job, a static_configs entry) a key it merges that the mapping
// also sets is taken, the mapping's own winning; into a Go map (MAP_KEYS:
// `labels`, ...) every key is set one by one, so a key the mapping and a
// merge both give, or two merges both give, is set twice and refused (the
// merged keys are known for a mapping written there, flow or block, and for
// an alias of an anchor set earlier in the file; a merge of anything else is
// not read). yaml.v2 names the line of the value set the second time: for a
// key a merge gives again, that is where the merged mapping holds it (maybe
// far from the `<<`), and of a list of merges (`<<: [*a, *b]`) it merges the
// last first, so the repeat is the earlier one's key.
import { characterColumn } from './finding.js';
import { yamlScalar } from './yaml-scalar.js';

/** What of a logical line (prometheus-jobs.ts's LogicalLine) this reads: its text, masked (quoted characters hidden), where it starts on its line, and the lines joined to it. */
export interface KeyLine {
  readonly line: number;
  readonly text: string;
  readonly masked?: string;
  readonly place?: { readonly from: number; readonly raw?: string };
  readonly joins?: readonly { readonly at: number; readonly line: number; readonly raw: string; readonly from: number }[];
}

export interface RepeatedKey {
  /** The key, as YAML reads it (a quoted one unquoted, escapes applied). */
  readonly key: string;
  /**
   * Where it is set the second time, as promtool names it: the key written again; for a key a merge gives again,
   * that key where the merged mapping holds it (the `<<` is `via`). Its line and 1-based column.
   */
  readonly line: number;
  readonly column: number;
  /** Set when a merge key gives the key again: where that `<<` is (the line and column of the mapping merged into). */
  readonly via?: KeyPlace;
  /** The line it is first set on (of the `<<` that set it, when `merged`). */
  readonly first: number;
  /** Set when one of the two is a merge key's (`<<`): a Go map takes each merged key as if it were written there. */
  readonly merged?: true;
  /** The line of the logical line it is found in (a flow mapping may span lines): the job it is in starts there or before. */
  readonly statement: number;
  /** The top-level key it is under (undefined for a top-level key itself). */
  readonly section?: string;
  /** The key whose value the mapping is (`labels`), undefined for an item of a list or the top level. */
  readonly parent?: string;
}

/**
 * The mappings of Prometheus's configuration that are Go maps, by their key: a key repeated in one is said by yaml.v2
 * as a map's, not a field's, and a key a merge gives counts as set there.
 */
export const MAP_KEYS = new Set(['labels', 'external_labels', 'params', 'headers', 'http_headers']);

/** Where a key (or a `<<`) is written: its line and 1-based column. */
export interface KeyPlace {
  readonly line: number;
  readonly column: number;
}

/** A key a merge gave a Go map: the line of the `<<` that gave it, and where the merged mapping holds it. */
interface MergedKey {
  readonly by: number;
  readonly from: KeyPlace;
}

/** A mapping being read, block or flow: its keys with where each is written, and those merges gave (`<<`). */
interface Mapping {
  readonly keys: Map<string, KeyPlace>;
  /** Made on the first merge into a Go map (most mappings have none). */
  merged?: Map<string, MergedKey>;
  /** The key whose value it is (undefined: a list item, the top level). */
  readonly parent?: string;
  /** Where it is in the file (PathOf): undefined where that is not followed (a merge's value, a list in a list). */
  path?: string;
}

/**
 * Where a mapping is in the file, as the keys from the top down with `-` for a list item: '' for the top level,
 * `scrape_configs.-` for a job, `scrape_configs.-.static_configs.-` for its target groups, `global` for its section.
 */
export type PathOf = string;

/** The path of the value of `key` in the mapping at `path` (undefined when either is not known). */
function childPath(path: string | undefined, key: string | undefined): string | undefined {
  if (path === undefined || key === undefined) return undefined;
  return path === '' ? key : `${path}.${key}`;
}

/** A block mapping being read: the column its keys stand at, and the key last set in it (a mapping on the lines after, indented more, is its value). */
interface OpenMapping extends Mapping {
  readonly indent: number;
  last?: string;
  /** An anchor written after the last key with no value on its line (`labels: &l`): the mapping under it is anchored so. */
  anchorNext?: string;
  /** Set when its last key is a `<<` with no value on its line: the block mapping under it is merged so. */
  mergeNext?: PendingMerge;
  /** Of a block mapping that is a merge key's value: that merge, made when the mapping ends (its keys all known). */
  mergedBy?: PendingMerge;
  /** The anchored mappings a block list under its `<<:` names (`- *a`), merged when the list ends, the last first (as yaml.v2 does). */
  mergeItems?: Mapping[];
  /** Set when its last key has no value on its line (nor is a `<<`): a block mapping or list on the lines after is its value. */
  awaiting?: true;
  /** Set after a list item with no content on its line (`-`, `- &job`): the path of the block mapping on the lines after, that item. */
  itemNext?: string | undefined;
}

/** A merge whose value is a block mapping on the lines after its `<<`: made when that mapping ends, with what the `<<` is in. */
interface PendingMerge {
  readonly merge: Merge;
  readonly where: Where;
}

/** What the scans of one file share: the repeats found, and the keys of each anchored mapping (for an alias a merge key names). */
interface Scan {
  readonly repeats: RepeatedKey[];
  readonly onKey: ((set: SetKey) => void) | undefined;
  /** Hears each merge key whose value is written as no mapping (a scalar, a list of one, a list in a list), which yaml.v2 refuses. */
  readonly onBadMerge: ((at: KeyPlace) => void) | undefined;
  /** Hears each key whose value is a collection (onCollection). */
  readonly onCollection: ((value: CollectionValue) => void) | undefined;
  readonly anchors: Map<string, Mapping>;
  /** How many more keys merges may set: an anchor of many keys merged into many maps is not followed past it. */
  mergeBudget: number;
}

/**
 * The keys merges may set in one file before no more merges are followed (their repeats then not found): each merge
 * copies the anchored mapping's keys, so a large anchor merged into every job would cost its size times theirs.
 */
const MERGED_KEYS = 100_000;

/** yaml.v2's limit on how deep flow collections nest (it refuses a file past it): no deeper one is read. */
const MAX_FLOW_DEPTH = 10_000;

/** A key set in a mapping (not again): where it is written, the key whose value the mapping is, and the `<<` that merged it, if one did (into a Go map). */
export interface SetKey {
  readonly key: string;
  readonly parent?: string;
  /** The top-level key it is under (none: it is one). */
  readonly section?: string;
  readonly line: number;
  readonly column: number;
  readonly via?: KeyPlace;
  /** The path of the mapping it is set in (PathOf); left out where that is not followed. */
  readonly path?: string;
  /** The line of the logical line it is found in (a job written as a flow mapping starts there). */
  readonly statement?: number;
}

/**
 * A key whose value is a mapping or a list, block or flow (`a: {b: 1}`, `a: [x]`, `a:` with `b: 1` or `- x` under
 * it): the key, the key whose value its mapping is, and where the collection starts (its `{`, `[`, first key or `-`).
 */
export interface CollectionValue {
  readonly key: string;
  readonly parent?: string;
  readonly kind: 'mapping' | 'list';
  readonly line: number;
  readonly column: number;
}

/**
 * Every key set a second time (or more) in its mapping, in file order; `onKey` hears each key set the first time (a
 * label name to judge), `onCollection` each key whose value is a collection (a label's value that is none).
 */
export function repeatedKeys(
  lines: readonly KeyLine[],
  onKey?: (set: SetKey) => void,
  onBadMerge?: (at: KeyPlace) => void,
  onCollection?: (value: CollectionValue) => void,
): RepeatedKey[] {
  const scan: Scan = { repeats: [], onKey, onBadMerge, onCollection, anchors: new Map(), mergeBudget: MERGED_KEYS };
  const open: OpenMapping[] = [];
  for (const logical of lines) {
    const place = logical.place;
    if (place === undefined) continue;
    const { text } = logical;
    const masked = logical.masked ?? text;
    const at = afterDashes(text);
    const dash = at > 0;
    const key = keyAt(text, masked, at);
    // A line that is neither a list item nor a key (a plain scalar's next line, a flow value on its own line) changes no mapping.
    if (!dash && key === undefined) {
      const value = valueStart(masked, at);
      if (isFlowStart(masked[value.at])) {
        // The value of the last key of the mapping it is indented under (`labels:` with `{a: 1}` on the next line).
        const holder = open.findLast((mapping) => mapping.indent < place.from);
        const parent = holder?.last;
        if (holder?.awaiting === true) collectionOf(scan, holder, masked[value.at] === '{' ? 'mapping' : 'list', placeOf(logical)(value.at));
        // A document written as one flow mapping is the top level.
        const path = holder === undefined ? (open.length === 0 && masked[value.at] === '{' ? '' : undefined) : childPath(holder.path, parent);
        flowRepeats(scan, logical, value.at, { statement: logical.line, ...sectionOf(open), parent, anchor: value.anchor, path });
      }
      continue;
    }
    const lead = place.from;
    closeMappings(scan, open, lead);
    const holder = open[open.length - 1];
    if (dash && holder?.awaiting === true) collectionOf(scan, holder, 'list', { line: logical.line, column: lead + 1 });
    if (key === undefined) {
      const value = valueStart(masked, at);
      const under = open[open.length - 1];
      if (dash && under?.mergeNext !== undefined && masked[value.at] === '*') {
        // `- *a` in a block list that is a merge key's value.
        const anchored = scan.anchors.get(aliasName(masked, value.at));
        if (anchored !== undefined) (under.mergeItems ??= []).push(anchored);
        continue;
      }
      // `-` or `- &job` alone: the block mapping on the lines after is the item (a job, a target group).
      if (dash && holder !== undefined) holder.itemNext = value.at >= masked.length ? itemPath(holder, text, at) : undefined;
      // `- {job_name: a, ...}`, `- [..]`: a list item written as a flow collection.
      if (isFlowStart(masked[value.at]))
        flowRepeats(scan, logical, value.at, { statement: logical.line, ...sectionOf(open), anchor: value.anchor, path: itemPath(holder, text, at) });
      continue;
    }
    const column = lead + at;
    let mapping = open[open.length - 1];
    if (dash || mapping === undefined || mapping.indent !== column) {
      // A list item's mapping starts here; so does a mapping that is the value of the key before it.
      const parent = dash ? undefined : mapping?.last;
      const anchor = dash ? undefined : mapping?.anchorNext;
      const mergedBy = dash ? undefined : mapping?.mergeNext;
      const path = dash ? itemPath(holder, text, at) : mapping === undefined ? '' : (mapping.itemNext ?? childPath(mapping.path, mapping.last));
      if (mapping !== undefined) mapping.itemNext = undefined;
      if (!dash && mapping?.awaiting === true) collectionOf(scan, mapping, 'mapping', { line: logical.line, column: column + 1 });
      mapping = {
        indent: column,
        keys: new Map(),
        ...(parent !== undefined && { parent }),
        ...(mergedBy !== undefined && { mergedBy }),
        ...(path !== undefined && { path }),
      };
      if (anchor !== undefined) scan.anchors.set(anchor, mapping);
      open.push(mapping);
    }
    mapping.last = key.name;
    mapping.itemNext = undefined;
    mapping.anchorNext = undefined;
    mapping.awaiting = undefined;
    mergeListed(scan, mapping);
    mapping.mergeNext = undefined;
    const where = { line: logical.line, column: column + 1, statement: logical.line, ...sectionOf(open, mapping) };
    const value = valueStart(masked, key.end);
    if (key.merge === true) {
      const merge = { into: mapping, line: logical.line, column: column + 1 };
      if (masked[value.at] === '*') mergeAlias(scan, merge, aliasName(masked, value.at), where);
      else if (value.at < masked.length && !isFlowStart(masked[value.at]) && !'#!'.includes(masked[value.at]!))
        scan.onBadMerge?.(merge); // `<<: x`
      else if (isFlowStart(masked[value.at]))
        flowRepeats(scan, logical, value.at, { statement: logical.line, ...optional(open[0]!.last), merge, anchor: value.anchor });
      else if (value.at >= masked.length) {
        // `<<:` with a block mapping under it (`<<: &base` anchors it too).
        mapping.mergeNext = { merge, where };
        if (value.anchor !== undefined) mapping.anchorNext = value.anchor;
      }
      continue;
    }
    setKey(scan, mapping, key.name, where);
    if (value.at >= masked.length) {
      if (value.anchor !== undefined) mapping.anchorNext = value.anchor;
      mapping.awaiting = true;
    } else if (isFlowStart(masked[value.at])) {
      collectionOf(scan, mapping, masked[value.at] === '{' ? 'mapping' : 'list', placeOf(logical)(value.at));
      // Its section: the top-level key it is under, or this key itself, when it is one.
      const section = open[0]!.last;
      const path = childPath(mapping.path, key.name);
      flowRepeats(scan, logical, value.at, { statement: logical.line, ...optional(section), parent: key.name, anchor: value.anchor, path });
    }
  }
  closeMappings(scan, open, -1);
  return scan.repeats;
}

/**
 * The path of the mapping or flow collection a block list item starts (`text`'s item, its content at `at`): an item
 * of the list that is the value of the last key of `holder`, the mapping open around it; undefined for an item of a
 * list in a list (`- - a: 1`), or with no mapping around it.
 */
function itemPath(holder: OpenMapping | undefined, text: string, at: number): string | undefined {
  if (holder === undefined || text.lastIndexOf('-', at - 1) > 0) return undefined;
  const list = childPath(holder.path, holder.last);
  return list === undefined ? undefined : `${list}.-`;
}

/** The block mappings indented more than `lead` end: each that is a merge's value is merged now, its keys all read. */
function closeMappings(scan: Scan, open: OpenMapping[], lead: number): void {
  while (open.length > 0 && open[open.length - 1]!.indent > lead) {
    const closed = open.pop()!;
    if (closed.mergedBy !== undefined) mergeKeys(scan, closed.mergedBy.merge, closed, closed.mergedBy.where);
    mergeListed(scan, closed);
  }
}

/** The mappings a block list under a `<<:` of `mapping` named, merged into it now that the list has ended: the last first. */
function mergeListed(scan: Scan, mapping: OpenMapping): void {
  const items = mapping.mergeItems;
  if (items === undefined || mapping.mergeNext === undefined) return;
  mapping.mergeItems = undefined;
  for (const each of items.reverse()) mergeKeys(scan, mapping.mergeNext.merge, each, mapping.mergeNext.where);
}

/** Where a repeat stands, and what it is in. */
interface Where {
  readonly line: number;
  readonly column: number;
  readonly statement: number;
  readonly section?: string;
}

/** The top-level key the lines being read are under (`open`: the block mappings open, `mapping` the one a key is set in). */
function sectionOf(open: readonly OpenMapping[], mapping?: OpenMapping): { section?: string } {
  const top = open[0];
  if (top === undefined || top === mapping) return {};
  return top.last !== undefined ? { section: top.last } : {};
}

/** `key` set in `mapping` at `where`: a repeat if it is set there already (or, in a Go map, a merge gave it). */
function setKey(scan: Scan, mapping: Mapping, key: string, where: Where): void {
  const first = mapping.keys.get(key)?.line;
  const merged = first === undefined && isGoMap(mapping) ? mapping.merged?.get(key)?.by : undefined;
  if (first !== undefined || merged !== undefined) {
    scan.repeats.push(repeat(key, where, (first ?? merged)!, mapping, merged !== undefined));
    return;
  }
  mapping.keys.set(key, { line: where.line, column: where.column });
  scan.onKey?.({
    key,
    ...(mapping.parent !== undefined && { parent: mapping.parent }),
    ...(where.section !== undefined && { section: where.section }),
    line: where.line,
    column: where.column,
    ...(mapping.path !== undefined && { path: mapping.path }),
    statement: where.statement,
  });
}

/** The value of `mapping`'s last key is a collection starting at `at`: heard by onCollection (once). */
function collectionOf(scan: Scan, mapping: OpenMapping, kind: CollectionValue['kind'], at: KeyPlace): void {
  mapping.awaiting = undefined;
  if (mapping.last === undefined) return;
  scan.onCollection?.({ key: mapping.last, ...(mapping.parent !== undefined && { parent: mapping.parent }), kind, line: at.line, column: at.column });
}

const isGoMap = (mapping: Mapping): boolean => mapping.parent !== undefined && MAP_KEYS.has(mapping.parent);

function repeat(key: string, where: Where, first: number, mapping: Mapping, merged: boolean, via?: KeyPlace): RepeatedKey {
  return {
    key,
    line: where.line,
    column: where.column,
    ...(via !== undefined && { via }),
    first,
    ...(merged && { merged: true as const }),
    statement: where.statement,
    ...(where.section !== undefined && { section: where.section }),
    ...(mapping.parent !== undefined && { parent: mapping.parent }),
  };
}

/** A merge key being read: the mapping it merges into, and where its `<<` is. */
interface Merge {
  readonly into: Mapping;
  readonly line: number;
  readonly column: number;
}

/**
 * The keys of `from` merged into `merge.into`: nothing for a struct; for a Go map, each key it (or a merge before)
 * has already is a repeat, placed where `from` holds that key (the line yaml.v2 names), by the `<<` (`via`).
 */
function mergeKeys(scan: Scan, merge: Merge, from: Mapping, where: Where): void {
  const into = merge.into;
  const size = from.keys.size + (from.merged?.size ?? 0);
  if (!isGoMap(into) || size > scan.mergeBudget) return;
  scan.mergeBudget -= size;
  const via = { line: merge.line, column: merge.column };
  const merged = (into.merged ??= new Map());
  const given = [...from.keys, ...[...(from.merged ?? [])].map(([key, each]): [string, KeyPlace] => [key, each.from])];
  for (const [key, place] of given) {
    const own = into.keys.get(key)?.line;
    const first = own ?? merged.get(key)?.by;
    if (first !== undefined) scan.repeats.push(repeat(key, { ...where, ...place }, first, into, own === undefined, via));
    else {
      merged.set(key, { by: merge.line, from: place });
      scan.onKey?.({ key, ...(into.parent !== undefined && { parent: into.parent }), ...place, via });
    }
  }
}

/** A merge of an alias (`<<: *l`): the anchored mapping's keys, when an anchor of that name was set before; else nothing is known. */
function mergeAlias(scan: Scan, merge: Merge, name: string, where: Where): void {
  const anchored = scan.anchors.get(name);
  if (anchored !== undefined) mergeKeys(scan, merge, anchored, where);
}

/** The name of the alias at `at` (`*l`), to the next space or flow indicator. */
function aliasName(masked: string, at: number): string {
  let end = at + 1;
  while (end < masked.length && !' \t,[]{}'.includes(masked[end]!)) end++;
  return masked.slice(at + 1, end);
}

const isFlowStart = (char: string | undefined): boolean => char === '{' || char === '[';

/** After the `- ` of a list item (or several: `- - a: 1`): where the rest of the line's text starts. */
function afterDashes(text: string): number {
  let at = 0;
  while (text[at] === '-' && (at + 1 === text.length || text[at + 1] === ' ' || text[at + 1] === '\t')) {
    at++;
    while (text[at] === ' ' || text[at] === '\t') at++;
  }
  return at;
}

/** Where a value written from `from` on starts, after white space and its properties (an anchor `&l`, a tag `!!map`), with its anchor. */
function valueStart(masked: string, from: number): { at: number; anchor?: string } {
  let at = from;
  let anchor: string | undefined;
  for (;;) {
    while (masked[at] === ' ' || masked[at] === '\t') at++;
    if (masked[at] !== '&' && masked[at] !== '!') return { at, ...(anchor !== undefined && { anchor }) };
    let end = at + 1;
    while (end < masked.length && masked[end] !== ' ' && masked[end] !== '\t') end++;
    if (masked[at] === '&') anchor = masked.slice(at + 1, end);
    at = end;
  }
}

/** A flow collection being read: a mapping (its keys, the key of the entry being read) or a sequence. */
interface FlowFrame {
  mapping?: Mapping;
  /** The merge its value (a flow mapping), or each of its items (a sequence), is merged by. */
  merge?: Merge;
  /** Of a sequence that is a merge's value (`<<: [*a, {b: 1}]`): its mappings, merged when it ends, the last first (as yaml.v2 does). */
  pending?: Mapping[];
  anchor?: string;
  /** At the start of an entry, where a key is read. */
  atKey: boolean;
  /** The key of the entry being read, with its place (undefined: none read, `? ` or a complex key). */
  key?: { readonly name: string; readonly line: number; readonly column: number; readonly merge: boolean };
  /** Where it is in the file (PathOf), when that is followed. */
  path?: string;
}

/**
 * The repeats in the flow collection that starts at `start` of a logical line (a `{` or `[` of its masked text), to
 * its end: `context` says what its outermost collection is (the value of `parent`; the value of a merge key, `merge`;
 * anchored). Each entry's key is read as YAML reads it (quoted, escaped, or a plain one, `{a, a}` included); a
 * complex key (`? `, `{a: 1}: x`) or an alias one is none. A key's place is found through the lines joined to it.
 */
function flowRepeats(
  scan: Scan,
  logical: KeyLine,
  start: number,
  context: { statement: number; section?: string; parent?: string | undefined; merge?: Merge; anchor?: string | undefined; path?: string | undefined },
): void {
  const { text } = logical;
  const masked = logical.masked ?? text;
  const place = placeOf(logical);
  const stack: FlowFrame[] = [];
  let anchor: string | undefined = context.anchor; // an anchor written before the next collection
  const section = (): string | undefined => context.section ?? (stack.length > 1 ? stack[0]!.key?.name : undefined);
  for (let at = start; at < masked.length; ) {
    const char = masked[at]!;
    const top = stack[stack.length - 1];
    if (char === ' ' || char === '\t') {
      at++;
      continue;
    }
    if (char === '{' || char === '[') {
      // Its parent: the key whose value it is; the outermost one's, the context's.
      const parent = top === undefined ? context.parent : top.mapping !== undefined ? top.key?.name : undefined;
      // A merge's value is merged; so is each mapping of a sequence that is a merge's value.
      const merge = top === undefined ? context.merge : top.key?.merge === true ? mergeAt(top) : top.mapping === undefined ? top.merge : undefined;
      if (stack.length >= MAX_FLOW_DEPTH) return; // Prometheus refuses the file: "exceeded max depth"
      // A list in the list that is a merge's value (`<<: [[a]]`): no mapping to merge.
      if (top?.pending !== undefined && top.merge !== undefined && char === '[') scan.onBadMerge?.(top.merge);
      if (top?.mapping !== undefined && top.key !== undefined && !top.key.merge && !top.atKey) {
        const { line, column } = place(at);
        scan.onCollection?.({
          key: top.key.name,
          ...(top.mapping.parent !== undefined && { parent: top.mapping.parent }),
          kind: char === '{' ? 'mapping' : 'list',
          line,
          column,
        });
      }
      const frame: FlowFrame = { atKey: char === '{' };
      // Its path: the context's for the outermost; a key's value, or an item of a list, inside; none in a merge's value.
      let path: string | undefined;
      if (merge !== undefined) path = undefined;
      else if (top === undefined) path = context.path;
      else if (top.mapping !== undefined) path = top.key?.merge === true ? undefined : childPath(top.path, top.key?.name);
      else path = top.path === undefined ? undefined : `${top.path}.-`;
      if (path !== undefined) frame.path = path;
      if (char === '{') frame.mapping = { keys: new Map(), ...(parent !== undefined && { parent }), ...(path !== undefined && { path }) };
      if (merge !== undefined) frame.merge = merge;
      if (merge !== undefined && char === '[') frame.pending = [];
      if (anchor !== undefined) frame.anchor = anchor;
      stack.push(frame);
      anchor = undefined;
      if (top !== undefined) top.atKey = false;
      at++;
      continue;
    }
    if (top === undefined) return; // past the outermost collection
    if (char === '}' || char === ']') {
      stack.pop();
      const where = { line: 0, column: 0, statement: context.statement, ...optional(section()) };
      if (top.mapping !== undefined) {
        if (top.anchor !== undefined) scan.anchors.set(top.anchor, top.mapping);
        const list = stack[stack.length - 1]?.pending;
        if (top.merge !== undefined) {
          if (list !== undefined) list.push(top.mapping);
          else mergeKeys(scan, top.merge, top.mapping, where);
        }
      }
      if (top.pending !== undefined && top.merge !== undefined) for (const each of top.pending.reverse()) mergeKeys(scan, top.merge, each, where);
      if (stack.length === 0) return;
      at++;
      continue;
    }
    if (char === ',') {
      if (top.mapping !== undefined) {
        top.atKey = true;
        top.key = undefined;
      }
      at++;
      continue;
    }
    if (char === '&' || char === '!') {
      const value = valueStart(masked, at);
      if (value.anchor !== undefined) anchor = value.anchor;
      // A tag other than !!str on a key may make it another key (`!!int 1`): such an entry's key is not read.
      if (top.atKey && masked.slice(at, value.at).includes('!') && !/^!!str\s/.test(masked.slice(at, value.at + 1))) top.atKey = false;
      at = value.at;
      continue;
    }
    if (char === '*') {
      const name = aliasName(masked, at);
      if (!top.atKey) {
        const merge = top.key?.merge === true ? mergeAt(top) : top.mapping === undefined ? top.merge : undefined;
        const anchored = scan.anchors.get(name);
        if (top.pending !== undefined) {
          if (anchored !== undefined) top.pending.push(anchored);
        } else if (merge !== undefined) mergeAlias(scan, merge, name, { line: 0, column: 0, statement: context.statement, ...optional(section()) });
      }
      top.atKey = false; // an alias key is not read
      at += name.length + 1;
      continue;
    }
    if (char === '?' && top.atKey) {
      top.atKey = false;
      at++;
      continue;
    }
    // A scalar: a key where an entry starts, else a value (or an item), read to where it ends.
    const end = scalarEnd(masked, at);
    if (top.mapping !== undefined && top.atKey) {
      const written = text.slice(at, end).trim();
      const name = yamlScalar(written);
      const { line, column } = place(at);
      const merge = written === '<<'; // a quoted `<<` is a key named so, as yaml.v2 reads it
      top.key = { name, line, column, merge };
      top.atKey = false;
      if (!merge) setKey(scan, top.mapping, name, { line, column, statement: context.statement, ...optional(section()) });
    } else if (top.mapping !== undefined && top.key?.merge === true)
      scan.onBadMerge?.(top.key); // `{<<: x}`
    else if (top.pending !== undefined && top.merge !== undefined) scan.onBadMerge?.(top.merge); // `<<: [x]`
    at = masked[end] === ':' ? end + 1 : end;
  }
}

const optional = (section: string | undefined): { section?: string } => (section !== undefined ? { section } : {});

/** The merge a `<<` entry of a flow mapping makes, at that key. */
function mergeAt(frame: FlowFrame): Merge | undefined {
  return frame.mapping !== undefined && frame.key !== undefined ? { into: frame.mapping, line: frame.key.line, column: frame.key.column } : undefined;
}

/**
 * Where a flow scalar written from `at` ends: a quoted one after its closing quote; a plain one at the next `,`, `[`,
 * `]`, `{` or `}`, or at a `:` that ends a key (before white space, a flow indicator or the end).
 */
function scalarEnd(masked: string, at: number): number {
  const quote = masked[at];
  if (quote === '"' || quote === "'") {
    const close = masked.indexOf(quote, at + 1);
    return close < 0 ? masked.length : close + 1;
  }
  let end = at;
  while (end < masked.length && !',[]{}'.includes(masked[end]!)) {
    if (masked[end] === ':' && (end + 1 === masked.length || ' \t,[]{}'.includes(masked[end + 1]!))) break;
    end++;
  }
  return end;
}

/**
 * The line and 1-based column (in characters) of the text at an index of a logical line's text, through the lines
 * joined to it. Asked left to right, it counts each character once (from where it stopped): a flow mapping of many
 * keys on one long line costs one pass, not one per key.
 */
function placeOf(logical: KeyLine): (index: number) => { line: number; column: number } {
  const joins = logical.joins ?? [];
  const first = { at: 0, line: logical.line, raw: logical.place?.raw ?? logical.text, from: logical.place?.from ?? 0 };
  let part = -1; // the join the last index asked was in (-1: the first line)
  let counted = 0; // the index of its raw line counted to
  let column = 1; // and its column
  return (index) => {
    let next = part;
    while (next + 1 < joins.length && joins[next + 1]!.at <= index) next++;
    while (next >= 0 && joins[next]!.at > index) next--;
    const piece = next < 0 ? first : joins[next]!;
    const at = piece.from + index - piece.at;
    if (next !== part || at < counted) [part, counted, column] = [next, 0, 1];
    column += characterColumn(piece.raw, counted, at) - 1;
    counted = at;
    return { line: piece.line, column };
  };
}

/**
 * The block mapping key a line's text starts with at `at` (`static_configs:`, `'job_name':`, `a b:`), as YAML reads
 * it, and where its `:` ends; undefined when it starts with none: a scalar (`localhost:9090`, whose `:` no space
 * follows), a flow collection, an explicit `? ` key, an alias or anchor. `masked`: the text with its quoted characters hidden.
 */
function keyAt(text: string, masked: string, at: number): { name: string; end: number; merge?: true } | undefined {
  if (at >= text.length || '[{?*&!|>%@`#'.includes(text[at]!)) return undefined;
  let colon = masked.indexOf(':', at);
  while (colon >= 0 && colon + 1 < masked.length && masked[colon + 1] !== ' ' && masked[colon + 1] !== '\t') colon = masked.indexOf(':', colon + 1);
  if (colon < 0) return undefined;
  const written = text.slice(at, colon).trimEnd();
  const quote = written[0];
  // Only a plain `<<` is a merge key: a quoted one is a key named `<<`, as yaml.v2 reads it.
  if (quote !== "'" && quote !== '"')
    return written === '' || /["'[\]{},]/.test(masked.slice(at, colon))
      ? undefined
      : { name: written, end: colon + 1, ...(written === '<<' && { merge: true as const }) };
  // A quoted key ends at its closing quote, just before the `:`.
  if (written.length < 2 || written[written.length - 1] !== quote || masked.slice(at + 1, at + written.length - 1).includes(quote)) return undefined;
  return { name: yamlScalar(written), end: colon + 1 };
}
