// The harness the claim tests share: a claim that fails the test if it signals
// a process the suite did not spawn, and programs started detached whose every
// reported PID is recorded with the guard and SIGKILLed after each test
// (afterEach(cleanupStarted) in each file that starts them).
import { type ChildProcess, spawn } from 'node:child_process';
import { claimPort, type ClaimOptions } from '../src/index.js';
import { guardPort, isAlive, isSpawned, waitForExit, wasSpawned } from '../../../test-support/index.js';
import { forgetSpawned, killGroup, recordSpawned } from '../../../test-support/guard.js';

/** claimPort() on a leased port, failing the test if it signalled a process the suite did not spawn. */
export async function claimOurs(port: number, options: ClaimOptions = {}) {
  guardPort(port, options.transport ?? 'tcp');
  const result = await claimPort(port, { usage: false, ...options });
  for (const h of result.holders) {
    if (h.signals.length > 0 && !wasSpawned(h.pid, h.startTime)) throw new Error(`claim signalled PID ${h.pid} (${h.command}), which the suite did not spawn`);
  }
  return result;
}

/** claimOurs with its log kept: the result, every line, and the warnings among them. */
export async function claimOursLogged(port: number, options: ClaimOptions = {}) {
  const logged: { line: string; level: string }[] = [];
  const result = await claimOurs(port, { ...options, log: (line, level) => logged.push({ line, level }) });
  return { result, warnings: logged.filter((l) => l.level === 'warn').map((l) => l.line), lines: logged.map((l) => l.line) };
}

/** What a test started itself (beyond spawnListener): every PID recorded, all SIGKILLed by cleanupStarted. */
export interface Started {
  readonly child: ChildProcess;
  readonly pids: number[];
}

const started: Started[] = [];

/** Record a program a test started by other means, for cleanupStarted. */
export function track(entry: Started): Started {
  started.push(entry);
  adopt(entry, entry.child.pid!);
  return entry;
}

/** Record `pid` (a process one of ours started) with the guard and the cleanup. */
export function adopt(entry: { pids: number[] }, pid: number): void {
  if (!entry.pids.includes(pid)) entry.pids.push(pid);
  recordSpawned(pid);
}

/** How long cleanupStarted waits for the last process holding a test's output to report its PID (see there). */
const REPORT_WAIT_MS = 2000;

/** afterEach: SIGKILL what the test started, and wait for it. */
export async function cleanupStarted(): Promise<void> {
  for (const entry of started.splice(0)) {
    const output = entry.child.stdout;
    for (let waitUntil = Date.now() + REPORT_WAIT_MS; ; ) {
      // The child leads a process group of its own (detached): SIGKILL to the group first, so that a
      // listener a shell loop started after its last reported line dies too instead of being orphaned.
      // Even when the leader has already exited: its group lives on while a member does (killGroup).
      // So for every recorded process: one that made a group of its own (setsid, a daemon's double fork)
      // takes with it what it started there, a grandchild that has not reported its PID yet included.
      for (const pid of [entry.child.pid, ...entry.pids]) if (pid !== undefined && wasSpawned(pid, -1)) killGroup(pid);
      for (const pid of entry.pids) if (isSpawned(pid) && isAlive(pid)) process.kill(pid, 'SIGKILL');
      // Every process the test started holds its output until it is gone: while one does, its line (a process forked
      // the moment a failed assertion ended the test) may still come, and is recorded when read, then killed here.
      if (!output || output.readableEnded || output.destroyed || Date.now() > waitUntil) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(entry.pids.map((pid) => waitForExit(pid, 5000)));
    for (const pid of entry.pids) forgetSpawned(pid);
  }
}

/**
 * Start `argv` (detached); every JSON line it prints with `pid` (or `pids`) is
 * recorded with the guard; resolves with the first line that has `port`.
 */
export function start(argv: string[]): Promise<{ child: ChildProcess; pids: number[]; first: { pid: number; port: number; [key: string]: unknown } }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const entry = track({ child, pids: [] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start within 15 s: ${output}`)), 15_000);
    let buffer = '';
    let done = false;
    child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
    child.stdout!.on('data', (data: Buffer) => {
      buffer += data.toString();
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let message: { pid?: number; pids?: number[]; port?: number };
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        for (const pid of [message.pid, ...(message.pids ?? [])]) if (pid) adopt(entry, pid);
        if (!done && message.port) {
          done = true;
          clearTimeout(timer);
          resolve({ ...entry, first: message as { pid: number; port: number } });
        }
      }
    });
    // 'close', not 'exit': a shell that backgrounds the program exits first, and the program still writes.
    child.on('close', (code) => {
      if (!done) reject(new Error(`exited (${code}) before it was ready: ${output}`));
    });
  });
}
