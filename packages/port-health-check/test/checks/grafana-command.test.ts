// Grafana's command line held by the config check, on real unit trees under --root (gather, then the check): the file
// --config makes it read (or, with none, its homepath's conf/custom.ini), and the `cfg:` properties that override
// grafana.ini and the GF_ variables, as pkg/setting/setting.go applies them.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { reloadStep } from '@dsa110/ports/systemd';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/checks/config.js';
import { grafanaArgs } from '../../src/checks/grafana-command.js';
import { gather } from '../../src/gather.js';
import { worldReadableBundle } from '../../../../test-support/index.js';
import { EXECUTABLE, tempDir, writeTree, type TreeEntry } from '../helpers.js';

const repoRoot = new URL('../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const grafana = registry.service('grafana');
const UNIT = `lib/systemd/system/${grafana.systemd!.unit}`;
/** grafana.ini as the registry wants it: Grafana on 3030, loopback only. */
const INI = '[server]\nhttp_addr = 127.0.0.1\nhttp_port = 3030\n';
/** Debian's package: its unit's command, and /etc/default/grafana-server's variables. */
const DEBIAN = [
  'EnvironmentFile=/etc/default/grafana-server',
  'WorkingDirectory=/usr/share/grafana',
  `ExecStart=/usr/share/grafana/bin/grafana server --config=\${CONF_FILE} --pidfile=\${PID_FILE_DIR}/grafana-server.pid \\`,
  `  --packaging=deb cfg:default.paths.logs=\${LOG_DIR} cfg:default.paths.data=\${DATA_DIR}`,
];
const DEFAULTS = 'CONF_FILE=/etc/grafana/grafana.ini\nPID_FILE_DIR=/run/grafana\nLOG_DIR=/var/log/grafana\nDATA_DIR=/var/lib/grafana\n';

// Read under a temp root (said ROOT): a fix ends as reloadStep says there, not with the host's daemon-reload.
const RELOAD = '; systemd reads it when the system under ROOT boots';

/** The config check's results for Grafana, `severity file: reason`, without the temp root. */
async function results(files: Record<string, TreeEntry>): Promise<string[]> {
  const root = writeTree(tempDir(), files);
  return checkConfig(await gather({ registry, root, services: [grafana] }), grafana).map(
    (result) =>
      `${result.severity} ${result.file}: ${result.reason.replaceAll(`system under ${root} boots`, 'system under ROOT boots').replaceAll(` under ${root}`, '').replaceAll(root, 'ROOT')}`,
  );
}

const unit = (...lines: string[]) => `[Service]\n${lines.join('\n')}\n`;

describe("Grafana's words, as Go's flag package reads them (as `grafana server` and `grafana-server` do)", () => {
  it('takes -config X, --config X and --config=X alike, the last one given, up to the first argument or --', () => {
    expect(grafanaArgs(['/usr/share/grafana/bin/grafana', 'server', '-config', '/etc/a.ini', 'cfg:server.http_port=1'])).toEqual({
      config: '/etc/a.ini',
      properties: ['cfg:server.http_port=1'],
    });
    expect(grafanaArgs(['/usr/sbin/grafana-server', '--config', '/etc/a.ini', '--config=/etc/b.ini', '--homepath=/opt/g'])).toEqual({
      config: '/etc/b.ini',
      homepath: '/opt/g',
      properties: [],
    });
    // A flag after an argument, or after --, is an argument; a switch takes no value (/etc/x.ini is an argument).
    expect(grafanaArgs(['/usr/sbin/grafana-server', 'cfg:server.http_port=1', '--config=/etc/b.ini'])).toEqual({ properties: ['cfg:server.http_port=1'] });
    expect(grafanaArgs(['/usr/sbin/grafana-server', '--', '--config=/etc/b.ini'])).toEqual({ properties: [] });
    expect(grafanaArgs(['/usr/sbin/grafana-server', '--profile', '/etc/x.ini', '--config=/etc/b.ini'])).toEqual({ properties: [] });
    expect(grafanaArgs(['/usr/sbin/grafana-server', '--profile=true', '--config=/etc/b.ini'])).toEqual({ config: '/etc/b.ini', properties: [] });
  });

  it("puts --configOverrides' words (split at spaces) before the arguments, whose properties win", () => {
    expect(grafanaArgs(['/usr/sbin/grafana-server', '--configOverrides=cfg:server.http_port=7 cfg:server.http_addr=::1', 'cfg:server.http_port=8'])).toEqual({
      properties: ['cfg:server.http_port=7', 'cfg:server.http_addr=::1', 'cfg:server.http_port=8'],
    });
  });

  it('reads nothing of another command, nor of words Grafana refuses (its usage, then exit)', () => {
    for (const argv of [
      ['/usr/sbin/grafana', 'cli', 'plugins', 'ls'],
      ['/usr/sbin/grafana', 'server', 'target'],
      ['/usr/sbin/grafana-server', '--nosuch=1'],
      ['/usr/sbin/grafana-server', '---config=x'],
      ['/usr/sbin/grafana-server', '--config'],
    ])
      expect(grafanaArgs(argv), argv.join(' ')).toBeUndefined();
  });
});

describe('the config check holds the file --config names', () => {
  it("reads Debian's unit as Grafana does: --config=$CONF_FILE, the file /etc/default/grafana-server names", async () => {
    expect(await results({ 'etc/grafana/grafana.ini': INI, [UNIT]: unit(...DEBIAN), 'etc/default/grafana-server': DEFAULTS })).toEqual([
      'ok /etc/grafana/grafana.ini:3: grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030',
    ]);
    const moved = DEFAULTS.replace('CONF_FILE=/etc/grafana/grafana.ini', 'CONF_FILE=/etc/grafana/site.ini');
    expect(
      await results({ 'etc/grafana/grafana.ini': INI, 'etc/grafana/site.ini': INI, [UNIT]: unit(...DEBIAN), 'etc/default/grafana-server': moved }),
    ).toEqual([
      `warning /${UNIT}:4: grafana (3030): /${UNIT}:4: runs Grafana with --config=/etc/grafana/site.ini, so it reads /etc/grafana/site.ini, not /etc/grafana/grafana.ini, which this check read; give it --config=/etc/grafana/grafana.ini, or give Grafana config: /etc/grafana/site.ini in the registry`,
      'ok /etc/grafana/site.ini:3: grafana (3030): /etc/grafana/site.ini:3 sets http_port = 3030',
    ]);
  });

  it('warns at the unit line when --config names another file, with both ways out; a link to the file is the file', async () => {
    const other = 'EnvironmentFile=/etc/default/grafana-server\nExecStart=/usr/sbin/grafana-server --config=/etc/grafana/other.ini';
    expect(await results({ 'etc/grafana/grafana.ini': INI, 'etc/grafana/other.ini': INI, [UNIT]: unit(other), 'etc/default/grafana-server': '' })).toEqual([
      `warning /${UNIT}:3: grafana (3030): /${UNIT}:3: runs Grafana with --config=/etc/grafana/other.ini, so it reads /etc/grafana/other.ini, not /etc/grafana/grafana.ini, which this check read; give it --config=/etc/grafana/grafana.ini, or give Grafana config: /etc/grafana/other.ini in the registry`,
      'ok /etc/grafana/other.ini:3: grafana (3030): /etc/grafana/other.ini:3 sets http_port = 3030',
    ]);
    expect(
      await results({
        'etc/grafana/grafana.ini': INI,
        'etc/grafana/link.ini': { symlink: '/etc/grafana/grafana.ini' },
        [UNIT]: unit('ExecStart=/usr/sbin/grafana-server --config=/etc/grafana/link.ini'),
      }),
    ).toEqual(['ok /etc/grafana/grafana.ini:3: grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030']);
  });

  it('is an error when --config names a file that is not there: Grafana exits at start; the fix is where the name is set', async () => {
    const missing = 'ExecStart=/usr/sbin/grafana-server --config=/etc/grafana/missing.ini cfg:server.http_port=3030';
    expect(await results({ 'etc/grafana/grafana.ini': INI, [UNIT]: unit(missing) })).toEqual([
      `error /${UNIT}:2: grafana (3030): /${UNIT}:2: runs Grafana with --config=/etc/grafana/missing.ini, and /etc/grafana/missing.ini is not there, so Grafana exits at start ("failed to parse"); give it --config=/etc/grafana/grafana.ini${RELOAD}`,
    ]);
    const moved = DEFAULTS.replace('CONF_FILE=/etc/grafana/grafana.ini', 'CONF_FILE=/etc/grafana/other.ini');
    expect(await results({ 'etc/grafana/grafana.ini': INI, [UNIT]: unit(...DEBIAN), 'etc/default/grafana-server': moved })).toEqual([
      `error /${UNIT}:4: grafana (3030): /${UNIT}:4: runs Grafana with --config=/etc/grafana/other.ini (CONF_FILE=/etc/grafana/other.ini at /etc/default/grafana-server:1), and /etc/grafana/other.ini is not there, so Grafana exits at start ("failed to parse"); set CONF_FILE=/etc/grafana/grafana.ini there${RELOAD}`,
    ]);
  });

  it('still holds the cfg:server.KEY= words with that warning: they win over whichever file Grafana reads', async () => {
    const other = 'ExecStart=/usr/sbin/grafana-server --config=/etc/grafana/other.ini cfg:server.http_addr=0.0.0.0 cfg:server.http_port=3000';
    const found = await results({ 'etc/grafana/grafana.ini': INI, 'etc/grafana/other.ini': INI, [UNIT]: unit(other) });
    expect(found.filter((line) => !line.startsWith('ok'))).toEqual([
      expect.stringMatching(/^warning .*runs Grafana with --config=\/etc\/grafana\/other\.ini, so it reads/),
      expect.stringMatching(
        new RegExp(
          `^error /${UNIT}:2: .*sets cfg:server\\.http_port=3000, which overrides http_port in /etc/grafana/other\\.ini, but the registry says Grafana uses port 3030`,
        ),
      ),
      expect.stringMatching(new RegExp(`^error /${UNIT}:2: .*sets cfg:server\\.http_addr=0\\.0\\.0\\.0, .*so Grafana accepts connections on every address`)),
    ]);
    // The keys no cfg: word sets are the other file's: not held to the registry's (nor said to be unset).
    const alone = await results({ 'etc/grafana/grafana.ini': INI, 'etc/grafana/other.ini': '', [UNIT]: unit(other.replace(/ cfg:.*/, '')) });
    expect(alone).toEqual([expect.stringMatching(/^warning .*runs Grafana with --config/)]);
  });

  it('reads a relative --config from WorkingDirectory=, and says nothing of one from a directory it cannot know', async () => {
    const files = { 'etc/grafana/grafana.ini': INI };
    expect(await results({ ...files, [UNIT]: unit('WorkingDirectory=/etc/grafana', 'ExecStart=/usr/sbin/grafana-server -config grafana.ini') })).toEqual([
      'ok /etc/grafana/grafana.ini:3: grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030',
    ]);
    const [relative] = await results({
      ...files,
      'usr/share/grafana/conf/grafana.ini': INI,
      [UNIT]: unit('WorkingDirectory=/usr/share/grafana', 'ExecStart=/usr/sbin/grafana-server -config conf/grafana.ini'),
    });
    expect(relative).toMatch(
      /^warning .*: runs Grafana with --config=conf\/grafana\.ini, so it reads \/usr\/share\/grafana\/conf\/grafana\.ini, not \/etc\/grafana\/grafana\.ini/,
    );
    expect(await results({ ...files, [UNIT]: unit('WorkingDirectory=~', 'ExecStart=/usr/sbin/grafana-server -config conf/grafana.ini') })).toEqual([
      'ok /etc/grafana/grafana.ini:3: grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030',
    ]);
  });

  it("with no --config, the program itself reads its homepath's conf/custom.ini, not the registry's file; a wrapper script may add one", async () => {
    const home = {
      'etc/grafana/grafana.ini': INI,
      'usr/share/grafana/bin/grafana': EXECUTABLE,
      'usr/share/grafana/conf/defaults.ini': '[server]\nhttp_port = 3000\n',
      'usr/share/grafana/conf/custom.ini': '',
    };
    const homeDir = 'WorkingDirectory=/usr/share/grafana';
    expect(await results({ ...home, [UNIT]: unit(homeDir, 'ExecStart=/usr/share/grafana/bin/grafana server') })).toEqual([
      `warning /${UNIT}:3: grafana (3030): /${UNIT}:3: runs Grafana with no --config, so it reads its homepath's conf/custom.ini, /usr/share/grafana/conf/custom.ini, not /etc/grafana/grafana.ini, which this check read; give it --config=/etc/grafana/grafana.ini, or give Grafana config: /usr/share/grafana/conf/custom.ini in the registry`,
      // custom.ini sets no http_port: defaults.ini's is Grafana's, to be set in custom.ini, the file it reads.
      `error /usr/share/grafana/conf/defaults.ini:2:13: grafana (3030): /usr/share/grafana/conf/defaults.ini:2:13: sets http_port = 3000 (Grafana's defaults), which /usr/share/grafana/conf/custom.ini does not set, but the registry says Grafana uses port 3030; write http_port = 3030 under [server] in /usr/share/grafana/conf/custom.ini (ports snippet grafana-ini prints what passes), or give Grafana port: 3000 in the registry`,
    ]);
    // Started in bin/, Grafana takes the directory above as its homepath (conf/defaults.ini is there).
    const [fromBin] = await results({ ...home, [UNIT]: unit('WorkingDirectory=/usr/share/grafana/bin', 'ExecStart=/usr/share/grafana/bin/grafana server') });
    expect(fromBin).toContain("reads its homepath's conf/custom.ini, /usr/share/grafana/conf/custom.ini, not");
    // --homepath, and a custom.ini that is not there.
    const opt = { ...home, 'opt/grafana/conf/defaults.ini': '[server]\nhttp_port = 3000\n' };
    const [homepath] = await results({ ...opt, [UNIT]: unit('ExecStart=/usr/share/grafana/bin/grafana server --homepath /opt/grafana') });
    // Not there, it is no file to give the registry: only --config is advised.
    expect(homepath).toMatch(
      /reads its homepath's conf\/custom\.ini, \/opt\/grafana\/conf\/custom\.ini \(not there: its defaults alone\), not \/etc\/grafana\/grafana\.ini, which this check read; give it --config=\/etc\/grafana\/grafana\.ini$/,
    );
    // custom.ini a link to the registry's file: the file Grafana reads.
    const linked = { ...home, 'usr/share/grafana/conf/custom.ini': { symlink: '/etc/grafana/grafana.ini' } };
    expect(await results({ ...linked, [UNIT]: unit(homeDir, 'ExecStart=/usr/share/grafana/bin/grafana server') })).toEqual([
      'ok /etc/grafana/grafana.ini:3: grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030',
    ]);
    // The package's /usr/sbin/grafana is a script that adds --config=/etc/grafana/grafana.ini; one not there runs nothing.
    const wrapper = { ...home, 'usr/sbin/grafana': { text: '#!/bin/bash\nexec /usr/share/grafana/bin/grafana "$@"\n', mode: 0o755 } };
    for (const program of ['/usr/sbin/grafana', '/usr/bin/grafana'])
      expect(await results({ ...wrapper, [UNIT]: unit(homeDir, `ExecStart=${program} server`) }), program).toEqual([
        'ok /etc/grafana/grafana.ini:3: grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030',
      ]);
  });
});

describe('the config check says unknown, not another file, where it cannot tell', () => {
  it(`--config=\${CONF} with CONF passed from the service manager (PassEnvironment=), which this check does not see`, async () => {
    const passed = ['WorkingDirectory=/usr/share/grafana', 'PassEnvironment=CONF', `ExecStart=/usr/share/grafana/bin/grafana server --config=\${CONF}`];
    const [port] = await results({ 'etc/grafana/grafana.ini': INI, 'usr/share/grafana/bin/grafana': EXECUTABLE, [UNIT]: unit(...passed) });
    expect(port).toBe(
      `unknown /${UNIT}:4: grafana (3030): /${UNIT}:4 gives Grafana a command line from the unit's environment, which may name another config file or override http_port in /etc/grafana/grafana.ini: the service manager may pass CONF (PassEnvironment= at /${UNIT}:3), whose value is not known here, so Grafana's port, protocol, http_addr and root_url cannot be told`,
    );
    // Set by Environment= too, which wins over what the manager passes: read.
    const set = await results({ 'etc/grafana/grafana.ini': INI, [UNIT]: unit('Environment=CONF=/etc/grafana/grafana.ini', ...passed) });
    expect(set).toEqual(['ok /etc/grafana/grafana.ini:3: grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030']);
  });

  // Running as another user (setpriv) needs root; CI runs as root.
  it.skipIf(process.getuid?.() !== 0)('a --config file it cannot look at (a directory it may not search) is not said to be another file', async () => {
    const root = tempDir();
    chmodSync(root, 0o755);
    writeTree(root, {
      'etc/grafana/grafana.ini': INI,
      'etc/grafana/link.ini': { symlink: '/etc/grafana/grafana.ini' },
      [UNIT]: unit('ExecStart=/usr/sbin/grafana-server --config=/etc/grafana/link.ini'),
    });
    chmodSync(join(root, 'etc/grafana'), 0o750);
    // The registry too where nobody may read it: a checkout may not be (a clone in a 0700 directory, as CI's).
    const registryCopy = join(tempDir(), 'ports.yaml');
    copyFileSync(join(repoRoot, 'ports.yaml'), registryCopy);
    chmodSync(dirname(registryCopy), 0o755);
    chmodSync(registryCopy, 0o644);
    const bundle = await worldReadableBundle(new URL('../../src/index.ts', import.meta.url).pathname);
    const script = `import('${bundle}').then((m) => m.checkPorts({ root: ${JSON.stringify(root)}, registry: ${JSON.stringify(registryCopy)}, services: ['grafana'] })).then((report) => console.log(JSON.stringify(report.results.filter((r) => r.check === 'config'))));`;
    const out = execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: '/',
    });
    expect(
      JSON.parse(out).map((result: { severity: string; reason: string }) => `${result.severity} ${result.reason.replaceAll(` under ${root}`, '')}`),
    ).toEqual([
      `unknown grafana (3030): /${UNIT}:2: runs Grafana with --config=/etc/grafana/link.ini, and whether /etc/grafana/link.ini is /etc/grafana/grafana.ini, the registry's config:, cannot be told: /etc/grafana/link.ini and /etc/grafana/grafana.ini cannot be looked at (a directory on the way this check may not search; run it as root)`,
    ]);
  });
});

describe("the config check holds Grafana's homepath", () => {
  it('is an error when its homepath holds no conf/defaults.ini: Grafana exits at start, whatever file it would read', async () => {
    const files = { 'etc/grafana/grafana.ini': INI, 'usr/share/grafana/bin/grafana': EXECUTABLE, 'usr/share/grafana/conf/defaults.ini': '' };
    expect(await results({ ...files, [UNIT]: unit('ExecStart=/usr/share/grafana/bin/grafana server') })).toEqual([
      `error /${UNIT}:2: grafana (3030): /${UNIT}:2: runs Grafana with its homepath / (its working directory, as neither it nor the one above holds conf/defaults.ini), where /conf/defaults.ini is not there, so Grafana exits at start ("Could not find config defaults"), whatever --config names; give it --homepath= the directory that holds conf/defaults.ini (/usr/share/grafana, as Grafana's packages install it) and --config=/etc/grafana/grafana.ini${RELOAD}`,
    ]);
    const [given] = await results({ ...files, [UNIT]: unit('ExecStart=/usr/share/grafana/bin/grafana server --homepath=/opt/grafana') });
    expect(given).toMatch(
      /^error .*its homepath \/opt\/grafana \(--homepath=\/opt\/grafana\), where \/opt\/grafana\/conf\/defaults\.ini is not there, so Grafana exits at start .*; restore ROOT\/opt\/grafana\/conf\/defaults\.ini \(reinstall Grafana's package in that tree\), or give it --homepath=/,
    );
  });

  it("names the host's restart and package for the host (/) alone: under --root, the tree's file and no restart of the host's Grafana", async () => {
    const moved = DEFAULTS.replace('CONF_FILE=/etc/grafana/grafana.ini', 'CONF_FILE=/etc/grafana/other.ini');
    const cases = [
      { 'etc/grafana/grafana.ini': INI, [UNIT]: unit(...DEBIAN), 'etc/default/grafana-server': moved },
      {
        'etc/grafana/grafana.ini': INI,
        'usr/share/grafana/bin/grafana': EXECUTABLE,
        [UNIT]: unit('ExecStart=/usr/share/grafana/bin/grafana server --homepath=/opt/grafana'),
      },
    ];
    for (const files of cases) {
      const root = writeTree(tempDir(), files);
      const facts = await gather({ registry, root, services: [grafana] });
      const [under] = checkConfig(facts, grafana).filter((result) => result.severity === 'error');
      const [here] = checkConfig({ ...facts, root: '/' }, grafana).filter((result) => result.severity === 'error');
      expect(under!.reason).not.toMatch(/restart|reinstall Grafana's package\)/);
      expect(under!.reason).toContain(reloadStep(root));
      expect(here!.reason).toMatch(/then restart grafana-simple\.service$|restore \/opt\/grafana\/conf\/defaults\.ini \(reinstall Grafana's package\)/);
    }
  });

  it("is that error with --config too: Grafana reads conf/defaults.ini before the file --config names (-config, the registry's file or another)", async () => {
    // pkg/setting/setting.go: the defaults.ini under the homepath is stat()ed first; not there, Grafana prints
    // "Could not find config defaults, make sure homepath command line parameter is set or working directory is homepath" and exits 1.
    const files = {
      'etc/grafana/grafana.ini': INI,
      'etc/grafana/other.ini': INI,
      'usr/share/grafana/bin/grafana': EXECUTABLE,
      'usr/share/grafana/conf/defaults.ini': '',
    };
    for (const config of ['--config /etc/grafana/grafana.ini', '-config=/etc/grafana/other.ini'])
      expect(await results({ ...files, [UNIT]: unit(`ExecStart=/usr/share/grafana/bin/grafana server ${config} --homepath /opt/grafana`) }), config).toEqual([
        `error /${UNIT}:2: grafana (3030): /${UNIT}:2: runs Grafana with its homepath /opt/grafana (--homepath=/opt/grafana), where /opt/grafana/conf/defaults.ini is not there, so Grafana exits at start ("Could not find config defaults"), whatever --config names; restore ROOT/opt/grafana/conf/defaults.ini (reinstall Grafana's package in that tree), or give it --homepath= the directory that holds conf/defaults.ini (/usr/share/grafana, as Grafana's packages install it)${RELOAD}`,
      ]);
    // The program itself with no --homepath, started where no conf/defaults.ini is (nor above): its working directory.
    const [started] = await results({
      ...files,
      [UNIT]: unit('WorkingDirectory=/var/lib/grafana', 'ExecStart=/usr/share/grafana/bin/grafana server --config=/etc/grafana/grafana.ini'),
    });
    expect(started).toMatch(
      /^error .*its homepath \/var\/lib\/grafana \(its working directory, .*, where \/var\/lib\/grafana\/conf\/defaults\.ini is not there, .*\(\/usr\/share\/grafana, as Grafana's packages install it\); systemd reads it/,
    );
    // Its homepath not known (a wrapper script given no --homepath adds its own; a variable an unread file may set): nothing of it.
    const wrapper = {
      'etc/grafana/grafana.ini': INI,
      'usr/sbin/grafana': { text: '#!/bin/sh\nexec /usr/share/grafana/bin/grafana --homepath=/usr/share/grafana "$@"\n', mode: 0o755 },
    };
    expect(await results({ ...wrapper, [UNIT]: unit('ExecStart=/usr/sbin/grafana server --config=/etc/grafana/grafana.ini') })).toEqual([
      'ok /etc/grafana/grafana.ini:3: grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030',
    ]);
    expect(
      await results({
        ...files,
        [UNIT]: unit(
          'EnvironmentFile=/etc/default/grafana-server',
          `ExecStart=/usr/share/grafana/bin/grafana server --config=/etc/grafana/grafana.ini --homepath=\${HOME_DIR}`,
        ),
        'etc/default/grafana-server': { fifo: true },
      }),
    ).toEqual([expect.stringMatching(/^unknown .*may set HOME_DIR/)]);
  });
});

describe("the config check holds the command line's cfg: properties over grafana.ini and the GF_ variables", () => {
  it("cfg:server.http_port= is Grafana's port, the last given, over the file and GF_SERVER_HTTP_PORT, at the unit line", async () => {
    const debian = [...DEBIAN.slice(0, -1), `${DEBIAN.at(-1)} cfg:server.http_port=3000`];
    expect(
      await results({
        'etc/grafana/grafana.ini': INI,
        [UNIT]: unit('Environment=GF_SERVER_HTTP_PORT=3030', ...debian),
        'etc/default/grafana-server': DEFAULTS,
      }),
    ).toEqual([
      `error /${UNIT}:5: grafana (3030): /${UNIT}:5: sets cfg:server.http_port=3000, which overrides http_port in /etc/grafana/grafana.ini, but the registry says Grafana uses port 3030; change it to cfg:server.http_port=3030 at /${UNIT}:5 (or remove it: then the config file's key counts)${RELOAD}, or give Grafana port: 3000 in the registry`,
    ]);
    const last = 'ExecStart=/usr/sbin/grafana-server --configOverrides=cfg:server.http_port=3000 cfg:server.http_port=3001 cfg:server.http_port=03030';
    expect(await results({ 'etc/grafana/grafana.ini': '[server]\nhttp_addr = 127.0.0.1\nhttp_port = 3000\n', [UNIT]: unit(last) })).toEqual([
      `ok /${UNIT}:2: grafana (3030): /${UNIT}:2 sets cfg:server.http_port=03030, which overrides http_port in /etc/grafana/grafana.ini, which Grafana reads as port 3030`,
    ]);
  });

  it("cfg:server.http_addr= and cfg:server.protocol= are held as the file's keys are, placed at the unit line", async () => {
    const [, address] = await results({ 'etc/grafana/grafana.ini': INI, [UNIT]: unit('ExecStart=/usr/sbin/grafana-server cfg:server.http_addr=0.0.0.0') });
    expect(address).toBe(
      `error /${UNIT}:2: grafana (3030): /${UNIT}:2 sets cfg:server.http_addr=0.0.0.0, which overrides http_addr in /etc/grafana/grafana.ini, so Grafana accepts connections on every address, but the registry says Grafana is access: localhost (loopback only); change it to cfg:server.http_addr=127.0.0.1 at /${UNIT}:2 (or remove it: then the config file's key counts)${RELOAD}, or give Grafana access: private or public in the registry`,
    );
    const protocol = await results({ 'etc/grafana/grafana.ini': INI, [UNIT]: unit('ExecStart=/usr/sbin/grafana-server cfg:server.protocol=https') });
    expect(protocol.filter((line) => !line.startsWith('ok'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error /${UNIT}:2: grafana \\(3030\\): /${UNIT}:2 sets cfg:server\\.protocol=https, which overrides protocol in /etc/grafana/grafana\\.ini, so it serves TLS.*; change it to cfg:server\\.protocol=http at /${UNIT}:2 \\(or remove it: then the config file's key counts\\); systemd reads it when the system under ROOT boots`,
        ),
      ),
    ]);
  });

  it("cfg:default.server.http_port= is the port when grafana.ini sets none (or leaves it empty), and the file's key wins over it", async () => {
    const start = `ExecStart=/usr/sbin/grafana-server --config=/etc/grafana/grafana.ini cfg:default.server.http_port=3030`;
    for (const ini of ['[server]\nhttp_addr = 127.0.0.1\n', '[server]\nhttp_addr = 127.0.0.1\nhttp_port =\n'])
      expect(await results({ 'etc/grafana/grafana.ini': ini, [UNIT]: unit(start) })).toEqual([
        `ok /${UNIT}:2: grafana (3030): /${UNIT}:2 sets cfg:default.server.http_port=3030, which /etc/grafana/grafana.ini does not override`,
      ]);
    const [file] = await results({ 'etc/grafana/grafana.ini': '[server]\nhttp_addr = 127.0.0.1\nhttp_port = 3000\n', [UNIT]: unit(start) });
    expect(file).toMatch(/^error \/etc\/grafana\/grafana\.ini:3:13: .*sets http_port = 3000, but the registry says Grafana uses port 3030/);
  });

  it('an empty cfg: word leaves the key empty, which Grafana reads as its own default (port 3000), naming the variable not set', async () => {
    const files = { 'etc/grafana/grafana.ini': '[server]\nhttp_addr = 127.0.0.1\nhttp_port = 3030\n' };
    const start = `ExecStart=/usr/sbin/grafana-server cfg:server.http_port=\${GRAFANA_PORT}`;
    expect(await results({ ...files, [UNIT]: unit(start) })).toEqual([
      `error /${UNIT}:2: grafana (3030): /${UNIT}:2: sets cfg:server.http_port= (empty: the unit sets no GRAFANA_PORT), so Grafana takes its own default http_port, 3000, but the registry says Grafana uses port 3030; change it to cfg:server.http_port=3030 at /${UNIT}:2 (or remove it: then the config file's key counts)${RELOAD}, or give Grafana port: 3000 in the registry`,
    ]);
    // cfg:default. when the file sets none; an empty http_addr is every address, as Grafana's own default.
    const defaults = 'ExecStart=/usr/sbin/grafana-server cfg:default.server.http_port= cfg:server.http_addr=';
    const found = await results({ 'etc/grafana/grafana.ini': '[server]\n', [UNIT]: unit(defaults) });
    expect(found).toEqual([
      expect.stringMatching(
        /^error .*sets cfg:default\.server\.http_port= \(empty\), so Grafana takes its own default http_port, 3000, but the registry says Grafana uses port 3030/,
      ),
      expect.stringMatching(
        /^error .*sets cfg:server\.http_addr= \(empty\), so Grafana takes its own default http_addr, 0\.0\.0\.0, so Grafana accepts connections on every address/,
      ),
    ]);
  });

  it('a cfg: word with other than one = is an error: Grafana exits at start on it', async () => {
    expect(
      await results({ 'etc/grafana/grafana.ini': INI, [UNIT]: unit('ExecStart=/usr/sbin/grafana-server cfg:server.root_url=http://h:3030/?a=b') }),
    ).toEqual([
      `error /${UNIT}:2: grafana (3030): /${UNIT}:2: cfg:server.root_url=http://h:3030/?a=b is no cfg:SECTION.KEY=VALUE with one = (Grafana splits it at each =), so Grafana exits at start ("Invalid command line argument"); set it in /etc/grafana/grafana.ini instead`,
    ]);
  });

  it('is unknown when a variable of the command line may come from an EnvironmentFile= that cannot be read', async () => {
    // Said once, for every key it leaves unknown.
    expect(await results({ 'etc/grafana/grafana.ini': INI, [UNIT]: unit(...DEBIAN), 'etc/default/grafana-server': { fifo: true } })).toEqual([
      `unknown /${UNIT}:4: grafana (3030): /${UNIT}:4 gives Grafana a command line from the unit's environment, which may name another config file or override http_port in /etc/grafana/grafana.ini: /etc/default/grafana-server (EnvironmentFile= at /${UNIT}:2) may set CONF_FILE, and cannot be read: it is a FIFO (named pipe), not a regular file; /etc/default/grafana-server (EnvironmentFile= at /${UNIT}:2) may set PID_FILE_DIR, and cannot be read: it is a FIFO (named pipe), not a regular file; /etc/default/grafana-server (EnvironmentFile= at /${UNIT}:2) may set LOG_DIR, and cannot be read: it is a FIFO (named pipe), not a regular file; /etc/default/grafana-server (EnvironmentFile= at /${UNIT}:2) may set DATA_DIR, and cannot be read: it is a FIFO (named pipe), not a regular file, so Grafana's port, protocol, http_addr and root_url cannot be told`,
    ]);
  });
});

describe("the config check reads Grafana's homepath's conf/defaults.ini under the file it reads, as Grafana does", () => {
  /** The package's defaults.ini, in short: Grafana's port 3000, every address. */
  const SHIPPED = '[paths]\ndata = data\n\n[server]\nprotocol = http\nhttp_addr = 0.0.0.0\nhttp_port = 3000\n';
  const packaged = { 'usr/share/grafana/bin/grafana': EXECUTABLE, 'usr/share/grafana/conf/defaults.ini': SHIPPED, 'etc/default/grafana-server': DEFAULTS };
  const DEFAULTS_AT = '/usr/share/grafana/conf/defaults.ini';

  it("--homepath with --config naming another file that sets no http_port: Grafana listens on defaults.ini's port, named with its line", async () => {
    const start = 'ExecStart=/usr/share/grafana/bin/grafana server --homepath=/usr/share/grafana --config=/etc/grafana/other.ini';
    const found = await results({ ...packaged, 'etc/grafana/grafana.ini': INI, 'etc/grafana/other.ini': '[server]\n', [UNIT]: unit(start) });
    expect(found).toEqual([
      expect.stringMatching(
        /^warning .*runs Grafana with --config=\/etc\/grafana\/other\.ini, so it reads \/etc\/grafana\/other\.ini, not \/etc\/grafana\/grafana\.ini/,
      ),
      `error ${DEFAULTS_AT}:7:13: grafana (3030): ${DEFAULTS_AT}:7:13: sets http_port = 3000 (Grafana's defaults), which /etc/grafana/other.ini does not set, but the registry says Grafana uses port 3030; write http_port = 3030 under [server] in /etc/grafana/other.ini (ports snippet grafana-ini prints what passes), or give Grafana port: 3000 in the registry`,
      expect.stringMatching(
        new RegExp(
          `^error ${DEFAULTS_AT}:6:13: .*sets http_addr = 0\\.0\\.0\\.0 \\(Grafana's defaults\\), which /etc/grafana/other\\.ini does not set, so Grafana accepts connections on every address.*; write http_addr = 127\\.0\\.0\\.1 under \\[server\\] in /etc/grafana/other\\.ini`,
        ),
      ),
    ]);
  });

  it("Debian's unit (homepath its WorkingDirectory=): grafana.ini's unset or empty key is defaults.ini's, fixed in grafana.ini", async () => {
    for (const ini of ['[server]\nhttp_addr = 127.0.0.1\n', '[server]\nhttp_addr = 127.0.0.1\nhttp_port =\n'])
      expect(await results({ ...packaged, 'etc/grafana/grafana.ini': ini, [UNIT]: unit(...DEBIAN) }), ini).toEqual([
        `error ${DEFAULTS_AT}:7:13: grafana (3030): ${DEFAULTS_AT}:7:13: sets http_port = 3000 (Grafana's defaults), which /etc/grafana/grafana.ini does not set, but the registry says Grafana uses port 3030; write http_port = 3030 under [server] in /etc/grafana/grafana.ini (ports snippet grafana-ini prints what passes), or give Grafana port: 3000 in the registry`,
      ]);
    // The file's key, and a GF_ variable, still win over it, as before.
    expect(await results({ ...packaged, 'etc/grafana/grafana.ini': INI, [UNIT]: unit(...DEBIAN) })).toEqual([
      'ok /etc/grafana/grafana.ini:3: grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030',
    ]);
    const env = await results({ ...packaged, 'etc/grafana/grafana.ini': INI, [UNIT]: unit('Environment=GF_SERVER_HTTP_PORT=3030', ...DEBIAN) });
    expect(env).toEqual([`ok /${UNIT}:2: grafana (3030): /${UNIT}:2 sets GF_SERVER_HTTP_PORT=3030, which overrides http_port in /etc/grafana/grafana.ini`]);
  });

  it('a defaults.ini that cannot be read leaves a key no later layer sets unknown, and says nothing more', async () => {
    const unread = { ...packaged, 'usr/share/grafana/conf/defaults.ini': { fifo: true } as TreeEntry };
    expect(await results({ ...unread, 'etc/grafana/grafana.ini': '[server]\nhttp_addr = 127.0.0.1\n', [UNIT]: unit(...DEBIAN) })).toEqual([
      `unknown /etc/grafana/grafana.ini: grafana (3030): /etc/grafana/grafana.ini sets no http_port in [server], so Grafana takes the one in its homepath's ${DEFAULTS_AT}, which cannot be read (it is a FIFO (named pipe), not a regular file), so the port cannot be told`,
    ]);
    expect(await results({ ...unread, 'etc/grafana/grafana.ini': INI, [UNIT]: unit(...DEBIAN) })).toEqual([
      'ok /etc/grafana/grafana.ini:3: grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030',
    ]);
    // http_addr left to it: once an error ("sets no http_addr"), now unknown; protocol, which passed, says nothing.
    expect(await results({ ...unread, 'etc/grafana/grafana.ini': '[server]\nhttp_port = 3030\n', [UNIT]: unit(...DEBIAN) })).toEqual([
      'ok /etc/grafana/grafana.ini:2: grafana (3030): /etc/grafana/grafana.ini:2 sets http_port = 3030',
      `unknown /etc/grafana/grafana.ini: grafana (3030): /etc/grafana/grafana.ini sets no http_addr in [server], so Grafana takes the one in its homepath's ${DEFAULTS_AT}, which cannot be read (it is a FIFO (named pipe), not a regular file), so where Grafana listens cannot be told`,
    ]);
  });
});

describe("GF_ variables and cfg: words apply only to the keys Grafana's merged file has; a [server.NAME] key sets [server]'s", () => {
  // setting.go: applyEnvVariableOverrides and applyCommandLineProperties iterate the sections and keys of the file
  // made of defaults.ini and the config file; loadSpecifiedConfigFile sets each key where go-ini's GetKey finds it.
  const SHIPPED = '[paths]\ndata = data\n\n[server]\nprotocol = http\nhttp_addr = 0.0.0.0\nhttp_port = 3000\n';
  const packaged = { 'usr/share/grafana/bin/grafana': EXECUTABLE, 'usr/share/grafana/conf/defaults.ini': SHIPPED, 'etc/default/grafana-server': DEFAULTS };
  const withIni = (ini: string, ...lines: string[]) => results({ ...packaged, 'etc/grafana/grafana.ini': ini, [UNIT]: unit(...lines, ...DEBIAN) });
  const FILLED = '[server]\nhttp_addr = 127.0.0.1\nhttp_port = %(p)s\n';

  it('GF_SERVER_P or cfg:server.p for a key p that no file has: Grafana ignores it, and %(p)s is left as written', async () => {
    for (const found of [await withIni(FILLED, 'Environment=GF_SERVER_P=3030'), await withIni(`${FILLED}p =\n`, 'Environment=GF_SERVER_P=3030')])
      expect(found).toEqual([expect.stringMatching(/^error .*sets http_port = %\(p\)s: "%\(p\)s" is not a port/)]);
    const word = `  cfg:server.p=3030`;
    expect(await results({ ...packaged, 'etc/grafana/grafana.ini': FILLED, [UNIT]: unit(...DEBIAN.slice(0, -1), `${DEBIAN.at(-1)!} \\`, word) })).toEqual([
      expect.stringMatching(/^error .*sets http_port = %\(p\)s: "%\(p\)s" is not a port/),
    ]);
    // Whether defaults.ini has p, when it cannot be read, is not known.
    const unread = { ...packaged, 'usr/share/grafana/conf/defaults.ini': { fifo: true } as TreeEntry };
    expect(await results({ ...unread, 'etc/grafana/grafana.ini': FILLED, [UNIT]: unit('Environment=GF_SERVER_P=3030', ...DEBIAN) })).toEqual([
      `unknown /${UNIT}:2: grafana (3030): /${UNIT}:2 sets GF_SERVER_P=3030, which Grafana applies only if its homepath's /usr/share/grafana/conf/defaults.ini has p in [server] (/etc/grafana/grafana.ini does not set it), and that file cannot be read, so the p that Grafana fills in for %(p)s in http_port, and so the port, cannot be told`,
    ]);
    // A key the file has (any value) is overridden, and filled in from the variable.
    expect(await withIni(`${FILLED}p = 1\n`, 'Environment=GF_SERVER_P=3030')).toEqual([
      `ok /etc/grafana/grafana.ini:3: grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = %(p)s (Grafana fills in %(p)s with 3030 from /${UNIT}:2)`,
    ]);
    // A key of DEFAULT (before any header): GF_DEFAULT_Q, and cfg:q (no section), as Grafana names them.
    const defaulted = 'q = 1\n[server]\nhttp_addr = 127.0.0.1\nhttp_port = %(q)s\n';
    expect(await withIni(defaulted, 'Environment=GF_DEFAULT_Q=3030')).toEqual([expect.stringMatching(/^ok .*fills in %\(q\)s with 3030 from/)]);
    expect(
      await results({ ...packaged, 'etc/grafana/grafana.ini': defaulted, [UNIT]: unit(...DEBIAN.slice(0, -1), `${DEBIAN.at(-1)!} \\`, '  cfg:q=3030') }),
    ).toEqual([expect.stringMatching(/^ok .*fills in %\(q\)s with 3030 from/)]);
  });

  it("a key of [server.NAME] that [server] has sets [server]'s (go-ini looks up a child section's key in its parent), the later one winning", async () => {
    expect(await withIni(`${INI}[server.extra]\nhttp_port = 3000\n`)).toEqual([
      "error /etc/grafana/grafana.ini:5:13: grafana (3030): /etc/grafana/grafana.ini:5:13: sets http_port = 3000 in [server.extra], which Grafana reads as [server]'s (go-ini finds a key of [server] from its child sections), but the registry says Grafana uses port 3030; write http_port = 3030 under [server] (ports snippet grafana-ini prints what passes), or give Grafana port: 3000 in the registry",
    ]);
    // Deeper, and before [server] (then [server]'s own line comes later and wins); an empty one is skipped.
    expect(await withIni('[server.a.b]\nhttp_port = 3030\n[server]\nhttp_addr = 127.0.0.1\n')).toEqual([
      "ok /etc/grafana/grafana.ini:2: grafana (3030): /etc/grafana/grafana.ini:2 sets http_port = 3030 in [server.a.b], which Grafana reads as [server]'s (go-ini finds a key of [server] from its child sections)",
    ]);
    expect(await withIni(`[server.extra]\nhttp_port = 3000\n${INI}[server.other]\nhttp_port =\n`)).toEqual([
      'ok /etc/grafana/grafana.ini:5: grafana (3030): /etc/grafana/grafana.ini:5 sets http_port = 3030',
    ]);
  });
});

describe("a fix to Grafana's unit under --root and on this host", () => {
  it("ends as reloadStep says under --root, never with the host's daemon-reload; on this host (/) with systemctl daemon-reload and restart", async () => {
    const trees: Record<string, TreeEntry>[] = [
      // missingConfig(): --config names no file.
      { 'etc/grafana/grafana.ini': INI, [UNIT]: unit('ExecStart=/usr/sbin/grafana-server --config=/etc/grafana/missing.ini') },
      // noDefaults(): its homepath holds no conf/defaults.ini.
      { 'etc/grafana/grafana.ini': INI, 'usr/share/grafana/bin/grafana': EXECUTABLE, [UNIT]: unit('ExecStart=/usr/share/grafana/bin/grafana server') },
      // overrideFix(): a cfg: word over the file's port; and over its protocol (checkGrafanaServer).
      { 'etc/grafana/grafana.ini': INI, [UNIT]: unit('ExecStart=/usr/sbin/grafana-server cfg:server.http_port=3000') },
      { 'etc/grafana/grafana.ini': INI, [UNIT]: unit('ExecStart=/usr/sbin/grafana-server cfg:server.protocol=socket') },
    ];
    for (const files of trees) {
      const root = writeTree(tempDir(), files);
      const facts = await gather({ registry, root, services: [grafana] });
      const fixes = (checked: typeof facts) =>
        checkConfig(checked, grafana)
          .filter((result) => result.severity === 'error')
          .map((result) => result.reason);
      const [under, here] = [fixes(facts), fixes({ ...facts, root: '/' })];
      const line = String(files[UNIT]);
      expect(under, line).toHaveLength(1);
      expect(under[0], line).toContain(reloadStep(root));
      expect(under[0], line).not.toContain('daemon-reload');
      expect(here[0], line).toContain(`, then systemctl daemon-reload and restart ${grafana.systemd!.unit}`);
      expect(here[0], line).not.toContain(reloadStep(root));
    }
  });
});
