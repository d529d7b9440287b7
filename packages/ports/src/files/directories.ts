// Who else may change the directories a tree of generated files is written
// through (`ports systemd` into /etc/systemd/system, `ports monitoring` into
// deploy/): the one rule both commands follow. A file is only as safe as every
// directory above it: whoever may write in /etc/systemd may rename `system`
// away and put a tree of their own in its place, whatever the modes below. So
// every directory from each file's up to `/` is judged (under --root, the
// root's own directories on the host too: whoever may replace the staged tree
// chooses what the image boots). A directory that holds a generated file
// counts for any new entry too (systemd reads every .conf of a drop-in
// directory, Prometheus every rule and target file); one above counts only
// for replacing what it holds, so a sticky one such as /tmp does not count,
// since there only an entry's owner (judged as the next directory down) may
// rename it.
import { accessSync, chmodSync, constants, fstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { escapeText } from '../escape.js';
import { type AclAnswer, aclWriters, extendedAcls } from './acl.js';
import { fileKind, statOrUndefined } from './read.js';
import { FileWriteError, deniedPhrase, describe, trustedOwners, untrustedLink } from './write.js';
import { type HeldDirectory, holdDirectory, releaseDirectory, sameFile, WalkError } from './held-directory.js';

/** Who besides root and this user may change what a directory holds, and whether this user can take it back. */
export interface DirectoryExposure {
  /** `writable by others (mode 0777)`, `writable by its group (gid 1000, mode 0775)`, `owned by uid 65534, not by root`. */
  readonly exposure: string;
  /** Its owner, when neither root nor this user: only they (or root, by chown) can take it back. */
  readonly owner?: number;
  /** The mode `chmod go-w` gives it, when it is this user's; undefined when this user may not chmod it, or must not. */
  readonly narrowed?: number;
  /**
   * Sticky, and others may add to it (as /tmp): shared on purpose. Never narrowed, though this user may chmod it:
   * `chmod go-w /tmp` would break every other account's files; the files go elsewhere.
   */
  readonly shared?: true;
  /** It has, or may have, a POSIX ACL that lets others write (`setfacl -b` removes it; `chmod go-w` masks it). */
  readonly acl?: true;
  /** Which directory was judged (its stat's dev and inode): narrowDirectory acts on that one only. */
  readonly judged: { readonly dev: number; readonly ino: number };
}

/**
 * Who besides root and this user may add, replace or remove entries in the
 * directory at `path` (links followed), or undefined (missing too: it would be
 * made 0755). A group-writable directory counts unless its group is root's
 * (or, run as a user, that user's own) and it has no POSIX ACL: with one, the
 * group bits are the ACL's mask, and the users and groups it names may write
 * (asked of `ls` only then, see acl.ts; `acl`: the answer, when already had).
 * With `replaceOnly` (a directory above the files, whose entries matter, not
 * new ones), a sticky directory (as /tmp) does not count: there only an
 * entry's owner may rename or remove it.
 */
export function directoryExposure(path: string, options: { readonly replaceOnly?: boolean; readonly acl?: AclAnswer } = {}): DirectoryExposure | undefined {
  const judged = judge(path, options.replaceOnly === true);
  if (judged === undefined || 'exposure' in judged) return judged;
  return withAcl(judged.info, options.acl ?? extendedAcls([path])[0]!);
}

/** directoryExposure from the mode and owner alone; the stat to judge again when only an ACL can tell (the group-write bit, group trusted). */
function judge(path: string, replaceOnly: boolean): DirectoryExposure | { info: Stats } | undefined {
  const euid = process.geteuid?.();
  const info = statOrUndefined(path);
  if (euid === undefined || info === undefined || !info.isDirectory()) return undefined;
  if (info.uid !== 0 && info.uid !== euid) return { exposure: `owned by uid ${info.uid}, not by ${trustedOwners()}`, owner: info.uid, judged: identity(info) };
  const mode = info.mode & 0o7777;
  if (replaceOnly && (mode & 0o1000) !== 0) return undefined;
  const others = (mode & 0o002) !== 0;
  const groupWrite = (mode & 0o020) !== 0;
  // Root's group is root's; so, for a user, is their own group (Debian's user private groups and umask 002
  // make every directory of a user's checkout 0775 with it): neither lets another account in, but an ACL may.
  const trustedGroup = info.gid === 0 || (euid !== 0 && info.gid === process.getegid?.());
  if (!others && groupWrite && trustedGroup) return { info };
  if (!(others || groupWrite)) return undefined;
  return exposed(others ? `writable by others (mode ${octal(mode)})` : `writable by its group (gid ${info.gid}, mode ${octal(mode)})`, info);
}

/** A directory of a trusted group with the group-write bit (`info`, its stat that judge judged), once its ACL has been asked about. */
function withAcl(info: Stats, acl: AclAnswer): DirectoryExposure | undefined {
  if (acl === false) return undefined;
  return { ...exposed(aclWriters(info.mode, info.gid, acl), info), acl: true };
}

function exposed(exposure: string, info: Stats): DirectoryExposure {
  const mode = info.mode & 0o7777;
  const judged = identity(info);
  if ((mode & 0o1000) !== 0) return { exposure, shared: true, judged };
  return info.uid === process.geteuid?.() ? { exposure, narrowed: mode & ~0o022, judged } : { exposure, judged };
}

function identity(info: Stats): { dev: number; ino: number } {
  return { dev: info.dev, ino: info.ino };
}

/**
 * chmod the directory `judged` (directoryExposure's) at `path` to `mode` (its `narrowed`); FileWriteError when it
 * cannot be. Through the directory held (held-directory.ts), never by its path, and only while it is the one judged
 * (dev and inode): whoever may write the directory above it (the same group that may write it, often) could swap it
 * for a link, or for another directory of root's (a 0700 one), between the judgement and the chmod, and chmod by
 * path gave the mode to where the link pointed, or opened the other directory to every reader.
 */
export function narrowDirectory(path: string, mode: number, judged: { readonly dev: number; readonly ino: number }): void {
  let held: HeldDirectory | undefined;
  try {
    held = holdDirectory(path);
    // The held descriptor's own fstat: the directory the chmod below reaches, whatever is at the path by then.
    const info = held.fd === undefined ? statSync(held.base) : fstatSync(held.fd);
    if (!sameFile(info, judged)) throw new WalkError('ECHANGED');
    // chmod of /proc/self/fd/N is the directory's own (fchmod refuses the O_PATH descriptor).
    chmodSync(held.base, mode);
  } catch (error) {
    if (error instanceof WalkError && (error.untrusted || error.code === 'ECHANGED')) throw new FileWriteError(path, replacedSinceJudged(), 'ECHANGED');
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileWriteError(path, describe(code), code);
  } finally {
    if (held !== undefined) releaseDirectory(held);
  }
}

/** Why narrowDirectory left a directory alone: it, or one on its way, is not the one judged by now. */
export function replacedSinceJudged(): string {
  return `it, or a directory on its way, was replaced after it was judged, so another account may change a directory above it: its mode was not changed; write under directories only ${trustedOwners()} may change`;
}

/** A directory generated files are written through. */
export interface GuardedDirectory {
  /** Its host path: as the files' paths spell it while they name it (relative ones too), absolute above that. */
  readonly path: string;
  /** A generated file is in it: a new entry counts as much as a replaced one. */
  readonly holdsFiles: boolean;
  /** For a directory above the files: the one in it on the way to them (what a writer here could replace). */
  readonly below?: string;
  /** The first generated file written through it: the one a refused write names. */
  readonly file: string;
}

/**
 * Every directory `files` (host paths; relative ones from the current
 * directory) are written through, up to `/`, each once: the directories as
 * written (spelled as given as far as the path goes) and, where links lead
 * elsewhere, the real ones (realpath) too, since whoever may write in either
 * may swap the tree. A directory that does not exist yet is judged as nothing
 * (it is made 0755, this user's); the one above it is judged.
 */
export function guardedDirectories(files: readonly string[]): GuardedDirectory[] {
  const found = new Map<string, GuardedDirectory>();
  const add = (entry: GuardedDirectory) => {
    const key = resolve(entry.path);
    const seen = found.get(key);
    if (seen === undefined) found.set(key, entry);
    else if (entry.holdsFiles && !seen.holdsFiles) found.set(key, { path: seen.path, holdsFiles: true, file: seen.file });
  };
  // Many files share a directory: each is resolved once.
  const reals = new Map<string, string | undefined>();
  for (const file of files) {
    const dir = dirname(file);
    if (!reals.has(dir)) reals.set(dir, realDirectory(dir));
    const real = reals.get(dir);
    for (const start of real === undefined || real === resolve(dir) ? [dir] : [dir, real]) {
      const dirs = chain(start);
      add({ path: dirs[0]!, holdsFiles: true, file });
      for (let index = 1; index < dirs.length; index++) add({ path: dirs[index]!, holdsFiles: false, below: dirs[index - 1]!, file });
    }
  }
  return [...found.values()];
}

/** `dir`, then each directory above it up to `/`: as given while the path names them (no `..`), absolute beyond. */
function chain(dir: string): string[] {
  const dirs: string[] = [];
  let current = normalize(dir);
  while (!isAbsolute(current) && current !== '.' && !current.split('/').includes('..')) {
    dirs.push(current);
    current = dirname(current);
  }
  for (current = resolve(current); ; current = dirname(current)) {
    dirs.push(current);
    if (dirname(current) === current) return dirs;
  }
}

/** The real path of `dir`, or of the nearest directory above it that exists; undefined when none can be resolved. */
function realDirectory(dir: string): string | undefined {
  const missing: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    try {
      return join(realpathSync(current), ...missing);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(current) === current) return undefined;
      missing.unshift(basename(current));
    }
  }
}

export interface ExposedDirectory {
  readonly dir: GuardedDirectory;
  readonly found: DirectoryExposure;
}

/** The guarded directories others may write or another user owns. */
export function exposedDirectories(dirs: readonly GuardedDirectory[]): ExposedDirectory[] {
  // Through a link another user owns nothing is judged here: the write and --check name the link instead.
  const judged = dirs.filter((dir) => untrustedLink(dir.path) === undefined).map((dir) => ({ dir, found: judge(dir.path, !dir.holdsFiles) }));
  // Those only an ACL can tell about: one ls for all of them (none in the common case).
  const asked = judged.filter((entry) => entry.found !== undefined && !('exposure' in entry.found));
  const acls = extendedAcls(asked.map((entry) => entry.dir.path));
  return oneEntryPerDirectory(
    judged.flatMap((entry) => {
      const found = entry.found === undefined || 'exposure' in entry.found ? entry.found : withAcl(entry.found.info, acls[asked.indexOf(entry)]!);
      return found === undefined ? [] : [{ dir: entry.dir, found }];
    }),
  );
}

/**
 * One entry for each directory judged (by dev and inode): a path through a link (`lnob`, root's link to a directory
 * another user owns) and the real path guardedDirectories adds for it are one directory, which was named twice (`lnob
 * is owned by uid 65534 ... (and 1 more: /srv/nob)`), the link as if it had the owner of where it leads. The real path
 * is kept, in the first one's place, holding files when either does.
 */
function oneEntryPerDirectory(entries: readonly ExposedDirectory[]): ExposedDirectory[] {
  const byDirectory = new Map<string, ExposedDirectory>();
  for (const entry of entries) {
    const key = `${entry.found.judged.dev}:${entry.found.judged.ino}`;
    const seen = byDirectory.get(key);
    if (seen === undefined) {
      byDirectory.set(key, entry);
      continue;
    }
    const kept = isRealPath(seen.dir.path) ? seen : entry;
    const holdsFiles = seen.dir.holdsFiles || entry.dir.holdsFiles;
    byDirectory.set(key, holdsFiles === kept.dir.holdsFiles ? kept : { ...kept, dir: { path: kept.dir.path, holdsFiles, file: kept.dir.file } });
  }
  return [...byDirectory.values()];
}

/** Whether `path` names its directory without a symbolic link on the way. */
function isRealPath(path: string): boolean {
  try {
    return realpathSync(path) === resolve(path);
  } catch {
    return false;
  }
}

/**
 * Pure: why others choose what is read through `entry`: its exposure, then who
 * may do what (`writable by others (mode 0777): whoever may write in it may ...`),
 * with `what` (the command's words for the stake, as a verb phrase).
 */
export function directoryProblem(entry: ExposedDirectory, what: string): string {
  const who = entry.found.owner !== undefined ? 'its owner' : entry.found.shared ? 'anyone may add to it (sticky, as /tmp), and' : 'whoever may write in it';
  return `${entry.found.exposure}: ${who} may ${what}`;
}

/**
 * Pure: the command that takes `entry`'s directory back, when this user cannot
 * (another user's, or root's when not run as root), with `then` after it
 * (` first`, `, then run ...`). Another user's directory above the files may
 * be their home: writing elsewhere is the other way out.
 */
export function directoryFix({ dir, found }: ExposedDirectory, then: string): string {
  const path = escapeText(dir.path);
  // A shared directory stays as it is (taking it back breaks it for everyone else): the files go elsewhere.
  if (found.shared)
    return `a sticky directory is shared on purpose, so this tool leaves its mode alone: write the files under a directory only ${trustedOwners()} may add to, or, if ${path} should not be shared (never /tmp), \`chmod go-w ${path}\`${then}`;
  if (found.owner === undefined)
    return found.acl
      ? `\`setfacl -b ${path}\` (removes the ACL) or \`chmod go-w ${path}\` (narrows its mask) as its owner${then}`
      : `\`chmod go-w ${path}\` as its owner${then}`;
  return dir.holdsFiles
    ? `\`chown root:root ${path}\` (or remove it)${then}`
    : `\`chown root:root ${path}\`${then}, or write the files under a directory only ${trustedOwners()} may change`;
}

/** Pure: what --check says to do about `entry`: run `regenerate` when this user may chmod it, else directoryFix first. */
export function directoryDriftFix(entry: ExposedDirectory, regenerate: string): string {
  return entry.found.narrowed !== undefined
    ? `run \`${regenerate}\` to make it ${octal(entry.found.narrowed)} (chmod go-w)`
    : directoryFix(entry, `, then run \`${regenerate}\``);
}

/**
 * Throws FileWriteError, naming the first file written through it, when any
 * exposed directory is one this user cannot take back: another user's is
 * never adopted (its owner could still rename ours away), nor left for them.
 * Called before anything is written. `what` as for directoryProblem.
 */
export function refuseForeignDirectories(exposed: readonly ExposedDirectory[], what: (entry: ExposedDirectory) => string): void {
  const refused = exposed.filter((entry) => entry.found.narrowed === undefined);
  if (refused.length === 0) return;
  const first = refused[0]!;
  const others = refused.slice(1).map((entry) => escapeText(entry.dir.path));
  const more = others.length > 0 ? ` (and ${others.length} more: ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''})` : '';
  throw new FileWriteError(
    first.dir.file,
    `${escapeText(first.dir.path)} is ${directoryProblem(first, what(first))}; ${directoryFix(first, ' first')}; nothing was written${more}`,
  );
}

/**
 * Write through the guarded directories in the one safe order: another user's directory refused before anything is
 * written (refuseForeignDirectories), the files written by `write` (all or none), and only then this user's exposed
 * directories made 0755 (narrowDirectories). What `write` returned, and the `made DIR 0755` lines.
 */
export function writeThroughDirectories<T>(
  exposed: readonly ExposedDirectory[],
  what: (entry: ExposedDirectory) => string,
  write: () => T,
): { written: T; made: string[] } {
  refuseForeignDirectories(exposed, what);
  const written = write();
  return { written, made: narrowDirectories(exposed) };
}

/** chmod go-w each exposed directory (all this user's, after refuseForeignDirectories); one `made DIR 0755: it was ...` line each. */
export function narrowDirectories(exposed: readonly ExposedDirectory[]): string[] {
  return exposed.map(({ dir, found }) => {
    narrowDirectory(dir.path, found.narrowed!, found.judged);
    return `made ${escapeText(dir.path)} ${octal(found.narrowed!)}: it was ${found.exposure}`;
  });
}

/**
 * Why the files under `dir` cannot be looked at, when it is there (one
 * phrase, with what to do), or undefined: a directory this user may list
 * and search, or nothing at all (its files are then each missing). Said once
 * by --check, instead of once per file.
 */
export function unreadableDirectory(dir: string): string | undefined {
  let info: Stats;
  try {
    info = statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    switch (code) {
      case 'ENOENT':
        return undefined;
      case 'ENOTDIR':
        return 'a part of its path is not a directory; give a directory';
      case 'ELOOP':
        return 'its path holds a loop of symbolic links; give the real directory';
      case 'EACCES':
      case 'EPERM':
        return deniedPhrase('read it', 'give another directory');
      case 'ENAMETOOLONG':
        return 'its path or a part of it is too long for the file system; give a shorter one';
      default:
        return `it cannot be looked at (${code ?? 'error'})`;
    }
  }
  if (!info.isDirectory()) return `it is ${fileKind(info)}, not a directory; give a directory`;
  try {
    // X to reach its files, R to list it (unexpected drop-ins are found by listing).
    accessSync(dir, constants.R_OK | constants.X_OK);
  } catch {
    return 'permission denied (it cannot be listed or searched by this user); run as a user who may read it';
  }
  return undefined;
}

/** A directory of a written tree that other users cannot get through. */
export interface ClosedDirectory {
  /** As the files' paths spell it (`deploy/prometheus/rules`). */
  readonly path: string;
  /** A generated file is in it: other users must list it (r) as well as enter it (x). */
  readonly holdsFiles: boolean;
  readonly mode: number;
  /** The bits `chmod` must add for others: `o+x`, `o+r` or `o+rx`. */
  readonly missing: string;
}

/**
 * The directories from `dir` (itself included) down to each of `files`
 * (paths relative to it) that are there and that other users cannot get
 * through: a service that reads the tree as a user of its own (Prometheus,
 * Grafana) needs others' x on each, and r on one that holds files, since it
 * lists them (Prometheus's `rules/*.yml`, Grafana's provisioning). Judged by
 * the bits for others, as this tool cannot know the services' accounts.
 * Those above `dir` are the operator's choice of place (a checkout in a 0700
 * home is read through a bind mount of the tree), and are not judged. A
 * missing directory is not one either: it is made 0755.
 */
export function closedDirectories(dir: string, files: readonly string[]): ClosedDirectory[] {
  const found = new Map<string, ClosedDirectory>();
  const seen = new Set<string>();
  // `deploy/` is `deploy`: the walk up from each file stops there.
  const top = normalize(dir === '' ? '.' : dir).replace(/(?<=[^/])\/+$/, '');
  for (const file of files) {
    let holdsFiles = true;
    for (let current = dirname(join(top, file)); ; current = dirname(current)) {
      if (!seen.has(current)) {
        seen.add(current);
        const entry = closedDirectory(current, holdsFiles);
        if (entry !== undefined) found.set(current, entry);
      }
      if (current === top || dirname(current) === current) break;
      holdsFiles = false;
    }
  }
  return [...found.values()];
}

function closedDirectory(path: string, holdsFiles: boolean): ClosedDirectory | undefined {
  const info = statOrUndefined(path);
  if (info === undefined || !info.isDirectory()) return undefined;
  const needed = holdsFiles ? 0o005 : 0o001;
  const lacking = needed & ~info.mode;
  if (lacking === 0) return undefined;
  const missing = `o+${lacking & 0o004 ? 'r' : ''}${lacking & 0o001 ? 'x' : ''}`;
  return { path, holdsFiles, mode: info.mode & 0o7777, missing };
}

/** Pure: what --check says of a closed directory, `readers` naming who reads the tree (`Prometheus and Grafana`). */
export function closedDirectoryProblem(entry: ClosedDirectory, readers: string): string {
  const cannot = entry.holdsFiles ? 'cannot read the files this tool writes there' : 'cannot reach the files this tool writes under it';
  const lacks = entry.missing === 'o+r' ? 'list' : entry.missing === 'o+x' ? 'enter' : 'list or enter';
  return `other users may not ${lacks} it (mode ${octal(entry.mode)}): ${readers}, which run as users of their own, ${cannot}; run \`chmod ${entry.missing} ${escapeText(entry.path)}\``;
}

/** `0755`. */
export function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
