// The dependencies check on what a claim-port's #! line runs: real files in a
// temp --root tree (gather, then the pure check), the pure check on facts
// made by hand, and the built bin with --root. `#!/usr/bin/env node` with node
// only on an operator's PATH (nvm, asdf, /opt) passes a shell, but systemd
// runs ExecStartPre= with the unit's PATH, else its default, and fails (127).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYSTEMD_DEFAULT_PATH } from '@dsa110/ports/systemd';
import { checkDependencies } from '../../src/checks/dependencies.js';
import { gather } from '../../src/gather.js';
import type { ExecutableFacts, Facts } from '../../src/types.js';
import { registryText, tempDir, testRegistry, writeTree, type ServiceSpec, type TreeEntry } from '../helpers.js';

const CLAIM = '/usr/local/bin/claim-port';
const SERVICES: ServiceSpec[] = [{ id: 'redis', port: 6379, robust: true, unit: 'redis-server.service', claim: 'drop-in', processes: ['redis-server'] }];
const registry = testRegistry(SERVICES);
const UNIT = 'etc/systemd/system/redis-server.service';
const DROP_IN = 'etc/systemd/system/redis-server.service.d/claim-port.conf';
const EXE = { text: '\u007fELF an executable stand-in\n', mode: 0o755 } as const;
const NODE_SCRIPT = { text: "#!/usr/bin/env node\nimport('../lib/claim-port.js');\n", mode: 0o755 } as const;

/** A root where claim-port is a node script, /usr/bin/env is there, and node is only under /opt (on no systemd PATH). */
function tree(extra: Record<string, TreeEntry> = {}, unitLines = ''): string {
  return writeTree(tempDir(), {
    'usr/local/bin/claim-port': NODE_SCRIPT,
    'usr/bin/env': EXE,
    'opt/node/bin/node': EXE,
    [UNIT]: `[Service]\n${unitLines}ExecStart=/usr/bin/redis-server\n`,
    [DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
    ...extra,
  });
}

async function dependencies(root: string) {
  return checkDependencies(await gather({ registry, root, firewall: false })).filter((result) => result.service);
}

describe('dependencies: the interpreter of claim-port, under --root', () => {
  it("#!/usr/bin/env node and no node in systemd's PATH inside the root: an error naming node, the PATH and what to do", async () => {
    const root = tree();
    const results = await dependencies(root);
    expect(results).toEqual([expect.objectContaining({ severity: 'error', service: 'redis', file: `/${DROP_IN}:2` })]);
    expect(results[0]!.reason).toBe(
      `claim-port ${CLAIM} (called by redis in /${DROP_IN}:2) under ${root}: its first line #!/usr/bin/env node runs node from the PATH systemd gives the service, and no executable node is in it (systemd's default PATH=${SYSTEMD_DEFAULT_PATH} (the unit sets none)), so systemd cannot start it (/usr/bin/env: 'node': No such file or directory); install node where systemd finds it, such as /usr/bin/node or a link /usr/local/bin/node -> $(command -v node), or set Environment=PATH= in the unit`,
    );
  });

  it('a link /usr/local/bin/node -> /opt/node/bin/node in the root: ok, naming where node is', async () => {
    const results = await dependencies(tree({ 'usr/local/bin/node': { symlink: '/opt/node/bin/node' } }));
    expect(results).toEqual([
      expect.objectContaining({
        severity: 'ok',
        reason: `claim-port ${CLAIM} (called by redis in /${DROP_IN}:2) exists and is executable, and its interpreter is found (node at /usr/local/bin/node)`,
      }),
    ]);
  });

  it('an absolute interpreter missing from the root: an error; present: ok', async () => {
    const script = { text: '#!/opt/node/bin/node\n', mode: 0o755 };
    const missing = await dependencies(tree({ 'usr/local/bin/claim-port': script, 'opt/node/bin/node': { text: 'x', mode: 0o644 } }));
    expect(missing).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason: expect.stringContaining('its interpreter /opt/node/bin/node (#!/opt/node/bin/node) is not executable'),
      }),
    ]);
    expect(await dependencies(tree({ 'usr/local/bin/claim-port': script }))).toEqual([expect.objectContaining({ severity: 'ok' })]);
  });

  it("the unit's Environment=PATH= is the one searched, named with its file and line", async () => {
    expect(await dependencies(tree({}, 'Environment=PATH=/opt/node/bin:/usr/bin\n'))).toEqual([expect.objectContaining({ severity: 'ok' })]);
    // A unit PATH without node fails even where the default PATH has it.
    const results = await dependencies(tree({ 'usr/bin/node': EXE }, 'Environment=PATH=/srv/bin\n'));
    expect(results).toEqual([expect.objectContaining({ severity: 'error' })]);
    expect(results[0]!.reason).toContain(`(PATH=/srv/bin (set in /${UNIT}:2))`);
  });
});

describe('dependencies: what else decides whether systemd can run claim-port, under --root', () => {
  it("node found through a drop-in's ExecSearchPath= (the unit sets no PATH): ok; an error names ExecSearchPath= and its file:line", async () => {
    const searchPath = 'etc/systemd/system/redis-server.service.d/search.conf';
    expect(await dependencies(tree({ [searchPath]: '[Service]\nExecSearchPath=/opt/node/bin\n' }))).toEqual([
      expect.objectContaining({ severity: 'ok', reason: expect.stringContaining('its interpreter is found (node at /opt/node/bin/node)') }),
    ]);
    const results = await dependencies(tree({ [searchPath]: '[Service]\nExecSearchPath=/srv/bin\n' }));
    expect(results).toEqual([
      expect.objectContaining({ severity: 'error', reason: expect.stringContaining(`(ExecSearchPath=/srv/bin (set in /${searchPath}:2,`) }),
    ]);
  });

  it('a claim-port with no #! line that is not ELF (empty, or text): an error, reinstall it', async () => {
    for (const text of ['', 'echo hi\n']) {
      expect(await dependencies(tree({ 'usr/local/bin/claim-port': { text, mode: 0o755 } }))).toEqual([
        expect.objectContaining({
          severity: 'error',
          reason: expect.stringMatching(/not a program the kernel can run \(no #! line and not ELF\).*reinstall claim-port/),
        }),
      ]);
    }
  });

  it('an interpreter that is a script whose own interpreter is missing: an error naming the chain', async () => {
    const results = await dependencies(
      tree({ 'usr/local/bin/claim-port': { text: '#!/usr/bin/node\n', mode: 0o755 }, 'usr/bin/node': { text: '#!/opt/missing/bash\n', mode: 0o755 } }),
    );
    expect(results).toEqual([
      expect.objectContaining({ severity: 'error', reason: expect.stringContaining('/usr/local/bin/claim-port -> /usr/bin/node -> /opt/missing/bash') }),
    ]);
  });

  it('Windows line endings and a bare #!/usr/bin/env: errors that say so', async () => {
    const crlf = await dependencies(
      tree({ 'usr/local/bin/claim-port': { text: '#!/usr/bin/env node\r\nimport("x");\r\n', mode: 0o755 }, 'usr/bin/node': EXE }),
    );
    expect(crlf).toEqual([expect.objectContaining({ severity: 'error', reason: expect.stringContaining('Windows (CRLF) line endings') })]);
    const loop = await dependencies(tree({ 'usr/local/bin/claim-port': { text: '#!/usr/bin/env\n', mode: 0o755 } }));
    expect(loop).toEqual([expect.objectContaining({ severity: 'error', reason: expect.stringContaining('an endless exec loop') })]);
  });

  it('a FIFO at the claim-port path, its x bits set: an error saying it is not a regular file, not chmod +x', async () => {
    const root = tree({ 'usr/local/bin/claim-port': { fifo: true } });
    chmodSync(join(root, 'usr/local/bin/claim-port'), 0o755);
    const results = await dependencies(root);
    expect(results).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason: expect.stringContaining(`claim-port ${CLAIM} (called by redis in /${DROP_IN}:2) is not a regular file`),
      }),
    ]);
    expect(results[0]!.reason).not.toContain('chmod');
  });
});

describe('checkDependencies (pure): the interpreter facts', () => {
  const facts = (executable: Partial<ExecutableFacts>, environment = new Map()): Facts =>
    ({
      registry,
      root: '/',
      services: registry.services,
      sockets: { problem: undefined, unreadableProcesses: 0 },
      units: new Map([
        [
          'redis-server.service',
          {
            unit: 'redis-server.service',
            masked: false,
            dropIns: [],
            problems: [],
            environment,
            execStartPre: [{ file: '/x.conf', line: 2, value: `+${CLAIM} 6379`, prefixes: '+', path: CLAIM, words: [CLAIM, '6379'], argv: [CLAIM, '6379'] }],
          },
        ],
      ]),
      executables: new Map([[CLAIM, { path: CLAIM, exists: true, executable: true, ...executable }]]),
      claimPortPaths: [],
    }) as unknown as Facts;
  const severities = (given: Facts) =>
    checkDependencies(given)
      .filter((result) => result.service)
      .map((result) => result.severity);

  it("missing is an error, unknown is unknown, none and found are ok; the lookup for the unit's own PATH is the one used", () => {
    const missing = { kind: 'missing', interpreter: '/usr/bin/env', command: 'node', searchPath: { value: SYSTEMD_DEFAULT_PATH }, reason: 'r' } as const;
    expect(severities(facts({ interpreters: new Map([[SYSTEMD_DEFAULT_PATH, missing]]) }))).toEqual(['error']);
    expect(severities(facts({ interpreters: new Map([[SYSTEMD_DEFAULT_PATH, { kind: 'unknown', reason: 'cannot read it' }]]) }))).toEqual(['unknown']);
    expect(severities(facts({ interpreters: new Map([[SYSTEMD_DEFAULT_PATH, { kind: 'none' }]]) }))).toEqual(['ok']);
    // Looked up for the default PATH only, but the unit sets its own: not looked at, so not ok.
    const own = new Map([['PATH', { value: '/opt/node/bin', file: '/u', line: 1 }]]);
    expect(severities(facts({ interpreters: new Map([[SYSTEMD_DEFAULT_PATH, { kind: 'none' }]]) }, own))).toEqual(['unknown']);
    expect(
      severities(
        facts({ interpreters: new Map([['/opt/node/bin', { kind: 'found', interpreter: '/usr/bin/env', command: 'node', path: '/opt/node/bin/node' }]]) }, own),
      ),
    ).toEqual(['ok']);
  });
});

describe('the built bin, --root', () => {
  it('port-health-check --root R --service redis --json: dependencies error for #!/usr/bin/env node with node only under /opt (exit 1)', () => {
    const root = tree();
    const registryPath = join(tempDir(), 'ports.yaml');
    writeFileSync(registryPath, registryText(SERVICES));
    const bin = join(import.meta.dirname, '../../bin/port-health-check.js');
    const run = spawnSync(process.execPath, [bin, '--registry', registryPath, '--root', root, '--service', 'redis', '--json', '--no-firewall'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    const report = JSON.parse(run.stdout) as { checks: { check: string; severity: string; reason: string }[] };
    const claim = report.checks.filter((check) => check.check === 'dependencies' && check.reason.startsWith('claim-port'));
    expect(claim, run.stderr).toEqual([
      expect.objectContaining({ severity: 'error', reason: expect.stringContaining("/usr/bin/env: 'node': No such file or directory") }),
    ]);
    expect(run.status).toBe(1);
  });

  it('port-health-check --root R --json: node found through a drop-in ExecSearchPath= is ok; an empty claim-port is an error', () => {
    const registryPath = join(tempDir(), 'ports.yaml');
    writeFileSync(registryPath, registryText(SERVICES));
    const bin = join(import.meta.dirname, '../../bin/port-health-check.js');
    const claimChecks = (root: string) => {
      const run = spawnSync(process.execPath, [bin, '--registry', registryPath, '--root', root, '--service', 'redis', '--json', '--no-firewall'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
      const report = JSON.parse(run.stdout) as { checks: { check: string; severity: string; reason: string }[] };
      return report.checks.filter((check) => check.check === 'dependencies' && check.reason.startsWith('claim-port'));
    };
    const searchPath = { 'etc/systemd/system/redis-server.service.d/search.conf': '[Service]\nExecSearchPath=/opt/node/bin\n' };
    expect(claimChecks(tree(searchPath))).toEqual([expect.objectContaining({ severity: 'ok', reason: expect.stringContaining('node at /opt/node/bin/node') })]);
    expect(claimChecks(tree({ ...searchPath, 'usr/local/bin/claim-port': { text: '', mode: 0o755 } }))).toEqual([
      expect.objectContaining({ severity: 'error', reason: expect.stringContaining('not a program the kernel can run') }),
    ]);
  });
});

// Root runs claim-port (ExecStartPre=+): npm honours the installer's umask, and
// an install under `umask 000` leaves its bin, dist/ and their directories
// writable by every user. A --root tree laid out as `npm install -g --prefix
// /usr/local` does, all root's and 0755/0644 but for the part each case opens.
describe.skipIf(process.geteuid?.() !== 0)(
  'dependencies: who may change the claim-port root runs, under --root (as root: files of other owners are made)',
  () => {
    const PKG = 'usr/local/lib/node_modules/@dsa110/claim-port';
    const PORTS = 'usr/local/lib/node_modules/@dsa110/ports';
    const installed = (extra: Record<string, TreeEntry> = {}) =>
      tree({
        'usr/local/bin/claim-port': { symlink: '../lib/node_modules/@dsa110/claim-port/bin/claim-port.js' },
        [`${PKG}/bin/claim-port.js`]: { text: "#!/usr/bin/env node\nrequire('../dist/start.cjs');\n", mode: 0o755 },
        [`${PKG}/dist/start.cjs`]: { text: '', mode: 0o644 },
        [`${PKG}/dist/cli.cjs`]: { text: '', mode: 0o644 },
        [`${PKG}/dist/run.cjs`]: { text: '', mode: 0o644 },
        [`${PORTS}/package.json`]: { text: '{}', mode: 0o644 },
        [`${PORTS}/dist/parse.cjs`]: { text: '', mode: 0o644 },
        'usr/bin/node': EXE,
        ...extra,
      });
    const reasons = async (root: string) => (await dependencies(root)).map((result) => `${result.severity}: ${result.reason}`);
    const writable = (root: string, path: string, why: string, file = '/usr/local/bin/claim-port') =>
      `error: claim-port ${CLAIM} (called by redis in /${DROP_IN}:2) under ${root}: ${path}${path === file ? '' : ` (on the way to ${file})`} ${why}, and root runs it at each start of a unit that claims its port (ExecStartPre=+), so whoever may change it may run code as root; make it root's and writable only by root (chown root:root, chmod go-w); an npm install under umask 000 or 002 leaves the whole install so: reinstall under umask 022`;

    it('an install root owns and only root may write: ok', async () => {
      expect(await reasons(installed())).toEqual([
        `ok: claim-port ${CLAIM} (called by redis in /${DROP_IN}:2) exists and is executable, and its interpreter is found (node at /usr/bin/node)`,
      ]);
    });

    it('dist/ writable by every user (umask 000): an error naming it, as the bin loads dist/start.cjs from it', async () => {
      const root = installed();
      chmodSync(join(root, PKG, 'dist'), 0o777);
      expect(await reasons(root)).toEqual([writable(root, `/${PKG}/dist`, 'is writable by every user (mode 0777)', `/${PKG}/dist/start.cjs`)]);
    });

    it('the bin file through its link, group-writable (umask 002): an error naming the real file', async () => {
      const root = installed();
      chmodSync(join(root, PKG, 'bin/claim-port.js'), 0o775);
      chownSync(join(root, PKG, 'bin/claim-port.js'), 0, 100);
      expect(await reasons(root)).toEqual([writable(root, `/${PKG}/bin/claim-port.js`, 'is writable by its group (gid 100, mode 0775)')]);
    });

    it('the directory holding the link, sticky and world-writable as /tmp: an error; a sticky directory further up: ok', async () => {
      const root = installed();
      chmodSync(join(root, 'usr/local/bin'), 0o1777);
      expect(await reasons(root)).toEqual([writable(root, '/usr/local/bin', 'is writable by every user (mode 1777)')]);
      const above = installed();
      chmodSync(join(above, 'usr/local'), 0o1777);
      expect(await reasons(above)).toEqual([expect.stringMatching(/^ok: /)]);
    });

    it('a staged tree another user owns (built without root): that user is trusted as root is, and a third user is not', async () => {
      const root = installed();
      spawnSync('chown', ['-R', '65534', root]);
      expect(await reasons(root)).toEqual([expect.stringMatching(/^ok: /)]);
      chownSync(join(root, PKG, 'dist/cli.cjs'), 65533, 0);
      expect(await reasons(root)).toEqual([
        writable(
          root,
          `/${PKG}/dist/cli.cjs`,
          'is owned by uid 65533, not by root or uid 65534 (the owner of the root directory) (mode 0644)',
          `/${PKG}/dist/cli.cjs`,
        ),
      ]);
    });

    it("node, the #! line's command, and the registry parser the bin loads: each judged; another user's file is an error", async () => {
      const root = installed();
      chmodSync(join(root, 'usr/bin/node'), 0o777);
      expect(await reasons(root)).toEqual([writable(root, '/usr/bin/node', 'is writable by every user (mode 0777)', '/usr/bin/node')]);
      const parser = installed();
      chownSync(join(parser, PORTS, 'dist/parse.cjs'), 65534, 65534);
      expect(await reasons(parser)).toEqual([
        writable(parser, `/${PORTS}/dist/parse.cjs`, 'is owned by uid 65534, not by root (mode 0644)', `/${PORTS}/dist/parse.cjs`),
      ]);
    });
  },
);
