// The inode column of every /proc/net table layout (tcp/udp, unix, packet).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import {
  examinationInput,
  examineSockets,
  processesWithUnlistedSockets,
  sockstatRulesOutUnlistedTcp,
  tableInodes,
  unlistedSocketHolders,
} from '../../src/system/hidden-sockets.js';
import { scanSocketHolders } from '../../src/system/holders.js';
import { perlExecutable } from '../../src/system/holders-perl.js';
import { startSocketHoldersParallel } from '../../src/system/holders-parallel.js';
import { readListenSocketsSync } from '../../src/system/sockets.js';
import { signal, spawnListener, waitForExit } from '../../../../test-support/index.js';
import { tempDir } from '../../../../test-support/tree.js';

const tcp = readFileSync(new URL('./fixtures/proc-net-tcp-any-state.txt', import.meta.url), 'utf8');

const hiddenSockets = fileURLToPath(new URL('../../src/system/hidden-sockets.ts', import.meta.url));

/** unlistedSocketHolders(port) in a node of its own, run as `prefix` says (under strace, with a lower RLIMIT_NOFILE). */
function holdersInChild(port: number, prefix: string[]): { holders: number[] } {
  const script = `import { unlistedSocketHolders } from ${JSON.stringify(hiddenSockets)}; console.log(JSON.stringify(unlistedSocketHolders(${port})));`;
  const run = spawnSync(
    prefix[0]!,
    [...prefix.slice(1), process.execPath, '--conditions=development', '--import', 'tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
    },
  );
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { holders: number[] };
}

/** The fd of `pid` on each of its sockets, by inode. */
function socketFds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    if (target.startsWith('socket:[') && !out.has(Number(target.slice(8, -1)))) out.set(Number(target.slice(8, -1)), Number(fd));
  }
  return out;
}

const mptcpEnabled = (): boolean => {
  try {
    return readFileSync('/proc/sys/net/mptcp/enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
};

describe('socket tables in any state', () => {
  it('reads the inode column of every /proc/net table layout', () => {
    expect(tableInodes(tcp)).toEqual([1001, 1002, 1003]);
    expect(
      tableInodes('Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 4242 /run/x.sock\n'),
    ).toEqual([4242]);
    expect(
      tableInodes('sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n0000000000000000 3      3    0003   2     1 0      0      777\n'),
    ).toEqual([777]);
  });
});

describe('processesWithUnlistedSockets given a bad procRoot', () => {
  const untyped = processesWithUnlistedSockets as (procRoot?: unknown) => unknown;
  it('a procRoot that is not a non-empty string is a TypeError naming it', () => {
    expect(() => untyped(5)).toThrow(/^processesWithUnlistedSockets: procRoot must be a non-empty string .*not number 5$/);
    expect(() => untyped('')).toThrow(/^processesWithUnlistedSockets: procRoot must be .*not an empty string$/);
  });

  it('one it cannot list says so, naming itself and the procRoot (it used to be a bare "ENOENT: no such file or directory, scandir")', () => {
    expect(() => untyped('x')).toThrow('processesWithUnlistedSockets: cannot list procRoot "x": no such directory: give where /proc is mounted');
    expect(() => untyped('x')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    const dir = mkdtempSync(join(tmpdir(), 'proc-root-'));
    try {
      writeFileSync(join(dir, 'file'), '');
      expect(() => untyped(join(dir, 'file'))).toThrow(
        /^processesWithUnlistedSockets: cannot list procRoot ".*file": not a directory: give where \/proc is mounted$/,
      );
      expect(processesWithUnlistedSockets(dir)).toEqual(new Map());
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('unlistedSocketHolders: sockets whose every holder went away before perl reached them', () => {
  it.skipIf(process.getuid?.() !== 0)(
    'one closed since the scan (its process exited) is closed: examined, never counted among sockets that may be bound (a false warning of every claim on a busy host)',
    async () => {
      const holder = await spawnListener({ bindOnly: true });
      await spawnListener({ bindOnly: true }); // a socket out of the tables that stays: sockstat spares no scan
      const { socketLinks } = scanSocketHolders([1], { socketLinks: true });
      signal(holder.pid, 'SIGKILL');
      expect(await waitForExit(holder.pid)).toBe(true);
      const found = unlistedSocketHolders(holder.port, '/proc', socketLinks);
      expect(found.unexaminedBecause).not.toContain('gone');
      expect({ holders: found.holders, sockets: found.sockets }).toEqual({ holders: [], sockets: [] });
    },
  );

  it.skipIf(process.getuid?.() !== 0)(
    'one its holder passed to a child forked after the scan, then exited: found through the child, and proved bound to the port',
    async () => {
      const holder = await spawnListener({ bindOnly: true, forkOnRequest: true });
      const { socketLinks } = scanSocketHolders([1], { socketLinks: true }); // names the parent alone
      const child = await holder.forkHolder();
      signal(holder.pid, 'SIGKILL');
      expect(await waitForExit(holder.pid)).toBe(true);
      const found = unlistedSocketHolders(holder.port, '/proc', socketLinks);
      expect(found.unexaminedBecause).not.toContain('gone');
      expect({ holders: found.holders, sockets: found.sockets }).toEqual({
        holders: [child],
        sockets: [{ inode: expect.any(Number), pids: [child], address: '127.0.0.1', reuseAddress: false }],
      });
    },
  );
});

describe('unlistedSocketHolders: who holds a bound, not listening socket on a port', () => {
  it.skipIf(process.getuid?.() !== 0)(
    'as root, names only the process whose socket is bound to the port, never one holding a bound socket on another port',
    async () => {
      const holder = await spawnListener({ bindOnly: true });
      const decoy = await spawnListener({ bindOnly: true });
      const found = unlistedSocketHolders(holder.port);
      expect(found.holders).toEqual([holder.pid]);
      // With its address and SO_REUSEADDR (python's bind does not set it), read from the socket itself.
      expect(found.sockets).toEqual([{ inode: expect.any(Number), pids: [holder.pid], address: '127.0.0.1', reuseAddress: false }]);
      expect(unlistedSocketHolders(decoy.port).holders).toEqual([decoy.pid]);
      // Both are candidates by the tables alone: that is no proof.
      expect([...processesWithUnlistedSockets().keys()]).toEqual(expect.arrayContaining([holder.pid, decoy.pid]));
    },
  );

  it.skipIf(process.getuid?.() !== 0)("as root, finds the same from a holder scan's socket links as from its own scan, reading no fd table", async () => {
    const holder = await spawnListener({ bindOnly: true, unboundSockets: 2, dups: 100 });
    const decoy = await spawnListener({ bindOnly: true });
    const { socketLinks } = scanSocketHolders([1], { socketLinks: true });
    expect(socketLinks?.get([...socketFds(holder.pid).keys()][0]!)?.has(holder.pid)).toBe(true);
    const found = unlistedSocketHolders(holder.port, '/proc', socketLinks);
    expect(found).toEqual(unlistedSocketHolders(holder.port));
    expect(found.holders).toEqual([holder.pid]);
    expect(unlistedSocketHolders(decoy.port, '/proc', socketLinks).holders).toEqual([decoy.pid]);
    // Links that are not a scan's: a TypeError naming them, never a scan of nothing.
    expect(() => unlistedSocketHolders(holder.port, '/proc', [] as never)).toThrow(
      /^unlistedSocketHolders: socketLinks must be a holder scan's socketLinks \(a Map of inode to PID to fd\) or left out, not /,
    );
  });

  it.skipIf(process.getuid?.() !== 0 || !mptcpEnabled())(
    'as root, a Multipath TCP socket bound to the port too (its subflow blocks a bind as a TCP one does)',
    async () => {
      const holder = await spawnListener({ bindOnly: true, mptcp: true });
      try {
        expect(unlistedSocketHolders(holder.port)).toMatchObject({ holders: [holder.pid], sockets: [{ pids: [holder.pid], address: '127.0.0.1' }] });
      } finally {
        await holder.kill();
      }
    },
  );

  const strace = spawnSync('strace', ['-V']).status === 0;
  it.skipIf(process.getuid?.() !== 0 || !strace)(
    `as root, examines each unlisted socket once, however many fds and holders it has, and names every holder${strace ? '' : ' [skipped: strace is not installed]'}`,
    async () => {
      // 4 sockets (3 unbound, 1 bound to the port) in 8,004 fds, in two processes (a fork keeps them all).
      const holder = await spawnListener({ bindOnly: true, unboundSockets: 3, dups: 2000, forkOnRequest: true });
      const fork = await holder.forkHolder();
      expect(processesWithUnlistedSockets().get(holder.pid)).toBe(4);
      const trace = join(tempDir('examine-'), 'trace');
      const found = holdersInChild(holder.port, ['strace', '-f', '-qq', '--seccomp-bpf', '-e', 'trace=pidfd_open', '-o', trace]);
      expect(found.holders.sort((a, b) => a - b)).toEqual([holder.pid, fork].sort((a, b) => a - b));
      // One pidfd_open per socket: not one per fd (16,008), nor per holder.
      const opened = readFileSync(trace, 'utf8').match(new RegExp(`pidfd_open\\((${holder.pid}|${fork}),`, 'g')) ?? [];
      expect(opened).toHaveLength(4);
    },
  );

  it.skipIf(process.getuid?.() !== 0)('as root, still finds the holder past more unlisted sockets than perl may have fds open (it keeps none)', async () => {
    // 300 unbound sockets at the lower fds, most examined before the port's (Node lists fds in the order of their names: `303` after `299`, before `31`); perl (like its node) may open 100 fds.
    const holder = await spawnListener({ bindOnly: true, unboundSockets: 300 });
    expect(holdersInChild(holder.port, ['sh', '-c', 'ulimit -n 100 && exec "$@"', 'sh']).holders).toEqual([holder.pid]);
  });

  it.skipIf(process.getuid?.() !== 0 || perlExecutable() === undefined)(
    'as root, examines a socket only through an fd that is still that socket, and tries its next holder when one cannot be',
    async () => {
      const holder = await spawnListener({ bindOnly: true, unboundSockets: 1, forkOnRequest: true });
      const fork = await holder.forkHolder();
      // Its last two sockets (its stdio are sockets too): the unbound one, then the port's.
      const [unbound, bound] = [...socketFds(holder.pid)].sort(([, a], [, b]) => a - b).slice(-2);
      const perl = perlExecutable()!;
      const examine = (candidates: [number, number][]) => examineSockets(holder.port, new Map([[bound![0], new Map(candidates)]]), perl);
      // The holder's fd on the other socket is not that socket: never examined as it (EBADF), and nothing is proved.
      expect(examine([[holder.pid, unbound![1]]])).toEqual({ records: [['e', String(bound![0]), '9']] });
      // A first holder whose fd is closed: the next one's is examined.
      expect(
        examine([
          [holder.pid, 9999],
          [fork, bound![1]],
        ]),
      ).toEqual({ records: [['m', String(bound![0]), '0', '7f000001']] });
    },
  );

  it.skipIf(process.getuid?.() !== 0 || perlExecutable() === undefined)(
    "as root, an unnamed Unix socket (a socketpair's: its name is the family alone) is examined and is not the port's, not a socket whose options could not be read",
    async () => {
      const holder = await spawnListener({ bindOnly: true });
      // Its stdout is one end of a socketpair Node made.
      const [[inode, fd]] = [...socketFds(holder.pid)].sort(([, a], [, b]) => a - b) as [[number, number]];
      expect(fd).toBe(1);
      const found = examineSockets(holder.port, new Map([[inode, new Map([[holder.pid, fd]])]]), perlExecutable()!);
      expect(found).toEqual({ records: [['n', String(inode)]] });
    },
  );

  const unshare = spawnSync('unshare', ['--net', '--pid', '--fork', '--mount-proc', 'true']).status === 0;
  it.skipIf(process.getuid?.() !== 0 || perlExecutable() === undefined || !unshare)(
    `as root, in a container's namespaces: the stdio sockets it was given from outside (in none of its tables) are examined, none left unexamined${unshare ? '' : ' [skipped: unshare --net --pid cannot run here]'}`,
    () => {
      // claim-port in systemd's ExecStartPre= of a container said "3 sockets out of the kernel's tables could not be examined (their socket options could not be read)".
      const found = holdersInChild(4242, ['unshare', '--net', '--pid', '--fork', '--mount-proc']) as ReturnType<typeof unlistedSocketHolders>;
      expect(found).toEqual({ holders: [], unexamined: 0, unexaminedBecause: [], sockets: [] });
    },
  );

  it.skipIf(process.getuid?.() !== 0 || perlExecutable() === undefined || !unshare)(
    `as root, from a perl holder scan's links as from the Node scan's: a TCP socket of another network namespace is examined and not the port's, and the scan's own pipes to perl are not taken for sockets out of the tables${unshare ? '' : ' [skipped: unshare --net cannot run here]'}`,
    async () => {
      const holder = await spawnListener({ host: '127.0.0.1' });
      // A listener of a namespace of its own: TCP's sockstat counts it as allocated, not in use, so the tables are read.
      const elsewhere = await spawnListener({ netns: true, host: '0.0.0.0' });
      // Bound, not listening, to the same port number in a namespace of its own: no table lists it, and perl examines it.
      const bound = await spawnListener({ netns: true, bindOnly: true, port: holder.port });
      const inodes = readListenSocketsSync({ ports: [holder.port] }).map((s) => s.inode);
      // This process too: it holds its ends of perl's stdio while perl reads (a claim's scan reads every process).
      const pids = [process.pid, holder.pid, elsewhere.pid, bound.pid];
      for (const scanner of ['node', 'perl'] as const) {
        const started = startSocketHoldersParallel({
          pids,
          socketLinks: true,
          minProcesses: 1,
          requireIdleCore: false,
          ...(scanner === 'node' && { perl: false }),
        });
        const scan = await started.finish(inodes);
        expect(scan.scanner).toBe(scanner);
        expect([...scan.socketLinks!.values()].some((holders) => holders.has(bound.pid))).toBe(true);
        // It used to say, from the perl scan only: 3 sockets (its stdout, stderr and fd 3) could not be examined: `gone`.
        expect({ scanner, found: unlistedSocketHolders(holder.port, '/proc', scan.socketLinks) }).toEqual({
          scanner,
          found: { holders: [], unexamined: 0, unexaminedBecause: [], sockets: [] },
        });
      }
    },
  );

  it('sends perl each socket once, with each of its holders once', () => {
    const sockets = new Map([
      [
        999,
        new Map([
          [4242, 3],
          [4243, 5],
        ]),
      ],
      [998, new Map([[4242, 7]])],
    ]);
    expect(examinationInput(sockets)).toBe('999 4242:3 4243:5\n998 4242:7\n');
  });

  it('names nobody when the sockets cannot be examined (a procRoot that is not /proc): it says how many sockets (not fds) could not be, and why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proc-root-'));
    try {
      mkdirSync(join(dir, 'net'));
      writeFileSync(join(dir, 'net', 'tcp'), '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n');
      mkdirSync(join(dir, '4242', 'fd'), { recursive: true });
      // Two sockets, one of them in three fds (dup): two sockets.
      for (const fd of ['3', '5', '6']) symlinkSync('socket:[999]', join(dir, '4242', 'fd', fd));
      symlinkSync('socket:[998]', join(dir, '4242', 'fd', '7'));
      symlinkSync('/dev/null', join(dir, '4242', 'fd', '4'));
      const notExamined = { holders: [], unexamined: 2, unexaminedBecause: ['not-proc'], sockets: [] };
      expect(processesWithUnlistedSockets(dir)).toEqual(new Map([[4242, 2]]));
      expect(unlistedSocketHolders(8000, dir)).toEqual(notExamined);
      // Where sockstat proves every TCP socket is in the tables, the scan is skipped (nothing to examine); not otherwise.
      writeFileSync(join(dir, 'net', 'sockstat'), 'sockets: used 9\nTCP: inuse 2 orphan 0 tw 0 alloc 2 mem 0\n');
      expect(unlistedSocketHolders(8000, dir)).toEqual({ holders: [], unexamined: 0, unexaminedBecause: [], sockets: [] });
      writeFileSync(join(dir, 'net', 'sockstat'), 'sockets: used 9\nTCP: inuse 2 orphan 0 tw 0 alloc 3 mem 0\n');
      expect(unlistedSocketHolders(8000, dir)).toEqual(notExamined);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('sockstatRulesOutUnlistedTcp', () => {
  it('is true only when TCP alloc is no more than inuse (every TCP socket in the listening and connection tables)', () => {
    expect(sockstatRulesOutUnlistedTcp('sockets: used 8\nTCP: inuse 3 orphan 0 tw 1 alloc 3 mem 0\nUDP: inuse 0 mem 0\n')).toBe(true);
    expect(sockstatRulesOutUnlistedTcp('TCP: inuse 3 orphan 0 tw 1 alloc 4 mem 0\n')).toBe(false);
    // alloc counts IPv6 sockets too, whose inuse is sockstat6's.
    expect(sockstatRulesOutUnlistedTcp('TCP: inuse 1 orphan 0 tw 0 alloc 3 mem 0\n', 'TCP6: inuse 2\nUDP6: inuse 0\n')).toBe(true);
    expect(sockstatRulesOutUnlistedTcp('TCP: inuse 1 orphan 0 tw 0 alloc 4 mem 0\n', 'TCP6: inuse 2\n')).toBe(false);
    expect(sockstatRulesOutUnlistedTcp('TCP6: inuse 3\n')).toBe(false);
    expect(sockstatRulesOutUnlistedTcp('')).toBe(false);
    expect(() => (sockstatRulesOutUnlistedTcp as (text: unknown) => boolean)(3)).toThrow(TypeError);
  });

  it('on this machine: a socket bound and not listening makes it false while it is open', async () => {
    const read = () => sockstatRulesOutUnlistedTcp(readFileSync('/proc/net/sockstat', 'latin1'));
    const holder = await spawnListener({ bindOnly: true });
    try {
      expect(read()).toBe(false);
    } finally {
      await holder.kill();
    }
  });
});
