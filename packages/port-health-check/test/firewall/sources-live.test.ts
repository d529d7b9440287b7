// The firewall check's two false verdicts a hostile review found, on real
// kernels: rulesets loaded by nft in network namespaces made for the test,
// an outside host connecting over a veth pair (the ground truth), and the
// health check run from its sources (under tsx) inside the namespace.
// 1. A rule on the SOURCE address (a bogon filter, `ip saddr != 10.0.0.0/8
//    drop`) once decided for every source by the one sample the check asked
//    about (203.0.113.7): dropped, so "ok", while other hosts got in.
// 2. With route_localnet on, a listener on 127.0.0.1 is reachable from other
//    hosts (straight, and through a DNAT to 127.0.0.1): it was "bound to
//    loopback only: not reachable".
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { canRunFirewallNetns, runFirewallNetns, runNetnsScript } from '../../../../test-support/firewall-netns.js';
import { registryText, tempDir } from '../helpers.js';

const repo = join(import.meta.dirname, '../../../..');
/** The health check from its sources: what is tested is this checkout, built or not. */
const health = `cd ${repo} && ${process.execPath} --conditions=development --import tsx packages/port-health-check/src/bin.ts --json`;
const skipped = canRunFirewallNetns ? '' : '[skipped: needs root, nft, unshare, nsenter, ip and python3]';

interface Check {
  check: string;
  severity: string;
  service: string | null;
  reason: string;
}

function firewallResults(output: string): Map<string | null, Check> {
  const report = JSON.parse(output) as { checks: Check[] };
  return new Map(report.checks.filter((result) => result.check === 'firewall').map((result) => [result.service, result]));
}

function write(text: string, name: string): string {
  const path = join(tempDir('dsa110-firewall-sources-'), name);
  writeFileSync(path, text);
  return path;
}

/**
 * An input chain of `rules` (one a line) loaded in the namespace, Redis (a localhost service) and the API (a private
 * one) listening on 0.0.0.0, and the health check's firewall verdicts on both. The kernel's own answer is held first:
 * the documentation range (the source the check once asked about) is dropped, another host (10.99.0.2) reaches Redis.
 */
async function checkSourceRules(name: string, rules: readonly string[]): Promise<Map<string | null, Check>> {
  const registry = await loadRegistry({ path: join(repo, 'ports.yaml') });
  const redis = registry.service('redis').port;
  const api = registry.service('api').port;
  const chain = rules.map((rule) => `\t\t${rule}\n`).join('');
  const run = await runFirewallNetns({
    rules: write(`table inet edge {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n${chain}\t}\n}\n`, name),
    ports: [redis, api],
    listen: '0.0.0.0',
    command: `${health} --registry ${join(repo, 'ports.yaml')} --service redis,api`,
  });
  expect(run.seen.get(`after v4 public ${redis}`)).toBe('closed');
  expect(run.seen.get(`after v4 private ${redis}`)).toBe('open');
  return firewallResults(run.output);
}

describe('a rule on the source address', () => {
  it.skipIf(!canRunFirewallNetns)(
    `a bogon filter that drops the one source the check once asked about: every other host still gets in, and the check says so ${skipped}`,
    async () => {
      const results = await checkSourceRules('bogons.nft', ['ip saddr 203.0.113.0/24 drop', 'ip6 saddr 2001:db8::/32 drop']);
      expect(results.get('redis')).toMatchObject({ severity: 'error' });
      expect(results.get('redis')!.reason).toMatch(
        /lets outside connections in \(IPv4 from 1\.0\.0\.0-126\.255\.255\.255, .*: accepted by the policy \(accept\) of inet edge input\)/,
      );
      // The private API: every public address but 203.0.113.0/24 gets in too.
      expect(results.get('api')).toMatchObject({ severity: 'error' });
    },
    60_000,
  );

  it.skipIf(!canRunFirewallNetns)(
    `\`ip saddr != 10.0.0.0/8 drop\`: the private network reaches a localhost service (an error), and a private one as its access allows (ok) ${skipped}`,
    async () => {
      const results = await checkSourceRules('private-only.nft', ['ip saddr != 10.0.0.0/8 drop', 'ip6 saddr != fd00::/8 drop']);
      expect(results.get('redis')).toMatchObject({ severity: 'error' });
      expect(results.get('redis')!.reason).toContain('(IPv4 from 10.0.0.0/8: accepted by the policy (accept) of inet edge input)');
      expect(results.get('api')).toMatchObject({ severity: 'ok' });
      expect(results.get('api')!.reason).toMatch(/the firewall drops outside connections \(IPv4: rule inet edge input handle \d+\)$/);
    },
    60_000,
  );
});

/** localnet-netns.sh in a PID and network namespace of its own; the probes' answers and the command's output. `env`: its LOCALNET_NETNS_IFACE, _ON, _SECOND. */
function runLocalnetNetns(rules: string, routeLocalnet: 0 | 1, pairs: readonly [number, number][], command: string, env: Record<string, string> = {}) {
  return runNetnsScript({
    script: join(import.meta.dirname, 'fixtures/localnet-netns.sh'),
    args: [rules, String(routeLocalnet), ...pairs.map(([port, outside]) => `${port}/${outside}`)],
    env: { LOCALNET_NETNS_THEN: command, ...env },
    timeoutMs: 80_000,
  });
}

const robust = (id: string, port: number, access: 'localhost' | 'private' = 'localhost') => ({
  id,
  port,
  access,
  robust: true,
  unit: `${id}.service`,
  claim: 'unit' as const,
  processes: ['python3'],
});

describe('route_localnet', () => {
  // localnet.nft: DNAT 16379 -> 127.0.0.1:6379 and 16380 -> 127.0.0.1:6380; for 6380 only,
  // `iifname != "lo" ip daddr 127.0.0.0/8 drop` (kube-proxy's guard against CVE-2020-8558).
  const rules = join(import.meta.dirname, 'fixtures/localnet.nft');
  const registry = () => write(registryText([robust('redis', 6379), robust('cache', 6380)]), 'ports.yaml');

  it.skipIf(!canRunFirewallNetns)(
    `on, with a DNAT to 127.0.0.1: a listener bound to 127.0.0.1 only is reached from outside, and is not "not reachable" ${skipped}`,
    async () => {
      const run = await runLocalnetNetns(
        rules,
        1,
        [
          [6379, 16379],
          [6380, 16380],
        ],
        `${health} --registry ${registry()}`,
      );
      // The kernel: through the DNAT and straight to 127.0.0.1, unless the input hook drops packets to 127/8 from elsewhere.
      expect(run.seen.get('after v4 dnat 16379')).toBe('open');
      expect(run.seen.get('after v4 direct 6379')).toBe('open');
      expect(run.seen.get('after v4 dnat 16380')).toBe('closed');
      expect(run.seen.get('after v4 direct 6380')).toBe('closed');
      const results = firewallResults(run.output);
      // The DNAT takes any source on any interface, and nothing drops it after: every other host gets in, an error.
      expect(results.get('redis')).toMatchObject({ severity: 'error' });
      expect(results.get('redis')!.reason).toContain(
        'listens on 127.0.0.1:6379 only, but net.ipv4.conf.all.route_localnet is 1: other hosts reach it through a DNAT rule, and the firewall lets them in (IPv4 from any other host on dsa110ln0 to port 16379: rule ip nat prerouting handle 2 (DNAT to 127.0.0.1:6379), accepted by the policy (accept) of inet filter input), and hosts on the link of any interface can send to it straight;',
      );
      // The redirect to :6379 goes to the interface's own address, never to 127.0.0.1: not a way in.
      expect(results.get('redis')!.reason).not.toContain('handle 4');
      expect(results.get('cache')).toMatchObject({ severity: 'ok' });
      expect(results.get('cache')!.reason).toContain('but the firewall drops them (IPv4 to 127.0.0.1: rule inet filter input handle 2)');
    },
    60_000,
  );

  it.skipIf(!canRunFirewallNetns)(
    `off: the same DNAT reaches nothing, and loopback only is ok ${skipped}`,
    async () => {
      const run = await runLocalnetNetns(rules, 0, [[6379, 16379]], `${health} --registry ${registry()}`);
      expect(run.seen.get('after v4 dnat 16379')).toBe('closed');
      expect(run.seen.get('after v4 direct 6379')).toBe('closed');
      expect(firewallResults(run.output).get('redis')).toMatchObject({
        severity: 'ok',
        reason: 'redis (6379): bound to loopback only: not reachable from outside whatever the firewall says',
      });
    },
    60_000,
  );
});

describe('a DNAT to 127.0.0.1: its conditions, the rules before it and the input hook after it', () => {
  // dnat-conditions.nft, per service (each listening on 127.0.0.1 only): route_localnet is on for eth0 only,
  // eth1 (a second link to the same outside host) keeps it at 0.
  const rules = join(import.meta.dirname, 'fixtures/dnat-conditions.nft');
  const services = [robust('redis', 6379), robust('cache', 6380), robust('api', 6381, 'private'), robust('home', 6382), robust('marked', 6383)];
  const pairs = services.map(({ port }): [number, number] => [port, port + 10_000]);

  it.skipIf(!canRunFirewallNetns)(
    `an error only where the kernel lets forbidden sources in through the DNAT, nothing where it does not, unknown where a condition cannot be read ${skipped}`,
    async () => {
      const run = await runLocalnetNetns(rules, 1, pairs, `${health} --registry ${write(registryText(services), 'ports.yaml')}`, {
        LOCALNET_NETNS_IFACE: 'eth0',
        LOCALNET_NETNS_ON: 'eth0',
        LOCALNET_NETNS_SECOND: 'eth1',
      });
      const results = firewallResults(run.output);
      const reason = (id: string) => results.get(id)!.reason;
      // Every listener is reached straight over eth0's link (route_localnet on there, nothing in the input hook): a warning at least.
      for (const { port } of services) expect(run.seen.get(`after v4 direct ${port}`), String(port)).toBe('open');

      // `iifname "eth0" tcp dport 16379 dnat to 127.0.0.1:6379`: any host in, on eth0.
      expect(run.seen.get('after v4 dnat 16379')).toBe('open');
      expect(results.get('redis')).toMatchObject({ severity: 'error' });
      expect(reason('redis')).toContain(
        'other hosts reach it through a DNAT rule, and the firewall lets them in (IPv4 from any other host on eth0 to port 16379: rule ip nat prerouting handle 2 (DNAT to 127.0.0.1:6379), no input chain filters it)',
      );

      // `iifname "eth1" tcp dport 16380 dnat to 127.0.0.1:6380`: route_localnet is 0 on eth1, the DNAT leads nowhere.
      expect(run.seen.get('after v4 dnat2 16380')).toBe('closed');
      expect(results.get('cache')).toMatchObject({ severity: 'warning' });
      expect(reason('cache')).toBe(
        'cache (6380): listens on 127.0.0.1:6380 only, but net.ipv4.conf.eth0.route_localnet is 1: hosts on the link of eth0 can send to it, and the firewall lets them in (IPv4 to 127.0.0.1 from any other host: no input chain filters it); set it to 0, or drop packets to 127.0.0.0/8 that do not come in on lo',
      );

      // A private service, `ip saddr 10.0.0.0/8 tcp dport 16381 dnat ...`: only the private network gets in, as its access allows.
      expect(run.seen.get('after v4 dnat 16381')).toBe('closed');
      expect(run.seen.get('after v4 dnat10 16381')).toBe('open');
      expect(results.get('api')).toMatchObject({ severity: 'warning' });
      expect(reason('api')).not.toContain('DNAT');

      // `ip saddr != 192.168.0.0/16 tcp dport 16382 return` before the DNAT: 192.168.0.0/16 still gets in, and is named.
      expect(run.seen.get('after v4 dnat 16382')).toBe('closed');
      expect(run.seen.get('after v4 dnat192 16382')).toBe('open');
      expect(results.get('home')).toMatchObject({ severity: 'error' });
      expect(reason('home')).toContain(
        '(IPv4 from 192.168.0.0/16 on eth0 to port 16382: rule ip nat prerouting handle 6 (DNAT to 127.0.0.1:6382), no input chain filters it)',
      );

      // `tcp dport 16383 meta mark 0x1 dnat ...`: a mark is not followed, so the DNAT is "cannot tell", named (beside the link's warning).
      expect(run.seen.get('after v4 dnat 16383')).toBe('closed');
      expect(results.get('marked')).toMatchObject({ severity: 'warning' });
      expect(reason('marked')).toContain(
        '; cannot tell whether rule ip nat prerouting handle 7 (DNAT to 127.0.0.1:6383) brings other hosts to it: rule ip nat prerouting handle 7 uses a match on meta mark (for port 16383, on eth0);',
      );
    },
    120_000,
  );
});

describe('a DNAT to 127.0.0.1 through a map', () => {
  // dnat-maps.nft: each service listens on 127.0.0.1 only, route_localnet is on everywhere, no input chain.
  const rules = join(import.meta.dirname, 'fixtures/dnat-maps.nft');
  const services = [robust('redis', 6379), robust('cache', 6380), robust('api', 6381), robust('home', 6382), robust('marked', 6383)];
  const pairs = services.map(({ port }): [number, number] => [port, port + 10_000]);

  it.skipIf(!canRunFirewallNetns)(
    `a port map to the listener is followed exactly, a map on anything else is "cannot tell", never a silent pass ${skipped}`,
    async () => {
      const run = await runLocalnetNetns(rules, 1, pairs, `${health} --registry ${write(registryText(services), 'ports.yaml')}`);
      const results = firewallResults(run.output);
      const reason = (id: string) => results.get(id)!.reason;
      const inThrough = (port: number, handle: number, to: number) =>
        `(IPv4 from any other host on dsa110ln0 to port ${port}: rule ip nat prerouting handle ${handle} (DNAT to 127.0.0.1:${to}), no input chain filters it)`;

      // `tcp dport 16379 dnat ip to tcp dport map { 16379 : 127.0.0.1 . 6379 }`: every host gets in, an error.
      expect(run.seen.get('after v4 dnat 16379')).toBe('open');
      expect(results.get('redis')).toMatchObject({ severity: 'error' });
      expect(reason('redis')).toContain(inThrough(16379, 4, 6379));

      // Keyed by the source address: 203.0.113.2 gets in, and which sources do is not followed: cannot tell, named.
      expect(run.seen.get('after v4 dnat 16380')).toBe('open');
      expect(run.seen.get('after v4 dnat10 16380')).toBe('closed');
      expect(results.get('cache')).toMatchObject({ severity: 'warning' });
      expect(reason('cache')).toContain(
        'cannot tell whether rule ip nat prerouting handle 6 (a DNAT whose target it cannot read) brings other hosts to it: rule ip nat prerouting handle 6 uses a DNAT through a map keyed by ip saddr',
      );

      // A named map keyed by the port, and no `tcp dport` match: its keys are the ports it takes.
      expect(run.seen.get('after v4 dnat 16381')).toBe('open');
      expect(results.get('api')).toMatchObject({ severity: 'error' });
      expect(reason('api')).toContain(inThrough(16381, 7, 6381));

      // numgen: cannot tell, named.
      expect(run.seen.get('after v4 dnat 16382')).toBe('open');
      expect(results.get('home')).toMatchObject({ severity: 'warning' });
      expect(reason('home')).toContain('rule ip nat prerouting handle 9 uses a DNAT through a map keyed by numgen');

      // 16383 is no key of the first map: the lookup fails, and the next rule brings it in.
      expect(run.seen.get('after v4 dnat 16383')).toBe('open');
      expect(results.get('marked')).toMatchObject({ severity: 'error' });
      expect(reason('marked')).toContain(inThrough(16383, 13, 6383));
    },
    120_000,
  );
});
