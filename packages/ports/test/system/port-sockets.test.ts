// Sockets on one port in any state (listening, connected), from /proc/net table text.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePortSockets, readSocketsByInode } from '../../src/system/port-sockets.js';

const tcp = readFileSync(new URL('./fixtures/proc-net-tcp-any-state.txt', import.meta.url), 'utf8');

describe('socket tables in any state', () => {
  it('finds every socket whose LOCAL port is the port, with state and remote end', () => {
    const sockets = parsePortSockets(tcp, 'IPv4', 'tcp', 8000);
    expect(sockets.map((s) => [s.inode, s.state, s.remote])).toEqual([
      [1001, 'LISTEN', undefined],
      [1002, 'ESTABLISHED', '127.0.0.1:41136'],
    ]);
    expect(parsePortSockets(tcp, 'IPv4', 'udp', 41136).map((s) => s.state)).toEqual(['CONNECTED']);
  });

  it('writes an IPv6 remote end in brackets, as formatEndpoint does (`[::1]:41136`, never `::1:41136`, itself an address)', () => {
    const header =
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const row = (remote: string) =>
      `   0: 00000000000000000000000001000000:1F40 ${remote}:A0B0 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 20 0 0 10 -1\n`;
    const ipv6 = '00000000000000000000000001000000';
    const mapped = '0000000000000000FFFF00000100007F';
    const sockets = parsePortSockets(header + row(ipv6) + row(mapped), 'IPv6', 'tcp', 8000);
    expect(sockets.map((s) => [s.address, s.remote])).toEqual([
      ['::1', '[::1]:41136'],
      ['::1', '127.0.0.1:41136'],
    ]);
  });

  it("gives a TIME_WAIT the time it has left, from its timer (03:, clock ticks: ss -o's timer:(timewait,58sec,0)); an expired one, 0; a timer past 60 s, none", () => {
    // Captured from /proc/net/tcp: a TIME_WAIT 1.5 s old; then one whose timer has run out (the kernel prints 0), and
    // one whose timer is past the 60 s a TIME_WAIT is armed for.
    const table = readFileSync(new URL('./fixtures/proc-net-tcp-time-wait.txt', import.meta.url), 'utf8');
    expect(parsePortSockets(table, 'IPv4', 'tcp', 8000).map((s) => [s.state, s.timeWaitLeftMs])).toEqual([
      ['TIME_WAIT', 58_440],
      ['TIME_WAIT', 0],
      ['TIME_WAIT', undefined],
    ]);
    expect(parsePortSockets(tcp, 'IPv4', 'tcp', 8000).every((s) => s.timeWaitLeftMs === undefined)).toBe(true);
  });

  it("gives an orphan's FIN_WAIT2 the time it has left too (the kernel keeps it as a TIME_WAIT socket, timer 03:, until tcp_fin_timeout ends it); not a FIN_WAIT2 a process holds, nor one with another timer", () => {
    // Captured from /proc/net/tcp (tcp_fin_timeout 3): a server's end of a connection it closed first, 2.69 s left,
    // whose client (its other end, CLOSE_WAIT) keeps its end open; then an orphan's FIN_WAIT2 kept as a full socket
    // (tcp_fin_timeout over 60 s: timer 02), and a FIN_WAIT2 a process still holds.
    const table = readFileSync(new URL('./fixtures/proc-net-tcp-fin-wait2.txt', import.meta.url), 'utf8');
    expect(parsePortSockets(table, 'IPv4', 'tcp', 8000).map((s) => [s.state, s.inode, s.timeWaitLeftMs])).toEqual([
      ['FIN_WAIT2', 0, 2690],
      ['FIN_WAIT2', 0, undefined],
      ['FIN_WAIT2', 19575101, undefined],
    ]);
  });
  it('gives a connection whose retransmit timer runs (01:) its resends, the time until the timer fires and its RTO; none without that timer', () => {
    // Captured from /proc/net/tcp: a server's end of a connection it closed, its FIN sent and never acknowledged (the
    // client's side drops it): at once (no resend yet, timer 200 ms, RTO 200 ms), then after 4 resends (RTO 3.26 s,
    // 2.96 s left); an ESTABLISHED with no timer, and a TIME_WAIT (timer 03).
    const table = readFileSync(new URL('./fixtures/proc-net-tcp-fin-wait1.txt', import.meta.url), 'utf8');
    expect(parsePortSockets(table, 'IPv4', 'tcp', 8000).map((s) => [s.state, s.retransmit])).toEqual([
      ['FIN_WAIT1', { count: 0, leftMs: 200, rtoMs: 200 }],
      ['FIN_WAIT1', { count: 4, leftMs: 2960, rtoMs: 3260 }],
      ['ESTABLISHED', undefined],
      ['TIME_WAIT', undefined],
    ]);
    expect(parsePortSockets(tcp, 'IPv4', 'tcp', 8000).every((s) => s.retransmit === undefined)).toBe(true);
  });

  it('gives a connection whose zero-window probe timer runs (04:) the same, marked as a probe (once read as no timer at all)', () => {
    // Captured from /proc/net/tcp: a server's end of a connection it closed with 2.8 MB unsent, its client reading
    // nothing (its receive window full): probed, never resent (retrnsmt 0; the `timeout` column, 1, counts probes
    // not answered yet: `unanswered`), 490 ms to the next probe, RTO 200 ms.
    const table = readFileSync(new URL('./fixtures/proc-net-tcp-zero-window.txt', import.meta.url), 'utf8');
    expect(parsePortSockets(table, 'IPv4', 'tcp', 8000).map((s) => [s.state, s.inode, s.retransmit])).toEqual([
      ['FIN_WAIT1', 0, { count: 0, leftMs: 490, rtoMs: 200, probe: true, unanswered: 1 }],
    ]);
    // Answered (0): no `unanswered`; a retransmit timer's row says none, whatever the column.
    const answered = table.replace(/( 04:[0-9A-F]{8} [0-9A-F]{8} +\d+ +)1 /, '$10 ');
    expect(parsePortSockets(answered, 'IPv4', 'tcp', 8000)[0]?.retransmit).toEqual({ count: 0, leftMs: 490, rtoMs: 200, probe: true });
  });
});

describe('readSocketsByInode', () => {
  it('finds the sockets among the inodes on any port and in any state, TCP and UDP, from a /proc tree', () => {
    const root = mkdtempSync(join(tmpdir(), 'ports-by-inode-'));
    try {
      mkdirSync(join(root, 'net'));
      writeFileSync(join(root, 'net/tcp'), tcp);
      // A UDP table of one bound socket (port 0x4E42 = 20034), inode 3001; no IPv6 tables (a kernel without IPv6).
      writeFileSync(
        join(root, 'net/udp'),
        '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n' +
          ' 1: 0100007F:4E42 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3001 2 0000000000000000 0\n',
      );
      const found = readSocketsByInode(new Set([1001, 1002, 3001, 424242]), root);
      expect(found.map((s) => [s.inode, s.transport, s.port, s.state])).toEqual([
        [1001, 'tcp', 8000, 'LISTEN'],
        [1002, 'tcp', 8000, 'ESTABLISHED'],
        [3001, 'udp', 20034, 'BOUND'],
      ]);
      expect(readSocketsByInode(new Set(), root)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes a Set of inodes, nothing else', () => {
    expect(() => readSocketsByInode([1001] as unknown as Set<number>)).toThrow(/^readSocketsByInode: inodes must be a Set of socket inodes, not /);
  });
});
