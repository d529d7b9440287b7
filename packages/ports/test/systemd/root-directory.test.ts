// A chrooted claim line's /proc: systemd mounts the API file systems in
// RootDirectory= (MountAPIVFS=, yes by default there) only for a command it
// sandboxes, and `+` turns that off; so a `+` claim line sees only a /proc
// mounted there by other means. Real directories, real statfs.
import { describe, expect, it } from 'vitest';
import { claimRootProcFinding, claimRootProcReason, parseBoolean, procMountedIn } from '../../src/systemd/root-directory.js';
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

describe('parseBoolean', () => {
  it("reads what systemd's parse_boolean() reads, in any ASCII case, and nothing else: held to the two expressions it replaced", () => {
    const was = (value: string) => (/^(1|yes|y|true|t|on)$/i.test(value) ? true : /^(0|no|n|false|f|off)$/i.test(value) ? false : undefined);
    const words = ['1', 'yes', 'y', 'true', 't', 'on', '0', 'no', 'n', 'false', 'f', 'off'];
    // Each word in every mix of cases, with a character before, after or instead of each of its own; characters
    // beyond ASCII whose case maps to ASCII letters (the Kelvin sign, the dotted and dotless i, the long s) among them.
    const others = [' ', '\t', '\n', '', '-', '2', 'x', 'K', '\u212a', '\u0130', '\u0131', '\u017f', '\u00d8', 'Y'];
    const values = new Set<string>(['', ' yes', 'yes ', 'tru', 'truee', 'offf', 'of', 'ye', 'nO']);
    for (const word of words) {
      for (let mask = 0; mask < 1 << word.length; mask++)
        values.add([...word].map((character, index) => ((mask >> index) & 1 ? character.toUpperCase() : character)).join(''));
      for (let index = 0; index <= word.length; index++)
        for (const other of others) {
          values.add(word.slice(0, index) + other + word.slice(index));
          values.add(word.slice(0, index) + other + word.slice(index + 1));
        }
    }
    for (const value of values) expect(parseBoolean(value), JSON.stringify(value)).toBe(was(value));
    expect(parseBoolean('YES')).toBe(true);
    expect(parseBoolean('Off')).toBe(false);
    expect(parseBoolean('\u212aes')).toBeUndefined();
  });
});
