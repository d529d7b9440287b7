// RootDirectory= and a claim line: systemd chroots ExecStartPre= there, `+`
// too, unless RootDirectoryStartOnly=yes; so claim-port and its registry are
// the ones inside that directory. RootImage= cannot be looked into: said, never
// ok. Real unit files in a temp root, read by checkPorts().
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPorts, type CheckResult } from '../../src/index.js';
import { EXECUTABLE, registryText, tempDir, writeTree, type TreeEntry } from '../helpers.js';

const CLAIM = '/usr/local/bin/claim-port';
const API = 'etc/systemd/system/dsa110-api.service';
const REGISTRY = '/etc/dsa110/ports.yaml';
const TEXT = registryText([{ id: 'api', port: 8000, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] }]);
const unit = (...lines: string[]) => `[Unit]\nDescription=test\n\n[Service]\n${lines.join('\n')}\nExecStart=/usr/bin/python3 -m api\n`;

function rootWith(files: Record<string, TreeEntry>): string {
  return writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, [REGISTRY.slice(1)]: TEXT, ...files });
}

async function results(root: string, registry = join(root, REGISTRY)): Promise<CheckResult[]> {
  const report = await checkPorts({ registry, env: {}, root, services: ['api'], firewall: false });
  return report.results.filter((result) => result.check === 'systemd' || (result.check === 'dependencies' && result.service === 'api'));
}

const said = (found: readonly CheckResult[]) => found.map((result) => `${result.check} ${result.severity}: ${result.reason}`);

describe('a claim line of a unit with RootDirectory=', () => {
  it('runs the claim-port inside that directory and reads its registry there, `+` or not; RootDirectoryStartOnly=yes or an empty RootDirectory= puts it back on the root', async () => {
    const line = `ExecStartPre=+${CLAIM} api --registry ${REGISTRY}`;
    // The host's claim-port and registry are right; the chroot has neither.
    const root = rootWith({ [API]: unit('RootDirectory=/srv/root', line) });
    let found = said(await results(root));
    expect(found).toContainEqual(
      expect.stringMatching(
        /^dependencies error: claim-port \/usr\/local\/bin\/claim-port \(called by api in \/etc\/systemd\/system\/dsa110-api.service:6\) does not exist under .*\/srv\/root \(RootDirectory=\/srv\/root in \/etc\/systemd\/system\/dsa110-api.service:5 chroots it, `\+` too\); install claim-port there/,
      ),
    );
    expect(found).toContainEqual(
      expect.stringContaining(
        `systemd error: api (8000): ${line} in /${API}:6 reads --registry ${REGISTRY} inside RootDirectory=/srv/root (/${API}:5), so /srv/root${REGISTRY}, not ${REGISTRY}, the registry checked here`,
      ),
    );
    // The same files inside the chroot, and the registry checked is that one: ok.
    writeTree(root, { 'srv/root/usr/local/bin/claim-port': EXECUTABLE, [`srv/root${REGISTRY}`]: TEXT });
    found = said(await results(root, join(root, 'srv/root', REGISTRY)));
    // `+` gets no /proc from systemd in the chroot; whether one is mounted there at boot cannot be told under a root: a warning.
    expect(found.filter((text) => !text.includes(' ok: '))).toEqual([
      `systemd warning: api (8000): ${line} in /${API}:6 runs claim-port inside RootDirectory=/srv/root (/${API}:5) without /proc: its \`+\` turns off the sandboxing that mounts /proc in the root (MountAPIVFS= does not apply to it), and whether /srv/root/proc is a mounted /proc at boot cannot be told here; claim-port cannot see which processes hold the port, so it frees nothing; add RootDirectoryStartOnly=yes to [Service] to run it on the host's root`,
    ]);
    expect(found).toContainEqual(expect.stringContaining('exists under'));
    // RootDirectoryStartOnly=yes (ExecStart= alone chrooted), or RootDirectory= emptied: the root's own again.
    for (const settings of [
      ['RootDirectory=/srv/root', 'RootDirectoryStartOnly=yes'],
      ['RootDirectory=/srv/root', 'RootDirectory='],
    ]) {
      rmSync(join(root, 'srv'), { recursive: true, force: true });
      writeTree(root, { [API]: unit(...settings, line) });
      expect(
        said(await results(root)).filter((text) => !text.includes(' ok: ')),
        settings.join(' '),
      ).toEqual([]);
    }
  });

  it('RootImage=: which claim-port runs and which registry it reads cannot be told: unknown and a warning, never ok', async () => {
    const line = `ExecStartPre=+${CLAIM} api --registry ${REGISTRY}`;
    const found = said(await results(rootWith({ [API]: unit('RootImage=/srv/api.raw', line) })));
    const why = `claim-port runs inside RootImage=/srv/api.raw (/${API}:5), which this check does not open`;
    expect(found).toContainEqual(
      expect.stringContaining(`dependencies unknown: claim-port ${CLAIM} (called by api in /${API}:6): ${why}; add RootDirectoryStartOnly=yes`),
    );
    expect(found).toContainEqual(
      expect.stringContaining(`systemd warning: api (8000): ${line} in /${API}:6: cannot tell which claim-port runs nor which registry it reads: ${why}`),
    );
    expect(found.some((text) => text.startsWith('dependencies ok'))).toBe(false);
  });
});
