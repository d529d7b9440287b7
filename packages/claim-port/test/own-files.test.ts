// claim-port judges its own files as root at each start (own-files.ts): npm
// honours the installer's umask, and under `umask 000` the bin, dist/ and their
// directories are writable by every user, who could then run code as root at
// each service start. The built bin, copied into a tree laid out as `npm
// install -g --prefix` does, run as root on a free port: a warning line in the
// journal (stderr), the claim's answer unchanged.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/tree.js';
import { aclsWork, grantAcl, NO_ACLS } from '../../../test-support/acl.js';
import { BIN } from './helpers.js';

const source = dirname(dirname(BIN));
const asRoot = process.geteuid?.() === 0;
/** `unshare --user --map-root-user` as uid 65534 (its root is uid 65534 outside): whether this kernel lets it. */
const nobodyUserns =
  asRoot && spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'unshare', '--user', '--map-root-user', 'true']).status === 0;
/** `unshare --user` as root: whether this kernel lets it (its maps are then written from outside). */
const rootUserns = asRoot && spawnSync('unshare', ['--user', 'true']).status === 0;

/** A prefix with claim-port installed as npm installs it (root's files, 0755 directories, 0644 bundles); returns its bin/claim-port. */
function install(): { bin: string; pkg: string } {
  const prefix = tempDir('dsa110-own-files-');
  chmodSync(prefix, 0o755);
  const pkg = join(prefix, 'lib/node_modules/@dsa110/claim-port');
  for (const dir of ['bin', 'dist']) mkdirSync(join(pkg, dir), { recursive: true, mode: 0o755 });
  copyFileSync(join(source, 'package.json'), join(pkg, 'package.json'));
  for (const file of ['claim-port.js', 'package.json']) copyFileSync(join(source, 'bin', file), join(pkg, 'bin', file));
  chmodSync(join(pkg, 'bin/claim-port.js'), 0o755);
  for (const file of readdirSync(join(source, 'dist')).filter((name) => name.endsWith('.cjs')))
    copyFileSync(join(source, 'dist', file), join(pkg, 'dist', file));
  mkdirSync(join(prefix, 'bin'), { mode: 0o755 });
  symlinkSync('../lib/node_modules/@dsa110/claim-port/bin/claim-port.js', join(prefix, 'bin/claim-port'));
  return { bin: join(prefix, 'bin/claim-port'), pkg };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

function run(bin: string, port: number) {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' };
  return spawnSync(process.execPath, [bin, '--dry-run', String(port)], { encoding: 'utf8', env });
}

describe.skipIf(!asRoot)('claim-port as root: its own files', () => {
  it('root-only: no warning', async () => {
    const port = await freePort();
    const done = run(install().bin, port);
    expect(done.stderr).toBe(`[claim-port:${port}] port ${port} is free; nothing to do\n`);
    expect(done.status).toBe(0);
  });

  it('dist/ writable by every user (umask 000): one warning naming it and what to do, then the claim as before (exit 0)', async () => {
    const { bin, pkg } = install();
    chmodSync(join(pkg, 'dist'), 0o777);
    const port = await freePort();
    const done = run(bin, port);
    expect(done.stderr).toBe(
      `[claim-port:${port}] warning: ${pkg}/dist is writable by every user (mode 0777): claim-port runs as root, so whoever may change its files may run code as root; make ${pkg} and the directories above it root's and writable only by root (chown -R root:root, chmod -R go-w), or reinstall under umask 022; port-health-check reports it as an error\n[claim-port:${port}] port ${port} is free; nothing to do\n`,
    );
    expect(done.status).toBe(0);
  });

  it('a bundle group-writable (umask 002), or the package directory owned by another user: said too', async () => {
    const group = install();
    chmodSync(join(group.pkg, 'dist/cli.cjs'), 0o664);
    spawnSync('chgrp', ['100', join(group.pkg, 'dist/cli.cjs')]);
    const port = await freePort();
    expect(run(group.bin, port).stderr).toContain(`warning: ${group.pkg}/dist/cli.cjs is writable by its group (gid 100, mode 0664)`);
    const owned = install();
    spawnSync('chown', ['65534', owned.pkg]);
    expect(run(owned.bin, port).stderr).toContain(`warning: ${owned.pkg} is owned by uid 65534, not by root (mode 0755)`);
  });

  it.skipIf(!aclsWork)(
    `root's group with the group-write bit: no warning without a POSIX ACL; a bundle or dist/ whose ACL lets uid 1234 write is said, as a 0666 one is${aclsWork ? '' : ` (${NO_ACLS})`}`,
    async () => {
      const port = await freePort();
      const plain = install();
      chmodSync(join(plain.pkg, 'dist'), 0o775);
      chmodSync(join(plain.pkg, 'dist/run.cjs'), 0o664);
      expect(run(plain.bin, port).stderr).toBe(`[claim-port:${port}] port ${port} is free; nothing to do\n`);
      const file = install();
      const bundle = join(file.pkg, 'dist/run.cjs');
      expect(grantAcl(bundle)).toBe(true);
      const done = run(file.bin, port);
      expect(done.stderr).toBe(
        `[claim-port:${port}] warning: ${bundle} is writable by the users and groups its POSIX ACL names (mode 0775: its group bits are the ACL's mask, rwx; \`setfacl -b ${bundle}\` removes the ACL, \`chmod g-w ${bundle}\` masks it): claim-port runs as root, so whoever may change its files may run code as root; make ${file.pkg} and the directories above it root's and writable only by root (chown -R root:root, chmod -R go-w), or reinstall under umask 022; port-health-check reports it as an error\n[claim-port:${port}] port ${port} is free; nothing to do\n`,
      );
      expect(done.status).toBe(0);
      const dir = install();
      expect(grantAcl(join(dir.pkg, 'dist'))).toBe(true);
      expect(run(dir.bin, port).stderr).toContain(`warning: ${dir.pkg}/dist is writable by the users and groups its POSIX ACL names (mode 0775`);
    },
  );

  it.skipIf(!nobodyUserns)(
    'as root of a user namespace that maps only uid 65534: files of an unmapped owner are said to be so, with no chown to run',
    async () => {
      const { bin, pkg } = install();
      const port = await freePort();
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' };
      const done = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', 'unshare', '--user', '--map-root-user', process.execPath, bin, '--dry-run', String(port)],
        { encoding: 'utf8', env },
      );
      expect(done.stderr).toBe(
        `[claim-port:${port}] warning: ${pkg}/bin/claim-port.js is owned by a user this user namespace does not map (it shows as uid 65534, the overflow uid: claim-port runs as root of a user namespace, e.g. \`unshare --user --map-root-user\`), which no chown from here changes; whoever owns it outside may change claim-port's files and so run code as this namespace's root: make sure from outside it that ${pkg} and the directories above it are root's and writable only by root, or install claim-port as a user this namespace maps\n[claim-port:${port}] port ${port} is free; nothing to do\n`,
      );
      expect(done.status).toBe(0);
    },
  );

  it.skipIf(!rootUserns)(
    "as root of a user namespace that maps uids 0-65535 (a container's map): a file of uid 65534, its nobody or an owner it does not map, is asked to be chowned, from outside where that fails",
    async () => {
      const { bin, pkg } = install();
      spawnSync('chown', ['65534', join(pkg, 'bin/claim-port.js')]);
      const port = await freePort();
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' };
      // It waits for a line on stdin until its maps are written, as newuidmap does for a container.
      const child = spawn('unshare', ['--user', 'sh', '-c', 'read go && exec "$0" "$@"', process.execPath, bin, '--dry-run', String(port)], {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      const status = new Promise<number | null>((done) => child.on('close', done));
      await new Promise((done) => setTimeout(done, 300));
      writeFileSync(`/proc/${child.pid}/uid_map`, '0 0 65536\n');
      writeFileSync(`/proc/${child.pid}/gid_map`, '0 0 65536\n');
      child.stdin.end('go\n');
      expect(await status).toBe(0);
      expect(stderr).toBe(
        `[claim-port:${port}] warning: ${pkg}/bin/claim-port.js is owned by uid 65534, not by root (mode 0755): claim-port runs as root, so whoever may change its files may run code as root; make ${pkg} and the directories above it root's and writable only by root (chown -R root:root, chmod -R go-w; uid 65534 is also how this user namespace shows an owner it does not map: where that chown fails (EPERM), run it from outside the namespace), or reinstall under umask 022; port-health-check reports it as an error\n[claim-port:${port}] port ${port} is free; nothing to do\n`,
      );
    },
  );
});
