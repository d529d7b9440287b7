// `ports systemd --root ROOT --check` lists every problem it finds in one run: the files that differ from the registry
// (drift) and the units systemd would load (an empty ExecStartPre= that clears a claim, ...) alike, and its last line
// counts what it listed. It judged the units only once no file had drifted, so one stale drop-in hid another unit's
// cleared claim, and the count said 1. Real trees under --root, in-process.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
const ETC = 'etc/systemd/system';
const REGISTRY_AT = 'etc/dsa110/ports.yaml';
const service = (id: string, port: number, claim: 'drop-in' | 'unit') =>
  `  - id: ${id}\n    name: ${id}\n    group: production\n    port: ${port}\n    protocol: TCP\n    access: localhost\n` +
  `    configuredBy: hardcoded\n    robust: true\n    systemd: { unit: ${id}.service, claim: ${claim} }\n    processes: [${id}]\n`;
/** Two robust services claiming by the drop-in the write makes; gamma, when given, in its own unit file. */
const registry = (gamma = false) =>
  `version: 1\nservices:\n${service('alpha', 20081, 'drop-in')}${service('beta', 20082, 'drop-in')}${gamma ? service('gamma', 20083, 'unit') : ''}`;
const CLEAR = '[Service]\nExecStartPre=\n';
const claimLine = (port: number) => `ExecStartPre=+/usr/local/bin/claim-port ${port} --registry /${REGISTRY_AT}`;
/** alpha's claim, cleared by a drop-in read after claim-port.conf. */
const ALPHA_CLEARED = { [`${ETC}/alpha.service.d/zz.conf`]: CLEAR };
const cleared = (unit: string, port: number, at = `${unit}.service.d/zz.conf:2`) =>
  `${unit}.service: the empty ExecStartPre= in /${ETC}/${at} clears every earlier ExecStartPre= of ${unit}.service, the claim-port line included, ` +
  `so nothing frees port ${port} before it starts; remove that line or add the claim after it\n`;

/** A root with the registry at /etc/dsa110/ports.yaml, a claim-port, the units, and (`written`) what `ports systemd` writes there. */
async function root({ gamma = false, written = true } = {}) {
  const dir = writeTree(tempDir('dsa110-ports-every-problem-'), {
    [REGISTRY_AT]: registry(gamma),
    'usr/local/bin/claim-port': '#!/bin/sh\nexit 0\n',
    [`${ETC}/alpha.service`]: '[Service]\nExecStart=/bin/true\n',
    [`${ETC}/beta.service`]: '[Service]\nExecStart=/bin/true\n',
    ...(gamma && { [`${ETC}/gamma.service`]: '[Service]\nExecStart=/bin/true\n' }),
  });
  chmodSync(join(dir, 'usr/local/bin/claim-port'), 0o755);
  const args = ['--registry', join(dir, REGISTRY_AT), 'systemd', '--root', dir];
  if (written) expect((await ports(args)).code).toBe(0);
  const regenerate = `ports --registry ${join(dir, REGISTRY_AT)} systemd --root ${dir}`;
  return { dir, regenerate, check: () => ports([...args, '--check']) };
}

/** The count --check ends with when both the files and the units have problems. */
const bothCount = (dir: string, files: number, units: number) =>
  `${files + units} problems in the claim wiring under ${join(dir, ETC)}, each listed above with what to do: ` +
  `${files} in the files, and ${units} in the units systemd would load under ${dir}\n`;

/** beta's claim drop-in made stale: it claims `port` where the registry says 20082. */
function staleBeta(dir: string, port: number): string {
  const path = join(dir, ETC, 'beta.service.d/claim-port.conf');
  writeFileSync(path, readFileSync(path, 'utf8').replace(claimLine(20082), claimLine(port)));
  return path;
}

describe('ports systemd --root --check: every problem in one run, and a count of what it listed', () => {
  it("a stale drop-in of beta's does not hide alpha's cleared claim: both listed, the count 2", async () => {
    const { dir, regenerate, check } = await root();
    writeTree(dir, ALPHA_CLEARED);
    const stale = staleBeta(dir, 20089);
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `${stale}: differs from the registry (${claimLine(20082)}); run \`${regenerate}\`\n` +
        `--- ${stale} (on disk)\n+++ ${stale} (from the registry)\n@@ -1,3 +1,3 @@\n` +
        ` # Generated from ports.yaml by \`ports systemd\`; edit ports.yaml instead.\n [Service]\n-${claimLine(20089)}\n+${claimLine(20082)}\n` +
        cleared('alpha', 20081),
    );
    expect(run.stderr).toBe(bothCount(dir, 1, 1));
  });

  it('a second claim line in aa.conf of beta does not hide it either', async () => {
    const { dir, check } = await root();
    writeTree(dir, { ...ALPHA_CLEARED, [`${ETC}/beta.service.d/aa.conf`]: `[Service]\n${claimLine(20082)}\n` });
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `${join(dir, ETC, 'beta.service.d/aa.conf')}:2: unexpected: ${claimLine(20082)} runs claim-port for beta.service besides ` +
        'beta.service.d/claim-port.conf, where the registry wires its claim, so beta.service claims its port twice; remove the line\n' +
        cleared('alpha', 20081),
    );
    expect(run.stderr).toBe(bothCount(dir, 1, 1));
  });

  it("a stray claim of another port is said once (the drift line), not again as a claim of the wrong port, beside alpha's", async () => {
    const { dir, check } = await root();
    writeTree(dir, { ...ALPHA_CLEARED, [`${ETC}/beta.service.d/aa.conf`]: `[Service]\n${claimLine(20099)}\n` });
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `${join(dir, ETC, 'beta.service.d/aa.conf')}:2: unexpected: ${claimLine(20099)} runs claim-port for beta.service besides ` +
        "beta.service.d/claim-port.conf, where the registry wires its claim, and frees port 20099, not beta's port 20082; remove the line\n" +
        cleared('alpha', 20081),
    );
    expect(run.stderr).toBe(bothCount(dir, 1, 1));
  });

  it("a claim-port.conf left from `claim: drop-in` is said once (remove it), not again as a claim of the wrong port, beside alpha's", async () => {
    const { dir, check } = await root({ gamma: true });
    writeTree(dir, {
      ...ALPHA_CLEARED,
      [`${ETC}/gamma.service`]: `[Service]\nExecStart=/bin/true\n${claimLine(20083)}\n`,
      [`${ETC}/gamma.service.d/claim-port.conf`]: `# Generated from ports.yaml by \`ports systemd\`; edit ports.yaml instead.\n[Service]\n${claimLine(20099)}\n`,
    });
    const run = await check();
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${join(dir, ETC, 'gamma.service.d/claim-port.conf')}: unexpected: .* remove this drop-in$`));
    expect(`${lines[1]}\n`).toBe(cleared('alpha', 20081));
    expect(run.stderr).toBe(bothCount(dir, 1, 1));
  });

  it('the stale unit itself is judged too, with its drop-in as the write leaves it: its own cleared claim said with the diff', async () => {
    const { dir, check } = await root();
    writeTree(dir, { [`${ETC}/beta.service.d/zz.conf`]: CLEAR });
    staleBeta(dir, 20089);
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`differs from the registry (${claimLine(20082)})`);
    expect(run.stdout).toContain(cleared('beta', 20082));
    expect(run.stdout).not.toContain('claims port 20089');
    expect(run.stderr).toBe(bothCount(dir, 1, 1));
  });

  it('before the first write: each missing file, and the claim a drop-in will clear once it is written', async () => {
    const { dir, regenerate, check } = await root({ written: false });
    writeTree(dir, ALPHA_CLEARED);
    const run = await check();
    expect(run.code).toBe(1);
    const missing = run.stdout.split('\n').filter((line) => line.includes(': missing: '));
    expect(missing).toHaveLength(4);
    expect(missing[0]).toBe(
      `${join(dir, ETC, 'alpha.service.d/claim-port.conf')}: missing: the registry wants ${claimLine(20081)} for alpha.service; run \`${regenerate}\``,
    );
    // Not "no ExecStartPre= in alpha.service calls claim-port": that is the missing drop-in, said once.
    expect(run.stdout).not.toContain('calls claim-port');
    expect(run.stdout.endsWith(cleared('alpha', 20081))).toBe(true);
    expect(run.stderr).toBe(bothCount(dir, 4, 1));
  });

  it("a unit file without its line is said once, as the line to add, beside the other units' problems", async () => {
    const { dir, check } = await root({ gamma: true });
    writeTree(dir, ALPHA_CLEARED);
    const run = await check();
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^${join(dir, ETC, 'gamma.service')}: does not contain ${claimLine(20083).replace(/[+.]/g, '\\$&')} in its \\[Service\\] section`),
    );
    expect(`${lines[1]}\n`).toBe(cleared('alpha', 20081));
    expect(run.stderr).toBe(bothCount(dir, 1, 1));
  });

  it('a drop-in of the claim\'s name ahead of the written one (a link to nothing, an empty ExecStartPre= in system.control) hides the claim: said, never "ok"', async () => {
    for (const hide of [{ symlink: '/nonexistent' }, CLEAR] as const) {
      const { dir, check } = await root();
      writeTree(dir, { 'etc/systemd/system.control/alpha.service.d/claim-port.conf': hide });
      const run = await check();
      expect(run.code, JSON.stringify(hide)).toBe(1);
      expect(run.stdout).not.toMatch(/^ok:/m);
      expect(run.stdout + run.stderr).toMatch(/alpha\.service: /);
    }
  });

  it('a drop-in over 1 MiB (systemd reads it whole: checked with systemd-analyze verify when installed) is said as too large to read, with its path, and counted as a verdict that cannot be told, never as units that do not claim their ports', async () => {
    const { dir, regenerate, check } = await root();
    // 2 MiB of comments, then a command: systemd reads it, past 1 MiB.
    writeTree(dir, { [`${ETC}/alpha.service.d/big.conf`]: `[Service]\n${'# padding\n'.repeat(210_000)}ExecStartPost=/nonexistent/after\n` });
    if (analyze) {
      const verified = spawnSync(analyze, ['verify', '--man=no', `--root=${dir}`, 'alpha.service'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'notice' },
        encoding: 'utf8',
      });
      expect(verified.stderr).toContain('Command /nonexistent/after is not executable');
    }
    const line =
      `alpha.service: cannot read part of the unit: /${ETC}/alpha.service.d/big.conf: cannot read: it is larger than 1 MiB, the most read here of a unit file or drop-in, ` +
      'though systemd reads one of any size; make it smaller (what it sets is not known until then)';
    const run = await check();
    expect([run.code, run.stdout, run.stderr]).toEqual([
      1,
      `${line}\n`,
      `1 problem: the files match the registry, but the units systemd would load under ${dir} may not claim their ports: a file they load or a wrapper they run claim-port through cannot be read, so it cannot be told\n`,
    ]);
    const written = await ports(['--registry', join(dir, REGISTRY_AT), 'systemd', '--root', dir]);
    expect(written.stderr).toContain(
      `warning: ${line}\n1 problem: the files are written as the registry asks, but the units systemd would load under ${dir} may not claim their ports: a file they load or a wrapper they run claim-port through cannot be read, so it cannot be told (said above); \`${regenerate} --check\` fails until it is fixed\n`,
    );
  });

  it('a claim line in a drop-in over 1 MiB is seen by no reader: the stray claims read no further than the unit reader, whose "cannot be told" stands alone', async () => {
    const { dir, check } = await root();
    // 2 MiB of comments, then beta's claim line in alpha's drop-in: a second claim, had it been read.
    writeTree(dir, { [`${ETC}/alpha.service.d/big.conf`]: `[Service]\n${'# padding\n'.repeat(210_000)}${claimLine(20082)}\n` });
    const run = await check();
    expect([run.code, run.stdout]).toEqual([
      1,
      `alpha.service: cannot read part of the unit: /${ETC}/alpha.service.d/big.conf: cannot read: it is larger than 1 MiB, the most read here of a unit file or drop-in, ` +
        'though systemd reads one of any size; make it smaller (what it sets is not known until then)\n',
    ]);
  });
});
