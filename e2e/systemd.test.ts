// Scenario 7: the systemd drop-ins `ports systemd` generates for the test
// registry pass `systemd-analyze verify`, with the packaged Debian units they
// extend and the API's own unit. systemd need not be running (it is not PID 1
// on the test machines): verify loads the units offline.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, show } from './support/bins.js';
import { skipReason, titled } from './support/requirements.js';
import { Stack } from './support/stack.js';
import { buildSystemdTree, systemdVerify, type SystemdTree } from './support/systemd.js';

// The drop-ins extend Debian's own units, so those packages must be installed.
const skip = skipReason(['systemd', 'nginx-light', 'redis-server', 'prometheus', 'python3-uvicorn']);

describe.skipIf(skip !== undefined)(titled('systemd units made by `ports systemd`', skip), () => {
  let stack: Stack;
  let tree: SystemdTree;

  beforeAll(async () => {
    stack = await Stack.create();
    tree = await buildSystemdTree({
      ws: stack.ws,
      registryFile: stack.registryFile,
      registry: stack.registry,
      claimPort: stack.claimPort,
      apiExecStart: `${stack.ws.path('bin', 'uvicorn')} --app-dir ${stack.ws.path('app')} app:app --host 127.0.0.1 --port \${CONTIMG_API_PORT}`,
    });
  });

  afterAll(() => {
    if (!process.env.E2E_KEEP) stack?.ws.remove();
  });

  const units = () => stack.registry.services.filter((service) => service.robust).map((service) => service.systemd!.unit);

  it('writes a drop-in per drop-in claim and prints the line for the unit-file claim', () => {
    expect(tree.generated.stdout, show(tree.generated)).toContain(`${tree.unitDir}/redis-server.service.d/claim-port.conf`);
    expect(tree.generated.stdout).toContain(`${tree.unitDir}/prometheus.service.d/claim-port.conf`);
    expect([...tree.unitLines]).toEqual([['dsa110-api.service', `ExecStartPre=+${stack.claimPort} ${stack.ports.api}`]]);
  });

  it('7. the generated drop-ins pass systemd-analyze verify', () => {
    expect(units().sort()).toEqual(['dsa110-api.service', 'prometheus.service', 'redis-server.service']);
    const verify = systemdVerify(tree, [...units(), 'nginx.service']);
    expect(verify.code, show(verify)).toBe(0);
    expect(`${verify.stdout}${verify.stderr}`, show(verify)).not.toMatch(/claim-port/);
  });

  it('the drop-ins really are read: one calling a missing claim-port fails verify, naming it', () => {
    const dropIn = `${tree.unitDir}/redis-server.service.d/claim-port.conf`;
    const missing = stack.ws.path('bin', 'no-such-claim-port');
    writeFileSync(dropIn, `[Service]\nExecStartPre=+${missing} ${stack.ports.redis}\n`);
    const verify = systemdVerify(tree, ['redis-server.service']);
    expect(verify.code, show(verify)).not.toBe(0);
    expect(`${verify.stdout}${verify.stderr}`).toContain(missing);
  });

  it('`ports systemd --check` finds that drift; running `ports systemd` again repairs it and verify passes', async () => {
    const dropIn = `${tree.unitDir}/redis-server.service.d/claim-port.conf`;
    const check = (args: string[] = []) =>
      runBin('ports', ['--registry', stack.registryFile, 'systemd', '--root', tree.root, '--check', '--claim-port', stack.claimPort, ...args]);
    const drifted = await check();
    expect(drifted.code, show(drifted)).toBe(1);
    expect(drifted.stdout, show(drifted)).toContain('redis-server.service.d/claim-port.conf');

    const again = await runBin('ports', ['--registry', stack.registryFile, 'systemd', '--out', tree.unitDir, '--claim-port', stack.claimPort]);
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout).toContain(`wrote ${dropIn}`);
    const clean = await check();
    expect(clean.code, show(clean)).toBe(0);
    const verify = systemdVerify(tree, units());
    expect(verify.code, show(verify)).toBe(0);
  });

  it('the claim-port the units call runs: a dry run on a free port of the registry exits 0', async () => {
    const { execFile } = await import('node:child_process');
    const code = await new Promise<number>((resolve) => {
      execFile(stack.claimPort, [String(stack.ports.redis), '--dry-run', '--registry', stack.registryFile], (error) =>
        resolve(error ? (typeof error.code === 'number' ? error.code : -1) : 0),
      );
    });
    expect(code).toBe(0);
  });
});
