// Questions about a file under the checked root (--root), asked of the host path its links lead to inside that root
// (hostPath), so that one answer is kept in one place for gather and uvicorn-install alike.
import { lstatSync, statSync } from 'node:fs';
import { hostPath } from '@dsa110/ports/files';

/** Whether `path` under `root` is a directory (links followed); false when it cannot be looked at. */
export function isDirectory(root: string, path: string): boolean {
  try {
    return statSync(hostPath(root, path)).isDirectory();
  } catch {
    return false;
  }
}

/** Whether anything (a file, a directory, a link, even a dangling one) is at `path` under `root`. */
export function anythingAt(root: string, path: string): boolean {
  try {
    lstatSync(hostPath(root, path));
    return true;
  } catch {
    return false;
  }
}
