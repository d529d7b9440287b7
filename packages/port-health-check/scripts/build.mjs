// Build @dsa110/port-health-check: the bin as one bundled CommonJS file (the registry
// library and its socket reader inlined; zod and yaml only through the lazy
// parser, so checking the bundled registry never loads them), the library
// entry, and the .d.ts files. Run with plain node: `pnpm build`.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as fsPromises from 'node:fs/promises';
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
  external: ['@dsa110/ports/parser', 'yaml', 'zod'],
  define: { PACKAGE_VERSION: JSON.stringify(version) },
};

// Node's built-in modules have no side effects worth keeping: an import the
// bundle does not use (child_process, net: the socket reader's lsof fallback
// and port prober) is dropped instead of being loaded at every start.
const unusedBuiltins = {
  name: 'unused-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, external: true, sideEffects: false }));
  },
};

// The library entry, for `import { checkPorts } from '@dsa110/port-health-check'`.
await esbuild.build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: dist, plugins: [unusedBuiltins] });

// The bin: CommonJS, because Node 20 loads an ES module entry through the
// asynchronous ESM loader (fs/promises, the thread pool: several ms) and a
// CommonJS one with plain synchronous reads. fs/promises (used only to read a
// --registry file or write --output) is required on first use, not at start.
const lazyFsPromises = {
  name: 'lazy-fs-promises',
  setup(build) {
    build.onResolve({ filter: /^node:fs\/promises$/ }, (args) =>
      // The stand-in's own require() is the real module.
      args.kind === 'require-call' ? { path: args.path, external: true } : { path: 'fs-promises', namespace: 'lazy-fs-promises', sideEffects: false },
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-fs-promises' }, () => ({
      resolveDir: root,
      loader: 'js',
      // Every function fs/promises has, so that a new import anywhere in the bundle keeps working.
      contents: Object.entries(fsPromises)
        .filter(([, value]) => typeof value === 'function')
        .map(([name]) => `export const ${name} = (...args) => require('node:fs/promises').${name}(...args);`)
        .join('\n'),
    }));
    unusedBuiltins.setup(build);
  },
};
await esbuild.build({
  ...common,
  format: 'cjs',
  entryPoints: ['src/cli.ts'],
  outfile: join(dist, 'cli.cjs'),
  // Smaller text to parse at every start (the bin is not meant to be read; src/ is).
  minify: true,
  plugins: [lazyFsPromises],
  // The registry library finds its lazily required parser from import.meta.url.
  define: { ...common.define, 'import.meta.url': '__bundleUrl' },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
});

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
