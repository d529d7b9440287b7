// The directories a generated tree is written through (`ports systemd`,
// `ports monitoring`), on real directories: every one up to /, through links
// too, and which of them count for a new entry or only for a replaced one.
import { chmodSync, lchownSync, mkdirSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  directoryExposure,
  directoryFix,
  exposedDirectories,
  guardedDirectories,
  narrowDirectories,
  narrowDirectory,
  refuseForeignDirectories,
  replacedSinceJudged,
  unreadableDirectory,
} from '../../src/files/directories.js';
import { FileWriteError } from '../../src/files/write.js';
import { aclsWork, grantAcl, grantDefaultAcl, hasGetfacl, isRoot, NO_ACLS, privateDir } from './special.js';

/** Each directory up to / above `dir` (absolute), nearest first. */
function ancestors(dir: string): string[] {
  const found: string[] = [];
  for (let current = dirname(dir); ; current = dirname(current)) {
    found.push(current);
    if (dirname(current) === current) return found;
  }
}

describe('guardedDirectories', () => {
  it('every directory from each file up to /, once; those holding a file count for new entries too', () => {
    const base = privateDir();
    const files = [join(base, 'units/a.service.d/claim-port.conf'), join(base, 'units/health.timer')];
    const guarded = guardedDirectories(files);
    expect(guarded.map((dir) => dir.path)).toEqual([join(base, 'units/a.service.d'), join(base, 'units'), base, ...ancestors(base)]);
    expect(guarded.filter((dir) => dir.holdsFiles).map((dir) => dir.path)).toEqual([join(base, 'units/a.service.d'), join(base, 'units')]);
    expect(guarded.find((dir) => dir.path === base)).toMatchObject({ below: join(base, 'units'), file: files[0] });
  });

  it('keeps a relative path as given as far as it goes, then goes on from the current directory', () => {
    const previous = process.cwd();
    const base = privateDir();
    process.chdir(base);
    try {
      expect(guardedDirectories(['deploy/prometheus/prometheus.yml']).map((dir) => dir.path)).toEqual([
        'deploy/prometheus',
        'deploy',
        process.cwd(),
        ...ancestors(process.cwd()),
      ]);
    } finally {
      process.chdir(previous);
    }
  });

  it('follows links: the directories above the real one count too (/etc/systemd/system -> /srv/units)', () => {
    const base = privateDir();
    mkdirSync(join(base, 'srv/units'), { recursive: true });
    mkdirSync(join(base, 'etc'));
    symlinkSync(join(base, 'srv/units'), join(base, 'etc/system'));
    const file = join(base, 'etc/system/health.timer');
    writeFileSync(join(base, 'srv/units/health.timer'), '');
    chmodSync(join(base, 'srv'), 0o777);
    const exposed = exposedDirectories(guardedDirectories([file]));
    expect(exposed.map(({ dir, found }) => [dir.path, dir.below, found.exposure])).toEqual([
      [join(base, 'srv'), join(base, 'srv/units'), 'writable by others (mode 0777)'],
    ]);
  });

  it('names a directory reached through a link once, by its real path: not the link as well, as if the link were it', () => {
    const base = privateDir();
    mkdirSync(join(base, 'real'));
    chmodSync(join(base, 'real'), 0o777);
    symlinkSync('real', join(base, 'link'));
    const previous = process.cwd();
    process.chdir(base);
    try {
      for (const file of [join(base, 'link/fw.nft'), 'link/fw.nft']) {
        const exposed = exposedDirectories(guardedDirectories([file]));
        expect(exposed.map(({ dir, found }) => [dir.path, dir.holdsFiles, found.exposure])).toEqual([
          [join(base, 'real'), true, 'writable by others (mode 0777)'],
        ]);
      }
    } finally {
      process.chdir(previous);
    }
  });

  it.skipIf(!isRoot)(
    `refuses a write through root's link to another user's directory naming that directory once ${isRoot ? '' : '[skipped: chown needs root]'}`,
    () => {
      const base = privateDir();
      mkdirSync(join(base, 'nob'));
      lchownSync(join(base, 'nob'), 65534, 65534);
      symlinkSync('nob', join(base, 'lnob'));
      const exposed = exposedDirectories(guardedDirectories([join(base, 'lnob/fw.nft')]));
      expect(() => refuseForeignDirectories(exposed, () => 'replace the file')).toThrow(
        new FileWriteError(
          join(base, 'lnob/fw.nft'),
          `${join(base, 'nob')} is owned by uid 65534, not by root: its owner may replace the file; \`chown root:root ${join(base, 'nob')}\` (or remove it) first; nothing was written`,
        ),
      );
    },
  );

  it("a sticky directory counts only where it holds a file: above one, only an entry's owner may rename it", () => {
    const base = privateDir();
    mkdirSync(join(base, 'tmp/units'), { recursive: true });
    chmodSync(join(base, 'tmp'), 0o1777);
    expect(exposedDirectories(guardedDirectories([join(base, 'tmp/units/health.timer')]))).toEqual([]);
    expect(exposedDirectories(guardedDirectories([join(base, 'tmp/health.timer')])).map(({ dir }) => dir.path)).toEqual([join(base, 'tmp')]);
  });
});

describe('a POSIX ACL', () => {
  // With an ACL the group bits are its mask: root:root, user:1234:rwx shows 0775, as if only root's group could write.
  it.skipIf(!aclsWork)(
    `counts a directory whose group bits are an ACL mask that lets a user write, even in root's group${aclsWork ? '' : ` (${NO_ACLS})`}`,
    () => {
      const base = privateDir();
      mkdirSync(join(base, 'units/a.service.d'), { recursive: true });
      const file = join(base, 'units/a.service.d/claim-port.conf');
      // No ACL: 0775 in root's (or, as a user, this user's own) group lets no one else in.
      chmodSync(join(base, 'units'), 0o775);
      chmodSync(join(base, 'units/a.service.d'), 0o775);
      expect(exposedDirectories(guardedDirectories([file]))).toEqual([]);
      expect(grantAcl(join(base, 'units'), join(base, 'units/a.service.d'))).toBe(true);
      const exposure = "writable by the users and groups its POSIX ACL names (mode 0775: its group bits are the ACL's mask, rwx)";
      const exposed = exposedDirectories(guardedDirectories([file]));
      expect(exposed.map(({ dir, found }) => [dir.path, found.exposure, found.acl, found.narrowed])).toEqual([
        [join(base, 'units/a.service.d'), exposure, true, 0o755],
        [join(base, 'units'), exposure, true, 0o755],
      ]);
      expect(directoryExposure(join(base, 'units'))).toEqual(exposed[1]!.found);
      // Another user's copy of it (chmod go-w is theirs to run): both ways out, with the path escaped.
      const odd = join(base, 'units/new\nline');
      mkdirSync(odd, { mode: 0o775 });
      chmodSync(odd, 0o775);
      grantAcl(odd);
      const found = directoryExposure(odd)!;
      expect(directoryFix({ dir: { path: odd, holdsFiles: true, file: join(odd, 'x') }, found: { ...found, narrowed: undefined } }, ' first')).toBe(
        `\`setfacl -b ${base}/units/new\\nline\` (removes the ACL) or \`chmod go-w ${base}/units/new\\nline\` (narrows its mask) as its owner first`,
      );
      // chmod go-w narrows the mask: the user it names may no longer write, and the directory is not counted again.
      expect(narrowDirectories(exposed)).toEqual(exposed.map(({ dir }) => `made ${dir.path} 0755: it was ${exposure}`));
      expect(exposedDirectories(guardedDirectories([file]))).toEqual([]);
    },
  );
});

describe('a default POSIX ACL alone', () => {
  // `setfacl -d -m u:nobody:rwx DIR`: ls marks DIR `+`, yet the kernel lets nobody in by its access ACL, the plain mode.
  it.skipIf(!aclsWork || !hasGetfacl)(
    `does not count: it is what files made in the directory later start with, not who may write it${aclsWork && hasGetfacl ? '' : ` (${NO_ACLS}, or no getfacl)`}`,
    () => {
      const base = privateDir();
      mkdirSync(join(base, 'units'), { mode: 0o775 });
      chmodSync(join(base, 'units'), 0o775);
      expect(grantDefaultAcl(join(base, 'units'))).toBe(true);
      expect(exposedDirectories(guardedDirectories([join(base, 'units/a.conf')]))).toEqual([]);
      expect(directoryExposure(join(base, 'units'))).toBeUndefined();
      // With an access ACL as well, the users it names may write: counted.
      expect(grantAcl(join(base, 'units'))).toBe(true);
      expect(directoryExposure(join(base, 'units'))?.acl).toBe(true);
    },
  );
});

describe('unreadableDirectory', () => {
  it('says why a path cannot be looked in, once; nothing for a directory, or for nothing there', () => {
    const base = privateDir();
    writeFileSync(join(base, 'file'), '');
    symlinkSync('loop', join(base, 'loop'));
    expect(unreadableDirectory(base)).toBeUndefined();
    expect(unreadableDirectory(join(base, 'missing'))).toBeUndefined();
    expect(unreadableDirectory(join(base, 'file'))).toBe('it is a regular file, not a directory; give a directory');
    expect(unreadableDirectory(join(base, 'file/below'))).toBe('a part of its path is not a directory; give a directory');
    expect(unreadableDirectory(join(base, 'loop'))).toBe('its path holds a loop of symbolic links; give the real directory');
  });
});

describe('narrowDirectory', () => {
  it.skipIf(!isRoot)(
    `never chmods through a link another account swapped in for the directory after it was judged ${isRoot ? '' : '[skipped: lchown needs root]'}`,
    () => {
      const dir = privateDir();
      mkdirSync(join(dir, 'system'), { mode: 0o775 });
      chmodSync(join(dir, 'system'), 0o775);
      mkdirSync(join(dir, 'private'), { mode: 0o700 });
      // Judged (its stat; narrowed to 0755); then the group that may write `dir` puts its link in its place.
      const judged = statSync(join(dir, 'system'));
      renameSync(join(dir, 'system'), join(dir, 'away'));
      symlinkSync(join(dir, 'private'), join(dir, 'system'));
      lchownSync(join(dir, 'system'), 65534, 65534);
      expect(() => narrowDirectory(join(dir, 'system'), 0o755, judged)).toThrow(FileWriteError);
      expect(statSync(join(dir, 'private')).mode & 0o777).toBe(0o700);
      // The directory itself is narrowed, through a link of root's too.
      symlinkSync('away', join(dir, 'mine'));
      narrowDirectory(join(dir, 'mine'), 0o755, judged);
      expect(statSync(join(dir, 'away')).mode & 0o777).toBe(0o755);
    },
  );

  it('never chmods another directory put in the place of the one judged: a 0700 one is not opened to every reader', () => {
    const dir = privateDir();
    mkdirSync(join(dir, 'system'), { mode: 0o775 });
    chmodSync(join(dir, 'system'), 0o777);
    mkdirSync(join(dir, 'private'), { mode: 0o700 });
    chmodSync(join(dir, 'private'), 0o700);
    const exposed = exposedDirectories(guardedDirectories([join(dir, 'system/a.conf')]));
    expect(exposed.map(({ dir, found }) => [dir.path, found.narrowed])).toEqual([[join(dir, 'system'), 0o755]]);
    // Between the judgement and the chmod, whoever may write `dir` moves the judged directory away and another in.
    renameSync(join(dir, 'system'), join(dir, 'away'));
    renameSync(join(dir, 'private'), join(dir, 'system'));
    expect(() => narrowDirectories(exposed)).toThrow(new FileWriteError(join(dir, 'system'), replacedSinceJudged(), 'ECHANGED'));
    expect(statSync(join(dir, 'system')).mode & 0o7777).toBe(0o700);
    expect(statSync(join(dir, 'away')).mode & 0o7777).toBe(0o777);
  });
});
