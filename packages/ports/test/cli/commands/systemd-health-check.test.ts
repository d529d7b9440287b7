// `ports systemd` says when the port-health-check its health check's service
// runs (--port-health-check, default /usr/local/bin/port-health-check) is not
// an executable file on the system it writes for (the host, ROOT under
// --root, this host with --out), as it says of claim-port: every run of the
// timer would fail. A warning on stderr; the exit code stays 0 and the units
// are written. Real files.
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTree, type TreeEntry } from '../../../../../test-support/tree.js';
import { bin, ports, requireBuilt, runScript, tempDir, type Run } from '../helpers.js';

beforeAll(requireBuilt);

const HEALTH = '/usr/local/bin/port-health-check';
const UNITS = ['redis-server.service', 'prometheus.service', 'grafana-simple.service', 'dsa110-api.service'];
const EXE = { text: '\u007fELF an executable stand-in\n', mode: 0o755 } as const;

/** A staged root with the robust services' unit files, claim-port, node_exporter's textfile directory and `files`. */
function stagedRoot(files: Record<string, TreeEntry> = {}): string {
  const units = Object.fromEntries(UNITS.map((unit) => [`etc/systemd/system/${unit}`, '[Service]\nExecStart=/bin/true\n']));
  return writeTree(tempDir('dsa110-ports-health-check-'), {
    ...units,
    'usr/local/bin/claim-port': EXE,
    'var/lib/prometheus/node-exporter': { dir: true },
    ...files,
  });
}

const warnings = (run: Run) => run.stderr.split('\n').filter((line) => line.startsWith('warning: '));

describe("ports systemd: the port-health-check the health check's service runs", () => {
  it('--root: missing under ROOT is said, with the install into ROOT and the command to run; exit 0 and the units written', async () => {
    const root = stagedRoot();
    const run = await ports(['systemd', '--root', root]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`wrote ${root}/etc/systemd/system/dsa110-port-health.service`);
    expect(readFileSync(join(root, 'etc/systemd/system/dsa110-port-health.service'), 'utf8')).toContain(`ExecStart=${HEALTH} `);
    expect(warnings(run)).toEqual([
      `warning: ${HEALTH}, the port-health-check dsa110-port-health.service runs, does not exist under ${root}: systemd fails every run of dsa110-port-health.timer and node_exporter serves no port health metrics; install port-health-check there (in a checkout: npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 tarballs && npm install -g --prefix ${root}/usr/local ./tarballs/*.tgz), or run \`ports systemd --root ${root} --port-health-check PATH\` naming the one installed`,
    ]);
    // There and executable under ROOT: nothing said.
    expect(warnings(await ports(['systemd', '--root', stagedRoot({ 'usr/local/bin/port-health-check': EXE })]))).toEqual([]);
    // Judged under ROOT, as claim-port is: one on the host alone (this test's temp file) is not there for the booted system.
    const host = writeTree(tempDir(), { 'port-health-check': EXE });
    const elsewhere = stagedRoot();
    expect(warnings(await ports(['systemd', '--root', elsewhere, '--port-health-check', `${host}/port-health-check`]))).toEqual([
      expect.stringContaining(`${host}/port-health-check, the port-health-check dsa110-port-health.service runs, does not exist under ${elsewhere}: `),
    ]);
    // Not executable, or not a regular file: said too.
    const plain = stagedRoot({ 'usr/local/bin/port-health-check': { text: 'x', mode: 0o644 } });
    expect(warnings(await ports(['systemd', '--root', plain]))).toEqual([
      expect.stringContaining(`${HEALTH}, the port-health-check dsa110-port-health.service runs, is not an executable file under ${plain}: `),
    ]);
    const dir = stagedRoot({ 'usr/local/bin/port-health-check': { dir: true } });
    expect(warnings(await ports(['systemd', '--root', dir]))).toEqual([
      expect.stringContaining(`${HEALTH}, the port-health-check dsa110-port-health.service runs, is not a regular file`),
    ]);
  });

  it('--out DIR: looked for on this host, and said so; --check says nothing of it, as of claim-port', async () => {
    const host = writeTree(tempDir(), { 'claim-port': EXE });
    const out = tempDir();
    const missing = join(host, 'opt/bin/port-health-check');
    const textfile = join(host, 'ports.prom');
    const args = ['systemd', '--out', out, '--claim-port', `${host}/claim-port`, '--port-health-check', missing, '--textfile', textfile];
    const run = await ports(args);
    expect(run.code).toBe(0);
    expect(warnings(run)).toEqual([
      `warning: ${missing}, the port-health-check dsa110-port-health.service runs, does not exist on this host: systemd fails every run of dsa110-port-health.timer and node_exporter serves no port health metrics; install port-health-check there (in a checkout: npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 tarballs && npm install -g --prefix ${host}/opt ./tarballs/*.tgz), or run \`ports systemd --out ${out} --claim-port ${host}/claim-port --port-health-check PATH --textfile ${textfile}\` naming the one installed`,
    ]);
    const check = await ports([...args, '--check']);
    expect(check.stdout + check.stderr).not.toContain('port-health-check dsa110-port-health.service runs');
  });

  it('names <prefix>/bin/port-health-check beside <prefix>/bin/ports (npm --prefix), quoted in the command to run', async () => {
    const prefix = tempDir('dsa110 prefix-');
    mkdirSync(join(prefix, 'bin'));
    symlinkSync(bin, join(prefix, 'bin/ports'));
    writeTree(prefix, { 'bin/claim-port': EXE, 'bin/port-health-check': EXE });
    const out = tempDir('dsa110 out-');
    const textfile = join(tempDir(), 'ports.prom');
    const missing = join(tempDir(), 'port-health-check');
    const args = ['systemd', '--out', out, '--claim-port', `${prefix}/bin/claim-port`, '--port-health-check', missing, '--textfile', textfile];
    const run = await runScript(join(prefix, 'bin/ports'), args, { cwd: tempDir() });
    expect(run.code, run.stderr).toBe(0);
    expect(warnings(run)).toEqual([
      `warning: ${missing}, the port-health-check dsa110-port-health.service runs, does not exist on this host: systemd fails every run of dsa110-port-health.timer and node_exporter serves no port health metrics; run \`ports systemd --out '${out}' --claim-port '${prefix}/bin/claim-port' --port-health-check '${prefix}/bin/port-health-check' --textfile ${textfile}\` (the port-health-check installed beside this ports)`,
    ]);
  });
});
