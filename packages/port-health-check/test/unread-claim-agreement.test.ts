// `ports systemd --check` and the health check on one tree, with a part of the
// unit neither can read (a FIFO drop-in, both refuse to open one; a drop-in
// whose name is not UTF-8; a unit file that leads nowhere): both ask the core
// (@dsa110/ports/systemd's unreadMayHoldClaim) whether that part may hold a
// claim line that survives the merge, so they agree: cannot tell (the health
// check's unknown) when it sorts after the last empty ExecStartPre=, the
// error when that line clears it. Real files in a temp root; `ports` through
// its in-process main, the health check through checkPorts().
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bothTools, CLAIM, CLAIM_REGISTRY, checkVerdict, healthVerdict, type Verdict, wiredRoot } from './agreement.js';
import { writeTree, type TreeEntry } from './helpers.js';

/** A drop-in directory read after /etc's (where `ports systemd` writes claim-port.conf): systemd orders drop-ins by name alone. */
const RUN = 'run/systemd/system/svc.service.d';
/** Sorts after claim-port.conf, so its empty ExecStartPre= drops the generated claim. */
const CLEARING = `${RUN}/zz-clear.conf`;

/**
 * A root with svc.service (no claim of its own) in /usr/lib, the wiring
 * `ports systemd --root` writes, the clearing drop-in (with a claim after
 * its empty line when `reclaims`), `files`, and an unreadable drop-in named
 * `unread` (bytes: a FIFO when UTF-8, else a file no string path can open);
 * both tools run on it.
 */
async function bothToolsOn(reclaims: boolean, unread: Buffer | undefined, files: Record<string, TreeEntry> = {}) {
  const { root, registry } = await wiredRoot('dsa110-unread-agree-', [], { robust: true, unit: 'svc.service', claim: 'drop-in' });
  writeTree(root, { [CLEARING]: `[Service]\nExecStartPre=\n${reclaims ? `ExecStartPre=+${CLAIM} 8000 ${CLAIM_REGISTRY}\n` : ''}`, ...files });
  if (unread !== undefined) {
    const path = Buffer.concat([Buffer.from(`${root}/${RUN}/`), unread]);
    if (unread.toString('utf8').includes('\ufffd')) writeFileSync(path, `[Service]\nExecStartPre=+${CLAIM} 8000 ${CLAIM_REGISTRY}\n`);
    else writeTree(root, { [`${RUN}/${unread.toString('utf8')}`]: { fifo: true } });
  }
  return bothTools(root, registry);
}

/** "cannot read part"/"cannot tell" lines: the health check's unknown. */
const untoldLine = (line: string) => line.startsWith('svc.service: cannot tell ') || line.startsWith('svc.service: cannot read part of the unit: ');

const name = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => Buffer.from(typeof part === 'string' ? part : part)));
const CLEARS = 'the empty ExecStartPre= in /run/systemd/system/svc.service.d/zz-clear.conf:2 clears every earlier ExecStartPre=';
const untold = (path: string) =>
  `svc.service: cannot tell whether it claims port 8000: its drop-in ${path} cannot be read, and nothing that could be read claims it`;

describe('`ports systemd --check` and the health check agree on a part of the unit neither can read', () => {
  it.each<[string, boolean, Buffer, Verdict, string | undefined]>([
    ['a FIFO after the clearing drop-in, no claim elsewhere: it may hold one', false, name('zzz.conf'), 'unknown', untold(`/${RUN}/zzz.conf`)],
    ['a FIFO before the clearing drop-in, no claim elsewhere: cleared, the error stands', false, name('a.conf'), 'error', CLEARS],
    ['a FIFO after the clearing drop-in, a claim after the clearing line', true, name('zzz.conf'), 'unknown', undefined],
    ['a FIFO before the clearing drop-in, a claim after the clearing line', true, name('a.conf'), 'unknown', undefined],
    [
      'a name that is not UTF-8 sorting after the clearing drop-in (0xff), no claim elsewhere',
      false,
      name([0xff], '.conf'),
      'unknown',
      'svc.service: cannot tell',
    ],
    ['a name that is not UTF-8 sorting before it (a, 0xff), no claim elsewhere', false, name('a', [0xff], '.conf'), 'error', CLEARS],
    ['a name that is not UTF-8 sorting after it, a claim after the clearing line', true, name([0xff], '.conf'), 'unknown', undefined],
  ])('%s', async (_, reclaims, unread, verdict, reason) => {
    const { check, health } = await bothToolsOn(reclaims, unread);
    expect({ ports: checkVerdict(check, untoldLine), health: healthVerdict(health) }).toEqual({ ports: verdict, health: verdict });
    if (reason !== undefined) expect(check.stdout).toContain(reason);
    if (verdict === 'error') expect(health.map((result) => result.reason)).toContainEqual(expect.stringContaining(CLEARS));
    if (verdict === 'unknown' && !reclaims)
      expect(health.map((result) => result.reason)).toContainEqual(expect.stringContaining('could not be read and may hold the claim'));
    if (reclaims) expect(health.map((result) => result.reason)).toContainEqual(expect.stringContaining('claims port 8000'));
    expect(check.stderr).not.toMatch(/\n\s+at /);
  });

  it('a unit file that leads nowhere: systemd cannot load the unit at all, and both give that error, whatever its drop-ins say', async () => {
    const gone = { 'etc/systemd/system/svc.service': { symlink: '../../../opt/gone.service' } } as const;
    const cleared = await bothToolsOn(false, undefined, gone);
    expect({ ports: checkVerdict(cleared.check, untoldLine), health: healthVerdict(cleared.health) }).toEqual({ ports: 'error', health: 'error' });
    const broken = 'leads to /opt/gone.service, which does not exist under ';
    expect(cleared.check.stdout).toContain(broken);
    expect(cleared.health.map((result) => result.reason)).toContainEqual(expect.stringContaining(broken));
  });
});
