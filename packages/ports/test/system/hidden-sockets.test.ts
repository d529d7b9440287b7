// The inode column of every /proc/net table layout (tcp/udp, unix, packet).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesWithUnlistedSockets, sockstatRulesOutUnlistedTcp, tableInodes, unlistedSocketHolders } from '../../src/system/hidden-sockets.js';
import { spawnListener } from '../../../../test-support/index.js';

const tcp = readFileSync(new URL('./fixtures/proc-net-tcp-any-state.txt', import.meta.url), 'utf8');

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

  it('names nobody when the sockets cannot be examined (a procRoot that is not /proc): it says how many could not be', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proc-root-'));
    try {
      mkdirSync(join(dir, 'net'));
      writeFileSync(join(dir, 'net', 'tcp'), '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n');
      mkdirSync(join(dir, '4242', 'fd'), { recursive: true });
      symlinkSync('socket:[999]', join(dir, '4242', 'fd', '3'));
      symlinkSync('/dev/null', join(dir, '4242', 'fd', '4'));
      expect(processesWithUnlistedSockets(dir)).toEqual(new Map([[4242, 1]]));
      expect(unlistedSocketHolders(8000, dir)).toEqual({ holders: [], unexamined: 1, sockets: [] });
      // Where sockstat proves every TCP socket is in the tables, the scan is skipped (nothing to examine); not otherwise.
      writeFileSync(join(dir, 'net', 'sockstat'), 'sockets: used 9\nTCP: inuse 2 orphan 0 tw 0 alloc 2 mem 0\n');
      expect(unlistedSocketHolders(8000, dir)).toEqual({ holders: [], unexamined: 0, sockets: [] });
      writeFileSync(join(dir, 'net', 'sockstat'), 'sockets: used 9\nTCP: inuse 2 orphan 0 tw 0 alloc 3 mem 0\n');
      expect(unlistedSocketHolders(8000, dir)).toEqual({ holders: [], unexamined: 1, sockets: [] });
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
