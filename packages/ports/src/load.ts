import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUNDLED_SOURCE } from './bundled-source.js';
import { cacheDir, type RootOnlyStep } from './cache.js';
import { foreignLinkReason, rootApproval } from './files/root-read.js';
import { RegistryError, type SalvagedProtection } from './errors.js';
import {
  type ApprovedFile,
  CHANGED_ATTEMPTS,
  checkApprovedFileReadable,
  FileReadError,
  isChanged,
  readApprovedFileBytes,
  readApprovedFilePrefix,
} from './files/read.js';
import { bundledRegistry, type ServiceId } from './generated/registry.js';
import { loadParser, type Parser } from './load-parser.js';
import { isParserNotInstalled } from './parser-file.js';
import { pollutedKeys } from './polluted.js';
import { describeArgument, envArgument, envValue, optionsArgument } from './arguments.js';
import { Registry } from './registry.js';
import { MAX_PROTECTION_SCAN_BYTES, MAX_REGISTRY_BYTES, REGISTRY_TOO_LARGE } from './limits.js';
import { throughLastLineBreak } from './claim-sections.js';
import { MIN_PROTECTED_PIDS_UP_TO } from './builtin-protection.js';
import { readCachedRegistry, writeCachedRegistry, type RegistryCache } from './registry-cache.js';
import { decodeKeepingBadBytes, utf8Problem } from './utf8.js';
import { escapeText } from './escape.js';
import { workingDirectoryGone } from './cli-kit/conventions.js';

/**
 * Set by the build (scripts/build-support.mjs): the package version and a
 * hash of its parser, which name the parsed-registry cache entries this build
 * may use. Undefined in the sources (tests, tsx): no cache.
 */
declare const REGISTRY_CACHE_ID: string | undefined;

/** The environment variable that names a registry file to use instead of the bundled one. */
export const REGISTRY_ENV = 'DSA110_PORTS_FILE';
export { BUNDLED_SOURCE };

export interface LoadOptions {
  /** A ports.yaml to load. Defaults to $DSA110_PORTS_FILE, then the registry bundled with the package. */
  path?: string | undefined;
  /** Where to read DSA110_PORTS_FILE from; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * Where `path` came from, said in an error about reading it, e.g.
   * `from --registry`: "cannot read the registry (from --registry): no such
   * file". Without it: `from $DSA110_PORTS_FILE` when the path came from
   * there, else nothing.
   */
  origin?: string | undefined;
}

export interface ParseOptions {
  /** Shown in error messages as the file name; defaults to `ports.yaml`. */
  source?: string | undefined;
}

let bundled: Registry<ServiceId> | undefined;

/** The registry bundled with this package (validated when the package was built). */
export function bundledRegistryInstance(): Registry<ServiceId> {
  return (bundled ??= new Registry<ServiceId>(bundledRegistry, BUNDLED_SOURCE));
}

/**
 * Which file loadRegistry would read, or undefined for the bundled registry. A $DSA110_PORTS_FILE whose bytes are
 * not UTF-8 names no file Node can open (process.env holds it with U+FFFD): the RegistryError loadRegistry throws
 * for it, not a path to another file.
 */
export function registryPath(options?: LoadOptions): string | undefined {
  const { options: checked, path } = checkedPath('registryPath', options);
  if (path === undefined) return undefined;
  try {
    checkVariableDecoded(path, checked);
  } catch (error) {
    throw readError(path, checked, error);
  }
  return path;
}

type Env = NonNullable<LoadOptions['env']>;

/** Every option of loadRegistry and its kin, one per key of LoadOptions (the compiler holds the two together). */
const LOAD_OPTIONS: Readonly<Record<keyof LoadOptions, true>> = { path: true, env: true, origin: true };
const LOAD_KEYS = Object.keys(LOAD_OPTIONS);
/** parseRegistry's, one per key of ParseOptions. */
const PARSE_OPTIONS: Readonly<Record<keyof ParseOptions, true>> = { source: true };
const PARSE_KEYS = Object.keys(PARSE_OPTIONS);

/**
 * The options of loadRegistry and its kin, checked (TypeErrors name `fn`), and the file they name.
 * `options` is optionsArgument's copy: own properties only, never one inherited through a prototype.
 */
function checkedPath(fn: string, given: LoadOptions | undefined): { options: LoadOptions; env: Env; path: string | undefined } {
  const options = optionsArgument(fn, given, LOAD_KEYS);
  if (options.path !== undefined && (typeof options.path !== 'string' || options.path === '')) {
    throw new TypeError(
      `${fn}: options.path must be a non-empty string (a ports.yaml path), not ${options.path === '' ? 'an empty string' : describeArgument(options.path)}`,
    );
  }
  if (options.path?.includes('\0')) throw new TypeError(`${fn}: options.path holds a NUL byte, which no file name can; give the path of a ports.yaml`);
  if (options.origin !== undefined && typeof options.origin !== 'string') {
    throw new TypeError(`${fn}: options.origin must be a string (e.g. "from --registry") or left out, not ${describeArgument(options.origin)}`);
  }
  const env = envArgument(fn, options.env);
  if (options.path !== undefined) return { options, env, path: options.path };
  const fromEnv = envValue(fn, env, REGISTRY_ENV);
  return { options, env, path: fromEnv ? fromEnv : undefined };
}

/**
 * Loads the registry: options.path, else the file $DSA110_PORTS_FILE names, else the bundled one.
 *
 * Typed by what the compiler can know. With no options it is the bundled registry's ids (ServiceId):
 * what a DSA-110 service gets, unless deployment sets $DSA110_PORTS_FILE, which no compiler sees
 * (an id that file lacks is then UNKNOWN_SERVICE at run time). A `path`, or an `env` that may name
 * another file, gives string ids; `loadRegistry({ env: process.env })` is how code that takes any
 * registry asks for them.
 */
export async function loadRegistry(options?: {
  readonly path?: undefined;
  readonly env?: undefined;
  readonly origin?: undefined;
}): Promise<Registry<ServiceId>>;
export async function loadRegistry(options?: LoadOptions): Promise<Registry>;
export async function loadRegistry(options?: LoadOptions): Promise<Registry> {
  return loadRegistryNow('loadRegistry', options);
}

/**
 * loadRegistry, at once (every step of it is synchronous): for the package's own tools, which must not make a
 * caller's code wait on a promise for nothing (the claim lines' registries of `ports systemd --check`). `fn` names
 * the caller in a TypeError. Not exported from the package: its API stays the promise.
 */
export function loadRegistryNow(fn: string, options?: LoadOptions): Registry {
  // Every variable of a caller's env is checked there (envArgument): the cache's, which only a built
  // package reads and only for a file, are said whatever the file and the build.
  const { options: checked, env, path } = checkedPath(fn, options);
  if (path === undefined) return bundledRegistryInstance();
  // Never blocks: a FIFO, a device or a directory is refused at once, and no
  // more than MAX_REGISTRY_BYTES is read as a registry whatever the file claims (files/read.ts);
  // a larger one only for its claim blocks (readRegistryBytes).
  const bytes = readRegistryFile(path, checked, readRegistryBytes);
  const id = typeof REGISTRY_CACHE_ID === 'string' ? REGISTRY_CACHE_ID : undefined;
  const dir = id === undefined ? undefined : cacheDir(env);
  return parseRegistryFile(bytes, path, dir === undefined || id === undefined ? undefined : { dir, id });
}

/**
 * Throws the RegistryError loadRegistry(options) would throw because its file
 * cannot be read (missing, not a regular file, permission denied, larger than
 * 1 MiB, `-`), checked with a stat and an open, without reading or parsing the
 * file: what a hot path that needs no registry can afford to check on every
 * run. Returns the path that would be read, or undefined for the bundled
 * registry (nothing to check).
 */
export function checkRegistryFile(options?: LoadOptions): string | undefined {
  const { options: checked, path } = checkedPath('checkRegistryFile', options);
  if (path !== undefined) readRegistryFile(path, checked, checkApprovedFileReadable);
  return path;
}

/** What the registry's readers are given: the limit, and, as root, the file the walk approved (files/read.ts). */
export type RegistryLimits = { maxBytes: number; approved?: ApprovedFile | undefined };

/**
 * read(path), with its failure as loadRegistry's RegistryError (saying where the path came from).
 * Exported for the tests only (not from the package): `read` is where they replace the file between the walk and the open.
 */
export function readRegistryFile<T>(path: string, options: LoadOptions, read: (path: string, limits: RegistryLimits) => T): T {
  try {
    if (path === STDIN_PATH) throw new StdinNotSupported();
    checkVariableDecoded(path, options);
    // Only $DSA110_PORTS_FILE can bring one here (a NUL in options.path is a TypeError): said, not the bare ERR_INVALID_ARG_VALUE of fs.
    if (path.includes('\0')) throw new NulInPath();
    // Replaced by a rename between the walk and the open (the atomic write the README advises, made while a tool
    // reads): walked and opened again, the new file read; claim-port fell back to its built-in protected list.
    // (Not as another user: no walk, and the reader looks again itself: openRegularFile.)
    for (let tries = 1; ; tries++) {
      const approved = approvedFile(path);
      try {
        return read(path, { maxBytes: MAX_REGISTRY_BYTES, approved });
      } catch (error) {
        if (approved === undefined || tries >= CHANGED_ATTEMPTS || !isChanged(error)) throw error;
      }
    }
  } catch (error) {
    throw readError(path, options, error);
  }
}

/**
 * The registry's bytes (readApprovedFileBytes); a file refused for its size is read again, its first
 * MAX_PROTECTION_SCAN_BYTES (`readPrefix`), for what its claim blocks protect (Oversize): a log appended to
 * ports.yaml must not let claim-port signal a process the file's claim.protect names. Exported for the tests only
 * (not from the package): `readPrefix` is where they replace the file between the two reads.
 */
export function readRegistryBytes(path: string, limits: RegistryLimits, readPrefix = readApprovedFilePrefix): Buffer {
  try {
    return readApprovedFileBytes(path, limits);
  } catch (error) {
    if (!(error instanceof FileReadError) || error.kind !== 'too-large') throw error;
    let protect: SalvagedProtection | undefined;
    try {
      // One byte more than is read, to tell a file of exactly that size from one cut there.
      const head = readPrefix(path, { ...limits, maxBytes: MAX_PROTECTION_SCAN_BYTES + 1 });
      const text = head.subarray(0, MAX_PROTECTION_SCAN_BYTES).toString('utf8');
      // Cut at its last line break: a block cut in the middle of a line could read as another value.
      protect = protectionRead(path, head.length > MAX_PROTECTION_SCAN_BYTES ? throughLastLineBreak(text) : text);
    } catch (salvageError) {
      // Replaced since the first read (an atomic save): read again from the walk, as any changed file is (readRegistryFile).
      if (isChanged(salvageError)) throw salvageError;
      protect = undefined; // gone since: the built-in list, as for any file that cannot be read
    }
    throw new Oversize(error, protect);
  }
}

/** `error`, reading the registry at `path`, as loadRegistry's RegistryError: named by the path as the process was given it. */
function readError(path: string, options: LoadOptions, given: unknown): RegistryError {
  const error = given instanceof Oversize ? given.cause : given;
  const protect = given instanceof Oversize ? given.protect : undefined;
  const envOrigin = `from $${REGISTRY_ENV}`;
  const origin = options.origin ?? (options.path === undefined ? envOrigin : undefined);
  const fromEnv = origin === envOrigin;
  // The variable's own bytes (`b\xffn.yaml` once escaped), not Node's U+FFFD for them: that names another file.
  const source = error instanceof VariableNotUtf8 ? error.given : path;
  return new RegistryError(source, [{ path: '', message: readProblem(error, origin, fromEnv), line: 0, column: 0 }], protect);
}

/** Node read $DSA110_PORTS_FILE's bytes that are not UTF-8 as U+FFFD: that names another file, or none. VariableNotUtf8 then. */
function checkVariableDecoded(path: string, options: LoadOptions): void {
  if (options.path !== undefined || (options.env !== undefined && options.env !== process.env)) return;
  const bytes = undecodedVariable(REGISTRY_ENV, path);
  if (bytes !== undefined) throw new VariableNotUtf8(decodeKeepingBadBytes(bytes));
}

/**
 * A registry file's bytes, validated (UTF-8 first, utf8.ts): from the parsed-registry cache
 * (registry-cache.ts) when it holds these exact bytes of this file, else
 * parsed, and kept there when valid. Throws RegistryError like parseRegistry.
 */
export function parseRegistryFile(bytes: Buffer, path: string, cache?: RegistryCache): Registry {
  // Before the cache too: bytes that are not UTF-8 are never read as a registry with U+FFFD in them. But what the
  // file protects still counts, read with U+FFFD for the bad bytes (protection only grows): a Latin-1 comment an
  // editor left must not let a claim signal a process the file's claim.protect names.
  const encoding = utf8Problem(bytes);
  if (encoding !== undefined) throw new RegistryError(path, [encoding], protectionRead(path, bytes.toString('utf8')));
  const absolute = resolve(path);
  if (cache !== undefined) {
    const cached = readCachedRegistry(cache, absolute, bytes);
    if (cached !== undefined) {
      try {
        return new Registry(cached, path);
      } catch {
        // a corrupt entry: parse the file
      }
    }
  }
  const result = parserFor(path).parseRegistryText(bytes.toString('utf8'));
  if (!result.ok) throw new RegistryError(path, result.issues, result.protect);
  if (cache !== undefined) writeCachedRegistry(cache, absolute, bytes, result.data);
  return new Registry(result.data, path);
}

/** What `text` protects (RegistryError.protect) when it is not to be used as a registry: its claim.protect, never unprotectBuiltin. */
function protectionRead(source: string, text: string): SalvagedProtection | undefined {
  const result = parserFor(source).parseRegistryText(text);
  if (!result.ok) return result.protect;
  const { processes, pidsUpTo } = result.data.claim.protect;
  // pidsUpTo is the schema's default (the built-in floor, which applies anyway) unless the file raised it: said only then.
  // Nothing of its own: none (RegistryError.protect is absent when the file names no protection).
  if (processes.length === 0 && pidsUpTo <= MIN_PROTECTED_PIDS_UP_TO) return undefined;
  return { processes, ...(pidsUpTo > MIN_PROTECTED_PIDS_UP_TO && { pidsUpTo }) };
}

/** Validate registry text already in memory. Throws RegistryError with every problem found. */
export function parseRegistry(text: string, options?: ParseOptions): Registry {
  if (typeof text !== 'string') {
    const hint = (text as unknown) instanceof Uint8Array ? ' (decode the bytes first: .toString("utf8"), or use loadRegistry({ path }))' : '';
    throw new TypeError(`parseRegistry: text must be a string (the YAML of a ports.yaml), not ${describeArgument(text)}${hint}`);
  }
  const { source: given } = optionsArgument('parseRegistry', options, PARSE_KEYS);
  if (given !== undefined && (typeof given !== 'string' || given === '')) {
    throw new TypeError(
      `parseRegistry: options.source must be a non-empty string (the file name for messages) or left out, not ${given === '' ? 'an empty string' : describeArgument(given)}`,
    );
  }
  const source = given ?? 'ports.yaml';
  const result = parserFor(source).parseRegistryText(text);
  if (!result.ok) throw new RegistryError(source, result.issues, result.protect);
  return new Registry(result.data, source);
}

/**
 * `-`, which many tools read as standard input, is refused for every reader of
 * the registry (the three commands' --registry, $DSA110_PORTS_FILE, the
 * library). Not supported, by decision: claim-port runs from ExecStartPre=
 * with stdin on /dev/null; the registry is read without ever blocking (a pipe
 * is refused, files/read.ts); its path keys the parsed-registry cache, names
 * the file in every error (file:line:col) and is what port-health-check
 * --output must not overwrite. A file named `-` is `./-`.
 */
const STDIN_PATH = '-';

class StdinNotSupported extends Error {}

class NulInPath extends Error {}

/** The registry file is over MAX_REGISTRY_BYTES (`cause`); `protect`: what its claim blocks protect (readRegistryBytes). */
class Oversize extends Error {
  override readonly cause: FileReadError;
  readonly protect: SalvagedProtection | undefined;
  constructor(cause: FileReadError, protect: SalvagedProtection | undefined) {
    super(cause.message);
    this.cause = cause;
    this.protect = protect;
  }
}

/** $DSA110_PORTS_FILE is not UTF-8: `given` holds its bytes, each bad one kept as decodeKeepingBadBytes keeps it. */
class VariableNotUtf8 extends Error {
  readonly given: string;
  constructor(given: string) {
    super('not UTF-8');
    this.given = given;
  }
}

/** A link on the way to the registry that root, running this, does not own. */
class ForeignLink extends Error {
  readonly link: RootOnlyStep;
  constructor(link: RootOnlyStep) {
    super(link.why);
    this.link = link;
  }
}

/**
 * As root, the file at `path` the walk approved (rootOnlyWalk), which is then
 * the only one read (files/read.ts: the descriptor's inode must be the
 * walk's); ForeignLink for the first symbolic link on the way (the file, or a
 * directory above it) that root does not own. Its owner chose where it
 * points: followed, it would have root read any file (a root-only one, whose
 * lines a parse error then quotes) as the registry, and decide by it what
 * root's claim-port signals. The kernel's protected_symlinks refuses the same
 * in sticky directories (/tmp); here, everywhere. A few lstat calls (the walk
 * stands for the reader's own), and none for another user: undefined.
 */
function approvedFile(path: string): ApprovedFile | undefined {
  const approval = rootApproval(path);
  if (approval !== undefined && 'link' in approval) throw new ForeignLink(approval.link);
  return approval?.approved;
}

/**
 * The bytes of `name`, when process.env's `value` of it holds U+FFFD because the variable's
 * bytes are not UTF-8 (Node decodes each such byte as U+FFFD), read from
 * /proc/self/environ: the environment the process started with. Only a value
 * with U+FFFD in it is looked up; one the process set since (its bytes then
 * decode to something else), or with no /proc, is taken as it is.
 */
function undecodedVariable(name: string, value: string): Buffer | undefined {
  if (!value.includes('\uFFFD')) return undefined;
  let environ: Buffer;
  try {
    environ = readFileSync('/proc/self/environ');
  } catch {
    return undefined;
  }
  const prefix = Buffer.from(`${name}=`);
  // getenv's entry: the first of the name.
  for (let start = 0; start < environ.length; ) {
    const nul = environ.indexOf(0, start);
    const end = nul === -1 ? environ.length : nul;
    const entry = environ.subarray(start, end);
    if (entry.subarray(0, prefix.length).equals(prefix)) {
      const bytes = entry.subarray(prefix.length);
      return !isUtf8(bytes) && bytes.toString('utf8') === value ? bytes : undefined;
    }
    start = end + 1;
  }
  return undefined;
}

/** Why the registry file cannot be read, saying where its path came from (`origin`) and what to do. */
function readProblem(error: unknown, origin: string | undefined, fromEnv: boolean): string {
  // The origin is the caller's text (`from --registry`): escaped, so the message stays one line.
  const what = `cannot read the registry${origin ? ` (${escapeText(origin, 100)})` : ''}`;
  const hint = fromEnv ? `fix or unset ${REGISTRY_ENV}` : 'check the path';
  if (error instanceof StdinNotSupported) return `${what}: "-" (standard input) is not supported; give the path of a ports.yaml (./- for a file named "-")`;
  if (error instanceof NulInPath) return `${what}: the path holds a NUL byte, which no file name can; ${hint}`;
  if (error instanceof ForeignLink) return `${what}: ${foreignLinkReason(error.link)}`;
  if (error instanceof VariableNotUtf8) {
    return `${what}: $${REGISTRY_ENV} is not UTF-8 (\\ufffd: bytes Node could not decode), so Node cannot name the file; give the file a UTF-8 name (or a symlink with one) and set $${REGISTRY_ENV} to it, or pass loadRegistry({ path })`;
  }
  // A relative path in a directory removed while in use (root's walk asks process.cwd()): said, not `uv_cwd`.
  const gone = workingDirectoryGone(error);
  if (gone !== undefined) return `${what}: ${gone}`;
  if (!(error instanceof FileReadError)) return `${what}: ${String((error as Error)?.message ?? error).slice(0, 200)}`;
  switch (error.kind) {
    case 'missing':
      // `no such file`, or which part of the path is a file, not a directory (`ports.yaml/x`).
      return `${what}: ${error.reason}; ${hint}`;
    case 'denied':
      return `${what}: permission denied; run as a user who can read it, or ${hint}`;
    case 'too-large':
      // The path's origin decides the advice, as for the other read errors: a variable can be fixed or unset.
      // A registry is a few kB: a file this large is another file (a log), so the path is what to check.
      return `${what}: ${REGISTRY_TOO_LARGE}; ${hint}`;
    case 'changed':
      return `${what}: ${error.reason}`;
    case 'not-regular':
      return `${what}: ${error.reason}; ${hint}`;
    default:
      return `${what}: ${error.reason}; ${hint}`;
  }
}

/**
 * The parser (loaded on the first parse, dist/parse.cjs), or a RegistryError
 * for `source` when it cannot load: zod 4 cannot build a schema in a process
 * whose Object.prototype another module polluted, and that is said as one
 * line naming the keys, never a TypeError from inside zod.
 */
function parserFor(source: string): Parser {
  try {
    return loadParser();
  } catch (error) {
    // The installed parser missing, of another version, not trusted or broken (PARSER_NOT_INSTALLED, parser-file.ts):
    // its one line already says what to install, and the tool could not run; not a problem of this registry file.
    if (isParserNotInstalled(error)) throw error;
    const polluted = pollutedKeys();
    const why = String((error as Error)?.message ?? error).slice(0, 200);
    if (polluted.length === 0) {
      // A service bundled by a tool that did not follow the parser's require("#parser") (esbuild does): there is no
      // file to require (one that is there but broken is PARSER_NOT_INSTALLED, above).
      throw new RegistryError(source, [
        {
          path: '',
          message: `cannot load the registry parser (dist/parse.cjs of @dsa110/ports): ${escapeText(why.split('\n')[0] ?? '', 200)}; if this program is bundled, keep @dsa110/ports out of the bundle (esbuild: --external:@dsa110/ports), else reinstall @dsa110/ports`,
          line: 0,
          column: 0,
        },
      ]);
    }
    const keys = `${polluted.join(', ')} ${polluted.length === 1 ? 'is a property' : 'are properties'}`;
    throw new RegistryError(source, [
      {
        path: '',
        message: `cannot load the registry parser in this process: ${keys} that another module set on every object (prototype pollution), and the schema library fails with it (${why}); find and fix the module that sets it`,
        line: 0,
        column: 0,
      },
    ]);
  }
}
