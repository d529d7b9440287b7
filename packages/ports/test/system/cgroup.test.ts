// cgroup -> unit and container: pure parsers on real /proc/PID/cgroup text and
// container proxies' arguments, and the reader on this process's own cgroup.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
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

  it('names the innermost unit, a user manager and a container', () => {
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

  it('reads a container proxy’s target from its arguments', () => {
    expect(
      containerFromArgs(['docker-proxy', '-proto', 'tcp', '-host-ip', '0.0.0.0', '-host-port', '8080', '-container-ip', '172.17.0.2', '-container-port', '80']),
    ).toBe('172.17.0.2:80');
    expect(containerFromArgs(['docker-proxy', '-container-ip', 'fd00::2', '-container-port', '80'])).toBe('[fd00::2]:80');
    expect(containerFromArgs(['containerd-shim-runc-v2', '-namespace', 'moby', '-id', 'abc123', '-address', '/run/containerd.sock'])).toBe('abc123');
    expect(containerFromArgs(['conmon', '--cid=abc123'])).toBe('abc123');
    expect(containerFromArgs(['node', 'server.js'])).toBeUndefined();
  });

  it.skipIf(!writableHierarchy)('reads a unit name that is not ASCII as UTF-8, a byte that is not UTF-8 kept (\\xff), as argv and comm', async () => {
    // A cgroup's name is anyone's who may write cgroupfs (a container runtime, a delegated subtree): it was read as latin1 ("cafÃ©", "ÿ").
    const name = Buffer.concat([Buffer.from(`dsa110-café-${process.pid}-`), Buffer.from([0xff]), Buffer.from('.service')]);
    const dir = Buffer.concat([Buffer.from(`${writableHierarchy}/`), name]);
    mkdirSync(dir);
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      writeFileSync(Buffer.concat([dir, Buffer.from('/cgroup.procs')]), String(child.pid));
      const place = readCgroup(child.pid!)!;
      expect(escapeText(place.unit!)).toBe(`dsa110-café-${process.pid}-\\xff.service`);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
      rmdirSync(dir);
    }
  });

  it('reads this process’s own cgroup', () => {
    expect(readCgroup(process.pid)?.path).toMatch(/^\//);
    expect(readCgroup(2 ** 22 + 1)).toBeUndefined();
  });
});
