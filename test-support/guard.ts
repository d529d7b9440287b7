// THE SAFETY GUARD. The record of every process the test suite spawned, and
// the only two ways a test may act on a process: signal() one the suite
// spawned, or guardPort() before pointing a claim at a port.
import { readStartTime, snapshotSync, parseStat } from '@dsa110/ports/system';
import { readdirSync, readFileSync } from 'node:fs';

/** PID -> start time (/proc/PID/stat field 22) of every process this suite spawned. */
const spawned = new Map<number, number>();

/** Record a PID the suite spawned (called by spawn-listener only). */
export function recordSpawned(pid: number): void {
  const start = readStartTime(pid);
  if (start !== undefined) spawned.set(pid, start);
}

export function forgetSpawned(pid: number): void {
  spawned.delete(pid);
}

/** PIDs spawned by this suite that are still the same process (start time unchanged). */
export function spawnedPids(): number[] {
  return [...spawned.keys()].filter((pid) => isSpawned(pid));
}

/** True only for a PID this suite spawned that is still that very process (not a reused PID). */
export function isSpawned(pid: number, startTime?: number): boolean {
  const recorded = spawned.get(pid);
  if (recorded === undefined) return false;
  if (startTime !== undefined && startTime !== recorded) return false;
  return readStartTime(pid) === recorded;
}

/**
 * True for a PID + start time this suite spawned, even if that process has
 * since exited. A start time of -1 (unknown: the lsof reader) checks the PID only.
 */
export function wasSpawned(pid: number, startTime: number): boolean {
  return startTime < 0 ? spawned.has(pid) : spawned.get(pid) === startTime;
}

/** Send `sig` to a process this suite spawned; throws for any other PID. */
export function signal(pid: number, sig: NodeJS.Signals | number = 'SIGTERM'): void {
  if (!Number.isInteger(pid) || pid <= 1 || !isSpawned(pid)) {
    throw new Error(`test-support guard: refusing to signal PID ${pid}: the test suite did not spawn it`);
  }
  process.kill(pid, sig);
}

/**
 * Throws unless every LISTEN socket on `port` is held only by processes this
 * suite spawned, each holder known. Call it right before a claim is pointed
 * at `port`. A port nobody listens on passes (a claim there signals nobody).
 */
export function guardPort(port: number): void {
  if (!Number.isInteger(port) || port < 1024) {
    throw new Error(`test-support guard: refusing port ${port}: tests use high ports their own listeners opened`);
  }
  for (const listener of snapshotSync({ ports: [port] }).listeners) {
    if (!listener.ownerKnown) {
      throw new Error(`test-support guard: port ${port} has a listener on ${listener.address} whose owner cannot be read; refusing`);
    }
    for (const holder of listener.holders) {
      if (!isSpawned(holder.pid, holder.startTime)) {
        throw new Error(`test-support guard: port ${port} is held by PID ${holder.pid} (${holder.command}), which the test suite did not spawn; refusing`);
      }
    }
  }
}

/**
 * Alive: it exists and is not a finished zombie. A multi-threaded process's
 * leader is a zombie while its other threads still run and hold its fds
 * (sockets included), so a zombie counts as alive until it has no other task.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    if (stat === undefined) return false;
    if (stat.state !== 'Z' && stat.state !== 'X') return true;
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

/** Poll (every 5 ms) until `check()` is true; false after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return check();
}

export function waitForExit(pid: number, timeoutMs = 5000): Promise<boolean> {
  return waitUntil(() => !isAlive(pid), timeoutMs);
}
