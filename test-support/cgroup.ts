// A cgroup named for a systemd unit, made under /sys/fs/cgroup by a test (as
// root) so that a process it spawned sits in "unit X" as /proc/PID/cgroup
// tells it: claim-port then reads X's Restart=, and the health check X's
// processes, as on a real machine.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach } from 'vitest';
import { isSpawned } from './guard.js';

/** Cgroups a cleanup could not remove yet, deepest first: a process killed there stays in it until Node reaps it. */
const left: string[] = [];

/** Remove what a cleanup left, once the killed processes in it are reaped (within `ms`). */
async function removeLeft(ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; left.length > 0 && Date.now() < deadline; await sleep(20)) {
    for (const dir of [...left]) {
      try {
        rmdirSync(dir);
        left.splice(left.indexOf(dir), 1);
      } catch {
        // not yet
      }
    }
  }
}

afterEach(() => removeLeft(2000));
afterAll(() => removeLeft(5000));

/**
 * Remove the cgroup `dir` of hierarchy `base`. A test's cleanup runs before the guard's kill of what it spawned, so its
 * processes are often still in it (rmdir: EBUSY): the ones this suite spawned are moved back to the hierarchy's root
 * first (never another process), and every run left its cgroups behind before. One that still has a process stays.
 */
function removeCgroup(base: string, dir: string): void {
  try {
    rmdirSync(dir);
    return;
  } catch {
    // busy: moved out below
  }
  try {
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number))
      if (isSpawned(pid)) writeFileSync(join(base, 'cgroup.procs'), String(pid));
    rmdirSync(dir);
  } catch {
    // a process killed but not reaped yet (a zombie cannot be moved), or one not spawned here: tried again after the test
    left.push(dir);
  }
}

/** A cgroup this test may create and move its own processes into (`procs`: its cgroup.procs), with its unit name; undefined where cgroupfs is not writable. */
export function makeUnitCgroup(unit: string): { procs: string; move: (pid: number) => void; remove: () => void } | undefined {
  for (const base of ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
    const dir = join(base, unit);
    try {
      if (!existsSync(join(base, 'cgroup.procs'))) continue;
      mkdirSync(dir);
    } catch {
      continue;
    }
    return {
      procs: join(dir, 'cgroup.procs'),
      move: (pid) => writeFileSync(join(dir, 'cgroup.procs'), String(pid)),
      remove: () => removeCgroup(base, dir),
    };
  }
  return undefined;
}
/**
 * A cgroup at `path` (`a.slice/b.service/c`, each component made as needed): a unit's sub-cgroup, a user manager's
 * unit, a nested manager's payload, as /proc/PID/cgroup then shows it (`/a.slice/b.service/c`); `base` is the
 * hierarchy it is in. `remove` removes the components it made, deepest first. Undefined where cgroupfs is not writable.
 */
export function makeCgroupPath(path: string): { base: string; move: (pid: number) => void; remove: () => void } | undefined {
  const parts = path.split('/').filter((part) => part !== '');
  for (const base of ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
    if (!existsSync(join(base, 'cgroup.procs'))) continue;
    const made: string[] = [];
    let dir = base;
    try {
      for (const part of parts) {
        dir = join(dir, part);
        if (existsSync(dir)) continue;
        mkdirSync(dir);
        made.push(dir);
      }
    } catch {
      for (const done of made.reverse()) rmdirSync(done);
      continue;
    }
    const leaf = dir;
    return {
      base,
      move: (pid) => writeFileSync(join(leaf, 'cgroup.procs'), String(pid)),
      remove: () => {
        for (const done of [...made].reverse()) removeCgroup(base, done);
      },
    };
  }
  return undefined;
}

export const cgroupsWritable =
  process.getuid?.() === 0 &&
  (() => {
    const probe = makeUnitCgroup(`test-cgroup-probe-${process.pid}.service`);
    probe?.remove();
    return probe !== undefined;
  })();
