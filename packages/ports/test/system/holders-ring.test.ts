// Sockets held only inside an io_uring: registered with IORING_REGISTER_FILES, the process's own fd closed. The
// holder scans (Node's and perl's) find the process through its ring's fdinfo, only while a socket has no holder.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { scanSocketHolders, scanSocketHoldersParallel, snapshot } from '@dsa110/ports/system';
import { leasePort, ringHolderUnavailable, startRingHolder, type RingHolder } from '../../../../test-support/index.js';
import { tempDir } from '../../../../test-support/tree.js';
import { parseRingFiles } from '../../src/system/holders.js';
import { perlExecutable, readChildOutput } from '../../src/system/holders-perl.js';

describe('parseRingFiles', () => {
  const head = 'SqMask:\t0x3\nSqHead:\t0\nSqThreadCpu:\t-1\n';
  it('takes the socket entries of the registered-file table, as io_uring/fdinfo.c prints them', () => {
    const text = `${head}UserFiles:\t3\n    0: socket:[14598121]\n    1: /tmp/a file\n   12: socket:[7]\nUserBufs:\t0\nPollList:\n`;
    expect(parseRingFiles(text)).toEqual([14598121, 7]);
  });
  it('an empty table is empty; no table printed (the ring was locked) is not knowing', () => {
    expect(parseRingFiles(`${head}UserFiles:\t0\nUserBufs:\t0\n`)).toEqual([]);
    expect(parseRingFiles(`${head}PollList:\n`)).toBeUndefined();
  });
  // Kernels before about 6.14 (io_uring/fdinfo.c then): the count is printed even when the ring's lock could not be
  // taken, and only the entries are skipped; and each entry is the file's dentry name (d_iname), empty for a socket.
  const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'latin1');
  it('an older kernel that counted files but printed no entry (the ring was locked) is not knowing, not an empty table', () => {
    expect(parseRingFiles(fixture('io-uring-fdinfo-old-busy.txt'))).toBeUndefined();
  });
  it('a table with empty slots, as 6.18 prints it (only the slots in use, read from a real ring), is read', () => {
    expect(parseRingFiles(fixture('io-uring-fdinfo-6.18-sparse.txt'))).toEqual([15081588]);
  });
  it('an older kernel that names each file by its dentry (a socket by nothing) is not knowing', () => {
    expect(parseRingFiles(fixture('io-uring-fdinfo-old-dentry-names.txt'))).toBeUndefined();
    expect(parseRingFiles(`${head}UserFiles:\t1\n    0:\nUserBufs:\t0\n`)).toBeUndefined();
    // Named files and empty slots only: no socket among them.
    expect(parseRingFiles(`${head}UserFiles:\t2\n    0: ring.log\n    1: <none>\nUserBufs:\t0\n`)).toEqual([]);
  });
});

describe('readChildOutput', () => {
  it('keeps the io_uring fds perl reports (r records), not those of a process left to recheck', () => {
    const out = `${['r', 10, 4, 'd', 10, 3, 'r', 11, 5, 'e', 11, 13].map(String).join('\0')}\0`;
    expect(readChildOutput([10, 11], out, new Map()).scan.rings).toEqual([10, 4]);
  });
});

const unavailable = ringHolderUnavailable();
let holder: RingHolder | undefined;
afterEach(async () => {
  await holder?.stop();
  holder = undefined;
});

describe.skipIf(unavailable !== undefined)(`a socket held only through an io_uring${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('scanSocketHolders names its process, as held through the ring', async () => {
    holder = await startRingHolder(leasePort());
    const scan = scanSocketHolders([holder.inode]);
    expect(scan.holders.get(holder.inode)).toEqual([holder.pid]);
    expect(scan.rings?.get(holder.inode)).toEqual([holder.pid]);
  });

  it.skipIf(perlExecutable() === undefined)('the perl scan names it too', async () => {
    holder = await startRingHolder(leasePort());
    const { threads, scanner, ...scan } = await scanSocketHoldersParallel([holder.inode], { minProcesses: 1, requireIdleCore: false });
    expect(scanner).toBe('perl');
    expect(scan.holders.get(holder.inode)).toEqual([holder.pid]);
    expect(scan.rings?.get(holder.inode)).toEqual([holder.pid]);
  });

  it("a snapshot's listener has its owner, marked throughRing", async () => {
    holder = await startRingHolder(leasePort());
    const { listeners } = await snapshot({ ports: [holder.port] });
    expect(listeners.map((l) => [l.ownerKnown, l.holders.map((h) => h.pid), l.throughRing])).toEqual([[true, [holder.pid], [holder.pid]]]);
  });
});

/** The fds of an fd table (`/proc/PID/fd` or `/proc/PID/task/TID/fd`) that are io_urings. */
const ringFds = (dir: string) => readdirSync(dir).filter((fd) => readlinkSync(`${dir}/${fd}`) === 'anon_inode:[io_uring]');

// A thread that made an fd table of its own (unshare(CLONE_FILES)) and its ring there: /proc/PID/fd shows neither the
// ring nor the socket, only /proc/PID/task/TID/fd. The scan of every thread's table reads that ring too.
describe.skipIf(unavailable !== undefined)(
  `a socket held only through an io_uring in a thread's own fd table${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('the scan of every thread names its process, as held through the ring; the common scan names no one and knows it', async () => {
      holder = await startRingHolder(leasePort(), { ownTable: true });
      expect(holder.tid).not.toBe(holder.pid);
      expect(ringFds(`/proc/${holder.pid}/fd`)).toEqual([]);
      expect(ringFds(`/proc/${holder.pid}/task/${holder.tid}/fd`)).toEqual([String(holder.ring)]);
      const scan = scanSocketHolders([holder.inode], { threads: 'every' });
      expect(scan.holders.get(holder.inode)).toEqual([holder.pid]);
      expect(scan.rings?.get(holder.inode)).toEqual([holder.pid]);
      // Without every thread's table: no holder, which a snapshot says as an owner not known (never as none).
      expect(scanSocketHolders([holder.inode]).holders.get(holder.inode)).toBeUndefined();
      const { listeners } = await snapshot({ ports: [holder.port] });
      expect(listeners.map((l) => [l.ownerKnown, l.holders.length])).toEqual([[false, 0]]);
    });

    it.skipIf(perlExecutable() === undefined)('the perl scan of every thread names it too', async () => {
      holder = await startRingHolder(leasePort(), { ownTable: true });
      const { threads, scanner, ...scan } = await scanSocketHoldersParallel([holder.inode], { minProcesses: 1, requireIdleCore: false, threads: 'every' });
      expect(scanner).toBe('perl');
      expect(scan.holders.get(holder.inode)).toEqual([holder.pid]);
      expect(scan.rings?.get(holder.inode)).toEqual([holder.pid]);
    });

    it('a ring of its own at the fd number where its process has another ring is read too (unshare made the number another ring)', async () => {
      holder = await startRingHolder(leasePort(), { ownTable: true, leaderRing: true });
      expect(ringFds(`/proc/${holder.pid}/fd`)).toEqual([String(holder.ring)]);
      expect(ringFds(`/proc/${holder.pid}/task/${holder.tid}/fd`)).toEqual([String(holder.ring)]);
      const scan = scanSocketHolders([holder.inode], { threads: 'every' });
      expect(scan.holders.get(holder.inode)).toEqual([holder.pid]);
      expect(scan.rings?.get(holder.inode)).toEqual([holder.pid]);
    });

    it('such a ring is read too when the two tables have as many fds (one size: taken for one table at first), before a socket is said to have no holder', async () => {
      holder = await startRingHolder(leasePort(), { ownTable: true, leaderRing: true, sameSize: true });
      expect(statSync(`/proc/${holder.pid}/task/${holder.tid}/fd`).size).toBe(statSync(`/proc/${holder.pid}/fd`).size);
      const scan = scanSocketHolders([holder.inode], { threads: 'every' });
      expect(scan.holders.get(holder.inode)).toEqual([holder.pid]);
      expect(scan.rings?.get(holder.inode)).toEqual([holder.pid]);
    });

    it("a snapshot of every thread's table has its owner, marked throughRing", async () => {
      holder = await startRingHolder(leasePort(), { ownTable: true });
      const { listeners } = await snapshot({ ports: [holder.port], threads: 'every' });
      expect(listeners.map((l) => [l.ownerKnown, l.holders.map((h) => h.pid), l.throughRing])).toEqual([[true, [holder.pid], [holder.pid]]]);
    });
  },
);

// A process whose main thread exited (pthread_exit): its /proc/PID/fd is empty, and its ring is read through the
// table of a thread that lives on, by the common scan as by the scan of every thread.
describe.skipIf(unavailable !== undefined)(
  `a socket held only through the io_uring of a process whose main thread exited${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('scanSocketHolders names its process, as held through the ring', async () => {
      holder = await startRingHolder(leasePort(), { leaderExits: true });
      expect(readdirSync(`/proc/${holder.pid}/fd`)).toEqual([]);
      for (const threads of [undefined, 'every'] as const) {
        const scan = scanSocketHolders([holder.inode], { threads });
        expect(scan.holders.get(holder.inode)).toEqual([holder.pid]);
        expect(scan.rings?.get(holder.inode)).toEqual([holder.pid]);
      }
    });
  },
);

const strace = spawnSync('strace', ['-V']).status === 0;
describe.skipIf(unavailable !== undefined || !strace)(
  `the rings of a process of many threads sharing one table${unavailable ? ` (skipped: ${unavailable})` : strace ? '' : ' (skipped: strace is not installed)'}`,
  () => {
    it("are read once, not once per thread, by the scan of every thread's table", async () => {
      holder = await startRingHolder(leasePort(), { idleThreads: 8 });
      const trace = join(tempDir('ring-reads-'), 'trace');
      const holders = fileURLToPath(new URL('../../src/system/holders.ts', import.meta.url));
      const script = `import { scanSocketHolders } from ${JSON.stringify(holders)};
const scan = scanSocketHolders([${holder.inode}], { threads: 'every', pids: [${holder.pid}] });
console.log(JSON.stringify([...scan.holders.entries()]));`;
      const run = spawnSync(
        'strace',
        ['-f', '-qq', '-e', 'trace=openat', '-o', trace, process.execPath, '--conditions=development', '--import', 'tsx', '--input-type=module', '-e', script],
        { encoding: 'utf8' },
      );
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual([[holder.inode, [holder.pid]]]);
      // Each thread's table (the process's own, shared) shows the ring at the same fd: its fdinfo is read once.
      const reads = readFileSync(trace, 'utf8').match(new RegExp(`/proc/${holder.pid}/(task/\\d+/)?fdinfo/${holder.ring}"`, 'g')) ?? [];
      expect(reads).toHaveLength(1);
    });
  },
);
