import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resultJson, type ClaimResult } from '../src/result.js';

const base: ClaimResult = {
  dryRun: false,
  listeners: ['0.0.0.0:8000'],
  message: 'port 8000 (api) is free (52.6 ms)',
  elapsedMs: 52.6,
  holders: [],
  action: 'freed',
  transport: 'tcp',
  port: 8000,
};

describe('resultJson', () => {
  it('puts the keys in the order of the README example, whatever order the result was built in', () => {
    const example = /```json\n(.*)\n```/.exec(readFileSync(new URL('../README.md', import.meta.url), 'utf8'))![1]!;
    const documented = Object.keys(JSON.parse(example) as object);
    expect(Object.keys(resultJson({ ...base, service: 'api' }))).toEqual(documented);
  });

  it('leaves out optional keys that are not set, and anything that is not part of the shape', () => {
    const extra = { ...base, service: undefined, internal: 'x' } as unknown as ClaimResult;
    expect(Object.keys(resultJson(extra))).toEqual(['port', 'transport', 'action', 'holders', 'elapsedMs', 'message', 'listeners', 'dryRun']);
    const retaken = resultJson({ ...base, retakenBy: [{ pid: 2, user: 'root', command: 'x' }], blockers: [] });
    expect(Object.keys(retaken).slice(-2)).toEqual(['retakenBy', 'blockers']);
  });
});
