// Questions about a file under the checked root (--root), asked of the host path its links lead to inside that root
// (hostPath), so that one answer is kept in one place for gather and uvicorn-install alike.
import { statSync } from 'node:fs';
import { hostPath } from '@dsa110/ports/files';

/** Whether `path` under `root` is a directory (links followed); false when it cannot be looked at. */
export function isDirectory(root: string, path: string): boolean {
  try {
    return statSync(hostPath(root, path)).isDirectory();
  } catch {
    return false;
  }
}
