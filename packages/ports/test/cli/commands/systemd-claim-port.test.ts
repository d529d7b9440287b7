// `ports systemd` says when the claim-port it wires cannot run: not there (on
// the system it writes for: the host, ROOT under --root, this host with
// --out), or its #! line runs an interpreter the PATH systemd gives the units
// does not have. A warning on stderr; the exit code stays 0. Real files.
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEMD_DEFAULT_PATH } from '@dsa110/ports/systemd';
import { writeTree, type TreeEntry } from '../../../../../test-support/tree.js';
import { bin, ports, requireBuilt, rootRegistry, runScript, tempDir, type Run } from '../helpers.js';

beforeAll(requireBuilt);

const CLAIM = '/usr/local/bin/claim-port';
const UNITS = ['redis-server.service', 'prometheus.service', 'grafana-simple.service', 'dsa110-api.service'];
const EXE = { text: '\u007fELF an executable stand-in\n', mode: 0o755 } as const;
const NODE_SCRIPT = { text: "#!/usr/bin/env node\nimport('../lib/claim-port.js');\n", mode: 0o755 } as const;

/** A staged root with the robust services' unit files (each with `serviceLines`), node_exporter's textfile directory and `files`. */
function stagedRoot(files: Record<string, TreeEntry>, serviceLines = ''): string {
  const units = Object.fromEntries(UNITS.map((unit) => [`etc/systemd/system/${unit}`, `[Service]\n${serviceLines}ExecStart=/bin/true\n`]));
  // The textfile directory and the port-health-check are there: only the claim-port's warnings here (systemd-textfile.test.ts
  // and systemd-health-check.test.ts have the others).
  return writeTree(tempDir('dsa110-ports-claim-port-'), {
    ...units,
    'var/lib/prometheus/node-exporter': { dir: true },
    'usr/local/bin/port-health-check': EXE,
    ...files,
  });
}

const warnings = (run: Run) => run.stderr.split('\n').filter((line) => line.startsWith('warning: '));

describe('ports systemd: the claim-port it wires', () => {
  it('--root: a claim-port missing under ROOT is said, with what to do; exit 0 and the drop-ins written', async () => {
    const root = stagedRoot({});
    const run = await ports(['systemd', '--root', root]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wrote ${root}/etc/systemd/system/redis-server.service.d/claim-port.conf`);
    expect(warnings(run)).toEqual([
      `warning: ${CLAIM}, the claim-port the units run, does not exist under ${root}: systemd fails to start each unit that claims its port; install claim-port there (in a checkout: npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 tarballs && npm install -g --prefix ${root}/usr/local ./tarballs/*.tgz), or run \`ports systemd --root ${root} --claim-port PATH\` naming the one installed`,
    ]);
    // Given with a trailing slash (a shell's completion adds one), or doubled: the same root, named as given without them.
    const slashed = await ports(['systemd', '--root', `${root}//`]);
    // (The fix's command repeats --root as given.)
    expect(warnings(slashed)).toEqual(warnings(run).map((line) => line.replace(`--root ${root} `, `--root ${root}// `)));
    expect(slashed.stdout).toContain(`${root}/etc/systemd/system/redis-server.service.d/claim-port.conf`);
    // Not executable: said too.
    const plain = stagedRoot({ 'usr/local/bin/claim-port': { text: 'x', mode: 0o644 } });
    expect(warnings(await ports(['systemd', '--root', plain]))).toEqual([
      expect.stringContaining(`${CLAIM}, the claim-port the units run, is not an executable file under ${plain}`),
    ]);
    // There and executable, an ELF binary: nothing said.
    expect(warnings(await ports(['systemd', '--root', stagedRoot({ 'usr/local/bin/claim-port': EXE })]))).toEqual([]);
    // Neither ELF nor a #! line (an empty file): the kernel cannot run it.
    expect(warnings(await ports(['systemd', '--root', stagedRoot({ 'usr/local/bin/claim-port': { text: '', mode: 0o755 } })]))).toEqual([
      expect.stringContaining('not a program the kernel can run (no #! line and not ELF)'),
    ]);
    // A FIFO: not a regular file.
    const fifo = stagedRoot({ 'usr/local/bin/claim-port': { fifo: true } });
    expect(warnings(await ports(['systemd', '--root', fifo]))).toEqual([
      expect.stringContaining(`${CLAIM}, the claim-port the units run, is not a regular file`),
    ]);
  });

  it('--root relative (`--root root7`): the install command names the prefix absolute, as it is run from the checkout, not from here', async () => {
    const root = stagedRoot({});
    const [parent, name] = [join(root, '..'), root.slice(root.lastIndexOf('/') + 1)];
    const run = await ports(['systemd', '--root', name], { cwd: parent });
    expect(run.code).toBe(0);
    expect(warnings(run)).toEqual([
      `warning: ${CLAIM}, the claim-port the units run, does not exist under ${name}: systemd fails to start each unit that claims its port; install claim-port there (in a checkout: npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 tarballs && npm install -g --prefix ${root}/usr/local ./tarballs/*.tgz), or run \`ports systemd --root ${name} --claim-port PATH\` naming the one installed`,
    ]);
  });

  it("--root: #!/usr/bin/env node with node only under /opt is said; a link /usr/local/bin/node, or the units' Environment=PATH=, quiets it", async () => {
    const files = { 'usr/local/bin/claim-port': NODE_SCRIPT, 'usr/bin/env': EXE, 'opt/node/bin/node': EXE };
    const root = stagedRoot(files);
    const run = await ports(['systemd', '--root', root]);
    expect(run.code).toBe(0);
    expect(warnings(run)).toEqual([
      `warning: ${CLAIM}, the claim-port the units run under ${root}: its first line #!/usr/bin/env node runs node from the PATH systemd gives the service, and no executable node is in it (systemd's default PATH=${SYSTEMD_DEFAULT_PATH} (the unit sets none)), so systemd cannot start it (/usr/bin/env: 'node': No such file or directory); install node where systemd finds it, such as /usr/bin/node or a link /usr/local/bin/node -> $(command -v node), or set Environment=PATH= in the unit`,
    ]);
    expect(warnings(await ports(['systemd', '--root', stagedRoot({ ...files, 'usr/local/bin/node': { symlink: '/opt/node/bin/node' } })]))).toEqual([]);
    expect(warnings(await ports(['systemd', '--root', stagedRoot(files, 'Environment=PATH=/opt/node/bin:/usr/bin\n')]))).toEqual([]);
    // An absolute interpreter that is not in the root.
    const absolute = stagedRoot({ 'usr/local/bin/claim-port': { text: '#!/opt/node/bin/node\n', mode: 0o755 } });
    expect(warnings(await ports(['systemd', '--root', absolute]))).toEqual([
      expect.stringContaining('its interpreter /opt/node/bin/node (#!/opt/node/bin/node) does not exist; systemd cannot start it'),
    ]);
  });
  it.skipIf(process.geteuid?.() !== 0)(
    '--root: a claim-port others may change (npm under umask 000), or its dist/, its node, is a warning naming the part; a root-only install none',
    async () => {
      const pkg = 'usr/local/lib/node_modules/@dsa110/claim-port';
      const installed = () =>
        stagedRoot({
          'usr/local/bin/claim-port': { symlink: `../lib/node_modules/@dsa110/claim-port/bin/claim-port.js` },
          [`${pkg}/bin/claim-port.js`]: { text: "#!/usr/bin/env node\nrequire('../dist/start.cjs');\n", mode: 0o755 },
          [`${pkg}/dist/start.cjs`]: { text: '', mode: 0o644 },
          [`${pkg}/dist/cli.cjs`]: { text: '', mode: 0o644 },
          'usr/bin/env': EXE,
          'usr/bin/node': EXE,
        });
      const fine = installed();
      expect(warnings(await ports(['systemd', '--root', fine]))).toEqual([]);
      const root = installed();
      chmodSync(join(root, pkg, 'bin/claim-port.js'), 0o777);
      const run = await ports(['systemd', '--root', root]);
      expect(run.code).toBe(0);
      expect(warnings(run)).toEqual([
        `warning: ${CLAIM}, the claim-port the units run under ${root}: /${pkg}/bin/claim-port.js (on the way to ${CLAIM}) is writable by every user (mode 0777), and root runs it at each start of a unit that claims its port (ExecStartPre=+), so whoever may change it may run code as root; make it root's and writable only by root (chown root:root, chmod go-w); an npm install under umask 000 or 002 leaves the whole install so: reinstall under umask 022`,
      ]);
      const dist = installed();
      chmodSync(join(dist, pkg, 'dist'), 0o777);
      expect(warnings(await ports(['systemd', '--root', dist]))).toEqual([
        expect.stringContaining(`: /${pkg}/dist (on the way to /${pkg}/dist/start.cjs) is writable by every user (mode 0777), and root runs it`),
      ]);
      const node = installed();
      chmodSync(join(node, 'usr/bin/node'), 0o775);
      chownSync(join(node, 'usr/bin/node'), 0, 100);
      expect(warnings(await ports(['systemd', '--root', node]))).toEqual([
        expect.stringContaining(': /usr/bin/node is writable by its group (gid 100, mode 0775)'),
      ]);
    },
  );
});

/** A port-health-check stand-in that is there (this host may have none at /usr/local/bin): only claim-port's warnings below. */
function healthCheck(): string {
  return writeTree(tempDir(), { 'port-health-check': EXE }) + '/port-health-check';
}

/**
 * The built bin run as `script` (a path an npm install would have), with `args`, a --textfile in a directory that
 * is there (this host may have no node_exporter) and a --port-health-check that is there, from a directory of its own.
 */
const runAs = (script: string, args: readonly string[]) =>
  runScript(script, [...args, '--port-health-check', healthCheck(), '--textfile', join(tempDir(), 'dsa110_ports.prom')], { cwd: tempDir() });

describe('ports systemd: the claim-port installed beside this ports (built bin)', () => {
  it('--out, a --claim-port missing on this host: names <prefix>/bin/claim-port beside <prefix>/bin/ports (npm --prefix)', async () => {
    const prefix = tempDir('dsa110-prefix-');
    mkdirSync(join(prefix, 'bin'));
    symlinkSync(bin, join(prefix, 'bin/ports'));
    writeTree(prefix, { 'bin/claim-port': EXE });
    const missing = join(tempDir(), 'no/claim-port');
    const out = tempDir();
    const textfile = join(tempDir(), 'dsa110_ports.prom');
    const health = healthCheck();
    const run = await runScript(
      join(prefix, 'bin/ports'),
      ['systemd', '--out', out, '--claim-port', missing, '--port-health-check', health, '--textfile', textfile],
      {
        cwd: tempDir(),
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(warnings(run)).toEqual([
      `warning: ${missing}, the claim-port the units run, does not exist on this host: systemd fails to start each unit that claims its port; run \`ports systemd --out ${out} --claim-port ${prefix}/bin/claim-port --port-health-check ${health} --textfile ${textfile}\` (the claim-port installed beside this ports)`,
    ]);
  });

  it('the fix is a command to paste: every option given repeated (--registry, --out, --textfile), paths with spaces quoted', async () => {
    const prefix = tempDir('dsa110 prefix-');
    mkdirSync(join(prefix, 'bin'));
    symlinkSync(bin, join(prefix, 'bin/ports'));
    writeTree(prefix, { 'bin/claim-port': EXE });
    const registry = join(tempDir('dsa110 registry-'), 'ports.yaml');
    writeFileSync(registry, rootRegistry);
    const out = tempDir('dsa110 out-');
    const textfile = join(tempDir(), 'ports.prom');
    const missing = join(tempDir(), 'no such/claim-port');
    const health = healthCheck();
    const args = ['--registry', registry, 'systemd', '--out', out, '--claim-port', missing, '--port-health-check', health, '--textfile', textfile];
    const run = await runScript(join(prefix, 'bin/ports'), args, { cwd: tempDir() });
    expect(run.code, run.stderr).toBe(0);
    const rerun = `ports --registry '${registry}' systemd --out '${out}' --claim-port '${prefix}/bin/claim-port' --port-health-check ${health} --textfile ${textfile}`;
    expect(warnings(run)).toEqual([
      `warning: ${missing}, the claim-port the units run, does not exist on this host: systemd fails to start each unit that claims its port; run \`${rerun}\` (the claim-port installed beside this ports)`,
    ]);
    // As --check's hint on the line before is quoted.
    expect(run.stderr).toContain(
      `\`ports --registry '${registry}' systemd --out '${out}' --claim-port '${missing}' --port-health-check ${health} --textfile ${textfile} --check\``,
    );
    // None beside it: the install, or the same command with --claim-port PATH.
    const alone = await runScript(bin, args, { cwd: tempDir() });
    expect(warnings(alone)).toEqual([
      expect.stringContaining(
        `, or run \`ports --registry '${registry}' systemd --out '${out}' --claim-port PATH --port-health-check ${health} --textfile ${textfile}\` naming the one installed`,
      ),
    ]);
  });

  it('run from the package directory of a global install (<prefix>/lib/node_modules/@dsa110/ports/bin): names <prefix>/bin/claim-port', async () => {
    const prefix = tempDir('dsa110-prefix-');
    const script = join(prefix, 'lib/node_modules/@dsa110/ports/bin/ports.js');
    writeTree(prefix, { 'bin/claim-port': EXE });
    mkdirSync(join(prefix, 'lib/node_modules/@dsa110/ports/bin'), { recursive: true });
    writeFileSync(script, `import(${JSON.stringify(new URL('../dist/cli/ports.js', `file://${bin}`).href)});\n`);
    const missing = join(tempDir(), 'no/claim-port');
    const run = await runAs(script, ['systemd', '--out', tempDir(), '--claim-port', missing]);
    expect(run.code, run.stderr).toBe(0);
    expect(warnings(run)).toEqual([expect.stringContaining(` --claim-port ${prefix}/bin/claim-port `)]);
    expect(warnings(run)).toEqual([
      expect.stringMatching(/ --claim-port \S+ --port-health-check \S+ --textfile \S+` \(the claim-port installed beside this ports\)$/),
    ]);
  });
});
