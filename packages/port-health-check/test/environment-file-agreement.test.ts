// `ports systemd --check` and the health check on one tree, with a unit whose
// claim port comes from an EnvironmentFile=: both read the files with one
// reader (@dsa110/ports/systemd's readEnvironmentFiles), so they agree on the
// port, on a file that overrides Environment=, on a file neither can read,
// and on a missing one. Real files in a temp root; `ports` through its
// in-process main, the health check through checkPorts().
import { describe, expect, it } from 'vitest';
import { bothTools, CLAIM, CLAIM_REGISTRY, checkVerdict, healthVerdict, UNIT, type Verdict, wiredRoot } from './agreement.js';
import { writeTree, type TreeEntry } from './helpers.js';

const OVERRIDE = 'etc/systemd/system/svc.service.d/port.conf';

/** A wired root with svc.service (`lines`) and `files`, a later drop-in whose claim line is `claim` (it clears the generated one); both tools on it. */
async function bothToolsOn(lines: readonly string[], claim: string, files: Record<string, TreeEntry>) {
  const { root, registry } = await wiredRoot('dsa110-envfile-agree-', lines, { env: 'SVC_PORT', robust: true, unit: 'svc.service', claim: 'drop-in' }, files);
  writeTree(root, { [OVERRIDE]: `[Service]\nExecStartPre=\nExecStartPre=+${CLAIM} ${claim} ${CLAIM_REGISTRY}\n` });
  return bothTools(root, registry);
}

/** "cannot tell" lines: the health check's unknown. */
const untoldLine = (line: string) => line.startsWith('svc.service: cannot tell ');

const BY_VARIABLE = `\${SVC_PORT}`;
const TOO_LARGE = `SVC_PORT=8000\n${'# padding\n'.repeat(110_000)}`;

describe('`ports systemd --check` and the health check agree on EnvironmentFile=', () => {
  it.each<[string, string[], string, Record<string, TreeEntry>, Verdict, string | undefined]>([
    ['the port comes from the file', ['EnvironmentFile=/etc/default/svc'], BY_VARIABLE, { 'etc/default/svc': 'SVC_PORT=8010\n' }, 'ok', undefined],
    [
      'a file overrides Environment= (the claim of its port passes)',
      ['Environment=SVC_PORT=8020', 'EnvironmentFile=/etc/default/svc'],
      '8010',
      { 'etc/default/svc': 'SVC_PORT=8010\n' },
      'ok',
      undefined,
    ],
    [
      'a file overrides Environment= (the claim of the Environment= port fails)',
      ['Environment=SVC_PORT=8020', 'EnvironmentFile=/etc/default/svc'],
      '8020',
      { 'etc/default/svc': 'SVC_PORT=8010\n' },
      'error',
      'claims port 8020, but svc uses port 8010 (SVC_PORT=8010 from /etc/default/svc:1); it would free the wrong port',
    ],
    [
      'a file too large to read may set the port',
      ['Environment=SVC_PORT=8010', 'EnvironmentFile=/etc/default/svc'],
      BY_VARIABLE,
      { 'etc/default/svc': TOO_LARGE },
      'unknown',
      `but the port may not be 8010: /etc/default/svc (EnvironmentFile= at /${UNIT}:3) may set SVC_PORT, and cannot be read: it is larger than 1 MiB`,
    ],
    [
      'a FIFO (never opened) may set the port',
      ['Environment=SVC_PORT=8010', 'EnvironmentFile=-/etc/default/svc'],
      BY_VARIABLE,
      { 'etc/default/svc': { fifo: true } },
      'unknown',
      `but the port may not be 8010: /etc/default/svc (EnvironmentFile= at /${UNIT}:3) may set SVC_PORT, and cannot be read: it is a FIFO (named pipe), not a regular file`,
    ],
    [
      'an unreadable file may set another variable the claim line uses',
      ['Environment=CLAIM_PORT=8000', 'EnvironmentFile=-/etc/default/svc'],
      `\${CLAIM_PORT}`,
      { 'etc/default/svc': { fifo: true } },
      'unknown',
      `/etc/default/svc (EnvironmentFile= at /${UNIT}:3) may set CLAIM_PORT, and cannot be read: it is a FIFO (named pipe), not a regular file`,
    ],
    [
      'a missing file without - (systemd does not start the unit)',
      ['EnvironmentFile=/etc/default/svc', 'EnvironmentFile=/etc/default/svc.local'],
      BY_VARIABLE,
      { 'etc/default/svc': 'SVC_PORT=8010\n' },
      'error',
      `/etc/default/svc.local (EnvironmentFile= at /${UNIT}:3): no such file, so systemd does not start svc.service; create it, or write EnvironmentFile=-/etc/default/svc.local if it may be absent`,
    ],
    [
      'a missing file with - (ignored; the port from the file before it stands)',
      ['EnvironmentFile=/etc/default/svc', 'EnvironmentFile=-/etc/default/svc.local'],
      BY_VARIABLE,
      { 'etc/default/svc': 'SVC_PORT=8010\n' },
      'ok',
      undefined,
    ],
  ])('%s', async (_, lines, claim, files, verdict, reason) => {
    const { check, health } = await bothToolsOn(lines, claim, files);
    expect({ ports: checkVerdict(check, untoldLine), health: healthVerdict(health) }).toEqual({ ports: verdict, health: verdict });
    if (reason !== undefined) {
      expect(check.stdout).toContain(reason);
      expect(health.map((result) => result.reason)).toContainEqual(expect.stringContaining(reason));
    }
    if (verdict === 'ok') expect(health.map((result) => result.reason)).toContainEqual(expect.stringContaining('claims port 8010 (SVC_PORT=8010 from '));
    expect(check.stderr).not.toMatch(/\n\s+at /);
  });
});
