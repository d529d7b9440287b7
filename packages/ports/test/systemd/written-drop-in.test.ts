// withWrittenDropIn: a unit as systemd would load it once `ports systemd` has written its claim drop-in, for
// `ports systemd --check` to judge the unit while that drop-in still differs from the registry. Units loaded from
// real trees (loadUnit), then merged (mergeUnit) as --check merges them.
import { describe, expect, it } from 'vitest';
import { loadUnit, mergeUnit } from '../../src/systemd/index.js';
import { withWrittenDropIn } from '../../src/systemd/written-drop-in.js';
import { tempDir, writeTree } from '../../../../test-support/tree.js';

const ETC = 'etc/systemd/system';
const CLAIM = `/${ETC}/api.service.d/claim-port.conf`;
const WRITTEN = '[Service]\nExecStartPre=+/usr/local/bin/claim-port 20080\n';

/** api.service under a fresh root, with `files` beside it, as loadUnit reads it. */
function loaded(files: Record<string, string | { symlink: string }> = {}) {
  const root = writeTree(tempDir('dsa110-ports-written-'), { [`${ETC}/api.service`]: '[Service]\nExecStart=/bin/true\n', ...files });
  return loadUnit(root, 'api.service');
}
const names = (unit: { dropIns: readonly { path: string }[] }) => unit.dropIns.map((dropIn) => dropIn.path);
const claims = (unit: ReturnType<typeof loaded>) => mergeUnit(unit).execStartPre.map((line) => line.argv.join(' '));

describe('withWrittenDropIn', () => {
  it('replaces the text of the drop-in where systemd reads it: the stale claim is gone, a later clearing line still clears', () => {
    const unit = loaded({
      [`${ETC}/api.service.d/claim-port.conf`]: '[Service]\nExecStartPre=+/usr/local/bin/claim-port 20089\n',
      [`${ETC}/api.service.d/zz.conf`]: '[Service]\nExecStartPre=\n',
    });
    const written = withWrittenDropIn(unit, CLAIM, WRITTEN)!;
    expect(names(written)).toEqual(names(unit));
    expect(written.dropIns[0]).toEqual({ path: CLAIM, text: WRITTEN });
    const merged = mergeUnit(written);
    expect(merged.execStartPre).toEqual([]);
    expect(merged.execStartPreCleared).toMatchObject({ file: `/${ETC}/api.service.d/zz.conf`, line: 2 });
  });

  it('adds a missing one in its turn by file name (strcmp: `Z` before `a`, `aa` before `claim-port`, `zz` after)', () => {
    const unit = loaded({
      [`${ETC}/api.service.d/Zz.conf`]: '[Service]\nExecStartPre=\n',
      [`${ETC}/api.service.d/aa.conf`]: '[Service]\nExecStartPre=\n',
      'usr/lib/systemd/system/service.d/zz.conf': '[Service]\nExecStartPre=\n',
    });
    const written = withWrittenDropIn(unit, CLAIM, WRITTEN)!;
    expect(names(written)).toEqual([`/${ETC}/api.service.d/Zz.conf`, `/${ETC}/api.service.d/aa.conf`, CLAIM, '/usr/lib/systemd/system/service.d/zz.conf']);
    expect(claims(written)).toEqual([]);
    expect(claims(withWrittenDropIn(loaded(), CLAIM, WRITTEN)!)).toEqual(['/usr/local/bin/claim-port 20080']);
  });

  it('is undefined when another drop-in of that name is there, read or skipped: which of the two systemd reads is not guessed at', () => {
    const others: Record<string, string | { symlink: string }>[] = [
      { 'usr/lib/systemd/system/service.d/claim-port.conf': '[Service]\n' },
      { 'run/systemd/system/api.service.d/claim-port.conf': '[Service]\n' },
      { 'run/systemd/system/api.service.d/claim-port.conf': { symlink: '/nowhere.conf' } },
    ];
    for (const other of others) expect(withWrittenDropIn(loaded(other), CLAIM, WRITTEN)).toBeUndefined();
  });
});
