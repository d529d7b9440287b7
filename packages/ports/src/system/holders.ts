// Which processes hold which sockets: one pass over /proc/*/fd. A socket is
// held by every process with an fd on it (forked workers, SO_REUSEPORT groups
// are several sockets, a shared listen socket is one inode in many PIDs).
// Processes whose fd directory cannot be read are reported, never guessed.
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { withoutStackTraces } from '../stack-traces.js';
import { describeArgument, integerArgument, iterableArgument, optionsArgument, pidArgument } from '../arguments.js';
import { flagsKernelThread, parseStat } from './process.js';
import { procRootOption } from './sockets.js';
import { readProcText } from './system-files.js';

export interface HolderScan {
  /** Socket inode -> PIDs holding it (ascending), for the inodes asked about. */
  readonly holders: ReadonlyMap<number, readonly number[]>;
  /** PIDs whose fds could not be read (permission, or /proc/PID/fd unreadable even to root). */
  readonly unreadable: readonly number[];
  /** With ScanOptions.socketLinks: every socket the processes read hold, wanted or not (see SocketLinks). */
  readonly socketLinks?: SocketLinks;
  /**
   * Socket inode -> PIDs (ascending) among its holders that hold it only
   * through an io_uring's table of registered files (see scanRings); left out
   * when none does.
   */
  readonly rings?: ReadonlyMap<number, readonly number[]>;
}

/**
 * Every socket the fd tables read hold, by inode: each process holding it,
 * with the first of its fds on it (PID -> fd; its other fds on that socket
 * add nothing). What a second pass over every /proc/PID/fd would read for the
 * sockets no table lists (unlistedSocketHolders), gathered by the first.
 */
export type SocketLinks = ReadonlyMap<number, ReadonlyMap<number, number>>;

export interface ScanOptions {
  procRoot?: string | undefined;
  /** Skip these PIDs (e.g. the caller itself); default none. */
  skip?: ReadonlySet<number> | undefined;
  /** Scan only these PIDs (does one of them still hold the socket?); default every process under procRoot. */
  pids?: readonly number[] | undefined;
  /**
   * 'every': also read the fd tables of the threads of every multi-threaded
   * process, not only of a process whose leader exited. A thread may have an fd
   * table of its own (unshare(CLONE_FILES), clone without CLONE_FILES) that
   * /proc/PID/fd does not show: a socket only such a table holds has no holder
   * otherwise. It costs a stat per process and per thread, and the reading of
   * the tables that are not the leader's by their size; those that look like
   * it are read only while a socket has no holder, for at most
   * EVERY_THREAD_SCAN_MS (see scanEveryThread). The io_urings those tables
   * hold are read too, as the leaders' are (see scanRings): a thread's own
   * table may hold the ring that alone holds a socket. For a socket whose holder the
   * common scan did not find. Default: leaders that exited only.
   */
  threads?: 'every' | undefined;
  /**
   * true: also keep every socket link the pass reads (HolderScan.socketLinks),
   * for unlistedSocketHolders, which otherwise reads every fd table again.
   * Costs no read, a map entry per socket and process. Default false.
   */
  socketLinks?: boolean | undefined;
}

/** Every option of scanSocketHolders, one per key of ScanOptions (the compiler holds the two together). */
const SCAN_OPTIONS: Readonly<Record<keyof ScanOptions, true>> = { procRoot: true, skip: true, pids: true, threads: true, socketLinks: true };
const SCAN_KEYS = Object.keys(SCAN_OPTIONS);

/** What one scanner found: [pid, inode] pairs and the PIDs it could not read. */
export interface PartialScan {
  found: number[];
  unreadable: number[];
  /** PIDs whose fd directory was empty: kernel threads, and processes whose thread-group leader has exited (see scanTasks). */
  empty?: number[];
  /** When asked for: [pid, inode, fd] of every socket link, once per process and socket (its first fd on it). */
  links?: number[];
  /** [pid, fd] of each io_uring fd read (`anon_inode:[io_uring]`), for scanRings; left out when none. */
  rings?: number[];
  /**
   * [pid, tid, fd] of each io_uring fd read in a thread's fd table (/proc/PID/task/TID/fd: scanTasks,
   * scanEveryThread), for scanRings; left out when none. A ring here at an fd where its process has a ring already
   * read is taken for that one (the table is guessed shared), and read only while a wanted socket has no holder.
   */
  taskRings?: number[];
  /**
   * [pid, tid, fd] of each io_uring fd read in a thread's fd table that is not the process's (its size differs:
   * scanEveryThread), for scanRings: always read, whatever fd its process has a ring at (unshare(CLONE_FILES) makes
   * the same fd number another ring); left out when none.
   */
  ownRings?: number[];
  /** [pid, inode] of `found` that were found in an io_uring's registered files, not in an fd table (scanRings). */
  ringFound?: number[];
}

/**
 * Scan the fds of `pids` in Node: every socket link that is one of `wanted`,
 * each process whose fds could not be read, and each whose fd directory is
 * empty; with `links`, every socket link too. Synchronous: tens of thousands of tiny readlink calls are several
 * times faster in a plain loop than through promises and the thread pool.
 */
export function scanPids(pids: readonly number[], wanted: ReadonlyMap<string, number>, proc: string, links = false): PartialScan {
  const found: number[] = [];
  const linked: number[] | undefined = links ? [] : undefined;
  const unreadable: number[] = [];
  const empty: number[] = [];
  const rings: number[] = [];
  const denied = (error: unknown) => {
    const code = (error as { code?: string }).code;
    return code === 'EACCES' || code === 'EPERM';
  };
  for (const pid of pids) {
    const dir = `${proc}/${pid}/fd`;
    let fds: string[];
    try {
      fds = readdirSync(dir);
    } catch (error) {
      if (denied(error)) unreadable.push(pid);
      continue; // ENOENT: the process has exited
    }
    if (fds.length === 0) empty.push(pid);
    const seen = linked && new Set<string>();
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${dir}/${fd}`);
      } catch (error) {
        // Access to a process's fds is granted or refused for the process as a
        // whole: one refusal means the rest would be refused too (each costs time).
        if (denied(error)) {
          unreadable.push(pid);
          break;
        }
        continue;
      }
      // Cheap prefilter: only socket links can match (and io_uring's, kept for scanRings).
      if (target.charCodeAt(0) !== 115 /* s */) {
        if (target === RING_LINK) rings.push(pid, Number(fd));
        continue;
      }
      const inode = wanted.get(target);
      if (inode !== undefined) found.push(pid, inode);
      if (seen && target.startsWith('socket:[') && !seen.has(target)) {
        seen.add(target);
        linked!.push(pid, Number(target.slice(8, -1)), Number(fd));
      }
    }
  }
  return { found, unreadable, empty, ...(linked && { links: linked }), ...(rings.length > 0 && { rings }) };
}

/** The PIDs to scan, and the `socket:[INODE]` links that matter. */
export function scanInputs(
  inodes: Iterable<number>,
  options: ScanOptions,
  fn = 'scanSocketHolders',
): { pids: number[]; wanted: Map<string, number>; proc: string; everyThread: boolean; links: boolean } {
  const { proc, everyThread, links } = scanSettings(options, fn);
  const wanted = wantedLinks(inodes, fn);
  // No socket to look for: no listing of /proc either.
  const pids = wanted.size === 0 ? [] : scanPidList(options, proc, fn);
  return { pids, wanted, proc, everyThread, links };
}

/** The proc root and thread mode of a scan's options, checked (with `skip`: `procRoot: 5` used to scan no process, and say no holder). */
export function scanSettings(options: ScanOptions, fn: string): { proc: string; everyThread: boolean; links: boolean } {
  if (options.threads !== undefined && options.threads !== 'every')
    throw new TypeError(`${fn}: options.threads must be 'every' or undefined, not ${describeArgument(options.threads)}`);
  if (options.skip !== undefined && typeof (options.skip as Partial<ReadonlySet<number>> | null)?.has !== 'function')
    throw new TypeError(`${fn}: options.skip must be a Set of PIDs or left out, not ${describeArgument(options.skip)}`);
  if (options.socketLinks !== undefined && typeof options.socketLinks !== 'boolean')
    throw new TypeError(`${fn}: options.socketLinks must be true, false or left out (false), not ${describeArgument(options.socketLinks)}`);
  return { proc: procRootOption(fn, options.procRoot), everyThread: options.threads === 'every', links: options.socketLinks === true };
}

/** Pure: each socket inode by the link an fd on it reads as (`socket:[INODE]`). */
export function wantedLinks(inodes: Iterable<number>, fn: string): Map<string, number> {
  const wanted = new Map<string, number>();
  for (const inode of inodes) {
    // Made into link text: a symbol failed inside ("Cannot convert a Symbol value to a string"), and '123' matched as a string.
    if (typeof inode !== 'number' || !Number.isSafeInteger(inode) || inode < 0)
      integerArgument(fn, 'each of inodes', inode, 0, Number.MAX_SAFE_INTEGER, 'a socket inode (a number)');
    wanted.set(`socket:[${inode}]`, inode);
  }
  return wanted;
}

/** The PIDs a scan reads: options.pids, else every process under `proc`; less options.skip. */
export function scanPidList(options: ScanOptions, proc: string, fn: string): number[] {
  const pids: number[] = [];
  if (options.pids !== undefined) {
    iterableArgument(fn, 'options.pids', options.pids, 'PIDs');
    for (const pid of options.pids) {
      pidArgument(fn, pid, 'options.pids[]');
      if (!options.skip?.has(pid)) pids.push(pid);
    }
    return pids;
  }
  for (const name of readdirSync(proc)) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    if (!options.skip?.has(pid)) pids.push(pid);
  }
  return pids;
}

/** Pure: the scanners' partial results as one HolderScan (with socketLinks when any part kept its links). */
export function mergeScans(parts: readonly PartialScan[]): HolderScan {
  const holders = new Map<number, number[]>();
  const unreadable: number[] = [];
  let socketLinks: Map<number, Map<number, number>> | undefined;
  for (const part of parts) {
    if (part.links) {
      socketLinks ??= new Map();
      for (let index = 0; index < part.links.length; index += 3) {
        const [pid, inode, fd] = [part.links[index]!, part.links[index + 1]!, part.links[index + 2]!];
        const byPid = socketLinks.get(inode);
        if (!byPid) socketLinks.set(inode, new Map([[pid, fd]]));
        else if (!byPid.has(pid)) byPid.set(pid, fd);
      }
    }
    for (let index = 0; index < part.found.length; index += 2) {
      const pid = part.found[index]!;
      const inode = part.found[index + 1]!;
      const list = holders.get(inode);
      if (!list) holders.set(inode, [pid]);
      else if (!list.includes(pid)) list.push(pid);
    }
    unreadable.push(...part.unreadable);
  }
  for (const list of holders.values()) list.sort((a, b) => a - b);
  unreadable.sort((a, b) => a - b);
  const rings = ringHolders(parts, holders);
  return { holders, unreadable: [...new Set(unreadable)], ...(socketLinks && { socketLinks }), ...(rings && { rings }) };
}

/** The holders found only in an io_uring's registered files (PartialScan.ringFound), by inode: not where an fd table holds the socket too. */
function ringHolders(parts: readonly PartialScan[], holders: ReadonlyMap<number, readonly number[]>): Map<number, number[]> | undefined {
  if (!parts.some((part) => part.ringFound !== undefined && part.ringFound.length > 0)) return undefined;
  const direct = new Set<string>();
  for (const part of parts)
    if (part.ringFound === undefined) for (let index = 0; index < part.found.length; index += 2) direct.add(`${part.found[index]} ${part.found[index + 1]}`);
  let rings: Map<number, number[]> | undefined;
  for (const [inode, pids] of holders) {
    const through = pids.filter((pid) => !direct.has(`${pid} ${inode}`));
    if (through.length > 0) (rings ??= new Map()).set(inode, through);
  }
  return rings;
}

/** What readlink of an io_uring's fd reads. */
export const RING_LINK = 'anon_inode:[io_uring]';

/** How many times a ring's fdinfo is read when its table cannot be told (parseRingFiles: its lock was held at that moment). */
const RING_READS = 3;

/**
 * Pure: the `socket:[INODE]` entries of an io_uring's registered-file table
 * as its /proc/PID/fdinfo/FD prints it (io_uring/fdinfo.c: `UserFiles:\t4`,
 * the table's slots, then `%5u: ` and the file's path for each slot in use),
 * or undefined when the table cannot be told, which is not knowing, not an
 * empty table: no table printed (the kernel skips it when it cannot take the
 * ring's lock at that moment); slots counted but no entry (kernels before
 * about 6.14 print the count and skip only the entries then; a table of empty
 * slots alone reads the same); or an entry with no name (older kernels print
 * a file's dentry name, `<none>` for an empty slot, and a socket's is empty).
 * Fewer entries than slots is a table with empty slots (not printed since
 * about 6.14), not a skipped one: one entry shows the lock was taken.
 */
export function parseRingFiles(fdinfo: string): number[] | undefined {
  const lines = fdinfo.split('\n');
  const start = lines.findIndex((line) => /^UserFiles:\s*\d+$/.test(line));
  if (start < 0) return undefined;
  const slots = Number(/\d+/.exec(lines[start]!)![0]);
  const inodes: number[] = [];
  let entries = 0;
  for (const line of lines.slice(start + 1)) {
    const entry = /^\s*\d+:(?: (.*))?$/.exec(line);
    if (!entry) break;
    const name = entry[1] ?? '';
    if (name === '') return undefined;
    entries++;
    const socket = /^socket:\[(\d+)\]$/.exec(name);
    if (socket) inodes.push(Number(socket[1]));
  }
  return slots > 0 && entries === 0 ? undefined : inodes;
}

/**
 * The holders fd tables do not show: a socket a process registered with its
 * io_uring (IORING_REGISTER_FILES) and then closed is held by the ring alone,
 * and the ring's fdinfo lists it. Read only while a wanted socket has no
 * holder, and only the io_uring fds the scan saw (PartialScan.rings, and
 * taskRings: a ring in a thread's fd table, one of its own after
 * unshare(CLONE_FILES) or a leader's that exited, read through
 * /proc/PID/task/TID/fdinfo): the common scan reads no fdinfo. A ring in a
 * thread's table that is not its process's (ownRings: its size differs) is
 * always read: after unshare(CLONE_FILES) the same fd number can be another
 * ring. A ring in a table guessed shared (taskRings: the same size as one read,
 * or any size before Linux 6.2, where the size is 0) at an fd where its process
 * already has a ring read is taken for that same ring at first, and read only
 * if a wanted socket still has no holder once the others are: a process of many
 * threads costs one read per ring while the sockets are found, and a table
 * guessed shared wrongly (unshare(CLONE_FILES) leaves the sizes equal) is still
 * read before a socket is said to have no holder. (A ring's identity cannot be
 * told from /proc: every io_uring file may share one anonymous inode, and
 * fdinfo names none.) A ring whose table could not be read (no permission, or no
 * table told in RING_READS reads) makes its process unreadable: an owner is
 * never guessed.
 */
export function scanRings(parts: readonly PartialScan[], wanted: ReadonlyMap<string, number>, proc: string): PartialScan | undefined {
  const rings: { pid: number; path: string }[] = [];
  /** Rings at an fd where their process has one read already: most likely the same ring, read only on a miss. */
  const doubtful: { pid: number; path: string }[] = [];
  const read = new Set<string>();
  for (const part of parts)
    for (let index = 0; index < (part.rings?.length ?? 0); index += 2) {
      const [pid, fd] = [part.rings![index]!, part.rings![index + 1]!];
      read.add(`${pid} ${fd}`);
      rings.push({ pid, path: `${proc}/${pid}/fdinfo/${fd}` });
    }
  for (const part of parts)
    for (let index = 0; index < (part.ownRings?.length ?? 0); index += 3) {
      const [pid, tid, fd] = [part.ownRings![index]!, part.ownRings![index + 1]!, part.ownRings![index + 2]!];
      read.add(`${pid} ${fd}`);
      rings.push({ pid, path: `${proc}/${pid}/task/${tid}/fdinfo/${fd}` });
    }
  for (const part of parts)
    for (let index = 0; index < (part.taskRings?.length ?? 0); index += 3) {
      const [pid, tid, fd] = [part.taskRings![index]!, part.taskRings![index + 1]!, part.taskRings![index + 2]!];
      (read.has(`${pid} ${fd}`) ? doubtful : rings).push({ pid, path: `${proc}/${pid}/task/${tid}/fdinfo/${fd}` });
      read.add(`${pid} ${fd}`);
    }
  if (rings.length === 0) return undefined; // a doubtful one has a ring read before it
  const seen = new Set<number>();
  for (const part of parts) for (let index = 1; index < part.found.length; index += 2) seen.add(part.found[index]!);
  const inodes = new Set(wanted.values());
  if ([...inodes].every((inode) => seen.has(inode))) return undefined;
  const found: number[] = [];
  const unreadable: number[] = [];
  const missing = () => {
    const now = new Set(seen);
    for (let index = 1; index < found.length; index += 2) now.add(found[index]!);
    return [...inodes].some((inode) => !now.has(inode));
  };
  const all = [...rings, ...doubtful];
  for (let index = 0; index < all.length; index++) {
    // The doubtful ones (after the others) only while a wanted socket has no holder.
    if (index === rings.length && !missing()) break;
    const { pid, path } = all[index]!;
    let files: number[] | undefined;
    let denied = false;
    for (let attempt = 0; attempt < RING_READS && files === undefined && !denied; attempt++) {
      let text: string;
      try {
        text = readFileSync(path, 'latin1');
      } catch (error) {
        const code = (error as { code?: string }).code;
        denied = code === 'EACCES' || code === 'EPERM';
        if (!denied) break; // ENOENT: closed, or the process (or thread) exited
        continue;
      }
      files = parseRingFiles(text);
    }
    if (files === undefined) {
      if (denied || existsSync(path)) unreadable.push(pid);
      continue;
    }
    for (const inode of files) if (inodes.has(inode)) found.push(pid, inode);
  }
  return { found, unreadable, ringFound: found };
}

/**
 * The kernel threads among `empty` (PIDs whose fd directory is empty): kthreadd
 * (PID 2) and its children (/proc/2/task/2/children), when PID 2 is among them
 * and its stat flags say kernel thread (kthreadd has no fds; where PID 2 has
 * some, or is no kernel thread, it is no kthreadd: another PID namespace shows
 * no kernel thread). Two small reads, where a stat of each empty directory's
 * task list costs one per kernel thread (hundreds on a large host).
 */
function kernelThreads(empty: readonly number[], proc: string): ReadonlySet<number> {
  if (!empty.includes(2)) return new Set();
  try {
    // In a PID namespace's own /proc (a container's), PID 2 is a process like any other: one whose leader
    // exited has an empty fd directory too, and taking it and its children for kernel threads hid them.
    const stat = parseStat(readProcText(proc, '2/stat'));
    if (stat === undefined || !flagsKernelThread(stat)) return new Set();
    const children = readProcText(proc, '2/task/2/children').trim();
    return new Set([2, ...(children === '' ? [] : children.split(' ').map(Number))]);
  } catch {
    return new Set(); // no such file (CONFIG_PROC_CHILDREN): each empty directory's task list is looked at
  }
}

/**
 * Read one fd table (`/proc/PID/fd` or a thread's `/proc/PID/task/TID/fd`):
 * every fd that is one of the `wanted` sockets goes into `found` as [pid,
 * inode]; with `rings`, each io_uring fd into `rings.into` as [pid, rings.tid,
 * fd] (PartialScan.taskRings). False when the table could not be read for want of permission;
 * stops (true) at `deadline` (performance.now()), when given, with `late` set.
 */
function readTable(
  dir: string,
  pid: number,
  wanted: ReadonlyMap<string, number>,
  found: number[],
  deadline?: { at: number; late: boolean },
  rings?: { tid: number; into: number[] },
): boolean {
  let fds: string[];
  try {
    fds = readdirSync(dir);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return !(code === 'EACCES' || code === 'EPERM');
  }
  for (let index = 0; index < fds.length; index++) {
    if (deadline && (index & 1023) === 1023 && performance.now() > deadline.at) {
      deadline.late = true;
      return true;
    }
    let target: string;
    try {
      target = readlinkSync(`${dir}/${fds[index]}`);
    } catch {
      continue;
    }
    const inode = wanted.get(target);
    if (inode !== undefined) found.push(pid, inode);
    else if (rings && target === RING_LINK) rings.into.push(pid, rings.tid, Number(fds[index]));
  }
  return true;
}

/** The tasks of a multi-threaded `pid` other than itself; none for a single-threaded one (one stat: /proc/PID/task's link count is 2 + its tasks). */
function otherTasks(pid: number, proc: string): string[] {
  if ((statSync(`${proc}/${pid}/task`, { throwIfNoEntry: false })?.nlink ?? 0) < 4) return [];
  try {
    return readdirSync(`${proc}/${pid}/task`).filter((tid) => tid !== String(pid));
  } catch {
    return [];
  }
}

/**
 * The holders the fd directories of processes do not show: a process whose
 * thread-group leader has exited (pthread_exit in the main thread) is a zombie
 * whose /proc/PID/fd is empty while its other threads still hold its fds: read
 * them through /proc/PID/task/TID/fd. Its socket may be shared with a process
 * the common scan found (a forked worker), so every such process is looked at,
 * not only when a socket's holder is still unknown: a claim must know every
 * holder before it signals one. Kernel threads (most empty fd directories) are
 * skipped.
 */
export function scanTasks(parts: PartialScan[], wanted: ReadonlyMap<string, number>, proc: string): PartialScan | undefined {
  const candidates = parts.flatMap((part) => part.empty ?? []);
  if (candidates.length === 0) return undefined;
  const kernel = kernelThreads(candidates, proc);
  const found: number[] = [];
  const unreadable: number[] = [];
  const taskRings: number[] = [];
  for (const pid of candidates) {
    if (kernel.has(pid)) continue;
    // The threads of a process usually share one fd table: one live thread shows a dead leader's.
    const [tid] = otherTasks(pid, proc);
    if (tid !== undefined && !readTable(`${proc}/${pid}/task/${tid}/fd`, pid, wanted, found, undefined, { tid: Number(tid), into: taskRings }))
      unreadable.push(pid);
  }
  return { found, unreadable, ...(taskRings.length > 0 && { taskRings }) };
}

/** How long a scan of every thread's fd table (ScanOptions.threads) may read tables it can only guess are shared, in ms. */
export const EVERY_THREAD_SCAN_MS = 1000;

/**
 * ScanOptions.threads 'every': the fd tables of the threads of every
 * multi-threaded process among `pids`, for a table of a thread's own
 * (unshare(CLONE_FILES)) that /proc/PID/fd does not show. A thread that shares
 * its leader's table would show the same fds again (a process of 300 threads
 * and 19,000 fds: 5.7 million links, 40 s), so a table is read at once only
 * when it is not the leader's by its size (the number of open fds, which
 * /proc/PID/task/TID/fd's size gives from Linux 6.2) nor the size of a table
 * already read in that process; the others only while a wanted socket still
 * has no holder, for at most `budgetMs`. The processes not read by then are
 * reported unreadable: an owner is never guessed, and no process can make the
 * scan take longer.
 */
export function scanEveryThread(
  pids: readonly number[],
  parts: PartialScan[],
  wanted: ReadonlyMap<string, number>,
  proc: string,
  budgetMs = EVERY_THREAD_SCAN_MS,
): PartialScan {
  const empty = new Set(parts.flatMap((part) => part.empty ?? []));
  const kernel = kernelThreads([...empty], proc);
  const found: number[] = [];
  const unreadable = new Set<number>();
  const taskRings: number[] = [];
  const ownRings: number[] = [];
  const later: { pid: number; tid: number; dir: string }[] = [];
  const size = (dir: string) => statSync(dir, { throwIfNoEntry: false })?.size ?? 0;
  for (const pid of pids) {
    if (kernel.has(pid)) continue;
    const tasks = otherTasks(pid, proc);
    if (tasks.length === 0) continue;
    // A leader that exited has no table of its own: its first live thread's is the process's.
    const leader = empty.has(pid) ? undefined : size(`${proc}/${pid}/fd`);
    const sizes = new Set<number>();
    for (const tid of tasks) {
      const dir = `${proc}/${pid}/task/${tid}/fd`;
      const own = size(dir);
      if ((leader === undefined && sizes.size === 0) || (own > 0 && own !== leader && !sizes.has(own))) {
        sizes.add(own);
        if (!readTable(dir, pid, wanted, found, undefined, { tid: Number(tid), into: ownRings })) unreadable.add(pid);
      } else later.push({ pid, tid: Number(tid), dir });
    }
  }
  const missing = () => {
    const seen = new Set<number>();
    for (const part of [...parts, { found }]) for (let index = 1; index < part.found.length; index += 2) seen.add(part.found[index]!);
    return seen.size < new Set(wanted.values()).size;
  };
  if (later.length > 0 && missing()) {
    const deadline = { at: performance.now() + budgetMs, late: false };
    for (let index = 0; index < later.length; index++) {
      const { pid, tid, dir } = later[index]!;
      if (deadline.late || performance.now() > deadline.at) {
        for (const rest of later.slice(index)) unreadable.add(rest.pid);
        break;
      }
      if (!readTable(dir, pid, wanted, found, deadline, { tid, into: taskRings })) unreadable.add(pid);
      if (deadline.late) unreadable.add(pid);
      // Stop as soon as every wanted socket has a holder.
      if ((index & 15) === 15 && !missing()) break;
    }
  }
  return { found, unreadable: [...unreadable], ...(taskRings.length > 0 && { taskRings }), ...(ownRings.length > 0 && { ownRings }) };
}

/** Map each of `inodes` to the PIDs that hold it, in one synchronous pass. */
export function scanSocketHolders(inodes: Iterable<number>, options?: ScanOptions): HolderScan {
  iterableArgument('scanSocketHolders', 'inodes', inodes, 'socket inodes (numbers)');
  return scanInputsSync(scanInputs(inodes, optionsArgument('scanSocketHolders', options, SCAN_KEYS)));
}

/** The synchronous pass over inputs already listed (scanInputs): one listing of /proc per scan. */
export function scanInputsSync({
  pids,
  wanted,
  proc,
  everyThread,
  links = false,
}: {
  pids: readonly number[];
  wanted: ReadonlyMap<string, number>;
  proc: string;
  everyThread: boolean;
  links?: boolean;
}): HolderScan {
  if (pids.length === 0) return { holders: new Map(), unreadable: [] };
  return withoutStackTraces(() => {
    const parts = [scanPids(pids, wanted, proc, links)];
    const tasks = everyThread ? scanEveryThread(pids, parts, wanted, proc) : scanTasks(parts, wanted, proc);
    if (tasks) parts.push(tasks);
    const rings = scanRings(parts, wanted, proc);
    return mergeScans(rings ? [...parts, rings] : parts);
  });
}
