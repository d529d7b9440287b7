// Short file names for cache entries: FNV-1a, 32 bits, of a key. A name, not a
// check: every entry holds what it was made from, and a clash only makes two
// keys share one name.

/** Pure: 8 hex digits for `key` (its UTF-16 code units, FNV-1a 32-bit). */
export function nameHash(key: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}
