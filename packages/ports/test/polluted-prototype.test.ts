// A service's process may have a polluted Object.prototype (another module's bug: a deep merge of
// untrusted JSON sets `Object.prototype.port = 1`): the registry must still parse as it does in a
// clean process, the same data and the same problems. Each case runs in a child process, so that
// the pollution cannot reach this test worker; the child is the fixture bundled (tsx's own helpers
// fail on `Object.prototype.get`) and pollutes after importing the library, as a running service would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry, parseRegistry } from '../src/index.js';
import { ordinaryProblems, registryObjects } from './fixtures/ordinary-objects.js';
import { repoRoot } from './helpers.js';

const fixture = new URL('./fixtures/polluted-parse.ts', import.meta.url).pathname;
const files = {
  'the real ports.yaml': join(repoRoot, 'ports.yaml'),
  'an invalid registry': new URL('./fixtures/polluted-invalid.yaml', import.meta.url).pathname,
};

// One bundle for the file's tests (test-support's tempDir is removed after each test).
const dir = mkdtempSync(join(tmpdir(), 'dsa110-polluted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bundle = join(dir, 'polluted-parse.mjs');
/** The same, with a build's cache id, as scripts/build-support.mjs sets it: loadRegistry({ path }) then uses the parsed-registry cache. */
const cachingBundle = join(dir, 'polluted-parse-caching.mjs');
beforeAll(async () => {
  const { build } = await import('esbuild');
  const options: BuildOptions = {
    entryPoints: [fixture],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // yaml require()s node builtins.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  };
  await build({ ...options, outfile: bundle });
  await build({ ...options, outfile: cachingBundle, define: { REGISTRY_CACHE_ID: JSON.stringify('polluted-prototype-test') } });
});

interface Outcome {
  /** loadRegistry(): the bundled registry, made after the pollution. */
  bundled: unknown;
  parsed: unknown;
  loaded: unknown;
  pollutionFrozen: boolean;
}

/** The fixture in a child: POLLUTION, then the three registries of FILE, read by `keys` too (see the fixture). */
function run(pollution: string, file: string, keys: Record<string, unknown> = {}, script = bundle, env?: NodeJS.ProcessEnv): Outcome {
  const args = [script, pollution, file, JSON.stringify(keys)];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', ...(env && { env }) })) as Outcome;
}

/**
 * Every key a service or reserved entry may leave out, at any depth (`systemd.claim`,
 * `configs[].upstream`; each key of a `configuredBy` form, since an entry may have another form),
 * with its JSON Schema type: read from the committed schema.json, so a key added to the schema
 * is polluted here too.
 */
function optionalKeys(): Map<string, string> {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'packages/ports/schema.json'), 'utf8')) as JsonSchema;
  const found = new Map<string, string>();
  const walk = (node: JsonSchema | undefined, inUnion: boolean): void => {
    if (typeof node !== 'object' || node === null) return;
    const required = new Set(node.required ?? []);
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const type = Array.isArray(child.type) ? child.type[0] : child.type;
      if ((inUnion || !required.has(key)) && (type !== undefined || !found.has(key))) found.set(key, type ?? 'string');
      walk(child, false);
    }
    walk(node.items, false);
    for (const branch of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) walk(branch, true);
    for (const branch of node.allOf ?? []) walk(branch, inUnion);
  };
  walk(schema.properties?.services?.items, false);
  walk(schema.properties?.reserved?.items, false);
  return found;
}

interface JsonSchema {
  type?: string | string[];
  required?: string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

const OPTIONAL_KEYS = optionalKeys();
/** Each optional key set to a value of its own type: a port inside no range (8080), a variable's name, a list, a systemd unit. */
const TYPED: Record<string, unknown> = Object.fromEntries(
  [...OPTIONAL_KEYS].map(([key, type]) => [
    key,
    type === 'integer' || type === 'number'
      ? 8080
      : type === 'array'
        ? ['X_PORT']
        : type === 'object'
          ? { unit: 'x.service', claim: 'unit' }
          : type === 'boolean'
            ? true
            : 'X_PORT',
  ]),
);
/**
 * Keys the YAML and schema libraries read on their own objects through the prototype: yaml's parse
 * tokens' `key` and `end` (no file parses), zod's issues' `path` (no invalid file is described). Set
 * on Object.prototype, the file gets the one RegistryError that names the pollution.
 */
const LIBRARY_KEYS = ['key', 'end', 'path'];
/** Each optional key set to the text "1", of the wrong type for most. */
const TEXT: Record<string, unknown> = Object.fromEntries([...OPTIONAL_KEYS.keys()].map((key) => [key, '1']));

it('finds the optional keys of services and reserved entries in schema.json, at every depth', () => {
  expect([...OPTIONAL_KEYS.keys()]).toEqual(
    expect.arrayContaining([
      'title',
      'accessNote',
      'env',
      'file',
      'key',
      'systemd',
      'claim',
      'configs',
      'path',
      'upstream',
      'details',
      'port',
      'start',
      'end',
      'for',
    ]),
  );
  expect(OPTIONAL_KEYS.get('port')).toBe('integer');
  expect(OPTIONAL_KEYS.has('id')).toBe(false);
});

describe.each(Object.entries(files))('%s in a process with a polluted prototype', (_, file) => {
  let clean: Outcome;
  beforeAll(() => {
    clean = run('none', file);
  });

  it.each([
    ['Object.prototype.foo', 'foo'],
    ['Object.prototype.port = 1 (a key of the schema, optional for a reserved range)', 'port'],
    ['Object.prototype.services = []', 'services'],
    ['Object.prototype.then (every object a thenable, to a careless check)', 'then'],
    ['Object.prototype.then a function (every object a thenable: `await loadRegistry()` was what it passed on)', 'then-function'],
    ['keys merged in through a "__proto__" key (title, accessNote, robustNote, systemd, details)', 'merged'],
    ['Array.prototype.foo', 'array'],
  ])('%s: the same registry, or the same problems, as in a clean process', (_, pollution) => {
    const polluted = run(pollution, file);
    expect(polluted).toEqual(clean);
    expect(polluted.pollutionFrozen).toBe(false);
  });

  it.each([
    ['of its own type (Object.prototype.port = 8080, .env = "X_PORT", ...)', TYPED],
    ['as the text "1"', TEXT],
  ])('every optional key of a service or reserved entry set on Object.prototype %s: the same registries and answers as in a clean process', (_, keys) => {
    const cleanRead = run('none', file, keys);
    // The bundled registry needs no parser: whatever the pollution, it is the clean process's, read and answered the same.
    const polluted = run('keys', file, keys);
    expect(polluted.bundled).toEqual(cleanRead.bundled);
    expect(polluted.bundled).toHaveProperty('ids');
    // With LIBRARY_KEYS polluted the libraries fail: a file is then the one RegistryError that names the
    // pollution (as for Object.prototype.get below), never a registry read wrong.
    for (const outcome of [polluted.parsed, polluted.loaded]) {
      if (JSON.stringify(outcome) === JSON.stringify(cleanRead.parsed) || JSON.stringify(outcome) === JSON.stringify(cleanRead.loaded)) continue;
      expect(outcome).toEqual({
        error: 'RegistryError',
        message: expect.stringMatching(
          /: cannot read the registry in this process: "Object\.prototype\.[^\n]* that another module set on every object \(prototype pollution\)/,
        ),
      });
    }
    // Every other optional key: the parsed registries too are the clean process's.
    const parsable = run(`keys-except:${LIBRARY_KEYS.join(',')}`, file, keys);
    expect(parsable).toEqual(cleanRead);
    // And their objects are ordinary ones there too: String(service), hasOwnProperty, deep equality work.
    const registries = file === files['the real ports.yaml'] ? [polluted.bundled, parsable.parsed, parsable.loaded] : [polluted.bundled];
    for (const outcome of registries) expectOrdinary(outcome);
  });

  it('Object.prototype.get, which the YAML and schema libraries cannot work with: a RegistryError naming it', () => {
    const polluted = run('get', file);
    for (const outcome of [polluted.parsed, polluted.loaded]) {
      expect(outcome).toEqual({
        error: 'RegistryError',
        message: expect.stringMatching(
          /: cannot read the registry in this process: "Object\.prototype\.get" is a property that another module set on every object \(prototype pollution\)/,
        ),
      });
    }
  });
});

describe('the parsed-registry cache read in a polluted process', () => {
  it('every optional key set on Object.prototype: the cached registry as in a clean process', () => {
    const cache = join(dir, 'cache');
    const env = { ...process.env, DSA110_PORTS_CACHE: cache };
    const file = files['the real ports.yaml'];
    const clean = run('none', file, TYPED, cachingBundle, env);
    const entries = readdirSync(cache).filter((name) => name.startsWith('registry-'));
    expect(entries).toHaveLength(1);
    const entry = join(cache, entries[0]!);
    const written = statSync(entry).ino;
    const polluted = run('keys', file, TYPED, cachingBundle, env);
    // Read from the cache, not parsed and written again.
    expect(statSync(entry).ino).toBe(written);
    expect(polluted.loaded).toEqual(clean.loaded);
    expect(polluted.bundled).toEqual(clean.bundled);
    expect(clean.loaded).toHaveProperty('ids');
    expectOrdinary(polluted.loaded);
  });
});

/** An outcome of the fixture that is a registry whose every object passed ordinaryProblems (none of a file's problems). */
function expectOrdinary(outcome: unknown): void {
  expect(outcome).toHaveProperty('ids');
  expect((outcome as { ordinaryProblems: string[] }).ordinaryProblems).toEqual([]);
}

describe("the registry's objects are ordinary objects, as a service's code uses any object", () => {
  // The library reads its data by own keys only; what it hands out has Object.prototype, as before:
  // with no prototype, `"svc " + service` threw a TypeError and a deep equality with a literal failed.
  it.each([
    ['the bundled registry', () => loadRegistry({ env: {} })],
    ['the real ports.yaml, parsed', () => parseRegistry(readFileSync(join(repoRoot, 'ports.yaml'), 'utf8'))],
  ])('%s: String(), a template literal, hasOwnProperty and deepStrictEqual with the JSON round trip work on every object', async (_, make) => {
    const registry = await make();
    const service = registry.service('api');
    expect(String(service)).toBe('[object Object]');
    expect(`svc ${service}`).toBe('svc [object Object]');
    // biome-ignore lint/suspicious/noPrototypeBuiltins: a service's code may call it, and the types allow it
    expect(service.hasOwnProperty('port')).toBe(true);
    expect(Object.getPrototypeOf(service)).toBe(Object.prototype);
    expect(service).toStrictEqual(JSON.parse(JSON.stringify(service)));
    // Every object it hands out, nested ones included (configuredBy, systemd, configs, details, ranges, claim).
    expect(registryObjects(registry).length).toBeGreaterThan(registry.services.length + registry.reserved.length);
    expect(ordinaryProblems(registry)).toEqual([]);
    // Still deep-frozen: ordinary, not writable.
    for (const [, object] of registryObjects(registry)) expect(Object.isFrozen(object)).toBe(true);
  });
});

describe('a prototype polluted before the parser loads (the built package loads dist/parse.cjs on the first parse)', () => {
  it('parseRegistry and loadRegistry throw a RegistryError naming the key, never a TypeError from inside zod', () => {
    const index = join(repoRoot, 'packages/ports/dist/index.js');
    const script = `Object.prototype.foo = 'x';
const P = await import(${JSON.stringify(index)});
const out = [];
for (const call of [() => P.parseRegistry('version: 1\\nservices: []\\n'), () => P.loadRegistry({ path: ${JSON.stringify(join(repoRoot, 'ports.yaml'))} })]) {
  try { await call(); out.push('parsed'); } catch (error) { out.push(error.constructor.name + ': ' + error.message); }
}
process.stdout.write(JSON.stringify(out));`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, DSA110_PORTS_CACHE: 'off' } }),
    ) as string[];
    expect(out).toHaveLength(2);
    for (const line of out)
      expect(line).toMatch(
        /^RegistryError: [^\n]*(ports\.yaml): cannot load the registry parser in this process: "Object\.prototype\.foo" is a property that another module set on every object \(prototype pollution\)[^\n]*; find and fix the module that sets it$/,
      );
  });
});
