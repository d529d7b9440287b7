// `ports systemd` through the built bin: drop-ins written under a temp dir,
// verified by the real systemd-analyze, and --check on trees that match and drift.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseExec } from '@dsa110/ports/systemd';
import { repoRoot } from '../../helpers.js';
import { writeTree } from '../../../../../test-support/tree.js';
import {
  bin,
  portsAsNobody,
  checkout,
  CONTROL,
  expectNoStack,
  ports,
  portsBin,
  replaceOnce,
  requireBuilt,
  rootRegistry,
  tempDir,
  twoWritersAtOnce,
} from '../helpers.js';

beforeAll(requireBuilt);

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
const healthCheck = join(repoRoot, 'packages/port-health-check/bin/port-health-check.js');
const HEADER = '# Generated from ports.yaml by `ports systemd`; edit ports.yaml instead.';
const dropIn = (claimPort: string, port: number) => `${HEADER}\n[Service]\nExecStartPre=+${claimPort} ${port}\n`;

/** A staged root (`root`, by default a new temp dir): ROOT/etc/systemd/system with the robust services' unit files, and a real claim-port executable. */
function stagedRoot(unitLines: Record<string, string> = {}, root = tempDir('dsa110-ports-systemd-')) {
  const unitDir = join(root, 'etc/systemd/system');
  mkdirSync(unitDir, { recursive: true });
  const claimPort = join(root, 'usr/local/bin/claim-port');
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  writeFileSync(claimPort, '#!/bin/sh\nexit 0\n');
  chmodSync(claimPort, 0o755);
  for (const unit of ['redis-server.service', 'prometheus.service', 'grafana-simple.service', 'dsa110-api.service']) {
    const extra = unitLines[unit] ? `${unitLines[unit]}\n` : '';
    writeFileSync(
      join(unitDir, unit),
      `[Unit]\nDescription=${unit} (test)\n\n[Service]\n${extra}ExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n`,
    );
  }
  return { root, unitDir, claimPort };
}

/**
 * Put each `ExecStartPre=` line that `ports systemd` printed for a unit that
 * claims in its own file into that unit file's [Service] section; returns the lines.
 */
function addPrintedClaimLines(stdout: string, unitDir: string, units = ['grafana-simple.service', 'dsa110-api.service']): string[] {
  const lines = stdout.split('\n');
  return units.map((unit) => {
    const line = lines[lines.findIndex((text) => text.startsWith(`${unit}:`)) + 1]!;
    const path = join(unitDir, unit);
    // A function, not a replacement string: the line's `$$` (systemd's literal `$`) must not become `$`.
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace('[Service]\n', () => `[Service]\n${line}\n`),
    );
    return line;
  });
}

function verify(unitDir: string, unit: string) {
  const result = spawnSync(analyze!, ['verify', '--man=no', join(unitDir, unit)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_UNIT_PATH: `${unitDir}:`, SYSTEMD_LOG_LEVEL: 'notice' },
    encoding: 'utf8',
  });
  return { code: result.status, stderr: result.stderr };
}

/**
 * `dir`, one of the directories systemd goes through to the unit directory of a staged root, made writable by
 * others: --check calls it drift (whoever may write in it may `stake`), a write makes it 0755 and says so, and
 * --check is content again.
 */
async function expectOthersWritableMade0755({ root, unitDir }: { root: string; unitDir: string }, dir: string, stake: string) {
  chmodSync(dir, 0o777);
  let run = await ports(['systemd', '--check', '--root', root]);
  expect(run.code).toBe(1);
  expect(run.stdout).toBe(
    `${dir}: writable by others (mode 0777): whoever may write in it may ${stake}; run \`ports systemd --root ${root}\` to make it 0755 (chmod go-w)\n`,
  );
  expect(run.stderr).toBe(`1 problem in the claim wiring under ${unitDir}, listed above with what to do\n`);
  run = await ports(['systemd', '--root', root]);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`made ${dir} 0755: it was writable by others (mode 0777)\n`);
  expect(statSync(dir).mode & 0o7777).toBe(0o755);
  expect((await ports(['systemd', '--check', '--root', root])).code).toBe(0);
}

describe('ports systemd', () => {
  it('writes a claim-port.conf drop-in per drop-in service and prints the line for unit-file claims', async () => {
    const out = tempDir();
    const run = await ports(['systemd', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        `wrote ${out}/redis-server.service.d/claim-port.conf`,
        `wrote ${out}/prometheus.service.d/claim-port.conf`,
        `wrote ${out}/dsa110-port-health.service`,
        `wrote ${out}/dsa110-port-health.timer`,
        `grafana-simple.service: its unit file claims the port; put this line in the [Service] section of ${out}/grafana-simple.service:`,
        'ExecStartPre=+/usr/local/bin/claim-port 3030',
        `dsa110-api.service: its unit file claims the port; put this line in the [Service] section of ${out}/dsa110-api.service:`,
        'ExecStartPre=+/usr/local/bin/claim-port 8000',
        '',
      ].join('\n'),
    );
    // --out is not the live system: the default claim-port is looked for on this host, and its absence said (exit 0).
    const absent = existsSync('/usr/local/bin/claim-port')
      ? ''
      : `warning: /usr/local/bin/claim-port, the claim-port the units run, does not exist on this host: systemd fails to start each unit that claims its port; install claim-port there (in a checkout: npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 tarballs && npm install -g --prefix /usr/local ./tarballs/*.tgz), or run \`ports systemd --out ${out} --claim-port PATH\` naming the one installed\n`;
    // So is node_exporter's textfile directory, which the health check's unit writes into (systemd-textfile.test.ts).
    const noTextfileDir = existsSync('/var/lib/prometheus/node-exporter')
      ? ''
      : `warning: /var/lib/prometheus/node-exporter, the directory dsa110-port-health.service writes dsa110_ports.prom into, does not exist on this host: every run of dsa110-port-health.timer fails (exit 3) and node_exporter serves no port health metrics; install prometheus-node-exporter (Debian's package makes it), or run \`ports systemd --out ${out} --textfile FILE\` naming a .prom file in the directory its textfile collector reads (--collector.textfile.directory)\n`;
    // And the port-health-check the health check's unit runs (systemd-health-check.test.ts).
    const noHealthCheck = existsSync('/usr/local/bin/port-health-check')
      ? ''
      : `warning: /usr/local/bin/port-health-check, the port-health-check dsa110-port-health.service runs, does not exist on this host: systemd fails every run of dsa110-port-health.timer and node_exporter serves no port health metrics; install port-health-check there (in a checkout: npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 tarballs && npm install -g --prefix /usr/local ./tarballs/*.tgz), or run \`ports systemd --out ${out} --port-health-check PATH\` naming the one installed\n`;
    // The units whose line goes in by hand, named in one line with what --check makes of them until it is in.
    const byHand =
      '2 units (grafana-simple.service, dsa110-api.service) claim their ports in their own unit files, which this command never writes: ' +
      `add each ExecStartPre= line above by hand; \`ports systemd --out ${out} --check\` fails ("missing") until every one has it\n`;
    expect(run.stderr).toBe(
      `${byHand}Copy them into /etc/systemd/system as they are laid out, then run "systemctl daemon-reload" and "systemctl enable --now dsa110-port-health.timer" once to start the health check's timer.\n${absent}${noTextfileDir}${noHealthCheck}`,
    );
    // As it said: --check fails on those two, and on nothing it wrote.
    const check = await ports(['systemd', '--out', out, '--check']);
    expect(check.code).toBe(1);
    expect(
      check.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(': ')[1]),
    ).toEqual(['missing', 'missing']);
    expect(readFileSync(join(out, 'redis-server.service.d/claim-port.conf'), 'utf8')).toBe(dropIn('/usr/local/bin/claim-port', 6379));
    expect(readFileSync(join(out, 'prometheus.service.d/claim-port.conf'), 'utf8')).toBe(dropIn('/usr/local/bin/claim-port', 9090));
    expect(existsSync(join(out, 'grafana-simple.service.d'))).toBe(false);

    const again = await ports(['systemd', '--out', out]);
    expect(again.stdout).toMatch(/^unchanged .*redis-server\.service\.d\/claim-port\.conf\nunchanged /);
    expect(again.stderr).toBe(`${byHand}${absent}${noTextfileDir}${noHealthCheck}`);
  });

  const systemctl = ['/usr/bin/systemctl', '/bin/systemctl'].find((path) => existsSync(path));
  it.skipIf(!systemctl)(
    "under --root, says the tree's systemd reads them when it boots, and how to enable the timer there now: a command that works as printed",
    async () => {
      const root = join(tempDir(), 'staged image');
      mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
      const run = await ports(['systemd', '--root', root]);
      expect(run.code).toBe(0);
      const said = `systemd reads them when the system under ${root} boots; to enable the health check's timer there now: systemctl '--root=${root}' enable dsa110-port-health.timer.`;
      expect(run.stderr.split('\n')).toContain(said);
      expect(run.stderr).not.toContain('daemon-reload');
      // The command as printed, through a shell: the timer is enabled in the tree (offline: no systemd runs it).
      const enable = spawnSync('sh', ['-c', said.slice(said.indexOf('systemctl '), -1)], { encoding: 'utf8' });
      expect(enable.status, enable.stderr).toBe(0);
      expect(lstatSync(join(root, 'etc/systemd/system/timers.target.wants/dsa110-port-health.timer')).isSymbolicLink()).toBe(true);
    },
  );

  it.skipIf(!analyze)('writes drop-ins and unit lines that systemd-analyze verify accepts', async () => {
    const { root, unitDir, claimPort } = stagedRoot();
    const run = await ports(['systemd', '--root', root, '--claim-port', claimPort]);
    expect(run.code).toBe(0);
    // Put the printed lines into the unit files that claim in the unit itself.
    for (const line of addPrintedClaimLines(run.stdout, unitDir)) expect(line).toMatch(/^ExecStartPre=\+\/.*\/claim-port \d+$/);
    for (const unit of ['redis-server.service', 'prometheus.service', 'grafana-simple.service', 'dsa110-api.service']) {
      expect(verify(unitDir, unit), unit).toEqual({ code: 0, stderr: '' });
    }
    expect((await ports(['systemd', '--check', '--root', root, '--claim-port', claimPort])).code).toBe(0);

    // The verification reads the drop-in: a claim-port path that does not exist fails it.
    const missing = join(root, 'nowhere/claim-port');
    expect((await ports(['systemd', '--root', root, '--claim-port', missing])).code).toBe(0);
    const broken = verify(unitDir, 'redis-server.service');
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain(`Command ${missing} is not executable`);
  });

  it('--check passes on a tree that matches, naming what it checked', async () => {
    const { root } = stagedRoot({
      'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030',
      'dsa110-api.service': 'ExecStartPre=+/usr/local/bin/claim-port 8000',
    });
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    const run = await ports(['systemd', '--check', '--root', root]);
    expect(run).toEqual({
      code: 0,
      stdout: `ok: 2 drop-ins, 2 unit files and the health check's 2 units under ${root}/etc/systemd/system match the registry\n`,
      stderr: '',
    });
  });

  it('a run removes the temporary files killed writers left beside its drop-ins and units also when they are up to date; --check names them in one line, and passes', async () => {
    const { root } = stagedRoot({
      'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030',
      'dsa110-api.service': 'ExecStartPre=+/usr/local/bin/claim-port 8000',
    });
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    const unitDir = `${root}/etc/systemd/system`;
    const pid = spawnSync('true').pid;
    const temps = [
      `${unitDir}/redis-server.service.d/.claim-port.conf.${pid}.mx5egr7qelwawz.tmp`,
      `${unitDir}/.dsa110-port-health.timer.${pid}.mx5egr7qelwawz.tmp`,
    ];
    const then = new Date(Date.now() - 5 * 60_000);
    for (const temp of temps) {
      writeFileSync(temp, '[Service]\n');
      utimesSync(temp, then, then);
    }
    const check = await ports(['systemd', '--check', '--root', root]);
    expect(check.code).toBe(0);
    expect(check.stdout).toBe(`ok: 2 drop-ins, 2 unit files and the health check's 2 units under ${unitDir} match the registry\n`);
    expect(check.stderr).toBe(
      `note: 2 temporary files under ${unitDir} were left by writers killed before their rename (${temps.join(', ')}): not drift; "ports systemd --root ${root}" removes them\n`,
    );
    expect(temps.filter((temp) => existsSync(temp))).toEqual(temps);
    const run = await ports(['systemd', '--root', root]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^unchanged /);
    expect(temps.filter((temp) => existsSync(temp))).toEqual([]);
    expect((await ports(['systemd', '--check', '--root', root])).stderr).toBe('');
  });

  it.each([
    ['-+/usr/local/bin/claim-port 8000', ''],
    ['+/usr/local/bin/claim-port api', ''],
    ['+/usr/local/bin/claim-port --timeout 3 8000', ''],
    ['+/usr/local/bin/claim-port 8000 ; /bin/true', ''],
    ['/usr/local/bin/claim-port 8000', 'warning'],
  ])('--check judges a unit-file claim that is not the exact line as the health check does: ExecStartPre=%s', async (line, expected) => {
    for (const root of [undefined, 'out']) {
      const { root: tree, unitDir } = stagedRoot({
        'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030',
        'dsa110-api.service': `ExecStartPre=${line}`,
      });
      expect((await ports(['systemd', '--root', tree])).code).toBe(0);
      const run = await ports(root === undefined ? ['systemd', '--check', '--root', tree] : ['systemd', '--check', '--out', unitDir]);
      expect(run.code, run.stdout).toBe(0);
      expect(run.stdout).not.toContain('does not contain');
      const warnings = run.stdout.split('\n').filter((text) => text.startsWith('warning: dsa110-api.service:'));
      expect(warnings, run.stdout).toHaveLength(expected === 'warning' ? 1 : 0);
    }
  });

  it('--check says a masked unit-file service is masked (a link to /dev/null), not missing', async () => {
    const { root, unitDir } = stagedRoot({ 'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030' });
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    rmSync(join(unitDir, 'dsa110-api.service'));
    symlinkSync('/dev/null', join(unitDir, 'dsa110-api.service'));
    const run = await ports(['systemd', '--check', '--root', root]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `dsa110-api.service: masked: ${unitDir}/dsa110-api.service is empty or links to /dev/null, so systemd will not start it; unmask it: systemctl --root=${root} unmask dsa110-api.service (which removes ${unitDir}/dsa110-api.service); then run \`ports systemd --root ${root}\` to learn where its claim line goes, or remove the service from the registry\n`,
    );
    expect(run.stdout).not.toContain('dsa110-api.service: missing');
  });

  it('--check still fails a unit-file claim of the wrong port, whatever its spelling', async () => {
    const { root } = stagedRoot({
      'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030',
      'dsa110-api.service': 'ExecStartPre=-+/usr/local/bin/claim-port redis',
    });
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    const run = await ports(['systemd', '--check', '--root', root]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('dsa110-api.service: does not contain ExecStartPre=+/usr/local/bin/claim-port 8000 in its [Service] section');
  });

  it('--check exits 1 with a diff when a drop-in drifted, and names missing, unexpected and unwired files', async () => {
    const { root, unitDir } = stagedRoot({ 'dsa110-api.service': 'ExecStartPre=+/usr/local/bin/claim-port 8001' });
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    writeFileSync(join(unitDir, 'redis-server.service.d/claim-port.conf'), dropIn('/usr/local/bin/claim-port', 6380));
    rmSync(join(unitDir, 'prometheus.service.d'), { recursive: true });
    mkdirSync(join(unitDir, 'nginx.service.d'));
    writeFileSync(join(unitDir, 'nginx.service.d/claim-port.conf'), dropIn('/usr/local/bin/claim-port', 80));
    // nginx's package unit, which reads it (a drop-in directory of no unit is never read: a warning, not a claim).
    writeTree(root, { 'usr/lib/systemd/system/nginx.service': '[Service]\nExecStart=/bin/true\n' });
    const before = readFileSync(join(unitDir, 'redis-server.service.d/claim-port.conf'), 'utf8');

    const run = await ports(['systemd', '--check', '--root', root]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `${unitDir}/dsa110-api.service: does not contain ExecStartPre=+/usr/local/bin/claim-port 8000 in its [Service] section; replace its ExecStartPre=+/usr/local/bin/claim-port 8001 at dsa110-api.service:5 with the line\n`,
    );
    expect(run.stdout).toContain(
      `${unitDir}/grafana-simple.service: does not contain ExecStartPre=+/usr/local/bin/claim-port 3030 in its [Service] section; add it there\n`,
    );
    expect(run.stdout).toContain(`${unitDir}/nginx.service.d/claim-port.conf: unexpected: no robust service in the registry uses nginx.service; remove it\n`);
    expect(run.stdout).toContain(
      `${unitDir}/prometheus.service.d/claim-port.conf: missing: the registry wants ExecStartPre=+/usr/local/bin/claim-port 9090 for prometheus.service; run \`ports systemd --root ${root}\`\n`,
    );
    expect(run.stdout).toContain(
      `${unitDir}/redis-server.service.d/claim-port.conf: differs from the registry (ExecStartPre=+/usr/local/bin/claim-port 6379); run \`ports systemd --root ${root}\`\n`,
    );
    expect(run.stdout).toContain('\n-ExecStartPre=+/usr/local/bin/claim-port 6380\n+ExecStartPre=+/usr/local/bin/claim-port 6379\n');
    expect(run.stderr).toBe(`5 problems in the claim wiring under ${unitDir}, each listed above with what to do\n`);
    expect(readFileSync(join(unitDir, 'redis-server.service.d/claim-port.conf'), 'utf8')).toBe(before);
  });

  it('never narrows a sticky directory others may add to (as /tmp): --out there is refused, its mode left, and --check says to write elsewhere', async () => {
    const shared = join(tempDir('dsa110-ports-systemd-shared-'), 'tmp');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const write = await ports(['systemd', '--out', shared]);
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/^ports systemd: cannot write [^\n]*; nothing was written\n$/);
    expect(write.stderr).toContain(
      `: ${shared} is writable by others (mode 1777): anyone may add to it (sticky, as /tmp), and may replace the drop-in directories and units there`,
    );
    expect(write.stderr).toContain(
      `; a sticky directory is shared on purpose, so this tool leaves its mode alone: write the files under a directory only root may add to, or, if ${shared} should not be shared (never /tmp), \`chmod go-w ${shared}\` first; nothing was written`,
    );
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
    expect(readdirSync(shared)).toEqual([]);
    const check = await ports(['systemd', '--out', shared, '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`${shared}: writable by others (mode 1777): anyone may add to it (sticky, as /tmp), and may`);
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
  });

  it('--check reports a drop-in or health unit that others may write, whatever it holds, and a write replaces it with a 0644 one', async () => {
    const { root, unitDir } = stagedRoot({
      'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030',
      'dsa110-api.service': 'ExecStartPre=+/usr/local/bin/claim-port 8000',
    });
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    const dropIn = join(unitDir, 'redis-server.service.d/claim-port.conf');
    const health = join(unitDir, 'dsa110-port-health.service');
    chmodSync(dropIn, 0o666);
    chmodSync(health, 0o664);
    const run = await ports(['systemd', '--check', '--root', root]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `${dropIn}: writable by others (mode 0666): whoever may write it chooses what systemd runs as root; run \`ports systemd --root ${root}\` to replace it with one of root's, 0644\n`,
    );
    expect(run.stdout).toContain(`${health}: writable by its group (mode 0664): whoever may write it`);
    expect(run.stderr).toBe(`2 problems in the claim wiring under ${unitDir}, each listed above with what to do\n`);
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    expect(statSync(dropIn).mode & 0o7777).toBe(0o644);
    expect(statSync(health).mode & 0o7777).toBe(0o644);
    expect((await ports(['systemd', '--check', '--root', root])).code).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)(
    "a drop-in directory (or the unit directory) others may write, or another user owns, is drift; a write makes its own 0755 and refuses another's",
    async () => {
      const { root, unitDir } = stagedRoot({
        'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030',
        'dsa110-api.service': 'ExecStartPre=+/usr/local/bin/claim-port 8000',
      });
      expect((await ports(['systemd', '--root', root])).code).toBe(0);
      const redis = join(unitDir, 'redis-server.service.d');
      const prometheus = join(unitDir, 'prometheus.service.d');
      const check = () => ports(['systemd', '--check', '--root', root]);

      await expectOthersWritableMade0755({ root, unitDir }, redis, 'add drop-ins that systemd runs as root');

      // Group-writable: drift with a group other than root's, not with root's.
      chmodSync(redis, 0o775);
      chownSync(redis, 0, 65534);
      expect((await check()).stdout).toContain(`${redis}: writable by its group (gid 65534, mode 0775)`);
      chownSync(redis, 0, 0);
      expect((await check()).code).toBe(0);
      chmodSync(redis, 0o755);

      // Another user's drop-in directory is never adopted: the write refuses, all or none.
      chownSync(prometheus, 65534, 65534);
      const claim = join(redis, 'claim-port.conf');
      writeFileSync(claim, 'edited by hand\n');
      let run = await check();
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        `${prometheus}: owned by uid 65534, not by root: its owner may add drop-ins that systemd runs as root; \`chown root:root ${prometheus}\` (or remove it), then run \`ports systemd --root ${root}\`\n`,
      );
      run = await ports(['systemd', '--root', root]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `ports systemd: cannot write ${prometheus}/claim-port.conf: ${prometheus} is owned by uid 65534, not by root: its owner may add drop-ins that systemd runs as root; \`chown root:root ${prometheus}\` (or remove it) first; nothing was written\n`,
      );
      expect(readFileSync(claim, 'utf8')).toBe('edited by hand\n');
      expect(statSync(prometheus).uid).toBe(65534);
      chownSync(prometheus, 0, 0);
      expect((await ports(['systemd', '--root', root])).code).toBe(0);

      // Every .conf there is read by systemd: another user's is drift, and a write warns and leaves it alone.
      const evil = join(redis, 'zz-evil.conf');
      writeFileSync(evil, '[Service]\nExecStartPre=+/bin/echo pwned\n');
      chownSync(evil, 65534, 65534);
      run = await check();
      expect(run.code).toBe(1);
      expect(run.stdout).toBe(
        `${evil}: owned by uid 65534, who may change it: systemd reads every .conf in ${redis}, so whoever may change it chooses what systemd runs as root; read it, then remove it or make it root's, 0644\n`,
      );
      run = await ports(['systemd', '--root', root]);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(`warning: ${evil}: owned by uid 65534, who may change it: systemd reads every .conf in ${redis}`);
      expect(run.stderr).toContain("make it root's, 0644 (`ports systemd` changes only its own files)\n");
      expect(readFileSync(evil, 'utf8')).toContain('pwned');
      chownSync(evil, 0, 0);
      chmodSync(evil, 0o646);
      expect((await check()).stdout).toContain(`${evil}: writable by others (mode 0646): systemd reads every .conf in ${redis}`);
      rmSync(evil);

      // The unit directory: whoever may write in it may replace a drop-in directory.
      chmodSync(unitDir, 0o777);
      run = await check();
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`${unitDir}: writable by others (mode 0777): whoever may write in it may replace the drop-in directories and units`);
      expect((await ports(['systemd', '--root', root])).code).toBe(0);
      expect(statSync(unitDir).mode & 0o7777).toBe(0o755);
      expect((await check()).code).toBe(0);
    },
  );

  it.skipIf(process.getuid?.() !== 0)(
    'every directory above the unit directory counts, up to / (those of --root and --out on the host too); a sticky one above counts only by its owner',
    async () => {
      // The root in a directory of its own, so that the host's directories above it can be changed too.
      const host = tempDir();
      const { root, unitDir } = stagedRoot(
        {
          'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030',
          'dsa110-api.service': 'ExecStartPre=+/usr/local/bin/claim-port 8000',
        },
        join(host, 'image'),
      );
      expect((await ports(['systemd', '--root', root])).code).toBe(0);
      const check = () => ports(['systemd', '--check', '--root', root]);
      expect((await check()).code).toBe(0);
      const systemdDir = join(root, 'etc/systemd');
      const etc = join(root, 'etc');
      const stake = (below: string) => `put another directory in place of ${below}, and so choose the units and drop-ins systemd runs as root`;

      // ROOT/etc/systemd, others' to write: drift; a write makes it 0755.
      await expectOthersWritableMade0755({ root, unitDir }, systemdDir, stake(unitDir));

      // ROOT/etc, another user's: drift, and the write refuses, all or none.
      chownSync(etc, 65534, 65534);
      const claim = join(unitDir, 'redis-server.service.d/claim-port.conf');
      writeFileSync(claim, 'edited by hand\n');
      const fix = `\`chown root:root ${etc}\``;
      let run = await check();
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        `${etc}: owned by uid 65534, not by root: its owner may ${stake(systemdDir)}; ${fix}, then run \`ports systemd --root ${root}\`, or write the files under a directory only root may change\n`,
      );
      run = await ports(['systemd', '--root', root]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `ports systemd: cannot write ${claim}: ${etc} is owned by uid 65534, not by root: its owner may ${stake(systemdDir)}; ${fix} first, or write the files under a directory only root may change; nothing was written\n`,
      );
      expect(readFileSync(claim, 'utf8')).toBe('edited by hand\n');
      chownSync(etc, 0, 0);
      expect((await ports(['systemd', '--root', root])).code).toBe(0);

      // Sticky and root's (as /tmp): only an entry's owner may rename it, so it counts only by the entry below it.
      chmodSync(etc, 0o1777);
      expect((await check()).code).toBe(0);
      chownSync(systemdDir, 65534, 65534);
      run = await check();
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`${systemdDir}: owned by uid 65534, not by root: its owner may ${stake(unitDir)}; `);
      chownSync(systemdDir, 0, 0);
      chmodSync(etc, 0o755);
      // The unit directory holds the health units: there a new entry counts too, sticky or not.
      chmodSync(unitDir, 0o1777);
      expect((await check()).stdout).toContain(
        `${unitDir}: writable by others (mode 1777): anyone may add to it (sticky, as /tmp), and may replace the drop-in directories and units`,
      );
      // Sticky: shared on purpose, as far as a tool can tell; never narrowed, the write refused (chmod go-w of /tmp breaks it for everyone).
      run = await ports(['systemd', '--root', root]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`\`chmod go-w ${unitDir}\` first; nothing was written\n`);
      expect(statSync(unitDir).mode & 0o7777).toBe(0o1777);
      chmodSync(unitDir, 0o755);

      // The directory the root is in, on the host: whoever may write there may swap the whole image.
      await expectOthersWritableMade0755({ root, unitDir }, host, stake(root));

      // --out: the directories above it too, a group other than root's included.
      const outer = join(tempDir(), 'shared');
      const out = join(outer, 'units');
      mkdirSync(outer, { mode: 0o775 });
      chmodSync(outer, 0o775);
      chownSync(outer, 0, 65534);
      run = await ports(['systemd', '--check', '--out', out]);
      expect(run.stdout).toContain(`${outer}: writable by its group (gid 65534, mode 0775): whoever may write in it may ${stake(out)}; `);
      expect((await ports(['systemd', '--out', out])).stdout).toContain(`made ${outer} 0755: it was writable by its group (gid 65534, mode 0775)\n`);
      expect(statSync(outer).mode & 0o7777).toBe(0o755);
    },
  );

  it.skipIf(process.getuid?.() !== 0)(
    'never writes through a directory link another user owns, under --out or --root: one line, exit 1, nothing written; --check reports it',
    async () => {
      const out = tempDir();
      const elsewhere = tempDir();
      expect((await ports(['systemd', '--out', out])).code).toBe(0);
      const link = join(out, 'redis-server.service.d');
      rmSync(link, { recursive: true });
      symlinkSync(elsewhere, link);
      lchownSync(link, 65534, 65534);
      const why = `${link} is a symbolic link owned by uid 65534, not by root: it is not followed, since its owner could point it at any directory; remove it, or \`chown -h root:root\` it`;
      let run = await ports(['systemd', '--out', out]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`ports systemd: cannot write ${link}/claim-port.conf: ${why}; nothing was written\n`);
      expect(readdirSync(elsewhere)).toEqual([]);
      run = await ports(['systemd', '--out', out, '--check']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`${link}/claim-port.conf: ${why}\n`);

      // Under --root, a link inside the root (an absolute one, resolved inside it) is held to the same rule.
      const { root, unitDir } = stagedRoot();
      mkdirSync(join(root, 'srv/dropins'), { recursive: true });
      symlinkSync('/srv/dropins', join(unitDir, 'redis-server.service.d'));
      lchownSync(join(unitDir, 'redis-server.service.d'), 65534, 65534);
      run = await ports(['systemd', '--root', root]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `ports systemd: ${unitDir}/redis-server.service.d is a symbolic link owned by uid 65534, not by root: it is not followed, since its owner could point it at any directory; remove it, or \`chown -h root:root\` it; nothing was written\n`,
      );
      expect(readdirSync(join(root, 'srv/dropins'))).toEqual([]);
      expect(existsSync(join(unitDir, 'prometheus.service.d'))).toBe(false);
      expect((await ports(['systemd', '--root', root, '--check'])).code).toBe(1);
    },
  );

  // (Its name is no unit name systemd loads, so its claim line is not judged: the drop-in directory no unit reads is still named, escaped.)
  it('names from the unit directory and text from its files are printed escaped: no forged line, no terminal escape', async () => {
    const { root, unitDir } = stagedRoot({
      'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030',
      'dsa110-api.service': 'ExecStartPre=+/usr/local/bin/claim-port 8000',
    });
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    const evil = 'ev\u001b[2Jil\nok: forged';
    mkdirSync(join(unitDir, `${evil}.service.d`));
    writeFileSync(join(unitDir, `${evil}.service.d/claim-port.conf`), dropIn('/usr/local/bin/claim-port', 80));
    writeFileSync(join(unitDir, 'redis-server.service.d/claim-port.conf'), `${HEADER}\n[Service]\nExecStartPre=+/usr/local/bin/claim-port 6379 \u001b[31m\r\n`);

    const check = await ports(['systemd', '--check', '--root', root]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      `warning: ${unitDir}/ev\\e[2Jil\\nok: forged.service.d/: systemd never reads this drop-in directory, as no unit under ${root} is named ev\\e[2Jil\\nok: forged.service, so no claim-port line in it claims a port; remove it (or install the unit it was for)\n`,
    );
    expect(check.stdout).toContain('\n-ExecStartPre=+/usr/local/bin/claim-port 6379 \\e[31m\\r\n');
    const write = await ports(['systemd', '--root', root]);
    expect(write.code).toBe(0);
    expect(write.stderr).toContain(
      `warning: ${unitDir}/ev\\e[2Jil\\nok: forged.service.d/: systemd never reads this drop-in directory, as no unit under ${root} is named ev\\e[2Jil\\nok: forged.service, so no claim-port line in it claims a port; remove it (or install the unit it was for)\n`,
    );
    for (const output of [check.stdout, check.stderr, write.stdout, write.stderr]) {
      expect(output).not.toMatch(CONTROL);
      expect(output).not.toMatch(/^ok: forged/m);
    }
  });

  it('--check --root reads a unit file linked with an absolute link (systemctl link) inside the root, not on the host', async () => {
    const { root, unitDir } = stagedRoot({ 'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030' });
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    const inside = `/opt/dsa110-linked-${process.pid}/dsa110-api.service`;
    expect(existsSync(inside)).toBe(false);
    mkdirSync(join(root, dirname(inside)), { recursive: true });
    writeFileSync(
      join(root, inside),
      readFileSync(join(unitDir, 'dsa110-api.service'), 'utf8').replace('[Service]\n', '[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000\n'),
    );
    rmSync(join(unitDir, 'dsa110-api.service'));
    symlinkSync(inside, join(unitDir, 'dsa110-api.service'));
    const run = await ports(['systemd', '--check', '--root', root]);
    expect(run).toEqual({
      code: 0,
      stdout: `ok: 2 drop-ins, 2 unit files and the health check's 2 units under ${root}/etc/systemd/system match the registry\n`,
      stderr: '',
    });
  });

  it("--root: a drop-in or health unit that is a link names its absolute target under the root, in the write's refusal and in --check", async () => {
    const { root, unitDir } = stagedRoot();
    mkdirSync(join(unitDir, 'redis-server.service.d'));
    const dropInPath = join(unitDir, 'redis-server.service.d/claim-port.conf');
    symlinkSync('/etc/redis/claim.conf', dropInPath);
    symlinkSync('/dev/null', join(unitDir, 'dsa110-port-health.timer'));
    const link = `it is a symbolic link to "/etc/redis/claim.conf" under ${root}, which is never replaced; remove the link to let this tool write the file`;
    const write = await ports(['systemd', '--root', root]);
    expect(write.code).toBe(1);
    expect(write.stderr).toBe(`ports systemd: cannot write ${dropInPath}: ${link}; nothing was written (and 1 more: ${unitDir}/dsa110-port-health.timer)\n`);
    const check = await ports(['systemd', '--check', '--root', root]);
    expect(check.code).toBe(1);
    const lines = check.stdout.split('\n');
    expect(lines).toContain(`${dropInPath}: ${link}`);
    expect(lines).toContain(
      `${unitDir}/dsa110-port-health.timer: ${link.replace('"/etc/redis/claim.conf"', '"/dev/null"').replace(', which', ' (a masked unit), which')}`,
    );
    // --out names a bare directory, not a root: a link there is the host's, said as written.
    const out = await ports(['systemd', '--out', unitDir]);
    expect(out.stderr).toBe(
      `ports systemd: cannot write ${dropInPath}: it is a symbolic link to "/etc/redis/claim.conf", which is never replaced; remove the link to let this tool write the file; nothing was written (and 1 more: ${unitDir}/dsa110-port-health.timer)\n`,
    );
  });

  it('--root whose unit directory is an absolute link writes inside the root, never on the host', async () => {
    const root = tempDir('dsa110-ports-systemd-');
    const host = `/tmp/dsa110-host-units-${process.pid}-${Date.now()}`;
    try {
      mkdirSync(join(root, host), { recursive: true });
      mkdirSync(join(root, 'etc/systemd'), { recursive: true });
      symlinkSync(host, join(root, 'etc/systemd/system'));
      const run = await ports(['systemd', '--root', root]);
      expect(run.code).toBe(0);
      expect(existsSync(host)).toBe(false);
      expect(readdirSync(join(root, host)).sort()).toEqual([
        'dsa110-port-health.service',
        'dsa110-port-health.timer',
        'prometheus.service.d',
        'redis-server.service.d',
      ]);
      expect(run.stdout).toContain(`wrote ${join(root, host)}/redis-server.service.d/claim-port.conf\n`);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('--root with a drop-in directory that is an absolute link writes and checks the drop-in inside the root', async () => {
    const { root, unitDir } = stagedRoot({
      'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030',
      'dsa110-api.service': 'ExecStartPre=+/usr/local/bin/claim-port 8000',
    });
    const host = `/tmp/dsa110-host-dropins-${process.pid}-${Date.now()}`;
    try {
      mkdirSync(join(root, host), { recursive: true });
      symlinkSync(host, join(unitDir, 'redis-server.service.d'));
      expect((await ports(['systemd', '--root', root])).code).toBe(0);
      expect(existsSync(host)).toBe(false);
      expect(readFileSync(join(root, host, 'claim-port.conf'), 'utf8')).toBe(dropIn('/usr/local/bin/claim-port', 6379));
      expect((await ports(['systemd', '--check', '--root', root])).code).toBe(0);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('--check reports, file:line, each claim line the registry does not ask for (a unit it does not wire, a second claim), and the write warns of it', async () => {
    const { root, unitDir } = stagedRoot({
      'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030',
      'dsa110-api.service': 'ExecStartPre=+/usr/local/bin/claim-port 8000',
    });
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    expect((await ports(['systemd', '--check', '--root', root])).code).toBe(0);
    writeTree(root, { 'usr/lib/systemd/system/nginx.service': '[Service]\nExecStart=/bin/true\n' });
    writeTree(unitDir, {
      // nginx is in the registry, but not robust; old-api.service is no service of it; redis claims in claim-port.conf.
      'nginx.service.d/override.conf': '[Service]\nExecStartPre=+/usr/local/bin/claim-port 80\n',
      'old-api.service': '[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000\nExecStart=/bin/true\n',
      'redis-server.service.d/override.conf': '[Service]\nExecStartPre=+/usr/local/bin/claim-port 6379\n',
    });
    const said = [
      `${unitDir}/nginx.service.d/override.conf:2: unexpected: ExecStartPre=+/usr/local/bin/claim-port 80: no robust service in the registry uses nginx.service, yet at each start of it claim-port frees port 80 as root; remove the line`,
      `${unitDir}/old-api.service:2: unexpected: ExecStartPre=+/usr/local/bin/claim-port 8000: no robust service in the registry uses old-api.service; it claims port 8000, which the registry gives to api (dsa110-api.service): at each start of old-api.service it would free api's port as root; remove the line`,
      `${unitDir}/redis-server.service.d/override.conf:2: unexpected: ExecStartPre=+/usr/local/bin/claim-port 6379 runs claim-port for redis-server.service besides redis-server.service.d/claim-port.conf, where the registry wires its claim, so redis-server.service claims its port twice; remove the line`,
    ];
    const run = await ports(['systemd', '--check', '--root', root]);
    expect([run.code, run.stderr]).toEqual([1, `3 problems in the claim wiring under ${unitDir}, each listed above with what to do\n`]);
    for (const line of said) expect(run.stdout.split('\n')).toContain(line);
    const write = await ports(['systemd', '--root', root]);
    expect(write.code).toBe(0);
    for (const line of said) expect(write.stderr.split('\n')).toContain(`warning: ${line}`);
    for (const file of ['nginx.service.d/override.conf', 'old-api.service', 'redis-server.service.d/override.conf']) rmSync(join(unitDir, file));
    expect((await ports(['systemd', '--check', '--root', root])).code).toBe(0);
  });

  it('a service switched from the claim drop-in to the unit file: the write and --check give the same steps (the line in the unit file, then the drop-in removed)', async () => {
    const registryLine = '--registry /etc/dsa110/ports.yaml';
    const { root, unitDir } = stagedRoot({
      'grafana-simple.service': `ExecStartPre=+/usr/local/bin/claim-port 3030 ${registryLine}`,
      'dsa110-api.service': `ExecStartPre=+/usr/local/bin/claim-port 8000 ${registryLine}`,
    });
    const registry = join(root, 'etc/dsa110/ports.yaml');
    writeTree(root, { 'etc/dsa110/ports.yaml': rootRegistry });
    expect((await ports(['systemd', '--root', root, '--registry', registry])).code).toBe(0);
    writeTree(root, {
      'etc/dsa110/ports.yaml': replaceOnce(rootRegistry, 'unit: redis-server.service\n      claim: drop-in', 'unit: redis-server.service\n      claim: unit'),
    });
    const args = ['systemd', '--root', root, '--registry', registry];
    const leftover = `${unitDir}/redis-server.service.d/claim-port.conf`;
    const write = await ports(args);
    expect(write.code).toBe(0);
    const lines = write.stdout.split('\n');
    const at = lines.findIndex((line) => line.startsWith('redis-server.service:'));
    expect(lines[at]).toBe(
      `redis-server.service: its unit file claims the port; put this line in the [Service] section of ${unitDir}/redis-server.service, then remove ${leftover}, the drop-in the registry wired the claim in before:`,
    );
    const dropInSaid = `${leftover}: unexpected: the registry now wires redis-server.service's claim in the unit file (systemd.claim: unit), so with this drop-in it would claim twice; once the unit file has its claim line`;
    expect(write.stderr).toContain(`warning: ${dropInSaid}`);
    let run = await ports([...args.slice(0, 1), '--check', ...args.slice(1)]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${unitDir}/redis-server.service: does not contain ${lines[at + 1]} in its [Service] section; add it there\n`);
    expect(run.stdout).toContain(dropInSaid);
    // The steps followed, in order: the line in the unit file (the drop-in still said), then the drop-in removed.
    writeTree(unitDir, { 'redis-server.service': `[Service]\n${lines[at + 1]}\nExecStart=/bin/true\n` });
    run = await ports([...args.slice(0, 1), '--check', ...args.slice(1)]);
    expect([run.code, run.stdout.split('\n').filter((line) => line.startsWith('/'))]).toEqual([1, [expect.stringContaining(dropInSaid)]]);
    rmSync(leftover);
    run = await ports([...args.slice(0, 1), '--check', ...args.slice(1)]);
    expect([run.code, run.stderr]).toEqual([0, '']);
  });

  it('--check follows the registry: a moved port makes the old tree drift', async () => {
    const { root } = stagedRoot({
      'grafana-simple.service': 'ExecStartPre=+/usr/local/bin/claim-port 3030',
      'dsa110-api.service': 'ExecStartPre=+/usr/local/bin/claim-port 8000',
    });
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    const moved = join(root, 'etc/dsa110/ports.yaml');
    writeTree(root, { 'etc/dsa110/ports.yaml': replaceOnce(rootRegistry, 'port: 6379', 'port: 6390') });
    const run = await ports(['systemd', '--check', '--root', root, '--registry', moved]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('+ExecStartPre=+/usr/local/bin/claim-port 6390 --registry /etc/dsa110/ports.yaml');
    // What to run is this very command less --check: the bare one would write to the host's /etc/systemd/system.
    expect(run.stdout).toContain(`; run \`ports --registry ${moved} systemd --root ${root}\`\n`);
  });

  it('--check under --out says to run the command with that --out (and its other options), quoted for the shell', async () => {
    const out = join(tempDir(), "unit dir's");
    const args = ['systemd', '--out', out, '--claim-port', '/opt/tools/claim-port', '--textfile', '/var/lib/x.prom'];
    expect((await ports(args)).code).toBe(0);
    rmSync(join(out, 'prometheus.service.d'), { recursive: true });
    const run = await ports([...args, '--check']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `${out}/prometheus.service.d/claim-port.conf: missing: the registry wants ExecStartPre=+/opt/tools/claim-port 9090 for prometheus.service; run \`ports systemd --out '${out.replace("'", "'\\''")}' --claim-port /opt/tools/claim-port --textfile /var/lib/x.prom\`\n`,
    );
  });

  it('--check with values that start with "-" (--registry=-r.yaml, --out=-x, --root=-root) prints a command that runs: --FLAG=VALUE', async () => {
    // Every claim in a drop-in, so that what the printed command writes is all --check wants.
    // The registry inside the root, where --root wants it.
    const dir = checkout();
    // The services' unit files too: systemd loads no unit from the drop-ins alone, and --check --root says so.
    stagedRoot({}, join(dir, '-root'));
    writeFileSync(join(dir, '-root/-r.yaml'), rootRegistry.replaceAll('claim: unit', 'claim: drop-in'));
    for (const target of [['--out=-x'], ['--root=-root']]) {
      const check = ['--registry=-root/-r.yaml', 'systemd', ...target, '--check'];
      const drift = await ports(check, { cwd: dir });
      expect(drift.code, drift.stderr).toBe(1);
      const printed = [...drift.stdout.matchAll(/; run `([^`]+)`$/gm)].map((match) => match[1]!);
      expect(printed.length).toBeGreaterThan(0);
      // The printed command as the shell reads it, run: `--out -x` was a usage error (exit 64, "write --out=VALUE").
      const words = spawnSync('sh', ['-c', `ports() { printf '%s\\0' "$@"; }; ${printed[0]}`], { encoding: 'utf8' })
        .stdout.split('\0')
        .slice(0, -1);
      const run = await ports(words, { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
      expect(new Set(printed)).toEqual(new Set([`ports --registry=-root/-r.yaml systemd ${target[0]}`]));
      expect(await ports(check, { cwd: dir })).toMatchObject({ code: 0, stderr: '' });
    }
  });

  it.skipIf(!analyze)('refuses a unit named dsa110-.service, whose drop-ins systemd applies to every dsa110-*.service: nothing written', async () => {
    // What systemd does with such a directory: it reads it for dsa110-api.service (a bad key there is reported).
    const unitDir = tempDir();
    writeTree(unitDir, {
      'dsa110-api.service': '[Service]\nExecStart=/bin/true\n',
      'dsa110-.service.d/claim-port.conf': '[Service]\nNotAKeyFromThePrefix=1\n',
    });
    expect(verify(unitDir, 'dsa110-api.service').stderr).toContain("dsa110-.service.d/claim-port.conf:2: Unknown key 'NotAKeyFromThePrefix'");
    const dir = checkout(replaceOnce(rootRegistry, 'unit: redis-server.service', 'unit: dsa110-.service'));
    const out = join(tempDir(), 'units');
    const run = await ports(['--registry', join(dir, 'ports.yaml'), 'systemd', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /services\.redis\.systemd\.unit: must not end in "-" before its @ or \.service: systemd reads the drop-ins of NAME-\.service for every unit/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a relative or unsafe --claim-port, and --out with --root, as usage errors', async () => {
    const relative = await ports(['systemd', '--out', tempDir(), '--claim-port', 'bin/claim-port']);
    expect(relative.code).toBe(64);
    expect(relative.stderr).toMatch(/^ports systemd: --claim-port "bin\/claim-port": it must be an absolute path/);
    // What systemd cannot run: a newline (or any control character), a quote or a backslash in the executable's path.
    for (const [path, why] of [
      ['/opt/my\ntools/claim-port', 'it must not contain control characters'],
      ['/opt/my"tools/claim-port', 'systemd refuses a command whose path has quotes or backslashes'],
    ]) {
      const run = await ports(['systemd', '--out', tempDir(), '--claim-port', path!]);
      expect(run.code).toBe(64);
      expect(run.stderr).toMatch(new RegExp(`^ports systemd: --claim-port "[^\n]*": ${why}[^\n]*\n`));
      expect(run.stderr).not.toMatch(CONTROL);
    }
    const both = await ports(['systemd', '--out', tempDir(), '--root', tempDir()]);
    expect(both.code).toBe(64);
    expect(both.stderr).toMatch(
      /^ports systemd: give --out DIR or --root DIR, not both; usage: ports systemd \[--out DIR \| --root DIR\] \[--claim-port PATH\]/,
    );
    expect(both.stderr.split('\n')).toHaveLength(3);
    // --help's usage line shows the two as one choice.
    expect((await ports(['systemd', '--help'])).stdout).toMatch(/^Usage: ports systemd \[--out DIR \| --root DIR\] \[--claim-port PATH\] /);
  });

  it('refuses an empty --out or --root (`--root "$STAGE"` with STAGE unset), writing nothing where it runs', async () => {
    for (const flags of [['--root', ''], ['--root='], ['--out', ''], ['--out=']]) {
      for (const check of [[], ['--check']]) {
        const cwd = tempDir();
        const run = await ports(['systemd', ...flags, ...check], { cwd });
        expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
          code: 64,
          stdout: '',
          stderr: 'ports systemd: --out and --root need a directory\nRun "ports systemd --help" for usage.\n',
        });
        expect(readdirSync(cwd)).toEqual([]);
      }
    }
  });

  it.skipIf(!analyze)("writes the health check's service and timer; systemd-analyze verify accepts them; --check finds their drift", async () => {
    const { root, unitDir } = stagedRoot();
    const healthBin = join(root, 'usr/local/bin/port-health-check');
    writeFileSync(healthBin, '#!/bin/sh\nexit 0\n');
    chmodSync(healthBin, 0o755);
    // Inside the root, where the booted system reads it as /etc/dsa110/ports.yaml.
    const registry = join(root, 'etc/dsa110/ports.yaml');
    writeTree(root, { 'etc/dsa110/ports.yaml': rootRegistry });
    const args = ['--registry', registry, 'systemd', '--root', root, '--port-health-check', healthBin, '--textfile', '/var/lib/node/x.prom'];
    const run = await ports(args);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`wrote ${unitDir}/dsa110-port-health.service\nwrote ${unitDir}/dsa110-port-health.timer\n`);
    addPrintedClaimLines(run.stdout, unitDir);
    const service = readFileSync(join(unitDir, 'dsa110-port-health.service'), 'utf8');
    expect(service).toContain(`\nExecStart=${healthBin} --registry /etc/dsa110/ports.yaml --format prometheus --output /var/lib/node/x.prom\n`);
    expect(verify(unitDir, 'dsa110-port-health.service')).toEqual({ code: 0, stderr: '' });
    expect(verify(unitDir, 'dsa110-port-health.timer')).toEqual({ code: 0, stderr: '' });
    const clean = await ports([...args, '--check']);
    expect(clean.code, clean.stdout).toBe(0);

    rmSync(join(unitDir, 'dsa110-port-health.timer'));
    writeFileSync(join(unitDir, 'dsa110-port-health.service'), service.replace('x.prom', 'y.prom'));
    const drift = await ports([...args, '--check']);
    expect(drift.code).toBe(1);
    // What to run again: this command less --check, with every option it was given (the bare one writes to the host).
    const again = `ports --registry ${registry} systemd --root ${root} --port-health-check ${healthBin} --textfile /var/lib/node/x.prom`;
    expect(drift.stdout).toContain(`${unitDir}/dsa110-port-health.timer: missing: the port health check's unit; run \`${again}\`\n`);
    expect(drift.stdout).toContain(`${unitDir}/dsa110-port-health.service: differs from what \`ports systemd\` writes; run \`${again}\`\n`);
    expect(drift.stdout).toContain('\n+ExecStart=');
  });

  it.skipIf(!analyze)(
    'quotes hostile paths (white space, quotes, backslashes, %, $, ;, Unicode): systemd-analyze verify runs those files, --check reads them back',
    async () => {
      const { root, unitDir } = stagedRoot();
      // Executables systemd can run, at paths that break a naive writer; the registry's path may hold anything but control characters.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
      const tools = join(root, 'opt/my  tools %n $HOME ${X}; ünï 🙂');
      mkdirSync(tools, { recursive: true });
      const claimPort = join(tools, 'claim port');
      const healthBin = join(tools, 'port health check');
      for (const file of [claimPort, healthBin]) {
        writeFileSync(file, '#!/bin/sh\nexit 0\n');
        chmodSync(file, 0o755);
      }
      const inRoot = `/etc/"dsa110" 'ports' \\x41 %i $$ ;/ports.yaml`;
      const registry = join(root, inRoot);
      mkdirSync(dirname(registry), { recursive: true });
      writeFileSync(registry, rootRegistry);
      const textfile = join(root, 'var/lib/node exporter/$x %% "q".prom');
      const args = ['systemd', '--root', root, '--claim-port', claimPort, '--port-health-check', healthBin, '--textfile', textfile];

      const run = await ports(args, { env: { DSA110_PORTS_FILE: registry } });
      expect(run.code, run.stderr).toBe(0);
      for (const line of addPrintedClaimLines(run.stdout, unitDir)) expect(line).toMatch(/^ExecStartPre=\+"\/.*\/claim port" \d+ --registry ".+"$/);
      // Each claim line, read back as systemd reads it, names the registry as the booted system sees it.
      for (const unit of ['redis-server.service.d/claim-port.conf', 'grafana-simple.service']) {
        const line = readFileSync(join(unitDir, unit), 'utf8')
          .split('\n')
          .find((text) => text.startsWith('ExecStartPre='))!;
        expect(parseExec(line.slice('ExecStartPre='.length), new Map()).commands[0]!.argv.slice(2)).toEqual(['--registry', inRoot]);
      }
      for (const unit of ['redis-server.service', 'prometheus.service', 'grafana-simple.service', 'dsa110-api.service', 'dsa110-port-health.service']) {
        expect(verify(unitDir, unit), unit).toEqual({ code: 0, stderr: '' });
      }
      // The core model reads the health check's command back word for word.
      const service = readFileSync(join(unitDir, 'dsa110-port-health.service'), 'utf8');
      const execStart = service.split('\n').find((line) => line.startsWith('ExecStart='))!;
      expect(parseExec(execStart.slice('ExecStart='.length), new Map([['x', 'EXPANDED']])).commands.map((c) => c.argv)).toEqual([
        [healthBin, '--registry', inRoot, '--claim-port', claimPort, '--format', 'prometheus', '--output', textfile],
      ]);
      // --check: the files match, and the units systemd would load claim their ports with that claim-port.
      const check = await ports([...args, '--check'], { env: { DSA110_PORTS_FILE: registry } });
      expect(check.stderr).toBe('');
      expect(check).toMatchObject({ code: 0 });
      expect(check.stdout).toMatch(/^ok: 2 drop-ins, 2 unit files/);

      // The same path spelt with one space fewer is another file: verify and --check both fail.
      const dropInPath = join(unitDir, 'redis-server.service.d/claim-port.conf');
      writeFileSync(dropInPath, readFileSync(dropInPath, 'utf8').replace('my  tools', 'my tools'));
      expect(verify(unitDir, 'redis-server.service').stderr).toContain('is not executable');
      expect((await ports([...args, '--check'], { env: { DSA110_PORTS_FILE: registry } })).code).toBe(1);
    },
  );

  it('refuses a registry path that a unit line cannot hold (a control character) in one line', async () => {
    const dir = join(tempDir(), 'line\nbreak');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ports.yaml'), rootRegistry);
    const run = await ports(['systemd', '--out', tempDir()], { env: { DSA110_PORTS_FILE: join(dir, 'ports.yaml') } });
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(
      /^ports systemd: the registry path ".*line\\nbreak\/ports\.yaml" \(from \$DSA110_PORTS_FILE\) cannot go into the units: it must not contain control characters[^\n]*\nRun "ports systemd --help" for usage\.\n$/,
    );
  });

  describe('refuses a registry that is a file of this process (stdin, an open descriptor): under systemd the health check reads /dev/null', () => {
    const REFUSED =
      /^ports systemd: the registry path "[^"\n]+" \(from (?:--registry|\$DSA110_PORTS_FILE)\) cannot go into the units: it is this process's standard input or another of its own files(?: \(through a link to [^)\n]+\))?: claim-port and the health check run later, under systemd, with \/dev\/null as their standard input, and could not read it; give the path of a ports\.yaml file\nRun "ports systemd --help" for usage\.\n$/;

    it('/dev/fd/N, /proc/self/fd/N, /proc/thread-self/fd/N, a link to one, $DSA110_PORTS_FILE: exit 64, nothing written', async () => {
      // An open descriptor of this very process on a real registry: before the fix, each was read and written into the unit.
      const fd = openSync(join(checkout(), 'ports.yaml'), 'r');
      try {
        const link = join(tempDir(), 'ports.yaml');
        symlinkSync(`/dev/fd/${fd}`, link);
        const relative = join(tempDir(), 'relative.yaml');
        symlinkSync(`../../../../../../../../proc/self/fd/${fd}`, relative);
        const runs: [string[], Record<string, string>][] = [
          [['--registry', `/dev/fd/${fd}`], {}],
          [['--registry', `/proc/self/fd/${fd}`], {}],
          [['--registry', `/proc/thread-self/fd/${fd}`], {}],
          [['--registry', `/proc/${process.pid}/fd/${fd}`], {}],
          [['--registry', link], {}],
          [['--registry', relative], {}],
          [[], { DSA110_PORTS_FILE: `/dev/fd/${fd}` }],
        ];
        for (const [registry, env] of runs) {
          const out = join(tempDir(), 'units');
          for (const check of [[], ['--check']]) {
            const run = await ports(['systemd', ...registry, '--out', out, ...check], { env });
            expect(run, JSON.stringify([registry, env, check])).toMatchObject({ code: 64, stdout: '' });
            expect(run.stderr).toMatch(REFUSED);
          }
          expect(existsSync(out)).toBe(false);
        }
        expect((await ports(['systemd', '--registry', link, '--out', tempDir()])).stderr).toContain(`(through a link to /dev/fd/${fd})`);
      } finally {
        closeSync(fd);
      }
    });

    it('/dev/stdin, and a link to it, with the registry on standard input (the command run from source)', () => {
      const registry = join(checkout(), 'ports.yaml');
      const link = join(tempDir(), 'ports.yaml');
      symlinkSync('/dev/stdin', link);
      for (const path of ['/dev/stdin', link]) {
        const out = join(tempDir(), 'units');
        const stdin = openSync(registry, 'r');
        try {
          const run = spawnSync(process.execPath, ['--import', 'tsx', 'packages/ports/src/cli/ports.ts', 'systemd', '--registry', path, '--out', out], {
            cwd: repoRoot,
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
            stdio: [stdin, 'pipe', 'pipe'],
            encoding: 'utf8',
            timeout: 30_000,
          });
          expect({ code: run.status, stdout: run.stdout }, run.stderr).toEqual({ code: 64, stdout: '' });
          expect(run.stderr).toMatch(REFUSED);
          expect(existsSync(out)).toBe(false);
        } finally {
          closeSync(stdin);
        }
      }
    });
  });

  it('refuses an unsafe --port-health-check or a --textfile that node_exporter would not read, as usage errors', async () => {
    const relative = await ports(['systemd', '--out', tempDir(), '--port-health-check', 'port-health-check']);
    expect(relative.code).toBe(64);
    expect(relative.stderr).toMatch(/^ports systemd: --port-health-check "port-health-check": it must be an absolute path/);
    const text = await ports(['systemd', '--out', tempDir(), '--textfile', '/var/lib/node-exporter/ports.txt']);
    expect(text.code).toBe(64);
    expect(text.stderr).toMatch(
      /^ports systemd: --textfile "\/var\/lib\/node-exporter\/ports.txt": node_exporter's textfile collector reads only files ending in "\.prom"\n/,
    );
  });

  it('says so in one line when it cannot write', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    const run = await ports(['systemd', '--out', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^ports systemd: cannot write ${file}/redis-server.service.d/claim-port.conf: a path component is not a directory: ${file} is a regular file; move it away \\(this tool makes the directory\\), then run again; nothing was written \\(and 3 more: `,
      ),
    );
    expect(run.stderr.split('\n')).toHaveLength(2);
    expectNoStack(run.stderr);
  });

  it.skipIf(process.getuid?.() !== 0)('without permission, suggests --out or --root only when neither was given', () => {
    // As nobody (setpriv needs root): a directory nobody may write in, then the default /etc/systemd/system.
    const parent = tempDir();
    chmodSync(parent, 0o755);
    const locked = join(parent, 'locked');
    mkdirSync(locked, { mode: 0o755 });
    const chosen = portsAsNobody(parent, ['systemd', '--out', locked]);
    expect(chosen.code).toBe(1);
    expect(chosen.stderr).toBe(
      `ports systemd: cannot write ${locked}/redis-server.service.d/claim-port.conf: cannot make its directory ${locked}/redis-server.service.d: permission denied; run as a user who may write there; nothing was written\n`,
    );
    expect(readdirSync(locked)).toEqual([]);
    const byDefault = portsAsNobody(parent, ['systemd']);
    expect(byDefault.code).toBe(1);
    expect(byDefault.stderr).toMatch(
      /^ports systemd: cannot write \/etc\/systemd\/system\/.*: permission denied; run as a user who may write there; nothing was written \(to write elsewhere: --out DIR or --root DIR\)\n$/,
    );
  });

  it('refuses a --root that is not there (a typo, an image not mounted): nothing made under it, and --check says so once', async () => {
    const parent = tempDir();
    const missing = join(parent, 'mnt/image');
    const file = join(parent, 'a-file');
    writeFileSync(file, '');
    for (const [root, why] of [
      [missing, 'no such directory'],
      [file, 'not a directory'],
    ] as const) {
      for (const args of [
        ['systemd', '--root', root],
        ['systemd', '--check', '--root', root],
      ]) {
        const run = await portsBin(args);
        expect(run).toEqual({
          code: 1,
          stdout: '',
          stderr: `ports systemd: --root ${root}: ${why}; give the root of a staged or mounted system (or --out DIR for a plain directory, made when missing)\n`,
        });
      }
    }
    expect(readdirSync(parent)).toEqual(['a-file']);
  });

  it('--check on an --out, or a unit directory under --root, that is not a directory (or a loop of links) says so once, not once per file', async () => {
    const parent = tempDir();
    const file = join(parent, 'a-file');
    writeFileSync(file, '');
    const loop = join(parent, 'loop');
    symlinkSync(loop, loop);
    for (const [out, why] of [
      [file, 'it is a regular file, not a directory; give a directory'],
      [loop, 'its path holds a loop of symbolic links; give the real directory'],
    ] as const) {
      expect(await ports(['systemd', '--check', '--out', out])).toEqual({ code: 1, stdout: '', stderr: `ports systemd: cannot check ${out}: ${why}\n` });
    }
    const { root, unitDir } = stagedRoot();
    rmSync(join(root, 'etc/systemd'), { recursive: true });
    writeFileSync(join(root, 'etc/systemd'), '');
    expect(await ports(['systemd', '--check', '--root', root])).toEqual({
      code: 1,
      stdout: '',
      stderr: `ports systemd: cannot check ${unitDir}: a part of its path is not a directory; give a directory\n`,
    });
  });

  it('never opens a FIFO nor replaces a link at a path it writes: one line, exit 1, nothing written; --check reports it as drift', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'redis-server.service.d'));
    spawnSync('mkfifo', [join(dir, 'redis-server.service.d/claim-port.conf')]);
    symlinkSync('/dev/null', join(dir, 'dsa110-port-health.timer'));
    const run = await ports(['systemd', '--out', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `ports systemd: cannot write ${dir}/redis-server.service.d/claim-port.conf: it is a FIFO (named pipe), not a regular file; move it away to let this tool write the file; nothing was written (and 1 more: ${dir}/dsa110-port-health.timer)\n`,
    );
    expect(readdirSync(dir).sort()).toEqual(['dsa110-port-health.timer', 'redis-server.service.d']);
    expect(readlinkSync(join(dir, 'dsa110-port-health.timer'))).toBe('/dev/null');
    const check = await ports(['systemd', '--out', dir, '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`${dir}/redis-server.service.d/claim-port.conf: it is a FIFO (named pipe), not a regular file;`);
    expect(check.stdout).toContain(`${dir}/dsa110-port-health.timer: it is a symbolic link to "/dev/null" (a masked unit), which is never replaced;`);
    expectNoStack(check.stdout + check.stderr);
  });

  it.skipIf(!existsSync(healthCheck))("port-health-check's systemd check accepts exactly what it writes, and flags a drifted drop-in", async () => {
    if (!existsSync(join(repoRoot, 'packages/port-health-check/dist'))) throw new Error('packages/port-health-check is not built: run `pnpm build` first');
    const { root, unitDir } = stagedRoot();
    addPrintedClaimLines((await ports(['systemd', '--root', root])).stdout, unitDir);
    const systemdChecks = () => {
      const result = spawnSync(process.execPath, [healthCheck, '--root', root, '--format', 'json'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      const report = JSON.parse(result.stdout) as { checks: { check: string; service: string; severity: string; reason: string }[] };
      return Object.fromEntries(report.checks.filter((check) => check.check === 'systemd').map((check) => [check.service, check.severity]));
    };
    expect(systemdChecks()).toEqual({ grafana: 'ok', redis: 'ok', api: 'ok', prometheus: 'ok' });
    writeFileSync(join(unitDir, 'redis-server.service.d/claim-port.conf'), dropIn('/usr/local/bin/claim-port', 6380));
    expect(systemdChecks().redis).toBe('error');
  });

  describe('a unit-file claim of a template instance (systemd.unit: api@main.service, claim: unit)', () => {
    const ETC = 'etc/systemd/system';
    // The registry at ROOT/ports.yaml, as the booted system names it: every claim line names it.
    const LINE = 'ExecStartPre=+/usr/local/bin/claim-port 8000 --registry /ports.yaml';
    /** A root with the instance's template (and its own file when given) and a registry naming the instance. */
    function instanceRoot(files: Record<string, string>) {
      const root = tempDir('dsa110-ports-instance-');
      writeTree(root, { 'usr/local/bin/claim-port': '#!/bin/sh\nexit 0\n', ...files });
      chmodSync(join(root, 'usr/local/bin/claim-port'), 0o755);
      const registry = join(root, 'ports.yaml');
      writeFileSync(
        registry,
        'version: 1\nservices:\n  - id: api\n    name: API\n    group: production\n    port: 8000\n    protocol: HTTP\n    access: private\n' +
          '    configuredBy: none\n    robust: true\n    systemd: { unit: api@main.service, claim: unit }\n    processes: [python3]\n',
      );
      return { root, registry };
    }
    const unit = (...lines: string[]) => `[Service]\n${lines.join('\n')}\nExecStart=/bin/true\n`;

    it("says to put the line in the instance's own drop-in, not the template every instance reads (nor a file that would replace it); --check passes it", async () => {
      const { root, registry } = instanceRoot({ [`${ETC}/api@.service`]: unit() });
      const run = await ports(['systemd', '--registry', registry, '--root', root]);
      const dropIn = `${root}/${ETC}/api@main.service.d/override.conf`;
      expect(run.stdout).toContain(
        `api@main.service: its unit file claims the port; systemd loads it from the template ${root}/${ETC}/api@.service, which every instance reads (a line there would free this port whenever any instance starts), and a file api@main.service of its own would replace the template for it; put this line under a [Service] line in the drop-in ${dropIn} (the instance's own):\n${LINE}\n`,
      );
      writeTree(root, { [`${ETC}/api@main.service.d/override.conf`]: `[Service]\n${LINE}\n` });
      const checked = await ports(['systemd', '--check', '--registry', registry, '--root', root]);
      expect([checked.code, checked.stdout]).toEqual([0, expect.not.stringContaining('warning')]);
    });

    it("--check reads the template systemd loads when the instance has no file of its own: the line there passes with a warning, its absence gets the write's advice (the instance's own drop-in)", async () => {
      const inTemplate = instanceRoot({ [`${ETC}/api@.service`]: unit(LINE) });
      await ports(['systemd', '--registry', inTemplate.registry, '--root', inTemplate.root]);
      const passed = await ports(['systemd', '--check', '--registry', inTemplate.registry, '--root', inTemplate.root]);
      expect(passed.code).toBe(0);
      expect(passed.stdout).toContain(
        `warning: api@main.service: ${LINE} in /${ETC}/api@.service:2 claims port 8000 for api@main.service, but /${ETC}/api@.service is the unit file of the template api@.service, which every instance of it reads`,
      );
      const missing = instanceRoot({ [`${ETC}/api@.service`]: unit() });
      const wrote = await ports(['systemd', '--registry', missing.registry, '--root', missing.root]);
      const failed = await ports(['systemd', '--check', '--registry', missing.registry, '--root', missing.root]);
      expect(failed.code).toBe(1);
      // The write's advice, word for word: not "a file of its own", which would replace the template for the instance.
      const advice = `its unit file claims the port; systemd loads it from the template ${missing.root}/${ETC}/api@.service, which every instance reads (a line there would free this port whenever any instance starts), and a file api@main.service of its own would replace the template for it; put this line under a [Service] line in the drop-in ${missing.root}/${ETC}/api@main.service.d/override.conf (the instance's own)`;
      expect(wrote.stdout).toContain(`api@main.service: ${advice}:\n${LINE}\n`);
      expect(failed.stdout).toContain(`${missing.root}/${ETC}/api@.service: does not contain ${LINE} in its [Service] section: ${advice}\n`);
      // The instance's own file wins, as systemd has it: no warning.
      const own = instanceRoot({ [`${ETC}/api@.service`]: unit(), [`${ETC}/api@main.service`]: unit(LINE) });
      await ports(['systemd', '--registry', own.registry, '--root', own.root]);
      const clean = await ports(['systemd', '--check', '--registry', own.registry, '--root', own.root]);
      expect([clean.code, clean.stdout]).toEqual([0, expect.not.stringContaining('warning')]);
    });

    it('with --out, names the template escaped as it names the instance (a unit name may hold a backslash: systemd-escape writes \\x2d)', async () => {
      const { registry } = instanceRoot({});
      writeFileSync(registry, readFileSync(registry, 'utf8').replace('unit: api@main.service', "unit: 'a\\x2dpi@main.service'"));
      const out = tempDir('dsa110-ports-instance-out-');
      const run = await ports(['systemd', '--registry', registry, '--out', out]);
      expect(run.stdout).toContain(
        `a\\\\x2dpi@main.service: its unit file claims the port; its template a\\\\x2dpi@.service is read by every instance (a line there would free this port whenever any instance starts), and a file a\\\\x2dpi@main.service of its own would replace the template for it; put this line under a [Service] line in the drop-in ${out}/a\\\\x2dpi@main.service.d/override.conf (the instance's own):`,
      );
    });
  });

  describe.skipIf(!existsSync(healthCheck))('--check and the health check judge the effective unit with one model', () => {
    /** Units shipped in /usr/lib (as packages do), the output of `ports systemd --root`, and the unit-file claims. */
    async function wiredRoot() {
      const { root, unitDir } = stagedRoot();
      const libDir = join(root, 'usr/lib/systemd/system');
      mkdirSync(libDir, { recursive: true });
      for (const unit of ['redis-server.service', 'prometheus.service']) {
        writeFileSync(join(libDir, unit), readFileSync(join(unitDir, unit), 'utf8'));
        rmSync(join(unitDir, unit));
      }
      addPrintedClaimLines((await ports(['systemd', '--root', root])).stdout, unitDir);
      return root;
    }
    function healthRedis(root: string) {
      const result = spawnSync(process.execPath, [healthCheck, '--root', root, '--format', 'json'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      const report = JSON.parse(result.stdout) as { checks: { check: string; service: string; severity: string; reason: string }[] };
      return { code: result.status, checks: report.checks.filter((check) => check.check === 'systemd' && check.service === 'redis') };
    }

    it('both pass the wiring `ports systemd` writes over units in /usr/lib', async () => {
      const root = await wiredRoot();
      const run = await ports(['systemd', '--check', '--root', root]);
      expect(run.code).toBe(0);
      expect(healthRedis(root).checks.map((check) => check.severity)).toEqual(['ok']);
    });

    it.each([
      ['a later drop-in in the same directory', 'etc/systemd/system/redis-server.service.d/zz-override.conf'],
      ['a later drop-in in the type-wide service.d/', 'etc/systemd/system/service.d/zz-override.conf'],
      ['a later drop-in under /run', 'run/systemd/system/redis-server.service.d/zz-override.conf'],
    ])('both fail, naming the file and line, when %s clears ExecStartPre=', async (_, relative) => {
      const root = await wiredRoot();
      mkdirSync(join(root, relative, '..'), { recursive: true });
      writeFileSync(join(root, relative), '[Service]\nExecStartPre=\nExecStartPre=/bin/true\n');
      const where = `/${relative}:2`;
      const run = await ports(['systemd', '--check', '--root', root]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`redis-server.service: the empty ExecStartPre= in ${where} clears every earlier ExecStartPre=`);
      expect(run.stderr).toMatch(/^\d+ problems?: the files match the registry, but the units systemd would load/);
      expectNoStack(run.stderr);
      const health = healthRedis(root);
      expect(health.code).toBe(1);
      expect(health.checks).toEqual([
        expect.objectContaining({ severity: 'error', reason: expect.stringContaining(`the empty ExecStartPre= in ${where} clears`) }),
      ]);
    });

    it('both warn, and neither fails, on a claim without + in a unit with no User= (it runs as root)', async () => {
      const root = await wiredRoot();
      writeTree(root, {
        'etc/systemd/system/redis-server.service.d/zz-override.conf': '[Service]\nExecStartPre=\nExecStartPre=/usr/local/bin/claim-port 6379\n',
      });
      const run = await ports(['systemd', '--check', '--root', root]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        'warning: redis-server.service: ExecStartPre=/usr/local/bin/claim-port 6379 in /etc/systemd/system/redis-server.service.d/zz-override.conf:3 lacks the + prefix',
      );
      // (The health check's exit code also counts the other services of this root, which do not listen.)
      const health = healthRedis(root);
      expect(health.checks).toEqual([expect.objectContaining({ severity: 'warning', reason: expect.stringContaining('lacks the + prefix') })]);
    });

    it('both warn, and neither fails, on a claim line in a drop-in directory other units read too (redis-.service.d/)', async () => {
      const root = await wiredRoot();
      writeTree(root, { 'etc/systemd/system/redis-.service.d/zz-claim.conf': '[Service]\nExecStartPre=\nExecStartPre=+/usr/local/bin/claim-port 6379\n' });
      const run = await ports(['systemd', '--check', '--root', root]);
      expect(run.code).toBe(0);
      const warning =
        'ExecStartPre=+/usr/local/bin/claim-port 6379 in /etc/systemd/system/redis-.service.d/zz-claim.conf:3 claims port 6379 for redis-server.service, ' +
        'but /etc/systemd/system/redis-.service.d/ holds drop-ins every unit whose name starts with redis- reads';
      expect(run.stdout).toContain(`warning: redis-server.service: ${warning}`);
      expect(healthRedis(root).checks).toEqual([expect.objectContaining({ severity: 'warning', reason: expect.stringContaining(warning) })]);
    });

    it('both fail on a claim without + in a unit with User= (claim-port cannot signal other users)', async () => {
      const root = await wiredRoot();
      writeTree(root, {
        'etc/systemd/system/redis-server.service.d/zz-override.conf': '[Service]\nUser=redis\nExecStartPre=\nExecStartPre=/usr/local/bin/claim-port 6379\n',
      });
      const run = await ports(['systemd', '--check', '--root', root]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('lacks the + prefix, so claim-port runs as User=redis (/etc/systemd/system/redis-server.service.d/zz-override.conf:2)');
      const health = healthRedis(root);
      expect(health.code).toBe(1);
      expect(health.checks).toEqual([expect.objectContaining({ severity: 'error', reason: expect.stringContaining('runs as User=redis') })]);
    });

    /** A socket unit of the same name as redis-server.service, listening on LISTEN; enabled through sockets.target.wants when asked. */
    function socketUnit(root: string, listen: string, enabled: boolean) {
      writeTree(root, {
        'etc/systemd/system/redis-server.socket': `[Unit]\nDescription=redis socket\n\n[Socket]\n${listen}\n\n[Install]\nWantedBy=sockets.target\n`,
        ...(enabled && { 'etc/systemd/system/sockets.target.wants/redis-server.socket': { symlink: '/etc/systemd/system/redis-server.socket' } }),
      });
    }
    const CONFLICT =
      'redis-server.socket (same name) listens on ListenStream=127.0.0.1:6379 for redis-server.service, and it is enabled (/etc/systemd/system/sockets.target.wants): ' +
      'systemd (PID 1) holds port 6379 for it, and claim-port (ExecStartPre= at /etc/systemd/system/redis-server.service.d/claim-port.conf:3) never signals PID 1, ' +
      'so it refuses and redis-server.service can never start; drop the claim-port ExecStartPre= at /etc/systemd/system/redis-server.service.d/claim-port.conf:3 ' +
      '(systemd hands the socket over, so no stray process can hold the port), or drop the socket unit (remove or `systemctl mask redis-server.socket`)';

    it('both fail on a claim whose port an enabled socket unit listens on (PID 1 holds it; claim-port refuses), naming both units and the ListenStream= line', async () => {
      const root = await wiredRoot();
      socketUnit(root, 'ListenStream=127.0.0.1:6379', true);
      const run = await ports(['systemd', '--check', '--root', root]);
      expect(run.code).toBe(1);
      expect(run.stdout.split('\n')).toContain(`/etc/systemd/system/redis-server.socket:5: ${CONFLICT}`);
      expect(run.stderr).toMatch(/^1 problem: the files match the registry, but the units systemd would load/);
      expectNoStack(run.stderr);
      // The same verdict, word for word, from the health check.
      expect(healthRedis(root).checks.filter((check) => check.severity !== 'ok')).toEqual([
        expect.objectContaining({ severity: 'warning', reason: `redis (6379): ${CONFLICT}` }),
      ]);
      // Writing the wiring says so too (a warning: the files are what the registry asks for; --check fails).
      const write = await ports(['systemd', '--root', root]);
      expect(write.code).toBe(0);
      expect(write.stderr.split('\n')).toContain(`warning: /etc/systemd/system/redis-server.socket:5: ${CONFLICT}`);
    });

    it('both only warn while nothing starts the socket unit, and say nothing of one on another port', async () => {
      const root = await wiredRoot();
      socketUnit(root, 'ListenStream=6379', false);
      const run = await ports(['systemd', '--check', '--root', root]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        'warning: /etc/systemd/system/redis-server.socket:5: redis-server.socket (same name) listens on ListenStream=6379 for redis-server.service; it is not enabled, so claim-port works today',
      );
      expect(healthRedis(root).checks.map((check) => check.severity)).toEqual(['ok', 'info']);
      socketUnit(root, 'ListenStream=6380', true);
      const other = await ports(['systemd', '--check', '--root', root]);
      expect([other.code, other.stdout]).toEqual([0, expect.not.stringContaining('socket')]);
      expect(healthRedis(root).checks.map((check) => check.severity)).toEqual(['ok']);
    });

    it("both warn, word for word, when a claim can outlast the unit's start timeout, and neither once the unit gives it time", async () => {
      const root = await wiredRoot();
      const slow = 'etc/systemd/system/redis-server.service.d/zz-slow.conf';
      writeTree(root, { [slow]: '[Service]\nExecStartPre=\nExecStartPre=+/usr/local/bin/claim-port --timeout 100 6379\n' });
      const reason =
        "redis-server.service gives its start 90 s (no TimeoutStartSec= of its own, so systemd's default DefaultTimeoutStartSec=90s), and claim-port takes up to 107.25 s " +
        `(/${slow}:3 (--timeout 100 s), then up to 7.25 s of claim-port's own waits each: for killed processes to go, for a supervisor to take the port back, for the bind check): ` +
        'systemd would stop claim-port midway (ExecStartPre= runs within the start timeout) and redis-server.service would never start; ' +
        "set TimeoutStartSec= in its [Service] section to more than 107.25 s plus the service's own start-up (say TimeoutStartSec=198s), or give claim-port a shorter --timeout";
      const warning = `warning: /usr/lib/systemd/system/redis-server.service: ${reason}`;
      const run = await ports(['systemd', '--check', '--root', root]);
      expect([run.code, run.stdout.split('\n').filter((line) => line.startsWith('warning:'))]).toEqual([0, [warning]]);
      expect(healthRedis(root).checks).toContainEqual(expect.objectContaining({ severity: 'warning', reason: `redis (6379): ${reason}` }));
      // Writing the wiring says so too: the files are what the registry asks for, the unit's timeout is the operator's.
      const write = await ports(['systemd', '--root', root]);
      expect([write.code, write.stderr.split('\n').filter((line) => line.includes('start timeout'))]).toEqual([0, [warning]]);
      writeTree(root, { 'etc/systemd/system/redis-server.service.d/timeout.conf': '[Service]\nTimeoutStartSec=200\n' });
      for (const args of [
        ['systemd', '--check', '--root', root],
        ['systemd', '--root', root],
      ]) {
        const after = await ports(args);
        expect([after.code, after.stdout + after.stderr]).toEqual([0, expect.not.stringContaining('start timeout')]);
      }
      expect(healthRedis(root).checks.map((check) => check.reason)).not.toContainEqual(expect.stringContaining('start timeout'));
    });

    it('both fail when a later drop-in claims the wrong port', async () => {
      const root = await wiredRoot();
      writeTree(root, {
        'etc/systemd/system/redis-server.service.d/zz-override.conf': '[Service]\nExecStartPre=\nExecStartPre=+/usr/local/bin/claim-port 6380\n',
      });
      const run = await ports(['systemd', '--check', '--root', root]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('zz-override.conf:3 claims port 6380, but redis uses port 6379');
      expect(healthRedis(root).checks).toEqual([expect.objectContaining({ severity: 'error', reason: expect.stringContaining('claims port 6380') })]);
    });
  });
});

// Two runs of one registry, edited between them, writing one tree at once: strace holds each rename of the built bin's
// run (text B) 1.5 s, and a run of text A, started once B's first file is in place, rewrites only that file. B's later
// renames leave one drop-in claiming A's port and the other B's; before the read-back both runs exited 0. (Two
// registries' runs are refused before either writes: they share the health check's units.)
const strace = spawnSync('strace', ['-V']).status === 0;

describe.skipIf(!strace)(`ports systemd: two runs at once${strace ? '' : ' [skipped: strace is not installed]'}`, () => {
  it('the run whose rename came last reads the tree back, and exits 1 naming what the other wrote', async () => {
    const dir = checkout();
    const textB = replaceOnce(replaceOnce(rootRegistry, 'port: 6379', 'port: 6380'), 'port: 9090', 'port: 9091');
    const registry = join(dir, 'b.yaml');
    const out = join(dir, 'units');
    const ref = join(dir, 'ref-b');
    writeFileSync(registry, rootRegistry);
    expect((await ports(['--registry', 'b.yaml', 'systemd', '--out', out], { cwd: dir })).code).toBe(0);
    writeFileSync(registry, textB);
    expect((await ports(['--registry', 'b.yaml', 'systemd', '--out', ref], { cwd: dir })).code).toBe(0);
    const files = ['redis-server.service.d/claim-port.conf', 'prometheus.service.d/claim-port.conf', 'dsa110-port-health.service', 'dsa110-port-health.timer'];
    const differing = files.filter((path) => readFileSync(join(out, path), 'utf8') !== readFileSync(join(ref, path), 'utf8'));
    expect(differing).toEqual(['redis-server.service.d/claim-port.conf', 'prometheus.service.d/claim-port.conf']);
    // A reads the text it started from, written back once B has read its own and its first file is in place.
    const race = await twoWritersAtOnce('systemd', dir, out, ref, differing, {
      args: ['--registry', 'b.yaml'],
      before: () => writeFileSync(registry, rootRegistry),
    });
    expect(race.held).toBe(true);
    expect(race.runA!.stdout).toContain(`wrote ${join(out, race.first!)}\n`);
    expect(race.runA!.code).toBe(0);
    expect(race.bFiles()).toEqual(differing.filter((path) => path !== race.first));
    expect(race.stdout).toBe('');
    expect(race.stderr).toBe(
      `ports systemd: ${out}: another run wrote 1 of these 4 files at the same time (${join(out, race.first!)}); nothing there is known to match b.yaml: run "ports --registry b.yaml systemd --out ${out}" again\n`,
    );
    expect(race.code).toBe(1);
  }, 40_000);
});

describe('ports systemd: two registries written into one unit directory', () => {
  it('refuses to replace the health check of another registry that is still there, writing nothing; --check says so; a registry gone is replaced', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), rootRegistry);
    writeFileSync(join(dir, 'b.yaml'), rootRegistry);
    const units = join(dir, 'units');
    expect((await ports(['--registry', 'a.yaml', 'systemd', '--out', units], { cwd: dir })).code).toBe(0);
    const service = join(units, 'dsa110-port-health.service');
    const before = readFileSync(service, 'utf8');
    const taken =
      `it runs the port health check against ${dir}/a.yaml, not ${dir}/b.yaml; one unit directory holds one dsa110-port-health.service and dsa110-port-health.timer, ` +
      "so writing would replace the other registry's health check; merge the two registries into one and write from it, give this registry another --out, " +
      'or, if that registry is retired, remove dsa110-port-health.service and dsa110-port-health.timer first';
    const write = await ports(['--registry', 'b.yaml', 'systemd', '--out', units], { cwd: dir });
    expect(write).toMatchObject({ code: 1, stdout: '', stderr: `ports systemd: cannot write ${service}: ${taken}; nothing was written\n` });
    expect(readFileSync(service, 'utf8')).toBe(before);
    // Nothing else written either: the claim drop-ins still name a.yaml.
    expect(readFileSync(join(units, 'redis-server.service.d/claim-port.conf'), 'utf8')).toContain(`--registry ${dir}/a.yaml`);
    const check = await ports(['--registry', 'b.yaml', 'systemd', '--out', units, '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`${service}: ${taken}\n`);
    // The same registry again is no collision; one that is gone (moved, retired) leaves its unit to be replaced.
    expect((await ports(['--registry', 'a.yaml', 'systemd', '--out', units], { cwd: dir })).code).toBe(0);
    rmSync(join(dir, 'a.yaml'));
    expect((await ports(['--registry', 'b.yaml', 'systemd', '--out', units], { cwd: dir })).code).toBe(0);
    expect(readFileSync(service, 'utf8')).toContain(`--registry ${dir}/b.yaml`);
  });

  it('moves the health check it wrote for the bundled registry to a registry named later (the usual upgrade)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'b.yaml'), rootRegistry);
    const units = join(dir, 'units');
    mkdirSync(units);
    const service = join(units, 'dsa110-port-health.service');
    expect((await ports(['systemd', '--out', units], { cwd: dir })).code).toBe(0);
    expect(readFileSync(service, 'utf8')).not.toContain('--registry');
    const named = await ports(['--registry', 'b.yaml', 'systemd', '--out', units], { cwd: dir });
    expect(named.code).toBe(0);
    expect(named.stderr).not.toContain('cannot write');
    expect(readFileSync(service, 'utf8')).toContain(`--registry ${dir}/b.yaml`);
    // --check holds the health units to this registry now (the bundled run's claim drop-ins are another matter).
    expect((await ports(['--registry', 'b.yaml', 'systemd', '--out', units, '--check'], { cwd: dir })).stdout).not.toContain('dsa110-port-health');
  });

  it('compares registries as the booted system names them: `//`, `/./` and a link to the same file under --root are the same registry; another is refused', async () => {
    const { root, unitDir, claimPort } = stagedRoot();
    mkdirSync(join(root, 'etc/dsa110'), { recursive: true });
    writeFileSync(join(root, 'etc/dsa110/ports.yaml'), rootRegistry);
    symlinkSync('/etc/dsa110/ports.yaml', join(root, 'etc/dsa110/link.yaml'));
    writeFileSync(join(root, 'etc/dsa110/other.yaml'), rootRegistry);
    const args = ['systemd', '--root', root, '--claim-port', claimPort];
    expect((await ports(['--registry', join(root, 'etc/dsa110/ports.yaml'), ...args])).code).toBe(0);
    const service = join(unitDir, 'dsa110-port-health.service');
    const written = readFileSync(service, 'utf8');
    expect(written).toContain('--registry /etc/dsa110/ports.yaml ');
    // The unit's path spelt otherwise (`//`, `/./`), or a link inside the root to the same file: this run's to replace.
    for (const spelt of ['//etc/dsa110//ports.yaml', '/etc/./dsa110/ports.yaml', '/etc/dsa110/link.yaml']) {
      writeFileSync(service, written.replace('--registry /etc/dsa110/ports.yaml ', `--registry ${spelt} `));
      const run = await ports(['--registry', join(root, 'etc/dsa110/ports.yaml'), ...args]);
      expect([run.code, run.stderr]).toEqual([0, expect.not.stringContaining('cannot write')]);
      expect(readFileSync(service, 'utf8')).toBe(written);
    }
    const other = await ports(['--registry', join(root, 'etc/dsa110/other.yaml'), ...args]);
    expect(other).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `ports systemd: cannot write ${service}: it runs the port health check against /etc/dsa110/ports.yaml, not /etc/dsa110/other.yaml; one unit directory holds one dsa110-port-health.service and dsa110-port-health.timer, so writing would replace the other registry's health check; merge the two registries into one and write from it, or, if that registry is retired, remove dsa110-port-health.service and dsa110-port-health.timer first; nothing was written\n`,
    });
    expect(readFileSync(service, 'utf8')).toBe(written);
  });

  it('says what a hand-written unit of that name runs, and replaces none: another command, or the health check with --registry=, $DSA110_PORTS_FILE or no registry', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), rootRegistry);
    writeFileSync(join(dir, 'b.yaml'), rootRegistry);
    const units = join(dir, 'units');
    mkdirSync(units);
    const service = join(units, 'dsa110-port-health.service');
    const write = () => ports(['--registry', 'b.yaml', 'systemd', '--out', units], { cwd: dir });
    const check = () => ports(['--registry', 'b.yaml', 'systemd', '--out', units, '--check'], { cwd: dir });
    const cases: Array<[string, string]> = [
      [
        '[Service]\nType=oneshot\nExecStart=/usr/local/sbin/my-health --all\n',
        'it is not a unit `ports systemd` wrote (no "# Generated from ports.yaml by `ports systemd`; edit ports.yaml instead." line) and it runs /usr/local/sbin/my-health --all, not the port health check; rename that unit (and its timer) or remove it, then run `ports systemd` again',
      ],
      [
        '[Service]\nType=oneshot\n',
        'it is not a unit `ports systemd` wrote (no "# Generated from ports.yaml by `ports systemd`; edit ports.yaml instead." line) and it runs no ExecStart= command, not the port health check; rename that unit (and its timer) or remove it, then run `ports systemd` again',
      ],
      [
        `[Service]\nExecStart=/opt/bin/port-health-check --registry=${dir}/a.yaml --format prometheus\n`,
        `it runs the port health check against ${dir}/a.yaml, not ${dir}/b.yaml`,
      ],
      [
        `[Service]\nEnvironment="DSA110_PORTS_FILE=${dir}/a.yaml"\nExecStart=/opt/bin/port-health-check\n`,
        `it runs the port health check against ${dir}/a.yaml, not ${dir}/b.yaml`,
      ],
      [
        '[Service]\nExecStart=/usr/local/bin/port-health-check --format prometheus\n',
        `it runs the port health check against the health check's bundled registry (no --registry), not ${dir}/b.yaml`,
      ],
    ];
    for (const [text, said] of cases) {
      writeFileSync(service, text);
      const run = await write();
      expect([run.code, run.stdout]).toEqual([1, '']);
      expect(run.stderr.startsWith(`ports systemd: cannot write ${service}: ${said}`)).toBe(true);
      expect(run.stderr.endsWith('; nothing was written\n')).toBe(true);
      expect(readFileSync(service, 'utf8')).toBe(text);
      const checked = await check();
      expect(checked.code).toBe(1);
      expect(checked.stdout).toContain(`${service}: ${said}`);
      expect(checked.stdout).not.toContain('--- ');
    }
    // The same registry, however the hand-written unit names it, or one no longer there: replaced.
    for (const text of [
      `[Service]\nExecStart=/opt/bin/port-health-check --registry=${dir}//b.yaml\n`,
      '[Service]\nExecStart=/opt/bin/port-health-check --registry /gone/ports.yaml\n',
    ]) {
      writeFileSync(service, text);
      expect((await write()).code).toBe(0);
      expect(readFileSync(service, 'utf8')).toContain(`--registry ${dir}/b.yaml`);
    }
  });
});

describe.skipIf(!strace)(`ports systemd: systemd's [Manager] defaults${strace ? '' : ' [skipped: strace is not installed]'}`, () => {
  it('reads system.conf and its drop-in directories once a run, the write and --check alike, for DefaultEnvironment= and DefaultTimeoutStartSec=', async () => {
    requireBuilt();
    const root = tempDir();
    const service = (id: string, port: number, claim: string, by = 'hardcoded') =>
      `  - id: ${id}\n    name: ${id}\n    group: production\n    port: ${port}\n    protocol: TCP\n    access: localhost\n` +
      `    configuredBy: ${by}\n    robust: true\n    systemd: { unit: ${id}.service, claim: ${claim} }\n    processes: [${id}-primary]\n`;
    writeTree(root, {
      // mydb has a port variable (its unit is merged to see whether it sets it); myapi claims in its unit file, with no start timeout.
      'etc/dsa110/ports.yaml': `version: 1\nservices:\n${service('mydb', 41760, 'drop-in', '{ env: MYDB_PORT }')}${service('myapi', 41761, 'unit')}`,
      'etc/systemd/system/mydb.service': '[Service]\nExecStart=/bin/true\n',
      'etc/systemd/system/myapi.service': `[Service]\nExecStartPre=+/usr/local/bin/claim-port 41761 --registry /etc/dsa110/ports.yaml\nExecStart=/bin/true\n`,
      'etc/systemd/system.conf': '[Manager]\nDefaultEnvironment=A=1\nDefaultTimeoutStartSec=2min\n',
      'etc/systemd/system.conf.d/x.conf': '[Manager]\nDefaultTimeoutStartSec=3min\n',
    });
    const opened = (args: string[]) => {
      const trace = join(tempDir(), 'openat.txt');
      const traced = spawnSync('strace', ['-f', '-e', 'trace=openat', '-o', trace, process.execPath, bin, ...args], {
        encoding: 'utf8',
        env: { ...process.env, DSA110_PORTS_CACHE: 'off' },
      });
      expect([traced.status, traced.stderr]).toEqual([0, expect.any(String)]);
      const opens = readFileSync(trace, 'utf8').split('\n');
      return ['etc/systemd/system.conf', 'etc/systemd/system.conf.d', 'etc/systemd/system.conf.d/x.conf'].map(
        (path) => opens.filter((line) => line.includes(`"${join(root, path)}"`)).length,
      );
    };
    const args = ['--registry', join(root, 'etc/dsa110/ports.yaml'), 'systemd', '--root', root];
    expect(opened(args)).toEqual([1, 1, 1]);
    expect(opened([...args, '--check'])).toEqual([1, 1, 1]);
  });
});
