// EnvironmentFile= in the health check: real unit trees and environment
// files read by the real gather(), every check run (runChecks), and a real
// listener where "listening" is the verdict at stake.
import { describe, expect, it } from 'vitest';
import { runChecks } from '../src/checks/index.js';
import { gather } from '../src/gather.js';
import { spawnListener } from '../../../test-support/index.js';
import { EXECUTABLE, testRegistry, tempDir, writeTree, type TreeEntry } from './helpers.js';

const CLAIM = '/usr/local/bin/claim-port';
const UNIT = 'etc/systemd/system/svc.service';

async function check(port: number, files: Record<string, TreeEntry>) {
  const registry = testRegistry([{ id: 'svc', port, env: 'SVC_PORT', robust: true, unit: 'svc.service', claim: 'unit', processes: ['node'] }]);
  const root = writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, ...files });
  const facts = await gather({ registry, root, firewall: false });
  return runChecks(facts, { strict: false }).filter((result) => result.service === 'svc');
}

const unit = (...lines: string[]) => `[Service]\n${lines.join('\n')}\nExecStart=/usr/bin/node svc.js\n`;
const bySeverity = (results: Awaited<ReturnType<typeof check>>, id: string) => results.filter((result) => result.check === id).map((result) => result.severity);

describe('EnvironmentFile= in the health check', () => {
  it("moves the service's port, with file:line in the message, and expands $VAR in the claim line with it", async () => {
    const results = await check(8000, {
      [UNIT]: unit('EnvironmentFile=/etc/default/svc', `ExecStartPre=+${CLAIM} \${SVC_PORT}`),
      'etc/default/svc': '# svc\n\nSVC_PORT=9000\n',
    });
    const systemd = results.filter((result) => result.check === 'systemd');
    expect(systemd).toEqual([expect.objectContaining({ severity: 'ok', port: 9000 })]);
    expect(systemd[0]!.reason).toContain('claims port 9000 (SVC_PORT=9000 from /etc/default/svc:3)');
  });

  it('a file wins over Environment= (read after every Environment=), even over a later drop-in', async () => {
    const results = await check(8000, {
      [UNIT]: unit('EnvironmentFile=/etc/default/svc', `ExecStartPre=+${CLAIM} 8000`),
      [`${UNIT}.d/port.conf`]: '[Service]\nEnvironment=SVC_PORT=8000\n',
      'etc/default/svc': 'SVC_PORT=9000\n',
    });
    const systemd = results.filter((result) => result.check === 'systemd');
    expect(systemd).toEqual([expect.objectContaining({ severity: 'error', port: 9000 })]);
    expect(systemd[0]!.reason).toContain('claims port 8000, but svc uses port 9000 (SVC_PORT=9000 from /etc/default/svc:1)');
  });

  it('a file it cannot read (too large, a FIFO) makes every ok of the service unknown, naming the file: never a silent ok', async () => {
    const tooLarge = `SVC_PORT=9000\n${'# padding\n'.repeat(110_000)}`;
    for (const [entry, why] of [
      [tooLarge, 'it is larger than 1 MiB'],
      [{ fifo: true }, 'it is a FIFO (named pipe), not a regular file'],
    ] as const) {
      const results = await check(8000, {
        [UNIT]: unit('Environment=SVC_PORT=8000', 'EnvironmentFile=/etc/default/svc', `ExecStartPre=+${CLAIM} 8000`),
        'etc/default/svc': entry,
      });
      // Every check on the port; the claim-port executable's (dependencies) is not about the port.
      expect(results.filter((result) => result.severity === 'ok').map((result) => result.check)).toEqual(['dependencies']);
      const systemd = results.find((result) => result.check === 'systemd')!;
      expect(systemd.severity).toBe('unknown');
      expect(systemd.reason).toBe(
        `svc (8000): ExecStartPre=+${CLAIM} 8000 from /${UNIT}:4 claims port 8000, but the port may not be 8000: /etc/default/svc (EnvironmentFile= at /${UNIT}:3) may set SVC_PORT, and cannot be read: ${why}`,
      );
      expect(bySeverity(results, 'kernel')).toEqual(['unknown']);
    }
  });

  it('a real listener on the registry port is not "ok" while an unreadable file may move the service elsewhere', async () => {
    const listener = await spawnListener();
    const files = { [UNIT]: unit('EnvironmentFile=-/etc/default/svc'), 'etc/default/svc': { fifo: true } } as const;
    const listening = (await check(listener.port, files)).filter((result) => result.check === 'listening');
    expect(listening).toEqual([expect.objectContaining({ severity: 'unknown' })]);
    expect(listening[0]!.reason).toMatch(
      /^svc \(\d+\): listening on 127\.0\.0\.1:\d+, but the port may not be \d+: \/etc\/default\/svc \(EnvironmentFile= at /,
    );
    // Readable, and not setting the variable: the listener is the service's, as before.
    const readable = await check(listener.port, { [UNIT]: unit('EnvironmentFile=-/etc/default/svc'), 'etc/default/svc': 'OTHER=1\n' });
    expect(bySeverity(readable, 'listening')).toEqual(['ok']);
  });

  it('an unreadable file read before the one that sets the variable casts no doubt on it', async () => {
    const results = await check(8000, {
      [UNIT]: unit('EnvironmentFile=/etc/default/pipe', 'EnvironmentFile=/etc/default/svc', `ExecStartPre=+${CLAIM} 9000`),
      'etc/default/pipe': { fifo: true },
      'etc/default/svc': 'SVC_PORT=9000\n',
    });
    expect(bySeverity(results, 'systemd')).toEqual(['ok']);
  });

  it('a missing file: nothing with -, an error without it (systemd does not start the unit)', async () => {
    const optional = await check(8000, { [UNIT]: unit('EnvironmentFile=-/etc/default/svc', `ExecStartPre=+${CLAIM} 8000`) });
    expect(bySeverity(optional, 'systemd')).toEqual(['ok']);
    const required = await check(8000, { [UNIT]: unit('EnvironmentFile=/etc/default/svc', `ExecStartPre=+${CLAIM} 8000`) });
    expect(required.filter((result) => result.check === 'systemd' && result.severity === 'error')).toEqual([
      expect.objectContaining({
        check: 'systemd',
        file: `/${UNIT}:2`,
        reason: `svc (8000): /etc/default/svc (EnvironmentFile= at /${UNIT}:2): no such file, so systemd does not start svc.service; create it, or write EnvironmentFile=-/etc/default/svc if it may be absent`,
      }),
    ]);
  });

  it('warns about `export SVC_PORT=...`, which systemd ignores, and keeps the registry port', async () => {
    const results = await check(8000, {
      [UNIT]: unit('EnvironmentFile=/etc/default/svc', `ExecStartPre=+${CLAIM} 8000`),
      'etc/default/svc': 'export SVC_PORT=9000\n',
    });
    const systemd = results.filter((result) => result.check === 'systemd');
    expect(systemd.map((result) => [result.severity, result.port])).toEqual([
      ['warning', 8000],
      ['ok', 8000],
    ]);
    expect(systemd[0]!.reason).toBe(
      'svc (8000): /etc/default/svc:1 sets "export SVC_PORT", which systemd ignores (an EnvironmentFile= takes NAME=VALUE lines, no "export"); write SVC_PORT=... there',
    );
  });
});
