// parseConfigYaml takes merge keys (`<<`) in the order they are written, as
// Go's yaml.v2 (Prometheus's parser) does: each case's answer is what
// Prometheus 2.42 loaded (its /api/v1/status/config, run on a loopback port)
// or what `promtool check config` refused.
import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from '../src/index.js';

const value = (text: string): unknown => {
  const parsed = parseConfigYaml(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
};

describe('merge keys in the order they are written', () => {
  it('a key written before a `<<` that gives it again takes the merged value (yaml alone kept the first)', () => {
    // Prometheus loaded targets localhost:8000 from this.
    const targets = value("job: {static_configs: [{targets: ['localhost:8001']}], <<: {static_configs: [{targets: ['localhost:8000']}]}}\n");
    expect(targets).toEqual({ job: { static_configs: [{ targets: ['localhost:8000'] }] } });
    // promtool refused this as two jobs named other: the merge renames the second.
    const named = value('jobs:\n  - &base\n    job_name: other\n  - job_name: dsa110-api\n    <<: *base\n');
    expect(named).toEqual({ jobs: [{ job_name: 'other' }, { job_name: 'other' }] });
  });

  it('a key written after the `<<` still wins, a key no merge gives is kept, and of a list of merges the first wins', () => {
    expect(value('a: &a {x: 1, y2: 1}\nb: {x: 0, z: 0, <<: *a, y2: 2}\n')).toEqual({ a: { x: 1, y2: 1 }, b: { x: 1, z: 0, y2: 2 } });
    expect(value('b: {x: 0, <<: [{x: 1}, {x: 2}]}\n')).toEqual({ b: { x: 1 } });
    // Through a merge inside the merged mapping.
    expect(value('a: &a {x: 1}\nc: &c {<<: *a}\nb: {x: 0, <<: *c}\n')).toEqual({ a: { x: 1 }, c: { x: 1 }, b: { x: 1 } });
  });

  it('an alias takes the last anchor of its name written before it, as yaml.v2 resolves it', () => {
    expect(value('a: &x {k: 1}\nb: {k: 0, <<: *x}\nc: &x {k: 2}\nd: {k: 0, <<: *x}\n')).toEqual({
      a: { k: 1 },
      b: { k: 1 },
      c: { k: 2 },
      d: { k: 1 + 1 },
    });
  });

  it('a hostile file of many merges, or a long chain of them, is read in linear time (each alias resolved once)', () => {
    // Each alias resolved by yaml's Alias.resolve walked the whole document: these 4,000 merges took 95 s, now about 2
    // (most of it yaml's own parse). More values than this are refused before any is read (tooManyValues).
    const many = `x: &x {k: 1}\nj:\n${Array.from({ length: 4_000 }, (_, i) => `- {a${i}: 1, <<: *x}\n`).join('')}`;
    const chain = `a0: &a0 {k0: 1}\n${Array.from({ length: 4_000 }, (_, i) => `a${i + 1}: &a${i + 1} {k${i + 1}: 1, <<: *a${i}}\n`).join('')}`;
    for (const text of [many, chain]) {
      const started = performance.now();
      const parsed = parseConfigYaml(text);
      expect(parsed.ok).toBe(false); // yaml's alias limit refuses both, as before
      expect(performance.now() - started).toBeLessThan(10_000);
    }
  }, 60_000);
});
