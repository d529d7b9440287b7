// Build @dsa110/ports: the parser as a lazily required CJS file, the generated
// registry data and JSON Schema, the ESM library entries (with a CommonJS
// door for require()), the `ports` bin, and the .d.ts files. Run with plain
// node: `pnpm build`.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinsByRequire, bundle, esmRequireBanner, finish, registryCacheDefine, requireDoors } from '../../../scripts/build-support.mjs';
import { generate } from './generate.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);
rmSync(dist, { recursive: true, force: true });

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', legalComments: 'none', sourcemap: false, absWorkingDir: root };

// 1. The parser: zod + yaml + schema, required on first use only. The one
//    bundle with third-party code in it (see THIRD-PARTY-NOTICES.md).
//    yaml's require('process') and require('buffer') become the globals, so that
//    a service bundling the library as an ES module (esbuild, see step 3) can
//    run the parser: an ES module bundle has no require() for builtins.
const builtinsAsGlobals = {
  name: 'builtins-as-globals',
  setup(build) {
    build.onResolve({ filter: /^(node:)?(process|buffer)$/ }, (args) => ({ path: args.path.replace(/^node:/, ''), namespace: 'builtin-global' }));
    build.onLoad({ filter: /.*/, namespace: 'builtin-global' }, (args) => ({
      loader: 'js',
      contents: args.path === 'process' ? 'module.exports = process;' : 'module.exports = { Buffer };',
    }));
  },
};
await bundle({ ...common, entryPoints: ['src/parse.ts'], format: 'cjs', outfile: join(dist, 'parse.cjs'), minify: true, plugins: [builtinsAsGlobals] });

// 2. Registry data, service ids and schema.json from the root ports.yaml.
if (!generate({ parser: require(join(dist, 'parse.cjs')), write: true })) process.exit(1);
// The copy installed with the package names the schema beside it (`./schema.json`): the checkout's first line names
// it from the repository's root (`./packages/ports/schema.json`), a path that is no file in node_modules/@dsa110/ports.
const SCHEMA_LINE = /^(\uFEFF?# yaml-language-server: \$schema=)\.\/packages\/ports\/schema\.json$/m;
const checkoutRegistry = readFileSync(join(root, '../../ports.yaml'), 'utf8');
if (!SCHEMA_LINE.test(checkoutRegistry.split('\n', 1)[0])) {
  console.error('ports.yaml: its first line must be "# yaml-language-server: $schema=./packages/ports/schema.json"; restore it');
  process.exit(1);
}
writeFileSync(join(root, 'ports.yaml'), checkoutRegistry.replace(SCHEMA_LINE, '$1./schema.json'));
// The parsed-registry cache's id (scripts/build-support.mjs), from the parser just built.
common.define = registryCacheDefine();

// 3. The library entries, sharing chunks so that classes are one class across
//    subpaths. The parser is required through the package's private import
//    `#parser` (package.json "imports"), never exported. A service that
//    bundles the library (esbuild, either format) has no dist/parse.cjs beside
//    its bundle: for it the loader also holds a plain `require("#parser")`,
//    which that bundler follows (through this package's "imports") and puts
//    into the service's bundle, run on first use there too. esbuild would
//    rewrite that require here, so it is written as BUNDLER_REQUIRE and made
//    `require` in the output (bundlerRequire); unbundled, it is never reached.
//    A dist/parse.cjs that is found but broken (cut short, emptied) is one
//    line naming it and saying to reinstall (src/parser-file.ts), not a
//    registry problem and not advice on bundling.
const BUNDLER_REQUIRE = '__bundlerRequire';
export const lazyParser = {
  name: 'lazy-parser',
  setup(build) {
    build.onResolve({ filter: /\/load-parser\.js$/ }, () => ({ path: 'lazy-parser', namespace: 'lazy-parser' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-parser' }, () => ({
      resolveDir: root,
      contents: `import { requireParserFile } from './src/parser-file.ts';
let parser;
export function loadParser() {
  if (parser) return parser;
  let file;
  try {
    file = __builtinRequire.resolve('#parser');
  } catch (error) {
    try {
      parser = ${BUNDLER_REQUIRE}('#parser');
    } catch {
      throw error;
    }
    return parser;
  }
  parser = requireParserFile(() => __builtinRequire(file), file, 'reinstall @dsa110/ports');
  return parser;
}`,
    }));
  },
};
/** BUNDLER_REQUIRE made `require` in the built files. */
function bundlerRequire(files) {
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (text.includes(BUNDLER_REQUIRE)) writeFileSync(file, text.replaceAll(`${BUNDLER_REQUIRE}(`, 'require('));
  }
}
const entries = { index: 'src/index.ts', 'system/index': 'src/system/index.ts', 'systemd/index': 'src/systemd/index.ts', 'files/index': 'src/files/index.ts' };
await bundle({
  ...common,
  entryPoints: entries,
  outdir: dist,
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  external: ['yaml', 'zod'],
  // Builtins through require(): see builtinsByRequire.
  plugins: [lazyParser, builtinsByRequire],
  banner: esmRequireBanner,
});
requireDoors(dist, Object.keys(entries));

// 4. The `ports` bin: one file, nothing to resolve at start-up but the lazy parser.
await bundle({
  ...common,
  entryPoints: { 'cli/ports': 'src/cli/ports.ts' },
  outdir: dist,
  format: 'esm',
  external: ['yaml', 'zod'],
  plugins: [lazyParser, builtinsByRequire],
  banner: esmRequireBanner,
});

bundlerRequire(
  readdirSync(dist, { recursive: true })
    .filter((file) => file.endsWith('.js'))
    .map((file) => join(dist, file)),
);

// 5. Types and notices. The types use Node's (Buffer, node:fs): each entry's
//    .d.ts says so, so that tsc looks for @types/node from this package too,
//    where npm and pnpm install the peer dependency; a project's own tsc looks
//    only in its top node_modules/@types (pnpm puts the peer in .pnpm/), and
//    not at all under "types": [].
finish(root);
for (const entry of Object.keys(entries)) {
  const file = join(dist, `${entry}.d.ts`);
  writeFileSync(file, `/// <reference types="node" />\n${readFileSync(file, 'utf8')}`);
}
