// What the packages' build scripts share: the esbuild settings, the plugins
// that keep start-up small, and the .d.ts step. Each package's
// scripts/build.mjs says what it builds; this file says how.
import * as childProcess from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import * as os from 'node:os';
import * as util from 'node:util';
import * as nodeModule from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { pruneTypes } from './types-reach.mjs';

const require = nodeModule.createRequire(import.meta.url);

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
    // `@dsa110/ports` resolves through its "development" export condition to
    // its sources (no hand-kept alias map); the library entries mark it
    // external, the bins bundle it (see portsInBin).
    conditions: ['development'],
    external: ['yaml', 'zod', ...external],
    define: { PACKAGE_VERSION: JSON.stringify(version), ...registryCacheDefine() },
  };
  return { root, dist, version, common };
}

const portsRoot = join(dirname(fileURLToPath(import.meta.url)), '../packages/ports');

/**
 * REGISTRY_CACHE_ID for every bundle that contains @dsa110/ports's load.ts:
 * the name of the parsed-registry cache entries it may use
 * (packages/ports/src/registry-cache.ts). The version of @dsa110/ports and a
 * hash of its built parser (dist/parse.cjs, built first), so that a changed
 * schema or rule never reads an entry an older parser made, even at an
 * unchanged version. The same bytes give the same id: builds stay reproducible.
 */
export function registryCacheDefine() {
  const parser = join(portsRoot, 'dist/parse.cjs');
  if (!existsSync(parser)) throw new Error(`${parser} is missing: build @dsa110/ports first (pnpm build builds it first)`);
  const { version } = JSON.parse(readFileSync(join(portsRoot, 'package.json'), 'utf8'));
  const hash = createHash('sha256').update(readFileSync(parser)).digest('hex').slice(0, 16);
  return { REGISTRY_CACHE_ID: JSON.stringify(`${version}+${hash}`) };
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
 * For ES module bundles (the library entries, the `ports` bin): each Node
 * builtin through require(), made by createRequire in a banner
 * (esmRequireBanner), instead of an import. Node 20 imports a builtin through
 * a facade that reads each of its exports once, and node:fs's lazy ones
 * (ReadStream, promises) then load the whole streams stack (17 modules). A
 * script that imports @dsa110/ports and loads the bundled registry ran 122.4M
 * instructions this way against 128.0M (callgrind, Node 20; an empty ES
 * module: 92M). node:module itself is imported: it is how require is made.
 * The builtins of LAZY_IN_ESM are required on the first call of one of their
 * functions: importing @dsa110/ports/system (node:net, for tryBind) loaded
 * net and with it the streams, for a function most callers never call.
 */
export const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(build) {
    // import() of a builtin stays one: it is the lazy path, taken when needed.
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.kind !== 'import-statement' || args.path === 'node:module'
        ? { path: args.path, external: true, sideEffects: false }
        : { path: args.path, namespace: 'builtin-require', sideEffects: false },
    );
    // An ES module of the builtin's functions and constants (as this Node has them), read from its
    // require()d object: no wrapper object with a getter for each export. Its lazy getters
    // (node:fs's promises, ReadStream) are left out: importing one fails the build, loud. So is a
    // default import of a LAZY_IN_ESM builtin (an object cannot be lazy).
    build.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => {
      const values = Object.entries(Object.getOwnPropertyDescriptors(require(args.path))).filter(
        ([name, descriptor]) => 'value' in descriptor && name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name),
      );
      const lazy = LAZY_IN_ESM.has(args.path);
      // A class (a capitalised function) is read at once: `new` needs the class itself.
      const onCall = ([name, descriptor]) => lazy && typeof descriptor.value === 'function' && !/^[A-Z]/.test(name);
      return {
        loader: 'js',
        // Pure calls, so that the exports nothing imports are dropped from the bundle.
        contents: [
          `let builtin;`,
          `const load = () => (builtin ??= __builtinRequire(${JSON.stringify(args.path)}));`,
          'const pick = (name) => load()[name];',
          'const onFirstCall = (name) => (...args) => load()[name](...args);',
          ...(lazy ? [] : ['export default load();']),
          ...values.map((entry) => `export const ${entry[0]} = /* @__PURE__ */ ${onCall(entry) ? 'onFirstCall' : 'pick'}(${JSON.stringify(entry[0])});`),
        ].join('\n'),
      };
    });
  },
};

/** Builtins that an ES module bundle requires on the first call of one of their functions (builtinsByRequire). */
const LAZY_IN_ESM = new Set(['node:child_process', 'node:dgram', 'node:fs/promises', 'node:net', 'node:os']);

/**
 * The banner builtinsByRequire needs: a require for builtins in each ES module
 * file of the bundle. Not named `require`: a service that bundles the library
 * again (esbuild) then sees the lazy parser's `require("#parser")` as one it
 * can follow (packages/ports/scripts/build.mjs). In such a bundle made as
 * CommonJS, import.meta is empty: the bundle's own file serves (only builtins
 * are required through it).
 */
export const esmRequireBanner = {
  js: 'import { createRequire as __createBuiltinRequire } from "node:module";\nconst __builtinRequire = __createBuiltinRequire(import.meta.url || __filename);',
};

/**
 * Builtins that Node's bootstrap has not loaded and that a bin's usual run
 * does not need, each required on first use instead of at start:
 * - fs/promises: only for a --registry file or --output. Node 20 loads an ES
 *   module entry through the asynchronous ESM loader (fs/promises, the
 *   thread pool: several ms); a CommonJS one with plain synchronous reads.
 * - os: only the report's host name and, on machines with many processes,
 *   the core count. Loading it cost the health check about 1M instructions
 *   (callgrind, Node 20) of its 60M above `node -e 0`.
 * - module: only to require child_process for systemctl or nft. Loading it
 *   (with the ES module loader it brings) cost about 0.8M instructions.
 * - child_process: only to run perl, systemctl, nft or lsof. claim-port's
 *   engine imported it at the top (for the explanation of a failed bind), and
 *   loading it (with net, stream and the rest it requires) cost about 8 ms of
 *   each claim of a held port (CPU profiles, 10 runs, a 2-core EPYC host).
 * - util: loaded by Node's bootstrap already; here for its stand-ins below.
 */
const LAZY_BUILTINS = { 'node:child_process': childProcess, 'node:fs/promises': fsPromises, 'node:module': nodeModule, 'node:os': os, 'node:util': util };

/**
 * Functions of a LAZY_BUILTINS module that the bundle answers itself in the
 * common case, calling the real one for the rest; each stand-in's file says
 * what it saves, measured:
 * - util.parseArgs: a command line of operands and long options (parse-args-stand-in.mjs).
 * `values`: members that are no functions, read from the real module when the bundle starts.
 */
const STAND_INS = {
  'node:util': {
    imports: `import { parseArgsStandIn } from ${JSON.stringify(join(dirname(fileURLToPath(import.meta.url)), 'parse-args-stand-in.mjs'))};`,
    functions: { parseArgs: '(config) => parseArgsStandIn(config) ?? require("node:util").parseArgs(config)' },
    // Not a function, so no stand-in: Node's bootstrap has loaded util (and its types) already, so this require at the
    // bundle's top level finds it in the builtin cache (arguments.ts: types.isProxy for an env given as a Proxy).
    values: { types: 'require("node:util").types' },
  },
};

/** For CommonJS bins: the LAZY_BUILTINS as stand-ins that require the real module on first call. Includes unusedBuiltins. */
export function lazyBuiltins(root) {
  return {
    name: 'lazy-builtins',
    setup(build) {
      const filter = new RegExp(`^(${Object.keys(LAZY_BUILTINS).join('|')})$`);
      build.onResolve({ filter }, (args) =>
        // The stand-in's own require() is the real module.
        args.kind === 'require-call' ? { path: args.path, external: true } : { path: args.path, namespace: 'lazy-builtins', sideEffects: false },
      );
      build.onLoad({ filter: /.*/, namespace: 'lazy-builtins' }, (args) => ({
        resolveDir: root,
        loader: 'js',
        // Every function the module has, so that a new import anywhere in the bundle keeps working (a constant does not build).
        contents: [
          STAND_INS[args.path]?.imports ?? '',
          ...Object.entries(LAZY_BUILTINS[args.path])
            .filter(([name, value]) => typeof value === 'function' && name !== 'default')
            .map(
              ([name]) =>
                `export const ${name} = ${STAND_INS[args.path]?.functions[name] ?? `(...args) => require(${JSON.stringify(args.path)}).${name}(...args)`};`,
            ),
          ...Object.entries(STAND_INS[args.path]?.values ?? {}).map(([name, value]) => `export const ${name} = ${value};`),
          // A default import (a package's `import childProcess from 'node:child_process'`): each member read from the real module when read.
          `export default { ${Object.keys(LAZY_BUILTINS[args.path])
            .filter((name) => name !== 'default')
            .map((name) => `get ${name}() { return require(${JSON.stringify(args.path)}).${name}; }`)
            .join(', ')} };`,
        ].join('\n'),
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
    // The registry library finds its lazily required parser from import.meta.url,
    // and only a few paths read it: a getter, because pathToFileURL at every
    // start cost the health check about 0.7 ms (CPU profile, Node 20).
    define: { ...common.define, 'import.meta.url': '__bundle.url' },
    banner: { js: 'const __bundle = { get url() { return require("node:url").pathToFileURL(__filename).href; } };' },
  };
}

/**
 * cjsBin for a bundle run with a code cache (codeCacheLoader): import() becomes
 * require() (the same module; a vm.Script from a code cache cannot import() on
 * Node 20), which also spares a start that loads a builtin Node's ESM loader.
 */
export function cachedBin(common) {
  return { ...cjsBin(common), supported: { 'dynamic-import': false } };
}

/** The package's .d.ts files (tsconfig.build.json); exits the build on a type error. */
export function emitTypes(root) {
  const tsc = childProcess.spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

/**
 * The published entries of @dsa110/ports ('@dsa110/ports', '@dsa110/ports/system', ...),
 * read from its publishConfig.exports: what a library entry of another package
 * imports as a dependency (never bundles), so that its classes are the caller's.
 * Anything else of it (the internal CLI kit) is bundled.
 */
export const portsLibrary = Object.entries(
  JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../packages/ports/package.json'), 'utf8')).publishConfig.exports,
)
  .filter(([, target]) => typeof target === 'object' && target.import)
  .map(([subpath]) => `@dsa110/ports${subpath.slice(1)}`);

/**
 * The CommonJS door of each ES module entry: `require('@dsa110/ports')`
 * loads the very same ES module (Node 20.19+ and 22.12+ load ES modules with
 * require()), so import and require share one copy of every class: no dual
 * package hazard. `NAME.cjs` and `NAME.d.cts` next to each `NAME.js`.
 */
export function requireDoors(dist, names) {
  for (const name of names) {
    const base = name.slice(name.lastIndexOf('/') + 1);
    writeFileSync(
      join(dist, `${name}.cjs`),
      `'use strict';
// require() of this package is its ES module, loaded by Node's require(esm).
try {
  module.exports = require('./${base}.js');
} catch (error) {
  if (error && error.code === 'ERR_REQUIRE_ESM') {
    // A Node that can require() an ES module may have it turned off (--no-experimental-require-module): say that, not "too old".
    const [major, minor] = process.versions.node.split('.').map(Number);
    const able = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
    throw new Error(
      able
        ? 'require() of this package needs Node to load ES modules with require(), which is turned off here (--no-experimental-require-module, in the command or NODE_OPTIONS); use import, or drop that flag'
        : 'require() of this package needs Node 20.19 or later (22.12 or later on Node 22); use import, or a newer Node',
      { cause: error },
    );
  }
  throw error;
}
`,
    );
    writeFileSync(join(dist, `${name}.d.cts`), `export * from './${base}.js';\n`);
  }
}

/**
 * A bin package's library entry, src/index.ts -> dist/index.js with its
 * CommonJS door: ESM that imports @dsa110/ports as a dependency (never
 * bundles it), so that the classes a caller gets are the caller's own.
 */
export async function libraryEntry(common, dist) {
  await bundle({
    ...common,
    entryPoints: { index: 'src/index.ts' },
    outdir: dist,
    external: [...common.external, ...portsLibrary],
    plugins: [builtinsByRequire],
    banner: esmRequireBanner,
  });
  requireDoors(dist, ['index']);
}

/**
 * The last steps of every package's build: the .d.ts files (only those the
 * published type entries reach: tsc also emits the CLI's and other internal
 * modules', which no consumer can import), then THIRD-PARTY-NOTICES.md.
 */
export function finish(root) {
  emitTypes(root);
  pruneTypes(root);
  writeThirdPartyNotices(root);
}

/**
 * For bins: `@dsa110/ports` bundled from its sources (the development
 * condition), so a bin resolves nothing at start-up. The registry's parser
 * (yaml and zod, ~300 KB) stays out of the bundle: it is required on first use
 * from the @dsa110/ports this package depends on, found through that
 * package's exported package.json, and only when that package is the exact
 * version the bin was built with (its sources expect that dist/parse.cjs).
 * A missing or other @dsa110/ports is one line naming it, where the bin looked
 * and what to install (packages/ports/src/cli-kit/installed-parser.ts); the
 * bundled registry never gets here, so a start reads no package.json.
 */
export const portsInBin = {
  name: 'ports-in-bin',
  setup(build) {
    const root = build.initialOptions.absWorkingDir;
    const tool = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const ports = JSON.parse(readFileSync(join(portsRoot, 'package.json'), 'utf8'));
    const made = { tool: tool.name, toolVersion: tool.version, portsVersion: ports.version };
    build.onResolve({ filter: /^@dsa110\/ports\/package\.json$/ }, (args) => ({ path: args.path, external: true }));
    build.onResolve({ filter: /\/load-parser\.js$/ }, () => ({ path: 'lazy-parser', namespace: 'ports-in-bin' }));
    build.onLoad({ filter: /.*/, namespace: 'ports-in-bin' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: `import { requireInstalledParser } from ${JSON.stringify(INSTALLED_PARSER)};
let parser;
export function loadParser() {
  return (parser ??= requireInstalledParser(require, __dirname, ${JSON.stringify(made)}));
}`,
    }));
  },
};

const INSTALLED_PARSER = join(portsRoot, 'src/cli-kit/installed-parser.ts');

const metafiles = [];

/** esbuild.build, recording what went into the bundle for writeThirdPartyNotices. */
export async function bundle(options) {
  const result = await esbuild.build({ ...options, metafile: true });
  metafiles.push(result.metafile);
  return result;
}

/**
 * THIRD-PARTY-NOTICES.md of a package: the license of every npm package whose
 * code esbuild put into one of its bundles (read from the builds' metafiles),
 * with its name, version and LICENSE text. Written at every build, so the
 * notice follows what is bundled; a package that bundles nothing says so.
 */
export function writeThirdPartyNotices(root) {
  const packages = new Map();
  for (const metafile of metafiles) {
    for (const input of Object.keys(metafile.inputs)) {
      const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (!match) continue;
      const dir = join(root, match[1]);
      if (packages.has(dir)) continue;
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const licenseFile = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE'].map((name) => join(dir, name)).find((file) => existsSync(file));
      if (!licenseFile) throw new Error(`${pkg.name}@${pkg.version} is bundled but has no LICENSE file to copy into THIRD-PARTY-NOTICES.md`);
      packages.set(dir, { name: pkg.name, version: pkg.version, license: pkg.license, text: readFileSync(licenseFile, 'utf8').trim() });
    }
  }
  const { name } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const sorted = [...packages.values()].sort((a, b) => a.name.localeCompare(b.name));
  const lines = ['# Third-party notices', '', '<!-- Generated by the build (scripts/build-support.mjs) from what it bundles. -->', ''];
  if (sorted.length === 0) lines.push(`${name} bundles no third-party code: its dependencies are installed as npm packages, each with its own license.`, '');
  else {
    lines.push(`${name} bundles code of the following packages (in \`dist/\`), under their own licenses:`, '');
    for (const p of sorted) lines.push(`- [${p.name}](https://www.npmjs.com/package/${p.name}) ${p.version} (${p.license})`);
    for (const p of sorted) lines.push('', `## ${p.name} ${p.version}`, '', '```text', p.text, '```');
    lines.push('');
  }
  writeFileSync(join(root, 'THIRD-PARTY-NOTICES.md'), lines.join('\n'));
}

const CODE_CACHE_LOADER = join(dirname(fileURLToPath(import.meta.url)), '../packages/ports/src/cli-kit/code-cache.ts');

/**
 * The code cache's name (CodeCacheName in code-cache.ts) for bundle `file` of the package at `root`: package,
 * version, bundle (code-cache.ts adds Node's version and architecture, and prunes the bundle's entries of other versions).
 */
function codeCacheName(root, file, { crcOnly = false } = {}) {
  const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return { bin: name.replace(/^@[^/]+\//, ''), version, bundle: file.replace(/\.cjs$/, ''), ...(crcOnly && { crcOnly }) };
}

/**
 * The module source of a lazy loader for a bin's second bundle `file` (beside
 * the first): `export const NAME = async () => exports`, run with a code cache
 * made on first use, as dist/start.cjs runs a whole bin (the bundle must be
 * built with cachedBin()). For claim-port's run.cjs (73 KB, loaded whenever a
 * port is in use) the cache took loading it from 94M to 85M instructions
 * (callgrind, Node 20; `node -e 0` = 78M), before the functions a claim
 * compiles on the way.
 */
export function cachedBundleLoader(root, file, name) {
  return `import { runWithCodeCache } from ${JSON.stringify(CODE_CACHE_LOADER)};
export const ${name} = async () => runWithCodeCache(__dirname + ${JSON.stringify(`/${file}`)}, ${JSON.stringify(codeCacheName(root, file))}, { exports: {} }, require);
`;
}

/**
 * Writes dist/<file>, a bundle run by the code cache's loader, inside
 * CommonJS's module wrapper (the text of wrapCommonJs in code-cache.ts, which
 * compiledText then finds there; the bins' cache tests check that it does).
 * Wrapped at run time, the text was a second string that V8 copied flat before
 * compiling it: as many pages first touched as the bundle is long. With the
 * entry read over the bundle's bytes (code-cache.ts), the health check touched
 * 131 pages fewer and took 119.3 against 122.7 ms (50 interleaved runs,
 * `node -e 0` 75.9 ms, a 2-core EPYC VM where a page first touched costs
 * 14.7 µs). The file is then no module to require(): only the loader runs it.
 */
export function prewrap(dist, file) {
  const path = join(dist, file);
  writeFileSync(path, `(function (exports, require, module, __filename, __dirname) {${readFileSync(path, 'utf8')}\n})`);
}

/**
 * dist/start.cjs, the bin's entry: runs dist/<file> with a V8 code cache
 * made on the first run into the user's cache directory (the loader is
 * packages/ports/src/cli-kit/code-cache.ts; nothing is cached at build time,
 * so builds stay byte-identical). Measured with callgrind on Node 20, side by
 * side (instructions; `node -e 0` = 78M): the health check over the bundled
 * registry 176M without the cache, 151M with it (loading `vm`, checking the
 * directory and reading the cache included). claim-port's first bundle (65
 * KB: a free port, --help, usage errors) runs this way too since the cache's
 * checksum is zlib's CRC-32: a free-port dry run took 35.3 against 37.5 ms
 * required plainly (60 interleaved runs, `node -e 0` 31.8 ms, CPU 34.6
 * against 36.8 ms; 2026-12-03), where with the WebAssembly checksum the cache
 * had saved nothing (103.9 against 103.6 ms, `node -e 0` 89.2 ms): so
 * `crcOnly`, where Node before 20.15 (no CRC) compiles it as usual.
 */
export async function codeCacheLoader(root, dist, file, { crcOnly = false } = {}) {
  if (/\bimport\(/.test(readFileSync(join(dist, file), 'utf8'))) {
    throw new Error(`${file} calls import(): a bundle run from a code cache cannot (build it with cachedBin(), see code-cache.ts)`);
  }
  prewrap(dist, file);
  await bundle({
    stdin: {
      contents: `import { runWithCodeCache } from ${JSON.stringify(CODE_CACHE_LOADER)};\nrunWithCodeCache(__dirname + ${JSON.stringify(`/${file}`)}, ${JSON.stringify(codeCacheName(root, file, { crcOnly }))}, module, require);\n`,
      resolveDir: root,
      loader: 'js',
      sourcefile: 'start.js',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    outfile: join(dist, 'start.cjs'),
    // node:module (the checksum's fallback way to zlib) only when called: loading it loads Node's ES module
    // loader and source maps, 4.9M instructions (callgrind, --hash-seed=1, Node 20.20) at every start.
    plugins: [lazyBuiltins(root)],
  });
}
