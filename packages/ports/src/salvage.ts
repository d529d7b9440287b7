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

/** A top-level `claim` key at the start of a line (plain or quoted, a BOM before the first): where a claim block starts. */
const CLAIM_KEY = /^\uFEFF?(?:claim|"claim"|'claim')[ \t]*:(?=[ \t\r\n]|$)/gm;
/** A line break before a line that starts with anything but a space, a tab, a comment or another line break: where a block ends. */
const BLOCK_END = /(?:\r\n?|\n)(?=[^ \t#\r\n])/g;

/**
 * Pure: the top-level `claim:` blocks of a registry's text, each key line with the lines under it (indented, blank
 * or comments), one after another, or undefined where there is none: what a file too large to read whole as YAML
 * still protects is read from them (parse.ts). A `claim` inside a flow mapping that holds the whole document is not
 * found; a line that only looks like the key adds a protection at most, never takes one away.
 */
export function claimSections(text: string): string | undefined {
  const sections: string[] = [];
  CLAIM_KEY.lastIndex = 0;
  for (let found = CLAIM_KEY.exec(text); found !== null; found = CLAIM_KEY.exec(text)) {
    BLOCK_END.lastIndex = found.index;
    const end = BLOCK_END.exec(text);
    const stop = end === null ? text.length : end.index + end[0].length;
    const section = text.slice(found.index, stop).replace(/^\uFEFF/, '');
    sections.push(/[\r\n]$/.test(section) ? section : `${section}\n`);
    CLAIM_KEY.lastIndex = stop;
  }
  return sections.length === 0 ? undefined : sections.join('');
}
