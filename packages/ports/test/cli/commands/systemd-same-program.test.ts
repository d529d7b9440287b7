// `ports systemd` with a --claim-port and a --port-health-check that are one program: refused (exit 64) before
// anything is written, however the two are spelt (the same path, `//`, a claim-port's name, a link or a hard link to
// the same file), since dsa110-port-health.service would run claim-port, and --check would refuse the units written.
// Two programs side by side, or the defaults, are not refused. Real files in temp dirs.
import { chmodSync, existsSync, linkSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const EXE = '#!/bin/sh\nexit 0\n';
const FIX =
  'give --claim-port the claim-port executable and --port-health-check the port-health-check one (default: /usr/local/bin/port-health-check), two different programs';
const WHY =
  'dsa110-port-health.service runs the health check with --claim-port, and a claim-port there would be read as a claim line (`ports systemd --check` would refuse the units written)';
const HINT = 'Run "ports systemd --help" for usage.\n';

/** `ports systemd --out DIR ARGS`, with and without --check: both refused the same way, and nothing written. */
async function refused(args: readonly string[], message: string, out = join(tempDir('dsa110-ports-same-'), 'units')) {
  for (const check of [[], ['--check']]) {
    const run = await ports(['systemd', '--out', out, ...args, ...check]);
    expect([run.code, run.stdout, run.stderr]).toEqual([64, '', `ports systemd: ${message}\n${HINT}`]);
  }
  expect(existsSync(out)).toBe(false);
}

describe('ports systemd: --claim-port and --port-health-check must be two programs', () => {
  it('the same path is refused (exit 64), nothing written, with and without --check', async () => {
    await refused(
      ['--claim-port', '/usr/bin/env', '--port-health-check', '/usr/bin/env'],
      `--claim-port "/usr/bin/env" and --port-health-check "/usr/bin/env" name the same program, but ${WHY}; ${FIX}`,
    );
  });

  it('the same path spelt another way (//, /./) is refused', async () => {
    await refused(
      ['--claim-port', '/usr/bin//env', '--port-health-check', '/usr/./bin/env'],
      `--claim-port "/usr/bin//env" and --port-health-check "/usr/./bin/env" name the same program, but ${WHY}; ${FIX}`,
    );
  });

  it("a --claim-port that is the default --port-health-check's path is refused, the default named as such", async () => {
    await refused(
      ['--claim-port', '/usr/local/bin/port-health-check'],
      `--claim-port "/usr/local/bin/port-health-check" and --port-health-check "/usr/local/bin/port-health-check" (the default) name the same program, but ${WHY}; ${FIX}`,
    );
  });

  it('a --port-health-check named as claim-port is (read as a claim line wherever it is) is refused', async () => {
    await refused(
      ['--claim-port', '/usr/bin/env', '--port-health-check', '/opt/tools/claim-port'],
      '--port-health-check "/opt/tools/claim-port" is named as claim-port is (claim-port), so dsa110-port-health.service\'s ExecStart= would be read as a claim-port line; give the port-health-check executable, under its own name (default: /usr/local/bin/port-health-check)',
    );
  });

  it('a link or a hard link to the claim-port file is the same program: refused, naming the file', async () => {
    const dir = tempDir('dsa110-ports-same-file-');
    writeTree(dir, { 'bin/claim-port': EXE, 'bin/health': { symlink: 'claim-port' } });
    chmodSync(join(dir, 'bin/claim-port'), 0o755);
    linkSync(join(dir, 'bin/claim-port'), join(dir, 'bin/hard'));
    for (const health of ['bin/health', 'bin/hard']) {
      await refused(
        ['--claim-port', join(dir, 'bin/claim-port'), '--port-health-check', join(dir, health)],
        `--claim-port "${dir}/bin/claim-port" and --port-health-check "${dir}/${health}" are one file (${dir}/bin/claim-port, reached by links or hard links), but ${WHY}; ${FIX}`,
      );
    }
  });

  it('--root: the two are compared inside the root, an absolute link resolved there', async () => {
    const root = tempDir('dsa110-ports-same-root-');
    writeTree(root, {
      'etc/systemd/system/.keep': '',
      'usr/local/bin/claim-port': EXE,
      'usr/local/bin/port-health-check': { symlink: '/usr/local/bin/claim-port' },
    });
    chmodSync(join(root, 'usr/local/bin/claim-port'), 0o755);
    const args = ['systemd', '--root', root, '--claim-port', '/usr/local/bin/claim-port', '--port-health-check', '/usr/local/bin/port-health-check'];
    const run = await ports(args);
    expect([run.code, run.stdout, run.stderr]).toEqual([
      64,
      '',
      `ports systemd: --claim-port "/usr/local/bin/claim-port" and --port-health-check "/usr/local/bin/port-health-check" are one file under ${root} (${root}/usr/local/bin/claim-port, reached by links or hard links), but ${WHY}; ${FIX}\n${HINT}`,
    ]);
    expect(readdirSync(join(root, 'etc/systemd/system'))).toEqual(['.keep']);
  });

  it('two programs, side by side or under the defaults, are not refused, and the check passes what was written', async () => {
    const dir = tempDir('dsa110-ports-two-');
    writeTree(dir, { 'bin/claim-port': EXE, 'bin/port-health-check': EXE });
    for (const exe of ['bin/claim-port', 'bin/port-health-check']) chmodSync(join(dir, exe), 0o755);
    const out = join(dir, 'units');
    const args = ['systemd', '--out', out, '--claim-port', join(dir, 'bin/claim-port'), '--port-health-check', join(dir, 'bin/port-health-check')];
    expect((await ports(args)).code).toBe(0);
    const check = await ports([...args, '--check']);
    // The unit-file claims (this command never writes those) are the only problems: none about the health check's unit.
    expect(check.stdout).not.toContain('dsa110-port-health.service');
    const defaults = join(dir, 'defaults');
    expect((await ports(['systemd', '--out', defaults])).code).toBe(0);
    expect((await ports(['systemd', '--out', defaults, '--check'])).stdout).not.toContain('dsa110-port-health.service');
  });
});
