// What a registry that does not validate still protects (RegistryError.protect,
// SalvagedProtection), read from its YAML document before anything is dropped
// from it. Protection only grows, so every copy counts: each pattern of every
// `claim.protect.processes` (a key given twice kept only its first list), a
// single pattern written without a list, a list behind a tag or an alias
// (which the file's other checks refuse), and the largest `pidsUpTo`; each
// only when the schema accepts it on its own. Never `unprotectBuiltin`.
import { isAlias, isMap, isScalar, isSeq, type Document } from 'yaml';
import type { SalvagedProtection } from './errors.js';
import { ClaimSchema } from './schema.js';

const PROTECT_FIELDS = ClaimSchema.shape.protect.unwrap().shape;
const PATTERN = PROTECT_FIELDS.processes.unwrap().element;
const PIDS_UP_TO = PROTECT_FIELDS.pidsUpTo.unwrap();

/** The protections `doc` names (see above), or undefined when it names none. */
export function salvageProtection(doc: Document): SalvagedProtection | undefined {
  // One level of alias: an alias's target is a node of the document, never expanded further here.
  const resolved = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);
  // Every value of `key` in `map` (all copies of a key given twice), as the file names the key (plain or quoted).
  const valuesOf = (map: unknown, key: string): unknown[] => {
    const target = resolved(map);
    return isMap(target) ? target.items.filter((pair) => isScalar(pair.key) && pair.key.value === key).map((pair) => resolved(pair.value)) : [];
  };
  const protects = valuesOf(doc.contents, 'claim').flatMap((claim) => valuesOf(claim, 'protect'));
  const patterns = protects
    .flatMap((protect) => valuesOf(protect, 'processes'))
    .flatMap((listed) => (isSeq(listed) ? listed.items.map(resolved) : [listed]))
    .flatMap((item) => (isScalar(item) && PATTERN.safeParse(item.value).success ? [item.value as string] : []));
  const bounds = protects
    .flatMap((protect) => valuesOf(protect, 'pidsUpTo'))
    .flatMap((bound) => (isScalar(bound) && PIDS_UP_TO.safeParse(bound.value).success ? [bound.value as number] : []));
  if (patterns.length === 0 && bounds.length === 0) return undefined;
  return { processes: [...new Set(patterns)], ...(bounds.length > 0 && { pidsUpTo: Math.max(...bounds) }) };
}

/**
 * A top-level `claim` key at the start of a line (plain or quoted, a BOM before it): where a claim block starts. A line
 * starts after CR or LF only, as YAML's lines do (the `m` flag would start one after U+2028 too, inside a comment).
 */
const CLAIM_KEY = /(?<![^\r\n])\uFEFF?(?:claim|"claim"|'claim')[ \t]*:(?=[ \t\r\n]|$)/g;
/** A line break before a line that starts with anything but a space, a tab, a comment or another line break: where a block ends. */
const BLOCK_END = /(?:\r\n?|\n)(?=[^ \t#\r\n])/g;
/** The claim blocks read, at most: a log of `claim:` lines appended to a registry is not read a block at a time. */
const MAX_CLAIM_SECTIONS = 32;
/**
 * Of each block, at most its first this many characters (cut at a line break): a claim block is a few lines, and at
 * most 65,537 values fit in it, under the parser's limit (MAX_EXPANDED_NODES), so a log whose lines are indented
 * under the block is read as far as YAML reads its top.
 */
const MAX_CLAIM_SECTION_CHARS = 32 * 1024;

/**
 * Pure: the top-level `claim:` blocks of a registry's text (at most MAX_CLAIM_SECTIONS), each its key line with the
 * lines under it (indented, blank or comments), cut to MAX_CLAIM_SECTION_CHARS: what a file too large to read whole
 * as YAML still protects is read from each of them alone (parse.ts). A `claim` inside a flow mapping that holds the
 * whole document, written as an explicit key (`? claim`), or naming an anchor set outside its block is not read
 * there; a line that only looks like the key (in a quoted scalar) adds a protection at most, never takes one away.
 */
export function claimSections(text: string): string[] {
  const sections: string[] = [];
  CLAIM_KEY.lastIndex = 0;
  for (let found = CLAIM_KEY.exec(text); found !== null && sections.length < MAX_CLAIM_SECTIONS; found = CLAIM_KEY.exec(text)) {
    BLOCK_END.lastIndex = found.index;
    const end = BLOCK_END.exec(text);
    const stop = end === null ? text.length : end.index + end[0].length;
    let section = text.slice(found.index, Math.min(stop, found.index + MAX_CLAIM_SECTION_CHARS)).replace(/^\uFEFF/, '');
    if (stop - found.index > MAX_CLAIM_SECTION_CHARS) section = section.slice(0, Math.max(section.lastIndexOf('\n'), section.lastIndexOf('\r')) + 1);
    sections.push(section);
    CLAIM_KEY.lastIndex = stop;
  }
  return sections;
}

/** The protections of several readings together: every pattern once, in order, and the largest bound. */
export function mergeProtections(found: readonly (SalvagedProtection | undefined)[]): SalvagedProtection | undefined {
  const some = found.filter((one): one is SalvagedProtection => one !== undefined);
  if (some.length === 0) return undefined;
  const bounds = some.flatMap((one) => (one.pidsUpTo === undefined ? [] : [one.pidsUpTo]));
  return { processes: [...new Set(some.flatMap((one) => one.processes))], ...(bounds.length > 0 && { pidsUpTo: Math.max(...bounds) }) };
}
