// What the kernel says about the user namespace of a holder that is the init
// (PID 1) of another PID namespace: whether a process in it may run as root.
// Any user can make a PID namespace inside a user namespace of their own
// (`unshare --user --pid --fork`), and so give any process the protection of a
// container's init. policy.ts decides; this only reads. Every read that fails
// leaves the fact out: not knowing keeps the protection.
import { readFileSync, readlinkSync } from 'node:fs';
import { readStartTime, type ProcessInfo } from '@dsa110/ports/system';

export interface UserNamespace {
  /**
   * Its uid_map maps host uid 0 (as claim-port's namespace sees it): a process
   * in it, or in a user namespace nested in it (whose map is a part of its), may
   * run as root. False: every process in it runs as a user other than root.
   */
  readonly mapsRoot: boolean;
}

/**
 * Pure: whether a `/proc/PID/uid_map` (lines `inside outside count`, the
 * outside ids as the reader's namespace sees them) maps outside uid 0;
 * undefined when a line is not three numbers.
 */
export function mapsHostRoot(text: string): boolean | undefined {
  let maps = false;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === '') continue;
    const numbers = fields.map((field) => (/^\d+$/.test(field) ? Number(field) : Number.NaN));
    if (numbers.length !== 3 || !numbers.every((n) => Number.isSafeInteger(n))) return undefined;
    // Outside ids are never negative: a range maps uid 0 only when it starts there.
    if (numbers[1] === 0 && numbers[2]! > 0) maps = true;
  }
  return maps;
}

/**
 * The user namespace of `p`, when `p` is the init of another PID namespace,
 * runs as a user other than root (real and effective uid), is in a user
 * namespace other than claim-port's, and claim-port runs as root (the only
 * case the rule concerns: see policy.ts); undefined otherwise, and whenever a
 * read fails or `p` is no longer the process found (its start time changed).
 * In claim-port's own user namespace, a PID namespace can only have been made
 * by a privileged process: nothing is read.
 */
export function readUserNamespace(p: ProcessInfo, procRoot = '/proc'): UserNamespace | undefined {
  if (process.geteuid?.() !== 0 || p.namespacePid !== 1 || !(p.uid > 0 && p.realUid > 0)) return undefined;
  try {
    const theirs = readlinkSync(`${procRoot}/${p.pid}/ns/user`);
    if (theirs === readlinkSync(`${procRoot}/${process.pid}/ns/user`)) return undefined;
    const mapsRoot = mapsHostRoot(readFileSync(`${procRoot}/${p.pid}/uid_map`, 'latin1'));
    if (mapsRoot === undefined) return undefined;
    // Read after the facts: the same process, still in the same user namespace.
    if (readlinkSync(`${procRoot}/${p.pid}/ns/user`) !== theirs || readStartTime(p.pid, procRoot) !== p.startTime) return undefined;
    return { mapsRoot };
  } catch {
    return undefined;
  }
}
