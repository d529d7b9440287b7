// nginx's listen directive in http {} as nginx reads it (ngx_http_core_listen, ngx_http_add_addresses and
// ngx_http_init_listening; checked with nginx 1.22 -t and real runs on Linux): its parameters, the sockets a port's
// listens make nginx open, and what makes it refuse them or fail to open them.
import { addressBits } from '@dsa110/ports/system';
import { isLoopback } from '../../address.js';
import { formatAddress } from '../../firewall/ip.js';
import { mappedBind } from './finding.js';
import { dottedQuad, inetAton } from './glibc-host.js';

/** What a listen's parameters set, as nginx keeps them per address and port. */
export interface ListenOptions {
  /** `udp` for `quic` (nginx 1.25: SOCK_DGRAM), else `tcp`: nginx keeps the two apart, as Linux does their sockets. */
  readonly transport: 'tcp' | 'udp';
  readonly defaultServer: boolean;
  /**
   * Options of the socket itself (backlog=, rcvbuf=, sndbuf=, fastopen=, deferred, bind, ipv6only=, reuseport,
   * so_keepalive=): nginx then opens a socket of this address of its own (`bind`), even beside a wildcard one, and two
   * servers may not both set them on one address and port ("duplicate listen options").
   */
  readonly bind: boolean;
  /** ipv6only= as written; a `[::]` listen without it is IPv6 only (nginx's default since 1.3.4). */
  readonly ipv6only?: boolean;
  readonly reuseport: boolean;
}

/**
 * The parameters nginx takes alone; `true`: they set a socket option (ListenOptions.bind). quic (1.25), multipath
 * (1.29.7: an MPTCP socket of its own) and spdy (a warning before 1.22) depend on nginx's version: not judged.
 */
const FLAGS: Readonly<Record<string, boolean>> = {
  default_server: false,
  default: false,
  ssl: false,
  http2: false,
  quic: false,
  spdy: false,
  proxy_protocol: false,
  deferred: true,
  bind: true,
  reuseport: true,
  multipath: true,
};

/** ngx_atosz's and ngx_parse_size's limit (NGX_MAX_SIZE_T_VALUE on 64 bits): past it, or past it over the unit's scale, NGX_ERROR. */
const MAX_SIZE = 0x7fff_ffff_ffff_ffffn;
const SCALES: Readonly<Record<string, bigint>> = { '': 1n, k: 1024n, m: 1024n * 1024n };

/**
 * rcvbuf= and sndbuf= as nginx keeps them (checked with nginx 1.22 -t): ngx_parse_size's size (digits, then k or m;
 * not g, not a sign, no more than MAX_SIZE over the unit's scale: `9007199254740992k` is refused) cut to a C int,
 * refused when that is -1 (NGX_ERROR: `4294967295`). Any other value is taken, 0 or negative as an int
 * (`2147483648`) too: the kernel clamps the buffer to its limits (net.core.rmem_max, wmem_max), no error.
 */
function bufferSize(value: string): boolean {
  const match = /^(\d+)([kKmM]?)$/.exec(value);
  if (!match) return false;
  const scale = SCALES[match[2]!.toLowerCase()]!;
  const size = BigInt(match[1]!);
  return size <= MAX_SIZE / scale && BigInt.asIntN(32, size * scale) !== -1n;
}
/** A time in seconds as ngx_parse_time reads it (so_keepalive's idle and interval): numbers with units, `30m`, `1h30m`, `10`; not `ms`, which it refuses in seconds. */
const TIME = /^(?:\d+[yMwdhms]?\s*)+$/;

/** A number as ngx_atoi reads it: digits, no more than its 64-bit integer holds (beyond, NGX_ERROR). */
const atoi = (value: string): bigint | undefined => (/^\d+$/.test(value) && BigInt(value) <= 0x7fff_ffff_ffff_ffffn ? BigInt(value) : undefined);

/** backlog= as nginx keeps it: ngx_atoi's number cut to a C int, refused when that is 0 (`backlog=4294967296`) or -1 (NGX_ERROR: `backlog=4294967295`). */
function backlog(value: string): boolean {
  const number = atoi(value);
  return number !== undefined && BigInt.asIntN(32, number) !== 0n && BigInt.asIntN(32, number) !== -1n;
}

/**
 * The parameters `name=value` nginx takes, each with whether nginx refuses the value, in nginx's words, or
 * undefined for a value it takes. accept_filter= is FreeBSD's: on Linux nginx says so and ignores it; setfib= is
 * FreeBSD's too, an "invalid parameter" on Linux.
 */
const VALUES: Readonly<Record<string, (value: string, word: string) => string | undefined>> = {
  backlog: (value, word) => (backlog(value) ? undefined : `invalid backlog "${word}"`),
  rcvbuf: (value, word) => (bufferSize(value) ? undefined : `invalid rcvbuf "${word}"`),
  sndbuf: (value, word) => (bufferSize(value) ? undefined : `invalid sndbuf "${word}"`),
  fastopen: (value, word) => (atoi(value) !== undefined ? undefined : `invalid fastopen "${word}"`),
  ipv6only: (value) => (value === 'on' || value === 'off' ? undefined : `invalid ipv6only flags "${value}"`),
  so_keepalive: (value) => (value === 'on' || value === 'off' || keepalive(value) ? undefined : `invalid so_keepalive value: "${value}"`),
  accept_filter: () => undefined,
};

/** so_keepalive=[idle]:[interval]:[count], at least one of them given and not all 0. */
function keepalive(value: string): boolean {
  const [idle = '', interval = '', count = '', extra] = value.split(':');
  if (extra !== undefined) return false;
  if ((idle !== '' && !TIME.test(idle)) || (interval !== '' && !TIME.test(interval)) || (count !== '' && atoi(count) === undefined)) return false;
  return [idle, interval, count].some((part) => part !== '' && /[1-9]/.test(part));
}

/** Pure: a listen's parameters (the words after its address), or the first nginx refuses, with nginx -t's words for it. */
export function listenOptions(flags: readonly string[]): ListenOptions | { readonly refused: string; readonly flag: string } {
  let defaultServer = false;
  let bind = false;
  let reuseport = false;
  let ipv6only: boolean | undefined;
  for (const flag of flags) {
    const equals = flag.indexOf('=');
    const name = equals < 0 ? flag : flag.slice(0, equals);
    if (equals < 0 && Object.hasOwn(FLAGS, flag)) {
      bind ||= FLAGS[flag]!;
      defaultServer ||= flag === 'default_server' || flag === 'default';
      reuseport ||= flag === 'reuseport';
      continue;
    }
    const check = equals < 0 ? undefined : VALUES[name];
    if (check === undefined || !Object.hasOwn(VALUES, name)) return { refused: `invalid parameter "${flag}"`, flag };
    const refused = check(flag.slice(equals + 1), flag);
    if (refused !== undefined) return { refused, flag };
    if (name === 'ipv6only') ipv6only = flag.endsWith('=on');
    if (name !== 'accept_filter') bind = true;
  }
  const transport = flags.includes('quic') ? 'udp' : 'tcp';
  return { transport, defaultServer, bind, reuseport, ...(ipv6only !== undefined && { ipv6only }) };
}

/**
 * Where a listen's address puts it: its family, its address as a key (`80`, `*:80` and `0.0.0.0:80` are one; an
 * IPv6 address in any spelling), whether it is the family's wildcard, whether loopback. Undefined for a host name
 * (`localhost` too), which nginx resolves when it starts: the addresses it opens are not known.
 */
export interface ListenAddress {
  readonly family: 4 | 6;
  readonly key: string;
  readonly wildcard: boolean;
  readonly loopback: boolean;
  /** As nginx prints it: `0.0.0.0`, `127.0.0.1`, `[::]`. */
  readonly shown: string;
  /** An IPv4-mapped IPv6 address (`[::ffff:127.0.0.1]`): Linux binds it only to a dual-stack socket (unboundMapped). */
  readonly mapped: boolean;
}

/**
 * Pure: the address of a listen value (`80`, `*:80`, `127.0.0.1:80`, `127.1:80`, `[::]:80`, `[::1]`), or undefined
 * for a host name or what is no address.
 */
export function listenAddress(value: string): ListenAddress | undefined {
  const bracket = /^\[([0-9a-fA-F:.]+)\](?::|$)/.exec(value);
  const colon = value.lastIndexOf(':');
  const host = bracket ? bracket[1]! : /^\d+$/.test(value) ? '*' : colon >= 0 ? value.slice(0, colon) : value;
  if (host === '*') return { family: 4, key: '4/0', wildcard: true, loopback: false, shown: '0.0.0.0', mapped: false };
  // Another spelling of an IPv4 address (`127.1`, `2130706433`), which nginx resolves as glibc's inet_aton reads it.
  const v4 = bracket || (colon < 0 && !/^\d{1,3}(?:\.\d{1,3}){3}$/.test(host)) ? undefined : inetAton(host);
  if (!bracket && v4 === undefined) return undefined;
  const bits = addressBits(v4 === undefined ? host : dottedQuad(v4));
  if (bits === undefined) return undefined;
  const text = formatAddress(bits.family, bits.value);
  return {
    family: bits.family,
    key: `${bits.family}/${bits.value}`,
    wildcard: bits.value === 0n,
    loopback: isLoopback(v4 === undefined ? host : dottedQuad(v4)),
    shown: bits.family === 6 ? `[${text}]` : text,
    mapped: mappedBind(bits),
  };
}

/** One listen of http {} on a port, as the sockets are worked out from it. */
export interface PortListen<T> {
  readonly at: T;
  /** The server block it is in: two listens of one address in one server are "a duplicate listen". */
  readonly server: object;
  readonly address: ListenAddress;
  readonly options: ListenOptions;
}

/** The key nginx keeps a listen's address and port under, for one port: its transport and its address. */
export const listenKey = (listen: PortListen<unknown>): string => `${listen.options.transport} ${listen.address.key}`;

/** A socket nginx opens for a port, and the listens that make it. */
export interface OpenedSocket<T> {
  readonly address: ListenAddress;
  readonly transport: 'tcp' | 'udp';
  /** Whether it takes IPv4 too: `[::]` with ipv6only=off. */
  readonly dualStack: boolean;
  readonly reuseport: boolean;
  /** The listens of its own address (first the first of them), then those of other addresses it serves. */
  readonly own: readonly PortListen<T>[];
  readonly listens: readonly PortListen<T>[];
}

/**
 * Pure: the sockets nginx opens for one port's listens (ngx_http_init_listening): per transport and family, when a
 * listen is on the family's wildcard address, that one socket serves the family's other addresses, but for those
 * whose parameters make them bind (ListenOptions.bind); without one, a socket for each address.
 */
export function openedSockets<T>(listens: readonly PortListen<T>[]): OpenedSocket<T>[] {
  const wildcards = new Set(listens.filter((listen) => listen.address.wildcard).map((listen) => `${listen.options.transport} ${listen.address.family}`));
  const sockets = new Map<string, { own: PortListen<T>[]; listens: PortListen<T>[] }>();
  for (const listen of listens) {
    const { transport } = listen.options;
    const shared = wildcards.has(`${transport} ${listen.address.family}`) && !listen.address.wildcard && !listen.options.bind;
    const key = shared ? `${transport} ${listen.address.family}/0` : listenKey(listen);
    const socket = sockets.get(key) ?? { own: [], listens: [] };
    sockets.set(key, socket);
    socket.listens.push(listen);
    if (!shared) socket.own.push(listen);
  }
  return [...sockets.values()].map(({ own, listens: of }) => {
    const { address, options } = own[0]!;
    // Options are one per address and port: any listen of it that sets them sets them for all (ipv6only, reuseport).
    const ipv6only = own.find((listen) => listen.options.ipv6only !== undefined)?.options.ipv6only;
    return {
      address,
      transport: options.transport,
      dualStack: address.family === 6 && address.wildcard && ipv6only === false,
      reuseport: own.some((listen) => listen.options.reuseport),
      own,
      listens: of,
    };
  });
}

/** Why nginx refuses a listen beside an earlier one of the same address and port: in the same server, both setting socket options, both default_server. */
export type Duplicate = 'server' | 'options' | 'default_server';

/** nginx -t's words for each Duplicate, before the address and port. */
export const DUPLICATE_WORDS: Readonly<Record<Duplicate, string>> = {
  server: 'a duplicate listen',
  options: 'duplicate listen options for',
  default_server: 'a duplicate default server for',
};

/**
 * Pure: the first listen of one port nginx refuses for an earlier one of the same address and transport
 * (ngx_http_add_addresses), with that one and why: in the same server; in another, both setting socket options, or
 * both default_server. One pass, each address's earlier listens kept by server.
 */
export function duplicateListen<T>(
  listens: readonly PortListen<T>[],
): { readonly listen: PortListen<T>; readonly earlier: PortListen<T>; readonly why: Duplicate } | undefined {
  type Earlier = { servers: Map<object, PortListen<T>>; options?: PortListen<T>; byDefault?: PortListen<T> };
  const seen = new Map<string, Earlier>();
  for (const listen of listens) {
    const key = listenKey(listen);
    const same: Earlier = seen.get(key) ?? { servers: new Map() };
    seen.set(key, same);
    const inServer = same.servers.get(listen.server);
    if (inServer) return { listen, earlier: inServer, why: 'server' };
    if (listen.options.bind && same.options) return { listen, earlier: same.options, why: 'options' };
    if (listen.options.defaultServer && same.byDefault) return { listen, earlier: same.byDefault, why: 'default_server' };
    same.servers.set(listen.server, listen);
    if (listen.options.bind) same.options = listen;
    if (listen.options.defaultServer) same.byDefault = listen;
  }
  return undefined;
}

/**
 * Pure: two sockets of a port that Linux will not both open (nginx then exits at start: "bind() to ADDRESS failed
 * (98: Address already in use)", which nginx -t does not try): of one transport, a wildcard one beside another of its
 * family, or a dual-stack `[::]` beside any IPv4 one; not when both set reuseport.
 */
export function clashingSockets<T>(sockets: readonly OpenedSocket<T>[]): [OpenedSocket<T>, OpenedSocket<T>] | undefined {
  // Each socket against the wildcard (or dual-stack) ones before and after it: they are few, one per transport and family.
  const wide = sockets.filter((socket) => socket.address.wildcard);
  for (const [index, one] of sockets.entries()) {
    for (const other of wide) {
      if (other === one || other.transport !== one.transport || (one.reuseport && other.reuseport)) continue;
      const sameFamily = one.address.family === other.address.family;
      const dual = (one.dualStack && other.address.family === 4) || (other.dualStack && one.address.family === 4);
      if (sameFamily || dual) return sockets.indexOf(other) < index ? [other, one] : [one, other];
    }
  }
  return undefined;
}

/**
 * Pure: the first of one port's listens on an IPv4-mapped address (`[::ffff:127.0.0.1]:80`) whose socket is
 * IPv6-only (no listen of that address sets ipv6only=off): Linux will not bind it, and nginx, nginx -t too, fails
 * ("bind() to [::ffff:127.0.0.1]:80 failed (22: Invalid argument)"; checked with nginx 1.22.1).
 */
export function unboundMapped<T>(listens: readonly PortListen<T>[]): PortListen<T> | undefined {
  return listens.find(
    (listen) => listen.address.mapped && !listens.some((other) => listenKey(other) === listenKey(listen) && other.options.ipv6only === false),
  );
}
