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

/** The protections of several readings together: every pattern once, in order, and the largest bound. */
export function mergeProtections(found: readonly (SalvagedProtection | undefined)[]): SalvagedProtection | undefined {
  const some = found.filter((one): one is SalvagedProtection => one !== undefined);
  if (some.length === 0) return undefined;
  const bounds = some.flatMap((one) => (one.pidsUpTo === undefined ? [] : [one.pidsUpTo]));
  return { processes: [...new Set(some.flatMap((one) => one.processes))], ...(bounds.length > 0 && { pidsUpTo: Math.max(...bounds) }) };
}
