// `ports systemd --check` and RootDirectory=: systemd chroots a unit's
// ExecStartPre= there, `+` too, unless RootDirectoryStartOnly=yes, so the
// claim-port that runs and the registry it reads are the ones inside that
// directory. RootImage= cannot be looked into: a warning, never passed.
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

/** A registry of two robust services on `port` and `port + 1`: mydb claims in a drop-in, myapi in its unit file. */
function registryText(port: number): string {
  const service = (id: string, at: number, claim: string) =>
    `  - id: ${id}\n    name: ${id}\n    group: production\n    port: ${at}\n    protocol: TCP\n    access: localhost\n` +
    `    configuredBy: hardcoded\n    robust: true\n    systemd: { unit: ${id}.service, claim: ${claim} }\n    processes: [${id}-primary]\n`;
  return `version: 1\nclaim:\n  timeoutSeconds: 2\nservices:\n${service('mydb', port, 'drop-in')}${service('myapi', port + 1, 'unit')}`;
}

const CLAIM = '/usr/local/bin/claim-port';
const OVERRIDE = 'etc/systemd/system/mydb.service.d/zz-override.conf';

describe('ports systemd --check: a claim line of a unit with RootDirectory=', () => {
  it('runs the claim-port inside that directory and reads its registry there; RootDirectoryStartOnly=yes puts it back on the root; RootImage= is a warning', async () => {
    const root = tempDir();
    const registry = join(root, 'etc/dsa110/ports.yaml');
    writeTree(root, {
      'etc/dsa110/ports.yaml': registryText(41700),
      'usr/local/bin/claim-port': '#!/bin/sh\n',
      'etc/systemd/system/mydb.service': '[Service]\nExecStart=/bin/true\n',
      'etc/systemd/system/myapi.service': `[Service]\nExecStartPre=+${CLAIM} 41701 --registry /etc/dsa110/ports.yaml\nExecStart=/bin/true\n`,
    });
    chmodSync(join(root, 'usr/local/bin/claim-port'), 0o755);
    expect((await ports(['--registry', registry, 'systemd', '--root', root])).code).toBe(0);
    const check = () => ports(['--registry', registry, 'systemd', '--root', root, '--check']);
    expect(await check()).toMatchObject({ code: 0, stderr: '' });
    // The claim drop-in as written, in a unit chrooted in /srv/root: its claim-port and registry are /srv/root's, which lacks both.
    writeTree(root, { [OVERRIDE]: '[Service]\nRootDirectory=/srv/root\n' });
    let run = await check();
    expect(run.code).toBe(1);
    const line = `ExecStartPre=+${CLAIM} 41700 --registry /etc/dsa110/ports.yaml in /etc/systemd/system/mydb.service.d/claim-port.conf:3`;
    expect(run.stdout).toContain(
      `${line} reads --registry /etc/dsa110/ports.yaml inside RootDirectory=/srv/root (/${OVERRIDE}:2), so /srv/root/etc/dsa110/ports.yaml, not /etc/dsa110/ports.yaml, the registry checked here: its protected processes and claim timeout would not apply; add RootDirectoryStartOnly=yes to [Service] to run it on the host's root`,
    );
    expect(run.stdout).toContain(
      `${line} runs claim-port inside RootDirectory=/srv/root (/${OVERRIDE}:2), which \`+\` does not lift, and ${join(root, 'srv/root', CLAIM)} does not exist: systemd fails to start the unit; install claim-port there (`,
    );
    // RootDirectoryStartOnly=yes: ExecStart= alone is chrooted, the claim runs on the root. An empty RootDirectory= resets it.
    for (const settings of ['RootDirectory=/srv/root\nRootDirectoryStartOnly=yes', 'RootDirectory=/srv/root\nRootDirectory=']) {
      writeTree(root, { [OVERRIDE]: `[Service]\n${settings}\n` });
      expect(await check(), settings).toMatchObject({ code: 0, stderr: '' });
    }
    // RootImage=: not looked into; a warning that says so and what to add, never an error and never silence.
    writeTree(root, { [OVERRIDE]: '[Service]\nRootImage=/srv/mydb.raw\n' });
    run = await check();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `warning: mydb.service: ${line}: cannot tell which claim-port runs nor which registry it reads: claim-port runs inside RootImage=/srv/mydb.raw (/${OVERRIDE}:2), which this check does not open; add RootDirectoryStartOnly=yes to [Service] to run it on the host's root`,
    );
    rmSync(join(root, OVERRIDE));
  });
});
