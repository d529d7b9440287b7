// One call for "who listens where": the socket table, one /proc/*/fd scan,
// and process info for each holder.
import { describeArgument, integerArgument, isArraySafely, optionsArgument, portArgument } from '../arguments.js';
import { isDualStack, readBindV6Only, readKernelV6Only, uncertainDualStackPorts } from './dual-stack.js';
import { scanSocketHolders, type HolderScan, type SocketLinks } from './holders.js';
import { scanSocketHoldersParallel, startSocketHoldersParallel, type StartedHolderScan } from './holders-parallel.js';
import { readProcessInfo, type ProcessInfo } from './process.js';
import { readBoundUdpSockets, type Transport } from './port-sockets.js';
import { portSet, procRootOption, readListenTables, readListenTablesAsync, type ListenSocket } from './sockets.js';

export interface Listener extends ListenSocket {
  /** A `::` socket that also accepts IPv4: inferred, or asked of the kernel with bindv6only 1 (see dual-stack.ts); true where not known. */
  readonly dualStack: boolean;
  /** Every process holding the socket, by PID. Empty when the owner is unknown. */
  readonly holders: readonly ProcessInfo[];
  /**
   * True when at least one holder was found. False means the owner could not
   * be seen (another user's process without root, an unreadable /proc/PID/fd,
   * another network namespace's process): it is never guessed.
   */
  readonly ownerKnown: boolean;
  /**
   * PIDs among `holders` that hold the socket only through an io_uring's
   * registered files (the process registered it, then closed its own fd);
   * left out when none does.
   */
  readonly throughRing?: readonly number[];
}

export interface Snapshot {
  readonly listeners: readonly Listener[];
  /** PIDs whose fds could not be read: any unknown owner is among them. */
  readonly unreadable: readonly number[];
  /** With options.socketLinks (or a holderScan started with it), where the fds were read: every socket link they read (see SocketLinks). */
  readonly socketLinks?: SocketLinks;
}

export interface SnapshotOptions {
  /** Only listeners on these ports (much faster: the fd scan is skipped when none listen). */
  ports?: Iterable<number> | undefined;
  procRoot?: string | undefined;
  /**
   * The LISTEN sockets (already filtered to `ports`) when the caller has just
   * read them: reused instead of reading /proc/net/tcp{,6} again, which costs
   * about 2 ms a table on a large hash. Each entry is checked (address, family, port, inode, uid).
   */
  sockets?: readonly ListenSocket[] | undefined;
  /**
   * 'udp': the UDP sockets bound to `ports` (UDP has no listening: a bound
   * socket holds the port) instead of TCP LISTEN sockets. Needs `ports`. 'tcp' or left out: TCP;
   * anything else is a TypeError.
   */
  transport?: Transport | undefined;
  /** snapshot() only: on a machine with many processes, read the fds with perl(1) children, two at once where a core is free (see holders-parallel.ts). */
  parallel?: boolean | undefined;
  /** 'every': read every thread's fd table too (see ScanOptions.threads): for a socket whose holder was not found. */
  threads?: 'every' | undefined;
  /**
   * snapshot() with `sockets` only: the holders are read by this scan, started
   * earlier (startSocketHoldersParallel) when the sockets were seen, instead
   * of one started now; it is stopped when no socket is given. Its own options
   * (procRoot, threads) are the ones it was started with.
   */
  holderScan?: StartedHolderScan | undefined;
  /** true: keep every socket link the fd scan reads (see ScanOptions.socketLinks), for unlistedSocketHolders. A holderScan keeps what it was started with. */
  socketLinks?: boolean | undefined;
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
  holderScan: true,
  socketLinks: true,
};
const SNAPSHOT_KEYS = Object.keys(SNAPSHOT_OPTIONS);

/**
 * Pure: join sockets, the holder scan and process info into listeners (`kernel`: each `::` socket's dual-stack as the kernel told it, by inode;
 * `transport`: the sockets', TCP by default; see isDualStack).
 */
export function assemble(
  sockets: readonly ListenSocket[],
  holders: ReadonlyMap<number, readonly number[]>,
  info: (pid: number) => ProcessInfo | undefined,
  bindV6Only: boolean,
  kernel?: ReadonlyMap<number, boolean>,
  transport: Transport = 'tcp',
): Listener[] {
  if (!isArraySafely(sockets)) throw new TypeError(`assemble: sockets must be an array of ListenSocket, not ${describeArgument(sockets)}`);
  // Each read below by its inode: `[null]` failed inside ("reading 'inode'"), and a symbol was refused in isDualStack's name.
  for (const [index, socket] of sockets.entries())
    if (typeof socket !== 'object' || socket === null)
      throw new TypeError(`assemble: sockets[${index}] must be a ListenSocket, not ${describeArgument(socket)}`);
  if (typeof (holders as Partial<ReadonlyMap<number, readonly number[]>> | null)?.get !== 'function')
    throw new TypeError(`assemble: holders must be a Map of inode to PIDs, not ${describeArgument(holders)}`);
  if (typeof info !== 'function') throw new TypeError(`assemble: info must be a function of a PID, not ${describeArgument(info)}`);
  return sockets.map((socket) => {
    const processes = (holders.get(socket.inode) ?? []).map(info).filter((p): p is ProcessInfo => p !== undefined);
    return { ...socket, dualStack: isDualStack(socket, sockets, bindV6Only, kernel, transport), holders: processes, ownerKnown: processes.length > 0 };
  });
}

/** The options of snapshot and snapshotSync, each checked (a wrong value is a TypeError naming it, never a silent TCP answer), with their defaults. */
interface CheckedOptions {
  readonly ports: ReadonlySet<number> | undefined;
  readonly procRoot: string;
  readonly sockets: readonly ListenSocket[] | undefined;
  readonly transport: Transport;
  readonly parallel: boolean;
  readonly threads: 'every' | undefined;
  readonly holderScan: StartedHolderScan | undefined;
  readonly socketLinks: boolean;
}

function checkedOptions(fn: string, options: SnapshotOptions | undefined): CheckedOptions {
  const given = optionsArgument(fn, options, SNAPSHOT_KEYS);
  const { transport, parallel, threads, holderScan, socketLinks } = given as Record<keyof SnapshotOptions, unknown>;
  // `'UDP'` or `5` used to be answered for TCP, silently.
  if (transport !== undefined && transport !== 'tcp' && transport !== 'udp')
    throw new TypeError(`${fn}: options.transport must be "tcp" or "udp" or left out (TCP), not ${describeArgument(transport)}`);
  if (parallel !== undefined && typeof parallel !== 'boolean')
    throw new TypeError(`${fn}: options.parallel must be true, false or left out (false), not ${describeArgument(parallel)}`);
  if (socketLinks !== undefined && typeof socketLinks !== 'boolean')
    throw new TypeError(`${fn}: options.socketLinks must be true, false or left out (false), not ${describeArgument(socketLinks)}`);
  if (threads !== undefined && threads !== 'every') throw new TypeError(`${fn}: options.threads must be "every" or left out, not ${describeArgument(threads)}`);
  if (holderScan !== undefined) checkHolderScan(fn, holderScan, given);
  return {
    ports: portSet(fn, given.ports),
    procRoot: procRootOption(fn, given.procRoot),
    sockets: given.sockets === undefined ? undefined : socketsOption(fn, given.sockets),
    transport: transport ?? 'tcp',
    parallel: parallel === true,
    threads,
    holderScan: holderScan as StartedHolderScan | undefined,
    socketLinks: socketLinks === true,
  };
}

/** `options.holderScan`: a started scan, for the sockets a caller passes, in snapshot() alone (a sync snapshot cannot wait for one). */
function checkHolderScan(fn: string, holderScan: unknown, given: SnapshotOptions): void {
  const scan = holderScan as Partial<Record<keyof StartedHolderScan, unknown>> | null;
  if (typeof scan !== 'object' || scan === null || typeof scan.finish !== 'function' || typeof scan.cancel !== 'function')
    throw new TypeError(`${fn}: options.holderScan must be a scan from startSocketHoldersParallel() or left out, not ${describeArgument(holderScan)}`);
  if (fn !== 'snapshot') throw new TypeError(`${fn}: options.holderScan is for snapshot() (it waits for the scan); leave it out here`);
  if (given.sockets === undefined) throw new TypeError(`${fn}: options.holderScan needs options.sockets (the sockets whose holders it reads)`);
  if (given.threads !== undefined) throw new TypeError(`${fn}: options.holderScan reads with the options it was started with; leave options.threads out`);
}

/**
 * `options.sockets`: an array of ListenSocket, each checked as cheaply as it is made (typeof
 * and range, no schema: a health check passes its sockets at every start), so that `'x'` is not
 * "sockets.map is not a function" and `[{}]` is no listener made up of undefined.
 */
function socketsOption(fn: string, sockets: unknown): readonly ListenSocket[] {
  if (!Array.isArray(sockets))
    throw new TypeError(
      `${fn}: options.sockets must be an array of ListenSocket ({ address, family, port, inode, uid }) or left out, not ${describeArgument(sockets)}`,
    );
  for (let index = 0; index < sockets.length; index++) {
    const socket: unknown = sockets[index];
    const name = `options.sockets[${index}]`;
    if (typeof socket !== 'object' || socket === null || Array.isArray(socket))
      throw new TypeError(`${fn}: ${name} must be a ListenSocket ({ address, family, port, inode, uid }), not ${describeArgument(socket)}`);
    const { address, family, port, inode, uid } = socket as Record<keyof ListenSocket, unknown>;
    if (typeof address !== 'string' || address === '')
      throw new TypeError(
        `${fn}: ${name}.address must be an address (a non-empty string), not ${address === '' ? 'an empty string' : describeArgument(address)}`,
      );
    if (family !== 'IPv4' && family !== 'IPv6') throw new TypeError(`${fn}: ${name}.family must be "IPv4" or "IPv6", not ${describeArgument(family)}`);
    portArgument(fn, port, `${name}.port`);
    // 0 is real: a kernel socket (nfsd's, lockd's) listens with no file, so with no holder either.
    integerArgument(fn, `${name}.inode`, inode, 0, Number.MAX_SAFE_INTEGER, 'a socket inode (a number)');
    integerArgument(fn, `${name}.uid`, uid, 0, 4294967294, 'a user id (a number)');
  }
  return sockets as readonly ListenSocket[];
}

function build(sockets: readonly ListenSocket[], scan: HolderScan, options: CheckedOptions): Snapshot {
  const cache = new Map<number, ProcessInfo | undefined>();
  const info = (pid: number) => {
    if (!cache.has(pid)) cache.set(pid, readProcessInfo(pid, options.procRoot));
    return cache.get(pid);
  };
  const bindV6Only = readBindV6Only(options.procRoot);
  // Asked only where /proc cannot tell (a `::` socket whose IPv4 twins are all of its uid, or any for UDP; bindv6only 1 and none), and only of this process's
  // own network namespace, the one /proc/net shows: under another procRoot the safe side is taken (dual-stack).
  const uncertain = uncertainDualStackPorts(sockets, bindV6Only, options.transport);
  const kernel = uncertain.length > 0 && options.procRoot === '/proc' ? readKernelV6Only(uncertain, options.transport) : undefined;
  const listeners = assemble(sockets, scan.holders, info, bindV6Only, kernel, options.transport);
  return {
    listeners: scan.rings ? listeners.map((l) => withRing(l, scan.rings!.get(l.inode))) : listeners,
    unreadable: scan.unreadable,
    ...(scan.socketLinks && { socketLinks: scan.socketLinks }),
  };
}

/** Pure: `listener` with the PIDs among its holders that hold it through an io_uring (HolderScan.rings), where there are any. */
function withRing(listener: Listener, pids: readonly number[] | undefined): Listener {
  const through = pids?.filter((pid) => listener.holders.some((h) => h.pid === pid));
  return through && through.length > 0 ? { ...listener, throughRing: through } : listener;
}

/**
 * Listeners (optionally on `ports` only) with every holder process. The table
 * is read, and a parallel scan's children started, within the call: what the
 * caller does before it awaits the result runs while they read.
 */
export async function snapshot(options?: SnapshotOptions): Promise<Snapshot> {
  const checked = checkedOptions('snapshot', options);
  if (checked.parallel && checked.ports === undefined && checked.sockets === undefined && checked.transport !== 'udp') return everyListener(checked);
  const sockets = socketsOf('snapshot', checked);
  if (sockets.length === 0) {
    checked.holderScan?.cancel();
    return { listeners: [], unreadable: [] };
  }
  const inodes = sockets.map((s) => s.inode);
  const scanOptions = scanOptionsOf(checked);
  const scan = checked.holderScan
    ? await checked.holderScan.finish(inodes)
    : checked.parallel
      ? await scanSocketHoldersParallel(inodes, scanOptions)
      : scanSocketHolders(inodes, scanOptions);
  return build(sockets, scan, checked);
}

/**
 * Every listener, by a parallel scan started before the table is read: perl
 * reports every socket link, so its children read /proc while Node reads
 * /proc/net/tcp{,6} (about 2 ms a table on a large hash). The tables are read
 * on the thread pool, so the caller's own work until it awaits this goes on
 * while the kernel walks the hash. Where no socket listens, the children are
 * stopped.
 */
async function everyListener(options: CheckedOptions): Promise<Snapshot> {
  // The tables first: their read starts libuv's threads, which would otherwise have ids above the
  // scan's last PID and be read as processes started since (four /proc/TID/status reads).
  const tables = readListenTablesAsync('snapshot', options.procRoot, options.ports);
  let scan: StartedHolderScan;
  try {
    scan = startSocketHoldersParallel(scanOptionsOf(options));
  } catch (error) {
    // Never a read left to fail unawaited (an unhandled rejection ends a process): the table's error, which
    // names the procRoot and what to give, wins over the listing's (`/proc` not a directory).
    await tables;
    throw error;
  }
  let sockets: ListenSocket[];
  try {
    sockets = await tables;
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

/** What the holder scans take of a snapshot's options. */
function scanOptionsOf(options: CheckedOptions): { procRoot: string; threads?: 'every'; socketLinks?: true } {
  return {
    procRoot: options.procRoot,
    ...(options.threads !== undefined && { threads: options.threads }),
    ...(options.socketLinks && { socketLinks: true as const }),
  };
}

/** The sockets a snapshot is of: the caller's, the UDP sockets bound to `ports`, or the LISTEN sockets of the TCP tables. */
function socketsOf(fn: string, options: CheckedOptions): readonly ListenSocket[] {
  if (options.sockets !== undefined) return options.sockets;
  if (options.transport === 'tcp') return readListenTables(fn, options.procRoot, options.ports);
  if (options.ports === undefined) throw new TypeError(`${fn}: options.transport "udp" needs options.ports (the UDP sockets bound to them are read)`);
  return [...options.ports].flatMap((port) => readBoundUdpSockets(port, options.procRoot));
}

export function snapshotSync(options?: SnapshotOptions): Snapshot {
  const checked = checkedOptions('snapshotSync', options);
  const sockets = socketsOf('snapshotSync', checked);
  if (sockets.length === 0) return { listeners: [], unreadable: [] };
  return build(
    sockets,
    scanSocketHolders(
      sockets.map((s) => s.inode),
      scanOptionsOf(checked),
    ),
    checked,
  );
}
