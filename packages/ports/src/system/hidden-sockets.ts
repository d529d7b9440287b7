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
// The work is per socket, not per fd: a socket dup'd into a million fds (any
// user can) is one examination, through one of its holders' fds (another
// holder's when that one cannot be examined), and perl checks that the fd it
// duplicated is still that socket (its inode) before it asks it anything;
// every process holding the socket is then named.
// One full /proc/*/fd scan: for explaining a failed bind only, never the hot
// path; or none, where the caller's holder scan kept every socket link it read
// (ScanOptions.socketLinks): a second pass over a million dup'd fds doubled a
// claim's time. Either way the tables are read now, per namespace, and perl
// proves each socket now.
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { describeArgument, portArgument, procRootArgument, stringArgument } from '../arguments.js';
import { MAX_SOCKET_TABLE_BYTES } from '../limits.js';
import { perlExecutable } from './holders-perl.js';
import { readProcText, tryReadProcText } from './system-files.js';
import { decodeIPv4, decodeIPv6 } from './address.js';
import { scanSocketHolders, type SocketLinks } from './holders.js';

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
 * The sockets no /proc/net table lists, by inode: each process holding one,
 * with the first of its fds on it (PID -> fd; a process's other fds on that
 * socket add nothing). A socket listed in the tables of any network namespace
 * a process is in is listed (its namespace's tables are read once, through one
 * of its processes; each process's namespace is read once, at its first socket
 * no table read so far lists); a process is never left out for being in
 * another namespace than this one: its socket need not be (a process may
 * bind, then unshare its network namespace). The sockets each process holds
 * are read from `links` when given (a holder scan's), else from every /proc/PID/fd.
 */
function unlistedSockets(procRoot: string, caller: string, links?: SocketLinks): Map<number, Map<number, number>> {
  const listed = new Set<number>();
  listedInodes(procRoot, 'net', listed);
  const seen = new Set<string | undefined>();
  try {
    seen.add(readlinkSync(`${procRoot}/self/ns/net`));
  } catch {
    // not known: each process's namespace is read below, that one included
  }
  const out = new Map<number, Map<number, number>>();
  for (const [pid, sockets] of links ? linksByProcess(links) : fdSockets(procRoot, caller)) {
    const name = String(pid);
    let namespaceRead = false;
    for (const [fd, inode] of sockets) {
      if (listed.has(inode)) continue;
      const holders = out.get(inode);
      if (holders?.has(pid)) continue;
      // Not in the tables read so far: read those of its process's namespace, once per namespace.
      if (!namespaceRead) {
        namespaceRead = true;
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
      }
      if (holders) holders.set(pid, fd);
      else out.set(inode, new Map([[pid, fd]]));
    }
  }
  // A socket a later namespace's tables list was taken for unlisted by the processes read before it.
  for (const inode of out.keys()) if (listed.has(inode)) out.delete(inode);
  return out;
}

/** Each process under procRoot with its socket fds, [fd, inode], read as they are asked for. */
function* fdSockets(procRoot: string, caller: string): Generator<[number, Generator<[number, number]>]> {
  for (const name of listProcRoot(procRoot, caller)) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${name}/fd`);
    } catch {
      continue;
    }
    yield [Number(name), linksOf(`${procRoot}/${name}/fd`, fds)];
  }
}

function* linksOf(dir: string, fds: readonly string[]): Generator<[number, number]> {
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`${dir}/${fd}`);
    } catch {
      continue;
    }
    if (target.startsWith('socket:[')) yield [Number(fd), Number(target.slice(8, -1))];
  }
}

/** Pure: a holder scan's links (inode -> PID -> fd) by process: PID -> [fd, inode] of each socket it holds. */
function linksByProcess(links: SocketLinks): Map<number, [number, number][]> {
  const out = new Map<number, [number, number][]>();
  for (const [inode, holders] of links) {
    for (const [pid, fd] of holders) {
      const sockets = out.get(pid);
      if (sockets) sockets.push([fd, inode]);
      else out.set(pid, [[fd, inode]]);
    }
  }
  return out;
}

/** PIDs holding sockets that no /proc/net table lists (bound-only TCP sockets are among them, of any port and any network namespace), with how many (sockets, not fds). */
export function processesWithUnlistedSockets(procRoot = '/proc'): Map<number, number> {
  procRootArgument('processesWithUnlistedSockets', procRoot);
  const out = new Map<number, number>();
  for (const holders of unlistedSockets(procRoot, 'processesWithUnlistedSockets').values()) {
    for (const pid of holders.keys()) out.set(pid, (out.get(pid) ?? 0) + 1);
  }
  return out;
}

export interface UnlistedHolders {
  /** PIDs proved to hold a TCP socket bound to the port in this network namespace and listed in no table. */
  readonly holders: number[];
  /** How many unlisted sockets (each once, however many fds it has) could not be examined: any of them may be the one. */
  readonly unexamined: number;
  /** Why they could not be (each reason once; empty when every one was examined). */
  readonly unexaminedBecause: readonly UnexaminedReason[];
  /** Each such socket once (by inode), with every holder, its bound address and its SO_REUSEADDR (where they could be read). */
  readonly sockets: readonly UnlistedPortSocket[];
}

/**
 * Why an unlisted socket was not examined: `not-proc` (procRoot is not
 * /proc), `no-perl` (no /usr/bin/perl or /bin/perl), `timed-out` (perl took
 * longer than EXAMINE_TIMEOUT_MS: the sockets it had not reached), `perl-failed`
 * (it could not be run, failed, or wrote what cannot be read),
 * `not-permitted` (pidfd_open or pidfd_getfd refused: not root), `gone` (each
 * holder exited, or its fd is no longer that socket), `unreadable` (the
 * duplicated socket's type, protocol, address or namespace could not be read).
 */
export type UnexaminedReason = 'not-proc' | 'no-perl' | 'timed-out' | 'perl-failed' | 'not-permitted' | 'gone' | 'unreadable';

/** A TCP socket bound to the port, listed in no table: who holds it, its address (`127.0.0.2`, `::1`) and whether it has SO_REUSEADDR. */
export interface UnlistedPortSocket {
  readonly inode: number;
  readonly pids: readonly number[];
  readonly address?: string;
  readonly reuseAddress?: boolean;
}

/** How long perl may take to examine the unlisted sockets; those it has not reached by then are `timed-out`. */
export const EXAMINE_TIMEOUT_MS = 10_000;

/**
 * Argument: the port; on stdin, one line per socket: `INODE PID:FD PID:FD ...`
 * (a holder and its fd on it, in the order to try). Each candidate's fd is
 * duplicated into perl with pidfd_getfd (syscall 438 on every architecture,
 * 434 pidfd_open: numbers past 423 are shared), which leaves the process's
 * own fd as it was; the copy is examined only if it is that socket (its
 * inode: the fd may have been closed, and reused, since the scan read it),
 * else the next candidate is tried. One NUL-terminated record per line:
 * `m INODE REUSE HEX` when it is a TCP socket (SOCK_STREAM, IPPROTO_TCP, or
 * IPPROTO_MPTCP 262: its subflow sits in TCP's bind table and blocks a bind
 * as one) of perl's own network namespace bound to the port (REUSE: its
 * SO_REUSEADDR, 0, 1 or `-` unread; HEX: its address in network order), `n
 * INODE` when it is examined and is not (an unnamed Unix socket too, a
 * socketpair's: its name is the family alone, 2 bytes; such a socket made in
 * another network namespace, a container's stdio, is in none of the tables
 * read), `e INODE ERRNO` when no candidate
 * could be examined (the last one's errno: EBADF for a copy that is another
 * socket, 0 for options that could not be read). Every fd perl gets (the
 * pidfd, the copy, the namespace SIOCGSKNS returns, asked only of a socket
 * bound to the port) is closed again: one kept per socket ran perl out of
 * fds after RLIMIT_NOFILE sockets, and every socket after that went
 * unexamined. The socket options are asm-generic's (SOL_SOCKET 1, SO_TYPE 3,
 * SO_PROTOCOL 38: x86, arm, riscv, ...); where they differ, the reads fail
 * and nothing is proved. No module is loaded, and the environment is empty.
 */
const EXAMINE_SCRIPT = `my ($port) = @ARGV;
my $own = (stat('/proc/self/ns/net'))[1];
my $errno = 0;
while (my $line = <STDIN>) {
  my ($inode, @candidates) = split(' ', $line);
  next unless defined $inode;
  my $record;
  for my $candidate (@candidates) {
    my ($pid, $fd) = split(/:/, $candidate);
    $record = examine($pid + 0, $fd + 0, $inode + 0);
    last if defined $record;
  }
  print defined $record ? "$record\\0" : "e $inode $errno\\0";
}
close(STDOUT) or exit 1;
sub examine {
  my ($pid, $fd, $inode) = @_;
  my $pidfd = syscall(434, $pid, 0);
  if ($pidfd < 0) { $errno = $! + 0; return undef; }
  my $copy = syscall(438, $pidfd, $fd, 0);
  $errno = $! + 0;
  close_fd($pidfd);
  return undef if $copy < 0;
  my $sock;
  unless (open($sock, '+<&=', $copy)) { close_fd($copy); $errno = 0; return undef; }
  if (((stat($sock))[1] // -1) != $inode) { close($sock); $errno = 9; return undef; }
  my $record;
  my $type = getsockopt($sock, 1, 3);
  my $protocol = getsockopt($sock, 1, 38);
  my $reuse = getsockopt($sock, 1, 2);
  my $name = getsockname($sock);
  if (defined $type && defined $protocol && defined $name && length($name) >= 2) {
    my $family = unpack('S', $name);
    my $inet = $family == 2 || $family == 10;
    $record = "n $inode" unless $inet && length($name) < 4;
    if ($inet && defined $record && unpack('i', $type) == 1 && (unpack('i', $protocol) == 6 || unpack('i', $protocol) == 262) && unpack('n', substr($name, 2, 2)) == $port) {
      my $ns = ioctl($sock, 0x894C, 0);
      if (defined $ns && $ns > 0) {
        if ((stat("/proc/self/fd/" . ($ns + 0)))[1] == $own) {
          my $address = $family == 2 ? substr($name, 4, 4) : substr($name, 8, 16);
          $record = "m $inode " . (defined $reuse ? (unpack('i', $reuse) ? 1 : 0) : '-') . ' ' . unpack('H*', $address);
        }
        close_fd($ns + 0);
      } else {
        $record = undef;
      }
    }
  }
  $errno = 0 unless defined $record;
  close($sock);
  return $record;
}
sub close_fd { open(my $h, '<&=', $_[0]) and close($h); }
`;

/** Pure: perl's input for `sockets` (inode -> PID -> fd, as unlistedSockets reads them): one line per socket, each holder once. */
export function examinationInput(sockets: ReadonlyMap<number, ReadonlyMap<number, number>>): string {
  let input = '';
  for (const [inode, holders] of sockets) {
    input += String(inode);
    for (const [pid, fd] of holders) input += ` ${pid}:${fd}`;
    input += '\n';
  }
  return input;
}

/**
 * Pure: perl's records for the sockets `inodes` (in the order they were
 * given): one per socket, in that order, as far as they go (a perl stopped
 * at its time limit wrote only the first); undefined when they do not
 * parse, and nothing is taken from them.
 */
export function readExamination(stdout: string, inodes: readonly number[]): string[][] | undefined {
  const records = stdout.split('\0');
  records.pop(); // the end of the last whole record, or one cut short
  if (records.length > inodes.length) return undefined;
  const out: string[][] = [];
  for (const [index, record] of records.entries()) {
    const fields = record.split(' ');
    const [kind, inode] = fields;
    const whole = kind === 'm' ? fields.length === 4 : kind === 'n' ? fields.length === 2 : kind === 'e' && fields.length === 3;
    if (!whole || inode !== String(inodes[index])) return undefined;
    out.push(fields);
  }
  return out;
}

/** Pure: why perl could not examine a socket, by the errno of its `e` record. */
function reasonOf(errno: string | undefined): UnexaminedReason {
  if (errno === '1' || errno === '13') return 'not-permitted';
  // ESRCH: the process exited; EBADF: the fd was closed, or is another socket now.
  if (errno === '3' || errno === '9') return 'gone';
  return 'unreadable';
}

/**
 * perl's records (EXAMINE_SCRIPT) for `sockets` (inode -> PID -> fd: each
 * socket once, its holders tried in that order), one per socket as far as perl
 * got: all of them unless it timed out (`timed-out`: the first only) or failed
 * (`perl-failed`: none).
 */
export function examineSockets(
  port: number,
  sockets: ReadonlyMap<number, ReadonlyMap<number, number>>,
  perl: string,
): { records: string[][]; failure?: 'timed-out' | 'perl-failed' } {
  const inodes = [...sockets.keys()];
  // On stdin: as arguments, 100k sockets on a machine made spawn fail (E2BIG), and every one unexamined.
  const run = spawnSync(perl, ['-e', EXAMINE_SCRIPT, String(port)], {
    input: examinationInput(sockets),
    encoding: 'latin1',
    env: {},
    timeout: EXAMINE_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  const timedOut = (run.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  const records = (run.status === 0 || timedOut) && typeof run.stdout === 'string' ? readExamination(run.stdout, inodes) : undefined;
  if (records === undefined || (!timedOut && records.length < inodes.length)) return { records: [], failure: 'perl-failed' };
  return timedOut ? { records, failure: 'timed-out' } : { records };
}

/**
 * Which processes hold a TCP socket bound to `port` in this network namespace
 * that no /proc/net table lists (bound, neither listening nor connected): only
 * those proved to, socket by socket (see EXAMINE_SCRIPT), with how many
 * unlisted sockets could not be examined and why. Needs root (pidfd_getfd asks
 * for the right to ptrace the process) and perl; without them every unlisted
 * socket is unexamined, and no process is named. `socketLinks`: what a holder
 * scan of every process under procRoot just read (HolderScan.socketLinks),
 * taken instead of reading every fd table again; a socket opened since is not
 * seen, one closed since is found `gone` by perl.
 */
export function unlistedSocketHolders(port: number, procRoot = '/proc', socketLinks?: SocketLinks): UnlistedHolders {
  portArgument('unlistedSocketHolders', port);
  procRootArgument('unlistedSocketHolders', procRoot);
  if (socketLinks !== undefined && !(socketLinks instanceof Map))
    throw new TypeError(
      `unlistedSocketHolders: socketLinks must be a holder scan's socketLinks (a Map of inode to PID to fd) or left out, not ${describeArgument(socketLinks)}`,
    );
  const none: UnlistedHolders = { holders: [], unexamined: 0, unexaminedBecause: [], sockets: [] };
  if (noUnhashedTcpSockets(procRoot)) return none;
  const sockets = unlistedSockets(procRoot, 'unlistedSocketHolders', socketLinks);
  if (sockets.size === 0) return none;
  const unexamined = (reason: UnexaminedReason): UnlistedHolders => ({ ...none, unexamined: sockets.size, unexaminedBecause: [reason] });
  if (procRoot !== '/proc') return unexamined('not-proc');
  const perl = perlExecutable();
  if (perl === undefined) return unexamined('no-perl');
  const first = examineSockets(port, sockets, perl);
  if (first.failure === 'perl-failed') return unexamined(first.failure);
  const { records, failure, holdersNow } = examineGoneAgain(port, first, sockets, procRoot, perl);
  const holders = new Set<number>();
  const found: UnlistedPortSocket[] = [];
  const reasons = new Set<UnexaminedReason>();
  for (const [kind, inode, reuseOrErrno, hex] of records) {
    if (kind === 'e') reasons.add(reasonOf(reuseOrErrno));
    if (kind !== 'm') continue;
    // Proved through one holder's fd: the socket is that inode, and every process with an fd on it holds it.
    const pids = [...(holdersNow.get(Number(inode)) ?? sockets.get(Number(inode))!).keys()].sort((a, b) => a - b);
    for (const pid of pids) holders.add(pid);
    const address = hex?.length === 8 ? decodeIPv4(hex, false) : hex?.length === 32 ? decodeIPv6(hex, false) : undefined;
    found.push({
      inode: Number(inode),
      pids,
      ...(address !== undefined && { address }),
      ...((reuseOrErrno === '0' || reuseOrErrno === '1') && { reuseAddress: reuseOrErrno === '1' }),
    });
  }
  if (failure === 'timed-out') reasons.add(failure);
  const failed = records.filter(([kind]) => kind === 'e').length + sockets.size - records.length;
  return { holders: [...holders], unexamined: failed, unexaminedBecause: [...reasons], sockets: found };
}

/**
 * The sockets every holder of which exited or closed its fd before perl reached it (`gone`) are closed, unless a
 * process they passed to since holds them (a child forked after the scan, then its parent exited): every fd table
 * is read once more for those inodes alone, and each one still held is examined through its holders now; the
 * others are closed, and can keep no server from binding (counted as examined, not as "may be bound"). Without
 * this, a host where any process opened and closed sockets during the scan (in any network namespace) had each
 * claim warn of sockets that "may be bound to the port". `holdersNow`: the holders of those found again.
 */
function examineGoneAgain(
  port: number,
  first: { records: string[][]; failure?: 'timed-out' | 'perl-failed' },
  sockets: ReadonlyMap<number, ReadonlyMap<number, number>>,
  procRoot: string,
  perl: string,
): { records: string[][]; failure?: 'timed-out' | 'perl-failed'; holdersNow: ReadonlyMap<number, ReadonlyMap<number, number>> } {
  const gone = first.records.filter(([kind, , errno]) => kind === 'e' && reasonOf(errno) === 'gone').map(([, inode]) => Number(inode));
  if (gone.length === 0) return { ...first, holdersNow: new Map() };
  let links: SocketLinks | undefined;
  try {
    links = scanSocketHolders(gone, { procRoot, socketLinks: true }).socketLinks;
  } catch {
    return { ...first, holdersNow: new Map() }; // not read again: still `gone`, as perl found them
  }
  const holdersNow = new Map<number, ReadonlyMap<number, number>>();
  for (const inode of gone) {
    const held = links?.get(inode);
    if (held !== undefined && held.size > 0 && sockets.has(inode)) holdersNow.set(inode, held);
  }
  const again = holdersNow.size === 0 ? undefined : examineSockets(port, holdersNow, perl);
  const byInode = new Map((again?.records ?? []).map((record) => [record[1], record]));
  const records = first.records.map((record) => {
    const [kind, inode, errno] = record;
    if (kind !== 'e' || reasonOf(errno) !== 'gone') return record;
    if (!holdersNow.has(Number(inode))) return ['n', inode!]; // closed: held by no process now
    // Found again but not examined (perl failed or timed out the second time): as unexamined as before.
    return byInode.get(inode!) ?? record;
  });
  return { records, ...(first.failure !== undefined && { failure: first.failure }), holdersNow };
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

/**
 * The SO_REUSEADDR of each of the TCP sockets `sockets` (inode -> PID -> fd: a holder scan's socket links) bound to
 * `port` in this network namespace (listeners too), read as the unlisted ones are (see EXAMINE_SCRIPT: root and
 * perl): by inode, only those read; empty where none could be (not root, no perl, perl failed).
 */
export function socketReuseAddress(port: number, sockets: SocketLinks): ReadonlyMap<number, boolean> {
  portArgument('socketReuseAddress', port);
  const out = new Map<number, boolean>();
  const perl = perlExecutable();
  if (perl === undefined || sockets.size === 0) return out;
  for (const [kind, inode, reuse] of examineSockets(port, sockets, perl).records)
    if (kind === 'm' && (reuse === '0' || reuse === '1')) out.set(Number(inode), reuse === '1');
  return out;
}
