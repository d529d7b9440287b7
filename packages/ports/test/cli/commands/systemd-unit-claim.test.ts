// `ports systemd` for a `claim: unit` service, on real trees under --root: where it says the claim line goes (the
// unit file systemd loads, or a drop-in of the unit's own when that file is a package's), checked by following the
// advice and running the real systemd-analyze verify; and `--check` against the health check on a claim line that a
// drop-in supplies (its [Service] lines are the unit's: both judge the effective unit, and agree).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers.js';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
const healthCheck = join(repoRoot, 'packages/port-health-check/bin/port-health-check.js');
const ETC = 'etc/systemd/system';
const LIB = 'usr/lib/systemd/system';
/** The bundled registry's services that `ports systemd` wires, each with its unit and port. */
const UNITS = ['redis-server.service', 'prometheus.service', 'grafana-simple.service', 'dsa110-api.service'];
const unitFile = (unit: string, ...lines: string[]) => `[Unit]\nDescription=${unit} (test)\n\n[Service]\n${[...lines, 'ExecStart=/bin/true'].join('\n')}\n`;

/** A root with a real claim-port, the wired units in `dir` (as a package installs them in usr/lib), and `ports systemd --root` run over it. */
async function packagedRoot(dir = LIB, files: Record<string, string> = {}) {
  const root = tempDir('dsa110-ports-unit-claim-');
  writeTree(root, {
    'usr/local/bin/claim-port': '#!/bin/sh\nexit 0\n',
    ...Object.fromEntries(UNITS.map((unit) => [`${dir}/${unit}`, unitFile(unit)])),
    ...files,
  });
  const claimPort = join(root, 'usr/local/bin/claim-port');
  chmodSync(claimPort, 0o755);
  const run = await ports(['systemd', '--root', root, '--claim-port', claimPort]);
  expect(run.code).toBe(0);
  return { root, claimPort, stdout: run.stdout, check: () => ports(['systemd', '--check', '--root', root, '--claim-port', claimPort]) };
}

/** The health check's systemd verdicts on `service` under `root`. */
function healthOf(root: string, service: string) {
  const result = spawnSync(process.execPath, [healthCheck, '--root', root, '--format', 'json'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  const report = JSON.parse(result.stdout) as { checks: { check: string; service: string; severity: string; reason: string }[] };
  return report.checks.filter((check) => check.check === 'systemd' && check.service === service);
}

/** systemd-analyze verify of `unit` with the root's /etc and /usr/lib unit directories first in the search path (the host's after, for sysinit.target). */
function verify(root: string, unit: string) {
  const result = spawnSync(analyze!, ['verify', '--man=no', unit], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_UNIT_PATH: `${join(root, ETC)}:${join(root, LIB)}:`, SYSTEMD_LOG_LEVEL: 'notice' },
    encoding: 'utf8',
  });
  return { code: result.status, stderr: result.stderr };
}

/** The line `ports systemd` printed after `UNIT: ...` (the advice), and the claim line after it. */
function advice(stdout: string, unit: string): { said: string; line: string } {
  const lines = stdout.split('\n');
  const at = lines.findIndex((text) => text.startsWith(`${unit}:`));
  expect(at, stdout).toBeGreaterThanOrEqual(0);
  return { said: lines[at]!, line: lines[at + 1]! };
}

describe('ports systemd: where a unit-file claim goes', () => {
  it.skipIf(!analyze)(
    "a package's unit in /usr/lib: a drop-in of the unit's own, never a file in /etc that would replace it; following it, systemd-analyze verify and --check pass",
    async () => {
      const { root, stdout, check } = await packagedRoot();
      const { said, line } = advice(stdout, 'grafana-simple.service');
      const dropIn = join(root, ETC, 'grafana-simple.service.d/override.conf');
      expect(said).toBe(
        `grafana-simple.service: its unit file claims the port; systemd loads it from ${join(root, LIB, 'grafana-simple.service')}, a package's, ` +
          `and a file grafana-simple.service in ${join(root, ETC)} would replace it, not add to it; put this line under a [Service] line in the drop-in ${dropIn}:`,
      );
      expect(line).toMatch(/^ExecStartPre=\+\/.*\/claim-port 3030$/);
      // What the advice used to be, followed, breaks the unit: a unit of that name in /etc, with no ExecStart=, shadows the package's.
      writeTree(root, { [`${ETC}/grafana-simple.service`]: `[Service]\n${line}\n` });
      expect(verify(root, 'grafana-simple.service').code).not.toBe(0);
      rmSync(join(root, ETC, 'grafana-simple.service'));
      // The advice followed, for both unit-file claims: the packaged units load with the claim line.
      for (const unit of ['grafana-simple.service', 'dsa110-api.service']) {
        const { said: text, line: claim } = advice(stdout, unit);
        const path = text.slice(text.lastIndexOf(' ') + 1, -1);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, `[Service]\n${claim}\n`);
        expect(verify(root, unit), unit).toEqual({ code: 0, stderr: '' });
      }
      const checked = await check();
      expect([checked.code, checked.stderr]).toEqual([0, '']);
      if (existsSync(healthCheck)) expect(healthOf(root, 'grafana').map((result) => result.severity)).toEqual(['ok']);
    },
  );

  it("a unit file of the operator's in /etc: that file, as before", async () => {
    const { root, stdout } = await packagedRoot(ETC);
    expect(advice(stdout, 'grafana-simple.service').said).toBe(
      `grafana-simple.service: its unit file claims the port; put this line in the [Service] section of ${join(root, ETC, 'grafana-simple.service')}:`,
    );
  });

  it("a unit file of the operator's in /usr/local/lib: that file; following it, --check passes, and finds the file in every unit directory systemd reads", async () => {
    const LOCAL = 'usr/local/lib/systemd/system';
    const { root, claimPort, stdout, check } = await packagedRoot(LOCAL);
    expect(advice(stdout, 'grafana-simple.service').said).toBe(
      `grafana-simple.service: its unit file claims the port; put this line in the [Service] section of ${join(root, LOCAL, 'grafana-simple.service')}:`,
    );
    let run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${join(root, LOCAL, 'grafana-simple.service')}: does not contain ExecStartPre=+${claimPort} 3030`);
    for (const [unit, port] of [
      ['grafana-simple.service', 3030],
      ['dsa110-api.service', 8000],
    ] as const) {
      const { line } = advice(stdout, unit);
      expect(line).toBe(`ExecStartPre=+${claimPort} ${port}`);
      writeTree(root, { [`${LOCAL}/${unit}`]: unitFile(unit, line) });
    }
    run = await check();
    expect([run.code, run.stderr]).toEqual([0, '']);
    // A unit made at run time under /run, shadowing the operator's: --check reads the one systemd loads (it lacks the line).
    writeTree(root, { 'run/systemd/system/dsa110-api.service': unitFile('dsa110-api.service') });
    run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `${join(root, 'run/systemd/system/dsa110-api.service')}: does not contain ExecStartPre=+${claimPort} 8000 in its [Service] section, ` +
        `and it is made at run time (under /run), which a reboot replaces; put the line under a [Service] line in the drop-in ${join(root, ETC, 'dsa110-api.service.d/override.conf')}`,
    );
  });

  it('a unit under /run (made at run time): a drop-in in /etc, not the file there', async () => {
    const { root, stdout } = await packagedRoot('run/systemd/system');
    expect(advice(stdout, 'dsa110-api.service').said).toBe(
      `dsa110-api.service: its unit file claims the port; systemd loads it from ${join(root, 'run/systemd/system/dsa110-api.service')}, made at run time, ` +
        `and a file dsa110-api.service in ${join(root, ETC)} would replace it, not add to it; put this line under a [Service] line in the drop-in ${join(root, ETC, 'dsa110-api.service.d/override.conf')}:`,
    );
  });

  it('a unit that is not there: says so, and where to install it', async () => {
    const { root, stdout } = await packagedRoot('opt/elsewhere');
    expect(advice(stdout, 'grafana-simple.service').said).toBe(
      `grafana-simple.service: its unit file claims the port, but none of the unit directories under ${root} has grafana-simple.service; ` +
        `install the unit (e.g. as ${join(root, ETC, 'grafana-simple.service')}) with this line in its [Service] section:`,
    );
  });

  it('a masked unit: says it is masked', async () => {
    const { root, stdout } = await packagedRoot(LIB, {});
    writeTree(root, { [`${ETC}/dsa110-api.service`]: { symlink: '/dev/null' } });
    const run = await ports(['systemd', '--root', root, '--claim-port', join(root, 'usr/local/bin/claim-port')]);
    expect(stdout).not.toContain('masks it');
    const file = join(root, ETC, 'dsa110-api.service');
    // Under the root (systemctl --root=ROOT), never this host's systemctl; counted as masked, not as a line to add by hand.
    expect(advice(run.stdout, 'dsa110-api.service').said).toContain(
      `but it is masked: ${file} is empty or links to /dev/null, so systemd will not start it; unmask it: systemctl --root=${root} unmask dsa110-api.service (which removes ${file})`,
    );
    expect(run.stderr).toContain('1 unit (dsa110-api.service) is masked');
    expect(run.stderr).not.toMatch(/\(dsa110-api\.service\) claims its port/);
  });
});

describe.skipIf(!existsSync(healthCheck))('--check and the health check on a unit-file claim a drop-in supplies (the effective unit)', () => {
  const claimIn = (claimPort: string, port: number) => `[Service]\nExecStartPre=+${claimPort} ${port}\n`;

  it.each([
    ['a package unit in /usr/lib', LIB],
    ["the operator's unit file in /etc, without the line", ETC],
  ])('%s with the claim line in NAME.service.d/claim.conf: both pass', async (_, dir) => {
    const { root, claimPort, check } = await packagedRoot(dir);
    writeTree(root, {
      [`${ETC}/grafana-simple.service.d/claim.conf`]: claimIn(claimPort, 3030),
      [`${ETC}/dsa110-api.service.d/claim.conf`]: claimIn(claimPort, 8000),
    });
    if (analyze) expect(verify(root, 'grafana-simple.service')).toEqual({ code: 0, stderr: '' });
    const run = await check();
    expect([run.code, run.stdout, run.stderr]).toEqual([0, expect.stringMatching(/^ok: /), '']);
    expect(healthOf(root, 'grafana').map((result) => [result.severity, result.reason])).toEqual([
      ['ok', `grafana (3030): ExecStartPre=+${claimPort} 3030 from /${ETC}/grafana-simple.service.d/claim.conf:2 claims port 3030`],
    ]);
  });

  it('a drop-in that claims another port: both fail, naming it', async () => {
    const { root, claimPort, check } = await packagedRoot();
    writeTree(root, {
      [`${ETC}/grafana-simple.service.d/claim.conf`]: claimIn(claimPort, 3031),
      [`${ETC}/dsa110-api.service.d/claim.conf`]: claimIn(claimPort, 8000),
    });
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${join(root, LIB, 'grafana-simple.service')}: does not contain ExecStartPre=+${claimPort} 3030`);
    // The line to replace is the drop-in's, where it is: a second one in override.conf would leave 3031 claimed too.
    expect(run.stdout).toContain(
      `; replace ExecStartPre=+${claimPort} 3031 in the drop-in ${join(root, ETC, 'grafana-simple.service.d/claim.conf')}:2 with the line\n`,
    );
    expect(healthOf(root, 'grafana')).toEqual([expect.objectContaining({ severity: 'error', reason: expect.stringContaining('claims port 3031') })]);
  });

  it('no claim line anywhere: both fail', async () => {
    const { root, claimPort, check } = await packagedRoot();
    writeTree(root, { [`${ETC}/dsa110-api.service.d/claim.conf`]: claimIn(claimPort, 8000) });
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${join(root, LIB, 'grafana-simple.service')}: does not contain`);
    expect(healthOf(root, 'grafana').map((result) => result.severity)).toEqual(['error']);
  });
});

describe('--check says where the claim line goes, as the write does, and the write says when it is there already', () => {
  /** The drop-in path the write's advice names for `unit` (its last word). */
  const named = (said: string) => said.slice(said.lastIndexOf(' ') + 1, -1);
  /** The line `ports systemd --check` printed for `path`. */
  const checkLine = (stdout: string, path: string) => stdout.split('\n').find((line) => line.startsWith(`${path}: `));

  it("a package's unit in /usr/lib without the line: the drop-in the write names, never the package's file; following it, --check passes", async () => {
    const { root, claimPort, stdout, check } = await packagedRoot();
    let run = await check();
    expect(run.code).toBe(1);
    for (const [unit, port] of [
      ['grafana-simple.service', 3030],
      ['dsa110-api.service', 8000],
    ] as const) {
      const dropIn = named(advice(stdout, unit).said);
      expect(dropIn).toBe(join(root, ETC, `${unit}.d/override.conf`));
      expect(checkLine(run.stdout, join(root, LIB, unit))).toBe(
        `${join(root, LIB, unit)}: does not contain ExecStartPre=+${claimPort} ${port} in its [Service] section, and it is a package's file, which an upgrade of the package overwrites; ` +
          `put the line under a [Service] line in the drop-in ${dropIn}`,
      );
      writeTree(root, { [`${ETC}/${unit}.d/override.conf`]: `[Service]\nExecStartPre=+${claimPort} ${port}\n` });
    }
    run = await check();
    expect([run.code, run.stderr]).toEqual([0, '']);
  });

  it('a wrong claim line in that drop-in: replace that line there; following it, --check passes', async () => {
    const { root, claimPort, check } = await packagedRoot();
    const dropIn = join(root, ETC, 'grafana-simple.service.d/override.conf');
    writeTree(root, {
      [`${ETC}/grafana-simple.service.d/override.conf`]: `[Service]\nExecStartPre=+${claimPort} 3031\n`,
      [`${ETC}/dsa110-api.service.d/override.conf`]: `[Service]\nExecStartPre=+${claimPort} 8000\n`,
    });
    const run = await check();
    expect(run.code).toBe(1);
    expect(checkLine(run.stdout, join(root, LIB, 'grafana-simple.service'))).toBe(
      `${join(root, LIB, 'grafana-simple.service')}: does not contain ExecStartPre=+${claimPort} 3030 in its [Service] section, and it is a package's file, which an upgrade of the package overwrites; ` +
        `replace ExecStartPre=+${claimPort} 3031 in the drop-in ${dropIn}:2 with the line`,
    );
    writeFileSync(dropIn, readFileSync(dropIn, 'utf8').replace(' 3031', ' 3030'));
    expect((await check()).code).toBe(0);
  });

  it("a package's file that holds a wrong claim line (edited by hand): remove it there, and use the drop-in", async () => {
    const { root, claimPort, check } = await packagedRoot(LIB, {
      [`${LIB}/grafana-simple.service`]: unitFile('grafana-simple.service', 'ExecStartPre=+/usr/local/bin/claim-port 3031'),
    });
    const run = await check();
    expect(checkLine(run.stdout, join(root, LIB, 'grafana-simple.service'))).toBe(
      `${join(root, LIB, 'grafana-simple.service')}: does not contain ExecStartPre=+${claimPort} 3030 in its [Service] section, and it is a package's file, which an upgrade of the package overwrites; ` +
        `remove its ExecStartPre=+/usr/local/bin/claim-port 3031 at grafana-simple.service:5, and put the line under a [Service] line in the drop-in ${join(root, ETC, 'grafana-simple.service.d/override.conf')}`,
    );
  });

  it.skipIf(!analyze)(
    "the operator's unit file that systemd refuses (a broken section header): the write says so as --check does, never only where to put the line; following it, systemd-analyze verify and --check pass",
    async () => {
      const broken = (unit: string) => unitFile(unit).replace('[Service]\n', '[Service]x\n');
      const { root, claimPort, check } = await packagedRoot(ETC, { [`${ETC}/grafana-simple.service`]: broken('grafana-simple.service') });
      const grafana = join(root, ETC, 'grafana-simple.service');
      // systemd: "Invalid section header '[Service]x'", and the unit does not load; a line added below it would be lost with it.
      expect(verify(root, 'grafana-simple.service').stderr).toContain("Invalid section header '[Service]x'");
      const { said, line } = advice((await ports(['systemd', '--root', root, '--claim-port', claimPort])).stdout, 'grafana-simple.service');
      const refused = `line 4: invalid section header "[Service]x" (a header line holds only [Section]; systemd refuses the file); fix that line, then make sure its [Service] section holds`;
      expect(said).toBe(`grafana-simple.service: its unit file claims the port, but systemd would refuse to load ${grafana}: ${refused} this line:`);
      const run = await check();
      expect(run.code).toBe(1);
      expect(checkLine(run.stdout, grafana)).toBe(`${grafana}: systemd would refuse to load it: ${refused} ${line}`);
      // Followed: the header mended, the line in its [Service] section.
      writeFileSync(grafana, unitFile('grafana-simple.service', line));
      writeTree(root, { [`${ETC}/dsa110-api.service`]: unitFile('dsa110-api.service', `ExecStartPre=+${claimPort} 8000`) });
      expect(verify(root, 'grafana-simple.service').code).toBe(0);
      expect((await check()).code).toBe(0);
    },
  );

  it.skipIf(!analyze)(
    'the line in place (in the unit file, or in the unit\'s own drop-in) of a unit file systemd refuses: never "already there, nothing to do", but the refusal at its FILE:LINE, once, and to fix it; following it, systemd-analyze verify and --check pass',
    async () => {
      // The claim line above the broken header: in the file as written, but systemd loads none of it.
      const broken = (unit: string, ...lines: string[]) => `${unitFile(unit, ...lines)}[Service]x\n`;
      const { root, claimPort, check } = await packagedRoot(ETC);
      rmSync(join(root, ETC, 'dsa110-api.service'));
      writeTree(root, {
        [`${ETC}/grafana-simple.service`]: broken('grafana-simple.service', `ExecStartPre=+${claimPort} 3030`),
        [`${LIB}/dsa110-api.service`]: broken('dsa110-api.service'),
        [`${ETC}/dsa110-api.service.d/override.conf`]: `[Service]\nExecStartPre=+${claimPort} 8000\n`,
      });
      const grafana = join(root, ETC, 'grafana-simple.service');
      const api = join(root, LIB, 'dsa110-api.service');
      expect(verify(root, 'grafana-simple.service').stderr).toContain(`${grafana}:7: Invalid section header '[Service]x'`);
      const header = 'invalid section header "[Service]x" (a header line holds only [Section]; systemd refuses the file)';
      const run = await ports(['systemd', '--root', root, '--claim-port', claimPort]);
      expect(advice(run.stdout, 'grafana-simple.service').said).toBe(
        `grafana-simple.service: its unit file claims the port, but systemd would refuse to load ${grafana}:7: ${header}, so the unit never starts and this line never runs; fix that line, keeping this line in its [Service] section:`,
      );
      expect(advice(run.stdout, 'dsa110-api.service').said).toBe(
        `dsa110-api.service: its unit file claims the port, but systemd would refuse to load ${api}:6: ${header}, so the unit never starts and this line, in its drop-in ${join(root, ETC, 'dsa110-api.service.d/override.conf')}, never runs; fix that line, keeping this line there:`,
      );
      expect(run.stdout).not.toContain('nothing to do');
      // Said once: the verdicts on the units after the write leave these two to their advice.
      expect(run.stderr).not.toContain('[Service]x');
      // Followed: the headers mended; the lines, where they were, now run.
      writeFileSync(grafana, unitFile('grafana-simple.service', `ExecStartPre=+${claimPort} 3030`));
      writeFileSync(api, unitFile('dsa110-api.service'));
      expect(verify(root, 'grafana-simple.service').code).toBe(0);
      expect(verify(root, 'dsa110-api.service')).toEqual({ code: 0, stderr: '' });
      const again = await ports(['systemd', '--root', root, '--claim-port', claimPort]);
      expect(advice(again.stdout, 'grafana-simple.service').said).toContain('nothing to do');
      expect(advice(again.stdout, 'dsa110-api.service').said).toContain('nothing to do');
      expect((await check()).code).toBe(0);
    },
  );

  it("the operator's unit file in /etc with a wrong claim line: replace that line (quoted), not add a second; following it, --check passes", async () => {
    const { root, claimPort, check } = await packagedRoot(ETC);
    const api = join(root, ETC, 'dsa110-api.service');
    const grafana = join(root, ETC, 'grafana-simple.service');
    writeFileSync(api, unitFile('dsa110-api.service', `ExecStartPre=+${claimPort} 8001`));
    writeFileSync(grafana, unitFile('grafana-simple.service', `ExecStartPre=+${claimPort} 3030`));
    const run = await check();
    expect(run.code).toBe(1);
    expect(checkLine(run.stdout, api)).toBe(
      `${api}: does not contain ExecStartPre=+${claimPort} 8000 in its [Service] section; replace its ExecStartPre=+${claimPort} 8001 at dsa110-api.service:5 with the line`,
    );
    writeFileSync(api, readFileSync(api, 'utf8').replace(' 8001', ' 8000'));
    expect((await check()).code).toBe(0);
  });

  it('the write says the line is there already: in the unit file of the operator, in the drop-in of a package unit', async () => {
    const etc = await packagedRoot(ETC, {
      [`${ETC}/grafana-simple.service`]: unitFile('grafana-simple.service', 'ExecStartPre=+/usr/local/bin/claim-port 3030'),
    });
    // packagedRoot wrote with its own claim-port path: the file names the default one, so write again with that.
    let run = await ports(['systemd', '--root', etc.root]);
    expect(advice(run.stdout, 'grafana-simple.service')).toEqual({
      said: `grafana-simple.service: its unit file claims the port; this line is already in the [Service] section of ${join(etc.root, ETC, 'grafana-simple.service')}, nothing to do:`,
      line: 'ExecStartPre=+/usr/local/bin/claim-port 3030',
    });
    expect(advice(run.stdout, 'dsa110-api.service').said).toBe(
      `dsa110-api.service: its unit file claims the port; put this line in the [Service] section of ${join(etc.root, ETC, 'dsa110-api.service')}:`,
    );
    const lib = await packagedRoot();
    writeTree(lib.root, { [`${ETC}/grafana-simple.service.d/override.conf`]: `[Service]\nExecStartPre=+${lib.claimPort} 3030\n` });
    run = await ports(['systemd', '--root', lib.root, '--claim-port', lib.claimPort]);
    expect(advice(run.stdout, 'grafana-simple.service').said).toBe(
      `grafana-simple.service: its unit file claims the port; this line is already in ${join(lib.root, ETC, 'grafana-simple.service.d/override.conf')}, a drop-in of its own, nothing to do:`,
    );
  });
});

describe('ports systemd --out: where a template instance claims its port (systemd.unit: api@main.service, claim: unit)', () => {
  /** A root whose /etc/systemd/system is the --out DIR, holding the template `api@.service`, a real claim-port, and a registry naming the instance. */
  function instanceOut() {
    const root = tempDir('dsa110-ports-instance-out-');
    writeTree(root, { 'usr/local/bin/claim-port': '#!/bin/sh\nexit 0\n', [`${ETC}/api@.service`]: unitFile('api@.service') });
    const claimPort = join(root, 'usr/local/bin/claim-port');
    chmodSync(claimPort, 0o755);
    const registry = join(root, 'ports.yaml');
    writeFileSync(
      registry,
      'version: 1\nservices:\n  - id: api\n    name: API\n    group: production\n    port: 8000\n    protocol: HTTP\n    access: private\n' +
        '    configuredBy: none\n    robust: true\n    systemd: { unit: api@main.service, claim: unit }\n    processes: [python3]\n',
    );
    const out = join(root, ETC);
    const args = ['--registry', registry, '--out', out, '--claim-port', claimPort];
    return { root, out, write: () => ports(['systemd', ...args]), check: () => ports(['systemd', '--check', ...args]) };
  }

  it.skipIf(!analyze)(
    "the write and --check name the instance's own drop-in in DIR (as --root does), never a file of its name that would replace the template; following it, systemd-analyze verify and --check pass",
    async () => {
      const { root, out, write, check } = instanceOut();
      const run = await write();
      const { said, line } = advice(run.stdout, 'api@main.service');
      const dropIn = join(out, 'api@main.service.d/override.conf');
      const where =
        'its template api@.service is read by every instance (a line there would free this port whenever any instance starts), and a file api@main.service of its own ' +
        `would replace the template for it; put this line under a [Service] line in the drop-in ${dropIn} (the instance's own)`;
      expect(said).toBe(`api@main.service: its unit file claims the port; ${where}:`);
      expect(line).toMatch(/^ExecStartPre=\+\/.*\/claim-port 8000 --registry \/.*\/ports\.yaml$/);
      // Without the line, --check gives the same advice beside the template it read.
      const failed = await check();
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain(`${join(out, 'api@.service')}: does not contain ${line} in its [Service] section: ${where}\n`);
      // The old advice, followed, breaks the instance: a file of its name, with no ExecStart=, replaces the template for it.
      writeTree(root, { [`${ETC}/api@main.service`]: `[Service]\n${line}\n` });
      expect(verify(root, 'api@main.service').code).not.toBe(0);
      rmSync(join(out, 'api@main.service'));
      // The advice followed: systemd loads the instance from its template with the drop-in's line, and --check passes.
      writeTree(root, { [`${ETC}/api@main.service.d/override.conf`]: `[Service]\n${line}\n` });
      expect(verify(root, 'api@main.service')).toEqual({ code: 0, stderr: '' });
      const passed = await check();
      expect([passed.code, passed.stdout]).toEqual([0, expect.not.stringContaining('api@')]);
      // The drop-in is read: a claim-port that is not there makes systemd-analyze verify fail on it.
      writeTree(root, { [`${ETC}/api@main.service.d/override.conf`]: `[Service]\n${line.replace(/^(ExecStartPre=\+)\S+/, '$1/nonexistent/claim-port')}\n` });
      expect(verify(root, 'api@main.service').stderr).toContain('/nonexistent/claim-port');
    },
  );

  it('with no unit file in DIR (the template installed elsewhere), the line in the drop-in passes --check, and its absence says that drop-in', async () => {
    const { out, write, check } = instanceOut();
    rmSync(join(out, 'api@.service'));
    const { line } = advice((await write()).stdout, 'api@main.service');
    const failed = await check();
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(
      `${join(out, 'api@main.service')}: missing: the registry says api@main.service claims its port with ${line}, which no unit file or drop-in of its own here holds; put the line under a [Service] line in the drop-in ${join(out, 'api@main.service.d/override.conf')}\n`,
    );
    // A drop-in of its own under another name holds it as well; a claim-port.conf left from `claim: drop-in` does not.
    writeTree(out, { 'api@main.service.d/claim-port.conf': `[Service]\n${line}\n` });
    const leftover = await check();
    expect([leftover.code, leftover.stdout]).toEqual([1, expect.stringContaining(`${join(out, 'api@main.service')}: missing:`)]);
    rmSync(join(out, 'api@main.service.d/claim-port.conf'));
    writeTree(out, { 'api@main.service.d/10-claim.conf': `[Service]\n${line}\n` });
    const passed = await check();
    expect([passed.code, passed.stdout]).toEqual([0, expect.not.stringContaining('api@')]);
  });
});

describe("ports systemd: the write's one line about the lines to add by hand says where each goes", () => {
  /** --out DIR for a registry with a plain `claim: unit` service (web.service) and a template instance's (api@main.service), `ids` of them. */
  function byHandOut(ids: readonly ('web' | 'api')[]) {
    const root = tempDir('dsa110-ports-by-hand-');
    writeTree(root, { 'usr/local/bin/claim-port': '#!/bin/sh\nexit 0\n' });
    const claimPort = join(root, 'usr/local/bin/claim-port');
    chmodSync(claimPort, 0o755);
    const units = { web: ['web.service', 8001], api: ['api@main.service', 8000] } as const;
    const registry = join(root, 'ports.yaml');
    writeFileSync(
      registry,
      `version: 1\nservices:\n${ids
        .map(
          (id) =>
            `  - id: ${id}\n    name: ${id}\n    group: production\n    port: ${units[id][1]}\n    protocol: HTTP\n    access: private\n` +
            `    configuredBy: none\n    robust: true\n    systemd: { unit: ${units[id][0]}, claim: unit }\n    processes: [python3]\n`,
        )
        .join('')}`,
    );
    const out = join(root, 'out');
    return { out, write: () => ports(['systemd', '--registry', registry, '--out', out, '--claim-port', claimPort]) };
  }

  /** The write's stderr line about the units whose claim line goes in by hand. */
  const byHandLine = (stderr: string) => stderr.split('\n').find((line) => line.includes('which this command never writes'));

  it("an instance's line goes in a drop-in of its own, named; not in a unit file of its own", async () => {
    const { out, write } = byHandOut(['api']);
    const run = await write();
    expect(run.stdout).toContain(`put this line under a [Service] line in the drop-in ${join(out, 'api@main.service.d/override.conf')}`);
    expect(byHandLine(run.stderr)).toMatch(
      /^1 unit \(api@main\.service\) claims its port in a drop-in of its own \(api@main\.service\.d\/override\.conf\), which this command never writes: add each ExecStartPre= line above by hand; `ports --registry \S+ systemd --out \S+ --claim-port \S+ --check` fails \("missing"\) until it has it$/,
    );
  });

  it('a unit file and an instance: each named with where its line goes', async () => {
    const { out, write } = byHandOut(['web', 'api']);
    const run = await write();
    expect(run.stdout).toContain(`put this line in the [Service] section of ${join(out, 'web.service')}`);
    expect(byHandLine(run.stderr)).toMatch(
      /^1 unit \(web\.service\) claims its port in its own unit file and 1 unit \(api@main\.service\) claims its port in a drop-in of its own \(api@main\.service\.d\/override\.conf\), which this command never writes: add each ExecStartPre= line above by hand; `[^`]+ --check` fails \("missing"\) until every one has it$/,
    );
  });
});
