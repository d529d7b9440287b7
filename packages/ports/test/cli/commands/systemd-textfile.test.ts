// `ports systemd` says when the directory the health check's service writes
// its textfile into (node_exporter's textfile directory) is not there on the
// system it writes for (the host, ROOT under --root, this host with --out):
// every run of the timer would fail (exit 3). A warning on stderr; the exit
// code stays 0 and the units are written. Real files.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree, type TreeEntry } from '../../../../../test-support/tree.js';
import { ports, tempDir, type Run } from '../helpers.js';

const DIR = '/var/lib/prometheus/node-exporter';
const UNITS = ['redis-server.service', 'prometheus.service', 'grafana-simple.service', 'dsa110-api.service'];
/** claim-port and port-health-check there and executable: no warning of theirs in the way. */
const EXE = { text: '\u007fELF an executable stand-in\n', mode: 0o755 } as const;
const CLAIM = { 'usr/local/bin/claim-port': EXE, 'usr/local/bin/port-health-check': EXE } as const;

function stagedRoot(files: Record<string, TreeEntry> = {}): string {
  const units = Object.fromEntries(UNITS.map((unit) => [`etc/systemd/system/${unit}`, '[Service]\nExecStart=/bin/true\n']));
  return writeTree(tempDir('dsa110-ports-textfile-'), { ...units, ...CLAIM, ...files });
}

const warnings = (run: Run) => run.stderr.split('\n').filter((line) => line.startsWith('warning: '));

const missingDefault = (state: string, there: string, root: string) =>
  `warning: ${DIR}, the directory dsa110-port-health.service writes dsa110_ports.prom into, ${state}${there}: every run of dsa110-port-health.timer fails (exit 3) and node_exporter serves no port health metrics; install prometheus-node-exporter (Debian's package makes it), or run \`ports systemd --root ${root} --textfile FILE\` naming a .prom file in the directory its textfile collector reads (--collector.textfile.directory)`;

describe("ports systemd: the health check's textfile directory", () => {
  it('--root: missing under ROOT is said, with what to do; exit 0 and the units written, their ExecStart= writing there', async () => {
    const root = stagedRoot();
    const run = await ports(['systemd', '--root', root]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`wrote ${root}/etc/systemd/system/dsa110-port-health.timer`);
    expect(warnings(run)).toEqual([missingDefault('does not exist', ` under ${root}`, root)]);
    // The directory named is the one the unit writes into.
    expect(readFileSync(join(root, 'etc/systemd/system/dsa110-port-health.service'), 'utf8')).toContain(`--output ${DIR}/dsa110_ports.prom\n`);
    // Made (as prometheus-node-exporter makes it): nothing said.
    mkdirSync(join(root, DIR), { recursive: true });
    const again = await ports(['systemd', '--root', root]);
    expect(again.code).toBe(0);
    expect(warnings(again)).toEqual([]);
  });

  it('--root: a file in its place is "not a directory"; a link is followed inside ROOT, not on the host', async () => {
    const file = stagedRoot({ 'var/lib/prometheus/node-exporter': 'a file\n' });
    expect(warnings(await ports(['systemd', '--root', file]))).toEqual([missingDefault('is not a directory', ` under ${file}`, file)]);
    // An absolute link to a directory inside ROOT: there for the booted system.
    const inside = stagedRoot({ 'srv/textfiles': { dir: true }, 'var/lib/prometheus/node-exporter': { symlink: '/srv/textfiles' } });
    expect(warnings(await ports(['systemd', '--root', inside]))).toEqual([]);
    // An absolute link to a directory only the host has (this test's temp dir): not there for the booted system.
    const hostOnly = tempDir();
    const outside = stagedRoot({ 'var/lib/prometheus/node-exporter': { symlink: hostOnly } });
    expect(warnings(await ports(['systemd', '--root', outside]))).toEqual([missingDefault('does not exist', ` under ${outside}`, outside)]);
  });

  it('--textfile FILE: its own directory is the one looked for, and the fix says to make it where node_exporter reads', async () => {
    const root = stagedRoot({ 'srv/metrics': { dir: true } });
    expect(warnings(await ports(['systemd', '--root', root, '--textfile', '/srv/metrics/ports.prom']))).toEqual([]);
    const run = await ports(['systemd', '--root', root, '--textfile', '/srv/none/ports.prom']);
    expect(run.code).toBe(0);
    expect(warnings(run)).toEqual([
      `warning: /srv/none, the directory dsa110-port-health.service writes ports.prom into, does not exist under ${root}: every run of dsa110-port-health.timer fails (exit 3) and node_exporter serves no port health metrics; make it where node_exporter's textfile collector reads (--collector.textfile.directory; Debian's prometheus-node-exporter reads ${DIR}), or run \`ports systemd --root ${root} --textfile FILE\` naming a .prom file in that directory`,
    ]);
  });

  it('--out DIR: looked for on this host, and said so; --check says nothing of it', async () => {
    const host = tempDir();
    const missing = join(host, 'no/such/dir/ports.prom');
    const claim = join(host, 'claim-port');
    writeFileSync(claim, '\u007fELF an executable stand-in\n', { mode: 0o755 });
    const health = join(host, 'port-health-check');
    writeFileSync(health, '\u007fELF an executable stand-in\n', { mode: 0o755 });
    const out = tempDir();
    const args = ['systemd', '--out', out, '--claim-port', claim, '--port-health-check', health, '--textfile', missing];
    const run = await ports(args);
    expect(run.code).toBe(0);
    expect(warnings(run)).toEqual([
      expect.stringMatching(
        new RegExp(`^warning: ${host}/no/such/dir, the directory dsa110-port-health\\.service writes ports\\.prom into, does not exist on this host: `),
      ),
    ]);
    // (--check fails here on the unit-file claims, which --out has no unit files for: beside the point.)
    const check = await ports([...args, '--check']);
    expect(check.stdout + check.stderr).not.toContain(`${host}/no/such/dir`);
    expect(
      warnings(await ports(['systemd', '--out', out, '--claim-port', claim, '--port-health-check', health, '--textfile', join(host, 'ports.prom')])),
    ).toEqual([]);
  });
});
