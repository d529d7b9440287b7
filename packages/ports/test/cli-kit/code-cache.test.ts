// The bins' code cache (made on first run): where it lives, that it is only
// read from a directory of this user's that nobody else can write, that a
// cache made from other bytes is never used, and, on real child processes,
// that the second run uses the cache the first one made.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_ENV, cacheDir, MAX_CACHE_ENTRY_BYTES, pruneCacheFiles, readCacheFile, ROOT_CACHE_DIR, writeCacheFile } from '../../src/cache.js';
import {
  argumentShape,
  bundleMark,
  cacheName,
  compiledText,
  decodeEntry,
  encodeEntry,
  ENTRY_HEADER_BYTES,
  isEntryOfBundle,
  KEEP_CODE_CACHES,
  worthCaching,
  wrapCommonJs,
} from '../../src/cli-kit/code-cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
/** The environment of a loader run: the cache directory, and no NODE_OPTIONS of the caller's (they name entries too). */
function plainEnv(cache: string): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _, ...env } = process.env;
  return { ...env, [CACHE_ENV]: cache };
}
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
    const entry = encodeEntry(source, Buffer.from('V8DATA'))!;
    expect(entry.length).toBe(ENTRY_HEADER_BYTES + 6); // the data once, after the header
    expect(decodeEntry(entry, source)?.toString()).toBe('V8DATA');
    expect(decodeEntry(entry, Buffer.from('console.log(2);'))).toBeUndefined(); // same length, other bytes
    expect(decodeEntry(entry, Buffer.from('console.log(1); '))).toBeUndefined();
    expect(decodeEntry(entry, Buffer.alloc(0))).toBeUndefined();
    expect(decodeEntry(entry.subarray(0, ENTRY_HEADER_BYTES), source)).toBeUndefined(); // no data
    expect(decodeEntry(Buffer.concat([entry, Buffer.from('x')]), source)).toBeUndefined();
    expect(decodeEntry(entry.subarray(0, -1), source)).toBeUndefined();
    // The layout before the header (the bundle's bytes, then the data twice) is no entry.
    expect(decodeEntry(Buffer.concat([source, Buffer.from('V8DATA'), Buffer.from('V8DATA')]), source)).toBeUndefined();
    expect(decodeEntry(undefined, source)).toBeUndefined();
  });

  it('are refused with any one bit of them flipped, header or data', () => {
    const source = Buffer.from('module.exports = 1;\n'.repeat(20));
    const data = Buffer.from(Array.from({ length: 61 }, (_, i) => (i * 37) & 0xff));
    const entry = encodeEntry(source, data)!;
    expect(decodeEntry(entry, source)?.equals(data)).toBe(true);
    for (let bit = 0; bit < entry.length * 8; bit++) {
      const flipped = Buffer.from(entry);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(decodeEntry(flipped, source), `bit ${bit}`).toBeUndefined();
    }
    // And the bundle with any one bit flipped is another bundle.
    for (let bit = 0; bit < source.length * 8; bit += 7) {
      const other = Buffer.from(source);
      other[bit >> 3]! ^= 1 << (bit & 7);
      expect(decodeEntry(entry, other), `bundle bit ${bit}`).toBeUndefined();
    }
  });

  it('are named per bundle, options given, Node version and architecture', () => {
    const cli = { bin: 'claim-port', version: '1.2.3', bundle: 'cli' };
    expect(cacheName(cli, '', 'v20.20.2', 'x64')).toBe('claim-port-1.2.3-cli-v20.20.2-x64.v8');
    expect(cacheName(cli, argumentShape(['--json']), 'v20.20.2', 'x64')).toMatch(/^claim-port-1\.2\.3-cli\.[0-9a-f]{8}-v20\.20\.2-x64\.v8$/);
    // Each build of the bundle by its bytes (the low 32 bits of their checksum): two builds of one version, entries of their own.
    const mark = bundleMark(0x1234_5678_9abc_def0n);
    expect(mark).toBe('9abcdef0');
    expect(bundleMark(5n)).toBe('00000005');
    expect(cacheName(cli, '', 'v20.20.2', 'x64', mark)).toBe('claim-port-1.2.3-cli~9abcdef0-v20.20.2-x64.v8');
    expect(cacheName(cli, argumentShape(['--json']), 'v20.20.2', 'x64', mark)).toMatch(/^claim-port-1\.2\.3-cli~9abcdef0\.[0-9a-f]{8}-v20\.20\.2-x64\.v8$/);
  });
});

describe('argumentShape', () => {
  it('is the names of the options given, not their values nor the operands, in any order, however often', () => {
    for (const args of [[], ['8000'], ['8000', '-'], ['--', '--json'], ['api', '8000', '--', '-q']]) expect(argumentShape(args), args.join(' ')).toBe('');
    const json = argumentShape(['--json']);
    expect(json).toMatch(/^[0-9a-f]{8}$/);
    expect(argumentShape(['8000', '--json'])).toBe(json);
    expect(argumentShape(['--json', '--json', '--', '--dry-run'])).toBe(json);
    const service = argumentShape(['--service', 'api', '--json']);
    expect(argumentShape(['--json', '--service=db,redis'])).toBe(service);
    expect(argumentShape(['--service', 'api'])).not.toBe(service);
    // Grouped short flags are the same flags apart; a short flag is not the long one.
    expect(argumentShape(['-qj'])).toBe(argumentShape(['-j', '-q']));
    expect(argumentShape(['-q'])).not.toBe(argumentShape(['--q']));
    expect(argumentShape(['-a', '-b'])).not.toBe(argumentShape(['-ab', '-a-b']));
    // Node's own options count word for word, values too (V8's flags have values), apart from the bin's.
    const flagged = argumentShape([], ['--max-old-space-size=100']);
    expect(flagged).toMatch(/^[0-9a-f]{8}$/);
    expect(argumentShape([], ['--max-old-space-size=200'])).not.toBe(flagged);
    expect(argumentShape(['--json'], ['--max-old-space-size=100'])).not.toBe(flagged);
    expect(argumentShape(['--max-old-space-size=100'])).not.toBe(flagged);
    // Every option set of a few names has its own shape (32 bits: a clash would only share an entry).
    const names = ['--json', '--registry', '--service', '--root', '--strict', '--quiet', '-q', '--dry-run', '--format', '--output'];
    const shapes = new Set<string>();
    for (let set = 1; set < 1 << names.length; set++) shapes.add(argumentShape(names.filter((_, i) => set & (1 << i))));
    expect(shapes.size).toBe((1 << names.length) - 1);
  });
});

describe('old entries', () => {
  const cli = { bin: 'claim-port', version: '1.2.3', bundle: 'cli' };

  it('of a bundle are its entries of any package version, Node version and architecture, and nothing else', () => {
    for (const file of [
      'claim-port-1.2.3-cli-v20.20.2-x64.v8',
      'claim-port-0.9.0-cli-v22.12.0-arm64.v8',
      'claim-port-2.0.0-rc.1-cli-v20.20.2-x64.v8',
      'claim-port-2.0.0+build.5-cli-v23.0.0-pre-s390x.v8',
      'claim-port-1.2.3-cli.0a1b2c3d-v20.20.2-x64.v8',
      'claim-port-1.2.3-cli~89abcdef-v20.20.2-x64.v8',
      'claim-port-1.2.3-cli~89abcdef.0a1b2c3d-v20.20.2-x64.v8',
    ])
      expect(isEntryOfBundle(file, cli), file).toBe(true);
    for (const file of [
      'claim-port-1.2.3-run-v20.20.2-x64.v8', // the other bundle
      'port-health-check-1.2.3-cli-v20.20.2-x64.v8',
      'xclaim-port-1.2.3-cli-v20.20.2-x64.v8',
      'claim-port-1.2.3-cli-v20.20.2-x64.v8.bak',
      '.claim-port-1.2.3-cli-v20.20.2-x64.v8.123.tmp',
      'claim-port-1.2.3-cli-v20.20.2-x64.v8/x',
      'claim-port-latest-cli-v20.20.2-x64.v8',
      'registry-0123abcd.json',
      'claim-port-1.2.3-run.0a1b2c3d-v20.20.2-x64.v8',
      'claim-port-1.2.3-cli.0A1B2C3D-v20.20.2-x64.v8',
      'claim-port-1.2.3-cli.0a1b2c-v20.20.2-x64.v8',
      'claim-port-1.2.3-cli.-v20.20.2-x64.v8',
      'claim-port-1.2.3-cli~89ABCDEF-v20.20.2-x64.v8',
      'claim-port-1.2.3-cli~89abcd-v20.20.2-x64.v8',
      'claim-port-1.2.3-cli.0a1b2c3d~89abcdef-v20.20.2-x64.v8',
      'claim-port-1.2.3-run~89abcdef-v20.20.2-x64.v8',
    ])
      expect(isEntryOfBundle(file, cli), file).toBe(false);
    expect(KEEP_CODE_CACHES).toBe(8);
  });

  it(`are removed beyond the ${KEEP_CODE_CACHES} most recently written, the one just written kept, only this user's regular files (never a link, never followed)`, () => {
    const dir = join(tempDir(), 'cache');
    mkdirSync(dir, { mode: 0o700 });
    const entry = (version: string, node: string, age: number, name = cacheName({ ...cli, version }, '', node, 'x64')) => {
      writeFileSync(join(dir, name), 'x', { mode: 0o600 });
      const when = Date.now() / 1000 - age;
      utimesSync(join(dir, name), when, when);
      return name;
    };
    const newest = entry('1.2.3', 'v22.1.0', 100); // just written, but with an old mtime: kept all the same
    // The entries of runs given other options count with the rest: the most recently written are kept.
    const shaped = (shape: string[], age: number) => entry('', '', age, cacheName(cli, argumentShape(shape), 'v20.20.2', 'x64'));
    const kept = [entry('1.2.3', 'v20.20.2', 10), ...Array.from({ length: KEEP_CODE_CACHES - 2 }, (_, i) => shaped([`--option-${i}`], 20 + i))];
    const older = [entry('1.2.2', 'v20.20.2', 200), entry('1.2.2', 'v22.1.0', 300), entry('1.0.0', 'v20.0.0', 400), shaped(['--json'], 500)];
    // Not this bundle's, or not an entry: left alone, however old.
    const others = [
      entry('', '', 900, 'claim-port-1.0.0-run-v20.0.0-x64.v8'),
      entry('', '', 900, 'port-health-check-1.0.0-cli-v20.0.0-x64.v8'),
      entry('', '', 900, 'registry-0123abcd.json'),
      entry('', '', 900, 'claim-port-1.0.0-cli-v20.0.0-x64.v8.keep'),
    ];
    // Named like an entry but a directory, and a symbolic link (to a file outside that must survive).
    mkdirSync(join(dir, 'claim-port-0.1.0-cli-v20.0.0-x64.v8'));
    const outside = join(dirname(dir), 'target');
    writeFileSync(outside, 'not ours to remove');
    symlinkSync(outside, join(dir, 'claim-port-0.2.0-cli-v20.0.0-x64.v8'));

    pruneCacheFiles(dir, (name) => isEntryOfBundle(name, cli), KEEP_CODE_CACHES, newest);
    expect(readdirSync(dir).sort()).toEqual([newest, ...kept, ...others, 'claim-port-0.1.0-cli-v20.0.0-x64.v8', 'claim-port-0.2.0-cli-v20.0.0-x64.v8'].sort());
    for (const name of older) expect(existsSync(join(dir, name)), name).toBe(false);
    expect(readFileSync(outside, 'utf8')).toBe('not ours to remove');

    // Another user's entry (as root only, who can chown): never removed.
    if (process.getuid?.() === 0) {
      const foreign = entry('1.1.0', 'v20.0.0', 50);
      execFileSync('chown', ['65534', join(dir, foreign)]);
      pruneCacheFiles(dir, (name) => isEntryOfBundle(name, cli), 1, newest);
      expect(existsSync(join(dir, foreign))).toBe(true);
      expect(existsSync(join(dir, kept[0]!))).toBe(false);
    }
  });

  it('are not touched in a directory others can write', () => {
    const dir = join(tempDir(), 'open');
    mkdirSync(dir);
    const names = ['1.0.0', '1.0.1', '1.0.2'].map((version) => cacheName({ ...cli, version }, '', 'v20.0.0', 'x64'));
    for (const name of names) writeFileSync(join(dir, name), 'x');
    chmodSync(dir, 0o777);
    pruneCacheFiles(dir, (name) => isEntryOfBundle(name, cli), 1, names[0]!);
    expect(readdirSync(dir).sort()).toEqual([...names].sort());
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
      `require(${JSON.stringify(createRequire(import.meta.url).resolve('tsx/cjs'))});\nconst { runWithCodeCache } = require(${JSON.stringify(codeCache)});\nrunWithCodeCache(${JSON.stringify(bundle)}, { bin: 'test', version: '1.0.0', bundle: 'bundle' }, module, require);\n`,
    );
    const run = () => execFileSync(process.execPath, [loader, 'a', 'b'], { encoding: 'utf8', env: plainEnv(cache) });
    // Entries of other versions of the package and of Node, left by earlier runs: the write keeps the most recent of them only.
    mkdirSync(cache, { mode: 0o700 });
    const old = Array.from({ length: KEEP_CODE_CACHES }, (_, i) => `test-0.9.${i}-bundle-v18.0.0-x64.v8`);
    old.forEach((name, age) => {
      writeFileSync(join(cache, name), 'old', { mode: 0o600 });
      utimesSync(join(cache, name), 1e9 + age, 1e9 + age);
    });
    writeFileSync(join(cache, 'test-0.9.0-other-v18.0.0-x64.v8'), 'another bundle', { mode: 0o600 });
    expect(run()).toBe(`${JSON.stringify({ n: 1, file: bundle, dir, args: ['a', 'b'] })}\nfunction\n`);
    const name = readdirSync(cache).find((file) => file.startsWith('test-1.0.0-'));
    const place = /~([0-9a-f]{8})-/.exec(name ?? '')?.[1];
    expect(name).toMatch(/^test-1\.0\.0-bundle~[0-9a-f]{8}-v\d+\.\d+\.\d+-[a-z0-9]+\.v8$/);
    expect(readdirSync(cache).sort()).toEqual([name, ...old.slice(1), 'test-0.9.0-other-v18.0.0-x64.v8'].sort());
    for (const file of old.slice(1)) rmSync(join(cache, file));
    const first = readFileSync(join(cache, name!));
    expect(decodeEntry(first, Buffer.from(source(1)))?.length).toBeGreaterThan(0);
    run();
    expect(readFileSync(join(cache, name!)).equals(first)).toBe(true); // used, not made again

    // A run given an option has an entry of its own, made by its first run: the other run's entry is not used for it, nor changed.
    const withOption = () => execFileSync(process.execPath, [loader, '--json', 'a'], { encoding: 'utf8', env: plainEnv(cache) });
    expect(withOption()).toContain('"args":["--json","a"]');
    const optionName = readdirSync(cache).find((file) => file.startsWith('test-1.0.0-') && file !== name);
    expect(optionName).toBe(name!.replace(`~${place}-`, `~${place}.${argumentShape(['--json'])}-`));
    const optionEntry = readFileSync(join(cache, optionName!));
    expect(decodeEntry(optionEntry, Buffer.from(source(1)))?.length).toBeGreaterThan(0);
    expect(readFileSync(join(cache, name!)).equals(first)).toBe(true);
    withOption();
    expect(readFileSync(join(cache, optionName!)).equals(optionEntry)).toBe(true);
    rmSync(join(cache, optionName!));

    // Under another V8 flag (NODE_OPTIONS), V8 would refuse the plain run's entry: such runs have their own, and runs
    // that alternate leave both as they are (one entry, rewritten at each change of flags, before).
    const flags = { ...plainEnv(cache), NODE_OPTIONS: '--max-old-space-size=300' };
    const flagged = () => execFileSync(process.execPath, [loader, 'a', 'b'], { encoding: 'utf8', env: flags });
    expect(flagged()).toContain('"n":1');
    const flaggedName = readdirSync(cache).find((file) => file.startsWith('test-1.0.0-') && file !== name);
    expect(flaggedName).toBe(name!.replace(`~${place}-`, `~${place}.${argumentShape([], ['--max-old-space-size=300'])}-`));
    const flaggedEntry = readFileSync(join(cache, flaggedName!));
    run();
    flagged();
    expect(readFileSync(join(cache, name!)).equals(first)).toBe(true);
    expect(readFileSync(join(cache, flaggedName!)).equals(flaggedEntry)).toBe(true);
    rmSync(join(cache, flaggedName!));

    // Another copy of the same bundle (a second install of the version): the same bytes, the same entry, used by
    // both and never made again. Another build of the version (other bytes): an entry of its own, and runs of the two
    // in turn leave both as they are (one name before, which each refused as the other's and made again: every run compiled).
    const copyDir = join(dir, 'copy');
    mkdirSync(copyDir);
    const copyBundle = join(copyDir, 'bundle.js');
    writeFileSync(copyBundle, source(1));
    const copyLoader = join(copyDir, 'loader.cjs');
    writeFileSync(copyLoader, readFileSync(loader, 'utf8').replace(JSON.stringify(bundle), JSON.stringify(copyBundle)));
    const runCopy = () => execFileSync(process.execPath, [copyLoader, 'a', 'b'], { encoding: 'utf8', env: plainEnv(cache) });
    expect(runCopy()).toContain('"n":1');
    expect(readdirSync(cache).filter((file) => file.startsWith('test-1.0.0-'))).toEqual([name]);
    expect(readFileSync(join(cache, name!)).equals(first)).toBe(true);
    writeFileSync(copyBundle, source(2));
    expect(runCopy()).toContain('"n":2');
    const otherName = readdirSync(cache).find((file) => file.startsWith('test-1.0.0-') && file !== name);
    expect(otherName).toMatch(/^test-1\.0\.0-bundle~[0-9a-f]{8}-v\d+\.\d+\.\d+-[a-z0-9]+\.v8$/);
    expect(otherName).not.toContain(`~${place}-`);
    const otherEntry = readFileSync(join(cache, otherName!));
    run();
    runCopy();
    expect(readFileSync(join(cache, name!)).equals(first)).toBe(true);
    expect(readFileSync(join(cache, otherName!)).equals(otherEntry)).toBe(true);
    rmSync(join(cache, otherName!));

    // One bit of V8's data flipped on disk: the entry is not used (its checksum fails), and is made again whole.
    const damaged = Buffer.from(first);
    damaged[damaged.length - 40]! ^= 0x10;
    writeFileSync(join(cache, name!), damaged, { mode: 0o600 });
    expect(run()).toBe(`${JSON.stringify({ n: 1, file: bundle, dir, args: ['a', 'b'] })}\nfunction\n`);
    expect(decodeEntry(readFileSync(join(cache, name!)), Buffer.from(source(1)))?.length).toBeGreaterThan(0);

    // An entry of the other checksum (the WebAssembly function's, made by a Node before 20.15; checksum.ts):
    // not used, and made again with this Node's.
    const otherSum = Buffer.from(first);
    otherSum[7] = first[7] === 0x33 ? 0x32 : 0x33; // "dsa110c3" (zlib's CRC-32) and "dsa110c2"
    writeFileSync(join(cache, name!), otherSum, { mode: 0o600 });
    expect(run()).toBe(`${JSON.stringify({ n: 1, file: bundle, dir, args: ['a', 'b'] })}\nfunction\n`);
    expect(readFileSync(join(cache, name!)).subarray(0, 8).toString()).toBe(first.subarray(0, 8).toString());
    expect(decodeEntry(readFileSync(join(cache, name!)), Buffer.from(source(1)))?.length).toBeGreaterThan(0);

    // Same length, other bytes: an entry name of their own (bundleMark). An entry under that name made from other
    // bytes (two bundles whose checksums share their low 32 bits) is not used, and is made again from the new bytes.
    writeFileSync(bundle, source(2));
    expect(run()).toContain('"n":2');
    const name2 = readdirSync(cache).find((file) => file.startsWith('test-1.0.0-') && file !== name)!;
    expect(decodeEntry(readFileSync(join(cache, name2)), Buffer.from(source(2)))?.length).toBeGreaterThan(0);
    writeFileSync(join(cache, name2), readFileSync(join(cache, name!)), { mode: 0o600 });
    expect(decodeEntry(readFileSync(join(cache, name2)), Buffer.from(source(2)))).toBeUndefined();
    expect(run()).toContain('"n":2');
    expect(decodeEntry(readFileSync(join(cache, name2)), Buffer.from(source(2)))?.length).toBeGreaterThan(0);
    expect(decodeEntry(readFileSync(join(cache, name2)), Buffer.from(source(1)))).toBeUndefined();

    // A run that only printed the version, or ended in a usage error, writes no entry: the next run that does the work does.
    rmSync(cache, { recursive: true });
    execFileSync(process.execPath, [loader, '--version'], { encoding: 'utf8', env: plainEnv(cache) });
    expect(existsSync(join(cache, name2))).toBe(false);
    const usage = `process.exitCode = 64;\n`;
    writeFileSync(bundle, usage);
    expect(spawnSync(process.execPath, [loader], { env: plainEnv(cache) }).status).toBe(64);
    expect(existsSync(cache) ? readdirSync(cache).filter((file) => file.endsWith('.v8')) : []).toEqual([]);
    writeFileSync(bundle, source(2));
    run();
    expect(decodeEntry(readFileSync(join(cache, name2)), Buffer.from(source(2)))?.length).toBeGreaterThan(0);

    // An entry too large for the memory the process may have (LimitDATA=, here 80 MB against an entry
    // of 60): the bin runs as plain require() would, rather than dying on the checksum's memory.
    const bigEntry = join(cache, name2);
    writeFileSync(bigEntry, '', { mode: 0o600 });
    truncateSync(bigEntry, 60 * 1024 * 1024);
    const limited = spawnSync('prlimit', ['--data=80000000', process.execPath, loader, 'a'], {
      encoding: 'utf8',
      env: plainEnv(cache),
    });
    expect(limited.stderr).toBe('');
    expect(limited.stdout).toContain('"n":2');
    expect(limited.status).toBe(0);

    // Off: plain require(), nothing written.
    rmSync(cache, { recursive: true });
    expect(execFileSync(process.execPath, [loader], { encoding: 'utf8', env: { ...process.env, [CACHE_ENV]: 'off' } })).toContain('"n":2');
    expect(existsSync(cache)).toBe(false);
  });

  it('runs a bundle the build wrote inside the module wrapper (prewrap) as it is, from a cache made of its bytes, and without a cache', () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const bundle = join(dir, 'bundle.cjs');
    const loader = join(dir, 'start.cjs');
    const text = wrapCommonJs(
      `module.exports = 3;\nconsole.log(JSON.stringify({ file: __filename, dir: __dirname, exports: module.exports, strict: this === undefined }));\n`,
    );
    expect(compiledText(text)).toBe(text); // found wrapped: compiled as it is, no copy
    writeFileSync(bundle, text);
    const codeCache = join(import.meta.dirname, '../../src/cli-kit/code-cache.ts');
    writeFileSync(
      loader,
      `require(${JSON.stringify(createRequire(import.meta.url).resolve('tsx/cjs'))});\nconst { runWithCodeCache } = require(${JSON.stringify(codeCache)});\nconsole.log(runWithCodeCache(${JSON.stringify(bundle)}, { bin: 'test', version: '1.0.0', bundle: 'bundle' }, { exports: {} }, require));\n`,
    );
    const expected = `${JSON.stringify({ file: bundle, dir, exports: 3, strict: false })}\n3\n`;
    const run = (value: string, flags: string[] = []) =>
      execFileSync(process.execPath, [...flags, loader], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [CACHE_ENV]: value } });
    expect(run(cache)).toBe(expected);
    const [name] = readdirSync(cache);
    const entry = readFileSync(join(cache, name!));
    const data = decodeEntry(entry, Buffer.from(text));
    expect(new Script(text, { filename: bundle, cachedData: data! }).cachedDataRejected).toBe(false);
    expect(run(cache)).toBe(expected);
    expect(readFileSync(join(cache, name!)).equals(entry)).toBe(true); // used, not made again
    // No cache, and no WebAssembly for the checksum: compiled as usual, the same module.
    expect(run('off')).toBe(expected);
    expect(run(cache, ['--jitless'])).toBe(expected);
  });

  it('reads an ASCII bundle (what esbuild writes) and one in UTF-8 alike, without the cache and from it: the same text', () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const codeCache = join(import.meta.dirname, '../../src/cli-kit/code-cache.ts');
    for (const [kind, word] of [
      ['ASCII', 'port'],
      ['UTF-8', 'p\u00f6rt \u2192 \u{1f50c}'],
    ] as const) {
      const bundle = join(dir, `${kind}.cjs`);
      const loader = join(dir, `${kind}-start.cjs`);
      writeFileSync(bundle, `console.log(JSON.stringify([${JSON.stringify(word)}, ${JSON.stringify(word)}.length, (() => '${word}').toString()]));\n`);
      writeFileSync(
        loader,
        `require(${JSON.stringify(createRequire(import.meta.url).resolve('tsx/cjs'))});\nconst { runWithCodeCache } = require(${JSON.stringify(codeCache)});\nrunWithCodeCache(${JSON.stringify(bundle)}, { bin: 'test', version: '1.0.0', bundle: ${JSON.stringify(kind)} }, module, require);\n`,
      );
      const expected = `${JSON.stringify([word, word.length, `() => '${word}'`])}\n`;
      const run = () => execFileSync(process.execPath, [loader], { encoding: 'utf8', env: plainEnv(cache) });
      expect(run(), `${kind}, compiled and cached`).toBe(expected);
      expect(run(), `${kind}, from the cache`).toBe(expected);
    }
    expect(readdirSync(cache)).toHaveLength(2);
  });

  it("runs a bundle marked crcOnly from a cache only where Node has zlib's CRC-32 (20.15 and later); before, compiled as usual, with no WebAssembly sum", () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const bundle = join(dir, 'bundle.cjs');
    const loader = join(dir, 'start.cjs');
    writeFileSync(bundle, wrapCommonJs(`console.log(typeof WebAssembly.Module);\n`));
    const codeCache = join(import.meta.dirname, '../../src/cli-kit/code-cache.ts');
    // What the loader sees on a Node before 20.15: no crc32 in zlib's binding nor in node:zlib. And a WebAssembly that
    // says when it is used, as the other sum would.
    const older = join(dir, 'older-node.cjs');
    writeFileSync(
      older,
      `delete process.binding('zlib').crc32;\ndelete require('node:zlib').crc32;\nconst Module = WebAssembly.Module;\nWebAssembly.Module = function (bytes) { process.stderr.write('WebAssembly used\\n'); return new Module(bytes); };\n`,
    );
    writeFileSync(
      loader,
      `require(${JSON.stringify(createRequire(import.meta.url).resolve('tsx/cjs'))});\nconst { runWithCodeCache } = require(${JSON.stringify(codeCache)});\nrunWithCodeCache(${JSON.stringify(bundle)}, { bin: 'test', version: '1.0.0', bundle: 'bundle', crcOnly: true }, { exports: {} }, require);\n`,
    );
    const run = (flags: string[] = []) => spawnSync(process.execPath, [...flags, loader], { encoding: 'utf8', env: plainEnv(cache) });
    const before = run(['--require', older]);
    expect(before.stdout).toBe('function\n');
    expect(before.stderr).toBe('');
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
    const now = run();
    expect(now.stdout).toBe('function\n');
    expect(readdirSync(cache)).toEqual([expect.stringMatching(/^test-1\.0\.0-bundle~[0-9a-f]{8}-v\d+\.\d+\.\d+-[a-z0-9]+\.v8$/)]);
    // Without crcOnly, that older Node takes the WebAssembly sum, and makes an entry of its own (its options differ).
    writeFileSync(loader, readFileSync(loader, 'utf8').replace(', crcOnly: true', ''));
    const unmarked = run(['--require', older]);
    expect(unmarked.stderr).toBe('WebAssembly used\n');
    expect(readdirSync(cache)).toHaveLength(2);
  });
});
