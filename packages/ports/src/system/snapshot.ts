// One call for "who listens where": the socket table, one /proc/*/fd scan,
// and process info for each holder.
import { isDualStack, readBindV6Only } from './dual-stack.js';
import { scanSocketHolders } from './holders.js';
import { readProcessInfo, type ProcessInfo } from './process.js';
import { readListenSockets, readListenSocketsSync, type ListenSocket } from './sockets.js';

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
}

/** Pure: join sockets, the holder scan and process info into listeners. */
export function assemble(
  sockets: readonly ListenSocket[],
  holders: ReadonlyMap<number, readonly number[]>,
  info: (pid: number) => ProcessInfo | undefined,
  bindV6Only: boolean,
): Listener[] {
  return sockets.map((socket) => {
    const processes = (holders.get(socket.inode) ?? []).map(info).filter((p): p is ProcessInfo => p !== undefined);
    return { ...socket, dualStack: isDualStack(socket, sockets, bindV6Only), holders: processes, ownerKnown: processes.length > 0 };
  });
}

function build(sockets: readonly ListenSocket[], options: SnapshotOptions): Snapshot {
  const procRoot = options.procRoot ?? '/proc';
  if (sockets.length === 0) return { listeners: [], unreadable: [] };
  const scan = scanSocketHolders(
    sockets.map((s) => s.inode),
    { procRoot },
  );
  const cache = new Map<number, ProcessInfo | undefined>();
  const info = (pid: number) => {
    if (!cache.has(pid)) cache.set(pid, readProcessInfo(pid, procRoot));
    return cache.get(pid);
  };
  return { listeners: assemble(sockets, scan.holders, info, readBindV6Only(procRoot)), unreadable: scan.unreadable };
}

/** Listeners (optionally on `ports` only) with every holder process. */
export async function snapshot(options: SnapshotOptions = {}): Promise<Snapshot> {
  return build(options.sockets ?? (await readListenSockets(options)), options);
}

export function snapshotSync(options: SnapshotOptions = {}): Snapshot {
  return build(options.sockets ?? readListenSocketsSync(options), options);
}
