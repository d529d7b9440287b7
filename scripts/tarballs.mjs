#!/usr/bin/env node
// `pnpm tarballs [DIR]`: builds every package and packs one tarball each into
// DIR (default ./tarballs), as `pnpm publish` would pack them: `workspace:*`
// rewritten to the version. Install them with npm, all in one command
// (`npm install -g ./tarballs/*.tgz`; the `./` matters: npm reads tarballs/x.tgz as a GitHub repository): until the packages are published, the
// tools' dependency on @dsa110/ports is found only among the tarballs given.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = ['ports', 'claim-port', 'port-health-check'];
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(repo, 'tarballs'));
// pnpm itself when run as `pnpm tarballs`, else through npx (the only way pnpm is installed here).
const execPath = process.env.npm_execpath;
const pnpm = execPath && /pnpm/.test(execPath) ? [process.execPath, execPath] : ['npx', '-y', 'pnpm@10.34.9'];
function run(args, cwd, env = {}) {
  const r = spawnSync(pnpm[0], [...pnpm.slice(1), ...args], { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`tarballs: \`pnpm ${args.join(' ')}\` failed in ${cwd}`);
    process.exit(r.status ?? 1);
  }
}

mkdirSync(out, { recursive: true });
for (const file of readdirSync(out)) if (/^dsa110-.*\.tgz$/.test(file)) rmSync(join(out, file));
run(['run', 'build'], repo);
// Built once above: each package's prepack (scripts/prepack.mjs) need not build again.
for (const pkg of PACKAGES) run(['pack', '--pack-destination', out], join(repo, 'packages', pkg), { DSA110_PREBUILT: '1' });
process.stdout.write(
  `${readdirSync(out)
    .filter((f) => f.endsWith('.tgz'))
    .map((f) => join(out, f))
    .join('\n')}\n`,
);
