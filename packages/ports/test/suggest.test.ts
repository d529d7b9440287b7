// The did-you-mean hints (src/suggest.ts) of Registry.service() and of the
// parser's unknown-key lines: still given for a typo, and bounded work for
// input no id or key can be near (the comparison cost the product of the
// lengths: 10 s for a 10-million-character id). The time bounds are generous
// guards against that, not benchmarks.
import { describe, expect, it } from 'vitest';
import { loadRegistry, parseRegistry, PortsError, RegistryError } from '../src/index.js';
import { closest, editDistance } from '../src/suggest.js';
import { minimalRegistry, withLine, writeRegistry } from './helpers.js';

/** What `call` threw, and how long it took, in ms. */
async function timed(call: () => unknown): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await call();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error('no error');
}

describe('did-you-mean', () => {
  it('still names the nearest id or key for a typo, and none for what is not near', () => {
    const registry = parseRegistry(minimalRegistry);
    expect(() => registry.service('rdis')).toThrow(/^unknown service "rdis" in ports\.yaml \(did you mean "redis"\?\); known services: api, redis$/);
    expect(() => registry.service('postgres')).toThrow(/^unknown service "postgres" in ports\.yaml; known services: api, redis$/);
    expect(closest('protocl', ['port', 'protocol', 'processes'])).toBe('protocol');
    expect(closest('PROTOCL', ['protocol'])).toBe('protocol');
    expect(closest('xyz', ['port'])).toBeUndefined();
    expect(closest('ab', ['ab', 'abc'])).toBe('ab');
    expect(closest('abd', ['abc', 'abe'])).toBe('abc'); // the first of two as near
    expect([editDistance('kitten', 'sitting'), editDistance('', 'abc'), editDistance('same', 'same')]).toEqual([3, 3, 0]);
  });

  it('names the one id that starts with what was typed (`prom`), when no id is a near typo; not two, nor from under three characters', () => {
    const ids = ['api', 'grafana', 'nginx', 'prometheus', 'redis', 'vite', 'vite-default'];
    expect(closest('prom', ids)).toBe('prometheus');
    expect(closest('PROMETH', ids)).toBe('prometheus');
    expect(closest('graf', ids)).toBe('grafana'); // also a near typo: the same answer
    expect(closest('vite-d', ids)).toBe('vite-default');
    expect(closest('vite-p', ['vite-default', 'vite-preview'])).toBe('vite-preview');
    expect(closest('vite-', ['vite-default', 'vite-preview'])).toBeUndefined(); // two go on from it, neither near
    expect(closest('pr', ['prometheus'])).toBeUndefined();
    expect(closest('redis-serve', ['redis-server-main', 'redis-server-spare'])).toBeUndefined(); // two go on from it, neither near
    expect(() => parseRegistry(minimalRegistry).service('red')).toThrow(/^unknown service "red" in ports\.yaml \(did you mean "redis"\?\)/);
  });

  it('names the longest name that what was typed writes out in full (`nftables`: nft), when none is a near typo; not one under three characters, nor one it goes on from after a dash, dot or underscore', () => {
    expect(closest('nftables', ['nft', 'ufw'])).toBe('nft');
    expect(closest('environment', ['en', 'env', 'envi'])).toBe('envi');
    expect(closest('NFTABLES', ['nft'])).toBe('nft');
    expect(closest('redis-server', ['api', 'redis'])).toBeUndefined();
    expect(closest('services_list', ['version', 'services'])).toBeUndefined();
    expect(closest('shell', ['sh', 'dotenv', 'systemd'])).toBeUndefined();
    expect(closest('iptables', ['nft', 'ufw'])).toBeUndefined();
  });

  it('only suggests a name near enough by edits: at most half of the shorter name changed; a swap of neighbours is one edit', () => {
    const formats = ['sh', 'dotenv', 'systemd'];
    expect(closest('fish', formats)).toBeUndefined(); // two edits from "sh": nothing of it is left to be a typo of
    expect(closest('bash', formats)).toBeUndefined();
    expect(closest('js', formats)).toBeUndefined();
    expect(closest('hs', formats)).toBe('sh');
    expect(closest('zsh', formats)).toBe('sh');
    expect(closest('uwf', ['nft', 'ufw'])).toBe('ufw');
    expect(closest('redsi', ['api', 'redis'])).toBe('redis');
    expect([editDistance('ufw', 'uwf'), editDistance('ab', 'ba'), editDistance('abcd', 'badc'), editDistance('ca', 'abc')]).toEqual([1, 1, 2, 3]);
  });

  it('registry.service() of a 10-million-character id answers at once (it took 10 s), with no hint', async () => {
    const registry = await loadRegistry({ env: {} });
    const { error, ms } = await timed(() => registry.service('a'.repeat(1e7) as never));
    expect(ms).toBeLessThan(1000);
    expect(error).toBeInstanceOf(PortsError);
    expect((error as PortsError).message).toMatch(/^unknown service "a{199}…"; known services: /);
  });

  it('a file of 1000 unknown keys of 1000 characters (0.99 MB) is refused at once (it took 7 s), each key said', async () => {
    const keys = Array.from({ length: 1000 }, (_, index) => `    ${String(index).padStart(4, '0')}${'k'.repeat(990)}: 1`).join('\n');
    const path = writeRegistry(withLine(12, `    processes: [uvicorn]\n${keys}`));
    const { error, ms } = await timed(() => loadRegistry({ path }));
    expect(ms).toBeLessThan(2000); // parsing 1 MB of YAML takes its share: about 0.3 s
    expect(error).toBeInstanceOf(RegistryError);
    const unknown = (error as RegistryError).issues.filter((issue) => issue.message.startsWith('unknown key'));
    expect(unknown).toHaveLength(1000);
  });

  it('a file whose one key, or one value, is 1 MB long is refused at once (it took 5.5 s)', async () => {
    const long = 'k'.repeat(1024 * 1024 - minimalRegistry.length - 20);
    for (const [text, message] of [
      // An explicit key (a plain one stops at 1024 characters), in a service: compared with each of a service's keys.
      [withLine(12, `    processes: [uvicorn]\n    ? ${long}\n    : 1`), /^unknown key "k{199}…"; remove it$/],
      [minimalRegistry.replace('access: private', `access: ${long}`), /^must be one of public, private, localhost, dev \(got "k{199}…"\)$/],
    ] as const) {
      const path = writeRegistry(text);
      const { error, ms } = await timed(() => loadRegistry({ path }));
      expect(ms).toBeLessThan(1000);
      expect((error as RegistryError).issues.map((issue) => issue.message)).toEqual([expect.stringMatching(message)]);
    }
  });

  it('bounds the work of one search however many candidates are near in length', () => {
    const input = 'x'.repeat(96);
    const candidates = Array.from({ length: 100_000 }, (_, index) => `${index}`.padStart(96, 'y'));
    const started = performance.now();
    expect(closest(input, candidates)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
