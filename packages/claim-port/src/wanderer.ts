// A listening socket whose holder no scan finds may be passing from process
// to process faster than a scan reads them: a holder that forks and exits in a
// loop (each process lives less than a millisecond, less than one pass over
// /proc/*/fd takes). Such a holder is not followed (by the time a process is
// read, judged and identified again for its signal, the socket is in the next
// one; only a signal to its process group would reach it, and that is the
// operator's to judge), but the refusal should say what it is: so, before a
// claim refuses over such a socket, the newest processes are read for a moment.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { readStartTime } from '@dsa110/ports/system';
import { parseGroupAndSession, readGroupAndSession } from './watch.js';

export interface Wanderer {
  /**
   * The PIDs seen holding the socket, one after another (each but the last no longer holding it when the look ended),
   * in the order they started (/proc/PID/stat's start time; within one clock tick, by PID): the order the socket passed
   * in, for a holder that forks and exits. Not the order seen: the newest are read first, and an older one that has not
   * exited yet may be seen after a newer one.
   */
  readonly pids: readonly number[];
  /** How long the look took, in ms. */
  readonly ms: number;
  /** The process group every one of them was in, when they shared one (a forked child stays in its parent's). */
  readonly pgrp?: number;
  /** The session every one of them was in, when they shared one. */
  readonly session?: number;
  /**
   * Processes in that group (else that session) that do not hold the socket, when there are any (the first few, each
   * with its uid when it could be read; a zombie, which no signal reaches, aside): a deploy script that started the
   * holder and then ran claim-port, claim-port itself, an operator's shell whose group the holder joined (a process
   * may join any group of its own session). A kill of the group would reach them.
   */
  readonly strangers?: readonly { readonly pid: number; readonly uid: number | undefined }[];
}

/** How long a claim looks for a socket's holder among the newest processes before it refuses over it. */
export const WANDER_LOOK_MS = 100;

/** The newest PIDs read on each pass: what a holder that forks in a loop takes next, with room for other processes starting meanwhile. */
const NEWEST_PIDS = 32;

/** Enough holders seen to say that the socket passes from process to process. */
const ENOUGH_SEEN = 4;

/** The last PID the kernel handed out (/proc/loadavg's fifth field), or undefined. */
function lastPid(procRoot: string): number | undefined {
  try {
    const last = Number(readFileSync(`${procRoot}/loadavg`, 'latin1').split(' ')[4]);
    return Number.isInteger(last) && last > 0 ? last : undefined;
  } catch {
    return undefined;
  }
}

/** Whether process `pid` has an fd whose link reads `link` (`socket:[INODE]`); false when it is gone or unreadable. */
function holdsLink(procRoot: string, pid: number, link: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`${procRoot}/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`${procRoot}/${pid}/fd/${fd}`) === link) return true;
    } catch {
      // closed meanwhile, or the process is gone
    }
  }
  return false;
}

/**
 * Reads the newest processes for up to `lookMs`, for the holders of socket
 * `inode`: the Wanderer when two or more different processes were seen
 * holding it and every one but the last no longer holds it (gone, or a
 * zombie), else undefined (nothing seen, or processes that hold it and stay:
 * holders a scan can find, not a wanderer). Only on /proc as
 * this process's PID namespace numbers it (loadavg counts PIDs there).
 */
export function followWanderer(inode: number, procRoot = '/proc', lookMs = WANDER_LOOK_MS): Wanderer | undefined {
  const link = `socket:[${inode}]`;
  const seen: { pid: number; pgrp: number; session: number; start: number }[] = [];
  const started = performance.now();
  while (seen.length < ENOUGH_SEEN && performance.now() - started < lookMs) {
    const last = lastPid(procRoot);
    if (last === undefined) return undefined;
    // Newest first: a holder that forks in a loop is among the last PIDs handed out.
    for (let pid = last; pid > Math.max(0, last - NEWEST_PIDS); pid--) {
      if (seen.some((s) => s.pid === pid) || !holdsLink(procRoot, pid, link)) continue;
      const ids = readGroupAndSession(pid, procRoot);
      const start = readStartTime(pid, procRoot);
      if (ids !== undefined && start !== undefined) seen.push({ pid, ...ids, start });
      break;
    }
  }
  const ms = Math.round((performance.now() - started) * 10) / 10;
  seen.sort((a, b) => a.start - b.start || a.pid - b.pid);
  // Passed on: each but the last no longer holds it.
  if (seen.length < 2 || seen.slice(0, -1).some((s) => holdsLink(procRoot, s.pid, link))) return undefined;
  const shared = (key: 'pgrp' | 'session') => (seen[0]![key] > 0 && seen.every((s) => s[key] === seen[0]![key]) ? seen[0]![key] : undefined);
  const pgrp = shared('pgrp');
  const session = shared('session');
  const tie = pgrp !== undefined ? { key: 'pgrp' as const, id: pgrp } : session !== undefined ? { key: 'session' as const, id: session } : undefined;
  const strangers = tie === undefined ? [] : membersNotHolding(procRoot, tie.key, tie.id, link);
  return {
    pids: seen.map((s) => s.pid),
    ms,
    ...(pgrp !== undefined && { pgrp }),
    ...(session !== undefined && { session }),
    ...(strangers.length > 0 && { strangers }),
  };
}

/** The uid /proc/PID belongs to (the process's effective uid while it is dumpable), or undefined when it is gone. */
function ownerUid(procRoot: string, pid: number): number | undefined {
  try {
    return statSync(`${procRoot}/${pid}`).uid;
  } catch {
    return undefined;
  }
}

/** At most this many strangers are named. */
const STRANGERS_SHOWN = 3;

/** The processes of group (or session) `id` that do not hold `link` (zombies aside), the first few. */
function membersNotHolding(procRoot: string, key: 'pgrp' | 'session', id: number, link: string) {
  const out: { pid: number; uid: number | undefined }[] = [];
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return out;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let stat: string;
    try {
      stat = readFileSync(`${procRoot}/${pid}/stat`, 'latin1');
    } catch {
      continue; // gone
    }
    // State (field 3) Z: exited, waiting for its parent; it holds nothing and no signal reaches it.
    if (parseGroupAndSession(stat)?.[key] !== id || stat.charAt(stat.lastIndexOf(')') + 2) === 'Z' || holdsLink(procRoot, pid, link)) continue;
    out.push({ pid, uid: ownerUid(procRoot, pid) });
    if (out.length >= STRANGERS_SHOWN) break;
  }
  return out;
}
