// The inode column of every /proc/net table layout (tcp/udp, unix, packet).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tableInodes } from '../../src/system/hidden-sockets.js';

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
