// What /proc says about one process. Everything a claim or a report needs to
// name a process to a person and to recognise it again (PID + start time).
import { readdirSync, readlinkSync } from 'node:fs';
import { decodeKeepingBadBytes } from '../utf8.js';
import { userName } from './users.js';
import { pidArgument, procRootArgument, stringArgument } from '../arguments.js';
import { tryReadProcText } from './system-files.js';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Effective uid (the user `ps` shows). */
  readonly uid: number;
  /** Real uid: what kill(2) compares with when an unprivileged user signals. */
  readonly realUid: number;
  /** User name from /etc/passwd, or the uid as text when it has no entry. */
  readonly user: string;
  /** The kernel's process name (/proc/PID/comm, at most 15 characters). */
  readonly comm: string;
  /** Basename of /proc/PID/exe, when readable (not for other users' processes unless root). */
  readonly exe?: string;
  readonly argv: readonly string[];
  /** argv joined with spaces, or `[comm]` when there is none (kernel threads, zombies); empty for a process that blanked its command line (NULs alone). A zombie leader's other threads show its argv, read from them. */
  readonly command: string;
  /** /proc/PID/stat field 22: clock ticks after boot. With the PID it identifies the process. */
  readonly startTime: number;
  /** One-letter state from /proc/PID/stat (R, S, D, Z, T, ...). */
  readonly state: string;
  /** /proc/PID/stat's flags say PF_KTHREAD: never a PID or a parent, which in a PID namespace are any process's. */
  readonly kernelThread: boolean;
  /**
   * The PID in the process's own PID namespace, when that namespace is not
   * the one /proc shows (the last `NSpid:` of /proc/PID/status): `1` for the
   * init of a container or sandbox (`unshare --pid`, bubblewrap, nspawn).
   */
  readonly namespacePid?: number;
}

const PF_KTHREAD = 0x00200000;

/** Pure: whether /proc/PID/stat's flags mark a kernel thread (PF_KTHREAD): the kernel's own word, whatever the PID namespace. */
export function flagsKernelThread(stat: Pick<StatFields, 'flags'>): boolean {
  return (stat.flags & PF_KTHREAD) !== 0;
}

export interface StatFields {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  flags: number;
  startTime: number;
}

/** Pure: parse /proc/PID/stat. comm may hold spaces and parentheses, so split at the last `)`. */
export function parseStat(text: string): StatFields | undefined {
  stringArgument('parseStat', 'text', text, 'the text of /proc/PID/stat');
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const startTime = Number(rest[19]);
  if (rest.length < 20 || !Number.isFinite(startTime)) return undefined;
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: Number(rest[1]),
    flags: Number(rest[6]),
    startTime,
  };
}

/** The start time of `pid`, or undefined when it no longer exists. Cheap: one small read. */
export function readStartTime(pid: number, procRoot = '/proc'): number | undefined {
  pidArgument('readStartTime', pid);
  procRootArgument('readStartTime', procRoot);
  const text = tryReadProcText(procRoot, `${pid}/stat`);
  return text === undefined ? undefined : parseStat(text)?.startTime;
}

/** Pure: the uids on the `Uid:` line of /proc/PID/status (real, effective). */
export function parseStatusUids(text: string): { real: number; effective: number } | undefined {
  stringArgument('parseStatusUids', 'text', text, 'the text of /proc/PID/status');
  const match = /^Uid:\s+(\d+)\s+(\d+)/m.exec(text);
  return match ? { real: Number(match[1]), effective: Number(match[2]) } : undefined;
}

/** A file of process `pid` as latin1 (NULs and bytes kept), or undefined: the process exited, or the file is no regular file (a procRoot laid out by hand). */
function tryRead(procRoot: string, pid: number, file: string): string | undefined {
  return tryReadProcText(procRoot, `${pid}/${file}`);
}

/** Pure: the PID in the innermost PID namespace (the last of the `NSpid:` line of /proc/PID/status), when there is more than one. */
export function parseStatusNamespacePid(text: string): number | undefined {
  const match = /^NSpid:\s+(\d+(?:\s+\d+)+)\s*$/m.exec(text);
  return match ? Number(match[1]!.split(/\s+/).at(-1)) : undefined;
}

/** Everything about `pid`, or undefined when it has exited (or /proc refuses its stat). */
export function readProcessInfo(pid: number, procRoot = '/proc'): ProcessInfo | undefined {
  pidArgument('readProcessInfo', pid);
  procRootArgument('readProcessInfo', procRoot);
  const statText = tryRead(procRoot, pid, 'stat');
  const stat = statText === undefined ? undefined : parseStat(statText);
  if (!stat) return undefined;
  const status = tryRead(procRoot, pid, 'status') ?? '';
  const uids = parseStatusUids(status) ?? { real: -1, effective: -1 };
  const namespacePid = parseStatusNamespacePid(status);
  // A zombie leader (its main thread exited, others run on) has no memory of its own: its cmdline reads empty and
  // its exe unreadable. A live thread shares the process's memory and shows both.
  const thread = stat.state === 'Z' ? liveThreadId(pid, procRoot) : undefined;
  const from = thread === undefined ? `${pid}` : `${pid}/task/${thread}`;
  const cmdline = tryReadProcText(procRoot, `${from}/cmdline`) ?? '';
  const argv = argvOf(cmdline);
  let exe: string | undefined;
  try {
    // As bytes: a name with a byte that is not UTF-8 keeps it (shown as \xNN), as comm and argv do.
    const target = decodeKeepingBadBytes(readlinkSync(`${procRoot}/${from}/exe`, { encoding: 'buffer' })).replace(/ \(deleted\)$/, '');
    exe = target.slice(target.lastIndexOf('/') + 1);
  } catch {
    exe = undefined; // another user's process, or a kernel thread
  }
  // cmdline is read as latin1 to keep NULs intact; re-decode as UTF-8 for display (bad bytes kept, for escapeText to show as \xNN).
  const utf8 = argv.map((arg) => decodeKeepingBadBytes(Buffer.from(arg, 'latin1')));
  return {
    pid,
    ppid: stat.ppid,
    uid: uids.effective,
    realUid: uids.real,
    user: uids.effective < 0 ? '?' : userName(uids.effective),
    comm: decodeKeepingBadBytes(Buffer.from(stat.comm, 'latin1')),
    ...(exe !== undefined && { exe }),
    argv: utf8,
    // A command line of NULs alone (perl's $0 = "") is a process that blanked it: empty, not a kernel thread's `[comm]`.
    command: utf8.length > 0 ? withoutPaddingSpaces(utf8.join(' ')) : cmdline === '' ? `[${stat.comm}]` : '',
    startTime: stat.startTime,
    state: stat.state,
    // The kernel's flag alone: in a PID namespace (a container) PID 2 and its children are ordinary processes.
    kernelThread: flagsKernelThread(stat),
    ...(namespacePid !== undefined && { namespacePid }),
  };
}

/**
 * The id of a thread of `pid` other than its leader that is not a zombie, or
 * undefined (none, `pid` gone, or unreadable). A zombie leader (its main
 * thread exited) with such a thread has not exited: the thread still holds its
 * fds, and shows its memory (cmdline, exe) where the leader shows none.
 */
export function liveThreadId(pid: number, procRoot = '/proc'): number | undefined {
  pidArgument('liveThreadId', pid);
  procRootArgument('liveThreadId', procRoot);
  let tids: string[];
  try {
    tids = readdirSync(`${procRoot}/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const tid of tids) {
    if (tid === String(pid) || !/^\d+$/.test(tid)) continue;
    const stat = tryReadProcText(procRoot, `${pid}/task/${tid}/stat`);
    const parsed = stat === undefined ? undefined : parseStat(stat);
    if (parsed && parsed.state !== 'Z' && parsed.state !== 'X') return Number(tid);
  }
  return undefined;
}

/** PIDs from `pid` up to PID 1 (excluding `pid` itself): the chain a claim must never signal. */
export function ancestors(pid: number, procRoot = '/proc'): number[] {
  pidArgument('ancestors', pid);
  procRootArgument('ancestors', procRoot);
  const chain: number[] = [];
  let current = pid;
  for (let guard = 0; guard < 4096; guard++) {
    const text = tryRead(procRoot, current, 'stat');
    const ppid = text === undefined ? undefined : parseStat(text)?.ppid;
    if (ppid === undefined || ppid <= 0 || chain.includes(ppid)) break;
    chain.push(ppid);
    current = ppid;
  }
  return chain;
}

export interface ProcessUsage {
  /** Average CPU percent since the process started (one core = 100), as `ps` and pidusage's first sample report it. */
  readonly cpu: number;
  /** Resident memory in bytes (VmRSS). */
  readonly memory: number;
}

/**
 * CPU and memory of `pid` from /proc alone: no subprocess (pidusage runs
 * `getconf` twice on first use, ~10-20 ms that every service start would
 * pay). USER_HZ is 100 on every Linux architecture, which is what /proc's
 * clock-tick fields are counted in.
 */
export function readProcessUsage(pid: number, procRoot = '/proc'): ProcessUsage | undefined {
  pidArgument('readProcessUsage', pid);
  procRootArgument('readProcessUsage', procRoot);
  const stat = tryRead(procRoot, pid, 'stat');
  const status = tryRead(procRoot, pid, 'status');
  const uptime = Number((tryReadProcText(procRoot, 'uptime') ?? '').split(' ')[0]);
  if (stat === undefined || status === undefined || !Number.isFinite(uptime)) return undefined;
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]); // utime + stime (fields 14, 15)
  const started = Number(rest[19]) / USER_HZ;
  const seconds = uptime - started;
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return {
    cpu: seconds > 0 ? Math.round((ticks / USER_HZ / seconds) * 100 * 10) / 10 : 0,
    memory: rss ? Number(rss[1]) * 1024 : 0,
  };
}

const USER_HZ = 100;

/**
 * Pure: the words of a /proc/PID/cmdline, without the empty ones at its end. A process that rewrites its title
 * (nginx's `nginx: worker process`, Node's process.title) zeroes the rest of its argument area, which the kernel
 * shows as dozens of NULs: each an empty word. ps drops them, and so does this (real empty last arguments,
 * `sleep 30 "" ""`, too, as ps does).
 */
function argvOf(cmdline: string): string[] {
  const words = cmdline.split('\0');
  let end = words.length;
  while (end > 0 && words[end - 1] === '') end--;
  return words.slice(0, end);
}

/**
 * A process that retitles itself (nginx: worker process) pads the old argv
 * with spaces: drop them. Only U+0020: trimEnd() would also drop a no-break
 * or other Unicode space that the process put there, so `sshd\u00a0` would
 * show as `sshd`.
 */
function withoutPaddingSpaces(command: string): string {
  let end = command.length;
  while (end > 0 && command.charCodeAt(end - 1) === 32) end--;
  return command.slice(0, end);
}
