// A process of this user whose descriptors this user cannot read: the kernel
// makes its /proc/PID/fd root's when the process is not dumpable (it called
// prctl(PR_SET_DUMPABLE, 0), or it ran a setuid, setgid or file-capability
// program), so only root can see which sockets it holds. Said, so that a
// refusal over "not visible to this user" names the reason, not only root.
import { readFileSync, statSync } from 'node:fs';

/** A process of this user that is not dumpable: its PID and name (/proc/PID/comm, which stays readable). */
export interface Undumpable {
  readonly pid: number;
  readonly comm: string;
}

/**
 * Of `pids` (those whose fds could not be read), the processes of `uid` (every one of their real, effective, saved
 * and filesystem uids) whose /proc/PID/fd is not theirs: not dumpable. Gone or unreadable ones are left out.
 */
export function undumpableOwn(pids: readonly number[], uid: number, procRoot = '/proc'): Undumpable[] {
  const out: Undumpable[] = [];
  for (const pid of pids) {
    try {
      const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/m.exec(readFileSync(`${procRoot}/${pid}/status`, 'latin1'));
      if (uids === null || uids.slice(1).some((id) => Number(id) !== uid)) continue;
      if (statSync(`${procRoot}/${pid}/fd`).uid === uid) continue;
      out.push({ pid, comm: readFileSync(`${procRoot}/${pid}/comm`, 'latin1').replace(/\n$/, '') });
    } catch {
      // gone since the scan, or unreadable: nothing to say of it
    }
  }
  return out;
}
