// A claim line may name claim-port without a path (`ExecStartPre=+claim-port
// 8000`): systemd >= 239 looks a bare name up in a search path fixed when it
// was built (systemd.service(5), "Command lines"), or in the unit's
// ExecSearchPath=. The dependencies check judges the file systemd would run,
// read by the real gather() over real fixture trees. The real systemd-analyze
// verify is asked whether it agrees where it can: on units without
// ExecSearchPath=, and on how one is parsed (systemd 252's verify looks a bare
// name up in the built-in path only, even when the unit sets ExecSearchPath=).
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimPortInstall } from '@dsa110/ports/systemd';
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
      `claim-port (called by api in /${API}:5 as claim-port) does not exist under ${root} in any directory systemd searches for a command without a path (${SEARCHED}); install claim-port there (${claimPortInstall(undefined, root)})`,
    );
  });

  it('names the install prefix absolute under a relative root (`--root hr`): the command is run from the checkout', async () => {
    const root = writeTree(tempDir(), { [API]: unit('ExecStartPre=+claim-port 8000') });
    const given = relative(process.cwd(), root);
    const results = checkDependencies(await gather({ registry, root: given })).filter((result) => result.service);
    expect(results).toEqual([expect.objectContaining({ severity: 'error', service: 'api' })]);
    expect(results[0]!.reason).toContain(`does not exist under ${given} in any directory`);
    expect(results[0]!.reason).toMatch(new RegExp(`--prefix ${root.replaceAll('.', '\\.')}/usr/local \\./tarballs/\\*\\.tgz\\)$`));
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
      `claim-port (called by api in /${API}:6 as claim-port) does not exist under ${missing.root} in any directory systemd searches for a command without a path (ExecSearchPath=/opt/dsa110/bin, set in /${API}:5); install claim-port there (${claimPortInstall(undefined, missing.root)})`,
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

  // The audit's cases (report-recent F1): claim-port is only at the path named; PID 1 builds ExecSearchPath= as
  // systemd 252's config_parse_colon_separated_paths does: entries as written (not trimmed), specifiers resolved as
  // the system manager resolves them, each kept until the first one path_simplify_and_warn refuses, and the rest of
  // that line ignored with it.
  const SYSTEMD_IGNORES = (from: string, reason: string, line = 5) => `systemd ignores /${API}:${line} from ${from} on (${reason})`;
  it.each([
    ['A', 'ExecSearchPath=opt/bin:/opt/dsa110/bin', `${SEARCHED}; ${SYSTEMD_IGNORES('"opt/bin"', 'path is not absolute')}`],
    ['B', 'ExecSearchPath=/opt/x::/opt/dsa110/bin', `ExecSearchPath=/opt/x, set in /${API}:5; ${SYSTEMD_IGNORES('""', 'path is not absolute')}`],
    [
      'C',
      'ExecSearchPath=/opt/x: /opt/dsa110/bin',
      `ExecSearchPath=/opt/x, set in /${API}:5; ${SYSTEMD_IGNORES('" /opt/dsa110/bin"', 'path is not absolute')}`,
    ],
    [
      'D',
      'ExecSearchPath=/opt/x:/opt/../opt/dsa110/bin',
      `ExecSearchPath=/opt/x, set in /${API}:5; ${SYSTEMD_IGNORES('"/opt/../opt/dsa110/bin"', 'path is not normalized')}`,
    ],
    ['F', 'ExecSearchPath=/opt/%Z:/opt/dsa110/bin', `${SEARCHED}; ${SYSTEMD_IGNORES('"/opt/%Z"', 'unknown specifier %Z')}`],
  ])('case %s: an entry systemd refuses drops the rest of its line, so claim-port after it is not found (%s)', async (_, line, searched) => {
    const { root, results } = await dependencies({ [API]: unit(line, 'ExecStartPre=+claim-port 8000'), 'opt/dsa110/bin/claim-port': EXECUTABLE });
    expect(results).toEqual([expect.objectContaining({ severity: 'error' })]);
    expect(results[0]!.reason).toBe(
      `claim-port (called by api in /${API}:6 as claim-port) does not exist under ${root} in any directory systemd searches for a command without a path (${searched}); install claim-port there (${claimPortInstall(undefined, root)})`,
    );
  });

  it('case A2: a line systemd drops whole leaves the built-in path, where claim-port is found', async () => {
    const { results } = await dependencies({
      [API]: unit('ExecSearchPath=rel:/opt/x', 'ExecStartPre=+claim-port 8000'),
      'usr/local/bin/claim-port': EXECUTABLE,
    });
    expect(results).toEqual([expect.objectContaining({ severity: 'ok' })]);
    expect(results[0]!.reason).toBe(`claim-port /usr/local/bin/claim-port (called by api in /${API}:6 as claim-port) exists and is executable`);
  });

  it('cases E1 and E2: %h is /root, the system manager’s home, whatever User= says', async () => {
    const lines = ['User=nobody', 'ExecSearchPath=%h/bin', 'ExecStartPre=+claim-port 8000'];
    const e1 = await dependencies({ [API]: unit(...lines), 'usr/local/bin/claim-port': EXECUTABLE });
    expect(e1.results).toEqual([expect.objectContaining({ severity: 'error' })]);
    expect(e1.results[0]!.reason).toBe(
      `claim-port (called by api in /${API}:7 as claim-port) does not exist under ${e1.root} in any directory systemd searches for a command without a path (ExecSearchPath=/root/bin, set in /${API}:6); install claim-port there (${claimPortInstall(undefined, e1.root)})`,
    );
    const e2 = await dependencies({ [API]: unit(...lines), 'root/bin/claim-port': EXECUTABLE });
    expect(e2.results).toEqual([expect.objectContaining({ severity: 'ok' })]);
    expect(e2.results[0]!.reason).toBe(`claim-port /root/bin/claim-port (called by api in /${API}:7 as claim-port) exists and is executable`);
  });

  it('a specifier this check cannot resolve as PID 1 does (%H) makes the lookup unknown from that entry on, never a false ok', async () => {
    const files = { [API]: unit('ExecSearchPath=/opt/dsa110/bin:/srv/%H/bin', 'ExecStartPre=+claim-port 8000'), 'usr/local/bin/claim-port': EXECUTABLE };
    const { results } = await dependencies(files);
    expect(results).toEqual([expect.objectContaining({ severity: 'unknown' })]);
    expect(results[0]!.reason).toBe(
      `claim-port (called by api in /${API}:6 as claim-port): cannot tell which file systemd runs: it is not in ExecSearchPath=/opt/dsa110/bin (set in /${API}:5), and /${API}:5 goes on with "/srv/%H/bin", whose %H this check cannot resolve as systemd does; write claim-port's absolute path in the unit`,
    );
    // Found before that entry: the entries after it cannot matter.
    const found = await dependencies({ ...files, 'opt/dsa110/bin/claim-port': EXECUTABLE });
    expect(found.results).toEqual([expect.objectContaining({ severity: 'ok' })]);
  });

  it('names every line that added to ExecSearchPath=, and not one whose entries systemd ignored', async () => {
    const { root, results } = await dependencies({
      [API]: unit('ExecSearchPath=/opt/x', 'ExecSearchPath=rel', 'ExecSearchPath=/opt/y', 'ExecStartPre=+claim-port 8000'),
    });
    expect(results[0]!.reason).toBe(
      `claim-port (called by api in /${API}:8 as claim-port) does not exist under ${root} in any directory systemd searches for a command without a path (ExecSearchPath=/opt/x:/opt/y, set in /${API}:5, /${API}:7; ${SYSTEMD_IGNORES('"rel"', 'path is not absolute', 6)}); install claim-port there (${claimPortInstall(undefined, root)})`,
    );
  });

  it('a loop of symbolic links where systemd looks is an error when no other directory holds claim-port, as systemd fails the unit (ELOOP)', async () => {
    const loop = { 'usr/local/sbin/claim-port': { symlink: 'claim-port2' }, 'usr/local/sbin/claim-port2': { symlink: 'claim-port' } };
    const { root, results } = await dependencies({ [API]: unit('ExecStartPre=+claim-port 8000'), ...loop });
    expect(results).toEqual([expect.objectContaining({ severity: 'error' })]);
    // Relative links loop wherever the tree is: no advice about host links.
    expect(results[0]!.reason).toBe(
      `claim-port (called by api in /${API}:5 as claim-port) does not exist under ${root} in any directory systemd searches for a command without a path (${SEARCHED}): /usr/local/sbin/claim-port is a loop of symbolic links; install claim-port there (${claimPortInstall(undefined, root)})`,
    );
    // A link to the host's file loops only under --root: there the advice applies.
    const host = await dependencies({ [API]: unit('ExecStartPre=+claim-port 8000'), 'usr/local/sbin/claim-port': { symlink: '/usr/local/sbin/claim-port' } });
    expect(host.results[0]!.reason).toContain(
      ': /usr/local/sbin/claim-port is a loop of symbolic links (links are followed inside the root, as chroot does: copy or hard-link host files into it); install',
    );
    // A real file after the loop is the one systemd runs.
    const later = await dependencies({ [API]: unit('ExecStartPre=+claim-port 8000'), ...loop, 'usr/bin/claim-port': EXECUTABLE });
    expect(later.results[0]!.reason).toBe(`claim-port /usr/bin/claim-port (called by api in /${API}:5 as claim-port) exists and is executable`);
    // An absolute path that is a loop fails the same way.
    const path = await dependencies({ [API]: unit('ExecStartPre=+/usr/local/sbin/claim-port 8000'), ...loop });
    expect(path.results).toEqual([expect.objectContaining({ severity: 'error' })]);
    expect(path.results[0]!.reason).toBe(
      `claim-port /usr/local/sbin/claim-port (called by api in /${API}:5) is a loop of symbolic links under ${path.root}; install claim-port there (${claimPortInstall(undefined, path.root)})`,
    );
  });

  // systemd 252's `systemd-analyze verify` looks a bare name up in the built-in path only, never in ExecSearchPath=
  // (verify_executable() passes no search path): it is the reference for parsing and the built-in path, not for a unit
  // that sets ExecSearchPath=.
  it.runIf(hasCommand('systemd-analyze', ['--version']))(
    'agrees with systemd-analyze verify --root on units without ExecSearchPath=, and on how it parses one',
    () => {
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
      // Parsing: the first entry it refuses is the only one it warns about, so the rest of the line went with it.
      const parsed = verify({
        [API]: unit('ExecSearchPath=rel1:rel2:/opt/../x:/ok', 'ExecStartPre=+/usr/sbin/claim-port 8000'),
        'usr/sbin/claim-port': EXECUTABLE,
      });
      expect(parsed).toContain('ExecSearchPath= path is not absolute, ignoring: rel1');
      expect(parsed).not.toContain('rel2');
      expect(parsed).not.toContain('normalized');
    },
  );
});
