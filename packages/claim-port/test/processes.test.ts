// procControl on real processes: what a holder is now (current), as a claim asks before each signal.
import { readFileSync } from 'node:fs';
import { readStartTime } from '@dsa110/ports/system';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test-support/index.js';
import { procControl } from '../src/processes.js';
import { cleanupStarted, start } from './started.js';

afterEach(cleanupStarted);

const python = '/usr/bin/python3';
const state = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ')[0];
  } catch {
    return undefined;
  }
};

/** A process whose main thread exited (exit(2) of that thread alone) while another thread runs on: its PID, once its state reads Z. */
async function mainThreadExited(): Promise<number> {
  const threaded = await start([
    python,
    '-c',
    `import ctypes, json, os, threading, time
def work():
    while True: time.sleep(3600)
threading.Thread(target=work).start()
print(json.dumps({'pid': os.getpid(), 'port': 1}), flush=True)
ctypes.CDLL(None).syscall(60, 0)  # exit(2) of the main thread alone`,
  ]);
  const { pid } = threaded.first;
  await waitUntil(() => state(pid) === 'Z', 5000);
  return pid;
}

describe('procControl().current', () => {
  it('is undefined for a zombie (its command line gone, its comm `[name]`-like), not a changed process; a main thread that exited while another runs on is still read', async () => {
    // A parent that forks a child which exits at once, never reaped: a zombie. And a process whose main thread exits
    // while another thread keeps running.
    const server = await start([
      python,
      '-c',
      `import json, os, sys, threading, time
child = os.fork()
if child == 0:
    os._exit(0)
print(json.dumps({'pid': os.getpid(), 'pids': [os.getpid(), child], 'port': 1}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const [, zombie] = server.first.pids as [number, number];
    await waitUntil(() => state(zombie) === 'Z', 5000);
    const processes = procControl();
    const startTime = readStartTime(zombie)!;
    expect(startTime).toBeGreaterThan(0);
    expect(processes.current!({ pid: zombie, startTime })).toBeUndefined();
    expect(processes.isRunning({ pid: zombie, startTime })).toBe(false);

    const pid = await mainThreadExited();
    const now = processes.current!({ pid, startTime: readStartTime(pid)! });
    expect(now?.pid).toBe(pid);
  });
});

describe('procControl().exited', () => {
  it('is true for a zombie with no thread left, false for one whose main thread exited while another runs on, and for a running process', async () => {
    const server = await start([
      python,
      '-c',
      `import json, os, time
child = os.fork()
if child == 0:
    os._exit(0)
print(json.dumps({'pid': os.getpid(), 'pids': [os.getpid(), child], 'port': 1}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const [parent, zombie] = server.first.pids as [number, number];
    await waitUntil(() => state(zombie) === 'Z', 5000);
    const processes = procControl();
    expect(processes.exited!({ pid: zombie, startTime: readStartTime(zombie)! })).toBe(true);
    expect(processes.exited!({ pid: parent, startTime: readStartTime(parent)! })).toBe(false);
    // Another start time: not the process that was found, so not known to have exited.
    expect(processes.exited!({ pid: zombie, startTime: readStartTime(zombie)! + 1 })).toBe(false);

    const pid = await mainThreadExited();
    expect(processes.exited!({ pid, startTime: readStartTime(pid)! })).toBe(false);
  });
});
