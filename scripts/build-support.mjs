// What the packages' build scripts share: the esbuild settings, the plugins
// that keep start-up small, and the .d.ts step. Each package's
// scripts/build.mjs says what it builds; this file says how.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** A package's root and dist (emptied), its version, and the esbuild options every bundle starts from. */
export function packageBuild(buildScriptUrl, { external = [] } = {}) {
  const root = join(dirname(fileURLToPath(buildScriptUrl)), '..');
  const dist = join(root, 'dist');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  rmSync(dist, { recursive: true, force: true });
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    legalComments: 'none',
    sourcemap: false,
    absWorkingDir: root,
    // The registry's parser (yaml, zod) is required lazily, never bundled into a bin.
    external: ['@dsa110/ports/parser', 'yaml', 'zod', ...external],
    define: { PACKAGE_VERSION: JSON.stringify(version) },
  };
  return { root, dist, version, common };
}

/**
 * Node's built-in modules have no side effects worth keeping: an import the
 * bundle does not use (child_process, net: the socket reader's lsof fallback
 * and port prober) is dropped instead of being loaded at every start.
 */
export const unusedBuiltins = {
  name: 'unused-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, external: true, sideEffects: false }));
  },
};

/**
 * For CommonJS bins: fs/promises (only for a --registry file or --output) is
 * required on first use, not at start. Node 20 loads an ES module entry
 * through the asynchronous ESM loader (fs/promises, the thread pool: several
 * ms); a CommonJS one with plain synchronous reads. Includes unusedBuiltins.
 */
export function lazyFsPromises(root) {
  return {
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
}

/** esbuild options that make an ESM-source bundle a minified CommonJS bin. */
export function cjsBin(common) {
  return {
    ...common,
    format: 'cjs',
    // Smaller text to parse at every start (the bin is not meant to be read; src/ is).
    minify: true,
    // The registry library finds its lazily required parser from import.meta.url.
    define: { ...common.define, 'import.meta.url': '__bundleUrl' },
    banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  };
}

/** The package's .d.ts files (tsconfig.build.json); exits the build on a type error. */
export function emitTypes(root) {
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}
