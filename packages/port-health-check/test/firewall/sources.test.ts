// The sources each access forbids, and the route_localnet fact: read from a
// tree made here (every case), and from this machine's /proc against sysctl's
// own reading.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_NETWORKS_V4, PRIVATE_NETWORKS_V6 } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { hasCommand, spawnListener } from '../../../../test-support/index.js';
import { describeSet } from '../../src/firewall/address-set.js';
import { describeRouteLocalnet, readRouteLocalnet } from '../../src/firewall/route-localnet.js';
import { forbiddenSources, otherHosts, PRIVATE_NETWORKS } from '../../src/firewall/sources.js';
import { gather } from '../../src/gather.js';
import { tempDir, testRegistry } from '../helpers.js';

describe('forbidden sources', () => {
  it('the private networks are the ones `ports firewall` lets in', () => {
    expect(PRIVATE_NETWORKS[4]).toEqual(PRIVATE_NETWORKS_V4);
    expect(PRIVATE_NETWORKS[6]).toEqual(PRIVATE_NETWORKS_V6);
  });

  it('localhost and dev: every other host (no martian); private: outside the private networks; public: none', () => {
    expect(describeSet(otherHosts(4))).toBe('1.0.0.0-126.255.255.255, 128.0.0.0-223.255.255.255, 240.0.0.0-255.255.255.254');
    expect(describeSet(otherHosts(6))).toBe('::2-feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(forbiddenSources('dev', 4)).toEqual(forbiddenSources('localhost', 4));
    expect(describeSet(forbiddenSources('private', 4), 9)).toBe(
      '1.0.0.0-9.255.255.255, 11.0.0.0-126.255.255.255, 128.0.0.0-172.15.255.255, 172.32.0.0-192.167.255.255, 192.169.0.0-223.255.255.255, 240.0.0.0-255.255.255.254',
    );
    expect(describeSet(forbiddenSources('private', 6), 9)).toBe('::2-fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, fe00::/9, fec0::/10');
    expect(forbiddenSources('public', 6).ranges).toEqual([]);
  });
});

describe('route_localnet', () => {
  it('the interfaces where it is on, `all` among them; lo and default are not interfaces other hosts send through', () => {
    const dir = tempDir();
    for (const [name, value] of [
      ['all', '0'],
      ['default', '1'],
      ['lo', '1'],
      ['eth0', '1'],
      ['eth1', '0'],
      ['wg0', '1'],
    ] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'route_localnet'), `${value}\n`);
    }
    // An interface that went away between the listing and the read.
    mkdirSync(join(dir, 'veth9'));
    // Every interface is listed too: what `all` stands for.
    expect(readRouteLocalnet(dir)).toEqual({ on: ['eth0', 'wg0'], interfaces: ['eth0', 'eth1', 'wg0'] });
    expect(describeRouteLocalnet(['eth0', 'wg0'])).toBe('net.ipv4.conf.{eth0,wg0}.route_localnet');
    expect(readRouteLocalnet(join(dir, 'missing'))).toEqual({ problem: `cannot list ${join(dir, 'missing')}: ENOENT` });
  });

  it.skipIf(!hasCommand('sysctl', ['--version']))('reads this machine as sysctl does', () => {
    const run = spawnSync('sysctl', ['-a', '-r', String.raw`^net\.ipv4\.conf\..*\.route_localnet$`], { encoding: 'utf8' });
    const read = run.stdout
      .split('\n')
      .map((line) => /^net\.ipv4\.conf\.(.+)\.route_localnet = ([01])$/.exec(line))
      .filter((match) => match !== null && match[1] !== 'lo' && match[1] !== 'default')
      .map((match) => ({ name: match![1]!.replaceAll('/', '.'), on: match![2] === '1' }));
    const on = read.filter((entry) => entry.on).map((entry) => entry.name);
    const interfaces = read.map((entry) => entry.name).filter((name) => name !== 'all');
    expect(readRouteLocalnet()).toEqual({ on: on.sort(), interfaces: interfaces.sort() });
  });

  it('gather reads it when a service the firewall check looks at listens on 127.0.0.1, and not with --no-firewall', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const registry = testRegistry([{ id: 'redis', port: listener.port, robust: true, unit: 'redis.service', claim: 'unit' }]);
    expect((await gather({ registry, root: tempDir() })).routeLocalnet).toEqual(readRouteLocalnet());
    expect((await gather({ registry, root: tempDir(), firewall: false })).routeLocalnet).toBeUndefined();
  });
});
