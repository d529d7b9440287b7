// What the kernel says about the program a holder runs: the path of
// /proc/PID/exe, and who owns and may write that file and its directory. The
// facts that tell a real sshd from a process that only calls itself sshd
// (policy.ts decides; this only reads). Every read that fails leaves the fact
// out: not knowing never counts as a disguise.
import { readlinkSync, statSync } from 'node:fs';
import { type AclAnswer, posixAcls } from '@dsa110/ports/files';
import { decodeKeepingBadBytes, readStartTime, type ProcessInfo } from '@dsa110/ports/system';

/** Owner, group and permission bits of a file or directory. */
export interface Ownership {
  readonly uid: number;
  readonly gid: number;
  /** The permission bits (`mode & 0o7777`). */
  readonly mode: number;
  /**
   * Whether it has a POSIX ACL (with one, the group bits are the ACL's mask:
   * the users and groups it names may write), or why that could not be told;
   * asked only of root's file of root's group whose mode has the group-write
   * bit and not others' (the one mode an ACL can hide behind), absent otherwise.
   */
  readonly acl?: AclAnswer;
}

export interface Executable {
  /** The path the kernel records for the running program, without ` (deleted)`; a byte that is not UTF-8 is kept as U+DC80+byte (escapeText shows `\xNN`). */
  readonly path: string;
  /** The file was deleted or replaced since it was started (a package upgrade). */
  readonly deleted: boolean;
  /** The running file itself (read through /proc/PID/exe, so a deleted file's too). */
  readonly file: Ownership;
  /** Its directory, when it still exists and the process sees the same root directory as claim-port. */
  readonly directory?: Ownership;
}

const ownership = (path: string | Buffer): Ownership => {
  const stat = statSync(path);
  return { uid: stat.uid, gid: stat.gid, mode: stat.mode & 0o7777 };
};

/** Whether only an ACL can tell whether a user other than root may write it: root's, of root's group, the group-write bit alone. */
const aclMayTell = (owner: Ownership | undefined): owner is Ownership =>
  owner !== undefined && owner.uid === 0 && owner.gid === 0 && (owner.mode & 0o022) === 0o020;

/**
 * `file` and `directory` (at `paths`, links followed) with their ACLs, asked
 * of `ls` in one run, only for those aclMayTell says need it (none in the
 * common case). A directory whose name is not UTF-8 cannot be named to `ls`:
 * not told.
 */
function withAcls(file: Ownership, directory: Ownership | undefined, paths: { readonly file: string; readonly directory: string | undefined }) {
  const fileAsked = aclMayTell(file);
  const directoryAsked = aclMayTell(directory);
  if (!fileAsked && !directoryAsked) return { file, directory };
  const wanted = [fileAsked ? paths.file : undefined, directoryAsked ? paths.directory : undefined];
  const named = wanted.filter((path): path is string => path !== undefined && !/[\udc80-\udcff]/.test(path));
  const answers = posixAcls(named);
  const answer = (path: string | undefined): AclAnswer =>
    path !== undefined && named.includes(path) ? answers[named.indexOf(path)]! : 'its name is not UTF-8, so ls cannot be given it';
  return {
    file: fileAsked ? { ...file, acl: answer(paths.file) } : file,
    directory: directoryAsked ? { ...directory!, acl: answer(paths.directory) } : directory,
  };
}

const DELETED = Buffer.from(' (deleted)');
const SLASH = 0x2f;

/** Whether `pid` sees the filesystem from the same root as claim-port (not chrooted, not in another mount namespace's root). */
function sameRoot(pid: number, procRoot: string): boolean {
  try {
    const theirs = statSync(`${procRoot}/${pid}/root`);
    const ours = statSync('/');
    return theirs.dev === ours.dev && theirs.ino === ours.ino;
  } catch {
    return false;
  }
}

/**
 * The program `pid` runs, or undefined when it cannot be read (a kernel
 * thread, another user's process without root, a process that exited or
 * whose PID now names another process than the one started at `startTime`).
 */
export function readExecutable(pid: number, startTime: number, procRoot = '/proc'): Executable | undefined {
  try {
    // The link's bytes, not a UTF-8 reading of them: a directory named with a byte that is not
    // UTF-8 must still be found by stat (a U+FFFD in its place names no file: the directory's owner
    // would be unknown, and an unknown keeps the protection), and is shown as `\xNN`.
    const link = readlinkSync(`${procRoot}/${pid}/exe`, { encoding: 'buffer' });
    const deleted = link.length > DELETED.length && link.subarray(link.length - DELETED.length).equals(DELETED);
    const path = deleted ? link.subarray(0, link.length - DELETED.length) : link;
    if (path[0] !== SLASH) return undefined;
    const file = ownership(`${procRoot}/${pid}/exe`);
    const slash = path.lastIndexOf(SLASH);
    const dir = slash > 0 ? path.subarray(0, slash) : Buffer.from('/');
    let directory: Ownership | undefined;
    try {
      if (sameRoot(pid, procRoot)) directory = ownership(dir);
    } catch {
      directory = undefined; // gone (a deleted program's directory, removed since)
    }
    const owners = withAcls(file, directory, { file: `${procRoot}/${pid}/exe`, directory: directory && decodeKeepingBadBytes(dir) });
    // Read after the facts: the same process running the same program throughout (no exec in between), or nothing is known.
    if (!readlinkSync(`${procRoot}/${pid}/exe`, { encoding: 'buffer' }).equals(link)) return undefined;
    if (startTime >= 0 && readStartTime(pid, procRoot) !== startTime) return undefined;
    return { path: decodeKeepingBadBytes(path), deleted, file: owners.file, ...(owners.directory && { directory: owners.directory }) };
  } catch {
    return undefined;
  }
}

/**
 * The program of a holder (or a holder's parent) whose protected name may be
 * a disguise (see disguiseReason in policy.ts): read only for a process not
 * run by root (real and effective uid), and only when claim-port itself runs
 * as root. The rule stops a user from blocking root's claim with a borrowed
 * name; run as a user, claim-port can signal only that user's own processes,
 * whose names protect as before.
 */
export function readUserExecutable(p: ProcessInfo, procRoot = '/proc'): Executable | undefined {
  if (process.geteuid?.() !== 0 || !(p.uid > 0 && p.realUid > 0)) return undefined;
  return readExecutable(p.pid, p.startTime, procRoot);
}
