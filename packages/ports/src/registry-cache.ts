// A parsed registry file, kept in the user's cache directory (cache.ts), so
// that loading the same bytes again skips yaml and zod: a 500-service
// registry takes about 400 ms to parse and validate, a few ms from here.
// Shared by everything that loads a file through loadRegistry({ path }):
// port-health-check --registry, claim-port --registry, the ports command and
// services that use the library.
//
// An entry is found by the file's absolute path and the build's cache id
// (the package version and a hash of its parser, see scripts/build-support.mjs),
// and holds the file's exact bytes, then the validated registry data as JSON,
// twice: it is used only when those bytes equal the file's and the two copies
// are equal (a flipped bit in the one copy made `ports get api` print 8001 for
// 8000, and claim-port would have freed that port; a checksum would need
// zlib or crypto, about 3 ms to load, where comparing costs a memcmp). Only valid registries
// are cached (an invalid one needs yaml's document for the line and column of
// each problem). A corrupt, foreign or mismatching entry is never used and
// never an error: the file is parsed as if there were no cache.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { readCacheFile, writeCacheFile } from './cache.js';
import { own } from './own.js';
import { nameHash } from './name-hash.js';
import type { RegistryData } from './schema.js';

/**
 * At most this many registry entries are kept (a host has one or two registry
 * files; tests and benchmarks make many in temporary directories): after a
 * write, the least recently written beyond it are removed.
 */
export const MAX_REGISTRY_ENTRIES = 8;

const ENTRY_NAME = /^registry-[0-9a-f]{8}\.json$/;

/** The first line of every entry; a new layout gets a new number. */
const FORMAT = 'dsa110-ports registry cache 2';

export interface RegistryCache {
  /** The cache directory (cacheDir()). */
  readonly dir: string;
  /** What made the entry: package version and parser. An entry made by another build is never used. */
  readonly id: string;
}

/** Pure: the entry's file name for a registry file at `absolutePath`. */
export function registryCacheName(absolutePath: string, id: string): string {
  // A name, not a check: the entry holds the path and the bytes.
  return `registry-${nameHash(`${id}\0${absolutePath}`)}.json`;
}

/** Pure: an entry for `bytes` (the file's exact bytes) and the data they validated to. */
export function encodeRegistryEntry(id: string, absolutePath: string, bytes: Uint8Array, data: RegistryData): Buffer {
  const header = `${FORMAT}\n${JSON.stringify({ id, path: absolutePath, bytes: bytes.length })}\n`;
  const json = Buffer.from(JSON.stringify(data));
  return Buffer.concat([Buffer.from(header), bytes, json, json]);
}

/** Pure: the data of an entry made by build `id` for exactly these bytes of that file; else undefined. Never throws. */
export function decodeRegistryEntry(entry: Buffer | undefined, id: string, absolutePath: string, bytes: Uint8Array): RegistryData | undefined {
  if (entry === undefined) return undefined;
  try {
    const first = entry.indexOf(10);
    const second = first < 0 ? -1 : entry.indexOf(10, first + 1);
    if (second < 0 || entry.toString('utf8', 0, first) !== FORMAT) return undefined;
    const header = JSON.parse(entry.toString('utf8', first + 1, second)) as { id?: unknown; path?: unknown; bytes?: unknown };
    if (header.id !== id || header.path !== absolutePath || header.bytes !== bytes.length) return undefined;
    const start = second + 1;
    if (entry.length < start + bytes.length || !entry.subarray(start, start + bytes.length).equals(bytes)) return undefined;
    const json = start + bytes.length;
    const twice = entry.length - json;
    if (twice <= 0 || twice % 2 !== 0 || !entry.subarray(json, json + twice / 2).equals(entry.subarray(json + twice / 2))) return undefined;
    const data = JSON.parse(entry.toString('utf8', json, json + twice / 2)) as RegistryData;
    return isRegistryShaped(data) ? data : undefined;
  } catch {
    return undefined; // not JSON: corrupt
  }
}

/**
 * The shape Registry's constructor walks; anything else is a corrupt entry. Own keys only, as
 * the constructor reads them: JSON.parse makes plain objects, and a key an entry lacks is never
 * one another module set on Object.prototype.
 */
function isRegistryShaped(data: unknown): data is RegistryData {
  if (data === null || typeof data !== 'object') return false;
  const given = data as Partial<Record<keyof RegistryData, unknown>>;
  const services = own(given, 'services');
  const reserved = own(given, 'reserved');
  const claim = own(given, 'claim');
  return (
    Array.isArray(services) &&
    services.every((service) => service !== null && typeof service === 'object') &&
    Array.isArray(reserved) &&
    claim !== null &&
    typeof claim === 'object'
  );
}

/** The cached data of this file's exact bytes, or undefined (no entry, or one that is not trusted or does not match). */
export function readCachedRegistry(cache: RegistryCache, absolutePath: string, bytes: Uint8Array): RegistryData | undefined {
  return decodeRegistryEntry(readCacheFile(cache.dir, registryCacheName(absolutePath, cache.id)), cache.id, absolutePath, bytes);
}

/**
 * Keep the data these bytes validated to (atomically; silently nothing when
 * the cache cannot be written), then keep only the MAX_REGISTRY_ENTRIES most
 * recent entries. Only on a miss, which has just paid for a parse.
 */
export function writeCachedRegistry(cache: RegistryCache, absolutePath: string, bytes: Uint8Array, data: RegistryData): void {
  const name = registryCacheName(absolutePath, cache.id);
  // Not written (not a directory of ours, or full): touch nothing there.
  if (!writeCacheFile(cache.dir, name, encodeRegistryEntry(cache.id, absolutePath, bytes, data), (entry) => ENTRY_NAME.test(entry))) return;
  try {
    const entries = readdirSync(cache.dir)
      .filter((entry) => ENTRY_NAME.test(entry))
      .map((entry) => ({ entry, written: lstatSync(`${cache.dir}/${entry}`).mtimeMs }))
      .sort((a, b) => b.written - a.written || (a.entry === name ? -1 : b.entry === name ? 1 : 0));
    for (const { entry } of entries.slice(MAX_REGISTRY_ENTRIES)) rmSync(`${cache.dir}/${entry}`, { force: true });
  } catch {
    // pruning is best effort
  }
}
