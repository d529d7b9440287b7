// A cache directory for what the tools can always make again (the V8 code
// cache of a bin's bundle, cli-kit/code-cache.ts; a parsed registry file,
// registry-cache.ts): per user, owned by the running user and writable by
// nobody else, or not used at all. A tool that runs as root must never load
// anything from a place another user can write, so every read checks the
// directory, the directories above it (trustedDir) and the file (owner,
// mode, no symbolic link). Nothing here
// throws: a cache that cannot be read or written is simply not there.
//
// The rule for the directories above (owned by root or this user, writable by
// nobody else unless sticky: distrustedAbove) is also the rule for code a bin
// loads from outside its bundle, the installed registry parser
// (cli-kit/installed-parser.ts, through distrustedPath): one rule, here.
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { holdTemp, releaseTemp, removeStaleTemps, tempsOf, type TempWriter } from './files/temp-files.js';
import { type AclAnswer, aclWriters, extendedAcls } from './files/acl.js';
import { escapeText } from './escape.js';
import { decodeKeepingBadBytes, fileSystemPath } from './utf8.js';

/** The environment variable that names the cache directory (absolute), or turns the cache off (`off`; a relative path or an empty value is no cache either). */
export const CACHE_ENV = 'DSA110_PORTS_CACHE';

/** root's cache directory (systemd units run the tools as root, usually without HOME). */
export const ROOT_CACHE_DIR = '/var/cache/dsa110-ports';

type Env = Readonly<Record<string, string | undefined>>;

/** The variables cacheDir reads: loadRegistry checks their type in a caller's `env` (a TypeError there; ignored here). */
export const CACHE_VARIABLES = [CACHE_ENV, 'XDG_CACHE_HOME', 'HOME'] as const;

/**
 * Where this user's cache lives: $DSA110_PORTS_CACHE (absolute; `off` for
 * none, and a relative path or an empty value is none too: a cache in
 * whatever the working directory is would be made and read there), else /var/cache/dsa110-ports for root, else
 * $XDG_CACHE_HOME/dsa110-ports or ~/.cache/dsa110-ports. Undefined: no cache.
 * `uid` is the effective one: the cache is read and written as that user.
 *
 * None at all in a process whose real and effective ids differ (started by
 * a setuid-root wrapper, or `setpriv --ruid=USER`): its environment is the
 * invoking user's, and a directory named there (their $XDG_CACHE_HOME, $HOME
 * or $DSA110_PORTS_CACHE) would have root load the V8 code cache and the
 * parsed registry from files that user wrote: their code, run as root.
 */
export function cacheDir(env: Env, uid: number | undefined = process.geteuid?.()): string | undefined {
  if (process.geteuid?.() !== process.getuid?.() || process.getegid?.() !== process.getgid?.()) return undefined;
  const chosen = ownString(env, CACHE_ENV);
  if (chosen !== undefined) return chosen.startsWith('/') && decodedWhole(chosen) ? chosen : undefined; // `off`, empty, relative or not UTF-8: none
  if (uid === undefined) return undefined;
  if (uid === 0) return ROOT_CACHE_DIR;
  const xdg = ownString(env, 'XDG_CACHE_HOME');
  if (xdg?.startsWith('/')) return decodedWhole(xdg) ? `${xdg}/dsa110-ports` : undefined;
  const home = ownString(env, 'HOME');
  return home?.startsWith('/') && home !== '/' && decodedWhole(home) ? `${home}/.cache/dsa110-ports` : undefined;
}

/**
 * Whether a variable's value is the path it names: Node decodes the environment as UTF-8 and puts U+FFFD for
 * bytes that are not, so such a value names another directory (`c\xff` became `c\uFFFD`, made and used as the
 * cache). None then, as for a relative value: the cache is only ever a speed-up.
 */
function decodedWhole(value: string): boolean {
  return !value.includes('\uFFFD');
}

/**
 * A variable as process.env has it: an own string property, else unset (never one
 * inherited through a prototype; a number or null from a JavaScript caller's `env`,
 * which loadRegistry refuses first, is not read as text).
 */
function ownString(env: Env, name: string): string | undefined {
  if (!Object.hasOwn(env, name)) return undefined;
  const value: unknown = env[name];
  return typeof value === 'string' ? value : undefined;
}

/** Owned by this user (the effective uid: the one files are made as) and writable by nobody else. */
function trusted(info: Stats): boolean {
  return info.uid === process.geteuid?.() && (info.mode & 0o022) === 0;
}

/**
 * The directory and every directory above it, as OpenSSH's StrictModes has
 * it. The directory: a directory (not a symbolic link), this user's, writable
 * by nobody else. Each ancestor: a directory, not a symbolic link, owned by
 * root or this user, not writable by group or others unless sticky (/tmp).
 *
 * Why the ancestors too, when a read opens the file O_NOFOLLOW and checks
 * its owner and mode on the descriptor: that fstat keeps out bytes another
 * user wrote, but the path is resolved again at each call, so whoever may
 * rename an ancestor (a directory writable by others, not sticky) can swap
 * in a directory or a link of their own between this check and the next
 * call. Reads stay safe (the file must still be this user's), but writes do
 * not: writeCacheFile's mkdir, temporary file and rename (and the registry
 * cache's pruning) would then make, replace or remove files as this user,
 * as root for claim-port, in a directory of the other user's choosing. With
 * every ancestor writable only by root or this user (or sticky, where
 * others cannot rename what is not theirs), nobody else can change what
 * the path names. A symbolic link on the way is refused rather than
 * followed (its target's ancestors would need the same check): set
 * DSA110_PORTS_CACHE to the real path. The defaults pass
 * (/var/cache/dsa110-ports, ~/.cache/dsa110-ports in a home of one's own).
 *
 * Cost: one lstat per directory of the path, 4 for the root default, every
 * start (within callgrind's noise of `port-health-check --version`). No path
 * functions (compiled at each start): the path is cut at each '/'.
 */
function trustedDir(dir: string): boolean {
  const info = lstatSync(dir);
  return info.isDirectory() && trusted(info) && trustedAncestors(dir);
}

/** Each directory above `path` (see trustedDir): each must exist. */
function trustedAncestors(path: string): boolean {
  return distrustedAbove(path) === undefined;
}

/** A part of a path that another user could change (or that cannot be judged), and why: for a message. */
export interface Distrusted {
  /** The file or directory at fault, as a part of the path given. */
  readonly at: string;
  /** Why, after its name: `is owned by uid 65534 (mode 0755), neither root nor the running user`. */
  readonly why: string;
}

/**
 * The first directory above `path` (the nearest first) that is not a
 * directory, is a symbolic link, is owned by another user than root and
 * this one (the effective uid), or that group or others may write without
 * the sticky bit (see trustedDir); undefined when there is none. Each must
 * exist. No path functions: the path is cut at each '/'.
 */
export function distrustedAbove(path: string): Distrusted | undefined {
  for (let end = path.lastIndexOf('/'); end >= 0; end = end === 0 ? -1 : path.lastIndexOf('/', end - 1)) {
    const at = end === 0 ? '/' : path.slice(0, end);
    let info: Stats;
    try {
      info = lstatSync(at);
    } catch (error) {
      return { at, why: `cannot be examined (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
    }
    const wrong = distrustedStats(info, 'directory');
    if (wrong !== undefined) return { at, why: wrong };
  }
  return undefined;
}

/**
 * `path` itself (a regular file or a directory, as `kind` says; never a
 * symbolic link: give the real path) and every directory above it, judged
 * as distrustedAbove judges the directories above: owned by root or this
 * user, writable by nobody else (a directory that others may write only
 * when sticky, a file never). The first part at fault, or undefined.
 * For code loaded from outside a bin's bundle (cli-kit/installed-parser.ts).
 */
export function distrustedPath(path: string, kind: 'file' | 'directory'): Distrusted | undefined {
  let info: Stats;
  try {
    info = lstatSync(path);
  } catch (error) {
    return { at: path, why: `cannot be examined (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  const wrong = distrustedStats(info, kind);
  return wrong !== undefined ? { at: path, why: wrong } : distrustedAbove(path);
}

/**
 * Why a file or directory is not to be trusted, or undefined: the one rule.
 * Owned by root or by this user (the effective uid); writable by group or
 * others only when it is a directory with the sticky bit (/tmp), where
 * others cannot rename or remove what is not theirs.
 */
function distrustedStats(info: Stats, kind: 'file' | 'directory'): string | undefined {
  if (info.isSymbolicLink()) return 'is a symbolic link';
  if (kind === 'directory' ? !info.isDirectory() : !info.isFile()) return `is not a ${kind === 'file' ? 'regular file' : 'directory'}`;
  const mode = `mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}`;
  if (info.uid !== 0 && info.uid !== process.geteuid?.()) return `is owned by uid ${info.uid} (${mode}), neither root nor the running user`;
  const sticky = kind === 'directory' && (info.mode & 0o1000) !== 0;
  if ((info.mode & 0o022) !== 0 && !sticky) {
    const who = (info.mode & 0o002) !== 0 ? 'every user' : 'its group';
    return `is writable by ${who} (owner uid ${info.uid}, ${mode}${kind === 'directory' ? ', not sticky' : ''})`;
  }
  return undefined;
}

/**
 * The bytes of `dir/name`, when the directory and the file are trusted (see
 * above; the file no symbolic link, a regular file, this user's, writable by
 * nobody else); else undefined. Few fs calls on purpose: each fs function a
 * start uses is compiled at that start.
 */
export function readCacheFile(dir: string, name: string): Buffer | undefined {
  const opened = openCacheFile(dir, name);
  if (opened === undefined) return undefined;
  try {
    return readFileSync(opened.fd);
  } catch {
    return undefined;
  } finally {
    closeSync(opened.fd);
  }
}

/**
 * readCacheFile's file opened, with its size, for a caller that reads it
 * where it wants it (the code cache, straight into its checksum's memory);
 * the caller closes it. Undefined as for readCacheFile.
 */
export function openCacheFile(dir: string, name: string): { readonly fd: number; readonly size: number } | undefined {
  let fd: number | undefined;
  try {
    if (!trustedDir(dir)) return undefined;
    // Node takes numeric open flags here too (its types name only strings).
    fd = openSync(`${dir}/${name}`, NO_FOLLOW as unknown as string);
    const info = fstatSync(fd);
    if (info.isFile() && trusted(info) && info.size <= MAX_CACHE_ENTRY_BYTES) {
      const opened = { fd, size: info.size };
      fd = undefined;
      return opened;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The largest entry read: a bundle's V8 data, or a registry file of
 * at most MAX_REGISTRY_BYTES with twice its data as JSON, are a few MiB. A
 * larger file is not an entry of ours (a sparse 1.5 GB file took 2 s and
 * 1.5 GB of memory to read before it was found not to match).
 */
export const MAX_CACHE_ENTRY_BYTES = 64 * 1024 * 1024;

// No symbolic link followed; a FIFO (which only this user could have put there) never blocks the open.
const NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW | (constants.O_NONBLOCK ?? 0);

/**
 * Write `dir/name` atomically (0600); silently nothing when it cannot, or the directory is not
 * trusted. True when written. A missing `dir` is made (0700), itself only, when the directory
 * above it exists and is trusted: never a chain of directories (DSA110_PORTS_CACHE=/srv/typo/cache
 * made /srv/typo and /srv/typo/cache, as root for claim-port); for the code cache and the
 * registry cache alike, which both write through here.
 *
 * The temporary file, `.NAME.PID.tmp`: those of `name` that killed writers left are removed
 * first (a SIGKILL, or a SIGTERM before this version; one of this PID, from a process that had
 * it before, made the exclusive create fail: no cache from that run), and a SIGTERM, SIGINT or SIGHUP that comes
 * while it is written waits for the rename (files/temp-files.ts). With `isEntry` (the caller's
 * pattern for its entries, as pruneCacheFiles takes it), those of every such entry: an entry
 * that is there is never written again, so the temporary file of a writer killed while another
 * run wrote it, or of an entry since pruned, stayed for ever. The same one listing either way,
 * and only here, on a write: a start that finds its entry lists nothing.
 */
export function writeCacheFile(dir: string, name: string, data: Uint8Array, isEntry?: (name: string) => boolean): boolean {
  let temporary: string | undefined;
  try {
    // Made only below directories nobody else can change (trustedAncestors), then checked whole.
    if (!trustedAncestors(dir)) return false;
    makeDirectory(dir);
    if (!trustedDir(dir)) return false;
    const temps = isEntry === undefined ? tempsOf([Buffer.from(`.${name}.`)], TEMP_REST) : entryTemps(isEntry);
    removeStaleTemps(Buffer.from(dir), temps, [process.geteuid?.() ?? -1]);
    temporary = `${dir}/.${name}.${process.pid}.tmp`;
    holdTemp(temporary);
    writeFileSync(temporary, data, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, `${dir}/${name}`);
    releaseTemp(temporary);
    temporary = undefined;
    return true;
  } catch {
    return false; // no cache, then
  } finally {
    if (temporary !== undefined) {
      rmSync(temporary, { force: true });
      releaseTemp(temporary);
    }
  }
}

/**
 * Keep the `keep` most recently written entries of `dir` that `isEntry`
 * accepts (by name, exactly: the caller's pattern), `written` (the one just
 * written) always among them, and remove the others. Only in a trusted
 * directory (as writeCacheFile checks it, ancestors included), and only
 * regular files of this user's: never a link (lstat, never followed), a
 * directory or another user's file. Best effort: never throws, and a file it
 * cannot judge or remove stays.
 */
export function pruneCacheFiles(dir: string, isEntry: (name: string) => boolean, keep: number, written: string): void {
  try {
    if (!trustedDir(dir)) return;
    const uid = process.geteuid?.();
    const entries: { name: string; mtime: number }[] = [];
    for (const name of readdirSync(dir)) {
      if (!isEntry(name)) continue;
      try {
        const info = lstatSync(`${dir}/${name}`);
        if (info.isFile() && info.uid === uid) entries.push({ name, mtime: info.mtimeMs });
      } catch {
        // gone meanwhile
      }
    }
    entries.sort((a, b) => (a.name === written ? -1 : b.name === written ? 1 : b.mtime - a.mtime));
    for (const { name } of entries.slice(keep)) {
      try {
        unlinkSync(`${dir}/${name}`);
      } catch {
        // gone meanwhile, or not ours to remove
      }
    }
  } catch {
    // pruning is best effort
  }
}

/** What follows a temporary file's `.NAME.`: the writer's PID (group 1), `.tmp`. */
const TEMP_REST = /^([1-9][0-9]{0,6})\.tmp$/;

/** A temporary file's whole name: `.NAME.PID.tmp` (NAME group 1, PID group 2). */
const TEMP_NAME = /^\.(.+)\.([1-9][0-9]{0,6})\.tmp$/;

/** The temporary files of the entries `isEntry` accepts (their NAME, exactly). */
function entryTemps(isEntry: (name: string) => boolean): TempWriter {
  return (name) => {
    const match = TEMP_NAME.exec(name.toString('latin1'));
    return match !== null && isEntry(match[1]!) ? Number(match[2]) : undefined;
  };
}

/** mkdir `dir` (0700) unless it exists: one directory, never its parents. */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** rootOnlyFault's answer when only an ACL can tell (the group-write bit of root's group, others may not write). */
const ASK_ACL = Symbol('ask ls for an ACL');

/**
 * Why root must not run (or load) what `info` (an lstat) describes, or
 * undefined: the rule for what decides the code root runs (claim-port in
 * ExecStartPre=+, its #! interpreter, the files its bin loads; the health
 * check and `ports systemd` judge them, systemd/root-writable.ts, and
 * claim-port judges its own files as root). The rule of the cache's
 * directories above, with root alone trusted, since root runs it whoever
 * checks: owned by root (a symbolic link too: it is replaced only through
 * its directory, but its owner is who chose it), writable by no one else
 * (its group only when that is root's group, and it has no POSIX ACL: with
 * one, the group bits are the ACL's mask, and the users and groups it names
 * may write; asked of `ls` only for such a mode, files/acl.ts, and one it
 * cannot say of counts). A directory that holds one of those files or links
 * (`holds`) counts even when sticky: whoever may add to it may put a file of
 * theirs where one is missing (an upgrade, a module Node looks for); one
 * further up may be sticky (/tmp), where others cannot rename what is not
 * theirs. `owner`: whom to trust besides root, when a staged tree (--root)
 * is another user's, who may change all of it anyway. ASK_ACL for that
 * mode of root's group: settle asks `ls` (aclFault), once for all the parts
 * a run judges. No path functions: claim-port calls it at start.
 */
function rootOnlyFault(info: Stats, holds: boolean, owner: number): string | typeof ASK_ACL | undefined {
  const mode = `mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}`;
  const whose = owner === 0 ? 'root' : `root or uid ${owner} (the owner of the root directory)`;
  const trusted = info.uid === 0 || info.uid === owner;
  if (info.isSymbolicLink()) return trusted ? undefined : `is a symbolic link owned by uid ${info.uid}, not by ${whose}`;
  if (!trusted) return `is owned by uid ${info.uid}, not by ${whose} (${mode})`;
  if (info.isDirectory() && !holds && (info.mode & 0o1000) !== 0) return undefined;
  if ((info.mode & 0o002) !== 0) return `is writable by every user (${mode})`;
  if ((info.mode & 0o020) !== 0) return info.gid !== 0 ? `is writable by its group (gid ${info.gid}, ${mode})` : ASK_ACL;
  return undefined;
}

/** The fault of a part of root's group with the group-write bit, once `ls` has said whether it has an ACL (`shown`: its path, as the fix names it). */
function aclFault(info: Stats, acl: AclAnswer, shown: string): string | undefined {
  if (acl === false) return undefined;
  const at = escapeText(shown);
  return `is ${aclWriters(info.mode, info.gid, acl, `; \`setfacl -b ${at}\` removes the ACL, \`chmod g-w ${at}\` masks it`)}`;
}

/** A part judged, the ACL perhaps still to ask (`host`: where ls finds it). */
interface Judged<Step extends RootOnlyFault> {
  readonly step: Step;
  readonly why: string | typeof ASK_ACL;
  readonly info: Stats;
  readonly host: string;
}

/** The steps of `lists` whose fault stands, each list in its order: one `ls` for every part only an ACL can tell about (none in the common case). */
function settle<Step extends RootOnlyFault>(lists: readonly (readonly Judged<Step>[])[]): Step[][] {
  const asked = [...new Set(lists.flatMap((list) => list.filter((part) => part.why === ASK_ACL).map((part) => part.host)))];
  const acls = extendedAcls(asked);
  return lists.map((list) =>
    list.flatMap((part) => {
      const why = part.why === ASK_ACL ? aclFault(part.info, acls[asked.indexOf(part.host)]!, part.step.path) : part.why;
      return why === undefined ? [] : [{ ...part.step, why }];
    }),
  );
}

/** A part of a path root runs that someone besides root may change: the path, and why (rootOnlyFault's words). */
export interface RootOnlyFault {
  readonly path: string;
  readonly why: string;
}

/**
 * The first of `files` (real, absolute host paths: no link on the way), the
 * directory holding it, or a directory above that, that someone besides root
 * may change (rootOnlyFault), each directory judged once; undefined when
 * none is, or a part is missing. A handful of lstat calls: claim-port's own
 * check of its files at start, as root (and one `ls` when a part of root's
 * group has the group-write bit, for its ACL).
 */
export function rootOnlyAlong(files: readonly string[]): RootOnlyFault | undefined {
  const judged = new Set<string>();
  // In the order met, up to the first fault the mode alone tells; those only an ACL can tell about are asked after.
  const parts: Judged<RootOnlyFault>[] = [];
  const add = (path: string, holds: boolean): boolean => {
    const info = lstatSync(path);
    const why = rootOnlyFault(info, holds, 0);
    if (why !== undefined) parts.push({ step: { path, why: '' }, why, info, host: path });
    return typeof why === 'string';
  };
  found: for (const file of files) {
    try {
      if (add(file, false)) break;
      for (let end = file.lastIndexOf('/'), holds = true; end >= 0; end = end === 0 ? -1 : file.lastIndexOf('/', end - 1), holds = false) {
        const dir = end === 0 ? '/' : file.slice(0, end);
        const key = holds ? `${dir}/` : dir;
        if (judged.has(key)) continue;
        judged.add(key);
        if (add(dir, holds)) break found;
      }
    } catch {
      // missing or unreadable: what loads it says so
    }
  }
  return parts.length === 0 ? undefined : settle([parts])[0]![0];
}

/** A part of a path root reads or runs that someone besides root may change (rootOnlyFault's words), and what it is. */
export interface RootOnlyStep extends RootOnlyFault {
  readonly kind: 'link' | 'directory' | 'file';
  /**
   * A directory with the sticky bit (`/tmp`, `/var/tmp`, `/dev/shm`): shared by every user on purpose, so what it
   * holds moves elsewhere; `chmod go-w` on it would break every other account's files.
   */
  readonly sticky?: true;
}

/**
 * Every part of `path` (inside `root`, links followed there as the kernel
 * follows them under a chroot) that someone besides root may change, in the
 * order they are met; in-root paths. Judged, each by rootOnlyFault: every
 * link on the way, the file and each directory above (the one holding a link
 * or the file even when sticky: whoever may add to it may put a file of
 * theirs where one is missing). A relative path is taken from `root`. Under a
 * `root` another user owns (an image staged without root), that user is
 * trusted as root is, since they may change all of it anyway. The walk ends
 * at a missing or unreadable part (what reads the file says so), with what it
 * found before; a missing file still has the directory that would hold it
 * judged. For what decides what root runs (systemd/root-writable.ts)
 * and what root's claim-port reads (the registry: the loader refuses another
 * user's link as root, claim-port warns about the rest).
 */
export function rootOnlyFaults(root: string, path: string): RootOnlyStep[] {
  return rootOnlyFaultsEach(root, [path])[0]!;
}

/** rootOnlyFaults of each of `paths`, with one `ls` for all the parts only an ACL can tell about. */
export function rootOnlyFaultsEach(root: string, paths: readonly string[]): RootOnlyStep[][] {
  return settle(paths.map((path) => walkParts(root, path).parts));
}

/**
 * rootOnlyFaults, and the file the walk ended at: its lstat (never a link:
 * every link on the way followed, as judged) and its host path, links
 * resolved; undefined when the walk did not reach it (missing, unreadable, a
 * loop). What root then opens must be that very inode (load.ts compares it
 * with fstat of the descriptor): a part another user may change could be
 * swapped between this walk and the open. With `acls: false` (for a caller
 * that wants only the links), the parts only an ACL could make others' are
 * left out, and no `ls` is run.
 */
export function rootOnlyWalk(
  root: string,
  path: string,
  options: { readonly acls?: boolean } = {},
): { faults: RootOnlyStep[]; file: { info: Stats; path: string } | undefined } {
  const { parts, file } = walkParts(root, path);
  return {
    faults: options.acls === false ? parts.flatMap((part) => (part.why === ASK_ACL ? [] : [{ ...part.step, why: part.why }])) : settle([parts])[0]!,
    file,
  };
}

/** rootOnlyWalk's parts, their ACLs not yet asked. */
function walkParts(root: string, path: string): { parts: Judged<RootOnlyStep>[]; file: { info: Stats; path: string } | undefined } {
  const parts: Judged<RootOnlyStep>[] = [];
  let file: { info: Stats; path: string } | undefined;
  const todo = path.split('/').filter((part) => part !== '' && part !== '.');
  const done: string[] = [];
  // No path functions (claim-port calls this at start): the host path of in-root parts, by hand.
  const host = (parts: readonly string[]) => `${root === '/' ? '' : root.replace(/\/+$/, '')}/${parts.join('/')}`;
  // A byte that is not UTF-8, kept as U+DC80+byte (a --registry path read back from /proc/self/cmdline), is that byte.
  const lstat = (parts: readonly string[]) => lstatSync(fileSystemPath(host(parts)));
  const judged = new Set<string>();
  const judge = (names: readonly string[], holds: boolean, owner: number, info = lstat(names)): void => {
    const key = `${holds ? 'h' : '-'}/${names.join('/')}`;
    if (judged.has(key)) return;
    judged.add(key);
    const why = rootOnlyFault(info, holds, owner);
    if (why === undefined) return;
    const kind = info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'directory' : 'file';
    const sticky = kind === 'directory' && (info.mode & 0o1000) !== 0;
    parts.push({ step: { path: `/${names.join('/')}`, why: '', kind, ...(sticky && { sticky: true as const }) }, why, info, host: host(names) });
  };
  try {
    // A staged tree (--root) another user owns is theirs to change whole: judged against its owner, else root.
    const owner = root === '/' ? 0 : statSync(root).uid;
    judge([], todo.length === 1, owner);
    for (let links = 0; todo.length > 0; ) {
      const part = todo.shift()!;
      if (part === '..') {
        done.pop();
        continue;
      }
      const last = todo.length === 0;
      // Missing at the end: the directory that would hold it still counts, even sticky (anyone may put it there).
      const info = last ? lstatOrMissing(fileSystemPath(host([...done, part]))) : lstat([...done, part]);
      if (info === undefined) {
        judge(done, true, owner);
        break;
      }
      if (info.isSymbolicLink() || last) {
        // What names the file: its directory, even sticky, and the link or the file itself.
        judge(done, true, owner);
        judge([...done, part], false, owner, info);
        if (!info.isSymbolicLink()) {
          file = { info, path: host([...done, part]) };
          break;
        }
        if (++links > 40) break; // a loop: what reads it says so
        const target = decodeKeepingBadBytes(readlinkSync(fileSystemPath(host([...done, part])), 'buffer'));
        if (target.startsWith('/')) done.length = 0;
        todo.unshift(...target.split('/').filter((piece) => piece !== '' && piece !== '.'));
        continue;
      }
      done.push(part);
      judge(done, false, owner, info);
    }
  } catch {
    // missing or unreadable: what reads it says so
  }
  return { parts, file };
}

/** lstat(2) of `path`, or undefined when nothing is there (ENOENT); other errors are thrown. */
function lstatOrMissing(path: string | Buffer): Stats | undefined {
  return lstatSync(path, { throwIfNoEntry: false });
}
