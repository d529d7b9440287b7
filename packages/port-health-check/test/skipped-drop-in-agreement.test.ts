// `ports systemd --check` and the health check on one tree whose unit has a
// drop-in systemd cannot open, whoever runs it: a link to nothing, a loop of
// links. systemd 252 skips such a drop-in without a word (unit_load_dropin()
// gives config_parse() no flags), loads the unit, applies the drop-ins after
// it, and reads no drop-in of its name lower down (the link is the one it
// picked). Both tools say so in one line, the core's skippedDropInProblem, as
// a warning; the claim is judged from what systemd does read. Real files in a
// temp root; `ports` through its in-process main, the health check through
// checkPorts().
import { describe, expect, it } from 'vitest';
import { bothTools, CLAIM, CLAIM_REGISTRY, checkVerdict, healthVerdict, wiredRoot } from './agreement.js';
import { writeTree } from './helpers.js';

const ETC = 'etc/systemd/system/svc.service.d';
const RUN = 'run/systemd/system/svc.service.d';
const LIB = 'usr/lib/systemd/system/svc.service.d';

/** The one line both tools print for a skipped drop-in at `path` (under `root`), lower drop-in `hides` if any. */
const skipped = (root: string, path: string, reason: string, hides?: string) =>
  `svc.service: its drop-in ${root}/${path} cannot be opened: ${reason}; systemd skips it without a word and loads svc.service without its settings` +
  `${hides === undefined ? '' : ` (nor ${root}/${hides}, the drop-in of its name lower in the search path, which it hides)`}; fix the link or remove it`;

describe('`ports systemd --check` and the health check agree on a drop-in systemd skips (a link to nothing, a loop of links)', () => {
  it('a warning in both, one line naming the file, where it leads and what to do; the claim beside it is judged as systemd runs it', async () => {
    const { root, registry } = await wiredRoot('dsa110-skipped-agree-', [], { robust: true, unit: 'svc.service', claim: 'drop-in' });
    writeTree(root, {
      [`${RUN}/zz-gone.conf`]: { symlink: '../../../../opt/gone.conf' },
      // Lower in the search path than /run: hidden by the link, never read (it would clear the claim).
      [`${LIB}/zz-gone.conf`]: '[Service]\nExecStartPre=\n',
      'opt/a': { symlink: 'b' },
      'opt/b': { symlink: 'a' },
      [`${RUN}/20-loop.conf`]: { symlink: '../../../../opt/a' },
    });
    const { check, health } = await bothTools(root, registry);
    expect({ ports: checkVerdict(check, () => false), health: healthVerdict(health) }).toEqual({ ports: 'warning', health: 'warning' });
    // In the order systemd reads the drop-ins: by file name.
    const lines = [
      skipped(root, `${RUN}/20-loop.conf`, 'a loop of symbolic links'),
      skipped(root, `${RUN}/zz-gone.conf`, `it leads to /opt/gone.conf, which does not exist under ${root}`, `${LIB}/zz-gone.conf`),
    ];
    expect(check.stdout.split('\n').filter((line) => line.startsWith('warning: '))).toEqual(lines.map((line) => `warning: ${line}`));
    expect(health.filter((result) => result.severity === 'warning').map((result) => [result.reason, result.file])).toEqual([
      [`svc (8000): ${lines[0]}`, `/${RUN}/20-loop.conf`],
      [`svc (8000): ${lines[1]}`, `/${RUN}/zz-gone.conf`],
    ]);
    expect(health.filter((result) => result.severity === 'ok').map((result) => result.reason)).toContainEqual(expect.stringContaining('claims port 8000'));
  });

  it('a claim line in a drop-in that is now a loop of links claims nothing: the error in both, never "cannot tell"', async () => {
    const { root, registry } = await wiredRoot('dsa110-skipped-agree-', [], { robust: true, unit: 'svc.service', claim: 'unit' });
    writeTree(root, {
      'opt/claim.conf': `[Service]\nExecStartPre=+${CLAIM} 8000 ${CLAIM_REGISTRY}\n`,
      'opt/a': { symlink: 'b' },
      'opt/b': { symlink: 'a' },
      [`${ETC}/claim.conf`]: { symlink: '../../../../opt/a' },
    });
    const { check, health } = await bothTools(root, registry);
    expect({ ports: checkVerdict(check, (line) => line.includes('cannot tell')), health: healthVerdict(health) }).toEqual({ ports: 'error', health: 'error' });
    expect(check.stdout).not.toContain('cannot tell');
    expect(health.map((result) => result.severity)).not.toContain('unknown');
    expect(health.map((result) => result.reason)).toContainEqual(`svc (8000): ${skipped(root, `${ETC}/claim.conf`, 'a loop of symbolic links')}`);
  });
});
