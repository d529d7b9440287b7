// A service's process may have a polluted Object.prototype (another module's bug: a deep merge of
// untrusted JSON sets `Object.prototype.port = 1`): the registry must still parse as it does in a
// clean process, the same data and the same problems. Each case runs in a child process, so that
// the pollution cannot reach this test worker; the child is the fixture bundled (tsx's own helpers
// fail on `Object.prototype.get`) and pollutes after importing the library, as a running service would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
beforeAll(async () => {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [fixture],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'error',
    // yaml require()s node builtins.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
});

interface Outcome {
  parsed: unknown;
  loaded: unknown;
  pollutionFrozen: boolean;
}

function run(pollution: string, file: string): Outcome {
  return JSON.parse(execFileSync(process.execPath, [bundle, pollution, file], { encoding: 'utf8' })) as Outcome;
}

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
    ['keys merged in through a "__proto__" key (title, accessNote, robustNote, systemd, details)', 'merged'],
    ['Array.prototype.foo', 'array'],
  ])('%s: the same registry, or the same problems, as in a clean process', (_, pollution) => {
    const polluted = run(pollution, file);
    expect(polluted).toEqual(clean);
    expect(polluted.pollutionFrozen).toBe(false);
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
