// Merge keys (`<<`) taken in the order they are written, as Go's yaml.v2
// (Prometheus's parser) takes them: it sets a merged mapping's keys one by one
// where the `<<` stands, so into a struct they overwrite what the mapping set
// before it, and a key the mapping sets after it wins (promtool 2.42:
// `job_name: a` then `<<: *b` loads a job named as b's). The yaml package lets
// the mapping's own keys win wherever they stand. So, before yaml's merge, a
// key written before a `<<` that gives it again is dropped: what is left
// merges, by yaml's rule, to what yaml.v2 loads. Of a list of merges
// (`<<: [*a, *b]`) the first wins in both.
//
// Linear in the file: each alias is resolved once, in one walk (yaml's own
// Alias.resolve walks the whole document at each call), and the keys merged
// are bounded (MAX_MERGED_KEYS): past it the file is left as yaml merges it,
// as a file that merges that much is refused by toJS's alias limit anyway.
import { isAlias, isMap, isScalar, isSeq, visit, type Alias, type Document, type Node, type YAMLMap } from 'yaml';

/** Most keys gathered from merges in one file before the reordering is given up (a hostile file's merge chains). */
const MAX_MERGED_KEYS = 100_000;

/** Thrown inside the reordering when a file merges more keys than MAX_MERGED_KEYS. */
class TooManyMergedKeys extends Error {}

/** Each alias of `doc` with the node it names: the last node anchored with its name before it, in the order written (as Alias.resolve finds it). */
function resolvedAliases(doc: Document): Map<Alias, Node> {
  const anchored = new Map<string, Node>();
  const resolved = new Map<Alias, Node>();
  visit(doc, (_, node) => {
    if (isAlias(node)) {
      const target = anchored.get(node.source);
      if (target !== undefined) resolved.set(node, target);
    } else if (node !== null && typeof node === 'object' && 'anchor' in node && typeof node.anchor === 'string' && node.anchor !== '')
      anchored.set(node.anchor, node as Node);
  });
  return resolved;
}

/** Drops, in every mapping of `doc`, each key written before a merge key that gives it again (see above). */
export function mergeInWrittenOrder(doc: Document): void {
  try {
    reorder(doc);
  } catch (error) {
    if (!(error instanceof TooManyMergedKeys)) throw error;
  }
}

function reorder(doc: Document): void {
  const aliases = resolvedAliases(doc);
  const mergeSources = (value: Node | null) => mergedMappings(aliases, value);
  let gathered = 0;
  const spend = (keys: number) => {
    gathered += keys;
    if (gathered > MAX_MERGED_KEYS) throw new TooManyMergedKeys();
  };
  const keysOf = mergedKeys(mergeSources, spend);
  const edits: { map: YAMLMap; kept: YAMLMap['items'] }[] = [];
  visit(doc, {
    Map(_, map) {
      const last = map.items.findLastIndex((pair) => isMergeKey(pair.key));
      if (last <= 0) return;
      const given = new Set<unknown>(); // the keys the merges after an index give
      const kept = [];
      for (let index = map.items.length - 1; index >= 0; index--) {
        const pair = map.items[index]!;
        if (isMergeKey(pair.key)) {
          for (const source of mergeSources(pair.value as Node | null)) {
            const merged = keysOf(source);
            spend(merged.size);
            for (const key of merged) given.add(key);
          }
        } else if (isScalar(pair.key) && given.has(pair.key.value)) continue;
        kept.push(pair);
      }
      if (kept.length !== map.items.length) edits.push({ map, kept: kept.reverse() });
    },
  });
  // Applied once every mapping was read: given up midway, the file is left whole, as yaml merges it.
  for (const { map, kept } of edits) map.items = kept;
}

/** Whether a pair's key is a merge key (`<<`, which yaml reads as a symbol). */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol';
}

/** The mappings a merge key's value merges: a mapping, an alias of one, or a list of those. */
function mergedMappings(aliases: ReadonlyMap<Alias, Node>, value: Node | null): YAMLMap[] {
  const target = isAlias(value) ? aliases.get(value) : value;
  if (isMap(target)) return [target];
  if (!isSeq(target)) return [];
  return target.items.flatMap((item) => {
    const each = isAlias(item) ? aliases.get(item) : item;
    return isMap(each) ? [each] : [];
  });
}

/** The keys a mapping gives when merged (its own scalar keys, and its merges'), each mapping's found once; each merge's keys counted by `spend`. */
function mergedKeys(mergeSources: (value: Node | null) => YAMLMap[], spend: (keys: number) => void): (map: YAMLMap) => ReadonlySet<unknown> {
  const known = new Map<YAMLMap, Set<unknown>>();
  const keysOf = (map: YAMLMap): ReadonlySet<unknown> => {
    const found = known.get(map);
    if (found) return found; // also a mapping that merges itself, while it is read: what it has so far
    const keys = new Set<unknown>();
    known.set(map, keys);
    for (const pair of map.items) {
      if (isMergeKey(pair.key)) {
        for (const source of mergeSources(pair.value as Node | null)) {
          const merged = keysOf(source);
          spend(merged.size);
          for (const key of merged) keys.add(key);
        }
      } else if (isScalar(pair.key)) keys.add(pair.key.value);
    }
    return keys;
  };
  return keysOf;
}
