// registryWritablePart and its words: which part of a registry root's
// claim-port reads someone besides root may change, judged on real files and
// directories chowned to uid 65534 (the rule of cache.ts's rootOnlyFaults).
import { chmodSync, chownSync, lchownSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test-support/tree.js';
import { registryWritablePart, registryWritableProblem, rootWritablePart, rootWritableProblem } from '../../src/systemd/index.js';
import { aclsWork, grantAcl, NO_ACLS } from '../files/special.js';

const asRoot = process.geteuid?.() === 0;
const NOBODY = 65534;

/** A root-owned 0755 directory `dir/etc` holding a root-owned 0644 ports.yaml. */
function tree(): { etc: string; file: string } {
  const etc = join(tempDir('dsa110-writable-'), 'etc');
  mkdirSync(etc, { mode: 0o755 });
  const file = join(etc, 'ports.yaml');
  writeFileSync(file, 'version: 1\n', { mode: 0o644 });
  return { etc, file };
}

describe.skipIf(!asRoot)('registryWritablePart', () => {
  it("root's file in root's directories (sticky /tmp further up): nothing", () => {
    expect(registryWritablePart('/', tree().file)).toBeUndefined();
  });

  it("the file writable by every user, its directory a user's: the file first, in the words and fix of a file", () => {
    const { etc, file } = tree();
    chmodSync(file, 0o666);
    chownSync(etc, NOBODY, NOBODY);
    const fault = registryWritablePart('/', file);
    expect(fault).toEqual({ path: file, why: 'is writable by every user (mode 0666)', kind: 'file' });
    expect(registryWritableProblem(file, fault!)).toBe(
      `the registry ${file} is writable by every user (mode 0666): root's claim-port reads it (ExecStartPre=+), so whoever may change it decides which processes root signals (claim.protect) and which port a service id frees; make it root's and writable only by root (chown root:root ${file}; chmod go-w ${file})`,
    );
  });

  it("group-writable by a group not root's, and the directory holding it sticky and world-writable: each said", () => {
    const { etc, file } = tree();
    chownSync(file, 0, NOBODY);
    chmodSync(file, 0o664);
    expect(registryWritablePart('/', file)).toEqual({ path: file, why: `is writable by its group (gid ${NOBODY}, mode 0664)`, kind: 'file' });
    chmodSync(file, 0o644);
    chmodSync(etc, 0o1777);
    // Sticky keeps others from replacing the file, not from putting one there while it is missing.
    expect(registryWritablePart('/', file)).toEqual({ path: etc, why: 'is writable by every user (mode 1777)', kind: 'directory', sticky: true });
    // Missing: its directory still counts (anyone may put it there); a directory at the path is no registry: nothing.
    rmSync(file);
    expect(registryWritablePart('/', file)).toEqual({ path: etc, why: 'is writable by every user (mode 1777)', kind: 'directory', sticky: true });
    mkdirSync(file);
    expect(registryWritablePart('/', file)).toBeUndefined();
  });

  it('a directory on the way: made root-only where it is no shared one; /tmp (/var/tmp, /dev/shm) is never told to chmod go-w, the registry moves', () => {
    const { etc, file } = tree();
    chmodSync(etc, 0o777);
    const open = registryWritablePart('/', file)!;
    expect(open).toEqual({ path: etc, why: 'is writable by every user (mode 0777)', kind: 'directory' });
    expect(registryWritableProblem(file, open)).toMatch(
      new RegExp(
        `; keep the registry in a directory only root may change \\(/etc/dsa110/ports\\.yaml\\), or make this one so \\(chown root:root ${etc}; chmod go-w ${etc}\\)$`,
      ),
    );
    // Sticky elsewhere: shared on purpose or by mistake, which the mode cannot tell; both ways out, the move first.
    chmodSync(etc, 0o1777);
    const sticky = registryWritablePart('/', file)!;
    expect(registryWritableProblem(file, sticky)).toMatch(
      new RegExp(
        `; keep the registry in a directory only root may change \\(/etc/dsa110/ports\\.yaml\\), or, if ${etc} is not meant to be shared \\(it is sticky, as /tmp is\\), make it root's \\(chown root:root ${etc}; chmod go-w ${etc}\\)$`,
      ),
    );
    // /tmp itself (a staged tree's): only the move.
    const root = join(etc, '..');
    for (const shared of ['tmp', 'var/tmp', 'dev/shm']) {
      mkdirSync(join(root, shared), { recursive: true });
      chmodSync(join(root, shared), 0o1777);
      writeFileSync(join(root, shared, 'ports.yaml'), 'version: 1\n', { mode: 0o644 });
      const fault = registryWritablePart(root, `/${shared}/ports.yaml`)!;
      expect(fault).toEqual({ path: `/${shared}`, why: 'is writable by every user (mode 1777)', kind: 'directory', sticky: true });
      expect(registryWritableProblem(`/${shared}/ports.yaml`, fault)).toBe(
        `/${shared} (on the way to the registry /${shared}/ports.yaml) is writable by every user (mode 1777): root's claim-port reads it (ExecStartPre=+), so whoever may change it decides which processes root signals (claim.protect) and which port a service id frees; keep the registry in a directory only root may change (/etc/dsa110/ports.yaml), and leave /${shared} as it is (every user shares it, sticky, on purpose: chmod go-w would break their files)`,
      );
    }
    // The same for a program root runs that /tmp holds: installed elsewhere.
    writeFileSync(join(root, 'tmp/program'), '#!/bin/sh\n', { mode: 0o755 });
    const part = rootWritablePart(root, '/tmp/program')!;
    expect(part).toEqual({ path: '/tmp', why: 'is writable by every user (mode 1777)', file: '/tmp/program', sticky: true });
    expect(rootWritableProblem(part)).toMatch(
      /; install it in a directory only root may change \(\/usr\/local\), and leave \/tmp as it is \(every user shares it, sticky, on purpose: chmod go-w would break their files\)$/,
    );
    expect(() => registryWritableProblem(file, { ...sticky, sticky: 'yes' } as never)).toThrow(
      'registryWritableProblem: fault.sticky must be true, false or left out, as registryWritablePart gives it, not the string "yes"',
    );
  });

  it('a link another user owns comes before any other part, under a --root tree too', () => {
    const { etc, file } = tree();
    chmodSync(file, 0o666);
    symlinkSync('ports.yaml', join(etc, 'link.yaml'));
    lchownSync(join(etc, 'link.yaml'), NOBODY, NOBODY);
    expect(registryWritablePart('/', join(etc, 'link.yaml'))).toMatchObject({ path: join(etc, 'link.yaml'), kind: 'link' });
    const root = join(etc, '..');
    expect(registryWritablePart(root, '/etc/link.yaml')).toEqual({
      path: '/etc/link.yaml',
      why: `is a symbolic link owned by uid ${NOBODY}, not by root`,
      kind: 'link',
    });
  });

  it.skipIf(!aclsWork)(
    `root's group with the group-write bit: nothing without a POSIX ACL; with one that lets uid 1234 write, the file or the directory is named by it, with both fixes${aclsWork ? '' : ` (${NO_ACLS})`}`,
    () => {
      const { etc, file } = tree();
      chmodSync(file, 0o664);
      chmodSync(etc, 0o775);
      expect(registryWritablePart('/', file)).toBeUndefined();
      expect(grantAcl(file)).toBe(true);
      const fault = registryWritablePart('/', file);
      expect(fault).toEqual({
        path: file,
        why: `is writable by the users and groups its POSIX ACL names (mode 0775: its group bits are the ACL's mask, rwx; \`setfacl -b ${file}\` removes the ACL, \`chmod g-w ${file}\` masks it)`,
        kind: 'file',
      });
      expect(registryWritableProblem(file, fault!)).toBe(
        `the registry ${file} ${fault!.why}: root's claim-port reads it (ExecStartPre=+), so whoever may change it decides which processes root signals (claim.protect) and which port a service id frees; make it root's and writable only by root (chown root:root ${file}; chmod go-w ${file})`,
      );
      // The file without it, its directory with it (and the path escaped in the fix, as everywhere).
      const other = tree();
      const odd = join(other.etc, '..', 'odd\nname');
      mkdirSync(odd, { mode: 0o755 });
      const inner = join(odd, 'ports.yaml');
      writeFileSync(inner, 'version: 1\n', { mode: 0o644 });
      expect(grantAcl(odd)).toBe(true);
      expect(registryWritablePart('/', inner)).toEqual({
        path: odd,
        why: `is writable by the users and groups its POSIX ACL names (mode 0775: its group bits are the ACL's mask, rwx; \`setfacl -b ${odd.replace('\n', '\\n')}\` removes the ACL, \`chmod g-w ${odd.replace('\n', '\\n')}\` masks it)`,
        kind: 'directory',
      });
    },
  );

  it.skipIf(!aclsWork)(
    `rootWritablePart: a program of root's group whose POSIX ACL lets uid 1234 write, or its directory, is named; 0775 without one is not${aclsWork ? '' : ` (${NO_ACLS})`}`,
    () => {
      const installed = () => {
        const bin = join(tempDir('dsa110-writable-'), 'bin');
        mkdirSync(bin);
        chmodSync(bin, 0o775);
        const program = join(bin, 'program');
        writeFileSync(program, '#!/bin/sh\n');
        chmodSync(program, 0o775);
        return { bin, program };
      };
      const { bin, program } = installed();
      expect(rootWritablePart('/', program)).toBeUndefined();
      expect(grantAcl(bin)).toBe(true);
      expect(rootWritablePart('/', program)).toEqual({
        path: bin,
        why: `is writable by the users and groups its POSIX ACL names (mode 0775: its group bits are the ACL's mask, rwx; \`setfacl -b ${bin}\` removes the ACL, \`chmod g-w ${bin}\` masks it)`,
        file: program,
      });
      const other = installed();
      expect(grantAcl(other.program)).toBe(true);
      expect(rootWritablePart('/', other.program)).toMatchObject({ path: other.program, file: other.program });
    },
  );
});
