// claim-port as root reads a registry that decides what root may signal
// (claim.protect.unprotectBuiltin, pidsUpTo) and which port an id frees: a
// file someone besides root may change is said in a warning line, and the
// claim goes on (registry-trust.ts); another user's link to it is not followed
// (the loader's rule), so its target, a root-only file, is never read or
// quoted. Real files owned by an unprivileged uid (65534), a real listener this
// suite spawned, claims in --dry-run through main().
import { chmodSync, chownSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, leasePort, spawnListener } from '../../../test-support/index.js';
import { tempDir } from '../../../test-support/tree.js';
import { aclsWork, grantAcl, NO_ACLS } from '../../../test-support/acl.js';
import { claimInProcess } from './helpers.js';

const asRoot = process.geteuid?.() === 0;
const NOBODY = 65534;
/** What a user who may write the registry would add: every built-in protection of sshd and systemd off. */
const UNPROTECTING = 'version: 1\nclaim:\n  protect:\n    unprotectBuiltin: [sshd, systemd, "systemd-*"]\nservices: []\n';
const ENV = { DSA110_PORTS_CACHE: 'off' };

/** A user's home (theirs, 0755) holding their registry (theirs, `mode`); returns both paths. */
function usersRegistry(mode: number): { home: string; file: string } {
  const home = join(tempDir('dsa110-trust-'), 'home');
  mkdirSync(home, { mode: 0o755 });
  const file = join(home, 'ports.yaml');
  writeFileSync(file, UNPROTECTING);
  chmodSync(file, mode);
  chownSync(home, NOBODY, NOBODY);
  chownSync(file, NOBODY, NOBODY);
  return { home, file };
}

describe.skipIf(!asRoot)('claim-port as root: a registry others may change', () => {
  it("a protected holder: refused by the built-in list; with a user's registry that unprotects it, one warning naming the file, its owner and mode and the fix, and the claim goes on (exit 0)", async () => {
    const server = await spawnListener({ name: 'systemd-fake' });
    const plain = await claimInProcess([String(server.port), '--dry-run'], { port: server.port, env: ENV });
    expect(plain.stderr).toContain('matches the built-in protected pattern "systemd-*"');
    expect(plain.code).toBe(1);

    const { file } = usersRegistry(0o666);
    const run = await claimInProcess([String(server.port), '--dry-run', '--registry', file], { port: server.port, env: ENV });
    const warnings = run.stderr.split('\n').filter((line) => line.includes('warning:'));
    expect(warnings).toEqual([
      `[claim-port:${server.port}] warning: the registry ${file} is owned by uid ${NOBODY}, not by root (mode 0666): root's claim-port reads it (ExecStartPre=+), so whoever may change it decides which processes root signals (claim.protect) and which port a service id frees; make it root's and writable only by root (chown root:root ${file}; chmod go-w ${file})`,
    ]);
    expect(run.stderr).toContain(`would send SIGTERM to PID ${server.pid}`);
    expect(run.code).toBe(0);
    expect(isAlive(server.pid)).toBe(true);
  });

  it("the file root's but its directory a user's: the directory is named, with the fix for a directory; from $DSA110_PORTS_FILE too, and on a free port; root-only: no warning", async () => {
    const { home, file } = usersRegistry(0o644);
    chownSync(file, 0, 0);
    const port = leasePort();
    chownSync(home, 0, 0);
    const clean = await claimInProcess([String(port), '--dry-run', '--registry', file], { port, env: ENV });
    expect(clean.stderr).toBe(`[claim-port:${port}] port ${port} is free; nothing to do\n`);
    chownSync(home, NOBODY, NOBODY);
    for (const [args, env] of [
      [['--registry', file], ENV],
      [[], { ...ENV, DSA110_PORTS_FILE: file }],
    ] as const) {
      const run = await claimInProcess([String(port), '--dry-run', ...args], { port, env });
      expect(run.stderr).toBe(
        `[claim-port:${port}] warning: ${home} (on the way to the registry ${file}) is owned by uid ${NOBODY}, not by root (mode 0755): root's claim-port reads it (ExecStartPre=+), so whoever may change it decides which processes root signals (claim.protect) and which port a service id frees; keep the registry in a directory only root may change (/etc/dsa110/ports.yaml), or make this one so (chown root:root ${home}; chmod go-w ${home})\n[claim-port:${port}] port ${port} is free; nothing to do\n`,
      );
      expect(run.code).toBe(0);
    }
  });

  it("another user's link to a root-only file: not followed, its content never quoted; the built-in list protects (the holder is refused)", async () => {
    const server = await spawnListener({ name: 'systemd-fake' });
    const dir = tempDir('dsa110-trust-');
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'claim:\n  protect:\n    processes: "SECRETX"\n', { mode: 0o600 });
    chmodSync(dir, 0o755);
    const link = join(dir, 'ports.yaml');
    symlinkSync(secret, link);
    lchownSync(link, NOBODY, NOBODY);
    const run = await claimInProcess([String(server.port), '--dry-run', '--registry', link], { port: server.port, env: ENV });
    expect(run.stderr).not.toContain('SECRETX');
    expect(run.stderr).toContain(
      `[claim-port:${server.port}] warning: ${link}: cannot read the registry (from --registry): ${link} is a symbolic link owned by uid ${NOBODY}, not by root, and root does not follow another user's link (it could point root at any file); give the path of the file itself, or make the link root's (chown -h root:root ${link}); using the built-in protected list\n`,
    );
    expect(run.stderr).toContain('matches the built-in protected pattern "systemd-*"');
    expect(run.code).toBe(1);
    // The same link made root's is followed (the loader's rule is about who chose the target).
    lchownSync(link, 0, 0);
    const followed = await claimInProcess([String(server.port), '--dry-run', '--registry', link], { port: server.port, env: ENV });
    expect(followed.stderr).toContain('SECRETX');
  });

  it.skipIf(!aclsWork)(
    `root's registry whose POSIX ACL lets uid 1234 write (mode 0775, root's group): one warning naming the ACL and its fixes, as for a 0666 one; 0664 without an ACL: none${aclsWork ? '' : ` (${NO_ACLS})`}`,
    async () => {
      const { home, file } = usersRegistry(0o664);
      chownSync(home, 0, 0);
      chownSync(file, 0, 0);
      const port = leasePort();
      const clean = await claimInProcess([String(port), '--dry-run', '--registry', file], { port, env: ENV });
      expect(clean.stderr).toBe(`[claim-port:${port}] port ${port} is free; nothing to do\n`);
      expect(grantAcl(file)).toBe(true);
      const run = await claimInProcess([String(port), '--dry-run', '--registry', file], { port, env: ENV });
      expect(run.stderr).toBe(
        `[claim-port:${port}] warning: the registry ${file} is writable by the users and groups its POSIX ACL names (mode 0775: its group bits are the ACL's mask, rwx; \`setfacl -b ${file}\` removes the ACL, \`chmod g-w ${file}\` masks it): root's claim-port reads it (ExecStartPre=+), so whoever may change it decides which processes root signals (claim.protect) and which port a service id frees; make it root's and writable only by root (chown root:root ${file}; chmod go-w ${file})\n[claim-port:${port}] port ${port} is free; nothing to do\n`,
      );
      expect(run.code).toBe(0);
    },
  );
});
