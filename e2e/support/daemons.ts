// Starting and stopping the suite's own daemons. Every process started here is
// recorded with the shared safety guard (PID + start time) and in a pid record
// file that the global teardown reads, so a daemon is stopped at the end even
// when a test fails or its worker dies. Processes are only ever signalled by
// PID, through the guard, which refuses any PID this suite did not start.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStartTime, snapshotSync } from '@dsa110/ports/system';
import { inject } from 'vitest';
import { isAlive, isSpawned, recordSpawned, signal, waitUntil } from '../../test-support/guard.js';
import { removeRecord, writeRecord } from './pid-records.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory of pid records (one file per started process), read by the global teardown. */
    e2ePidDir: string;
  }
}

function pidDir(): string {
  let dir: string | undefined;
  try {
    dir = inject('e2ePidDir');
  } catch {
    // Not run through e2e/vitest.config.ts: keep the records beside the run.
  }
  dir ??= join(tmpdir(), 'dsa110-e2e-pids');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Every process this worker started (and their recorded children): PID -> name. */
const started = new Map<number, string>();

function record(pid: number, name: string): void {
  recordSpawned(pid);
  started.set(pid, name);
  const startTime = readStartTime(pid);
  if (startTime === undefined) return; // already gone
  writeRecord(pidDir(), { pid, startTime, name });
}

function unrecord(pid: number): void {
  removeRecord(pidDir(), pid);
}

/** Children of `pid` (all threads), recursively. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1');
    } catch {
      continue;
    }
    for (const child of text.split(/\s+/).filter(Boolean).map(Number)) out.push(child, ...descendants(child));
  }
  return out;
}

export interface DaemonSpec {
  /** Shown in messages: `redis`, `nginx`, ... */
  name: string;
  command: string;
  args: readonly string[];
  /** Where its output goes (stdout and stderr). */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Polled every 50 ms until true: the daemon is ready. */
  ready: () => boolean | Promise<boolean>;
  readyTimeoutMs?: number;
  /** The port it should listen on: named, with its holders, when it is not ready in time. */
  port?: number;
  /** What the last readiness probe saw, for the message when it is not ready in time. */
  lastProbe?: () => string | undefined;
  /**
   * Run as this account (its uid and group from /etc/passwd), as the User= of
   * the daemon's Debian unit does: the health check holds a holder's user to
   * it. Only as root; otherwise the daemon runs as the suite's user (see
   * Stack.systemdTree, which then says so in the tree's units).
   */
  user?: string;
}

/** An account's uid and gid from /etc/passwd. */
export function accountIds(name: string): { uid: number; gid: number } {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === name);
  if (!entry) throw new Error(`e2e: no account ${name} in /etc/passwd (its Debian package makes it)`);
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** Whether startDaemon runs daemons as their own accounts here (it must be root to switch). */
export const runsAsDaemonUsers = process.getuid?.() === 0;

const live = new Set<Daemon>();

export class Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** How it ended: resolved when the process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Forked children (nginx workers) recorded when the daemon became ready. */
  #children: number[] = [];

  constructor(name: string, child: ChildProcess, logFile: string) {
    this.name = name;
    this.pid = child.pid!;
    this.logFile = logFile;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, sig) => {
        this.#exit = { code, signal: sig };
        live.delete(this);
        unrecord(this.pid);
        resolve(this.#exit);
      });
    });
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  get exit() {
    return this.#exit;
  }

  /** Its log so far (for failure messages). */
  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Record the processes it forked (nginx's workers), so they too are ours to stop. */
  recordChildren(): void {
    for (const pid of descendants(this.pid)) {
      if (!this.#children.includes(pid)) {
        this.#children.push(pid);
        record(pid, `${this.name} (child of ${this.pid})`);
      }
    }
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; also any forked child left behind. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.running) {
      this.recordChildren();
      signal(this.pid, 'SIGTERM');
      const exited = await Promise.race([this.exited.then(() => true), delay(timeoutMs).then(() => false)]);
      if (!exited && this.running) {
        this.recordChildren();
        signal(this.pid, 'SIGKILL');
        await this.exited;
      }
    }
    for (const pid of this.#children) {
      if (isSpawned(pid) && isAlive(pid)) {
        await waitUntil(() => !isAlive(pid), 2000);
        if (isSpawned(pid) && isAlive(pid)) signal(pid, 'SIGKILL');
      }
      unrecord(pid);
    }
  }

  /** Synchronous last resort (process exit): SIGKILL it and its recorded children. */
  killNow(): void {
    for (const pid of [this.pid, ...this.#children]) {
      try {
        if (isSpawned(pid)) signal(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** `1234 nginx state S` from /proc, for failure messages. */
function describePid(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    return `${pid} ${comm} state ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]}`;
  } catch {
    return `${pid} gone`;
  }
}

/** Who listens on `port`, for failure messages. */
function describePort(port: number): string {
  const listeners = snapshotSync({ ports: [port] }).listeners;
  if (listeners.length === 0) return 'nothing listens';
  return listeners
    .map(
      (listener) =>
        `${listener.address} held by ${listener.holders.map((holder) => `${holder.pid} ${holder.comm} (${holder.command})`).join(', ') || 'unknown'}`,
    )
    .join('; ');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Start a daemon in the foreground and wait until `spec.ready()` says it is
 * ready. Throws (with its log) if it exits first or is not ready in time; the
 * daemon is stopped before the throw.
 */
export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  const fd = openSync(spec.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', fd, fd],
      ...(spec.user !== undefined && runsAsDaemonUsers && accountIds(spec.user)),
    });
  } finally {
    closeSync(fd);
  }
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error));
  });
  if (spawnError) throw new Error(`e2e: could not start ${spec.name} (${spec.command}): ${spawnError.message}`);
  record(child.pid!, spec.name);
  const daemon = new Daemon(spec.name, child, spec.logFile);
  live.add(daemon);

  const deadline = Date.now() + (spec.readyTimeoutMs ?? 20_000);
  for (;;) {
    if (!daemon.running) {
      const exit = daemon.exit!;
      throw new Error(
        `e2e: ${spec.name} exited before it was ready (code ${exit.code}, signal ${exit.signal}); ` +
          `${spec.command} ${spec.args.join(' ')}\n--- log ---\n${daemon.log()}`,
      );
    }
    let ok = false;
    try {
      ok = await spec.ready();
    } catch {
      ok = false;
    }
    if (ok) break;
    if (Date.now() > deadline) {
      const log = daemon.log();
      const seen = [
        spec.lastProbe?.() ? `last probe: ${spec.lastProbe()}` : undefined,
        spec.port !== undefined ? `port ${spec.port}: ${describePort(spec.port)}` : undefined,
        `its processes: ${[daemon.pid, ...descendants(daemon.pid)].map(describePid).join('; ')}`,
      ].filter(Boolean);
      await daemon.stop();
      throw new Error(`e2e: ${spec.name} was not ready after ${spec.readyTimeoutMs ?? 20_000} ms\n${seen.join('\n')}\n--- log ---\n${log}`);
    }
    await delay(50);
  }
  daemon.recordChildren();
  return daemon;
}

/** Processes this worker started that are still running: `name (PID n)`. Empty after a clean stop. */
export function leftovers(): string[] {
  return [...started].filter(([pid]) => isSpawned(pid) && isAlive(pid)).map(([pid, name]) => `${name} (PID ${pid})`);
}

/** Stop every daemon still running (afterAll). */
export async function stopAllDaemons(): Promise<void> {
  await Promise.all([...live].map((daemon) => daemon.stop()));
}

// A worker that exits without its afterAll (a crash, a timeout) still stops its daemons.
process.once('exit', () => {
  for (const daemon of live) daemon.killNow();
});
