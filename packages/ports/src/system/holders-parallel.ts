// The /proc/*/fd scan for machines with many processes: by perl(1) children
// (holders-perl.ts), two at once when a second core is free. Below
// PARALLEL_MIN_PROCESSES, or where perl cannot be run, the scan runs here in
// Node, where a few hundred processes cost less than starting a child.
import { readlinkSync } from 'node:fs';
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
  scanPids,
  scanRings,
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
  socketLinks: true,
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
  const { pids, wanted, proc, everyThread, links } = scanInputs(inodes, checked, fn);
  return beginScan(pids, proc, { everyThread, links }, checked, fn, undefined).finish(wanted);
}

/**
 * As scanSocketHoldersParallel, started before the sockets to look for are
 * known: /proc is listed and, where they pay, the perl children start
 * within this call (perl reports every socket link); `finish` then reads
 * their output for the sockets a table read meanwhile found. Without
 * options.pids, `finish` also reads the processes started since this call
 * (a holder that forked in between and kept the socket): the holders are
 * those of the time of `finish`, as a scan started then would find them.
 */
export function startSocketHoldersParallel(options?: ParallelScanOptions): StartedHolderScan {
  const fn = 'startSocketHoldersParallel';
  const checked = optionsArgument(fn, options, PARALLEL_SCAN_KEYS);
  const { proc, everyThread, links } = scanSettings(checked, fn);
  // Where the listing stands, read before it: the processes started since are read by finish.
  const listed = checked.pids === undefined ? { lastPid: lastPidOf(proc, true) } : undefined;
  const scan = beginScan(scanPidList(checked, proc, fn), proc, { everyThread, links }, checked, fn, listed);
  return {
    finish: (inodes) => {
      let wanted: Map<string, number>;
      try {
        iterableArgument(`${fn}(...).finish`, 'inodes', inodes, 'socket inodes (numbers)');
        wanted = wantedLinks(inodes, `${fn}(...).finish`);
      } catch (error) {
        scan.cancel();
        return Promise.reject(error);
      }
      return scan.finish(wanted);
    },
    cancel: scan.cancel,
  };
}

/**
 * `listed`: `pids` is every process of an earlier listing of /proc, which
 * stood at `lastPid`; the processes started since (a fork of a holder keeps
 * its socket) are read at the finish too (startedSince). Undefined: `pids`
 * alone (the caller's, or a list taken just now).
 */
function beginScan(
  pids: readonly number[],
  proc: string,
  { everyThread, links }: { everyThread: boolean; links: boolean },
  options: ParallelScanOptions,
  fn: string,
  listed: { readonly lastPid: number | undefined } | undefined,
): { finish(wanted: ReadonlyMap<string, number>): Promise<ParallelHolderScan>; cancel(): void } {
  if (options.perl !== undefined && options.perl !== false && (typeof options.perl !== 'string' || options.perl === ''))
    throw new TypeError(`${fn}: options.perl must be a path to perl(1) or false, not ${describeArgument(options.perl)}`);
  // One listing of /proc either way (the PID list is the one the children share); perl is looked for only when it would run.
  const many = pids.length >= (options.minProcesses ?? PARALLEL_MIN_PROCESSES);
  const perl = !many || options.perl === false ? undefined : options.perl === undefined ? perlExecutable() : perlExecutable([options.perl]);
  if (perl === undefined) {
    return {
      finish: async (wanted) => {
        const now = wanted.size === 0 || !listed ? pids : [...pids, ...withoutStackTraces(() => startedSince(pids, listed.lastPid, options, proc, fn))];
        return { ...scanInputsSync({ pids: wanted.size === 0 ? [] : now, wanted, proc, everyThread, links }), threads: 1, scanner: 'node' };
      },
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
      const { parts, read } = await finishPerlScan(run, wanted, proc, links);
      return withoutStackTraces(() => {
        const started = listed ? startedSince(pids, listed.lastPid, options, proc, fn) : [];
        if (started.length > 0) parts.push(scanPids(started, wanted, proc, links));
        const all = started.length > 0 ? [...pids, ...started] : pids;
        const tasks = everyThread ? scanEveryThread(all, parts, wanted, proc) : scanTasks(parts, wanted, proc);
        if (tasks) parts.push(tasks);
        const rings = scanRings(parts, wanted, proc);
        return {
          ...mergeScans(rings ? [...parts, rings] : parts),
          ...(read ? { threads: ways, scanner: 'perl' as const } : { threads: 1, scanner: 'node' as const }),
        };
      });
    },
  };
}

/** PIDs handed out since a listing are looked at one by one up to this many, or a quarter of the processes listed (startedSince); past that, /proc is listed again. */
const MAX_PIDS_PROBED = 64;

/**
 * The last PID the kernel handed out (/proc/loadavg's fifth field), where
 * `proc` numbers processes as this process's PID namespace does (loadavg
 * counts in the reader's namespace; with `checkSelf`, `proc`/self must be
 * this process: not a tree, not another namespace's /proc); else undefined.
 */
function lastPidOf(proc: string, checkSelf: boolean): number | undefined {
  if (checkSelf) {
    try {
      if (readlinkSync(`${proc}/self`) !== String(process.pid)) return undefined;
    } catch {
      return undefined;
    }
  }
  const last = Number(tryReadProcText(proc, 'loadavg')?.split(' ')[4]);
  return Number.isInteger(last) && last > 0 ? last : undefined;
}

/**
 * The processes (less options.skip) started since `pids` was listed, when
 * the last PID handed out was `since`. PIDs are handed out in turn: when a
 * few have been since (claim-port's engine loads in tens of milliseconds),
 * each of them that is a process now (a thread group's leader: a thread's
 * id is a PID too, and /proc/TID/fd shows its process's fds) is one, for a
 * read of loadavg and of each one's status (0.2-0.3 ms on a loaded 2-core
 * machine), where listing /proc again cost 9-16 ms there with 1,300
 * processes. Else (many, the counter wrapped, or no `since`) /proc is
 * listed again, less `pids`.
 */
function startedSince(pids: readonly number[], since: number | undefined, options: ParallelScanOptions, proc: string, fn: string): number[] {
  const now = since === undefined ? undefined : lastPidOf(proc, false);
  if (since !== undefined && now !== undefined && now >= since && now - since <= Math.max(MAX_PIDS_PROBED, pids.length >> 2)) {
    const started: number[] = [];
    for (let pid = since + 1; pid <= now; pid++) {
      if (options.skip?.has(pid)) continue;
      const tgid = /^Tgid:\s*(\d+)$/m.exec(tryReadProcText(proc, `${pid}/status`) ?? '')?.[1];
      if (tgid === String(pid)) started.push(pid);
    }
    return started;
  }
  const known = new Set(pids);
  return scanPidList(options, proc, fn).filter((pid) => !known.has(pid));
}
