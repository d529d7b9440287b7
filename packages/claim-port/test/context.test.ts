// What claim-port reads around its holders, on real files: where systemd
// (PID 1) holds the port, the socket units whose files listen on it, found in
// the unit directories ($SYSTEMD_UNIT_PATH here: a temp tree of real unit
// files), and only then. PID 1 here is not systemd: the holder is this
// process's real facts, renamed systemd as PID 1 (never signalled: gatherContext reads).
import { describe, expect, it } from 'vitest';
import { readProcessInfo } from '@dsa110/ports/system';
import { listUnitDirs } from '@dsa110/ports/systemd';
import { gatherContext, readInitSockets, socketServiceOf } from '../src/context.js';
import { tempDir, writeTree } from '../../../test-support/tree.js';

const socket = (listen: string) => `[Socket]\n${listen}\n\n[Install]\nWantedBy=sockets.target\n`;
const me = readProcessInfo(process.pid)!;
const systemd = { ...me, pid: 1, ppid: 0, comm: 'systemd', exe: 'systemd', argv: ['/sbin/init'], command: '/sbin/init' };

function unitPath(): Record<string, string> {
  const dir = writeTree(tempDir(), {
    'http.socket': socket('ListenStream=127.0.0.1:8000'),
    'dns.socket': socket('ListenDatagram=8000'),
    'other.socket': socket('ListenStream=8001'),
  });
  return { SYSTEMD_UNIT_PATH: dir };
}

describe('the socket units systemd (PID 1) holds the port for', () => {
  it('are read from the unit directories, by port and transport', () => {
    const env = unitPath();
    expect(readInitSockets({ port: 8000, transport: 'tcp' }, env)?.map((s) => [s.unit, `${s.listen.key}=${s.listen.value}`, s.listen.line])).toEqual([
      ['http.socket', 'ListenStream=127.0.0.1:8000', 2],
    ]);
    expect(readInitSockets({ port: 8000, transport: 'udp' }, env)?.map((s) => s.unit)).toEqual(['dns.socket']);
    expect(readInitSockets({ port: 9000, transport: 'tcp' }, env)).toEqual([]);
  });

  it('are read by gatherContext only when systemd as PID 1 holds the port', async () => {
    const env = unitPath();
    const held = await gatherContext([systemd], env, '/proc', { port: 8000, transport: 'tcp' });
    expect(held.initSockets?.map((s) => s.unit)).toEqual(['http.socket']);
    // Another holder, or another PID 1 (a container's tini), or no port given: nothing read.
    expect((await gatherContext([me], env, '/proc', { port: 8000, transport: 'tcp' })).initSockets).toBeUndefined();
    expect((await gatherContext([{ ...systemd, comm: 'tini', exe: 'tini' }], env, '/proc', { port: 8000, transport: 'tcp' })).initSockets).toBeUndefined();
    expect((await gatherContext([systemd], env)).initSockets).toBeUndefined();
  });
});

describe("claim-port's own unit, offered as the socket units' Service=", () => {
  const root = () =>
    writeTree(tempDir(), {
      'etc/systemd/system/dsa110-api.service': '[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000\nExecStart=/bin/true\n',
      'lib/systemd/system/web@.service': '[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000\nExecStart=/bin/true\n',
      // What `systemd-run claim-port 8000` writes: a transient unit, gone at the next boot.
      'run/systemd/transient/run-u12.service': '[Service]\nExecStart=/usr/local/bin/claim-port 8000\n',
    });

  it('is the service whose unit file runs it (an instance by its template), from the unit directories', () => {
    const listing = listUnitDirs(root());
    expect(socketServiceOf('dsa110-api.service', listing)).toBe('dsa110-api.service');
    expect(socketServiceOf('web@blue.service', listing)).toBe('web@blue.service');
  });

  it('is none run by hand: a login session (a scope), systemd-run (a transient unit), a unit with no file, no unit at all', () => {
    const listing = listUnitDirs(root());
    expect(socketServiceOf('session-3.scope', listing)).toBeUndefined();
    expect(socketServiceOf('run-u12.service', listing)).toBeUndefined();
    expect(socketServiceOf('gone.service', listing)).toBeUndefined();
    expect(socketServiceOf(undefined, listing)).toBeUndefined();
  });
});
