// Build @dsa110/port-health-check: the library entry (ESM, with a CommonJS
// door), which imports @dsa110/ports as a dependency so that its classes are
// the caller's; the bin as one bundled CommonJS file (the registry library and
// its socket reader inlined from their sources; zod and yaml only through the
// lazy parser, so checking the bundled registry never loads them); the .d.ts
// files. Run with plain node: `pnpm build`.
//
// No V8 code cache is shipped: a cache made on the build machine is valid for
// one Node version only and makes two builds differ. Nor does the bin turn on
// Node's compile cache: its default directory is under /tmp, and a tool run
// as root must not load code from a directory others can write. The bin's
// entry, dist/start.cjs, makes its own cache on the first run, in a directory
// of the running user's that nobody else can write (codeCacheLoader in
// scripts/build-support.mjs; packages/ports/src/cli-kit/code-cache.ts).
import { join } from 'node:path';
import { bundle, cachedBin, codeCacheLoader, finish, lazyBuiltins, libraryEntry, packageBuild, portsInBin } from '../../../scripts/build-support.mjs';

const { root, dist, common } = packageBuild(import.meta.url);

// The library entry, for `import { checkPorts } from '@dsa110/port-health-check'`.
await libraryEntry(common, dist);

// The bin: CommonJS, from scripts/build-support.mjs (see there why).
await bundle({ ...cachedBin(common), entryPoints: ['src/bin.ts'], outfile: join(dist, 'cli.cjs'), plugins: [portsInBin, lazyBuiltins(root)] });

// The bin's entry (bin/port-health-check.js requires dist/start.cjs): the
// bundle with a code cache made on first run (see scripts/build-support.mjs).
await codeCacheLoader(root, dist, 'cli.cjs');

finish(root);
