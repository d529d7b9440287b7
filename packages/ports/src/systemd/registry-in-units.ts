// The registry path the units `ports systemd` writes may name (each claim line's --registry, the health check's):
// as the system booted from a root names it, and never a file of the process that reads it.
import { readlinkSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { escapeText } from '../escape.js';
import { hostPath, nameInRoot } from '../files/index.js';

/**
 * `registry` (`given`: absolute, lexically) as the system booted from `root`
 * names it (`/etc/dsa110/ports.yaml` for ROOT/etc/dsa110/ports.yaml), or why
 * it has no such name: it lies outside ROOT, or links inside ROOT lead the
 * booted system (which follows them inside ROOT, as chroot and the rest of
 * --root do) to another file than the one this run reads. Directories are
 * compared by their real paths, so a ROOT or a registry reached through host
 * links is found inside. A registry that cannot be found is named as given:
 * reading it says why.
 */
export function rootName(root: string, registry: string, given: string): { path: string } | { problem: string } {
  let read: string;
  try {
    read = realpathSync(registry);
  } catch {
    return { path: given };
  }
  const copy = `copy it into ${escapeText(root)} (e.g. as ${escapeText(join(root, 'etc/dsa110/ports.yaml'))}) and name that copy`;
  const inside = nameInRoot(root, given);
  if (inside === undefined)
    return { problem: `it is outside --root ${escapeText(root)} (it is ${escapeText(read)}), so the booted system would not have it; ${copy}` };
  let booted: string | undefined;
  try {
    booted = realpathSync(hostPath(root, inside));
  } catch {
    booted = undefined;
  }
  if (booted === read) return { path: inside };
  return {
    problem: `inside --root ${escapeText(root)} it is ${escapeText(inside)}, but a link there leads this host to ${escapeText(read)}, another file than the booted system would read; ${copy}`,
  };
}

/**
 * A path that names a file of the process that reads it, not one on disk: /dev/stdin, /dev/fd/N,
 * /proc/self/fd/N, /proc/self/cwd/...; its /proc/PID and /proc/thread-self forms too.
 */
const PROCESS_FILE = /^\/(?:dev\/(?:stdin|stdout|stderr|fd)|proc\/(?:self|thread-self|\d+))(?:\/|$)/;
/** As the kernel's ELOOP: more links than this on one path and it names nothing. */
const MAX_LINKS = 40;

/**
 * Why `path` (absolute) cannot be the registry the units name, or undefined: it is, or reaches
 * through links, a file of this process (PROCESS_FILE). `ports systemd` reads it now, but claim-port
 * and the health check run later, under systemd, with /dev/null as standard input, and would fail.
 * `-` is refused by every reader of the registry (load.ts); these are the same file by other names.
 */
export function processFileProblem(path: string): string | undefined {
  let done = '/';
  const rest = path.split('/').filter((part) => part !== '' && part !== '.');
  let links = 0;
  while (rest.length > 0) {
    const part = rest.shift()!;
    if (part === '..') {
      done = dirname(done);
      continue;
    }
    const next = join(done, part);
    if (PROCESS_FILE.test(next)) {
      const via = next === path || path.startsWith(`${next}/`) ? '' : ` (through a link to ${join(next, ...rest)})`;
      return `it is this process's standard input or another of its own files${via}: claim-port and the health check run later, under systemd, with /dev/null as their standard input, and could not read it; give the path of a ports.yaml file`;
    }
    let target: string;
    try {
      target = readlinkSync(next);
    } catch {
      done = next; // not a link, or not there: the registry's read says so
      continue;
    }
    if (++links > MAX_LINKS) return undefined;
    rest.unshift(...target.split('/').filter((piece) => piece !== '' && piece !== '.'));
    if (target.startsWith('/')) done = '/';
  }
  return undefined;
}
