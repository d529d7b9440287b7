// A chrooted claim line's /proc: systemd mounts the API file systems in
// RootDirectory= (MountAPIVFS=, yes by default there) only for a command it
// sandboxes, and `+` turns that off; so a `+` claim line sees only a /proc
// mounted there by other means. Real directories, real statfs.
import { describe, expect, it } from 'vitest';
import { claimRootProcFinding, claimRootProcReason, procMountedIn } from '../../src/systemd/root-directory.js';
import { tempDir } from '../../../../test-support/tree.js';

const at = { file: '/etc/systemd/system/api.service', line: 5 };
const chrooted = { rootDirectory: { value: '/srv/root', path: '/srv/root', ...at } };
const line = (prefixes: string) => ({ prefixes, value: `${prefixes}/usr/local/bin/claim-port api`, file: at.file, line: 6 });

describe('a chrooted claim line and /proc', () => {
  it('`+` gets none from systemd, nor does a line under MountAPIVFS=no; a sandboxed line under the default does; RootDirectoryStartOnly=yes is not chrooted', () => {
    expect(claimRootProcReason(chrooted, line('+'))).toContain('`+` turns off the sandboxing');
    expect(claimRootProcReason(chrooted, line(''))).toBeUndefined();
    expect(claimRootProcReason({ ...chrooted, mountAPIVFS: { value: false, ...at, line: 4 } }, line(''))).toBe(`MountAPIVFS=no (${at.file}:4)`);
    expect(claimRootProcReason({ ...chrooted, mountAPIVFS: { value: true, ...at } }, line('+'))).toContain('`+`');
    expect(claimRootProcReason({ ...chrooted, rootDirectoryStartOnly: { value: true, ...at } }, line('+'))).toBeUndefined();
    expect(claimRootProcReason({}, line('+'))).toBeUndefined();
  });

  it('on the machine itself a directory without a mounted /proc is an error saying what to add; one with it, nothing; under another root, a warning', () => {
    const empty = tempDir();
    expect(procMountedIn('/', empty)).toBe(false);
    expect(procMountedIn('/', '/')).toBe(true);
    expect(procMountedIn(empty, '/srv/root')).toBeUndefined();
    const unit = { rootDirectory: { ...chrooted.rootDirectory, value: empty, path: empty } };
    const error = claimRootProcFinding(unit, line('+'), procMountedIn('/', empty));
    expect(error).toEqual({
      severity: 'error',
      reason: `ExecStartPre=+/usr/local/bin/claim-port api in ${at.file}:6 runs claim-port inside RootDirectory=${empty} (${at.file}:5) without /proc: its \`+\` turns off the sandboxing that mounts /proc in the root (MountAPIVFS= does not apply to it), and ${empty}/proc is not a mounted /proc; claim-port cannot see which processes hold the port, so it frees nothing; add RootDirectoryStartOnly=yes to [Service] to run it on the host's root`,
    });
    expect(claimRootProcFinding(unit, line('+'), true)).toBeUndefined();
    expect(claimRootProcFinding(unit, line('+'), undefined)?.severity).toBe('warning');
  });
});
