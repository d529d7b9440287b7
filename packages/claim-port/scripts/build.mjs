// Build @dsa110/claim-port: the library entry (ESM, with a CommonJS door),
// which imports @dsa110/ports as a dependency so that its classes are the
// caller's; the bin as bundled CommonJS, a small first half (cli.cjs) and the
// claim engine (run.cjs), with the registry library and the socket reader
// inlined (zod and yaml only through the registry's lazy parser; pidusage and
// ps-list bundled: the bin loads no package's code at run time); the .d.ts files. Run
// with plain node: `pnpm build`.
import { join } from 'node:path';
import {
  bundle,
  cachedBin,
  cachedBundleLoader,
  codeCacheLoader,
  finish,
  lazyBuiltins,
  libraryEntry,
  packageBuild,
  portsInBin,
  prewrap,
} from '../../../scripts/build-support.mjs';

const { root, dist, common } = packageBuild(import.meta.url, { external: ['pidusage', 'ps-list'] });

// The library entry for services that call claimPort() themselves.
await libraryEntry(common, dist);

// The bin: CommonJS, from scripts/build-support.mjs (see there why), with the
// registry library bundled from its sources (the development condition): the
// dist puts the whole library in one chunk, so reading a port number would
// also evaluate the bundled registry; from sources, esbuild keeps each module
// apart and the part behind `await import('./claim.js')` is only evaluated
// when a port is in use.
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
      contents: cachedBundleLoader(root, 'run.cjs', 'loadRun'),
    }));
  },
};
// Each bundle runs with a code cache made on its first use (scripts/build-support.mjs):
// cli.cjs from dist/start.cjs (codeCacheLoader, where the measurement is), run.cjs
// from cli.cjs (cachedBundleLoader).
await bundle({ ...cachedBin(common), entryPoints: ['src/bin.ts'], outfile: join(dist, 'cli.cjs'), plugins: [portsInBin, lazyBuiltins(root), secondHalf] });
// ps-list is an ES module only: a require() of it from this CommonJS bundle fails on Node 20.0-20.18
// (ERR_REQUIRE_ESM) and, where Node can require it, esbuild's import() shim hands over its namespace, not
// its function. So the claim engine bundles it (its code runs only where there is no /proc, the lsof
// fallback). pidusage is bundled too: claim-port runs as root, and a require() of it from
// node_modules ran whatever an ancestor's node_modules held (Node walks up to /node_modules),
// unchecked, at every claim of a held port; bundled, it is part of the bin's own checked files
// (own-files.ts). Both stay dependencies, for the library entry.
await bundle({
  ...cachedBin(common),
  external: common.external.filter((name) => name !== 'ps-list' && name !== 'pidusage'),
  entryPoints: ['src/run.ts'],
  outfile: join(dist, 'run.cjs'),
  plugins: [portsInBin, lazyBuiltins(root), secondHalf],
});
prewrap(dist, 'run.cjs'); // run by cli.cjs's loader only (cachedBundleLoader)
await codeCacheLoader(root, dist, 'cli.cjs', { crcOnly: true }); // where the cache pays: scripts/build-support.mjs

finish(root);
