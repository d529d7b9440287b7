// Whether a `::` listener also accepts IPv4. /proc does not show a socket's
// IPV6_V6ONLY flag, so it is inferred where the inference is certain enough:
// a TCP `::` listener with an IPv4 listener on the same port (0.0.0.0,
// 127.0.0.1, any address) owned by another uid is not dual-stack (the kernel
// would have refused that bind had it been: SO_REUSEPORT shares a port only
// between sockets of the same uid; two of one uid that both set it can be a
// dual-stack `::` and an IPv4 one, so the kernel is asked there, as below).
// A UDP one proves nothing whatever its uid (SO_REUSEADDR lets a datagram
// socket of any uid share the port with a dual-stack `::`), so for UDP the
// kernel is asked whenever there is an IPv4 twin. A `::` socket with none,
// while the system default (/proc/sys/net/ipv6/bindv6only) is 0, is taken to
// be dual-stack (the safe side: a program that sets IPV6_V6ONLY itself,
// nginx's `listen [::]:PORT`, is reported as reachable over IPv4 too).
// With bindv6only 1 the default is v6only, but a program may clear it (every
// Go server listening on `:PORT` does: Prometheus, Grafana), so the kernel is
// asked: sock_diag shows the flag, and ss(8) prints it (`ss -e`: `v6only:0`).
// ss runs once, only then, bounded in time and output; where it cannot be
// asked (no ss, an error, a procRoot other than this process's /proc) the
// socket is taken to be dual-stack, the safe side again.
import type { SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import type { ListenSocket } from './sockets.js';
import type { Transport } from './port-sockets.js';
import {
  describeArgument,
  integerArgument,
  isArraySafely,
  objectArgument,
  portArgument,
  procRootArgument,
  stringArgument,
  stringListArgument,
  transportArgument,
} from '../arguments.js';
import { tryReadProcText } from './system-files.js';

/**
 * Pure: is this socket dual-stack, given every listener, the bindv6only default and, where the kernel was asked
 * (readKernelV6Only), its answer by socket inode (true: dual-stack). The kernel's answer wins; else a `::` socket
 * is dual-stack unless, for TCP (`transport`, the default), an IPv4 listener (0.0.0.0 or any other address) of another
 * uid shares its port (one of the same uid proves nothing: both may have set SO_REUSEPORT; for UDP none does:
 * SO_REUSEADDR shares a datagram port across uids). The bindv6only default no longer changes the answer by
 * itself (a program may clear or set the flag whatever it is: not knowing, the safe side); it is kept for callers.
 */
export function isDualStack(
  socket: ListenSocket,
  all: readonly ListenSocket[],
  _bindV6Only: boolean,
  kernel?: ReadonlyMap<number, boolean>,
  transport: Transport = 'tcp',
): boolean {
  objectArgument('isDualStack', 'socket', socket, 'a ListenSocket');
  if (!isArraySafely(all)) throw new TypeError(`isDualStack: all must be an array of ListenSocket, not ${describeArgument(all)}`);
  if (kernel !== undefined && typeof (kernel as Partial<ReadonlyMap<number, boolean>> | null)?.get !== 'function')
    throw new TypeError(`isDualStack: kernel must be a Map of socket inode to dual-stack (readKernelV6Only) or left out, not ${describeArgument(kernel)}`);
  transportArgument('isDualStack', transport);
  if (socket.family !== 'IPv6' || socket.address !== '::') return false;
  const told = socket.inode > 0 ? kernel?.get(socket.inode) : undefined;
  if (told !== undefined) return told;
  return ipv4Twins(socket, all, transport, 'isDualStack') !== 'proof';
}

/**
 * The IPv4 sockets on `socket`'s port (0.0.0.0, or any address, such as 127.0.0.1, which a dual-stack `::` covers too;
 * an IPv4-mapped IPv6 address, shown as IPv4, alike), each entry checked as it is read (assemble asks this of every
 * socket, with all of them): `proof`, a TCP one of another uid, which the kernel would have refused beside a
 * dual-stack `::` (SO_REUSEPORT shares a port only within one uid); `same`, only ones of the same uid, which may share
 * it with a dual-stack `::` when both set SO_REUSEPORT (a connection to 127.0.0.2 then reaches the `::` one), or any
 * for UDP, where SO_REUSEADDR lets sockets of any uid share it (a datagram to 127.0.0.2 then reaches the `::` one).
 */
function ipv4Twins(socket: ListenSocket, all: readonly ListenSocket[], transport: Transport, fn: string): 'proof' | 'same' | undefined {
  let twins: 'proof' | 'same' | undefined;
  all.forEach((other, index) => {
    if (typeof other !== 'object' || other === null) throw new TypeError(`${fn}: all[${index}] must be a ListenSocket, not ${describeArgument(other)}`);
    if (twins === 'proof' || other.port !== socket.port || typeof other.address !== 'string' || other.address.includes(':')) return;
    twins = transport === 'tcp' && other.uid !== socket.uid ? 'proof' : 'same';
  });
  return twins;
}

/**
 * Pure: the ports whose `::` sockets only the kernel can tell about: each `::` socket whose IPv4 twins on its port
 * are all of its own uid (SO_REUSEPORT may have let it share the port dual-stack), or, for UDP, that has any IPv4
 * twin (SO_REUSEADDR shares it across uids); with bindv6only 1, each with no IPv4 twin too (with 0, the inference
 * above is kept: a v6only one is said to be dual-stack, the safe side).
 */
export function uncertainDualStackPorts(all: readonly ListenSocket[], bindV6Only: boolean, transport: Transport = 'tcp'): number[] {
  if (!isArraySafely(all)) throw new TypeError(`uncertainDualStackPorts: all must be an array of ListenSocket, not ${describeArgument(all)}`);
  transportArgument('uncertainDualStackPorts', transport);
  const ports = new Set<number>();
  for (const socket of all) {
    if (socket.family !== 'IPv6' || socket.address !== '::' || ports.has(socket.port)) continue;
    const twins = ipv4Twins(socket, all, transport, 'uncertainDualStackPorts');
    if (twins === 'same' || (bindV6Only && twins === undefined)) ports.add(socket.port);
  }
  return [...ports];
}

/** /proc/sys/net/ipv6/bindv6only as a boolean; false when it cannot be read (the Linux default). */
export function readBindV6Only(procRoot = '/proc'): boolean {
  procRootArgument('readBindV6Only', procRoot);
  return tryReadProcText(procRoot, 'sys/net/ipv6/bindv6only')?.trim() === '1';
}

/** Where ss(8) is looked for (never by PATH: these tools run as root). */
export const SS_PATHS: readonly string[] = ['/usr/bin/ss', '/usr/sbin/ss', '/bin/ss', '/sbin/ss'];
/** How long ss may take, and how much it may print (a line is about 100 bytes; `sport` filters keep it to the ports asked). */
const SS_TIMEOUT_MS = 2000;
const SS_MAX_BYTES = 4 * 1024 * 1024;
/** More ports than this are asked all at once (no filter), rather than in a filter ss would take long to parse. */
const SS_MAX_FILTER_PORTS = 64;

/**
 * Pure: from `ss -6 -lnHe` output (TCP or UDP), each wildcard `::` socket's IPV6_V6ONLY, by inode: true when it is
 * dual-stack (`*:PORT ... v6only:0`), false when v6only (`[::]:PORT ... v6only:1`). A line that does not read as
 * such (no `ino:`, no `v6only:`, a local address that disagrees with the flag) is left out: its socket is not told.
 */
export function parseSsV6Only(text: string): Map<number, boolean> {
  stringArgument('parseSsV6Only', 'text', text, 'the output of ss -6 -lnHe');
  const out = new Map<number, boolean>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 7) continue;
    const local = fields[3]!;
    const wildcard = local.startsWith('*:') ? true : local.startsWith('[::]:') ? false : undefined;
    if (wildcard === undefined) continue;
    let inode: number | undefined;
    let v6only: string | undefined;
    for (const field of fields.slice(5)) {
      if (field.startsWith('ino:') && /^ino:[1-9][0-9]{0,15}$/.test(field)) inode = Number(field.slice(4));
      else if (field.startsWith('v6only:')) v6only = field.slice(7);
    }
    if (inode === undefined || !Number.isSafeInteger(inode) || (v6only !== '0' && v6only !== '1')) continue;
    // `*:PORT` is how ss prints a dual-stack `::` socket: the flag and the address must agree.
    if (wildcard !== (v6only === '0')) continue;
    out.set(inode, wildcard);
  }
  return out;
}

/**
 * Ask the kernel (sock_diag, through ss(8): one run, `timeoutMs` and SS_MAX_BYTES at most) which `::` sockets on
 * `ports` are dual-stack, by inode. Undefined when it cannot be asked: no ss at `executables`, ss failing or too
 * slow, or output that does not read. Only this process's network namespace is asked: the caller's /proc.
 */
export function readKernelV6Only(
  ports: readonly number[],
  transport: Transport = 'tcp',
  executables: readonly string[] = SS_PATHS,
  timeoutMs = SS_TIMEOUT_MS,
): Map<number, boolean> | undefined {
  if (!isArraySafely(ports)) throw new TypeError(`readKernelV6Only: ports must be an array of ports, not ${describeArgument(ports)}`);
  for (let index = 0; index < ports.length; index++) portArgument('readKernelV6Only', ports[index], `ports[${index}]`);
  transportArgument('readKernelV6Only', transport);
  stringListArgument('readKernelV6Only', 'executables', executables);
  integerArgument('readKernelV6Only', 'timeoutMs', timeoutMs, 1, 600_000, 'a number of ms');
  if (ports.length === 0) return new Map();
  const ss = executables.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (ss === undefined) return undefined;
  const filter = ports.length <= SS_MAX_FILTER_PORTS ? [ports.map((port) => `sport = :${port}`).join(' or ')] : [];
  // Required here, not imported at the top: only a host with bindv6only 1 and a `::` listener with no twin pays for it.
  const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  let result: SpawnSyncReturns<string>;
  try {
    result = spawnSync(ss, ['-6', transport === 'udp' ? '-lunHe' : '-ltnHe', ...filter], {
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: SS_MAX_BYTES,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { LC_ALL: 'C' },
    });
  } catch {
    return undefined;
  }
  if (result.error !== undefined || result.status !== 0 || typeof result.stdout !== 'string') return undefined;
  return parseSsV6Only(result.stdout);
}
