// Scenario 5: a real sshd on a test port, in a test registry that marks it as
// protected (ports.yaml's claim.protect.processes lists sshd): claim-port must
// refuse to free that port, and sshd must keep running.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardPort } from '../test-support/guard.js';
import { cleanEnv, runBin, show } from './support/bins.js';
import { leftovers, startDaemon, stopAllDaemons, type Daemon } from './support/daemons.js';
import { findFreeBase, isListening, readBanner } from './support/net.js';
import { readPortsYaml, registryPorts, shiftRegistry, writeRegistry } from './support/registry.js';
import { programs, skipReason, titled } from './support/requirements.js';
import { Workspace } from './support/stack.js';
import type { Registry } from '@dsa110/ports';

// sshd refuses to start unless run as root (privilege separation).
const skip = skipReason(['openssh-server'], { root: true });

describe.skipIf(skip !== undefined).sequential(titled('claim-port and a protected sshd', skip), () => {
  let ws: Workspace;
  let registry: Registry;
  let registryFile: string;
  let port: number;
  let sshd: Daemon;

  beforeAll(async () => {
    ws = new Workspace('dsa110-e2e-sshd-');
    // The whole registry is shifted, so the base must fit all of it; only sshd's port must be free.
    const ports = readPortsYaml();
    const base = await findFreeBase([22], { fit: Math.max(...registryPorts(ports)) });
    port = base + 22;
    const data = shiftRegistry(ports, {
      base,
      add: [
        {
          id: 'ssh',
          name: 'OpenSSH',
          group: 'production',
          port,
          protocol: 'TCP',
          transport: 'tcp',
          access: 'private',
          configuredBy: 'none',
          robust: false,
          systemd: { unit: 'ssh.service' },
          processes: ['sshd'],
          purpose: ['Remote login to the pipeline host (end-to-end test entry)'],
          notes: [],
        },
      ],
    });
    registryFile = ws.path('ports.yaml');
    registry = writeRegistry(registryFile, data, `Test registry for the sshd scenario: ports.yaml shifted by ${base}, plus sshd on ${port}.`);

    ws.mkdir('ssh');
    execFileSync(programs.sshKeygen, ['-q', '-t', 'ed25519', '-N', '', '-f', ws.path('ssh', 'host_ed25519')]);
    const config = ws.write(
      'ssh/sshd_config',
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${ws.path('ssh', 'host_ed25519')}`,
        `PidFile ${ws.path('ssh', 'sshd.pid')}`,
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin no',
        'AuthorizedKeysFile none',
        '',
      ].join('\n'),
    );
    // The privilege separation directory Debian's ssh.service creates (RuntimeDirectory=sshd).
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
    sshd = await startDaemon({
      name: 'sshd',
      command: programs.sshd,
      args: ['-D', '-e', '-f', config],
      logFile: ws.path('sshd.log'),
      ready: () => isListening(port),
    });
  });

  afterAll(async () => {
    await sshd?.stop();
    await stopAllDaemons();
    if (!process.env.E2E_KEEP) ws?.remove();
    expect(leftovers(), 'every daemon this file started is stopped').toEqual([]);
  });

  it('the test registry marks sshd as protected', () => {
    expect(registry.claim.protectedProcesses).toContain('sshd');
    expect(registry.service('ssh').port).toBe(port);
    guardPort(port); // only the sshd this suite started holds it
  });

  it('sshd is real: it answers with its banner', async () => {
    expect(await readBanner(port)).toMatch(/^SSH-2\.0-OpenSSH/);
  });

  it('claim-port --json: refused, sshd protected and never signalled', async () => {
    guardPort(port);
    const claim = await runBin('claim-port', ['ssh', '--json', '--registry', registryFile], { env: cleanEnv() });
    expect(claim.code, show(claim)).toBe(1);
    const result = JSON.parse(claim.stdout) as { action: string; holders: Array<{ pid: number; comm: string; signals: string[]; outcome: string }> };
    expect(result).toMatchObject({ port, service: 'ssh', action: 'refused' });
    expect(result.holders).toEqual([expect.objectContaining({ pid: sshd.pid, comm: 'sshd', signals: [], outcome: 'protected' })]);
    expect(sshd.running).toBe(true);
  });

  for (const [title, args] of [
    ['5. claim-port ssh refuses, sshd keeps running', () => ['ssh', '--registry', registryFile]],
    ['claim-port <port> refuses too', () => [String(port), '--registry', registryFile]],
    ['claim-port --dry-run ssh refuses too', () => ['ssh', '--dry-run', '--registry', registryFile]],
  ] as const) {
    it(title, async () => {
      guardPort(port);
      const claim = await runBin('claim-port', args(), { env: cleanEnv() });
      expect(claim.code, show(claim)).toBe(1);
      expect(`${claim.stdout}${claim.stderr}`, show(claim)).toMatch(/sshd/);
      expect(`${claim.stdout}${claim.stderr}`, show(claim)).toContain(String(sshd.pid));
      // Still the same sshd, still listening, still answering.
      expect(sshd.running).toBe(true);
      expect(isListening(port)).toBe(true);
      expect(await readBanner(port)).toMatch(/^SSH-2\.0-OpenSSH/);
    });
  }
});
