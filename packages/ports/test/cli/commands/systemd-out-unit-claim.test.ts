// `ports systemd --out DIR` for a `claim: unit` service whose unit file is in DIR: --check fails one systemd refuses
// to load wherever its broken line is (after the claim line too), and the write says of the file what --check says of
// it, as under --root: the line already there, cleared by a later empty ExecStartPre=, or in a file systemd refuses.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
