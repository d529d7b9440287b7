// `ports systemd --check` and the health check on one tree where the registry names an alias (db.service, a link to
// the package's svc.service) and the package ships svc.service.d/claim-port.conf claiming another port. systemd 252
// reads the unit's own name's drop-in directories first and applies one drop-in of each file name, so the package's
// file is read and the registry's db.service.d/claim-port.conf never is (the --check test of the ports package shows
// it with systemd-analyze): writing the registry's again mends nothing. Both tools give the one fix that does
// (the core's inPlaceFix). Real files in a temp root; `ports` through its in-process main, the health check through
// checkPorts().
import { reloadStep } from '@dsa110/ports/systemd';
import { describe, expect, it } from 'vitest';
import { bothTools, CLAIM, UNIT, wiredRoot } from './agreement.js';
import { writeTree } from './helpers.js';

const ETC = 'etc/systemd/system';
const PACKAGED = `${UNIT}.d/claim-port.conf`;

describe("`ports systemd --check` and the health check agree on a claim-port.conf that is not the registry's but is read in its place", () => {
  it("the health check's wrong-port error gives --check's fix (name the unit's own name in the registry), not a write of the registry's drop-in", async () => {
    const { root, registry } = await wiredRoot(
      'dsa110-same-name-agree-',
      [],
      { robust: true, unit: 'db.service', claim: 'drop-in' },
      {
        [`${ETC}/db.service`]: { symlink: `/${UNIT}` },
      },
    );
    writeTree(root, { [PACKAGED]: `[Service]\nExecStartPre=+${CLAIM} 8999\n` });
    const { check, health } = await bothTools(root, registry);
    const fix =
      `name the unit svc.service in the registry (\`systemd.unit: svc.service\`, db.service being an alias of it), then run \`ports --registry ${registry} systemd --root ${root}\`: ` +
      `it writes the claim to ${root}/${ETC}/svc.service.d/claim-port.conf, which systemd reads in place of this file (a mask there, a link to /dev/null, would hide the registry's claim too), ` +
      `and remove ${root}/${ETC}/db.service.d/claim-port.conf, which is then no unit's claim`;
    const reason = `(systemd applies one drop-in of each file name, the first it finds, and it reads the drop-in directories of svc.service, the unit db.service is an alias of, before those of db.service)`;
    expect(check.code).toBe(1);
    expect(check.stdout.split('\n').filter((line) => line.includes(': unexpected: '))).toEqual([
      `${root}/${PACKAGED}:2: unexpected: ExecStartPre=+${CLAIM} 8999: systemd reads this file in place of db.service.d/claim-port.conf, where the registry wires db.service's claim ${reason}, ` +
        `so the registry's claim never runs: svc's port 8000 is never claimed, and this line frees port 8999 instead; ${fix}`,
    ]);
    const wrongPort = health.filter((result) => result.reason.includes('claims port 8999'));
    expect(wrongPort.map((result) => [result.severity, result.reason, result.file])).toEqual([
      [
        'error',
        `svc (8000): ExecStartPre=+${CLAIM} 8999 in /${PACKAGED}:2 claims port 8999, but svc uses port 8000; it would free the wrong port; ` +
          `this is not the registry's claim drop-in: systemd reads this file in place of ${root}/${ETC}/db.service.d/claim-port.conf, where the registry wires db.service's claim ${reason}; ${fix}`,
        `/${PACKAGED}:2`,
      ],
    ]);
  });
});

describe("a claim-port.conf read in place of the registry's, under --root", () => {
  it("the health check's fix ends as reloadStep says, not with the host's daemon-reload (a transient one, a system.control one)", async () => {
    for (const dir of ['run/systemd/transient', 'etc/systemd/system.control']) {
      const { root, registry } = await wiredRoot('dsa110-same-name-root-', [], { robust: true, unit: 'svc.service', claim: 'drop-in' });
      writeTree(root, { [`${dir}/svc.service.d/claim-port.conf`]: `[Service]\nExecStartPre=+${CLAIM} 8999\n` });
      const { health } = await bothTools(root, registry);
      const wrongPort = health.filter((result) => result.reason.includes('claims port 8999'));
      expect(
        wrongPort.map((result) => result.severity),
        dir,
      ).toEqual(['error']);
      expect(wrongPort[0]!.reason, dir).toContain(
        `remove this file, not only the line (systemd reads even an emptied file of its name in place of the registry's)${reloadStep(root)}; it is under /${dir}, where`,
      );
      expect(wrongPort[0]!.reason, dir).not.toContain('daemon-reload');
    }
  });
});
