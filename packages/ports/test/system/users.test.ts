// userName on real passwd files in a temp dir: each file is read once, and
// answers only for its own path.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { homeOf } from '../../src/system/unit-restart.js';
import { parsePasswd, passwdEntries, userName } from '../../src/system/users.js';
import { tempDir } from '../../../../test-support/tree.js';

describe('userName', () => {
  it('takes the first entry for a uid, as getpwuid does, and no line with an empty uid field as uid 0', () => {
    const path = join(tempDir(), 'passwd');
    writeFileSync(path, 'evil:x::0::/:/bin/sh\nroot:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n');
    expect(userName(0, path)).toBe('root');
  });

  it("answers from the passwd file it is given, not the first one asked of (a mounted root's and the host's)", () => {
    const dir = tempDir();
    const host = join(dir, 'host-passwd');
    const mounted = join(dir, 'mounted-passwd');
    writeFileSync(host, 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    writeFileSync(mounted, 'root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n');
    expect(userName(1000, host)).toBe('alice');
    expect(userName(1000, mounted)).toBe('bob');
    expect(userName(1000, join(dir, 'missing'))).toBe('1000');
    // Each read once: a change after the first look is not seen.
    writeFileSync(host, 'carol:x:1000:1000::/:/bin/sh\n');
    expect(userName(1000, host)).toBe('alice');
  });
});

describe('passwdEntries: the one reader of passwd lines, as glibc reads them', () => {
  // Each line and what glibc 2.36's fgetpwent (the parser getpwuid uses) made of it, recorded with a 6-line C program
  // on Debian 12: undefined where it returned no entry; the + and - lines it returns, getpwuid skips.
  const lines: [line: string, uid: number | undefined, home?: string][] = [
    ['empty:x::0::/e:/bin/sh', undefined],
    ['sci:x:1e3:0::/s:/bin/sh', undefined],
    ['hex:x:0x10:0::/h:/bin/sh', undefined],
    ['trail:x:18 :0::/tr:/bin/sh', undefined],
    ['inner:x:26 7:0::/i:/bin/sh', undefined],
    ['neg:x:-1:0::/n:/bin/sh', undefined],
    ['over:x:4294967296:0::/o:/bin/sh', undefined],
    ['huge:x:99999999999999999999999:0::/hu:/bin/sh', undefined],
    ['three:x:11', undefined],
    ['threec:x:12:', undefined],
    ['badgid:x:17:z::/bg:/bin/sh', undefined],
    ['neggid:x:27:-5::/ng:/bin/sh', undefined],
    ['  # comment:x:19:0::/c:/bin/sh', undefined],
    ['+:x:21:0::/pl:/bin/sh', undefined],
    ['-nis:x:22:0::/mi:/bin/sh', undefined],
    ['nul:x:28\0:0::/nul:/bin/sh', undefined],
    ['sp:x: 7:0::/sp:/bin/sh', 7, '/sp'],
    ['tab:x:\t8:0::/t:/bin/sh', 8, '/t'],
    ['plus:x:+9:0::/p:/bin/sh', 9, '/p'],
    ['negz:x:-0:0::/nz:/bin/sh', 0, '/nz'],
    ['zeros:x:00000000001000:0::/z:/bin/sh', 1000, '/z'],
    ['four:x:13:0', 13, ''],
    ['five:x:15:0::/five', 15, '/five'],
    ['  lead:x:20:0::/l:/bin/sh', 20, '/l'],
    ['extra:x:24:0::/ex:/bin/sh:more', 24, '/ex'],
    ['rel:x:25:0::relative:/bin/sh', 25, 'relative'],
    ['max1:x:4294967294:0::/m1:/bin/sh', 4294967294, '/m1'],
  ];

  it.each(lines)('%j: uid %s', (line, uid, home) => {
    const name = line.trimStart().split(':')[0]!;
    expect(passwdEntries(`${line}\n`)).toEqual(uid === undefined ? [] : [{ name, uid, home }]);
  });

  // glibc 2.36's getpwuid(4294967295) and getpwnam("max") return this line (python's pwd, in a mount namespace with
  // the file bound over /etc/passwd); it is skipped on purpose: (uid_t)-1 is no uid a process can have.
  it('a uid 4294967295 line, which glibc returns, is skipped: (uid_t)-1 owns no process', () => {
    expect(passwdEntries('max:x:4294967295:0::/m:/bin/sh\nmax1:x:4294967294:0::/m1:/bin/sh\n')).toEqual([{ name: 'max1', uid: 4294967294, home: '/m1' }]);
  });

  it('answers the name and the home of a uid from the same first line glibc reads; a line it refuses shadows nothing', () => {
    const text = ['short:x:1000', 'alice:x:1000:1000::/wrong:/bin/sh', 'bob:x: 1000:1000::/home/bob:/bin/sh', 'carol:x:1000:1000::/home/carol:/bin/sh'];
    // The first line has no gid, so glibc skips it, as both readers did; the second is the first account of 1000.
    expect(parsePasswd(text.join('\n')).get(1000)).toBe('alice');
    expect(homeOf(1000, text.join('\n'))).toBe('/wrong');
    // Without it, ` 1000` is uid 1000 to glibc (strtoul skips the blank): bob, for the name and the home alike.
    const rest = text.filter((line) => !line.includes('/wrong')).join('\n');
    expect(parsePasswd(rest).get(1000)).toBe('bob');
    expect(homeOf(1000, rest)).toBe('/home/bob');
    // An entry with an empty home is the first for its uid: no home, not the next line's.
    expect(homeOf(13, 'four:x:13:0\nlater:x:13:0::/later:/bin/sh')).toBeUndefined();
  });
});
