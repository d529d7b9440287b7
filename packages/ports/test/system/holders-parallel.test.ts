// The scan by perl children must find exactly what the Node scan finds: the
// same holders, the same unreadable processes, the same holders behind an
// exited leader; and where perl cannot run or fails, the Node scan does it all.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import {
  readListenSocketsSync,
  scanSocketHolders,
  scanSocketHoldersParallel,
  snapshot,
  snapshotSync,
  startSocketHoldersParallel,
  type StartedHolderScan,
} from '@dsa110/ports/system';
import { hasCommand, leasePort, signal, spawnListener, waitForExit, waitUntil, worldReadableBundle } from '../../../../test-support/index.js';
import { recordSpawned } from '../../../../test-support/guard.js';
import { tempDir } from '../../../../test-support/tree.js';
import { scanInputs } from '../../src/system/holders.js';
import { finishPerlScan, perlExecutable, startPerlScan } from '../../src/system/holders-perl.js';

const systemSource = new URL('../../src/system/index.ts', import.meta.url).pathname;
const root = process.getuid?.() === 0;
const perl = perlExecutable();

describe.skipIf(perl === undefined)('scanSocketHoldersParallel with perl', () => {
  it('finds every holder and every unreadable process the Node scan finds', async () => {
    const shared = await spawnListener({ host: '127.0.0.1', workers: 3 });
    const single = await spawnListener({ host: '::1' });
    const inodes = readListenSocketsSync({ ports: [shared.port, single.port] }).map((s) => s.inode);
    expect(inodes.length).toBeGreaterThanOrEqual(2);
    const expected = scanSocketHolders(inodes);
    const { threads, scanner, ...parallel } = await scanSocketHoldersParallel(inodes, { minProcesses: 1, requireIdleCore: false });
    expect({ threads, scanner }).toEqual({ threads: 2, scanner: 'perl' });
    expect(parallel).toEqual(expected);
    expect([...parallel.holders.values()].flat()).toEqual(expect.arrayContaining([...shared.pids, ...single.pids]));
  });

  it('with socketLinks, keeps every socket link with an fd on it, as the Node scan does (what unlistedSocketHolders takes instead of a second scan)', async () => {
    const server = await spawnListener({ host: '127.0.0.1' });
    const decoy = await spawnListener({ bindOnly: true, unboundSockets: 2, dups: 50 });
    const inodes = readListenSocketsSync({ ports: [server.port] }).map((s) => s.inode);
    // The decoy's sockets, each with the fd given for it: one that is that socket (which of its fds is the reader's order).
    const ours = (links: ReadonlyMap<number, ReadonlyMap<number, number>> | undefined) =>
      [...(links ?? [])]
        .flatMap(([inode, byPid]) => {
          const fd = byPid.get(decoy.pid);
          return fd === undefined ? [] : [`${inode} ${readlinkSync(`/proc/${decoy.pid}/fd/${fd}`) === `socket:[${inode}]`}`];
        })
        .sort();
    const expected = ours(scanSocketHolders(inodes, { socketLinks: true }).socketLinks);
    // Its 3 sockets (and its stdio's), each once however many fds it is in.
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(expected.every((entry) => entry.endsWith(' true'))).toBe(true);
    const parallel = await scanSocketHoldersParallel(inodes, { minProcesses: 1, requireIdleCore: false, socketLinks: true });
    expect(parallel.scanner).toBe('perl');
    expect(ours(parallel.socketLinks)).toEqual(expected);
    const started = startSocketHoldersParallel({ minProcesses: 1, socketLinks: true });
    expect(ours((await started.finish(inodes)).socketLinks)).toEqual(expected);
    // Not asked for: none kept.
    expect(scanSocketHolders(inodes).socketLinks).toBeUndefined();
    expect((await scanSocketHoldersParallel(inodes, { minProcesses: 1 })).socketLinks).toBeUndefined();
  });

  it('has perl running when it returns, before its promise is awaited (what the caller does next overlaps the scan)', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const inodes = readListenSocketsSync({ ports: [listener.port] }).map((s) => s.inode);
    // Children of this thread: the scan's perl is forked from it.
    const children = () => readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'latin1').trim().split(' ').filter(Boolean);
    const before = new Set(children());
    const pending = scanSocketHoldersParallel(inodes, { minProcesses: 1, requireIdleCore: false });
    const started = children().filter((pid) => !before.has(pid));
    const scan = await pending;
    expect(started).toHaveLength(1);
    expect(scan.scanner).toBe('perl');
    expect([...scan.holders.values()].flat()).toEqual(listener.pids);
  });

  it('startSocketHoldersParallel: perl starts within the call, before the sockets are known, and finishes for those given later', async () => {
    const listener = await spawnListener({ host: '127.0.0.1', workers: 2 });
    const children = () => readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'latin1').trim().split(' ').filter(Boolean);
    const before = new Set(children());
    const started = startSocketHoldersParallel({ minProcesses: 1, requireIdleCore: false });
    const spawned = children().filter((pid) => !before.has(pid));
    // The sockets are decided after perl started: it reports every socket link it reads.
    const inodes = readListenSocketsSync({ ports: [listener.port] }).map((s) => s.inode);
    const { threads, scanner, ...scan } = await started.finish(inodes);
    expect(spawned).toHaveLength(1);
    expect({ threads, scanner }).toEqual({ threads: 2, scanner: 'perl' });
    expect(scan).toEqual(scanSocketHolders(inodes));
    expect([...scan.holders.values()].flat()).toEqual(listener.pids);
  });

  it('startSocketHoldersParallel: cancel, or a finish with no socket to look for, stops its perl at once and starts no other', async () => {
    const children = () => readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'latin1').trim().split(' ').filter(Boolean);
    // This process's own fds, 150,000 times: three perls of 50,000 PIDs one after another, over 10 s in all unstopped.
    const long = { minProcesses: 1, requireIdleCore: false, pids: Array<number>(150_000).fill(process.pid) };
    for (const stop of [(scan: StartedHolderScan) => scan.cancel(), (scan: StartedHolderScan) => void scan.finish([])]) {
      const before = new Set(children());
      const started = startSocketHoldersParallel(long);
      const [pid] = children().filter((child) => !before.has(child));
      expect(pid).toBeDefined();
      stop(started);
      // Stopped and reaped by this process, and no next share started.
      expect(await waitUntil(() => !existsSync(`/proc/${pid}`), 3000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(children().filter((child) => !before.has(child))).toEqual([]);
    }
    expect(await startSocketHoldersParallel({ minProcesses: 1, requireIdleCore: false }).finish([])).toEqual({
      holders: new Map(),
      unreadable: [],
      threads: 1,
      scanner: 'node',
    });
    expect(() => startSocketHoldersParallel({ threads: 'all' as 'every' })).toThrow(/^startSocketHoldersParallel: options\.threads must be 'every'/);
    expect(() => startSocketHoldersParallel({ pid: [1] } as object)).toThrow(/^startSocketHoldersParallel: unknown option "pid"/);
    await expect(startSocketHoldersParallel({ perl: false }).finish(7 as unknown as number[])).rejects.toThrow(
      /^startSocketHoldersParallel\(\.\.\.\)\.finish: inodes must be/,
    );
  });

  it('snapshot({ parallel: true }) of every listener finds what snapshotSync() finds (the scan started before the table read)', async () => {
    const listener = await spawnListener({ host: '127.0.0.1', workers: 2 });
    const ours = (snap: { listeners: readonly { port: number; inode: number; holders: readonly { pid: number }[] }[] }) =>
      snap.listeners.filter((l) => l.port === listener.port).map((l) => ({ inode: l.inode, pids: l.holders.map((h) => h.pid) }));
    const parallel = ours(await snapshot({ parallel: true }));
    expect(parallel).toEqual(ours(snapshotSync()));
    expect(parallel.flatMap((l) => l.pids)).toEqual(listener.pids);
  });

  it('snapshot({ sockets, holderScan }) finishes the scan started earlier, and starts none of its own; with no socket, stops it', async () => {
    const listener = await spawnListener({ host: '127.0.0.1', workers: 2 });
    const children = () => readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'latin1').trim().split(' ').filter(Boolean);
    const before = new Set(children());
    // Started on one of the three holders alone: a snapshot that scanned again would find all three.
    const [first] = listener.pids;
    const started = startSocketHoldersParallel({ minProcesses: 1, requireIdleCore: false, pids: [first!] });
    const spawned = children().filter((pid) => !before.has(pid));
    expect(spawned).toHaveLength(1);
    const sockets = readListenSocketsSync({ ports: [listener.port] });
    const pending = snapshot({ ports: [listener.port], sockets, parallel: true, holderScan: started });
    expect(children().filter((pid) => !before.has(pid))).toEqual(spawned);
    const taken = await pending;
    expect(taken.listeners.flatMap((l) => l.holders.map((h) => h.pid))).toEqual([first]);
    expect(listener.pids).toHaveLength(3);
    expect(snapshotSync({ ports: [listener.port], sockets }).listeners.flatMap((l) => l.holders.map((h) => h.pid))).toEqual(listener.pids);

    // A long scan given no socket is stopped at once (its perl reaped), not left to read /proc.
    const long = { minProcesses: 1, requireIdleCore: false, pids: Array<number>(150_000).fill(process.pid) };
    const again = new Set(children());
    const unused = startSocketHoldersParallel(long);
    const [pid] = children().filter((child) => !again.has(child));
    expect(pid).toBeDefined();
    expect(await snapshot({ sockets: [], holderScan: unused })).toEqual({ listeners: [], unreadable: [] });
    expect(await waitUntil(() => !existsSync(`/proc/${pid}`), 3000)).toBe(true);
  });

  it('reads the same in one perl as in two', async () => {
    const listener = await spawnListener({ host: '127.0.0.1', workers: 2 });
    const inputs = scanInputs(
      readListenSocketsSync({ ports: [listener.port] }).map((s) => s.inode),
      {},
    );
    const one = await finishPerlScan(startPerlScan(inputs.pids, inputs.proc, perl!, 1), inputs.wanted, inputs.proc);
    const two = await finishPerlScan(startPerlScan(inputs.pids, inputs.proc, perl!, 2), inputs.wanted, inputs.proc);
    expect(one.read && two.read).toBe(true);
    const found = (parts: { found: number[] }[]) =>
      parts
        .flatMap((part) => part.found)
        .filter((_, index) => index % 2 === 0)
        .sort((a, b) => a - b);
    expect(found(one.parts)).toEqual(listener.pids);
    expect(found(two.parts)).toEqual(listener.pids);
  });

  it('scans in Node below minProcesses, with perl: false, where perl is missing, fails, or prints what does not parse', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const inodes = readListenSocketsSync({ ports: [listener.port] }).map((s) => s.inode);
    const expected = scanSocketHolders(inodes);
    // /bin/echo exits 0 having printed its arguments: output that does not parse is not taken either.
    for (const options of [{ perl: false as const }, { perl: '/nonexistent/perl' }, { perl: '/bin/false' }, { perl: '/bin/echo' }]) {
      const { threads, scanner, ...result } = await scanSocketHoldersParallel(inodes, { minProcesses: 1, requireIdleCore: false, ...options });
      expect({ threads, scanner, result }).toEqual({ threads: 1, scanner: 'node', result: expected });
    }
    expect((await scanSocketHoldersParallel(inodes, { minProcesses: 1_000_000 })).scanner).toBe('node');
    await expect(scanSocketHoldersParallel(inodes, { perl: 0 as unknown as string })).rejects.toThrow(
      /options\.perl must be a path to perl\(1\) or false, not/,
    );
  });

  it('works from a minified bundle (its perl program is a string in it)', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const dir = tempDir('dsa110-parallel-');
    writeFileSync(
      join(dir, 'entry.ts'),
      `import { readListenSocketsSync, scanSocketHoldersParallel } from ${JSON.stringify(systemSource)};
const inodes = readListenSocketsSync({ ports: [Number(process.argv[2])] }).map((s) => s.inode);
const scan = await scanSocketHoldersParallel(inodes, { minProcesses: 1, requireIdleCore: false });
console.log(JSON.stringify({ scanner: scan.scanner, pids: [...scan.holders.values()].flat() }));`,
    );
    await esbuild.build({
      entryPoints: [join(dir, 'entry.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      outfile: join(dir, 'out.mjs'),
      logLevel: 'error',
    });
    const result = JSON.parse(execFileSync(process.execPath, [join(dir, 'out.mjs'), String(listener.port)], { encoding: 'utf8' }));
    expect(result).toEqual({ scanner: 'perl', pids: listener.pids });
  });

  it.skipIf(!root)('as another user: the processes it cannot read are unreadable, as in the Node scan, never guessed', async () => {
    const server = await spawnListener();
    const bundle = await worldReadableBundle(systemSource);
    const script = `
      import('${bundle}').then(async (m) => {
        // A process of this user's for perl to read: this one's own fds Node reads again once perl is done (finishPerlScan).
        const sleeper = (await import('node:child_process')).spawn('sleep', ['30'], { stdio: 'ignore' });
        const inodes = m.readListenSocketsSync({ ports: [${server.port}] }).map((s) => s.inode);
        const node = m.scanSocketHolders(inodes);
        const perl = await m.scanSocketHoldersParallel(inodes, { minProcesses: 1, requireIdleCore: false });
        sleeper.kill();
        // Only this server's process: others of the suite start and end between the two scans.
        const mine = (s) => ({ holders: s.holders.size, unreadable: s.unreadable.includes(${server.pid}) });
        console.log(JSON.stringify({ scanner: perl.scanner, node: mine(node), perl: mine(perl) }));
      });`;
    const out = execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: '/',
    });
    expect(JSON.parse(out)).toEqual({ scanner: 'perl', node: { holders: 0, unreadable: true }, perl: { holders: 0, unreadable: true } });
  });

  describe.runIf(root && existsSync('/usr/bin/python3'))('a holder whose leader exited', () => {
    const started: number[] = [];
    afterEach(async () => {
      for (const pid of started.splice(0)) {
        signal(pid, 'SIGKILL');
        await waitForExit(pid);
      }
    });

    it('is found beside the holder /proc/PID/fd shows (perl reports its empty fd directory)', async () => {
      const child = spawn(
        '/usr/bin/python3',
        [
          '-c',
          `import ctypes, json, os, socket, threading, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
child = os.fork()
if child == 0:
    threading.Thread(target=lambda: time.sleep(3600)).start()
    ctypes.CDLL(None).pthread_exit(None)
os.write(1, (json.dumps({'port': s.getsockname()[1], 'pids': [os.getpid(), child]}) + '\\n').encode())
time.sleep(3600)`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      recordSpawned(child.pid!);
      started.push(child.pid!);
      const line = await new Promise<string>((resolve) => child.stdout!.once('data', (data: Buffer) => resolve(String(data))));
      const { port, pids } = JSON.parse(line) as { port: number; pids: number[] };
      recordSpawned(pids[1]!);
      started.push(pids[1]!);
      await waitUntil(() => readdirSync(`/proc/${pids[1]}/fd`).length === 0);
      const inodes = readListenSocketsSync({ ports: [port] }).map((s) => s.inode);
      const scan = await scanSocketHoldersParallel(inodes, { minProcesses: 1, requireIdleCore: false });
      expect(scan.scanner).toBe('perl');
      expect(scan.holders.get(inodes[0]!)).toEqual([...pids].sort((a, b) => a - b));
    });
  });
});

// A scan started early lists /proc at once (a started perl is given the list); a process that forks after
// that and keeps the listener's socket, while its parent runs on, holds it too: finish must name it.
describe.runIf(existsSync('/usr/bin/python3'))('startSocketHoldersParallel: a holder forked after the scan started', () => {
  const paths = [
    { scanner: 'node', options: { perl: false as const } },
    ...(perl === undefined ? [] : [{ scanner: 'perl', options: { minProcesses: 1, requireIdleCore: false } }]),
  ];
  for (const { scanner, options } of paths) {
    it(`is found by finish, beside its parent (${scanner} scan)`, async () => {
      const listener = await spawnListener({ host: '127.0.0.1', forkOnRequest: true });
      const started = startSocketHoldersParallel(options);
      const child = await listener.forkHolder();
      const inodes = readListenSocketsSync({ ports: [listener.port] }).map((s) => s.inode);
      const scan = await started.finish(inodes);
      expect(scan.scanner).toBe(scanner);
      expect(scan.holders.get(inodes[0]!)).toEqual([listener.pid, child].sort((a, b) => a - b));
    });

    it(`is found among many processes started since, and a thread started since is not taken for one (${scanner} scan)`, async () => {
      const listener = await spawnListener({ host: '127.0.0.1', forkOnRequest: true });
      const started = startSocketHoldersParallel(options);
      // A thread's id is a PID number whose /proc/TID/fd shows its process's fds: never a holder of its own.
      const thread = await listener.startThread();
      const children: number[] = [];
      // Many PIDs since (on a machine of fewer than 256 processes, more than the 64 looked at one by one: /proc is listed again).
      const sleepers = Array.from({ length: 70 }, () => spawn('/bin/sleep', ['60'], { stdio: 'ignore' }));
      for (const sleeper of sleepers) recordSpawned(sleeper.pid!);
      try {
        children.push(await listener.forkHolder());
        const inodes = readListenSocketsSync({ ports: [listener.port] }).map((s) => s.inode);
        const scan = await started.finish(inodes);
        expect(scan.holders.get(inodes[0]!)).toEqual([listener.pid, ...children].sort((a, b) => a - b));
        expect(scan.holders.get(inodes[0]!)).not.toContain(thread);
        // And with a few PIDs since: each is looked at.
        const again = startSocketHoldersParallel(options);
        const late = startThreadAndFork(listener);
        const { tid, child } = await late;
        const rescan = await again.finish(inodes);
        expect(rescan.holders.get(inodes[0]!)).toEqual([listener.pid, ...children, child].sort((a, b) => a - b));
        expect(rescan.holders.get(inodes[0]!)).not.toContain(tid);
      } finally {
        for (const sleeper of sleepers) signal(sleeper.pid!, 'SIGKILL');
        await Promise.all(sleepers.map((sleeper) => waitForExit(sleeper.pid!)));
      }
    });

    it(`is found by snapshot({ sockets, holderScan }) (${scanner} scan)`, async () => {
      const listener = await spawnListener({ host: '127.0.0.1', forkOnRequest: true });
      const started = startSocketHoldersParallel(options);
      const sockets = readListenSocketsSync({ ports: [listener.port] });
      const child = await listener.forkHolder();
      const taken = await snapshot({ ports: [listener.port], sockets, parallel: true, holderScan: started });
      expect(taken.listeners.flatMap((l) => l.holders.map((h) => h.pid))).toEqual([listener.pid, child].sort((a, b) => a - b));
    });
  }

  it('a scan given its PIDs (options.pids) reads those alone, whatever started since', async () => {
    const listener = await spawnListener({ host: '127.0.0.1', forkOnRequest: true });
    for (const options of paths.map((path) => path.options)) {
      const started = startSocketHoldersParallel({ ...options, pids: [listener.pid] });
      await listener.forkHolder();
      const inodes = readListenSocketsSync({ ports: [listener.port] }).map((s) => s.inode);
      expect((await started.finish(inodes)).holders.get(inodes[0]!)).toEqual([listener.pid]);
    }
  });
});

/** A thread, then a child keeping the socket, started in `listener`. */
async function startThreadAndFork(listener: { startThread(): Promise<number>; forkHolder(): Promise<number> }): Promise<{ tid: number; child: number }> {
  const tid = await listener.startThread();
  return { tid, child: await listener.forkHolder() };
}

it.runIf(hasCommand('perl'))('perl is looked for at fixed paths only, never through PATH', () => {
  expect(perlExecutable(['/nonexistent/perl'])).toBeUndefined();
  expect(perlExecutable(['/nonexistent/perl', '/bin/sh'])).toBe('/bin/sh');
});
