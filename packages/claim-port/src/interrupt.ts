// claim-port interrupted while it claims (run.ts: only once a port is in use,
// so a free port's start-up never installs a handler): systemd sends SIGTERM
// to an ExecStartPre= that overruns TimeoutStartSec= (SIGABRT with
// TimeoutStartFailureMode=abort), an operator presses Ctrl-C (SIGINT) or
// Ctrl-\ (SIGQUIT), a terminal closes (SIGHUP), a script sends USR2 or ALRM.
// The first of these stops the claim where it is (ClaimOptions.signal: no
// SIGKILL, nothing more sent, a holder it continued runs on), and the command
// says so: one error line on stderr, the result on stdout with --json, exit
// 128 + the signal's number. Left to their default action, all but the first
// three ended the process silently, after it had signalled a holder.
import os from 'node:os';
import { exitNow, type Io } from '@dsa110/ports/cli';
import type { ClaimArgs } from '@dsa110/ports/systemd';
import { oneLine } from '@dsa110/ports';
import { prefix } from './cli-shared.js';
import { EXIT_NOT_FREE } from './exit-code.js';
import { resultJsonLine, type ClaimResult } from './result.js';

/**
 * The signals that interrupt a claim: every one that another process sends
 * and whose default action ends a process (signal(7): Term and Core), those
 * this platform has. Not among them:
 * - SIGUSR1, which the bin ignores from its start (it would open Node's
 *   inspector, bin.ts), and which logrotate's scripts send to every process
 *   to reopen logs: a claim is not stopped for it;
 * - SIGPIPE, which Node ignores (a closed stdout is an EPIPE the writer handles);
 * - SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV and SIGSYS, which report a fault
 *   in the process itself: a real one cannot be handled (the handler returns
 *   to the faulting instruction), and Node reserves the first four;
 * - SIGPROF, with which V8's CPU profiler samples (`node --cpu-prof`): a
 *   listener would take each sample for an interrupt;
 * - SIGKILL and SIGSTOP, which no process can catch; the real-time
 *   signals, for which Node has no names; SIGSTKFLT (unused on Linux), whose
 *   listener Node 20 never calls (the process still dies of it, as before).
 * SIGIO is also SIGPOLL on Linux (one number: listening for both would call the listener twice).
 */
const INTERRUPT_NAMES = [
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGABRT',
  'SIGUSR2',
  'SIGALRM',
  'SIGTERM',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGIO',
  'SIGPWR',
] as const satisfies readonly string[];

let numbers: ReadonlyMap<string, number> | undefined;

/**
 * The signals that interrupt a claim here, with their numbers on this platform
 * (node:os, loaded on the first call: once a claim starts, not when the engine loads).
 */
export function interruptSignals(): ReadonlyMap<string, number> {
  const known = os.constants.signals as Partial<Record<string, number>>;
  numbers ??= new Map(INTERRUPT_NAMES.flatMap((name) => (known[name] === undefined ? [] : [[name, known[name]] as const])));
  return numbers;
}

/**
 * Pure: the exit code of a claim interrupted by `name` (the result's
 * `interrupted`): 128 + the signal's number, what a shell reports for a
 * process the signal ended (SIGTERM 143, SIGINT 130, SIGHUP 129), so that
 * `$?` and systemd's status read the same as when claim-port is killed before
 * it claims, or during --test. Any other reason (a library caller's abort) is
 * EXIT_NOT_FREE.
 */
export function interruptedExitCode(name: string): number {
  const number = interruptSignals().get(name);
  return number === undefined ? EXIT_NOT_FREE : 128 + number;
}

export interface Interruption {
  /** Aborted, with the signal's name as its reason, by the first of interruptSignals() (SIGTERM, SIGINT, SIGHUP, ...). */
  readonly signal: AbortSignal;
  /**
   * The claim has ended without being interrupted (its result is decided, or
   * it failed): from now until the process exits, each of interruptSignals()
   * is ignored, and once `code` (its exit code, the result printed) is given,
   * ends the process at once with that code: the result stands, and an output
   * still waiting on a full pipe nobody reads (io.neverBlock) no longer keeps
   * it running until SIGKILL. Removed, the listeners would hand the signals back to their
   * default action for the milliseconds between the result and the exit, and
   * one sent then ended the process by it: exit 130 after `"action":"freed"`.
   * When a signal has been taken already (the claim decided before it heeded
   * it), the listeners stay removed: a second signal ends the process.
   */
  settle(code?: number): void;
}

/**
 * Listens for interruptSignals() while a claim runs. The first aborts
 * `signal` and removes every listener at once: a second one ends the process
 * there and then (the default action), as an operator who presses Ctrl-C again
 * expects, whatever the claim is still printing. Once settled, they are
 * ignored.
 */
export function interruptOnSignals(): Interruption {
  const controller = new AbortController();
  const names = [...interruptSignals().keys()] as NodeJS.Signals[];
  let settled = false;
  let decided: number | undefined;
  function interrupt(name: NodeJS.Signals) {
    // Late: the result stands, and so does its exit code; once printed, it is the exit (what is still unwritten waits for no reader).
    if (settled) {
      if (decided !== undefined) exitNow(decided);
      return;
    }
    for (const each of names) process.off(each, interrupt);
    controller.abort(name);
  }
  for (const name of names) process.on(name, interrupt);
  return {
    signal: controller.signal,
    settle: (code) => {
      if (controller.signal.aborted) return;
      settled = true;
      decided ??= code;
    },
  };
}

/**
 * An interrupted claim's output (the result's `interrupted` is set): its
 * message as one error line on stderr, whatever --quiet says; with --json the
 * result, as for any claim. Returns the exit code (interruptedExitCode).
 */
export function printInterrupted(io: Io, args: Pick<ClaimArgs, 'json'>, result: ClaimResult & { readonly interrupted: string }): number {
  io.err(`${prefix(result.port)} error: ${oneLine(result.message)}\n`, 'error');
  if (args.json) io.out(resultJsonLine(result));
  return interruptedExitCode(result.interrupted);
}
