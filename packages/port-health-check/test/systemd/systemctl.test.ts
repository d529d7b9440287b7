// `systemctl show` output as systemd 252 prints it (systemd is not PID 1 on
// the test machine, so the text is a fixture; the check over it is real).
import { describe, expect, it } from 'vitest';
import { checkSystemd } from '../../src/checks/systemd.js';
import { gather } from '../../src/gather.js';
import { parseSystemctlShow } from '../../src/systemd/systemctl.js';
import { EXECUTABLE, tempDir, testRegistry, writeTree } from '../helpers.js';

const SHOW = `Id=redis-server.service
LoadState=loaded
NeedDaemonReload=no
ExecStartPreEx={ path=/usr/local/bin/claim-port ; argv[]=/usr/local/bin/claim-port 6379 ; flags=privileged ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }
ExecStartPreEx={ path=/bin/true ; argv[]=/bin/true ; flags=ignore-failure ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }

Id=dsa110-api.service
LoadState=loaded
NeedDaemonReload=yes

Id=prometheus.service
LoadState=loaded
NeedDaemonReload=no
ExecStartPreEx={ path=/usr/local/bin/claim-port ; argv[]=/usr/local/bin/claim-port 9091 ; flags=privileged ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }
`;

describe('systemctl show', () => {
  it('parses one block per unit with its loaded ExecStartPre= commands and flags', () => {
    const units = parseSystemctlShow(SHOW);
    expect([...units.keys()]).toEqual(['redis-server.service', 'dsa110-api.service', 'prometheus.service']);
    expect(units.get('redis-server.service')).toEqual({
      id: 'redis-server.service',
      loadState: 'loaded',
      needDaemonReload: false,
      execStartPre: [
        { argv: ['/usr/local/bin/claim-port', '6379'], privileged: true },
        { argv: ['/bin/true'], privileged: false },
      ],
    });
    expect(units.get('dsa110-api.service')!.needDaemonReload).toBe(true);
  });

  it('confirms the file-based check, or warns that systemd runs something else', async () => {
    const registry = testRegistry([
      { id: 'redis', port: 6379, robust: true, unit: 'redis-server.service', claim: 'drop-in', processes: ['redis-server'] },
      { id: 'api', port: 8000, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] },
      { id: 'prometheus', port: 9090, robust: true, unit: 'prometheus.service', claim: 'drop-in', processes: ['prometheus'] },
    ]);
    const claim = (port: number) => `[Service]\nExecStartPre=+/usr/local/bin/claim-port ${port}\n`;
    const root = writeTree(tempDir(), {
      'usr/local/bin/claim-port': EXECUTABLE,
      // The packages' unit files, which the drop-ins extend (drop-ins alone are no unit: checks/systemd.ts).
      'lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server\n',
      'lib/systemd/system/prometheus.service': '[Service]\nExecStart=/usr/bin/prometheus\n',
      'etc/systemd/system/redis-server.service.d/claim-port.conf': claim(6379),
      'etc/systemd/system/dsa110-api.service': claim(8000),
      'etc/systemd/system/prometheus.service.d/claim-port.conf': claim(9090),
    });
    const facts = { ...(await gather({ registry, root })), systemctl: parseSystemctlShow(SHOW) };
    const last = (id: string) => checkSystemd(facts, registry.service(id)).at(-1)!;
    expect(last('redis')).toMatchObject({
      severity: 'ok',
      reason: 'redis (6379): systemctl show confirms systemd has loaded ExecStartPre=+/usr/local/bin/claim-port 6379',
    });
    expect(last('api')).toMatchObject({ severity: 'warning' });
    expect(last('api').reason).toContain('run systemctl daemon-reload');
    expect(last('prometheus')).toMatchObject({ severity: 'warning' });
    // No reload pending: systemd runs the files as they are, so a reload alone is no fix.
    expect(last('prometheus').reason).toBe(
      'prometheus (9090): the prometheus.service systemd has loaded (systemctl show) does not run claim-port 9090, though its files do and no daemon-reload is pending: systemd reads a file this check did not (systemctl cat prometheus.service lists them)',
    );
    // The files themselves claim 9091, as systemd has loaded them: the fix is theirs (the error above), then a reload.
    writeTree(root, { 'etc/systemd/system/prometheus.service.d/claim-port.conf': claim(9091) });
    const stale = { ...(await gather({ registry, root })), systemctl: parseSystemctlShow(SHOW) };
    const results = checkSystemd(stale, registry.service('prometheus'));
    expect(results.some((found) => found.severity === 'error' && found.reason.includes('claims port 9091'))).toBe(true);
    expect(results.at(-1)!.reason).toBe(
      'prometheus (9090): the prometheus.service systemd has loaded (systemctl show) does not run claim-port 9090; it runs its files as they are (no daemon-reload pending): fix them as said above, then run systemctl daemon-reload',
    );
  });
});
