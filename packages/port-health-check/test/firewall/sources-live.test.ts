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

/** localnet-netns.sh in a PID and network namespace of its own; the probes' answers and the command's output. */
function runLocalnetNetns(rules: string, routeLocalnet: 0 | 1, pairs: readonly [number, number][], command: string) {
  return runNetnsScript({
    script: join(import.meta.dirname, 'fixtures/localnet-netns.sh'),
    args: [rules, String(routeLocalnet), ...pairs.map(([port, outside]) => `${port}/${outside}`)],
    env: { LOCALNET_NETNS_THEN: command },
    timeoutMs: 50_000,
  });
}

describe('route_localnet', () => {
  // localnet.nft: DNAT 16379 -> 127.0.0.1:6379 and 16380 -> 127.0.0.1:6380; for 6380 only,
  // `iifname != "lo" ip daddr 127.0.0.0/8 drop` (kube-proxy's guard against CVE-2020-8558).
  const rules = join(import.meta.dirname, 'fixtures/localnet.nft');
  const registry = () => {
    const robust = (id: string, port: number) => ({ id, port, robust: true, unit: `${id}.service`, claim: 'unit' as const, processes: ['python3'] });
    return write(registryText([robust('redis', 6379), robust('cache', 6380)]), 'ports.yaml');
  };

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
      expect(results.get('redis')).toMatchObject({ severity: 'warning' });
      expect(results.get('redis')!.reason).toContain(
        'listens on 127.0.0.1:6379 only, but net.ipv4.conf.all.route_localnet is 1: hosts on the link of any interface can send to it, and any host through rule ip nat prerouting handle 2 (DNAT to 127.0.0.1:6379), and the firewall lets them in',
      );
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
