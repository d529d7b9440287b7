// Free means bindable: after a claim (and for a port nothing listens on),
// claim-port binds the port the way a server would (see canBind in
// @dsa110/ports/system). When that fails, this names what blocks it: a
// socket bound but not listening, or a connection using the port as its local
// port, with the PIDs that hold them where they can be seen.
import { escapeText } from '@dsa110/ports';
import {
  canBind,
  formatEndpoint,
  readPortSockets,
  readProcessInfo,
  scanSocketHolders,
  type BindCheck,
  type PortSocket,
  type ProcessInfo,
  type Transport,
  unlistedSocketHolders,
} from '@dsa110/ports/system';
import { now } from './watch.js';

type BlockerHolder = { readonly pid: number; readonly comm: string; readonly command: string };

export interface Blocker {
  /** `127.0.0.1:8000 bound, not listening`, `127.0.0.1:8000 -> 127.0.0.1:41234 (ESTABLISHED)`. */
  readonly socket: string;
  readonly holders: readonly BlockerHolder[];
  /**
   * A connection's other end, when it is on this machine (a loopback client):
   * its socket (`127.0.0.1:41234 (CLOSE_WAIT)`) and who holds it. Named, never
   * signalled: a half-closed connection keeps the port until that process
   * closes its end, or the kernel's timeout ends it.
   */
  readonly peer?: { readonly socket: string; readonly holders: readonly BlockerHolder[] };
  /** A process holds it that claim-port cannot identify (a socket the tables do not list, that no examined socket proved to be). */
  readonly unidentified?: boolean;
}

export interface BindVerdict {
  readonly ok: boolean;
  /** `0.0.0.0: EADDRINUSE` */
  readonly reason?: string;
  readonly code?: string;
  /** What holds the port without listening on it (the /proc reader only). */
  readonly blockers: readonly Blocker[];
  /** The bind could not be tried (EACCES: a privileged port as non-root): decided from the socket tables alone. */
  readonly untestable?: boolean;
}

/** Pure: how a blocking socket is named. */
export function describeSocket(socket: PortSocket): string {
  const local = `${formatEndpoint(socket.address, socket.port)}${socket.transport === 'udp' ? '/udp' : ''}`;
  if (socket.transport === 'udp') return `${local} bound${socket.remote ? ` and connected to ${socket.remote}` : ''}`;
  if (socket.state === 'CLOSE') return `${local} bound, not listening`;
  return `${local} -> ${socket.remote ?? '?'} (${socket.state}, a connection using the port as its local port)`;
}

/**
 * The sockets that can make a bind of `port` fail: not LISTEN (those are the
 * claim's) and not TIME_WAIT (SO_REUSEADDR passes those, unless the socket
 * itself was made without it: a TIME_WAIT is named when nothing else is), each
 * with its holders and, for a connection whose other end is on this machine,
 * that end and its holders (one scan of /proc for both).
 */
export function readBlockers(port: number, transport: Transport, procRoot = '/proc'): Blocker[] {
  let sockets: PortSocket[];
  let peers: (PortSocket | undefined)[];
  try {
    const all = readPortSockets(port, transport, procRoot).filter((s) => s.state !== 'LISTEN');
    sockets = all.filter((s) => s.state !== 'TIME_WAIT');
    if (sockets.length === 0) sockets = all;
    peers = sockets.map((socket) => peerOf(socket, procRoot));
  } catch {
    return [];
  }
  const scan = scanSocketHolders(
    [...sockets, ...peers].flatMap((s) => (s === undefined || s.inode === 0 ? [] : [s.inode])),
    { procRoot },
  );
  const info = new Map<number, ProcessInfo | undefined>();
  const holdersOf = (socket: PortSocket) =>
    (scan.holders.get(socket.inode) ?? []).flatMap((pid) => {
      if (!info.has(pid)) info.set(pid, readProcessInfo(pid, procRoot));
      const p = info.get(pid);
      return p ? [{ pid, comm: p.comm, command: p.command }] : [];
    });
  return sockets.map((socket, index) => {
    const peer = peers[index];
    return {
      socket: describeSocket(socket),
      holders: holdersOf(socket),
      ...(peer && { peer: { socket: `${formatEndpoint(peer.address, peer.port)} (${peer.state})`, holders: holdersOf(peer) } }),
    };
  });
}

/**
 * A TCP connection's other end, when it is on this machine: the row of the
 * socket tables whose local end is this one's remote and whose remote is this
 * one's local end (a loopback client's socket, in this network namespace).
 */
function peerOf(socket: PortSocket, procRoot: string): PortSocket | undefined {
  if (socket.transport !== 'tcp' || socket.remote === undefined) return undefined;
  const colon = socket.remote.lastIndexOf(':');
  const address = socket.remote.slice(0, colon);
  const port = Number(socket.remote.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const local = `${socket.address}:${socket.port}`;
  return readPortSockets(port, 'tcp', procRoot).find((s) => s.address === address && s.remote === local);
}

/**
 * A TCP socket bound but not listening is in no /proc/net table: name the
 * processes proved to hold one bound to the port (see unlistedSocketHolders
 * in @dsa110/ports/system), never a guess among the processes that hold some
 * unlisted socket (any process may, on any port, and a socket's network
 * namespace need not be its process's); when none is proved, say that a
 * process claim-port cannot identify holds it.
 */
function unlistedBlockers(port: number, procRoot = '/proc'): Blocker[] {
  const socket = "a socket bound to the port but not listening (the kernel's tables do not list such sockets)";
  let holders: Blocker['holders'];
  try {
    holders = unlistedSocketHolders(port, procRoot)
      .holders.filter((pid) => pid !== process.pid)
      .flatMap((pid) => {
        const p = readProcessInfo(pid, procRoot);
        return p ? [{ pid: p.pid, comm: p.comm, command: p.command }] : [];
      });
  } catch {
    holders = [];
  }
  return [holders.length > 0 ? { socket, holders } : { socket, holders: [], unidentified: true }];
}

/**
 * Whether `port` binds now; a failure is retried for `graceMs` (sockets of
 * processes just killed take a moment to be torn down), then explained.
 */
export async function verifyBindable(
  port: number,
  transport: Transport,
  options: { procRoot?: string; graceMs?: number; tables: boolean },
): Promise<BindVerdict> {
  let check: BindCheck = await canBind(port, transport);
  if (!check.ok && check.code !== 'EACCES' && (options.graceMs ?? 0) > 0) {
    await pollUntilAsync(async () => (check = await canBind(port, transport)).ok, now() + options.graceMs!);
  }
  if (check.ok) return { ok: true, blockers: [] };
  let blockers = options.tables ? readBlockers(port, transport, options.procRoot) : [];
  if (options.tables && blockers.length === 0 && check.code === 'EADDRINUSE' && transport === 'tcp') blockers = unlistedBlockers(port, options.procRoot);
  // A privileged port cannot be test-bound without the privilege: the socket tables decide.
  if (check.code === 'EACCES' || check.code === 'EPERM') return { ...check, ok: blockers.length === 0, untestable: true, blockers };
  return { ok: false, ...(check.reason !== undefined && { reason: check.reason }), ...(check.code !== undefined && { code: check.code }), blockers };
}

async function pollUntilAsync(done: () => Promise<boolean>, deadline: number): Promise<boolean> {
  for (let interval = 2; ; interval = Math.min(interval * 1.5, 20)) {
    const left = deadline - now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(interval, left)));
    if (await done()) return true;
  }
}

/** Pure: one line naming what blocks the port. */
export function describeBlockers(verdict: BindVerdict, euid: number): string {
  if (verdict.blockers.length === 0) {
    return euid === 0
      ? `something this machine does not show holds it (not even to root: another network namespace's socket, or the /proc tables are unavailable)`
      : `its owner is not visible to this user (uid ${euid}); run claim-port as root to see it`;
  }
  const named = (holders: readonly BlockerHolder[]) =>
    holders.map((h) => `PID ${h.pid} (${escapeText(h.comm, 64)}): ${escapeText(h.command, 1000)}`).join('; ');
  return verdict.blockers
    .map(
      (b) =>
        `${b.socket}${b.holders.length > 0 ? `, held by ${named(b.holders)}` : b.unidentified ? `, held by a process claim-port cannot identify${euid === 0 ? '' : ` (run claim-port as root to find it)`}` : euid === 0 ? ', held by no process (the kernel is still closing it)' : ', its owner is not visible to this user'}${b.peer !== undefined && b.peer.holders.length > 0 ? `, its other end ${b.peer.socket} held on this machine by ${named(b.peer.holders)} (not signalled)` : ''}`,
    )
    .join('; ');
}
