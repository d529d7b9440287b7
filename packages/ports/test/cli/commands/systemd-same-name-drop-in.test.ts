// `ports systemd --check` on a claim-port.conf other than the registry's that the registry's unit reads: systemd applies
// one drop-in of each file name, so one of the two is never read (src/systemd/same-name-drop-in.ts). What systemd does
// is taken from the real `systemd-analyze verify`, which at debug level dumps the unit as loaded (its drop-ins and
// ExecStartPre= commands); the advice is followed, and systemd-analyze and --check asked again.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
const CLAIM = '/usr/local/bin/claim-port';
const ETC = 'etc/systemd/system';
const LIB = 'usr/lib/systemd/system';

/** A registry of one robust service, db on port 41700, whose claim is in a drop-in of `unit`. */
const registryText = (unit: string) =>
  'version: 1\nclaim:\n  timeoutSeconds: 2\n  protect:\n    processes: []\nservices:\n' +
  '  - id: db\n    name: db\n    group: production\n    port: 41700\n    protocol: TCP\n    access: localhost\n' +
  `    configuredBy: hardcoded\n    robust: true\n    systemd: { unit: ${unit}, claim: drop-in }\n    processes: [db-primary]\n`;

/** A staged root with `files`, its registry wiring `unit`, written by `ports systemd --root` and passing --check. */
async function stagedRoot(unit: string, files: Parameters<typeof writeTree>[1]) {
  const root = writeTree(tempDir('dsa110-same-name-'), {
    'etc/dsa110/ports.yaml': registryText(unit),
    'usr/local/bin/claim-port': { text: '#!/bin/sh\nexit 0\n', mode: 0o755 },
    ...files,
  });
  const args = ['--registry', join(root, 'etc/dsa110/ports.yaml'), 'systemd', '--root', root];
  const write = () => ports(args);
  const check = () => ports([...args, '--check']);
  expect((await write()).code).toBe(0);
  expect(await check()).toMatchObject({ code: 0, stderr: '' });
  return { root, write, check };
}

/** The lines of a --check run that report `unexpected` files. */
const said = (stdout: string) => stdout.split('\n').filter((line) => line.includes(': unexpected: '));

/**
 * What systemd loads for `unit`: `systemd-analyze verify --root=ROOT` at debug level, its dump's drop-in paths and
 * ExecStartPre= command lines. With `first`, a unit directory under the root that verify --root replaces with a
 * temporary one (/run/systemd/transient, the generators'): then the search path is that one, /etc, /usr/lib, in
 * systemd's order (`systemd-analyze unit-paths`), and the host's after.
 */
function loaded(root: string, unit: string, first?: string): { dropIns: string[]; commands: string[] } {
  const path = first === undefined ? undefined : `${[first, ETC, LIB].map((dir) => join(root, dir)).join(':')}:`;
  const run = spawnSync(analyze!, ['verify', '--man=no', ...(path === undefined ? [`--root=${root}`] : []), unit], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'debug', ...(path !== undefined && { SYSTEMD_UNIT_PATH: path }) },
    encoding: 'utf8',
    timeout: 10_000,
  });
  const lines = `${run.stdout}\n${run.stderr}`.split('\n').map((line) => line.trim());
  expect(lines, lines.join('\n')).toContain('Unit Load State: loaded');
  return {
    dropIns: lines.filter((line) => line.startsWith('DropIn Path: ')).map((line) => line.slice('DropIn Path: '.length)),
    commands: lines.filter((line) => line.startsWith('Command Line: ') && line.includes('claim-port')).map((line) => line.slice('Command Line: '.length)),
  };
}

describe.skipIf(!analyze)("ports systemd --check: a claim-port.conf systemd reads in place of the registry's, or not", () => {
  it("an alias's unit: the package's claim-port.conf of the unit's own name is read in place of the registry's in the alias's directory; a mask would hide both; naming the unit's own name works", async () => {
    const { root, write, check } = await stagedRoot('db.service', {
      [`${LIB}/mydb.service`]: '[Service]\nExecStart=/bin/true\n',
      [`${ETC}/db.service`]: { symlink: `/${LIB}/mydb.service` },
    });
    writeTree(root, { [`${LIB}/mydb.service.d/claim-port.conf`]: `[Service]\nExecStartPre=+${CLAIM} 41999\n` });
    // systemd: mydb.service is the unit's id; its drop-in directories, /usr/lib's too, come before the alias's in /etc.
    expect(loaded(root, 'db.service')).toEqual({ dropIns: [join(root, LIB, 'mydb.service.d/claim-port.conf')], commands: [`${CLAIM} 41999`] });
    const run = await check();
    const lines = [
      `${join(root, LIB)}/mydb.service.d/claim-port.conf:2: unexpected: ExecStartPre=+${CLAIM} 41999: systemd reads this file in place of db.service.d/claim-port.conf, where the registry wires db.service's claim ` +
        '(systemd applies one drop-in of each file name, the first it finds, and it reads the drop-in directories of mydb.service, the unit db.service is an alias of, before those of db.service), ' +
        `so the registry's claim never runs: db's port 41700 is never claimed, and this line frees port 41999 instead; name the unit mydb.service in the registry (\`systemd.unit: mydb.service\`, db.service being an alias of it), ` +
        `then run \`ports --registry ${join(root, 'etc/dsa110/ports.yaml')} systemd --root ${root}\`: it writes the claim to ${join(root, ETC)}/mydb.service.d/claim-port.conf, which systemd reads in place of this file ` +
        `(a mask there, a link to /dev/null, would hide the registry's claim too), and remove ${join(root, ETC)}/db.service.d/claim-port.conf, which is then no unit's claim`,
    ];
    expect([run.code, said(run.stdout)]).toEqual([1, lines]);
    // The write warns alike, naming the same command to run.
    expect(said((await write()).stderr)).toEqual(lines.map((line) => `warning: ${line}`));
    // What it used to advise, a mask of the package's file from /etc: no claim-port runs at all.
    writeTree(root, { [`${ETC}/mydb.service.d/claim-port.conf`]: { symlink: '/dev/null' } });
    expect(loaded(root, 'db.service').commands).toEqual([]);
    rmSync(join(root, ETC, 'mydb.service.d'), { recursive: true });
    // Followed: the registry names mydb.service.
    writeFileSync(join(root, 'etc/dsa110/ports.yaml'), registryText('mydb.service'));
    expect((await write()).code).toBe(0);
    rmSync(join(root, ETC, 'db.service.d/claim-port.conf'));
    expect(loaded(root, 'db.service')).toEqual({
      dropIns: [join(root, ETC, 'mydb.service.d/claim-port.conf')],
      commands: [`${CLAIM} 41700 --registry /etc/dsa110/ports.yaml`],
    });
    expect(await check()).toMatchObject({ code: 0, stderr: '' });
  });

  it("the claim of the wrong port in an alias's unit's own claim-port.conf is not the registry's: the write does not say running it again mends it, and gives --check's fix once (its stray-claim warning, no verdict on the same line after it)", async () => {
    const { root, write } = await stagedRoot('db.service', {
      [`${LIB}/mydb.service`]: '[Service]\nExecStart=/bin/true\n',
      [`${ETC}/db.service`]: { symlink: `/${LIB}/mydb.service` },
    });
    writeTree(root, { [`${LIB}/mydb.service.d/claim-port.conf`]: `[Service]\nExecStartPre=+${CLAIM} 41999\n` });
    const rerun = `ports --registry ${join(root, 'etc/dsa110/ports.yaml')} systemd --root ${root}`;
    const run = await write();
    // Written again, the registry's claim-port.conf is still not read: the package's is, in its place.
    expect(loaded(root, 'db.service')).toEqual({ dropIns: [join(root, LIB, 'mydb.service.d/claim-port.conf')], commands: [`${CLAIM} 41999`] });
    // One warning on the line, with --check's fix; the unit's verdicts on it (the wrong port, no --registry) are not said again.
    expect(run.stderr.split('\n').filter((line) => line.includes('41999'))).toEqual([
      `warning: ${join(root, LIB)}/mydb.service.d/claim-port.conf:2: unexpected: ExecStartPre=+${CLAIM} 41999: systemd reads this file in place of db.service.d/claim-port.conf, where the registry wires db.service's claim ` +
        '(systemd applies one drop-in of each file name, the first it finds, and it reads the drop-in directories of mydb.service, the unit db.service is an alias of, before those of db.service), ' +
        `so the registry's claim never runs: db's port 41700 is never claimed, and this line frees port 41999 instead; name the unit mydb.service in the registry (\`systemd.unit: mydb.service\`, db.service being an alias of it), ` +
        `then run \`${rerun}\`: it writes the claim to ${join(root, ETC)}/mydb.service.d/claim-port.conf, which systemd reads in place of this file ` +
        `(a mask there, a link to /dev/null, would hide the registry's claim too), and remove ${join(root, ETC)}/db.service.d/claim-port.conf, which is then no unit's claim`,
    ]);
    expect(run.stderr).not.toContain('do not claim their ports');
  });

  it("an alias's claim-port.conf, even in a directory read before /etc, never replaces the registry's in the directory of the unit's own name (the unit's id): not said to, while the registry's is missing", async () => {
    const { root, write, check } = await stagedRoot('mydb.service', {
      [`${LIB}/mydb.service`]: '[Service]\nExecStart=/bin/true\n',
      [`${ETC}/db.service`]: { symlink: `/${LIB}/mydb.service` },
      'etc/systemd/system.control/db.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 41999\n`,
    });
    expect(loaded(root, 'db.service').commands).toEqual([`${CLAIM} 41700 --registry /etc/dsa110/ports.yaml`]);
    rmSync(join(root, ETC, 'mydb.service.d/claim-port.conf'));
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${join(root, ETC)}/mydb.service.d/claim-port.conf: missing: `);
    expect(said(run.stdout)).toEqual([]);
    expect((await write()).code).toBe(0);
    expect(loaded(root, 'db.service').commands).toEqual([`${CLAIM} 41700 --registry /etc/dsa110/ports.yaml`]);
  });

  it("a template's claim-port.conf is not read by an instance whose own claim-port.conf (the registry's) hides it: never said to run besides it; the other instances still read it", async () => {
    const { root, check } = await stagedRoot('wrk@1.service', { [`${LIB}/wrk@.service`]: '[Service]\nExecStart=/bin/true\n' });
    const line = `ExecStartPre=+${CLAIM} 41700 --registry /etc/dsa110/ports.yaml`;
    writeTree(root, { [`${LIB}/wrk@.service.d/claim-port.conf`]: `[Service]\n${line}\n` });
    expect(loaded(root, 'wrk@1.service').dropIns).toEqual([join(root, ETC, 'wrk@1.service.d/claim-port.conf')]);
    expect(loaded(root, 'wrk@2.service').dropIns).toEqual([join(root, LIB, 'wrk@.service.d/claim-port.conf')]);
    const run = await check();
    expect([run.code, said(run.stdout)]).toEqual([
      1,
      [
        `${join(root, LIB)}/wrk@.service.d/claim-port.conf:2: unexpected: ${line}: wrk@.service.d/ holds drop-ins every wrk@*.service unit reads, and no robust service in the registry uses one but wrk@1.service, ` +
          "for which systemd reads the registry's wrk@1.service.d/claim-port.conf in its place (one drop-in of each file name); it claims port 41700, which the registry gives to db (wrk@1.service): " +
          "at each start of any wrk@*.service it would free db's port as root; the file is a package's (under /usr/lib/systemd/system), which an upgrade of the package overwrites: do not edit it; " +
          `mask it with a file of its name in ${join(root, ETC)}, which systemd reads in its place: \`ln -s /dev/null ${join(root, ETC)}/wrk@.service.d/claim-port.conf\` (or there a copy of it without the line, if it sets anything else)`,
      ],
    ]);
    // Followed: the mask hides it from every instance, and wrk@1.service still reads the registry's.
    writeTree(root, { [`${ETC}/wrk@.service.d/claim-port.conf`]: { symlink: '/dev/null' } });
    expect(loaded(root, 'wrk@1.service').commands).toEqual([`${CLAIM} 41700 --registry /etc/dsa110/ports.yaml`]);
    expect(loaded(root, 'wrk@2.service').commands).toEqual([]);
  });

  it.each([
    [
      'db-main.service',
      'run/systemd/system.control/db-.service.d',
      'db-.service.d/ is a prefix drop-in directory, which systemd applies to every unit named db-*.service',
    ],
    [
      'wrk@1.service',
      'etc/systemd/system.control/wrk@.service.d',
      "wrk@.service.d/ is a template's drop-in directory, which systemd applies to every unit named wrk@*.service",
    ],
  ])(
    "%s: a claim-port.conf in a dash prefix's or template's drop-in directory read before /etc/systemd/system replaces the registry's: said as what that directory is (never another name of the unit)",
    async (unit, dir, what) => {
      const { root, check } = await stagedRoot(unit, { [`${LIB}/${unit.replace('@1.', '@.')}`]: '[Service]\nExecStart=/bin/true\n' });
      const file = join(root, dir, 'claim-port.conf');
      writeTree(root, { [`${dir}/claim-port.conf`]: `[Service]\nExecStartPre=+${CLAIM} 41999\n` });
      // systemd: the directory's claim-port.conf, not the registry's in /etc/systemd/system/UNIT.d/.
      expect(loaded(root, unit)).toEqual({ dropIns: [file], commands: [`${CLAIM} 41999`] });
      const run = await check();
      expect(run.code).toBe(1);
      const [line] = said(run.stdout);
      expect(line).toContain(
        `(systemd applies one drop-in of each file name, the first it finds; ${what}, ${unit} among them, and it reads /${dir.slice(0, dir.lastIndexOf('/'))} before /etc/systemd/system), so the registry's claim never runs`,
      );
      expect(line).not.toContain('another name');
    },
  );

  it.each([
    [
      'etc/systemd/system.control',
      "remove this file, not only the line (systemd reads even an emptied file of its name in place of the registry's); systemd reads it when the system under ROOT boots; it is under /etc/systemd/system.control, where `systemctl set-property` keeps the settings it makes, and ExecStartPre= is none of them: the file was put there by hand or by a tool, so change that too",
    ],
    [
      'run/systemd/system.control',
      "remove this file, not only the line (systemd reads even an emptied file of its name in place of the registry's); systemd reads it when the system under ROOT boots; it is under /run/systemd/system.control, where `systemctl set-property` keeps the settings it makes, and ExecStartPre= is none of them: the file was put there by hand or by a tool, so change that too",
    ],
    [
      'run/systemd/transient',
      "remove this file, not only the line (systemd reads even an emptied file of its name in place of the registry's); systemd reads it when the system under ROOT boots; it is under /run/systemd/transient, where systemd keeps transient units (`systemd-run`) and their settings (a reboot removes it), so whatever put it there may put it again: change that too",
    ],
    [
      'run/systemd/generator.early',
      "the file is a generator's (under /run/systemd/generator.early), which systemd's generators make again at each boot and `systemctl daemon-reload`, and nothing in ROOT/etc/systemd/system hides it: change what the generator makes it from (its configuration), or remove the generator (under /etc/systemd/system-generators, /usr/local/lib/systemd/system-generators, /usr/lib/systemd/system-generators)",
    ],
  ])(
    "a claim-port.conf in %s, read before /etc/systemd/system, replaces the registry's: said so; the fix removes the file, since an emptied one still replaces it, and names no daemon-reload of this host for the root's tree",
    async (dir, fix) => {
      const { root, write, check } = await stagedRoot('db.service', { [`${LIB}/db.service`]: '[Service]\nExecStart=/bin/true\n' });
      const file = join(root, dir, 'db.service.d/claim-port.conf');
      writeTree(root, { [`${dir}/db.service.d/claim-port.conf`]: `[Service]\nExecStartPre=+${CLAIM} 41999\nEnvironment=A=1\n` });
      // verify --root puts transient and generator units in a temporary directory: the search path is given instead.
      const first = dir.startsWith('run/systemd/transient') || dir.startsWith('run/systemd/generator') ? dir : undefined;
      expect(loaded(root, 'db.service', first)).toEqual({ dropIns: [file], commands: [`${CLAIM} 41999`] });
      const run = await check();
      expect([run.code, said(run.stdout)]).toEqual([
        1,
        [
          `${file}:2: unexpected: ExecStartPre=+${CLAIM} 41999: systemd reads this file in place of db.service.d/claim-port.conf, where the registry wires db.service's claim ` +
            `(systemd applies one drop-in of each file name, the first it finds, and it reads /${dir} before /etc/systemd/system), so the registry's claim never runs: ` +
            `db's port 41700 is never claimed, and this line frees port 41999 instead; ${fix.replaceAll('ROOT', root)}`,
        ],
      ]);
      // The write says the same fix of the same tree.
      expect((await write()).stderr).toContain(fix.replaceAll('ROOT', root));
      // "Remove the line" would not do: systemd reads the file without it all the same, and still not the registry's.
      writeFileSync(file, '[Service]\nEnvironment=A=1\n');
      expect(loaded(root, 'db.service', first)).toEqual({ dropIns: [file], commands: [] });
      // Removing the file does.
      rmSync(file);
      expect(loaded(root, 'db.service', first).commands).toEqual([`${CLAIM} 41700 --registry /etc/dsa110/ports.yaml`]);
      expect(await check()).toMatchObject({ code: 0, stderr: '' });
    },
  );
});
