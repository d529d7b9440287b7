// A claim line may name claim-port without a path (`ExecStartPre=+claim-port
// 8000`): systemd >= 239 looks a bare name up in a search path fixed when it
// was built (systemd.service(5), "Command lines"), or in the unit's
// ExecSearchPath=. The dependencies check judges the file systemd would run,
// read by the real gather() over real fixture trees, and the real
// systemd-analyze verify is asked whether it agrees.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkDependencies } from '../../src/checks/dependencies.js';
import { checkSystemd } from '../../src/checks/systemd.js';
import { gather } from '../../src/gather.js';
import { hasCommand } from '../../../../test-support/commands.js';
import { EXECUTABLE, tempDir, testRegistry, writeTree, type TreeEntry } from '../helpers.js';

const registry = testRegistry([
  { id: 'api', port: 8000, env: 'CONTIMG_API_PORT', robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] },
]);
const API = 'etc/systemd/system/dsa110-api.service';
const SEARCHED = '/usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin, /bin';
const unit = (...lines: string[]) => `[Unit]\nDescription=test\n\n[Service]\n${lines.join('\n')}\nExecStart=/usr/bin/python3 -m api\n`;

async function dependencies(files: Record<string, TreeEntry>, claimPortPaths: string[] = []) {
  const root = writeTree(tempDir(), files);
  const facts = await gather({ registry, root, claimPortPaths });
  return { root, results: checkDependencies(facts).filter((result) => result.service) };
}

describe('a claim line that names claim-port without a path', () => {
  it('is an error naming the name and the directories searched when none of them holds it under the root', async () => {
    const { root, results } = await dependencies({ [API]: unit('ExecStartPre=+claim-port 8000') });
    expect(results).toEqual([expect.objectContaining({ check: 'dependencies', severity: 'error', service: 'api', file: `/${API}:5` })]);
    expect(results[0]!.reason).toBe(
      `claim-port (called by api in /${API}:5 as claim-port) does not exist under ${root} in any directory systemd searches for a command without a path (${SEARCHED}); install @dsa110/claim-port there`,
    );
  });

  it('judges the first executable file in systemd’s order, as an absolute path is judged', async () => {
    const { results } = await dependencies({
      [API]: unit('ExecStartPre=+claim-port 8000'),
      // Not executable: systemd passes over it, as execvp does.
      'usr/local/bin/claim-port': { text: '#!/bin/sh\n', mode: 0o644 },
      'usr/sbin/claim-port': EXECUTABLE,
      'usr/bin/claim-port': EXECUTABLE,
    });
    expect(results).toEqual([expect.objectContaining({ severity: 'ok' })]);
    expect(results[0]!.reason).toBe(`claim-port /usr/sbin/claim-port (called by api in /${API}:5 as claim-port) exists and is executable`);
    // The file found runs through the same #! check: an interpreter systemd cannot find is an error.
    const broken = await dependencies({ [API]: unit('ExecStartPre=+claim-port 8000'), 'bin/claim-port': { text: '#!/nowhere/node\n', mode: 0o755 } });
    expect(broken.results).toEqual([expect.objectContaining({ severity: 'error' })]);
    expect(broken.results[0]!.reason).toMatch(/^claim-port \/bin\/claim-port \(called by api in .* as claim-port\) under .*: its interpreter \/nowhere\/node/);
  });

  it('is looked up in the unit’s ExecSearchPath= instead, when it sets one', async () => {
    const files = { [API]: unit('ExecSearchPath=/opt/dsa110/bin', 'ExecStartPre=+claim-port 8000'), 'usr/local/bin/claim-port': EXECUTABLE };
    const missing = await dependencies(files);
    expect(missing.results[0]!.reason).toBe(
      `claim-port (called by api in /${API}:6 as claim-port) does not exist under ${missing.root} in any directory systemd searches for a command without a path (ExecSearchPath=/opt/dsa110/bin, set in /${API}:5); install @dsa110/claim-port there`,
    );
    const found = await dependencies({ ...files, 'opt/dsa110/bin/claim-port': EXECUTABLE });
    expect(found.results[0]!.reason).toBe(`claim-port /opt/dsa110/bin/claim-port (called by api in /${API}:6 as claim-port) exists and is executable`);
  });

  it('a relative path with a slash is not looked up: systemd refuses the unit, and the systemd check says so', async () => {
    const root = writeTree(tempDir(), { [API]: unit('ExecStartPre=+bin/claim-port 8000'), 'bin/claim-port': EXECUTABLE });
    const facts = await gather({ registry, root });
    expect(checkDependencies(facts).filter((result) => result.service)).toEqual([]);
    const systemd = checkSystemd(facts, registry.service('api'));
    expect(systemd[0]).toMatchObject({ severity: 'error' });
    expect(systemd[0]!.reason).toContain('Neither a valid executable name nor an absolute path');
  });

  it('counts a bare --claim-port name, looked up the same way', async () => {
    const files = { [API]: unit('ExecStartPre=+free-port 8000'), 'usr/bin/free-port': EXECUTABLE };
    expect((await dependencies(files)).results).toEqual([]);
    const { results } = await dependencies(files, ['free-port']);
    expect(results[0]!.reason).toBe(`claim-port /usr/bin/free-port (called by api in /${API}:5 as free-port) exists and is executable`);
  });

  it.runIf(hasCommand('systemd-analyze', ['--version']))('agrees with systemd-analyze verify --root on the same trees', () => {
    const verify = (files: Record<string, TreeEntry>) => {
      const root = writeTree(tempDir(), { 'usr/bin/python3': EXECUTABLE, ...files });
      const run = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'dsa110-api.service'], { encoding: 'utf8' });
      return run.stderr;
    };
    expect(verify({ [API]: unit('ExecStartPre=+claim-port 8000') })).toContain('Command claim-port is not executable: No such file or directory');
    expect(verify({ [API]: unit('ExecStartPre=+claim-port 8000'), 'usr/sbin/claim-port': EXECUTABLE })).not.toContain('claim-port');
    expect(verify({ [API]: unit('ExecStartPre=+bin/claim-port 8000'), 'bin/claim-port': EXECUTABLE })).toContain(
      'Neither a valid executable name nor an absolute path: bin/claim-port',
    );
  });
});
