// `ports docs` when the page cannot be read: one line saying what, where and what to do, in-process through main()
// (as another user, the built bin), never an internal error from the look for the checkout's registry.
import { spawnSync } from 'node:child_process';
import { chmodSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { portsAsNobody, checkout, markCheckout, committedDocs, expectNoStack, ports, replaceOnce, rootRegistry, tempDir } from '../helpers.js';

/** `ports docs ARGS` in `cwd`, without and with `--registry ports.yaml` (the checkout's own): both runs. */
async function withAndWithoutRegistry(args: readonly string[], cwd: string) {
  const bare = await ports(['docs', ...args], { cwd });
  const named = await ports(['--registry', 'ports.yaml', 'docs', ...args], { cwd });
  expectNoStack(bare.stderr);
  return { bare, named };
}

describe('ports docs: a page on a path that cannot be examined', () => {
  it('a part of --file that is a regular file (ENOTDIR) is the same one line with or without --registry, --check alike', async () => {
    const dir = checkout(rootRegistry);
    writeFileSync(join(dir, 'afile'), 'not a directory\n');
    for (const check of [[], ['--check']]) {
      const { bare, named } = await withAndWithoutRegistry([...check, '--file', 'afile/ports.md'], dir);
      expect(bare).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'ports docs: cannot read afile/ports.md: afile is a regular file, not a directory; check the path: --file names the page, a file that holds the marked sections\n',
      });
      expect(named).toEqual(bare);
    }
  });

  it('a --file that names a directory (docs/ports.md/, new/): the line every writer gives, never "copy the page to new/ first"', async () => {
    const dir = checkout(rootRegistry, committedDocs);
    const reasons: Record<string, string> = {
      'docs/ports.md/': 'docs/ports.md is a regular file, not a directory; give the path of the file without the "/" at its end',
      'docs/ports.md/.': 'docs/ports.md is a regular file, not a directory; give the path of the file without the "/." at its end',
      'new/': 'it ends in "/", so it names a directory; give the path of a file to write',
      'docs/': 'it is a directory; give the path of a file to write',
    };
    for (const [file, reason] of Object.entries(reasons)) {
      for (const check of [[], ['--check']]) {
        const { bare, named } = await withAndWithoutRegistry([...check, '--file', file], dir);
        expect(bare, file).toEqual({ code: 1, stdout: '', stderr: `ports docs: cannot read ${file}: ${reason}\n` });
        expect(named).toEqual(bare);
      }
    }
  });

  it('bare `ports docs --check` where docs is a regular file: the clean line, not an internal error', async () => {
    const dir = checkout(rootRegistry);
    writeFileSync(join(dir, 'docs'), 'not a directory\n');
    const { bare, named } = await withAndWithoutRegistry(['--check'], dir);
    expect(bare).toEqual({
      code: 1,
      stdout: '',
      stderr: 'ports docs: cannot read docs/ports.md: docs is a regular file, not a directory; run from the repository root or pass --file PATH\n',
    });
    expect(named).toEqual(bare);
  });

  it('a --file path longer than PATH_MAX (ENAMETOOLONG), and one through a symbolic link loop (ELOOP): one line each', async () => {
    const dir = checkout(rootRegistry);
    symlinkSync('loop', join(dir, 'loop'));
    const long = `${Array.from({ length: 20 }, () => 'd'.repeat(250)).join('/')}/ports.md`;
    for (const [file, reason] of [
      [long, 'the path is too long (a name over 255 bytes, or over 4095 in all); check the path'],
      ['loop/ports.md', 'too many levels of symbolic links; check the path'],
    ] as const) {
      const { bare, named } = await withAndWithoutRegistry(['--check', '--file', file], dir);
      expect(bare.code).toBe(1);
      expect(bare.stdout).toBe('');
      expect(bare.stderr).toMatch(/^ports docs: cannot read \S+: /);
      expect(bare.stderr.endsWith(`: ${reason}\n`)).toBe(true);
      expect(bare.stderr.split('\n')).toHaveLength(2);
      expect(named).toEqual(bare);
    }
  });

  it.skipIf(process.getuid?.() !== 0)(
    'as another user (nobody), a page under a directory it may not search (EACCES on its .git): one line, what to do, as with --registry (built bin)',
    () => {
      const dir = markCheckout(tempDir());
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, 'ports.yaml'), rootRegistry);
      mkdirSync(join(dir, 'locked'), { mode: 0o700 });
      writeFileSync(join(dir, 'locked/ports.md'), committedDocs);
      // The built bin, copied where nobody may read it (the checkout may be a clone in a 0700 mktemp -d).
      const asNobody = (args: readonly string[]) => portsAsNobody(dir, args);
      const bare = asNobody(['docs', '--check', '--file', 'locked/ports.md']);
      expect(bare).toEqual({
        code: 1,
        stdout: '',
        stderr: 'ports docs: cannot read locked/ports.md: permission denied; run as a user who can read it\n',
      });
      expect(asNobody(['--registry', 'ports.yaml', 'docs', '--check', '--file', 'locked/ports.md'])).toEqual(bare);
    },
  );
});

describe('ports docs: a page that cannot be read says what to do', () => {
  it('a --file that does not exist: the command fills an existing page and makes none; pass it, or copy the reference page there first', async () => {
    const dir = checkout(rootRegistry);
    const run = await ports(['docs', '--file', 'new.md'], { cwd: dir });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "ports docs: cannot read new.md: no such file; ports docs fills in the marked sections of an existing page and creates none: pass --file that page (the repository's docs/ports.md), or copy it to new.md first\n",
    });
  });

  it('a page over 4 MiB: check that --file names the reference page, or, if it is that page, what grew it', async () => {
    const dir = checkout(rootRegistry);
    const big = `${committedDocs}${'x'.repeat(4 * 1024 * 1024)}\n`;
    writeFileSync(join(dir, 'big.md'), big);
    expect(await ports(['docs', '--file', 'big.md'], { cwd: dir })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "ports docs: cannot read big.md: it is larger than 4 MiB; check the path: --file names the reference page (the repository's docs/ports.md, tens of kB), or, if this is it, move hand-written prose out of it to a page of its own\n",
    });
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs/ports.md'), big);
    expect(await ports(['docs', '--check'], { cwd: dir })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ports docs: cannot read docs/ports.md: it is larger than 4 MiB; the reference page is tens of kB: see what grew it (git diff docs/ports.md), or move hand-written prose out of it to a page of its own\n',
    });
  });

  it('a FIFO, and a directory, named by --file: pass the page itself, a regular file', async () => {
    const dir = checkout(rootRegistry);
    const fifo = spawnSync('mkfifo', [join(dir, 'ff.md')]);
    expect(fifo.status).toBe(0);
    mkdirSync(join(dir, 'pages'));
    const fix = 'pass --file the page itself, a regular file (ports docs reads it and rewrites its marked sections in place)';
    expect(await ports(['docs', '--file', 'ff.md'], { cwd: dir })).toEqual({
      code: 1,
      stdout: '',
      stderr: `ports docs: cannot read ff.md: it is a FIFO (named pipe), not a regular file; ${fix}\n`,
    });
    expect(await ports(['docs', '--check', '--file', 'pages'], { cwd: dir })).toEqual({
      code: 1,
      stdout: '',
      stderr: `ports docs: cannot read pages: it is a directory, not a regular file; ${fix}\n`,
    });
  });
});

// As root, --check quoted the page's lines in its diff: through a link another user owns, a root-only file's (the
// link's owner chose it). Refused as the registry's reader and the write refuse it; root's own links still followed.
describe.skipIf(process.geteuid?.() !== 0)('ports docs --check as root: a link another user owns', () => {
  const NOBODY = 65534;

  /** A checkout, and beside it a root-only directory holding a root-only copy of the page with a secret row. */
  function secretPage(): { dir: string; hidden: string } {
    const dir = checkout(rootRegistry, committedDocs);
    const hidden = tempDir();
    chmodSync(hidden, 0o700);
    writeFileSync(join(hidden, 'secret.md'), replaceOnce(committedDocs, '| 80   | Nginx ', '| SECRET=hunter2 |\n| 80   | Nginx '), { mode: 0o600 });
    return { dir, hidden };
  }

  it('the page a link of uid 65534, or under a directory link of it: one line naming the link, the target never quoted', async () => {
    const { dir, hidden } = secretPage();
    symlinkSync(join(hidden, 'secret.md'), join(dir, 'docs/s.md'));
    lchownSync(join(dir, 'docs/s.md'), NOBODY, NOBODY);
    symlinkSync(hidden, join(dir, 'udocs'));
    lchownSync(join(dir, 'udocs'), NOBODY, NOBODY);
    for (const [file, link] of [
      ['docs/s.md', join(dir, 'docs/s.md')],
      ['udocs/secret.md', join(dir, 'udocs')],
    ]) {
      for (const check of [['--check'], []]) {
        const run = await ports(['--registry', 'ports.yaml', 'docs', '--file', file!, ...check], { cwd: dir });
        expect(run, file).toEqual({
          code: 1,
          stdout: '',
          stderr: `ports docs: cannot read ${file}: ${link} is a symbolic link owned by uid ${NOBODY}, not by root, and root does not follow another user's link (it could point root at any file); give the path of the file itself, or make the link root's (chown -h root:root ${link})\n`,
        });
      }
    }
    // Root's own link is followed, as before: the diff shows the page it names.
    lchownSync(join(dir, 'docs/s.md'), 0, 0);
    const own = await ports(['--registry', 'ports.yaml', 'docs', '--file', 'docs/s.md', '--check'], { cwd: dir });
    expect(own.code).toBe(1);
    expect(own.stdout).toContain('-| SECRET=hunter2 |');
  });
});
