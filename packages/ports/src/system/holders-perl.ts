// The /proc/*/fd scan run by perl(1) children, two at once. The scan is one
// readlink per fd: kernel time to which each Node call adds about 1.5 µs of
// its own (4.1 against 2.6 µs for C's readlink, measured here), and a worker
// thread takes about as long to start as Node itself. Perl's readlink is a
// thin wrapper over the system call and perl starts in a few milliseconds:
// on a machine of 1,300 processes and 36,000 fds, two perls read every fd
// in about half the time of Node's one thread (110 against 220 ms here).
// perl-base is Essential in Debian; where there is no perl, the scan runs in
// Node (holders.ts).
//
// perl only reads and reports: each fd directory's size, each socket link,
// and each directory or link it could not read. Every process it could not
// read completely is scanned again by scanPids here, so an unreadable
// process is judged by the same code either way, never from perl's word.
// Output it cannot account for, or a perl that fails, leaves its processes
// to scanPids too.
import type { ChildProcess, spawn as Spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { scanPids, type PartialScan } from './holders.js';

/** Where perl(1) is looked for: never through PATH (claim-port runs as root). */
export const PERL_PATHS: readonly string[] = Object.freeze(['/usr/bin/perl', '/bin/perl']);

/** At most this many PIDs on one perl's command line (about 8 bytes each: well inside ARG_MAX). */
const MAX_PIDS_PER_CHILD = 50_000;

/**
 * Arguments: the proc root, how many processes read at once (1 or 2), then
 * PIDs. With 2, perl forks (a fork of perl is far cheaper than a second spawn
 * from Node) and the child writes to fd 3. The two take chunks of PIDs from
 * one queue, a pipe filled before the fork, so they finish together however
 * the CPU is shared between them and the caller: a fixed split (every other
 * chunk) left one perl reading alone for 5-10 ms of a 1,300-process scan,
 * and the queue made claim-port's lookup there about 5% faster (30
 * interleaved runs). The queue is one write of at most 2,048 two-byte chunk
 * numbers, so it fits the smallest pipe (one page) and never blocks; chunks
 * are 8 PIDs, more past 16,384 PIDs. Without a pipe or a fork, one process
 * reads every chunk.
 * For each PID, NUL-separated records: `s PID socket:[INODE] FD` for each
 * socket, with the first fd read on it (what unlistedSocketHolders asks
 * perl to duplicate), once however many of its fds are on it (any user can dup one
 * socket into 20,000 fds per process: a record per fd made 50 MB for Node to
 * split out of 100 such processes), `r PID FD` for each io_uring fd (see
 * scanRings in holders.ts), then `d PID COUNT` once every fd of its
 * directory was read, or `e PID ERRNO` where the directory or a link could
 * not be read (it stops reading that process). chdir into each directory: a
 * relative readlink skips the path walk through /proc (about an eighth of
 * the kernel's time). The loop allocates nothing per fd beyond the link and
 * a hash entry per socket (no grep over the listing, rindex rather than
 * substr, `.` and `..` skipped by their first byte): a third of perl's time
 * was its own, and this cut a scan of 1,300 processes by 11% (30
 * interleaved runs). No module is loaded, and the
 * environment is empty (no PERL5OPT, PERL5LIB or locale).
 */
export const SCAN_SCRIPT = `my ($proc, $ways, @pids) = @ARGV;
my $size = 8;
$size = int((@pids + 2047) / 2048) if @pids > 2048 * $size;
my $chunks = int((@pids + $size - 1) / $size);
my ($queue, $feed, $child);
if ($ways == 2 && pipe($queue, $feed)) {
  my $written = syswrite($feed, pack('n*', 0 .. $chunks - 1));
  close($feed);
  if (defined $written && $written == 2 * $chunks) {
    $child = fork();
    if (defined $child && $child == 0) { open(STDOUT, '>&=', 3) or exit 1 }
  } else { close($queue); undef $queue }
}
scan();
if ($child) { waitpid($child, 0); exit($? == 0 ? 0 : 1) }
exit 0;
sub scan {
  binmode STDOUT;
  my $next = 0;
  CHUNK: while (1) {
    my $chunk;
    if ($queue) { my $record; last CHUNK unless (sysread($queue, $record, 2) // 0) == 2; $chunk = unpack('n', $record) }
    else { last CHUNK if $next >= $chunks; $chunk = $next++ }
    my $end = ($chunk + 1) * $size;
    $end = @pids if $end > @pids;
    PID: for my $index ($chunk * $size .. $end - 1) {
      my $pid = $pids[$index];
      my $h;
      unless (chdir("$proc/$pid/fd") && opendir($h, '.')) { print "e\\0$pid\\0", $! + 0, "\\0"; next PID }
      my @fds = readdir($h);
      closedir($h);
      my $count = 0;
      my %seen;
      for my $fd (@fds) {
        next if ord($fd) == 46;
        $count++;
        my $link = readlink($fd);
        unless (defined $link) { print "e\\0$pid\\0", $! + 0, "\\0"; next PID }
        if (rindex($link, 'socket:', 0) == 0) { print "s\\0$pid\\0$link $fd\\0" unless $seen{$link}++ }
        elsif ($link eq 'anon_inode:[io_uring]') { print "r\\0$pid\\0$fd\\0" }
      }
      print "d\\0$pid\\0$count\\0";
    }
  }
  chdir('/');
  close(STDOUT) or exit 1;
}
`;

/** The first of `paths` that can be run, or undefined. */
export function perlExecutable(paths: readonly string[] = PERL_PATHS): string | undefined {
  for (const path of paths) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  return undefined;
}

/** What one perl run found, for the PIDs it read completely, and the PIDs left to scanPids. */
export interface ChildScan {
  readonly scan: PartialScan;
  readonly recheck: readonly number[];
}

/**
 * Pure: a scan child's stdout for `pids`, as a PartialScan. A PID with an `e`
 * record, or with no `d` record, is left to `recheck` (and its records are
 * dropped), and so is every PID when the output does not parse, and every
 * one of `reread` (see finishPerlScan).
 */
export function readChildOutput(
  pids: readonly number[],
  stdout: string,
  wanted: ReadonlyMap<string, number>,
  links = false,
  reread: ReadonlySet<number> = new Set(),
): ChildScan {
  const everything: ChildScan = { scan: { found: [], unreadable: [], empty: [], ...(links && { links: [] }) }, recheck: pids };
  const fields = stdout.split('\0');
  if (fields.pop() !== '' || fields.length % 3 !== 0) return everything; // cut short
  const asked = new Set(pids);
  const listed = new Set<number>();
  const recheck = new Set<number>();
  const found: number[] = [];
  const empty: number[] = [];
  const linked: number[] = [];
  const rings: number[] = [];
  for (let index = 0; index < fields.length; index += 3) {
    const kind = fields[index];
    const pid = Number(fields[index + 1]);
    const value = fields[index + 2]!;
    if (!asked.has(pid) || String(pid) !== fields[index + 1]) return everything;
    if (kind === 'd' && /^\d+$/.test(value)) {
      listed.add(pid);
      if (value === '0') empty.push(pid);
    } else if (kind === 's') {
      const space = value.lastIndexOf(' ');
      const fd = value.slice(space + 1);
      if (space < 0 || !/^\d+$/.test(fd)) return everything;
      const link = value.slice(0, space);
      const inode = wanted.get(link);
      if (inode !== undefined) found.push(pid, inode);
      if (links) linked.push(pid, Number(link.slice(8, -1)), Number(fd));
    } else if (kind === 'r' && /^\d+$/.test(value)) rings.push(pid, Number(value));
    else if (kind === 'e') recheck.add(pid);
    else return everything;
  }
  for (const pid of pids) if (!listed.has(pid) || reread.has(pid)) recheck.add(pid);
  const kept: number[] = [];
  for (let index = 0; index < found.length; index += 2) if (!recheck.has(found[index]!)) kept.push(found[index]!, found[index + 1]!);
  const keptLinks: number[] = [];
  for (let index = 0; index < linked.length; index += 3)
    if (!recheck.has(linked[index]!)) keptLinks.push(linked[index]!, linked[index + 1]!, linked[index + 2]!);
  const keptRings: number[] = [];
  for (let index = 0; index < rings.length; index += 2) if (!recheck.has(rings[index]!)) keptRings.push(rings[index]!, rings[index + 1]!);
  return {
    scan: {
      found: kept,
      unreadable: [],
      empty: empty.filter((pid) => !recheck.has(pid)),
      ...(links && { links: keptLinks }),
      ...(keptRings.length > 0 && { rings: keptRings }),
    },
    recheck: [...recheck],
  };
}

/** What one perl wrote (stdout, then its fork's fd 3), or undefined when it could not be started, failed, or wrote to stderr. */
function runChild(
  spawn: typeof Spawn,
  perl: string,
  proc: string,
  ways: 1 | 2,
  pids: readonly number[],
  running: Set<ChildProcess>,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const forked: Buffer[] = [];
    let complaint = false;
    let child: ChildProcess;
    try {
      // -f: no sitecustomize.pl either; with the empty environment, perl runs the script and nothing else.
      child = spawn(perl, ['-f', '-e', SCAN_SCRIPT, '--', proc, String(ways), ...pids.map(String)], {
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        env: {},
      });
    } catch {
      resolve(undefined);
      return;
    }
    running.add(child);
    child.once('error', () => {
      running.delete(child);
      resolve(undefined);
    });
    // No pipes when the process is out of descriptors (EMFILE, or ENFILE: the machine's table is full): spawn()
    // returns a child without them and says why in 'error' (above) a moment later. The Node scan reads everything.
    const [stdout, stderr, fork] = [child.stdout, child.stderr, child.stdio?.[3] as NodeJS.ReadableStream | null | undefined];
    if (!stdout || !stderr || !fork) {
      running.delete(child);
      resolve(undefined);
      return;
    }
    stdout.on('data', (chunk: Buffer) => out.push(chunk));
    fork.on('data', (chunk: Buffer) => forked.push(chunk));
    stderr.on('data', () => (complaint = true));
    child.once('close', (code, signal) => {
      running.delete(child);
      const each = [Buffer.concat(out).toString('latin1'), Buffer.concat(forked).toString('latin1')];
      // Each stream is whole records or nothing: joined, they parse as one.
      resolve(code === 0 && signal === null && !complaint ? each.join('') : undefined);
    });
  });
}

/** perl children started by startPerlScan: their output, once they are done, and a way to stop them. */
export interface PerlScanRun {
  /** What each share of the PIDs (MAX_PIDS_PER_CHILD at most) made perl write, undefined where it failed. */
  readonly outputs: Promise<readonly { share: readonly number[]; stdout: string | undefined }[]>;
  /** Stop the children (this call's own, by their handles) and drop their output: the scan is not wanted after all. */
  cancel(): void;
}

/**
 * Start perl on `pids`, in `ways` processes at once (sharing chunks of PIDs
 * through a queue, see SCAN_SCRIPT). perl reports every socket link, so the
 * sockets to look for may be decided while it reads (finishPerlScan).
 */
export function startPerlScan(pids: readonly number[], proc: string, perl: string, ways: 1 | 2): PerlScanRun {
  // Required here, not imported at the top: a run on a quiet machine never starts a child. Synchronously,
  // not by import(): the children start within the caller's call, so a caller's own work that follows
  // (the socket table, the health check's registry and files) runs while they read.
  const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  // perl changes directory as it goes: a relative root would not hold.
  const root = resolve(proc);
  const running = new Set<ChildProcess>();
  let cancelled = false;
  const run = async () => {
    const outputs: { share: readonly number[]; stdout: string | undefined }[] = [];
    for (let start = 0; start < pids.length && !cancelled; start += MAX_PIDS_PER_CHILD) {
      const share = pids.slice(start, start + MAX_PIDS_PER_CHILD);
      outputs.push({ share, stdout: await runChild(spawn, perl, root, ways, share, running) });
    }
    return outputs;
  };
  return {
    outputs: run(),
    cancel() {
      cancelled = true;
      for (const child of running) {
        // The streams too: a forked second perl holds fd 3 open after its parent is stopped.
        for (const stream of child.stdio) stream?.destroy();
        child.kill();
      }
    },
  };
}

/**
 * What perl found for the sockets in `wanted` (with `links`, every socket link too); what it left (a process it
 * could not read completely, a child that failed) is scanned by scanPids
 * here. `read` is false when perl read nothing (scanPids read every PID).
 * This process is read here too, once perl is done, whatever perl read of
 * it: while perl read, it held its ends of perl's stdio (Node's pipes to a
 * child are socketpairs), closed since. Taken from perl as this process's
 * sockets, they were in no /proc/net table by the time unlistedSocketHolders
 * read them, and its perl found their fds closed: a claim said "3 sockets
 * out of the kernel's tables could not be examined (their processes exited
 * or closed them meanwhile)" wherever TCP's sockstat could not rule such
 * sockets out (a TCP socket in another network namespace is enough).
 */
export async function finishPerlScan(
  run: PerlScanRun,
  wanted: ReadonlyMap<string, number>,
  proc: string,
  links = false,
): Promise<{ parts: PartialScan[]; read: boolean }> {
  const parts: PartialScan[] = [];
  let read = false;
  const recheck: number[] = [];
  const own = new Set([process.pid]);
  for (const { share, stdout } of await run.outputs) {
    if (stdout === undefined) {
      recheck.push(...share);
      continue;
    }
    const result = readChildOutput(share, stdout, wanted, links, own);
    parts.push(result.scan);
    recheck.push(...result.recheck);
    read ||= result.recheck.length < share.length;
  }
  if (recheck.length > 0) parts.push(scanPids(recheck, wanted, proc, links));
  return { parts, read };
}
