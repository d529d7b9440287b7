// The socket tables read with the first read() on the thread pool
// (readListenTablesAsync, what snapshot({ parallel: true }) reads) answer what
// the synchronous reader answers: on tables longer than one read, where the
// LISTEN part ends mid-table, with a missing tcp6, and on the live machine.
import { describe, expect, it } from 'vitest';
import { readListenTables, readListenTablesAsync } from '../../src/system/sockets.js';
import { tempDir, writeTree } from '../../../../test-support/tree.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

/** One line of /proc/net/tcp as the kernel pads it (149 characters and a newline). */
function tcpLine(slot: number, port: number, state: string, inode: number, ipv6 = false): string {
  const local = `${ipv6 ? '00000000000000000000000001000000' : '0100007F'}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const text = `${String(slot).padStart(4)}: ${local} 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 100 0 0 10 0`;
  return `${text.padEnd(149)}\n`;
}

/** `listening` LISTEN lines from port 10000 up, then `established` others: the kernel's order. */
function table(listening: number, established: number, ipv6 = false): string {
  let text = HEADER;
  for (let i = 0; i < listening; i++) text += tcpLine(i, 10000 + i, '0A', 500000 + i, ipv6);
  for (let i = 0; i < established; i++) text += tcpLine(listening + i, 40000 + i, '01', 900000 + i, ipv6);
  return text;
}

describe('readListenTablesAsync: the first read on the thread pool', () => {
  it('answers as readListenTables on a table of several reads (2,000 listeners, about 300 KB), stopping where LISTEN ends', async () => {
    const procRoot = writeTree(tempDir(), { 'net/tcp': table(2000, 50), 'net/tcp6': table(3, 0, true) });
    const sync = readListenTables('t', procRoot, undefined);
    expect(sync).toHaveLength(2003);
    expect(await readListenTablesAsync('t', procRoot, undefined)).toEqual(sync);
    // Only the ports asked for.
    const ports = new Set([10000, 11999]);
    expect(await readListenTablesAsync('t', procRoot, ports)).toEqual(readListenTables('t', procRoot, ports));
  });

  it('a missing tcp6 (a kernel without IPv6) is an empty table; a missing tcp names the caller and the table', async () => {
    const procRoot = writeTree(tempDir(), { 'net/tcp': table(2, 1) });
    expect((await readListenTablesAsync('t', procRoot, undefined)).map((socket) => socket.port)).toEqual([10000, 10001]);
    const empty = tempDir();
    await expect(readListenTablesAsync('snapshot', empty, undefined)).rejects.toThrow(
      `snapshot: cannot read ${empty}/net/tcp: options.procRoot ${JSON.stringify(empty)} holds no net/tcp: give where /proc is mounted`,
    );
  });

  it('reads the live tables as readListenTables does', async () => {
    const live = await readListenTablesAsync('t', '/proc', undefined);
    const sync = readListenTables('t', '/proc', undefined);
    // A socket may come or go between the two reads (other tests run): compare the stable part.
    const key = (socket: { inode: number }) => socket.inode;
    const both = new Set(live.map(key).filter((inode) => sync.some((socket) => socket.inode === inode)));
    expect(both.size).toBeGreaterThan(0);
    expect(live.filter((socket) => both.has(socket.inode))).toEqual(sync.filter((socket) => both.has(socket.inode)));
  });
});
