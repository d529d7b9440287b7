// Special files made in a private temp dir (never the real /dev): a FIFO, a
// Unix socket, and, as root, private copies of device nodes (mknod).
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
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

// POSIX ACLs: test-support/acl.ts, shared with claim-port's tests.
export { aclsWork, grantAcl, grantDefaultAcl, hasGetfacl, NO_ACLS } from '../../../../test-support/acl.js';
