// How sockets out of the kernel's tables that could not be examined are named:
// sockets (not fds), why they were not examined, and never "held by no
// process" (processes hold them; none is proved to hold the port).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { guardPort, hasCommand, leasePort, spawnListener, waitUntil } from '../../../test-support/index.js';
import { tempDir } from '../../../test-support/tree.js';
import { readPortSockets, readProcessInfo, type Listener, type PortSocket } from '@dsa110/ports/system';
import { describeBlockers, describeUnexamined, endingAdvice, endingLeftMs, endsByItselfMs, timeWaitsAfterClaim } from '../src/blockers.js';
import { shownCommand } from '../src/plan.js';
import { BIN } from './helpers.js';
import { adopt, cleanupStarted, start } from './started.js';

type Listening = Awaited<ReturnType<typeof spawnListener>>;
const spawned: Listening[] = [];

describe('describeUnexamined', () => {
  it('counts sockets and says why they could not be examined, naming no holder and no absent one', () => {
    const blocker = { socket: describeUnexamined(100, ['timed-out']), holders: [], unexamined: true };
    expect(describeBlockers({ ok: false, blockers: [blocker] }, 0)).toBe(
      "100 sockets out of the kernel's tables could not be examined (the examination timed out), and one of them may be bound to the port",
    );
    expect(describeUnexamined(1, ['not-permitted', 'gone'])).toBe(
      "1 socket out of the kernel's tables could not be examined (pidfd_getfd was not permitted; their processes exited or closed them meanwhile), and it may be bound to the port",
    );
    expect(describeUnexamined(2, ['no-perl'])).toBe(
      "2 sockets out of the kernel's tables could not be examined (there is no /usr/bin/perl or /bin/perl to examine them), and one of them may be bound to the port",
    );
  });
});

describe('endsByItselfMs: how long a connection keeps a server off the port once no process holds it (step 5 and step 8 alike)', () => {
  const unasked = () => {
    throw new Error('asked for');
  };
  /**
   * When the kernel ends an orphan (no holder, no TIME_WAIT timer) by its timer row `retransmit`, tcp_orphan_retries
   * `retries`, tcp_rto_max_ms `rtoMaxMs` (this host's where not given) and tcp_retries2 `retries2` (its default where
   * not given, whatever this host's); tcp_fin_timeout is not asked.
   */
  const orphanEndsMs = (state: string, retransmit: PortSocket['retransmit'], retries: number, rtoMaxMs?: number, retries2 = 15) =>
    endsByItselfMs(
      state,
      false,
      undefined,
      unasked,
      retransmit,
      () => retries,
      rtoMaxMs === undefined ? undefined : () => rtoMaxMs,
      () => retries2,
    );
  /** `ms`, once it is at least `least` and below `below`: the span of what the kernel's timers did on a real host. */
  const within = (ms: number | undefined, least: number, below: number): number => {
    expect(ms).toBeGreaterThanOrEqual(least);
    expect(ms).toBeLessThan(below);
    return ms!;
  };

  it('a TIME_WAIT and an orphan FIN_WAIT2 for the time their row has left (else 60 s, tcp_fin_timeout); an open or unacknowledged one for the longer of the two; LAST_ACK and one in the accept queue, never', () => {
    const fin = () => 90_000;
    expect(endsByItselfMs('TIME_WAIT', false, 41_000, fin)).toBe(41_000);
    expect(endsByItselfMs('TIME_WAIT', false, undefined, () => 3000)).toBe(60_000);
    expect(endsByItselfMs('FIN_WAIT2', false, 2690, fin)).toBe(2690);
    expect(endsByItselfMs('FIN_WAIT2', false, undefined, () => 3000)).toBe(3000);
    for (const state of ['FIN_WAIT1', 'CLOSING']) {
      expect(endsByItselfMs(state, false, undefined, fin)).toBe(90_000);
      expect(endsByItselfMs(state, false, undefined, () => 3000)).toBe(60_000);
    }
    for (const state of ['ESTABLISHED', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSING']) expect(endsByItselfMs(state, true, undefined, fin)).toBe(90_000);
    for (const state of ['ESTABLISHED', 'SYN_RECV', 'CLOSE_WAIT', 'LAST_ACK']) expect(endsByItselfMs(state, false, undefined, fin)).toBeUndefined();
    expect(endsByItselfMs('CLOSE_WAIT', true, undefined, fin)).toBeUndefined();
    // tcp_fin_timeout is asked for only where it bears on the time (the file is read then, not for every claim).
    const unasked = () => {
      throw new Error('tcp_fin_timeout asked for');
    };
    expect(endsByItselfMs('TIME_WAIT', false, 41_000, unasked)).toBe(41_000);
    expect(endsByItselfMs('FIN_WAIT2', false, 2690, unasked)).toBe(2690);
    for (const state of ['ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK']) expect(endsByItselfMs(state, false, undefined, unasked)).toBeUndefined();
  });

  it("an orphan resending a FIN its peer has not acknowledged: until tcp_orphan_retries ends it, by the kernel's schedule (RTO doubling, a time budget from the first resend)", () => {
    const fin = () => 60_000;
    // Rows captured as a server's FIN to a peer that drops it was resent: once (RTO 400 ms, 290 ms to the next resend),
    // and 4 times (RTO 3.26 s, 2.96 s to the next). tcp_orphan_retries 0 (the default: 8 resends, a budget of 102.2 s
    // from the first; the real ones ended 104 to 108 s after the close), and 3 (a budget of 3 s: it ended 6.17 to 6.69 s after
    // the first row, 3.07 to 3.59 s after the second, sampled every 0.5 s).
    const once = { count: 1, leftMs: 290, rtoMs: 400 };
    const fourTimes = { count: 4, leftMs: 2960, rtoMs: 3260 };
    const byDefault = within(orphanEndsMs('FIN_WAIT1', once, 0), 103_500, 120_000);
    within(orphanEndsMs('LAST_ACK', once, 3), 6_170, 8_000);
    const later = within(orphanEndsMs('LAST_ACK', fourTimes, 3), 3_070, 4_000);
    // Whatever tcp_fin_timeout says: the peer has not answered a resend, and the kernel's schedule ends it.
    for (const state of ['FIN_WAIT1', 'CLOSING']) expect(orphanEndsMs(state, fourTimes, 3)).toBe(later);
    // Not resent yet (its peer may acknowledge it at once): as before, tcp_orphan_retries unread.
    expect(endsByItselfMs('FIN_WAIT1', false, undefined, fin, { count: 0, leftMs: 200, rtoMs: 200 }, unasked)).toBe(60_000);
    expect(endsByItselfMs('LAST_ACK', false, undefined, fin, { count: 0, leftMs: 200, rtoMs: 200 }, unasked)).toBeUndefined();
    // Held by a process, resent or not: the usual close, tcp_orphan_retries unread. A row resending before the stop says
    // nothing of the peer after it (a live peer whose ACKs were lost a moment: the kernel let a bind through 62 s after).
    for (const state of ['ESTABLISHED', 'FIN_WAIT1', 'CLOSING', 'SYN_RECV']) expect(endsByItselfMs(state, true, undefined, fin, once, unasked)).toBe(60_000);
    expect(endsByItselfMs('ESTABLISHED', true, undefined, fin, { count: 0, leftMs: 200, rtoMs: 200 }, unasked)).toBe(60_000);
    expect(endsByItselfMs('LAST_ACK', true, undefined, fin, once, unasked)).toBeUndefined();
    expect(endsByItselfMs('TIME_WAIT', false, 41_000, fin, undefined, unasked)).toBe(41_000);
    // Step 8 alike: a blocker that keeps its row's timer.
    const blocker = {
      socket: '127.0.0.1:18216 -> 127.0.0.1:45450 (FIN_WAIT1, a connection using the port as its local port)',
      holders: [],
      state: 'FIN_WAIT1',
      orphan: true,
      retransmit: once,
    };
    expect(endingLeftMs([blocker], fin, () => 0)).toBe(byDefault);
    // net.ipv4.tcp_rto_max_ms (Linux 6.15+) 1000: the RTO stops at 1 s, no longer "alive" there, and tcp_orphan_retries
    // 0 is then none: the real one ended 3.0 s after the close (2.7 s after such a row), not 104 to 108 s.
    const capped = within(orphanEndsMs('FIN_WAIT1', once, 0, 1000), 2_300, 4_000);
    expect(
      endingLeftMs(
        [blocker],
        fin,
        () => 0,
        () => 1000,
      ),
    ).toBe(capped);
  });

  it("an orphan whose peer, alive, reads nothing (its zero-window probe timer, 04): until tcp_orphan_retries ends it, by the probes' backoff", () => {
    const fin = () => 60_000;
    // Rows captured as a server closed a connection whose client's receive window was full: probed, never resent
    // (retrnsmt 0), RTO 200 ms. tcp_orphan_retries 0: the real one ended 341 s after the close (backoff from 200 ms
    // up to 120 s, given up at the probe after 102.4 s: 324.6 s and the timers' lateness); with tcp_rto_max_ms 1000,
    // 2.6 s after; with that and tcp_orphan_retries 5, 4.7 s after.
    const fresh = { count: 0, leftMs: 160, rtoMs: 200, probe: true };
    const byDefault = within(orphanEndsMs('FIN_WAIT1', fresh, 0, 120_000), 341_000, 370_000);
    within(orphanEndsMs('FIN_WAIT1', fresh, 0, 1000), 2_600, 3_500);
    within(orphanEndsMs('LAST_ACK', fresh, 5, 1000), 4_700, 5_500);
    // Later in its backoff (a probe 90 s away: 9 doublings at least, an interval of 102.4 s): that probe, and one more
    // interval of 120 s, then the firing that ends it.
    within(orphanEndsMs('FIN_WAIT1', { ...fresh, leftMs: 90_000 }, 0, 120_000), 90_000 + 120_000, 250_000);
    // tcp_orphan_retries above tcp_retries2 (15, the backoff's most): never ended while its peer answers; nor is a
    // timer longer than tcp_rto_max_ms (the socket was made under another).
    expect(orphanEndsMs('FIN_WAIT1', fresh, 20, 120_000)).toBeUndefined();
    expect(orphanEndsMs('FIN_WAIT1', { ...fresh, leftMs: 5_000 }, 0, 1000)).toBeUndefined();
    // tcp_retries2 stops the backoff (tcp_send_probe0): below the backoff that ends it, never ended (5 here: from 200 ms
    // the RTO reaches 120 s at 10); at or above it, the same schedule. Read only for a probed row.
    for (const state of ['FIN_WAIT1', 'CLOSING']) {
      expect(orphanEndsMs(state, fresh, 0, 120_000, 5)).toBeUndefined();
      expect(orphanEndsMs(state, fresh, 0, 120_000, 10)).toBe(byDefault);
    }
    expect(orphanEndsMs('FIN_WAIT1', fresh, 0, 1000, 2)).toBeUndefined();
    expect(orphanEndsMs('FIN_WAIT1', fresh, 20, 120_000, 20)).toBeGreaterThan(byDefault);
    expect(endsByItselfMs('TIME_WAIT', false, 41_000, fin, undefined, unasked, unasked, unasked)).toBe(41_000);
    // Kept for good by the backoff (tcp_retries2 5), but its probes unanswered (a local drop, or a peer gone): until
    // icsk_probes_out reaches 8 (tcp_orphan_retries 0), each at most 6.4 s apart (the kernel ended it 35 s after).
    // One unanswered is the probe in flight that a peer that answers has not answered yet: for good, as before.
    expect(orphanEndsMs('FIN_WAIT1', { ...fresh, unanswered: 2 }, 0, 120_000, 5)).toBe(Math.ceil(160 + (6 * 6_400 * 71) / 63));
    expect(orphanEndsMs('FIN_WAIT1', { ...fresh, unanswered: 1 }, 0, 120_000, 5)).toBeUndefined();
    expect(orphanEndsMs('FIN_WAIT1', { ...fresh, unanswered: 9 }, 20, 120_000, 15)).toBe(Math.ceil(160 + (11 * 120_000 * 71) / 63));
    // Ended by its backoff anyway: the schedule as before.
    expect(orphanEndsMs('FIN_WAIT1', { ...fresh, unanswered: 2 }, 0, 120_000)).toBe(byDefault);
    // Held by a process whose row is probed: the usual close, none of the settings read. Timer 04 is also what a local
    // firewall's drop of the holder's packets runs against a peer that reads everything (the kernel let a bind through
    // 60 s after).
    expect(endsByItselfMs('ESTABLISHED', true, undefined, fin, fresh, unasked, unasked, unasked)).toBe(60_000);
    // One not probed nor resent is the usual close: tcp_orphan_retries unread.
    expect(endsByItselfMs('ESTABLISHED', true, undefined, fin, undefined, unasked, unasked, unasked)).toBe(60_000);
  });

  it('endingAdvice says whose peers keep them, agreeing with how many of them: all, or some of them', () => {
    const at = (n: number) => `127.0.0.1:8000 -> 127.0.0.1:${40_000 + n} (FIN_WAIT1, a connection using the port as its local port)`;
    const resending = (n: number) => ({ socket: at(n), holders: [], state: 'FIN_WAIT1', orphan: true, retransmit: { count: 1, leftMs: 400, rtoMs: 400 } });
    const probing = (n: number) => ({
      socket: at(n),
      holders: [],
      state: 'FIN_WAIT1',
      orphan: true,
      retransmit: { count: 0, leftMs: 400, rtoMs: 200, probe: true },
    });
    const timeWait = { socket: '127.0.0.1:8000 -> 127.0.0.1:39999 (TIME_WAIT)', holders: [], state: 'TIME_WAIT', orphan: true, timeWaitLeftMs: 5000 };
    const why = (blockers: Parameters<typeof endingAdvice>[0]) => /\(for 116 s more: (.*)\) and claim/.exec(endingAdvice(blockers, 'port 8000', 116_000))?.[1];
    const resends = 'which the kernel resends until net.ipv4.tcp_orphan_retries gives up';
    expect(why([resending(1)])).toBe(`its peer has not acknowledged its FIN, ${resends}`);
    expect(why([resending(1), resending(2)])).toBe(`their peers have not acknowledged their FINs, ${resends}`);
    expect(why([resending(1), timeWait])).toBe(`the peer of one of them has not acknowledged its FIN, ${resends}`);
    expect(why([resending(1), resending(2), timeWait])).toBe(`the peers of 2 of them have not acknowledged their FINs, ${resends}`);
    expect(why([probing(1)])).toBe(
      'its peer has not read what it was sent (a full receive window), which the kernel probes until net.ipv4.tcp_orphan_retries gives up',
    );
    // Probes gone unanswered (two or more: one is the probe in flight) say nothing of a full receive window.
    const silent = (n: number, unanswered: number) => ({ ...probing(n), retransmit: { ...probing(n).retransmit, unanswered } });
    const dropped = '(the peer or the path gone, or the packets dropped), which the kernel sends until net.ipv4.tcp_orphan_retries gives up';
    expect(why([silent(1, 3)])).toBe(`its peer has not answered 3 probes in a row ${dropped}`);
    expect(why([silent(1, 1)])).toBe(why([probing(1)]));
    expect(why([silent(1, 2), silent(2, 5), probing(3)])).toBe(
      `the peer of one of them has not read what it was sent (a full receive window), which the kernel probes; the peers of 2 of them have not answered 2 to 5 probes in a row each ${dropped}`,
    );
    expect(why([probing(1), probing(2), resending(3)])).toBe(
      'the peer of one of them has not acknowledged its FIN, which the kernel resends; the peers of 2 of them have not read what they were sent (a full receive window), which the kernel probes until net.ipv4.tcp_orphan_retries gives up',
    );
  });

  it('step 8 waits only where every blocker is such a connection held by no process (its peer may be held: an idle client)', () => {
    const finWait2 = {
      socket: '127.0.0.1:18210 -> 127.0.0.1:45450 (FIN_WAIT2, a connection using the port as its local port)',
      holders: [],
      timeWaitLeftMs: 58_000,
      state: 'FIN_WAIT2',
      orphan: true,
      peer: {
        socket: '127.0.0.1:45450 (CLOSE_WAIT)',
        holders: [{ pid: 20951, comm: 'python3', command: 'python3 idlecli.py', argv: ['python3', 'idlecli.py'] }],
      },
    };
    const timeWait = {
      socket: '127.0.0.1:18210 -> 127.0.0.1:45452 (TIME_WAIT, a connection using the port as its local port)',
      holders: [],
      timeWaitLeftMs: 12_000,
      state: 'TIME_WAIT',
      orphan: true,
    };
    expect(endingLeftMs([finWait2, timeWait], () => 60_000)).toBe(58_000);
    expect(endingLeftMs([{ ...finWait2, timeWaitLeftMs: undefined }], () => 60_000)).toBe(60_000);
    const held = {
      socket: '127.0.0.1:18210 -> 127.0.0.1:45454 (ESTABLISHED, a connection using the port as its local port)',
      holders: finWait2.peer.holders,
      state: 'ESTABLISHED',
      orphan: false,
    };
    expect(endingLeftMs([timeWait, held], () => 60_000)).toBeUndefined();
    // A FIN_WAIT2 a process holds that this user cannot see (no holder named, inode not 0): tcp_fin_timeout ends orphans only.
    expect(endingLeftMs([{ ...finWait2, timeWaitLeftMs: undefined, orphan: false }], () => 60_000)).toBeUndefined();
    expect(endingLeftMs([{ socket: '127.0.0.1:18210 bound, not listening', holders: [] }], () => 60_000)).toBeUndefined();
    expect(endingLeftMs([], () => 60_000)).toBeUndefined();
  });
});

const root = process.getuid?.() === 0;
const missing = ['strace', 'unshare', 'nsenter'].filter((command) => !hasCommand(command, ['-V']));
const cannotTrace = !root ? 'not root' : missing.length > 0 ? `${missing.join(', ')} not installed` : undefined;
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const listenerChild = (name: string) => fileURLToPath(new URL(`../../../test-support/${name}`, import.meta.url));

/**
 * PID 1 of a PID namespace with a /proc of its own: after the port, its arguments come in threes (a program, a listener
 * child script of test-support, its JSON options); it starts each, waits for its ready line, prints them on one line with
 * the port (their PIDs are the namespace's, so no top-level `pid` for start() to take for a host PID), then sleeps.
 */
const initScript = `set -e
port=$1; shift
lines=()
while [ $# -gt 0 ]; do
  exec {out}< <(exec "$1" "$2" "$3")
  read -r line <&"$out" && [[ $line == *'"ready"'* ]] || { echo "listener failed: $line" >&2; exit 1; }
  lines+=("$line")
  shift 3
done
printf '{"port":%s,"listeners":[%s]}\\n' "$port" "$(IFS=,; echo "\${lines[*]}")"
while :; do sleep 3600; done`;

/** The host PID of the process under `ancestor` (a host PID) that is `inner` in its own PID namespace (NSpid's last field). */
function hostPidOf(ancestor: number, inner: number): number {
  const tree = new Map<number, { ppid: number; nspid: number[] }>();
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      tree.set(Number(name), { ppid: Number(/^PPid:\s+(\d+)/m.exec(status)![1]), nspid: /^NSpid:(.*)$/m.exec(status)![1]!.trim().split(/\s+/).map(Number) });
    } catch {}
  }
  const under = (pid: number): boolean => pid > 1 && (tree.get(pid)?.ppid === ancestor || under(tree.get(pid)?.ppid ?? 0));
  const found = [...tree].find(([pid, { nspid }]) => nspid.length > 1 && nspid.at(-1) === inner && under(pid));
  if (!found) throw new Error(`no process under PID ${ancestor} is PID ${inner} of its namespace`);
  return found[0];
}

/**
 * A listener (the server) and a decoy holding sockets no table lists (unbound: /proc/net/sockstat counts them, so the
 * search runs), each in many fds, in a PID namespace of their own with its own /proc; the network namespace is the
 * test's, so the test can connect to the server. Every process on the machine is scanned, and a socket one closes
 * between the holder scan and perl's look at it is read again, on purpose (examineGoneAgain): here the machine is the
 * namespace, and nothing in it closes a socket. Its host PIDs are recorded with the guard; cleanupStarted kills it.
 */
async function serverAndDecoyInPidNamespace(attempt = 1): Promise<{ port: number; initPid: number; server: number; decoy: number }> {
  const [port, decoyPort] = [leasePort(), leasePort()];
  const starting = start([
    'unshare',
    '--pid',
    '--fork',
    '--mount-proc',
    '--kill-child',
    'bash',
    '-c',
    initScript,
    'bash',
    String(port),
    // The server accepts (node): an accepted connection has a file, an inode, a holder.
    process.execPath,
    listenerChild('listener-child.mjs'),
    JSON.stringify({ host: '127.0.0.1', port, role: 'listener' }),
    python,
    listenerChild('listener-child.py'),
    JSON.stringify({ host: '127.0.0.1', port: decoyPort, bindOnly: true, unboundSockets: 2, dups: 500 }),
  ]);
  // A leased port something outside the lease holds (as spawnListener does): other ones.
  const init = await starting.catch((error: unknown) => {
    if (attempt >= 10 || !/EADDRINUSE|Address already in use/.test(String(error))) throw error;
    return undefined;
  });
  if (init === undefined) return serverAndDecoyInPidNamespace(attempt + 1);
  const [server, decoy] = (init.first.listeners as { pid: number }[]).map((listener) => listener.pid) as [number, number];
  const initPid = hostPidOf(init.child.pid!, 1);
  for (const inner of [server, decoy]) adopt(init, hostPidOf(init.child.pid!, inner));
  guardPort(port);
  return { port, initPid, server, decoy };
}

/**
 * How many times a dry-run claim of `port`, run in the PID namespace of host PID `initPid` under strace, read the fd
 * table of `decoy` (a PID there): once, or twice where the claim reads every table twice.
 */
function fdTableReads(initPid: number, port: number, server: number, decoy: number): number {
  const trace = join(tempDir('one-scan-'), 'trace');
  const run = spawnSync(
    'nsenter',
    [
      '-t',
      String(initPid),
      '--pid',
      '--mount',
      'strace',
      '-f',
      '-qq',
      '-e',
      'trace=openat,chdir',
      '-o',
      trace,
      process.execPath,
      BIN,
      String(port),
      '--dry-run',
      '--json',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ action: 'would-free', holders: [expect.objectContaining({ pid: server })] });
  // Node opens the directory (readdir), perl enters it (chdir): either way, once per scan.
  return (readFileSync(trace, 'utf8').match(new RegExp(`(openat\\(AT_FDCWD, |chdir\\()"/proc/${decoy}/fd"`, 'g')) ?? []).length;
}

describe.skipIf(cannotTrace !== undefined)(`the sockets out of the tables, in a claim of a held port${cannotTrace ? ` [skipped: ${cannotTrace}]` : ''}`, () => {
  afterEach(cleanupStarted);

  it("reads each process's fd table once: the holder scan's links serve the search for them (a second pass over 2 million dup'd fds doubled a claim's time)", async () => {
    const { port, initPid, server, decoy } = await serverAndDecoyInPidNamespace();
    expect(fdTableReads(initPid, port, server, decoy)).toBe(1);
  });

  it("reads each process's fd table once where the port has connections too: the holder scan's links name their holders", async () => {
    const { port, initPid, server, decoy } = await serverAndDecoyInPidNamespace();
    // A client of the server, outside the namespace (out of the scan): the connection the server accepted is on the port, held by it.
    const client = await new Promise<Socket>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket)).on('error', reject);
    });
    try {
      expect(await waitUntil(() => readPortSockets(port, 'tcp').some((socket) => socket.state === 'ESTABLISHED' && socket.inode !== 0))).toBe(true);
      expect(fdTableReads(initPid, port, server, decoy)).toBe(1);
    } finally {
      client.destroy();
    }
  });
});

const cannotTraceBin = !root ? 'not root' : !hasCommand('strace', ['-V']) ? 'strace not installed' : undefined;

/**
 * How many times a dry-run claim of `port` (with `--timeout 90`: a forecast of 60 s fits), run under strace, opened
 * net.ipv4.tcp_fin_timeout, tcp_orphan_retries and tcp_rto_max_ms.
 */
function kernelSettingReads(port: number): { finTimeout: number; orphanRetries: number; rtoMax: number } {
  guardPort(port);
  const trace = join(tempDir('fin-timeout-'), 'trace');
  const run = spawnSync(
    'strace',
    ['-f', '-qq', '-e', 'trace=openat', '-o', trace, process.execPath, BIN, String(port), '--dry-run', '--json', '--timeout', '90'],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  expect(run.status, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ action: 'would-free' });
  const text = readFileSync(trace, 'utf8');
  return {
    finTimeout: (text.match(/"\/proc\/sys\/net\/ipv4\/tcp_fin_timeout"/g) ?? []).length,
    orphanRetries: (text.match(/"\/proc\/sys\/net\/ipv4\/tcp_orphan_retries"/g) ?? []).length,
    rtoMax: (text.match(/"\/proc\/sys\/net\/ipv4\/tcp_rto_max_ms"/g) ?? []).length,
  };
}

/** A server on 127.0.0.1:`port` made without SO_REUSEADDR that accepts each connection and holds it open. */
const bareHoldingServer = (port: number) =>
  start([
    '/usr/bin/python3',
    '-c',
    `import json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(8)
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
held = []
while True:
    c, _ = s.accept(); held.append(c)`,
  ]);

/** Once the port has a connection its server holds (its row has an inode). */
const heldConnection = async (port: number) => {
  const client = connect(port, '127.0.0.1');
  client.on('error', () => {});
  await new Promise((resolve) => client.on('connect', resolve));
  expect(await waitUntil(() => readPortSockets(port, 'tcp').some((socket) => socket.state === 'ESTABLISHED' && socket.inode !== 0))).toBe(true);
  return client;
};

describe.skipIf(cannotTraceBin !== undefined)(
  `net.ipv4.tcp_fin_timeout, tcp_orphan_retries and tcp_rto_max_ms, in a claim of a held port${cannotTraceBin ? ` [skipped: ${cannotTraceBin}]` : ''}`,
  () => {
    // The bare servers started here run until killed: every one is stopped after its test.
    afterEach(cleanupStarted);

    it('is not read where no connection is on the port (nothing there lasts by it)', async () => {
      const server = await spawnListener();
      expect(kernelSettingReads(server.port)).toEqual({ finTimeout: 0, orphanRetries: 0, rtoMax: 0 });
    });

    it("is not read where the port's connections are a listener's with SO_REUSEADDR (no forecast needs their time)", async () => {
      // Node's listeners have SO_REUSEADDR (libuv sets it): the TIME_WAITs they leave block no server.
      const server = await spawnListener();
      const client = await heldConnection(server.port);
      try {
        expect(kernelSettingReads(server.port)).toEqual({ finTimeout: 0, orphanRetries: 0, rtoMax: 0 });
      } finally {
        client.destroy();
      }
    });

    it('is read once where a connection of a listener without SO_REUSEADDR would close first when its holder goes (the forecast of step 5 needs it)', async () => {
      const port = leasePort();
      await bareHoldingServer(port);
      const client = await heldConnection(port);
      try {
        // tcp_orphan_retries and tcp_rto_max_ms: only for an orphan resending its FIN, or probing (timewait.test.ts
        // reads each once for one).
        expect(kernelSettingReads(port)).toEqual({ finTimeout: 1, orphanRetries: 0, rtoMax: 0 });
      } finally {
        client.destroy();
      }
    });
  },
);

describe('timeWaitsAfterClaim', () => {
  // A listener being freed, and rows of the port's table as a claim read them before any signal.
  const listener = (inode: number, address = '127.0.0.1'): Listener => ({
    address,
    family: 'IPv4',
    port: 8000,
    inode,
    uid: 0,
    dualStack: false,
    holders: [],
    ownerKnown: true,
  });
  const timeWait = (leftMs: number): PortSocket => ({
    address: '127.0.0.1',
    family: 'IPv4',
    port: 8000,
    inode: 0,
    uid: 0,
    transport: 'tcp',
    state: 'TIME_WAIT',
    remote: '127.0.0.1:41234',
    timeWaitLeftMs: leftMs,
  });

  it("foretells from the rows it is given, reading no socket table again (each read walks the kernel's whole connection hash)", () => {
    // A tree with no net/tcp: a read of the tables would find nothing here.
    const empty = tempDir('no-tables-');
    const after = timeWaitsAfterClaim(8000, [timeWait(42_000)], [listener(11)], new Set([4242]), () => new Map([[11, false]]), empty);
    expect(after).toEqual({
      timeWaits: 1,
      connections: 0,
      closed: 0,
      waitMs: 42_000,
      listeners: ['127.0.0.1:8000'],
      blockers: [
        {
          socket: '127.0.0.1:8000 -> 127.0.0.1:41234 (TIME_WAIT, a connection using the port as its local port)',
          holders: [],
          timeWaitLeftMs: 42_000,
          state: 'TIME_WAIT',
          orphan: true,
        },
      ],
    });
  });

  it("counts a TIME_WAIT that a listener with SO_REUSEADDR (or one not read) shares the address of as shared, not in the wait: it may be that one's", () => {
    const empty = tempDir('no-tables-');
    // A SO_REUSEPORT group on 127.0.0.1:8000: 11 without SO_REUSEADDR, 12 with it (or not read); 13, bare, elsewhere.
    for (const [read, unread] of [
      [
        new Map([
          [11, false],
          [12, true],
          [13, false],
        ]),
        false,
      ],
      [
        new Map([
          [11, false],
          [13, false],
        ]),
        true,
      ],
    ] as const) {
      expect(timeWaitsAfterClaim(8000, [timeWait(30_000)], [listener(11), listener(12), listener(13, '127.0.0.2')], new Set(), () => read, empty)).toEqual({
        timeWaits: 0,
        connections: 0,
        closed: 0,
        waitMs: 0,
        listeners: ['127.0.0.1:8000', '127.0.0.2:8000'],
        blockers: [],
        // Only the listener whose address it overlaps is named with it.
        shared: {
          timeWaits: 1,
          connections: 0,
          waitMs: 30_000,
          listeners: ['127.0.0.1:8000'],
          unread,
          blockers: [
            {
              socket: '127.0.0.1:8000 -> 127.0.0.1:41234 (TIME_WAIT, a connection using the port as its local port)',
              holders: [],
              timeWaitLeftMs: 30_000,
              state: 'TIME_WAIT',
              orphan: true,
            },
          ],
        },
      });
    }
    // Every listener there without it: theirs, named once.
    expect(
      timeWaitsAfterClaim(
        8000,
        [timeWait(30_000)],
        [listener(11), listener(12)],
        new Set(),
        () =>
          new Map([
            [11, false],
            [12, false],
          ]),
        empty,
      ),
    ).toMatchObject({
      timeWaits: 1,
      waitMs: 30_000,
      listeners: ['127.0.0.1:8000'],
    });
  });

  it('counts a TIME_WAIT that overlaps only a bare listener as certain, whatever a listener with SO_REUSEADDR elsewhere has', () => {
    const empty = tempDir('no-tables-');
    const after = timeWaitsAfterClaim(
      8000,
      [timeWait(30_000)],
      [listener(11), listener(12, '127.0.0.2')],
      new Set(),
      () =>
        new Map([
          [11, false],
          [12, true],
        ]),
      empty,
    );
    expect(after).toMatchObject({ timeWaits: 1, connections: 0, waitMs: 30_000, listeners: ['127.0.0.1:8000'] });
    expect(after?.shared).toBeUndefined();
  });

  it('counts a connection no process holds only where its server has closed it (FIN_WAIT1, FIN_WAIT2, CLOSING), and none in CLOSE_WAIT', () => {
    const empty = tempDir('no-tables-');
    const row = (state: string, inode: number): PortSocket => ({ ...timeWait(0), state, inode, timeWaitLeftMs: undefined });
    const after = (state: string, inode = 0) => timeWaitsAfterClaim(8000, [row(state, inode)], [listener(11)], new Set(), () => new Map([[11, false]]), empty);
    // Still in the accept queue (the kernel resets it when the listener closes: no TIME_WAIT).
    for (const state of ['ESTABLISHED', 'SYN_RECV', 'CLOSE_WAIT']) expect(after(state), state).toBeUndefined();
    // An orphan the server closed first: its TIME_WAIT comes.
    for (const state of ['FIN_WAIT1', 'FIN_WAIT2', 'CLOSING']) expect(after(state), state).toMatchObject({ connections: 1, closed: 1, waitMs: 60_000 });
    // One a process holds: closed first when it goes; in CLOSE_WAIT its peer closed first (LAST_ACK, no TIME_WAIT).
    expect(after('ESTABLISHED', 77)).toMatchObject({ connections: 1, closed: 0, waitMs: 60_000 });
    expect(after('CLOSE_WAIT', 77)).toBeUndefined();
  });

  it('sets apart an orphan the kernel would probe for good (forGood), certain or shared alike, out of the wait', () => {
    const empty = tempDir('no-tables-');
    const probed = (inode: number, state = 'FIN_WAIT1'): PortSocket => ({
      ...timeWait(0),
      state,
      inode,
      timeWaitLeftMs: undefined,
      retransmit: { count: 0, leftMs: 160, rtoMs: 200, probe: true },
    });
    const settings = [() => 60_000, () => 20, () => 120_000, () => 15] as const;
    const forGood = (rows: PortSocket[], listeners: Listener[], read: ReadonlyMap<number, boolean>) =>
      timeWaitsAfterClaim(8000, rows, listeners, new Set(), () => read, empty, undefined, ...settings);
    const why =
      'the kernel gives up on it only at a probe backoff of 20 (net.ipv4.tcp_orphan_retries 20, tcp_rto_max_ms 120000), and net.ipv4.tcp_retries2 stops the backoff at 15';
    expect(forGood([probed(0), timeWait(30_000)], [listener(11)], new Map([[11, false]]))).toMatchObject({
      timeWaits: 1,
      connections: 0,
      waitMs: 30_000,
      forGood: { why, shared: false, listeners: ['127.0.0.1:8000'] },
    });
    // Held, probed: the usual close once it is stopped (60 s), not probed for good.
    const held = forGood([probed(77, 'ESTABLISHED')], [listener(11)], new Map([[11, false]]));
    expect(held).toMatchObject({ connections: 1, waitMs: 60_000 });
    expect(held?.forGood).toBeUndefined();
    // A listener with SO_REUSEADDR shares the address (SO_REUSEPORT): it may be that one's, which a bind passes.
    const shared = forGood(
      [probed(0)],
      [listener(11), listener(12)],
      new Map([
        [11, false],
        [12, true],
      ]),
    );
    expect(shared).toMatchObject({ timeWaits: 0, connections: 0, forGood: { shared: true, listeners: ['127.0.0.1:8000'] } });
    expect(shared?.shared).toBeUndefined();
    // With tcp_orphan_retries that ends it, no forGood: the wait, as before.
    const ends = timeWaitsAfterClaim(
      8000,
      [probed(0)],
      [listener(11)],
      new Set(),
      () => new Map([[11, false]]),
      empty,
      undefined,
      () => 60_000,
      () => 0,
      () => 120_000,
      () => 15,
    );
    expect(ends?.forGood).toBeUndefined();
    expect(ends?.probing).toBe(1);
    expect(ends?.waitMs).toBeGreaterThan(300_000);
  });
});

describe('a process that blocks the bind, in the refusal', () => {
  afterEach(async () => {
    for (const listener of spawned.splice(0)) await listener.kill();
  });

  it("is shown with its arguments quoted, as a holder's line shows them (an argument with a space is one word)", async () => {
    const server = await spawnListener();
    // Bound on ::1, never listening: it keeps a wildcard bind off the port. Its argv's last word (the JSON options) holds a space.
    const blocker = await spawnListener({ host: '::1', port: server.port, bindOnly: true, name: 'bound only' });
    spawned.push(server, blocker);
    guardPort(server.port);
    const info = readProcessInfo(blocker.pid);
    expect(info?.argv.at(-1)).toContain(' ');
    const run = spawnSync(process.execPath, [BIN, String(server.port), '--dry-run'], { encoding: 'utf8' });
    const refusal = `${run.stdout}${run.stderr}`.split('\n').find((line) => line.includes(`PID ${blocker.pid} (`)) ?? '';
    expect(refusal).toContain(`: ${shownCommand(info!, 1000)}`);
    expect(refusal).toContain(` '${info!.argv.at(-1)}'`);
  });
});
