// A cgroup named for a systemd unit, made under /sys/fs/cgroup by a test (as
// root) so that a process it spawned sits in "unit X" as /proc/PID/cgroup
// tells it: claim-port then reads X's Restart=, and the health check X's
// processes, as on a real machine.
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
      remove: () => {
        try {
          rmdirSync(dir);
        } catch {
          // still has a process: it is SIGKILLed after the test; the empty cgroup is harmless
        }
      },
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
        for (const done of [...made].reverse()) {
          try {
            rmdirSync(done);
          } catch {
            // still has a process: it is SIGKILLed after the test; the empty cgroup is harmless
          }
        }
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
