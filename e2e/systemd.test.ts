// Scenario 7: the systemd drop-ins `ports systemd` generates for the test
// registry pass `systemd-analyze verify`, with the packaged Debian units they
// extend and the API's own unit. systemd need not be running (it is not PID 1
// on the test machines): verify loads the units offline.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardPort } from '../test-support/guard.js';
import { runBin, show } from './support/bins.js';
import { leftovers, stopAllDaemons } from './support/daemons.js';
import { isListening } from './support/net.js';
import { skipReason, titled } from './support/requirements.js';
import { redisPing, Stack } from './support/stack.js';
import { systemdVerify, type SystemdTree } from './support/systemd.js';

// The drop-ins extend Debian's own units, so those packages must be installed.
const skip = skipReason(['systemd', 'nginx-light', 'redis-server', 'prometheus', 'python3-uvicorn']);

describe.skipIf(skip !== undefined)(titled('systemd units made by `ports systemd`', skip), () => {
  let stack: Stack;
  let tree: SystemdTree;

  beforeAll(async () => {
    stack = await Stack.create();
    tree = await stack.systemdTree();
  });

  afterAll(async () => {
    await stack?.stopAll();
    await stopAllDaemons();
    if (!process.env.E2E_KEEP) stack?.ws.remove();
    expect(leftovers(), 'every daemon this file started is stopped').toEqual([]);
  });

  const units = () => stack.registry.services.filter((service) => service.robust).map((service) => service.systemd!.unit);

  it('writes a drop-in per drop-in claim and prints the line for the unit-file claim', () => {
    expect(tree.generated.stdout, show(tree.generated)).toContain(`${tree.unitDir}/redis-server.service.d/claim-port.conf`);
    expect(tree.generated.stdout).toContain(`${tree.unitDir}/prometheus.service.d/claim-port.conf`);
    expect([...tree.unitLines]).toEqual([['dsa110-api.service', `ExecStartPre=+${stack.claimPort} ${stack.ports.api} --registry ${stack.registryFile}`]]);
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
      // --out, as the tree was written: its registry lies outside the root, which --root refuses.
      runBin('ports', ['--registry', stack.registryFile, 'systemd', '--out', tree.unitDir, '--check', '--claim-port', stack.claimPort, ...args]);
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

  it("Redis's drop-in, run as systemd runs ExecStartPre=+, frees the port from a squatter; redis-server then starts there", async () => {
    const port = stack.ports.redis;
    const dropIn = readFileSync(`${tree.unitDir}/redis-server.service.d/claim-port.conf`, 'utf8');
    const line = dropIn.split('\n').find((l) => l.startsWith('ExecStartPre='));
    expect(line).toBe(`ExecStartPre=+${stack.claimPort} ${port} --registry ${stack.registryFile}`);
    // `+` only means "as root"; the rest is the command line.
    const [command, ...args] = line!.slice('ExecStartPre=+'.length).split(' ');

    const squatter = await stack.startSquatter(port, 'python3 -m http.server (squatter on the Redis port)');
    try {
      guardPort(port);
      const code = await new Promise<number>((resolve) => {
        // Exactly the line's argv, which names the test registry (--registry).
        execFile(command!, args, { env: stack.env() }, (error) => resolve(error ? (typeof error.code === 'number' ? error.code : -1) : 0));
      });
      expect(code).toBe(0);
      expect(await squatter.exited).toEqual({ code: null, signal: 'SIGTERM' });
      expect(isListening(port)).toBe(false);
    } finally {
      await squatter.stop();
    }
    const redis = await stack.startRedis();
    expect(await redisPing(port)).toBe(true);
    expect(redis.running).toBe(true);
  });

  it('the claim-port the units call runs: a dry run on a free port of the registry exits 0', async () => {
    const port = stack.ports.prometheus;
    expect(isListening(port)).toBe(false);
    const code = await new Promise<number>((resolve) => {
      execFile(stack.claimPort, [String(port), '--dry-run', '--registry', stack.registryFile], { env: stack.env() }, (error) =>
        resolve(error ? (typeof error.code === 'number' ? error.code : -1) : 0),
      );
    });
    expect(code).toBe(0);
  });
});
