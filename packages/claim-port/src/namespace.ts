// What the kernel says about the user namespace of a holder that is the init
// (PID 1) of another PID namespace: whether a process in it may run as root,
// and who else is in that PID namespace (and so dies with its init). Any user
// can make a PID namespace inside a user namespace of their own (`unshare --user
// --pid --fork`), and so give any process the protection of a container's init;
// but root can join that PID namespace (`nsenter -t INIT --pid`) while it stays
// root in its own user namespace. policy.ts decides; this only reads. Every read
// that fails leaves the fact out: not knowing keeps the protection.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readStartTime, userName, type ProcessInfo } from '@dsa110/ports/system';

/** Outside uids `first` .. `first + count - 1` of a uid_map line, as the reader's namespace sees them. */
export interface UidRange {
  readonly first: number;
  readonly count: number;
}

/** A process in the init's PID namespace, or one /proc cannot place outside it (see readMembers). */
export interface NamespaceMember {
  readonly pid: number;
  /** Its comm and the user of its effective uid, for naming it. */
  readonly comm?: string;
  readonly user?: string;
  /** Real, effective, saved and filesystem uids, as claim-port's namespace sees them; undefined when they could not be read. */
  readonly uids?: readonly number[];
  /** Whether it is in the init's user namespace; undefined when that could not be read. */
  readonly sameUserNamespace?: boolean;
  /** For one in another user namespace: the outside uids its uid_map maps; undefined when not read or malformed. */
  readonly mappedUids?: readonly UidRange[];
}

export interface UserNamespace {
  /**
   * Its uid_map maps host uid 0 (as claim-port's namespace sees it): a process
   * in it, or in a user namespace nested in it (whose map is a part of its), may
   * run as root. False: every process in it runs as a user other than root.
   */
  readonly mapsRoot: boolean;
  /** The outside uids its uid_map maps (claim-port's view). */
  readonly mappedUids: readonly UidRange[];
  /**
   * Every process that dies with the init, when it maps no host root (the only
   * case that reads them): see readMembers. Undefined when the scan failed.
   */
  readonly members?: readonly NamespaceMember[];
}

/**
 * Pure: the outside ranges of a `/proc/PID/uid_map` (lines `inside outside
 * count`, the outside ids as the reader's namespace sees them); undefined when
 * a line is not three numbers.
 */
export function parseUidMap(text: string): UidRange[] | undefined {
  const ranges: UidRange[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === '') continue;
    const numbers = fields.map((field) => (/^\d+$/.test(field) ? Number(field) : Number.NaN));
    if (numbers.length !== 3 || !numbers.every((n) => Number.isSafeInteger(n))) return undefined;
    if (numbers[2]! > 0) ranges.push({ first: numbers[1]!, count: numbers[2]! });
  }
  return ranges;
}

/** Pure: whether a `/proc/PID/uid_map` maps outside uid 0; undefined when a line is not three numbers. */
export function mapsHostRoot(text: string): boolean | undefined {
  // Outside ids are never negative: a range maps uid 0 only when it starts there.
  return parseUidMap(text)?.some((range) => range.first === 0);
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
    const mappedUids = parseUidMap(readFileSync(`${procRoot}/${p.pid}/uid_map`, 'latin1'));
    if (mappedUids === undefined) return undefined;
    const mapsRoot = mappedUids.some((range) => range.first === 0);
    // Only a namespace that maps no host root may be judged a user's sandbox: only then are its members worth a scan.
    const members = mapsRoot ? undefined : readMembers(p.pid, theirs, procRoot);
    // Read after the facts: the same process, still in the same user namespace.
    if (readlinkSync(`${procRoot}/${p.pid}/ns/user`) !== theirs || readStartTime(p.pid, procRoot) !== p.startTime) return undefined;
    return { mapsRoot, mappedUids, ...(members !== undefined && { members }) };
  } catch {
    return undefined;
  }
}

/**
 * Every process that dies with the init `initPid` (the kernel kills every
 * process of a PID namespace when its init dies, those of namespaces nested
 * in it too), with what says whose it is; undefined when the scan itself
 * failed. One readlink of /proc/PID/ns/pid per process, and /proc/PID/status
 * of one process per other PID namespace. A process in the init's PID
 * namespace is a member. /proc cannot tell which namespace a nested one is
 * nested in (that takes the NS_GET_PARENT ioctl): a process in a PID
 * namespace deeper than the init's counts as a member, to be safe. One whose
 * PID namespace cannot be read (not a zombie, not gone, not in a shallower
 * namespace) counts too, with nothing known of it.
 */
function readMembers(initPid: number, initUserNamespace: string, procRoot: string): NamespaceMember[] | undefined {
  const initNamespace = readlinkSync(`${procRoot}/${initPid}/ns/pid`);
  const ownNamespace = readlinkSync(`${procRoot}/${process.pid}/ns/pid`);
  const initDepth = namespaceDepth(initPid, procRoot);
  if (initDepth === undefined) return undefined;
  const depthOf = new Map<string, number | undefined>([[initNamespace, initDepth]]);
  const members: NamespaceMember[] = [];
  for (const entry of readdirSync(procRoot)) {
    if (!/^[1-9]\d*$/.test(entry)) continue;
    const pid = Number(entry);
    let namespace: string;
    try {
      namespace = readlinkSync(`${procRoot}/${pid}/ns/pid`);
    } catch {
      // A zombie has no namespaces left, and is dead already; a process gone meanwhile is no member; nor is one in a
      // shallower namespace (a security module may hide a process's namespaces from root, never its NSpid: PID 1 of a host).
      const state = stateOf(pid, procRoot);
      const depth = namespaceDepth(pid, procRoot);
      if (state !== undefined && state !== 'Z' && state !== 'X' && !(depth !== undefined && depth < initDepth)) members.push({ pid });
      continue;
    }
    if (namespace === ownNamespace) continue;
    if (!depthOf.has(namespace)) depthOf.set(namespace, namespaceDepth(pid, procRoot));
    const depth = depthOf.get(namespace);
    // Same depth, another namespace: a sibling, never nested in the init's.
    if (namespace !== initNamespace && depth !== undefined && depth <= initDepth) continue;
    members.push(readMember(pid, initUserNamespace, procRoot));
  }
  return members;
}

/** What says whose `pid` is; a fact that cannot be read is left out. */
function readMember(pid: number, initUserNamespace: string, procRoot: string): NamespaceMember {
  let status: string | undefined;
  let userNamespace: string | undefined;
  let mappedUids: UidRange[] | undefined;
  try {
    status = readFileSync(`${procRoot}/${pid}/status`, 'latin1');
    userNamespace = readlinkSync(`${procRoot}/${pid}/ns/user`);
    if (userNamespace !== initUserNamespace) mappedUids = parseUidMap(readFileSync(`${procRoot}/${pid}/uid_map`, 'latin1'));
  } catch {
    // Left out: not known.
  }
  const uids = status === undefined ? undefined : /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/m.exec(status)?.slice(1).map(Number);
  const comm = status === undefined ? undefined : /^Name:\t(.*)$/m.exec(status)?.[1];
  return {
    pid,
    ...(comm !== undefined && { comm }),
    ...(uids !== undefined && { uids, user: userName(uids[1]!) }),
    ...(userNamespace !== undefined && { sameUserNamespace: userNamespace === initUserNamespace }),
    ...(mappedUids !== undefined && { mappedUids }),
  };
}

/** How many PID namespaces `pid` is in, from the one /proc shows down to its own (the `NSpid:` line); undefined when unread. */
function namespaceDepth(pid: number, procRoot: string): number | undefined {
  try {
    const match = /^NSpid:\s+(\d+(?:\s+\d+)*)\s*$/m.exec(readFileSync(`${procRoot}/${pid}/status`, 'latin1'));
    return match ? match[1]!.split(/\s+/).length : undefined;
  } catch {
    return undefined;
  }
}

/** The state letter of /proc/PID/stat, or undefined when the process is gone. */
function stateOf(pid: number, procRoot: string): string | undefined {
  try {
    const text = readFileSync(`${procRoot}/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return existsSync(`${procRoot}/${pid}`) ? '?' : undefined;
  }
}
