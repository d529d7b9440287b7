// Paths under another root (`port-health-check --root IMG`, a unit tree in an
// image): a symbolic link in IMG means what it would mean inside IMG. An
// absolute target starts again at IMG, and `..` stops at IMG, as chroot(2) and
// systemd's chase() have it. The kernel's own lookup from IMG would follow
// `/etc/x -> /etc/shadow` to the host's file. Node has no openat2
// (RESOLVE_IN_ROOT), so each component is checked with lstat: a handful of
// calls per path, and only when the root is not `/`.
import { lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
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
 * FileReadError (code ELOOP) after MAX_LINKS links.
 */
export function resolveInRoot(root: string, path: string): string {
  pathArgument('resolveInRoot', 'root', root);
  stringArgument('resolveInRoot', 'path', path, 'a path (a string)');
  const todo = path.split('/').filter((part) => part !== '' && part !== '.');
  const done: string[] = [];
  let links = 0;
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
      throw new FileReadError(
        path,
        'io',
        `a loop of symbolic links (links are followed inside the root, as chroot does: copy or hard-link host files into it)`,
        'ELOOP',
      );
    }
    const target = readlinkSync(host);
    if (target.startsWith('/')) done.length = 0;
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
