// The readers issue 10 added to @dsa110/ports/system: cgroup -> unit and
// container, Restart= from real unit files, any-state socket tables, unlisted
// sockets, the bind check. Pure parsers on real text; readers on real files
// and sockets.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  canBind,
  canBindSync,
  cgroupPath,
  containerFromArgs,
  parseCgroupPath,
  parsePortSockets,
  readCgroup,
  readRestartFromFiles,
  restartSetting,
  restartsAfterKill,
  tableInodes,
  unitSearchPath,
} from '../../src/system/index.js';

describe('cgroup -> unit and container', () => {
  it('reads v2 and v1 (name=systemd wins) /proc/PID/cgroup text', () => {
    expect(cgroupPath('0::/system.slice/api.service\n')).toBe('/system.slice/api.service');
    expect(cgroupPath('4:memory:/x\n1:name=systemd:/system.slice/redis-server.service\n0::/\n')).toBe('/system.slice/redis-server.service');
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

  it('reads this process’s own cgroup', () => {
    expect(readCgroup(process.pid)?.path).toMatch(/^\//);
    expect(readCgroup(2 ** 22 + 1)).toBeUndefined();
  });
});

describe('Restart= from unit files', () => {
  it('takes the last [Service] Restart=, continuation lines and comments included', () => {
    expect(restartSetting('[Unit]\nRestart=always\n[Service]\nExecStart=/bin/true\n# Restart=always\nRestart=on-failure\n')).toBe('on-failure');
    expect(restartSetting('[Service]\nRestart=\\\n  always\n')).toBe('always');
    // Read by the core systemd model, as systemd reads it: CR line ends, a header with more on its line.
    expect(restartSetting('[Service]\rRestart=always\r')).toBe('always');
    expect(restartSetting('[Service] # x\nRestart=always\n')).toBeUndefined();
    expect(restartSetting('[Service]\nExecStart=/bin/true\n')).toBeUndefined();
    expect(restartsAfterKill('no')).toBe(false);
    for (const value of ['always', 'on-failure', 'on-abnormal', 'on-abort', 'on-success', 'on-watchdog']) expect(restartsAfterKill(value)).toBe(true);
  });

  it('merges the unit file, its template and drop-ins in systemd’s order, from $SYSTEMD_UNIT_PATH', () => {
    const high = mkdtempSync(join(tmpdir(), 'units-high-'));
    const low = mkdtempSync(join(tmpdir(), 'units-low-'));
    try {
      writeFileSync(join(low, 'worker@.service'), '[Service]\nRestart=always\n');
      mkdirSync(join(high, 'worker@.service.d'));
      writeFileSync(join(high, 'worker@.service.d', '20-no.conf'), '[Service]\nRestart=no\n');
      mkdirSync(join(low, 'worker@.service.d'));
      writeFileSync(join(low, 'worker@.service.d', '10-fail.conf'), '[Service]\nRestart=on-failure\n');
      const env = { SYSTEMD_UNIT_PATH: `${high}:${low}` };
      expect(unitSearchPath(env)).toEqual([high, low]);
      expect(readRestartFromFiles('worker@1.service', env)).toEqual({ restart: 'no', source: join(high, 'worker@.service.d', '20-no.conf') });
      writeFileSync(join(high, 'worker@.service.d', '20-no.conf'), '[Service]\nExecStartPre=/bin/true\n');
      expect(readRestartFromFiles('worker@1.service', env)).toEqual({ restart: 'on-failure', source: join(low, 'worker@.service.d', '10-fail.conf') });
      expect(readRestartFromFiles('absent.service', env)).toBeUndefined();
      expect(unitSearchPath({ SYSTEMD_UNIT_PATH: `${high}:` })).toContain('/etc/systemd/system');
    } finally {
      rmSync(high, { recursive: true, force: true });
      rmSync(low, { recursive: true, force: true });
    }
  });
});

describe('socket tables in any state', () => {
  const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F40 0100007F:A0B0 01 00000000:00000000 00:00000000 00000000  1000        0 1002 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:A0B0 0100007F:1F40 01 00000000:00000000 00:00000000 00000000  1000        0 1003 1 0000000000000000 20 4 30 10 -1
`;
  it('finds every socket whose LOCAL port is the port, with state and remote end', () => {
    const sockets = parsePortSockets(tcp, 'IPv4', 'tcp', 8000);
    expect(sockets.map((s) => [s.inode, s.state, s.remote])).toEqual([
      [1001, 'LISTEN', undefined],
      [1002, 'ESTABLISHED', '127.0.0.1:41136'],
    ]);
    expect(parsePortSockets(tcp, 'IPv4', 'udp', 41136).map((s) => s.state)).toEqual(['CONNECTED']);
  });

  it('reads the inode column of every /proc/net table layout', () => {
    expect(tableInodes(tcp)).toEqual([1001, 1002, 1003]);
    expect(
      tableInodes('Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 4242 /run/x.sock\n'),
    ).toEqual([4242]);
    expect(
      tableInodes('sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n0000000000000000 3      3    0003   2     1 0      0      777\n'),
    ).toEqual([777]);
  });
});

describe('the bind check', () => {
  const listen = (host: string) =>
    new Promise<Server>((resolve) => {
      const server = createServer();
      server.listen(0, host, () => resolve(server));
    });

  it('fails while anything listens on the port, on any address or family; passes once it is gone', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const server = await listen(host);
      const port = (server.address() as { port: number }).port;
      expect(canBindSync(port)).toMatchObject({ ok: false, code: 'EADDRINUSE' });
      expect(await canBind(port)).toMatchObject({ ok: false });
      await new Promise((resolve) => server.close(resolve));
      expect(canBindSync(port)).toEqual({ ok: true });
    }
  });
});
