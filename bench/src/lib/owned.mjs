// Every process the benchmark starts goes through spawnOwned, and only those
// are ever signalled. A child stays in `live` until Node has reaped it (its
// 'exit' event), and an unreaped child's PID cannot be reused, so signalling a
// PID from `live` can never hit somebody else's process.
//
// The runner (run.mjs) is itself started in a process group of its own by
// bench.mjs, and children are spawned without `detached`, so they share that
// group: bench.mjs can end the whole group on Ctrl-C. Filler processes also
// read a FIFO whose only writer is the runner, so they exit on their own even
// if the runner is SIGKILLed.
import { spawn } from 'node:child_process';

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();

/** Spawn a process that the benchmark owns (same process group as the runner). */
export function spawnOwned(command, args, options = {}) {
  const child = spawn(command, args, { ...options, detached: false });
  if (child.pid !== undefined) live.add(child);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      live.delete(child);
      resolve({ code: null, signal: null, error });
    });
  });
  child.exited = exited;
  return child;
}

/** Signal one owned child, only if Node has not reaped it yet. */
export function killOwned(child, signal = 'SIGKILL') {
  if (!live.has(child) || child.exitCode !== null || child.signalCode !== null) return false;
  try {
    process.kill(child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Signal every owned child that is still alive (synchronous: safe in an 'exit' handler). */
export function killAllOwned(signal = 'SIGKILL') {
  let n = 0;
  for (const child of live) if (killOwned(child, signal)) n++;
  return n;
}

/** Kill the given owned children and wait until Node has reaped them all. */
export async function killAndReap(children, timeoutMs = 10_000) {
  for (const child of children) killOwned(child, 'SIGKILL');
  const all = Promise.all(children.map((c) => c.exited));
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const result = await Promise.race([all, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') throw new Error(`${children.filter((c) => live.has(c)).length} owned processes did not exit after SIGKILL`);
}

export function liveCount() {
  return live.size;
}

let installed = false;
/** Kill every owned child on exit, exceptions and the usual termination signals. */
export function installCleanup(onSignal = () => {}) {
  if (installed) return;
  installed = true;
  process.on('exit', () => killAllOwned('SIGKILL'));
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ]) {
    process.on(signal, () => {
      const n = killAllOwned('SIGKILL');
      onSignal(signal, n);
      process.exit(code);
    });
  }
}
