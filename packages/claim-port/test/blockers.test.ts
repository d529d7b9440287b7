// How sockets out of the kernel's tables that could not be examined are named:
// sockets (not fds), why they were not examined, and never "held by no
// process" (processes hold them; none is proved to hold the port).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { guardPort, spawnListener, waitUntil } from '../../../test-support/index.js';
import { tempDir } from '../../../test-support/tree.js';
import { readPortSockets, readProcessInfo, type Listener, type PortSocket } from '@dsa110/ports/system';
import { describeBlockers, describeUnexamined, timeWaitsAfterClaim } from '../src/blockers.js';
import { shownCommand } from '../src/plan.js';
import { BIN } from './helpers.js';

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

const strace = spawnSync('strace', ['-V']).status === 0;

/**
 * The fewest times a dry-run claim of `port` read `decoyPid`'s fd table, over up to three runs under strace (stopping at
 * one). A socket any process on the machine closes between the holder scan and perl's look at it is read again, on
 * purpose (examineGoneAgain): on a busy machine one run can see that; a claim that always read every table twice
 * reads it twice in each run.
 */
function fewestFdTableReads(port: number, holderPid: number, decoyPid: number): number {
  let fewest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3 && fewest > 1; attempt++) {
    const trace = join(tempDir('one-scan-'), 'trace');
    const run = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat,chdir', '-o', trace, process.execPath, BIN, String(port), '--dry-run', '--json'], {
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ action: 'would-free', holders: [expect.objectContaining({ pid: holderPid })] });
    // Node opens the directory (readdir), perl enters it (chdir): either way, once per scan.
    const reads = readFileSync(trace, 'utf8').match(new RegExp(`(openat\\(AT_FDCWD, |chdir\\()"/proc/${decoyPid}/fd"`, 'g')) ?? [];
    fewest = Math.min(fewest, reads.length);
  }
  return fewest;
}

describe('the sockets out of the tables, in a claim of a held port', () => {
  afterEach(async () => {
    for (const listener of spawned.splice(0)) await listener.kill();
  });

  it.skipIf(process.getuid?.() !== 0 || !strace)(
    `reads each process's fd table once: the holder scan's links serve the search for them (a second pass over 2 million dup'd fds doubled a claim's time)${strace ? '' : ' [skipped: strace is not installed]'}`,
    async () => {
      const server = await spawnListener();
      // A process holding sockets no table lists (unbound: /proc/net/sockstat counts them, so the search runs), each in many fds.
      const decoy = await spawnListener({ bindOnly: true, unboundSockets: 2, dups: 500 });
      spawned.push(server, decoy);
      guardPort(server.port);
      expect(fewestFdTableReads(server.port, server.pid, decoy.pid)).toBe(1);
    },
  );

  it.skipIf(process.getuid?.() !== 0 || !strace)(
    `reads each process's fd table once where the port has connections too: the holder scan's links name their holders${strace ? '' : ' [skipped: strace is not installed]'}`,
    async () => {
      const server = await spawnListener();
      const decoy = await spawnListener({ bindOnly: true, unboundSockets: 2, dups: 500 });
      spawned.push(server, decoy);
      guardPort(server.port);
      // A client of the server: the connection it accepted is on the port, held by the server.
      const client = await new Promise<Socket>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => resolve(socket)).on('error', reject);
      });
      try {
        expect(await waitUntil(() => readPortSockets(server.port, 'tcp').some((socket) => socket.state === 'ESTABLISHED' && socket.inode !== 0))).toBe(true);
        expect(fewestFdTableReads(server.port, server.pid, decoy.pid)).toBe(1);
      } finally {
        client.destroy();
      }
    },
  );
});

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
      waitMs: 42_000,
      listeners: ['127.0.0.1:8000'],
      blockers: [
        { socket: '127.0.0.1:8000 -> 127.0.0.1:41234 (TIME_WAIT, a connection using the port as its local port)', holders: [], timeWaitLeftMs: 42_000 },
      ],
    });
  });

  it("counts a TIME_WAIT that a listener with SO_REUSEADDR (or one not read) shares the address of as shared, not in the wait: it may be that one's", () => {
    const empty = tempDir('no-tables-');
    // A SO_REUSEPORT group on 127.0.0.1:8000: 11 without SO_REUSEADDR, 12 with it (or not read).
    for (const read of [
      new Map([
        [11, false],
        [12, true],
      ]),
      new Map([[11, false]]),
    ]) {
      expect(timeWaitsAfterClaim(8000, [timeWait(30_000)], [listener(11), listener(12)], new Set(), () => read, empty)).toEqual({
        timeWaits: 0,
        connections: 0,
        waitMs: 0,
        listeners: ['127.0.0.1:8000'],
        blockers: [],
        shared: { timeWaits: 1, connections: 0, waitMs: 30_000 },
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
