// Whether a port can be bound right now on every local interface, the way a
// server that listens on all addresses would bind it: 0.0.0.0 and, when the
// machine has IPv6, [::] (IPv6 only, so the two are tested separately); TCP,
// or UDP for a datagram server.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { describeArgument, isPlainObject, optionsArgument, portArgument, transportArgument } from '../arguments.js';
import { quoteValue } from '../escape.js';
import { didYouMean } from '../suggest.js';
import { exclusiveProbe, isIpAddress } from './bindable.js';
import type { ReservedRange } from '../registry.js';
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
    // An IP address only: net's listen would look a host name up in DNS (a query off this machine, for an answer
    // about some address it resolves to), as findFreePort and canBindAddressSync never do.
    if (typeof host !== 'string' || !isIpAddress(host))
      throw new TypeError(`tryBind: host must be an IP address such as "0.0.0.0" or "::" (a host name is not looked up), not ${describeArgument(host)}`);
    if (typeof ipv6Only !== 'boolean') throw new TypeError(`tryBind: ipv6Only must be true or false, or left out, not ${describeArgument(ipv6Only)}`);
  } catch (error) {
    return Promise.reject(error as Error);
  }
  // After any other test of this port in flight here: its test socket is no holder (see exclusiveProbe).
  return exclusiveProbe(
    'tcp',
    port,
    () =>
      new Promise<BindResult>((resolve) => {
        const server = createServer();
        server.unref();
        server.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, code: error.code ?? 'UNKNOWN' }));
        server.listen({ port, host, ipv6Only, exclusive: true }, () => server.close(() => resolve({ ok: true })));
      }),
  );
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
  return exclusiveProbe(
    'udp',
    port,
    () =>
      new Promise<BindResult>((resolve) => {
        const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only, reuseAddr: false });
        socket.unref();
        socket.once('error', (error: NodeJS.ErrnoException) => {
          socket.close();
          resolve({ ok: false, code: error.code ?? 'UNKNOWN' });
        });
        socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve({ ok: true })));
      }),
  );
}

/**
 * Errors of a bind test that are this process's or the system's want, not the port's state: no verdict on the
 * port (a port so refused is not "taken"), with what to do about each. `ports free` and findFreePort share it.
 */
export const UNCHECKABLE_BIND_ERRORS: Readonly<Record<string, string>> = Object.freeze({
  EMFILE: 'this process may open no more files: raise its limit, ulimit -n',
  ENFILE: "the system's table of open files is full",
  ENOBUFS: 'the kernel is out of socket buffers',
  ENOMEM: 'out of memory',
});

/** The errno name at the end of a PortAvailability's reason (`[::]/udp: EADDRINUSE`). */
const reasonCode = (reason: string | undefined) => reason?.split(': ').at(-1) ?? 'UNKNOWN';

/** The keys of a registry's reserved range, one per key of ReservedRange (the compiler holds the two together). */
const RESERVED_RANGE: Readonly<Record<keyof ReservedRange, true>> = { kind: true, id: true, name: true, start: true, end: true, purpose: true, for: true };
const RESERVED_RANGE_KEYS = Object.keys(RESERVED_RANGE);

/** findFreePort could not test `what` (`port 3210`) for want of resources: an Error (with `code`), never "taken". */
function cannotCheck(what: string, code: string): Error {
  return Object.assign(new Error(`findFreePort: cannot check ${what}: ${code} (${UNCHECKABLE_BIND_ERRORS[code]}); no port was found free`), { code });
}

/** What findFreePort takes besides its range: each may be left out. */
export interface FindFreePortOptions {
  /** The port, or ports in order, to try first (the one used last time): each must lie in the range. */
  readonly port?: number | Iterable<number> | undefined;
  /** Ports never answered, free or not: the ports the registry gives its services, ports handed out already. */
  readonly exclude?: Iterable<number> | undefined;
  /**
   * The IP address the caller will bind (`127.0.0.1`, `::1`): each port is bound there too, besides 0.0.0.0 and
   * [::], and an address this machine cannot bind is an Error at once. It never narrows the test: a port in use
   * on another address is not answered.
   */
  readonly host?: string | undefined;
  /** `'tcp'` (the default) or `'udp'`: the sockets the test binds, as the caller's server will. */
  readonly transport?: Transport | undefined;
}

/** Every option of findFreePort, one per key of FindFreePortOptions (the compiler holds the two together). */
const FIND_FREE_PORT_OPTIONS: Readonly<Record<keyof FindFreePortOptions, true>> = { port: true, exclude: true, host: true, transport: true };
const FIND_FREE_PORT_KEYS = Object.keys(FIND_FREE_PORT_OPTIONS);

/** `options.port` or `options.exclude`, checked: a port, or an iterable (not a string) of ports, read once, in order. */
function portsOption(name: string, value: unknown, single: boolean): number[] {
  if (single && typeof value === 'number') return [portArgument('findFreePort', value, name)];
  if (typeof value !== 'object' || value === null || typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
    const what = single ? 'a port number, or an array (or other iterable) of them' : 'an array (or other iterable) of port numbers';
    throw new TypeError(
      `findFreePort: ${name} must be ${what}, or left out, not ${describeArgument(value)}${typeof value === 'string' ? ' (parse it with parsePort)' : ''}`,
    );
  }
  const ports: number[] = [];
  for (const port of value as Iterable<unknown>) ports.push(portArgument('findFreePort', port, `${name}[${ports.length}]`));
  return ports;
}

/**
 * The first port free on every local interface: the preferred `options.port`(s) first, in order, then start..end
 * (inclusive); never one of `options.exclude`; undefined when every port is taken or excluded. A port is free
 * when a server could bind it now on 0.0.0.0 and on [::] (skipped on a machine without IPv6), and on
 * `options.host` when given, over `options.transport` (TCP by default). Each test socket is closed at once: the
 * port can be taken again before the caller binds it. `range` may be a registry's ReservedRange as it is, or one of
 * `ports list --json` (no kind); a key of neither, or a kind but 'reserved', is a TypeError. Within this process a
 * test waits for any other of this library's tests of the same port (exclusiveProbe), never mistaking its socket
 * for a holder; a test in another process cannot be waited for. An options.host this machine cannot bind is an
 * Error whose `code` is the errno (EADDRNOTAVAIL, EINVAL, ...).
 */
export async function findFreePort(range: { start: number; end: number }, options?: FindFreePortOptions): Promise<number | undefined> {
  if (!isPlainObject(range)) throw new TypeError(`findFreePort: range must be an object { start, end }, not ${describeArgument(range)}`);
  // An option given in the range (`{ start, end, host }`) would be ignored there: said, with where it goes.
  const misplaced = Object.keys(range).find((key) => FIND_FREE_PORT_KEYS.includes(key));
  if (misplaced !== undefined) {
    throw new TypeError(
      `findFreePort: range takes { start, end } only; ${misplaced} is an option: give it in the second argument, findFreePort({ start, end }, { ${misplaced} })`,
    );
  }
  // A registry's reserved range is taken whole, its start and end read: `registry.reserved[i]` (kind: 'reserved'), or an
  // entry of `ports list --json`'s reserved (no kind). Another kind (a service's) is no range; another key is a mistake.
  const kind = Object.hasOwn(range, 'kind') ? (range as { kind?: unknown }).kind : 'reserved';
  const stray = Object.keys(range).find((key) => !RESERVED_RANGE_KEYS.includes(key) || (key === 'kind' && kind !== 'reserved'));
  if (stray !== undefined) {
    const what =
      stray === 'kind'
        ? `the range's kind is ${describeArgument(kind)}, not "reserved"`
        : `the range has an unknown key ${quoteValue(stray)}${didYouMean(stray, ['start', 'end'])}`;
    throw new TypeError(
      `findFreePort: ${what}; it takes { start, end }, or a registry's reserved range as it is (its kind "reserved", id, name, purpose and for are not read)`,
    );
  }
  const { start, end } = optionsArgument('findFreePort', range, '{ start, end }');
  portArgument('findFreePort', start, 'range.start');
  portArgument('findFreePort', end, 'range.end');
  if (start > end) throw new RangeError(`findFreePort: range.start (${start}) is past range.end (${end})`);
  const { port, exclude, host, transport = 'tcp' } = optionsArgument('findFreePort', options, FIND_FREE_PORT_KEYS);
  const preferred = port === undefined ? [] : portsOption('options.port', port, true);
  const outside = preferred.find((candidate) => candidate < start || candidate > end);
  // The answer is always a port of the range (a reserved range, in this registry): a port outside it may be a service's.
  if (outside !== undefined) {
    throw new RangeError(`findFreePort: options.port ${outside} is outside the range ${start}-${end}: a preferred port must be one of the range's`);
  }
  const excluded = new Set(exclude === undefined ? [] : portsOption('options.exclude', exclude, false));
  if (host !== undefined && (typeof host !== 'string' || !isIpAddress(host))) {
    throw new TypeError(
      `findFreePort: options.host must be an IP address such as 127.0.0.1 or ::1 (a host name is not looked up), or left out, not ${describeArgument(host)}`,
    );
  }
  transportArgument('findFreePort', transport);
  const bind = transport === 'tcp' ? tryBind : tryBindUdp;
  if (host !== undefined) {
    // Whether the address can be bound at all (any port): else every port would be "taken".
    const probe = await bind(0, host);
    if (!probe.ok && Object.hasOwn(UNCHECKABLE_BIND_ERRORS, probe.code!)) throw cannotCheck(`options.host ${quoteValue(host)}`, probe.code!);
    if (!probe.ok) {
      throw Object.assign(
        new Error(
          `findFreePort: cannot bind options.host ${quoteValue(host)} on this machine (${probe.code}${probe.code === 'EADDRNOTAVAIL' ? ': no interface has that address' : ''}): give an address of this machine, or leave host out`,
        ),
        { code: probe.code },
      );
    }
  }
  const tried = new Set<number>();
  const candidates = function* (): Generator<number> {
    yield* preferred;
    for (let candidate = start; candidate <= end; candidate++) yield candidate;
  };
  for (const candidate of candidates()) {
    if (tried.has(candidate) || excluded.has(candidate)) continue;
    tried.add(candidate);
    // A test that failed for want of a descriptor or memory says nothing of the port: an error, never "all taken".
    const availability = await portAvailability(candidate, transport);
    if (!availability.free && Object.hasOwn(UNCHECKABLE_BIND_ERRORS, reasonCode(availability.reason))) {
      throw cannotCheck(`port ${candidate}`, reasonCode(availability.reason));
    }
    if (!availability.free) continue;
    if (host === undefined) return candidate;
    const onHost = await bind(candidate, host);
    if (onHost.ok) return candidate;
    if (Object.hasOwn(UNCHECKABLE_BIND_ERRORS, onHost.code!)) throw cannotCheck(`port ${candidate}`, onHost.code!);
  }
  return undefined;
}
