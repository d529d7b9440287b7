// Whether a port can be bound right now on every local interface, the way a
// server that listens on all addresses would bind it: 0.0.0.0 and, when the
// machine has IPv6, [::] (IPv6 only, so the two are tested separately); TCP,
// or UDP for a datagram server.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { describeArgument, isPlainObject, optionsArgument, portArgument, transportArgument } from '../arguments.js';
import type { Transport } from './port-sockets.js';

export interface BindResult {
  readonly ok: boolean;
  /** The errno code when the bind failed (EADDRINUSE, EACCES, ...). */
  readonly code?: string;
}

/** Errors that mean "this machine has no such address family", not "the port is taken". */
const NO_FAMILY = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']);

/** Try to listen on host:port and close again at once. */
export function tryBind(port: number, host: string, ipv6Only = false): Promise<BindResult> {
  try {
    portArgument('tryBind', port, 'port', 0); // 0: whether this address can be bound at all (any port)
    if (typeof host !== 'string' || host === '')
      throw new TypeError(`tryBind: host must be an address such as "0.0.0.0" or "::", not ${describeArgument(host)}`);
  } catch (error) {
    return Promise.reject(error as Error);
  }
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, code: error.code ?? 'UNKNOWN' }));
    server.listen({ port, host, ipv6Only, exclusive: true }, () => server.close(() => resolve({ ok: true })));
  });
}

export interface PortAvailability {
  readonly port: number;
  readonly free: boolean;
  /** Why not, e.g. `0.0.0.0: EADDRINUSE`. */
  readonly reason?: string;
  /** False when IPv6 could not be tested because the machine has none. */
  readonly ipv6: boolean;
}

/**
 * Whether `port` can be bound on 0.0.0.0 and on [::] (skipped when the machine
 * has no IPv6), for TCP (a listener) or UDP (a bound datagram socket: a UDP
 * server's port is taken by a bind alone). `reason` names the transport for UDP.
 */
export async function portAvailability(port: number, transport: Transport = 'tcp'): Promise<PortAvailability> {
  portArgument('portAvailability', port);
  transportArgument('portAvailability', transport);
  const bind = transport === 'tcp' ? tryBind : tryBindUdp;
  const suffix = transport === 'tcp' ? '' : '/udp';
  const v4 = await bind(port, '0.0.0.0');
  if (!v4.ok) return { port, free: false, reason: `0.0.0.0${suffix}: ${v4.code}`, ipv6: false };
  const v6 = await bind(port, '::', true);
  if (v6.ok) return { port, free: true, ipv6: true };
  if (NO_FAMILY.has(v6.code!)) return { port, free: true, ipv6: false };
  return { port, free: false, reason: `[::]${suffix}: ${v6.code}`, ipv6: true };
}

/** tryBind for UDP: bind a datagram socket to host:port (exclusively) and close it at once. */
function tryBindUdp(port: number, host: string, ipv6Only = false): Promise<BindResult> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only, reuseAddr: false });
    socket.unref();
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      resolve({ ok: false, code: error.code ?? 'UNKNOWN' });
    });
    socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve({ ok: true })));
  });
}

/** The first port in start..end (inclusive) free on every local interface, or undefined when all are taken. A key of `range` but those two is a TypeError. */
export async function findFreePort(range: { start: number; end: number }): Promise<number | undefined> {
  if (!isPlainObject(range)) throw new TypeError(`findFreePort: range must be an object { start, end }, not ${describeArgument(range)}`);
  // A key it does not read (`{ start, end, host }`) is refused, not ignored: every port is tested on every address.
  const { start, end } = optionsArgument('findFreePort', range, '{ start, end }', ['start', 'end']);
  portArgument('findFreePort', start, 'range.start');
  portArgument('findFreePort', end, 'range.end');
  if (start > end) throw new RangeError(`findFreePort: range.start (${start}) is past range.end (${end})`);
  for (let port = start; port <= end; port++) {
    if ((await portAvailability(port)).free) return port;
  }
  return undefined;
}
