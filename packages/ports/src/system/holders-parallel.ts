// The /proc/*/fd scan for machines with many processes: by perl(1) children
// (holders-perl.ts), two at once when a second core is free. Below
// PARALLEL_MIN_PROCESSES, or where perl cannot be run, the scan runs here in
// Node, where a few hundred processes cost less than starting a child.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describeArgument, iterableArgument } from '../arguments.js';
import { withoutStackTraces } from '../stack-traces.js';
import { perlExecutable, scanWithPerl } from './holders-perl.js';
import { mergeScans, scanEveryThread, scanInputs, scanInputsSync, scanTasks, type HolderScan, type ScanOptions } from './holders.js';

export const PARALLEL_MIN_PROCESSES = 400;

export interface ParallelScanOptions extends ScanOptions {
  /** Scan with perl(1) children from this many processes on (default PARALLEL_MIN_PROCESSES). */
  minProcesses?: number;
  /** Run two at once only when a core looks idle, else one (default true). */
  requireIdleCore?: boolean;
  /** The perl(1) to run (default /usr/bin/perl, else /bin/perl; never looked up through PATH), or false: scan in Node only. */
  perl?: string | false;
}

/**
 * Whether a second scanning process can be expected to run at the same time: fewer
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

/** As scanSocketHolders, by perl(1) children when it pays; `threads` says how many scanned at once, `scanner` which did. */
export async function scanSocketHoldersParallel(
  inodes: Iterable<number>,
  options: ParallelScanOptions = {},
): Promise<HolderScan & { threads: 1 | 2; scanner: 'node' | 'perl' }> {
  iterableArgument('scanSocketHoldersParallel', 'inodes', inodes, 'socket inodes (numbers)');
  const inputs = scanInputs(inodes, options, 'scanSocketHoldersParallel');
  const { pids, wanted, proc, everyThread } = inputs;
  if (options.perl !== undefined && options.perl !== false && (typeof options.perl !== 'string' || options.perl === ''))
    throw new TypeError(`scanSocketHoldersParallel: options.perl must be a path to perl(1) or false, not ${describeArgument(options.perl)}`);
  // One listing of /proc either way (the PID list is the one the children share); perl is looked for only when it would run.
  const many = pids.length >= (options.minProcesses ?? PARALLEL_MIN_PROCESSES);
  const perl = !many || options.perl === false ? undefined : options.perl === undefined ? perlExecutable() : perlExecutable([options.perl]);
  if (perl === undefined) return { ...scanInputsSync(inputs), threads: 1, scanner: 'node' };
  // Two when a second core is free; one otherwise (it still reads faster than Node).
  const ways = options.requireIdleCore === false || hasIdleCore(proc) ? 2 : 1;
  const { parts, read } = await scanWithPerl(pids, wanted, proc, perl, ways);
  return withoutStackTraces(() => {
    const tasks = everyThread ? scanEveryThread(pids, parts, wanted, proc) : scanTasks(parts, wanted, proc);
    return {
      ...mergeScans(tasks ? [...parts, tasks] : parts),
      ...(read ? { threads: ways, scanner: 'perl' as const } : { threads: 1, scanner: 'node' as const }),
    };
  });
}
