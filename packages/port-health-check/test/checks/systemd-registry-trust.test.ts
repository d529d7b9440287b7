// The systemd check and who may change the registry root's claim-port reads
// (each claim line's --registry, else the unit's $DSA110_PORTS_FILE) and, when
// the check runs as root, the one it read itself: an error naming the part,
// its owner or mode, and the fix (registryWritablePart of @dsa110/ports/systemd).
// Real unit files and registries in a temp root, chowned to uid 65534.
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPorts, type CheckResult } from '../../src/index.js';
import { EXECUTABLE, registryText, tempDir, writeTree } from '../helpers.js';

const asRoot = process.geteuid?.() === 0;
const NOBODY = 65534;
const CLAIM = '/usr/local/bin/claim-port';
const API = 'etc/systemd/system/dsa110-api.service';
const REGISTRY = '/etc/dsa110/ports.yaml';
const TEXT = registryText([{ id: 'api', port: 8000, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] }]);
const unit = (...lines: string[]) => `[Unit]\nDescription=test\n\n[Service]\n${lines.join('\n')}\nExecStart=/usr/bin/python3 -m api\n`;
const FIX_FILE = (path: string) => `make it root's and writable only by root (chown root:root ${path}; chmod go-w ${path})`;

function rootWith(unitText: string): string {
  return writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, [REGISTRY.slice(1)]: TEXT, [API]: unitText });
}

async function systemdResults(root: string, registry = join(root, REGISTRY)): Promise<CheckResult[]> {
  const report = await checkPorts({ registry, env: {}, root, services: ['api'], firewall: false });
  return report.results.filter((result) => result.check === 'systemd');
}

describe.skipIf(!asRoot)('the systemd check: a registry someone besides root may change', () => {
  it("the claim line's --registry owned by uid 65534: an error at the line, naming owner, mode and fix; root's: none", async () => {
    const root = rootWith(unit(`ExecStartPre=+${CLAIM} 8000 --registry ${REGISTRY}`));
    expect((await systemdResults(root)).map((result) => result.severity)).toEqual(['ok']);
    chownSync(join(root, REGISTRY), NOBODY, NOBODY);
    const results = await systemdResults(root);
    expect(results.map((result) => result.severity)).toEqual(['ok', 'error']);
    expect(results[1]).toEqual({
      check: 'systemd',
      severity: 'error',
      service: 'api',
      port: 8000,
      file: `/${API}:5`,
      reason: `api (8000): the claim line in /${API}:5 reads a registry root may not trust (under ${root}): the registry ${REGISTRY} is owned by uid ${NOBODY}, not by root (mode 0644): root's claim-port reads it (ExecStartPre=+), so whoever may change it decides which processes root signals (claim.protect) and which port a service id frees; ${FIX_FILE(REGISTRY)}`,
    });
  });

  it("$DSA110_PORTS_FILE from the unit's Environment=, its directory writable by every user: the directory is named", async () => {
    const root = rootWith(unit(`Environment=DSA110_PORTS_FILE=${REGISTRY}`, `ExecStartPre=+${CLAIM} 8000`));
    chmodSync(join(root, 'etc/dsa110'), 0o777);
    const trust = (await systemdResults(root)).filter((result) => result.reason.includes('root may not trust'));
    expect(trust).toHaveLength(1);
    expect(trust[0]!.reason).toContain(`/etc/dsa110 (on the way to the registry ${REGISTRY}) is writable by every user (mode 0777)`);
    expect(trust[0]!.reason).toContain('(chown root:root /etc/dsa110; chmod go-w /etc/dsa110)');
  });

  it('a --registry in a sticky directory every user may write (/tmp): the registry moves; /tmp is never told to chmod go-w', async () => {
    const root = rootWith(unit(`ExecStartPre=+${CLAIM} 8000 --registry /tmp/ports.yaml`));
    mkdirSync(join(root, 'tmp'));
    chmodSync(join(root, 'tmp'), 0o1777);
    writeFileSync(join(root, 'tmp/ports.yaml'), TEXT, { mode: 0o644 });
    const trust = (await systemdResults(root)).filter((result) => result.reason.includes('root may not trust'));
    expect(trust).toHaveLength(1);
    expect(trust[0]!.reason).toMatch(
      /: \/tmp \(on the way to the registry \/tmp\/ports\.yaml\) is writable by every user \(mode 1777\): .*; keep the registry in a directory only root may change \(\/etc\/dsa110\/ports\.yaml\), and leave \/tmp as it is \(every user shares it, sticky, on purpose: chmod go-w would break their files\)$/,
    );
    expect(trust[0]!.reason).not.toContain('chmod go-w /tmp');
  });

  it('as root, the registry the check itself reads, writable by every user: one error of its own, with no service', async () => {
    const root = rootWith(unit(`ExecStartPre=+${CLAIM} 8000 --registry ${REGISTRY}`));
    const home = join(tempDir(), 'home');
    mkdirSync(home, { mode: 0o755 });
    const own = join(home, 'ports.yaml');
    writeFileSync(own, TEXT, { mode: 0o666 });
    chmodSync(own, 0o666);
    const results = (await systemdResults(root, own)).filter((result) => result.service === undefined);
    expect(results).toEqual([
      {
        check: 'systemd',
        severity: 'error',
        file: own,
        reason: `the registry this check reads as root: the registry ${own} is writable by every user (mode 0666): root's claim-port reads it (ExecStartPre=+), so whoever may change it decides which processes root signals (claim.protect) and which port a service id frees; ${FIX_FILE(own)}`,
      },
    ]);
  });
});
