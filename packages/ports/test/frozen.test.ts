import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { deepFreeze } from '../src/frozen.js';
import {
  BUILTIN_PROTECTED_ALIASES,
  BUILTIN_PROTECTED_PROCESSES,
  CONFIG_KINDS,
  configKinds,
  loadRegistry,
  parseRegistry,
  Registry,
  type ConfiguredBy,
  type RegistryData,
} from '../src/index.js';
import { UNIT_DIRS } from '../src/systemd/index.js';
import { parseRegistryText } from '../src/parse.js';
import { minimalRegistry } from './helpers.js';

describe('deepFreeze', () => {
  it('freezes every plain object and array a value holds, and survives a cycle', () => {
    const cyclic: { list: unknown[]; inner: { n: number }; self?: unknown } = { list: [{ a: 1 }], inner: { n: 1 } };
    cyclic.self = cyclic;
    expect(deepFreeze(cyclic)).toBe(cyclic);
    for (const value of [cyclic, cyclic.list, cyclic.list[0], cyclic.inner]) expect(Object.isFrozen(value)).toBe(true);
    expect(deepFreeze('text')).toBe('text');
    expect(deepFreeze(null)).toBe(null);
  });
});

describe('a registry shared by the callers of one process', () => {
  it('cannot be changed by one caller under another: every change throws, the other sees the registry as loaded', async () => {
    const first = await loadRegistry();
    const second = await loadRegistry();
    const redis = first.service('redis');
    const protectedCount = second.claim.protectedProcesses.length;
    const changes: Array<() => unknown> = [
      () => ((redis as { port: number }).port = 1234),
      () => (first.claim.protectedProcesses as string[]).splice(0),
      () => ((first.claim as { protectedPidsUpTo: number }).protectedPidsUpTo = 0),
      () => (first.services as unknown[]).sort(() => 0),
      () => (first.services as unknown[]).push({}),
      () => (redis.processes as string[]).push('bash'),
      () => (redis.purpose as string[]).splice(0),
      () => ((redis.systemd as { unit: string }).unit = 'other.service'),
      () => ((first.reserved[0] as { start: number }).start = 1),
      () => (first.reserved[0]!.for as string[]).push('redis'),
      () => ((first as { services: unknown }).services = []),
      () => ((redis.details as Record<string, string>).x = 'y'),
      () => (first.ids as string[]).push('x'),
      () => (first.ids as string[]).sort(),
      // The methods are shared as well: a replaced resolvePort would answer for every registry of the process.
      () => ((Registry.prototype as { resolvePort: unknown }).resolvePort = () => ({ port: 1, source: 'registry' })),
      () => ((Object.getPrototypeOf(first) as { lookup: unknown }).lookup = () => undefined),
    ];
    for (const change of changes) expect(change).toThrow(TypeError);
    expect(second.service('redis').port).toBe(6379);
    expect(second.lookup(6379)?.id).toBe('redis');
    expect(second.claim.protectedProcesses).toHaveLength(protectedCount);
  });

  it("hands out resolvePort's answers frozen: the one a caller changed was the next caller's too", async () => {
    const registry = await loadRegistry();
    const answers = [
      registry.resolvePort('redis', { env: {} }),
      registry.resolvePort('api', { env: {} }),
      registry.resolvePort('api', { env: { CONTIMG_API_PORT: '8500' } }),
      registry.resolvePort('nginx', { env: { CONTIMG_API_PORT: '8500' } }),
    ];
    for (const answer of answers) {
      expect(Object.isFrozen(answer)).toBe(true);
      expect(() => ((answer as { port: number }).port = 1)).toThrow(TypeError);
    }
    expect(registry.resolvePort('redis', { env: {} })).toEqual({ port: 6379, source: 'registry' });
    expect(answers[2]).toEqual({ port: 8500, source: 'env', variable: 'CONTIMG_API_PORT' });
  });

  it('is readonly in its types where it is frozen: configuredBy too, whose env or file the compiler refuses to change', () => {
    const api = parseRegistry(minimalRegistry).service('api');
    const by = api.configuredBy;
    if (typeof by !== 'object' || !('env' in by)) throw new Error('fixture: api is configured by env');
    expect(() => {
      // @ts-expect-error: configuredBy is readonly, as it is frozen
      by.env = 'OTHER_PORT';
    }).toThrow(TypeError);
    expectTypeOf<Extract<ConfiguredBy, { env: string }>>().toEqualTypeOf<{ readonly env: string }>();
    expectTypeOf<Extract<ConfiguredBy, { file: string }>>().toEqualTypeOf<{ readonly file: string; readonly key?: string }>();
    // The data `new Registry(data, source)` takes is a type of its own, exported.
    expectTypeOf<ConstructorParameters<typeof Registry>[0]>().toEqualTypeOf<RegistryData>();
  });

  it('is frozen however it was made: parsed from text too', () => {
    const registry = parseRegistry(minimalRegistry);
    expect(Object.isFrozen(registry)).toBe(true);
    for (const service of registry.services) {
      expect(Object.isFrozen(service)).toBe(true);
      expect(Object.isFrozen(service.configs)).toBe(true);
      expect(Object.isFrozen(service.configuredBy)).toBe(true);
    }
    expect(Object.isFrozen(registry.claim.protectedProcesses)).toBe(true);
    // A getter too: one frozen list, not a new array on each read that a caller may change.
    expect(Object.isFrozen(registry.ids)).toBe(true);
    expect(registry.ids).toBe(registry.ids);
    expect(registry.ids).toEqual(['redis', 'api']);
  });

  it("freezes its own copies, never the caller's data: new Registry(data) leaves data as it was", () => {
    const result = parseRegistryText(minimalRegistry);
    if (!result.ok) throw new Error('fixture does not parse');
    const data = result.data;
    const registry = new Registry(data, 'data');
    expect(Object.isFrozen(registry.services[0]!.processes)).toBe(true);
    const walk = (value: unknown, path: string): void => {
      if (typeof value !== 'object' || value === null) return;
      expect(Object.isFrozen(value), path).toBe(false);
      for (const [key, inner] of Object.entries(value)) walk(inner, `${path}.${key}`);
    };
    walk(data, 'data');
  });

  it('takes its protection from built-in lists no caller can empty', async () => {
    expect(() => (BUILTIN_PROTECTED_PROCESSES as string[]).splice(0)).toThrow(TypeError);
    expect(() => ((BUILTIN_PROTECTED_ALIASES as Record<string, string[]>).pasta as string[]).push('bash')).toThrow(TypeError);
    expect(() => ((CONFIG_KINDS as Record<string, unknown>)['nginx-site'] = undefined)).toThrow(TypeError);
    expect(() => ((CONFIG_KINDS['nginx-site'] as { debianPath: string }).debianPath = '/etc/shadow')).toThrow(TypeError);
    expect(() => (configKinds as unknown as string[]).push('x')).toThrow(TypeError);
    expect(() => (UNIT_DIRS as string[]).push('tmp')).toThrow(TypeError);
    // A registry loaded after those attempts still protects the built-ins.
    const registry = parseRegistry(minimalRegistry);
    expect(registry.claim.protectedProcesses).toEqual(expect.arrayContaining(['sshd', 'systemd', 'dockerd']));
  });

  // Every entry point package.json exports with code (its "development" condition), each export of it: a list
  // or table added later is checked without being named here (CLAIM_PORT_BIN_FILES was not, named nowhere).
  it('exports every list and table of every entry point frozen, with all it holds', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string;
      exports: Record<string, unknown>;
    };
    const entries = Object.entries(manifest.exports)
      .filter(([, target]) => typeof target === 'object' && target !== null && 'development' in target)
      .map(([key]) => manifest.name + key.slice(1));
    expect(entries).toEqual(expect.arrayContaining(['@dsa110/ports', '@dsa110/ports/system', '@dsa110/ports/systemd', '@dsa110/ports/files']));
    const unfrozen: string[] = [];
    const seen = new Set<unknown>();
    const walk = (value: unknown, path: string): void => {
      if (typeof value !== 'object' || value === null || seen.has(value)) return;
      seen.add(value);
      if (!Object.isFrozen(value)) unfrozen.push(path);
      for (const key of Reflect.ownKeys(value)) {
        const descriptor = Object.getOwnPropertyDescriptor(value, key);
        if (descriptor !== undefined && 'value' in descriptor) walk(descriptor.value, `${path}.${String(key)}`);
      }
    };
    let objects = 0;
    for (const entry of entries) {
      const module = (await import(/* @vite-ignore */ entry)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(module)) {
        if (typeof value === 'object' && value !== null) objects++;
        walk(value, `${entry} ${name}`);
      }
    }
    expect(objects).toBeGreaterThan(10);
    expect(unfrozen).toEqual([]);
    // Functions are not walked (a class's statics are its own), but the methods every registry shares are.
    expect(Object.isFrozen(Registry.prototype)).toBe(true);
  });
});
