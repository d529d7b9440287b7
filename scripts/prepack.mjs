#!/usr/bin/env node
// Every package's `prepack`: nothing is packed unbuilt, and nothing is packed
// by a tool that would ship a broken package.
//
// - Only pnpm may pack (`pnpm pack`, `pnpm publish`, `changeset publish`): it
//   rewrites `workspace:*` to the version and applies publishConfig.exports
//   (the exports without the "development" condition, which points at
//   src/*.ts, not shipped). `npm pack` does neither: its tarball would fail to
//   install (EUNSUPPORTEDPROTOCOL) or resolve to missing sources, so it is
//   refused here, with what to run instead.
// - Then the package and the workspace packages it depends on are built,
//   unless DSA110_PREBUILT=1 says the caller (`pnpm tarballs`, `pnpm release`)
//   has just built everything.
// - A workspace package others depend on (@dsa110/ports) is built at most once
//   for them all: `pnpm -r pack` runs every package's prepack at once, and each
//   rebuilt ports into the same dist (its build starts by removing it), while
//   another packed it or built against it. Its build is under a lock, and
//   skipped when its dist is the one the last such build made from the same
//   inputs (a stamp in node_modules/.cache: the inputs' hash and the dist's
//   files, so an edit, or a build by hand or one cut short, builds it again).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const agent = process.env.npm_config_user_agent ?? '';
if (!agent.startsWith('pnpm/')) {
  const tool = agent.split(' ')[0] || 'this tool';
  console.error(
    `${pkg.name}: refusing to pack with ${tool}: it would ship \`workspace:*\` dependencies and a "development" export condition that npm cannot install. ` +
      'Pack with pnpm, which rewrites both: `npx -y pnpm@10.34.9 pack` here, or `npx -y pnpm@10.34.9 tarballs` at the repository root for every package.',
  );
  process.exit(1);
}
if (process.env.DSA110_PREBUILT === '1') process.exit(0);

const execPath = process.env.npm_execpath;
const pnpm = execPath ? [process.execPath, execPath] : ['npx', '-y', 'pnpm@10.34.9'];
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(repo, 'node_modules/.cache/dsa110-prepack');

/** The workspace packages by name: their directory and package.json. */
const workspace = new Map(
  readdirSync(join(repo, 'packages'))
    .filter((name) => existsSync(join(repo, 'packages', name, 'package.json')))
    .map((name) => {
      const dir = join(repo, 'packages', name);
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return [json.name, { dir, json }];
    }),
);

/** The workspace packages `json` depends on (`workspace:` versions). */
function workspaceDependencies(json) {
  const all = { ...json.dependencies, ...json.devDependencies, ...json.peerDependencies, ...json.optionalDependencies };
  return Object.entries(all)
    .filter(([name, range]) => typeof range === 'string' && range.startsWith('workspace:') && workspace.has(name))
    .map(([name]) => name);
}

/** `name` and the workspace packages it depends on, each after those it depends on. */
function buildOrder(name, order = []) {
  if (order.includes(name)) return order;
  for (const dependency of workspaceDependencies(workspace.get(name).json)) buildOrder(dependency, order);
  order.push(name);
  return order;
}

/** Every file under `path` (a file or a directory), sorted, skipping node_modules and dist. */
function filesUnder(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.name !== 'node_modules' && entry.name !== 'dist')
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => filesUnder(join(path, entry.name)));
}

/** A hash of what the build of `name` reads: its sources and scripts, the shared build scripts, the registry, the lockfile, Node's version. */
function inputsHash(name) {
  const { dir } = workspace.get(name);
  const hash = createHash('sha256').update(`${process.version}\0`);
  const inputs = [
    ...['src', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].flatMap((part) => filesUnder(join(dir, part))),
    ...['scripts', 'ports.yaml', 'tsconfig.base.json', 'pnpm-lock.yaml', 'package.json'].flatMap((part) => filesUnder(join(repo, part))),
  ];
  for (const file of inputs)
    hash
      .update(`${relative(repo, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  for (const dependency of workspaceDependencies(workspace.get(name).json)) hash.update(inputsHash(dependency));
  return hash.digest('hex');
}

/** What the dist of `name` holds: each file's path, size and modification time (a rebuild, or one cut short, changes it). */
function distState(name) {
  const dist = join(workspace.get(name).dir, 'dist');
  const hash = createHash('sha256');
  for (const file of filesUnder(dist)) {
    const { size, mtimeMs } = statSync(file);
    hash.update(`${relative(dist, file)}\0${size}\0${mtimeMs}\0`);
  }
  return hash.digest('hex');
}

function stampFile(name) {
  return join(cache, `${name.replace(/[^\w.-]/g, '_')}.stamp`);
}

/** Whether the dist of `name` is the one its last build here made, from the inputs it has now. */
function isCurrent(name) {
  const stamp = stampFile(name);
  if (!existsSync(stamp) || !existsSync(join(workspace.get(name).dir, 'dist'))) return false;
  return readFileSync(stamp, 'utf8') === `${inputsHash(name)}\n${distState(name)}\n`;
}

/** Run `pnpm --filter NAME run build`: its exit status. */
function build(name) {
  return spawnSync(pnpm[0], [...pnpm.slice(1), '--filter', name, 'run', 'build'], { stdio: 'inherit' }).status ?? 1;
}

/**
 * Remove lock `dir` of `holder`, a process that is gone: under a second lock (`dir.reap`), and only when `dir` still
 * names that holder. Two waiters that both saw it gone removed it in turn, the second the lock the first had just
 * taken, and both built at once. A `.reap` left by a waiter killed in those few microseconds is removed after 10 s.
 */
function removeStale(dir, holder) {
  const reap = `${dir}.reap`;
  try {
    mkdirSync(reap);
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    if (Date.now() - (statSync(reap, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 10_000) rmSync(reap, { recursive: true, force: true });
    return;
  }
  try {
    let now;
    try {
      now = Number.parseInt(readFileSync(join(dir, 'pid'), 'utf8'), 10);
    } catch {}
    if (now === holder && !existsSync(`/proc/${holder}`)) rmSync(dir, { recursive: true, force: true });
  } finally {
    rmSync(reap, { recursive: true, force: true });
  }
}

/** Until this process holds the build lock of `name` (a directory made atomically; one whose maker has exited is taken over). */
async function lock(name) {
  mkdirSync(cache, { recursive: true });
  const dir = `${stampFile(name)}.lock`;
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), `${process.pid}\n`);
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let holder;
    try {
      holder = Number.parseInt(readFileSync(join(dir, 'pid'), 'utf8'), 10);
    } catch {}
    // A lock left by a prepack that was killed: its process is gone (Linux, as everything here).
    if (Number.isInteger(holder) && !existsSync(`/proc/${holder}`)) removeStale(dir, holder);
    else if (waited > 15 * 60_000) {
      console.error(
        `${pkg.name}: waited 15 minutes for the build of ${name} by PID ${holder ?? '?'} (${dir}); remove that directory (and ${dir}.reap) if no build runs`,
      );
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Build `name`, a package others depend on, unless its dist is current; one such build at a time. Its exit status. */
async function buildShared(name) {
  const unlock = await lock(name);
  try {
    if (isCurrent(name)) {
      console.log(`${pkg.name}: ${name} is already built from these sources; not building it again`);
      return 0;
    }
    rmSync(stampFile(name), { force: true });
    const status = build(name);
    if (status === 0) writeFileSync(stampFile(name), `${inputsHash(name)}\n${distState(name)}\n`);
    return status;
  } finally {
    unlock();
  }
}

const shared = new Set([...workspace.values()].flatMap(({ json }) => workspaceDependencies(json)));
for (const name of buildOrder(pkg.name)) {
  const status = shared.has(name) ? await buildShared(name) : build(name);
  if (status !== 0) process.exit(status);
}
