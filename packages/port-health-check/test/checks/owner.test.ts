// The owner check when systemd (PID 1) holds the service's port: it holds a
// port only for a socket unit, and nobody stops PID 1, so the check names the
// socket unit (read from real unit files under a temp root by the real
// gather()) and how to stop it. PID 1 here is not systemd and holds no
// listener of the test's, so the socket table is given to gather(): one
// listener whose holder is this process's real facts, as PID 1 systemd.
import { describe, expect, it } from 'vitest';
import { readProcessInfo, type Listener } from '@dsa110/ports/system';
import { checkOwner } from '../../src/checks/owner.js';
import { gather, type SocketRead } from '../../src/gather.js';
import { EXECUTABLE, tempDir, testRegistry, writeTree, type TreeEntry } from '../helpers.js';

const PORT = 8000;
const DIR = 'etc/systemd/system';
const registry = testRegistry([{ id: 'api', port: PORT, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] }]);
const service = `[Service]\nExecStartPre=+/usr/local/bin/claim-port ${PORT}\nExecStart=/usr/bin/python3 -m api\n`;
const socket = (...lines: string[]) => `[Unit]\nDescription=a socket\n\n[Socket]\n${lines.join('\n')}\n\n[Install]\nWantedBy=sockets.target\n`;

/** The socket table with one listener on `port`, held by `pid` (this process's real facts, renamed systemd when it is 1). */
function heldBy(pid: number, port = PORT): SocketRead {
  const me = readProcessInfo(process.pid)!;
  const holder = pid === 1 ? { ...me, pid: 1, ppid: 0, comm: 'systemd', exe: 'systemd', argv: ['/sbin/init'], command: '/sbin/init' } : me;
  const listener: Listener = { address: '127.0.0.1', family: 'IPv4', port, inode: 4242, uid: 0, dualStack: false, holders: [holder], ownerKnown: true };
  return Promise.resolve({ taken: { listeners: [listener], unreadable: [] } });
}

async function owner(files: Record<string, TreeEntry>, pid = 1) {
  const root = writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, [`${DIR}/dsa110-api.service`]: service, ...files });
  const facts = await gather({ registry, root, firewall: false, socketRead: heldBy(pid) });
  return { facts, results: checkOwner(facts, registry.service('api')) };
}

describe('owner: systemd (PID 1) holds the port', () => {
  it('names the socket unit that listens on the port, where, what enables it, and how to stop it', async () => {
    const { results } = await owner({
      [`${DIR}/metrics-proxy.socket`]: socket('ListenStream=/run/proxy.sock', `ListenStream=127.0.0.1:${PORT}`),
      [`${DIR}/sockets.target.wants/metrics-proxy.socket`]: { symlink: `/${DIR}/metrics-proxy.socket` },
      // Another port, and a masked socket unit on this one: neither holds it.
      [`${DIR}/other.socket`]: socket('ListenStream=8001'),
      [`${DIR}/old.socket`]: { symlink: '/dev/null' },
      'usr/lib/systemd/system/old.socket': socket(`ListenStream=${PORT}`),
    });
    expect(results).toEqual([expect.objectContaining({ check: 'owner', severity: 'error' })]);
    expect(results[0]!.reason).toBe(
      `api (${PORT}): port ${PORT} is held by systemd (pid 1, user ${readProcessInfo(process.pid)!.user}): /sbin/init, not by Api (expected python3); systemd (PID 1) holds port ${PORT} for socket unit metrics-proxy.socket ` +
        `(ListenStream=127.0.0.1:${PORT} at /${DIR}/metrics-proxy.socket:6, enabled in /${DIR}/sockets.target.wants; it starts metrics-proxy.service): ` +
        '`systemctl stop metrics-proxy.socket` and `systemctl disable metrics-proxy.socket`, or make dsa110-api.service its Service= (socket activation, with no claim), ' +
        'then start dsa110-api.service',
    );
    expect(results[0]!.reason).not.toContain('stop it by hand');
  });

  it('says so when the socket unit already starts the service (its own socket activation): drop the claim, or stop the socket unit', async () => {
    const { results } = await owner({ [`${DIR}/http.socket`]: socket(`ListenStream=${PORT}`, 'Service=dsa110-api.service') });
    expect(results[0]!.reason).toContain(
      `for socket unit http.socket (ListenStream=${PORT} at /${DIR}/http.socket:5; it starts dsa110-api.service): ` +
        '`systemctl stop http.socket` and `systemctl disable http.socket`, or keep the socket activation and run dsa110-api.service without claim-port (drop its claim-port ExecStartPre=)',
    );
  });

  it('without a socket unit file on the port (a transient one, or one under another root), says how to find it', async () => {
    const { results } = await owner({ [`${DIR}/other.socket`]: socket('ListenStream=8001') });
    expect(results[0]!.reason).toMatch(
      new RegExp(
        `; systemd \\(PID 1\\) holds a port when a socket unit listens on it \\(ListenStream=${PORT}\\), and no unit file read here does: ` +
          'find it with `systemctl list-sockets`, then `systemctl stop NAME.socket` and `systemctl disable NAME.socket`, ' +
          'or make dsa110-api\\.service its Service= \\(socket activation, with no claim\\), then start dsa110-api\\.service$',
      ),
    );
  });

  it('reads no socket unit when PID 1 is not the holder (the usual machine pays nothing)', async () => {
    const { facts, results } = await owner({ [`${DIR}/http.socket`]: socket(`ListenStream=${PORT}`) }, process.pid);
    expect(facts.initSockets).toBeUndefined();
    expect(results[0]!.reason).not.toContain('socket unit');
  });
});
