// Writing a set of generated files into a directory an operator owns
// (`ports systemd` into /etc/systemd/system, `ports monitoring` into deploy/).
// Unlike --output (write.ts), each path here is a name the tool chose, so
// anything but a regular file at one of them is the operator's doing and is
// left alone: a symbolic link is never replaced nor written through (in
// /etc/systemd/system a link to /dev/null masks a unit, and a link elsewhere
// shares a file), nor is a FIFO, directory, device or socket. Every path is
// inspected before the first write, so a refusal leaves nothing half-done, and
// no inspection blocks (a FIFO is never opened) or reads past the size limit.
import { accessSync, chmodSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, readlinkSync, rmdirSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { entryPath, type HeldDirectory, enter, holdAgain, holdDirectory, moveInto, releaseDirectory, WalkError } from './held-directory.js';
import { FileReadError, fileKind, formatBytes, lstatOrUndefined, readFileBytes, readTextFile, statOrUndefined } from './read.js';
import { decodeKeepingBadBytes } from '../utf8.js';
import { escapeText, quoteValue } from '../escape.js';
import {
  describe,
  directoryChanged,
  directoryPathProblem,
  discardTemp,
  FileWriteError,
  type HeldTemp,
  kernelFileSystem,
  killedWritersTemps,
  notFollowed,
  renameTemp,
  trustedOwners,
  writeTempBeside,
} from './write.js';
import { describeArgument, iterableArgument, maxBytesOption, modeArgument, pathArgument, stringArgument } from '../arguments.js';
import { type AclAnswer, extendedAcls } from './acl.js';
import { octal } from './directories.js';

export interface GeneratedFile {
  /** Relative to the directory written to, and inside it (no `..`, `.` or empty part, not absolute); whole when that directory is "". */
  readonly path: string;
  readonly contents: string;
}

export interface InspectedFile {
  readonly file: GeneratedFile;
  /** `dir` joined with file.path. */
  readonly path: string;
  /** What is there now: undefined when nothing is. */
  readonly current: string | undefined;
  /** Why the file cannot be compared or written (a link, a FIFO, unreadable...): one phrase. */
  readonly problem: string | undefined;
  /**
   * Who else may change the file, when someone may (`writable by group or others
   * (mode 0666)`, `owned by uid 1000`): what is there is not what this tool
   * wrote, whatever it holds now. With `readByOthers`, also a file other users
   * may not read (`other users may not read it (mode 0600)`): what is there is
   * not what this tool writes either. writeGeneratedFiles replaces such a file
   * (a new one, 0644 and this user's), and a --check reports it.
   */
  readonly exposure: string | undefined;
  /**
   * `exposure` says only that other users may not read the file (with
   * `readByOthers`), so `chmod o+r` fixes it as well as replacing it does. False
   * otherwise, also when someone else may change a file others may not read:
   * `exposure` then says who, and only replacing it fixes both.
   */
  readonly closedToOthers: boolean;
}

export interface TreeOptions {
  /** Refuse an existing file longer than this. */
  readonly maxBytes: number;
}

/**
 * `files` of the tree writers: an array of { path, contents }, no two at one
 * path. Under a `dir`, each path names a file inside it: names joined by `/`,
 * none empty, `.` or `..` (`../x`, `a/../../x` and `/x` were written outside
 * the tree, or quietly under it). With `dir` "" the paths are whole, the
 * caller's to choose. All are checked before anything is inspected or written.
 */
function generatedFilesArgument(fn: string, dir: string, files: unknown): void {
  iterableArgument(fn, 'files', files, '{ path, contents }');
  if (!Array.isArray(files)) throw new TypeError(`${fn}: files must be an array of { path, contents }`);
  const seen = new Map<string, number>();
  for (const [i, file] of files.entries()) {
    if (typeof file !== 'object' || file === null || typeof file.path !== 'string' || file.path === '' || typeof file.contents !== 'string') {
      throw new TypeError(`${fn}: files[${i}] must be { path, contents } with a non-empty path and string contents`);
    }
    const path: string = file.path;
    if (dir !== '' && path.split('/').some((name) => name === '' || name === '.' || name === '..')) {
      throw new TypeError(
        `${fn}: files[${i}].path must be a path inside dir, names joined by "/" (not absolute, no empty, "." or ".." part), not ${quoteValue(path)}`,
      );
    }
    // Two entries for one file: each would be reported written, and only the last one's text would be there.
    const whole = join(dir, path);
    const first = seen.get(whole);
    if (first !== undefined) throw new TypeError(`${fn}: files[${i}].path ${quoteValue(path)} names the file files[${first}] names; give each file once`);
    seen.set(whole, i);
  }
}

/** Every option of inspectGeneratedFiles, one per key of its type (the compiler holds the two together). */
const INSPECT_TREE_OPTIONS: Readonly<Record<keyof Parameters<typeof inspectGeneratedFiles>[2], true>> = { maxBytes: true, readByOthers: true, root: true };
const INSPECT_TREE_KEYS = Object.keys(INSPECT_TREE_OPTIONS);

/**
 * What is at each generated file's path, without following links or opening
 * anything but regular files. `readByOthers`: the files are read by services
 * that run as users of their own (Prometheus, Grafana), so a file other users
 * may not read (no o+r: judged by the bits for others, as the services'
 * accounts are not known here) is exposure too. Off by default: systemd reads
 * units as root, so a 0600 unit is fine. `root`: the files are in a system
 * tree booted from that directory (`ports systemd --root`), where a link's
 * absolute target starts at it: a problem naming one says `under ROOT`.
 */
export function inspectGeneratedFiles(
  dir: string,
  files: readonly GeneratedFile[],
  options: TreeOptions & { readonly readByOthers?: boolean | undefined; readonly root?: string | undefined },
): InspectedFile[] {
  stringArgument('inspectGeneratedFiles', 'dir', dir, 'a directory (a string; "" when the paths are whole)');
  generatedFilesArgument('inspectGeneratedFiles', dir, files);
  maxBytesOption('inspectGeneratedFiles', options, INSPECT_TREE_KEYS);
  const readByOthers = readByOthersOption('inspectGeneratedFiles', options.readByOthers);
  const root = rootOption('inspectGeneratedFiles', options.root);
  const held = holdTreeDirectories(files.map((file) => join(dir, file.path)));
  try {
    return inspectHeld(dir, files, held, { maxBytes: options.maxBytes, readByOthers, root });
  } finally {
    releaseTreeDirectories(held);
  }
}

/**
 * The directories of a tree's files (dirname of each path), each held once
 * (held-directory.ts) from the inspection to the last step of a write: every
 * look at a file (its lstat, its text, the read-back after the renames) and
 * its temporary file are in the directory the walk judged, never at its path
 * again, where another account that may change a directory on the way can
 * have swapped in another (the read-back then read that one, and took the
 * swap for another run). A WalkError where one cannot be held (ENOENT: not
 * there yet).
 */
type TreeDirectories = Map<string, HeldDirectory | WalkError>;

function holdTreeDirectories(paths: readonly string[]): TreeDirectories {
  const held: TreeDirectories = new Map();
  try {
    for (const dir of new Set(paths.map((path) => dirname(path)))) {
      try {
        held.set(dir, holdDirectory(dir));
      } catch (error) {
        if (!(error instanceof WalkError)) throw error;
        held.set(dir, error);
      }
    }
    return held;
  } catch (error) {
    releaseTreeDirectories(held);
    throw error;
  }
}

function releaseTreeDirectories(held: TreeDirectories): void {
  for (const dir of held.values()) if (!(dir instanceof WalkError)) releaseDirectory(dir);
}

/** The held directory of `path`'s file, when it is there. */
function heldFor(held: TreeDirectories, path: string): HeldDirectory | undefined {
  const dir = held.get(dirname(path));
  return dir instanceof WalkError ? undefined : dir;
}

/** inspectGeneratedFiles' answer, each file looked at in its directory as `held` holds it. */
function inspectHeld(
  dir: string,
  files: readonly GeneratedFile[],
  held: TreeDirectories,
  options: TreeOptions & { readonly readByOthers: boolean; readonly root: string | undefined },
): InspectedFile[] {
  const inspected = files.map((file): { file: GeneratedFile; path: string } & ReturnType<typeof inspect> => {
    // A whole path that names a directory (`fw.nft/`, `fw.nft/.`): join would drop its ending, and the file `fw.nft` be written.
    const spelled = dir === '' ? directoryPathProblem(file.path) : undefined;
    if (spelled !== undefined) return { file, path: file.path, current: undefined, problem: spelled };
    const path = join(dir, file.path);
    return { file, path, ...inspect(path, held.get(dirname(path))!, options) };
  });
  // Those only their group may write may have an ACL: one ls for all of them (none in the common case).
  const asked = inspected.filter((entry) => entry.groupWrite);
  const acls = extendedAcls(asked.map((entry) => entry.path));
  return inspected.map((entry) => {
    const { file, path, current, problem, exposure, closedToOthers } = entry;
    const acl = entry.groupWrite ? aclExposure(entry.info!, acls[asked.indexOf(entry)]!) : undefined;
    return { file, path, current, problem, exposure: acl ?? exposure, closedToOthers: closedToOthers === true };
  });
}

/** `readByOthers` of the tree functions: a boolean or left out (false). */
function readByOthersOption(fn: string, value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean')
    throw new TypeError(`${fn}: options.readByOthers must be a boolean or left out, not ${describeArgument(value)}`);
  return value === true;
}

/** `root` of the tree functions: a directory (a non-empty string) or left out; undefined for `/`, whose paths need no naming. */
function rootOption(fn: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  pathArgument(fn, 'options.root', value);
  return value === '/' ? undefined : (value as string);
}

/** The text of the regular file at `path`, following links; undefined when there is none. Throws FileReadError otherwise. */
export function readFileIfPresent(path: string, options: TreeOptions): string | undefined {
  pathArgument('readFileIfPresent', 'path', path);
  maxBytesOption('readFileIfPresent', options);
  try {
    return readTextFile(path, options);
  } catch (error) {
    if (error instanceof FileReadError && error.kind === 'missing') return undefined;
    throw error;
  }
}

/** Every option of writeGeneratedFiles, one per key of its type (the compiler holds the two together). */
const WRITE_TREE_OPTIONS: Readonly<Record<keyof Parameters<typeof writeGeneratedFiles>[2], true>> = {
  maxBytes: true,
  mode: true,
  readByOthers: true,
  root: true,
};
const WRITE_TREE_KEYS = Object.keys(WRITE_TREE_OPTIONS);

export interface WrittenFile {
  readonly path: string;
  readonly wrote: boolean;
}

/**
 * writeGeneratedFiles' tree, read back after its renames, is not what it
 * wrote: another run (of another registry) wrote some of its files at the
 * same time, so the tree may be part one's and part the other's. `path`: the
 * first such file.
 */
export class ConcurrentWriteError extends FileWriteError {
  override name = 'ConcurrentWriteError';
  /** The files (dir joined with each path) that hold another text than this run wrote, in the order given. */
  readonly others: readonly string[];
  /** How many files the tree has. */
  readonly total: number;

  constructor(others: readonly string[], total: number) {
    super(
      others[0]!,
      `another run wrote ${others.length} of these ${total} files at the same time (${listed(others)}); the tree is not known to match what this run wrote: run it again`,
    );
    this.others = others;
    this.total = total;
  }
}

/** Up to three paths, escaped, then `…`. */
export function listed(paths: readonly string[]): string {
  return `${paths
    .slice(0, 3)
    .map((path) => escapeText(path))
    .join(', ')}${paths.length > 3 ? ', …' : ''}`;
}

/**
 * Write each file whose contents differ, all or none: every new content goes
 * to a temporary file beside its path (fsynced) first, and only when all are
 * written are they renamed into place. A directory that takes no new file
 * (read-only, full) leaves the whole tree as it was: one drop-in of two
 * updated would claim a new port while the other claims the old one, and the
 * health unit would name another registry. Throws FileWriteError, before
 * writing anything, when any path holds something that is not a regular file
 * (or cannot be read); the message names each one. `readByOthers` as for
 * inspectGeneratedFiles: a file with the right text that other users may not
 * read is replaced (0644) as one others may write is.
 *
 * Two runs at once (two registries, a timer and an operator) are not
 * excluded: Node has no lock that a SIGKILL cannot leave stale. A run that
 * inspects while another is part-way through its renames replaces only what
 * differs then, and the tree can end as neither made it. So a run that
 * renamed anything reads the whole tree back afterwards and throws
 * ConcurrentWriteError when any file is not what it wrote (see there).
 *
 * Every run also removes the temporary files writers of these paths left when
 * killed before their rename (killedWritersTemps), up to date or not: one
 * listing per directory.
 */
export function writeGeneratedFiles(
  dir: string,
  files: readonly GeneratedFile[],
  options: TreeOptions & { readonly mode?: number | undefined; readonly readByOthers?: boolean | undefined; readonly root?: string | undefined },
): WrittenFile[] {
  stringArgument('writeGeneratedFiles', 'dir', dir, 'a directory (a string; "" when the paths are whole)');
  generatedFilesArgument('writeGeneratedFiles', dir, files);
  maxBytesOption('writeGeneratedFiles', options, WRITE_TREE_KEYS);
  if (options.mode !== undefined) modeArgument('writeGeneratedFiles', 'options.mode', options.mode);
  const readByOthers = readByOthersOption('writeGeneratedFiles', options.readByOthers);
  const root = rootOption('writeGeneratedFiles', options.root);
  // Each run would write the files again, and each --check report them.
  if (readByOthers && options.mode !== undefined && (options.mode & 0o004) === 0) {
    throw new TypeError(
      `writeGeneratedFiles: options.mode ${octal(options.mode)} keeps other users from reading the files, which readByOthers asks for; give a mode with o+r (such as 0o644)`,
    );
  }
  const held = holdTreeDirectories(files.map((file) => join(dir, file.path)));
  try {
    return writeHeld(inspectHeld(dir, files, held, { maxBytes: options.maxBytes, readByOthers, root }), held, options);
  } finally {
    releaseTreeDirectories(held);
  }
}

/** writeGeneratedFiles, once inspected, in the directories `held` holds (and those it makes, held once made). */
function writeHeld(inspected: readonly InspectedFile[], held: TreeDirectories, options: TreeOptions & { readonly mode?: number | undefined }): WrittenFile[] {
  const refused = inspected.filter((entry) => entry.problem !== undefined);
  if (refused.length > 0) {
    const first = refused[0]!;
    const others = refused.slice(1).map((entry) => entry.path);
    const more = others.length > 0 ? ` (and ${others.length} more: ${listed(others)})` : '';
    throw new FileWriteError(first.path, `${first.problem}; nothing was written${more}`);
  }
  // Before the temporary files of this run are made: never one of its own. Every path's, written or not.
  killedWritersTemps(
    inspected.map((entry) => entry.path),
    { remove: true },
  );
  // A file someone else may write (or, with readByOthers, others may not read) is replaced even when it holds
  // the right text: the new one is this user's, 0644.
  const changed = inspected.filter((entry) => entry.current !== entry.file.contents || entry.exposure !== undefined);
  // Every directory first, so a directory that cannot be made leaves every file as it was. Those made here
  // are removed again when nothing is renamed into place: "nothing was written" leaves no empty tree behind.
  const made: MadeDirectory[] = [];
  for (const entry of changed) {
    const problem = makeDirectories(dirname(entry.path), made);
    if (problem !== undefined) {
      removeMadeDirectories(made);
      throw new FileWriteError(entry.path, `${problem.reason}; nothing was written`, problem.code);
    }
  }
  const temps: HeldTemp[] = [];
  try {
    for (const entry of changed) {
      const judged = heldFor(held, entry.path);
      const temp = writeTempBeside(entry.path, entry.file.contents, options.mode ?? 0o644, { swept: true, dir: judged });
      temps.push(temp);
      // A directory made above: held from here on too, for the read-back.
      if (judged === undefined) held.set(dirname(entry.path), holdAgain(temp.dir));
    }
  } catch (error) {
    for (const temp of temps) discardTemp(temp);
    removeMadeDirectories(made);
    if (!(error instanceof FileWriteError)) throw error;
    throw new FileWriteError(error.path, nothingWritten(error.reason), error.code);
  }
  // Renames within a directory the temporary file was just made in: they fail only if the tree changes meanwhile.
  let renamed = 0;
  for (const index of changed.keys()) {
    try {
      renameTemp(temps[index]!);
    } catch (error) {
      for (const temp of temps.slice(index + 1)) discardTemp(temp);
      if (!(error instanceof FileWriteError)) throw error;
      if (renamed === 0) {
        removeMadeDirectories(made);
        throw new FileWriteError(error.path, nothingWritten(error.reason), error.code);
      }
      // Some files are in place: the directories stay, and the message says how many were written (a reason
      // such as ENOTDIR's says "nothing was written" of the one file, which is no longer true of the tree).
      const reason = error.reason.replace(NOTHING_WRITTEN, '');
      throw new FileWriteError(error.path, `${reason} (${renamed} of ${changed.length} changed files were written before it)`, error.code);
    }
    renamed++;
  }
  if (renamed > 0) readBack(inspected, held, options.maxBytes);
  return inspected.map((entry) => ({ path: entry.path, wrote: changed.includes(entry) }));
}

/**
 * Throw ConcurrentWriteError when any file of the tree (every one, not only
 * those this run changed) no longer holds what this run made. Why that is
 * enough: a tree left mixed was changed by some rename, and the last rename
 * into it is followed by its own writer's read-back; nothing renames after
 * it, so that writer reads the tree as it stays, finds the files of the other
 * registry, and fails. A run that renamed nothing changed nothing: a tree
 * mixed after it was mixed by a later rename, whose writer fails. Contents only: the
 * other run's files are 0644 and this user's, as this run's are. Read in the
 * directories written (`held`), as another run's walk finds them too.
 */
function readBack(inspected: readonly InspectedFile[], held: TreeDirectories, maxBytes: number): void {
  const others = inspected
    .filter((entry) => inspect(entry.path, held.get(dirname(entry.path))!, { maxBytes, readByOthers: false }).current !== entry.file.contents)
    .map((entry) => entry.path);
  if (others.length > 0) throw new ConcurrentWriteError(others, inspected.length);
}

/** The end of a reason that says nothing was written: `; nothing was written` or ` (nothing was written)`. */
const NOTHING_WRITTEN = /(?:; nothing was written| \(nothing was written\))$/;

/** `reason`, ending in `; nothing was written` unless it says so already. */
function nothingWritten(reason: string): string {
  return NOTHING_WRITTEN.test(reason) ? reason : `${reason}; nothing was written`;
}

/** A directory makeDirectories made: its path, and which directory it is (removed only while it is that one). */
interface MadeDirectory {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
}

/**
 * `mkdir -p DIR`, one directory at a time. Node's recursive mkdirSync never
 * returns where a directory exists but takes no new entries (under /proc/1:
 * ENOENT for the child, EEXIST for the parent, again and again). Each
 * directory it makes is added to `made`, in the order made (parents first).
 * Each is made in the one above it as held open (held-directory.ts), never by
 * its path: whoever may change a directory on the way could swap it for a
 * link meanwhile, and root made directories where that pointed. Returns why
 * DIR cannot be made (one phrase, and the error code), or undefined once it
 * exists.
 */
function makeDirectories(dir: string, made: MadeDirectory[]): { reason: string; code?: string } | undefined {
  const missing: string[] = [];
  let existing = dir;
  for (let current = dir; ; current = dirname(current)) {
    let info: Stats;
    try {
      info = statSync(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { reason: `cannot make its directory ${escapeText(current)}: ${describe(code)}`, code };
      const link = lstatOrUndefined(current);
      if (link?.isSymbolicLink()) {
        return {
          reason: `${escapeText(current)} is a symbolic link to a missing directory (${quoteValue(readlinkOr(current))}); create that directory or give another`,
          code: 'ENOENT',
        };
      }
      missing.push(current);
      if (dirname(current) === current) break;
      continue;
    }
    if (!info.isDirectory()) return { reason: `${escapeText(current)} is ${fileKind(info)}, not a directory`, code: 'ENOTDIR' };
    const foreign = foreignOwner(current, info);
    if (foreign) return foreign;
    existing = current;
    break;
  }
  if (missing.length === 0) return undefined;
  let held: HeldDirectory;
  try {
    held = holdDirectory(existing);
  } catch (error) {
    if (!(error instanceof WalkError)) throw error;
    return heldProblem(missing.at(-1)!, error);
  }
  try {
    for (const current of missing.reverse()) {
      const name = basename(current);
      try {
        // 0755 at most, whatever the umask: under umask 000 the default 0777 made a drop-in directory in
        // /etc/systemd/system that anyone could add a drop-in to, which systemd then runs (as root with `+`).
        mkdirSync(entryPath(held, name), { mode: 0o755 });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const meanwhile = code === 'EEXIST' ? lstatIn(held, name) : undefined;
        if (meanwhile?.isDirectory()) {
          // Made meanwhile: by another run of this user's or root's, fine; by another account, refused.
          const foreign = foreignOwner(current, meanwhile);
          if (foreign) return foreign;
          held = moveInto(held, enter(held, name, meanwhile, current));
          continue;
        }
        // procfs and sysfs make no directories (ENOENT, or EPERM even to root, EACCES to others): that, not an
        // attribute or a permission to look for, is why.
        const kernel = code === 'ENOENT' || code === 'EPERM' || code === 'EACCES' ? kernelFileSystem(held.base) : undefined;
        if (kernel !== undefined) return { reason: `cannot make its directory ${escapeText(current)}: its parent is on ${kernel}; write elsewhere`, code };
        // Its parent is a directory (just found or made), yet no entry can be made in it.
        if (code === 'ENOENT') {
          return {
            reason: `cannot make its directory ${escapeText(current)}: its parent takes no new entries (a special file system such as /proc or /sys)`,
            code,
          };
        }
        return { reason: `cannot make its directory ${escapeText(current)}: ${describe(code)}`, code };
      }
      const opened = openUpMadeDirectory(held, name, current);
      if ('reason' in opened) return opened;
      held = moveInto(held, opened.dir);
      made.push({ path: current, dev: opened.info.dev, ino: opened.info.ino });
    }
    return undefined;
  } catch (error) {
    if (!(error instanceof WalkError)) throw error;
    return heldProblem(dir, error);
  } finally {
    releaseDirectory(held);
  }
}

/** What lstat finds at `name` in the held `dir`; undefined for nothing, or when it cannot look. */
function lstatIn(dir: HeldDirectory, name: string): Stats | undefined {
  try {
    return lstatSync(entryPath(dir, name), { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** Why a directory on the way to `dir` could not be held (WalkError), as makeDirectories says it. */
function heldProblem(dir: string, error: WalkError): { reason: string; code?: string } {
  if (error.untrusted) return { reason: `${notFollowed(error.untrusted, 'directory')}; remove it, or \`chown -h root:root\` it`, code: 'EACCES' };
  if (error.code === 'ECHANGED') return { reason: directoryChanged().replace(/ \(nothing was written\)$/, ''), code: error.code };
  return { reason: `cannot make its directory ${escapeText(dir)}: ${describe(error.code)}`, ...(error.code !== undefined && { code: error.code }) };
}

/**
 * Make the directory `name` mkdir just made in the held `parent` 0755 (its
 * setgid bit kept), whatever the umask: under umask 027 it was 0750, and
 * Prometheus and Grafana, which run as users of their own, could not read
 * the files written into it. Through a descriptor opened in `parent` without
 * following a link, so a link put in its place meanwhile (by whoever may
 * write its parent) is never chmodded through; another account's directory
 * put there is refused as foreignOwner says. Returns it held (`parent`
 * stays held), with its fstat.
 */
function openUpMadeDirectory(parent: HeldDirectory, name: string, path: string): { dir: HeldDirectory; info: Stats } | { reason: string; code?: string } {
  let dir: HeldDirectory;
  try {
    dir = enter(parent, name, undefined, path, constants.O_RDONLY);
  } catch (error) {
    if (!(error instanceof WalkError)) throw error;
    return {
      reason: `cannot make its directory ${escapeText(path)}: ${error.code === 'ECHANGED' ? 'it was replaced as it was made' : describe(error.code)}`,
      code: error.code ?? 'EIO',
    };
  }
  try {
    const info = dir.fd === undefined ? statSync(path) : fstatSync(dir.fd);
    const foreign = foreignOwner(path, info);
    if (foreign) {
      releaseDirectory(dir);
      return foreign;
    }
    const mode = (info.mode & 0o7777) | 0o755;
    if (mode !== (info.mode & 0o7777)) {
      if (dir.fd === undefined) chmodSync(path, mode);
      else fchmodSync(dir.fd, mode);
    }
    return { dir, info };
  } catch (error) {
    releaseDirectory(dir);
    const code = (error as NodeJS.ErrnoException).code;
    return { reason: `cannot make its directory ${escapeText(path)}: ${describe(code)}`, ...(code !== undefined && { code }) };
  }
}

/**
 * Remove the directories a failed write made (makeDirectories' `made`),
 * deepest first, each only while empty and still the one made (in the
 * directory above it, held): one that holds anything (another process's
 * file, made meanwhile) stays, and so do those above it.
 */
function removeMadeDirectories(made: readonly MadeDirectory[]): void {
  for (const dir of [...made].reverse()) {
    let parent: HeldDirectory;
    try {
      parent = holdDirectory(dirname(dir.path));
    } catch {
      continue; // swapped or gone: nothing of this run's to remove there
    }
    try {
      const info = lstatIn(parent, basename(dir.path));
      if (info?.isDirectory() && info.dev === dir.dev && info.ino === dir.ino) rmdirSync(entryPath(parent, basename(dir.path)));
    } catch {
      // not empty, or gone: left as it is
    } finally {
      releaseDirectory(parent);
    }
  }
}

/**
 * Why files must not be made under `dir`: another account owns it, so it may
 * replace whatever is made there. The callers judge the directories above a
 * tree before writing it (files/directories.ts); this holds for the one a
 * write finds in the end, as one missing then may have been made since by
 * anyone who may write its parent (in a sticky /tmp, anyone).
 */
function foreignOwner(dir: string, info: Stats): { reason: string; code: string } | undefined {
  const euid = process.geteuid?.();
  if (euid === undefined || info.uid === 0 || info.uid === euid) return undefined;
  return {
    reason: `${escapeText(dir)} is owned by uid ${info.uid}, not by ${trustedOwners()}: that account may replace what is written there; remove it (or chown it), or write under a directory only root may add to`,
    code: 'EACCES',
  };
}

function readlinkOr(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '?';
  }
}

/** What inspectGeneratedFiles says of the file at `path`, looked at in `dir`, its directory as held (or why that could not be). */
function inspect(
  path: string,
  dir: HeldDirectory | WalkError,
  options: TreeOptions & { readonly readByOthers: boolean; readonly root?: string | undefined },
): {
  current: string | undefined;
  problem: string | undefined;
  exposure?: string | undefined;
  closedToOthers?: boolean;
  /** Its exposure is the group-write bit alone (`info` its lstat): an ACL may say otherwise (aclExposure). */
  groupWrite?: true;
  info?: Stats;
} {
  // A directory on the way linked by another user would have root write wherever that user points it
  // (`rules -> /etc/cron.d`): the walk that holds it refuses such a link; the file itself, a link or not, is judged below.
  if (dir instanceof WalkError) return unheldDirectory(path, dir);
  const name = basename(path);
  // By name in the directory held (a string: readTextFile takes one, and opens a name not UTF-8 by its bytes too).
  const at = dir.base === '/' ? `/${name}` : `${dir.base}/${name}`;
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(entryPath(dir, name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { current: undefined, problem: undefined };
    return { current: undefined, problem: unreachableProblem(path, code) };
  }
  if (info.isSymbolicLink()) {
    let target = '?';
    try {
      target = readlinkSync(entryPath(dir, name)).toString();
    } catch {
      // shown as ?
    }
    const masked = target === '/dev/null' ? ' (a masked unit)' : '';
    // Under a root, an absolute target is inside it (as the booted system reads the link): "/etc/x" alone would name the host's.
    const under = options.root !== undefined && target.startsWith('/') ? ` under ${escapeText(options.root)}` : '';
    return {
      current: undefined,
      problem: `it is a symbolic link to ${quoteValue(target, 200)}${under}${masked}, which is never replaced; remove the link to let this tool write the file`,
    };
  }
  if (!info.isFile()) return { current: undefined, problem: `it is ${fileKind(info)}, not a regular file; move it away to let this tool write the file` };
  // Said from its size alone, also when this user may not read it (mode 0000): reading it would change nothing.
  if (info.size > options.maxBytes) return { current: undefined, problem: tooLargeProblem(`it is larger than ${formatBytes(options.maxBytes)}`) };
  try {
    // A byte that is not UTF-8 kept (U+DC80+byte), not U+FFFD: a diff shows it as `\xff`, and a file holding one is
    // never taken for generated text that holds U+FFFD itself.
    const current = decodeKeepingBadBytes(readFileBytes(at, { maxBytes: options.maxBytes }));
    if (!options.readByOthers) {
      const { exposure, groupWrite } = exposureOf(info);
      return { current, problem: undefined, exposure, ...(groupWrite && { groupWrite, info }) };
    }
    // Who else may change it comes first: replacing the file (0644) fixes both.
    const { exposure: writers, groupWrite } = exposureOf(info);
    if (writers !== undefined || (info.mode & 0o004) !== 0) return { current, problem: undefined, exposure: writers, ...(groupWrite && { groupWrite, info }) };
    return { current, problem: undefined, exposure: `other users may not read it (mode ${octal(info.mode & 0o7777)})`, closedToOthers: true };
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    // Removed since the lstat: nothing is there, as if the lstat had found nothing.
    if (error.kind === 'missing') return { current: undefined, problem: undefined };
    return { current: undefined, problem: unreadableProblem(error, info) };
  }
}

/** inspect's answer for a file whose directory could not be held (`error`): nothing there yet, or why it cannot be looked at. */
function unheldDirectory(path: string, error: WalkError): { current: undefined; problem: string | undefined } {
  if (error.untrusted) return { current: undefined, problem: `${notFollowed(error.untrusted, 'directory')}; remove it, or \`chown -h root:root\` it` };
  // A directory not there yet: the write makes it.
  if (error.code === 'ENOENT') return { current: undefined, problem: undefined };
  if (error.code === 'ECHANGED') return { current: undefined, problem: directoryChanged().replace(NOTHING_WRITTEN, '') };
  return { current: undefined, problem: unreachableProblem(path, error.code) };
}

/**
 * Why nothing can be known of `path` (lstat failed with `code`, not ENOENT), with what to do: one phrase, paths escaped.
 * A generated file's place that cannot be looked at is never written over blind.
 */
function unreachableProblem(path: string, code: string | undefined): string {
  switch (code) {
    case 'ENOTDIR': {
      const file = fileOnTheWay(path);
      return file === undefined
        ? 'a path component is not a directory; move the file in the way of its directory, then run again'
        : `a path component is not a directory: ${escapeText(file.path)} is ${file.kind}; move it away (this tool makes the directory), then run again`;
    }
    case 'EACCES':
    case 'EPERM': {
      const closed = unsearchable(path);
      return closed === undefined
        ? 'permission denied looking it up; run as a user who may search every directory on its way'
        : `permission denied looking it up: this user may not search ${escapeText(closed)}; run as a user who may (or \`chmod a+x\` that directory), then run again`;
    }
    case 'ENAMETOOLONG':
      return 'its path or a part of it is too long (a name over 255 bytes, or over 4095 in all); write into a directory with a shorter path';
    case 'ELOOP':
      return 'its path holds a loop of symbolic links; replace a link on the way with a real directory, or write into the real directory';
    default:
      return `it cannot be looked at (${escapeText(code ?? 'error')}); check the file system it is on (dmesg), then run again`;
  }
}

/** The topmost existing directory above `path` that is not a directory (a file where one is wanted), and what it is. */
function fileOnTheWay(path: string): { path: string; kind: string } | undefined {
  let found: { path: string; kind: string } | undefined;
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    const info = statOrUndefined(dir);
    if (info !== undefined && !info.isDirectory()) found = { path: dir, kind: fileKind(info) };
  }
  return found;
}

/** The topmost directory above `path` this user may not search (access X_OK), or undefined. */
function unsearchable(path: string): string | undefined {
  let found: string | undefined;
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      accessSync(dir, constants.X_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') found = dir;
    }
  }
  return found;
}

/**
 * Why a file in the way could not be read, with what to do: this tool writes nothing over `maxBytes` (it could not read
 * it back), so a larger file is another's, which writing would replace.
 */
function unreadableProblem(error: FileReadError, info: Stats): string {
  const reason = escapeText(error.reason);
  switch (error.kind) {
    case 'too-large':
      return tooLargeProblem(reason);
    case 'denied':
      // Not what this tool wrote as this user (it writes files its user may read): whose it is says who may.
      return (
        `this user may not read it (permission denied; mode ${octal(info.mode & 0o7777)}, owner uid ${info.uid}), so what it holds is not known; ` +
        'run as a user who may read it, or move it away or delete it, then run again'
      );
    case 'not-regular':
      return `${reason}; move it away to let this tool write the file`;
    default:
      // The process's or the system's state (EIO, EMFILE, ...): the reason says which; EMFILE's says what to raise.
      return `${reason}; ${/\): raise /.test(reason) ? 'then run again' : 'check the file and the file system it is on (dmesg), then run again'}`;
  }
}

/** A file in a generated file's place larger than this tool writes (`reason`: `it is larger than 4 MiB`), with what to do. */
function tooLargeProblem(reason: string): string {
  return `${reason}, so it is not this tool's output (it writes nothing that large); move it away or delete it, then run again`;
}

/** exposureOf's phrase for the file at `path` lstat or stat described, or undefined when only root and this user may change it. */
export function fileExposure(info: Stats, path: string): string | undefined {
  const { exposure, groupWrite } = exposureOf(info);
  return groupWrite ? (aclExposure(info, extendedAcls([path])[0]!) ?? exposure) : exposure;
}

/**
 * Who besides this user and root may change a file: a claim drop-in that is
 * 0666, or another user's, runs what they write, as root (`ExecStartPre=+`).
 * `groupWrite` when the group-write bit alone says so: with a POSIX ACL those
 * bits are its mask, and aclExposure says who (asked of `ls` only then).
 */
function exposureOf(info: Stats): { exposure?: string; groupWrite?: true } {
  const mode = info.mode & 0o7777;
  if ((mode & 0o022) !== 0)
    return { exposure: `writable by ${mode & 0o002 ? 'others' : 'its group'} (mode ${octal(mode)})`, ...((mode & 0o002) === 0 && { groupWrite: true }) };
  if (info.uid !== 0 && info.uid !== process.geteuid?.()) return { exposure: `owned by uid ${info.uid}, who may change it` };
  return {};
}

/** A group-writable file's exposure once `ls` has said whether it has an ACL; undefined when it has none (its group, then). */
function aclExposure(info: Stats, acl: AclAnswer): string | undefined {
  const mode = octal(info.mode & 0o7777);
  if (acl === true)
    return `writable by the users and groups its POSIX ACL names (mode ${mode}: its group bits are the ACL's mask; \`setfacl -b\` removes the ACL)`;
  if (acl === false) return undefined;
  return `writable by its group (gid ${info.gid}), and perhaps by users a POSIX ACL names (mode ${mode}; whether it has one could not be told: ${acl})`;
}
