// Special files made in a private temp dir (never the real /dev): a FIFO, a
// Unix socket, and, as root, private copies of device nodes (mknod).
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '../../../../test-support/tree.js';

export const isRoot = process.getuid?.() === 0;
/** The reason a device-node test is skipped, named in its title. */
export const NOT_ROOT = 'skipped: mknod needs root';

/** A private directory for special files, removed (with what was made in it) after the current test. */
export function privateDir(): string {
  return tempDir('dsa110-special-');
}

export function fifo(dir: string, name = 'fifo'): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

/** A private copy of a device node: mknod PATH c|b MAJOR MINOR (root only). */
export function device(dir: string, name: string, type: 'c' | 'b', major: number, minor: number): string {
  const path = join(dir, name);
  execFileSync('mknod', ['-m', '0666', path, type, String(major), String(minor)]);
  return path;
}

export async function unixSocket(dir: string): Promise<{ path: string; server: Server }> {
  const path = join(dir, 'sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, server };
}

// A POSIX ACL that lets uid 1234 write (user::rwx user:1234:rwx group::r-x mask::rwx other::r-x), set as the kernel's
// system.posix_acl_access attribute by python3 (Node has no setxattr). With it the mode's group bits are the mask: 0775.
const SET_ACL = `import os,struct,sys
e=lambda t,p,i=0xffffffff: struct.pack('<HHI',t,p,i)
acl=struct.pack('<I',2)+e(1,7)+e(2,7,1234)+e(4,5)+e(0x10,7)+e(0x20,5)
for p in sys.argv[1:]: os.setxattr(p,'system.posix_acl_access',acl)`;

/** Give each path the ACL above; false when it cannot be (no python3, a file system without ACLs). */
export function grantAcl(...paths: string[]): boolean {
  try {
    execFileSync('python3', ['-c', SET_ACL, ...paths], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether grantAcl works on this machine's temp file system (made and removed at once). */
export const aclsWork = ((): boolean => {
  const dir = mkdtempSync(join(tmpdir(), 'dsa110-acl-probe-'));
  try {
    return grantAcl(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();
/** The reason an ACL test is skipped, named in its title. */
export const NO_ACLS = 'skipped: python3 could not set a POSIX ACL on the temp file system';
