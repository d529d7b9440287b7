// Process identity and signalling: the one interface through which a claim
// recognises a process again (PID + start time) and signals it. The default
// reads /proc and calls kill(2); a test can put another in its place (e.g. to
// hand a holder's PID to a new process between SIGTERM and SIGKILL) and see
// that only the process that was found is ever signalled.
import { readProcessInfo, type ProcessInfo } from '@dsa110/ports/system';
import { isRunning, isSameProcess, isStopped, signalIfSame, type ClaimSignal, type Identity, type SignalOutcome } from './watch.js';

export interface ProcessControl {
  /** Still the same process (same PID and start time); a zombie counts. */
  isSame(who: Identity): boolean;
  /** The same process, and not a zombie: it still runs. */
  isRunning(who: Identity): boolean;
  /** The same process, and stopped (SIGSTOP, Ctrl-Z): SIGTERM waits for a SIGCONT. Without it, never stopped. */
  isStopped?(who: Identity): boolean;
  /**
   * `who` as it is now, read again: undefined when it is gone, its PID names
   * another process, or it cannot be read. An exec keeps a process's PID and
   * start time, so this is how a claim sees that a holder runs another program
   * than when it was found. Without it, a holder is never judged again.
   */
  current?(who: Identity): ProcessInfo | undefined;
  /** Send `sig` only if `who` is still the process that was found. */
  signal(who: Identity, sig: ClaimSignal): SignalOutcome;
}

export const procControl = (procRoot = '/proc'): ProcessControl => ({
  isSame: (who) => isSameProcess(who, procRoot),
  isRunning: (who) => isRunning(who, procRoot),
  isStopped: (who) => isStopped(who, procRoot),
  current: (who) => {
    const info = readProcessInfo(who.pid, procRoot);
    return info !== undefined && info.startTime === who.startTime ? info : undefined;
  },
  signal: (who, sig) => signalIfSame(who, sig, procRoot),
});
