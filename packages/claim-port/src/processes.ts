// Process identity and signalling: the one interface through which a claim
// recognises a process again (PID + start time) and signals it. The default
// reads /proc and calls kill(2); a test can put another in its place (e.g. to
// hand a holder's PID to a new process between SIGTERM and SIGKILL) and see
// that only the process that was found is ever signalled. What a holder could
// leave behind (its children, its process group) is read through the same
// interface (FamilyReader), never from /proc beside it.
import { liveThreadId, readCgroup, readProcessInfo, readStartTime, type ProcessInfo } from '@dsa110/ports/system';
import { readFrozen, readMountinfo, type Frozen } from './freezer.js';
import {
  groupExists,
  groupMembers,
  hasExited,
  isRunning,
  isSameProcess,
  isStopped,
  isTraceStopped,
  readBootTicks,
  readAdopted,
  readChildren,
  readGroupAndSession,
  readLeadership,
  signalIfSame,
  type ClaimSignal,
  type Identity,
  type SignalOutcome,
} from './watch.js';

export interface ProcessControl {
  /** Still the same process (same PID and start time); a zombie counts. */
  isSame(who: Identity): boolean;
  /** The same process, and not a zombie: it still runs. */
  isRunning(who: Identity): boolean;
  /**
   * The same process, and exited (a zombie) with no thread left running (see hasExited in watch.ts): no holder, and
   * not to be signalled. Without it, a zombie is told only by `current` (a scan's holder) or never (a signal).
   */
  exited?(who: Identity): boolean;
  /** The same process, and stopped (SIGSTOP, Ctrl-Z): SIGTERM waits for a SIGCONT. Without it, never stopped. */
  isStopped?(who: Identity): boolean;
  /** Whether `who` is stopped by a tracer (state t): neither SIGTERM nor SIGCONT acts on it until the tracer lets it go. */
  isTraceStopped?(who: Identity): boolean;
  /** Whether `who` is frozen by a cgroup freezer (see Frozen), and where; undefined when it is not, is gone, or it cannot be told. */
  frozen?(who: Identity): Frozen | undefined;
  /**
   * `who` as it is now, read again: undefined when it is gone or exiting (a
   * zombie with no thread left), its PID names another process, or it cannot
   * be read. An exec keeps a process's PID and
   * start time, so this is how a claim sees that a holder runs another program
   * than when it was found. Without it, a holder is never judged again.
   */
  current?(who: Identity): ProcessInfo | undefined;
  /** Send `sig` only if `who` is still the process that was found. */
  signal(who: Identity, sig: ClaimSignal): SignalOutcome;
  /** What a holder could leave behind to take the port again (see Claim.leftBehind). Without it, a claim follows no holder's family. */
  family?: FamilyReader;
}

/** Families of processes, as the settle window needs them: read only, nothing here signals. */
export interface FamilyReader {
  /** Whether `who` leads its process group and its session; undefined when it is gone or its PID names another process. */
  leadership(who: Identity): { group: boolean; session: boolean } | undefined;
  /** The PIDs of `pid`'s children (every thread's); empty when it is gone or they cannot be read. */
  children(pid: number): number[];
  /**
   * The PIDs of the children of reaper `pid` that the kernel hands orphans to: its leader thread's (an orphan goes to
   * the first live thread of its reaper, the leader while it runs), every thread's only when that cannot be read. One
   * read where children() reads one per thread (PID 1 of a container may have dozens).
   */
  adopted(pid: number): number[];
  /** `pid`'s start time, or undefined when it is gone: to hold a child by identity. */
  startTime(pid: number): number | undefined;
  /** Whether any process is in process group `pgrp` (a zombie counts). */
  groupExists(pgrp: number): boolean;
  /** The running processes of group `pgrp`, or of session `session` when given, among `pids` (default: every process). */
  groupMembers(pgrp: number, session: number | undefined, pids?: readonly number[]): Identity[];
  /** `pid`'s process group and session now; undefined when it is gone. */
  groupAndSession(pid: number): { pgrp: number; session: number } | undefined;
  /**
   * The kernel's clock now, in the unit of a start time (clock ticks since
   * boot): a process born after this read has a start time not below it.
   * Undefined when it cannot be read.
   */
  bootTicks(): number | undefined;
  /**
   * `pid`'s cgroup path, read as HolderContext.cgroup is (one read of /proc/PID/cgroup); undefined when it is gone or
   * cannot be read. Without it, every new child of a reaper counts as a holder's (see Claim.forked).
   */
  cgroup?(pid: number): string | undefined;
}

export const procFamily = (procRoot = '/proc'): FamilyReader => ({
  leadership: (who) => readLeadership(who, procRoot),
  children: (pid) => readChildren(pid, procRoot),
  adopted: (pid) => readAdopted(pid, procRoot),
  startTime: (pid) => readStartTime(pid, procRoot),
  groupExists,
  groupMembers: (pgrp, session, pids) => groupMembers(pgrp, session, pids, procRoot),
  groupAndSession: (pid) => readGroupAndSession(pid, procRoot),
  bootTicks: () => readBootTicks(procRoot),
  cgroup: (pid) => readCgroup(pid, procRoot)?.path,
});

export const procControl = (procRoot = '/proc'): ProcessControl => {
  // The mount table, read once for every holder of a claim (and only when one is looked at).
  let mounts: { text: string | undefined } | undefined;
  const mountinfo = () => (mounts ??= { text: readMountinfo(`${procRoot}/self/mountinfo`) }).text;
  return {
    isSame: (who) => isSameProcess(who, procRoot),
    isRunning: (who) => isRunning(who, procRoot),
    exited: (who) => hasExited(who, procRoot),
    isStopped: (who) => isStopped(who, procRoot),
    isTraceStopped: (who) => isTraceStopped(who, procRoot),
    frozen: (who) => (isSameProcess(who, procRoot) ? readFrozen(who.pid, procRoot, mountinfo) : undefined),
    current: (who) => {
      const info = readProcessInfo(who.pid, procRoot);
      if (info === undefined || info.startTime !== who.startTime) return undefined;
      // Exiting (a zombie, or dead, with no thread left): it runs nothing new, so it is not judged again as changed
      // (its comm reads `[name]` now, its command line empty; a pre-fork master's workers it SIGKILLed and has not
      // reaped read so), and the command it was found with stays the one reported. A main thread that exited while
      // another thread runs on is no zombie of this kind: that one is judged again.
      if ((info.state === 'Z' || info.state === 'X') && liveThreadId(who.pid, procRoot) === undefined) return undefined;
      return info;
    },
    signal: (who, sig) => signalIfSame(who, sig, procRoot),
    family: procFamily(procRoot),
  };
};
