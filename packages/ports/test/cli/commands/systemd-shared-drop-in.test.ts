// `ports systemd` where two units' drop-in directories are links to one
// directory, in-process on real trees: one claim-port.conf cannot hold two
// claims, so nothing is written and --check says what to fix, not a diff.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const UNITS = 'etc/systemd/system';

describe('ports systemd: drop-in directories that are one directory through links', () => {
  it('--root: two absolute links to /srv/shared (inside the root): exit 1, one line naming both units and the file, nothing written; --check says the same', async () => {
    const root = writeTree(tempDir(), {
      'srv/shared': { dir: true },
      [`${UNITS}/redis-server.service.d`]: { symlink: '/srv/shared' },
      [`${UNITS}/prometheus.service.d`]: { symlink: '/srv/shared' },
    });
    const shared = join(root, 'srv/shared/claim-port.conf');
    const line = `redis-server.service and prometheus.service would each write their own claim to ${shared} (their drop-in directories are one directory, through links), so systemd would run one claim for all of them; give each unit a drop-in directory of its own (replace the links with directories)`;
    const run = await ports(['systemd', '--root', root]);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `ports systemd: ${line}; nothing was written\n` });
    expect(readdirSync(join(root, 'srv/shared'))).toEqual([]);
    expect(readdirSync(join(root, UNITS)).sort()).toEqual(['prometheus.service.d', 'redis-server.service.d']);

    const check = await ports(['systemd', '--root', root, '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout.split('\n')[0]).toBe(`${shared}: ${line}`);
    // No diff and no `run ports systemd` for the shared file: running it cannot fix this.
    expect(check.stdout).not.toContain('claim-port.conf: missing');
    expect(check.stdout).not.toContain('(from the registry)');
  });

  it('--out: relative links to one directory are refused the same way; a unit with a directory of its own is written and checked', async () => {
    const out = writeTree(tempDir(), {
      shared: { dir: true },
      'redis-server.service.d': { symlink: 'shared' },
      'prometheus.service.d': { symlink: './shared/' },
    });
    const run = await ports(['systemd', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^ports systemd: redis-server\.service and prometheus\.service would each write their own claim to .*\/shared\/claim-port\.conf /,
    );
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(existsSync(join(out, 'dsa110-port-health.service'))).toBe(false);

    // Each its own directory: written, and --check is content.
    const fixed = writeTree(tempDir(), { 'redis-server.service.d': { symlink: 'own' }, own: { dir: true } });
    expect((await ports(['systemd', '--out', fixed])).code).toBe(0);
    expect(existsSync(join(fixed, 'own/claim-port.conf'))).toBe(true);
    // (The unit-file claims' units are not installed here: only the drop-ins are judged.)
    expect((await ports(['systemd', '--out', fixed, '--check'])).stdout).not.toContain('claim-port.conf');
  });
});
