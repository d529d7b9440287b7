// The inode column of every /proc/net table layout (tcp/udp, unix, packet).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesWithUnlistedSockets, tableInodes, unlistedSocketHolders } from '../../src/system/hidden-sockets.js';
import { spawnListener } from '../../../../test-support/index.js';

const tcp = readFileSync(new URL('./fixtures/proc-net-tcp-any-state.txt', import.meta.url), 'utf8');

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
      expect(unlistedSocketHolders(decoy.port).holders).toEqual([decoy.pid]);
      // Both are candidates by the tables alone: that is no proof.
      expect([...processesWithUnlistedSockets().keys()]).toEqual(expect.arrayContaining([holder.pid, decoy.pid]));
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
      expect(unlistedSocketHolders(8000, dir)).toEqual({ holders: [], unexamined: 1 });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
