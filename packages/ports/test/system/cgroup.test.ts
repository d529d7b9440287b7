// cgroup -> unit and container: pure parsers on real /proc/PID/cgroup text and
// container proxies' arguments, and the reader on this process's own cgroup.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeText } from '../../src/escape.js';
import { cgroupLines, cgroupPath, containerFromArgs, parseCgroupPath, readCgroup } from '../../src/system/cgroup.js';

/** A writable cgroup hierarchy systemd's paths show in /proc/PID/cgroup (root, cgroupfs mounted read-write); undefined elsewhere. */
const writableHierarchy = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((base) => {
  if (process.getuid?.() !== 0 || !existsSync(join(base, 'cgroup.procs'))) return false;
  const probe = join(base, `dsa110-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
});

describe('cgroup -> unit and container', () => {
  it('reads v2 and v1 (name=systemd wins) /proc/PID/cgroup text', () => {
    expect(cgroupPath('0::/system.slice/api.service\n')).toBe('/system.slice/api.service');
    expect(cgroupPath('4:memory:/x\n1:name=systemd:/system.slice/redis-server.service\n0::/\n')).toBe('/system.slice/redis-server.service');
  });

  it('cgroupLines: each line split at its first two colons (a path keeps its own), a line without them left out', () => {
    expect(cgroupLines('5:cpu,cpuacct:/a:b\n0::/\nbad\n')).toEqual([
      { hierarchy: '5', controllers: 'cpu,cpuacct', path: '/a:b' },
      { hierarchy: '0', controllers: '', path: '/' },
    ]);
  });

  it('names the unit, a user manager and a container', () => {
    expect(parseCgroupPath('/system.slice/api.service')).toMatchObject({ unit: 'api.service' });
    expect(parseCgroupPath('/system.slice/api.service/worker')).toMatchObject({ unit: 'api.service' });
    expect(parseCgroupPath('/user.slice/user-1000.slice/user@1000.service/app.slice/dev.service')).toMatchObject({
      unit: 'dev.service',
      userManager: 'user@1000.service',
    });
    expect(parseCgroupPath('/user.slice/user-1000.slice/user@1000.service')).toEqual({
      path: '/user.slice/user-1000.slice/user@1000.service',
      unit: 'user@1000.service',
    });
    const id = 'ab'.repeat(32);
    expect(parseCgroupPath(`/system.slice/docker-${id}.scope`)).toMatchObject({ unit: `docker-${id}.scope`, container: id });
    expect(parseCgroupPath(`/machine.slice/libpod-conmon-${id}.scope`)).toMatchObject({ container: id });
    expect(parseCgroupPath(`/docker/${id}`)).toMatchObject({ container: id });
    expect(parseCgroupPath('/')).toEqual({ path: '/' });
  });

  it('names the unit as systemd counts it (cg_path_get_unit, cg_path_get_user_unit): the first after the slices', () => {
    // A unit's delegated subtree (Delegate=yes, DelegateSubgroup=) is that unit's, whatever its cgroups are named.
    expect(parseCgroupPath('/system.slice/outer.service/inner.service')).toMatchObject({ unit: 'outer.service' });
    expect(parseCgroupPath('/system.slice/outer.service/inner.service').userManager).toBeUndefined();
    // A user manager's units are its own; below them, theirs.
    expect(parseCgroupPath('/user.slice/user-1000.slice/user@1000.service/app.slice/x.service/sub.service')).toMatchObject({
      unit: 'x.service',
      userManager: 'user@1000.service',
    });
    // Only a uid makes a user manager; a user@ of a container's payload is the container's.
    expect(parseCgroupPath('/system.slice/user@abc.service/app.slice/x.service')).toEqual({
      path: '/system.slice/user@abc.service/app.slice/x.service',
      unit: 'user@abc.service',
    });
    expect(parseCgroupPath('/machine.slice/machine-web.scope/payload/system.slice/nginx.service')).toEqual({
      path: '/machine.slice/machine-web.scope/payload/system.slice/nginx.service',
      unit: 'machine-web.scope',
    });
    expect(parseCgroupPath('/machine.slice/machine-web.scope/payload/user.slice/user-1000.slice/user@1000.service/app.slice/x.service')).toMatchObject({
      unit: 'machine-web.scope',
    });
    // cg_unescape: a leading `_` is systemd's own, for a name the kernel could take for its own.
    expect(parseCgroupPath('/system.slice/_cpu.service')).toMatchObject({ unit: 'cpu.service' });
    // A name systemd could not have given (a user's cgroup in a delegated subtree) is no unit; nor is a slice alone.
    expect(parseCgroupPath('/claim.slice/x) (sshd, user root, parent 1, unit y.service')).toEqual({
      path: '/claim.slice/x) (sshd, user root, parent 1, unit y.service',
    });
    expect(parseCgroupPath('/user.slice/user-1000.slice/user@1000.service/x) (y.service')).toMatchObject({ unit: 'user@1000.service' });
    expect(parseCgroupPath('/user.slice/user-1000.slice')).toEqual({ path: '/user.slice/user-1000.slice' });
    expect(parseCgroupPath('/a@b.slice/x.service')).toEqual({ path: '/a@b.slice/x.service' });
    expect(parseCgroupPath('/system.slice/x@.service')).toEqual({ path: '/system.slice/x@.service' });
    expect(parseCgroupPath('/system.slice/getty@tty1.service')).toMatchObject({ unit: 'getty@tty1.service' });
  });

  it('reads a container proxy’s target from its arguments', () => {
    expect(
      containerFromArgs(['docker-proxy', '-proto', 'tcp', '-host-ip', '0.0.0.0', '-host-port', '8080', '-container-ip', '172.17.0.2', '-container-port', '80']),
    ).toBe('172.17.0.2:80');
    expect(containerFromArgs(['docker-proxy', '-container-ip', 'fd00::2', '-container-port', '80'])).toBe('[fd00::2]:80');
    expect(containerFromArgs(['containerd-shim-runc-v2', '-namespace', 'moby', '-id', 'abc123', '-address', '/run/containerd.sock'])).toBe('abc123');
    expect(containerFromArgs(['conmon', '--cid=abc123'])).toBe('abc123');
    expect(containerFromArgs(['node', 'server.js'])).toBeUndefined();
  });

  it.skipIf(!writableHierarchy)(
    'reads a cgroup name that is not ASCII as UTF-8, a byte that is not UTF-8 kept (\\xff), as argv and comm; such a name is no unit',
    async () => {
      // A cgroup's name is anyone's who may write cgroupfs (a container runtime, a delegated subtree): it was read as latin1 ("cafÃ©", "ÿ").
      const name = Buffer.concat([Buffer.from(`dsa110-café-${process.pid}-`), Buffer.from([0xff]), Buffer.from('.service')]);
      const dir = Buffer.concat([Buffer.from(`${writableHierarchy}/`), name]);
      mkdirSync(dir);
      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        await new Promise((resolve) => child.once('spawn', resolve));
        writeFileSync(Buffer.concat([dir, Buffer.from('/cgroup.procs')]), String(child.pid));
        const place = readCgroup(child.pid!)!;
        expect(escapeText(place.path)).toBe(`/dsa110-café-${process.pid}-\\xff.service`);
        // systemd names a unit in ASCII letters, digits and `:-_.\@` (unit_name_is_valid): it counts the process in none.
        expect(place.unit).toBeUndefined();
      } finally {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('close', resolve));
        rmdirSync(dir);
      }
    },
  );

  it("names units below the service manager's own root (cg_shift_path): a container's systemd run without a cgroup namespace", () => {
    // As e2e/systemd/boot.sh boots one: its units live below the cgroup it was started in.
    expect(parseCgroupPath('/e2e/run-1/system.slice/squatter.service', '/e2e/run-1')).toMatchObject({
      path: '/e2e/run-1/system.slice/squatter.service',
      unit: 'squatter.service',
    });
    expect(parseCgroupPath('/e2e/run-1/init.scope', '/e2e/run-1/')).toMatchObject({ unit: 'init.scope' });
    // Not below the root: read as it is. `/e2e/run-10` is not below `/e2e/run-1`.
    expect(parseCgroupPath('/e2e/run-10/system.slice/x.service', '/e2e/run-1').unit).toBeUndefined();
    expect(parseCgroupPath('/system.slice/x.service', '/e2e/run-1')).toMatchObject({ unit: 'x.service' });
    expect(parseCgroupPath('/system.slice/x.service', '/')).toMatchObject({ unit: 'x.service' });
  });

  it("readCgroup takes the root from PID 1's own cgroup, without its /init.scope (cg_get_root_path)", () => {
    const proc = mkdtempSync(join(tmpdir(), 'cgroup-root-'));
    try {
      const write = (pid: number, text: string) => {
        mkdirSync(join(proc, String(pid)));
        writeFileSync(join(proc, String(pid), 'cgroup'), text);
      };
      write(1, '1:name=systemd:/machine/c1/init.scope\n0::/machine/c1/init.scope\n');
      write(42, '1:name=systemd:/machine/c1/system.slice/redis-server.service\n0::/machine/c1/system.slice/redis-server.service\n');
      write(43, '1:name=systemd:/machine/c1/user.slice/user-1000.slice/user@1000.service/app.slice/dev.service\n');
      expect(readCgroup(42, proc)).toEqual({ path: '/machine/c1/system.slice/redis-server.service', unit: 'redis-server.service' });
      expect(readCgroup(43, proc)).toMatchObject({ unit: 'dev.service', userManager: 'user@1000.service' });
      expect(readCgroup(1, proc)).toMatchObject({ unit: 'init.scope' });
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });

  it('reads this process’s own cgroup', () => {
    expect(readCgroup(process.pid)?.path).toMatch(/^\//);
    expect(readCgroup(2 ** 22 + 1)).toBeUndefined();
  });
});
