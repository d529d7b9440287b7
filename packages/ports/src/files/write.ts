// Writing a file a user named (`port-health-check --output`, `ports docs
// --file`), by what is at the path:
// - nothing, or a regular file: atomic replace: a temp file in the same
//   directory, fsync, rename over the path (a reader such as node_exporter's
//   textfile collector never sees half a file); an existing file keeps its mode,
//   less write for group and others and the setuid, setgid and sticky bits
//   (one `warning: made FILE 0644: ...` line says so), and, as root, its owner;
//   a temporary file a killed writer of the same path left there is removed
//   (temp-files.ts);
// - a character device (/dev/null, a terminal): written in place, never
//   replaced by a regular file;
// - a FIFO: written in place when a reader has it open, else refused at once
//   (never a hang waiting for one);
// - a symbolic link (/dev/stdout): never replaced; what it points to is written
//   by these same rules (a link to a regular file: that file is replaced
//   atomically, the link stays); a dangling link is refused;
// - a directory, socket or block device: refused, nothing written;
// - `-`: standard output (the caller's `stdout`).
// Every step after the checks (the temporary file, its rename, the sweep of
// killed writers' leftovers, a device's open) works in the directory the
// checks walked and hold open (held-directory.ts), never by the path again.
import {
  fchmodSync,
  fchownSync,
  fstatSync,
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  openSync,
  readSync,
  readlinkSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, normalize, resolve } from 'node:path';
import { escapeText } from '../escape.js';
import { directoryEnding } from './directory-ending.js';
import { fileSystemOf, overridesPermissions } from './file-system.js';
import { fileKind } from './read.js';
import { isElfHead, isScriptHead } from './program-head.js';
import { decodeKeepingBadBytes, encodeKeepingBadBytes, fileSystemPath } from '../utf8.js';
import { findStaleTemps, holdTemp, releaseTemp, removeStaleTemps, tempsOf } from './temp-files.js';
import {
  entryPath,
  type HeldDirectory,
  type UntrustedLink,
  holdAgain,
  holdDirectory,
  releaseDirectory,
  sameFile,
  WalkError,
  type WalkedPath,
  walkHeld,
} from './held-directory.js';
import { describeArgument, modeArgument, optionsArgument, pathArgument, stringArgument } from '../arguments.js';

export type WriteMethod = 'stdout' | 'atomic' | 'in-place';

/** The path writeOutputFile takes for standard output. */
const STDOUT = '-';

export class FileWriteError extends Error {
  override name = 'FileWriteError';
  readonly path: string;
  readonly reason: string;
  readonly code: string | undefined;

  constructor(path: string, reason: string, code?: string) {
    super(`${path}: ${reason}`);
    this.path = path;
    this.reason = reason;
    this.code = code;
  }
}

export interface WriteOptions {
  /** Where `-` goes. */
  readonly stdout?: ((text: string) => void) | undefined;
  /** Mode of a new file (default 0o644): 0-0o777, no write for group or others (modeArgument; a TypeError otherwise). */
  readonly mode?: number | undefined;
  /** Where the line about a replaced file's narrowed mode goes (`warning: made FILE 0644: ...`; default: standard error). */
  readonly warn?: ((line: string) => void) | undefined;
}

/** Every option of writeOutputFile, one per key of WriteOptions (the compiler holds the two together). */
const WRITE_OPTIONS: Readonly<Record<keyof WriteOptions, true>> = { stdout: true, mode: true, warn: true };
const WRITE_OPTION_KEYS = Object.keys(WRITE_OPTIONS);

// A path that holds bytes that are not UTF-8, kept as U+DC80+byte (a --output
// path read back from /proc/self/cmdline), is opened as those bytes: each call
// below takes (path), and a link's target is read as bytes (readLink, and
// held-directory.ts's walk), so that joining names keeps them.
function readLink(path: string): string {
  return decodeKeepingBadBytes(readlinkSync(fileSystemPath(path), { encoding: 'buffer' }));
}

/** Write `text` to `path` by the rules above; returns how it was written. */
export function writeOutputFile(path: string, text: string, options: WriteOptions = {}): WriteMethod {
  pathArgument('writeOutputFile', 'path', path);
  stringArgument('writeOutputFile', 'text', text);
  // A misspelt option (`{ mdoe: 0o600 }`) would leave a secret's file 0644: refused, as every other writer's.
  const checked = optionsArgument('writeOutputFile', options, WRITE_OPTION_KEYS);
  if (checked.stdout !== undefined && typeof checked.stdout !== 'function')
    throw new TypeError(`writeOutputFile: options.stdout must be a function or left out, not ${describeArgument(checked.stdout)}`);
  if (checked.warn !== undefined && typeof checked.warn !== 'function')
    throw new TypeError(`writeOutputFile: options.warn must be a function or left out, not ${describeArgument(checked.warn)}`);
  if (checked.mode !== undefined) modeArgument('writeOutputFile', 'options.mode', checked.mode);
  if (path === STDOUT) {
    if (!checked.stdout) throw new FileWriteError(path, '"-" (standard output) is not supported here');
    checked.stdout(text);
    return 'stdout';
  }
  // `out/` (`out/.`) names a directory whatever is there: never a file called `out`, never "its directory does not exist".
  const spelled = directoryPathProblem(path);
  if (spelled !== undefined) throw new FileWriteError(path, `${spelled} (nothing was written)`);
  // A link another user planted in /tmp (or any sticky, world-writable directory) is never followed, on the path or at its end.
  const hostile = plantedLink(path);
  if (hostile) throw new FileWriteError(path, hostile);
  const link = lstatOrUndefined(path);
  const throughLink = link?.isSymbolicLink() === true;
  if (link !== undefined && throughLink) {
    // Whose it is, from the look that decides to follow it: in a directory another account may write, the
    // file plantedLink saw can be a link of that account's by now (root then replaced any file it named).
    const euid = process.geteuid?.();
    if (euid !== undefined && link.uid !== euid && link.uid !== 0) {
      throw new FileWriteError(
        path,
        `${notFollowed({ link: resolve(path), uid: link.uid }, 'file')}; remove it, or give the path of the file itself (nothing was written)`,
      );
    }
    // /dev/stdout, /dev/fd/N, /proc/self/fd/N: this process's descriptor N, written to as it is
    // (a terminal, a pipe, a file the shell opened, journald's socket), never replaced.
    const fd = ownDescriptor(path);
    if (fd !== undefined) return writeDescriptor(path, fd, text, checked);
  }
  // From here on, every step works on the directory the walk checked and holds (held-directory.ts), never
  // on the path again: another account that may change a directory on the way could swap it meanwhile.
  const walked = walkForWrite(path, throughLink);
  try {
    return writeWalked(path, walked, text, checked, throughLink);
  } finally {
    releaseDirectory(walked.dir);
  }
}

/** walkHeld for writeOutputFile: FileWriteError, in the words for a path that is (`throughLink`) or is not a symbolic link. */
function walkForWrite(path: string, throughLink: boolean): WalkedPath {
  try {
    return walkHeld(path);
  } catch (error) {
    if (!(error instanceof WalkError)) throw error;
    const code = error.code;
    if (error.untrusted)
      throw new FileWriteError(path, `${notFollowed(error.untrusted, 'file')}; remove it, or give the path of the file itself (nothing was written)`);
    if (code === 'ECHANGED') throw new FileWriteError(path, directoryChanged(), code);
    if (!throughLink) throw new FileWriteError(path, code === 'ENOTDIR' ? notADirectory(path) : describe(code), code);
    if (code === 'ELOOP')
      throw new FileWriteError(path, 'it is a symbolic link in a loop of links (ELOOP); give the path of a file to write (nothing was written)', code);
    if (code === 'ENOTDIR') throw new FileWriteError(path, `it is a symbolic link to a path under a file: ${notADirectory(linkTarget(path))}`, code);
    if (code === 'ENOENT') throw new FileWriteError(path, 'it is a symbolic link to a missing file; write to the file itself (nothing was written)', code);
    throw new FileWriteError(path, `it is a symbolic link whose target cannot be reached: ${describe(code)}`, code);
  }
}

/** Why a write stopped when a directory on its way was swapped between its check and its use (WalkError ECHANGED). */
export function directoryChanged(): string {
  return `a directory on its way was replaced after it was checked, so another account may change a directory on its way: write under directories only ${trustedOwners()} may change (nothing was written)`;
}

/** writeOutputFile's write, by what the walk found at the path's last name (links followed), in the directory it holds. */
function writeWalked(path: string, { dir, name, info }: WalkedPath, text: string, options: WriteOptions, throughLink: boolean): WriteMethod {
  if (name === undefined) throw new FileWriteError(path, 'it is a directory; give the path of a file to write (nothing was written)');
  if (info === undefined) {
    if (throughLink) throw new FileWriteError(path, 'it is a symbolic link to a missing file; write to the file itself (nothing was written)', 'ENOENT');
    return replaceAtomically(dir, name, text, options.mode ?? 0o644, path);
  }
  // The file a link names, by its real path; else the path as given.
  const target = throughLink ? join(dir.path, name) : path;
  if (info.isFile()) {
    const program = programKind(entryPath(dir, name), info.mode);
    if (program !== undefined) {
      throw new FileWriteError(
        path,
        `it is a program (${program}, mode ${octal(info.mode & 0o7777)}), not a file this writes; give the path of the file to write (nothing was written)`,
      );
    }
    // As root, its owner and group are kept too (a 0600 textfile of node_exporter's stays readable by it): that
    // owner may still change the file, as it could the one replaced, and an owner may chmod its file anyway.
    const kept = keptMode(info.mode);
    replaceAtomically(dir, name, text, kept.mode, path, { uid: info.uid, gid: info.gid });
    if (kept.dropped !== undefined) {
      const warn = options.warn ?? ((line: string) => void process.stderr.write(line));
      warn(`warning: made ${escapeText(target)} ${octal(kept.mode)}: it was ${kept.dropped} (mode ${octal(info.mode & 0o7777)})\n`);
    }
    return 'atomic';
  }
  if (info.isCharacterDevice() || info.isFIFO()) return writeInPlace(path, entryPath(dir, name), text, info);
  throw new FileWriteError(path, `it is ${fileKind(info)}; give the path of a file to write (nothing was written)`);
}

/**
 * What program the regular file `path` is, by its first bytes (`#!`: a script, `\x7fELF`: an executable), or
 * undefined for any other file; one it cannot read is a program when `mode` has an execute bit, else not. A report or page never
 * starts so, and replacing a program with one is a typo's harm: `--output /usr/local/bin/claim-port` in a timer made
 * claim-port a Prometheus textfile, and every unit that claims its port failed to start.
 */
function programKind(path: string | Buffer, mode: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const head = Buffer.alloc(4);
    const read = readSync(fd, head, 0, 4, 0);
    if (isScriptHead(head.subarray(0, read))) return 'a script: it starts with #!';
    if (isElfHead(head.subarray(0, read))) return 'an ELF executable';
    return undefined;
  } catch {
    // Not readable to this user (mode 0111): with an execute bit it is taken for the program it may be, never replaced.
    return (mode & 0o111) !== 0 ? 'a file with execute permission this user cannot read' : undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The mode a replaced regular file gets: its own, less write for group and
 * others and the setuid, setgid and sticky bits; and what was dropped, in
 * words (undefined when nothing was). Kept whole, a 0666 textfile that root
 * rewrites each run let any account change the report until the next run
 * (hide an error, fake an ok), and each run made it so again; a setuid bit on
 * a report is nobody's intent. Read and execute bits and the owner's stay,
 * so whoever reads the file still can. A group's write is dropped even for a
 * user's own group, as the tree writer replaces such a file with a 0644 one.
 */
function keptMode(mode: number): { mode: number; dropped?: string } {
  const dropped = [
    ...(mode & 0o022 ? [`writable by ${mode & 0o020 ? (mode & 0o002 ? 'its group and others' : 'its group') : 'others'}`] : []),
    ...(mode & 0o4000 ? ['setuid'] : []),
    ...(mode & 0o2000 ? ['setgid'] : []),
    ...(mode & 0o1000 ? ['sticky'] : []),
  ];
  const phrase = dropped.length > 1 ? `${dropped.slice(0, -1).join(', ')} and ${dropped.at(-1)}` : dropped[0];
  return { mode: mode & 0o755, ...(phrase !== undefined && { dropped: phrase }) };
}

/** `0644`. */
function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * Why `path` must not be followed, or undefined: a symbolic link on it (a
 * directory on the way, or the file itself, through every hop) owned by a
 * user other than root and this one. Its owner could point it at any file,
 * and root would replace that file (`x.prom -> /etc/shadow`, planted in a
 * textfile directory another account may write, or in /tmp). The kernel's
 * `fs.protected_symlinks` refuses such a link in a sticky, world-writable
 * directory only, and only where the sysctl is on; this refuses it anywhere.
 */
function plantedLink(path: string): string | undefined {
  const found = untrustedLink(path);
  return found && `${notFollowed(found, 'file')}; remove it, or give the path of the file itself (nothing was written)`;
}

export type { UntrustedLink } from './held-directory.js';

/**
 * The first symbolic link on `path` (every directory on the way, the last
 * name too, through every hop) owned by a user other than root and this one,
 * or undefined. Under `root` (a staged or mounted system) the path is one
 * inside it, and links resolve as they would inside it: an absolute target
 * starts again at `root`, `..` stops there (as resolveInRoot). Missing or
 * unreadable parts end the walk: the write itself says why.
 */
export function untrustedLink(path: string, root = '/'): UntrustedLink | undefined {
  pathArgument('untrustedLink', 'path', path);
  pathArgument('untrustedLink', 'root', root);
  const euid = process.geteuid?.();
  if (euid === undefined) return undefined;
  const top = resolve(root);
  const pending = (root !== '/' || path.startsWith('/') ? path : join(process.cwd(), path)).split('/');
  let resolved = top;
  for (let hops = 0; pending.length > 0; ) {
    const name = pending.shift()!;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      if (resolved !== top) resolved = dirname(resolved);
      continue;
    }
    const next = join(resolved, name);
    let info: Stats;
    try {
      info = lstatSync(fileSystemPath(next));
      if (!info.isSymbolicLink()) {
        resolved = next;
        continue;
      }
    } catch {
      return undefined;
    }
    if (info.uid !== euid && info.uid !== 0) return { link: next, uid: info.uid };
    if (++hops > 40) return undefined; // a loop of links: the write says so
    let target: string;
    try {
      target = readLink(next);
    } catch {
      return undefined;
    }
    if (target.startsWith('/')) resolved = top;
    pending.unshift(...target.split('/'));
  }
  return undefined;
}

/** `LINK is a symbolic link owned by uid N, not by root: it is not followed, since its owner could point it at any WHAT` (escaped). */
export function notFollowed(found: UntrustedLink, what: 'file' | 'directory'): string {
  return `${escapeText(found.link)} is a symbolic link owned by uid ${found.uid}, not by ${trustedOwners()}: it is not followed, since its owner could point it at any ${what}`;
}

/** Whose files and links are trusted: `root`, or `root or this user (uid N)`. */
export function trustedOwners(): string {
  const euid = process.geteuid?.();
  return euid === 0 || euid === undefined ? 'root' : `root or this user (uid ${euid})`;
}

/**
 * Whether writeOutputFile writes `path` to the caller's standard output (its
 * `stdout`): `-`, or a path that is, through symbolic links, this process's
 * descriptor 1 (/dev/stdout, /dev/fd/1, /proc/self/fd/1). The one test, for a
 * caller that must know before it writes (`port-health-check --quiet --json`
 * refuses a report on stdout, whatever the path names it). Reads links only.
 */
export function writesToStdout(path: string): boolean {
  pathArgument('writesToStdout', 'path', path);
  return path === STDOUT || ownDescriptor(path) === 1;
}

/** N when `path` is, through symbolic links, /proc/self/fd/N or /dev/fd/N (as /dev/stdout is). */
function ownDescriptor(path: string): number | undefined {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    const own = /^\/(?:proc\/(?:self|thread-self|(\d+))\/fd|dev\/fd)\/(\d+)$/.exec(current);
    if (own && (own[1] === undefined || Number(own[1]) === process.pid)) return Number(own[2]);
    let target: string;
    try {
      target = readLink(current);
    } catch {
      return undefined;
    }
    current = target.startsWith('/') ? target : join(dirname(current), target);
  }
  return undefined;
}

function writeDescriptor(path: string, fd: number, text: string, options: WriteOptions): 'in-place' | 'stdout' {
  if (fd === 1 && options.stdout) {
    options.stdout(text);
    return 'stdout';
  }
  // Past standard error, Node holds descriptors of its own (libuv's epoll, eventfd and signal pipes):
  // writing to one crashed the process or lost the report in an internal pipe. A descriptor the
  // caller opened for this (`3>report.prom`) is a file or a device; anything else is refused.
  if (fd > 2) {
    let info: Stats | undefined;
    try {
      info = fstatSync(fd);
    } catch {
      // not open: said below, by the write
    }
    if (info !== undefined && !info.isFile() && !info.isCharacterDevice()) {
      throw new FileWriteError(
        path,
        `descriptor ${fd} is ${fileKind(info)}: a pipe or socket given as /dev/fd/${fd} (\`${fd}> >(cmd)\`) is not taken, as past descriptor 2 Node holds pipes of its own that cannot be told from one the caller opened (only a file or device is written there); give a file path, or "-" for standard output and pipe that (nothing was written)`,
      );
    }
  }
  try {
    writeAll(fd, text);
    return 'in-place';
  } catch (error) {
    const code = errorCode(error);
    throw new FileWriteError(path, code === 'EBADF' ? `descriptor ${fd} is not open for writing` : describe(code), code);
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(fileSystemPath(path));
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return undefined;
    throw new FileWriteError(path, code === 'ENOTDIR' ? notADirectory(path) : describe(code), code);
  }
}

/** Where the symbolic link `path` points (one hop), as a path. */
function linkTarget(path: string): string {
  try {
    const target = readLink(path);
    return target.startsWith('/') ? target : join(dirname(path), target);
  } catch {
    return path;
  }
}

/**
 * Why `path` cannot name a file to write because its spelling names a directory (directoryEnding: `out/`, `out/.`,
 * `a/..`), by what is there, as the kernel would refuse it; undefined for a path that may name a file. One phrase, the
 * path's parts escaped: the one check of every writer of a path a user gave (writeOutputFile, the tree writers given
 * whole paths, `ports docs --file`), so each says the same.
 */
export function directoryPathProblem(path: string): string | undefined {
  const ending = directoryEnding(path);
  if (ending === undefined) return undefined;
  if (isDirectory(path)) return 'it is a directory; give the path of a file to write';
  // The path without its ending (`fw.nft` of `fw.nft/.`), then each directory above it: the first there that is none.
  let stem = path;
  for (let end = directoryEnding(stem); end !== undefined && stem !== '/'; end = directoryEnding(stem)) stem = stem.slice(0, -end.length) || '/';
  for (let dir = stem; dir !== '' && dir !== dirname(dir); dir = dirname(dir)) {
    let info: Stats;
    try {
      info = statSync(fileSystemPath(dir));
    } catch {
      continue; // missing, or itself under the culprit
    }
    if (info.isDirectory()) break;
    // All of what the path adds after the file's name (`/./` of `afile/./`), so that following the fix gives the file.
    const after = path.slice(stem.length);
    const fix = dir === stem && !after.includes('..') ? `give the path of the file without the "${after}" at its end` : 'give a path whose directories exist';
    return `${escapeText(dir)} is ${fileKind(info)}, not a directory; ${fix}`;
  }
  return `it ends in ${JSON.stringify(ending)}, so it names a directory; give the path of a file to write`;
}

/**
 * The reason for ENOTDIR: which part of `path` is a file where a directory
 * should be (`--output notes.txt/x.prom`), escaped; its directory "does not
 * exist" would send the user looking for the wrong thing.
 */
function notADirectory(path: string): string {
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    let info: Stats;
    try {
      info = statSync(fileSystemPath(dir));
    } catch {
      continue; // missing, or itself under the culprit
    }
    if (!info.isDirectory()) return `${escapeText(dir)} is ${fileKind(info)}, not a directory; give a path whose directories exist (nothing was written)`;
  }
  return 'a part of its path is not a directory; give a path whose directories exist (nothing was written)';
}

/** Replace the regular file (or nothing) at `path` atomically: temp file in its directory, fsync, rename. */
export function replaceFileAtomically(path: string, text: string, mode: number): void {
  pathArgument('replaceFileAtomically', 'path', path);
  stringArgument('replaceFileAtomically', 'text', text);
  modeArgument('replaceFileAtomically', 'mode', mode);
  renameTemp(writeTempBeside(path, text, mode));
}

function replaceAtomically(dir: HeldDirectory, name: string, text: string, mode: number, shown: string, owner?: { uid: number; gid: number }): 'atomic' {
  const temp = makeTemp(dir, name, text, mode, { shown, owner, swept: false });
  moveTemp(dir, temp, name, shown);
  return 'atomic';
}

/** A temporary file writeTempBeside wrote, in the directory it holds until renameTemp or discardTemp. */
export interface HeldTemp {
  readonly dir: HeldDirectory;
  /** Its name in `dir`. */
  readonly name: string;
  /** The name it is renamed to. */
  readonly target: string;
  /** The path a failure names. */
  readonly shown: string;
}

/**
 * Write `text` to a new temporary file in `path`'s directory, with `mode`,
 * synced to disk; returns it, for renameTemp (or discardTemp), with that
 * directory held (held-directory.ts): the rename happens in the directory
 * the file was made in, whatever is at its path by then. `dir`: that
 * directory as the caller holds it already (the one it judged the file in;
 * held again here, the caller's hold stays the caller's), else it is walked
 * to by `path`. The name starts with a dot and ends in .tmp: node_exporter
 * reads only *.prom. Throws FileWriteError (about `shown`), leaving nothing
 * behind. First it removes what writers of the same path, killed before
 * their rename, left there (removeKilledWritersTemps), unless the caller did
 * (`swept`: a tree lists each directory once, killedWritersTemps); and until
 * renameTemp or discardTemp, a SIGTERM, SIGINT or SIGHUP waits for the write
 * and rename (temp-files.ts).
 */
export function writeTempBeside(
  path: string,
  text: string,
  mode: number,
  {
    shown = path,
    owner,
    swept = false,
    dir: judged,
  }: {
    readonly shown?: string;
    readonly owner?: { uid: number; gid: number } | undefined;
    readonly swept?: boolean;
    readonly dir?: HeldDirectory | undefined;
  } = {},
): HeldTemp {
  const dir = judged !== undefined ? holdAgainForWrite(judged, shown) : holdForWrite(dirname(path), shown);
  try {
    const target = basename(path);
    return { dir, name: makeTemp(dir, target, text, mode, { shown, owner, swept }), target, shown };
  } catch (error) {
    releaseDirectory(dir);
    throw error;
  }
}

/** holdAgain for a write: FileWriteError about `shown` when no descriptor is left (EMFILE). */
function holdAgainForWrite(dir: HeldDirectory, shown: string): HeldDirectory {
  try {
    return holdAgain(dir);
  } catch (error) {
    const code = errorCode(error);
    throw new FileWriteError(shown, describe(code), code);
  }
}

/** holdDirectory for a write into `dir`: FileWriteError about `shown` when it cannot be held. */
function holdForWrite(dir: string, shown: string): HeldDirectory {
  try {
    return holdDirectory(dir);
  } catch (error) {
    if (!(error instanceof WalkError)) throw error;
    const code = error.code;
    if (error.untrusted)
      throw new FileWriteError(shown, `${notFollowed(error.untrusted, 'directory')}; remove it, or \`chown -h root:root\` it (nothing was written)`);
    if (code === 'ECHANGED') throw new FileWriteError(shown, directoryChanged(), code);
    throw new FileWriteError(shown, code === 'ENOTDIR' ? notADirectory(join(dir, basename(shown))) : describe(code), code);
  }
}

/** The temporary file of writeTempBeside for `target` in the held `dir`: made, written, synced; its name. */
function makeTemp(
  dir: HeldDirectory,
  target: string,
  text: string,
  mode: number,
  { shown, owner, swept }: { readonly shown: string; readonly owner: { uid: number; gid: number } | undefined; readonly swept: boolean },
): string {
  const start = `.${nameStart(target)}.`;
  const name = `${start}${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
  if (!swept) removeKilledWritersTemps(dir, start, owner);
  const temp = entryPath(dir, name);
  holdTemp(tempKey(dir, name), temp);
  let fd: number | undefined;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), mode);
    // Root replacing another user's file keeps its owner: a 0600 textfile of node_exporter's user,
    // made root's, could no longer be read by node_exporter. Before the mode, which chown may clear.
    if (owner !== undefined && process.geteuid?.() === 0 && (owner.uid !== 0 || owner.gid !== 0)) fchownSync(fd, owner.uid, owner.gid);
    // Through the descriptor, never the name: in a directory another account may write (a textfile directory
    // of node_exporter's), it can rename a link over the temporary file, and a mode set by name lands where that points.
    fchmodSync(fd, mode); // the umask does not narrow an existing file's mode
    writeAll(fd, text);
    fsyncSync(fd);
    // Still the file written, or another account's rename put something else at its name: never renamed into place.
    const written = fstatSync(fd);
    const named = lstatSync(temp, { throwIfNoEntry: false });
    if (named === undefined || !sameFile(named, written)) {
      throw new FileWriteError(
        shown,
        'its temporary file was replaced while it was written, so another account may write its directory: let only the account that runs this write there (nothing was written)',
      );
    }
    closeSync(fd);
    return name;
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // closed by the failed call
      }
    }
    removeTemp(dir, name);
    if (error instanceof FileWriteError) throw error;
    const code = errorCode(error);
    // ENOENT for a new file in a directory that exists: procfs, sysfs and the like make no files.
    if (code === 'ENOENT' && isDirectory(dir.base)) {
      const kernel = kernelFileSystem(dir.base);
      const why =
        kernel === undefined
          ? 'its directory takes no new files (a special file system such as /proc or /sys)'
          : `its directory is on ${kernel}; write elsewhere`;
      throw new FileWriteError(shown, `${why}; nothing was written`, code);
    }
    // The temporary file could not be made: the directory is what this user may not write, whatever the file's mode.
    if (code === 'EACCES' && fd === undefined) throw new FileWriteError(shown, directoryDenied(dir.path, dir.base), code);
    throw new FileWriteError(shown, describe(code), code);
  }
}

/**
 * Why a file cannot be replaced when its directory `dir` may not be written (EACCES making the temporary file): the
 * directory named, and why it matters (the file is replaced through a file made beside it), with what to do. On
 * sysfs (`/sys/kernel`) the cause is the file system, which makes no files for anyone, not a permission. `at` is
 * where the directory is opened (held-directory.ts's base), for statfs.
 */
export function directoryDenied(dir: string, at: string = dir): string {
  const shown = escapeText(dir);
  const kernel = kernelFileSystem(at);
  if (kernel !== undefined) return `cannot make a file in its directory ${shown}: it is on ${kernel}; write elsewhere; nothing was written`;
  return `cannot make a file in its directory ${shown}: ${deniedPhrase(
    `write the directory ${shown}`,
    'write elsewhere',
    at,
  )} (the file is replaced through a temporary file made in its directory and renamed over it, so the directory must be writable, not only the file); nothing was written`;
}

/** `sysfs, the kernel's own file system, which makes no files` when `path` is on one such, else undefined. */
export function kernelFileSystem(path: string): string | undefined {
  const known = fileSystemOf(path);
  return known?.kind === 'kernel' ? `${known.name}, the kernel's own file system, which makes no files` : undefined;
}

/** The name temp-files.ts holds a temporary file by: unique while its directory is held. */
function tempKey(dir: HeldDirectory, name: string): string {
  return `${dir.base}/${name}`;
}

/**
 * Remove the temporary files (of writeTempBeside's pattern, starting with
 * `start`: the same target) that writers killed before their rename left in
 * the held `dir`: see removeStaleTemps. Those of the running user; as root, those of the
 * `owner` a killed run gave its temporary file too (the replaced file's).
 */
function removeKilledWritersTemps(dir: HeldDirectory, start: string, owner: { uid: number } | undefined): void {
  const euid = process.geteuid?.();
  if (euid === undefined) return;
  const owners = euid === 0 && owner !== undefined ? [euid, owner.uid] : [euid];
  removeStaleTemps(encodeKeepingBadBytes(dir.base), tempsOf([encodeKeepingBadBytes(start)], TEMP_REST), owners);
}

/**
 * The temporary files that writers of `paths` (writeTempBeside's, as this
 * user), killed before their rename, left beside them, by removeStaleTemps'
 * rules: removed, or with `remove: false` only found (a --check writes
 * nothing). One listing per directory however many of the paths it holds, and
 * for every path, changed or not: once a tree is up to date no write comes to
 * remove them, and they stayed for ever (in deploy/, in a drop-in directory).
 * Found and removed in the directory held (held-directory.ts): none where it cannot be
 * held (missing, or a link another user owns on the way), which the write then
 * names. Their paths, in listing order.
 */
export function killedWritersTemps(paths: readonly string[], { remove }: { readonly remove: boolean }): string[] {
  const euid = process.geteuid?.();
  if (euid === undefined) return [];
  const starts = new Map<string, Buffer[]>();
  for (const path of paths) {
    const start = encodeKeepingBadBytes(`.${nameStart(basename(path))}.`);
    const dir = dirname(path);
    starts.set(dir, [...(starts.get(dir) ?? []), start]);
  }
  const found: string[] = [];
  for (const [dir, prefixes] of starts) {
    const writer = tempsOf(prefixes, TEMP_REST);
    // Found or removed in the directory held, the one the walk judged, never by the path again: a directory swapped
    // in meanwhile is not looked in (a --check named another directory's files as this one's).
    let held: HeldDirectory;
    try {
      held = holdDirectory(dir);
    } catch {
      continue;
    }
    try {
      const base = encodeKeepingBadBytes(held.base);
      const temps = remove ? removeStaleTemps(base, writer, [euid]) : findStaleTemps(base, writer, [euid]);
      // Named by the directory as given, not by the descriptor's path.
      for (const path of temps) found.push(normalize(join(dir, decodeKeepingBadBytes(path.subarray(base.length + 1)))));
    } finally {
      releaseDirectory(held);
    }
  }
  return found;
}

/** What follows a temporary file's `.NAME.`: the writer's PID (group 1; PID_MAX_LIMIT has 7 digits), a stamp, `.tmp`. */
const TEMP_REST = /^([1-9][0-9]{0,6})\.[0-9a-z]+\.tmp$/;

/**
 * The part of a file's name its temporary file's name starts with: all of it, or as much as
 * leaves room, within NAME_MAX (255 bytes), for the dot and the `.PID.STAMP.tmp` after it (a
 * 250-byte name, which the file system takes, made a temporary name it refused).
 */
function nameStart(name: string): string {
  if (Buffer.byteLength(name) <= 200) return name;
  let start = '';
  for (const char of name) {
    if (Buffer.byteLength(start + char) > 200) break;
    start += char;
  }
  return start;
}

/** Put a temporary file (writeTempBeside) in its target's place, atomically, and let its directory go; on failure it is removed. */
export function renameTemp(temp: HeldTemp): void {
  try {
    moveTemp(temp.dir, temp.name, temp.target, temp.shown);
  } finally {
    releaseDirectory(temp.dir);
  }
}

/** Rename the temporary file `name` over `target`, both in the held `dir`; on failure it is removed. */
function moveTemp(dir: HeldDirectory, name: string, target: string, shown: string): void {
  try {
    renameSync(entryPath(dir, name), entryPath(dir, target));
    releaseTemp(tempKey(dir, name));
  } catch (error) {
    removeTemp(dir, name);
    const code = errorCode(error);
    throw new FileWriteError(shown, describe(code), code);
  }
}

/** Remove a temporary file that will not be used, and let its directory go (never throws: it may be gone already). */
export function discardTemp(temp: HeldTemp): void {
  removeTemp(temp.dir, temp.name);
  releaseDirectory(temp.dir);
}

function removeTemp(dir: HeldDirectory, name: string): void {
  try {
    unlinkSync(entryPath(dir, name));
  } catch {
    // never created, or already renamed
  }
  releaseTemp(tempKey(dir, name));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(fileSystemPath(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Write the device or FIFO `info` describes, at `at` (its entry in the held directory), in place; FileWriteError about `path`. */
function writeInPlace(path: string, at: string | Buffer, text: string, info: Stats): 'in-place' {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO nobody reads is ENXIO at once, not a hang. No O_CREAT, no O_TRUNC.
    fd = openSync(at, constants.O_WRONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENXIO' && info.isFIFO()) throw new FileWriteError(path, 'it is a FIFO (named pipe) that nobody is reading; nothing was written', code);
    throw new FileWriteError(path, describe(code), code);
  }
  try {
    // The file judged, or another account put something else at its name since (a link to a disk): never written.
    if (!sameFile(fstatSync(fd), info)) throw new FileWriteError(path, directoryChanged(), 'ECHANGED');
    writeAll(fd, text);
    return 'in-place';
  } catch (error) {
    if (error instanceof FileWriteError) throw error;
    const code = errorCode(error);
    throw new FileWriteError(path, describe(code), code);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, text: string): void {
  const buffer = Buffer.from(text, 'utf8');
  let offset = 0;
  let waits = 0;
  while (offset < buffer.length) {
    try {
      offset += writeSync(fd, buffer, offset, buffer.length - offset);
      waits = 0;
    } catch (error) {
      // A full pipe opened non-blocking: wait for the reader a little, then give up (never hang).
      if (errorCode(error) !== 'EAGAIN' || ++waits > 2000) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Permission denied (EACCES), and what to do: run as a user who may `doing`;
 * as root never that (no user may more), but `instead`, with why root is refused
 * as far as it is known: the file system `path` is on (an NFS server mapping root
 * to nobody, a FUSE mount without allow_other), this process without
 * CAP_DAC_OVERRIDE, else, on a local file system with it, a security module.
 */
export function deniedPhrase(doing: string, instead: string, path?: string): string {
  if (process.geteuid?.() !== 0) return `permission denied; run as a user who may ${doing}`;
  const cause = rootDenialCause(path);
  return `permission denied, even to root${cause === undefined ? '' : ` (${cause})`}; ${instead}`;
}

function rootDenialCause(path: string | undefined): string | undefined {
  if (overridesPermissions() === false) return 'this process runs without CAP_DAC_OVERRIDE, as in a container or a unit that drops it';
  if (path === undefined) return undefined;
  const known = fileSystemOf(path);
  if (known?.kind === 'remote') return `on ${known.name}, ${known.why}`;
  if (known?.kind === 'kernel') return `on ${known.name}, the kernel's own file system`;
  if (known?.kind === 'local') return `on ${known.name}, where only a security module such as SELinux or AppArmor refuses root`;
  return undefined;
}

/** One phrase for a failed write or mkdir, by its error code. */
export function describe(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'its directory does not exist; create it first';
    case 'ENOTDIR':
      return 'a part of its path is not a directory; give a path whose directories exist (nothing was written)';
    case 'ELOOP':
      return 'its path holds a loop of symbolic links; give the path of a file to write (nothing was written)';
    case 'EACCES':
      return deniedPhrase('write there', 'write elsewhere');
    case 'EPERM':
      // Not the mode: as root, an attribute (chattr +i, +a) or the mount; as another user, a sticky directory too.
      return process.geteuid?.() === 0
        ? 'operation not permitted, even to root: the file or its directory may be immutable or append-only (lsattr shows i or a); remove the attribute (chattr -i, chattr -a) or write elsewhere'
        : "operation not permitted: the file may be another user's in a sticky directory (such as /tmp), or immutable or append-only (lsattr shows i or a); write elsewhere, or as its owner";
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EISDIR':
      return 'it is a directory; give the path of a file to write';
    case 'EAGAIN':
      return 'the reader is not taking the output (full pipe for 10 s)';
    case 'ENAMETOOLONG':
      return 'its path or a part of it is too long for the file system';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EPIPE':
      return 'the reader closed the pipe before all was written';
    case 'EINVAL':
      return 'it does not take writes (EINVAL)';
    case 'ENXIO':
    case 'ENODEV':
      return 'no device behind it (a terminal this process does not have, or a device not present)';
    case 'EIO':
      return 'input/output error';
    case 'EFBIG':
      return 'the file is too large for the file system';
    case 'ETXTBSY':
      return 'it is a program being run; give another path';
    default:
      return code ?? 'cannot write';
  }
}
