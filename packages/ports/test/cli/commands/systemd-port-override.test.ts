// `ports systemd` for a unit that moves its service's port (`Environment=REDIS_PORT=6380` in a drop-in, or in the unit
// file of a `claim: unit` service), on real trees under --root with the repository's registry: the claim line names the
// service id, which claim-port resolves with the unit's environment, so it frees the port the service really uses; the
// write says why, `--check` passes what the write wrote (no loop), and so do the health check and systemd-analyze verify.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers.js';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
const healthCheck = join(repoRoot, 'packages/port-health-check/bin/port-health-check.js');
const ETC = 'etc/systemd/system';
const HEADER = '# Generated from ports.yaml by `ports systemd`; edit ports.yaml instead.';
const UNITS = ['redis-server.service', 'prometheus.service', 'grafana-simple.service', 'dsa110-api.service'];
const unitFile = (unit: string, ...lines: string[]) => `[Unit]\nDescription=${unit} (test)\n\n[Service]\n${[...lines, 'ExecStart=/bin/true'].join('\n')}\n`;

/** A staged root: the repository's ports.yaml in etc/dsa110, a real claim-port, the wired units in etc (plus `files`). */
function stagedRoot(files: Record<string, string> = {}) {
  const root = tempDir('dsa110-ports-override-');
  writeTree(root, {
    'etc/dsa110/ports.yaml': readFileSync(join(repoRoot, 'ports.yaml'), 'utf8'),
    'usr/local/bin/claim-port': '#!/bin/sh\nexit 0\n',
    ...Object.fromEntries(UNITS.map((unit) => [`${ETC}/${unit}`, unitFile(unit)])),
    ...files,
  });
  const claimPort = join(root, 'usr/local/bin/claim-port');
  chmodSync(claimPort, 0o755);
  const args = ['systemd', '--registry', join(root, 'etc/dsa110/ports.yaml'), '--root', root, '--claim-port', claimPort];
  return { root, claimPort, write: () => ports(args), check: () => ports([...args, '--check']) };
}

/** Put the line printed after `UNIT: ...` into that unit file, in place of `replacing` when given; returns the line. */
function followAdvice(root: string, stdout: string, unit: string, replacing?: string): string {
  const lines = stdout.split('\n');
  const line = lines[lines.findIndex((text) => text.startsWith(`${unit}: its unit file claims the port`)) + 1]!;
  const path = join(root, ETC, unit);
  const text = readFileSync(path, 'utf8');
  writeFileSync(path, replacing === undefined ? text.replace('[Service]\n', () => `[Service]\n${line}\n`) : text.replace(replacing, () => line));
  return line;
}

/** The health check's systemd verdict on `service` under `root`, reading the root's registry. */
function healthOf(root: string, service: string) {
  const result = spawnSync(process.execPath, [healthCheck, '--root', root, '--registry', join(root, 'etc/dsa110/ports.yaml'), '--format', 'json'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  const report = JSON.parse(result.stdout) as { checks: { check: string; service: string; severity: string; reason: string }[] };
  return report.checks.filter((check) => check.check === 'systemd' && check.service === service).map(({ severity, reason }) => ({ severity, reason }));
}

/** systemd-analyze verify of `unit` with the root's unit directory first in the search path (the host's after, for sysinit.target). */
function verify(root: string, unit: string) {
  const result = spawnSync(analyze!, ['verify', '--man=no', unit], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_UNIT_PATH: `${join(root, ETC)}:`, SYSTEMD_LOG_LEVEL: 'notice' },
    encoding: 'utf8',
  });
  return { code: result.status, stderr: result.stderr };
}

describe("ports systemd: a unit that sets its service's port variable", () => {
  it.skipIf(!existsSync(healthCheck))(
    'a drop-in that sets REDIS_PORT: the claim drop-in names redis, the write says why, and --check, the health check and systemd-analyze pass it',
    async () => {
      const { root, claimPort, write, check } = stagedRoot({ [`${ETC}/redis-server.service.d/env.conf`]: '[Service]\nEnvironment=REDIS_PORT=6380\n' });
      const run = await write();
      expect(run.code).toBe(0);
      expect(readFileSync(join(root, ETC, 'redis-server.service.d/claim-port.conf'), 'utf8')).toBe(
        `${HEADER}\n[Service]\nExecStartPre=+${claimPort} redis --registry /etc/dsa110/ports.yaml\n`,
      );
      // Unmoved services keep their port number.
      expect(readFileSync(join(root, ETC, 'prometheus.service.d/claim-port.conf'), 'utf8')).toContain(`claim-port 9090 --registry`);
      expect(run.stdout).toContain(
        'redis-server.service: the claim names the service, redis, not port 6379: the unit sets REDIS_PORT=6380 (/etc/systemd/system/redis-server.service.d/env.conf:2), ' +
          "and ExecStartPre= runs with the unit's environment, so claim-port frees the port redis really uses, and follows REDIS_PORT when it changes\n",
      );
      for (const unit of ['grafana-simple.service', 'dsa110-api.service']) followAdvice(root, run.stdout, unit);
      const checked = await check();
      expect([checked.code, checked.stderr]).toEqual([0, '']);
      expect(checked.stdout).toMatch(/^ok: 2 drop-ins, 2 unit files /);
      expect(healthOf(root, 'redis')).toEqual([{ severity: 'ok', reason: expect.stringContaining('claims port 6380 (REDIS_PORT=6380 from ') }]);
      if (analyze) expect(verify(root, 'redis-server.service')).toEqual({ code: 0, stderr: '' });

      // The override moves again, and nobody runs `ports systemd`: the claim follows it, nothing drifts.
      writeFileSync(join(root, ETC, 'redis-server.service.d/env.conf'), '[Service]\nEnvironment=REDIS_PORT=6381\n');
      expect((await check()).code).toBe(0);
      expect(healthOf(root, 'redis')).toEqual([{ severity: 'ok', reason: expect.stringContaining('claims port 6381 (REDIS_PORT=6381 from ') }]);
      // Taken out, the port is the registry's again: --check asks for the number, and the write puts it back.
      writeFileSync(join(root, ETC, 'redis-server.service.d/env.conf'), '[Service]\n');
      expect((await check()).code).toBe(1);
      expect((await write()).stdout).not.toContain('the claim names the service');
      expect(readFileSync(join(root, ETC, 'redis-server.service.d/claim-port.conf'), 'utf8')).toContain(`claim-port 6379 --registry`);
      expect((await check()).code).toBe(0);
    },
  );

  it('--out DIR: a drop-in in DIR that sets REDIS_PORT (copied along with the claims) makes the claim name redis, as under a root, and --check passes what the write wrote', async () => {
    const { root, claimPort } = stagedRoot();
    const dir = join(tempDir('dsa110-ports-override-out-'), 'units');
    writeTree(dir, {
      'redis-server.service.d/env.conf': '[Service]\nEnvironment=REDIS_PORT=6380\n',
      'dsa110-api.service.d/env.conf': '[Service]\nEnvironment=CONTIMG_API_PORT=8010\n',
      ...Object.fromEntries(['grafana-simple.service', 'dsa110-api.service'].map((unit) => [unit, unitFile(unit)])),
    });
    const args = ['systemd', '--registry', join(root, 'etc/dsa110/ports.yaml'), '--out', dir, '--claim-port', claimPort];
    const run = await ports(args);
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, 'redis-server.service.d/claim-port.conf'), 'utf8')).toContain(`${claimPort} redis --registry `);
    expect(readFileSync(join(dir, 'prometheus.service.d/claim-port.conf'), 'utf8')).toContain(`${claimPort} 9090 --registry `);
    expect(run.stdout).toContain(
      `redis-server.service: the claim names the service, redis, not port 6379: the unit sets REDIS_PORT=6380 (${join(dir, 'redis-server.service.d/env.conf')}:2), `,
    );
    // The unit-file claim too: the line to put in names api, which its drop-in in DIR moves.
    const apiLine = run.stdout.split('\n').find((line) => line.startsWith('ExecStartPre=') && line.includes(' api '));
    expect(apiLine).toBe(`ExecStartPre=+${claimPort} api --registry ${join(root, 'etc/dsa110/ports.yaml')}`);
    const lines = run.stdout.split('\n');
    for (const unit of ['grafana-simple.service', 'dsa110-api.service']) {
      const line = lines[lines.findIndex((text) => text.startsWith(`${unit}: its unit file claims the port`)) + 1]!;
      const path = join(dir, unit);
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replace('[Service]\n', () => `[Service]\n${line}\n`),
      );
    }
    const checked = await ports([...args, '--check']);
    expect([checked.code, checked.stderr]).toEqual([0, '']);
  });

  it("a drop-in that sets REDIS_PORT to a port claim-port refuses (another service's, a leading zero): the write warns as --check fails, and says no note that the claim frees the port Redis uses", async () => {
    for (const [value, why] of [
      ['8000', 'REDIS_PORT="8000" cannot be used for service "redis": port 8000 belongs to service "api" (FastAPI)'],
      ['06380', 'REDIS_PORT="06380"'],
    ] as const) {
      const { root, claimPort, write, check } = stagedRoot({ [`${ETC}/redis-server.service.d/env.conf`]: `[Service]\nEnvironment=REDIS_PORT=${value}\n` });
      const run = await write();
      expect(run.code).toBe(0);
      expect(readFileSync(join(root, ETC, 'redis-server.service.d/claim-port.conf'), 'utf8')).toContain(`${claimPort} redis --registry`);
      expect(run.stdout).not.toContain('the claim names the service');
      const line = `redis-server.service: ExecStartPre=+${claimPort} redis --registry /etc/dsa110/ports.yaml in /etc/systemd/system/redis-server.service.d/claim-port.conf:3: ${why}`;
      expect(run.stderr).toContain(`warning: ${line}`);
      for (const unit of ['grafana-simple.service', 'dsa110-api.service']) followAdvice(root, run.stdout, unit);
      expect(run.stderr).toMatch(
        /\n1 problem: the files are written as the registry asks, but the units systemd would load under \S+ do not claim their ports as they should \(said above\); `ports .* --check` fails until it is fixed\n/,
      );
      const checked = await check();
      expect(checked.code).toBe(1);
      expect(checked.stdout).toContain(line);
    }
  });

  it.skipIf(!existsSync(healthCheck))(
    'a claim: unit service whose unit file already claims alike (options in another order; a number its variable equals today): the write says so, adds nothing by hand, and --check passes',
    async () => {
      const { root, claimPort, write, check } = stagedRoot();
      followAdvice(root, (await write()).stdout, 'grafana-simple.service');
      const swapped = `ExecStartPre=+${claimPort} --registry /etc/dsa110/ports.yaml 8000`;
      writeFileSync(join(root, ETC, 'dsa110-api.service'), unitFile('dsa110-api.service', swapped));
      const at = `${join(root, ETC, 'dsa110-api.service')}:5`;
      const run = await write();
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        `dsa110-api.service: its unit file claims the port; ExecStartPre=${swapped.slice('ExecStartPre='.length)} in ${at} claims it as this line would (--check and the health check accept it), nothing to do:\n`,
      );
      expect(run.stderr).not.toContain('by hand');
      expect((await check()).code).toBe(0);
      // The unit sets CONTIMG_API_PORT to the registry's port: the number claims it today, the id would follow the variable.
      const numbered = `ExecStartPre=+${claimPort} 8000 --registry /etc/dsa110/ports.yaml`;
      writeFileSync(join(root, ETC, 'dsa110-api.service'), unitFile('dsa110-api.service', 'Environment=CONTIMG_API_PORT=8000', numbered));
      const moved = await write();
      expect(moved.stdout).toContain(
        `dsa110-api.service: its unit file claims the port; ExecStartPre=${numbered.slice('ExecStartPre='.length)} in ${join(root, ETC, 'dsa110-api.service')}:6 claims it as this line would (--check and the health check accept it), but it names the port that CONTIMG_API_PORT sets today, where this line follows CONTIMG_API_PORT when it changes; put this line in its place:\nExecStartPre=+${claimPort} api --registry /etc/dsa110/ports.yaml\n`,
      );
      expect(moved.stderr).not.toContain('by hand');
      const checked = await check();
      expect([checked.code, checked.stderr]).toEqual([0, '']);
    },
  );

  it("a claim line in a drop-in every service reads (service.d/) is no claim of the unit's own: the write asks for the line, as --check fails on it", async () => {
    const { root, claimPort, write, check } = stagedRoot({
      [`${ETC}/service.d/claim.conf`]: '[Service]\nExecStartPre=+CLAIM 8000 --registry /etc/dsa110/ports.yaml\n',
    });
    writeFileSync(join(root, ETC, 'service.d/claim.conf'), `[Service]\nExecStartPre=+${claimPort} 8000 --registry /etc/dsa110/ports.yaml\n`);
    const run = await write();
    expect(run.stdout).not.toMatch(/dsa110-api\.service: its unit file claims the port; .*service\.d\/claim\.conf.* nothing to do/);
    expect(run.stdout).toContain(
      `dsa110-api.service: its unit file claims the port; put this line in the [Service] section of ${join(root, ETC, 'dsa110-api.service')}`,
    );
    expect(run.stderr).toContain('service.d/claim.conf:2: unexpected');
    expect((await check()).code).toBe(1);
  });

  it.skipIf(!existsSync(healthCheck))(
    'a claim: unit service whose unit file sets CONTIMG_API_PORT: the printed line names api, to replace the port line; following it, all three pass',
    async () => {
      const old = 'ExecStartPre=+CLAIM 8000 --registry /etc/dsa110/ports.yaml';
      const { root, claimPort, write, check } = stagedRoot();
      const oldLine = old.replace('CLAIM', claimPort);
      writeFileSync(join(root, ETC, 'dsa110-api.service'), unitFile('dsa110-api.service', 'Environment=CONTIMG_API_PORT=8010', oldLine));
      const run = await write();
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        `dsa110-api.service: its unit file claims the port; put this line in the [Service] section of ${join(root, ETC, 'dsa110-api.service')}, in place of its ${oldLine}:\n` +
          `ExecStartPre=+${claimPort} api --registry /etc/dsa110/ports.yaml\n`,
      );
      expect(run.stdout).toContain(
        'dsa110-api.service: the claim names the service, api, not port 8000: the unit sets CONTIMG_API_PORT=8010 (/etc/systemd/system/dsa110-api.service:5), ',
      );
      followAdvice(root, run.stdout, 'grafana-simple.service');
      // Before the advice is followed, --check says the same: replace the port line with the id's.
      const before = await check();
      expect(before.code).toBe(1);
      expect(before.stdout).toContain(`in its [Service] section; replace its ${oldLine} at dsa110-api.service:6 with the line\n`);
      followAdvice(root, run.stdout, 'dsa110-api.service', oldLine);
      const checked = await check();
      expect([checked.code, checked.stderr]).toEqual([0, '']);
      // The write now finds the line where it goes: nothing to do.
      expect((await write()).stdout).toContain('dsa110-api.service: its unit file claims the port; this line is already in the [Service] section of');
      expect(healthOf(root, 'api')).toEqual([{ severity: 'ok', reason: expect.stringContaining('claims port 8010 (CONTIMG_API_PORT=8010 from ') }]);
      if (analyze) expect(verify(root, 'dsa110-api.service')).toEqual({ code: 0, stderr: '' });
    },
  );
});
