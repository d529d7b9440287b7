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
  it("loads the bundled registry from any directory, without loading yaml or zod, or Node's streams", () => {
    const out = runOutside(`
      import { createRequire } from 'node:module';
      import { loadRegistry } from '@dsa110/ports';
      import { snapshot } from '@dsa110/ports/system';
      import { loadUnit } from '@dsa110/ports/systemd';
      const registry = await loadRegistry();
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      const builtins = process.moduleLoadList.filter((name) => name.startsWith('NativeModule '));
      console.log(JSON.stringify({ port: registry.resolvePort('api').port, ids: registry.ids, loaded, builtins, imported: [typeof snapshot, typeof loadUnit] }));
    `);
    const result = JSON.parse(out);
    expect(result.port).toBe(8000);
    expect(result.ids).toHaveLength(8);
    expect(result.imported).toEqual(['function', 'function']);
    expect(result.loaded.filter((file: string) => /parse\.cjs|yaml|zod/.test(file))).toEqual([]);
    // The built modules take builtins through require() (scripts/build-support.mjs, builtinsByRequire): an
    // import of node:fs made Node 20 read its lazy exports, which load the whole streams stack; and
    // node:net (for tryBind) is required on first use. (internal/streams/utils is Node's own, at bootstrap.)
    const streams = /^NativeModule (stream|net|internal\/streams\/(readable|writable|duplex)|internal\/fs\/streams)$/;
    expect(result.builtins.filter((name: string) => streams.test(name))).toEqual([]);
    expect(result.builtins.length).toBeGreaterThan(10); // the list is real
  });

  it('require() with require(esm) turned off says so, not that Node is too old (this Node can)', () => {
    const run = spawnSync(process.execPath, ['--no-experimental-require-module', '-e', "require('@dsa110/ports')"], {
      cwd: consumer,
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'require() of this package needs Node to load ES modules with require(), which is turned off here (--no-experimental-require-module, in the command or NODE_OPTIONS); use import, or drop that flag',
    );
    expect(run.stderr).not.toContain('needs Node 20.19 or later');
  });

  it('requires a builtin such as node:net when one of its functions is first called, and the call works', () => {
    const out = runOutside(`
      import { hasIdleCore, tryBind } from '@dsa110/ports/system';
      const loaded = () => process.moduleLoadList.includes('NativeModule net');
      const before = loaded();
      const bound = await tryBind(0, '127.0.0.1');
      console.log(JSON.stringify({ before, bound, after: loaded(), idle: typeof hasIdleCore() }));
    `);
    expect(JSON.parse(out)).toEqual({ before: false, bound: { ok: true }, after: true, idle: 'boolean' });
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
