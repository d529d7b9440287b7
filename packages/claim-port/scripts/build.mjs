// Build @dsa110/claim-port: the bin as bundled CommonJS, a small first half
// (cli.cjs) and the claim engine (run.cjs), with the registry library and the
// socket reader inlined (zod and yaml only through the registry's lazy parser,
// so the bundled registry never loads them; pidusage and ps-list loaded from
// node_modules only when needed); the library entry; the .d.ts files. Run with
// plain node: `pnpm build`.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
rmSync(dist, { recursive: true, force: true });

// @dsa110/ports resolves to its built dist (exports map), whose parser is
// already a lazy `require('@dsa110/ports/parser')`: keep that one external.
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  logLevel: 'warning',
  legalComments: 'none',
  sourcemap: false,
  absWorkingDir: root,
  external: ['@dsa110/ports/parser', 'yaml', 'zod', 'pidusage', 'ps-list'],
  define: { PACKAGE_VERSION: JSON.stringify(version) },
};

// Node built-ins the bundle imports but does not use are dropped, not loaded at start.
const unusedBuiltins = {
  name: 'unused-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, external: true, sideEffects: false }));
  },
};

// The library entry for services that call claimPort() themselves.
await esbuild.build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: dist, plugins: [unusedBuiltins] });

// The bin: CommonJS (the same recipe as port-health-check's). Node 20 loads an
// ES module entry through the asynchronous ESM loader; a CommonJS one with
// plain synchronous reads, several ms sooner. fs/promises (only for a
// --registry file) is required on first use.
const lazyFsPromises = {
  name: 'lazy-fs-promises',
  setup(build) {
    build.onResolve({ filter: /^node:fs\/promises$/ }, (args) =>
      args.kind === 'require-call' ? { path: args.path, external: true } : { path: 'fs-promises', namespace: 'lazy-fs-promises' },
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-fs-promises' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: ['readFile', 'stat', 'open']
        .map((name) => `export const ${name} = (...args) => require('node:fs/promises').${name}(...args);`)
        .join('\n'),
    }));
    unusedBuiltins.setup(build);
  },
};
// The registry library from its sources, not its dist: the dist puts the
// whole library in one chunk, so reading a port number would also evaluate the
// bundled registry; from sources, esbuild keeps each module apart and the part
// behind `await import('./claim.js')` is only evaluated when a port is in use.
const portsSources = {
  name: 'ports-sources',
  setup(build) {
    const src = join(root, '../ports/src');
    build.onResolve({ filter: /^@dsa110\/ports(\/system)?$/ }, (args) => ({
      path: join(src, args.path.endsWith('/system') ? 'system/index.ts' : 'index.ts'),
    }));
    // As in the registry's own build: yaml and zod only through the lazily required parser.
    build.onResolve({ filter: /\/load-parser\.js$/ }, () => ({ path: 'lazy-parser', namespace: 'lazy-parser' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-parser' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: `let parser;
export function loadParser() {
  return (parser ??= require('@dsa110/ports/parser'));
}`,
    }));
  },
};
// Two bundles: cli.cjs answers --help, --version, usage errors and a free port
// (the start of most services) from ~10 KB of code; it loads run.cjs, the
// claim engine, only when a port is in use, for a service id, or for --test.
const secondHalf = {
  name: 'second-half',
  setup(build) {
    build.onResolve({ filter: /^\.\/run\.cjs$/ }, (args) => ({ path: args.path, external: true }));
  },
};
for (const [entry, outfile] of [
  ['src/cli.ts', 'cli.cjs'],
  ['src/run.ts', 'run.cjs'],
]) {
  await esbuild.build({
    ...common,
    format: 'cjs',
    entryPoints: [entry],
    outfile: join(dist, outfile),
    minify: true,
    plugins: [portsSources, lazyFsPromises, secondHalf],
    // The registry library finds its lazily required parser from import.meta.url.
    define: { ...common.define, 'import.meta.url': '__bundleUrl' },
    banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
}

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
