// `ports systemd --check` on a wired unit that is masked: says where the mask is and what removes it, in the words
// of the health check (maskedUnitText, @dsa110/ports/systemd): `systemctl --root=ROOT [--runtime] unmask NAME` for a
// mask in /etc/systemd/system or /run/systemd/system, else remove the file. Real staged roots in temp dirs.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskedUnitText } from '@dsa110/ports/systemd';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const UNITS = ['redis-server.service', 'prometheus.service', 'grafana-simple.service', 'dsa110-api.service'];
/** The two services that claim in their own unit files (claim: unit) get their lines, so that --check reaches the effective units. */
const CLAIMED_IN_UNIT: Readonly<Record<string, number>> = { 'grafana-simple.service': 3030, 'dsa110-api.service': 8000 };
const unitFile = (unit: string, claimPort: string) => {
  const port = CLAIMED_IN_UNIT[unit];
  return `[Unit]\nDescription=${unit} (test)\n\n[Service]\n${port === undefined ? '' : `ExecStartPre=+${claimPort} ${port}\n`}ExecStart=/bin/true\n`;
};

/** A root with the wired units in usr/lib/systemd/system, a real claim-port, `ports systemd --root` run over it, and `files` added. */
async function maskedRoot(files: Parameters<typeof writeTree>[1]) {
  const root = tempDir('dsa110-ports-masked-');
  const claimPort = join(root, 'usr/local/bin/claim-port');
  writeTree(root, {
    'usr/local/bin/claim-port': '#!/bin/sh\nexit 0\n',
    ...Object.fromEntries(UNITS.map((unit) => [`usr/lib/systemd/system/${unit}`, unitFile(unit, claimPort)])),
  });
  chmodSync(claimPort, 0o755);
  expect((await ports(['systemd', '--root', root, '--claim-port', claimPort])).code).toBe(0);
  // Before the mask: the tree passes, so the mask is the only problem after it.
  expect((await ports(['systemd', '--root', root, '--claim-port', claimPort, '--check'])).code).toBe(0);
  writeTree(root, files);
  const run = await ports(['systemd', '--root', root, '--claim-port', claimPort, '--check']);
  return { root, run, redis: run.stdout.split('\n').filter(Boolean) };
}

describe('ports systemd --check: a masked unit says what to do', () => {
  it('a mask in /etc/systemd/system: systemctl --root=ROOT unmask NAME', async () => {
    const { root, run, redis } = await maskedRoot({ 'etc/systemd/system/redis-server.service': { symlink: '/dev/null' } });
    expect(run.code).toBe(1);
    const file = `${root}/etc/systemd/system/redis-server.service`;
    expect(redis).toEqual([
      `redis-server.service: masked: ${file} is empty or links to /dev/null, so systemd will not start it; unmask it: systemctl --root=${root} unmask redis-server.service (which removes ${file})`,
    ]);
  });

  it('a mask in /run/systemd/system: systemctl --root=ROOT --runtime unmask NAME', async () => {
    const { root, run, redis } = await maskedRoot({ 'run/systemd/system/redis-server.service': '' });
    expect(run.code).toBe(1);
    const file = `${root}/run/systemd/system/redis-server.service`;
    expect(redis).toEqual([
      `redis-server.service: masked: ${file} is empty or links to /dev/null, so systemd will not start it; unmask it: systemctl --root=${root} --runtime unmask redis-server.service (which removes ${file})`,
    ]);
  });

  it("a package's unit file that is empty: remove it (systemctl unmask does not)", async () => {
    const { root, run, redis } = await maskedRoot({ 'usr/lib/systemd/system/redis-server.service': '' });
    expect(run.code).toBe(1);
    const file = `${root}/usr/lib/systemd/system/redis-server.service`;
    expect(redis).toEqual([
      `redis-server.service: masked: ${file} is empty or links to /dev/null, so systemd will not start it; remove ${file} (systemctl unmask removes masks in /etc/systemd/system and /run/systemd/system only)`,
    ]);
  });

  it('a root path with a space or a control character: the command is quoted for the shell, the path escaped', async () => {
    const root = '/srv/my root\u001b';
    expect(maskedUnitText(root, '/etc/systemd/system/a.service', 'a.service')).toBe(
      `/srv/my root\\e/etc/systemd/system/a.service is empty or links to /dev/null, so systemd will not start it; unmask it: systemctl $'--root=/srv/my root\\e' unmask a.service (which removes /srv/my root\\e/etc/systemd/system/a.service)`,
    );
    expect(maskedUnitText('/', '/usr/lib/systemd/system/a.service', 'a.service')).toBe(
      '/usr/lib/systemd/system/a.service is empty or links to /dev/null, so systemd will not start it; remove /usr/lib/systemd/system/a.service, then run systemctl daemon-reload (systemctl unmask removes masks in /etc/systemd/system and /run/systemd/system only)',
    );
    expect(maskedUnitText('/', undefined, 'a.service')).toBe(
      'its unit file is empty or links to /dev/null, so systemd will not start it; unmask it: systemctl unmask a.service',
    );
    expect(() => maskedUnitText('/', 42 as unknown as string, 'a.service')).toThrow(TypeError);
  });
});
