// A `::` socket's IPV6_V6ONLY: inferred from /proc where that is certain, asked of the kernel (sock_diag, through
// ss) where it is not, net.ipv6.bindv6only=1 with no IPv4 twin, and the safe side (dual-stack) where it cannot be.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canRunFirewallNetns, runNetnsScript } from '../../../../test-support/firewall-netns.js';
import { hasCommand } from '../../../../test-support/index.js';
import { isDualStack, parseSsV6Only, readKernelV6Only, uncertainDualStackPorts } from '../../src/system/dual-stack.js';
import type { ListenSocket } from '../../src/system/sockets.js';

const repo = join(import.meta.dirname, '../../../..');
const fixtures = join(import.meta.dirname, 'fixtures');

describe('parseSsV6Only', () => {
  it("reads each wildcard socket's v6only by inode from ss -6 -ltnHe / -lunHe (iproute2 6.1)", () => {
    const text = readFileSync(join(fixtures, 'ss-6-lnHe.txt'), 'utf8');
    expect(parseSsV6Only(text)).toEqual(
      new Map([
        [2208292, true],
        [2208293, false],
        [2208294, true],
        [2208295, false],
      ]),
    );
  });
  it('leaves out a line that does not read: no inode, no flag, or an address that disagrees with it', () => {
    expect(parseSsV6Only('LISTEN 0 128 *:9090 *:* sk:1 v6only:0 <->\n')).toEqual(new Map());
    expect(parseSsV6Only('LISTEN 0 128 *:9090 *:* ino:7 sk:1 <->\n')).toEqual(new Map());
    expect(parseSsV6Only('LISTEN 0 128 [::]:9090 [::]:* ino:7 sk:1 v6only:0 <->\n')).toEqual(new Map());
    expect(parseSsV6Only('LISTEN 0 128 *:9090 *:* ino:07 v6only:0\n')).toEqual(new Map());
    expect(parseSsV6Only('garbage\n\n')).toEqual(new Map());
  });
});

describe('uncertainDualStackPorts', () => {
  const s = (address: string, family: 'IPv4' | 'IPv6', port: number): ListenSocket => ({ address, family, port, inode: port, uid: 0 });
  it('is the ports of `::` sockets with no IPv4 twin, only when bindv6only is 1', () => {
    const all = [s('::', 'IPv6', 9090), s('::', 'IPv6', 9091), { ...s('0.0.0.0', 'IPv4', 9091), uid: 65534 }, s('::1', 'IPv6', 9092), s('::', 'IPv6', 9090)];
    expect(uncertainDualStackPorts(all, true)).toEqual([9090]);
    expect(uncertainDualStackPorts(all, false)).toEqual([]);
  });
  it('is the ports of `::` sockets whose IPv4 twins are all of their uid, whatever bindv6only (SO_REUSEPORT may share a port dual-stack)', () => {
    const all = [s('::', 'IPv6', 9091), s('127.0.0.1', 'IPv4', 9091), s('::', 'IPv6', 9092), { ...s('0.0.0.0', 'IPv4', 9092), uid: 65534 }];
    expect(uncertainDualStackPorts(all, false)).toEqual([9091]);
    expect(uncertainDualStackPorts(all, true)).toEqual([9091]);
    expect(isDualStack(all[0]!, all, false)).toBe(true);
    expect(isDualStack(all[2]!, all, false)).toBe(false);
  });
  it('for UDP, is the ports of `::` sockets with any IPv4 twin, of any uid (SO_REUSEADDR shares a datagram port across uids)', () => {
    const all = [s('::', 'IPv6', 9092), { ...s('127.0.0.1', 'IPv4', 9092), uid: 65534 }];
    expect(uncertainDualStackPorts(all, false, 'udp')).toEqual([9092]);
    expect(isDualStack(all[0]!, all, false, undefined, 'udp')).toBe(true);
    expect(isDualStack(all[0]!, all, false, new Map([[9092, false]]), 'udp')).toBe(false);
  });
});

describe('readKernelV6Only', () => {
  it('is undefined where ss cannot be run (the caller then takes the safe side), and asks nothing for no port', () => {
    expect(readKernelV6Only([9090], 'tcp', ['/nonexistent/ss'])).toBeUndefined();
    expect(readKernelV6Only([9090], 'tcp', ['/bin/false'])).toBeUndefined();
    expect(readKernelV6Only([], 'tcp', ['/nonexistent/ss'])).toEqual(new Map());
  });
});

const skipped = canRunFirewallNetns && hasCommand('ss', ['-V']) ? '' : '[skipped: needs root, unshare, python3 and ss]';
describe('snapshot with net.ipv6.bindv6only=1', () => {
  it.skipIf(skipped !== '')(
    `tells a [::] socket that clears IPV6_V6ONLY (dual-stack) from one that keeps the default (IPv6 only), TCP and UDP ${skipped}`,
    async () => {
      const port = 9090; // the namespace is new: nothing else listens there
      const script = `const { snapshotSync, snapshot } = await import(${JSON.stringify(join(repo, 'packages/ports/src/system/index.ts'))});
const ports = [${port}, ${port + 1}, ${port + 2}, ${port + 3}];
const of = (listeners) => listeners.map((l) => [l.port, l.dualStack]).sort((a, b) => a[0] - b[0]);
console.log(JSON.stringify({
  tcp: of(snapshotSync({ ports }).listeners),
  tcpAsync: of((await snapshot({ ports })).listeners),
  udp: of(snapshotSync({ ports, transport: 'udp' }).listeners),
  otherRoot: of(snapshotSync({ ports, procRoot: '/proc/self/..' }).listeners),
}));`;
      const command = `cd ${repo} && ${process.execPath} --conditions=development --import tsx --input-type=module -e '${script.replaceAll("'", "'\\''")}'`;
      const run = await runNetnsScript({ script: join(fixtures, 'bindv6only-netns.sh'), args: [String(port), command], env: {}, timeoutMs: 60_000 });
      expect(JSON.parse(run.output)).toEqual({
        tcp: [
          [port, true],
          [port + 1, false],
        ],
        tcpAsync: [
          [port, true],
          [port + 1, false],
        ],
        udp: [
          [port + 2, true],
          [port + 3, false],
        ],
        // Not this process's /proc by name: the kernel is not asked, and each is taken to be dual-stack.
        otherRoot: [
          [port, true],
          [port + 1, true],
        ],
      });
    },
    60_000,
  );
});

const udpSkipped = canRunFirewallNetns && hasCommand('ss', ['-V']) ? '' : '[skipped: needs root, unshare, python3 and ss]';
describe('snapshot of UDP `::` sockets beside a 127.0.0.1 one of another uid', () => {
  it.skipIf(udpSkipped !== '')(
    `asks the kernel (SO_REUSEADDR shares a datagram port across uids): the dual-stack one is told from the IPv6-only one ${udpSkipped}`,
    async () => {
      const port = 9190; // the namespace is new: nothing else listens there
      const script = `const { snapshotSync } = await import(${JSON.stringify(join(repo, 'packages/ports/src/system/index.ts'))});
const ports = [${port}, ${port + 1}];
const of = (listeners) => listeners.filter((l) => l.address === '::').map((l) => [l.port, l.dualStack]).sort((a, b) => a[0] - b[0]);
console.log(JSON.stringify(of(snapshotSync({ ports, transport: 'udp' }).listeners)));`;
      const command = `cd ${repo} && ${process.execPath} --conditions=development --import tsx --input-type=module -e '${script.replaceAll("'", "'\\''")}'`;
      const run = await runNetnsScript({ script: join(fixtures, 'udp-twin-netns.sh'), args: [String(port), command], env: {}, timeoutMs: 60_000 });
      // What the kernel does: a datagram to 127.0.0.2 reaches the dual-stack `::` socket only.
      expect(Object.fromEntries(run.seen)).toEqual({ [`reached v4 udp ${port}`]: 'open', [`reached v4 udp ${port + 1}`]: 'closed' });
      expect(JSON.parse(run.output)).toEqual([
        [port, true],
        [port + 1, false],
      ]);
    },
    60_000,
  );
});
