// claim-port interrupted while it claims (run.ts: only once a port is in use,
// so a free port's start-up never installs a handler): systemd sends SIGTERM
// to an ExecStartPre= that overruns TimeoutStartSec=, an operator presses
// Ctrl-C (SIGINT), a terminal closes (SIGHUP). The first of these stops the
// claim where it is (ClaimOptions.signal: no SIGKILL, nothing more sent, a
// holder it continued runs on), and the command says so: one error line on
// stderr, the result on stdout with --json, exit 128 + the signal's number.
import type { Io } from '@dsa110/ports/cli';
import type { ClaimArgs } from '@dsa110/ports/systemd';
import { oneLine } from '@dsa110/ports';
import { prefix } from './cli-shared.js';
import { EXIT_NOT_FREE } from './exit-code.js';
import { resultJsonLine, type ClaimResult } from './result.js';

/** The signals that interrupt a claim, with their numbers (the same on Linux and macOS). */
export const INTERRUPTS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Pure: the exit code of a claim interrupted by `name` (the result's
 * `interrupted`): 128 + the signal's number, what a shell reports for a
 * process the signal ended (SIGTERM 143, SIGINT 130, SIGHUP 129), so that
 * `$?` and systemd's status read the same as when claim-port is killed before
 * it claims, or during --test. Any other reason (a library caller's abort) is
 * EXIT_NOT_FREE.
 */
export function interruptedExitCode(name: string): number {
  return Object.hasOwn(INTERRUPTS, name) ? 128 + INTERRUPTS[name as keyof typeof INTERRUPTS] : EXIT_NOT_FREE;
}

export interface Interruption {
  /** Aborted, with the signal's name as its reason, by the first SIGTERM, SIGINT or SIGHUP. */
  readonly signal: AbortSignal;
  /** Removes the listeners (the claim has ended): a signal then ends the process as it would without them. */
  stop(): void;
}

/**
 * Listens for SIGTERM, SIGINT and SIGHUP while a claim runs. The first aborts
 * `signal` and removes every listener at once: a second one ends the process
 * there and then (the default action), as an operator who presses Ctrl-C again
 * expects, whatever the claim is still printing.
 */
export function interruptOnSignals(): Interruption {
  const controller = new AbortController();
  const names = Object.keys(INTERRUPTS) as (keyof typeof INTERRUPTS)[];
  const stop = () => {
    for (const name of names) process.off(name, interrupt);
  };
  function interrupt(name: NodeJS.Signals) {
    stop();
    controller.abort(name);
  }
  for (const name of names) process.on(name, interrupt);
  return { signal: controller.signal, stop };
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
