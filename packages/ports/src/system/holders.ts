// Which processes hold which sockets: one pass over /proc/*/fd. A socket is
// held by every process with an fd on it (forked workers, SO_REUSEPORT groups
// are several sockets, a shared listen socket is one inode in many PIDs).
// Processes whose fd directory cannot be read are reported, never guessed.
import { readdirSync, readlinkSync } from 'node:fs';

export interface HolderScan {
  /** Socket inode -> PIDs holding it (ascending), for the inodes asked about. */
  readonly holders: ReadonlyMap<number, readonly number[]>;
  /** PIDs whose fds could not be read (permission, or /proc/PID/fd unreadable even to root). */
  readonly unreadable: readonly number[];
}

export interface ScanOptions {
  procRoot?: string;
  /** Skip these PIDs (e.g. the caller itself); default none. */
  skip?: ReadonlySet<number>;
}

function isPidName(name: string): boolean {
  const c = name.charCodeAt(0);
  return c >= 48 && c <= 57;
}

function denied(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM';
}

/**
 * Map each of `inodes` to the PIDs that hold it. Synchronous on purpose:
 * tens of thousands of tiny readlink calls are several times faster in a
 * plain loop than through promises and the thread pool (see the package README).
 */
export function scanSocketHolders(inodes: Iterable<number>, options: ScanOptions = {}): HolderScan {
  const proc = options.procRoot ?? '/proc';
  const wanted = new Map<string, number>();
  for (const inode of inodes) wanted.set(`socket:[${inode}]`, inode);
  const holders = new Map<number, number[]>();
  const unreadable: number[] = [];
  if (wanted.size === 0) return { holders, unreadable };

  for (const name of readdirSync(proc)) {
    if (!isPidName(name)) continue;
    const pid = Number(name);
    if (options.skip?.has(pid)) continue;
    const dir = `${proc}/${name}/fd`;
    let fds: string[];
    try {
      fds = readdirSync(dir);
    } catch (error) {
      if (denied(error)) unreadable.push(pid);
      continue; // ENOENT: the process has exited
    }
    let blocked = false;
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${dir}/${fd}`);
      } catch (error) {
        // Access to a process's fds is granted or refused for the process as a
        // whole: one refusal means the rest would be refused too (each costs time).
        if (denied(error)) {
          blocked = true;
          break;
        }
        continue;
      }
      // Cheap prefilter: only socket links can match.
      if (target.charCodeAt(0) !== 115 /* s */) continue;
      const inode = wanted.get(target);
      if (inode === undefined) continue;
      const list = holders.get(inode);
      if (!list) holders.set(inode, [pid]);
      else if (list[list.length - 1] !== pid) list.push(pid);
    }
    if (blocked) unreadable.push(pid);
  }
  for (const list of holders.values()) list.sort((a, b) => a - b);
  unreadable.sort((a, b) => a - b);
  return { holders, unreadable };
}
