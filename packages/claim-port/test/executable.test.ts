// readExecutable's facts about a real running program: who owns and may
// write the file and its directory, and, for root's of root's group with the
// group-write bit (the mode a POSIX ACL hides behind: its group bits are then
// the ACL's mask), whether it has an ACL, asked of ls. Copies of sleep in
// temp directories, run by this suite and killed by their PIDs.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { aclsWork, grantAcl, NO_ACLS } from '../../../test-support/acl.js';
import { tempDir } from '../../../test-support/tree.js';
import { readExecutable } from '../src/executable.js';

const asRoot = process.geteuid?.() === 0;
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) process.kill(pid, 'SIGKILL');
});

/** A copy of sleep in its own directory of `mode` (root's, as the suite runs), the file `fileMode`. */
function copyOfSleep(mode: number, fileMode = 0o755): { dir: string; program: string } {
  const dir = join(tempDir('dsa110-exe-'), 'bin');
  mkdirSync(dir);
  chmodSync(dir, mode);
  const program = join(dir, 'sleep');
  copyFileSync('/bin/sleep', program);
  chmodSync(program, fileMode);
  return { dir, program };
}

/** Run it, and wait until the kernel shows it running that file. */
async function run(program: string): Promise<number> {
  const child = spawn(program, ['30'], { stdio: 'ignore' });
  started.push(child.pid!);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child.pid!;
}

describe.skipIf(!asRoot || !aclsWork)(`readExecutable: POSIX ACLs${aclsWork ? '' : ` (${NO_ACLS})`}`, () => {
  it("asks no ACL of a root-only program; of root's group with the group-write bit: none, or one the ACL names may write", async () => {
    const plain = await run(copyOfSleep(0o755).program);
    expect(readExecutable(plain, -1)).toMatchObject({ file: { uid: 0, gid: 0, mode: 0o755 }, directory: { uid: 0, gid: 0, mode: 0o755 } });
    expect(readExecutable(plain, -1)?.directory).not.toHaveProperty('acl');

    const group = copyOfSleep(0o775, 0o775);
    const pid = await run(group.program);
    expect(readExecutable(pid, -1)).toMatchObject({ file: { mode: 0o775, acl: false }, directory: { mode: 0o775, acl: false } });

    const granted = copyOfSleep(0o775, 0o775);
    expect(grantAcl(granted.dir, granted.program)).toBe(true);
    const aclPid = await run(granted.program);
    expect(readExecutable(aclPid, -1)).toMatchObject({ path: granted.program, file: { mode: 0o775, acl: true }, directory: { mode: 0o775, acl: true } });
  });
});
