// A cache directory for what the tools can always make again (the V8 code
// cache of a bin's bundle, cli-kit/code-cache.ts; a parsed registry file,
// registry-cache.ts): per user, owned by the running user and writable by
// nobody else, or not used at all. A tool that runs as root must never load
// anything from a place another user can write, so every read checks the
// directory and the file (owner, mode, no symbolic link). Nothing here
// throws: a cache that cannot be read or written is simply not there.
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';

/** The environment variable that names the cache directory (absolute), or turns the cache off (`off`). */
export const CACHE_ENV = 'DSA110_PORTS_CACHE';

/** root's cache directory (systemd units run the tools as root, usually without HOME). */
export const ROOT_CACHE_DIR = '/var/cache/dsa110-ports';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where this user's cache lives: $DSA110_PORTS_CACHE (absolute; `off` for
 * none), else /var/cache/dsa110-ports for root, else
 * $XDG_CACHE_HOME/dsa110-ports or ~/.cache/dsa110-ports. Undefined: no cache.
 */
export function cacheDir(env: Env, uid: number | undefined = process.getuid?.()): string | undefined {
  const chosen = env[CACHE_ENV];
  if (chosen !== undefined) return chosen.startsWith('/') ? chosen : undefined; // `off`, empty or relative: none
  if (uid === undefined) return undefined;
  if (uid === 0) return ROOT_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg?.startsWith('/')) return `${xdg}/dsa110-ports`;
  const home = env.HOME;
  return home?.startsWith('/') && home !== '/' ? `${home}/.cache/dsa110-ports` : undefined;
}

/** Owned by this user and writable by nobody else. */
function trusted(info: Stats): boolean {
  return info.uid === process.getuid?.() && (info.mode & 0o022) === 0;
}

function trustedDir(dir: string): boolean {
  const info = lstatSync(dir);
  return info.isDirectory() && trusted(info);
}

/**
 * The bytes of `dir/name`, when the directory and the file are trusted (see
 * above; the file no symbolic link, a regular file, this user's, writable by
 * nobody else); else undefined. Few fs calls on purpose: each fs function a
 * start uses is compiled at that start.
 */
export function readCacheFile(dir: string, name: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    if (!trustedDir(dir)) return undefined;
    // Node takes numeric open flags here too (its types name only strings).
    fd = openSync(`${dir}/${name}`, NO_FOLLOW as unknown as string);
    const info = fstatSync(fd);
    return info.isFile() && trusted(info) ? readFileSync(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// No symbolic link followed; a FIFO (which only this user could have put there) never blocks the open.
const NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW | (constants.O_NONBLOCK ?? 0);

/** Write `dir/name` atomically (made 0700 and 0600 if new); silently nothing when it cannot, or the directory is not trusted. True when written. */
export function writeCacheFile(dir: string, name: string, data: Uint8Array): boolean {
  let temporary: string | undefined;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trustedDir(dir)) return false;
    temporary = `${dir}/.${name}.${process.pid}.tmp`;
    writeFileSync(temporary, data, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, `${dir}/${name}`);
    temporary = undefined;
    return true;
  } catch {
    return false; // no cache, then
  } finally {
    if (temporary !== undefined) rmSync(temporary, { force: true });
  }
}
