// `ports monitoring` and the files of its tree it does not make: one that Grafana reads with its own (a second data
// source, another dashboard) fails --check and gets a warning from the write, which removes none; one no loader reads
// (a note, a backup, a file beside the rules file that prometheus.yml does not name) is not drift.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasCommand } from '../../../../../test-support/commands.js';
import { checkout, CONTROL, ports, requireBuilt } from '../helpers.js';

beforeAll(requireBuilt);

const SECOND_SOURCE = "apiVersion: 1\ndatasources:\n  - name: 'Other'\n    type: 'prometheus'\n    url: 'http://127.0.0.1:29090'\n    isDefault: true\n";
const DATASOURCES = 'Grafana reads every *.yaml and *.yml file of its provisioning/datasources directory, dot-files included';
const DASHBOARDS =
  "Grafana's dashboard provider reads every *.json file under /var/lib/grafana/dashboards/dsa110, where this directory is installed, and in its subdirectories not named .*, dot-files included";
const ALERTING =
  "Grafana reads every *.yaml, *.yml and *.json file of provisioning/alerting once the tree's provisioning directory is installed as its own, dot-files included";
const PROVIDERS = 'Grafana reads every *.yaml and *.yml file of its provisioning/dashboards directory, dot-files included';

/** The line --check prints (and the write after `warning: `) for an entry of `out` that Grafana reads and ports.yaml does not make. */
function extraLine(out: string, path: string, kind: string, loader: string): string {
  return `${out}/${path}: ${kind} that ports.yaml does not make, which Grafana reads with this tool's files (${loader}), and which this tool never removes; remove it, or if it is meant to stay, keep it outside ${out}`;
}

describe('ports monitoring: files of the tree the registry does not make', () => {
  it('--check fails on each one Grafana would read, by its loaders’ rules; the write warns and removes none', async () => {
    const dir = checkout();
    const out = join(dir, 'mon');
    expect((await ports(['monitoring', '--out', out], { cwd: dir })).code).toBe(0);
    // Read by Grafana: a second default data source, a dot-file, a directory in a file's place, a link, a dashboard deeper down.
    writeFileSync(join(out, 'grafana/provisioning/datasources/other.yml'), SECOND_SOURCE);
    writeFileSync(join(out, 'grafana/provisioning/datasources/.hidden.yaml'), SECOND_SOURCE);
    mkdirSync(join(out, 'grafana/provisioning/datasources/old.yml'));
    symlinkSync('/dev/null', join(out, 'grafana/provisioning/dashboards/more.yaml'));
    mkdirSync(join(out, 'grafana/dashboards/team'));
    // Beside the tree's provisioning directories, one Grafana reads too once that directory is installed as its own:
    // a contact point there would send every alert where it says.
    mkdirSync(join(out, 'grafana/provisioning/alerting'));
    writeFileSync(join(out, 'grafana/provisioning/alerting/contact.json'), '{}\n');
    writeFileSync(join(out, 'grafana/dashboards/team/other.json'), '{}\n');
    // Read by none: names the loaders skip, a directory the dashboard walk skips, the fleet's list, and a rules file
    // prometheus.yml does not name (rule_files lists rules/dsa110-ports.rules.yml, no glob).
    writeFileSync(join(out, 'grafana/provisioning/datasources/other.yml.bak'), SECOND_SOURCE);
    writeFileSync(join(out, 'grafana/dashboards/README.md'), 'notes\n');
    mkdirSync(join(out, 'grafana/dashboards/.old'));
    writeFileSync(join(out, 'grafana/dashboards/.old/dsa110-ports.json'), '{}\n');
    writeFileSync(join(out, 'prometheus/targets/node/h1.yml'), "- targets: ['h1:9100']\n");
    writeFileSync(join(out, 'prometheus/rules/extra.rules.yml'), 'groups: []\n');

    const lines = [
      extraLine(out, 'grafana/dashboards/team/other.json', 'a file', DASHBOARDS),
      extraLine(out, 'grafana/provisioning/alerting/contact.json', 'a file', ALERTING),
      extraLine(out, 'grafana/provisioning/dashboards/more.yaml', 'a symbolic link', PROVIDERS),
      extraLine(out, 'grafana/provisioning/datasources/.hidden.yaml', 'a file', DATASOURCES),
      extraLine(out, 'grafana/provisioning/datasources/old.yml', 'a directory', DATASOURCES),
      extraLine(out, 'grafana/provisioning/datasources/other.yml', 'a file', DATASOURCES),
    ];
    const summary = `6 files under ${out} are not made from ports.yaml but would be read by Grafana with this tool's (listed above), and "ports monitoring --out ${out}" never removes a file; remove them, or keep them outside ${out}`;
    expect(await ports(['monitoring', '--out', out, '--check'], { cwd: dir })).toEqual({
      code: 1,
      stdout: lines.map((line) => `${line}\n`).join(''),
      stderr: `${summary}\n`,
    });
    // The write cannot tell a file it wrote from an operator's copy of one: it says so, leaves them, and succeeds.
    expect(await ports(['monitoring', '--out', out], { cwd: dir })).toEqual({
      code: 0,
      stdout: `${out}: already up to date from ports.yaml\n`,
      stderr: lines.map((line) => `warning: ${line}\n`).join(''),
    });
    expect(readdirSync(join(out, 'grafana/provisioning/datasources')).sort()).toEqual([
      '.hidden.yaml',
      'dsa110-prometheus.yml',
      'old.yml',
      'other.yml',
      'other.yml.bak',
    ]);
    // In a git work tree, the fix ends with committing the removal.
    mkdirSync(join(dir, '.git'));
    expect((await ports(['monitoring', '--out', out, '--check'], { cwd: dir })).stderr).toBe(
      `${summary.replace('remove them,', 'remove them, then commit the removal,')}\n`,
    );
    // Done as told: only the files Grafana reads were in the way.
    for (const path of [
      'grafana/provisioning/datasources/other.yml',
      'grafana/provisioning/datasources/.hidden.yaml',
      'grafana/provisioning/datasources/old.yml',
      'grafana/provisioning/dashboards/more.yaml',
      'grafana/dashboards/team',
      'grafana/provisioning/alerting/contact.json',
    ])
      rmSync(join(out, path), { recursive: true });
    expect(await ports(['monitoring', '--out', out, '--check'], { cwd: dir })).toMatchObject({ code: 0, stderr: '' });
  });

  it('a name with a line break or a terminal escape is printed escaped', async () => {
    const dir = checkout();
    const out = join(dir, 'mon');
    expect((await ports(['monitoring', '--out', out], { cwd: dir })).code).toBe(0);
    writeFileSync(join(out, 'grafana/provisioning/datasources/a\nok: b\u001b[31m.yml'), SECOND_SOURCE);
    const check = await ports(['monitoring', '--out', out, '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toBe(`${extraLine(out, 'grafana/provisioning/datasources/a\\nok: b\\e[31m.yml', 'a file', DATASOURCES)}\n`);
    const write = await ports(['monitoring', '--out', out], { cwd: dir });
    for (const output of [check.stdout, check.stderr, write.stdout, write.stderr]) expect(output).not.toMatch(CONTROL);
  });

  it.skipIf(!hasCommand('promtool', ['--version']))(
    'a file beside the rules file is not loaded: promtool check config, run from the tree, finds the one rules file',
    async () => {
      const dir = checkout();
      const out = join(dir, 'mon');
      expect((await ports(['monitoring', '--out', out], { cwd: dir })).code).toBe(0);
      // Not even valid: promtool would fail on it if prometheus.yml loaded it.
      writeFileSync(join(out, 'prometheus/rules/extra.rules.yml'), 'groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: up ==\n');
      const output = execFileSync('promtool', ['check', 'config', 'prometheus.yml'], { cwd: join(out, 'prometheus'), encoding: 'utf8' });
      expect(output).toContain('SUCCESS: 1 rule files found');
      expect(output).not.toContain('extra.rules.yml');
      expect((await ports(['monitoring', '--out', out, '--check'], { cwd: dir })).code).toBe(0);
    },
  );
});
