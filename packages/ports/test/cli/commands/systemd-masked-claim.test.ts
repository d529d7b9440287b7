// `ports systemd` on a `claim: unit` service whose unit is masked (its file a link to /dev/null, or empty: systemd
// takes both alike, `systemctl is-enabled` says "masked"): the write's advice and its summary say it is masked, with
// what removes the mask, and count it as --check does ("masked"), never among the lines "to add by hand" that --check
// would fail as "missing"; --check says an empty file is masked too, not that it lacks the line. Real trees in temp dirs.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const systemctl = ['/usr/bin/systemctl', '/bin/systemctl'].find((path) => existsSync(path));
const service = (id: string, port: number) =>
  `  - id: ${id}\n    name: ${id}\n    group: production\n    port: ${port}\n    protocol: TCP\n    access: localhost\n` +
  `    configuredBy: hardcoded\n    robust: true\n    systemd: { unit: ${id}.service, claim: unit }\n    processes: [node]\n`;
/** Two unit-file claims: `svc` (masked in each test) and `other` (its line missing: the one to add by hand). */
const REGISTRY = `version: 1\nservices:\n${service('svc', 8000)}${service('other', 8001)}`;
const UNIT = '[Service]\nExecStart=/bin/true\n';

/** What systemd says of the unit under `root` (systemctl --root, offline): "masked" for a link to /dev/null or an empty file. */
function systemdSays(root: string, unit: string): string {
  return spawnSync(systemctl!, [`--root=${root}`, 'is-enabled', unit], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } }).stdout.trim();
}

/** The registry in `dir` (a temp dir; under --root, the root: the units name it inside), and `ports --registry it systemd ARGS`. */
function withRegistry(dir = tempDir()) {
  const registry = join(writeTree(dir, { 'ports.yaml': REGISTRY }), 'ports.yaml');
  return { dir, run: (args: readonly string[]) => ports(['--registry', registry, 'systemd', ...args]) };
}

describe('ports systemd: a masked unit-file claim is counted as masked, as --check counts it', () => {
  it.each([
    ['a link to /dev/null', { symlink: '/dev/null' }],
    ['an empty file', ''],
  ] as const)('--out DIR, its unit file there %s: masked, with what to do, not "put this line" nor "missing"', async (_, masked) => {
    const { dir, run } = withRegistry();
    const out = join(dir, 'out');
    writeTree(out, { 'svc.service': masked, 'other.service': UNIT });
    const file = join(out, 'svc.service');
    if (systemctl) {
      // As systemd reads DIR once it is copied into place: masked.
      const root = tempDir();
      mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
      cpSync(file, join(root, 'etc/systemd/system/svc.service'), { verbatimSymlinks: true });
      expect(systemdSays(root, 'svc.service')).toBe('masked');
    }
    const write = await run(['--out', out]);
    expect(write.code).toBe(0);
    const mask = `${file} is empty or links to /dev/null, so once ${out} is copied into /etc/systemd/system systemd will not start it; remove it, or put the unit's file in its place`;
    expect(write.stdout).toContain(
      `svc.service: its unit file claims the port, but it is masked: ${mask}; then run this command again to learn where this line goes, or remove the service from the registry:\n`,
    );
    expect(write.stderr).toContain(
      `1 unit (other.service) claims its port in its own unit file, which this command never writes: add each ExecStartPre= line above by hand; \`ports --registry ${join(dir, 'ports.yaml')} systemd --out ${out} --check\` fails ("missing") until it has it\n`,
    );
    expect(write.stderr).toContain(
      `1 unit (svc.service) is masked, so systemd never starts it and no claim line of its runs: undo the mask as said above, or remove its service from the registry; \`ports --registry ${join(dir, 'ports.yaml')} systemd --out ${out} --check\` fails ("masked") until then\n`,
    );
    const check = await run(['--out', out, '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`svc.service: masked: ${mask}; then run`);
    expect(check.stdout).not.toMatch(/svc\.service: (missing|does not contain)/);
  });

  it.each([
    ['a link to /dev/null in /etc/systemd/system', 'etc/systemd/system', { symlink: '/dev/null' }],
    ["an empty file in /etc/systemd/system, over the package's unit", 'etc/systemd/system', ''],
    ["the package's unit file empty in /usr/lib/systemd/system", 'usr/lib/systemd/system', ''],
  ] as const)('--root, %s: the write and --check say masked, in the health check words (maskedUnitText)', async (_, where, masked) => {
    const root = tempDir();
    const { run } = withRegistry(root);
    writeTree(root, { 'usr/lib/systemd/system/svc.service': UNIT, 'usr/lib/systemd/system/other.service': UNIT });
    writeTree(root, { [`${where}/svc.service`]: masked });
    if (systemctl) expect(systemdSays(root, 'svc.service')).toBe('masked');
    const file = join(root, where, 'svc.service');
    const fix =
      where === 'etc/systemd/system'
        ? `unmask it: systemctl --root=${root} unmask svc.service (which removes ${file})`
        : `remove ${file} (systemctl unmask removes masks in /etc/systemd/system and /run/systemd/system only)`;
    const mask = `${file} is empty or links to /dev/null, so systemd will not start it; ${fix}`;
    const write = await run(['--root', root]);
    expect(write.code).toBe(0);
    expect(write.stdout).toContain(`svc.service: its unit file claims the port, but it is masked: ${mask}; then run this command again`);
    expect(write.stderr).toContain('1 unit (other.service) claims its port in a drop-in of its own');
    expect(write.stderr).toContain('1 unit (svc.service) is masked, so systemd never starts it');
    expect(write.stderr).not.toMatch(/svc\.service[^\n]*(claims its port|"missing")/);
    const check = await run(['--root', root, '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`svc.service: masked: ${mask}; then run`);
    expect(check.stdout).not.toMatch(/svc\.service: (missing|does not contain)/);
  });
});
