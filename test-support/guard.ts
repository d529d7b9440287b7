// THE SAFETY GUARD. The record of every process the test suite spawned, and
// the only two ways a test may act on a process: signal() one the suite
// spawned, or guardPort() before pointing a claim at a port.
//
// The guard reads the machine with its own code, never through @dsa110/ports
// (whose socket and process readers are what the suite tests): holders come
// from iproute2's `ss -p` (the kernel's sock_diag netlink, not /proc/net), and
// process identity from a few lines of /proc/PID/stat parsing below. A bug in
// the readers under test cannot make the guard wave a foreign process through.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** /proc/PID/stat: state (field 3) and start time (field 22), or undefined when the PID is gone. */
function readStat(pid: number): { state: string; startTime: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm (field 2) is in parentheses and may hold anything, ')' and spaces included: fields resume after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTime = Number(fields[19]);
  return fields[0] && Number.isInteger(startTime) ? { state: fields[0], startTime } : undefined;
}

const readStartTime = (pid: number): number | undefined => readStat(pid)?.startTime;

/** A socket bound on the port, as `ss` shows it: its local address and the processes holding it (none if unreadable). */
export interface GuardSocket {
  readonly local: string;
  readonly holders: readonly { readonly pid: number; readonly name: string }[];
}

/** Every listening TCP socket (or bound UDP socket) on `port`, from `ss -p`, in every address family. */
export function socketsOn(port: number, transport: 'tcp' | 'udp' = 'tcp'): GuardSocket[] {
  const run = spawnSync('ss', ['-H', '-n', '-p', '-l', transport === 'tcp' ? '-t' : '-u', `( sport = :${port} )`], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new Error(`test-support guard: cannot list sockets with ss (${run.error?.message ?? run.stderr.trim()}); install iproute2`);
  }
  return run.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      // State Recv-Q Send-Q Local:Port Peer:Port [users:(("name",pid=N,fd=N),...)]
      const local = line.trim().split(/\s+/)[3] ?? '?';
      const holders = [...line.matchAll(/\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=\d+\)/g)].map((match) => ({ name: match[1]!, pid: Number(match[2]) }));
      return { local, holders };
    });
}

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

/** Whether some process is in process group `group` (/proc/PID/stat field 5), read without @dsa110/ports. */
function groupHasMembers(group: number): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited while listed
    }
    if (Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[2]) === group) return true;
  }
  return false;
}

/**
 * SIGKILL to the process group led by a detached child this suite spawned,
 * so that what it started dies with it. While the leader is that very process,
 * the group is its own; once the leader has exited, the group is still its own
 * as long as a member lives (Linux does not hand out a PID that is still a
 * group's id, and only a process of the same session can join the group), so it
 * is signalled then too, and not at all once it is empty. Throws for a PID the
 * suite never spawned.
 */
export function killGroup(group: number): void {
  if (!Number.isInteger(group) || group <= 1 || !spawned.has(group)) {
    throw new Error(`test-support guard: refusing to signal process group ${group}: the test suite did not spawn its leader`);
  }
  if (!isSpawned(group) && (readStat(group) !== undefined || !groupHasMembers(group))) return;
  try {
    process.kill(-group, 'SIGKILL');
  } catch {
    // the group emptied meanwhile
  }
}

/**
 * Throws unless every LISTEN socket (udp: bound socket) on `port` is held only by processes this
 * suite spawned, each holder known. Call it right before a claim is pointed
 * at `port`. A port nobody listens on passes (a claim there signals nobody).
 */
export function guardPort(port: number, transport: 'tcp' | 'udp' = 'tcp'): void {
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new Error(`test-support guard: refusing port ${port}: tests use high ports their own listeners opened`);
  }
  for (const socket of socketsOn(port, transport)) {
    if (socket.holders.length === 0) {
      throw new Error(`test-support guard: port ${port}/${transport} has a socket on ${socket.local} whose owner cannot be read; refusing`);
    }
    for (const holder of socket.holders) {
      if (!isSpawned(holder.pid)) {
        throw new Error(`test-support guard: port ${port} is held by PID ${holder.pid} (${holder.name}), which the test suite did not spawn; refusing`);
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
    const stat = readStat(pid);
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
