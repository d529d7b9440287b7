// A claim line that runs claim-port through env setting PATH first
// (`ExecStartPre=+/usr/bin/env PATH=/opt/x/bin claim-port 8000`): env execvp's
// claim-port in that PATH, not where systemd looks a bare name up, so the
// health check looks it up there too. Real files in a temp --root, and the
// real GNU env run on the same directories, so the check says what env does.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPorts } from '../../src/index.js';
import { CLAIM_REGISTRY, wiredRoot } from '../agreement.js';
import { EXECUTABLE, type TreeEntry } from '../helpers.js';

/** A claim-port that runs: a script whose interpreter (/bin/sh) is in the root as well as on this machine. */
const SCRIPT: TreeEntry = { text: '#!/bin/sh\necho "claim-port at $0"\n', mode: 0o755 };

/** The health check's systemd and dependencies results on svc.service with `ExecStartPre=LINE` and `files` in the root. */
async function results(line: string, files: Record<string, TreeEntry>) {
  const { root, registry } = await wiredRoot(
    'dsa110-env-path-',
    [`ExecStartPre=${line}`],
    { robust: true, unit: 'svc.service', claim: 'unit' },
    {
      'bin/sh': EXECUTABLE,
      ...files,
    },
  );
  const report = await checkPorts({ registry, root, services: ['svc'], firewall: false });
  const said = report.results
    .filter((result) => result.check === 'systemd' || result.check === 'dependencies')
    .filter((result) => result.reason.includes('claim'))
    .map((result) => `${result.check} ${result.severity}: ${result.reason.replaceAll(root, 'ROOT')}`);
  return { root, said };
}

/** What the real env does with PATH set to `dirs` (each inside `root`) and claim-port by name: its exit code and output. */
function realEnv(root: string, dirs: string): { status: number | null; output: string } {
  const path = dirs
    .split(':')
    .map((dir) => (dir.startsWith('/') ? join(root, dir) : dir))
    .join(':');
  const run = spawnSync('env', [`PATH=${path}`, 'claim-port', '8000'], { encoding: 'utf8', cwd: '/' });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.replaceAll(root, 'ROOT') };
}

describe('env PATH=... claim-port: looked up in the PATH env sets', () => {
  it('found there (not in systemd’s search path): the claim is judged, and the file env runs is the one checked', async () => {
    const line = `+/usr/bin/env PATH=/opt/x/bin claim-port 8000 ${CLAIM_REGISTRY}`;
    const { root, said } = await results(line, { 'opt/x/bin/claim-port': SCRIPT, 'usr/local/bin/claim-port': { text: 'not a program\n', mode: 0o644 } });
    expect(realEnv(root, '/opt/x/bin')).toEqual({ status: 0, output: 'claim-port at ROOT/opt/x/bin/claim-port\n' });
    expect(said).toContainEqual(expect.stringMatching(/^systemd ok: .*claims port 8000/));
    expect(said).toContainEqual(
      expect.stringMatching(/^dependencies ok: claim-port \/opt\/x\/bin\/claim-port \(called by svc in .* as claim-port\) exists and is executable/),
    );
    expect(said.filter((each) => !each.includes(' ok: '))).toEqual([]);
  });

  it('not there, though systemd would find one: an error, as env fails (127), never ok', async () => {
    const line = `+/usr/bin/env PATH=/nonexistent:/opt/x/bin claim-port 8000 ${CLAIM_REGISTRY}`;
    const { root, said } = await results(line, { 'usr/local/bin/claim-port': SCRIPT });
    expect(realEnv(root, '/nonexistent:/opt/x/bin')).toEqual({ status: 127, output: 'env: ‘claim-port’: No such file or directory\n' });
    expect(said).toContainEqual(
      "dependencies error: claim-port (called by svc in /usr/lib/systemd/system/svc.service:2 as claim-port) does not exist under ROOT in any directory of the PATH env sets before it (PATH=/nonexistent:/opt/x/bin), so env fails (env: 'claim-port': No such file or directory) and systemd cannot start the unit; install claim-port in /opt/x/bin (in a checkout: npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 tarballs && npm install -g --prefix ROOT/opt/x ./tarballs/*.tgz), or set that PATH to the directory claim-port is in, or write claim-port's absolute path after env",
    );
  });

  it('the last PATH= is the one env uses', async () => {
    const line = `+/usr/bin/env PATH=/opt/x/bin PATH=/opt/y/bin claim-port 8000 ${CLAIM_REGISTRY}`;
    const { root, said } = await results(line, { 'opt/x/bin/claim-port': SCRIPT });
    expect(realEnv(root, '/opt/y/bin').status).toBe(127);
    expect(said).toContainEqual(expect.stringMatching(/^dependencies error: .*PATH=\/opt\/y\/bin\)/));
  });

  it('a relative or empty entry (the directory the service runs in) it is not in elsewhere: unknown', async () => {
    const line = `+/usr/bin/env PATH=/opt/x/bin::bin claim-port 8000 ${CLAIM_REGISTRY}`;
    const { said } = await results(line, {});
    expect(said).toContainEqual(
      expect.stringMatching(
        /^dependencies unknown: .*env looks it up in PATH=\/opt\/x\/bin::bin, .* but an empty entry is the directory the service runs in, not looked at/,
      ),
    );
    expect(said.filter((each) => each.includes(' error: '))).toEqual([]);
  });

  it.each([
    [`+/usr/bin/env -i PATH=/opt/x/bin claim-port 8000 ${CLAIM_REGISTRY}`, 'env with -i'],
    [`+/usr/bin/env -S "PATH=/opt/x/bin claim-port 8000 ${CLAIM_REGISTRY}"`, 'env with -S'],
    [`+/usr/bin/env PATH=/opt/x/bin nice claim-port 8000 ${CLAIM_REGISTRY}`, 'env setting PATH, then nice by name'],
  ])('%s: a wrapper not followed is unknown, never ok or "nothing frees"', async (line, wrapper) => {
    const { said } = await results(line, { 'opt/x/bin/claim-port': SCRIPT });
    expect(said).toContainEqual(expect.stringContaining(`runs claim-port through ${wrapper}, which this check does not read`));
    expect(said.filter((each) => / (ok|error): /.test(each) && each.startsWith('systemd'))).toEqual([]);
  });
});
