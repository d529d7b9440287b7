// `ports systemd` with a named registry, in-process on real trees: every claim
// line names it (--registry) as the health check's unit does, so that
// claim-port under systemd protects what that registry protects; under --root
// the registry lies inside the root and is named as the booted system sees it.
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUNDLED_CLAIM_FIX, parseExec } from '@dsa110/ports/systemd';
import { guardPort, isAlive, spawnListener } from '../../../../../test-support/index.js';
import { writeTree } from '../../../../../test-support/tree.js';
import { repoRoot } from '../../helpers.js';
import { ports, tempDir } from '../helpers.js';

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
const healthCheck = join(repoRoot, 'packages/port-health-check/bin/port-health-check.js');

/** A registry of two robust services on `port` and `port + 1`: mydb claims in a drop-in, myapi in its unit file; `protect` is claim.protect.processes. */
function registryText(port: number, protect: readonly string[] = []): string {
  const service = (id: string, at: number, claim: string) =>
    `  - id: ${id}\n    name: ${id}\n    group: production\n    port: ${at}\n    protocol: TCP\n    access: localhost\n` +
    `    configuredBy: hardcoded\n    robust: true\n    systemd: { unit: ${id}.service, claim: ${claim} }\n    processes: [${id}-primary]\n`;
  return `version: 1\nclaim:\n  timeoutSeconds: 2\n  protect:\n    processes: [${protect.join(', ')}]\nservices:\n${service('mydb', port, 'drop-in')}${service('myapi', port + 1, 'unit')}`;
}

/** The ExecStartPre= line of a unit file or drop-in. */
const claimLine = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .find((line) => line.startsWith('ExecStartPre='))!;

/** `systemd-analyze verify` of `unit` in the unit directory `unitDir` (its drop-ins read), as the other systemd tests run it. */
function verify(unitDir: string, unit: string) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(
      analyze!,
      ['verify', '--man=no', join(unitDir, unit)],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_UNIT_PATH: `${unitDir}:`, SYSTEMD_LOG_LEVEL: 'notice' } },
      (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
    );
  });
}

describe('ports systemd: the claim lines name the registry the health check names', () => {
  it('--registry (and $DSA110_PORTS_FILE): the drop-in and the printed unit-file line pass --registry ABSOLUTE, as the health unit does', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'reg2.yaml'), registryText(41700));
    for (const [args, env] of [
      [['--registry', 'reg2.yaml'], {}],
      [[], { DSA110_PORTS_FILE: 'reg2.yaml' }],
    ] as const) {
      const out = tempDir();
      const run = await ports([...args, 'systemd', '--out', out], { cwd: dir, env });
      expect(run.code, run.stderr).toBe(0);
      const registry = join(dir, 'reg2.yaml');
      expect(claimLine(join(out, 'mydb.service.d/claim-port.conf'))).toBe(`ExecStartPre=+/usr/local/bin/claim-port 41700 --registry ${registry}`);
      expect(run.stdout).toContain(`\nExecStartPre=+/usr/local/bin/claim-port 41701 --registry ${registry}\n`);
      expect(readFileSync(join(out, 'dsa110-port-health.service'), 'utf8')).toContain(`ExecStart=/usr/local/bin/port-health-check --registry ${registry} `);
    }
  });

  it('--check reports a claim without the right --registry as drift (a drop-in, a unit-file line), and accepts the right one', async () => {
    const dir = tempDir();
    const registry = join(dir, 'reg2.yaml');
    writeFileSync(registry, registryText(41700));
    const out = tempDir();
    const args = ['--registry', registry, 'systemd', '--out', out];
    const run = await ports(args);
    const printed = run.stdout.split('\n').find((line) => line.startsWith('ExecStartPre=') && line.includes(' 41701'))!;
    writeFileSync(join(out, 'myapi.service'), `[Service]\n${printed}\nExecStart=/bin/true\n`);
    expect(await ports([...args, '--check'])).toMatchObject({ code: 0, stderr: '' });

    // The line an operator had before: claim-port would read the bundled registry.
    const dropIn = join(out, 'mydb.service.d/claim-port.conf');
    const right = readFileSync(dropIn, 'utf8');
    writeFileSync(dropIn, right.replace(` --registry ${registry}`, ''));
    writeFileSync(join(out, 'myapi.service'), `[Service]\nExecStartPre=+/usr/local/bin/claim-port 41701\nExecStart=/bin/true\n`);
    let check = await ports([...args, '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`${dropIn}: differs from the registry (ExecStartPre=+/usr/local/bin/claim-port 41700 --registry ${registry});`);
    expect(check.stdout).toContain(`+ExecStartPre=+/usr/local/bin/claim-port 41700 --registry ${registry}\n`);
    expect(check.stdout).toContain(
      `${out}/myapi.service: does not contain ExecStartPre=+/usr/local/bin/claim-port 41701 --registry ${registry} in its [Service] section; replace its ExecStartPre=+/usr/local/bin/claim-port 41701 at myapi.service:2 with the line\n`,
    );
    // Another registry is not this one; the same one spelt otherwise (`//`, another place in the line) is.
    writeFileSync(
      join(out, 'myapi.service'),
      `[Service]\nExecStartPre=+/usr/local/bin/claim-port --registry /etc/dsa110/ports.yaml 41701\nExecStart=/bin/true\n`,
    );
    check = await ports([...args, '--check']);
    expect(check.stdout).toContain(`${out}/myapi.service: does not contain`);
    writeFileSync(dropIn, right);
    writeFileSync(
      join(out, 'myapi.service'),
      `[Service]\nExecStartPre=+/usr/local/bin/claim-port --registry ${registry.replace('/reg2', '//reg2')} 41701\nExecStart=/bin/true\n`,
    );
    expect(await ports([...args, '--check'])).toMatchObject({ code: 0, stderr: '' });
  });

  it('--check with the registry from $DSA110_PORTS_FILE: the command each hint names carries it as --registry, and does what the hint says', async () => {
    const root = tempDir();
    writeTree(root, { 'etc/dsa110/ports.yaml': registryText(41700), 'etc/systemd/system/myapi.service': '[Service]\nExecStart=/bin/true\n' });
    const env = { DSA110_PORTS_FILE: join(root, 'etc/dsa110/ports.yaml') };
    const check = await ports(['systemd', '--root', root, '--check'], { env });
    expect(check.code).toBe(1);
    const hint = `run \`ports --registry ${env.DSA110_PORTS_FILE} systemd --root ${root}\``;
    expect(check.stdout).toContain(
      `${root}/etc/systemd/system/mydb.service.d/claim-port.conf: missing: the registry wants ExecStartPre=+/usr/local/bin/claim-port 41700 --registry /etc/dsa110/ports.yaml for mydb.service; ${hint}\n`,
    );
    expect(check.stdout).not.toContain('run `ports systemd');
    // The hint run as it is, with no variable (sudo drops it): the same registry's wiring.
    const regenerate = await ports(['--registry', env.DSA110_PORTS_FILE, 'systemd', '--root', root]);
    expect(regenerate.code, regenerate.stderr).toBe(0);
    expect(claimLine(join(root, 'etc/systemd/system/mydb.service.d/claim-port.conf'))).toBe(
      'ExecStartPre=+/usr/local/bin/claim-port 41700 --registry /etc/dsa110/ports.yaml',
    );
  });

  it.skipIf(!analyze)('systemd-analyze verify accepts the drop-in that names the registry (a path with spaces, quoted)', async () => {
    const root = tempDir();
    const registry = join(root, 'etc/dsa110 ports/reg2.yaml');
    const claimPort = join(root, 'usr/local/bin/claim-port');
    writeTree(root, { 'etc/dsa110 ports/reg2.yaml': registryText(41700), 'usr/local/bin/claim-port': '#!/bin/sh\nexit 0\n' });
    chmodSync(claimPort, 0o755);
    const unitDir = join(root, 'etc/systemd/system');
    writeTree(unitDir, { 'mydb.service': '[Service]\nExecStart=/bin/true\n' });
    expect((await ports(['--registry', registry, 'systemd', '--out', unitDir, '--claim-port', claimPort])).code).toBe(0);
    expect(claimLine(join(unitDir, 'mydb.service.d/claim-port.conf'))).toBe(`ExecStartPre=+${claimPort} 41700 --registry "${registry}"`);
    expect(await verify(unitDir, 'mydb.service')).toEqual({ code: 0, stderr: '' });
  });

  it('end to end: the claim line it writes, run as the drop-in says, refuses to signal a holder the registry protects', async () => {
    // A holder named as the registry protects it, on a port leased for this test.
    const holder = await spawnListener({ name: 'mydb-primary' });
    const dir = tempDir();
    const registry = join(dir, 'reg2.yaml');
    writeFileSync(registry, registryText(holder.port, ['mydb-primary']));
    // claim-port from source, where the unit calls it; its parsed-registry cache off, so that nothing is left in /var/cache.
    const claimPort = join(dir, 'claim-port');
    const tsx = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href;
    writeFileSync(
      claimPort,
      `#!/bin/sh\nDSA110_PORTS_CACHE=off exec '${process.execPath}' --conditions development --import '${tsx}' '${join(repoRoot, 'packages/claim-port/src/bin.ts')}' "$@"\n`,
    );
    chmodSync(claimPort, 0o755);
    const out = tempDir();
    expect((await ports(['--registry', registry, 'systemd', '--out', out, '--claim-port', claimPort])).code).toBe(0);

    // The drop-in's command, word for word as systemd reads it, with no environment ($DSA110_PORTS_FILE unset, as
    // under systemd), from /; --dry-run, so that nothing is signalled whatever it decides.
    const line = claimLine(join(out, 'mydb.service.d/claim-port.conf'));
    const [command] = parseExec(line.slice('ExecStartPre='.length), new Map()).commands;
    expect(command!.prefixes).toBe('+');
    guardPort(holder.port);
    const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile(command!.path, [...command!.argv.slice(1), '--dry-run'], { env: {}, cwd: '/' }, (_error, stdout, stderr) =>
        resolve({ code: child.exitCode, output: `${stdout}${stderr}` }),
      );
    });
    expect(run.output).toContain('protected pattern "mydb-primary"');
    expect(run.code, run.output).toBe(1);
    expect(isAlive(holder.pid)).toBe(true);
  });
});

describe('ports systemd --root: the registry inside the root, named as the booted system sees it', () => {
  it('ROOT/etc/dsa110/ports.yaml is /etc/dsa110/ports.yaml in every unit, also through a link to ROOT; --check holds it', async () => {
    const root = tempDir();
    writeTree(root, { 'etc/dsa110/ports.yaml': registryText(41700), 'etc/systemd/system/myapi.service': '[Service]\nExecStart=/bin/true\n' });
    const link = join(tempDir(), 'image');
    symlinkSync(root, link);
    for (const registry of [join(root, 'etc/dsa110/ports.yaml'), join(link, 'etc/dsa110/ports.yaml')]) {
      const run = await ports(['--registry', registry, 'systemd', '--root', root]);
      expect(run.code, run.stderr).toBe(0);
      const unitDir = join(root, 'etc/systemd/system');
      expect(claimLine(join(unitDir, 'mydb.service.d/claim-port.conf'))).toBe(
        'ExecStartPre=+/usr/local/bin/claim-port 41700 --registry /etc/dsa110/ports.yaml',
      );
      expect(run.stdout).toContain('\nExecStartPre=+/usr/local/bin/claim-port 41701 --registry /etc/dsa110/ports.yaml\n');
      expect(readFileSync(join(unitDir, 'dsa110-port-health.service'), 'utf8')).toContain(
        'ExecStart=/usr/local/bin/port-health-check --registry /etc/dsa110/ports.yaml ',
      );
    }
    // The host path in a unit is drift: the booted system has no such file.
    const service = join(root, 'etc/systemd/system/dsa110-port-health.service');
    writeFileSync(service, readFileSync(service, 'utf8').replace('--registry /etc/dsa110/', `--registry ${root}/etc/dsa110/`));
    const check = await ports(['--registry', join(root, 'etc/dsa110/ports.yaml'), 'systemd', '--root', root, '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`${service}: differs from what \`ports systemd\` writes;`);
  });

  it.skipIf(!existsSync(join(repoRoot, 'packages/port-health-check/dist')))(
    "port-health-check's systemd check accepts the claim lines that name the registry, and `--check` passes; an override without it fails",
    async () => {
      const root = tempDir();
      const registry = join(root, 'etc/dsa110/ports.yaml');
      const unit = '[Service]\nExecStart=/bin/true\n';
      writeTree(root, { 'etc/dsa110/ports.yaml': registryText(41700), 'etc/systemd/system/mydb.service': unit, 'etc/systemd/system/myapi.service': unit });
      const run = await ports(['--registry', registry, 'systemd', '--root', root]);
      const printed = run.stdout.split('\n').find((line) => line.startsWith('ExecStartPre='))!;
      writeFileSync(join(root, 'etc/systemd/system/myapi.service'), `[Service]\n${printed}\nExecStart=/bin/true\n`);
      expect(await ports(['--registry', registry, 'systemd', '--root', root, '--check'])).toMatchObject({ code: 0, stderr: '' });
      const result = spawnSync(process.execPath, [healthCheck, '--root', root, '--registry', registry, '--format', 'json'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' },
      });
      const report = JSON.parse(result.stdout) as { checks: { check: string; service: string; severity: string; reason: string }[] };
      const systemd = report.checks.filter((check) => check.check === 'systemd');
      expect(Object.fromEntries(systemd.map((check) => [check.service, check.severity])), JSON.stringify(systemd)).toEqual({ mydb: 'ok', myapi: 'ok' });

      // An override that replaces the claim with one that reads another registry: the unit systemd loads fails --check.
      writeTree(root, { 'etc/systemd/system/mydb.service.d/zz-override.conf': '[Service]\nExecStartPre=\nExecStartPre=+/usr/local/bin/claim-port 41700\n' });
      const check = await ports(['--registry', registry, 'systemd', '--root', root, '--check']);
      expect(check.code).toBe(1);
      expect(check.stdout).toBe(
        'mydb.service: ExecStartPre=+/usr/local/bin/claim-port 41700 in /etc/systemd/system/mydb.service.d/zz-override.conf:3 names no --registry and its unit sets no $DSA110_PORTS_FILE, so claim-port reads its bundled registry, not /etc/dsa110/ports.yaml, the registry checked here, and the two differ in what this claim uses: its claim timeout (claim.timeoutSeconds): 5 there, 2 here; its services nginx, vite, grafana, vite-default, redis and 5 more (in one registry only, or on another port, port variable or unit); its reserved ranges; give it --registry /etc/dsa110/ports.yaml\n',
      );
      // The override's unit sets $DSA110_PORTS_FILE to the registry: claim-port reads it, so both tools pass it.
      writeTree(root, { 'etc/systemd/system/mydb.service.d/zz-registry.conf': '[Service]\nEnvironment=DSA110_PORTS_FILE=/etc/dsa110//ports.yaml\n' });
      expect(await ports(['--registry', registry, 'systemd', '--root', root, '--check'])).toMatchObject({ code: 0, stderr: '' });
      // Another file there: said with where the variable is set.
      writeTree(root, { 'etc/systemd/system/mydb.service.d/zz-registry.conf': '[Service]\nEnvironment=DSA110_PORTS_FILE=/srv/old.yaml\n' });
      const other = await ports(['--registry', registry, 'systemd', '--root', root, '--check']);
      expect(other.code).toBe(1);
      expect(other.stdout).toContain(
        'names no --registry, so claim-port reads $DSA110_PORTS_FILE=/srv/old.yaml (/etc/systemd/system/mydb.service.d/zz-registry.conf:2), not /etc/dsa110/ports.yaml',
      );
    },
  );

  it("--check under --root reads systemd's DefaultEnvironment= (system.conf and its drop-ins): a unit that inherits $DSA110_PORTS_FILE from it reads that registry", async () => {
    const root = tempDir();
    const registry = join(root, 'etc/dsa110/ports.yaml');
    writeTree(root, {
      'etc/dsa110/ports.yaml': registryText(41700),
      'etc/systemd/system.conf': '[Manager]\nDefaultEnvironment=DSA110_PORTS_FILE=/etc/dsa110/ports.yaml\n',
      'etc/systemd/system/mydb.service': '[Service]\nExecStart=/bin/true\n',
      'etc/systemd/system/myapi.service': '[Service]\nExecStartPre=+/usr/local/bin/claim-port 41701 --registry /etc/dsa110/ports.yaml\nExecStart=/bin/true\n',
    });
    expect((await ports(['--registry', registry, 'systemd', '--root', root])).code).toBe(0);
    // An override's claim line without --registry: claim-port reads $DSA110_PORTS_FILE from DefaultEnvironment=, the registry checked.
    writeTree(root, { 'etc/systemd/system/mydb.service.d/zz-override.conf': '[Service]\nExecStartPre=\nExecStartPre=+/usr/local/bin/claim-port mydb\n' });
    expect(await ports(['--registry', registry, 'systemd', '--root', root, '--check'])).toMatchObject({ code: 0, stderr: '' });
    // A drop-in of system.conf that names another registry: said with where it is set.
    writeTree(root, {
      'etc/dsa110/old.yaml': registryText(41700),
      'etc/systemd/system.conf.d/50-registry.conf': '[Manager]\nDefaultEnvironment=DSA110_PORTS_FILE=/etc/dsa110/old.yaml\n',
    });
    // A copy of the registry checked: claim-port does the same with it today, so a warning that says so, not a problem.
    const other = await ports(['--registry', registry, 'systemd', '--root', root, '--check']);
    expect(other.code).toBe(0);
    expect(`${other.stdout}${other.stderr}`).toContain(
      'names no --registry, so claim-port reads $DSA110_PORTS_FILE=/etc/dsa110/old.yaml (/etc/systemd/system.conf.d/50-registry.conf:2), not /etc/dsa110/ports.yaml, the registry checked here; the two agree on all this claim uses',
    );
  });

  it("--check under --root reads a claim line's relative registry path in the unit's WorkingDirectory= (`/` without one), as claim-port reads it; `~` is said, not guessed", async () => {
    const root = tempDir();
    const registry = join(root, 'etc/dsa110/ports.yaml');
    writeTree(root, {
      'etc/dsa110/ports.yaml': registryText(41700),
      'etc/systemd/system/mydb.service': '[Service]\nExecStart=/bin/true\n',
      'etc/systemd/system/myapi.service': '[Service]\nExecStartPre=+/usr/local/bin/claim-port 41701 --registry /etc/dsa110/ports.yaml\nExecStart=/bin/true\n',
    });
    expect((await ports(['--registry', registry, 'systemd', '--root', root])).code).toBe(0);
    const override = (...lines: string[]) =>
      writeTree(root, {
        'etc/systemd/system/mydb.service.d/zz-override.conf': `[Service]\n${lines.join('\n')}\nExecStartPre=\nExecStartPre=+/usr/local/bin/claim-port mydb --registry ${lines.length > 0 ? 'ports.yaml' : 'etc/dsa110/ports.yaml'}\n`,
      });
    const check = () => ports(['--registry', registry, 'systemd', '--root', root, '--check']);
    // No WorkingDirectory=: claim-port runs in /, so etc/dsa110/ports.yaml is the registry checked.
    override();
    expect(await check()).toMatchObject({ code: 0, stderr: '' });
    override('WorkingDirectory=/etc/dsa110');
    expect(await check()).toMatchObject({ code: 0, stderr: '' });
    override('WorkingDirectory=/srv');
    let run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'zz-override.conf:4 reads --registry ports.yaml (/srv/ports.yaml: in WorkingDirectory=/srv (/etc/systemd/system/mydb.service.d/zz-override.conf:2)), not /etc/dsa110/ports.yaml, the registry checked here',
    );
    override('User=mydb', 'WorkingDirectory=~');
    run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'zz-override.conf:5 reads --registry ports.yaml (in WorkingDirectory=~ (/etc/systemd/system/mydb.service.d/zz-override.conf:3), which this check cannot resolve), not /etc/dsa110/ports.yaml',
    );
  });

  it("--check resolves a claim line's service id in the registry the line reads, as claim-port and the health check do: another port there, or a registry claim-port cannot load, is said", async () => {
    const root = tempDir();
    const registry = join(root, 'etc/dsa110/ports.yaml');
    writeTree(root, {
      'etc/dsa110/ports.yaml': registryText(41700),
      'etc/dsa110/other.yaml': registryText(41800),
      'etc/systemd/system/mydb.service': '[Service]\nExecStart=/bin/true\n',
      'etc/systemd/system/myapi.service': '[Service]\nExecStartPre=+/usr/local/bin/claim-port 41701 --registry /etc/dsa110/ports.yaml\nExecStart=/bin/true\n',
    });
    expect((await ports(['--registry', registry, 'systemd', '--root', root])).code).toBe(0);
    expect((await ports(['--registry', registry, 'systemd', '--root', root, '--check'])).code).toBe(0);
    for (const [named, says] of [
      ['/etc/dsa110/other.yaml', 'claims port 41800, but mydb uses port 41700; it would free the wrong port'],
      ['/etc/dsa110/missing.yaml', `claim-port cannot load the registry it reads, /etc/dsa110/missing.yaml under ${root}: `],
    ] as const) {
      // An override of the operator's that replaces the claim: the effective unit is judged.
      writeTree(root, {
        'etc/systemd/system/mydb.service.d/zz-override.conf': `[Service]\nExecStartPre=\nExecStartPre=+/usr/local/bin/claim-port mydb --registry ${named}\n`,
      });
      const check = await ports(['--registry', registry, 'systemd', '--root', root, '--check']);
      expect(check.code, named).toBe(1);
      expect(check.stdout, named).toContain(says);
    }
  });

  it('the bundled registry: --check reports a claim line that names a registry (--registry; under --root, $DSA110_PORTS_FILE in its unit too) as drift, whatever that file holds', async () => {
    const out = tempDir();
    // The bundled registry's two units that claim in their own file, each with its line.
    const unitText = (lines: string) => `[Service]\nExecStart=/bin/true\n${lines}`;
    writeFileSync(join(out, 'grafana-simple.service'), unitText('ExecStartPre=+/usr/local/bin/claim-port 3030\n'));
    writeFileSync(join(out, 'dsa110-api.service'), unitText('ExecStartPre=+/usr/local/bin/claim-port 8000\n'));
    expect((await ports(['systemd', '--out', out])).code).toBe(0);
    expect((await ports(['systemd', '--out', out, '--check'])).code).toBe(0);
    writeFileSync(join(out, 'dsa110-api.service'), unitText('ExecStartPre=+/usr/local/bin/claim-port 8000 --registry /nonexistent/ports.yaml\n'));
    const check = await ports(['systemd', '--out', out, '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      `${join(out, 'dsa110-api.service')}: does not contain ExecStartPre=+/usr/local/bin/claim-port 8000 in its [Service] section; replace its ExecStartPre=+/usr/local/bin/claim-port 8000 --registry /nonexistent/ports.yaml at dsa110-api.service:3 with the line`,
    );
    // Under --root the unit that loads is judged: the exact line, but its unit's $DSA110_PORTS_FILE names another registry.
    const root = tempDir();
    const api = 'etc/systemd/system/dsa110-api.service';
    writeTree(root, {
      'usr/local/bin/claim-port': { text: '#!/bin/sh\n', mode: 0o755 },
      'etc/systemd/system/grafana-simple.service': unitText('ExecStartPre=+/usr/local/bin/claim-port 3030\n'),
      [api]: unitText('ExecStartPre=+/usr/local/bin/claim-port 8000\n'),
    });
    expect((await ports(['systemd', '--root', root])).code).toBe(0);
    expect((await ports(['systemd', '--root', root, '--check'])).stdout).not.toContain('dsa110-api.service:');
    writeTree(root, { [api]: unitText('Environment=DSA110_PORTS_FILE=/etc/dsa110/ports.yaml\nExecStartPre=+/usr/local/bin/claim-port 8000\n') });
    const rootCheck = await ports(['systemd', '--root', root, '--check']);
    expect(rootCheck.code).toBe(1);
    expect(rootCheck.stdout).toContain(
      `dsa110-api.service: ExecStartPre=+/usr/local/bin/claim-port 8000 in /${api}:4 names no --registry, so claim-port reads $DSA110_PORTS_FILE=/etc/dsa110/ports.yaml (/${api}:3), not the bundled registry, the registry checked here: its protected processes and claim timeout would not apply; ${BUNDLED_CLAIM_FIX}`,
    );
  });

  it('a registry outside ROOT is a usage error in one line, and nothing is written', async () => {
    const root = tempDir();
    const outside = join(tempDir(), 'reg2.yaml');
    writeFileSync(outside, registryText(41700));
    for (const check of [[], ['--check']]) {
      const run = await ports(['--registry', outside, 'systemd', '--root', root, ...check]);
      expect(run).toMatchObject({ code: 64, stdout: '' });
      expect(run.stderr).toBe(
        `ports systemd: the registry path "${outside}" (from --registry) cannot go into the units: it is outside --root ${root} (it is ${outside}), so the booted system would not have it; copy it into ${root} (e.g. as ${root}/etc/dsa110/ports.yaml) and name that copy\nRun "ports systemd --help" for usage.\n`,
      );
    }
    expect(existsSync(join(root, 'etc'))).toBe(false);
    // A link inside ROOT to the host's file is no copy: the booted system would follow it inside ROOT.
    writeTree(root, { 'etc/dsa110/ports.yaml': { symlink: outside } });
    const linked = await ports(['--registry', join(root, 'etc/dsa110/ports.yaml'), 'systemd', '--root', root]);
    expect(linked.code).toBe(64);
    expect(linked.stderr).toMatch(
      /^ports systemd: the registry path "[^"\n]+" \(from --registry\) cannot go into the units: inside --root [^\n]* it is \/etc\/dsa110\/ports\.yaml, but a link there leads this host to [^\n]*reg2\.yaml, another file than the booted system would read; copy it into [^\n]*\n/,
    );
  });

  it('--out DIR keeps the host path: a plain directory, not a root', async () => {
    const dir = tempDir();
    const registry = join(dir, 'etc/dsa110/ports.yaml');
    writeTree(dir, { 'etc/dsa110/ports.yaml': registryText(41700) });
    const out = join(dir, 'etc/systemd/system');
    expect((await ports(['--registry', registry, 'systemd', '--out', out])).code).toBe(0);
    expect(claimLine(join(out, 'mydb.service.d/claim-port.conf'))).toBe(`ExecStartPre=+/usr/local/bin/claim-port 41700 --registry ${registry}`);
  });
});

describe("ports systemd --check under --root: a stray claim line's --registry names the checked registry however it is spelled", () => {
  it('reports one that names it another way (.., a link) or names no registry (missing, relative: claim-port then uses its built-in list); leaves one naming another registry file', async () => {
    const root = tempDir();
    const registry = join(root, 'etc/dsa110/ports.yaml');
    const stray = (named: string) => `[Service]\nExecStart=/bin/true\nExecStartPre=+/usr/local/bin/claim-port 41700 --registry ${named}\n`;
    writeTree(root, {
      'etc/dsa110/ports.yaml': registryText(41700),
      'etc/other/ports.yaml': registryText(41800),
      'etc/ports-link.yaml': { symlink: 'dsa110/ports.yaml' },
      'etc/systemd/system/mydb.service': '[Service]\nExecStart=/bin/true\n',
    });
    expect((await ports(['--registry', registry, 'systemd', '--root', root])).code).toBe(0);
    const unitDir = join(root, 'etc/systemd/system');
    writeFileSync(
      join(unitDir, 'myapi.service'),
      '[Service]\nExecStart=/bin/true\nExecStartPre=+/usr/local/bin/claim-port 41701 --registry /etc/dsa110/ports.yaml\n',
    );
    const check = () => ports(['--registry', registry, 'systemd', '--root', root, '--check']);
    expect(await check()).toMatchObject({ code: 0 });
    writeTree(unitDir, {
      'u-dots.service': stray('/etc/dsa110/../dsa110/ports.yaml'),
      'u-link.service': stray('/etc/ports-link.yaml'),
      'u-missing.service': stray('/nonexistent/ports.yaml'),
      'u-relative.service': stray('relative.yaml'),
      'u-other.service': stray('/etc/other/ports.yaml'),
    });
    const run = await check();
    expect(run.code).toBe(1);
    const reported = run.stdout
      .split('\n')
      .filter((line) => line.includes(': unexpected: '))
      .map((line) => line.slice(unitDir.length + 1, line.indexOf(':', unitDir.length + 1)));
    expect(reported.sort()).toEqual(['u-dots.service', 'u-link.service', 'u-missing.service', 'u-relative.service']);
  });
});

describe('ports systemd --check: the registry the units name is known by its file, as port-health-check knows it', () => {
  it('under --root, units written for the registry pass a --check that names it through a link or `..` (and the other way round); another file, or a path that names none, is still drift', async () => {
    const root = tempDir();
    writeTree(root, {
      'etc/dsa110/ports.yaml': registryText(41700),
      'etc/other/ports.yaml': registryText(41700),
      'etc/ports-link.yaml': { symlink: 'dsa110/ports.yaml' },
      'etc/other-link.yaml': { symlink: 'other/ports.yaml' },
      // /etc/deep/../ports.yaml is /etc/dsa110/ports.yaml inside the root (etc/deep -> dsa110/sub), not /etc/ports.yaml.
      'etc/dsa110/sub/.keep': '',
      'etc/deep': { symlink: 'dsa110/sub' },
    });
    const registry = join(root, 'etc/dsa110/ports.yaml');
    const unitDir = join(root, 'etc/systemd/system');
    const check = (named: string) => ports(['--registry', named, 'systemd', '--root', root, '--check']);
    const write = async (named: string) => {
      expect((await ports(['--registry', named, 'systemd', '--root', root])).code).toBe(0);
      writeFileSync(
        join(unitDir, 'myapi.service'),
        `[Service]\nExecStartPre=+/usr/local/bin/claim-port 41701 --registry ${named.slice(root.length)}\nExecStart=/bin/true\n`,
      );
      writeFileSync(join(unitDir, 'mydb.service'), '[Service]\nExecStart=/bin/true\n');
    };
    await write(registry);
    expect(await check(registry)).toMatchObject({ code: 0, stderr: '' });
    // The drop-in, the unit file's line and the health unit name /etc/dsa110/ports.yaml: the file the link names.
    expect(await check(join(root, 'etc/ports-link.yaml'))).toMatchObject({ code: 0, stderr: '' });
    // A line naming it through `..` after a link (/etc/deep/.. is /etc/dsa110 there): that file too.
    writeFileSync(
      join(unitDir, 'myapi.service'),
      '[Service]\nExecStartPre=+/usr/local/bin/claim-port 41701 --registry /etc/deep/../ports.yaml\nExecStart=/bin/true\n',
    );
    expect(await check(registry)).toMatchObject({ code: 0, stderr: '' });
    // Written through the link, checked by the file's own name.
    await write(join(root, 'etc/ports-link.yaml'));
    expect(claimLine(join(unitDir, 'mydb.service.d/claim-port.conf'))).toBe('ExecStartPre=+/usr/local/bin/claim-port 41700 --registry /etc/ports-link.yaml');
    expect(await check(registry)).toMatchObject({ code: 0, stderr: '' });
    // Another file with the same text is another registry: drift, as before, in each file.
    for (const named of [join(root, 'etc/other/ports.yaml'), join(root, 'etc/other-link.yaml')]) {
      const run = await check(named);
      expect(run.code, named).toBe(1);
      expect(run.stdout).toContain(`${unitDir}/mydb.service.d/claim-port.conf: differs from the registry`);
      expect(run.stdout).toContain(`${unitDir}/myapi.service: does not contain`);
      expect(run.stdout).toContain(
        `${unitDir}/dsa110-port-health.service: it runs the port health check against /etc/ports-link.yaml, not ${named.slice(root.length)};`,
      );
    }
    // A line naming a path that is no file there is compared as written: not the registry.
    writeFileSync(
      join(unitDir, 'myapi.service'),
      '[Service]\nExecStartPre=+/usr/local/bin/claim-port 41701 --registry /etc/gone/ports.yaml\nExecStart=/bin/true\n',
    );
    expect((await check(registry)).stdout).toContain(`${unitDir}/myapi.service: does not contain`);
  });

  it('--out: a unit that names the registry through a link on this host passes --check (drop-in, unit-file line, health unit)', async () => {
    const dir = tempDir();
    writeTree(dir, { 'reg/ports.yaml': registryText(41700), 'link.yaml': { symlink: 'reg/ports.yaml' } });
    const registry = join(dir, 'reg/ports.yaml');
    const out = join(dir, 'units');
    const run = await ports(['--registry', join(dir, 'link.yaml'), 'systemd', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    writeFileSync(
      join(out, 'myapi.service'),
      `[Service]\nExecStartPre=+/usr/local/bin/claim-port 41701 --registry ${join(dir, 'link.yaml')}\nExecStart=/bin/true\n`,
    );
    expect(await ports(['--registry', registry, 'systemd', '--out', out, '--check'])).toMatchObject({ code: 0, stderr: '' });
    writeFileSync(join(dir, 'copy.yaml'), registryText(41700));
    const other = await ports(['--registry', join(dir, 'copy.yaml'), 'systemd', '--out', out, '--check']);
    expect(other.code).toBe(1);
    expect(other.stdout).toContain(`${out}/mydb.service.d/claim-port.conf: differs from the registry`);
  });
});
