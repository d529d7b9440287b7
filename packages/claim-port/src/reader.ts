// Gathering what listens on a port: /proc on Linux, lsof + ps-list elsewhere.
// Both produce the same Listener shape, so the plan never knows which ran.
import {
  ancestors,
  readBoundUdpSockets,
  type Transport,
  hasProcNet,
  readListenSocketsSync,
  readProcessUsage,
  type ProcessUsage,
  readLsofListeners,
  scanSocketHolders,
  snapshot,
  type Listener,
  type ListenSocket,
  type ProcessInfo,
  type SocketLinks,
  type StartedHolderScan,
} from '@dsa110/ports/system';
import type { ProcessControl } from './processes.js';
import { followWanderer, type Wanderer } from './wanderer.js';

export interface Gathered {
  readonly listeners: readonly Listener[];
  readonly unreadable: readonly number[];
  /** On /proc: every socket link the holder scan read, for the sockets out of the tables (blockersAfterClaim), which are then not read again, and the holders' other ports (elsewhere.ts). */
  readonly socketLinks?: SocketLinks;
}

export interface Reader {
  readonly kind: 'proc' | 'lsof';
  /**
   * Everything holding `port`, with holders: TCP LISTEN sockets, or the UDP
   * sockets bound to it. `sockets`, when given, are its TCP LISTEN sockets
   * read a moment ago (/proc only). `threads: 'every'` also reads every
   * thread's own fd table (/proc only: see ScanOptions.threads in
   * @dsa110/ports/system), for a socket whose holder was not found.
   * `holders`, with `sockets` (/proc only), is the scan for their holders
   * that the first look started (a reader that does not use it cancels it).
   */
  gather(port: number, sockets?: readonly ListenSocket[], transport?: Transport, threads?: 'every', holders?: StartedHolderScan): Promise<Gathered>;
  /** CPU percent and resident bytes of each PID, for the log; missing entries are unknown. */
  usage(pids: readonly number[]): Promise<Record<number, ProcessUsage>>;
  /** The socket inodes (or, for lsof, `address/pid` keys) holding `port` now; cheap on /proc. */
  listening(port: number, transport?: Transport): Promise<Set<string>>;
  /** The keys `listening()` would return for what `gather()` found. */
  keysOf(port: number, gathered: Gathered, transport?: Transport): Promise<Set<string>>;
  /**
   * Whether `pid` still holds one of `keys` (from `listening()`): false only
   * when it is known not to (a holder that closed its socket and drains);
   * true when its fds cannot be read.
   */
  holds(pid: number, keys: ReadonlySet<string>): Promise<boolean>;
  /** claim-port's ancestors, never to be signalled. */
  ancestors(pid: number): Promise<number[]>;
  /** How often the wait loop may poll at most (lsof is slow). */
  readonly maxPollMs: number;
  /** /proc only: the processes seen holding socket `inode` in turn, when it passes from one to the next faster than a scan (see wanderer.ts). */
  wanderer?(inode: number): Wanderer | undefined;
}

/**
 * `found` less the holders that had exited when they were read: a zombie with no thread left (its fds were closed
 * before it became one; the fd scan read them a moment before), as `processes.exited` says it is now (one the kernel
 * is still ending holds its fds until it is a zombie, and is waited for as a holder) (without it, a zombie `processes.current` no longer reads). Every scan of a
 * claim is taken through it: the first look's, and the one for inheritors once the holders are gone. They
 * hold nothing, and one taken for a holder was described as a live one (`its main thread exited; another thread holds
 * the socket`): a holder that forks and exits in a loop is found so. A socket left with no holder is then one whose
 * holder was not found (its `ownerKnown` false), which the claim looks at again (Claim.gather, Claim.wanderers).
 */
export function withoutExited(found: Gathered, processes: Pick<ProcessControl, 'current' | 'exited'>): Gathered {
  const exited = (h: ProcessInfo) =>
    processes.exited !== undefined
      ? processes.exited(h)
      : (h.state === 'Z' || h.state === 'X') && processes.current !== undefined && processes.current(h) === undefined;
  if (!found.listeners.some((l) => l.holders.some(exited))) return found;
  const listeners = found.listeners.map((l) => {
    const holders = l.holders.filter((h) => !exited(h));
    return holders.length === l.holders.length ? l : { ...l, holders, ownerKnown: holders.length > 0 };
  });
  return { ...found, listeners };
}

export const procReader = (procRoot = '/proc'): Reader => ({
  kind: 'proc',
  async gather(port, sockets, transport = 'tcp', threads, holders) {
    const seen = sockets && transport === 'tcp';
    // The first look's scan reads the default /proc as it is now: used for its own sockets only.
    const started = seen && threads === undefined && procRoot === '/proc' ? holders : undefined;
    if (started !== holders) holders?.cancel();
    return snapshot({
      ports: [port],
      procRoot,
      parallel: true,
      transport,
      ...(seen && { sockets }),
      ...(threads !== undefined && { threads }),
      ...(started && { holderScan: started }),
      // One pass over every fd table serves the sockets out of the tables too (unlistedSocketHolders: /proc's and TCP's),
      // and the other ports each holder listens on (elsewhere.ts: TCP and UDP).
      ...(procRoot === '/proc' && !started && { socketLinks: true }),
    });
  },
  async usage(pids) {
    const out: Record<number, ProcessUsage> = {};
    for (const pid of pids) {
      const usage = readProcessUsage(pid, procRoot);
      if (usage) out[pid] = usage;
    }
    return out;
  },
  async listening(port, transport = 'tcp') {
    const sockets = transport === 'udp' ? readBoundUdpSockets(port, procRoot) : readListenSocketsSync({ ports: [port], procRoot });
    return new Set(sockets.map((s) => String(s.inode)));
  },
  async keysOf(_port, gathered) {
    return new Set(gathered.listeners.map((l) => String(l.inode)));
  },
  async holds(pid, keys) {
    return holdsSocket(pid, keys, procRoot);
  },
  async ancestors(pid) {
    return ancestors(pid, procRoot);
  },
  maxPollMs: 10,
  wanderer: (inode) => followWanderer(inode, procRoot),
});

/**
 * Whether `pid` has an fd on one of the socket inodes `keys`, through
 * /proc/PID/fd or any of its threads' fd tables (a leader that exited while a
 * thread runs on; a thread with a table of its own). True when the fds cannot
 * be read: not knowing is not "released".
 */
export function holdsSocket(pid: number, keys: ReadonlySet<string>, procRoot = '/proc'): boolean {
  if (keys.size === 0) return false;
  // The core's fd scan, for this one process and every thread of it.
  const scan = scanSocketHolders(
    [...keys].map((inode) => Number(inode)),
    { procRoot, pids: [pid], threads: 'every' },
  );
  return scan.unreadable.includes(pid) || [...scan.holders.values()].some((pids) => pids.includes(pid));
}

/** pidusage (it runs `ps` where there is no /proc); loaded on first use only. */
async function pidusageOf(pids: readonly number[]): Promise<Record<number, ProcessUsage>> {
  const out: Record<number, ProcessUsage> = {};
  try {
    const { default: pidusage } = await import('pidusage');
    // Not maxage 0: pidusage 4 then re-reads /proc/PID/stat forever, leaking an fd each time.
    try {
      const stats = await pidusage([...pids]);
      for (const pid of pids) {
        const s = stats[String(pid)];
        if (s) out[pid] = { cpu: Math.round(s.cpu * 10) / 10, memory: s.memory };
      }
    } finally {
      pidusage.clear(); // drops its history and the timer that keeps it
    }
  } catch {
    // usage is for the log only
  }
  return out;
}

type PsEntry = { pid: number; ppid: number; name: string; cmd?: string; uid?: number };

async function processList(): Promise<Map<number, PsEntry>> {
  const { default: psList } = await import('ps-list');
  return new Map((await psList()).map((p) => [p.pid, p as PsEntry]));
}

/**
 * Where there is no /proc (macOS): `lsof -nP -iTCP:PORT -sTCP:LISTEN` (or
 * `-iUDP:PORT`) and ps-list. No start times. lsof shows only the sockets of
 * processes this user may inspect: claimPort() proves "free" with a bind
 * check, so what lsof cannot see is refused, never called free.
 */
export const lsofReader = (lsof = 'lsof'): Reader => ({
  kind: 'lsof',
  async gather(port, _sockets, transport = 'tcp', _threads, holders) {
    holders?.cancel(); // a /proc scan: not this reader's
    const [all, ps] = await Promise.all([readLsofListeners(port, lsof, transport), processList()]);
    const rows = all.filter((row) => row.port === port);
    const byAddress = new Map<string, Listener & { holders: ProcessInfo[] }>();
    for (const row of rows) {
      const address = row.address === '*' ? (row.family === 'IPv4' ? '0.0.0.0' : '::') : row.address;
      const key = `${row.family} ${address}`;
      let listener = byAddress.get(key);
      if (!listener) {
        listener = { address, family: row.family, port, inode: 0, uid: -1, dualStack: false, holders: [], ownerKnown: true };
        byAddress.set(key, listener);
      }
      if (listener.holders.some((h) => h.pid === row.pid)) continue;
      const entry = ps.get(row.pid);
      const command = entry?.cmd || entry?.name || row.command;
      const argv = command.split(' ');
      listener.holders.push({
        pid: row.pid,
        ppid: entry?.ppid ?? -1,
        uid: entry?.uid ?? -1,
        realUid: entry?.uid ?? -1,
        user: row.user,
        comm: entry?.name ?? row.command,
        exe: argv[0]!.slice(argv[0]!.lastIndexOf('/') + 1),
        argv,
        command,
        startTime: -1,
        state: 'S',
        kernelThread: false,
      });
    }
    return { listeners: [...byAddress.values()], unreadable: [] };
  },
  usage: pidusageOf,
  async listening(port, transport = 'tcp') {
    const rows = (await readLsofListeners(port, lsof, transport)).filter((row) => row.port === port);
    return new Set(rows.map((row) => `${row.family} ${row.address} ${row.pid}`));
  },
  async keysOf(port, _gathered, transport) {
    return this.listening(port, transport);
  },
  async holds(pid, keys) {
    // A key is `family address pid`: lsof lists the socket under each process that holds it.
    return [...keys].some((key) => key.endsWith(` ${pid}`));
  },
  async ancestors(pid) {
    const ps = await processList();
    const chain: number[] = [];
    for (let current = ps.get(pid)?.ppid; current !== undefined && current > 0 && !chain.includes(current); current = ps.get(current)?.ppid) {
      chain.push(current);
    }
    return chain;
  },
  maxPollMs: 100,
});

/** /proc when this system has it, else lsof. */
export function defaultReader(): Reader {
  return hasProcNet() ? procReader() : lsofReader();
}
