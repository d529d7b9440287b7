#!/usr/bin/env node
// `pnpm tarballs [DIR]`: builds every package and packs one tarball each into
// DIR (default ./tarballs; `--help` says so, and any other option is refused
// before anything is built), as `pnpm publish` would pack them: `workspace:*`
// rewritten to the version. Install them with npm, all in one command
// (`npm install -g --prefix /usr/local ./tarballs/*.tgz`; the `./` matters: npm reads tarballs/x.tgz as a GitHub repository): until the packages are published, the
// tools' dependency on @dsa110/ports is found only among the tarballs given.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = ['ports', 'claim-port', 'port-health-check'];
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: node scripts/tarballs.mjs [DIR] (or pnpm tarballs [DIR])';
const HELP = `${USAGE}

Builds every package (${PACKAGES.join(', ')}) and packs one tarball each into DIR,
as pnpm publish would pack them (workspace:* rewritten to the version), then
prints their paths. DIR defaults to ./tarballs at the root of the checkout and
is made if missing; the dsa110-*.tgz already in it are removed first.
Install them all in one command, as root, into /usr/local (where the systemd
units that \`ports systemd\` writes run /usr/local/bin/claim-port; npm's own
global prefix may be /usr):
  npm install -g --prefix /usr/local ./tarballs/*.tgz
Keep the ./ : npm reads tarballs/x.tgz as a GitHub repository.

  -h, --help  show this help
  --          end of options: a DIR that starts with "-" follows it
`;

/** The DIR argument, or exit: `--help` prints the help (exit 0); any other option, or a second DIR, is a usage error (64), before anything is built or made. */
function outputDir(args) {
  const operands = [];
  for (const [index, arg] of args.entries()) {
    if (arg === '--') {
      operands.push(...args.slice(index + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    }
    if (arg.startsWith('-')) usageError(`unknown option ${JSON.stringify(arg)}; it takes only --help and DIR (give a DIR that starts with "-" after --)`);
    operands.push(arg);
  }
  if (operands.length > 1) usageError(`one DIR only, not ${operands.length} (${operands.map((operand) => JSON.stringify(operand)).join(' ')})`);
  if (operands[0] === '') usageError('DIR is empty; give a directory, or leave it out for ./tarballs');
  return resolve(operands[0] ?? join(repo, 'tarballs'));
}

function usageError(what) {
  process.stderr.write(`tarballs: ${what}; ${USAGE}\n`);
  process.exit(64); // EX_USAGE
}

const out = outputDir(process.argv.slice(2));
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
