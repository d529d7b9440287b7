// `ports free` through the built bin, with the first ports of a temp range
// occupied by listeners this test opens (on the wildcard addresses and loopback).
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tryBind } from '@dsa110/ports/system';
import { bin, binForOtherUsers, checkout, ports, requireBuilt } from '../helpers.js';
import { writeRegistry } from '../../helpers.js';
import { leasePort } from '../../../../../test-support/test-port.js';

beforeAll(requireBuilt);

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function listen(port: number, host: string, ipv6Only = false): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host, ipv6Only }, () => {
      servers.push(server);
      resolve(server);
    });
  });
}

/**
 * `count` consecutive ports in 20000-29999 (below the ephemeral range) that nothing holds on 0.0.0.0 or [::],
 * leased as the suite's listeners' ports are (test-support), so that no other test listens there meanwhile.
 */
async function freeBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const start = leasePort({ ranges: [[20000, 29999]], count });
    let ok = true;
    for (let port = start; port < start + count && ok; port++) {
      ok = (await tryBind(port, '0.0.0.0')).ok && (!ipv6 || (await tryBind(port, '::', true)).ok);
    }
    if (ok) return start;
  }
  throw new Error('test setup: no block of free ports found');
}

let ipv6 = false;
beforeAll(async () => {
  const probe = await tryBind(0, '::1', true);
  ipv6 = probe.ok;
});

function registryWith(start: number, end: number): string {
  return `version: 1
services:
  - id: api
    name: FastAPI
    group: production
    port: 8000
    protocol: HTTP
    access: private
    configuredBy: { env: CONTIMG_API_PORT }
    robust: false
    processes: [uvicorn]
reserved:
  - id: scratch
    name: Scratch range
    start: ${start}
    end: ${end}
    purpose: test range
`;
}

describe('ports free', () => {
  it('skips ports taken on 0.0.0.0, on [::] only, and on loopback only; prints the first free one', async () => {
    const start = await freeBlock(5);
    await listen(start, '0.0.0.0');
    await listen(start + 2, '127.0.0.1');
    if (ipv6) await listen(start + 1, '::', true);
    else await listen(start + 1, '0.0.0.0');
    if (ipv6) await listen(start + 3, '::1', true);
    else await listen(start + 3, '127.0.0.1');
    const dir = checkout(registryWith(start, start + 4));
    const run = await ports(['free', 'scratch', '--registry', 'ports.yaml'], { cwd: dir });
    expect(run).toEqual({ code: 0, stdout: `${start + 4}\n`, stderr: '' });
  });

  it('a range kept for a UDP service skips ports bound by a UDP socket (on 0.0.0.0, on [::] only); one kept for nobody checks TCP only', async () => {
    const start = await freeBlock(3);
    const sockets: Socket[] = [];
    const bind = (port: number, address: string) =>
      new Promise<void>((resolve, reject) => {
        const socket = createSocket(address.includes(':') ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
        socket.once('error', reject);
        socket.bind({ port, address }, () => {
          sockets.push(socket);
          resolve();
        });
      });
    try {
      await bind(start, '0.0.0.0');
      await bind(start + 1, ipv6 ? '::' : '0.0.0.0');
      const udp = registryWith(start, start + 2)
        .replace('reserved:\n', 'reserved:\n')
        .replace(
          '    processes: [uvicorn]\n',
          '    processes: [uvicorn]\n  - id: dns\n    name: DNS\n    group: production\n    port: 5353\n    protocol: UDP\n    transport: udp\n    access: private\n    configuredBy: { env: DNS_PORT }\n    robust: false\n    processes: [dnsd]\n',
        )
        .replace('    purpose: test range\n', '    purpose: test range\n    for: [dns]\n');
      const kept = await ports(['free', 'scratch', '--registry', 'ports.yaml'], { cwd: checkout(udp) });
      expect(kept).toEqual({ code: 0, stdout: `${start + 2}\n`, stderr: '' });
      const nobodys = await ports(['free', 'scratch', '--registry', 'ports.yaml'], { cwd: checkout(registryWith(start, start + 2)) });
      expect(nobodys).toEqual({ code: 0, stdout: `${start}\n`, stderr: '' });
    } finally {
      for (const socket of sockets) socket.close();
    }
  });

  // TCP always, UDP as well for a UDP service: a port held on TCP is not free, whatever the range is kept for.
  it('a range kept only for a UDP service skips a port a TCP listener holds (on 0.0.0.0, on [::] only) as well', async () => {
    const start = await freeBlock(3);
    await listen(start, '0.0.0.0');
    await listen(start + 1, ipv6 ? '::' : '0.0.0.0', ipv6);
    const udpOnly = registryWith(start, start + 2)
      .replace('    protocol: HTTP\n', '    protocol: UDP\n    transport: udp\n')
      .replace('    purpose: test range\n', '    purpose: test range\n    for: [api]\n');
    const run = await ports(['free', 'scratch', '--registry', 'ports.yaml'], { cwd: checkout(udpOnly) });
    expect(run).toEqual({ code: 0, stdout: `${start + 2}\n`, stderr: '' });
  });

  // A port of the range that the registry, or an env override, gives a service is that service's, bound or not:
  // handed out while the service is down, it would keep the service from starting.
  it('skips a port the registry or an env override gives a service the range is kept for, though nothing holds it now', async () => {
    const start = await freeBlock(3);
    const kept = registryWith(start, start + 2)
      .replace('    port: 8000\n', `    port: ${start}\n`)
      .replace('    purpose: test range\n', '    purpose: test range\n    for: [api]\n');
    const dir = checkout(kept);
    expect(await ports(['free', 'scratch', '--registry', 'ports.yaml'], { cwd: dir })).toEqual({ code: 0, stdout: `${start + 1}\n`, stderr: '' });
    const moved = await ports(['free', 'scratch', '--registry', 'ports.yaml'], { cwd: dir, env: { CONTIMG_API_PORT: String(start + 1) } });
    expect(moved).toEqual({ code: 0, stdout: `${start + 2}\n`, stderr: '' });
    await listen(start + 2, '0.0.0.0');
    const none = await ports(['free', 'scratch', '--registry', 'ports.yaml'], { cwd: dir, env: { CONTIMG_API_PORT: String(start + 1) } });
    expect(none).toEqual({
      code: 1,
      stdout: '',
      stderr: `ports free: no free port in "scratch" (${start}-${start + 2}): 2 given to a service (api), 1 in use (held on some address of this host); see who holds a port with ss -Htlnp 'sport = :PORT' and free it (claim-port PORT), or widen "scratch" under reserved: in the registry\n`,
    });
  });

  it('prints the range start when it is free, and the port really is bindable', async () => {
    const start = await freeBlock(3);
    const dir = checkout(registryWith(start, start + 2));
    const run = await ports(['free', 'scratch'], { cwd: dir, env: { DSA110_PORTS_FILE: 'ports.yaml' } });
    expect(run.stdout).toBe(`${start}\n`);
    await listen(start, '0.0.0.0');
  });

  it('exits 1 with a clear message when every port of the range is taken', async () => {
    const start = await freeBlock(3);
    for (let port = start; port < start + 3; port++) await listen(port, '0.0.0.0');
    const dir = checkout(registryWith(start, start + 2));
    const run = await ports(['free', 'scratch', '--registry', 'ports.yaml'], { cwd: dir });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `ports free: no free port in "scratch" (${start}-${start + 2}): all 3 ports are in use (held on some address of this host); see who holds a port with ss -Htlnp 'sport = :PORT' and free it (claim-port PORT), or widen "scratch" under reserved: in the registry\n`,
    });
  });

  it('out of file descriptors (ulimit -n), says it cannot check, exit 1: never "no free port" for ports it could not test', () => {
    // Node needs a few descriptors of its own to start, and how many varies: every limit from one too few for Node to
    // print anything up to enough for the test is tried, and the one (or more) where the bind tests ran out must say so.
    const outcomes = new Set<string>();
    for (let limit = 12; limit <= 40; limit++) {
      const run = spawnSync('sh', ['-c', `ulimit -n ${limit}; exec "$0" "$1" free dashboard-fallback`, process.execPath, bin], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
      expect(run.stderr, `ulimit -n ${limit}`).not.toContain('no free port');
      if (run.stderr.startsWith('ports free: cannot check port')) {
        expect([run.status, run.stderr], `ulimit -n ${limit}`).toEqual([
          1,
          expect.stringMatching(
            /^ports free: cannot check port \d+ of "dashboard-fallback": EMFILE \(this process may open no more files: raise its limit, ulimit -n\); nothing was found in use\n$/,
          ),
        ]);
        outcomes.add('cannot check');
      } else if (run.status === 0) outcomes.add('a port');
    }
    expect([...outcomes].sort()).toEqual(['a port', 'cannot check']);
  });

  it('exits 1 for an unknown reserved id, pointing a service id at ports get', async () => {
    const unknown = await ports(['free', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('ports free: no reserved range "nope"; reserved ids: api-alt, dashboard-fallback\n');
    const service = await ports(['free', 'api']);
    expect(service.stderr).toContain('("api" is a service: "ports get api" prints its port)');
  });

  it('names 20 reserved ids and how many more for an unknown one in a large registry', async () => {
    const reserved = Array.from({ length: 30 }, (_, index) => `  - { id: r${String(index).padStart(2, '0')}, name: R, port: ${40000 + index}, purpose: p }`);
    const registry = writeRegistry(`version: 1\nservices: []\nreserved:\n${reserved.join('\n')}\n`);
    const first20 = Array.from({ length: 20 }, (_, index) => `r${String(index).padStart(2, '0')}`).join(', ');
    expect((await ports(['free', 'nope', '--registry', registry])).stderr).toBe(
      `ports free: no reserved range "nope"; reserved ids: ${first20}, … and 10 more (ports list shows every one)\n`,
    );
  });

  it("an unknown reserved id gets the hints ports get gives: a typo, a port in a range, a range's name", async () => {
    expect(await ports(['free', 'dashbord-fallback'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'ports free: no reserved range "dashbord-fallback" (did you mean "dashboard-fallback"?); reserved ids: api-alt, dashboard-fallback\n',
    });
    expect((await ports(['free', '3215'])).stderr).toBe(
      'ports free: no reserved range "3215" (port 3215 is in reserved range "dashboard-fallback": give its id, "dashboard-fallback"); reserved ids: api-alt, dashboard-fallback\n',
    );
    expect((await ports(['free', 'Alternative API port'])).stderr).toContain(' (the name of reserved range "api-alt": give its id, "api-alt");');
  });

  it('a port outside every range (`ports free 8000`, as kill-port frees one) is pointed at claim-port, naming the service it belongs to', async () => {
    expect(await ports(['free', '8000'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ports free: no reserved range "8000" (port 8000 belongs to service "api"; to free port 8000 from what holds it, run as root: claim-port 8000); reserved ids: api-alt, dashboard-fallback\n',
    });
    expect((await ports(['free', '6379/udp'])).stderr).toContain(' (to free port 6379/udp from what holds it, run as root: claim-port 6379/udp);'); // redis is TCP
    expect((await ports(['free', '12345'])).stderr).toContain(' (to free port 12345 from what holds it, run as root: claim-port 12345);');
    expect((await ports(['free', '65535'])).stderr).toContain(' (to free port 65535 from what holds it, run as root: claim-port 65535);');
  });

  it('a number past 65535, or 0, is said to be no port, not pointed at claim-port (which refuses it, exit 64)', async () => {
    for (const input of ['65536', '99999', '70000/udp', '0', '00', '99999999999999999999']) {
      expect(await ports(['free', input]), input).toEqual({
        code: 1,
        stdout: '',
        stderr: `ports free: no reserved range "${input}" (${input} is not a port: ports are 1-65535); reserved ids: api-alt, dashboard-fallback\n`,
      });
      expect((await ports(['get', input])).stderr, input).toContain(` (${input} is not a port: ports are 1-65535)`);
    }
  });

  // As nobody (setpriv needs root), where ports below 1024 need privileges: not "in use".
  const unprivilegedStart = (() => {
    try {
      return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    } catch {
      return 0;
    }
  })();
  it.skipIf(process.getuid?.() !== 0 || unprivilegedStart < 11)('a range this user may not bind is said so, not "in use" (built bin, as nobody)', async () => {
    const dir = checkout(registryWith(1, 10));
    chmodSync(dir, 0o755); // nobody reads the registry in it
    const run = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, binForOtherUsers(), 'free', 'scratch', '--registry', join(dir, 'ports.yaml')],
      {
        cwd: '/',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' },
        encoding: 'utf8',
      },
    );
    expect({ code: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ports free: no free port in "scratch" (1-10): 10 not permitted to this user (a port below net.ipv4.ip_unprivileged_port_start, 1024 by default, needs root or CAP_NET_BIND_SERVICE); run as root, or widen "scratch" under reserved: in the registry\n',
    });
  });
});

// A bad env override: refused as `ports get`, `snippet` and `firewall` refuse it (one line, exit 1, nothing on
// stdout), never skipped in silence while a port is handed out.
describe('ports free: a bad env override', () => {
  it.each([
    ['not a port', 'junk'],
    ['a port past 65535', '70000'],
    ['a port inside a range not kept for the service', '29612'],
  ])('%s is refused, exit 1, with the line ports get prints, named for free', async (_, value) => {
    const file = writeRegistry(registryWith(29610, 29619));
    const env = { CONTIMG_API_PORT: value };
    const free = await ports(['free', 'scratch', '--registry', file], { env });
    const get = await ports(['get', 'api', '--registry', file], { env });
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(/^ports get: CONTIMG_API_PORT=.* cannot be used for service "api": .*\n$/);
    expect([free.code, free.stdout, free.stderr]).toEqual([1, '', get.stderr.replace(/^ports get: /, 'ports free: ')]);
  });

  it('with --json, the error is the JSON object on stdout too', async () => {
    const file = writeRegistry(registryWith(29610, 29619));
    const free = await ports(['free', 'scratch', '--json', '--registry', file], { env: { CONTIMG_API_PORT: 'junk' } });
    expect(free.code).toBe(1);
    expect(JSON.parse(free.stdout)).toEqual({
      tool: 'ports',
      error: { kind: 'error', message: expect.stringMatching(/^ports free: CONTIMG_API_PORT="junk" cannot be used for service "api": /) },
      exitCode: 1,
    });
  });

  it('the bundled registry: CONTIMG_API_PORT=junk ports free dashboard-fallback exits 1, as ports snippet and ports firewall do', async () => {
    const env = { CONTIMG_API_PORT: 'junk' };
    const free = await ports(['free', 'dashboard-fallback'], { env });
    const snippet = await ports(['snippet', 'nginx-site'], { env });
    const firewall = await ports(['firewall'], { env });
    expect([free.code, snippet.code, firewall.code]).toEqual([1, 1, 1]);
    expect(free.stdout).toBe('');
    expect(free.stderr.replace(/^ports free: /, '')).toBe(snippet.stderr.replace(/^ports snippet: /, ''));
    expect(free.stderr.replace(/^ports free: /, '')).toBe(firewall.stderr.replace(/^ports firewall: /, ''));
  });
});
