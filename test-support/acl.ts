// POSIX ACLs on real files for tests: with one, a mode's group bits are the
// ACL's mask, so `root:root` 0775 may be writable by uid 1234. Shared by the
// tests of @dsa110/ports and claim-port.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A POSIX ACL that lets uid 1234 write (user::rwx user:1234:rwx group::r-x mask::rwx other::r-x), set as the kernel's
// system.posix_acl_access attribute by python3 (Node has no setxattr). With it the mode's group bits are the mask: 0775.
const SET_ACL = `import os,struct,sys
e=lambda t,p,i=0xffffffff: struct.pack('<HHI',t,p,i)
acl=struct.pack('<I',2)+e(1,7)+e(2,7,1234)+e(4,5)+e(0x10,7)+e(0x20,5)
for p in sys.argv[1:]: os.setxattr(p,'system.posix_acl_access',acl)`;

// A default ACL alone (setfacl -d -m u:65534:rwx): what files made in a directory later start with; its access ACL stays the mode.
const SET_DEFAULT_ACL = `import os,struct,sys
e=lambda t,p,i=0xffffffff: struct.pack('<HHI',t,p,i)
acl=struct.pack('<I',2)+e(1,7)+e(2,7,65534)+e(4,7)+e(0x10,7)+e(0x20,5)
for p in sys.argv[1:]: os.setxattr(p,'system.posix_acl_default',acl)`;

/** Give each directory the default ACL above (user:65534:rwx); false when it cannot be. */
export function grantDefaultAcl(...paths: string[]): boolean {
  try {
    execFileSync('python3', ['-c', SET_DEFAULT_ACL, ...paths], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether getfacl is there to tell a default ACL from an access one (files/acl.ts). */
export const hasGetfacl = ['/usr/bin/getfacl', '/bin/getfacl'].some((path) => existsSync(path));

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
