// Reading a file a user named, safely: the registry, unit files and drop-ins,
// config files, `ports docs --file`. A FIFO, device, socket or directory is
// refused at once (never opened for a blocking read: a FIFO would hang, and
// /dev/urandom or /dev/zero would flood), and no read goes past the size
// limit whatever stat() said (/proc files say 0, a growing file says less).
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { describeArgument, integerArgument, maxBytesOption, objectArgument, pathArgument } from '../arguments.js';
import { escapeText, quoteValue } from '../escape.js';
import { withoutStackTraces } from '../stack-traces.js';
import { decodeKeepingBadBytes, fileSystemPath } from '../utf8.js';

/** `link`: as root, a symbolic link on the way that another user owns, never followed (root-read.ts). */
export type ReadFailure = 'missing' | 'denied' | 'not-regular' | 'too-large' | 'changed' | 'link' | 'io';

/** Why a file could not be read; `reason` is a short phrase for a one-line error. */
export class FileReadError extends Error {
  override name = 'FileReadError';
  readonly path: string;
  readonly kind: ReadFailure;
  readonly reason: string;
  readonly code: string | undefined;

  constructor(path: string, kind: ReadFailure, reason: string, code?: string) {
    super(`${path}: ${reason}`);
    this.path = path;
    this.kind = kind;
    this.reason = reason;
    this.code = code;
  }
}

export interface ReadOptions {
  /** Refuse a file longer than this many bytes. */
  readonly maxBytes: number;
}

/** `a FIFO (named pipe)`, `a directory`, ... for a file that is not regular. */
export function fileKind(info: Stats): string {
  if (typeof objectArgument('fileKind', 'info', info, 'a Stats from fs.stat').isFile !== 'function')
    throw new TypeError('fileKind: info must be a Stats from fs.stat or fs.lstat (it has no isFile())');
  if (info.isFile()) return 'a regular file';
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Read only; never waiting (a FIFO without a writer, a device), never taking a terminal as the controlling one. A regular file ignores both. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
/** OPEN_FLAGS, for a name lstat said is no link: a link put there since is refused (ELOOP), never followed. */
const NOFOLLOW_FLAGS = OPEN_FLAGS | (constants.O_NOFOLLOW ?? 0);

/**
 * The file a check before the open approved (rootOnlyWalk, as root: every
 * link on the way judged): its lstat and its host path with those links
 * resolved, or undefined when the check did not reach it. openRegularFile
 * then opens that path without following a link and refuses a descriptor of
 * another inode, so root reads the very file the check approved.
 */
export interface ApprovedFile {
  readonly file: { readonly info: Stats; readonly path: string } | undefined;
}

/** The words of a `changed` FileReadError. */
export const PATH_CHANGED =
  'the path changed while it was being read (something replaced a file or directory on the way between the check and the open); nothing was read from it: find what replaces it, and keep the file where only its owner and root can change it';

/**
 * Open a regular file (FileReadError for anything else) and fstat it. lstat
 * first (stat too, for a link), so that a device is never even opened (opening
 * one can have effects); fstat after, on the descriptor, so that a swap
 * between the two is caught too: a descriptor of another inode than the one
 * looked at is refused (`changed`), never read, and a name lstat said is no
 * link is opened O_NOFOLLOW, so a link to a device put there since is never
 * followed. A link's target replaced between the stat and the open, or a
 * directory on the way (by whoever owns the one above it), can still have a
 * FIFO or device opened before fstat refuses it: never read, and, by
 * OPEN_FLAGS, the open never waits for a FIFO's writer (O_NONBLOCK) and a
 * terminal never becomes the controlling one (O_NOCTTY); whatever a
 * device's driver does on an open is the window left. A hard link to another's file (the kernel's fs.protected_hardlinks) is out of
 * scope: it is the same inode whatever the name. The caller closes `fd`.
 *
 * `approved` (as root, load.ts): the walk's lstat stands for the first one.
 *
 * `statFirst` false (readSystemFileBytes) leaves out the stat: the open never
 * waits (O_NONBLOCK) and fstat still refuses what is not a regular file, but
 * a device at the path is opened before it is refused.
 */
export function openRegularFile(path: string, statFirst = true, approved?: ApprovedFile): { fd: number; info: Stats } {
  // A file replaced by a rename between the look and the open (an editor's save, the atomic write the README advises
  // for ports.yaml, made while a tool reads it) is looked at again: the new file is read, where the reader failed with
  // `changed` (3-8% of reads during a rename loop). Only a path that keeps changing is refused. A file the walk
  // approved (`approved`) is looked at again by walking again: the caller's (load.ts, readRegistryFile).
  for (let tries = 1; ; tries++) {
    try {
      return openRegularFileOnce(path, statFirst, approved);
    } catch (error) {
      if (approved !== undefined || tries >= CHANGED_ATTEMPTS || !isChanged(error)) throw error;
    }
  }
}

/**
 * How many times a reader looks at a path whose file was replaced while it read (`changed`) before it refuses it: a
 * rename lands between two steps of a read only now and then, and never this many times in a row unless something
 * replaces the file on purpose, again and again.
 */
export const CHANGED_ATTEMPTS = 5;

/** Whether `error` is a FileReadError for a path that changed while it was read (openRegularFile retries those). */
export function isChanged(error: unknown): boolean {
  return error instanceof FileReadError && error.kind === 'changed';
}

function openRegularFileOnce(path: string, statFirst: boolean, approved: ApprovedFile | undefined): { fd: number; info: Stats } {
  // A byte that is not UTF-8, kept as U+DC80+byte (a --registry path read back from /proc/self/cmdline), is opened as that byte.
  let target = fileSystemPath(path);
  let looked: Stats | undefined;
  let flags = OPEN_FLAGS;
  if (approved !== undefined) {
    if (approved.file === undefined) {
      // The walk reached no file: the stat says why (missing, a loop, ...); a file there now was not there when judged.
      const info = attempt(path, () => statSync(target, { throwIfNoEntry: false }));
      if (info === undefined) throw withoutStackTraces(() => missingFile(path));
      // A path ending in `..` or `/` names a directory the walk does not end at: said as such.
      refuseIrregular(path, info);
      throw new FileReadError(path, 'changed', PATH_CHANGED);
    }
    // `ports.yaml/` (or `ports.yaml/.`) asks for a directory, which the kernel refuses (ENOTDIR); the walk, by parts, ends at the file.
    // A directory so named (`/etc/dsa110/`) is one: said as such, as without the slash.
    if (/\/\.?$/.test(path)) {
      if (approved.file.info.isDirectory()) refuseIrregular(path, approved.file.info);
      throw withoutStackTraces(() => missingFile(path));
    }
    looked = approved.file.info;
    target = fileSystemPath(approved.file.path);
    flags = NOFOLLOW_FLAGS;
    refuseIrregular(path, looked);
  } else if (statFirst) {
    // A missing file (ENOENT, ENOTDIR) is a common answer, by the hundred for the
    // health check on a big registry: no exception from Node, and ours without a
    // stack trace, which nobody reads (together about 40 µs a file before).
    const info = attempt(path, () => lstatSync(target, { throwIfNoEntry: false }));
    if (info === undefined) throw withoutStackTraces(() => missingFile(path));
    if (info.isSymbolicLink()) {
      looked = attempt(path, () => statSync(target, { throwIfNoEntry: false }));
      if (looked === undefined) throw withoutStackTraces(() => missingFile(path));
    } else {
      looked = info;
      flags = NOFOLLOW_FLAGS;
    }
    refuseIrregular(path, looked);
  }
  const fd = attempt(path, () => {
    try {
      return openSync(target, flags);
    } catch (error) {
      // O_NOFOLLOW met a link where lstat saw none.
      if (flags === NOFOLLOW_FLAGS && (error as NodeJS.ErrnoException).code === 'ELOOP') throw new FileReadError(path, 'changed', PATH_CHANGED, 'ELOOP');
      throw error;
    }
  });
  try {
    const info = attempt(path, () => fstatSync(fd));
    if (looked !== undefined && (info.ino !== looked.ino || info.dev !== looked.dev)) throw new FileReadError(path, 'changed', PATH_CHANGED);
    refuseIrregular(path, info);
    return { fd, info };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * The bytes of a regular file, at most `maxBytes` of them; throws FileReadError
 * (never hangs) for anything else. Symbolic links are followed. The Buffer
 * may be a view of a larger one (its `.buffer`), as Node's pooled Buffers are:
 * copy it (`Buffer.from(bytes)`) to keep only these bytes.
 */
export function readFileBytes(path: string, options: ReadOptions): Buffer {
  pathArgument('readFileBytes', 'path', path);
  maxBytesOption('readFileBytes', options);
  return readRegularFile(path, options.maxBytes, 'stat');
}

/**
 * readFileBytes for a system file at a path a program chose (the system
 * readers' /proc files under a caller's procRoot, /etc/passwd): procfs files
 * are regular files whose stat says size 0, so they are read to their end, at
 * most `maxBytes`; a FIFO, device, socket or directory is refused by fstat on
 * the open descriptor, without the stat before the open, which every /proc
 * read would pay for nothing (the open, O_NONBLOCK, never waits): the system
 * calls of readFileSync (open, fstat, read, close). Not for a path from a
 * user: readFileBytes never opens a device at all.
 *
 * `kernelFile`: the caller knows the path is one of the kernel's own procfs
 * files (`/proc/PID/stat` under the real /proc), a regular file whatever
 * happens; the fstat is left out too (a system call and a Stats object, about
 * 2.4 µs a file: three files for each holder of a snapshot). The open still
 * never waits, and the read is still bounded.
 */
export function readSystemFileBytes(path: string, maxBytes: number, kernelFile = false): Buffer {
  // Exported: checked as every function of the module is (typeof checks, nanoseconds beside the open).
  pathArgument('readSystemFileBytes', 'path', path);
  integerArgument('readSystemFileBytes', 'maxBytes', maxBytes, 0, Number.MAX_SAFE_INTEGER, 'a number of bytes');
  // Only `true` leaves out the fstat: a truthy 'no' must not.
  if (typeof kernelFile !== 'boolean') throw new TypeError(`readSystemFileBytes: kernelFile must be a boolean, not ${describeArgument(kernelFile)}`);
  return readRegularFile(path, maxBytes, kernelFile ? 'none' : 'fstat');
}

/** What is checked before a read: stat and fstat, fstat alone, or nothing (a kernel file, see readSystemFileBytes). */
type RegularCheck = 'stat' | 'fstat' | 'none';

function readRegularFile(path: string, limit: number, check: RegularCheck, approved?: ApprovedFile, beyond: 'refuse' | 'cut' = 'refuse'): Buffer {
  const opened = check === 'none' ? undefined : openRegularFile(path, check === 'stat', approved);
  const fd = opened?.fd ?? attempt(path, () => openSync(fileSystemPath(path), OPEN_FLAGS));
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    // A regular file's size is known (fstat): read that much, plus the byte that
    // tells "exactly the limit" from "more". After a short read (the end, as a
    // rule), the read that confirms it takes a small buffer from Node's shared
    // pool: a fresh 64 KiB for each of them made every small file cost two
    // allocations and a copy. A kernel file (size 0 to stat) reads 64 KiB at once.
    let want = opened === undefined || opened.info.size === 0 ? CHUNK_BYTES : opened.info.size + 1;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(want, limit + 1 - total));
      const read = attempt(path, () => readSync(fd, chunk, 0, chunk.length, null));
      if (read === 0) break;
      chunks.push(read === chunk.length ? chunk : chunk.subarray(0, read));
      total += read;
      if (total > limit) {
        if (beyond === 'refuse') throw new FileReadError(path, 'too-large', `it is larger than ${formatBytes(limit)}`);
        chunks[chunks.length - 1] = chunks.at(-1)!.subarray(0, chunks.at(-1)!.length - (total - limit));
        return Buffer.concat(chunks, limit);
      }
      want = read < chunk.length ? CONFIRM_BYTES : CHUNK_BYTES;
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

const CHUNK_BYTES = 64 * 1024;
/** Below Buffer.poolSize / 2, so taken from Node's shared pool. */
const CONFIRM_BYTES = 1024;

/**
 * Whether readFileBytes could read this file, checked without reading it: it
 * exists, is a regular file (stat, then open without blocking and fstat), this
 * user may open it, and stat() says it is no larger than `maxBytes`. Throws
 * the FileReadError readFileBytes would; a few system calls, no read.
 */
export function checkFileReadable(path: string, options: ReadOptions): void {
  pathArgument('checkFileReadable', 'path', path);
  checkApprovedFileReadable(path, { maxBytes: maxBytesOption('checkFileReadable', options) });
}

/**
 * readFileBytes (`approved` undefined), or, as root, the bytes of the very
 * file `approved` names (openRegularFile): the registry's reader, load.ts.
 */
export function readApprovedFileBytes(path: string, limits: { maxBytes: number; approved?: ApprovedFile | undefined }): Buffer {
  return readRegularFile(path, limits.maxBytes, 'stat', limits.approved);
}

/**
 * The first `maxBytes` bytes of the file readApprovedFileBytes would read, however large it is: where a file refused
 * for its size is still read for what it protects (load.ts).
 */
export function readApprovedFilePrefix(path: string, limits: { maxBytes: number; approved?: ApprovedFile | undefined }): Buffer {
  return readRegularFile(path, limits.maxBytes, 'stat', limits.approved, 'cut');
}

/** checkFileReadable, of the very file `approved` names when it is given (load.ts's checkRegistryFile). */
export function checkApprovedFileReadable(path: string, limits: { maxBytes: number; approved?: ApprovedFile | undefined }): void {
  const { fd, info } = openRegularFile(path, true, limits.approved);
  try {
    if (info.size > limits.maxBytes) throw new FileReadError(path, 'too-large', `it is larger than ${formatBytes(limits.maxBytes)}`);
  } finally {
    closeSync(fd);
  }
}

/** readFileBytes, decoded as UTF-8. */
export function readTextFile(path: string, options: ReadOptions): string {
  pathArgument('readTextFile', 'path', path);
  maxBytesOption('readTextFile', options);
  return readFileBytes(path, options).toString('utf8');
}

function refuseIrregular(path: string, info: Stats): void {
  if (!info.isFile()) throw new FileReadError(path, 'not-regular', `it is ${fileKind(info)}, not a regular file`);
}

/**
 * The FileReadError for a path that names nothing (ENOENT, ENOTDIR): kind
 * `missing` either way, as no file is there to read, but when a part of the
 * path is a file, not a directory (`ports.yaml/x`), the reason names it, since
 * "no such file" would send the reader looking for a file that is there. The
 * first existing part above says which: a stat or two, only for a missing file.
 */
function missingFile(path: string): FileReadError {
  // `ports.yaml/` (a trailing slash) asks for ports.yaml itself to be a directory.
  const first = path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : dirname(path);
  for (let part = first, below = path; part !== below; below = part, part = dirname(part)) {
    let info: Stats | undefined;
    try {
      info = statSync(fileSystemPath(part), { throwIfNoEntry: false });
    } catch (error) {
      // A part above is not a directory either (stat says ENOTDIR, not undefined): look further up.
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      break; // Denied or worse: "no such file" is all that is known.
    }
    if (info === undefined) continue;
    if (info.isDirectory()) break;
    return new FileReadError(path, 'missing', `${escapeText(part)} is ${fileKind(info)}, not a directory`, 'ENOTDIR');
  }
  // A symbolic link to nothing (a file system not mounted, a file moved): said so, where "no such file" would send the
  // reader looking for a name that is there.
  const target = danglingTarget(path);
  if (target !== undefined)
    return new FileReadError(path, 'missing', `it is a symbolic link to ${quoteValue(target, 200)}, which names no file (not there, or not mounted)`, 'ENOENT');
  return new FileReadError(path, 'missing', 'no such file', 'ENOENT');
}

/** The target of the symbolic link at `path` (as bytes kept, U+DC80+byte), or undefined for anything else. */
function danglingTarget(path: string): string | undefined {
  try {
    return decodeKeepingBadBytes(readlinkSync(fileSystemPath(path), { encoding: 'buffer' }));
  } catch {
    return undefined; // not a link, or not there
  }
}

function attempt<T>(path: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    switch (code) {
      case 'ENOENT':
      case 'ENOTDIR':
        throw missingFile(path);
      case 'EACCES':
      case 'EPERM':
        throw new FileReadError(path, 'denied', 'permission denied', code);
      case 'EISDIR':
        throw new FileReadError(path, 'not-regular', 'it is a directory, not a regular file', code);
      case 'ELOOP':
        throw new FileReadError(path, 'io', 'too many levels of symbolic links', code);
      case 'ENAMETOOLONG':
        throw new FileReadError(path, 'io', 'the path is too long (a name over 255 bytes, or over 4095 in all)', code);
      case 'EIO':
        throw new FileReadError(path, 'io', 'input/output error reading it', code);
      case 'EAGAIN':
        throw new FileReadError(path, 'not-regular', 'it would block (not a regular file)', code);
      // The process's own limit, or the system's: nothing about the file (a unit's LimitNOFILE=, a shell's ulimit -n).
      case 'EMFILE':
        throw new FileReadError(path, 'io', 'too many open files in this process (EMFILE): raise its limit (ulimit -n, or LimitNOFILE= in its unit)', code);
      case 'ENFILE':
        throw new FileReadError(path, 'io', "the system's table of open files is full (ENFILE)", code);
      case 'ENOMEM':
        throw new FileReadError(path, 'io', 'out of memory (ENOMEM)', code);
      default:
        throw new FileReadError(path, 'io', code ?? String((error as Error)?.message ?? error).slice(0, 200), code);
    }
  }
}

export function formatBytes(bytes: number): string {
  integerArgument('formatBytes', 'bytes', bytes, 0, Number.MAX_SAFE_INTEGER, 'a number of bytes');
  if (bytes >= 1048576 && bytes % 1048576 === 0) return `${bytes / 1048576} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** stat(2) of `path` (links followed), or undefined when it cannot be had, whatever the reason: for a look that decides nothing alone. */
export function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** lstat(2) of `path` (a link itself), or undefined when it cannot be had, whatever the reason. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
