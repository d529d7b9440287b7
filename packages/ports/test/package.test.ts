// The built package, imported the way a service outside this repo imports it.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
      import { builtinModules, createRequire } from 'node:module';
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
    expect(out.trim()).toBe('true x.yaml:3:1: extra: unknown key "extra"; remove it');
  });

  it('ships types, the registry and the schema', () => {
    const pkg = createRequire(import.meta.url)(join(packageDir, 'package.json'));
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/system/index.js', 'dist/parse.cjs', 'ports.yaml', 'schema.json', 'bin/ports.js']) {
      expect(existsSync(join(packageDir, file)), file).toBe(true);
    }
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'bin', 'ports.yaml', 'schema.json']));
  });

  it('depends on exactly the packages its built files import: yaml and zod are bundled into dist/parse.cjs, zod kept for dist/schema.d.ts', () => {
    // Bare specifiers, as esbuild and tsc write them: import/export statements at the start of a line, require() and import().
    const name = String.raw`(?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*(?:/[\w./-]*)?`;
    const patterns = [
      new RegExp(String.raw`^\s*(?:import|export)\b[^'"]*?\bfrom\s*(["'])(${name})\1`, 'gm'),
      new RegExp(String.raw`^\s*import\s*(["'])(${name})\1`, 'gm'),
      new RegExp(String.raw`\b(?:require|import)\(\s*(["'])(${name})\1\s*\)`, 'g'),
    ];
    const imported = new Set<string>();
    for (const file of readdirSync(join(packageDir, 'dist'), { recursive: true, encoding: 'utf8' })) {
      if (!/\.(?:c?js|d\.c?ts)$/.test(file)) continue;
      const text = readFileSync(join(packageDir, 'dist', file), 'utf8');
      for (const pattern of patterns)
        for (const [, , specifier] of text.matchAll(pattern)) {
          const parts = specifier!.split('/');
          const pkg = specifier!.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
          if (!specifier!.startsWith('node:') && !builtinModules.includes(pkg)) imported.add(pkg);
        }
    }
    const pkg = createRequire(import.meta.url)(join(packageDir, 'package.json'));
    // A dependency nothing imports is installed with every copy for nothing (yaml: 1.4 MB); one missing fails at run time.
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual([...imported].sort());
    expect(imported).toEqual(new Set(['zod']));
  });

  it("ships a ports.yaml whose $schema line names the schema.json beside it (the checkout's names it from the repository root)", () => {
    const shipped = readFileSync(join(packageDir, 'ports.yaml'), 'utf8');
    const schema = /^# yaml-language-server: \$schema=(\S+)$/.exec(shipped.split('\n', 1)[0]!)?.[1];
    expect(schema).toBe('./schema.json');
    expect(existsSync(join(packageDir, schema!))).toBe(true);
    // The line itself holds for the checkout, where editors open it from the repository's root.
    const checkout = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');
    expect(existsSync(join(repoRoot, /\$schema=(\S+)/.exec(checkout)![1]!))).toBe(true);
    // All else is the checkout's registry, unchanged.
    expect(shipped.slice(shipped.indexOf('\n'))).toBe(checkout.slice(checkout.indexOf('\n')));
  });

  it('makes npm install no peer dependency: each is optional (@types/node, for a project that type-checks, is its own to add)', () => {
    // A required peer is installed by npm 7+ in every install, the CLIs' global ones too: the newest @types/node, which
    // needs a newer TypeScript than this package's minimum (scripts/check-packages.mjs installs a packed tarball for real).
    for (const name of ['ports', 'claim-port', 'port-health-check']) {
      const pkg = JSON.parse(readFileSync(join(repoRoot, 'packages', name, 'package.json'), 'utf8'));
      for (const peer of Object.keys(pkg.peerDependencies ?? {})) expect(pkg.peerDependenciesMeta?.[peer], `${name}: ${peer}`).toEqual({ optional: true });
    }
    expect(JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).peerDependencies).toEqual({ '@types/node': '^16.11.22 || ^17.0.14 || >=18' });
  });
});

describe('a Registry of another copy of the built package', () => {
  it('is said to be one, though the bundler renamed the class (esbuild: _Registry)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'dsa110-copy-'));
    try {
      cpSync(join(packageDir, 'dist'), join(copy, 'dist'), { recursive: true });
      const ours = await import(pathToFileURL(join(packageDir, 'dist/index.js')).href);
      const theirs = await import(pathToFileURL(join(copy, 'dist/index.js')).href);
      const registry = await theirs.loadRegistry();
      expect(() => ours.Registry.prototype.service.call(registry, 'api')).toThrow(
        'service: must be called on a Registry (from loadRegistry or parseRegistry), not a Registry of another copy of @dsa110/ports;',
      );
    } finally {
      removeTree(copy);
    }
  });
});

describe("the entries' types", () => {
  // A project's tsc looks for @types/node only in its own node_modules/@types (pnpm installs the peer in
  // .pnpm/) and not at all under "types": []; scripts/check-packages.mjs type-checks both for real.
  it("reference Node's, so that tsc finds @types/node from the package", () => {
    for (const entry of ['index', 'system/index', 'systemd/index', 'files/index']) {
      expect(readFileSync(join(packageDir, `dist/${entry}.d.ts`), 'utf8').split('\n')[0], entry).toBe('/// <reference types="node" />');
    }
  });
});

describe('a service bundled with esbuild', () => {
  // The real esbuild of this repository, bundling a service that imports the built package.
  const esbuild = join(repoRoot, 'node_modules/.bin/esbuild');
  const service = `
    import { loadRegistry, parseRegistry, RegistryError } from '@dsa110/ports';
    (async () => {
      const bundled = await loadRegistry();
      const custom = await loadRegistry({ path: process.argv[2] });
      const fromEnv = await loadRegistry();
      let parsed;
      try { parseRegistry('version: 1\\nservices: []\\nextra: 1\\n', { source: 'x.yaml' }); }
      catch (error) { parsed = [error instanceof RegistryError, error.message]; }
      console.log(JSON.stringify({ port: bundled.resolvePort('api').port, custom: custom.ids, fromEnv: fromEnv.source, parsed }));
    })().catch((error) => { console.log(JSON.stringify({ failed: [error.constructor.name, error.code, error.message] })); });
  `;
  // Run from a directory of its own: no node_modules, no package.json, nothing but the bundle.
  function bundleAndRun(format: 'cjs' | 'esm', flags: string[] = []) {
    const source = join(consumer, `service-${format}.mjs`);
    writeFileSync(source, service);
    const runDir = mkdtempSync(join(tmpdir(), 'dsa110-bundled-'));
    try {
      const outfile = join(runDir, format === 'esm' ? 'service.mjs' : 'service.cjs');
      execFileSync(esbuild, [source, '--bundle', '--platform=node', `--format=${format}`, '--log-level=error', `--outfile=${outfile}`, ...flags], {
        cwd: consumer,
      });
      const registry = writeRegistry(minimalRegistry);
      const run = spawnSync(process.execPath, [outfile, registry], {
        cwd: runDir,
        env: { PATH: process.env.PATH ?? '', DSA110_PORTS_FILE: registry, XDG_CACHE_HOME: join(runDir, 'cache') },
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      return { registry, result: JSON.parse(run.stdout) };
    } finally {
      removeTree(runDir);
    }
  }

  for (const format of ['cjs', 'esm'] as const) {
    it(`as ${format === 'cjs' ? 'CommonJS' : 'an ES module'}: starts, and parses registry files and text with the parser it bundled`, () => {
      const { registry, result } = bundleAndRun(format);
      expect(result).toEqual({
        port: 8000,
        custom: expect.arrayContaining(['api']),
        fromEnv: registry,
        parsed: [true, 'x.yaml:3:1: extra: unknown key "extra"; remove it'],
      });
    });

    it(`as ${format === 'cjs' ? 'CommonJS' : 'an ES module'} without the parser: a RegistryError saying to keep the package external`, () => {
      const { result } = bundleAndRun(format, ['--external:#parser']);
      expect(result.failed).toEqual([
        'RegistryError',
        'INVALID_REGISTRY',
        expect.stringMatching(
          /: cannot load the registry parser \(dist\/parse\.cjs of @dsa110\/ports\): .*; if this program is bundled, keep @dsa110\/ports out of the bundle \(esbuild: --external:@dsa110\/ports\), else reinstall @dsa110\/ports$/,
        ),
      ]);
    });
  }
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

  it('the id types say what may be loaded: ServiceId without options; string ids when an env or a path may name another file; a reserved range keeps the ids', () => {
    const result = check('honest-ids.ts');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('every option the runtime takes as undefined may be passed undefined under exactOptionalPropertyTypes (the published declarations)', () => {
    const result = check('exact-optional.ts');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it("resolvePort('aip') does not compile", () => {
    const result = check('bad-id.ts');
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/bad-id\.ts\(4,22\): error TS2345: Argument of type '"aip"' is not assignable/);
  });
});

describe('a CommonJS file that requires the package, under "module": "node16"', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const check = (skipLibCheck: boolean) =>
    spawnSync(process.execPath, [tsc, '-p', join(packageDir, 'test/fixtures/types/tsconfig.require-node16.json'), '--skipLibCheck', String(skipLibCheck)], {
      encoding: 'utf8',
    });

  it("gets TS1479 inside the package's own dist/index.d.cts, not at its require line, so skipLibCheck silences it, and the types are the package's (as the README says)", {
    timeout: 120_000,
  }, () => {
    const checked = check(false);
    expect(checked.stdout).toMatch(
      /^(?:packages\/ports\/)?dist\/index\.d\.cts\(1,15\): error TS1479: The current file is a CommonJS module whose imports will produce 'require' calls; however, the referenced file is an ECMAScript module and cannot be imported with 'require'\./,
    );
    expect(checked.stdout.trim().split('\n')).toHaveLength(1);
    expect(checked.status).toBe(2);
    // The fixture's @ts-expect-error (a port assigned to a string) holds: an unused one would be an error here.
    const skipped = check(true);
    expect(skipped.stdout + skipped.stderr).toBe('');
    expect(skipped.status).toBe(0);
  });
});

describe('the bin in a checkout that was never built', () => {
  it('says in one line what to run, exit 1, no stack trace', () => {
    const run = runUnbuiltBin(join(repoRoot, 'packages/ports'), 'ports.js', ['list']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'ports: not built: dist/ is missing; run `npx -y pnpm@10.34.9 build` in the checkout\n' });
  });
});
