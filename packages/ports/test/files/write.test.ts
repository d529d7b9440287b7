// The output writer on real files and private special files (never the real
// /dev): what is at the path decides how it is written, and a device,
// symbolic link, FIFO or directory is never replaced by a regular file.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FileWriteError, replaceFileAtomically, writesToStdout, writeOutputFile } from '../../src/files/write.js';
import { aclsWork, device, fifo, grantDefaultAcl, isRoot, NO_ACLS, NOT_ROOT, privateDir, unixSocket } from './special.js';
import { writeGeneratedFiles } from '../../src/files/tree.js';
import { runModuleAsNobody, worldReadableBundle } from '../../../../test-support/index.js';

function refusal(path: string): FileWriteError {
  try {
    writeOutputFile(path, 'report\n');
  } catch (error) {
    expect(error).toBeInstanceOf(FileWriteError);
    return error as FileWriteError;
  }
  throw new Error(`${path} was written`);
}

describe('writeOutputFile', () => {
  it('says a special file system takes no new files, naming it, where it said the directory did not exist (/proc/version: replaced atomically, so never opened for writing)', () => {
    const refused = refusal('/proc/version');
    expect(refused.reason).toBe("its directory is on proc, the kernel's own file system, which makes no files; write elsewhere; nothing was written");
    expect(refusal(join(privateDir(), 'missing/out.prom')).reason).toBe('its directory does not exist; create it first');
  });

  it('says an immutable file (chattr +i) refuses root for its attribute, and never tells root to run as another user', (context) => {
    if (!isRoot) return context.skip('chattr +i needs root (CAP_LINUX_IMMUTABLE)');
    const dir = privateDir();
    const path = join(dir, 'ports.prom');
    writeOutputFile(path, 'one\n');
    const set = spawnSync('chattr', ['+i', path], { encoding: 'utf8' });
    // tmpfs and some other file systems take no attributes: nothing to see there.
    if (set.error !== undefined || set.status !== 0) return context.skip(`chattr +i failed here: ${set.stderr?.trim() || set.error?.message}`);
    try {
      const refused = refusal(path);
      expect(refused.code).toBe('EPERM');
      expect(refused.reason).toMatch(
        /^operation not permitted, even to root: the file or its directory may be immutable or append-only \(lsattr shows i or a\); remove the attribute \(chattr -i, chattr -a\) or write elsewhere/,
      );
      expect(refused.reason).not.toContain('run as a user');
    } finally {
      spawnSync('chattr', ['-i', path]);
    }
  });

  it('creates a missing file, and replaces a regular file atomically keeping its mode, leaving no temp file', () => {
    const dir = privateDir();
    const path = join(dir, 'ports.prom');
    expect(writeOutputFile(path, 'one\n')).toBe('atomic');
    expect(statSync(path).mode & 0o777).toBe(0o644);
    chmodSync(path, 0o640);
    const before = statSync(path).ino;
    expect(writeOutputFile(path, 'two\n')).toBe('atomic');
    expect(readFileSync(path, 'utf8')).toBe('two\n');
    expect(statSync(path).ino).not.toBe(before);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['ports.prom']);
  });

  it('never replaces a program (a #! script or an ELF executable, through a link too): a typo in --output must not wipe out claim-port', () => {
    const dir = privateDir();
    const script = join(dir, 'claim-port');
    writeFileSync(script, '#!/bin/sh\nexec true\n', { mode: 0o755 });
    expect(refusal(script).reason).toBe(
      'it is a program (a script: it starts with #!, mode 0755), not a file this writes; give the path of the file to write (nothing was written)',
    );
    expect(readFileSync(script, 'utf8')).toBe('#!/bin/sh\nexec true\n');
    symlinkSync('claim-port', join(dir, 'link'));
    expect(refusal(join(dir, 'link')).reason).toMatch(/^it is a program \(a script: it starts with #!/);
    const elf = join(dir, 'node_exporter');
    writeFileSync(elf, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(64)]), { mode: 0o700 });
    expect(refusal(elf).reason).toBe(
      'it is a program (an ELF executable, mode 0700), not a file this writes; give the path of the file to write (nothing was written)',
    );
    expect(readdirSync(dir).sort()).toEqual(['claim-port', 'link', 'node_exporter']);
    // A report that starts otherwise is replaced, whatever its mode; so is an empty file.
    const report = join(dir, 'ports.prom');
    writeFileSync(report, '# HELP dsa110_port_up ...\n', { mode: 0o755 });
    expect(writeOutputFile(report, 'new\n')).toBe('atomic');
    writeFileSync(join(dir, 'empty'), '');
    expect(writeOutputFile(join(dir, 'empty'), 'new\n')).toBe('atomic');
  });

  it.skipIf(!isRoot)(
    `never replaces a program its user cannot read (mode 0111): a file with an execute bit is taken for one ${isRoot ? '' : '[skipped: needs root to run as nobody]'}`,
    async () => {
      const dir = privateDir();
      chmodSync(dir, 0o755);
      const shared = join(dir, 'nobody');
      mkdirSync(shared);
      chownSync(shared, 65534, 65534);
      const tool = join(shared, 'tool');
      writeFileSync(tool, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(60)]), { mode: 0o111 });
      chownSync(tool, 65534, 65534);
      chmodSync(tool, 0o111);
      const bundle = await worldReadableBundle(new URL('../../src/files/write.ts', import.meta.url).pathname);
      const script = `import { writeOutputFile } from ${JSON.stringify(bundle)};\ntry { writeOutputFile(${JSON.stringify(tool)}, 'report\\n'); console.log('written'); } catch (error) { console.log(error.reason); }`;
      const run = runModuleAsNobody(script);
      expect(run.stdout).toBe(
        'it is a program (a file with execute permission this user cannot read, mode 0111), not a file this writes; give the path of the file to write (nothing was written)\n',
      );
      expect(readFileSync(tool).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    },
  );

  it('sends `-` to stdout', () => {
    const printed: string[] = [];
    expect(writeOutputFile('-', 'x\n', { stdout: (text) => printed.push(text) })).toBe('stdout');
    expect(printed).toEqual(['x\n']);
  });

  it('keeps a symbolic link, replacing the regular file it points to', () => {
    const dir = privateDir();
    writeFileSync(join(dir, 'real.prom'), 'old\n');
    symlinkSync('real.prom', join(dir, 'link.prom'));
    expect(writeOutputFile(join(dir, 'link.prom'), 'new\n')).toBe('atomic');
    expect(lstatSync(join(dir, 'link.prom')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'link.prom'))).toBe('real.prom');
    expect(readFileSync(join(dir, 'real.prom'), 'utf8')).toBe('new\n');
  });

  it.skipIf(!isRoot)(
    `never follows a symbolic link owned by another user than root or this one, on the path or at its end, in /tmp or anywhere ${isRoot ? '' : '[skipped: lchown needs root]'}`,
    () => {
      const dir = privateDir();
      const shared = join(dir, 'tmp');
      mkdirSync(shared);
      chmodSync(shared, 0o1777); // as /tmp
      // A textfile directory another account owns (not sticky): that account can plant links in it.
      const theirs = join(dir, 'textfiles');
      mkdirSync(theirs);
      chownSync(theirs, 65534, 65534);
      const guarded = join(dir, 'etc');
      mkdirSync(guarded);
      writeFileSync(join(guarded, 'shadow'), 'precious\n');
      const plant = (where: string, target: string, name: string) => {
        symlinkSync(target, join(where, name));
        lchownSync(join(where, name), 65534, 65534); // nobody's link
        return join(where, name);
      };
      for (const where of [shared, theirs]) {
        // At the end (the file it points to would be replaced), and on the way (the file would be made in that directory).
        const atEnd = plant(where, join(guarded, 'shadow'), 'ports.prom');
        const onTheWay = plant(where, guarded, 'dir');
        for (const [path, link] of [
          [atEnd, atEnd],
          [join(onTheWay, 'ports.prom'), onTheWay],
          [`${onTheWay}/../etc/shadow`, onTheWay], // resolved as the kernel does: through the link, then ..
        ] as const) {
          expect(refusal(path).reason).toBe(
            `${link} is a symbolic link owned by uid 65534, not by root: it is not followed, since its owner could point it at any file; remove it, or give the path of the file itself (nothing was written)`,
          );
        }
      }
      expect(readdirSync(guarded)).toEqual(['shadow']);
      expect(readFileSync(join(guarded, 'shadow'), 'utf8')).toBe('precious\n');
      // Root's own links are followed, in /tmp and in the other account's directory alike.
      writeFileSync(join(guarded, 'report.prom'), 'old\n');
      for (const where of [shared, theirs]) {
        symlinkSync(join(guarded, 'report.prom'), join(where, 'mine.prom'));
        expect(writeOutputFile(join(where, 'mine.prom'), `new from ${where}\n`)).toBe('atomic');
        expect(readFileSync(join(guarded, 'report.prom'), 'utf8')).toBe(`new from ${where}\n`);
      }
      // A new file in the other account's directory (no link on the way) is written there.
      expect(writeOutputFile(join(theirs, 'fresh.prom'), 'fresh\n')).toBe('atomic');
      expect(readFileSync(join(theirs, 'fresh.prom'), 'utf8')).toBe('fresh\n');
    },
  );

  it.skipIf(!isRoot)(
    `as another user, follows that user's links and root's, not a third user's ${isRoot ? '' : '[skipped: needs root to switch users]'}`,
    () => {
      const dir = privateDir();
      chmodSync(dir, 0o755);
      const work = join(dir, 'work');
      mkdirSync(work);
      chownSync(work, 65534, 65534);
      writeFileSync(join(work, 'target.prom'), 'old\n');
      chownSync(join(work, 'target.prom'), 65534, 65534);
      symlinkSync(join(work, 'target.prom'), join(work, 'own.prom'));
      lchownSync(join(work, 'own.prom'), 65534, 65534);
      symlinkSync(join(work, 'target.prom'), join(work, 'roots.prom'));
      symlinkSync(join(work, 'target.prom'), join(work, 'third.prom'));
      lchownSync(join(work, 'third.prom'), 1, 1); // daemon's
      // Loaded as root (a checkout may be private to root), then run as nobody: the effective uid is the one that counts.
      const script = `const { writeOutputFile } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/files/write.ts')).href)});
process.setegid(65534);
process.seteuid(65534);
for (const name of ['own.prom', 'roots.prom', 'third.prom']) {
  try { console.log(name, writeOutputFile(${JSON.stringify(work)} + '/' + name, name + '\\n')); } catch (error) { console.log(name, error.reason); }
}`;
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '../..'),
      });
      expect(run.stderr).toBe('');
      expect(run.stdout.trim().split('\n')).toEqual([
        'own.prom atomic',
        'roots.prom atomic',
        `third.prom ${join(work, 'third.prom')} is a symbolic link owned by uid 1, not by root or this user (uid 65534): it is not followed, since its owner could point it at any file; remove it, or give the path of the file itself (nothing was written)`,
      ]);
      expect(readFileSync(join(work, 'target.prom'), 'utf8')).toBe('roots.prom\n');
    },
  );

  it('refuses a dangling symbolic link, a directory and a socket, writing nothing', async () => {
    const dir = privateDir();
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    expect(refusal(join(dir, 'dangling')).reason).toMatch(/^it is a symbolic link to a missing file/);
    mkdirSync(join(dir, 'd'));
    expect(refusal(join(dir, 'd')).reason).toBe('it is a directory; give the path of a file to write (nothing was written)');
    const { path, server } = await unixSocket(dir);
    try {
      expect(refusal(path).reason).toMatch(/^it is a socket;/);
      expect(readdirSync(dir).sort()).toEqual(['d', 'dangling', 'sock']);
    } finally {
      server.close();
    }
  });

  it('names the file that stands where a directory should be (ENOTDIR), a loop of links, and a path ending in "/", writing nothing', () => {
    const dir = privateDir();
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    // Not "its directory does not exist": it does, as a file.
    expect(refusal(join(dir, 'notes.txt/x.prom')).reason).toBe(
      `${join(dir, 'notes.txt')} is a regular file, not a directory; give a path whose directories exist (nothing was written)`,
    );
    expect(refusal(join(dir, 'notes.txt/a/x.prom')).reason).toMatch(/notes\.txt is a regular file, not a directory/);
    symlinkSync('notes.txt/x.prom', join(dir, 'through.prom'));
    expect(refusal(join(dir, 'through.prom')).reason).toMatch(/^it is a symbolic link to a path under a file: .*notes\.txt is a regular file, not a directory/);
    // Not "a symbolic link to a missing file".
    symlinkSync('loop-b', join(dir, 'loop-a'));
    symlinkSync('loop-a', join(dir, 'loop-b'));
    expect(refusal(join(dir, 'loop-a')).reason).toMatch(/^it is a symbolic link in a loop of links \(ELOOP\)/);
    expect(refusal(join(dir, 'loop-a/x.prom')).reason).toMatch(/^its path holds a loop of symbolic links/);
    // `new/` and `notes.txt/` name directories: never written as a file called `new` (nor "its directory does not exist").
    expect(refusal(join(dir, 'new/')).reason).toBe('it ends in "/", so it names a directory; give the path of a file to write (nothing was written)');
    expect(refusal(join(dir, 'notes.txt/')).reason).toBe(
      `${join(dir, 'notes.txt')} is a regular file, not a directory; give the path of the file without the "/" at its end (nothing was written)`,
    );
    expect(refusal(`${dir}/new/.`).reason).toBe('it ends in "/.", so it names a directory; give the path of a file to write (nothing was written)');
    expect(readdirSync(dir).sort()).toEqual(['loop-a', 'loop-b', 'notes.txt', 'through.prom']);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('refuses a FIFO nobody reads at once, and writes in place into one that is read', async () => {
    const dir = privateDir();
    const path = fifo(dir);
    expect(refusal(path).reason).toBe('it is a FIFO (named pipe) that nobody is reading; nothing was written');
    const reader = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let read = '';
    reader.stdout.on('data', (chunk: Buffer) => (read += chunk.toString()));
    const closed = new Promise((resolve) => reader.on('close', resolve));
    // cat opens the FIFO asynchronously: retry until it has.
    for (let tries = 0; ; tries++) {
      try {
        expect(writeOutputFile(path, 'through the pipe\n')).toBe('in-place');
        break;
      } catch (error) {
        if (tries > 200 || !(error instanceof FileWriteError) || error.code !== 'ENXIO') throw error;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    await closed;
    expect(read).toBe('through the pipe\n');
    expect(lstatSync(path).isFIFO()).toBe(true);
  });

  it("writes /dev/stdout and /proc/self/fd/1 to this process's own stdout, never replacing the link", () => {
    const printed: string[] = [];
    const dir = privateDir();
    symlinkSync('/proc/self/fd/1', join(dir, 'stdout')); // a private copy of the /dev/stdout link
    expect(writeOutputFile(join(dir, 'stdout'), 'a\n', { stdout: (text) => printed.push(text) })).toBe('stdout');
    expect(writeOutputFile('/proc/self/fd/1', 'b\n', { stdout: (text) => printed.push(text) })).toBe('stdout');
    expect(printed).toEqual(['a\n', 'b\n']);
    expect(readlinkSync(join(dir, 'stdout'))).toBe('/proc/self/fd/1');
  });

  it('writesToStdout answers for each path as writeOutputFile then writes it: "-" and every link to descriptor 1, not a file or another descriptor', () => {
    const dir = privateDir();
    symlinkSync('/proc/self/fd/1', join(dir, 'stdout'));
    symlinkSync(join(dir, 'stdout'), join(dir, 'again')); // a link to the link
    symlinkSync('/proc/self/fd/2', join(dir, 'stderr'));
    writeFileSync(join(dir, 'report.prom'), 'old\n');
    const stdoutPaths = ['-', '/dev/stdout', '/proc/self/fd/1', '/dev/fd/1', `/proc/${process.pid}/fd/1`, join(dir, 'stdout'), join(dir, 'again')];
    const otherPaths = ['/dev/stderr', '/proc/self/fd/2', join(dir, 'stderr'), join(dir, 'report.prom'), join(dir, 'absent.prom')];
    for (const path of [...stdoutPaths, ...otherPaths]) {
      let method = 'refused';
      try {
        // Descriptor 2 is written to in place: give it nothing to print.
        method = writeOutputFile(path, '', { stdout: () => {} });
      } catch {
        // (a refusal is not stdout either)
      }
      expect(writesToStdout(path), path).toBe(method === 'stdout');
      expect(writesToStdout(path), path).toBe(stdoutPaths.includes(path));
    }
  });

  it("refuses a descriptor past 2 that is no file or device (Node's own epoll, eventfd and pipes: a write crashed or lost the report), and writes one that is", () => {
    const dir = privateDir();
    // This process's descriptors past 2 that are no file nor device: libuv's epoll and eventfd, and pipes (Node's, vitest's).
    const own = readdirSync('/proc/self/fd')
      .map(Number)
      .filter((fd) => fd > 2 && /^(?:anon_inode:|pipe:)/.test(readlinkSyncOr(`/proc/self/fd/${fd}`)));
    expect(own.length).toBeGreaterThan(0);
    for (const fd of own) {
      const refused = refusal(`/proc/self/fd/${fd}`);
      expect(refused.reason, String(fd)).toMatch(
        new RegExp(
          `^descriptor ${fd} is .*: a pipe or socket given as /dev/fd/${fd} .* is not taken, as past descriptor 2 Node holds pipes of its own .*; give a file path`,
        ),
      );
    }
    const fd = openSync(join(dir, 'opened.prom'), 'w');
    try {
      expect(writeOutputFile(`/proc/self/fd/${fd}`, 'by descriptor\n')).toBe('in-place');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(join(dir, 'opened.prom'), 'utf8')).toBe('by descriptor\n');
  });

  it('takes a file name of up to 255 bytes (its temporary file name is shortened), and says EPIPE in words', () => {
    const dir = privateDir();
    const long = join(dir, `${'a'.repeat(245)}.prom`);
    expect(writeOutputFile(long, 'x\n')).toBe('atomic');
    expect(writeOutputFile(long, 'y\n')).toBe('atomic');
    expect(readFileSync(long, 'utf8')).toBe('y\n');
    expect(readdirSync(dir)).toEqual([`${'a'.repeat(245)}.prom`]);
    const multibyte = join(dir, `${'é'.repeat(120)}.prom`); // 245 bytes
    expect(writeOutputFile(multibyte, 'z\n')).toBe('atomic');
  });

  it.skipIf(!isRoot)(`as root, replacing another user's file keeps its owner and group, as it keeps its mode (${isRoot ? 'as root' : NOT_ROOT})`, () => {
    const dir = privateDir();
    const path = join(dir, 'node-exporter.prom');
    writeFileSync(path, 'old\n', { mode: 0o600 });
    chownSync(path, 65534, 65534);
    expect(writeOutputFile(path, 'new\n')).toBe('atomic');
    expect(statSync(path)).toMatchObject({ uid: 65534, gid: 65534 });
    expect(statSync(path).mode & 0o7777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
  });

  it("never keeps write for group or others on a replaced file: made 0644 (read bits and the owner's kept), with one warning line; a private file keeps its mode and says nothing", () => {
    const dir = privateDir();
    const lines: string[] = [];
    const warn = (line: string) => lines.push(line);
    for (const [before, after, was] of [
      [0o666, 0o644, 'writable by its group and others'],
      [0o602, 0o600, 'writable by others'],
      [0o775, 0o755, 'writable by its group'],
      [0o640, 0o640, undefined],
      [0o600, 0o600, undefined],
      [0o755, 0o755, undefined],
    ] as const) {
      const path = join(dir, `${before.toString(8)}.prom`);
      writeFileSync(path, 'old\n');
      chmodSync(path, before);
      lines.length = 0;
      expect(writeOutputFile(path, 'new\n', { warn })).toBe('atomic');
      expect(statSync(path).mode & 0o7777, before.toString(8)).toBe(after);
      expect(readFileSync(path, 'utf8')).toBe('new\n');
      const mode = (n: number) => n.toString(8).padStart(4, '0');
      expect(lines).toEqual(was === undefined ? [] : [`warning: made ${path} ${mode(after)}: it was ${was} (mode ${mode(before)})\n`]);
      // Said once: the next run finds the file as it left it.
      lines.length = 0;
      writeOutputFile(path, 'again\n', { warn });
      expect(lines).toEqual([]);
    }
    // Through a symbolic link: the file it points to is narrowed (and named), the link stays.
    writeFileSync(join(dir, 'real.prom'), 'old\n');
    chmodSync(join(dir, 'real.prom'), 0o666);
    symlinkSync('real.prom', join(dir, 'link.prom'));
    expect(writeOutputFile(join(dir, 'link.prom'), 'new\n', { warn })).toBe('atomic');
    expect(lstatSync(join(dir, 'link.prom')).isSymbolicLink()).toBe(true);
    expect(statSync(join(dir, 'real.prom')).mode & 0o7777).toBe(0o644);
    expect(lines).toEqual([`warning: made ${join(dir, 'real.prom')} 0644: it was writable by its group and others (mode 0666)\n`]);
    expect(() => writeOutputFile(join(dir, 'x.prom'), 'x\n', { warn: 'stderr' as never })).toThrow(
      /^writeOutputFile: options\.warn must be a function or left out, not the string "stderr"$/,
    );
  });

  it('refuses a misspelt option before writing, never falling back to the default mode', () => {
    const dir = privateDir();
    const path = join(dir, 'token');
    expect(() => writeOutputFile(path, 'secret\n', { mdoe: 0o600 } as never)).toThrow(/^writeOutputFile: unknown option "mdoe" \(did you mean "mode"\?\)/);
    expect(existsSync(path)).toBe(false);
    expect(() => writeOutputFile(path, 'x\n', 'stdout' as never)).toThrow(/^writeOutputFile: options must be an object/);
  });

  it('never carries the setuid, setgid or sticky bit over to the replaced file', () => {
    const dir = privateDir();
    const lines: string[] = [];
    const warn = (line: string) => lines.push(line);
    for (const [before, after, was] of [
      [0o4755, 0o755, 'setuid'],
      [0o2750, 0o750, 'setgid'],
      [0o1644, 0o644, 'sticky'],
      [0o7777, 0o755, 'writable by its group and others, setuid, setgid and sticky'],
    ] as const) {
      const path = join(dir, `${before.toString(8)}.prom`);
      writeFileSync(path, 'old\n');
      chmodSync(path, before);
      expect(statSync(path).mode & 0o7777, `chmod ${before.toString(8)}`).toBe(before);
      lines.length = 0;
      expect(writeOutputFile(path, 'new\n', { warn })).toBe('atomic');
      expect(statSync(path).mode & 0o7777, before.toString(8)).toBe(after);
      expect(lines).toEqual([`warning: made ${path} ${after.toString(8).padStart(4, '0')}: it was ${was} (mode ${before.toString(8)})\n`]);
    }
  });

  it('refuses a mode with the setuid, setgid or sticky bit, or write for group or others (a TypeError, nothing written); a mode it takes is the same after a second write', () => {
    const dir = privateDir();
    const path = join(dir, 'ports.prom');
    const bits = 'an integer 0-0o777 (permission bits only: no setuid, setgid or sticky bit), such as 0o644';
    for (const [mode, shown] of [
      [0o7777, '0o7777'],
      [0o6777, '0o6777'],
      [0o4755, '0o4755'],
      [0o1644, '0o1644'],
      [0o10000, '0o10000'],
      [-1, 'number -1'],
      [1.5, 'number 1.5'],
      [Number.NaN, 'number NaN'],
    ] as const) {
      expect(() => writeOutputFile(path, 'x\n', { mode }), shown).toThrow(
        new TypeError(`writeOutputFile: options.mode must be a file mode, ${bits}, not ${shown}`),
      );
      expect(() => replaceFileAtomically(path, 'x\n', mode), shown).toThrow(
        new TypeError(`replaceFileAtomically: mode must be a file mode, ${bits}, not ${shown}`),
      );
    }
    for (const [mode, who] of [
      [0o666, 'its group and others'],
      [0o777, 'its group and others'],
      [0o664, 'its group'],
      [0o646, 'others'],
    ] as const) {
      const octal = `0o${mode.toString(8)}`;
      const tail =
        'change the file, which these writers never leave so (the next write narrows or replaces it); give a mode without group or other write, such as 0o644';
      expect(() => writeOutputFile(path, 'x\n', { mode }), octal).toThrow(new TypeError(`writeOutputFile: options.mode ${octal} lets ${who} ${tail}`));
      expect(() => replaceFileAtomically(path, 'x\n', mode), octal).toThrow(new TypeError(`replaceFileAtomically: mode ${octal} lets ${who} ${tail}`));
    }
    expect(readdirSync(dir)).toEqual([]);
    // Taken: the file is made so, and an identical second write leaves it so, saying nothing.
    const lines: string[] = [];
    for (const mode of [0o600, 0o640, 0o644, 0o755, 0o444, 0o000]) {
      const file = join(dir, `${mode.toString(8)}.prom`);
      for (const _ of [1, 2]) {
        expect(writeOutputFile(file, 'x\n', { mode, warn: (line) => lines.push(line) })).toBe('atomic');
        expect(statSync(file).mode & 0o7777, mode.toString(8)).toBe(mode);
      }
      replaceFileAtomically(file, 'y\n', mode);
      expect(statSync(file).mode & 0o7777, mode.toString(8)).toBe(mode);
    }
    expect(lines).toEqual([]);
  });

  it('says the narrowed mode on standard error when no warn is given, one line', () => {
    const dir = privateDir();
    const path = join(dir, 'ports.prom');
    writeFileSync(path, 'old\n');
    chmodSync(path, 0o666);
    const script = `const { writeOutputFile } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/files/write.ts')).href)});
console.log(writeOutputFile(${JSON.stringify(path)}, 'new\\n'));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '../..'),
    });
    expect(run.stdout).toBe('atomic\n');
    expect(run.stderr).toBe(`warning: made ${path} 0644: it was writable by its group and others (mode 0666)\n`);
    expect(statSync(path).mode & 0o7777).toBe(0o644);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
  });

  it.skipIf(!isRoot)(
    `as root, another user's file writable by others, or a group of others, keeps its owner and group, not the write bits nor setuid (${isRoot ? 'as root' : 'skipped: chown needs root'})`,
    () => {
      const dir = privateDir();
      const lines: string[] = [];
      const warn = (line: string) => lines.push(line);
      for (const [uid, gid, before, after] of [
        [65534, 65534, 0o666, 0o644], // nobody's 0666 textfile: nobody keeps it, nobody else may write it
        [0, 65534, 0o664, 0o644], // root's, with a group of other accounts that could write it
        [65534, 65534, 0o4755, 0o755], // root never writes a setuid file of another account's
        [65534, 65534, 0o600, 0o600], // node_exporter's private textfile: left as it was, readable by it
      ] as const) {
        const path = join(dir, `${uid}-${before.toString(8)}.prom`);
        writeFileSync(path, 'old\n');
        chownSync(path, uid, gid);
        chmodSync(path, before);
        lines.length = 0;
        expect(writeOutputFile(path, 'new\n', { warn })).toBe('atomic');
        const info = statSync(path);
        expect({ uid: info.uid, gid: info.gid, mode: info.mode & 0o7777 }, path).toEqual({ uid, gid, mode: after });
        expect(lines).toHaveLength(before === after ? 0 : 1);
      }
    },
  );

  it.skipIf(!isRoot)(`writes a private copy of /dev/null in place: it stays a character device (${isRoot ? 'as root' : NOT_ROOT})`, () => {
    const dir = privateDir();
    const path = device(dir, 'null', 'c', 1, 3);
    expect(writeOutputFile(path, 'report\n')).toBe('in-place');
    const after = lstatSync(path);
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.rdev).toBe(statSync('/dev/null').rdev);
    expect(readdirSync(dir)).toEqual(['null']);
  });

  it.skipIf(!isRoot)(
    `says in words that a device has nothing behind it (ENXIO: no driver, or /dev/tty without a terminal) (${isRoot ? 'as root' : NOT_ROOT})`,
    () => {
      // A character major in the local range that no driver has taken on this machine.
      const used = new Set([...readFileSync('/proc/devices', 'utf8').matchAll(/^\s*(\d+) /gm)].map((match) => Number(match[1])));
      const major = [240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254].find((n) => !used.has(n));
      if (major === undefined) return;
      const path = device(privateDir(), 'nothing', 'c', major, 77);
      const refused = refusal(path);
      expect(refused.reason).toBe('no device behind it (a terminal this process does not have, or a device not present)');
      expect(refused.code).toBe('ENXIO');
      expect(lstatSync(path).isCharacterDevice()).toBe(true);
    },
  );

  it.skipIf(!isRoot)(`refuses a private block device node without opening it (${isRoot ? 'as root' : NOT_ROOT})`, () => {
    const dir = privateDir();
    const path = device(dir, 'ram0', 'b', 1, 0);
    expect(refusal(path).reason).toBe('it is a block device; give the path of a file to write (nothing was written)');
    expect(lstatSync(path).isBlockDevice()).toBe(true);
  });
});

function readlinkSyncOr(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '/';
  }
}

describe('a default POSIX ACL on the directory written into', () => {
  // The files and directories root makes there start with it (user:65534:rwx), masked by the mode they are made with,
  // which has no group write: nobody may read them, never change them. A guard: the writers' modes keep it so.
  it.skipIf(!isRoot || !aclsWork)(
    `lets the user it names no write to root's new files and directories${isRoot && aclsWork ? '' : ` (${isRoot ? NO_ACLS : NOT_ROOT})`}`,
    () => {
      const dir = privateDir();
      chmodSync(dir, 0o755);
      const shared = join(dir, 'shared');
      mkdirSync(shared, { mode: 0o755 });
      expect(grantDefaultAcl(shared)).toBe(true);
      writeOutputFile(join(shared, 'report.prom'), 'report\n');
      writeGeneratedFiles('', [{ path: join(shared, 'made/claim-port.conf'), contents: 'drop-in\n' }], { maxBytes: 1024 });
      const canWrite = (path: string) =>
        spawnSync('/usr/bin/python3', ['-c', 'import os,sys; sys.exit(0 if os.access(sys.argv[1], os.W_OK) else 1)', path], { uid: 65534, gid: 65534 }).status;
      for (const path of ['report.prom', 'made', 'made/claim-port.conf']) expect([path, canWrite(join(shared, path))]).toEqual([path, 1]);
      // The ACL is in force: a file made with group write (0664) there is the named user's to change. And the directory
      // itself is not (its access ACL is the mode, 0755).
      writeFileSync(join(shared, 'group-writable'), '', { mode: 0o664 });
      expect(canWrite(join(shared, 'group-writable'))).toBe(0);
      expect(canWrite(shared)).toBe(1);
    },
  );
});
