// Where the cache lives (src/cache.ts's cacheDir), from what environment: the
// variables as process.env holds them (own strings only), a caller's wrong
// type said by loadRegistry, and no cache at all in a process whose real and
// effective ids differ (a setuid-style wrapper), proved on a real child as root.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_ENV, cacheDir, ROOT_CACHE_DIR } from '../src/cache.js';
import { loadRegistry } from '../src/index.js';
import { tempDir } from '../../../test-support/tree.js';
import { worldReadableBundle } from '../../../test-support/index.js';
import { leasePort } from '../../../test-support/test-port.js';
import { minimalRegistry, repoRoot, writeRegistry } from './helpers.js';

type Env = Record<string, string | undefined>;
const untyped = (env: Record<string, unknown>) => env as Env;

describe('cacheDir reads its variables as process.env has them', () => {
  it('a variable that is not a string is not set, never a crash ("chosen.startsWith is not a function")', () => {
    for (const value of [5, null, true, {}, ['/srv/cache']]) {
      expect(cacheDir(untyped({ [CACHE_ENV]: value }), 0), String(value)).toBe(ROOT_CACHE_DIR);
      expect(cacheDir(untyped({ [CACHE_ENV]: value, HOME: '/home/a' }), 1000), String(value)).toBe('/home/a/.cache/dsa110-ports');
      expect(cacheDir(untyped({ XDG_CACHE_HOME: value, HOME: '/home/a' }), 1000), String(value)).toBe('/home/a/.cache/dsa110-ports');
      expect(cacheDir(untyped({ HOME: value }), 1000), String(value)).toBeUndefined();
    }
  });

  it('a variable inherited through a prototype is not set, in the env given or on Object.prototype', () => {
    const inherited = Object.create({ [CACHE_ENV]: '/tmp/planted', XDG_CACHE_HOME: '/tmp/xdg', HOME: '/tmp/home' }) as Env;
    expect(cacheDir(inherited, 0)).toBe(ROOT_CACHE_DIR);
    expect(cacheDir(inherited, 1000)).toBeUndefined();
    const polluted = Object.prototype as Record<string, unknown>;
    try {
      polluted.HOME = '/tmp/home';
      polluted[CACHE_ENV] = '/tmp/planted';
      expect(cacheDir({}, 0)).toBe(ROOT_CACHE_DIR);
      expect(cacheDir({}, 1000)).toBeUndefined();
    } finally {
      delete polluted.HOME;
      delete polluted[CACHE_ENV];
    }
  });

  it('a value that is not UTF-8 (Node read U+FFFD for its bytes) is no cache: it names another directory than the one given', () => {
    expect(cacheDir({ [CACHE_ENV]: '/srv/c\uFFFD' }, 0)).toBeUndefined();
    expect(cacheDir({ XDG_CACHE_HOME: '/srv/x\uFFFD', HOME: '/home/a' }, 1000)).toBeUndefined();
    expect(cacheDir({ HOME: '/home/\uFFFD' }, 1000)).toBeUndefined();
    expect(cacheDir({ [CACHE_ENV]: '/srv/caf\u00e9' }, 0)).toBe('/srv/caf\u00e9');
  });

  it('a bin given DSA110_PORTS_CACHE=/DIR/c\\xff makes no directory of another name (it made c\\xEF\\xBF\\xBD), and runs without a cache', () => {
    const dir = tempDir();
    // A free port's dry run writes the code cache: the shell puts the byte 0xff in the variable, as Node cannot.
    const run = spawnSync(
      'sh',
      [
        '-c',
        `${CACHE_ENV}="$(printf '%s/c\\377' "$1")" exec "$2" "$3" "$4" --dry-run`,
        'sh',
        dir,
        process.execPath,
        join(repoRoot, 'packages/claim-port/bin/claim-port.js'),
        String(leasePort()),
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    // The same run given the directory's UTF-8 name makes it: the test can see a cache being made.
    const made = spawnSync(process.execPath, [join(repoRoot, 'packages/claim-port/bin/claim-port.js'), String(leasePort()), '--dry-run'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', [CACHE_ENV]: `${dir}/c` },
    });
    expect(made.status, made.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(['c']);
  });

  it("loadRegistry: a cache variable of a caller's env that is not a string is a TypeError naming it, as DSA110_PORTS_FILE's is", async () => {
    const path = writeRegistry(minimalRegistry);
    for (const name of [CACHE_ENV, 'XDG_CACHE_HOME', 'HOME']) {
      await expect(loadRegistry({ path, env: untyped({ [name]: 5 }) })).rejects.toThrow(
        new TypeError(`loadRegistry: options.env.${name} must be a string (environment variables are text) or undefined, not number 5`),
      );
      await expect(loadRegistry({ env: untyped({ [name]: null }) })).rejects.toThrow(
        new RegExp(`^loadRegistry: options\\.env\\.${name} must be a string .*not null$`),
      );
    }
    // Strings and unset variables are fine.
    expect((await loadRegistry({ path, env: { [CACHE_ENV]: 'off', XDG_CACHE_HOME: undefined, HOME: '/home/a' } })).ids).toEqual(['redis', 'api']);
  });
});

/**
 * What a child `node` run through `setpriv ARGS` says: its ids, its cacheDir, and whether it read
 * `dir/entry` from the cache. It runs cache.ts bundled into a world-readable file: a real uid of
 * another user cannot look into a checkout in a 0700 directory (access(2) asks as the real uid),
 * and tsx then took the source for CommonJS.
 */
function child(setpriv: readonly string[], env: Env, dir: string, bundle: string): { ids: number[]; cacheDir: string | null; entry: string | null } {
  const script = `
    const { cacheDir, readCacheFile } = await import(${JSON.stringify(bundle)});
    const ids = [process.getuid(), process.geteuid(), process.getgid(), process.getegid()];
    console.log(JSON.stringify({ ids, cacheDir: cacheDir(process.env) ?? null, entry: readCacheFile(${JSON.stringify(dir)}, 'entry')?.toString() ?? null }));`;
  const node = [process.execPath, '--input-type=module', '-e', script];
  const run = spawnSync('setpriv', [...setpriv, ...node], { cwd: '/', env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`setpriv ${setpriv.join(' ')}: ${run.stderr}`);
  return JSON.parse(run.stdout) as { ids: number[]; cacheDir: string | null; entry: string | null };
}

const asRoot = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

describe('a process whose real and effective ids differ (a setuid-style wrapper)', () => {
  it.skipIf(!asRoot)(
    "uses no cache: not the invoking user's directory from their environment, nor their files (as root, through setpriv)",
    async () => {
      const bundle = await worldReadableBundle(join(repoRoot, 'packages/ports/src/cache.ts'));
      // The invoking user's cache, as they would plant it: their directory, 0700, an entry 0600, all theirs.
      const base = tempDir('cache-setuid-');
      const theirs = join(base, 'cache');
      mkdirSync(theirs, { mode: 0o700 });
      writeFileSync(join(theirs, 'entry'), 'planted', { mode: 0o600 });
      chownSync(theirs, 65534, 65534);
      chownSync(join(theirs, 'entry'), 65534, 65534);
      const env = { XDG_CACHE_HOME: base, HOME: base };

      // The harness itself: root as root gets root's directory and would read only its own files.
      expect(child([], env, theirs, bundle)).toEqual({ ids: [0, 0, 0, 0], cacheDir: ROOT_CACHE_DIR, entry: null });
      for (const setpriv of [['--ruid=65534', '--rgid=65534', '--clear-groups'], ['--ruid=65534'], ['--rgid=65534', '--keep-groups']]) {
        for (const chosen of [{}, { [CACHE_ENV]: theirs }]) {
          const seen = child(setpriv, { ...env, ...chosen }, theirs, bundle);
          expect(seen.ids[1], 'the effective uid stays root').toBe(0);
          expect({ cacheDir: seen.cacheDir, entry: seen.entry }, `${setpriv.join(' ')} ${JSON.stringify(chosen)}`).toEqual({ cacheDir: null, entry: null });
        }
      }
    },
    60_000,
  );
});
