// `ports systemd --out DIR` for a `claim: unit` service whose unit file is in DIR: --check fails one systemd refuses
// to load wherever its broken line is (after the claim line too), and the write says of the file what --check says of
// it, as under --root: the line already there, cleared by a later empty ExecStartPre=, or in a file systemd refuses;
// one that cannot be read (too large, a FIFO, a link loop) or that masks the unit said so, as --check says it.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lchownSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_UNIT_BYTES, UNIT_TOO_LARGE } from '../../../src/limits.js';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
const REGISTRY =
  'version: 1\nservices:\n  - id: svc\n    name: Svc\n    group: production\n    port: 8000\n    protocol: TCP\n    access: localhost\n' +
  '    configuredBy: hardcoded\n    robust: true\n    systemd: { unit: svc.service, claim: unit }\n    processes: [node]\n';
const HEADER = 'invalid section header "[Service]x" (a header line holds only [Section]; systemd refuses the file)';

/** DIR with the registry's write in it, the claim line the write prints, and the write and --check run again. */
async function outDir() {
  const dir = tempDir();
  const registry = join(writeTree(dir, { 'ports.yaml': REGISTRY }), 'ports.yaml');
  const out = join(dir, 'out');
  const write = () => ports(['--registry', registry, 'systemd', '--out', out]);
  const first = await write();
  expect(first.code).toBe(0);
  const line = first.stdout.split('\n').find((text) => text.startsWith('ExecStartPre='))!;
  return { out, line, unit: join(out, 'svc.service'), write, check: () => ports(['--registry', registry, 'systemd', '--out', out, '--check']) };
}

/** The write's advice for svc.service (the line before the claim line). */
const advice = (stdout: string) => stdout.split('\n').find((text) => text.startsWith('svc.service: '));

describe('ports systemd --out: a unit file in DIR', () => {
  it.skipIf(!analyze)(
    'systemd refuses it for a broken section header after the claim line: --check fails there, and the write says the refusal, not "put this line"',
    async () => {
      const { line, unit, write, check } = await outDir();
      for (const broken of ['[Service]x', '[Service', '[X-Foo']) {
        writeFileSync(unit, `[Service]\nExecStart=/bin/true\n${line}\n${broken}\n`);
        const verified = spawnSync(analyze!, ['verify', '--man=no', unit], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
        expect(verified.stderr).toContain(`${unit}:4: Invalid section header`);
        const run = await check();
        expect(run.code).toBe(1);
        expect(run.stdout).toContain(`${unit}: systemd would refuse to load it: line 4: invalid section header`);
        expect(run.stdout).toContain(
          `so svc.service never starts and its ${line} in its [Service] section never runs; fix that line, keeping the claim line where it is`,
        );
      }
      writeFileSync(unit, `[Service]\nExecStart=/bin/true\n${line}\n[Service]x\n`);
      const again = await write();
      expect(advice(again.stdout)).toBe(
        `svc.service: its unit file claims the port, but systemd would refuse to load ${unit}:4: ${HEADER}, so the unit never starts and this line never runs; fix that line, keeping this line in its [Service] section:`,
      );
      // Not one to add by hand: the line is there.
      expect(again.stderr).not.toContain('add each ExecStartPre= line above by hand');
      // Followed: the header mended, --check passes.
      writeFileSync(unit, `[Service]\nExecStart=/bin/true\n${line}\n`);
      expect((await check()).code).toBe(0);
    },
  );

  it('holds the line already: the write says "nothing to do", as --check passes; cleared by an empty ExecStartPre= in a drop-in there, it says so', async () => {
    const { out, line, unit, write, check } = await outDir();
    writeFileSync(unit, `[Service]\nExecStart=/bin/true\n${line}\n`);
    const run = await write();
    expect(advice(run.stdout)).toBe(`svc.service: its unit file claims the port; this line is already in the [Service] section of ${unit}, nothing to do:`);
    expect(run.stderr).not.toContain('by hand');
    expect((await check()).code).toBe(0);
    writeTree(out, { 'svc.service.d/z.conf': '[Service]\nExecStartPre=\n' });
    expect(advice((await write()).stdout)).toBe(
      `svc.service: its unit file claims the port; this line is in ${unit}, but the empty ExecStartPre= in ${join(out, 'svc.service.d/z.conf')}:2 clears every earlier ExecStartPre=, this line included, so once ${out} is copied into /etc/systemd/system nothing frees the port before the unit starts; remove that empty ExecStartPre= or put this line after it:`,
    );
    expect((await check()).code).toBe(1);
  });

  it('lacks the line while systemd refuses it: both to do, the refusal first', async () => {
    const { unit, write } = await outDir();
    writeFileSync(unit, '[Service]x\nExecStart=/bin/true\n');
    expect(advice((await write()).stdout)).toBe(
      `svc.service: its unit file claims the port, but systemd would refuse to load ${unit}:1: ${HEADER}; fix that line, then make sure its [Service] section holds this line:`,
    );
  });
});

describe('ports systemd --out: another claim line --check accepts, in the unit file or a drop-in of its own', () => {
  /** DIR for `unit` with an executable claim-port (so that systemd-analyze verify judges the lines, not a missing file), the line the write prints, the write and --check. */
  async function claimOut(unit: string) {
    const dir = tempDir();
    const claimPort = join(dir, 'bin/claim-port');
    writeTree(dir, { 'ports.yaml': REGISTRY.replace('svc.service', unit), 'bin/claim-port': '#!/bin/sh\nexit 0\n' });
    chmodSync(claimPort, 0o755);
    const registry = join(dir, 'ports.yaml');
    const out = join(dir, 'out');
    const args = ['--registry', registry, 'systemd', '--out', out, '--claim-port', claimPort];
    const first = await ports(args);
    expect(first.code).toBe(0);
    const line = first.stdout.split('\n').find((text) => text.startsWith('ExecStartPre='))!;
    expect(line).toBe(`ExecStartPre=+${claimPort} 8000 --registry ${registry}`);
    return { out, line, claimPort, write: () => ports(args), check: () => ports([...args, '--check']) };
  }

  /** systemd's own verdict on the unit as DIR lays it out (its drop-ins there read too): what it says of the unit's files. */
  const verify = (out: string, unit: string) =>
    spawnSync(analyze!, ['verify', '--man=no', join(out, unit)], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_UNIT_PATH: `${out}:` },
    })
      .stderr.split('\n')
      .filter((text) => text.includes(out) && !text.includes('dsa110-port-health'));

  // Each form --check accepts for `ExecStartPre=+CLAIM 8000 --registry R` (hasExecStartPre, then claimsAlike): prefixes
  // in another order or with `-`, the service id for its port, an option before the port.
  const forms: [string, (line: string, claimPort: string) => string][] = [
    ['-+', (line) => line.replace('=+', '=-+')],
    ['+-', (line) => line.replace('=+', '=+-')],
    ['the service id', (line) => line.replace(' 8000 ', ' svc ')],
    ['an option first', (line, claimPort) => line.replace(`${claimPort} `, `${claimPort} --timeout 3 `)],
  ];

  for (const [form, make] of forms) {
    it(`${form}, in the unit file or its own drop-in: the write calls it done, --check passes, and systemd accepts the line`, async () => {
      const { out, line, claimPort, write, check } = await claimOut('svc.service');
      const other = make(line, claimPort);
      expect(other).not.toBe(line);
      for (const [files, at] of [
        [{ 'svc.service': `[Service]\nExecStart=/bin/true\n${other}\n` }, `${join(out, 'svc.service')}:3`],
        [
          { 'svc.service': '[Service]\nExecStart=/bin/true\n', 'svc.service.d/override.conf': `[Service]\n${other}\n` },
          `${join(out, 'svc.service.d/override.conf')}:2`,
        ],
      ] as const) {
        rmSync(join(out, 'svc.service.d'), { recursive: true, force: true });
        writeTree(out, files);
        if (analyze) expect(verify(out, 'svc.service')).toEqual([]);
        const run = await write();
        expect(run.code).toBe(0);
        expect(advice(run.stdout)).toBe(
          `svc.service: its unit file claims the port; ${other} in ${at} claims it as this line would (--check and the health check accept it), nothing to do:`,
        );
        expect(run.stderr).not.toContain('by hand');
        // Written, then checked: the two agree, and the write changed nothing of the unit's.
        const checked = await check();
        expect([checked.code, checked.stdout.split('\n').filter((text) => text.startsWith('ok:'))]).toEqual([
          0,
          [`ok: 0 drop-ins, 1 unit file and the health check's 2 units under ${out} match the registry`],
        ]);
      }
    });
  }

  it("an instance's: its template's file or its own drop-in, as --check judges it (the template's line with --check's warning)", async () => {
    const { out, line, write, check } = await claimOut('svc@a.service');
    const other = line.replace('=+', '=-+');
    for (const [files, at] of [
      [{ 'svc@.service': '[Service]\nExecStart=/bin/true\n', 'svc@a.service.d/override.conf': `[Service]\n${other}\n` }, 'svc@a.service.d/override.conf:2'],
      [{ 'svc@.service': `[Service]\nExecStart=/bin/true\n${other}\n` }, 'svc@.service:3'],
    ] as const) {
      rmSync(join(out, 'svc@a.service.d'), { recursive: true, force: true });
      writeTree(out, files);
      if (analyze) expect(verify(out, 'svc@a.service')).toEqual([]);
      const run = await write();
      expect(run.stdout).toContain(
        `svc@a.service: its unit file claims the port; ${other} in ${join(out, at)} claims it as this line would (--check and the health check accept it), nothing to do:\n`,
      );
      expect(run.stderr).not.toContain('by hand');
      const checked = await check();
      expect(checked.code).toBe(0);
      // The template's line frees the port whenever any instance starts: accepted with the health check's warning, as under --root.
      if (at.startsWith('svc@.service')) expect(checked.stdout).toContain('is the unit file of the template svc@.service, which every instance of it reads');
    }
  });

  it.skipIf(process.geteuid?.() !== 0)(
    "as root, an instance's own drop-in a link of uid 65534 to a root-only file with the line: not taken as there",
    async () => {
      const { out, line, write, check } = await claimOut('svc@a.service');
      const other = line.replace('=+', '=-+');
      const hidden = tempDir();
      chmodSync(hidden, 0o700);
      writeFileSync(join(hidden, 'override.conf'), `[Service]\n${other}\n`, { mode: 0o600 });
      const link = join(out, 'svc@a.service.d/override.conf');
      writeTree(out, { 'svc@.service': '[Service]\nExecStart=/bin/true\n' });
      mkdirSync(join(out, 'svc@a.service.d'), { recursive: true });
      symlinkSync(join(hidden, 'override.conf'), link);
      lchownSync(link, 65534, 65534);
      const reason = `${link} is a symbolic link owned by uid 65534, not by root, and root does not follow another user's link (it could point root at any file)`;
      const run = await write();
      expect(run.stdout).not.toContain('nothing to do');
      expect(run.stdout).not.toContain(other);
      expect(run.stderr).toContain(`warning: ${link}: cannot be read here: ${reason}; it may hold the claim line of svc@a.service`);
      const checked = await check();
      expect(checked.code).toBe(1);
      expect(checked.stdout).toContain(`${link}: cannot be read here: ${reason}; `);
      expect(checked.stdout).not.toContain(other);
    },
  );

  it('a line --check does not accept (another registry: none named) is still one to put in its place, and --check fails it alike', async () => {
    const { out, line, claimPort, write, check } = await claimOut('svc.service');
    const bare = `ExecStartPre=+${claimPort} 8000`;
    writeTree(out, { 'svc.service': `[Service]\nExecStart=/bin/true\n${bare}\n` });
    const run = await write();
    expect(advice(run.stdout)).toBe(
      `svc.service: its unit file claims the port; put this line in the [Service] section of ${join(out, 'svc.service')}, in place of its ${bare}:`,
    );
    expect(run.stderr).toContain('by hand');
    const checked = await check();
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain(`does not contain ${line} in its [Service] section`);
    // Nor one systemd refuses (`++`): in a drop-in of its own, read by systemd-analyze as by --check.
    writeTree(out, { 'svc.service': '[Service]\nExecStart=/bin/true\n', 'svc.service.d/override.conf': `[Service]\n${line.replace('=+', '=++')}\n` });
    if (analyze) expect(verify(out, 'svc.service').join('\n')).toContain('override.conf:2: Neither a valid executable name nor an absolute path');
    expect(advice((await write()).stdout)).toBe(
      `svc.service: its unit file claims the port; put this line in the [Service] section of ${join(out, 'svc.service')}:`,
    );
    expect((await check()).code).toBe(1);
  });

  it('one an empty ExecStartPre= read after it clears: never "nothing to do", as --check fails it', async () => {
    const { out, line, write, check } = await claimOut('svc.service');
    const other = line.replace('=+', '=-+');
    writeTree(out, { 'svc.service': `[Service]\nExecStart=/bin/true\n${other}\n`, 'service.d/z.conf': '[Service]\nExecStartPre=\n' });
    expect(advice((await write()).stdout)).toBe(
      `svc.service: its unit file claims the port; ${other} in ${join(out, 'svc.service')}:3 claims it as this line would, but the empty ExecStartPre= in ${join(out, 'service.d/z.conf')}:2 clears every earlier ExecStartPre=, that line included, so once ${out} is copied into /etc/systemd/system nothing frees the port before the unit starts; remove that empty ExecStartPre= or put this line after it:`,
    );
    expect((await check()).code).toBe(1);
  });
});

describe('ports systemd --out: a unit file in DIR that cannot be read', () => {
  /** `line`, then comment lines past MAX_UNIT_BYTES: a unit systemd loads whole, which these tools read no further than the bound. */
  const tooLarge = (line: string) => `[Service]\nExecStart=/bin/true\n${line}\n${"# a comment of the operator's\n".repeat(MAX_UNIT_BYTES / 28 + 1)}`;

  it('larger than 1 MiB with the line in it: the write says it cannot be read, as --check does, never "put this line" nor one to add by hand', async () => {
    const { line, unit, write, check } = await outDir();
    writeFileSync(unit, tooLarge(line));
    const run = await write();
    expect(run.code).toBe(0);
    expect(advice(run.stdout)).toBe(
      `svc.service: its unit file claims the port, but ${unit} cannot be read here (${UNIT_TOO_LARGE}); once it can, make sure this line is in its [Service] section:`,
    );
    expect(run.stderr).not.toContain('by hand');
    const checked = await check();
    expect(checked.code).not.toBe(0);
    expect(checked.stderr).toContain(`ports systemd: cannot read ${unit}: ${UNIT_TOO_LARGE}`);
  });

  it('a FIFO, a link loop, a directory: each said with why, as --check says it', async () => {
    const { unit, write, check } = await outDir();
    const cases: [string, () => void][] = [
      ['a FIFO', () => spawnSync('mkfifo', [unit])],
      ['a link loop', () => symlinkSync('svc.service', unit)],
      ['a directory', () => mkdirSync(unit)],
    ];
    for (const [what, make] of cases) {
      rmSync(unit, { recursive: true, force: true });
      make();
      const checked = await check();
      const said = /^ports systemd: cannot read (.*)$/m.exec(checked.stderr)?.[1];
      expect(said, what).toMatch(new RegExp(`^${unit}: `));
      const run = await write();
      expect(advice(run.stdout), what).toBe(
        `svc.service: its unit file claims the port, but ${unit} cannot be read here (${said!.slice(unit.length + 2)}); once it can, make sure this line is in its [Service] section:`,
      );
      expect(run.stderr, what).not.toContain('by hand');
    }
  });

  it.skipIf(process.geteuid?.() !== 0)('as root, a link of uid 65534 to a root-only unit file: refused, naming the link; its lines never quoted', async () => {
    const { unit, write, check } = await outDir();
    const hidden = tempDir();
    chmodSync(hidden, 0o700);
    writeFileSync(join(hidden, 'svc.service'), '[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000 --registry /SECRET=hunter2\n', { mode: 0o600 });
    rmSync(unit, { force: true });
    symlinkSync(join(hidden, 'svc.service'), unit);
    lchownSync(unit, 65534, 65534);
    const reason = `${unit} is a symbolic link owned by uid 65534, not by root, and root does not follow another user's link (it could point root at any file); give the path of the file itself, or make the link root's (chown -h root:root ${unit})`;
    const checked = await check();
    expect(checked.code).toBe(1);
    expect(checked.stderr).toContain(`ports systemd: cannot read ${unit}: ${reason}\n`);
    const run = await write();
    expect(advice(run.stdout)).toBe(
      `svc.service: its unit file claims the port, but ${unit} cannot be read here (${reason}); once it can, make sure this line is in its [Service] section:`,
    );
    for (const said of [checked, run]) expect(`${said.stdout}${said.stderr}`).not.toContain('SECRET');
  });

  it('an instance\'s template too large: said so, not "nothing to do" for the line in its own drop-in', async () => {
    const dir = tempDir();
    const registry = join(writeTree(dir, { 'ports.yaml': REGISTRY.replace('svc.service', 'svc@a.service') }), 'ports.yaml');
    const out = join(dir, 'out');
    const write = () => ports(['--registry', registry, 'systemd', '--out', out]);
    const line = (await write()).stdout.split('\n').find((text) => text.startsWith('ExecStartPre='))!;
    writeTree(out, { 'svc@.service': tooLarge('ExecStartPre=/bin/true'), 'svc@a.service.d/override.conf': `[Service]\n${line}\n` });
    const run = await write();
    expect(run.stdout).toContain(
      `svc@a.service: its unit file claims the port, but ${join(out, 'svc@.service')} cannot be read here (${UNIT_TOO_LARGE}); once it can, make sure this line is under a [Service] line in the drop-in ${join(out, 'svc@a.service.d/override.conf')} (the instance's own):\n`,
    );
    expect(run.stderr).not.toContain('by hand');
    const checked = await ports(['--registry', registry, 'systemd', '--out', out, '--check']);
    expect(checked.stderr).toContain(`cannot read ${join(out, 'svc@.service')}: ${UNIT_TOO_LARGE}`);
  });

  it('masked (a link to /dev/null): said so, as --check says it', async () => {
    const { unit, write, check } = await outDir();
    symlinkSync('/dev/null', unit);
    const dir = dirname(unit);
    expect(advice((await write()).stdout)).toBe(
      `svc.service: its unit file claims the port, but it is masked: ${unit} is empty or links to /dev/null, so once ${dir} is copied into /etc/systemd/system systemd will not start it; remove it, or put the unit's file in its place; then run this command again to learn where this line goes, or remove the service from the registry:`,
    );
    expect((await check()).stdout).toContain(`svc.service: masked: ${unit} is empty or links to /dev/null, so once ${dir} is copied into /etc/systemd/system`);
  });
});

describe('ports systemd --root: a unit file that cannot be read', () => {
  it('is said so, and not counted as one to add by hand (--check fails on the file, not "missing")', async () => {
    const root = tempDir();
    writeTree(root, { 'etc/dsa110/ports.yaml': REGISTRY });
    const args = ['--registry', join(root, 'etc/dsa110/ports.yaml'), 'systemd', '--root', root];
    const line = (await ports(args)).stdout.split('\n').find((text) => text.startsWith('ExecStartPre='))!;
    const unit = join(root, 'etc/systemd/system/svc.service');
    writeFileSync(unit, `[Service]\nExecStart=/bin/true\n${line}\n${"# a comment of the operator's\n".repeat(MAX_UNIT_BYTES / 28 + 1)}`);
    const run = await ports(args);
    expect(advice(run.stdout)).toContain(`but systemd loads it from ${unit}, which cannot be read here (${UNIT_TOO_LARGE})`);
    expect(run.stderr).not.toContain('by hand');
    expect((await ports([...args, '--check'])).stderr).toContain(`cannot read ${unit}: ${UNIT_TOO_LARGE}`);
  });
});
