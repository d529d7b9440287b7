// One call for "who listens where": the socket table, one /proc/*/fd scan,
// and process info for each holder.
import { describeArgument, optionsArgument } from '../arguments.js';
import { isDualStack, readBindV6Only } from './dual-stack.js';
import { scanSocketHolders, type HolderScan } from './holders.js';
import { scanSocketHoldersParallel, startSocketHoldersParallel } from './holders-parallel.js';
import { readProcessInfo, type ProcessInfo } from './process.js';
import { readBoundUdpSockets, type Transport } from './port-sockets.js';
import { readListenSocketsSync, type ListenSocket, type ReadSocketsOptions } from './sockets.js';

export interface Listener extends ListenSocket {
  /** A `::` socket that (by inference, see dual-stack.ts) also accepts IPv4. */
  readonly dualStack: boolean;
  /** Every process holding the socket, by PID. Empty when the owner is unknown. */
  readonly holders: readonly ProcessInfo[];
  /**
   * True when at least one holder was found. False means the owner could not
   * be seen (another user's process without root, an unreadable /proc/PID/fd,
   * another network namespace's process): it is never guessed.
   */
  readonly ownerKnown: boolean;
}

export interface Snapshot {
  readonly listeners: readonly Listener[];
  /** PIDs whose fds could not be read: any unknown owner is among them. */
  readonly unreadable: readonly number[];
}

export interface SnapshotOptions {
  /** Only listeners on these ports (much faster: the fd scan is skipped when none listen). */
  ports?: Iterable<number>;
  procRoot?: string;
  /**
   * The LISTEN sockets (already filtered to `ports`) when the caller has just
   * read them: reused instead of reading /proc/net/tcp{,6} again, which costs
   * about 2 ms a table on a large hash.
   */
  sockets?: readonly ListenSocket[];
  /**
   * 'udp': the UDP sockets bound to `ports` (UDP has no listening: a bound
   * socket holds the port) instead of TCP LISTEN sockets. Needs `ports`.
   */
  transport?: Transport;
  /** snapshot() only: on a machine with many processes, read the fds with perl(1) children, two at once where a core is free (see holders-parallel.ts). */
  parallel?: boolean;
  /** 'every': read every thread's fd table too (see ScanOptions.threads): for a socket whose holder was not found. */
  threads?: 'every';
}

/**
 * Every option of snapshot and snapshotSync, one per key of SnapshotOptions (the compiler holds
 * the two together). snapshotSync takes `parallel` too (its type does) and reads the fds itself.
 */
const SNAPSHOT_OPTIONS: Readonly<Record<keyof SnapshotOptions, true>> = {
  ports: true,
  procRoot: true,
  sockets: true,
  transport: true,
  parallel: true,
  threads: true,
};
const SNAPSHOT_KEYS = Object.keys(SNAPSHOT_OPTIONS);

/** Pure: join sockets, the holder scan and process info into listeners. */
export function assemble(
  sockets: readonly ListenSocket[],
  holders: ReadonlyMap<number, readonly number[]>,
  info: (pid: number) => ProcessInfo | undefined,
  bindV6Only: boolean,
): Listener[] {
  if (!Array.isArray(sockets)) throw new TypeError(`assemble: sockets must be an array of ListenSocket, not ${describeArgument(sockets)}`);
  if (typeof (holders as Partial<ReadonlyMap<number, readonly number[]>> | null)?.get !== 'function')
    throw new TypeError(`assemble: holders must be a Map of inode to PIDs, not ${describeArgument(holders)}`);
  if (typeof info !== 'function') throw new TypeError(`assemble: info must be a function of a PID, not ${describeArgument(info)}`);
  return sockets.map((socket) => {
    const processes = (holders.get(socket.inode) ?? []).map(info).filter((p): p is ProcessInfo => p !== undefined);
    return { ...socket, dualStack: isDualStack(socket, sockets, bindV6Only), holders: processes, ownerKnown: processes.length > 0 };
  });
}

function build(sockets: readonly ListenSocket[], scan: HolderScan, options: SnapshotOptions): Snapshot {
  const procRoot = options.procRoot ?? '/proc';
  const cache = new Map<number, ProcessInfo | undefined>();
  const info = (pid: number) => {
    if (!cache.has(pid)) cache.set(pid, readProcessInfo(pid, procRoot));
    return cache.get(pid);
  };
  return { listeners: assemble(sockets, scan.holders, info, readBindV6Only(procRoot)), unreadable: scan.unreadable };
}

/**
 * Listeners (optionally on `ports` only) with every holder process. The table
 * is read, and a parallel scan's children started, within the call: what the
 * caller does before it awaits the result runs while they read.
 */
export async function snapshot(options?: SnapshotOptions): Promise<Snapshot> {
  const checked = optionsArgument('snapshot', options, SNAPSHOT_KEYS);
  if (checked.parallel && checked.ports === undefined && checked.sockets === undefined && checked.transport !== 'udp') return everyListener(checked);
  const sockets = checked.sockets ?? (checked.transport === 'udp' ? udpSockets(checked) : readListenSocketsSync(tableOptions(checked)));
  if (sockets.length === 0) return { listeners: [], unreadable: [] };
  const inodes = sockets.map((s) => s.inode);
  const procRoot = checked.procRoot ?? '/proc';
  const scanOptions = { procRoot, ...(checked.threads !== undefined && { threads: checked.threads }) };
  const scan = checked.parallel ? await scanSocketHoldersParallel(inodes, scanOptions) : scanSocketHolders(inodes, scanOptions);
  return build(sockets, scan, checked);
}

/**
 * Every listener, by a parallel scan started before the table is read: perl
 * reports every socket link, so its children read /proc while Node reads
 * /proc/net/tcp{,6} (about 2 ms a table on a large hash). Where no socket
 * listens, they are stopped.
 */
async function everyListener(options: SnapshotOptions): Promise<Snapshot> {
  const procRoot = options.procRoot ?? '/proc';
  const scan = startSocketHoldersParallel({ procRoot, ...(options.threads !== undefined && { threads: options.threads }) });
  let sockets: ListenSocket[];
  try {
    sockets = readListenSocketsSync(tableOptions(options));
  } catch (error) {
    scan.cancel();
    throw error;
  }
  if (sockets.length === 0) {
    scan.cancel();
    return { listeners: [], unreadable: [] };
  }
  return build(sockets, await scan.finish(sockets.map((s) => s.inode)), options);
}

/** What the table reader takes of a snapshot's options (it refuses the others, `sockets` or `threads`, as unknown). */
function tableOptions(options: SnapshotOptions): ReadSocketsOptions {
  return { ...(options.ports !== undefined && { ports: options.ports }), ...(options.procRoot !== undefined && { procRoot: options.procRoot }) };
}

function udpSockets(options: SnapshotOptions): ListenSocket[] {
  if (options.ports === undefined) throw new TypeError('snapshot: transport udp needs ports');
  return [...options.ports].flatMap((port) => readBoundUdpSockets(port, options.procRoot));
}

export function snapshotSync(options?: SnapshotOptions): Snapshot {
  const checked = optionsArgument('snapshotSync', options, SNAPSHOT_KEYS);
  const sockets = checked.sockets ?? (checked.transport === 'udp' ? udpSockets(checked) : readListenSocketsSync(tableOptions(checked)));
  if (sockets.length === 0) return { listeners: [], unreadable: [] };
  return build(
    sockets,
    scanSocketHolders(
      sockets.map((s) => s.inode),
      { procRoot: checked.procRoot ?? '/proc', ...(checked.threads !== undefined && { threads: checked.threads }) },
    ),
    checked,
  );
}
