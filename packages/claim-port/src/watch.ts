// Small I/O helpers for the claim loop: is this still the process we found
// (same PID and start time, not a zombie), signal it only if so, and poll
// without fixed sleeps.
import { liveThreadId, now, parseStat, readStartTime } from '@dsa110/ports/system';
import { readdirSync, readFileSync } from 'node:fs';

export interface Identity {
  readonly pid: number;
  /** -1 when unknown (no /proc): then only existence can be checked. */
  readonly startTime: number;
}

/**
 * True while `who` is the same process: same PID and start time. A zombie
 * still counts (a multi-threaded process's leader is a zombie while its other
 * threads still hold its fds; signalling a zombie is harmless).
 */
export function isSameProcess(who: Identity, procRoot = '/proc'): boolean {
  return processState(who, procRoot) !== undefined;
}

/**
 * True while `who` is the same process and still runs: not a zombie, or a
 * zombie leader (its main thread exited) whose other threads still run and may
 * hold its sockets: that process has not exited, and SIGKILL still ends it.
 */
export function isRunning(who: Identity, procRoot = '/proc'): boolean {
  const state = processState(who, procRoot);
  if (state === undefined) return false;
  return (state !== 'Z' && state !== 'X') || liveThreadId(who.pid, procRoot) !== undefined;
}

/**
 * True when `who` is the same process and has exited, with no other thread that runs on: a zombie its parent has not
 * reaped (its fds were closed before it became one). Such a process holds nothing, and a signal changes nothing for
 * it: kill(2) reaches a zombie without an error. One the kernel is still ending (PF_EXITING, not yet a zombie) is not
 * counted: it frees its memory before it closes its fds, which for a large process takes seconds, and while its socket
 * is open it is the holder the claim waits for. False when it cannot be told (no start time, gone, unreadable).
 */
export function hasExited(who: Identity, procRoot = '/proc'): boolean {
  if (who.startTime < 0) return false;
  const text = readStatText(`${procRoot}/${who.pid}/stat`);
  const stat = text === undefined ? undefined : parseStat(text);
  if (stat === undefined || stat.startTime !== who.startTime) return false;
  return (stat.state === 'Z' || stat.state === 'X') && liveThreadId(who.pid, procRoot) === undefined;
}

/** True while `who` is the same process and stopped (state T: SIGSTOP, Ctrl-Z): it acts on SIGTERM only once continued. */
export function isStopped(who: Identity, procRoot = '/proc'): boolean {
  return processState(who, procRoot) === 'T';
}

/**
 * True while `who` is the same process and stopped by a tracer (state t: a debugger attached with `gdb -p`, a
 * breakpoint): SIGCONT does not continue it, and it acts on SIGTERM only once the tracer lets it go.
 */
export function isTraceStopped(who: Identity, procRoot = '/proc'): boolean {
  return processState(who, procRoot) === 't';
}

const dead = (state: string | undefined) => state === undefined || state === 'Z' || state === 'X';

/** The text of a /proc stat file (`PID/stat` or `PID/task/TID/stat`), or undefined when that process or thread is gone. */
function readStatText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** The one-letter state of `who`, or undefined when it is gone or its PID was reused. */
function processState(who: Identity, procRoot: string): string | undefined {
  if (who.startTime < 0) {
    try {
      process.kill(who.pid, 0);
      return 'S';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'S' : undefined;
    }
  }
  const text = readStatText(`${procRoot}/${who.pid}/stat`);
  const stat = text === undefined ? undefined : parseStat(text);
  return stat !== undefined && stat.startTime === who.startTime ? stat.state : undefined;
}

export type SignalOutcome = 'sent' | 'gone' | 'permission-denied';

/** The signals a claim sends: SIGCONT only right after SIGTERM, to a holder that is stopped. */
export type ClaimSignal = 'SIGTERM' | 'SIGCONT' | 'SIGKILL';

/**
 * Send `sig` to `who` only if it is still the process that was found: the
 * start time is re-read right before kill(2), so a reused PID is never
 * signalled. (The window between the check and the kill is microseconds; a
 * PID cannot be recycled that fast without 32768+ forks in between.)
 */
export function signalIfSame(who: Identity, sig: ClaimSignal, procRoot = '/proc'): SignalOutcome {
  if (who.startTime >= 0 && readStartTime(who.pid, procRoot) !== who.startTime) return 'gone';
  try {
    process.kill(who.pid, sig);
    return 'sent';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'gone';
    if (code === 'EPERM') return 'permission-denied';
    throw error;
  }
}

/** Milliseconds from an arbitrary start (the shared clock: no perf_hooks at start-up). */
export { now };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Poll `done()` until true or `deadline` (a now() value). The
 * first polls come 1 ms apart, growing to `maxIntervalMs`, so a process that
 * exits at once is noticed within a few milliseconds.
 */
export async function pollUntil(done: () => boolean, deadline: number, maxIntervalMs = 10): Promise<boolean> {
  let interval = 1;
  for (;;) {
    if (done()) return true;
    const left = deadline - now();
    if (left <= 0) return false;
    await sleep(Math.min(interval, left));
    interval = Math.min(interval * 1.5, maxIntervalMs);
  }
}

/** Pure: fields 5 and 6 of /proc/PID/stat, the process group and the session (split at the last `)`: comm may hold anything). */
export function parseGroupAndSession(text: string): { pgrp: number; session: number } | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // text.slice(close + 2) begins at field 3 (state): field N is rest[N - 3].
  const rest = text.slice(close + 2).split(' ', 4);
  const pgrp = Number(rest[2]);
  const session = Number(rest[3]);
  return Number.isInteger(pgrp) && Number.isInteger(session) && rest.length === 4 ? { pgrp, session } : undefined;
}

/** Whether `who` leads its process group and whether it leads its session, from one read of its stat; undefined when it is gone. */
export function readLeadership(who: Identity, procRoot = '/proc'): { group: boolean; session: boolean } | undefined {
  const text = readStatText(`${procRoot}/${who.pid}/stat`);
  if (text === undefined) return undefined;
  const ids = parseGroupAndSession(text);
  if (ids === undefined || parseStat(text)?.startTime !== who.startTime) return undefined;
  return { group: ids.pgrp === who.pid, session: ids.session === who.pid };
}

/**
 * Whether any process is in process group `pgrp`: kill(2) with signal 0, an
 * existence check that delivers nothing to anyone. One system call, so the
 * common case (a holder that led its group and exited alone) costs nothing
 * measurable. A zombie not yet reaped still counts (see groupMembers).
 */
export function groupExists(pgrp: number): boolean {
  try {
    process.kill(-pgrp, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, and belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The running processes (not zombies) of process group `pgrp`, and of session
 * `session` when given, among `pids` (default: every process, one read of
 * every /proc/PID/stat; so only called once groupExists() said the group
 * lives on).
 */
export function groupMembers(pgrp: number, session: number | undefined, pids?: readonly number[], procRoot = '/proc'): Identity[] {
  const out: Identity[] = [];
  let entries: readonly (string | number)[];
  try {
    entries = pids ?? readdirSync(procRoot).filter((entry) => entry.charCodeAt(0) >= 48 && entry.charCodeAt(0) <= 57);
  } catch {
    return out;
  }
  for (const entry of entries) {
    const text = readStatText(`${procRoot}/${entry}/stat`);
    if (text === undefined) continue; // gone meanwhile
    const ids = parseGroupAndSession(text);
    if (ids === undefined || (ids.pgrp !== pgrp && (session === undefined || ids.session !== session))) continue;
    const stat = parseStat(text);
    if (stat !== undefined && !dead(stat.state)) out.push({ pid: stat.pid, startTime: stat.startTime });
  }
  return out;
}

/** The process group and session of `pid` now; undefined when it is gone. */
export function readGroupAndSession(pid: number, procRoot = '/proc'): { pgrp: number; session: number } | undefined {
  const text = readStatText(`${procRoot}/${pid}/stat`);
  return text === undefined ? undefined : parseGroupAndSession(text);
}

/** The children of `pid` (all its threads'), from /proc/PID/task/TID/children; empty where the kernel lacks it. */
export function readChildren(pid: number, procRoot = '/proc'): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`${procRoot}/${pid}/task`)) {
      const text = readFileSync(`${procRoot}/${pid}/task/${tid}/children`, 'latin1').trim();
      if (text !== '') for (const child of text.split(' ')) out.push(Number(child));
    }
  } catch {
    // gone, or no /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN)
  }
  return out;
}

/**
 * The kernel's boot-time clock now, in the unit of a process's start time
 * (/proc/PID/stat field 22, clock ticks since boot; USER_HZ is 100 on every
 * Linux architecture): /proc/uptime's first field, which the kernel prints in
 * hundredths of a second from the same clock (CLOCK_BOOTTIME, shifted alike
 * in a time namespace), and cuts down alike. So a process born after this
 * read has a start time not below it; one born up to 10 ms before it may
 * count as after. Undefined when it cannot be read.
 */
export function readBootTicks(procRoot = '/proc'): number | undefined {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/uptime`, 'latin1');
  } catch {
    return undefined;
  }
  const clock = /^(\d+)\.(\d\d) /.exec(text);
  return clock ? Number(clock[1]) * 100 + Number(clock[2]) : undefined;
}

/** The children of `pid`'s leader thread, where the kernel puts the orphans `pid` adopts; every thread's when that list cannot be read (the leader exited). */
export function readAdopted(pid: number, procRoot = '/proc'): number[] {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/task/${pid}/children`, 'latin1').trim();
  } catch {
    return readChildren(pid, procRoot);
  }
  return text === '' ? [] : text.split(' ').map(Number);
}
