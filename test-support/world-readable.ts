// Files a test runs as another user (`nobody`): copied once per process into a
// world-readable temp dir, because the checkout itself may not be readable by
// that user (a clone inside `mktemp -d`, mode 0700, or under /root).
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll } from 'vitest';

let dir: string | undefined;
const copies = new Map<string, string>();
/**
 * Every directory made here: its copies are reused by the file's tests, and
 * removed after them (vitest ends its worker processes without an exit event).
 * The cache goes with them, so a later file in the same process copies again.
 */
const roots: string[] = [];
afterAll(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  copies.clear();
  dir = undefined;
});

/** A copy of `file` that every user can read (and, with `mode`, run). */
export function worldReadable(file: string, mode = 0o644): string {
  const known = copies.get(file);
  if (known) return known;
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'dsa110-shared-'));
    roots.push(dir);
    chmodSync(dir, 0o755);
  }
  const copy = join(dir, `${copies.size}-${basename(file)}`);
  copyFileSync(file, copy);
  chmodSync(copy, mode);
  copies.set(file, copy);
  return copy;
}

/**
 * A world-readable install of a built package for another user to run:
 * `packageDir`'s package.json, bin/ and dist/, and the named dependencies from
 * its node_modules (dereferenced, each with only what it ships). Returns the
 * copy's directory; run `<copy>/bin/<name>.js`.
 */
export function worldReadablePackage(packageDir: string, dependencies: Record<string, readonly string[]>): string {
  const key = `package:${packageDir}`;
  const known = copies.get(key);
  if (known) return known;
  const root = mkdtempSync(join(tmpdir(), 'dsa110-package-'));
  roots.push(root);
  const target = join(root, basename(packageDir));
  const copy = (from: string, to: string) => cpSync(from, to, { recursive: true, dereference: true });
  for (const part of ['package.json', 'bin', 'dist']) if (existsSync(join(packageDir, part))) copy(join(packageDir, part), join(target, part));
  for (const [name, parts] of Object.entries(dependencies)) {
    const from = realpathSync(join(packageDir, 'node_modules', name));
    for (const part of parts) if (existsSync(join(from, part))) copy(join(from, part), join(target, 'node_modules', name, part));
  }
  execFileSync('chmod', ['-R', 'a+rX', root]);
  copies.set(key, target);
  return target;
}

/** `entry` (TypeScript) bundled into one world-readable ES module, for another user to import with plain node. */
export async function worldReadableBundle(entry: string): Promise<string> {
  const key = `bundle:${entry}`;
  const known = copies.get(key);
  if (known) return known;
  const { build } = await import('esbuild');
  const root = mkdtempSync(join(tmpdir(), 'dsa110-bundle-'));
  roots.push(root);
  const outfile = join(root, `${basename(entry).replace(/\.ts$/, '')}.mjs`);
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'error', external: ['yaml', 'zod'] });
  execFileSync('chmod', ['-R', 'a+rX', root]);
  copies.set(key, outfile);
  return outfile;
}

/**
 * Run `script` (an ES module's text, importing worldReadableBundle's files) as nobody (uid and gid 65534), from /,
 * with PATH alone in its environment: what a tool does for a user who cannot read what root can. Needs root.
 */
export function runModuleAsNobody(script: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: '/',
    uid: 65534,
    gid: 65534,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    encoding: 'utf8',
    timeout: 20_000,
  });
}
