// Sockets the kernel's /proc/net tables do not list: a TCP socket that is
// bound but neither listening nor connected lives only in the bind hash, so
// /proc/net/tcp never shows it, yet it makes a server's bind() of its port
// fail. Without sock_diag (netlink, which Node cannot speak), its port cannot
// be read from /proc; what can be found is which processes hold such unlisted
// sockets, and, as root, which of those sockets is bound to the port: perl(1)
// duplicates each one (pidfd_getfd, Linux 5.6) and asks it (getsockname, and
// SIOCGSKNS for its network namespace). A process is never named as holding
// the port from less than that: a socket's namespace is not its process's
// (a process may bind, then move to another network namespace with unshare),
// and any process may hold an unlisted socket on another port.
// One full /proc/*/fd scan: for explaining a failed bind only, never the hot path.
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { portArgument, procRootArgument, stringArgument } from '../arguments.js';
import { MAX_SOCKET_TABLE_BYTES } from '../limits.js';
import { perlExecutable } from './holders-perl.js';
import { readProcText, tryReadProcText } from './system-files.js';
import { decodeIPv4, decodeIPv6 } from './address.js';

const TABLES = ['tcp', 'tcp6', 'udp', 'udp6', 'udplite', 'udplite6', 'raw', 'raw6', 'icmp', 'icmp6', 'unix', 'netlink', 'packet'];

/** Pure: the socket inodes a /proc/net table lists (the `inode` column, wherever the header puts it). */
export function tableInodes(text: string): number[] {
  stringArgument('tableInodes', 'text', text, 'the text of a /proc/net table');
  const lines = text.split('\n');
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  let column = header.indexOf('inode');
  if (column < 0) column = header.indexOf('Inode');
  if (column < 0) return [];
  // tcp/udp headers write `tx_queue rx_queue` and `tr tm->when` as one field each in the rows.
  if (header.includes('tx_queue')) column -= 2;
  const out: number[] = [];
  for (let index = 1; index < lines.length; index++) {
    const fields = lines[index]!.trim().split(/\s+/);
    const inode = Number(fields[column]);
    if (Number.isInteger(inode) && inode > 0) out.push(inode);
  }
  return out;
}

/** The inodes every /proc/net table of `net` (`net`, or `PID/net` for that process's network namespace) lists. */
function listedInodes(procRoot: string, net: string, into: Set<number>): void {
  for (const table of TABLES) {
    try {
      for (const inode of tableInodes(readProcText(procRoot, `${net}/${table}`, MAX_SOCKET_TABLE_BYTES))) into.add(inode);
    } catch {
      // a table this kernel does not have (or one that is no regular file, under a procRoot laid out by hand)
    }
  }
}

/**
 * The sockets no /proc/net table lists, by PID: fd number -> socket inode. A
 * socket listed in the tables of any network namespace a process is in is
 * listed (its namespace's tables are read once, through one of its processes);
 * a process is never left out for being in another namespace than this one: its
 * socket need not be (a process may bind, then unshare its network namespace).
 */
function unlistedSockets(procRoot: string, caller: string): Map<number, Map<number, number>> {
  const listed = new Set<number>();
  listedInodes(procRoot, 'net', listed);
  const seen = new Set<string | undefined>();
  try {
    seen.add(readlinkSync(`${procRoot}/self/ns/net`));
  } catch {
    // not known: each process's namespace is read below, that one included
  }
  const out = new Map<number, Map<number, number>>();
  for (const name of listProcRoot(procRoot, caller)) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${name}/fd`);
    } catch {
      continue;
    }
    let sockets: Map<number, number> | undefined;
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${procRoot}/${name}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith('socket:[')) continue;
      const inode = Number(target.slice(8, -1));
      if (listed.has(inode)) continue;
      // Not in this namespace's tables: read those of its process's namespace, once per namespace.
      let netns: string | undefined;
      try {
        netns = readlinkSync(`${procRoot}/${name}/ns/net`);
      } catch {
        netns = undefined;
      }
      if (netns !== undefined && !seen.has(netns)) {
        seen.add(netns);
        listedInodes(procRoot, `${name}/net`, listed);
        if (listed.has(inode)) continue;
      }
      if (!sockets) out.set(Number(name), (sockets = new Map()));
      sockets.set(Number(fd), inode);
    }
  }
  return out;
}

/** PIDs holding sockets that no /proc/net table lists (bound-only TCP sockets are among them, of any port and any network namespace), with how many. */
export function processesWithUnlistedSockets(procRoot = '/proc'): Map<number, number> {
  procRootArgument('processesWithUnlistedSockets', procRoot);
  return new Map([...unlistedSockets(procRoot, 'processesWithUnlistedSockets')].map(([pid, sockets]) => [pid, sockets.size]));
}

export interface UnlistedHolders {
  /** PIDs proved to hold a TCP socket bound to the port in this network namespace and listed in no table. */
  readonly holders: number[];
  /** How many unlisted sockets could not be examined (not root, no perl, pidfd_getfd refused, a procRoot not /proc): any of them may be the one. */
  readonly unexamined: number;
  /** Each such socket once (by inode), with every holder, its bound address and its SO_REUSEADDR (where they could be read). */
  readonly sockets: readonly UnlistedPortSocket[];
}

/** A TCP socket bound to the port, listed in no table: who holds it, its address (`127.0.0.2`, `::1`) and whether it has SO_REUSEADDR. */
export interface UnlistedPortSocket {
  readonly inode: number;
  readonly pids: readonly number[];
  readonly address?: string;
  readonly reuseAddress?: boolean;
}

/**
 * Argument: the port; on stdin, `PID:FD` pairs (white space between). For each, NUL-separated records:
 * `m PID REUSE HEX` when the fd is a TCP socket (SOCK_STREAM, IPPROTO_TCP, or IPPROTO_MPTCP 262: its
 * subflow sits in TCP's bind table and blocks a bind as one) of
 * perl's own network namespace bound to the port (REUSE: its SO_REUSEADDR, 0,
 * 1 or `-` unread; HEX: its address in network order), `n PID` when it is
 * examined and is not, `e PID ERRNO` when it cannot be examined. Each fd is duplicated into
 * perl with pidfd_getfd (syscall 438 on every architecture, 434 pidfd_open:
 * numbers past 423 are shared), which leaves the process's own fd as it was,
 * and closed again. The socket options are asm-generic's (SOL_SOCKET 1,
 * SO_TYPE 3, SO_PROTOCOL 38: x86, arm, riscv, ...); where they differ, the
 * reads fail and nothing is proved. No module is loaded, and the environment is empty.
 */
const EXAMINE_SCRIPT = `my ($port) = @ARGV;
my @pairs = split(/\\s+/, do { local $/; <STDIN> } // '');
@pairs = grep { $_ ne '' } @pairs;
my $own = (stat('/proc/self/ns/net'))[1];
for my $pair (@pairs) {
  my ($pid, $fd) = split(/:/, $pair);
  my $pidfd = syscall(434, $pid + 0, 0);
  if ($pidfd < 0) { print "e $pid " . ($! + 0) . "\\0"; next; }
  my $copy = syscall(438, $pidfd, $fd + 0, 0);
  my $errno = $! + 0;
  close_fd($pidfd);
  if ($copy < 0) { print "e $pid $errno\\0"; next; }
  my $match = '';
  my $examined = 0;
  if (open(my $sock, '+<&=', $copy)) {
    my $type = getsockopt($sock, 1, 3);
    my $protocol = getsockopt($sock, 1, 38);
    my $reuse = getsockopt($sock, 1, 2);
    my $name = getsockname($sock);
    my $ns = ioctl($sock, 0x894C, 0);
    if (defined $type && defined $protocol && defined $name && length($name) >= 4) {
      $examined = 1;
      my $family = unpack('S', $name);
      my $bound = unpack('n', substr($name, 2, 2));
      if (unpack('i', $type) == 1 && (unpack('i', $protocol) == 6 || unpack('i', $protocol) == 262) && ($family == 2 || $family == 10) && $bound == $port) {
        if (defined $ns && $ns > 0) {
          if ((stat("/proc/self/fd/" . ($ns + 0)))[1] == $own) {
            my $address = $family == 2 ? substr($name, 4, 4) : substr($name, 8, 16);
            $match = (defined $reuse ? (unpack('i', $reuse) ? 1 : 0) : '-') . ' ' . unpack('H*', $address);
          }
          close_fd($ns + 0);
        } else {
          $examined = 0;
        }
      }
    }
    close($sock);
  } else {
    close_fd($copy);
  }
  print $examined ? ($match ne '' ? "m $pid $match\\0" : "n $pid\\0") : "e $pid 0\\0";
}
sub close_fd { open(my $h, '<&=', $_[0]) and close($h); }
close(STDOUT) or exit 1;
`;

/**
 * Which processes hold a TCP socket bound to `port` in this network namespace
 * that no /proc/net table lists (bound, neither listening nor connected): only
 * those proved to, socket by socket (see EXAMINE_SCRIPT), with how many
 * unlisted sockets could not be examined. Needs root (pidfd_getfd asks for
 * the right to ptrace the process) and perl; without them every unlisted
 * socket is unexamined, and no process is named.
 */
export function unlistedSocketHolders(port: number, procRoot = '/proc'): UnlistedHolders {
  portArgument('unlistedSocketHolders', port);
  procRootArgument('unlistedSocketHolders', procRoot);
  const none: UnlistedHolders = { holders: [], unexamined: 0, sockets: [] };
  if (noUnhashedTcpSockets(procRoot)) return none;
  const sockets = unlistedSockets(procRoot, 'unlistedSocketHolders');
  const pairs = [...sockets].flatMap(([pid, fds]) => [...fds].map(([fd, inode]) => ({ pid, fd, inode })));
  const perl = procRoot === '/proc' ? perlExecutable() : undefined;
  if (pairs.length === 0 || perl === undefined) return { ...none, unexamined: pairs.length };
  // The pairs on stdin: as arguments, 100k sockets on a machine made spawn fail (E2BIG), and every one unexamined.
  const run = spawnSync(perl, ['-e', EXAMINE_SCRIPT, String(port)], {
    input: pairs.map(({ pid, fd }) => `${pid}:${fd}`).join('\n'),
    encoding: 'latin1',
    env: {},
    timeout: 10_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const records = run.status === 0 && typeof run.stdout === 'string' ? run.stdout.split('\0').filter((record) => record !== '') : [];
  if (records.length !== pairs.length) return { ...none, unexamined: pairs.length };
  const holders = new Set<number>();
  const byInode = new Map<number, { inode: number; pids: number[]; address?: string; reuseAddress?: boolean }>();
  let unexamined = 0;
  records.forEach((record, index) => {
    const [kind, pid, reuse, hex] = record.split(' ');
    if (kind !== 'm') {
      if (kind !== 'n') unexamined++;
      return;
    }
    holders.add(Number(pid));
    const { inode } = pairs[index]!;
    const seen = byInode.get(inode);
    if (seen) {
      if (!seen.pids.includes(Number(pid))) seen.pids.push(Number(pid));
      return;
    }
    const address = hex?.length === 8 ? decodeIPv4(hex, false) : hex?.length === 32 ? decodeIPv6(hex, false) : undefined;
    byInode.set(inode, {
      inode,
      pids: [Number(pid)],
      ...(address !== undefined && { address }),
      ...((reuse === '0' || reuse === '1') && { reuseAddress: reuse === '1' }),
    });
  });
  return { holders: [...holders], unexamined, sockets: [...byInode.values()] };
}

/**
 * Pure: whether /proc/net/sockstat's `TCP:` line proves that no TCP socket is
 * out of the tables: `alloc` counts every TCP socket (of every network
 * namespace), `inuse` those of this one in the listening and connection hash
 * tables (with sockstat6's `TCP6: inuse` for IPv6). A bound socket that neither listens nor connects is only in the
 * bind hash, so with `alloc <= inuse` there is none (a socket just made, or
 * one of another namespace, only costs the scan). False when the line cannot
 * be read or parsed.
 */
export function sockstatRulesOutUnlistedTcp(sockstat: string, sockstat6 = ''): boolean {
  stringArgument('sockstatRulesOutUnlistedTcp', 'sockstat', sockstat, 'the text of /proc/net/sockstat');
  stringArgument('sockstatRulesOutUnlistedTcp', 'sockstat6', sockstat6, 'the text of /proc/net/sockstat6');
  const tcp = /^TCP: inuse (\d+) orphan \d+ tw \d+ alloc (\d+)/m.exec(sockstat);
  // `alloc` counts IPv6 sockets too; their `inuse` is sockstat6's TCP6 line.
  const tcp6 = /^TCP6: inuse (\d+)/m.exec(sockstat6);
  return tcp !== null && Number(tcp[2]) <= Number(tcp[1]) + Number(tcp6?.[1] ?? 0);
}

/** The full scan costs about 10 ms on a quiet machine, growing with processes: one small read spares it where sockstat allows. */
function noUnhashedTcpSockets(procRoot: string): boolean {
  try {
    // No sockstat6: a kernel without IPv6.
    const sockstat6 = tryReadProcText(procRoot, 'net/sockstat6', 64 * 1024) ?? '';
    return sockstatRulesOutUnlistedTcp(readProcText(procRoot, 'net/sockstat', 64 * 1024), sockstat6);
  } catch {
    return false;
  }
}

/** The entries of procRoot; one that cannot be listed is an error naming it and what to do, not a bare `ENOENT: scandir`. */
function listProcRoot(procRoot: string, caller: string): string[] {
  try {
    return readdirSync(procRoot);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const why =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `${code === 'ENOENT' ? 'no such directory' : 'not a directory'}: give where /proc is mounted`
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : String((error as Error | undefined)?.message ?? error).slice(0, 200);
    throw Object.assign(new Error(`${caller}: cannot list procRoot ${JSON.stringify(procRoot)}: ${why}`, { cause: error }), { code });
  }
}
