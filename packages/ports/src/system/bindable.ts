// Whether a server could bind a port right now: bind (without listening) on
// the wildcard addresses, IPv4 and IPv6 (IPV6_V6ONLY, so each family is tested
// on its own), as servers do: TCP with SO_REUSEADDR (libuv sets it on every
// TCP bind, as nginx, uvicorn and redis do), UDP without it. The socket is
// closed at once: for microseconds it holds the port, and it never listens,
// so no connection can land on it.
//
// Synchronous through libuv's own handles (process.binding('tcp_wrap'), about
// 0.2 ms) where this Node has them: loading `net` costs 2-3 ms of every
// service start. Where they are missing, or where Node would warn of
// process.binding (node-binding.ts), through `net`/`dgram` (a listen and
// close, or a bind and close).
import { getSystemErrorName } from 'node:util';
import { describeArgument, portArgument, transportArgument } from '../arguments.js';
import { nodeBinding } from '../node-binding.js';
import { addressBits } from './ip.js';
import type { Transport } from './port-sockets.js';

export interface BindCheck {
  /** True when both wildcard binds succeeded (IPv6 counts as bindable on a machine without IPv6). */
  readonly ok: boolean;
  /** The first failure: `0.0.0.0: EADDRINUSE`. */
  readonly reason?: string;
  /** The errno name of that failure (EADDRINUSE, EACCES, ...). */
  readonly code?: string;
}

/** Errors that mean "this machine has no such address family", not "the port is taken". */
const NO_FAMILY = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']);
const UV_TCP_IPV6ONLY = 1;
const UV_UDP_IPV6ONLY = 1;

interface Handle {
  bind(address: string, port: number, flags?: number): number;
  bind6(address: string, port: number, flags: number): number;
  getsockname(out: Record<string, unknown>): number;
  close(): void;
}
type Wrap = { create(): Handle; errname(code: number): string };

/** The handles by transport, and by whether they were read even where Node warns (`tcp!`). */
const wraps = new Map<string, Wrap | undefined>();

function wrapFor(transport: Transport, evenIfItWarns = false): Wrap | undefined {
  const key = evenIfItWarns ? `${transport}!` : transport;
  if (!wraps.has(key)) wraps.set(key, loadWrap(transport, evenIfItWarns));
  return wraps.get(key);
}

/**
 * The errno name of libuv's `code`: from libuv's own uv_err_name (the uv
 * binding), where util.getSystemErrorName builds a map of every libuv error
 * on first use (0.65 ms of a held port's claim, on a host where `node -e 0`
 * takes 70 ms).
 */
function errname(code: number): string {
  try {
    const uv = nodeBinding('uv');
    const name = typeof uv?.errname === 'function' ? (uv.errname as (code: number) => unknown)(code) : undefined;
    return typeof name === 'string' ? name : getSystemErrorName(code);
  } catch {
    try {
      return getSystemErrorName(code);
    } catch {
      return `errno ${-code}`;
    }
  }
}

/**
 * libuv's handle for `transport`, loaded on first use (a TCP check never loads
 * udp_wrap). Deprecated only in documentation (DEP0111): none where Node would
 * warn of it (node-binding.ts), unless `evenIfItWarns`.
 */
function loadWrap(transport: Transport, evenIfItWarns: boolean): Wrap | undefined {
  try {
    const binding = nodeBinding(transport === 'tcp' ? 'tcp_wrap' : 'udp_wrap', process.env, evenIfItWarns);
    if (binding === undefined) return undefined;
    if (transport === 'tcp') {
      const { TCP, constants } = binding as { TCP: new (type: number) => Handle; constants: { SERVER: number } };
      if (typeof TCP !== 'function' || constants?.SERVER === undefined) return undefined;
      return { create: () => new TCP(constants.SERVER), errname };
    }
    const { UDP } = binding as { UDP: new () => Handle };
    if (typeof UDP !== 'function') return undefined;
    return { create: () => new UDP(), errname };
  } catch {
    return undefined;
  }
}

/**
 * The bind tests of this library in flight, by transport and port (`tcp/3210`): the last one queued. A test holds
 * the port for as long as its socket is open, across turns of the event loop for a `net` listen; a second test of
 * the same port meanwhile would be refused by that test socket (EADDRINUSE) and call a free port taken. So each
 * test of a port waits for the one before it, in this process; a process of its own cannot be waited for.
 */
const probes = new Map<string, Promise<unknown>>();

/**
 * Run `probe`, an asynchronous bind test of `port` over `transport`, once the tests of that port this module was
 * given before it are done: at once, with no wait, when none is in flight. Port 0 (an ephemeral port) is never
 * waited for.
 */
export function exclusiveProbe<T>(transport: Transport, port: number, probe: () => Promise<T>): Promise<T> {
  if (port === 0) return probe();
  const key = `${transport}/${port}`;
  const before = probes.get(key);
  const run = before === undefined ? probe() : before.then(probe, probe);
  probes.set(key, run);
  const done = () => {
    if (probes.get(key) === run) probes.delete(key);
  };
  run.then(done, done);
  return run;
}

/** Whether a test of this module's of `port` over `transport` holds (or may hold) the port now: a sync test cannot wait for it. */
function probeInFlight(transport: Transport, port: number): boolean {
  return probes.has(`${transport}/${port}`);
}

/** Until no test of this module's of the port is in flight (at once when none is). */
async function probesDone(transport: Transport, port: number): Promise<void> {
  for (let before = probes.get(`${transport}/${port}`); before !== undefined; before = probes.get(`${transport}/${port}`)) {
    await before.then(
      () => undefined,
      () => undefined,
    );
  }
}

function result(v4: string | undefined, v6: string | undefined): BindCheck {
  if (v4 !== undefined) return { ok: false, reason: `0.0.0.0: ${v4}`, code: v4 };
  if (v6 !== undefined && !NO_FAMILY.has(v6)) return { ok: false, reason: `[::]: ${v6}`, code: v6 };
  return { ok: true };
}

/**
 * The bind check without the event loop; undefined where this Node lacks the handles or would warn of reading them
 * (node-binding.ts), or when refused (EADDRINUSE) while a test of the port by this library is in flight (its socket,
 * maybe): use canBind, which waits for it.
 */
export function canBindSync(port: number, transport: Transport = 'tcp'): BindCheck | undefined {
  return bindSync('canBindSync', port, transport);
}

function bindSync(fn: string, port: number, transport: Transport): BindCheck | undefined {
  // From JavaScript: NaN, "8000", 0 or undefined would bind an ephemeral port and answer "free".
  portArgument(fn, port);
  transportArgument(fn, transport);
  const wrap = wrapFor(transport);
  if (!wrap) return undefined;
  const attempt = (family: 4 | 6): string | undefined => {
    const handle = wrap.create();
    try {
      let code = family === 4 ? handle.bind('0.0.0.0', port, 0) : handle.bind6('::', port, transport === 'tcp' ? UV_TCP_IPV6ONLY : UV_UDP_IPV6ONLY);
      // libuv keeps a TCP bind's EADDRINUSE for listen(); getsockname() reports it without listening.
      if (code === 0) code = handle.getsockname({});
      return code === 0 ? undefined : wrap.errname(code);
    } finally {
      handle.close();
    }
  };
  const v4 = attempt(4);
  const check = result(v4, v4 === undefined ? attempt(6) : undefined);
  // Refused while a test of this library's binds the port: maybe by that test socket, no holder. No answer without the event loop.
  return check.code === 'EADDRINUSE' && probeInFlight(transport, port) ? undefined : check;
}

/** Whether `text` is an IP address libuv binds: IPv4, or IPv6 with maybe a zone (`fe80::1%eth0`: an interface name or index). */
export function isIpAddress(text: string): boolean {
  const percent = text.indexOf('%');
  if (percent < 0) return addressBits(text) !== undefined;
  return /^[^%/\s]+$/.test(text.slice(percent + 1)) && addressBits(text.slice(0, percent))?.family === 6;
}

/**
 * Whether `address`:`port` alone can be bound right now, as a server binds
 * (TCP with SO_REUSEADDR; an IPv6 address with IPV6_V6ONLY): a check of one
 * address, where canBindSync checks the wildcards; `address` is an IP address
 * (a host name is a TypeError: none is looked up). Undefined where this Node
 * lacks libuv's handles (read even where Node warns of them, node-binding.ts),
 * or when refused while a test of the port by this library is in flight.
 */
export function canBindAddressSync(address: string, port: number, transport: Transport = 'tcp'): BindCheck | undefined {
  if (typeof address !== 'string' || !isIpAddress(address)) {
    throw new TypeError(
      `canBindAddressSync: address must be an IP address such as 127.0.0.2 or ::1 (a host name is not looked up), not ${describeArgument(address)}`,
    );
  }
  portArgument('canBindAddressSync', port);
  transportArgument('canBindAddressSync', transport);
  // Even where Node warns of the handles: claim-port's check before any signal refuses by this answer, which `net` could
  // only give asynchronously (a warning, once, rather than a guess).
  const wrap = wrapFor(transport, true);
  if (!wrap) return undefined;
  const handle = wrap.create();
  try {
    const v6 = address.includes(':');
    let code = v6 ? handle.bind6(address, port, transport === 'tcp' ? UV_TCP_IPV6ONLY : UV_UDP_IPV6ONLY) : handle.bind(address, port, 0);
    if (code === 0) code = handle.getsockname({});
    if (code === 0) return { ok: true };
    const name = wrap.errname(code);
    // Refused while a test of this library's binds the port: maybe by that test socket. No answer without the event loop.
    if (name === 'EADDRINUSE' && probeInFlight(transport, port)) return undefined;
    return { ok: false, reason: `${v6 ? `[${address}]` : address}: ${name}`, code: name };
  } finally {
    handle.close();
  }
}

/** Whether `port` can be bound on 0.0.0.0 and [::] right now, as a server would bind it. */
export async function canBind(port: number, transport: Transport = 'tcp'): Promise<BindCheck> {
  portArgument('canBind', port);
  transportArgument('canBind', transport);
  // After any test of the port this library has in flight: its test socket would answer "taken".
  if (probeInFlight(transport, port)) await probesDone(transport, port);
  const sync = bindSync('canBind', port, transport);
  if (sync) return sync;
  const attempt = async (host: string): Promise<string | undefined> => {
    if (transport === 'tcp') {
      const { createServer } = await import('node:net');
      return new Promise((resolve) => {
        const server = createServer();
        server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'UNKNOWN'));
        server.listen({ port, host, ipv6Only: host === '::', exclusive: true }, () => server.close(() => resolve(undefined)));
      });
    }
    const { createSocket } = await import('node:dgram');
    return new Promise((resolve) => {
      const socket = createSocket({ type: host === '::' ? 'udp6' : 'udp4', ipv6Only: host === '::' });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        socket.close();
        resolve(error.code ?? 'UNKNOWN');
      });
      socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve(undefined)));
    });
  };
  const v4 = await exclusiveProbe(transport, port, () => attempt('0.0.0.0'));
  return result(v4, v4 === undefined ? await exclusiveProbe(transport, port, () => attempt('::')) : undefined);
}
