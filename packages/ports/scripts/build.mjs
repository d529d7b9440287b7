// Build @dsa110/ports: the parser as a lazily required CJS file, the generated
// registry data and JSON Schema, the ESM library entries (with a CommonJS
// door for require()), the `ports` bin, and the .d.ts files. Run with plain
// node: `pnpm build`.
import { copyFileSync, rmSync } from 'node:fs';
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
await bundle({ ...common, entryPoints: ['src/parse.ts'], format: 'cjs', outfile: join(dist, 'parse.cjs'), minify: true });

// 2. Registry data, service ids and schema.json from the root ports.yaml.
if (!generate({ parser: require(join(dist, 'parse.cjs')), write: true })) process.exit(1);
copyFileSync(join(root, '../../ports.yaml'), join(root, 'ports.yaml'));
// The parsed-registry cache's id (scripts/build-support.mjs), from the parser just built.
common.define = registryCacheDefine();

// 3. The library entries, sharing chunks so that classes are one class across
//    subpaths. The parser is required through the package's private import
//    `#parser` (package.json "imports"), never exported.
export const lazyParser = {
  name: 'lazy-parser',
  setup(build) {
    build.onResolve({ filter: /\/load-parser\.js$/ }, () => ({ path: 'lazy-parser', namespace: 'lazy-parser' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-parser' }, () => ({
      resolveDir: root,
      contents: `import { createRequire } from 'node:module';
let parser;
export function loadParser() {
  return (parser ??= createRequire(import.meta.url)('#parser'));
}`,
    }));
  },
};
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

// 5. Types and notices.
finish(root);
