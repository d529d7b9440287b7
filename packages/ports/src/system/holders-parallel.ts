// The /proc/*/fd scan split over two threads, for machines with many
// processes. The scan is kernel time (readdir and readlink of every fd), which
// a second core halves; a worker costs about 30 ms to start (50 ms on a busy
// machine), so below PARALLEL_MIN_PROCESSES, or with no idle core, one thread
// is faster. startScanHelper() starts the worker ahead of the scan, so that
// its start-up overlaps the caller's own work (reading the socket tables,
// loading code); the worker takes part only if it is ready before the main
// thread has finished: the main thread never waits for a worker's start-up.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { mergeScans, scanInputs, scanInputsSync, scanPids, scanTasks, type HolderScan, type PartialScan, type ScanOptions } from './holders.js';

export const PARALLEL_MIN_PROCESSES = 800;

export interface ParallelScanOptions extends ScanOptions {
  /** Use a second thread from this many processes on (default PARALLEL_MIN_PROCESSES). */
  minProcesses?: number;
  /** Use it only when a core looks idle (default true). */
  requireIdleCore?: boolean;
  /** A second thread started earlier by startScanHelper(): used (and closed) by this scan, whatever the process count. */
  helper?: ScanHelper | undefined;
}

/** What /proc/loadavg says right now: runnable tasks (this one included) and all tasks (threads, not processes). */
function readLoad(procRoot: string): { running: number; tasks: number } | undefined {
  try {
    const [running, tasks] = (readFileSync(`${procRoot}/loadavg`, 'latin1').split(' ')[3] ?? '').split('/').map(Number);
    return Number.isInteger(running) && Number.isInteger(tasks) ? { running: running!, tasks: tasks! } : undefined;
  } catch {
    return undefined;
  }
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
  const load = readLoad(procRoot);
  return load !== undefined && load.running < cores;
}

// The shared words: [0] the PID cursor both threads take chunks from (scanPids'
// cursor), [1] the worker's part: it claims a share (IDLE -> SCANNING) only if
// the main thread has not finished first (IDLE -> DONE), so nobody waits for a late start.
const PART = 1;
const IDLE = 0;
const SCANNING = 1;
const DONE = 2;

/** A second scan thread, started ahead of one scan (startScanHelper). */
export interface ScanHelper {
  /** Settles once the thread has loaded its scan code and waits for a job (true), or has failed (false). A scan never waits for it. */
  readonly ready: Promise<boolean>;
  /** Stop it unused (when no scan follows); a scan given the helper closes it itself. Idempotent. */
  close(): void;
}

class ScanWorker implements ScanHelper {
  readonly shared = new Int32Array(new SharedArrayBuffer(8));
  readonly result: Promise<PartialScan>;
  readonly ready: Promise<boolean>;
  private readonly worker: Worker;
  private closed = false;

  constructor() {
    // A builtin through require (synchronous; an import() from a CommonJS bin would start Node's ESM loader, about 5 ms).
    const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    // The worker runs scanPids' own source: one scan loop, in either thread.
    // An eval'd script that loads only builtins starts fastest (no file to resolve, no ESM loader).
    this.worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const scanPids = ${scanPids.toString()};
const shared = workerData;
parentPort.once('message', ({ pids, wanted, proc }) => {
  if (Atomics.compareExchange(shared, ${PART}, ${IDLE}, ${SCANNING}) !== ${IDLE}) return process.exit(0);
  parentPort.postMessage(scanPids(pids, shared, new Map(wanted), proc, fs));
});
parentPort.postMessage('ready');`,
      { eval: true, workerData: this.shared, stdin: false },
    );
    // Never keeps the process alive: an unused helper ends with it.
    this.worker.unref();
    let running: (ok: boolean) => void = () => {};
    this.ready = new Promise<boolean>((resolve) => (running = resolve));
    this.result = new Promise<PartialScan>((resolve, reject) => {
      this.worker.on('message', (message: PartialScan | 'ready') => (message === 'ready' ? running(true) : resolve(message)));
      this.worker.once('error', reject);
      this.worker.once('exit', () => reject(new Error('scan worker exited without a result')));
    });
    this.result.then(
      () => running(true),
      () => running(false),
    ); // and handled where it is awaited: an unused helper must not raise
  }

  /** Hand it one scan's list (a helper serves one scan: the cursor starts at 0). */
  start(pids: readonly number[], wanted: ReadonlyMap<string, number>, proc: string): void {
    this.worker.postMessage({ pids, wanted: [...wanted], proc });
  }

  /** After the main thread's own part: the worker's part, or nothing when it had not started (it never will). */
  async finish(): Promise<PartialScan | undefined> {
    if (Atomics.compareExchange(this.shared, PART, IDLE, DONE) === IDLE) return undefined;
    return this.result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.shared, PART, DONE);
    void this.worker.terminate();
  }
}

/**
 * Start a second scan thread now, for a scan that follows (pass it as
 * `helper`), when one will pay: an idle core, and at least `minProcesses`
 * tasks on the machine (/proc/loadavg's count of threads, read in the same
 * read as the idle-core check: no /proc listing). Undefined when one thread
 * is better. A helper serves one scan; close() it if no scan follows.
 */
export function startScanHelper(options: Pick<ParallelScanOptions, 'procRoot' | 'minProcesses' | 'requireIdleCore'> = {}): ScanHelper | undefined {
  const cores = availableParallelism();
  const load = readLoad(options.procRoot ?? '/proc');
  if (load === undefined || load.tasks < (options.minProcesses ?? PARALLEL_MIN_PROCESSES)) return undefined;
  if (options.requireIdleCore !== false && (cores < 2 || load.running >= cores)) return undefined;
  try {
    return new ScanWorker();
  } catch {
    return undefined; // no worker threads here: one thread
  }
}

/** As scanSocketHolders, with a second thread when it pays; `threads` says how many scanned. */
export async function scanSocketHoldersParallel(inodes: Iterable<number>, options: ParallelScanOptions = {}): Promise<HolderScan & { threads: 1 | 2 }> {
  const inputs = scanInputs(inodes, options);
  const { pids, wanted, proc } = inputs;
  let helper = options.helper;
  if (!helper && pids.length >= (options.minProcesses ?? PARALLEL_MIN_PROCESSES) && (options.requireIdleCore === false || hasIdleCore(proc))) {
    try {
      helper = new ScanWorker();
    } catch {
      // no worker threads here: one thread
    }
  }
  // One listing of /proc either way (the PID list is the one the threads would share).
  if (!(helper instanceof ScanWorker) || pids.length === 0) {
    helper?.close();
    return { ...scanInputsSync(inputs), threads: 1 };
  }
  try {
    helper.start(pids, wanted, proc);
    const own = scanPids(pids, helper.shared, wanted, proc, { readdirSync, readlinkSync });
    const theirs = await helper.finish();
    const parts = theirs ? [own, theirs] : [own];
    const tasks = scanTasks(parts, wanted, proc);
    return { ...mergeScans(tasks ? [...parts, tasks] : parts), threads: theirs ? 2 : 1 };
  } catch {
    // A worker that failed to run leaves part of the list unscanned: scan it all here.
    return { ...scanInputsSync(inputs), threads: 1 };
  } finally {
    helper.close();
  }
}
