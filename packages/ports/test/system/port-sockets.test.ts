// Sockets on one port in any state (listening, connected), from /proc/net table text.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePortSockets } from '../../src/system/port-sockets.js';

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
});
