// Questions about a file under the checked root (--root), asked of the host path its links lead to inside that root
// (hostPath), so that one answer is kept in one place for gather and uvicorn-install alike. A file inside a
// RootDirectory= is asked of the path its links lead to inside that directory, as the program chrooted there opens it
// (readPath).
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { escapeText } from '@dsa110/ports';
import { hostPath } from '@dsa110/ports/files';
import type { EnvironmentSetting } from '@dsa110/ports/systemd';

/**
 * Where a daemon's files are read: the root the units are for (--root, `/` on the host), and the RootDirectory=
 * directories in it that programs run chrooted in (as that root names them, without a trailing `/`; never `/`).
 */
export interface ReadRoot {
  readonly root: string;
  readonly chroots: readonly string[];
  /**
   * What the daemon's unit hides from it (PrivateTmp=, ProtectHome=, InaccessiblePaths=: UnitFacts' hiddenPaths), each
   * path as the root the units are for names it: a file at or under one, or that its links lead to, is not read
   * (readPath throws HiddenPathError), as the daemon sees an empty directory or nothing there.
   */
  readonly hidden?: readonly { readonly path: string; readonly setting: EnvironmentSetting }[];
}

/** A file the daemon's unit hides from it (ReadRoot's `hidden`): which file it opens, if any, is not known here. */
export class HiddenPathError extends Error {
  readonly code = 'EHIDDEN';
}

/**
 * The host path to open for `path` (as the root the units are for names it): inside one of the tree's chroots (the
 * innermost), the file a program chrooted there opens, its links (an absolute one, `..`) resolved inside that
 * directory, as chroot(2) has it, the directory itself found inside the root; else hostPath's, inside the root.
 */
export function readPath(at: ReadRoot, path: string): string {
  const host = openedPath(at, path);
  for (const hidden of at.hidden ?? []) {
    const under = (name: string, dir: string): boolean => name === dir || name.startsWith(`${dir}/`);
    const dir = realOrSame(openedPath(at, hidden.path));
    if (under(path, hidden.path) || under(host, dir) || under(realOrSame(host), dir))
      throw new HiddenPathError(
        `${escapeText(hidden.setting.value, 200)} (${escapeText(`${hidden.setting.file}:${hidden.setting.line}`, 500)}) hides ${escapeText(hidden.path)} from the daemon, so it does not read the file there; move the file out of it, or the setting`,
      );
  }
  return host;
}

function openedPath(at: ReadRoot, path: string): string {
  const chroot = chrootOf(at.chroots, path);
  if (chroot === undefined) return hostPath(at.root, path);
  return hostPath(hostPath(at.root, chroot), path.slice(chroot.length) || '/');
}

function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Of `ats` (the roots of the daemons that open `path`), one to read `path` through when all of them open the one file
 * (readPath, links followed); undefined when two open different files by that name (a daemon chrooted in a
 * RootDirectory= and one beside it on the root, a link between): which one a reading is about cannot be told.
 */
export function sharedReadRoot(ats: readonly ReadRoot[], path: string): ReadRoot | undefined {
  const opened = (at: ReadRoot): string => {
    try {
      const host = readPath(at, path);
      try {
        return realpathSync(host);
      } catch {
        return host;
      }
    } catch (error) {
      return `${(error as Error).message}`;
    }
  };
  const first = ats[0];
  if (first === undefined) return undefined;
  const file = opened(first);
  return ats.every((at) => chrootOf(at.chroots, path) === chrootOf(first.chroots, path) || opened(at) === file) ? first : undefined;
}

/** Pure: the innermost of `chroots` that `path` is inside (or is), undefined for none. */
export function chrootOf(chroots: readonly string[], path: string): string | undefined {
  let found: string | undefined;
  for (const chroot of chroots) if ((path === chroot || path.startsWith(`${chroot}/`)) && chroot.length > (found?.length ?? 0)) found = chroot;
  return found;
}

/** Whether `path` under `root` (or in `at`: readPath) is a directory (links followed); false when it cannot be looked at. */
export function isDirectory(root: string | ReadRoot, path: string): boolean {
  try {
    return statSync(openPath(root, path)).isDirectory();
  } catch {
    return false;
  }
}

/** Whether anything (a file, a directory, a link, even a dangling one) is at `path` under `root` (or in `at`: readPath). */
export function anythingAt(root: string | ReadRoot, path: string): boolean {
  try {
    lstatSync(openPath(root, path));
    return true;
  } catch {
    return false;
  }
}

function openPath(root: string | ReadRoot, path: string): string {
  return typeof root === 'string' ? hostPath(root, path) : readPath(root, path);
}
