// cgroupDirectory (pure): where a cgroup named in /proc/PID/cgroup is, under the mounts of /proc/self/mountinfo. The
// live cases (a holder frozen by the v1 freezer, by cgroup v2) are in hostile.test.ts.
import { describe, expect, it } from 'vitest';
import { cgroupDirectory } from '../src/freezer.js';

const v1 = (fstype: string, options: readonly string[]) => fstype === 'cgroup' && options.includes('freezer');

describe('cgroupDirectory', () => {
  it('the mount point plus the path, for a hierarchy mounted from its root', () => {
    const mountinfo = `36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;
    expect(cgroupDirectory(mountinfo, '/docker/abc', v1)).toBe('/sys/fs/cgroup/freezer/docker/abc');
    expect(cgroupDirectory(mountinfo, '/', v1)).toBe('/sys/fs/cgroup/freezer');
    expect(cgroupDirectory(mountinfo, '/x', (fstype) => fstype === 'cgroup2')).toBe('/sys/fs/cgroup/unified/x');
  });

  it('the path below the mount root for a hierarchy mounted from below (a container), escaped fields decoded; undefined where no mount shows it', () => {
    const mountinfo = `36 30 0:33 /docker/abc /sys/fs/cgroup/free\\040zer ro,nosuid - cgroup cgroup rw,cpu,freezer`;
    expect(cgroupDirectory(mountinfo, '/docker/abc/inner', v1)).toBe('/sys/fs/cgroup/free zer/inner');
    expect(cgroupDirectory(mountinfo, '/docker/abc', v1)).toBe('/sys/fs/cgroup/free zer');
    expect(cgroupDirectory(mountinfo, '/docker/abcd', v1)).toBeUndefined();
    expect(cgroupDirectory(mountinfo, '/x', (fstype) => fstype === 'cgroup2')).toBeUndefined();
  });
});
