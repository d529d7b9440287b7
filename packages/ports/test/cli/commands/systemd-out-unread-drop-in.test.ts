// `ports systemd --out DIR` with a drop-in in DIR that a wired unit reads but that cannot be read here (a FIFO, over
// 1 MiB) or that systemd skips (a directory named *.conf): said once, as a problem of that file with what to do, by the
// write and by --check alike. One read after the unit's claim line may clear it (an empty ExecStartPre=): whether the
// unit claims its port cannot be told, so --check fails (exit 1) and the write never says "nothing to do"; one read
// before the claim line, or a directory, is a warning. The write leaves each file as it is. Real trees in temp dirs.
import { execFileSync } from 'node:child_process';
import { chmodSync, lchownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_UNIT_BYTES } from '../../../src/limits.js';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const service = (id: string, port: number, claim: 'unit' | 'drop-in') =>
  `  - id: ${id}\n    name: ${id}\n    group: production\n    port: ${port}\n    protocol: TCP\n    access: localhost\n` +
  `    configuredBy: hardcoded\n    robust: true\n    systemd: { unit: ${id}.service, claim: ${claim} }\n    processes: [node]\n`;

/** DIR written once for a registry of `svc` (claiming as `claim`), its unit file there with the claim line for `claim: unit`. */
async function outDir(claim: 'unit' | 'drop-in') {
  const dir = tempDir();
  const registry = join(writeTree(dir, { 'ports.yaml': `version: 1\nservices:\n${service('svc', 8000, claim)}` }), 'ports.yaml');
  const out = join(dir, 'out');
  const run = (...args: string[]) => ports(['--registry', registry, 'systemd', '--out', out, ...args]);
  const first = await run();
  expect(first.code).toBe(0);
  const line = first.stdout.split('\n').find((text) => text.startsWith('ExecStartPre='))!;
  if (claim === 'unit') writeFileSync(join(out, 'svc.service'), `[Service]\nExecStart=/bin/true\n${line}\n`);
  expect((await run('--check')).code).toBe(0);
  return { out, run, check: () => run('--check') };
}

/** The lines of `text` that name `path` at their start (a warning's or a --check line's). */
const linesOf = (text: string, path: string) => text.split('\n').filter((line) => line.startsWith(`${path}: `) || line.startsWith(`warning: ${path}: `));

describe('ports systemd --out: a drop-in in DIR that cannot be read', () => {
  it.each([
    [
      'a FIFO',
      'svc.service.d/50-local.conf',
      'it is a FIFO (named pipe), not a regular file, which systemd would block reading',
      'make it a regular file, or remove it',
    ],
    [
      'over 1 MiB, in the type-wide service.d/',
      'service.d/zz-local.conf',
      'it is larger than 1 MiB, the most read here of a unit file or drop-in, though systemd reads one of any size',
      'make it smaller (what it sets is not known until then)',
    ],
  ])('%s, read after the claim line: said once, --check fails, the write never says "nothing to do" and leaves it', async (_, relative, reason, advice) => {
    const { out, run, check } = await outDir('unit');
    const path = join(out, relative);
    mkdirSync(join(path, '..'), { recursive: true });
    if (relative.endsWith('50-local.conf')) execFileSync('mkfifo', [path]);
    else writeFileSync(path, `# ${'x'.repeat(MAX_UNIT_BYTES)}\n[Service]\nExecStartPre=\n`);
    const before = statSync(path);
    const said = `cannot be read here: ${reason}; svc.service reads it after its claim line (${join(out, 'svc.service')}:3), which an empty ExecStartPre= in it would clear, so whether svc.service claims its port once ${out} is copied into /etc/systemd/system cannot be told; ${relative.startsWith('service.d/') ? 'what it sets for dsa110-port-health.service cannot be told either; ' : ''}${advice}`;

    const write = await run();
    expect(write.code).toBe(0);
    expect(write.stdout).toContain(
      `svc.service: its unit file claims the port; this line is already in the [Service] section of ${join(out, 'svc.service')}, but ${path}, read after it, cannot be read here (below), so whether it still runs cannot be told:\n`,
    );
    expect(write.stdout).not.toContain('nothing to do');
    expect(linesOf(write.stderr, path)).toEqual([`warning: ${path}: ${said}`]);
    expect(write.stderr).toContain(`1 drop-in in ${out} cannot be read here and may clear a claim line (said above);`);
    expect(write.stderr).not.toContain('by hand');
    // Not written over, not removed.
    const after = statSync(path);
    expect([after.ino, after.size, after.mtimeMs, after.isFIFO()]).toEqual([before.ino, before.size, before.mtimeMs, before.isFIFO()]);

    const checked = await check();
    expect(checked.code).toBe(1);
    expect(linesOf(checked.stdout, path)).toEqual([`${path}: ${said}`]);
    expect(checked.stderr).toBe(`1 problem in the claim wiring under ${out}, listed above with what to do\n`);
  });

  it("a FIFO in an alias's directory (web.service -> svc.service in DIR), read after the claim line: --check fails, as for the unit's own", async () => {
    const { out, check } = await outDir('unit');
    symlinkSync('svc.service', join(out, 'web.service'));
    const path = join(out, 'web.service.d/50-local.conf');
    mkdirSync(join(path, '..'));
    execFileSync('mkfifo', [path]);
    const checked = await check();
    expect(checked.code).toBe(1);
    expect(linesOf(checked.stdout, path)).toEqual([
      `${path}: cannot be read here: it is a FIFO (named pipe), not a regular file, which systemd would block reading; svc.service reads it after its claim line (${join(out, 'svc.service')}:3), which an empty ExecStartPre= in it would clear, so whether svc.service claims its port once ${out} is copied into /etc/systemd/system cannot be told; make it a regular file, or remove it`,
    ]);
  });

  it('a FIFO read before the claim drop-in (it cannot clear the claim): a warning, once; --check passes', async () => {
    const { out, run, check } = await outDir('drop-in');
    const path = join(out, 'svc.service.d/10-early.conf');
    execFileSync('mkfifo', [path]);
    const said = `cannot be read here: it is a FIFO (named pipe), not a regular file, which systemd would block reading; svc.service reads it before its claim line at ${join(out, 'svc.service.d/claim-port.conf')}:3, so it cannot clear a claim line, but what else it sets is not known; make it a regular file, or remove it`;
    const write = await run();
    expect(write.code).toBe(0);
    expect(linesOf(write.stderr, path)).toEqual([`warning: ${path}: ${said}`]);
    expect(write.stderr).not.toContain('may clear a claim line');
    const checked = await check();
    expect(checked.code).toBe(0);
    expect(linesOf(checked.stdout, path)).toEqual([`warning: ${path}: ${said}`]);
    expect(statSync(path).isFIFO()).toBe(true);
  });

  it('a directory named like a drop-in: systemd skips it, said once as a warning; --check passes', async () => {
    const { out, run, check } = await outDir('unit');
    const path = join(out, 'svc.service.d/90-local.conf');
    writeTree(path, { 'override.conf': '[Service]\nExecStartPre=\n' });
    const said = `it is a directory, which systemd reads no drop-in from (not even the files in it): systemd skips it without a word, so once ${out} is copied into /etc/systemd/system nothing in it applies to svc.service; if it was meant as a drop-in, make it a file, else rename it without .conf or remove it`;
    const write = await run();
    expect(write.code).toBe(0);
    expect(write.stdout).toContain('nothing to do');
    expect(linesOf(write.stderr, path)).toEqual([`warning: ${path}: ${said}`]);
    const checked = await check();
    expect(checked.code).toBe(0);
    expect(linesOf(checked.stdout, path)).toEqual([`warning: ${path}: ${said}`]);
  });
});

// As root, a drop-in read through a link another user owns (the drop-in, or its directory) had its lines used and
// quoted (a claim line's --registry): a root-only file's, which the link's owner chose. Refused as the unit file is
// (systemd-out-unit-claim.test.ts), said as a drop-in that cannot be read here; root's own link still followed.
describe.skipIf(process.geteuid?.() !== 0)('ports systemd --out as root: a drop-in through a link another user owns', () => {
  const NOBODY = 65534;
  const SECRET = '[Service]\nExecStartPre=\nExecStartPre=+/usr/local/bin/claim-port 8000 --registry /SECRET=hunter2\n';

  it.each([
    ['the drop-in a link of uid 65534', 'file', 'svc.service.d'],
    ['its directory a link of uid 65534', 'directory', 'svc.service.d'],
    ["an alias's directory (web.service -> svc.service in DIR) a link of uid 65534", 'directory', 'web.service.d'],
  ] as const)('%s: one line naming the link, --check fails, nothing of the target said', async (_, level, name) => {
    const { out, run, check } = await outDir('unit');
    if (name === 'web.service.d') symlinkSync('svc.service', join(out, 'web.service'));
    const hidden = tempDir();
    chmodSync(hidden, 0o700);
    writeFileSync(join(hidden, 'zz.conf'), SECRET, { mode: 0o600 });
    const dir = join(out, name);
    const link = level === 'file' ? join(dir, 'zz.conf') : dir;
    if (level === 'file') mkdirSync(dir);
    symlinkSync(level === 'file' ? join(hidden, 'zz.conf') : hidden, link);
    lchownSync(link, NOBODY, NOBODY);
    const said = `cannot be read here: ${link} is a symbolic link owned by uid ${NOBODY}, not by root, and root does not follow another user's link (it could point root at any file); svc.service reads it after its claim line (${join(out, 'svc.service')}:3), which an empty ExecStartPre= in it would clear, so whether svc.service claims its port once ${out} is copied into /etc/systemd/system cannot be told; make the link root's (chown -h root:root ${link}), or put the ${level} itself in its place`;
    const checked = await check();
    expect(checked.code).toBe(1);
    expect(linesOf(checked.stdout, link)).toEqual([`${link}: ${said}`]);
    const write = await run();
    expect(write.code).toBe(0);
    expect(linesOf(write.stderr, link)).toEqual([`warning: ${link}: ${said}`]);
    for (const output of [checked, write]) expect(`${output.stdout}${output.stderr}`).not.toContain('SECRET');
    // Root's own link is followed, as before: its claim line is read (and said to read another registry).
    lchownSync(link, 0, 0);
    const own = await check();
    expect(own.code).toBe(1);
    expect(own.stdout).toContain('--registry /SECRET=hunter2');
  });
});
