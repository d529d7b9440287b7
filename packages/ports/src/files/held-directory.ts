// A directory the writers hold open from the moment it is checked to the last
// step of the write. Checking a path and then writing by that path leaves a
// window: whoever may change a directory on the way (prometheus owns
// /var/lib/prometheus, which holds root's node-exporter/) can swap a directory
// for its own link between the two, and root then made or replaced a file
// where the link pointed (a tester did so with renameat2(RENAME_EXCHANGE) in
// a loop). So the path is walked here one name at a time, each directory
// opened (O_NOFOLLOW) relative to the one before and held to be the one just
// looked at (dev and inode), each symbolic link judged by its owner before it
// is followed. Node has no openat or renameat: every later step names the
// file as /proc/self/fd/N/NAME, which the kernel resolves in the directory
// descriptor N holds, whatever is at the original path by then.
//
// Where /proc is not mounted (a chroot, a build container), no descriptor
// path exists: the walk then makes the same checks by path and the writers
// work by path, as they did before this, with the window it leaves. Refusing
// there would refuse every write of `ports systemd --root` in an image build,
// where no other account runs; said in README's Beware.
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodeKeepingBadBytes, fileSystemPath } from '../utf8.js';

/** A symbolic link owned by someone other than root and this user: its host path, and its owner (untrustedLink's answer too). */
export interface UntrustedLink {
  readonly link: string;
  readonly uid: number;
}

/** A directory held for the steps of a write. */
export interface HeldDirectory {
  /** Its descriptor; undefined where /proc is not mounted. */
  readonly fd: number | undefined;
  /** What names in it are opened by: `/proc/self/fd/N`, or its path where /proc is not mounted. */
  readonly base: string;
  /** Its path as the walk resolved it (no symbolic link on it), for messages. */
  readonly path: string;
}

/**
 * Why a walk stopped: `code` is the errno's name, or ECHANGED when a
 * directory on the way was replaced between its lstat and its open (swapped
 * by whoever may write its parent); `untrusted` when a symbolic link owned
 * by another user than root and this one is on the way.
 */
export class WalkError extends Error {
  override name = 'WalkError';
  readonly code: string | undefined;
  readonly untrusted: UntrustedLink | undefined;

  constructor(code: string | undefined, untrusted?: UntrustedLink) {
    super(untrusted ? `symbolic link owned by uid ${untrusted.uid}: ${untrusted.link}` : (code ?? 'error'));
    this.code = code;
    this.untrusted = untrusted;
  }
}

/** `dir`'s entry `name` as a path for a system call: resolved in the directory held, never at `dir.path`. */
export function entryPath(dir: HeldDirectory, name: string): string | Buffer {
  return fileSystemPath(dir.base === '/' ? `/${name}` : `${dir.base}/${name}`);
}

/** Let the directory go (never throws). */
export function releaseDirectory(dir: HeldDirectory): void {
  if (dir.fd === undefined) return;
  try {
    closeSync(dir.fd);
  } catch {
    // closed already
  }
}

/** Linux's O_PATH (0o10000000 on every architecture Node runs on): a descriptor to hold and look up names in, which needs no read permission. */
const O_PATH = process.platform === 'linux' ? 0o10000000 : 0;

/** The last name of a walked path, in the directory held, and what lstat found there (undefined: nothing). */
export interface WalkedPath {
  readonly dir: HeldDirectory;
  /** Undefined when the path ends in the directory itself (`/`, `x/..`). */
  readonly name: string | undefined;
  readonly info: Stats | undefined;
}

/**
 * Walk `path` from `/`, or a relative one from the current directory (held,
 * never re-read by its path: `link/..` is the directory above where the link
 * leads, as the kernel has it, and a directory above the current one that this
 * user may not search is never looked at), holding each directory (see
 * above); a symbolic link at the end is
 * followed too. Returns the directory that holds the last name, held (the
 * caller releases it), the name, and its lstat there (never a link). Throws
 * WalkError: ENOENT for a missing directory on the way (a missing last name
 * is not one), ENOTDIR, ELOOP past 40 links, EACCES, ECHANGED, or an
 * untrusted link (as untrustedLink judges them).
 */
export function walkHeld(path: string): WalkedPath {
  const euid = process.geteuid?.();
  const pending = names(path);
  let dir = path.startsWith('/') ? openRoot() : openCurrent();
  try {
    for (let hops = 0; ; ) {
      const name = pending.shift();
      if (name === undefined) return { dir, name: undefined, info: fstatHeld(dir) };
      if (name === '..') {
        dir = moveInto(dir, enter(dir, '..', undefined, dirname(dir.path)));
        continue;
      }
      const last = pending.length === 0;
      let info: Stats;
      try {
        info = lstatSync(entryPath(dir, name));
      } catch (error) {
        const code = errorCode(error);
        if (code === 'ENOENT' && last) return { dir, name, info: undefined };
        throw new WalkError(code);
      }
      if (info.isSymbolicLink()) {
        if (euid !== undefined && info.uid !== euid && info.uid !== 0) throw new WalkError(undefined, { link: join(dir.path, name), uid: info.uid });
        if (++hops > 40) throw new WalkError('ELOOP');
        let target: string;
        try {
          target = decodeKeepingBadBytes(readlinkSync(entryPath(dir, name), { encoding: 'buffer' }));
        } catch (error) {
          throw new WalkError(errorCode(error) === 'EINVAL' ? 'ECHANGED' : errorCode(error));
        }
        if (target.startsWith('/')) {
          dir = moveInto(dir, openRoot());
        }
        pending.unshift(...names(target));
        continue;
      }
      if (last) return { dir, name, info };
      if (!info.isDirectory()) throw new WalkError('ENOTDIR');
      dir = moveInto(dir, enter(dir, name, info, join(dir.path, name)));
    }
  } catch (error) {
    releaseDirectory(dir);
    throw error;
  }
}

/** The directory `path` names (links followed, as walkHeld), held. Throws WalkError, ENOENT or ENOTDIR when it is not one. */
export function holdDirectory(path: string): HeldDirectory {
  const walked = walkHeld(path);
  if (walked.name === undefined) return walked.dir;
  try {
    if (walked.info === undefined) throw new WalkError('ENOENT');
    if (!walked.info.isDirectory()) throw new WalkError('ENOTDIR');
    return enter(walked.dir, walked.name, walked.info, join(walked.dir.path, walked.name));
  } finally {
    releaseDirectory(walked.dir);
  }
}

/**
 * `dir` held a second time, by a descriptor of its own (to be let go on its own): opened through
 * /proc/self/fd/N, which names the directory N holds whatever is at its path by now (Node has no dup). Where /proc is
 * not mounted, `dir` by path again.
 */
export function holdAgain(dir: HeldDirectory): HeldDirectory {
  if (dir.fd === undefined) return { ...dir };
  const fd = openSync(dir.base, constants.O_RDONLY | constants.O_DIRECTORY | O_PATH);
  return { fd, base: `/proc/self/fd/${fd}`, path: dir.path };
}

/** `next`, once `dir` is let go: a walk's step to the next directory, each descriptor closed exactly once. */
export function moveInto(dir: HeldDirectory, next: HeldDirectory): HeldDirectory {
  releaseDirectory(dir);
  return next;
}

/**
 * Open `parent`'s entry `name` as a directory, never through a link (`parent`
 * stays held: the caller lets it go, once). With `expected` (the lstat that judged it), the one
 * opened must be that directory (dev and inode): ECHANGED otherwise, and
 * when a link or file stands there by now. `flags`: O_RDONLY to fchmod it;
 * O_PATH otherwise, which needs no read permission (a 0711 directory on the
 * way, which a lookup by path passes through).
 */
export function enter(parent: HeldDirectory, name: string, expected: Stats | undefined, path: string, flags = O_PATH): HeldDirectory {
  if (parent.fd === undefined) {
    // No /proc: by path, with the same check of what is there (today's window, see above).
    const info = statSafely(join(parent.path, name));
    if (info === undefined || !info.isDirectory() || (expected !== undefined && !sameFile(info, expected))) throw new WalkError('ECHANGED');
    return { fd: undefined, base: path, path };
  }
  let fd: number;
  try {
    fd = openSync(entryPath(parent, name), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | flags);
  } catch (error) {
    const code = errorCode(error);
    throw new WalkError(code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT' ? 'ECHANGED' : code);
  }
  const held = { fd, base: `/proc/self/fd/${fd}`, path };
  if (expected !== undefined && !sameFile(fstatSync(fd), expected)) {
    releaseDirectory(held);
    throw new WalkError('ECHANGED');
  }
  return held;
}

/** Whether two stats are of one file: the check's lstat and the descriptor's fstat. */
export function sameFile(a: Pick<Stats, 'dev' | 'ino'>, b: Pick<Stats, 'dev' | 'ino'>): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** `/`, held; by path where /proc/self/fd does not name the descriptor (not mounted). */
function openRoot(): HeldDirectory {
  return openStart('/', '/');
}

/**
 * The current directory, held, named in messages by its path. process.cwd() first: a directory removed while in use
 * fails there as it always did (ENOENT, uv_cwd), which the bins say in words.
 */
function openCurrent(): HeldDirectory {
  const cwd = process.cwd();
  return openStart('.', cwd);
}

function openStart(opened: string, path: string): HeldDirectory {
  const fd = openSync(opened, constants.O_RDONLY | constants.O_DIRECTORY | O_PATH);
  const base = `/proc/self/fd/${fd}`;
  const seen = statSafely(base);
  if (seen !== undefined && sameFile(seen, fstatSync(fd))) return { fd, base, path };
  closeSync(fd);
  return { fd: undefined, base: path, path };
}

function fstatHeld(dir: HeldDirectory): Stats | undefined {
  return dir.fd === undefined ? statSafely(dir.base) : fstatSync(dir.fd);
}

function statSafely(path: string): Stats | undefined {
  try {
    return statSync(fileSystemPath(path));
  } catch {
    return undefined;
  }
}

/** A path's names, without the empty ones and `.`. */
function names(path: string): string[] {
  return path.split('/').filter((name) => name !== '' && name !== '.');
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
