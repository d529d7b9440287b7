// `ports systemd --check` on claim-port lines the registry does not ask for ("stray" claims), in-process on real
// staged roots and --out directories: where they are looked for (the type-wide service.d/, linked unit files and
// drop-in directories), and what each is said to do (a specifier or variable, bytes that are not UTF-8, another
// registry's drop-in, a masked one).
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const CLAIM = '/usr/local/bin/claim-port';

/** A registry of two robust services: mydb on `port` claims in a drop-in, myapi on `port + 1` in its unit file. */
function registryText(port: number): string {
  const service = (id: string, at: number, claim: string) =>
    `  - id: ${id}\n    name: ${id}\n    group: production\n    port: ${at}\n    protocol: TCP\n    access: localhost\n` +
    `    configuredBy: hardcoded\n    robust: true\n    systemd: { unit: ${id}.service, claim: ${claim} }\n    processes: [${id}-primary]\n`;
  return `version: 1\nclaim:\n  timeoutSeconds: 2\n  protect:\n    processes: []\nservices:\n${service('mydb', port, 'drop-in')}${service('myapi', port + 1, 'unit')}`;
}

/**
 * A staged root whose wiring matches the registry (ROOT/etc/dsa110/ports.yaml, another registry at
 * ROOT/etc/other/ports.yaml): `check()` runs --check on it, `write()` the write.
 */
async function stagedRoot() {
  const root = tempDir('dsa110-stray-');
  const registry = join(root, 'etc/dsa110/ports.yaml');
  writeTree(root, {
    'etc/dsa110/ports.yaml': registryText(41700),
    'etc/other/ports.yaml': registryText(41800),
    'usr/local/bin/claim-port': { text: '#!/bin/sh\nexit 0\n', mode: 0o755 },
    'etc/systemd/system/mydb.service': '[Service]\nExecStart=/bin/true\n',
    'etc/systemd/system/myapi.service': `[Service]\nExecStartPre=+${CLAIM} 41701 --registry /etc/dsa110/ports.yaml\nExecStart=/bin/true\n`,
  });
  const args = ['--registry', registry, 'systemd', '--root', root];
  const write = () => ports(args);
  const check = () => ports([...args, '--check']);
  expect((await write()).code).toBe(0);
  expect(await check()).toMatchObject({ code: 0, stderr: '' });
  return { root, unitDir: join(root, 'etc/systemd/system'), write, check };
}

/**
 * Package unit files (under /usr/lib/systemd/system) of these names, that run nothing of claim-port: a drop-in
 * directory of a unit no unit file names is never read by systemd (a warning, not a claim), so the units whose
 * drop-ins a test means to be read are installed.
 */
const installed = (...units: string[]) => Object.fromEntries(units.map((unit) => [`usr/lib/systemd/system/${unit}`, '[Service]\nExecStart=/bin/true\n']));

/** The lines of a run's stdout that report `unexpected` files, or warn. */
const said = (stdout: string) => stdout.split('\n').filter((line) => line.includes(': unexpected: ') || line.startsWith('warning: '));

describe('ports systemd --check: stray claim lines where systemd reads them', () => {
  it('reports a claim line in the type-wide service.d/, which every service reads, and a claim-port.conf there, under --root and --out', async () => {
    const { unitDir, check, write } = await stagedRoot();
    writeTree(unitDir, {
      'service.d/x.conf': `[Service]\nExecStartPre=+${CLAIM} 41700\n`,
      'service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 41999\n`,
    });
    const lines = [
      `${unitDir}/service.d/claim-port.conf: unexpected: service.d/ holds drop-ins every service unit reads, so it runs at the start of every service on the system; its ExecStartPre=+${CLAIM} 41999 frees port 41999 as root; remove it (a service's claim goes in its own NAME.service.d/: \`systemd.claim: drop-in\`)`,
      `${unitDir}/service.d/x.conf:2: unexpected: ExecStartPre=+${CLAIM} 41700: service.d/ holds drop-ins every service unit reads, so at the start of every service on the system claim-port frees port 41700 (mydb's) as root; remove the line (a service's claim goes in its own NAME.service.d/: \`systemd.claim: drop-in\`)`,
    ];
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([1, lines]);
    expect(said((await write()).stderr).filter((line) => line.includes(unitDir))).toEqual(lines.map((line) => `warning: ${line}`));

    // --out: a bare directory, no effective unit judged; the line is found all the same.
    const dir = tempDir();
    writeFileSync(join(dir, 'ports.yaml'), registryText(41700).replace('claim: unit', 'claim: drop-in'));
    const out = join(dir, 'units');
    const args = ['--registry', join(dir, 'ports.yaml'), 'systemd', '--out', out];
    expect((await ports(args)).code).toBe(0);
    writeTree(out, { 'service.d/x.conf': `[Service]\nExecStartPre=+${CLAIM} 41999\n` });
    const outRun = await ports([...args, '--check']);
    expect([outRun.code, said(outRun.stdout)]).toEqual([
      1,
      [
        `${out}/service.d/x.conf:2: unexpected: ExecStartPre=+${CLAIM} 41999: service.d/ holds drop-ins every service unit reads, so at the start of every service on the system claim-port frees port 41999 as root; remove the line (a service's claim goes in its own NAME.service.d/: \`systemd.claim: drop-in\`)`,
      ],
    ]);
  });

  it('reads a unit file linked in from outside the unit directories, and a drop-in directory or drop-in that is a link (resolved inside --root); not an alias or a mask twice', async () => {
    const { root, unitDir, check } = await stagedRoot();
    writeTree(root, installed('cache.service', 'web.service'));
    writeTree(root, {
      // `systemctl link /opt/old/old.service`: systemd loads it through the link.
      'opt/old/old.service': `[Service]\nExecStartPre=+${CLAIM} 41700\nExecStart=/bin/true\n`,
      'etc/systemd/system/old.service': { symlink: '/opt/old/old.service' },
      // An alias of it, and a mask: no unit file of their own to report.
      'etc/systemd/system/old-alias.service': { symlink: 'old.service' },
      'etc/systemd/system/gone.service': { symlink: '/dev/null' },
      // A drop-in directory kept elsewhere, linked in with an absolute link (inside the root, not this host's /opt).
      'opt/web/dropins/port.conf': `[Service]\nExecStartPre=+${CLAIM} 41701\n`,
      'etc/systemd/system/web.service.d': { symlink: '/opt/web/dropins' },
      // A drop-in that is a link to a file elsewhere.
      'opt/shared/claim.conf': `[Service]\nExecStartPre=+${CLAIM} 41702\n`,
      'etc/systemd/system/cache.service.d/claim.conf': { symlink: '/opt/shared/claim.conf' },
    });
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `${unitDir}/cache.service.d/claim.conf:2: unexpected: ExecStartPre=+${CLAIM} 41702: no robust service in the registry uses cache.service, yet at each start of it claim-port frees port 41702 as root; remove the line`,
        `${unitDir}/old.service:2: unexpected: ExecStartPre=+${CLAIM} 41700: no robust service in the registry uses old.service; it claims port 41700, which the registry gives to mydb (mydb.service): at each start of old.service it would free mydb's port as root; remove the line`,
        `${unitDir}/web.service.d/port.conf:2: unexpected: ExecStartPre=+${CLAIM} 41701: no robust service in the registry uses web.service; it claims port 41701, which the registry gives to myapi (myapi.service): at each start of web.service it would free myapi's port as root; remove the line`,
      ],
    ]);
  });
});

describe('ports systemd --check: what a stray claim line is said to do', () => {
  it('a port written as a specifier or a variable: frees whatever it names when the unit starts, not "nothing"', async () => {
    const { unitDir, check } = await stagedRoot();
    writeTree(unitDir, {
      'web@.service': `[Service]\nExecStartPre=+${CLAIM} %i\nExecStart=/bin/true\n`,
      'old.service': `[Service]\nExecStartPre=+${CLAIM} \${PORT} --timeout 3\nExecStart=/bin/true\n`,
      'mydb.service.d/port.conf': `[Service]\nExecStartPre=+${CLAIM} $MYDB_PORT\n`,
      // `%%` is a literal %: claim-port is given `100%i`, refuses it, and frees nothing.
      'pct.service': `[Service]\nExecStartPre=+${CLAIM} 100%%i\nExecStart=/bin/true\n`,
    });
    const advice = (word: string) =>
      `remove the line (for a service of the registry's that ${word} names, make it robust with its own systemd.unit: \`ports systemd\` then wires and checks its claim)`;
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `${unitDir}/mydb.service.d/port.conf:2: unexpected: ExecStartPre=+${CLAIM} $MYDB_PORT runs claim-port for mydb.service besides mydb.service.d/claim-port.conf, where the registry wires its claim, and frees whatever port or service id $MYDB_PORT names at that start (MYDB_PORT: a variable of the unit's environment, from Environment= or EnvironmentFile=): mydb's port 41700 a second time, or another port; remove the line`,
        `${unitDir}/old.service:2: unexpected: ExecStartPre=+${CLAIM} \${PORT} --timeout 3: no robust service in the registry uses old.service, yet at each start of it claim-port frees whatever port or service id \${PORT} names at that start (PORT: a variable of the unit's environment, from Environment= or EnvironmentFile=) as root; ${advice(`\${PORT}`)}`,
        `${unitDir}/pct.service:2: unexpected: ExecStartPre=+${CLAIM} 100%%i: no robust service in the registry uses pct.service, and at each start of it claim-port frees nothing: ` +
          'claim-port would refuse these arguments (a usage error, exit 64): port "100%i" is not valid: it is not a plain decimal integer; give a decimal port 1-65535 or a service id, ' +
          'so each start of pct.service fails at this line; remove the line',
        `${unitDir}/web@.service:2: unexpected: ExecStartPre=+${CLAIM} %i: no robust service in the registry uses web@.service, yet at each start of it claim-port frees whatever port or service id %i names at that start (%i: the instance name of the unit started, after its @) as root; ${advice('%i')}`,
      ],
    ]);
  });

  it('a line holding bytes that are not UTF-8: shown with \\xNN, and said to be ignored by systemd (it claims nothing)', async () => {
    const { root, unitDir, check } = await stagedRoot();
    writeTree(root, installed('nginx.service'));
    mkdirSync(join(unitDir, 'nginx.service.d'));
    writeFileSync(join(unitDir, 'old.service'), Buffer.from(`[Service]\nExecStartPre=+${CLAIM} 41700 --timeout 5 \xff\nExecStart=/bin/true\n`, 'latin1'));
    writeFileSync(join(unitDir, 'nginx.service.d/x.conf'), Buffer.from(`[Service]\nExecStartPre=+${CLAIM} 41700 caf\xe9\n`, 'latin1'));
    const run = await check();
    expect(run.stdout).not.toContain('\ufffd');
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `${unitDir}/nginx.service.d/x.conf:2: unexpected: ExecStartPre=+${CLAIM} 41700 caf\\xe9: it holds bytes that are not UTF-8, so systemd ignores it ("String is not UTF-8 clean, ignoring assignment"): it claims nothing; remove the line`,
        `${unitDir}/old.service:2: unexpected: ExecStartPre=+${CLAIM} 41700 --timeout 5 \\xff: it holds bytes that are not UTF-8, so systemd ignores it ("String is not UTF-8 clean, ignoring assignment") and refuses to load old.service: it claims nothing; remove the line`,
      ],
    ]);
  });

  it("a leftover claim-port.conf naming another registry is that registry's: a warning, not a request to remove it; beside this registry's own claim of the unit, drift", async () => {
    const { root, unitDir, check, write } = await stagedRoot();
    writeTree(root, installed('otherdb.service'));
    writeTree(unitDir, { 'otherdb.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 41700 --registry /etc/other/ports.yaml\n` });
    const warning = `warning: ${unitDir}/otherdb.service.d/claim-port.conf: its ExecStartPre=+${CLAIM} 41700 --registry /etc/other/ports.yaml names another registry, /etc/other/ports.yaml, not the one checked here: it is that registry's claim for otherdb.service, left alone here (that registry's own \`ports systemd --check\` checks it); it claims port 41700, which the registry gives to mydb (mydb.service): at each start of otherdb.service it would free mydb's port as root`;
    let run = await check();
    expect([run.code, said(run.stdout), run.stderr]).toEqual([0, [warning], '']);
    expect(run.stdout).toMatch(/\nok: 1 drop-in, 1 unit file /);
    expect(said((await write()).stderr).filter((line) => line.includes(unitDir))).toEqual([warning]);

    // This registry wires myapi.service's claim in its unit file: another registry's claim-port.conf for it claims twice.
    writeTree(unitDir, { 'myapi.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 41701 --registry /etc/other/ports.yaml\n` });
    run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        warning,
        `${unitDir}/myapi.service.d/claim-port.conf: unexpected: its ExecStartPre=+${CLAIM} 41701 --registry /etc/other/ports.yaml names another registry, /etc/other/ports.yaml, whose wiring it is, while this registry wires myapi.service's claim in the unit file (systemd.claim: unit), so myapi.service would claim its port twice, under two registries; make myapi.service robust in only one of them`,
      ],
    ]);
  });

  it('a masked leftover claim-port.conf (a link to /dev/null, or empty) is said to be masked, claiming nothing', async () => {
    const { root, unitDir, check } = await stagedRoot();
    writeTree(root, installed('old.service', 'old2.service'));
    writeTree(unitDir, {
      'old.service.d/claim-port.conf': { symlink: '/dev/null' },
      'old2.service.d/claim-port.conf': '',
      'myapi.service.d/claim-port.conf': { symlink: '/dev/null' },
    });
    const masked = 'unexpected: masked (a link to /dev/null, or empty), so systemd reads nothing from it and it claims nothing;';
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `${unitDir}/myapi.service.d/claim-port.conf: ${masked} the registry wires myapi.service's claim in the unit file (systemd.claim: unit); remove it`,
        `${unitDir}/old.service.d/claim-port.conf: ${masked} no robust service in the registry uses old.service; remove it`,
        `${unitDir}/old2.service.d/claim-port.conf: ${masked} no robust service in the registry uses old2.service; remove it`,
      ],
    ]);
  });
});

describe('ports systemd --check: a stray claim line that claim-port refuses', () => {
  it('says that the start of its unit fails there (a usage error, exit 64), unless the - prefix ignores it; and of every service in service.d/', async () => {
    const { unitDir, check } = await stagedRoot();
    writeTree(unitDir, {
      'other.service': `[Service]\nExecStartPre=+${CLAIM} --bogus 41700\nExecStartPre=-${CLAIM} --bogus 41700\nExecStartPre=+${CLAIM} --help\nExecStart=/bin/true\n`,
      'service.d/x.conf': `[Service]\nExecStartPre=+${CLAIM} 41700 41701\n`,
    });
    const bogus = 'claim-port would refuse these arguments (a usage error, exit 64): unknown option --bogus; see claim-port --help';
    const none = 'no robust service in the registry uses other.service, and at each start of it claim-port frees nothing';
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `${unitDir}/other.service:2: unexpected: ExecStartPre=+${CLAIM} --bogus 41700: ${none}: ${bogus}, so each start of other.service fails at this line; remove the line`,
        `${unitDir}/other.service:3: unexpected: ExecStartPre=-${CLAIM} --bogus 41700: ${none}: ${bogus}, and the - prefix makes systemd ignore that failure; remove the line`,
        `${unitDir}/other.service:4: unexpected: ExecStartPre=+${CLAIM} --help: ${none}: claim-port is given --help, so it prints its usage and claims nothing; remove the line`,
        `${unitDir}/service.d/x.conf:2: unexpected: ExecStartPre=+${CLAIM} 41700 41701: service.d/ holds drop-ins every service unit reads, so at the start of every service on the system claim-port runs and frees nothing: ` +
          'claim-port would refuse these arguments (a usage error, exit 64): one port at a time; got "41700", "41701", so each start of every service on the system fails at this line; ' +
          "remove the line (a service's claim goes in its own NAME.service.d/: `systemd.claim: drop-in`)",
      ],
    ]);
  });
});

describe('ports systemd --check: stray claim lines in every unit directory systemd loads from', () => {
  it('reads /run, /usr/local/lib, /usr/lib and /lib in precedence order: a file hidden by one of its name higher up is not reported, /lib -> usr/lib once, each with the fix for where it is', async () => {
    const { root, unitDir, check, write } = await stagedRoot();
    writeTree(root, installed('hid.service'));
    const lib = join(root, 'usr/lib/systemd/system');
    writeTree(root, {
      // Debian's merged /usr: /lib is a link to usr/lib, and each file there is read once, under its real path.
      lib: { symlink: 'usr/lib' },
      // A package's unit file and drop-in: overridden or masked from /etc, never edited.
      'usr/lib/systemd/system/pkg.service': `[Service]\nExecStartPre=+${CLAIM} 41702\nExecStart=/bin/true\n`,
      'usr/lib/systemd/system/pkg.service.d/port.conf': `[Service]\nExecStartPre=+${CLAIM} 41703\n`,
      // Made at run time, and the administrator's own install.
      'run/systemd/system/rt.service': `[Service]\nExecStartPre=+${CLAIM} 41704\nExecStart=/bin/true\n`,
      'usr/local/lib/systemd/system/loc.service': `[Service]\nExecStartPre=+${CLAIM} 41705\nExecStart=/bin/true\n`,
      // Hidden by a file of the same name higher up (systemd never reads them): the unit file of /etc, its drop-in, a mask.
      'usr/lib/systemd/system/mydb.service': `[Service]\nExecStartPre=+${CLAIM} 41799\nExecStart=/bin/true\n`,
      'etc/systemd/system/hid.service.d/port.conf': `[Service]\nExecStartPre=+${CLAIM} 41706\n`,
      'usr/lib/systemd/system/hid.service.d/port.conf': `[Service]\nExecStartPre=+${CLAIM} 41798\n`,
      'run/systemd/system/gone.service': { symlink: '/dev/null' },
      'usr/lib/systemd/system/gone.service': `[Service]\nExecStartPre=+${CLAIM} 41797\nExecStart=/bin/true\n`,
      // An alias of its own name in /etc: the file it names is the one read, where it is.
      'etc/systemd/system/al.service': { symlink: '/lib/systemd/system/al.service' },
      'usr/lib/systemd/system/al.service': `[Service]\nExecStartPre=+${CLAIM} 41707\nExecStart=/bin/true\n`,
    });
    const none = (unit: string, port: number) =>
      `ExecStartPre=+${CLAIM} ${port}: no robust service in the registry uses ${unit}, yet at each start of it claim-port frees port ${port} as root`;
    const packaged = "the file is a package's (under /usr/lib/systemd/system), which an upgrade of the package overwrites: do not edit it;";
    const unitFix = (unit: string) =>
      `${packaged} override it with a drop-in of its own, ${unitDir}/${unit}.d/override.conf (\`systemctl edit ${unit}\`), holding under [Service] an empty ExecStartPre= (which drops each ExecStartPre= of the package's file) then those of its ExecStartPre= lines to keep; or mask the unit (\`systemctl mask ${unit}\`) if it is not used`;
    const lines = [
      `${unitDir}/hid.service.d/port.conf:2: unexpected: ${none('hid.service', 41706)}; remove the line`,
      `${root}/run/systemd/system/rt.service:2: unexpected: ${none('rt.service', 41704)}; remove the line; the file is under /run, made since boot (a reboot removes it), so whatever made it there (\`systemctl --runtime\`, a script) may make it again: change that too`,
      `${lib}/al.service:2: unexpected: ${none('al.service', 41707)}; ${unitFix('al.service')}`,
      `${lib}/pkg.service:2: unexpected: ${none('pkg.service', 41702)}; ${unitFix('pkg.service')}`,
      `${lib}/pkg.service.d/port.conf:2: unexpected: ${none('pkg.service', 41703)}; ${packaged} mask it with a file of its name in ${unitDir}, which systemd reads in its place: \`ln -s /dev/null ${unitDir}/pkg.service.d/port.conf\` (or there a copy of it without the line, if it sets anything else)`,
      `${root}/usr/local/lib/systemd/system/loc.service:2: unexpected: ${none('loc.service', 41705)}; remove the line; the file is the administrator's own install under /usr/local, so remove it from what installs it there too, or a reinstall puts it back`,
    ];
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([1, lines]);
    // The write warns of the same, by the same paths.
    expect(said((await write()).stderr).filter((line) => line.includes(': unexpected: '))).toEqual(lines.map((line) => `warning: ${line}`));
  });
});

describe('ports systemd --check: whom a stray claim is said to reach', () => {
  it('a dash prefix\'s drop-in directory (foo-.service.d/) is said to apply to every foo-*.service, a template\'s to every instance; not named as a unit "foo-.service"', async () => {
    const { root, unitDir, check } = await stagedRoot();
    writeTree(root, installed('foo-a.service', 'bar-a.service', 'web@.service'));
    writeTree(unitDir, {
      'foo-.service.d/port.conf': `[Service]\nExecStartPre=+${CLAIM} 41702\n`,
      'bar-.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 41700\n`,
      'web@.service.d/port.conf': `[Service]\nExecStartPre=+${CLAIM} 41703\n`,
    });
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `${unitDir}/bar-.service.d/claim-port.conf: unexpected: no robust service in the registry uses any of the units bar-.service.d/ applies to, every bar-*.service; its ExecStartPre=+${CLAIM} 41700 claims port 41700, which the registry gives to mydb (mydb.service): at each start of any bar-*.service it would free mydb's port as root; remove it`,
        `${unitDir}/foo-.service.d/port.conf:2: unexpected: ExecStartPre=+${CLAIM} 41702: foo-.service.d/ holds drop-ins every foo-*.service unit reads, and no robust service in the registry uses one, yet at each start of any of them claim-port frees port 41702 as root; remove the line`,
        `${unitDir}/web@.service.d/port.conf:2: unexpected: ExecStartPre=+${CLAIM} 41703: web@.service.d/ holds drop-ins every web@*.service unit reads, and no robust service in the registry uses one, yet at each start of any of them claim-port frees port 41703 as root; remove the line`,
      ],
    ]);
  });

  it("a service id is resolved in the registry the line reads: one this registry lacks is refused by claim-port (exit 64); one of another registry is not this registry's service of that id", async () => {
    const { root, unitDir, check } = await stagedRoot();
    writeTree(root, installed('old.service', 'web.service'));
    writeTree(unitDir, {
      // This registry has no "redis": claim-port refuses it, and the start fails there (or, with -, goes on unclaimed).
      'old.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} redis --registry /etc/dsa110/ports.yaml\n`,
      'web.service.d/port.conf': `[Service]\nExecStartPre=-${CLAIM} redis --registry /etc/dsa110/ports.yaml\n`,
      // "mydb" of /etc/other/ports.yaml is that registry's (port 41800), not this one's mydb (41700).
      'service.d/x.conf': `[Service]\nExecStartPre=+${CLAIM} mydb --registry /etc/other/ports.yaml\n`,
      // A --registry that names no file: claim-port cannot resolve the id at all.
      'gone.service': `[Service]\nExecStartPre=+${CLAIM} mydb --registry /etc/gone/ports.yaml\nExecStart=/bin/true\n`,
    });
    const unknown =
      'claim-port would refuse these arguments (a usage error, exit 64): unknown service "redis": the registry it reads (/etc/dsa110/ports.yaml) has no such id';
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `${unitDir}/gone.service:2: unexpected: ExecStartPre=+${CLAIM} mydb --registry /etc/gone/ports.yaml: no robust service in the registry uses gone.service, and at each start of it claim-port frees nothing: claim-port would refuse these arguments (a usage error, exit 64): it cannot resolve service "mydb": its --registry /etc/gone/ports.yaml names no file, so each start of gone.service fails at this line; remove the line`,
        `${unitDir}/old.service.d/claim-port.conf: unexpected: no robust service in the registry uses old.service; at each start of old.service its ExecStartPre=+${CLAIM} redis --registry /etc/dsa110/ports.yaml frees nothing: ${unknown}, so each start of old.service fails at this line; remove it`,
        `${unitDir}/service.d/x.conf:2: unexpected: ExecStartPre=+${CLAIM} mydb --registry /etc/other/ports.yaml: service.d/ holds drop-ins every service unit reads, so at the start of every service on the system claim-port frees the port of mydb in /etc/other/ports.yaml (if it has that id) as root; remove the line (a service's claim goes in its own NAME.service.d/: \`systemd.claim: drop-in\`)`,
        `${unitDir}/web.service.d/port.conf:2: unexpected: ExecStartPre=-${CLAIM} redis --registry /etc/dsa110/ports.yaml: no robust service in the registry uses web.service, and at each start of it claim-port frees nothing: ${unknown}, and the - prefix makes systemd ignore that failure; remove the line`,
      ],
    ]);
  });
});

describe("ports systemd --check: a stray claim line's relative --registry, read in its unit's WorkingDirectory=", () => {
  it("names the file in the working directory of the unit that reads the line (`/` without one): another registry there is that registry's line, this one this registry's, an id resolved there", async () => {
    const { unitDir, check } = await stagedRoot();
    const leftover = (dir: string, line: string) =>
      writeTree(unitDir, {
        'otherdb.service': `[Service]\nWorkingDirectory=${dir}\nExecStart=/bin/true\n`,
        'otherdb.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} ${line}\n`,
      });
    // WorkingDirectory=/etc/other: ports.yaml is /etc/other/ports.yaml, another registry, whose line this is.
    leftover('/etc/other', '41800 --registry ports.yaml');
    let run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      0,
      [
        `warning: ${unitDir}/otherdb.service.d/claim-port.conf: its ExecStartPre=+${CLAIM} 41800 --registry ports.yaml names another registry, ports.yaml (/etc/other/ports.yaml), not the one checked here: it is that registry's claim for otherdb.service, left alone here (that registry's own \`ports systemd --check\` checks it)`,
      ],
    ]);
    // WorkingDirectory=/etc/dsa110: the registry checked, so a leftover of this registry's, to remove.
    leftover('/etc/dsa110', '41800 --registry ./ports.yaml');
    run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [`${unitDir}/otherdb.service.d/claim-port.conf: unexpected: no robust service in the registry uses otherdb.service; remove it`],
    ]);
    // A service id is resolved in the file there: this registry has no "redis" (claim-port refuses it); /etc/other's "mydb" is not this one's.
    writeTree(unitDir, {
      'otherdb.service.d/claim-port.conf': '[Service]\n',
      'old.service': `[Service]\nWorkingDirectory=/etc/dsa110\nExecStartPre=+${CLAIM} redis --registry ports.yaml\nExecStart=/bin/true\n`,
      'web.service': `[Service]\nExecStartPre=+${CLAIM} mydb --registry etc/other/ports.yaml\nExecStart=/bin/true\n`,
    });
    run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `${unitDir}/old.service:3: unexpected: ExecStartPre=+${CLAIM} redis --registry ports.yaml: no robust service in the registry uses old.service, and at each start of it claim-port frees nothing: claim-port would refuse these arguments (a usage error, exit 64): unknown service "redis": the registry it reads (/etc/dsa110/ports.yaml) has no such id, so each start of old.service fails at this line; remove the line`,
        `${unitDir}/otherdb.service.d/claim-port.conf: unexpected: no robust service in the registry uses otherdb.service; remove it`,
      ],
    ]);
    // web.service sets no WorkingDirectory=: etc/other/ports.yaml is /etc/other/ports.yaml, another registry's unit, not reported.
    expect(run.stdout).not.toContain('web.service');
  });

  it("says, as a warning, when the working directory is not known here (`~`, a file many units read), and judges the line as this registry's; under --out, from the unit file and drop-ins there", async () => {
    const { root, unitDir, check } = await stagedRoot();
    writeTree(root, installed('tpl@.service'));
    writeTree(unitDir, {
      'home.service': `[Service]\nUser=svc\nWorkingDirectory=~\nExecStartPre=+${CLAIM} 41999 --registry ports.yaml\nExecStart=/bin/true\n`,
      'tpl@.service.d/x.conf': `[Service]\nExecStartPre=+${CLAIM} 41998 --registry ports.yaml\n`,
    });
    const cannotTell = 'cannot tell which registry claim-port reads: ports.yaml is relative, so claim-port reads it from its working directory';
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `warning: ${unitDir}/home.service:4: ExecStartPre=+${CLAIM} 41999 --registry ports.yaml: ${cannotTell}, WorkingDirectory=~ (/etc/systemd/system/home.service:3): the home directory of the unit's User=, which this check does not look up; give it an absolute path`,
        `warning: ${unitDir}/tpl@.service.d/x.conf:2: ExecStartPre=+${CLAIM} 41998 --registry ports.yaml: ${cannotTell}, and tpl@.service.d/ is read by more than one unit, each in its own WorkingDirectory=; give it an absolute path`,
        `${unitDir}/home.service:4: unexpected: ExecStartPre=+${CLAIM} 41999 --registry ports.yaml: no robust service in the registry uses home.service, yet at each start of it claim-port frees port 41999 as root; remove the line`,
        `${unitDir}/tpl@.service.d/x.conf:2: unexpected: ExecStartPre=+${CLAIM} 41998 --registry ports.yaml: tpl@.service.d/ holds drop-ins every tpl@*.service unit reads, and no robust service in the registry uses one, yet at each start of any of them claim-port frees port 41998 as root; remove the line`,
      ],
    ]);

    // --out: the unit file and its drop-ins in that directory; without its unit file there, a directory no unit reads.
    const dir = tempDir();
    writeFileSync(join(dir, 'ports.yaml'), registryText(41700).replace('claim: unit', 'claim: drop-in'));
    writeFileSync(join(dir, 'other.yaml'), registryText(41800));
    const out = join(dir, 'units');
    const args = ['--registry', join(dir, 'ports.yaml'), 'systemd', '--out', out];
    expect((await ports(args)).code).toBe(0);
    writeTree(out, {
      'a.service': `[Service]\nExecStart=/bin/true\n`,
      'a.service.d/wd.conf': `[Service]\nWorkingDirectory=${dir}\n`,
      // In WorkingDirectory=DIR: other.yaml is DIR/other.yaml, another registry's line; ports.yaml this registry's.
      'a.service.d/x.conf': `[Service]\nExecStartPre=+${CLAIM} 41999 --registry other.yaml\n`,
      'a.service.d/y.conf': `[Service]\nExecStartPre=+${CLAIM} 41996 --registry ports.yaml\n`,
      'b.service.d/x.conf': `[Service]\nExecStartPre=+${CLAIM} 41997 --registry other.yaml\n`,
    });
    const outRun = await ports([...args, '--check']);
    expect([outRun.code, said(outRun.stdout)]).toEqual([
      1,
      [
        `warning: ${out}/b.service.d/x.conf:2: ExecStartPre=+${CLAIM} 41997 --registry other.yaml: cannot tell which registry claim-port reads: other.yaml is relative, so claim-port reads it from its working directory: its unit file, b.service, is not in ${out}, so its WorkingDirectory= is not known here; give it an absolute path`,
        `${out}/a.service.d/y.conf:2: unexpected: ExecStartPre=+${CLAIM} 41996 --registry ports.yaml: no robust service in the registry uses a.service, yet at each start of it claim-port frees port 41996 as root; remove the line`,
        `${out}/b.service.d/x.conf:2: unexpected: ExecStartPre=+${CLAIM} 41997 --registry other.yaml: no robust service in the registry uses b.service, yet at each start of it claim-port frees port 41997 as root; remove the line`,
      ],
    ]);
  });
});

describe('ports systemd --check: stray claim lines in the unit directories systemd makes or tools keep', () => {
  it("reads system.control, transient, the generators' and system.attached in systemd's order, with a fix for each that edits no file systemd or a tool makes again", async () => {
    const { root, unitDir, check, write } = await stagedRoot();
    writeTree(root, installed('ctl.service', 'hid.service', 'rctl-a.service', 'tr2.service', 'early2.service', 'gen.service'));
    const line = (port: number) => `[Service]\nExecStartPre=+${CLAIM} ${port}\n`;
    const unitFile = (port: number) => `[Service]\nExecStartPre=+${CLAIM} ${port}\nExecStart=/bin/true\n`;
    writeTree(root, {
      // `systemctl set-property`'s directories, read before /etc: a drop-in there hides /etc's of its name.
      'etc/systemd/system.control/ctl.service.d/50-x.conf': line(41710),
      'etc/systemd/system.control/hid.service.d/x.conf': '[Service]\nEnvironment=A=1\n',
      'etc/systemd/system/hid.service.d/x.conf': line(41799),
      'run/systemd/system.control/rctl-.service.d/x.conf': line(41711),
      // Transient units (systemd-run), and their settings.
      'run/systemd/transient/tr.service': unitFile(41712),
      'run/systemd/transient/tr2.service.d/50-y.conf': line(41713),
      // Generators' output: the early one is read before /etc, the others after it.
      'run/systemd/generator.early/early.service': unitFile(41714),
      'run/systemd/generator.early/early2.service.d/x.conf': line(41715),
      'run/systemd/generator/gen.service.d/x.conf': line(41716),
      'run/systemd/generator.late/late.service': unitFile(41717),
      // Hidden by /etc's unit file of its name.
      'run/systemd/generator.late/mydb.service': unitFile(41798),
      // A portable service's, attached by portablectl.
      'etc/systemd/system.attached/pt.service': unitFile(41718),
    });
    const none = (unit: string, port: number, it = 'it') =>
      `ExecStartPre=+${CLAIM} ${port}: ${unit.includes('-.') ? `${unit}.d/ holds drop-ins every ${unit.replace('-.', '-*.')} unit reads, and no robust service in the registry uses one` : `no robust service in the registry uses ${unit}`}, yet at each start of ${it} claim-port frees port ${port} as root`;
    const generator = (dir: string) =>
      `the file is a generator's (under ${dir}), which systemd's generators make again at each boot and \`systemctl daemon-reload\`: do not edit it; change what the generator makes it from (its configuration, such as /etc/fstab or an /etc/init.d script), or remove the generator (under /etc/systemd/system-generators, /usr/local/lib/systemd/system-generators, /usr/lib/systemd/system-generators)`;
    const override = (unit: string, whose: string, mask: boolean) =>
      `override it with a drop-in of its own, ${unitDir}/${unit}.d/override.conf (\`systemctl edit ${unit}\`), holding under [Service] an empty ExecStartPre= (which drops each ExecStartPre= of ${whose} file) then those of its ExecStartPre= lines to keep${mask ? `; or mask the unit (\`systemctl mask ${unit}\`) if it is not used` : ''}`;
    const lines = [
      `${root}/etc/systemd/system.attached/pt.service:2: unexpected: ${none('pt.service', 41718)}; the file is a portable service's (under /etc/systemd/system.attached), which \`portablectl attach\` put there from its image: do not edit it; fix the image and \`portablectl reattach\` it; or ${override('pt.service', "the image's", true)}`,
      `${root}/etc/systemd/system.control/ctl.service.d/50-x.conf:2: unexpected: ${none('ctl.service', 41710)}; remove the line; the file is under /etc/systemd/system.control, where \`systemctl set-property\` keeps the settings it makes, and ExecStartPre= is none of them: the line was put there by hand or by a tool, so change that too; \`systemctl revert ctl.service\` removes the file too, but with every other drop-in of ctl.service and any unit file of its in /etc or /run`,
      `${root}/run/systemd/generator.early/early.service:2: unexpected: ${none('early.service', 41714)}; ${generator('/run/systemd/generator.early')}; or ${override('early.service', "the generator's", false)}`,
      `${root}/run/systemd/generator.early/early2.service.d/x.conf:2: unexpected: ${none('early2.service', 41715)}; ${generator('/run/systemd/generator.early')}`,
      `${root}/run/systemd/generator.late/late.service:2: unexpected: ${none('late.service', 41717)}; ${generator('/run/systemd/generator.late')}; or ${override('late.service', "the generator's", true)}`,
      `${root}/run/systemd/generator/gen.service.d/x.conf:2: unexpected: ${none('gen.service', 41716)}; ${generator('/run/systemd/generator')}; or mask it with a file of its name in ${unitDir}, which systemd reads in its place: \`ln -s /dev/null ${unitDir}/gen.service.d/x.conf\` (or there a copy of it without the line, if it sets anything else)`,
      `${root}/run/systemd/system.control/rctl-.service.d/x.conf:2: unexpected: ${none('rctl-.service', 41711, 'any of them')}; remove the line; the file is under /run/systemd/system.control, where \`systemctl set-property --runtime\` keeps the settings it makes (a reboot removes it), and ExecStartPre= is none of them: the line was put there by hand or by a tool, so change that too`,
      `${root}/run/systemd/transient/tr.service:2: unexpected: ${none('tr.service', 41712)}; the file is a transient unit's (under /run/systemd/transient), which systemd wrote when something made the unit (\`systemd-run\`, a D-Bus StartTransientUnit call) and removes once the unit is gone: do not edit it; stop the unit (\`systemctl stop tr.service\`) and change what makes it to make it without the line`,
      `${root}/run/systemd/transient/tr2.service.d/50-y.conf:2: unexpected: ${none('tr2.service', 41713)}; remove the line; the file is under /run/systemd/transient, where systemd keeps the transient units it makes (\`systemd-run\`) and their settings (a reboot removes it), so whatever put it there may put it again: change that too`,
    ];
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([1, lines]);
    expect(said((await write()).stderr).filter((each) => each.includes(': unexpected: '))).toEqual(lines.map((each) => `warning: ${each}`));
  });
});

describe('ports systemd --check: a stray claim in a drop-in another directory name hides', () => {
  it('a file whose name systemd refuses as a unit name is no unit (never loaded): not reported; a command to paste quotes the unit name for the shell', async () => {
    const { root, check } = await stagedRoot();
    const unitFile = (port: number) => `[Service]\nExecStartPre=+${CLAIM} ${port}\nExecStart=/bin/true\n`;
    writeTree(root, {
      'run/systemd/generator.late/we$ird`x.service': unitFile(41720),
      'run/systemd/generator.late/sp ace.service.d/x.conf': `[Service]\nExecStartPre=+${CLAIM} 41721\n`,
      'run/systemd/generator.late/a\\x2db.service': unitFile(41722),
    });
    const run = await check();
    expect(run.code).toBe(1);
    const lines = said(run.stdout);
    expect(lines.some((line) => line.includes('41720') || line.includes('41721'))).toBe(false);
    const escaped = lines.find((line) => line.includes('41722'));
    expect(escaped).toContain("(`systemctl edit 'a\\x2db.service'`)");
    expect(escaped).toContain("(`systemctl mask 'a\\x2db.service'`)");
  });

  it('a drop-in is hidden by one of its name higher up in a directory every unit reading it reads (foo-.service.d/ over foo-bar.service.d/), not by a more specific one (still read by the other units) nor by the type-wide one', async () => {
    const { root, unitDir, check } = await stagedRoot();
    writeTree(
      root,
      installed(
        'foo-bar.service',
        'a-b-c.service',
        'web@.service',
        'k-x.service',
        'baz-qux.service',
        'baz-x.service',
        'b-c.service',
        'b-d.service',
        'sv.service',
      ),
    );
    const lib = join(root, 'usr/lib/systemd/system');
    const line = (port: number) => `[Service]\nExecStartPre=+${CLAIM} ${port}\n`;
    const quiet = '[Service]\nEnvironment=A=1\n';
    writeTree(root, {
      // Hidden: for foo-bar.service, /etc's foo-.service.d/x.conf comes first (every directory in turn, then the names).
      'etc/systemd/system/foo-.service.d/x.conf': quiet,
      'usr/lib/systemd/system/foo-bar.service.d/x.conf': line(41790),
      // Hidden: every a-b-*.service reads a-.service.d/ too.
      'etc/systemd/system/a-.service.d/v.conf': quiet,
      'usr/lib/systemd/system/a-b-.service.d/v.conf': line(41791),
      // Hidden: every instance reads its template's directory; and a generator.early drop-in comes before /etc's.
      'etc/systemd/system/web@.service.d/t.conf': quiet,
      'usr/lib/systemd/system/web@x.service.d/t.conf': line(41792),
      'run/systemd/generator.early/k-.service.d/k.conf': quiet,
      'etc/systemd/system/k-x.service.d/k.conf': line(41793),
      // Read: baz-qux.service's own z.conf hides baz-.service.d/z.conf from it alone; every other baz-*.service reads it.
      'etc/systemd/system/baz-.service.d/z.conf': line(41720),
      'etc/systemd/system/baz-qux.service.d/z.conf': quiet,
      'usr/lib/systemd/system/b-.service.d/w.conf': line(41721),
      'etc/systemd/system/b-c.service.d/w.conf': quiet,
      // Read: a unit's own drop-in comes before the type-wide service.d/ of any directory.
      'etc/systemd/system/service.d/u.conf': quiet,
      'usr/lib/systemd/system/sv.service.d/u.conf': line(41722),
      // Hidden: by the type-wide one of its name higher up.
      'usr/lib/systemd/system/service.d/u.conf': line(41794),
    });
    const packaged = "the file is a package's (under /usr/lib/systemd/system), which an upgrade of the package overwrites: do not edit it;";
    const mask = (path: string) =>
      `${packaged} mask it with a file of its name in ${unitDir}, which systemd reads in its place: \`ln -s /dev/null ${unitDir}/${path}\` (or there a copy of it without the line, if it sets anything else)`;
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `${unitDir}/baz-.service.d/z.conf:2: unexpected: ExecStartPre=+${CLAIM} 41720: baz-.service.d/ holds drop-ins every baz-*.service unit reads, and no robust service in the registry uses one, yet at each start of any of them claim-port frees port 41720 as root; remove the line`,
        `${lib}/b-.service.d/w.conf:2: unexpected: ExecStartPre=+${CLAIM} 41721: b-.service.d/ holds drop-ins every b-*.service unit reads, and no robust service in the registry uses one, yet at each start of any of them claim-port frees port 41721 as root; ${mask('b-.service.d/w.conf')}`,
        `${lib}/sv.service.d/u.conf:2: unexpected: ExecStartPre=+${CLAIM} 41722: no robust service in the registry uses sv.service, yet at each start of it claim-port frees port 41722 as root; ${mask('sv.service.d/u.conf')}`,
      ],
    ]);
  });

  it("a package's claim-port.conf of a unit whose claim the registry wires is hidden by the registry's drop-in, written or not: no second claim, nor advice to mask the registry's own path", async () => {
    const { root, unitDir, check, write } = await stagedRoot();
    // The registry's drop-in not written yet: the package's copy, lower down, is what systemd reads now.
    rmSync(join(unitDir, 'mydb.service.d/claim-port.conf'));
    writeTree(root, { 'usr/lib/systemd/system/mydb.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 41999\n` });
    const before = await check();
    expect(before.code).toBe(1);
    expect(before.stdout).toContain(`${unitDir}/mydb.service.d/claim-port.conf: missing: the registry wants`);
    expect(before.stdout).not.toContain('ln -s /dev/null');
    expect(said(before.stdout)).toEqual([]);
    // Written: systemd reads the registry's in its place.
    expect((await write()).code).toBe(0);
    expect(await check()).toMatchObject({ code: 0, stderr: '' });
    // One of another name there is still read: a second claim.
    writeTree(root, { 'usr/lib/systemd/system/mydb.service.d/other.conf': `[Service]\nExecStartPre=+${CLAIM} 41700\n` });
    expect(said((await check()).stdout)).toEqual([expect.stringContaining('/usr/lib/systemd/system/mydb.service.d/other.conf:2: unexpected: ')]);
    // A root with no /etc/systemd/system yet (the packages' units only): the same, never advice to mask with /dev/null.
    const bare = tempDir('dsa110-stray-');
    writeTree(bare, {
      'etc/dsa110/ports.yaml': registryText(41700),
      'usr/lib/systemd/system/mydb.service': '[Service]\nExecStart=/bin/true\n',
      'usr/lib/systemd/system/mydb.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 41999\n`,
    });
    const fresh = await ports(['--registry', join(bare, 'etc/dsa110/ports.yaml'), 'systemd', '--root', bare, '--check']);
    expect(fresh.code).toBe(1);
    expect(fresh.stdout).toContain('mydb.service.d/claim-port.conf: missing: the registry wants');
    expect(fresh.stdout).not.toContain('ln -s /dev/null');
    expect(said(fresh.stdout)).toEqual([]);
  });

  it("a drop-in in an alias's directory is hidden by one of its name in the unit's own directory, in any unit directory (systemd reads the unit's own name first, then each alias's); not the other way round; a line read there is the unit's, a second claim of a registry unit's port", async () => {
    const { root, unitDir, check } = await stagedRoot();
    const lib = join(root, 'usr/lib/systemd/system');
    const line = (port: number) => `[Service]\nExecStartPre=+${CLAIM} ${port}\n`;
    const quiet = '[Service]\nEnvironment=A=1\n';
    writeTree(root, {
      // A package's unit, enabled with its [Install] Alias=pk.service: systemctl links /etc's pk.service to it.
      'usr/lib/systemd/system/pkg.service': '[Service]\nExecStart=/bin/true\n[Install]\nAlias=pk.service\n',
      'etc/systemd/system/pk.service': { symlink: '/usr/lib/systemd/system/pkg.service' },
      // Hidden: pkg.service's own x.conf (even lower down, in /usr/lib) comes before the alias's of /etc.
      'usr/lib/systemd/system/pkg.service.d/x.conf': quiet,
      'etc/systemd/system/pk.service.d/x.conf': line(41795),
      // Hidden: a port.conf in the directory of an alias of the registry's mydb.service, under mydb.service.d/port.conf.
      'etc/systemd/system/db.service': { symlink: 'mydb.service' },
      'etc/systemd/system/mydb.service.d/port.conf': quiet,
      'run/systemd/system/db.service.d/port.conf': line(41796),
      // Read: the alias's y.conf does not hide the unit's own y.conf, lower down or not.
      'etc/systemd/system/pk.service.d/y.conf': quiet,
      'usr/lib/systemd/system/pkg.service.d/y.conf': line(41723),
      // Read: an alias's drop-in that nothing of the unit's own names hides.
      'etc/systemd/system/pk.service.d/z.conf': line(41724),
      // Read, and mydb.service's (db.service is its alias): a second claim of mydb's port.
      'etc/systemd/system/db.service.d/again.conf': line(41700),
    });
    const packaged = "the file is a package's (under /usr/lib/systemd/system), which an upgrade of the package overwrites: do not edit it;";
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `${unitDir}/db.service.d/again.conf:2: unexpected: ExecStartPre=+${CLAIM} 41700 runs claim-port for mydb.service besides mydb.service.d/claim-port.conf, where the registry wires its claim, so mydb.service claims its port twice; remove the line`,
        `${unitDir}/pk.service.d/z.conf:2: unexpected: ExecStartPre=+${CLAIM} 41724: no robust service in the registry uses pk.service, yet at each start of it claim-port frees port 41724 as root; remove the line`,
        `${lib}/pkg.service.d/y.conf:2: unexpected: ExecStartPre=+${CLAIM} 41723: no robust service in the registry uses pkg.service, yet at each start of it claim-port frees port 41723 as root; ${packaged} mask it with a file of its name in ${unitDir}, which systemd reads in its place: \`ln -s /dev/null ${unitDir}/pkg.service.d/y.conf\` (or there a copy of it without the line, if it sets anything else)`,
      ],
    ]);
  });
  it("a unit file the registry's unit loads through an alias (its name a link to the file) is that unit's: its wrong claim line has one fix, the unit's, not a stray claim's besides; a claim line there of a drop-in unit is a second claim", async () => {
    const { root, unitDir, check, write } = await stagedRoot();
    rmSync(join(unitDir, 'myapi.service'));
    rmSync(join(unitDir, 'mydb.service'));
    writeTree(root, {
      'etc/systemd/system/api-real.service': `[Service]\nExecStartPre=+${CLAIM} 41999 --registry /etc/dsa110/ports.yaml\nExecStart=/bin/true\n`,
      'etc/systemd/system/myapi.service': { symlink: 'api-real.service' },
      'usr/lib/systemd/system/db-real.service': `[Service]\nExecStartPre=+${CLAIM} 41700 --registry /etc/dsa110/ports.yaml\nExecStart=/bin/true\n[Install]\nAlias=mydb.service\n`,
      'etc/systemd/system/mydb.service': { symlink: '/usr/lib/systemd/system/db-real.service' },
    });
    const lib = join(root, 'usr/lib/systemd/system');
    const twice = `${lib}/db-real.service:2: unexpected: ExecStartPre=+${CLAIM} 41700 --registry /etc/dsa110/ports.yaml runs claim-port for mydb.service besides mydb.service.d/claim-port.conf, where the registry wires its claim, so mydb.service claims its port twice;`;
    const run = await check();
    expect(run.code).toBe(1);
    expect(said(run.stdout).map((line) => line.slice(0, twice.length))).toEqual([twice]);
    expect(run.stdout).toContain(
      `${unitDir}/myapi.service: does not contain ExecStartPre=+${CLAIM} 41701 --registry /etc/dsa110/ports.yaml in its [Service] section; replace its ExecStartPre=+${CLAIM} 41999 --registry /etc/dsa110/ports.yaml at myapi.service:2 with the line`,
    );
    // The write: the line's one fix is its advice, beside the line to put in its place.
    const written = await write();
    expect(written.stdout).toContain(
      `myapi.service: its unit file claims the port; put this line in the [Service] section of ${unitDir}/api-real.service, in place of its ExecStartPre=+${CLAIM} 41999 --registry /etc/dsa110/ports.yaml:\n`,
    );
    expect(written.stderr.split('\n').filter((line) => line.includes('41999'))).toEqual([]);
  });
  it("--out: a drop-in in an alias's directory (a link in the directory) is hidden by one of its name in the unit's own, as under --root", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ports.yaml'), registryText(41700).replace('claim: unit', 'claim: drop-in'));
    const out = join(dir, 'units');
    const args = ['--registry', join(dir, 'ports.yaml'), 'systemd', '--out', out];
    expect((await ports(args)).code).toBe(0);
    writeTree(out, {
      'pkg.service': '[Service]\nExecStart=/bin/true\n',
      'pk.service': { symlink: 'pkg.service' },
      'pkg.service.d/x.conf': '[Service]\nEnvironment=A=1\n',
      'pk.service.d/x.conf': `[Service]\nExecStartPre=+${CLAIM} 41795\n`,
      'pk.service.d/z.conf': `[Service]\nExecStartPre=+${CLAIM} 41724\n`,
    });
    const expected = [
      `${out}/pk.service.d/z.conf:2: unexpected: ExecStartPre=+${CLAIM} 41724: no robust service in the registry uses pk.service, yet at each start of it claim-port frees port 41724 as root; remove the line`,
    ];
    const run = await ports([...args, '--check']);
    expect([run.code, said(run.stdout)]).toEqual([1, expected]);
    expect(said((await ports(args)).stderr).filter((line) => line.startsWith(`warning: ${out}/`))).toEqual(expected.map((line) => `warning: ${line}`));
  });
  it('a drop-in directory no unit reads (no unit file, alias, template or dash-prefixed unit of its name) is one warning naming it, not a claim: it neither fails nor passes the check; one a unit reads is still judged', async () => {
    const { root, unitDir, check, write } = await stagedRoot();
    const lib = join(root, 'usr/lib/systemd/system');
    const line = (port: number) => `[Service]\nExecStartPre=+${CLAIM} ${port}\n`;
    writeTree(root, {
      // Never read: `systemd-analyze verify --root` says "Unit ghost.service not found" (no unit from drop-ins alone).
      'etc/systemd/system/ghost.service.d/claim-port.conf': line(41700),
      'usr/lib/systemd/system/gone.service.d/x.conf': line(41790),
      'etc/systemd/system/none@.service.d/x.conf': line(41791),
      'etc/systemd/system/nob-.service.d/x.conf': line(41792),
      // Read: an instance of a template that is there, a dash prefix of a unit that is there, an alias.
      'etc/systemd/system/tpl@.service': '[Service]\nExecStart=/bin/true\n',
      'etc/systemd/system/tpl@x.service.d/x.conf': line(41793),
      'usr/lib/systemd/system/pre-a.service': '[Service]\nExecStart=/bin/true\n',
      'etc/systemd/system/pre-.service.d/x.conf': line(41794),
      'etc/systemd/system/db.service': { symlink: 'mydb.service' },
      'etc/systemd/system/db.service.d/again.conf': line(41700),
    });
    const never = (dir: string, named: string) =>
      `warning: ${dir}/: systemd never reads this drop-in directory, as no unit under ${root} is named ${named}, so no claim-port line in it claims a port; remove it (or install the unit it was for)`;
    const warnings = [
      never(`${unitDir}/ghost.service.d`, 'ghost.service'),
      never(`${unitDir}/nob-.service.d`, 'nob-*.service'),
      never(`${unitDir}/none@.service.d`, 'none@*.service'),
      never(`${lib}/gone.service.d`, 'gone.service'),
    ];
    const judged = [
      `${unitDir}/db.service.d/again.conf:2: unexpected: ExecStartPre=+${CLAIM} 41700 runs claim-port for mydb.service besides mydb.service.d/claim-port.conf, where the registry wires its claim, so mydb.service claims its port twice; remove the line`,
      `${unitDir}/pre-.service.d/x.conf:2: unexpected: ExecStartPre=+${CLAIM} 41794: pre-.service.d/ holds drop-ins every pre-*.service unit reads, and no robust service in the registry uses one, yet at each start of any of them claim-port frees port 41794 as root; remove the line`,
      `${unitDir}/tpl@x.service.d/x.conf:2: unexpected: ExecStartPre=+${CLAIM} 41793: no robust service in the registry uses tpl@x.service, yet at each start of it claim-port frees port 41793 as root; remove the line`,
    ];
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([1, [...warnings, ...judged]]);
    // The write says the drift it leaves as warnings, then what the units systemd would load do (as --check's second
    // stage), less a verdict on a line a warning already said to remove (the second claim of mydb.service reads the
    // bundled registry: removed, it reads none), as --check leaves it out.
    expect(said((await write()).stderr).filter((each) => each.includes('.service.d/'))).toEqual([...warnings, ...judged.map((each) => `warning: ${each}`)]);
    // The unread ones alone: warned, and the check passes.
    for (const dir of ['etc/systemd/system/db.service.d', 'etc/systemd/system/pre-.service.d', 'etc/systemd/system/tpl@x.service.d'])
      rmSync(join(root, dir), { recursive: true });
    const unread = await check();
    expect([unread.code, said(unread.stdout)]).toEqual([0, warnings]);
  });
  it('--out: a claim in a drop-in directory of a unit not in DIR is judged, not passed over: installed beside a packaged unit, it would be read', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ports.yaml'), registryText(41700).replace('claim: unit', 'claim: drop-in'));
    const out = join(dir, 'units');
    const args = ['--registry', join(dir, 'ports.yaml'), 'systemd', '--out', out];
    expect((await ports(args)).code).toBe(0);
    writeTree(out, { 'ghost.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 41724\n` });
    const run = await ports([...args, '--check']);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('never reads');
    expect(said(run.stdout).some((line) => line.startsWith(`${out}/ghost.service.d/claim-port.conf: unexpected: `))).toBe(true);
  });
});

describe("ports systemd --check: a stray claim line without --registry reads its unit's $DSA110_PORTS_FILE", () => {
  it('judges the line by the file the variable names (Environment=, EnvironmentFile=, DefaultEnvironment=; relative in WorkingDirectory=), as the same file by device and inode', async () => {
    const { root, unitDir, check } = await stagedRoot();
    const leftover = (unit: string, extra = '') =>
      writeTree(unitDir, {
        'otherdb.service': `[Service]\n${unit}ExecStart=/bin/true\n`,
        'otherdb.service.d/claim-port.conf': `[Service]\n${extra}ExecStartPre=+${CLAIM} 41800\n`,
      });
    const another = (named: string) =>
      `warning: ${unitDir}/otherdb.service.d/claim-port.conf: its ExecStartPre=+${CLAIM} 41800 names another registry, ${named}, not the one checked here: it is that registry's claim for otherdb.service, left alone here (that registry's own \`ports systemd --check\` checks it)`;
    const ours = [`${unitDir}/otherdb.service.d/claim-port.conf: unexpected: no robust service in the registry uses otherdb.service; remove it`];

    // Environment= in the unit file: another registry's file, that registry's drop-in.
    leftover('Environment=DSA110_PORTS_FILE=/etc/other/ports.yaml\n');
    let run = await check();
    expect([run.code, said(run.stdout)]).toEqual([0, [another('/etc/other/ports.yaml ($DSA110_PORTS_FILE, /etc/systemd/system/otherdb.service:2)')]]);

    // In the drop-in itself, relative in WorkingDirectory=.
    leftover('WorkingDirectory=/etc/other\n', 'Environment=DSA110_PORTS_FILE=ports.yaml\n');
    run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      0,
      [another('ports.yaml (/etc/other/ports.yaml; $DSA110_PORTS_FILE, /etc/systemd/system/otherdb.service.d/claim-port.conf:2)')],
    ]);

    // An EnvironmentFile= naming the registry checked through `..` and a link: the same file, so this registry's leftover.
    writeTree(root, { 'etc/default/otherdb': 'DSA110_PORTS_FILE=/etc/alias.yaml\n' });
    symlinkSync('dsa110/../dsa110/ports.yaml', join(root, 'etc/alias.yaml'));
    leftover('EnvironmentFile=/etc/default/otherdb\n');
    run = await check();
    expect([run.code, said(run.stdout)]).toEqual([1, ours]);

    // The manager's DefaultEnvironment= (system.conf), when the unit sets none.
    writeTree(root, { 'etc/systemd/system.conf': '[Manager]\nDefaultEnvironment=DSA110_PORTS_FILE=/etc/other/ports.yaml\n' });
    leftover('');
    run = await check();
    expect([run.code, said(run.stdout)]).toEqual([0, [another('/etc/other/ports.yaml ($DSA110_PORTS_FILE, /etc/systemd/system.conf:2)')]]);
    writeTree(root, { 'etc/systemd/system.conf': '[Manager]\n' });

    // A unit file's own line: another registry's unit, not reported; with the registry checked, this registry's stray line.
    writeTree(unitDir, { 'otherdb.service.d/claim-port.conf': '[Service]\n' });
    writeTree(unitDir, { 'web.service': `[Service]\nEnvironment=DSA110_PORTS_FILE=/etc/other/ports.yaml\nExecStartPre=+${CLAIM} mydb\nExecStart=/bin/true\n` });
    run = await check();
    expect(run.stdout).not.toContain('web.service');
    writeTree(unitDir, { 'web.service': `[Service]\nEnvironment=DSA110_PORTS_FILE=/etc/alias.yaml\nExecStartPre=+${CLAIM} redis\nExecStart=/bin/true\n` });
    run = await check();
    expect(said(run.stdout)).toContain(
      `${unitDir}/web.service:3: unexpected: ExecStartPre=+${CLAIM} redis: no robust service in the registry uses web.service, and at each start of it claim-port frees nothing: claim-port would refuse these arguments (a usage error, exit 64): unknown service "redis": the registry it reads (/etc/dsa110/ports.yaml) has no such id, so each start of web.service fails at this line; remove the line`,
    );
  });

  it("says, as a warning, when the variable is not known here (an EnvironmentFile= glob, a host specifier), and judges the line as this registry's", async () => {
    const { unitDir, check } = await stagedRoot();
    writeTree(unitDir, {
      'a.service': `[Service]\nEnvironmentFile=-/etc/default/a*\nExecStart=/bin/true\n`,
      'a.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 41800\n`,
      'b.service': `[Service]\nEnvironment=DSA110_PORTS_FILE=/etc/%H/ports.yaml\nExecStartPre=+${CLAIM} 41801\nExecStart=/bin/true\n`,
    });
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `warning: ${unitDir}/a.service.d/claim-port.conf:2: ExecStartPre=+${CLAIM} 41800: cannot tell which registry claim-port reads: it names no --registry, so claim-port reads the unit's $DSA110_PORTS_FILE, and /etc/default/a* (EnvironmentFile= at /etc/systemd/system/a.service:2) may set DSA110_PORTS_FILE, and cannot be read: it is a glob (systemd reads every file it matches), which this check does not expand; give it --registry with an absolute path`,
        `warning: ${unitDir}/b.service:3: ExecStartPre=+${CLAIM} 41801: cannot tell which registry claim-port reads: its unit's $DSA110_PORTS_FILE=/etc/%H/ports.yaml (/etc/systemd/system/b.service:2) has %H, which this check does not resolve; give it an absolute path without one`,
        `${unitDir}/a.service.d/claim-port.conf: unexpected: no robust service in the registry uses a.service; remove it`,
        `${unitDir}/b.service:3: unexpected: ExecStartPre=+${CLAIM} 41801: no robust service in the registry uses b.service, yet at each start of it claim-port frees port 41801 as root; remove the line`,
      ],
    ]);
  });
});
