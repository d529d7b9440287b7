// The generated-tree writer (`ports systemd`, `ports monitoring`) on real files
// and private special files: every path is inspected before the first write,
// nothing but a regular file is ever replaced, and no inspection blocks.
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FileWriteError } from '../../src/files/write.js';
import { ConcurrentWriteError, fileExposure, inspectGeneratedFiles, readFileIfPresent, writeGeneratedFiles } from '../../src/files/tree.js';
import { FileReadError } from '../../src/files/read.js';
import { aclsWork, fifo, grantAcl, isRoot, NO_ACLS, privateDir } from './special.js';
import { straceHolding, straceInjecting } from '../../../../test-support/strace.js';
import { runModuleAsNobody, waitUntil, worldReadableBundle } from '../../../../test-support/index.js';

const LIMIT = { maxBytes: 1024 };
const FILES = [
  { path: 'a.service.d/claim-port.conf', contents: 'drop-in\n' },
  { path: 'health.timer', contents: 'timer\n' },
];

function refusal(dir: string): FileWriteError {
  try {
    writeGeneratedFiles(dir, FILES, LIMIT);
  } catch (error) {
    expect(error).toBeInstanceOf(FileWriteError);
    return error as FileWriteError;
  }
  throw new Error('the tree was written');
}

describe('writeGeneratedFiles', () => {
  it('reads a byte that is not UTF-8 as itself (U+DC80+byte, shown \\xff), never as U+FFFD: such a file is no generated text holding U+FFFD', () => {
    const dir = privateDir();
    const files = [{ path: 'x.conf', contents: 'caf\ufffd\n' }];
    writeFileSync(join(dir, 'x.conf'), Buffer.from([0x63, 0x61, 0x66, 0xff, 0x0a]));
    expect(inspectGeneratedFiles(dir, files, LIMIT)[0]!.current).toBe('caf\udcff\n');
    expect(writeGeneratedFiles(dir, files, LIMIT)).toEqual([{ path: join(dir, 'x.conf'), wrote: true }]);
    expect(readFileSync(join(dir, 'x.conf'), 'utf8')).toBe('caf\ufffd\n');
  });

  it('creates missing files and directories, rewrites only what differs, atomically, leaving no temp file', () => {
    const dir = privateDir();
    expect(writeGeneratedFiles(dir, FILES, LIMIT)).toEqual([
      { path: join(dir, FILES[0]!.path), wrote: true },
      { path: join(dir, FILES[1]!.path), wrote: true },
    ]);
    expect(readFileSync(join(dir, 'health.timer'), 'utf8')).toBe('timer\n');
    expect(statSync(join(dir, 'health.timer')).mode & 0o777).toBe(0o644);
    writeFileSync(join(dir, 'health.timer'), 'edited by hand\n');
    const inode = statSync(join(dir, FILES[0]!.path)).ino;
    expect(writeGeneratedFiles(dir, FILES, LIMIT).map((file) => file.wrote)).toEqual([false, true]);
    expect(statSync(join(dir, FILES[0]!.path)).ino).toBe(inode);
    expect(readFileSync(join(dir, 'health.timer'), 'utf8')).toBe('timer\n');
    expect(readdirSync(dir).sort()).toEqual(['a.service.d', 'health.timer']);
  });

  it('never replaces or writes through a symbolic link (a masked unit stays masked), and writes nothing else either', () => {
    const dir = privateDir();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync('/dev/null', join(dir, 'health.timer'));
    mkdirSync(join(dir, 'a.service.d'));
    symlinkSync(victim, join(dir, FILES[0]!.path));
    const error = refusal(dir);
    expect(error.path).toBe(join(dir, FILES[0]!.path));
    expect(error.reason).toBe(
      `it is a symbolic link to ${JSON.stringify(victim)}, which is never replaced; remove the link to let this tool write the file; nothing was written (and 1 more: ${join(dir, 'health.timer')})`,
    );
    expect(readlinkSync(join(dir, 'health.timer'))).toBe('/dev/null');
    expect(readlinkSync(join(dir, FILES[0]!.path))).toBe(victim);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(inspectGeneratedFiles(dir, FILES, LIMIT)[1]!.problem).toMatch(/^it is a symbolic link to "\/dev\/null" \(a masked unit\)/);
  });

  it("under options.root, names a link's absolute target under that root (where the booted system reads it), a relative one as written", () => {
    const root = privateDir();
    const dir = join(root, 'etc/systemd/system');
    mkdirSync(join(dir, 'a.service.d'), { recursive: true });
    symlinkSync('/etc/redis/claim.conf', join(dir, FILES[0]!.path));
    symlinkSync('/dev/null', join(dir, 'health.timer'));
    const under = { ...LIMIT, root };
    let error: unknown;
    try {
      writeGeneratedFiles(dir, FILES, under);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FileWriteError);
    expect((error as FileWriteError).reason).toBe(
      `it is a symbolic link to "/etc/redis/claim.conf" under ${root}, which is never replaced; remove the link to let this tool write the file; nothing was written (and 1 more: ${join(dir, 'health.timer')})`,
    );
    // --check's inspection says the same; a masked unit is masked under the root too.
    const [dropIn, timer] = inspectGeneratedFiles(dir, FILES, under);
    expect(dropIn!.problem).toBe(
      `it is a symbolic link to "/etc/redis/claim.conf" under ${root}, which is never replaced; remove the link to let this tool write the file`,
    );
    expect(timer!.problem).toMatch(new RegExp(`^it is a symbolic link to "/dev/null" under ${root} \\(a masked unit\\),`));
    // A relative target is read from the link's directory, already named: as written. Root "/" is the host's: nothing added.
    const relative = privateDir();
    symlinkSync('elsewhere.timer', join(relative, 'health.timer'));
    expect(inspectGeneratedFiles(relative, FILES, under)[1]!.problem).toMatch(/^it is a symbolic link to "elsewhere.timer", which/);
    expect(inspectGeneratedFiles(dir, FILES, { ...LIMIT, root: '/' })[0]!.problem).toMatch(/^it is a symbolic link to "\/etc\/redis\/claim.conf", which/);
    expect(() => inspectGeneratedFiles(dir, FILES, { ...LIMIT, root: '' })).toThrow(TypeError);
  });

  it('refuses a FIFO at once (never opened), a directory, an oversized file and a file in place of a directory, writing nothing', () => {
    const dir = privateDir();
    fifo(dir, 'health.timer');
    expect(refusal(dir).reason).toBe('it is a FIFO (named pipe), not a regular file; move it away to let this tool write the file; nothing was written');
    expect(readdirSync(dir)).toEqual(['health.timer']);
    expect(lstatSync(join(dir, 'health.timer')).isFIFO()).toBe(true);

    const other = privateDir();
    mkdirSync(join(other, 'health.timer'));
    expect(refusal(other).reason).toMatch(/^it is a directory, not a regular file;/);

    const big = privateDir();
    writeFileSync(join(big, 'health.timer'), 'x'.repeat(2000));
    expect(refusal(big).reason).toBe(
      "it is larger than 1 KiB, so it is not this tool's output (it writes nothing that large); move it away or delete it, then run again; nothing was written",
    );
    // --check reads the same remedy.
    expect(inspectGeneratedFiles(big, FILES, LIMIT)[1]!.problem).toMatch(
      /^it is larger than 1 KiB, so it is not this tool's output .*; move it away or delete it, then run again$/,
    );

    const blocked = privateDir();
    writeFileSync(join(blocked, 'a.service.d'), 'a file');
    expect(refusal(blocked).reason).toBe(
      `a path component is not a directory: ${join(blocked, 'a.service.d')} is a regular file; move it away (this tool makes the directory), then run again; nothing was written`,
    );
    expect(readdirSync(blocked)).toEqual(['a.service.d']);
  });
});

describe('writeGeneratedFiles: paths', () => {
  it('refuses a path that leaves dir, is absolute or has an empty or "." part (a TypeError naming it), before writing anything', () => {
    const parent = privateDir();
    const dir = join(parent, 'tree');
    mkdirSync(dir);
    for (const path of ['../escape.txt', 'a/../../x', '/abs.txt', '..', 'a//b', 'a/', './a', 'a/./b', 'a/..']) {
      const files = [FILES[1]!, { path, contents: 'x\n' }];
      const message = `files[1].path must be a path inside dir, names joined by "/" (not absolute, no empty, "." or ".." part), not ${JSON.stringify(path)}`;
      expect(() => writeGeneratedFiles(dir, files, LIMIT), path).toThrow(new TypeError(`writeGeneratedFiles: ${message}`));
      expect(() => inspectGeneratedFiles(dir, files, LIMIT), path).toThrow(new TypeError(`inspectGeneratedFiles: ${message}`));
    }
    expect(readdirSync(parent)).toEqual(['tree']);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses two entries for one file (each was reported written), also when spelled apart, before writing anything', () => {
    const dir = privateDir();
    const twice = [FILES[1]!, FILES[0]!, { path: FILES[1]!.path, contents: 'other\n' }];
    expect(() => writeGeneratedFiles(dir, twice, LIMIT)).toThrow(
      new TypeError('writeGeneratedFiles: files[2].path "health.timer" names the file files[0] names; give each file once'),
    );
    expect(readdirSync(dir)).toEqual([]);
    // With dir "" the paths are whole: the same file under two spellings is still one file.
    const whole = [
      { path: join(dir, 'a.conf'), contents: 'a\n' },
      { path: `${dir}//a.conf`, contents: 'b\n' },
    ];
    expect(() => writeGeneratedFiles('', whole, LIMIT)).toThrow(
      /^writeGeneratedFiles: files\[1\]\.path ".*\/\/a\.conf" names the file files\[0\] names; give each file once$/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('with dir "" takes whole paths, absolute or with "..", as the caller gives them', () => {
    const dir = privateDir();
    mkdirSync(join(dir, 'sub'));
    const files = [
      { path: join(dir, 'a.conf'), contents: 'a\n' },
      { path: `${dir}/sub/../b.conf`, contents: 'b\n' },
    ];
    expect(writeGeneratedFiles('', files, LIMIT).map((file) => file.wrote)).toEqual([true, true]);
    expect(readFileSync(join(dir, 'b.conf'), 'utf8')).toBe('b\n');
  });
});

describe('writeGeneratedFiles: a whole path that names a directory', () => {
  it('with dir "", refuses `out/`, `f/.`, `f/..` as the kernel reads them, writing nothing: never the file `f` that joining them names', () => {
    const dir = privateDir();
    writeFileSync(join(dir, 'fw.nft'), 'mine\n');
    mkdirSync(join(dir, 'sub'));
    const cases: [string, string][] = [
      [`${dir}/nft.d/`, 'it ends in "/", so it names a directory; give the path of a file to write'],
      [`${dir}/new/.`, 'it ends in "/.", so it names a directory; give the path of a file to write'],
      [`${dir}/sub/x/..`, 'it ends in "/..", so it names a directory; give the path of a file to write'],
      [`${dir}/fw.nft/`, `${dir}/fw.nft is a regular file, not a directory; give the path of the file without the "/" at its end`],
      [`${dir}/./fw.nft/.`, `${dir}/./fw.nft is a regular file, not a directory; give the path of the file without the "/." at its end`],
      [`${dir}/fw.nft/..`, `${dir}/fw.nft is a regular file, not a directory; give a path whose directories exist`],
      // All of the ending named, so that following the fix gives the file: `fw.nft/./` without "/" would still be `fw.nft/.`.
      [`${dir}/fw.nft/./`, `${dir}/fw.nft is a regular file, not a directory; give the path of the file without the "/./" at its end`],
      [`${dir}/fw.nft//`, `${dir}/fw.nft is a regular file, not a directory; give the path of the file without the "//" at its end`],
      [`${dir}/fw.nft/./..`, `${dir}/fw.nft is a regular file, not a directory; give a path whose directories exist`],
      [`${dir}/sub/`, 'it is a directory; give the path of a file to write'],
      [`${dir}/sub/.`, 'it is a directory; give the path of a file to write'],
    ];
    for (const [path, problem] of cases) {
      const [entry] = inspectGeneratedFiles('', [{ path, contents: 'rules\n' }], LIMIT);
      expect(entry, path).toMatchObject({ path, current: undefined, problem });
      expect(() => writeGeneratedFiles('', [{ path, contents: 'rules\n' }], LIMIT), path).toThrow(`${path}: ${problem}; nothing was written`);
    }
    expect(readdirSync(dir).sort()).toEqual(['fw.nft', 'sub']);
    expect(readdirSync(join(dir, 'sub'))).toEqual([]);
    expect(readFileSync(join(dir, 'fw.nft'), 'utf8')).toBe('mine\n');
  });
});

describe('writeGeneratedFiles: directories', () => {
  const NESTED = [FILES[1]!, FILES[0]!]; // the file whose directory is missing comes second

  it('makes every directory before writing any file: a dangling link in the way writes nothing and names the link', () => {
    const dir = privateDir();
    symlinkSync(join(dir, 'gone'), join(dir, 'a.service.d'));
    let error: FileWriteError | undefined;
    try {
      writeGeneratedFiles(dir, NESTED, LIMIT);
    } catch (caught) {
      error = caught as FileWriteError;
    }
    expect(error).toBeInstanceOf(FileWriteError);
    expect(error!.reason).toBe(
      `${join(dir, 'a.service.d')} is a symbolic link to a missing directory (${JSON.stringify(join(dir, 'gone'))}); create that directory or give another; nothing was written`,
    );
    expect(readdirSync(dir)).toEqual(['a.service.d']);
  });

  it('says in words why a path cannot be inspected: a name too long, a loop of links (never a bare error code)', () => {
    const long = join(privateDir(), 'x'.repeat(300));
    expect(refusal(long).message).toMatch(
      /: its path or a part of it is too long \(a name over 255 bytes, or over 4095 in all\); write into a directory with a shorter path; nothing was written \(and 1 more: /,
    );
    // A path over 4095 bytes in all, not there yet: the inspection, a name at a time in each directory held, finds
    // nothing there; making its directories says why it cannot be.
    const deep = join(privateDir(), 'd/'.repeat(2100));
    expect(refusal(deep).reason).toMatch(/^cannot make its directory \/.*: its path or a part of it is too long for the file system; nothing was written$/);
    const loop = privateDir();
    symlinkSync(join(loop, 'b'), join(loop, 'a'));
    symlinkSync(join(loop, 'a'), join(loop, 'b'));
    expect(refusal(join(loop, 'a')).reason).toMatch(
      /^its path holds a loop of symbolic links; replace a link on the way with a real directory, or write into the real directory; nothing was written/,
    );
    for (const dir of [long, deep, join(loop, 'a')])
      expect(
        inspectGeneratedFiles(dir, FILES, LIMIT).every((entry) => !/E[A-Z]+/.test(entry.problem ?? '')),
        dir,
      ).toBe(true);
  });

  it('makes missing directories several levels deep, and names a file where one should be', () => {
    const dir = privateDir();
    const deep = [{ path: 'x/y/z/file', contents: 'z\n' }];
    expect(writeGeneratedFiles(join(dir, 'new'), deep, LIMIT)).toEqual([{ path: join(dir, 'new/x/y/z/file'), wrote: true }]);
    expect(readFileSync(join(dir, 'new/x/y/z/file'), 'utf8')).toBe('z\n');
    writeFileSync(join(dir, 'plain'), 'a file');
    const blocked = [FILES[1]!, { path: 'plain/y/file', contents: 'z\n' }];
    // The inspection finds the file in the way (ENOTDIR) before anything is made or written.
    expect(() => writeGeneratedFiles(dir, blocked, LIMIT)).toThrow(
      `: a path component is not a directory: ${join(dir, 'plain')} is a regular file; move it away (this tool makes the directory), then run again; nothing was written`,
    );
    expect(readdirSync(dir).sort()).toEqual(['new', 'plain']);
  });
  it('makes directories 0755 at most and files 0644 (or options.mode), even under umask 000', () => {
    const dir = privateDir();
    const old = process.umask(0);
    try {
      writeGeneratedFiles(dir, [{ path: 'x.service.d/claim-port.conf', contents: 'x\n' }], LIMIT);
    } finally {
      process.umask(old);
    }
    expect(statSync(join(dir, 'x.service.d')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, 'x.service.d/claim-port.conf')).mode & 0o777).toBe(0o644);
  });

  it('refuses a mode with the setuid, setgid or sticky bit, or write for group or others, before writing anything; a mode it takes stays on a second run', () => {
    const dir = privateDir();
    expect(() => writeGeneratedFiles(dir, FILES, { ...LIMIT, mode: 0o4755 })).toThrow(
      new TypeError(
        'writeGeneratedFiles: options.mode must be a file mode, an integer 0-0o777 (permission bits only: no setuid, setgid or sticky bit), such as 0o644, not 0o4755',
      ),
    );
    // 0o666: every run would replace the files again (writable by others), and every --check report them.
    for (const mode of [0o777, 0o666, 0o620]) {
      expect(() => writeGeneratedFiles(dir, FILES, { ...LIMIT, mode }), mode.toString(8)).toThrow(
        new RegExp(`^writeGeneratedFiles: options\\.mode 0o${mode.toString(8)} lets (its group|others|its group and others) change the file, `),
      );
    }
    expect(readdirSync(dir)).toEqual([]);
    expect(writeGeneratedFiles(dir, FILES, { ...LIMIT, mode: 0o640 }).map((file) => file.wrote)).toEqual([true, true]);
    expect(writeGeneratedFiles(dir, FILES, { ...LIMIT, mode: 0o640 }).map((file) => file.wrote)).toEqual([false, false]);
    expect(statSync(join(dir, 'health.timer')).mode & 0o7777).toBe(0o640);
  });

  it('makes the directories it makes 0755 under umask 027 too (Prometheus and Grafana read them as users of their own), and leaves an existing one as it is', () => {
    const dir = privateDir();
    mkdirSync(join(dir, 'kept'), { mode: 0o700 });
    const old = process.umask(0o027);
    try {
      writeGeneratedFiles(
        dir,
        [
          { path: 'prometheus/rules/a.yml', contents: 'a\n' },
          { path: 'kept/b.yml', contents: 'b\n' },
        ],
        LIMIT,
      );
    } finally {
      process.umask(old);
    }
    expect(statSync(join(dir, 'prometheus')).mode & 0o7777).toBe(0o755);
    expect(statSync(join(dir, 'prometheus/rules')).mode & 0o7777).toBe(0o755);
    expect(statSync(join(dir, 'prometheus/rules/a.yml')).mode & 0o7777).toBe(0o644);
    expect(statSync(join(dir, 'kept')).mode & 0o7777).toBe(0o700);
  });

  it('says who else may write a file, and replaces such a file even when it holds the right text', () => {
    const dir = privateDir();
    const files = [{ path: 'a.conf', contents: 'a\n' }];
    writeFileSync(join(dir, 'a.conf'), 'a\n', { mode: 0o644 });
    expect(inspectGeneratedFiles(dir, files, LIMIT)[0]!.exposure).toBeUndefined();
    chmodSync(join(dir, 'a.conf'), 0o646);
    expect(inspectGeneratedFiles(dir, files, LIMIT)[0]!.exposure).toBe('writable by others (mode 0646)');
    expect(writeGeneratedFiles(dir, files, LIMIT)).toEqual([{ path: join(dir, 'a.conf'), wrote: true }]);
    expect(statSync(join(dir, 'a.conf')).mode & 0o7777).toBe(0o644);
    expect(inspectGeneratedFiles(dir, files, LIMIT)[0]!.exposure).toBeUndefined();
    if (process.getuid?.() === 0) {
      chownSync(join(dir, 'a.conf'), 65534, 65534);
      expect(inspectGeneratedFiles(dir, files, LIMIT)[0]!.exposure).toBe('owned by uid 65534, who may change it');
      expect(writeGeneratedFiles(dir, files, LIMIT)[0]!.wrote).toBe(true);
      expect(statSync(join(dir, 'a.conf')).uid).toBe(0);
    }
  });

  it.skipIf(!aclsWork)(
    `says a file whose group bits are an ACL mask may be written by the users the ACL names, not by its group${aclsWork ? '' : ` (${NO_ACLS})`}`,
    () => {
      const dir = privateDir();
      const files = [
        { path: 'a.conf', contents: 'a\n' },
        { path: 'b.conf', contents: 'b\n' },
        { path: 'c.conf', contents: 'c\n' },
      ];
      writeGeneratedFiles(dir, files, LIMIT);
      chmodSync(join(dir, 'b.conf'), 0o664);
      expect(grantAcl(join(dir, 'a.conf'), join(dir, 'c.conf'))).toBe(true);
      const acl = "writable by the users and groups its POSIX ACL names (mode 0775: its group bits are the ACL's mask; `setfacl -b` removes the ACL)";
      expect(inspectGeneratedFiles(dir, files, LIMIT).map((entry) => entry.exposure)).toEqual([acl, 'writable by its group (mode 0664)', acl]);
      expect(fileExposure(lstatSync(join(dir, 'c.conf')), join(dir, 'c.conf'))).toBe(acl);
      // Replaced by a file of this user's, 0644, without the ACL.
      expect(writeGeneratedFiles(dir, files, LIMIT).map((entry) => entry.wrote)).toEqual([true, true, true]);
      expect(inspectGeneratedFiles(dir, files, LIMIT).map((entry) => entry.exposure)).toEqual([undefined, undefined, undefined]);
    },
  );

  it('with readByOthers, says a file other users may not read is exposed and replaces it 0644; without (systemd reads units as root), leaves it', () => {
    const dir = privateDir();
    const files = [{ path: 'rules/a.yml', contents: 'groups: []\n' }];
    const path = join(dir, 'rules/a.yml');
    const readers = { ...LIMIT, readByOthers: true };
    writeGeneratedFiles(dir, files, readers);
    chmodSync(path, 0o600);
    expect(inspectGeneratedFiles(dir, files, LIMIT)[0]).toMatchObject({ current: 'groups: []\n', exposure: undefined, closedToOthers: false });
    expect(writeGeneratedFiles(dir, files, LIMIT)[0]!.wrote).toBe(false);
    expect(statSync(path).mode & 0o7777).toBe(0o600);
    expect(inspectGeneratedFiles(dir, files, readers)[0]).toMatchObject({ exposure: 'other users may not read it (mode 0600)', closedToOthers: true });
    expect(writeGeneratedFiles(dir, files, readers)).toEqual([{ path, wrote: true }]);
    expect(statSync(path).mode & 0o7777).toBe(0o644);
    expect(inspectGeneratedFiles(dir, files, readers)[0]).toMatchObject({ exposure: undefined, closedToOthers: false });
    // Others may write it too: that comes first (replacing it fixes both).
    chmodSync(path, 0o620);
    expect(inspectGeneratedFiles(dir, files, readers)[0]).toMatchObject({ exposure: 'writable by its group (mode 0620)', closedToOthers: false });
    // A mode without o+r would be rewritten by every run: refused before anything is written.
    expect(() => writeGeneratedFiles(dir, files, { ...readers, mode: 0o640 })).toThrow(
      new TypeError(
        'writeGeneratedFiles: options.mode 0640 keeps other users from reading the files, which readByOthers asks for; give a mode with o+r (such as 0o644)',
      ),
    );
    expect(statSync(path).mode & 0o7777).toBe(0o620);
  });

  it.skipIf(!isRoot)('never follows a directory link another user owns on the way to a file, as root: inspected as a problem, nothing written', () => {
    const dir = privateDir();
    const elsewhere = privateDir();
    writeFileSync(join(dir, 'health.timer'), 'old\n');
    symlinkSync(elsewhere, join(dir, 'a.service.d'));
    expect(inspectGeneratedFiles(dir, FILES, LIMIT)[0]!.problem).toBeUndefined(); // root's link: followed
    lchownSync(join(dir, 'a.service.d'), 65534, 65534);
    const why = `${join(dir, 'a.service.d')} is a symbolic link owned by uid 65534, not by root: it is not followed, since its owner could point it at any directory; remove it, or \`chown -h root:root\` it`;
    expect(inspectGeneratedFiles(dir, FILES, LIMIT)[0]!.problem).toBe(why);
    expect(refusal(dir).reason).toBe(`${why}; nothing was written`);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(readFileSync(join(dir, 'health.timer'), 'utf8')).toBe('old\n');
  });

  it('writes all the changed files or none: a directory that takes no new file leaves the others as they were, with no temporary file', () => {
    const dir = privateDir();
    writeFileSync(join(dir, 'a.conf'), 'old a\n');
    // /proc/self is a directory that exists but takes no new file: the second write fails after the first was ready.
    const files = [
      { path: join(dir, 'a.conf'), contents: 'new a\n' },
      { path: join(dir, 'b.conf'), contents: 'new b\n' },
      // Directories made for the write, removed again when it fails: "nothing was written" leaves no empty tree.
      { path: join(dir, 'new/deeper/c.conf'), contents: 'new c\n' },
      { path: '/proc/self/dsa110-tree-test.conf', contents: 'c\n' },
    ];
    let thrown: unknown;
    try {
      writeGeneratedFiles('', files, LIMIT);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FileWriteError);
    expect((thrown as FileWriteError).path).toBe('/proc/self/dsa110-tree-test.conf');
    expect((thrown as FileWriteError).reason).toMatch(/; nothing was written$/);
    expect(readFileSync(join(dir, 'a.conf'), 'utf8')).toBe('old a\n');
    expect(readdirSync(dir)).toEqual(['a.conf']);
  });
});

// A rename that fails (the tree changed meanwhile): strace makes the Nth rename fail with ENOTDIR, in a child
// that runs the writer from the sources, so the first failing and a later one are both certain.
const canInject = spawnSync('strace', ['-V']).status === 0;

// A file in a generated file's place that this user may not read (mode 0000 to a user; as root, a file on NFS with
// root_squash): nobody's own file, mode 0000, inspected by nobody, in a child that runs a world-readable bundle of the
// sources. (An strace that failed every open of that one path no longer sees it: the file is opened in its directory
// as held, by /proc/self/fd/N/NAME.)
describe('a file in the way that this user may not read', () => {
  async function inspectDenied(dir: string): Promise<{ problems: (string | null)[]; write: string }> {
    const bundle = await worldReadableBundle(new URL('../../src/files/tree.ts', import.meta.url).pathname);
    const script = `import { inspectGeneratedFiles, writeGeneratedFiles } from ${JSON.stringify(bundle)};
const files = ${JSON.stringify(FILES)};
const problems = inspectGeneratedFiles(${JSON.stringify(dir)}, files, { maxBytes: 1024 }).map((entry) => entry.problem ?? null);
let write = 'written';
try { writeGeneratedFiles(${JSON.stringify(dir)}, files, { maxBytes: 1024 }); } catch (error) { write = error.message; }
console.log(JSON.stringify({ problems, write }));`;
    const run = runModuleAsNobody(script);
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout);
  }

  it.skipIf(!isRoot)(
    `says whose it is and what to do, and a larger one than it writes is said to be that ${isRoot ? '' : '[skipped: needs root to run as nobody]'}`,
    async () => {
      const base = privateDir();
      chmodSync(base, 0o755);
      const dir = join(base, 'nobody');
      mkdirSync(dir);
      chownSync(dir, 65534, 65534);
      const timer = join(dir, 'health.timer');
      writeFileSync(timer, "someone else's\n");
      chownSync(timer, 65534, 65534);
      chmodSync(timer, 0o000);
      const denied =
        'this user may not read it (permission denied; mode 0000, owner uid 65534), so what it holds is not known; run as a user who may read it, or move it away or delete it, then run again';
      expect(await inspectDenied(dir)).toEqual({ problems: [null, denied], write: `${timer}: ${denied}; nothing was written` });
      expect(readdirSync(dir)).toEqual(['health.timer']);
      // Larger than the tool writes: not its output, whether or not it may be read (its size says so without a read).
      writeFileSync(timer, 'x'.repeat(2000));
      const large = "it is larger than 1 KiB, so it is not this tool's output (it writes nothing that large); move it away or delete it, then run again";
      expect(await inspectDenied(dir)).toEqual({ problems: [null, large], write: `${timer}: ${large}; nothing was written` });
      expect(readdirSync(dir)).toEqual(['health.timer']);
    },
  );

  it('names every other refused path escaped, a line break in one included', () => {
    const dir = privateDir();
    const files = [FILES[1]!, { path: 'x\ny.timer', contents: 'y\n' }];
    for (const file of files) mkdirSync(join(dir, file.path));
    expect(() => writeGeneratedFiles(dir, files, LIMIT)).toThrow(`nothing was written (and 1 more: ${dir}/x\\ny.timer)`);
  });
});

describe('a rename into place that fails', () => {
  function writeFailingRename(out: string, when: number): string {
    const script = `const { writeGeneratedFiles } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/files/tree.ts')).href)});
const files = [{ path: 'a/x.yml', contents: 'a\\n' }, { path: 'b/c/y.yml', contents: 'b\\n' }, { path: 'z.yml', contents: 'z\\n' }];
try { writeGeneratedFiles(${JSON.stringify(out)}, files, { maxBytes: 1024 }); console.log('written'); } catch (error) { console.log(error.message); }`;
    const renames = 'rename,renameat,renameat2';
    const run = spawnSync('strace', straceInjecting(renames, `error=ENOTDIR:when=${when}`, script), {
      cwd: join(import.meta.dirname, '../../../..'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    return run.stdout;
  }

  it.skipIf(!canInject)(`first: "nothing was written", and true: the directories it made are gone ${canInject ? '' : '[skipped: needs strace]'}`, () => {
    const dir = privateDir();
    const out = join(dir, 'out');
    expect(writeFailingRename(out, 1)).toBe(
      `${join(out, 'a/x.yml')}: a part of its path is not a directory; give a path whose directories exist (nothing was written)\n`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it.skipIf(!canInject)(
    `after one file is in place: says how many were written, never "nothing was written" ${canInject ? '' : '[skipped: needs strace]'}`,
    () => {
      const dir = privateDir();
      const out = join(dir, 'out');
      expect(writeFailingRename(out, 2)).toBe(
        `${join(out, 'b/c/y.yml')}: a part of its path is not a directory; give a path whose directories exist (1 of 3 changed files were written before it)\n`,
      );
      expect(readFileSync(join(out, 'a/x.yml'), 'utf8')).toBe('a\n');
    },
  );
});

// Two runs of two registries writing one tree at once. strace holds each rename of run B 1.5 s, so that run A, started
// once B's first file is in place, inspects the tree half B's and rewrites only the file that differs then: the one
// interleaving that leaves the tree mixed, every time. Before the read-back both runs said they wrote the tree.
describe('two runs writing the tree at once', () => {
  it.skipIf(!canInject)(
    `the last to rename into it reads the whole tree back, and fails naming the files the other wrote ${canInject ? '' : '[skipped: needs strace]'}`,
    async () => {
      const out = join(privateDir(), 'out');
      const made = (registry: string) => [
        { path: 'a.service.d/claim-port.conf', contents: `claim ${registry}\n` },
        { path: 'health.service', contents: `health ${registry}\n` },
      ];
      writeGeneratedFiles(out, made('A'), LIMIT);
      const script = `const { writeGeneratedFiles } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/files/tree.ts')).href)});
try { writeGeneratedFiles(${JSON.stringify(out)}, ${JSON.stringify(made('B'))}, { maxBytes: 1024 }); console.log('written'); } catch (error) { console.log(error.name, error.message); }`;
      const runB = spawn('strace', straceHolding('rename,renameat,renameat2', 1500, script), {
        cwd: join(import.meta.dirname, '../../../..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let said = '';
      runB.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
      runB.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
      const closed = new Promise((resolve) => runB.once('close', resolve));
      const first = join(out, 'a.service.d/claim-port.conf');
      // B's first rename is done; its second is held.
      expect(await waitUntil(() => readFileSync(first, 'utf8') === 'claim B\n', 20_000)).toBe(true);
      // A sees the first file B's and the second its own: it rewrites the first, and the tree is all A's when it reads it back.
      expect(writeGeneratedFiles(out, made('A'), LIMIT).map((file) => file.wrote)).toEqual([true, false]);
      await closed;
      // B's second rename came last: the tree is part A's, part B's, and B, which made it so, says so.
      expect([readFileSync(first, 'utf8'), readFileSync(join(out, 'health.service'), 'utf8')]).toEqual(['claim A\n', 'health B\n']);
      expect(said).toBe(
        `ConcurrentWriteError ${first}: another run wrote 1 of these 2 files at the same time (${first}); the tree is not known to match what this run wrote: run it again\n`,
      );
      expect(readdirSync(out).sort()).toEqual(['a.service.d', 'health.service']);
    },
    30_000,
  );

  it('ConcurrentWriteError is a FileWriteError naming the first file, with every one (escaped, three shown) and the count', () => {
    const error = new ConcurrentWriteError(['/d/a', '/d/\n', '/d/c', '/d/d'], 7);
    expect(error).toBeInstanceOf(FileWriteError);
    expect(error.path).toBe('/d/a');
    expect(error.others).toEqual(['/d/a', '/d/\n', '/d/c', '/d/d']);
    expect(error.total).toBe(7);
    expect(error.reason).toBe(
      'another run wrote 4 of these 7 files at the same time (/d/a, /d/\\n, /d/c, …); the tree is not known to match what this run wrote: run it again',
    );
  });
});

describe('readFileIfPresent', () => {
  it('follows links, says undefined for nothing there, and refuses a FIFO without blocking', () => {
    const dir = privateDir();
    writeFileSync(join(dir, 'unit'), 'text\n');
    symlinkSync('unit', join(dir, 'alias'));
    expect(readFileIfPresent(join(dir, 'alias'), LIMIT)).toBe('text\n');
    expect(readFileIfPresent(join(dir, 'none'), LIMIT)).toBeUndefined();
    expect(() => readFileIfPresent(fifo(dir), LIMIT)).toThrow(FileReadError);
  });
});

// In a sticky directory anyone may write (/tmp), another account may make the directory's name between this
// tool's look (missing) and its mkdir (EEXIST): the directory is then theirs, and so is everything written
// into it. strace holds each mkdir 300 ms, so the account that waits for the look wins every time here.
const canRace = isRoot && spawnSync('strace', ['-V']).status === 0 && spawnSync('setpriv', ['--version']).status === 0;
const NOBODY = 65534;

describe('a directory another account makes while the tree is written', () => {
  it.skipIf(!canRace)(`is refused, nothing written into it${canRace ? '' : ' [skipped: needs root, strace and setpriv]'}`, async () => {
    const shared = privateDir();
    chmodSync(shared, 0o1777);
    const out = join(shared, 'deploy');
    const maker = spawn(
      'setpriv',
      [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        '--clear-groups',
        '/usr/bin/python3',
        '-c',
        'import os, sys, time\nend = time.time() + 20\nwhile time.time() < end:\n    if os.path.exists(sys.argv[1] + ".go"):\n        os.mkdir(sys.argv[1], 0o777); os.chmod(sys.argv[1], 0o777); print("made", flush=True); sys.exit(0)\n    time.sleep(0.001)\nprint("not told", flush=True)',
        out,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let said = '';
    maker.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
    maker.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const makerDone = new Promise((resolve) => maker.once('close', resolve));
    // The writer tells the maker once it has looked (the name is missing), then its mkdir waits 300 ms.
    const script = `import { writeFileSync } from 'node:fs';
const { writeGeneratedFiles } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/files/tree.ts')).href)});
writeFileSync(${JSON.stringify(`${out}.go`)}, '');
try { writeGeneratedFiles(${JSON.stringify(out)}, [{ path: 'rules/a.yml', contents: 'groups: []\\n' }], { maxBytes: 1024 }); console.log('written'); } catch (error) { console.log(error.message); }`;
    const writer = spawnSync('strace', straceHolding('mkdir,mkdirat', 300, script), {
      cwd: join(import.meta.dirname, '../../../..'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    await makerDone;
    expect(writer.stderr).toBe('');
    expect(said).toBe('made\n'); // the other account made it first: without that this test could not fail
    expect(statSync(out).uid).toBe(NOBODY);
    expect(writer.stdout).toBe(
      `${join(out, 'rules/a.yml')}: ${out} is owned by uid ${NOBODY}, not by root: that account may replace what is written there; remove it (or chown it), or write under a directory only root may add to; nothing was written\n`,
    );
    expect(readdirSync(out)).toEqual([]);
  });
});
