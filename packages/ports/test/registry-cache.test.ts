// The parsed-registry cache (src/registry-cache.ts), on real files: a registry
// loaded from the cache equals the freshly parsed one (the repo's ports.yaml
// and a generated 500-service registry); an entry is used only from a
// trusted directory, as a trusted regular file, for the exact bytes of that
// file and the same build; anything else is ignored, never an error.
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bigRegistryYaml } from '../../../bench/src/big-registry.mjs';
import { parseRegistry, RegistryError, type Registry } from '../src/index.js';
import { parseRegistryFile } from '../src/load.js';
import { encodeRegistryEntry, MAX_REGISTRY_ENTRIES, readCachedRegistry, registryCacheName, type RegistryCache } from '../src/registry-cache.js';
import { parseRegistryText } from '../src/parse.js';
import type { RegistryData } from '../src/schema.js';
import { tempDir } from '../../../test-support/tree.js';
import { minimalRegistry, repoRoot } from './helpers.js';

const ID = '1.2.3+0123456789abcdef';

/** A registry file and a cache directory (made 0700 by the first write). */
function setup(text = minimalRegistry): { file: string; bytes: Buffer; cache: RegistryCache; entry: string } {
  const base = tempDir('registry-cache-');
  const file = join(base, 'ports.yaml');
  writeFileSync(file, text);
  const cache = { dir: join(base, 'cache'), id: ID };
  return { file, bytes: readFileSync(file), cache, entry: join(cache.dir, registryCacheName(file, ID)) };
}

function dataOf(text: string): RegistryData {
  const result = parseRegistryText(text);
  if (!result.ok) throw new Error('fixture does not parse');
  return result.data;
}

/** A well-formed entry for these bytes whose first service is renamed PLANTED: seen in the result only if the entry was used. */
function plant(file: string, bytes: Buffer, cache: RegistryCache, id = cache.id): string {
  const data = dataOf(bytes.toString('utf8'));
  const planted = { ...data, services: data.services.map((service, index) => (index === 0 ? { ...service, name: 'PLANTED' } : service)) };
  mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
  const entry = join(cache.dir, registryCacheName(file, cache.id));
  writeFileSync(entry, encodeRegistryEntry(id, file, bytes, planted), { mode: 0o600 });
  return entry;
}
const planted = (registry: Registry) => registry.services.some((service) => service.name === 'PLANTED');

describe('the parsed-registry cache', () => {
  it.each([
    ['the repo ports.yaml', readFileSync(join(repoRoot, 'ports.yaml'), 'utf8')],
    ['a generated 500-service registry', bigRegistryYaml(500)],
  ])('gives back a registry equal to the freshly parsed one: %s', (_, text) => {
    const { file, bytes, cache, entry } = setup(text);
    const fresh = parseRegistry(text, { source: file });
    expect(parseRegistryFile(bytes, file, cache)).toEqual(fresh); // parsed, then kept
    expect(existsSync(entry)).toBe(true);
    expect(readCachedRegistry(cache, file, bytes)).toBeDefined(); // the next load reads it
    const cached = parseRegistryFile(bytes, file, cache);
    expect(cached).toEqual(fresh);
    expect(cached.services.map((service) => service.id)).toEqual(fresh.services.map((service) => service.id));
  });

  it('uses an entry of its own directory, for these exact bytes (proved by a planted name)', () => {
    const { file, bytes, cache } = setup();
    plant(file, bytes, cache);
    expect(planted(parseRegistryFile(bytes, file, cache))).toBe(true);
  });

  it('ignores an entry for other bytes of the same file, and replaces it', () => {
    const { file, bytes, cache, entry } = setup();
    plant(file, bytes, cache);
    const changed = Buffer.from(bytes.toString('utf8').replace(/^(\s+name: ).*$/m, '$1Renamed service'));
    expect(changed.length).not.toBe(bytes.length);
    const registry = parseRegistryFile(changed, file, cache);
    expect(planted(registry)).toBe(false);
    expect(registry).toEqual(parseRegistry(changed.toString('utf8'), { source: file }));
    expect(readFileSync(entry).includes(changed)).toBe(true);
    // Same length, one byte different.
    const sameLength = Buffer.from(bytes.toString('utf8').replace('name: FastAPI', 'name: FastAPJ'));
    expect(sameLength.length).toBe(bytes.length);
    plant(file, bytes, cache);
    expect(planted(parseRegistryFile(sameLength, file, cache))).toBe(false);
  });

  it('ignores an entry made by another build (version or parser) or for another path', () => {
    const { file, bytes, cache } = setup();
    plant(file, bytes, cache, '1.2.4+0123456789abcdef');
    expect(planted(parseRegistryFile(bytes, file, cache))).toBe(false);
    const other = { ...cache, id: '1.2.3+fedcba9876543210' };
    plant(file, bytes, other);
    expect(planted(parseRegistryFile(bytes, file, other))).toBe(true); // its own build does use it
    expect(planted(parseRegistryFile(bytes, file, cache))).toBe(false);
    // An entry for another file with the same bytes, copied under this file's name.
    const copy = join(cache.dir, registryCacheName(file, cache.id));
    writeFileSync(copy, encodeRegistryEntry(cache.id, `${file}.other`, bytes, dataOf(minimalRegistry)), { mode: 0o600 });
    expect(readCachedRegistry(cache, file, bytes)).toBeUndefined();
  });

  it('ignores a corrupt entry, whatever the damage, and makes a good one', () => {
    const { file, bytes, cache, entry } = setup();
    const good = encodeRegistryEntry(cache.id, file, bytes, dataOf(minimalRegistry));
    const damaged = [
      Buffer.alloc(0),
      Buffer.from('garbage'),
      good.subarray(0, good.length - 10), // truncated JSON
      good.subarray(0, 40), // truncated header
      Buffer.concat([good.subarray(0, good.length - 2), Buffer.from('}}}')]),
      Buffer.concat([good.subarray(0, good.length - JSON.stringify(dataOf(minimalRegistry)).length), Buffer.from('{"services":"no"}')]),
      Buffer.concat([
        good.subarray(0, good.length - JSON.stringify(dataOf(minimalRegistry)).length),
        Buffer.from('{"services":[{"id":1}],"reserved":[],"claim":{}}'),
      ]),
      Buffer.from(good.toString('latin1').replace('registry cache 2', 'registry cache 9'), 'latin1'),
      // One bit flipped in a port's digit, in the first copy of the data, then in the second: still JSON, and a registry.
      flipPortDigit(good, good.indexOf('"port":')),
      flipPortDigit(good, good.lastIndexOf('"port":')),
      // The layout of format 1: the data once.
      Buffer.from(
        good
          .subarray(0, good.length - JSON.stringify(dataOf(minimalRegistry)).length)
          .toString('latin1')
          .replace('cache 2', 'cache 1'),
        'latin1',
      ),
    ];
    expect(damaged.at(-3)!.toString('latin1')).not.toBe(good.toString('latin1'));
    const fresh = parseRegistry(minimalRegistry, { source: file });
    mkdirSync(cache.dir, { mode: 0o700 });
    for (const bad of damaged) {
      writeFileSync(entry, bad, { mode: 0o600 });
      expect(parseRegistryFile(bytes, file, cache)).toEqual(fresh);
    }
  });

  it('ignores a symbolic link as the entry, and a directory that is a symbolic link', () => {
    const { file, bytes, cache, entry } = setup();
    const elsewhere = join(tempDir('registry-cache-'), 'real');
    mkdirSync(elsewhere, { mode: 0o700 });
    const target = plant(file, bytes, { dir: elsewhere, id: cache.id });
    mkdirSync(cache.dir, { mode: 0o700 });
    symlinkSync(target, entry);
    expect(planted(parseRegistryFile(bytes, file, cache))).toBe(false);
    const linkedDir = join(tempDir('registry-cache-'), 'linked');
    symlinkSync(elsewhere, linkedDir);
    expect(planted(parseRegistryFile(bytes, file, { dir: linkedDir, id: cache.id }))).toBe(false);
  });

  it.each([0o770, 0o707, 0o777])('ignores a directory others can write (mode %o), and writes nothing there', (mode) => {
    const { file, bytes, cache, entry } = setup();
    plant(file, bytes, cache);
    chmodSync(cache.dir, mode);
    expect(planted(parseRegistryFile(bytes, file, cache))).toBe(false);
    rmSync(entry);
    parseRegistryFile(bytes, file, cache);
    expect(existsSync(entry)).toBe(false);
  });

  it('ignores an entry others can write', () => {
    const { file, bytes, cache } = setup();
    chmodSync(plant(file, bytes, cache), 0o666);
    expect(planted(parseRegistryFile(bytes, file, cache))).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)('ignores an entry, or a directory, owned by another user (as root)', () => {
    const { file, bytes, cache } = setup();
    chownSync(plant(file, bytes, cache), 65534, 65534);
    expect(planted(parseRegistryFile(bytes, file, cache))).toBe(false);
    plant(file, bytes, cache); // root's own again (the load above replaced the foreign entry)
    expect(planted(parseRegistryFile(bytes, file, cache))).toBe(true);
    chownSync(cache.dir, 65534, 65534);
    expect(planted(parseRegistryFile(bytes, file, cache))).toBe(false);
  });

  it('never caches an invalid registry, and still reports it with line and column', () => {
    const { file, cache } = setup();
    const bad = Buffer.from(minimalRegistry.replace(/port: \d+/, 'port: 99999'));
    expect(() => parseRegistryFile(bad, file, cache)).toThrow(RegistryError);
    expect(existsSync(cache.dir) ? readdirSync(cache.dir) : []).toEqual([]);
    try {
      parseRegistryFile(bad, file, cache);
    } catch (error) {
      expect((error as RegistryError).issues[0]!.line).toBeGreaterThan(0);
    }
  });

  it('writes entries 0600 in a directory it makes 0700, with no temporary file left', () => {
    const { file, bytes, cache, entry } = setup();
    parseRegistryFile(bytes, file, cache);
    expect(readdirSync(cache.dir)).toEqual([registryCacheName(file, ID)]);
    expect(readFileSync(entry).subarray(0, 30).toString()).toBe('dsa110-ports registry cache 2\n');
  });

  it('keeps the most recently written entries only, and leaves other files of the directory alone', () => {
    const base = tempDir('registry-cache-');
    const cache = { dir: join(base, 'cache'), id: ID };
    mkdirSync(cache.dir, { mode: 0o700 });
    writeFileSync(join(cache.dir, 'port-health-check-1.0.0-cli-v20.0.0-x64.v8'), 'code cache', { mode: 0o600 });
    const names = Array.from({ length: MAX_REGISTRY_ENTRIES + 3 }, (_, index) => {
      const file = join(base, `registry-${index}.yaml`);
      writeFileSync(file, minimalRegistry);
      parseRegistryFile(readFileSync(file), file, cache);
      const name = registryCacheName(file, ID);
      utimesSync(join(cache.dir, name), 1_000_000 + index, 1_000_000 + index); // written in this order
      return name;
    });
    expect(readdirSync(cache.dir).sort()).toEqual(['port-health-check-1.0.0-cli-v20.0.0-x64.v8', ...names.slice(-MAX_REGISTRY_ENTRIES)].sort());
  });
});

/** `entry` with the low bit of the first digit after `at` (a `"port":` key) flipped: 8000 becomes 9000, or 8001 8000. */
function flipPortDigit(entry: Buffer, at: number): Buffer {
  const copy = Buffer.from(entry);
  let index = at + '"port":'.length;
  while (copy[index]! < 48 || copy[index]! > 57) index++;
  copy[index]! ^= 1;
  return copy;
}
