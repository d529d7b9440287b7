// Runs a bin's CommonJS bundle with a V8 code cache made on this machine, on
// the first run, in the user's cache directory (cache.ts): later starts skip
// parsing and compiling the functions that run. Nothing is shipped: the cache
// is made where it is used, for this Node and this bundle only. Used by the
// bins' build (scripts/build-support.mjs, codeCacheLoader), never by the
// library. Node 22's module.enableCompileCache() would do the same; Node 20
// has none.
//
// A cache entry holds V8's data after a header with the bundle's length and
// checksum and the data's (checksum.ts): it is used only when the bundle's
// bytes have that checksum (V8 itself checks only the length) and the data
// has its own, with the same Node version and architecture (V8 checks its
// version and flags and rejects a mismatch). Any failure falls back to
// compiling the bundle as usual.
//
// Why a checksum of the data: V8 does not check its data's checksum in a
// release build (--verify-snapshot-checksum is off), and a damaged entry is
// run as it is: of 150 entries with one bit flipped, 28 crashed Node, 2 hung
// and 5 changed what claim-port did (argument parsing, a port read as "tcp").
// Entries used to hold the bundle's bytes and the data twice, compared byte
// for byte: reading and comparing 1 MB on every start of the health check.
// The loader now reads the bundle and the entry (the data once) straight into
// the checksum's memory and sums them there: the health check took 149.1
// against 158.2 ms, its --version 117.4 against 124.9 (medians of 60
// interleaved runs; `node -e 0` 93.2 ms on that loaded VM, where each page
// first touched costs).
//
// Each page of memory first touched costs: 14.7 µs on the 2-core EPYC VM of
// 2026-12-02 (8 MB touched in 30 ms), where the health check touched 1,190
// pages more than `node -e 0`. So the entry is read over the bundle's bytes,
// once they are summed and V8 has its text, into pages already touched; and
// the build writes the bundle inside CommonJS's module wrapper already
// (scripts/build-support.mjs, prewrap), since V8 makes a flat copy of a text
// wrapped at run time. Together: 131 pages fewer, and the health check took
// 119.3 against 122.7 ms, its --version 94.8 against 98.5 (50 interleaved
// runs, `node -e 0` 75.9 ms).
//
// An entry holds the functions that ran in the run that made it, and V8
// compiles whatever else a later run needs at every start, since an accepted
// entry is never made again. So runs given other options have entries of
// their own (argumentShape: the option names, not their values): a cache made
// by `port-health-check --registry` over 500 services made every later plain
// check run 180.4M instructions against 157.7M with its own entry (`node -e
// 0`: 86.7M), and one made by `--service redis` 164.1M against 152.8M. A
// timer repeats one command line, so its runs start from that command's entry
// whatever an operator ran first by hand. Node's own options (its command line,
// NODE_OPTIONS) name entries too: V8 refuses an entry made under other V8
// flags, and runs that alternated flags rewrote one entry each time.
//
// Old entries are removed: each write of an entry keeps the KEEP_CODE_CACHES
// most recently written of the same bundle (any options, any version of its
// package, any Node version or architecture) and removes the rest, which are
// otherwise left for ever, a few hundred KB per bin at each upgrade of Node
// or of the package. Eight: a timer's command, a few run by hand, and two Node
// versions used in turn. One pruned while still in use is made again by its
// next run. The same write removes the temporary files that writers killed
// before their rename left of any entry of the bundle (writeCacheFile, in the
// listing it makes anyway): nothing is added to a start that finds its entry.
//
// Entries are named by the bundle's bytes too (bundleMark, from the checksum
// the loader takes anyway): two builds of one version on a machine (a global
// install and a checkout, or two checkouts) shared an entry name, and each run
// of one found the other's, refused it (another bundle's checksum) and wrote
// its own: every run of either compiled the whole bundle (the health check 70
// against 49 ms, 40 interleaved runs, `node -e 0` 24 ms). Copies with the same
// bytes share their entries (named by path, nine copies of one claim-port
// pushed each other's out of the eight kept, and every run compiled).
//
// The bundle must not use import(): a vm.Script has no module loader for it,
// and on Node 20 even vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER is lost
// when the script comes from a code cache (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
// The build turns import() into require() and refuses a bundle with one left.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import type { Script } from 'node:vm';
import { cacheDir, openCacheFile, pruneCacheFiles, writeCacheFile } from '../cache.js';
import { checksum, checksummer, crc32Checksummer, type Checksummer } from './checksum.js';
import { EXIT_USAGE } from './conventions.js';
import { nameHash } from '../name-hash.js';

type CommonJsWrapper = (exports: unknown, require: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void;

/** Whose entry: chosen by the build (scripts/build-support.mjs): the package (without its scope), its version, the bundle (`cli`, `run`). */
export interface CodeCacheName {
  readonly bin: string;
  readonly version: string;
  readonly bundle: string;
  /**
   * Use a cache only where its checksum is zlib's CRC-32 (Node 20.15 and
   * later): a small bundle whose cache saves less than the WebAssembly sum
   * costs to start (claim-port's first bundle) is otherwise compiled as usual.
   */
  readonly crcOnly?: boolean;
}

/** Entries of one bundle kept when one is written (see above): the one just written and the 7 written before it. */
export const KEEP_CODE_CACHES = 8;

/**
 * The cache file of bundle `name` for runs of `shape` (argumentShape) under
 * this Node version and architecture: `port-health-check-1.2.3-cli-v20.20.2-x64.v8`
 * for a run given no option, `port-health-check-1.2.3-cli.0a1b2c3d-v20.20.2-x64.v8` otherwise;
 * with `mark` (bundleMark: which bytes of the bundle), `port-health-check-1.2.3-cli~89abcdef-...`.
 */
export function cacheName(name: CodeCacheName, shape: string, node = process.version, arch = process.arch, mark = ''): string {
  return `${name.bin}-${name.version}-${name.bundle}${mark === '' ? '' : `~${mark}`}${shape === '' ? '' : `.${shape}`}-${node}-${arch}.v8`;
}

/** Pure: which bytes a bundle holds, as 8 hex digits (the low 32 bits of their checksum): each build's entries are its own. */
export function bundleMark(sourceSum: bigint): string {
  return (sourceSum & 0xffffffffn).toString(16).padStart(8, '0');
}

/**
 * Pure: the options a run was given, as 8 hex digits (nameHash of their sorted
 * names, then of `nodeOptions`), or '' for none; what its cache
 * entry is named by (see above). Each word of `args` before `--` that starts
 * with `-` and is longer counts: `--name` (of `--name=value` too) or each
 * letter of `-abc`, in any order, however often. Values and operands do not:
 * `--service api` and `--service db` share an entry, as runs that go through
 * the same code. `nodeOptions` (Node's execArgv, then NODE_OPTIONS) count
 * word for word, values too, since V8's flags are held with their values. No
 * regular expression and few calls: the loader compiles this at every start.
 */
export function argumentShape(args: readonly string[], nodeOptions: readonly string[] = []): string {
  const names: string[] = [];
  for (const arg of args) {
    if (arg === '--') break;
    if (arg.length < 2 || arg.charCodeAt(0) !== 45) continue; // an operand, a value or `-` (stdout)
    if (arg.charCodeAt(1) === 45) {
      const equals = arg.indexOf('=');
      names.push(equals < 0 ? arg : arg.slice(0, equals));
    } else {
      for (let i = 1; i < arg.length; i++) names.push(`-${arg[i]}`);
    }
  }
  if (names.length === 0 && nodeOptions.length === 0) return '';
  names.sort();
  // Each word and a 0 after it (`-a -b` and `-a-b` hash apart); Node's options after a 1 (never an option name).
  let key = '';
  let previous: string | undefined;
  for (const name of names) {
    if (name !== previous) key += `${name}\0`;
    previous = name;
  }
  for (const option of nodeOptions) key += `\u0001${option}\0`;
  return nameHash(key);
}

/**
 * Pure: whether `file` is, exactly, the name of an entry of the same bundle as
 * `name`, made for runs of any options by any build (bundleMark) of any version
 * of its package (semver) under any Node version and architecture; nothing else in the directory (a
 * registry entry, another bin's or bundle's entry, a temporary file) is.
 */
export function isEntryOfBundle(file: string, name: CodeCacheName): boolean {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^${literal(name.bin)}-${SEMVER}-${literal(name.bundle)}(?:~[0-9a-f]{8})?(?:\\.[0-9a-f]{8})?-v\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.]+)?-[a-z0-9]+\\.v8$`,
  ).test(file);
}

const SEMVER = '\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?';

/**
 * An entry's first bytes: 8 that say which checksum it holds (checksum.ts),
 * then the bundle's length and the data's (u32), the bundle's checksum and
 * the data's (u64), little-endian; then the data. An entry of the other
 * checksum is none (a Node that has the CRC writes its own).
 */
const ENTRY_MAGIC: Readonly<Record<Checksummer['kind'], readonly number[]>> = {
  wasm64: [0x64, 0x73, 0x61, 0x31, 0x31, 0x30, 0x63, 0x32], // "dsa110c2"
  crc32: [0x64, 0x73, 0x61, 0x31, 0x31, 0x30, 0x63, 0x33], // "dsa110c3"
};
export const ENTRY_HEADER_BYTES = 32;

/** An entry of V8's `data` for a bundle of `sourceLength` bytes with checksum `sourceSum`; undefined where no checksummer runs (checksum.ts). */
function entryOf(sourceLength: number, sourceSum: bigint, data: Uint8Array, sums: Checksummer): Buffer | undefined {
  const dataSum = checksum(data, sums);
  if (dataSum === undefined) return undefined;
  const entry = Buffer.alloc(ENTRY_HEADER_BYTES + data.length);
  entry.set(ENTRY_MAGIC[sums.kind]);
  entry.writeUInt32LE(sourceLength, 8);
  entry.writeUInt32LE(data.length, 12);
  entry.writeBigUInt64LE(sourceSum, 16);
  entry.writeBigUInt64LE(dataSum, 24);
  entry.set(data, ENTRY_HEADER_BYTES);
  return entry;
}

/**
 * Where V8's data is in `memory`: the entry of `entryLength` bytes at
 * `entryAt`, when it was made from the bundle of `sourceLength` bytes with
 * checksum `sourceSum` and is whole (see above); else undefined.
 */
function dataAt(sums: Checksummer, memory: Uint8Array, sourceLength: number, sourceSum: bigint, entryAt: number, entryLength: number): number | undefined {
  if (entryLength <= ENTRY_HEADER_BYTES) return undefined;
  const magic = ENTRY_MAGIC[sums.kind];
  for (let i = 0; i < magic.length; i++) if (memory[entryAt + i] !== magic[i]) return undefined;
  const header = new DataView(memory.buffer, memory.byteOffset + entryAt, ENTRY_HEADER_BYTES);
  const dataLength = entryLength - ENTRY_HEADER_BYTES;
  if (header.getUint32(8, true) !== sourceLength || header.getUint32(12, true) !== dataLength) return undefined;
  if (header.getBigUint64(16, true) !== sourceSum) return undefined;
  return header.getBigUint64(24, true) === sums.sum(entryAt + ENTRY_HEADER_BYTES, dataLength) ? entryAt + ENTRY_HEADER_BYTES : undefined;
}

/** Pure: the cache entry of V8's `data` for the bundle `source` (see above); undefined where no checksummer runs (checksum.ts). */
export function encodeEntry(source: Uint8Array, data: Uint8Array): Buffer | undefined {
  const sums = checksummer();
  const sourceSum = sums && checksum(source, sums);
  return sums && sourceSum !== undefined ? entryOf(source.length, sourceSum, data, sums) : undefined;
}

/** Pure: V8's data from an entry, when the entry was made from exactly `source` and is whole; else (or where no checksummer runs) undefined. */
export function decodeEntry(entry: Uint8Array | undefined, source: Uint8Array): Buffer | undefined {
  const sums = entry && checksummer();
  if (entry === undefined || sums === undefined) return undefined;
  const entryAt = align8(source.length);
  const memory = sums.memory(entryAt + entry.length);
  memory.set(source);
  memory.set(entry, entryAt);
  const at = dataAt(sums, memory, source.length, sums.sum(0, source.length), entryAt, entry.length);
  return at === undefined ? undefined : Buffer.from(memory.subarray(at, entryAt + entry.length));
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** CommonJS's module wrapper, around a bundle that the loader runs. */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) {';
const WRAPPER_END = '\n})';

/** Pure: the bundle `source` inside CommonJS's module wrapper, as the build writes a bundle run from a code cache (prewrap). */
export function wrapCommonJs(source: string): string {
  return `${WRAPPER_START}${source}${WRAPPER_END}`;
}

/** Pure: the text V8 compiles for a bundle file's `text`: the text itself when the build wrapped it (no copy is made), else the text wrapped. */
export function compiledText(text: string): string {
  return text.startsWith(WRAPPER_START) && text.endsWith(WRAPPER_END) ? text : wrapCommonJs(text);
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
  const sums = dir === undefined ? undefined : name.crcOnly ? crc32Checksummer(env) : checksummer(env);
  const vm = require('node:vm') as typeof import('node:vm');
  // No cache, or no memory for the checksum: compiled as usual.
  const compileOnly = () => run(new vm.Script(compiledText(readFileSync(bundle, 'utf8')), { filename: bundle }), bundle, module, require);
  if (dir === undefined || sums === undefined) return compileOnly();
  const nodeOptions = env.NODE_OPTIONS ? [...process.execArgv, env.NODE_OPTIONS] : process.execArgv;
  const shape = argumentShape(process.argv.slice(2), nodeOptions);
  const read = readBundleAndEntry(bundle, dir, (sourceSum) => cacheName(name, shape, process.version, process.arch, bundleMark(sourceSum)), sums);
  if (read === undefined) return compileOnly();
  const { text, sourceLength, sourceSum, cachedData, file } = read;
  const script: Script = new vm.Script(compiledText(text), {
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
        const entry = entryOf(sourceLength, sourceSum, script.createCachedData(), sums);
        const isEntry = (other: string) => isEntryOfBundle(other, name);
        if (entry !== undefined && writeCacheFile(dir, file, entry, isEntry)) pruneCacheFiles(dir, isEntry, KEEP_CODE_CACHES, file);
      } catch {
        // no cache, then
      }
    });
  }
  return run(script, bundle, module, require);
}

/** Runs the bundle's compiled module wrapper as `module`; its exports. */
function run(script: Script, bundle: string, module: NodeJS.Module, require: NodeJS.Require): unknown {
  (script.runInThisContext() as CommonJsWrapper)(module.exports, require, module, bundle, bundle.slice(0, bundle.lastIndexOf('/')));
  return module.exports;
}

/**
 * The bundle's text, with its length in bytes and their checksum; and V8's
 * data from the cache entry `dir/file`, when the entry is trusted (cache.ts),
 * was made from these bytes and is whole. Both are read into the checksum's
 * memory at 0, the entry over the bundle's bytes once they are summed and
 * decoded (pages already touched, see above). Undefined when the memory
 * cannot hold them; a bundle that cannot be read throws, as require() would.
 */
function readBundleAndEntry(
  bundle: string,
  dir: string,
  fileOf: (sourceSum: bigint) => string,
  sums: Checksummer,
): { text: string; sourceLength: number; sourceSum: bigint; file: string; cachedData?: Buffer } | undefined {
  const bundleFd = openSync(bundle, 'r');
  let entry: ReturnType<typeof openCacheFile>;
  try {
    const size = fstatSync(bundleFd).size;
    let memory: Uint8Array;
    try {
      // With room for an entry a little larger than the bundle (the health check's is 1.3 times it): one allocation.
      memory = sums.memory(Math.ceil(size * 1.5));
    } catch {
      return undefined; // the memory cannot grow (a limit on the process's data, LimitDATA=)
    }
    const sourceLength = readAll(bundleFd, memory, 0, size);
    const sourceSum = sums.sum(0, sourceLength);
    const text = bundleText(Buffer.from(memory.buffer, memory.byteOffset, sourceLength));
    // The entry's name holds the bundle's checksum: known only now.
    const file = fileOf(sourceSum);
    entry = openCacheFile(dir, file);
    if (entry === undefined) return { text, sourceLength, sourceSum, file };
    let entryLength: number;
    try {
      memory = sums.memory(entry.size);
      entryLength = readAll(entry.fd, memory, 0, entry.size);
    } catch {
      // An entry that cannot be read (EIO), or no memory for it, is none: the bin runs, compiling as usual.
      return { text, sourceLength, sourceSum, file };
    }
    const at = dataAt(sums, memory, sourceLength, sourceSum, 0, entryLength);
    if (at === undefined) return { text, sourceLength, sourceSum, file };
    return { text, sourceLength, sourceSum, file, cachedData: Buffer.from(memory.buffer, memory.byteOffset + at, entryLength - at) };
  } finally {
    closeSync(bundleFd);
    if (entry !== undefined) closeSync(entry.fd);
  }
}

/**
 * A bundle's bytes as text. esbuild writes ASCII (it escapes the rest), and
 * ASCII is its own latin1, which is a copy, where decoding UTF-8 goes byte by
 * byte: 0.5 ms for the health check's 351 KB bundle at every start (2-core
 * EPYC, Node 20.20, `node -e 0` 22 ms). Anything else is decoded as UTF-8.
 */
function bundleText(bytes: Buffer): string {
  return typeof isAscii === 'function' && isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** Read up to `length` bytes of `fd` into `memory` at `at`: how many there were. */
function readAll(fd: number, memory: Uint8Array, at: number, length: number): number {
  let done = 0;
  for (let read = -1; done < length && read !== 0; done += read) read = readSync(fd, memory, at + done, length - done, done);
  return done;
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
