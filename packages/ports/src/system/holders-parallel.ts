// The /proc/*/fd scan split over two threads, for machines with many
// processes. The scan is kernel time (readdir and readlink of every fd), which
// a second core halves; a worker costs about 30 ms to start, so below
// PARALLEL_MIN_PROCESSES, or with no idle core, one thread is faster.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { iterableArgument } from '../arguments.js';
import { withoutStackTraces } from '../stack-traces.js';
import {
  mergeScans,
  scanEveryThread,
  scanInputs,
  scanInputsSync,
  scanPids,
  scanTasks,
  type HolderScan,
  type PartialScan,
  type ScanOptions,
} from './holders.js';

export const PARALLEL_MIN_PROCESSES = 800;

export interface ParallelScanOptions extends ScanOptions {
  /** Use a second thread from this many processes on (default PARALLEL_MIN_PROCESSES). */
  minProcesses?: number;
  /** Use it only when a core looks idle (default true). */
  requireIdleCore?: boolean;
}

/**
 * Whether a second thread can be expected to run at the same time: fewer
 * runnable tasks than cores right now. /proc/loadavg's fourth field counts the
 * runnable tasks (this one included) at this instant, where the load average
 * lags by a minute.
 */
export function hasIdleCore(procRoot = '/proc'): boolean {
  const cores = availableParallelism();
  if (cores < 2) return false;
  try {
    const running = Number(readFileSync(`${procRoot}/loadavg`, 'latin1').split(' ')[3]?.split('/')[0]);
    return Number.isInteger(running) && running < cores;
  } catch {
    return false;
  }
}

/** As scanSocketHolders, with a second thread when it pays; `threads` says how many scanned. */
export async function scanSocketHoldersParallel(inodes: Iterable<number>, options: ParallelScanOptions = {}): Promise<HolderScan & { threads: 1 | 2 }> {
  iterableArgument('scanSocketHoldersParallel', 'inodes', inodes, 'socket inodes (numbers)');
  const inputs = scanInputs(inodes, options, 'scanSocketHoldersParallel');
  const { pids, wanted, proc, everyThread } = inputs;
  const worthIt = pids.length >= (options.minProcesses ?? PARALLEL_MIN_PROCESSES) && (options.requireIdleCore === false || hasIdleCore(proc));
  // One listing of /proc either way (the PID list is the one the threads would share).
  if (!worthIt) return { ...scanInputsSync(inputs), threads: 1 };

  const { Worker } = await import('node:worker_threads');
  const cursor = new Int32Array(new SharedArrayBuffer(4));
  // The worker runs scanPids' own source: one scan loop, in either thread.
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const scanPids = ${scanPids.toString()};
const { pids, cursor, wanted, proc } = workerData;
Error.stackTraceLimit = 0;
parentPort.postMessage(scanPids(pids, cursor, new Map(wanted), proc, fs));`,
    { eval: true, workerData: { pids, cursor, wanted: [...wanted], proc } },
  );
  const fromWorker = new Promise<PartialScan>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const own = withoutStackTraces(() => scanPids(pids, cursor, wanted, proc, { readdirSync, readlinkSync }));
  try {
    const parts = [own, await fromWorker];
    const tasks = withoutStackTraces(() => (everyThread ? scanEveryThread(pids, parts, wanted, proc) : scanTasks(parts, wanted, proc)));
    return { ...mergeScans(tasks ? [...parts, tasks] : parts), threads: 2 };
  } catch {
    // A worker that failed to start or run leaves part of the list unscanned: scan it all here.
    return { ...scanInputsSync(inputs), threads: 1 };
  } finally {
    void worker.terminate();
  }
}
