// Merge keys (`<<`) taken in the order they are written, as Go's yaml.v2
// (Prometheus's parser) takes them: it sets a merged mapping's keys one by one
// where the `<<` stands, so into a struct they overwrite what the mapping set
// before it, and a key the mapping sets after it wins (promtool 2.42:
// `job_name: a` then `<<: *b` loads a job named as b's). The yaml package lets
// the mapping's own keys win wherever they stand. So, before yaml's merge, a
// key written before a `<<` that gives it again is dropped: what is left
// merges, by yaml's rule, to what yaml.v2 loads. Of a list of merges
// (`<<: [*a, *b]`) the first wins in both.
import { isAlias, isMap, isScalar, isSeq, visit, type Document, type Node, type YAMLMap } from 'yaml';

/** Drops, in every mapping of `doc`, each key written before a merge key that gives it again (see above). */
export function mergeInWrittenOrder(doc: Document): void {
  const keysOf = mergedKeys(doc);
  visit(doc, {
    Map(_, map) {
      const last = map.items.findLastIndex((pair) => isMergeKey(pair.key));
      if (last <= 0) return;
      const given = new Set<unknown>(); // the keys the merges after an index give
      const kept = [];
      for (let index = map.items.length - 1; index >= 0; index--) {
        const pair = map.items[index]!;
        if (isMergeKey(pair.key)) {
          for (const source of mergeSources(doc, pair.value as Node | null)) for (const key of keysOf(source)) given.add(key);
        } else if (isScalar(pair.key) && given.has(pair.key.value)) continue;
        kept.push(pair);
      }
      if (kept.length !== map.items.length) map.items = kept.reverse();
    },
  });
}

/** Whether a pair's key is a merge key (`<<`, which yaml reads as a symbol). */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol';
}

/** The mappings a merge key's value merges: a mapping, an alias of one, or a list of those. */
function mergeSources(doc: Document, value: Node | null): YAMLMap[] {
  const target = isAlias(value) ? value.resolve(doc) : value;
  if (isMap(target)) return [target];
  if (!isSeq(target)) return [];
  return target.items.flatMap((item) => {
    const each = isAlias(item) ? item.resolve(doc) : item;
    return isMap(each) ? [each] : [];
  });
}

/** The keys a mapping gives when merged (its own scalar keys, and its merges'), each mapping's found once. */
function mergedKeys(doc: Document): (map: YAMLMap) => ReadonlySet<unknown> {
  const known = new Map<YAMLMap, Set<unknown>>();
  const keysOf = (map: YAMLMap): ReadonlySet<unknown> => {
    const found = known.get(map);
    if (found) return found; // also a mapping that merges itself, while it is read: what it has so far
    const keys = new Set<unknown>();
    known.set(map, keys);
    for (const pair of map.items) {
      if (isMergeKey(pair.key)) {
        for (const source of mergeSources(doc, pair.value as Node | null)) for (const key of keysOf(source)) keys.add(key);
      } else if (isScalar(pair.key)) keys.add(pair.key.value);
    }
    return keys;
  };
  return keysOf;
}
