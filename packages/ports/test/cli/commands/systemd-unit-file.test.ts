// `ports systemd --check --root` on the unit file systemd takes, in-process on
// real trees: when it cannot be read, whether the unit claims its port cannot
// be told, never judged from a copy further down the search path.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type TreeEntry, writeTree } from '../../../../../test-support/tree.js';
import { listUnitDirs, loadUnit } from '../../../src/systemd/effective.js';
import { ports, tempDir } from '../helpers.js';

const REGISTRY =
  'version: 1\nservices:\n  - id: svc\n    name: Svc\n    group: production\n    port: 8000\n    protocol: TCP\n    access: localhost\n' +
  '    configuredBy: hardcoded\n    robust: true\n    systemd: { unit: svc.service, claim: unit }\n    processes: [node]\n';
// The registry at ROOT/ports.yaml, named as the booted system sees it: every claim line `ports systemd` wants names it.
const CLAIMING = '[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000 --registry /ports.yaml\nExecStart=/usr/bin/node svc.js\n';

/** A tree whose /etc unit file claims the port (what `ports systemd --check` compares), with `files` added; then --check. */
async function check(files: Record<string, TreeEntry>) {
  const root = writeTree(tempDir(), { 'ports.yaml': REGISTRY, 'etc/systemd/system/svc.service': CLAIMING, ...files });
  const registry = join(root, 'ports.yaml');
  expect((await ports(['systemd', '--registry', registry, '--root', root])).code).toBe(0);
  return { root, run: await ports(['systemd', '--check', '--registry', registry, '--root', root]) };
}

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
/** systemd-analyze verify of svc.service at debug level under root: what it logs, and the unit as loaded. */
function verifyDump(root: string): string {
  const run = spawnSync(analyze!, ['verify', '--man=no', `--root=${root}`, 'svc.service'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'debug' },
    encoding: 'utf8',
    timeout: 10_000,
  });
  return `${run.stdout}${run.stderr}`;
}

describe('ports systemd --check: the unit file systemd takes', () => {
  it('fails a unit whose higher unit file is a link to nothing: systemd loads that one, fails the unit, and never reads the claiming copy below', async () => {
    // /run/systemd/transient comes before /etc: systemd takes its link, fails to open it, and loads nothing.
    const FILE = 'run/systemd/transient/svc.service';
    const said = (root: string) =>
      `${root}/${FILE}: systemd cannot load svc.service: its unit file ${root}/${FILE} cannot be opened: it leads to /opt/gone.service, which does not exist under ${root}; ` +
      "systemd takes it as the unit's file all the same, never a copy lower in the search path, so the unit cannot start; fix the link or remove it\n";
    const { root, run } = await check({ [FILE]: { symlink: '../../../opt/gone.service' } });
    expect(run).toMatchObject({ code: 1, stdout: said(root) });
    expect(run.stderr).toBe(`1 problem in the claim wiring under ${root}/etc/systemd/system, listed above with what to do\n`);
    // A drop-in that clears ExecStartPre= (or one that claims) changes nothing: the unit does not load.
    const cleared = await check({ [FILE]: { symlink: '../../../opt/gone.service' }, 'etc/systemd/system/svc.service.d/zz.conf': '[Service]\nExecStartPre=\n' });
    expect(cleared.run.code).toBe(1);
    expect(cleared.run.stdout).toBe(said(cleared.root));
  });

  it('takes the unit file as loadUnit does: past a link systemd ignores (`-> x`), never reading its target; an alias to no unit file said as such, not as a link to fix', async () => {
    // /etc/systemd/system.control comes before /etc/systemd/system in the search path (and systemd-analyze verify reads it).
    const RUN = 'etc/systemd/system.control/svc.service';
    // systemd-analyze verify 252: "svc.service points to "x" which is not a valid unit name", and it loads /etc's, which claims.
    const ignored = await check({
      [RUN]: { symlink: '/etc/systemd/system.control/x' },
      'etc/systemd/system.control/x': '[Service]\nExecStart=/usr/bin/node svc.js\n',
    });
    expect(ignored.run.stderr).toBe('');
    expect(ignored.run.code).toBe(0);
    if (analyze) expect(verifyDump(ignored.root)).toContain(`Fragment Path: ${ignored.root}/etc/systemd/system/svc.service\n`);
    // The claim in x, which systemd never reads: the file it loads, /etc's, lacks it, and is the one named.
    const inX = await check({
      [RUN]: { symlink: '/etc/systemd/system.control/x' },
      'etc/systemd/system.control/x': CLAIMING,
      'etc/systemd/system/svc.service': '[Service]\nExecStart=/usr/bin/node svc.js\n',
    });
    expect(inX.run.stdout).toContain(
      `${inX.root}/etc/systemd/system/svc.service: does not contain ExecStartPre=+/usr/local/bin/claim-port 8000 --registry /ports.yaml in its [Service] section; add it there\n`,
    );
    // An alias of a unit no unit directory has: systemd loads no unit, not even /etc's ("Unit svc.service not found.").
    const dangling = await check({ [RUN]: { symlink: 'other.service' } });
    expect(dangling.run.code).toBe(1);
    expect(dangling.run.stdout).toContain(
      `${dangling.root}/${RUN}: unit svc.service not found: ${dangling.root}/${RUN} is an alias of other.service (a link to other.service), and no unit directory has a unit file of other.service, so systemd loads no unit svc.service, not even ${dangling.root}/etc/systemd/system/svc.service, which the link hides; remove the link, or install other.service\n`,
    );
    expect(dangling.run.stdout).not.toContain('cannot be opened');
    if (analyze) expect(verifyDump(dangling.root)).toContain('Unit svc.service not found.');
    // A link to its own name (a self-alias, which systemd ignores), with no file of the name below: no unit file, not a loop of links.
    const root = writeTree(tempDir(), { 'ports.yaml': REGISTRY, 'etc/systemd/system/svc.service': { symlink: 'svc.service' } });
    const self = await ports(['systemd', '--check', '--registry', join(root, 'ports.yaml'), '--root', root]);
    expect(self.stdout).toContain(`${root}/etc/systemd/system/svc.service: missing: the registry says svc.service claims its port in the unit file`);
    if (analyze) expect(verifyDump(root)).toContain('unit self-alias');
    if (analyze) expect(verifyDump(root)).toContain('Unit svc.service not found.');
  });

  it("warns of a link of the unit's name that systemd ignores, in the health check's words, one line each: not drift (exit 0), as the health check warns", async () => {
    const RUN = 'etc/systemd/system.control/svc.service';
    const ignoredLine = (root: string) => `warning: svc.service: systemd ignores ${root}/${RUN} (a link to /etc/systemd/system.control/x): `;
    const { root, run } = await check({
      [RUN]: { symlink: '/etc/systemd/system.control/x' },
      'etc/systemd/system.control/x': '[Service]\nExecStart=/usr/bin/node svc.js\n',
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n').filter((line) => line.startsWith('warning:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${ignoredLine(root).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    expect(lines[0]).toContain(
      `it loads svc.service from ${root}/etc/systemd/system/svc.service instead; put the unit file itself in its place, or remove the link`,
    );
    expect(run.stdout).toMatch(/^ok: /m);
    // The claim in x, which systemd never reads: the drift names the file it loads, and the warning says why x is not it.
    const inX = await check({
      [RUN]: { symlink: '/etc/systemd/system.control/x' },
      'etc/systemd/system.control/x': CLAIMING,
      'etc/systemd/system/svc.service': '[Service]\nExecStart=/usr/bin/node svc.js\n',
    });
    expect(inX.run.code).toBe(1);
    expect(inX.run.stdout).toContain(ignoredLine(inX.root));
    if (analyze) expect(verifyDump(root)).toContain('which is not a valid unit name');
  });

  it('says what to do with a unit file it cannot read: one over 1 MiB, a FIFO, a loop of links (exit 1, one line)', async () => {
    const FILE = 'etc/systemd/system/svc.service';
    for (const [entry, said] of [
      [
        `[Service]\n${'# pad\n'.repeat(262_144)}`,
        'it is larger than 1 MiB, the most read here of a unit file or drop-in, though systemd reads one of any size; make it smaller (what it sets is not known until then)',
      ],
      [
        { fifo: true },
        "it is a FIFO (named pipe), not a regular file; replace it with the unit's file (a regular file, or a link to one), which systemd can load",
      ],
      [{ symlink: '../../../opt/a' }, 'a loop of symbolic links; check the path'],
    ] as const) {
      const root = writeTree(tempDir(), { 'ports.yaml': REGISTRY, [FILE]: entry as TreeEntry, 'opt/a': { symlink: 'b' }, 'opt/b': { symlink: 'a' } });
      const run = await ports(['systemd', '--check', '--registry', join(root, 'ports.yaml'), '--root', root]);
      expect(run).toEqual({ code: 1, stdout: '', stderr: `ports systemd: cannot read ${root}/${FILE}: ${said}\n` });
    }
  });

  it('reads a unit file no further than the other readers of units: one of 1.5 MiB is said too large as loadUnit says it', async () => {
    // Under MAX_GENERATED_FILE_BYTES (4 MiB), which --check read unit files to: it judged what loadUnit and findClaims never read.
    const FILE = 'etc/systemd/system/svc.service';
    const text = `${CLAIMING}${'# pad\n'.repeat(262_144)}`;
    expect(text.length).toBeGreaterThan(1.5 * 1024 * 1024);
    const root = writeTree(tempDir(), { 'ports.yaml': REGISTRY, [FILE]: text });
    const reason = loadUnit(root, 'svc.service', listUnitDirs(root, [])).unread?.[0]?.reason;
    expect(reason).toMatch(/^it is larger than 1 MiB, /);
    const run = await ports(['systemd', '--check', '--registry', join(root, 'ports.yaml'), '--root', root]);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `ports systemd: cannot read ${root}/${FILE}: ${reason}\n` });
    // --out reads DIR's unit file alike: said there too, never judged.
    const out = writeTree(tempDir(), { 'svc.service': text });
    const outRun = await ports(['systemd', '--check', '--registry', join(root, 'ports.yaml'), '--out', out]);
    expect(outRun).toEqual({ code: 1, stdout: '', stderr: `ports systemd: cannot read ${out}/svc.service: ${reason}\n` });
  });

  it('reads the drop-ins of an alias that leads to the unit, as systemd does: one that clears ExecStartPre= there fails the check', async () => {
    const { run } = await check({
      'etc/systemd/system/old-svc.service': { symlink: 'svc.service' },
      'etc/systemd/system/old-svc.service.d/zz.conf': '[Service]\nExecStartPre=\n',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('svc.service: the empty ExecStartPre= in /etc/systemd/system/old-svc.service.d/zz.conf:2 clears every earlier ExecStartPre=');
  });

  it('fails a unit with drop-ins and no unit file (what `ports systemd` writes for a service not installed): systemd loads no unit from drop-ins alone', async () => {
    const root = writeTree(tempDir(), { 'ports.yaml': REGISTRY.replace('claim: unit', 'claim: drop-in') });
    const registry = join(root, 'ports.yaml');
    expect((await ports(['systemd', '--registry', registry, '--root', root])).code).toBe(0);
    const run = await ports(['systemd', '--check', '--registry', registry, '--root', root]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      "svc.service: not found: no unit file in any of systemd's 13 unit directories, only its drop-in /etc/systemd/system/svc.service.d/claim-port.conf, " +
        'and systemd loads no unit from drop-ins alone, so nothing claims port 8000; install the service (its package), or remove it from the registry\n',
    );
    expect(run.stderr).toBe(`1 problem: the files match the registry, but the units systemd would load under ${root} do not claim their ports\n`);
    // A unit file it cannot read may be there (root may read it): not "not found", and the drop-in's claim counts.
    writeTree(root, { 'usr/lib/systemd/system/svc.service': { fifo: true } });
    const unreadable = await ports(['systemd', '--check', '--registry', registry, '--root', root]);
    expect(unreadable.stdout).not.toContain('not found');
    expect(unreadable.stdout).toContain('svc.service: cannot read part of the unit: /usr/lib/systemd/system/svc.service: cannot read');
    // Installed, it passes.
    writeTree(root, { 'lib/systemd/system/svc.service': '[Service]\nExecStart=/usr/bin/node svc.js\n' });
    rmSync(join(root, 'usr/lib/systemd/system/svc.service'));
    expect(await ports(['systemd', '--check', '--registry', registry, '--root', root])).toMatchObject({ code: 0, stderr: '' });
  });

  it('fails a unit with no unit file before the write: names no drop-in as there, only that the missing claim drop-in would not make systemd load one', async () => {
    const root = writeTree(tempDir(), { 'ports.yaml': REGISTRY.replace('claim: unit', 'claim: drop-in') });
    const registry = join(root, 'ports.yaml');
    const run = await ports(['systemd', '--check', '--registry', registry, '--root', root]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('etc/systemd/system/svc.service.d/claim-port.conf: missing: the registry wants');
    expect(run.stdout).toContain(
      "svc.service: not found: no unit file in any of systemd's 13 unit directories, and systemd loads no unit from drop-ins alone, " +
        'nor would its claim drop-in /etc/systemd/system/svc.service.d/claim-port.conf (missing, above) make it load one, so nothing claims port 8000; install the service (its package), or remove it from the registry\n',
    );
    // A drop-in of the operator's that is there is named as there, beside the missing one.
    writeTree(root, { 'etc/systemd/system/svc.service.d/env.conf': '[Service]\nEnvironment=A=1\n' });
    expect((await ports(['systemd', '--check', '--registry', registry, '--root', root])).stdout).toContain(
      "svc.service: not found: no unit file in any of systemd's 13 unit directories, only its drop-in /etc/systemd/system/svc.service.d/env.conf, and systemd loads no unit from drop-ins alone, " +
        'nor would its claim drop-in /etc/systemd/system/svc.service.d/claim-port.conf (missing, above) make it load one,',
    );
  });

  it('shows a byte of a drop-in that is not UTF-8 in the --check diff as \\xff, as the README promises, never U+FFFD', async () => {
    const root = writeTree(tempDir(), { 'ports.yaml': REGISTRY.replace('claim: unit', 'claim: drop-in') });
    const registry = join(root, 'ports.yaml');
    expect((await ports(['systemd', '--registry', registry, '--root', root])).code).toBe(0);
    const dropIn = join(root, 'etc/systemd/system/svc.service.d/claim-port.conf');
    const written = readFileSync(dropIn);
    writeFileSync(dropIn, Buffer.concat([written.subarray(0, -1), Buffer.from([0xff, 0x0a])]));
    const run = await ports(['systemd', '--check', '--registry', registry, '--root', root]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`\n-${written.toString('utf8').trimEnd().split('\n').at(-1)}\\xff\n`);
    expect(run.stdout).not.toContain('\ufffd');
  });
});
