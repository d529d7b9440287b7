// Every socket on a local port, whatever its state, from /proc/net/{tcp,udp}{,6}.
// UDP has no listening: a bound UDP socket is what holds a UDP port. For TCP,
// the sockets that are not listening (bound only, or a connection using the
// port as its local port) are what can still make a server's bind() fail.
import { decodeIPv4, decodeIPv6, formatEndpoint } from './address.js';
import type { ListenSocket, SocketFamily } from './sockets.js';
import { describeArgument, portArgument, procRootArgument, stringArgument, transportArgument } from '../arguments.js';
import { MAX_SOCKET_TABLE_BYTES } from '../limits.js';
import { readProcText } from './system-files.js';

export type Transport = 'tcp' | 'udp';

/** /proc/net/tcp's state codes (include/net/tcp_states.h). */
export const TCP_STATES: Readonly<Record<string, string>> = Object.freeze({
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
});

export interface PortSocket extends ListenSocket {
  readonly transport: Transport;
  /** TCP: the state name (`LISTEN`, `ESTABLISHED`, `CLOSE` for bound but not listening); UDP: `BOUND` or `CONNECTED`. */
  readonly state: string;
  /** The remote end, `address:port` (IPv6 in brackets: `[::1]:41234`, as formatEndpoint writes it), for a connection; undefined when there is none. */
  readonly remote?: string;
  /**
   * TCP TIME_WAIT, or FIN_WAIT2 of a connection no process holds (an orphan the kernel keeps as a TIME_WAIT socket
   * until net.ipv4.tcp_fin_timeout ends it): how long the kernel keeps it yet, in ms (the row's timer, `03:` and the
   * time left in clock ticks, USER_HZ 100: what `ss -o` shows as `timer:(timewait,...)`); undefined where the row has
   * none.
   */
  readonly timeWaitLeftMs?: number;
  /**
   * TCP, where the row's retransmit timer runs (`01:`: data or a FIN sent and not yet acknowledged) or its zero-window
   * probe timer (`04:`, `probe` true: data waits that the peer's full receive window does not let through): `count`,
   * how many times the kernel has resent since the last acknowledgement (the `retrnsmt` column, icsk_retransmits; 0
   * before the first resend, and while probing); `leftMs`, until the timer fires next; `rtoMs`, the retransmission
   * timeout now (the row's 13th column: doubled at each resend; a probe's backoff doubles the probe's interval
   * instead, which the table does not show). Clock ticks (USER_HZ 100) as ms. How long an orphan resending its FIN,
   * or probing, lasts follows from them (net.ipv4.tcp_orphan_retries ends it). `unanswered`, while probing: how many
   * probes in a row the peer has not answered (the row's `timeout` column, icsk_probes_out: an answer resets it, so a
   * peer that reads nothing but answers shows 0; a peer gone, or a local firewall dropping the probes, makes it grow);
   * absent where 0.
   */
  readonly retransmit?: {
    readonly count: number;
    readonly leftMs: number;
    readonly rtoMs: number;
    readonly probe?: boolean;
    readonly unanswered?: number;
  };
}

/** /proc/net/tcp's clock ticks per second (USER_HZ: 100 on every Linux architecture, jiffies_delta_to_clock_t). */
const USER_HZ = 100;

/** Pure: a TIME_WAIT row's `tr:tm->when` field (`03:000001EB`) as ms left; undefined for any other timer. */
function timeWaitLeft(field: string | undefined): number | undefined {
  const match = /^03:([0-9A-Fa-f]{8})$/.exec(field ?? '');
  if (match === null) return undefined;
  const ticks = parseInt(match[1]!, 16);
  // The kernel prints an expired timer not yet run as 0 (jiffies_delta_to_clock_t clamps at 0); a TIME_WAIT is
  // armed for 60 s (TCP_TIMEWAIT_LEN), and so is an orphan's FIN_WAIT2 at most (a longer tcp_fin_timeout keeps it a
  // full socket first, timer 02): a longer time is no TIME_WAIT timer this reads, and none is given.
  return ticks > 60 * USER_HZ ? undefined : (ticks * 1000) / USER_HZ;
}

/**
 * Pure: a TCP row's retransmit timer (`01:` in `tr:tm->when`, `retrnsmt`, the RTO column), or its zero-window probe
 * timer (`04:`: the kernel runs one or the other); undefined where neither runs.
 */
function retransmitTimer(fields: readonly string[]): PortSocket['retransmit'] {
  const timer = /^0([14]):([0-9A-Fa-f]{8})$/.exec(fields[5] ?? '');
  const count = /^[0-9A-Fa-f]{8}$/.test(fields[6] ?? '') ? parseInt(fields[6]!, 16) : Number.NaN;
  const rto = /^\d+$/.test(fields[12] ?? '') ? Number(fields[12]) : Number.NaN;
  if (timer === null || !Number.isSafeInteger(count) || !Number.isSafeInteger(rto)) return undefined;
  const leftMs = (parseInt(timer[2]!, 16) * 1000) / USER_HZ;
  const unanswered = timer[1] === '4' && /^\d+$/.test(fields[8] ?? '') ? Number(fields[8]) : 0;
  return { count, leftMs, rtoMs: (rto * 1000) / USER_HZ, ...(timer[1] === '4' && { probe: true }), ...(unanswered > 0 && { unanswered }) };
}

/** Pure: the sockets of one table whose local port is `port`. */
export function parsePortSockets(text: string, family: SocketFamily, transport: Transport, port: number): PortSocket[] {
  stringArgument('parsePortSockets', 'text', text, 'the text of a /proc/net table');
  if (family !== 'IPv4' && family !== 'IPv6') throw new TypeError(`parsePortSockets: family must be "IPv4" or "IPv6", not ${describeArgument(family)}`);
  transportArgument('parsePortSockets', transport);
  portArgument('parsePortSockets', port);
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return parseRows(
    text,
    family,
    transport,
    (line) => line.includes(hexPort),
    (socket) => socket.port === port,
  );
}

/** The rows of one table that `cheap` (on the line's text) and `keep` (on its socket) let through. */
function parseRows(
  text: string,
  family: SocketFamily,
  transport: Transport,
  cheap: (line: string) => boolean,
  keep: (socket: { port: number; inode: number }) => boolean,
): PortSocket[] {
  const out: PortSocket[] = [];
  const decode = family === 'IPv4' ? decodeIPv4 : decodeIPv6;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!cheap(line)) continue;
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const local = fields[1]!;
    const colon = local.indexOf(':');
    const port = parseInt(local.slice(colon + 1), 16);
    const inode = Number(fields[9]);
    if (!keep({ port, inode })) continue;
    const remote = fields[2]!;
    const remoteColon = remote.indexOf(':');
    const remotePort = parseInt(remote.slice(remoteColon + 1), 16);
    const code = fields[3]!;
    const state = transport === 'tcp' ? (TCP_STATES[code] ?? code) : code === '01' ? 'CONNECTED' : 'BOUND';
    const left = state === 'TIME_WAIT' || (state === 'FIN_WAIT2' && inode === 0) ? timeWaitLeft(fields[5]) : undefined;
    const retransmit = transport === 'tcp' ? retransmitTimer(fields) : undefined;
    out.push({
      address: decode(local.slice(0, colon)),
      family,
      port,
      inode,
      uid: Number(fields[7]),
      transport,
      state,
      ...(remotePort !== 0 && { remote: formatEndpoint(decode(remote.slice(0, remoteColon)), remotePort) }),
      ...(left !== undefined && { timeWaitLeftMs: left }),
      ...(retransmit !== undefined && { retransmit }),
    });
  }
  return out;
}

/**
 * Every TCP and UDP socket (both families, any state, any port) among
 * `inodes`: the sockets a process holds (a holder scan's socket links), with
 * their ports, in one read of the four tables of this network namespace. A
 * socket of another namespace is in none of them, and not returned.
 */
export function readSocketsByInode(inodes: ReadonlySet<number>, procRoot = '/proc'): PortSocket[] {
  if (!(inodes instanceof Set)) throw new TypeError(`readSocketsByInode: inodes must be a Set of socket inodes, not ${describeArgument(inodes)}`);
  procRootArgument('readSocketsByInode', procRoot);
  if (inodes.size === 0) return [];
  const keep = (socket: { inode: number }) => inodes.has(socket.inode);
  const out: PortSocket[] = [];
  for (const transport of ['tcp', 'udp'] as const)
    for (const [file, family] of [
      [`net/${transport}`, 'IPv4'],
      [`net/${transport}6`, 'IPv6'],
    ] as const)
      out.push(...parseRows(readTable(procRoot, file), family, transport, () => true, keep));
  return out;
}

/** A whole socket table; '' where the kernel has none (no IPv6). A FIFO or device in its place is a FileReadError naming it, never read. */
function readTable(procRoot: string, file: string): string {
  try {
    return readProcText(procRoot, file, MAX_SOCKET_TABLE_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ''; // no IPv6
    throw error;
  }
}

/** Every `transport` socket on local port `port` (both families). Reads the whole tables: not for the hot path. */
export function readPortSockets(port: number, transport: Transport, procRoot = '/proc'): PortSocket[] {
  portArgument('readPortSockets', port);
  transportArgument('readPortSockets', transport);
  procRootArgument('readPortSockets', procRoot);
  return [
    ...parsePortSockets(readTable(procRoot, `net/${transport}`), 'IPv4', transport, port),
    ...parsePortSockets(readTable(procRoot, `net/${transport}6`), 'IPv6', transport, port),
  ];
}

/**
 * The UDP sockets bound to `port` and not connected to a peer: the holders of
 * a UDP port. A socket connected to a peer is a client's (a resolver's query,
 * a QUIC client, whose ephemeral port can be any number), as a TCP connection
 * using the port as its local port is: never a holder (readPortSockets lists it).
 */
export function readBoundUdpSockets(port: number, procRoot = '/proc'): PortSocket[] {
  portArgument('readBoundUdpSockets', port);
  procRootArgument('readBoundUdpSockets', procRoot);
  return readPortSockets(port, 'udp', procRoot).filter((socket) => socket.state !== 'CONNECTED');
}
