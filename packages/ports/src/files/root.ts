// Paths under another root (`port-health-check --root IMG`, a unit tree in an
// image): a symbolic link in IMG means what it would mean inside IMG. An
// absolute target starts again at IMG, and `..` stops at IMG, as chroot(2) and
// systemd's chase() have it. The kernel's own lookup from IMG would follow
// `/etc/x -> /etc/shadow` to the host's file. Node has no openat2
// (RESOLVE_IN_ROOT), so each component is checked with lstat: a handful of
// calls per path, and only when the root is not `/`.
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileReadError } from './read.js';
import { pathArgument, stringArgument } from '../arguments.js';

/** Most links followed in one path, as Linux's MAXSYMLINKS (40): more is a loop. */
export const MAX_LINKS = 40;

/**
 * `path` (absolute or relative, taken from `root`) with every link resolved
 * inside `root`: the path as seen inside the root (`/etc/redis/redis.conf`,
 * `/dev/null` for a masked unit); open `join(root, result)`. A component that
 * does not exist ends the walk: the rest is appended without its `..`, so
 * opening the result fails as it would inside the root. Throws a
 * FileReadError (code ELOOP) after MAX_LINKS links (its reason advises copies of
 * host files only when an absolute link was followed).
 */
export function resolveInRoot(root: string, path: string): string {
  pathArgument('resolveInRoot', 'root', root);
  stringArgument('resolveInRoot', 'path', path, 'a path (a string)');
  const todo = path.split('/').filter((part) => part !== '' && part !== '.');
  const done: string[] = [];
  let links = 0;
  let absolute = false;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '..') {
      done.pop(); // at the root, `..` is the root
      continue;
    }
    const host = join(root, ...done, part);
    let isLink: boolean;
    try {
      isLink = lstatSync(host).isSymbolicLink();
    } catch {
      done.push(part, ...todo.filter((rest) => rest !== '..'));
      break;
    }
    if (!isLink) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) {
      // The advice only where an absolute link was followed: one meant for the host's file that leads back into the root.
      const advice = absolute ? ' (links are followed inside the root, as chroot does: copy or hard-link host files into it)' : '';
      throw new FileReadError(path, 'io', `a loop of symbolic links${advice}`, 'ELOOP');
    }
    const target = readlinkSync(host);
    if (target.startsWith('/')) {
      done.length = 0;
      absolute = true;
    }
    todo.unshift(...target.split('/').filter((piece) => piece !== '' && piece !== '.'));
  }
  return `/${done.join('/')}`;
}

/** The host path to open for `path` under `root`: resolveInRoot's, or `path` itself under `/` (where the kernel's own lookup is right, and cheaper). */
export function hostPath(root: string, path: string): string {
  pathArgument('hostPath', 'root', root);
  stringArgument('hostPath', 'path', path, 'a path (a string)');
  return root === '/' ? join('/', path) : join(root, resolveInRoot(root, path));
}

/**
 * What the system booted from `root` calls the host file `path` (the inverse
 * of hostPath): `ROOT/etc/dsa110/ports.yaml` is `/etc/dsa110/ports.yaml`.
 * Found at the first directory on the way that is `root` or inside it, by real
 * path (a root, or a file, reached through host links is found inside); the
 * rest is as given (links inside the root are the booted system's to follow:
 * hostPath of the result may be another file, for a caller that must know).
 * Undefined when `path` lies outside `root` (the booted system has no name for
 * it) or a directory on the way is gone. Under `/`, `path` made absolute.
 */
export function nameInRoot(root: string, path: string): string | undefined {
  pathArgument('nameInRoot', 'root', root);
  pathArgument('nameInRoot', 'path', path);
  const parts = resolve(path)
    .split('/')
    .filter((part) => part !== '');
  try {
    const realRoot = realpathSync(root);
    const prefix = realRoot === '/' ? '/' : `${realRoot}/`;
    for (let count = 0; count <= parts.length; count++) {
      const real = realpathSync(`/${parts.slice(0, count).join('/')}`);
      if (real === realRoot || real.startsWith(prefix)) return join('/', real.slice(realRoot.length), ...parts.slice(count));
    }
  } catch {
    // gone meanwhile: no name
  }
  return undefined;
}
