// The /proc/*/fd scan for machines with many processes: by perl(1) children
// (holders-perl.ts), two at once when a second core is free. Below
// PARALLEL_MIN_PROCESSES, or where perl cannot be run, the scan runs here in
// Node, where a few hundred processes cost less than starting a child.
import { availableParallelism } from 'node:os';
import { describeArgument, iterableArgument, optionsArgument } from '../arguments.js';
import { withoutStackTraces } from '../stack-traces.js';
import { tryReadProcText } from './system-files.js';
import { finishPerlScan, perlExecutable, startPerlScan } from './holders-perl.js';
import {
  mergeScans,
  scanEveryThread,
  scanInputs,
  scanInputsSync,
  scanPidList,
  scanSettings,
  scanTasks,
  wantedLinks,
  type HolderScan,
  type ScanOptions,
} from './holders.js';

export const PARALLEL_MIN_PROCESSES = 400;

export interface ParallelScanOptions extends ScanOptions {
  /** Scan with perl(1) children from this many processes on (default PARALLEL_MIN_PROCESSES). */
  minProcesses?: number | undefined;
  /** Run two at once only when a core looks idle, else one (default true). */
  requireIdleCore?: boolean | undefined;
  /** The perl(1) to run (default /usr/bin/perl, else /bin/perl; never looked up through PATH), or false: scan in Node only. */
  perl?: string | false | undefined;
}

/** Every option of the parallel scans, one per key of ParallelScanOptions (the compiler holds the two together). */
const PARALLEL_SCAN_OPTIONS: Readonly<Record<keyof ParallelScanOptions, true>> = {
  procRoot: true,
  skip: true,
  pids: true,
  threads: true,
  minProcesses: true,
  requireIdleCore: true,
  perl: true,
};
const PARALLEL_SCAN_KEYS = Object.keys(PARALLEL_SCAN_OPTIONS);

/**
 * Whether a second scanning process can be expected to run at the same time: fewer
 * runnable tasks than cores right now. /proc/loadavg's fourth field counts the
 * runnable tasks (this one included) at this instant, where the load average
 * lags by a minute.
 */
export function hasIdleCore(procRoot = '/proc'): boolean {
  const cores = availableParallelism();
  if (cores < 2) return false;
  const running = Number(tryReadProcText(procRoot, 'loadavg')?.split(' ')[3]?.split('/')[0]);
  return Number.isInteger(running) && running < cores;
}

/** What a parallel scan found, with how many processes read at once and which scanner did. */
export type ParallelHolderScan = HolderScan & { threads: 1 | 2; scanner: 'node' | 'perl' };

/** A parallel scan under way (startSocketHoldersParallel). */
export interface StartedHolderScan {
  /** The holders of these sockets (once: the scan's output is read for them). */
  finish(inodes: Iterable<number>): Promise<ParallelHolderScan>;
  /** No socket is wanted after all: stop the children (their own handles, never a PID) and let the process exit. */
  cancel(): void;
}

/** As scanSocketHolders, by perl(1) children when it pays; `threads` says how many scanned at once, `scanner` which did. */
export async function scanSocketHoldersParallel(inodes: Iterable<number>, options?: ParallelScanOptions): Promise<ParallelHolderScan> {
  const fn = 'scanSocketHoldersParallel';
  iterableArgument(fn, 'inodes', inodes, 'socket inodes (numbers)');
  const checked = optionsArgument(fn, options, PARALLEL_SCAN_KEYS);
  const { pids, wanted, proc, everyThread } = scanInputs(inodes, checked, fn);
  return beginScan(pids, proc, everyThread, checked, fn).finish(wanted);
}

/**
 * As scanSocketHoldersParallel, started before the sockets to look for are
 * known: /proc is listed and, where they pay, the perl children start
 * within this call (perl reports every socket link); `finish` then reads
 * their output for the sockets a table read meanwhile found.
 */
export function startSocketHoldersParallel(options?: ParallelScanOptions): StartedHolderScan {
  const fn = 'startSocketHoldersParallel';
  const checked = optionsArgument(fn, options, PARALLEL_SCAN_KEYS);
  const { proc, everyThread } = scanSettings(checked, fn);
  const scan = beginScan(scanPidList(checked, proc, fn), proc, everyThread, checked, fn);
  return {
    finish: (inodes) => {
      try {
        iterableArgument(`${fn}(...).finish`, 'inodes', inodes, 'socket inodes (numbers)');
      } catch (error) {
        scan.cancel();
        return Promise.reject(error);
      }
      return scan.finish(wantedLinks(inodes));
    },
    cancel: scan.cancel,
  };
}

function beginScan(
  pids: readonly number[],
  proc: string,
  everyThread: boolean,
  options: ParallelScanOptions,
  fn: string,
): { finish(wanted: ReadonlyMap<string, number>): Promise<ParallelHolderScan>; cancel(): void } {
  if (options.perl !== undefined && options.perl !== false && (typeof options.perl !== 'string' || options.perl === ''))
    throw new TypeError(`${fn}: options.perl must be a path to perl(1) or false, not ${describeArgument(options.perl)}`);
  // One listing of /proc either way (the PID list is the one the children share); perl is looked for only when it would run.
  const many = pids.length >= (options.minProcesses ?? PARALLEL_MIN_PROCESSES);
  const perl = !many || options.perl === false ? undefined : options.perl === undefined ? perlExecutable() : perlExecutable([options.perl]);
  if (perl === undefined) {
    return {
      finish: async (wanted) => ({ ...scanInputsSync({ pids: wanted.size === 0 ? [] : pids, wanted, proc, everyThread }), threads: 1, scanner: 'node' }),
      cancel: () => {},
    };
  }
  // Two when a second core is free; one otherwise (it still reads faster than Node).
  const ways = options.requireIdleCore === false || hasIdleCore(proc) ? 2 : 1;
  const run = startPerlScan(pids, proc, perl, ways);
  return {
    cancel: () => run.cancel(),
    async finish(wanted) {
      if (wanted.size === 0) {
        run.cancel();
        return { holders: new Map(), unreadable: [], threads: 1, scanner: 'node' };
      }
      const { parts, read } = await finishPerlScan(run, wanted, proc);
      return withoutStackTraces(() => {
        const tasks = everyThread ? scanEveryThread(pids, parts, wanted, proc) : scanTasks(parts, wanted, proc);
        return {
          ...mergeScans(tasks ? [...parts, tasks] : parts),
          ...(read ? { threads: ways, scanner: 'perl' as const } : { threads: 1, scanner: 'node' as const }),
        };
      });
    },
  };
}
