// Runs a bin's CommonJS bundle with a V8 code cache made on this machine, on
// the first run, in the user's cache directory (cache.ts): later starts skip
// parsing and compiling the functions that run. Nothing is shipped: the cache
// is made where it is used, for this Node and this bundle only. Used by the
// bins' build (scripts/build-support.mjs, codeCacheLoader), never by the
// library. Node 22's module.enableCompileCache() would do the same; Node 20
// has none.
//
// A cache entry holds the bundle's exact bytes and V8's data, twice: it is used
// only when those bytes equal the bundle's (V8 itself checks only the length)
// and the two copies of the data are equal, with the same Node version and
// architecture (V8 checks its version and flags and rejects a mismatch). Any
// failure falls back to compiling the bundle as usual.
//
// Why twice: V8 does not check its data's checksum in a release build
// (--verify-snapshot-checksum is off), and a damaged entry is run as it is: of
// 150 entries with one bit flipped, 28 crashed Node, 2 hung and 5 changed what
// claim-port did (argument parsing, a port read as "tcp"). A checksum would
// need zlib or crypto, whose loading alone costs about 3.3 ms of a start
// (measured, Node 20); comparing two copies is one memcmp of about 0.03 ms
// and a read of 270 KB more from the page cache.
//
// Old entries are removed: each write of an entry keeps the KEEP_CODE_CACHES
// most recently written of the same bundle (any version of its package, any
// Node version or architecture) and removes the rest, which are otherwise
// left for ever, about 2 MB per bin at each upgrade of Node or of the package.
// Two, so that two Node versions used in turn keep their entries.
//
// The bundle must not use import(): a vm.Script has no module loader for it,
// and on Node 20 even vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER is lost
// when the script comes from a code cache (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
// The build turns import() into require() and refuses a bundle with one left.
import { readFileSync } from 'node:fs';
import type { Script } from 'node:vm';
import { cacheDir, pruneCacheFiles, readCacheFile, writeCacheFile } from '../cache.js';
import { EXIT_USAGE } from './conventions.js';

type CommonJsWrapper = (exports: unknown, require: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void;

/** Whose entry: chosen by the build (scripts/build-support.mjs): the package (without its scope), its version, the bundle (`cli`, `run`). */
export interface CodeCacheName {
  readonly bin: string;
  readonly version: string;
  readonly bundle: string;
}

/** Entries of one bundle kept when one is written (see above): the one just written and the one written before it. */
export const KEEP_CODE_CACHES = 2;

/** The cache file of bundle `name` for this Node version and architecture: `port-health-check-1.2.3-cli-v20.20.2-x64.v8`. */
export function cacheName(name: CodeCacheName, node = process.version, arch = process.arch): string {
  return `${name.bin}-${name.version}-${name.bundle}-${node}-${arch}.v8`;
}

/**
 * Pure: whether `file` is, exactly, the name of an entry of the same bundle as
 * `name`, made by any version of its package (semver) under any Node version
 * and architecture; nothing else in the directory (a registry entry, another
 * bin's or bundle's entry, a temporary file) is.
 */
export function isEntryOfBundle(file: string, name: CodeCacheName): boolean {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${literal(name.bin)}-${SEMVER}-${literal(name.bundle)}-v\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.]+)?-[a-z0-9]+\\.v8$`).test(file);
}

const SEMVER = '\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?';

/** Pure: a cache entry is the bundle's bytes, then V8's data twice (see above why). */
export function encodeEntry(source: Buffer, data: Buffer): Buffer {
  return Buffer.concat([source, data, data]);
}

/** Pure: V8's data from an entry, when the entry was made from exactly `source` and its two copies of the data are equal. */
export function decodeEntry(entry: Buffer | undefined, source: Buffer): Buffer | undefined {
  if (entry === undefined) return undefined;
  const twice = entry.length - source.length;
  if (twice <= 0 || twice % 2 !== 0 || !source.equals(entry.subarray(0, source.length))) return undefined;
  const data = entry.subarray(source.length, source.length + twice / 2);
  return data.equals(entry.subarray(source.length + twice / 2)) ? data : undefined;
}

/** Pure: the text V8 compiles: the bundle inside CommonJS's module wrapper. */
export function wrapCommonJs(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/**
 * Run `bundle` (an absolute path) as the CommonJS module `module` (the
 * loader's own: same require, same exports; or a fresh `{ exports: {} }` for
 * a second bundle) and return its exports, with the code cache `name` from
 * this user's cache directory when there is a good one; when there is none,
 * or V8 rejected it, make one at exit. Few calls on purpose (no regular
 * expression, no path functions): every function a start compiles costs.
 */
export function runWithCodeCache(
  bundle: string,
  name: CodeCacheName,
  module: NodeJS.Module,
  require: NodeJS.Require,
  env: Readonly<Record<string, string | undefined>> = process.env,
): unknown {
  const dir = cacheDir(env);
  if (dir === undefined) return require(bundle); // no cache directory: as plain require() would
  const source = readFileSync(bundle);
  const vm = require('node:vm') as typeof import('node:vm');
  const file = cacheName(name);
  const cachedData = decodeEntry(readCacheFile(dir, file), source);
  const script: Script = new vm.Script(wrapCommonJs(source.toString('utf8')), {
    filename: bundle,
    ...(cachedData && { cachedData }),
  });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // After the run, so the functions that ran are in it; and only after a run
    // that did the tool's work. An entry is kept as long as it is accepted, so one
    // made by `--version` (the first thing many run after an install) held only
    // the code of `--version`, and every later health check compiled the rest:
    // 45.2 ms against 38.6 ms with an entry from a full run (node -e 0: 23.3 ms).
    process.once('exit', (code) => {
      if (!worthCaching(process.argv.slice(2), code)) return;
      try {
        if (writeCacheFile(dir, file, encodeEntry(source, script.createCachedData()))) {
          pruneCacheFiles(dir, (entry) => isEntryOfBundle(entry, name), KEEP_CODE_CACHES, file);
        }
      } catch {
        // no cache, then
      }
    });
  }
  (script.runInThisContext() as CommonJsWrapper)(module.exports, require, module, bundle, bundle.slice(0, bundle.lastIndexOf('/')));
  return module.exports;
}

/**
 * Pure: whether a run's code is worth keeping as the cache entry: not a run
 * that only printed help or the version (`-h`, `--help`, `-V`, `--version`,
 * alone or grouped, anywhere before `--`), nor one that ended in a usage
 * error (EXIT_USAGE).
 */
export function worthCaching(args: readonly string[], exitCode: number): boolean {
  if (exitCode === EXIT_USAGE) return false;
  for (const arg of args) {
    if (arg === '--') break;
    if (arg === '--help' || arg === '--version') return false;
    // -h, -V, or either among grouped short flags (-qh): a cache not made is made by the next run.
    if (/^-[A-Za-z]+$/.test(arg) && (arg.includes('h') || arg.includes('V'))) return false;
  }
  return true;
}
