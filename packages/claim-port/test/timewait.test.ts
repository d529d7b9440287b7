// TIME_WAITs of a server made without SO_REUSEADDR: Linux refuses a bind of
// the port (even with SO_REUSEADDR) while one is there, for up to 60 s. A
// claim foretells them before any signal (as root: the listener's
// SO_REUSEADDR is read with perl and pidfd_getfd), refuses when they would
// outlast its timeout, and waits for them when they would not. Real
// processes on loopback; the TIME_WAITs are made by connections the test
// opens itself, which the server closes first.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canBindSync, readPortSockets } from '@dsa110/ports/system';
import { afterEach, describe, expect, it } from 'vitest';
import { hasCommand, isAlive, leasePort, signal, waitForExit, waitUntil } from '../../../test-support/index.js';
import { resultJson } from '../src/result.js';
import { canRunFirewallNetns, runNetnsScript } from '../../../test-support/firewall-netns.js';
import { tempDir } from '../../../test-support/tree.js';
import { binFor } from './helpers.js';
import { cleanupStarted, claimOurs, start } from './started.js';

afterEach(cleanupStarted);

const root = process.getuid?.() === 0;
/** This namespace's net.ipv4.tcp_fin_timeout, in seconds (how long an orphan's FIN_WAIT2 lasts). */
const finTimeout = Number(readFileSync('/proc/sys/net/ipv4/tcp_fin_timeout', 'utf8'));
const python = '/usr/bin/python3';
/**
 * Whole seconds since `started` (performance.now()), rounded up: at most how much of a kernel timer's time went by
 * before a claim in that span read it. A loaded machine spends seconds on a namespace, its processes and node's start.
 */
const secondsSince = (started: number) => Math.ceil((performance.now() - started) / 1000);
/** A pattern (one group) of the whole seconds a kernel timer of `full` s, started at `started` or later, can have left now. */
const leftOf = (full: number, started: number) => `(${Array.from({ length: Math.min(full, secondsSince(started)) + 1 }, (_, i) => full - i).join('|')})`;

/**
 * A server on 127.0.0.1:PORT made without SO_REUSEADDR that answers each connection and closes it first (`serve` of
 * them; then it closes its listener too when `thenClose`); with `hold`, it accepts each and holds it open instead.
 */
const server = (port: number, thenClose = false, serve = 1000, hold = false) =>
  start([
    python,
    '-c',
    `import json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(8)
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
held = []
for _ in range(${serve}):
    c, _ = s.accept()
    if ${hold ? 'True' : 'False'}: held.append(c)
    else: c.sendall(b'ok'); c.close()
${thenClose ? 's.close()' : ''}
while True: time.sleep(3600)`,
  ]);

/** Connects to 127.0.0.1:`port`, reads until the server closes, then closes: the server's end waits in TIME_WAIT. */
const served = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', reject);
    socket.on('data', () => {});
    socket.on('end', () => socket.end());
    socket.on('close', () => resolve());
  });

/** Connects to 127.0.0.1:`port`, and once it is connected and, with `accepted`, the server holds it (its row has an inode). */
const opened = async (port: number, accepted: boolean) => {
  const client = connect(port, '127.0.0.1');
  client.on('error', () => {});
  await new Promise((resolve) => client.on('connect', resolve));
  const local = `127.0.0.1:${client.localPort}`;
  if (accepted) expect(await waitUntil(() => readPortSockets(port, 'tcp').some((s) => s.remote === local && s.inode !== 0), 5000)).toBe(true);
  return client;
};

describe('TIME_WAITs of a listener without SO_REUSEADDR', () => {
  it.skipIf(!root)('that would outlast the timeout: refused before any signal, dry run and real run alike, with the time they have left', async () => {
    const port = leasePort();
    const listener = await server(port);
    const started = performance.now();
    await served(port);
    await served(port);
    for (const dryRun of [true, false]) {
      const lines: string[] = [];
      const result = await claimOurs(port, { dryRun, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('refused');
      // The time left counts down from 60 s (rounded up) from the served connections, less what a loaded machine spends
      // between them and the look (leftOf). The same figure twice, and a --timeout one past it.
      const said = new RegExp(
        `^refused to free port ${port}: 127\\.0\\.0\\.1:${port} was bound without SO_REUSEADDR: 2 TIME_WAITs on the port would keep a server from binding port ${port} for up to ${leftOf(60, started)} s after the holders are gone \\(Linux refuses the bind while a TIME_WAIT of such a socket is there\\), longer than the 5 s timeout; stop PID ${listener.first.pid} by hand and claim port ${port} \\1 s later, or give the service SO_REUSEADDR, or claim it with --timeout (\\d+); nothing was signalled$`,
      );
      expect(result.message).toMatch(said);
      const [, left, timeout] = said.exec(result.message)!;
      expect(Number(timeout)).toBe(Number(left) + 1);
      // The seconds said are the longest time left in the JSON, rounded up.
      const leftMs = resultJson(result).blockers!.map((b) => b.timeWaitLeftMs!);
      expect(Math.ceil(Math.max(...leftMs) / 1000)).toBe(Number(left));
      expect(result.holders).toEqual([expect.objectContaining({ pid: listener.first.pid, signals: [], outcome: 'spared' })]);
      // The JSON names them as the other refusals name what blocks the bind: no process holds a TIME_WAIT.
      const timeWait = {
        socket: expect.stringMatching(
          new RegExp(`^127\\.0\\.0\\.1:${port} -> 127\\.0\\.0\\.1:\\d+ \\(TIME_WAIT, a connection using the port as its local port\\)$`),
        ),
        holders: [],
        timeWaitLeftMs: expect.any(Number),
      };
      expect(resultJson(result).blockers).toEqual([timeWait, timeWait]);
      expect(lines.some((line) => line.startsWith('dry run: would send'))).toBe(false);
      expect(isAlive(listener.first.pid)).toBe(true);
    }
  });

  it.skipIf(!root)('a connection it holds (a TIME_WAIT once it is stopped) is foretold too', async () => {
    const [port, twin] = [leasePort(), leasePort()];
    // The kernel: a server stopped while it holds an accepted connection closes it first, and a SO_REUSEADDR bind of
    // the port is refused (for the 60 s of its TIME_WAIT, or of its FIN_WAIT2 while the client stays open).
    const stopped = await server(twin, false, 1, true);
    const other = await opened(twin, true);
    try {
      signal(stopped.first.pid, 'SIGTERM');
      expect(await waitForExit(stopped.first.pid)).toBe(true);
      expect(canBindSync(twin, 'tcp')).toMatchObject({ ok: false, code: 'EADDRINUSE' });
    } finally {
      other.destroy();
    }
    const listener = await server(port, false, 1, true);
    const client = await opened(port, true);
    try {
      const result = await claimOurs(port, { timeoutSeconds: 2 });
      expect(result.action, result.message).toBe('refused');
      expect(result.message).toContain(
        `: 1 connection it holds (each a TIME_WAIT once it is stopped, or a FIN_WAIT2 for up to net.ipv4.tcp_fin_timeout while its peer keeps its end open) would keep a server from binding port ${port} for up to ${Math.max(60, finTimeout)} s after the holders are gone`,
      );
      expect(result.message).toContain('longer than the 2 s timeout');
      expect(resultJson(result).blockers).toEqual([
        {
          socket: `127.0.0.1:${port} -> 127.0.0.1:${client.localPort} (ESTABLISHED, a connection using the port as its local port)`,
          holders: [expect.objectContaining({ pid: listener.first.pid })],
        },
      ]);
      expect(isAlive(listener.first.pid)).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it.skipIf(!root)('a connection it has closed whose client has not (FIN_WAIT2, held by no process) is said as closed, not as held', async () => {
    const port = leasePort();
    // It answers one connection and closes it first; the client keeps its end open (half-open), so the server's end
    // waits in FIN_WAIT2, an orphan, until the client closes: then a TIME_WAIT.
    const listener = await server(port, false, 1);
    const client = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    client.on('error', () => {});
    client.on('data', () => {});
    await new Promise((resolve) => client.on('end', resolve));
    try {
      expect(await waitUntil(() => readPortSockets(port, 'tcp').some((s) => s.state === 'FIN_WAIT2' && s.inode === 0), 5000)).toBe(true);
      const result = await claimOurs(port, { timeoutSeconds: 2 });
      expect(result.action, result.message).toBe('refused');
      // For as long as its row's timer says (tcp_fin_timeout from the close), as a TIME_WAIT's.
      expect(result.message).toMatch(
        new RegExp(
          `: 1 connection it has closed, still closing \\(each a FIN_WAIT2 for up to net\\.ipv4\\.tcp_fin_timeout while its peer keeps its end open, or a TIME_WAIT\\) would keep a server from binding port ${port} for up to \\d+ s after the holders are gone`,
        ),
      );
      expect(result.message).not.toContain('it holds');
      expect(isAlive(listener.first.pid)).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it.skipIf(!root)('a connection it has not accepted (reset when it closes, no TIME_WAIT) is no reason to refuse: the claim frees the port', async () => {
    const port = leasePort();
    // It never accepts: the connection waits in its queue, held by no process.
    const listener = await server(port, false, 0);
    const client = await opened(port, false);
    try {
      expect(readPortSockets(port, 'tcp')).toContainEqual(expect.objectContaining({ state: 'ESTABLISHED', inode: 0 }));
      const lines: string[] = [];
      const result = await claimOurs(port, { timeoutSeconds: 2, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('freed');
      expect(result.holders).toEqual([expect.objectContaining({ pid: listener.first.pid, signals: ['SIGTERM'] })]);
      expect(lines.filter((line) => line.includes('SO_REUSEADDR'))).toEqual([]);
      expect(canBindSync(port, 'tcp')?.ok).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('that end within the timeout are waited for: after the stop (said up front, as root), and where nothing listens (a dry run says it would)', async () => {
    // Port a: a server still listening, with a TIME_WAIT; port b: one that has closed its listener too (its TIME_WAIT alone).
    const [a, b] = [leasePort(), leasePort()];
    const listener = await server(a);
    await server(b, true, 1);
    const started = performance.now();
    await Promise.all([served(a), served(b)]);
    const dry = await claimOurs(b, { dryRun: true, timeoutSeconds: 70 });
    expect(dry.action, dry.message).toBe('would-free');
    expect(dry.message).toMatch(
      new RegExp(
        `^dry run: nothing listens on port ${b}, but 1 TIME_WAIT keeps a server from binding it for ${leftOf(60, started)} s more: a real run waits for the kernel to end it \\(within the 70 s timeout\\)$`,
      ),
    );
    const linesA: string[] = [];
    const linesB: string[] = [];
    const [resultA, resultB] = await Promise.all([
      claimOurs(a, { timeoutSeconds: 70, log: (line) => linesA.push(line) }),
      claimOurs(b, { timeoutSeconds: 70, log: (line) => linesB.push(line) }),
    ]);
    expect(resultA.action, linesA.join('\n')).toBe('freed');
    expect(resultA.holders).toEqual([expect.objectContaining({ pid: listener.first.pid, signals: ['SIGTERM'] })]);
    if (root)
      expect(linesA).toContainEqual(
        expect.stringMatching(
          `^127\\.0\\.0\\.1:${a} was bound without SO_REUSEADDR: 1 TIME_WAIT on the port would keep a server from binding port ${a} for up to ${leftOf(60, started)} s after the holders are gone .*; waiting for them after the stop \\(within the 70 s timeout\\)$`,
        ),
      );
    expect(linesA).toContainEqual(
      expect.stringMatching(`^1 TIME_WAIT on port ${a} .* keeps a server from binding it for \\d+ s more: waiting for the kernel to end it`),
    );
    expect(resultB.action, linesB.join('\n')).toBe('already-free');
    expect(resultB.message).toBe(`port ${b} is free (its TIME_WAITs have ended); nothing to do`);
    expect(linesB).toContainEqual(
      expect.stringMatching(`^1 TIME_WAIT on port ${b} .* keeps a server from binding it for ${leftOf(60, started)} s more: waiting for the kernel to end it`),
    );
    expect(canBindSync(a, 'tcp')?.ok).toBe(true);
    expect(canBindSync(b, 'tcp')?.ok).toBe(true);
  }, 100_000);
});

/**
 * A server made without SO_REUSEADDR holding an idle client's connection that the client never closes, claimed by the
 * built bin with `args`, in a network namespace of its own whose net.ipv4.tcp_fin_timeout is `finSeconds` (each
 * namespace has its own: the host's is untouched): once the server is stopped its end is an orphan's FIN_WAIT2, not a
 * TIME_WAIT, which keeps a server from binding the port until tcp_fin_timeout ends it. claim-port's output, its exit
 * status, and whether the server still runs.
 */
const idleClientInNetns = (finSeconds: number, args: string[]) => idleClientNetns('serving', finSeconds, 18210, 'root', args);

/**
 * fixtures/idle-client-netns.sh in a PID and network namespace of its own: a server made without SO_REUSEADDR on
 * 127.0.0.1:`port` with one connection of an idle client that never closes its end, the server `serving` it, or
 * having closed its listener and `held` (shutdown(SHUT_WR)) or `orphan`ed (closed) it, or `unacked` (the client's side
 * dropping its packets, it closed it and exited; `unacked-serving`, it closed it and serves on; `unacked-held`, it sent
 * data and holds it, serving on; `unacked-brief`, likewise, the client reading everything and the drop lifted once
 * claim-port has spoken), or `zerowin` (the client reading nothing, it filled its receive window, closed it and
 * exited; `zerowin-serving`, it serves on; `zerowin-held`, it holds it, serving on), claimed
 * by the built bin with `args` as `user`; the namespace's net.ipv4.tcp_fin_timeout is `finSeconds`, and its
 * tcp_orphan_retries `orphanRetries` and tcp_rto_max_ms `rtoMaxMs` where given. With `trace` (a
 * file), the claim runs under strace (openat). claim-port's output and exit status, whether the server still runs,
 * and for a FIN_WAIT2 or FIN_WAIT1 its row (inode, timer; `resent`, how many times its FIN was).
 */
async function idleClientNetns(
  mode:
    | 'serving'
    | 'held'
    | 'orphan'
    | 'unacked'
    | 'unacked-serving'
    | 'unacked-held'
    | 'unacked-brief'
    | 'zerowin'
    | 'zerowin-serving'
    | 'zerowin-held'
    | 'localdrop'
    | 'localdrop-serving',
  finSeconds: number,
  port: number,
  user: 'root' | 'nobody',
  args: string[],
  options: { orphanRetries?: number; rtoMaxMs?: number; retries2?: number; linger?: number; trace?: string; timeoutMs?: number } = {},
): Promise<{ lines: string[]; rc: number; serverAlive: boolean; inode: number; timer: number; resent: number; lingered: number }> {
  const run = await runNetnsScript({
    script: fileURLToPath(new URL('./fixtures/idle-client-netns.sh', import.meta.url)),
    args: [String(finSeconds), mode, String(port), user, process.execPath, binFor(user), ...args],
    env: {
      ...(options.orphanRetries !== undefined && { IDLE_CLIENT_ORPHAN_RETRIES: String(options.orphanRetries) }),
      ...(options.rtoMaxMs !== undefined && { IDLE_CLIENT_RTO_MAX_MS: String(options.rtoMaxMs) }),
      ...(options.retries2 !== undefined && { IDLE_CLIENT_RETRIES2: String(options.retries2) }),
      ...(options.linger !== undefined && { IDLE_CLIENT_LINGER: String(options.linger) }),
      ...(options.trace !== undefined && { IDLE_CLIENT_TRACE: options.trace }),
    },
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  const field = (name: string) => Number(new RegExp(`^${name}=(\\d+)$`, 'm').exec(run.output)?.[1]);
  const lines = run.output.trim().split('\n');
  return {
    lines: lines.filter((line) => !/^(rc|inode|timer|resent|lingered)=\d+$|^server alive$/.test(line)),
    rc: field('rc'),
    serverAlive: lines.includes('server alive'),
    inode: field('inode'),
    timer: field('timer'),
    resent: field('resent'),
    lingered: field('lingered'),
  };
}

describe.skipIf(!canRunFirewallNetns)('a connection its client never closes: an orphan FIN_WAIT2 once the server is stopped', () => {
  it('is foretold and waited for by one rule: the stop is followed by a wait until tcp_fin_timeout ends it (10 s here), not a failure', async () => {
    // The real run first: the server is stopped, and the claim waits for the FIN_WAIT2 its connection leaves.
    // 10 s: the claim reads the table after the server's exit and its own settle window, seconds on a loaded machine.
    const real = await idleClientInNetns(10, ['--timeout', '70']);
    expect(real.rc, real.lines.join('\n')).toBe(0);
    expect(real.serverAlive).toBe(false);
    expect(real.lines).toContainEqual(
      expect.stringMatching(
        /^\[claim-port:18210\] 1 FIN_WAIT2 on port 18210 \(a connection closed first, of a socket made without SO_REUSEADDR\) keeps a server from binding it for ([1-9]|10) s more: waiting for the kernel to end it \(within the 70 s timeout\)$/,
      ),
    );
    // The time to a tenth of a ms, as a number: one in ten is whole, and says no decimal (`6467 ms`).
    expect(real.lines.at(-1)).toMatch(/^\[claim-port:18210\] port 18210 is free \(\d+(\.\d)? ms\)$/);
    // Foretold before the signal, as the dry run foretells it: up to 60 s, a TIME_WAIT if the client closes its end
    // once the server is stopped, a FIN_WAIT2 (10 s) while it does not.
    const foretold =
      '[claim-port:18210] warning: 127.0.0.1:18210 was bound without SO_REUSEADDR: 1 connection it holds (each a TIME_WAIT once it is stopped, or a FIN_WAIT2 for up to net.ipv4.tcp_fin_timeout while its peer keeps its end open) would keep a server from binding port 18210 for up to 60 s after the holders are gone (Linux refuses the bind while a connection of such a socket, closing or in TIME_WAIT, is there)';
    expect(real.lines).toContain(`${foretold}; waiting for them after the stop (within the 70 s timeout)`);
    const dry = await idleClientInNetns(10, ['--timeout', '70', '--dry-run']);
    expect(dry.rc, dry.lines.join('\n')).toBe(0);
    expect(dry.lines).toContain(`${foretold}; a real run waits for them after the stop (within the 70 s timeout)`);
    expect(dry.serverAlive).toBe(true);
  }, 70_000);

  it('a tcp_fin_timeout longer than the timeout (90 s) refuses before any signal, dry run and real run alike', async () => {
    for (const dryRun of [true, false]) {
      const run = await idleClientInNetns(90, ['--timeout', '70', ...(dryRun ? ['--dry-run'] : [])]);
      expect(run.rc, run.lines.join('\n')).toBe(1);
      const refusal =
        '[claim-port:18210] refusing: 127.0.0.1:18210 was bound without SO_REUSEADDR: 1 connection it holds (each a TIME_WAIT once it is stopped, or a FIN_WAIT2 for up to net.ipv4.tcp_fin_timeout while its peer keeps its end open) would keep a server from binding port 18210 for up to 90 s after the holders are gone (Linux refuses the bind while a connection of such a socket, closing or in TIME_WAIT, is there), longer than the 70 s timeout; stop PID {pid} by hand and claim port 18210 90 s later, or give the service SO_REUSEADDR, or claim it with --timeout 91';
      const [before, after] = refusal.split('{pid}').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      expect(run.lines).toContainEqual(expect.stringMatching(new RegExp(`^${before}\\d+${after}$`)));
      expect(run.serverAlive).toBe(true);
    }
  }, 30_000);
});

/**
 * One FIN_WAIT2 on 127.0.0.1:18211, nothing listening, its client never closing its end, in a network namespace of its
 * own whose net.ipv4.tcp_fin_timeout is `finSeconds`: `held`, the server keeps it after shutdown(SHUT_WR) (inode not 0,
 * no timer: tcp_fin_timeout ends orphans only); `orphan`, the server closed it (inode 0, ended by tcp_fin_timeout).
 * Claimed by the built bin with `args` as `user`. Its row (inode, timer), claim-port's output and exit status.
 */
const finWait2InNetns = (mode: 'held' | 'orphan', finSeconds: number, user: 'root' | 'nobody', args: string[]) =>
  idleClientNetns(mode, finSeconds, 18211, user, args);

describe.skipIf(!canRunFirewallNetns || !hasCommand('setpriv'))('a FIN_WAIT2 with nothing listening: waited for only where no process holds it', () => {
  it('one its process holds, out of the sight of the user who claims (nobody), is refused at once, dry run and real run alike: tcp_fin_timeout never ends it', async () => {
    for (const dryRun of [true, false]) {
      const started = performance.now();
      const run = await finWait2InNetns('held', 60, 'nobody', ['--timeout', '90', ...(dryRun ? ['--dry-run'] : [])]);
      // Held: the row has an inode, and no timer runs (the kernel keeps it while the process does).
      expect(run.inode).toBeGreaterThan(0);
      expect(run.timer).toBe(0);
      expect(run.rc, run.lines.join('\n')).toBe(1);
      expect(run.lines.join('\n')).not.toMatch(/waiting for the kernel|a real run waits/);
      expect(run.lines).toContainEqual(
        expect.stringMatching(
          /^\[claim-port:18211\] refusing: nothing listens on port 18211, but a server could not bind it \(.*EADDRINUSE\): 127\.0\.0\.1:18211 -> 127\.0\.0\.1:\d+ \(FIN_WAIT2, a connection using the port as its local port\), its owner is not visible to this user$/,
        ),
      );
      // Not after tcp_fin_timeout (60 s) and its slack: at once (a loaded machine takes seconds to set the namespace up).
      expect(performance.now() - started).toBeLessThan(40_000);
    }
  }, 100_000);

  it("an orphan's that would outlast the timeout is refused with the advice a TIME_WAIT gets: wait for the kernel, or a --timeout that long (as root, and as nobody)", async () => {
    for (const user of ['root', 'nobody'] as const) {
      const started = performance.now();
      const run = await finWait2InNetns('orphan', 30, user, ['--timeout', '5']);
      expect(run.inode).toBe(0);
      expect(run.rc, run.lines.join('\n')).toBe(1);
      const refusal =
        /^\[claim-port:18211\] refusing: nothing listens on port 18211, but a server could not bind it \(.*EADDRINUSE\): 127\.0\.0\.1:18211 -> 127\.0\.0\.1:\d+ \(FIN_WAIT2, a connection using the port as its local port\), held by no process \(the kernel is still closing it\)(, its other end .* \(not signalled\))?; wait for the kernel to end it \(for (\d+) s more\) and claim port 18211 again, or claim it with a --timeout that long; a FIN_WAIT2 keeps even a server that sets SO_REUSEADDR from binding only when its own socket was made without SO_REUSEADDR, so a program that sets SO_REUSEADDR before it binds leaves none behind$/;
      const line = run.lines.find((l) => refusal.test(l));
      expect(line, run.lines.join('\n')).toBeDefined();
      // What its row's timer has left of tcp_fin_timeout (30 s), less what the run took to get there.
      const left = Number(refusal.exec(line!)![2]);
      expect(left).toBeLessThanOrEqual(30);
      expect(left).toBeGreaterThanOrEqual(30 - secondsSince(started));
    }
  }, 60_000);
});

/**
 * One FIN_WAIT1 on 127.0.0.1:18216, nothing listening: its server closed a connection whose client's side drops every
 * packet of the server's (an nft rule in the namespace), then exited; its FIN, never acknowledged, is resent until
 * tcp_orphan_retries ends it (`orphanRetries`, the namespace's own; its default, 0, is 8 resends: 104 to 108 s here).
 * Claimed as root with `args`.
 */
const unackedFinInNetns = (args: string[], options: { orphanRetries?: number; rtoMaxMs?: number; trace?: string; serving?: boolean } = {}) =>
  idleClientNetns(options.serving ? 'unacked-serving' : 'unacked', 60, 18216, 'root', args, options);

/** Whether this kernel has net.ipv4.tcp_rto_max_ms (Linux 6.15+). */
const hasRtoMax = existsSync('/proc/sys/net/ipv4/tcp_rto_max_ms');

const cannotNft = !canRunFirewallNetns ? 'not root, or nft, unshare, nsenter, ip or python3 missing' : undefined;

describe.skipIf(cannotNft !== undefined)(
  `an orphan FIN_WAIT1 whose peer never acknowledges its FIN: until tcp_orphan_retries ends it, not 60 s${cannotNft ? ` [skipped: ${cannotNft}]` : ''}`,
  () => {
    it('is refused before any signal where the resends outlast the timeout, with the time they take (104 to 108 s by default; once 60 s, which a timeout of 90 s let through to fail)', async () => {
      for (const timeout of ['30', '90']) {
        const started = performance.now();
        const run = await unackedFinInNetns(['--dry-run', '--timeout', timeout]);
        // Orphaned (inode 0), resending (timer 1), resent already.
        expect([run.inode, run.timer, run.resent >= 1]).toEqual([0, 1, true]);
        expect(run.rc, run.lines.join('\n')).toBe(1);
        const refusal =
          /^\[claim-port:18216\] refusing: nothing listens on port 18216, but a server could not bind it \(.*EADDRINUSE\): 127\.0\.0\.1:18216 -> 127\.0\.0\.1:\d+ \(FIN_WAIT1, a connection using the port as its local port\), held by no process \(the kernel is still closing it\)(?:, its other end .* \(not signalled\))?; wait for the kernel to end it \(for (\d+) s more: its peer has not acknowledged its FIN, which the kernel resends until net\.ipv4\.tcp_orphan_retries gives up\) and claim port 18216 again, or claim it with a --timeout that long; a FIN_WAIT1 keeps even a server that sets SO_REUSEADDR from binding only when its own socket was made without SO_REUSEADDR/;
        const line = run.lines.find((l) => refusal.test(l));
        expect(line, run.lines.join('\n')).toBeDefined();
        // The kernel's schedule from TCP_RTO_MIN: 8 resends, 102.2 s from the first; no more than the timers' lateness
        // over, nor less than what the run took to read it (60 s, the old figure, is less than either).
        const left = Number(refusal.exec(line!)![1]);
        expect(left).toBeGreaterThanOrEqual(103 - secondsSince(started));
        expect(left).toBeLessThanOrEqual(120);
        expect(run.lines.some((l) => /would send|sent SIG/.test(l))).toBe(false);
        // At once: no wait for the kernel (a wait would last the 30 s timeout at least).
        expect(performance.now() - started).toBeLessThan(25_000);
      }
    }, 70_000);

    it('of a server made without SO_REUSEADDR that still listens is foretold by the same rule: refused before any signal, the server serving on', async () => {
      const started = performance.now();
      const run = await unackedFinInNetns(['--dry-run', '--timeout', '90'], { serving: true });
      expect([run.inode, run.timer, run.resent >= 1]).toEqual([0, 1, true]);
      expect(run.rc, run.lines.join('\n')).toBe(1);
      const refusal =
        /^\[claim-port:18216\] refusing: 127\.0\.0\.1:18216 was bound without SO_REUSEADDR: 1 connection it has closed whose peer has not acknowledged its FIN \(resent until net\.ipv4\.tcp_orphan_retries gives up\) would keep a server from binding port 18216 for up to (\d+) s after the holders are gone \(Linux refuses the bind while a connection of such a socket, closing or in TIME_WAIT, is there\), longer than the 90 s timeout; stop PID \d+ by hand and claim port 18216 \1 s later, or give the service SO_REUSEADDR, or claim it with --timeout (\d+)$/;
      const line = run.lines.find((l) => refusal.test(l));
      expect(line, run.lines.join('\n')).toBeDefined();
      // As above: 103 to 120 s, less what the run took to read it.
      const [, left, timeout] = refusal.exec(line!)!;
      expect(Number(left)).toBeGreaterThanOrEqual(103 - secondsSince(started));
      expect(Number(left)).toBeLessThanOrEqual(120);
      expect(Number(timeout)).toBe(Number(left) + 1);
      expect(run.serverAlive).toBe(true);
    }, 40_000);

    it('is waited for where the resends end within the timeout (tcp_orphan_retries 5: a budget of 12.6 s), not refused; tcp_orphan_retries read once', async () => {
      const trace = join(tempDir('orphan-retries-'), 'trace');
      const started = performance.now();
      // A budget that outlasts a loaded machine's start of the claim: 3 s (tcp_orphan_retries 3) may not, and the
      // FIN_WAIT1 would be gone before the claim reads the table, with nothing to wait for. The claim foretells one
      // firing more than the kernel makes (25.4 s from the first send, and the timers' lateness): under 30 s.
      const run = await unackedFinInNetns(['--timeout', '60'], { orphanRetries: 5, trace: hasCommand('strace', ['-V']) ? trace : undefined });
      expect([run.inode, run.timer, run.resent >= 1]).toEqual([0, 1, true]);
      expect(run.rc, run.lines.join('\n')).toBe(0);
      expect(run.lines.join('\n')).not.toMatch(/refusing/);
      expect(run.lines).toContainEqual(
        expect.stringMatching(
          /^\[claim-port:18216\] 1 FIN_WAIT1 on port 18216 \(a connection closed first, of a socket made without SO_REUSEADDR\) keeps a server from binding it for ([1-9]|[12]\d) s more: waiting for the kernel to end it \(within the 60 s timeout\)$/,
        ),
      );
      expect(run.lines.at(-1)).toMatch(/^\[claim-port:18216\] port 18216 is free \(its closing connections have ended\); nothing to do$/);
      // Ended by the kernel, not by the 60 s timeout.
      expect(performance.now() - started).toBeLessThan(45_000);
      if (hasCommand('strace', ['-V'])) expect(readFileSync(trace, 'utf8').match(/"\/proc\/sys\/net\/ipv4\/tcp_orphan_retries"/g)).toHaveLength(1);
    }, 70_000);

    it.skipIf(!hasRtoMax)(
      'is waited for where net.ipv4.tcp_rto_max_ms (Linux 6.15+) ends the resends early (1000 ms: about 3 s; once foretold 116 s and refused); read once',
      async () => {
        const trace = join(tempDir('rto-max-'), 'trace');
        const started = performance.now();
        const run = await unackedFinInNetns(['--timeout', '30'], { rtoMaxMs: 1000, trace: hasCommand('strace', ['-V']) ? trace : undefined });
        expect([run.inode, run.timer, run.resent >= 1]).toEqual([0, 1, true]);
        expect(run.rc, run.lines.join('\n')).toBe(0);
        expect(run.lines).toContainEqual(
          expect.stringMatching(
            /^\[claim-port:18216\] 1 FIN_WAIT1 on port 18216 \(a connection closed first, of a socket made without SO_REUSEADDR\) keeps a server from binding it for [1-5] s more: waiting for the kernel to end it \(within the 30 s timeout\)$/,
          ),
        );
        expect(run.lines.at(-1)).toMatch(/^\[claim-port:18216\] port 18216 is free \(its closing connections have ended\); nothing to do$/);
        expect(performance.now() - started).toBeLessThan(20_000);
        if (hasCommand('strace', ['-V'])) {
          const text = readFileSync(trace, 'utf8');
          expect(text.match(/"\/proc\/sys\/net\/ipv4\/tcp_rto_max_ms"/g)).toHaveLength(1);
          expect(text.match(/"\/proc\/sys\/net\/ipv4\/tcp_orphan_retries"/g)).toHaveLength(1);
        }
      },
      40_000,
    );
  },
);

/**
 * One FIN_WAIT1 on 127.0.0.1:18217, nothing listening (`serving`: its server listening on): its server filled the
 * receive window of a client that reads nothing, and closed the connection; the kernel probes that window (timer 04,
 * never a resend) until tcp_orphan_retries ends it: 5 to 6 minutes by default. Claimed as root with `args`.
 */
const zeroWindowInNetns = (
  args: string[],
  options: { orphanRetries?: number; rtoMaxMs?: number; retries2?: number; linger?: number; trace?: string; serving?: boolean } = {},
) => idleClientNetns(options.serving ? 'zerowin-serving' : 'zerowin', 60, 18217, 'root', args, options);

describe.skipIf(!canRunFirewallNetns)('an orphan FIN_WAIT1 whose peer, alive, reads nothing: probed until tcp_orphan_retries ends it, not 60 s', () => {
  const probed = 'its peer has not read what it was sent \\(a full receive window\\), which the kernel probes until net\\.ipv4\\.tcp_orphan_retries gives up';

  it('is refused before any signal where the probes outlast the timeout, with the time they take (341 s here; once 60 s, which a timeout of 90 s let through to fail)', async () => {
    const run = await zeroWindowInNetns(['--dry-run', '--timeout', '90']);
    // Orphaned (inode 0), probed (timer 4).
    expect([run.inode, run.timer]).toEqual([0, 4]);
    expect(run.rc, run.lines.join('\n')).toBe(1);
    const refusal = new RegExp(
      `^\\[claim-port:18217\\] refusing: nothing listens on port 18217, but a server could not bind it \\(.*EADDRINUSE\\): 127\\.0\\.0\\.1:18217 -> 127\\.0\\.0\\.1:\\d+ \\(FIN_WAIT1, a connection using the port as its local port\\), held by no process \\(the kernel is still closing it\\)(?:, its other end .*)?; wait for the kernel to end it \\(for (\\d+) s more: ${probed}\\) and claim port 18217 again`,
    );
    const line = run.lines.find((l) => refusal.test(l));
    expect(line, run.lines.join('\n')).toBeDefined();
    // The kernel's schedule: probes backing off from 200 ms up to 120 s, given up at the one after 102.4 s (324.6 s
    // from the first), the timers' lateness on top.
    const left = Number(refusal.exec(line!)![1]);
    expect(left).toBeGreaterThanOrEqual(320);
    expect(left).toBeLessThanOrEqual(370);
  }, 40_000);

  it('of a server made without SO_REUSEADDR that still listens is foretold by the same rule: refused before any signal, the server serving on', async () => {
    const run = await zeroWindowInNetns(['--dry-run', '--timeout', '90'], { serving: true });
    expect([run.inode, run.timer]).toEqual([0, 4]);
    expect(run.rc, run.lines.join('\n')).toBe(1);
    expect(run.lines).toContainEqual(
      expect.stringMatching(
        /^\[claim-port:18217\] refusing: 127\.0\.0\.1:18217 was bound without SO_REUSEADDR: 1 connection it has closed whose peer reads nothing \(a full receive window, probed until net\.ipv4\.tcp_orphan_retries gives up\) would keep a server from binding port 18217 for up to 3[2-7]\d s after the holders are gone .*, longer than the 90 s timeout; /,
      ),
    );
    expect(run.serverAlive).toBe(true);
  }, 40_000);

  it('is refused where tcp_orphan_retries keeps it for good (above tcp_retries2: the backoff never gets there), not foretold', async () => {
    const run = await zeroWindowInNetns(['--dry-run', '--timeout', '90'], { orphanRetries: 20 });
    expect([run.inode, run.timer]).toEqual([0, 4]);
    expect(run.rc, run.lines.join('\n')).toBe(1);
    expect(run.lines.join('\n')).toMatch(/refusing: nothing listens on port 18217, but a server could not bind it/);
    expect(run.lines.join('\n')).not.toMatch(/s more/);
    // What to do, where once nothing was said.
    expect(run.lines.join('\n')).toMatch(
      /; the kernel probes it for as long as its peer answers \(the kernel gives up on it only at a probe backoff of 20 \(net\.ipv4\.tcp_orphan_retries 20, tcp_rto_max_ms \d+\), and net\.ipv4\.tcp_retries2 stops the backoff at 15\): have its peer read what it was sent or close its end, and claim port 18217 again$/m,
    );
  }, 40_000);

  it('is refused where tcp_retries2 stops the backoff short of where tcp_orphan_retries gives up (5, not the 15 once assumed: once foretold 341 s)', async () => {
    const run = await zeroWindowInNetns(['--dry-run', '--timeout', '90'], { retries2: 5 });
    expect([run.inode, run.timer]).toEqual([0, 4]);
    expect(run.rc, run.lines.join('\n')).toBe(1);
    expect(run.lines.join('\n')).not.toMatch(/s more/);
    // tcp_orphan_retries 0 is 8 while alive: from 200 ms the RTO reaches 120 s at a backoff of 10.
    expect(run.lines.join('\n')).toMatch(
      /\(the kernel gives up on it only at a probe backoff of 10 \(net\.ipv4\.tcp_orphan_retries 0, tcp_rto_max_ms \d+\), and net\.ipv4\.tcp_retries2 stops the backoff at 5\)/,
    );
  }, 40_000);

  it('is waited for where its probe timer runs from a local drop, every probe unanswered (tcp_retries2 5: once refused as probed for good; the kernel ends it in about 35 s)', async () => {
    const started = performance.now();
    const run = await idleClientNetns('localdrop', 60, 18217, 'root', ['--timeout', '90'], { retries2: 5, timeoutMs: 115_000 });
    expect([run.inode, run.timer]).toEqual([0, 4]);
    expect(run.rc, run.lines.join('\n')).toBe(0);
    expect(run.lines.join('\n')).not.toMatch(/for as long as its peer answers/);
    expect(run.lines.at(-1)).toMatch(/^\[claim-port:18217\] port 18217 is free/);
    // icsk_probes_out reaching 8 (tcp_orphan_retries 0) ends it, each probe at most 6.4 s apart: within the foretold 51 s.
    expect(performance.now() - started).toBeLessThan(80_000);
  }, 120_000);

  it('says where its probes go unanswered that its peer has not answered them, not that it reads nothing (a local drop: no full receive window)', async () => {
    const run = await idleClientNetns('localdrop', 60, 18217, 'root', ['--dry-run', '--timeout', '10'], { retries2: 5 });
    expect([run.inode, run.timer]).toEqual([0, 4]);
    expect(run.rc, run.lines.join('\n')).toBe(1);
    expect(run.lines.join('\n')).toMatch(
      /; wait for the kernel to end it \(for \d+ s more: its peer has not answered \d+ probes in a row \(the peer or the path gone, or the packets dropped\), which the kernel sends until net\.ipv4\.tcp_orphan_retries gives up\) and claim port 18217 again/,
    );
    expect(run.lines.join('\n')).not.toMatch(/reads nothing|full receive window/);
    const serving = await idleClientNetns('localdrop-serving', 60, 18217, 'root', ['--dry-run', '--timeout', '10'], { retries2: 5 });
    expect([serving.inode, serving.timer]).toEqual([0, 4]);
    expect(serving.rc, serving.lines.join('\n')).toBe(1);
    expect(serving.lines).toContainEqual(
      expect.stringMatching(
        /^\[claim-port:18217\] refusing: 127\.0\.0\.1:18217 was bound without SO_REUSEADDR: 1 connection it has closed whose peer has not answered \d+ probes in a row \(the peer or the path gone, or the packets dropped; probed until net\.ipv4\.tcp_orphan_retries gives up\) would keep a server from binding port 18217 for up to \d+ s after the holders are gone .*, longer than the 10 s timeout; /,
      ),
    );
    expect(serving.lines.join('\n')).not.toMatch(/reads nothing|full receive window/);
    expect(serving.serverAlive).toBe(true);
  }, 60_000);

  it.skipIf(!hasRtoMax)(
    'is refused at once where tcp_retries2 keeps it for good under tcp_rto_max_ms 1000 (tcp_retries2 2: once foretold 2.5 s, waited for, and failed); the kernel still has it after 8 s',
    async () => {
      const started = performance.now();
      const run = await zeroWindowInNetns(['--timeout', '20'], { rtoMaxMs: 1000, retries2: 2, linger: 8 });
      expect([run.inode, run.timer]).toEqual([0, 4]);
      expect(run.rc, run.lines.join('\n')).toBe(1);
      expect(run.lines.join('\n')).toMatch(/refusing: nothing listens on port 18217, but a server could not bind it/);
      expect(run.lines.join('\n')).toMatch(/net\.ipv4\.tcp_retries2 stops the backoff at 2\): have its peer read/);
      expect(run.lines.join('\n')).not.toMatch(/waiting for the kernel/);
      // The kernel's word: with the default tcp_retries2 such an orphan ends in about 2.5 s (the test above); here it stays.
      expect(run.lingered).toBe(1);
      // At once, not after a wait (the linger and the namespace's start are most of it).
      expect(performance.now() - started).toBeLessThan(19_000);
    },
    40_000,
  );

  it('of a server made without SO_REUSEADDR that still listens, kept for good by tcp_orphan_retries: refused before any signal, the server serving on (once stopped, then failed)', async () => {
    // A real run, not a dry run: the old claim stopped the server and failed at its wait for the orphan.
    const run = await zeroWindowInNetns(['--timeout', '10'], { orphanRetries: 20, serving: true });
    expect([run.inode, run.timer]).toEqual([0, 4]);
    expect(run.rc, run.lines.join('\n')).toBe(1);
    expect(run.lines).toContainEqual(
      expect.stringMatching(
        /^\[claim-port:18217\] refusing: 127\.0\.0\.1:18217 was bound without SO_REUSEADDR: 1 connection it has closed whose peer reads nothing \(a full receive window\) would keep a server from binding port 18217 for as long as its peer answers the kernel's probes \(the kernel gives up on it only at a probe backoff of 20 \(net\.ipv4\.tcp_orphan_retries 20, tcp_rto_max_ms \d+\), and net\.ipv4\.tcp_retries2 stops the backoff at 15\), whatever the timeout; have its peer read what it was sent or close its end, and claim port 18217 again, or give the service SO_REUSEADDR \(stopping PID \d+ now would leave the port unbindable\)$/,
      ),
    );
    expect(run.lines.some((l) => /would send|sent SIG/.test(l))).toBe(false);
    expect(run.serverAlive).toBe(true);
  }, 40_000);

  it.skipIf(!hasRtoMax)(
    'is waited for where the probes end within the timeout (tcp_rto_max_ms 1000: about 2.5 s); tcp_rto_max_ms, tcp_orphan_retries and tcp_retries2 read once',
    async () => {
      const trace = join(tempDir('zero-window-'), 'trace');
      const started = performance.now();
      const run = await zeroWindowInNetns(['--timeout', '30'], { rtoMaxMs: 1000, trace: hasCommand('strace', ['-V']) ? trace : undefined });
      expect([run.inode, run.timer]).toEqual([0, 4]);
      expect(run.rc, run.lines.join('\n')).toBe(0);
      expect(run.lines).toContainEqual(
        expect.stringMatching(
          /^\[claim-port:18217\] 1 FIN_WAIT1 on port 18217 \(a connection closed first, of a socket made without SO_REUSEADDR\) keeps a server from binding it for [1-4] s more: waiting for the kernel to end it \(within the 30 s timeout\)$/,
        ),
      );
      expect(run.lines.at(-1)).toMatch(/^\[claim-port:18217\] port 18217 is free \(its closing connections have ended\); nothing to do$/);
      expect(performance.now() - started).toBeLessThan(20_000);
      if (hasCommand('strace', ['-V'])) {
        const text = readFileSync(trace, 'utf8');
        expect(text.match(/"\/proc\/sys\/net\/ipv4\/tcp_rto_max_ms"/g)).toHaveLength(1);
        expect(text.match(/"\/proc\/sys\/net\/ipv4\/tcp_orphan_retries"/g)).toHaveLength(1);
        expect(text.match(/"\/proc\/sys\/net\/ipv4\/tcp_retries2"/g)).toHaveLength(1);
      }
    },
    40_000,
  );
});

/**
 * A connection the server on 127.0.0.1:18218 (made without SO_REUSEADDR, listening on) holds whose row, before the
 * stop, shows its data resent (`unacked-held`: its packets to the client dropped; `unacked-brief`: dropped only until
 * claim-port has spoken, a live client whose ACKs were lost a moment) or probed (`zerowin-held`: the client reads
 * nothing). What the row shows before the stop does not say what the peer does after it: foretold by the usual close
 * (60 s), as any connection the holders hold. Claimed as root with `args`.
 */
const heldInNetns = (mode: 'unacked-held' | 'unacked-brief' | 'zerowin-held', args: string[], options: { orphanRetries?: number; timeoutMs?: number } = {}) =>
  idleClientNetns(mode, 60, 18218, 'root', args, options);

/** The warning of one connection the server holds, foretold by the usual close: 60 s. */
const heldWarning =
  /^\[claim-port:18218\] warning: 127\.0\.0\.1:18218 was bound without SO_REUSEADDR: 1 connection it holds \(each a TIME_WAIT once it is stopped, or a FIN_WAIT2 for up to net\.ipv4\.tcp_fin_timeout while its peer keeps its end open\) would keep a server from binding port 18218 for up to 60 s after the holders are gone /;

describe.skipIf(!canRunFirewallNetns)('a connection the holders hold whose row shows it resent or probed: foretold by the usual close (60 s)', () => {
  it('resent a moment, its client alive: let through with --timeout 90, and the port bound within it, as the kernel allows (it was refused as up to 116 s)', async () => {
    const started = performance.now();
    const run = await heldInNetns('unacked-brief', ['--timeout', '90'], { timeoutMs: 115_000 });
    // Held (an inode), resending (timer 1), resent already when claim-port read it.
    expect([run.inode > 0, run.timer, run.resent >= 1]).toEqual([true, 1, true]);
    expect(run.rc, run.lines.join('\n')).toBe(0);
    expect(run.lines).toContainEqual(expect.stringMatching(heldWarning));
    expect(run.lines).toContain('drop lifted');
    // The kernel's word: the server's bind test passed once its TIME_WAIT was gone (60 s after the stop).
    expect(run.lines.at(-1)).toMatch(/^\[claim-port:18218\] port 18218 is free/);
    expect(run.serverAlive).toBe(false);
    expect(performance.now() - started).toBeGreaterThan(55_000);
  }, 120_000);

  it('resent, its packets dropped on: the usual close foretold (a dry run, --timeout 90), tcp_orphan_retries not taken as said by the row', async () => {
    const run = await heldInNetns('unacked-held', ['--dry-run', '--timeout', '90']);
    expect([run.inode > 0, run.timer, run.resent >= 1]).toEqual([true, 1, true]);
    expect(run.rc, run.lines.join('\n')).toBe(0);
    expect(run.lines).toContainEqual(expect.stringMatching(heldWarning));
    expect(run.serverAlive).toBe(true);
  }, 40_000);

  it('resent, where the orphan it leaves ends sooner (tcp_orphan_retries 3): warned of as 60 s, and waited for after the stop only as long as the kernel keeps it', async () => {
    const started = performance.now();
    const run = await heldInNetns('unacked-held', ['--timeout', '70'], { orphanRetries: 3 });
    expect([run.inode > 0, run.timer, run.resent >= 1]).toEqual([true, 1, true]);
    expect(run.rc, run.lines.join('\n')).toBe(0);
    expect(run.lines).toContainEqual(expect.stringMatching(heldWarning));
    expect(run.lines.at(-1)).toMatch(/^\[claim-port:18218\] port 18218 is free/);
    expect(run.serverAlive).toBe(false);
    expect(performance.now() - started).toBeLessThan(30_000);
  }, 40_000);

  it('probed: the usual close foretold, whatever tcp_orphan_retries says (not refused for good: a probe timer is also what a local drop runs)', async () => {
    for (const orphanRetries of [undefined, 20]) {
      const run = await heldInNetns('zerowin-held', ['--dry-run', '--timeout', '90'], { ...(orphanRetries !== undefined && { orphanRetries }) });
      expect([run.inode > 0, run.timer]).toEqual([true, 4]);
      expect(run.rc, run.lines.join('\n')).toBe(0);
      expect(run.lines).toContainEqual(expect.stringMatching(heldWarning));
      expect(run.serverAlive).toBe(true);
    }
  }, 40_000);
});

describe.skipIf(!canRunFirewallNetns)('an orphan probed for good on an address no listener being freed overlaps (fixtures/probed-elsewhere-netns.sh)', () => {
  it('is refused before any signal, the server serving on (once the claim stopped the server and failed at its wait)', async () => {
    const run = await runNetnsScript({
      script: fileURLToPath(new URL('./fixtures/probed-elsewhere-netns.sh', import.meta.url)),
      args: ['18219', process.execPath, binFor('root'), '--timeout', '10'],
      env: {},
      timeoutMs: 60_000,
    });
    const lines = run.output.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['inode=0', 'timer=04']);
    expect(lines, run.output).toContain('rc=1');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\[claim-port:18219\] refusing: 127\.0\.0\.2:18219 -> 127\.0\.0\.1:18220 \(FIN_WAIT1, .*\), held by no process \(the kernel is still closing it\).*: 1 FIN_WAIT1 on port 18219 that no listener being freed overlaps keeps a server from binding it whether or not the holders exit \(a bind of its address with SO_REUSEADDR fails: its socket was made without it\); the kernel probes it for as long as its peer answers \(.*net\.ipv4\.tcp_retries2 stops the backoff at 15\): have its peer read what it was sent or close its end, and claim port 18219 again$/,
      ),
    );
    expect(lines.some((l) => /sent SIG/.test(l))).toBe(false);
    expect(lines).toContain('server alive');
  }, 40_000);
});

/**
 * Listeners on 127.0.0.1:PORT that share it with SO_REUSEPORT, each with SO_REUSEADDR or not (`reuseAddress`), and
 * one TIME_WAIT of the connection listener `via` accepted and closed first (a connection another one accepted is
 * closed first by its client: its TIME_WAIT is the client's, on its own port). With `thenClose`, the listeners close.
 */
const group = (port: number, reuseAddress: boolean[], via: number, thenClose = false) =>
  start([
    python,
    '-c',
    `import json, os, select, socket, time
def listener(reuse_address):
    s = socket.socket()
    if reuse_address: s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(('127.0.0.1', ${port})); s.listen(8); s.setblocking(False)
    return s
group = [listener(r) for r in ${JSON.stringify(reuseAddress.map((r) => (r ? 1 : 0)))}]
done = False
while not done:
    c = socket.create_connection(('127.0.0.1', ${port}))
    ready, _, _ = select.select(group, [], [], 5)
    a, _ = ready[0].accept(); a.setblocking(True)
    if group.index(ready[0]) == ${via}:
        a.close(); c.recv(1); c.close(); done = True
    else:
        c.close(); a.recv(1); a.close()
${thenClose ? 'for s in group: s.close()' : ''}
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
  ]);

/** Whether a socket with SO_REUSEPORT (not SO_REUSEADDR) binds 0.0.0.0:`port` now, as a server of such a group binds (Node 20 cannot set it). */
const bindsWithReusePort = (port: number) =>
  spawnSync(python, [
    '-c',
    `import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
try:
    s.bind(('0.0.0.0', ${port})); print('ok')
except OSError as e: print(e.strerror)`,
  ])
    .stdout.toString()
    .trim();

const timeWaitsOn = (port: number) => readPortSockets(port, 'tcp').filter((s) => s.state === 'TIME_WAIT').length;

describe('TIME_WAITs where listeners share the port (SO_REUSEPORT), as Linux judges them', () => {
  it.skipIf(!root)(
    "one that may be of a listener with SO_REUSEADDR (which a server's bind passes): refused where it would outlast the timeout (it may be the other's), warned of and waited for within it",
    async () => {
      const [port, twin] = [leasePort(), leasePort()];
      // The kernel: with the group gone, a TIME_WAIT of its member with SO_REUSEADDR keeps no SO_REUSEADDR bind off the port.
      await group(twin, [true, false], 0, true);
      expect(timeWaitsOn(twin)).toBe(1);
      expect(canBindSync(twin, 'tcp')?.ok).toBe(true);
      const started = performance.now();
      const listeners = await group(port, [true, false], 0);
      expect(timeWaitsOn(port)).toBe(1);
      const facts = () =>
        `1 TIME_WAIT on port ${port} may be of 127\\.0\\.0\\.1:${port}, bound without SO_REUSEADDR, or of another listener on its address with SO_REUSEADDR \\(they share it with SO_REUSEPORT; which one cannot be told\\): if of the former, it would keep a server from binding port ${port} for up to ${leftOf(60, started)} s after the holders are gone`;
      // Safety first: were it the listener's without SO_REUSEADDR, killing the server would leave the port unbindable past the timeout.
      const refused = await claimOurs(port, { timeoutSeconds: 5 });
      expect(refused.action, refused.message).toBe('refused');
      const said = new RegExp(
        `^refused to free port ${port}: ${facts()}, longer than the 5 s timeout; stop PID ${listeners.first.pid} by hand and claim port ${port} \\1 s later, or claim it with --timeout (\\d+); nothing was signalled$`,
      );
      expect(refused.message).toMatch(said);
      const [, left, timeout] = said.exec(refused.message)!;
      expect(Number(timeout)).toBe(Number(left) + 1);
      expect(resultJson(refused).blockers).toEqual([expect.objectContaining({ holders: [], timeWaitLeftMs: expect.any(Number) })]);
      expect(isAlive(listeners.first.pid)).toBe(true);
      const lines: string[] = [];
      const result = await claimOurs(port, { timeoutSeconds: 70, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('freed');
      expect(result.holders).toEqual([expect.objectContaining({ pid: listeners.first.pid, signals: ['SIGTERM'] })]);
      expect(lines).toContainEqual(expect.stringMatching(`^${facts()}; waiting for it after the stop \\(within the 70 s timeout\\)$`));
      expect(canBindSync(port, 'tcp')?.ok).toBe(true);
    },
    100_000,
  );

  it.skipIf(!root)(
    'where every listener lacks SO_REUSEADDR, their TIME_WAITs keep a SO_REUSEADDR bind off the port (a SO_REUSEPORT one passes): refused, as for one listener',
    async () => {
      const [port, twin] = [leasePort(), leasePort()];
      // The kernel: with the group gone, its TIME_WAIT keeps a SO_REUSEADDR bind off the port; not one with SO_REUSEPORT.
      await group(twin, [false, false], 1, true);
      expect(timeWaitsOn(twin)).toBe(1);
      expect(canBindSync(twin, 'tcp')).toMatchObject({ ok: false, code: 'EADDRINUSE' });
      expect(bindsWithReusePort(twin)).toBe('ok');
      const started = performance.now();
      const listeners = await group(port, [false, false], 1);
      const result = await claimOurs(port, { timeoutSeconds: 5 });
      expect(result.action, result.message).toBe('refused');
      expect(result.message).toMatch(
        new RegExp(
          `^refused to free port ${port}: 127\\.0\\.0\\.1:${port} was bound without SO_REUSEADDR: 1 TIME_WAIT on the port would keep a server from binding port ${port} for up to ${leftOf(60, started)} s after the holders are gone`,
        ),
      );
      expect(isAlive(listeners.first.pid)).toBe(true);
    },
  );
});

/**
 * fixtures/client-timewait-netns.sh in a PID and network namespace of its own (tcp_fin_timeout `finSeconds`): a client
 * socket bound to 127.0.0.2:18214 without SO_REUSEADDR that connected out and closed first (`timewait`: a TIME_WAIT;
 * `finwait`: an orphan's FIN_WAIT2), and a holder with SO_REUSEADDR on 127.0.0.1:18214, which does not overlap it;
 * claimed by the built bin with `args`, a dry run and then a real run. The kernel's answers to a SO_REUSEADDR bind,
 * each run's lines and exit status, and whether the holder still runs.
 */
async function clientTimeWaitNetns(mode: 'timewait' | 'finwait', finSeconds: number, args: string[]) {
  const run = await runNetnsScript({
    script: fileURLToPath(new URL('./fixtures/client-timewait-netns.sh', import.meta.url)),
    args: [String(finSeconds), mode, '18214', process.execPath, binFor('root'), ...args],
    env: {},
    timeoutMs: 60_000,
  });
  const [kernel = '', ...rest] = run.output.split('\n');
  const [dry = '', real = ''] = rest.join('\n').split(/^--- real\n/m);
  const parse = (text: string) => {
    const lines = text.trim().split('\n');
    return { lines: lines.filter((line) => !/^rc=\d+$|^holder alive$/.test(line)), rc: Number(/^rc=(\d+)$/m.exec(text)?.[1]) };
  };
  return { kernel, dry: parse(dry), real: parse(real), holderAlive: real.includes('holder alive') };
}

describe.skipIf(!canRunFirewallNetns)(
  'a TIME_WAIT of a client socket bound to the port without SO_REUSEADDR, on an address no listener being freed overlaps',
  () => {
    it('that outlasts the timeout: refused before any signal, dry run and real run alike (it was there from the start)', async () => {
      const started = performance.now();
      const run = await clientTimeWaitNetns('timewait', 60, ['--timeout', '5']);
      // The kernel: a SO_REUSEADDR bind of its address, and a server's of the wildcard, fail while it is there, so a
      // listener with SO_REUSEADDR could never have been bound over it (nor it bound under one).
      expect(run.kernel).toBe('wildcard=EADDRINUSE probe=EADDRINUSE');
      const refusal = new RegExp(
        `^\\[claim-port:18214\\] refusing: 127\\.0\\.0\\.2:18214 -> 127\\.0\\.0\\.1:18215 \\(TIME_WAIT, a connection using the port as its local port\\), held by no process \\(the kernel is still closing it\\): 1 TIME_WAIT on port 18214 that no listener being freed overlaps keeps a server from binding it for ${leftOf(60, started)} s more, whether or not the holders exit \\(a bind of its address with SO_REUSEADDR fails: its socket was made without it\\), longer than the 5 s timeout; wait for the kernel to end it \\(for \\1 s more\\) and claim port 18214 again, or claim it with a --timeout that long; `,
      );
      for (const { lines, rc } of [run.dry, run.real]) {
        expect(rc, lines.join('\n')).toBe(1);
        expect(lines).toContainEqual(expect.stringMatching(refusal));
        expect(lines.some((line) => /would send|sent SIG/.test(line))).toBe(false);
      }
      expect(run.holderAlive).toBe(true);
    }, 70_000);

    it('that ends within the timeout (an orphan FIN_WAIT2, tcp_fin_timeout 20 s): warned of before the signal, and waited for after', async () => {
      // Both runs must read it before tcp_fin_timeout ends it: 10 s left the real run a few seconds on a loaded machine,
      // which spends them on the namespace, its processes and the dry run.
      const run = await clientTimeWaitNetns('finwait', 20, ['--timeout', '40']);
      expect(run.kernel).toBe('wildcard=EADDRINUSE probe=EADDRINUSE');
      const warning = (then: string) =>
        new RegExp(
          `^\\[claim-port:18214\\] warning: 127\\.0\\.0\\.2:18214 -> 127\\.0\\.0\\.1:18215 \\(FIN_WAIT2, a connection using the port as its local port\\), held by no process \\(the kernel is still closing it\\): 1 FIN_WAIT2 on port 18214 that no listener being freed overlaps keeps a server from binding it for ([1-9]|1\\d|20) s more, whether or not the holders exit \\(a bind of its address with SO_REUSEADDR fails: its socket was made without it\\); ${then} for the kernel to end it after the stop \\(within the 40 s timeout\\)$`,
        );
      expect(run.dry.rc, run.dry.lines.join('\n')).toBe(0);
      expect(run.dry.lines).toContainEqual(expect.stringMatching(warning('a real run waits')));
      expect(run.real.rc, run.real.lines.join('\n')).toBe(0);
      expect(run.real.lines).toContainEqual(expect.stringMatching(warning('waiting')));
      expect(run.real.lines).toContainEqual(expect.stringMatching(/^\[claim-port:18214\] 1 FIN_WAIT2 on port 18214 .*: waiting for the kernel to end it/));
      expect(run.real.lines.at(-1)).toMatch(/^\[claim-port:18214\] port 18214 is free \(\d+(\.\d)? ms\)$/);
      expect(run.holderAlive).toBe(false);
    }, 70_000);
  },
);
