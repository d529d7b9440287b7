// `ports systemd --out DIR` (the write and --check) on what the files in DIR alone make of a wired unit once DIR is
// copied into /etc/systemd/system, said by its unit as `--root` says it of the units it loads: a claim line that reads
// another registry than the one checked (with the bundled registry, a $DSA110_PORTS_FILE that Environment= or an
// EnvironmentFile= sets: BUNDLED_CLAIM_FIX, the words of --root and of the health check), and a `claim: drop-in` unit
// masked in DIR (a link to /dev/null, an empty file). --check fails on each; the write warns and never says "nothing to
// do". Real trees in temp dirs, the bundled registry (no --registry, no $DSA110_PORTS_FILE).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_CLAIM_FIX } from '@dsa110/ports/systemd';
import { writeTree } from '../../../../../test-support/tree.js';
import { binForOtherUsers, ports, tempDir } from '../helpers.js';

const CLAIM = '/usr/local/bin/claim-port';
/** The bundled registry's two unit-file claims, each with its line, as the write prints it. */
const unitFile = (port: number, extra = '') => `[Service]\n${extra}ExecStartPre=+${CLAIM} ${port}\nExecStart=/bin/true\n`;

/** DIR written for the bundled registry, its two unit files there with their lines, --check passing; then `files` added. */
async function outDir(files: Parameters<typeof writeTree>[1] = {}) {
  const out = join(tempDir('dsa110-ports-out-problems-'), 'out');
  const run = (...args: string[]) => ports(['systemd', '--out', out, ...args]);
  expect((await run()).code).toBe(0);
  writeTree(out, { 'grafana-simple.service': unitFile(3030), 'dsa110-api.service': unitFile(8000) });
  expect((await run('--check')).code).toBe(0);
  writeTree(out, files);
  return { out, write: () => run(), check: () => run('--check') };
}

/** The line --root and the health check print of a claim line that reads $DSA110_PORTS_FILE, not the bundled registry. */
const readsOther = (unit: string, line: string, at: string, value: string, setAt: string) =>
  `${unit}: ExecStartPre=${line} in ${at} names no --registry, so claim-port reads $DSA110_PORTS_FILE=${value} (${setAt}), not the bundled registry, the registry checked here: its protected processes and claim timeout would not apply; ${BUNDLED_CLAIM_FIX}`;

describe('ports systemd --out, the bundled registry: a unit in DIR that sets $DSA110_PORTS_FILE', () => {
  it("the exact line in a unit file whose Environment= sets it: --check fails naming both lines; the write warns, never 'nothing to do'", async () => {
    const { out, write, check } = await outDir({ 'grafana-simple.service': unitFile(3030, 'Environment=DSA110_PORTS_FILE=/etc/dsa110/other.yaml\n') });
    const file = join(out, 'grafana-simple.service');
    const said = readsOther('grafana-simple.service', `+${CLAIM} 3030`, `${file}:3`, '/etc/dsa110/other.yaml', `${file}:2`);
    const checked = await check();
    expect(checked.code).toBe(1);
    expect(checked.stdout).toBe(`${said}\n`);
    expect(checked.stderr).toBe(`1 problem in the claim wiring under ${out}, listed above with what to do\n`);

    const written = await write();
    expect(written.code).toBe(0);
    const advice = written.stdout.split('\n').find((line) => line.startsWith('grafana-simple.service: '));
    expect(advice).toBe(
      `grafana-simple.service: its unit file claims the port; this line is already in the [Service] section of ${file}, but it would read another registry than this one (below):`,
    );
    expect(written.stderr).toContain(`warning: ${said}\n`);
    expect(written.stderr).toContain(
      `1 unit (grafana-simple.service) would run claim lines that read another registry once ${out} is copied into /etc/systemd/system (said above); \`ports systemd --out ${out} --check\` fails until it reads this one\n`,
    );
  });

  it("the claim drop-in the write makes, with a drop-in of the unit's own in DIR that sets it: --check fails", async () => {
    const { out, check } = await outDir({ 'redis-server.service.d/env.conf': '[Service]\nEnvironment=DSA110_PORTS_FILE=/etc/dsa110/other.yaml\n' });
    const checked = await check();
    expect(checked.code).toBe(1);
    expect(checked.stdout).toBe(
      `${readsOther('redis-server.service', `+${CLAIM} 6379`, `${join(out, 'redis-server.service.d/claim-port.conf')}:3`, '/etc/dsa110/other.yaml', `${join(out, 'redis-server.service.d/env.conf')}:2`)}\n`,
    );
  });

  it('an EnvironmentFile= (read on this host) that sets it: --check fails; one that sets it empty (unset, as claim-port reads it) passes', async () => {
    const env = join(tempDir('dsa110-ports-out-env-'), 'ports.env');
    writeFileSync(env, 'DSA110_PORTS_FILE=/etc/dsa110/other.yaml\n');
    const { out, check } = await outDir({ 'dsa110-api.service': unitFile(8000, `EnvironmentFile=${env}\n`) });
    const file = join(out, 'dsa110-api.service');
    const checked = await check();
    expect(checked.code).toBe(1);
    expect(checked.stdout).toBe(`${readsOther('dsa110-api.service', `+${CLAIM} 8000`, `${file}:3`, '/etc/dsa110/other.yaml', `${env}:1`)}\n`);
    writeFileSync(env, 'DSA110_PORTS_FILE=\n');
    expect((await check()).code).toBe(0);
  });
});

describe('ports systemd --out: a claim: drop-in unit masked in DIR', () => {
  it.each([
    ['a link to /dev/null', { symlink: '/dev/null' }],
    ['an empty file', ''],
  ] as const)('%s: --check fails ("UNIT: masked: ..."); the write warns and counts it as masked', async (_, mask) => {
    const { out, write, check } = await outDir({ 'redis-server.service': mask });
    const said = `redis-server.service: masked: ${join(out, 'redis-server.service')} is empty or links to /dev/null, so once ${out} is copied into /etc/systemd/system systemd will not start it; remove it, or put the unit's file in its place`;
    const checked = await check();
    expect(checked.code).toBe(1);
    expect(checked.stdout).toBe(`${said}\n`);

    const written = await write();
    expect(written.code).toBe(0);
    expect(written.stderr).toContain(`warning: ${said}\n`);
    expect(written.stderr).toContain(
      `1 unit (redis-server.service) is masked, so systemd never starts it and no claim line of its runs: undo the mask as said above, or remove its service from the registry; \`ports systemd --out ${out} --check\` fails ("masked") until then\n`,
    );
  });
});

describe('ports systemd --out --check as a user who is not root: a drop-in directory in DIR it cannot list', () => {
  it.skipIf(process.getuid?.() !== 0)(
    'is never taken as empty (it may clear the claim): said with what to do, and --check fails, as root it would read it (built bin, as nobody)',
    async () => {
      const { out } = await outDir({ 'grafana-simple.service.d/zz.conf': '[Service]\nExecStart=/bin/true\n' });
      chmodSync(join(out, '..'), 0o755);
      for (const dir of [out, join(out, 'redis-server.service.d'), join(out, 'prometheus.service.d')]) chmodSync(dir, 0o755);
      mkdirSync(join(out, 'grafana-simple.service.d'), { recursive: true });
      chmodSync(join(out, 'grafana-simple.service.d'), 0o700);
      const run = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, binForOtherUsers(), 'systemd', '--out', out, '--check'],
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' },
          encoding: 'utf8',
        },
      );
      expect([run.status, run.stdout]).toEqual([
        1,
        `${join(out, 'grafana-simple.service.d')}: cannot be read here: the directory cannot be listed (permission denied); grafana-simple.service reads it after its claim line (${join(out, 'grafana-simple.service')}:2), which an empty ExecStartPre= in it would clear, so whether grafana-simple.service claims its port once ${out} is copied into /etc/systemd/system cannot be told; run as root, as systemd reads it\n`,
      ]);
      // As root, which systemd runs as, it is read: nothing in it clears the claim.
      expect((await ports(['systemd', '--out', out, '--check'])).code).toBe(0);
    },
  );
});

describe('ports systemd --out --check: a drop-in in DIR that is a loop of links', () => {
  it("one of the operator's: a warning (systemd skips it without a word), never a crash; --check passes", async () => {
    const { out, check } = await outDir({ 'redis-server.service.d/zz.conf': { symlink: 'zz.conf' } });
    const run = await check();
    expect(run.stderr).not.toContain('internal error');
    expect(run.code).toBe(0);
    const path = join(out, 'redis-server.service.d/zz.conf');
    expect(run.stdout.split('\n').filter((line) => line.startsWith('warning: '))).toEqual([
      `warning: ${path}: it is a loop of symbolic links, which systemd skips without a word, so once ${out} is copied into /etc/systemd/system nothing in it applies to redis-server.service; fix the link or remove it`,
    ]);
  });

  it('the claim drop-in itself: said once, as the link the write never replaces, never a crash', async () => {
    const { out, check } = await outDir();
    const path = join(out, 'redis-server.service.d/claim-port.conf');
    rmSync(path);
    symlinkSync('claim-port.conf', path);
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`${path}: it is a symbolic link to "claim-port.conf", which is never replaced; remove the link to let this tool write the file\n`);
  });
});
