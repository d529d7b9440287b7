// The bins' code cache (made on first run): where it lives, that it is only
// read from a directory of this user's that nobody else can write, that a
// cache made from other bytes is never used, and, on real child processes,
// that the second run uses the cache the first one made.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_ENV, cacheDir, MAX_CACHE_ENTRY_BYTES, readCacheFile, ROOT_CACHE_DIR, writeCacheFile } from '../../src/cache.js';
import { cacheName, decodeEntry, encodeEntry, worthCaching } from '../../src/cli-kit/code-cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'code-cache-'));
  dirs.push(dir);
  return dir;
}

describe('cacheDir', () => {
  it('is /var/cache/dsa110-ports for root, the XDG cache for others, and can be chosen or turned off', () => {
    expect(cacheDir({}, 0)).toBe(ROOT_CACHE_DIR);
    expect(cacheDir({ XDG_CACHE_HOME: '/home/a/.xdg', HOME: '/home/a' }, 1000)).toBe('/home/a/.xdg/dsa110-ports');
    expect(cacheDir({ HOME: '/home/a' }, 1000)).toBe('/home/a/.cache/dsa110-ports');
    expect(cacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/a' }, 1000)).toBe('/home/a/.cache/dsa110-ports');
    expect(cacheDir({ HOME: '/' }, 1000)).toBeUndefined();
    expect(cacheDir({}, 1000)).toBeUndefined();
    expect(cacheDir({ [CACHE_ENV]: '/srv/cache' }, 0)).toBe('/srv/cache');
    expect(cacheDir({ [CACHE_ENV]: 'off' }, 0)).toBeUndefined();
    expect(cacheDir({ [CACHE_ENV]: 'relative/dir' }, 0)).toBeUndefined();
  });
});

describe('readCacheFile and writeCacheFile', () => {
  it('write then read back, in a directory made 0700', () => {
    const dir = join(tempDir(), 'made');
    writeCacheFile(dir, 'entry', Buffer.from('data'));
    expect(readCacheFile(dir, 'entry')?.toString()).toBe('data');
    expect(readFileSync(join(dir, 'entry')).toString()).toBe('data');
    expect(readdirSync(dir)).toEqual(['entry']); // no temporary file left
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('make the cache directory only, never a chain of missing directories above it (DSA110_PORTS_CACHE=/srv/typo/cache made /srv/typo)', () => {
    const base = tempDir();
    expect(writeCacheFile(join(base, 'typo', 'cache'), 'entry', Buffer.from('x'))).toBe(false);
    expect(existsSync(join(base, 'typo'))).toBe(false);
    expect(writeCacheFile(join(base, 'a', 'b', 'c'), 'entry', Buffer.from('x'))).toBe(false);
    expect(readdirSync(base)).toEqual([]);
    // Once the directory above exists, the cache directory is made, and used.
    mkdirSync(join(base, 'typo'), { mode: 0o700 });
    expect(writeCacheFile(join(base, 'typo', 'cache'), 'entry', Buffer.from('x'))).toBe(true);
    expect(readCacheFile(join(base, 'typo', 'cache'), 'entry')?.toString()).toBe('x');
  });

  it('a relative DSA110_PORTS_CACHE is no cache at all (nothing is made in the working directory), as off is', () => {
    for (const value of ['cache', './cache', '', 'off']) expect(cacheDir({ [CACHE_ENV]: value }, 0), value).toBeUndefined();
  });

  it('ignore a directory others can write, a symbolic link to a directory, and a symbolic link as the file', () => {
    const base = tempDir();
    const open = join(base, 'open');
    mkdirSync(open);
    writeFileSync(join(open, 'entry'), 'planted');
    chmodSync(open, 0o777);
    expect(readCacheFile(open, 'entry')).toBeUndefined();
    writeCacheFile(open, 'other', Buffer.from('x'));
    expect(existsSync(join(open, 'other'))).toBe(false);

    const good = join(base, 'good');
    mkdirSync(good, { mode: 0o700 });
    writeFileSync(join(good, 'entry'), 'ok');
    symlinkSync(good, join(base, 'link'));
    expect(readCacheFile(join(base, 'link'), 'entry')).toBeUndefined();
    symlinkSync(join(good, 'entry'), join(good, 'alias'));
    expect(readCacheFile(good, 'alias')).toBeUndefined();
    expect(readCacheFile(good, 'entry')?.toString()).toBe('ok');
  });

  it("ignore a good directory under one that others may rename it in (world- or group-writable, not sticky), a symbolic link or another user's", () => {
    // The cache directory itself is fine (this user's, 0700, with a good entry): only an ancestor is not.
    const plant = (parent: string) => {
      const dir = join(parent, 'cache');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, 'entry'), 'planted', { mode: 0o600 });
      return dir;
    };
    const base = tempDir();
    for (const [name, mode] of [
      ['world', 0o777],
      ['group', 0o770],
    ] as const) {
      const shared = join(base, name);
      const dir = plant(shared);
      chmodSync(shared, mode);
      expect(readCacheFile(dir, 'entry'), name).toBeUndefined();
      expect(writeCacheFile(dir, 'other', Buffer.from('x')), name).toBe(false);
      expect(existsSync(join(dir, 'other')), name).toBe(false);
      // Nor is a cache directory made below it.
      expect(writeCacheFile(join(shared, 'new'), 'entry', Buffer.from('x')), name).toBe(false);
      expect(existsSync(join(shared, 'new')), name).toBe(false);
      // Sticky (as /tmp): others cannot rename what is not theirs, so it is used.
      chmodSync(shared, mode | 0o1000);
      expect(readCacheFile(dir, 'entry')?.toString(), name).toBe('planted');
      expect(writeCacheFile(join(shared, 'new'), 'entry', Buffer.from('x')), name).toBe(true);
    }
    // A symbolic link on the way: refused, not followed.
    const real = join(base, 'real');
    const dir = plant(real);
    expect(readCacheFile(dir, 'entry')?.toString()).toBe('planted');
    symlinkSync(real, join(base, 'alias'));
    expect(readCacheFile(join(base, 'alias', 'cache'), 'entry')).toBeUndefined();
    expect(readCacheFile(join(base, 'alias', 'cache/'), 'entry')).toBeUndefined();
    expect(readCacheFile(`${base}/alias/../real/cache`, 'entry')).toBeUndefined();
    // Owned by another user (as root only, who can chown), even read-only: they could chmod it.
    if (process.getuid?.() === 0) {
      execFileSync('chown', ['65534', real]);
      expect(readCacheFile(dir, 'entry')).toBeUndefined();
      execFileSync('chown', ['0', real]);
      expect(readCacheFile(dir, 'entry')?.toString()).toBe('planted');
    }
  });

  it('read nothing, and throw nothing, when the directory or the file is missing', () => {
    expect(readCacheFile(join(tempDir(), 'none'), 'entry')).toBeUndefined();
    expect(readCacheFile(tempDir(), 'entry')).toBeUndefined();
  });

  it('read nothing from a file larger than any entry (a sparse 1.5 GB file took 2 s and 1.5 GB of memory)', () => {
    const dir = join(tempDir(), 'cache');
    expect(writeCacheFile(dir, 'entry', Buffer.from('x'))).toBe(true);
    truncateSync(join(dir, 'entry'), MAX_CACHE_ENTRY_BYTES + 1); // sparse: no disk used
    expect(readCacheFile(dir, 'entry')).toBeUndefined();
    truncateSync(join(dir, 'entry'), MAX_CACHE_ENTRY_BYTES);
    expect(readCacheFile(dir, 'entry')?.length).toBe(MAX_CACHE_ENTRY_BYTES);
  });
});

describe('cache entries', () => {
  it('give back V8 data only for the exact bytes they were made from', () => {
    const source = Buffer.from('console.log(1);');
    const entry = encodeEntry(source, Buffer.from('V8DATA'));
    expect(decodeEntry(entry, source)?.toString()).toBe('V8DATA');
    expect(decodeEntry(entry, Buffer.from('console.log(2);'))).toBeUndefined(); // same length, other bytes
    expect(decodeEntry(entry, Buffer.from('console.log(1); '))).toBeUndefined();
    expect(decodeEntry(source, source)).toBeUndefined(); // no data after the source
    // The data is kept twice: a copy with one bit flipped, an odd length, or the data once (the old layout) is no entry.
    const flipped = Buffer.from(entry);
    flipped[flipped.length - 2]! ^= 4;
    expect(decodeEntry(flipped, source)).toBeUndefined();
    flipped[flipped.length - 2]! ^= 4;
    flipped[source.length + 1]! ^= 4;
    expect(decodeEntry(flipped, source)).toBeUndefined();
    expect(decodeEntry(Buffer.concat([entry, Buffer.from('x')]), source)).toBeUndefined();
    expect(decodeEntry(Buffer.concat([source, Buffer.from('V8DATA')]), source)).toBeUndefined();
    expect(decodeEntry(undefined, source)).toBeUndefined();
  });

  it('are named per bundle, Node version and architecture', () => {
    expect(cacheName('claim-port-1.2.3-cli', 'v20.20.2', 'x64')).toBe('claim-port-1.2.3-cli-v20.20.2-x64.v8');
  });
});

describe('worthCaching', () => {
  it('keeps the code of a run that did the work, not of one that printed help or the version or ended in a usage error', () => {
    for (const args of [[], ['--json'], ['8000', '--dry-run'], ['--', '--help'], ['-q'], ['--service', 'api']])
      expect(worthCaching(args, 0), args.join(' ')).toBe(true);
    expect(worthCaching(['--registry', 'x.yaml'], 3)).toBe(true);
    for (const args of [['--help'], ['-h'], ['--version'], ['-V'], ['8000', '--help'], ['-qh'], ['-Vq']])
      expect(worthCaching(args, 0), args.join(' ')).toBe(false);
    expect(worthCaching(['--bogus'], 64)).toBe(false);
  });
});

describe('runWithCodeCache, on real processes', () => {
  it('runs the bundle as its own module, makes the cache on the first run, uses it on the second, and never uses it for other bytes', () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const bundle = join(dir, 'bundle.cjs');
    const loader = join(dir, 'start.cjs');
    const source = (n: number) =>
      `const vm = require('node:vm');\nmodule.exports = ${n};\nconsole.log(JSON.stringify({ n: ${n}, file: __filename, dir: __dirname, args: process.argv.slice(2) }));\nPromise.resolve().then(() => console.log(typeof require('node:os').hostname));\n`;
    writeFileSync(bundle, source(1));
    const codeCache = join(import.meta.dirname, '../../src/cli-kit/code-cache.ts');
    // The loader as the build writes it, run unbundled through tsx's require hook.
    writeFileSync(
      loader,
      `require(${JSON.stringify(createRequire(import.meta.url).resolve('tsx/cjs'))});\nconst { runWithCodeCache } = require(${JSON.stringify(codeCache)});\nrunWithCodeCache(${JSON.stringify(bundle)}, 'test-bundle', module, require);\n`,
    );
    const run = () => execFileSync(process.execPath, [loader, 'a', 'b'], { encoding: 'utf8', env: { ...process.env, [CACHE_ENV]: cache } });
    expect(run()).toBe(`${JSON.stringify({ n: 1, file: bundle, dir, args: ['a', 'b'] })}\nfunction\n`);
    const [name] = readdirSync(cache);
    expect(name).toMatch(/^test-bundle-v\d+\.\d+\.\d+-[a-z0-9]+\.v8$/);
    const first = readFileSync(join(cache, name!));
    expect(first.subarray(0, source(1).length).toString()).toBe(source(1));
    run();
    expect(readFileSync(join(cache, name!)).equals(first)).toBe(true); // used, not made again

    // Same length, other bytes: the entry is not used, and is made again from the new bytes.
    writeFileSync(bundle, source(2));
    expect(run()).toContain('"n":2');
    expect(readFileSync(join(cache, name!)).subarray(0, source(2).length).toString()).toBe(source(2));

    // A run that only printed the version, or ended in a usage error, writes no entry: the next run that does the work does.
    rmSync(cache, { recursive: true });
    execFileSync(process.execPath, [loader, '--version'], { encoding: 'utf8', env: { ...process.env, [CACHE_ENV]: cache } });
    expect(existsSync(join(cache, name!))).toBe(false);
    const usage = `process.exitCode = 64;\n`;
    writeFileSync(bundle, usage);
    expect(spawnSync(process.execPath, [loader], { env: { ...process.env, [CACHE_ENV]: cache } }).status).toBe(64);
    expect(existsSync(join(cache, name!))).toBe(false);
    writeFileSync(bundle, source(2));
    run();
    expect(readFileSync(join(cache, name!)).subarray(0, source(2).length).toString()).toBe(source(2));

    // Off: plain require(), nothing written.
    rmSync(cache, { recursive: true });
    expect(execFileSync(process.execPath, [loader], { encoding: 'utf8', env: { ...process.env, [CACHE_ENV]: 'off' } })).toContain('"n":2');
    expect(existsSync(cache)).toBe(false);
  });
});
