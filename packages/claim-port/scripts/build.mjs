// Build @dsa110/claim-port: the bin as bundled CommonJS, a small first half
// (cli.cjs) and the claim engine (run.cjs), with the registry library and the
// socket reader inlined (zod and yaml only through the registry's lazy parser,
// so the bundled registry never loads them; pidusage and ps-list loaded from
// node_modules only when needed); the library entry; the .d.ts files. Run with
// plain node: `pnpm build`.
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { cjsBin, emitTypes, lazyFsPromises, packageBuild, unusedBuiltins } from '../../../scripts/build-support.mjs';

const { root, dist, common } = packageBuild(import.meta.url, { external: ['pidusage', 'ps-list'] });

// The library entry for services that call claimPort() themselves.
await esbuild.build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: dist, plugins: [unusedBuiltins] });

// The bin: CommonJS, from scripts/build-support.mjs (see there why).
// The registry library from its sources, not its dist: the dist puts the
// whole library in one chunk, so reading a port number would also evaluate the
// bundled registry; from sources, esbuild keeps each module apart and the part
// behind `await import('./claim.js')` is only evaluated when a port is in use.
const portsSources = {
  name: 'ports-sources',
  setup(build) {
    const src = join(root, '../ports/src');
    const entries = { '@dsa110/ports': 'index.ts', '@dsa110/ports/system': 'system/index.ts', '@dsa110/ports/systemd': 'systemd/index.ts', '@dsa110/ports/files': 'files/index.ts', '@dsa110/ports/cli': 'cli-kit/index.ts' };
    build.onResolve({ filter: /^@dsa110\/ports(\/[a-z]+)?$/ }, (args) => (entries[args.path] ? { path: join(src, entries[args.path]) } : undefined));
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
// In the source, src/load-run.ts is `import('./run.js')`; in the bin it becomes
// a require() of the second bundle: an import() from CommonJS would start
// Node's asynchronous ESM loader (several ms), and would also let esbuild put
// the engine into cli.cjs.
const secondHalf = {
  name: 'second-half',
  setup(build) {
    build.onResolve({ filter: /^\.\/run\.cjs$/ }, (args) => ({ path: args.path, external: true }));
    build.onResolve({ filter: /\/load-run\.js$/ }, () => ({ path: 'load-run', namespace: 'second-half' }));
    build.onLoad({ filter: /.*/, namespace: 'second-half' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: "export const loadRun = async () => require('./run.cjs');",
    }));
  },
};
for (const [entry, outfile] of [
  ['src/bin.ts', 'cli.cjs'],
  ['src/run.ts', 'run.cjs'],
]) {
  await esbuild.build({ ...cjsBin(common), entryPoints: [entry], outfile: join(dist, outfile), plugins: [portsSources, lazyFsPromises(root), secondHalf] });
}

emitTypes(root);
