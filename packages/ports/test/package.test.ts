// The built package, imported the way a service outside this repo imports it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUnbuiltBin } from '../../../test-support/index.js';
import { removeTree } from '../../../test-support/tree.js';
import { minimalRegistry, repoRoot, writeRegistry } from './helpers.js';

const packageDir = join(repoRoot, 'packages/ports');

function runOutside(script: string, env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: consumer,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
}

let consumer: string;
beforeAll(() => {
  if (!existsSync(join(packageDir, 'dist/index.js'))) throw new Error('packages/ports is not built: run `pnpm build` first');
  consumer = mkdtempSync(join(tmpdir(), 'dsa110-consumer-'));
  // Removed after the file's tests; the link into the checkout is unlinked, never followed.
  mkdirSync(join(consumer, 'node_modules/@dsa110'), { recursive: true });
  symlinkSync(packageDir, join(consumer, 'node_modules/@dsa110/ports'));
});
afterAll(() => removeTree(consumer));

describe('the built package', () => {
  it('loads the bundled registry from any directory, without loading yaml or zod', () => {
    const out = runOutside(`
      import { createRequire } from 'node:module';
      import { loadRegistry } from '@dsa110/ports';
      const registry = await loadRegistry();
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify({ port: registry.resolvePort('api').port, ids: registry.ids, loaded }));
    `);
    const result = JSON.parse(out);
    expect(result.port).toBe(8000);
    expect(result.ids).toHaveLength(8);
    expect(result.loaded.filter((file: string) => /parse\.cjs|yaml|zod/.test(file))).toEqual([]);
  });

  it('honours env overrides and DSA110_PORTS_FILE', () => {
    const path = writeRegistry(minimalRegistry);
    const out = runOutside(
      `import { loadRegistry } from '@dsa110/ports';
       const registry = await loadRegistry();
       console.log(registry.source, registry.resolvePort('api').port);`,
      { DSA110_PORTS_FILE: path, CONTIMG_API_PORT: '8010' },
    );
    expect(out.trim()).toBe(`${path} 8010`);
  });

  it('parses text and reports errors with their position', () => {
    const out = runOutside(`
      import { parseRegistry, RegistryError } from '@dsa110/ports';
      try { parseRegistry('version: 1\\nservices: []\\nextra: 1\\n', { source: 'x.yaml' }); }
      catch (error) { console.log(error instanceof RegistryError, error.message); }
    `);
    expect(out.trim()).toBe('true x.yaml:3:1: extra: unknown key "extra"');
  });

  it('ships types, the registry and the schema', () => {
    const pkg = createRequire(import.meta.url)(join(packageDir, 'package.json'));
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/system/index.js', 'dist/parse.cjs', 'ports.yaml', 'schema.json', 'bin/ports.js']) {
      expect(existsSync(join(packageDir, file)), file).toBe(true);
    }
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'bin', 'ports.yaml', 'schema.json']));
  });
});

describe('service ids are a type', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const check = (file: string) =>
    spawnSync(process.execPath, [tsc, '-p', join(packageDir, `test/fixtures/types/tsconfig.${file.replace(/\.ts$/, '')}.json`)], { encoding: 'utf8' });

  it('a known id compiles', () => {
    const result = check('good.ts');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it("resolvePort('aip') does not compile", () => {
    const result = check('bad-id.ts');
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/bad-id\.ts\(4,22\): error TS2345: Argument of type '"aip"' is not assignable/);
  });
});

describe('the bin in a checkout that was never built', () => {
  it('says in one line what to run, exit 1, no stack trace', () => {
    const run = runUnbuiltBin(join(repoRoot, 'packages/ports'), 'ports.js', ['list']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'ports: not built: dist/ is missing; run `npx -y pnpm@10.34.9 build` in the checkout\n' });
  });
});
