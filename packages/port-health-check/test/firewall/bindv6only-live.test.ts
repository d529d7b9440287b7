// A hostile review's wrong answer, on a real kernel: with net.ipv6.bindv6only=1
// a `[::]` listener that clears IPV6_V6ONLY itself (every Go server on `:PORT`:
// Prometheus, Grafana) is dual-stack, yet was called IPv6-only from the
// sysctl, so a firewall that drops only IPv6 to its port passed while other
// hosts connected over IPv4. The kernel is asked now (sock_diag, through ss).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canRunFirewallNetns, runNetnsScript } from '../../../../test-support/firewall-netns.js';
import { registryText, tempDir } from '../helpers.js';

const repo = join(import.meta.dirname, '../../../..');
const health = `cd ${repo} && ${process.execPath} --conditions=development --import tsx packages/port-health-check/src/bin.ts --json`;
const skipped = canRunFirewallNetns ? '' : '[skipped: needs root, nft, unshare, nsenter, ip and python3]';

describe('net.ipv6.bindv6only=1', () => {
  it.skipIf(!canRunFirewallNetns)(
    `a [::] listener that clears IPV6_V6ONLY itself is dual-stack: a firewall dropping only IPv6 leaves it exposed over IPv4 ${skipped}`,
    async () => {
      const port = 9090; // the namespace is new: nothing else listens there
      const dir = tempDir('dsa110-bindv6only-');
      const registry = join(dir, 'ports.yaml');
      writeFileSync(
        registry,
        registryText([{ id: 'prometheus', port, access: 'localhost', robust: true, unit: 'prometheus.service', claim: 'unit', processes: ['python3'] }]),
      );
      const rules = join(dir, 'v6-drop.nft');
      writeFileSync(
        rules,
        `table inet edge {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tiifname "lo" accept\n\t\tmeta nfproto ipv6 tcp dport ${port} drop\n\t}\n}\n`,
      );
      const run = await runNetnsScript({
        script: join(import.meta.dirname, 'fixtures/bindv6only-netns.sh'),
        args: [rules, String(port)],
        env: { FIREWALL_NETNS_LISTEN: '::', FIREWALL_NETNS_THEN: `${health} --registry ${registry} --service prometheus --format json` },
        timeoutMs: 60_000,
      });
      // The kernel's own answer: IPv6 dropped, IPv4 from another host gets in.
      expect(run.seen.get(`after v6 public ${port}`)).toBe('closed');
      expect(run.seen.get(`after v4 public ${port}`)).toBe('open');
      const report = JSON.parse(run.output) as {
        services: { listeners: { address: string; dualStack: boolean }[] }[];
        checks: { check: string; severity: string; reason: string }[];
      };
      expect(report.services[0]!.listeners).toEqual([expect.objectContaining({ address: '::', dualStack: true })]);
      const firewall = report.checks.find((check) => check.check === 'firewall')!;
      expect(firewall.severity).toBe('error');
      expect(firewall.reason).toContain('IPv4');
      const access = report.checks.find((check) => check.check === 'access')!;
      expect(access.reason).toContain('every IPv4 one');
    },
    60_000,
  );
});
