// The directory a write holds from its check to its last step: the walk
// opens each directory relative to the one before, holds it to be the one
// its lstat judged, and names files through the descriptor afterwards.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enter, entryPath, holdDirectory, releaseDirectory, WalkError, walkHeld } from '../../src/files/held-directory.js';
import { isRoot, privateDir } from './special.js';
import { worldReadableBundle } from '../../../../test-support/index.js';

function walkError(walk: () => unknown): WalkError {
  try {
    walk();
  } catch (error) {
    expect(error).toBeInstanceOf(WalkError);
    return error as WalkError;
  }
  throw new Error('the walk went through');
}

describe('holdDirectory', () => {
  it('names files in the directory it checked, after that directory was renamed away and another put at its path', () => {
    const dir = privateDir();
    mkdirSync(join(dir, 'checked'));
    const held = holdDirectory(join(dir, 'checked'));
    try {
      expect(held.fd).toBeTypeOf('number');
      expect(held.path).toBe(join(dir, 'checked'));
      renameSync(join(dir, 'checked'), join(dir, 'moved'));
      mkdirSync(join(dir, 'checked'));
      writeFileSync(entryPath(held, 'x.prom'), 'report\n');
      expect(readFileSync(join(dir, 'moved/x.prom'), 'utf8')).toBe('report\n');
      expect(() => lstatSync(join(dir, 'checked/x.prom'))).toThrow(/ENOENT/);
    } finally {
      releaseDirectory(held);
    }
  });

  it('follows links on the way and at the end, and gives the real path', () => {
    const dir = privateDir();
    mkdirSync(join(dir, 'real/sub'), { recursive: true });
    symlinkSync('real', join(dir, 'link'));
    symlinkSync(join(dir, 'link/sub'), join(dir, 'last'));
    const held = holdDirectory(join(dir, 'last'));
    releaseDirectory(held);
    expect(held.path).toBe(join(dir, 'real/sub'));
    expect(walkHeld(join(dir, 'link/../real/sub/..')).info?.isDirectory()).toBe(true);
  });

  it('says why it cannot: ENOENT, ENOTDIR, ELOOP', () => {
    const dir = privateDir();
    writeFileSync(join(dir, 'file'), '');
    symlinkSync('loop', join(dir, 'loop'));
    expect(walkError(() => holdDirectory(join(dir, 'missing'))).code).toBe('ENOENT');
    expect(walkError(() => walkHeld(join(dir, 'missing/x'))).code).toBe('ENOENT');
    expect(walkError(() => holdDirectory(join(dir, 'file'))).code).toBe('ENOTDIR');
    expect(walkError(() => walkHeld(join(dir, 'file/x'))).code).toBe('ENOTDIR');
    expect(walkError(() => walkHeld(join(dir, 'loop/x'))).code).toBe('ELOOP');
    // A missing last name is no error: the file to be made.
    const walked = walkHeld(join(dir, 'new.prom'));
    releaseDirectory(walked.dir);
    expect([walked.name, walked.info]).toEqual(['new.prom', undefined]);
  });

  it.skipIf(!isRoot)(`never follows a link another user owns, on the way or at the end ${isRoot ? '' : '[skipped: lchown needs root]'}`, () => {
    const dir = privateDir();
    mkdirSync(join(dir, 'target'));
    symlinkSync('target', join(dir, 'theirs'));
    lchownSync(join(dir, 'theirs'), 65534, 65534);
    for (const path of [join(dir, 'theirs'), join(dir, 'theirs/x')]) {
      expect(walkError(() => holdDirectory(path)).untrusted).toEqual({ link: join(dir, 'theirs'), uid: 65534 });
    }
    // A directory another user owns is gone through: who may write it is the callers' judgement.
    chownSync(join(dir, 'target'), 65534, 65534);
    releaseDirectory(holdDirectory(join(dir, 'target')));
  });
});

describe('enter', () => {
  it('holds the directory its lstat judged, or ECHANGED: another directory, or a link, at its name by the open', () => {
    const dir = privateDir();
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    symlinkSync('b', join(dir, 'link'));
    const judgedA = lstatSync(join(dir, 'a'));
    const open = () => holdDirectory(dir);
    releaseDirectory(enter(open(), 'a', judgedA, join(dir, 'a')));
    // The dev and inode checked: b opened where a was judged is refused.
    expect(walkError(() => enter(open(), 'b', judgedA, join(dir, 'b'))).code).toBe('ECHANGED');
    // Never through a link (O_NOFOLLOW), whatever it points to.
    expect(walkError(() => enter(open(), 'link', lstatSync(join(dir, 'b')), join(dir, 'link'))).code).toBe('ECHANGED');
    expect(walkError(() => enter(open(), 'gone', judgedA, join(dir, 'gone'))).code).toBe('ECHANGED');
  });
});

describe('a relative path', () => {
  it('is walked from the current directory as the kernel walks it: `link/..` is the directory above where the link leads', () => {
    const dir = privateDir();
    mkdirSync(join(dir, 'real/sub'), { recursive: true });
    symlinkSync('real/sub', join(dir, 'link'));
    const before = process.cwd();
    process.chdir(dir);
    try {
      const walked = walkHeld('link/../rel.prom');
      try {
        expect(walked.name).toBe('rel.prom');
        expect(walked.dir.path).toBe(join(dir, 'real'));
        writeFileSync(entryPath(walked.dir, 'rel.prom'), 'report\n');
      } finally {
        releaseDirectory(walked.dir);
      }
    } finally {
      process.chdir(before);
    }
    // Where the shell's `>` puts it, never ./rel.prom beside the link.
    expect(readFileSync(join(dir, 'real/rel.prom'), 'utf8')).toBe('report\n');
    expect(() => lstatSync(join(dir, 'rel.prom'))).toThrow(/ENOENT/);
  });

  it('needs no search permission on the directories above the current one (a user in its own directory under a 0700 one)', async (context) => {
    if (!isRoot) return context.skip('running as another user needs root');
    const dir = privateDir();
    mkdirSync(join(dir, 'p/w'), { recursive: true });
    chmodSync(join(dir, 'p'), 0o700);
    chownSync(join(dir, 'p/w'), 65534, 65534);
    const bundle = await worldReadableBundle(new URL('../../src/files/index.ts', import.meta.url).pathname);
    const script = `
      import { writeOutputFile, writeGeneratedFiles } from ${JSON.stringify(bundle)};
      const file = writeOutputFile('x.prom', 'report\\n');
      const tree = writeGeneratedFiles('mon', [{ path: 'a/b.yml', contents: 'rules\\n' }], { maxBytes: 1024 });
      console.log(file, tree[0].wrote);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(dir, 'p/w'),
      uid: 65534,
      gid: 65534,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('atomic true\n');
    expect(readFileSync(join(dir, 'p/w/x.prom'), 'utf8')).toBe('report\n');
    expect(readFileSync(join(dir, 'p/w/mon/a/b.yml'), 'utf8')).toBe('rules\n');
  });
});

describe('without /proc (a chroot, a build container)', () => {
  it('writes by path, as before: a file (through `..`), a tree with the directories it makes', async (context) => {
    if (!isRoot) return context.skip('unmounting /proc in a mount namespace of its own needs root');
    const dir = privateDir();
    mkdirSync(join(dir, 'a'));
    const bundle = await worldReadableBundle(new URL('../../src/files/index.ts', import.meta.url).pathname);
    const script = `
      import { readdirSync } from 'node:fs';
      import { writeOutputFile, writeGeneratedFiles } from ${JSON.stringify(bundle)};
      const proc = readdirSync('/proc').length;
      const file = writeOutputFile(${JSON.stringify(join(dir, 'a/../x.prom'))}, 'report\\n');
      const tree = writeGeneratedFiles(${JSON.stringify(dir)}, [{ path: 'b/c/d.conf', contents: 'drop-in\\n' }], { maxBytes: 1024 });
      console.log(proc, file, tree[0].wrote);`;
    const run = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', 'umount -l /proc && exec "$0" --input-type=module -e "$1"', process.execPath, script],
      {
        encoding: 'utf8',
      },
    );
    if (run.status !== 0 && /unshare|umount/.test(run.stderr)) return context.skip(`no mount namespace here: ${run.stderr.trim()}`);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('0 atomic true\n');
    expect(readFileSync(join(dir, 'x.prom'), 'utf8')).toBe('report\n');
    expect(readFileSync(join(dir, 'b/c/d.conf'), 'utf8')).toBe('drop-in\n');
  });
});
