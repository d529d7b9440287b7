// The firewall check against a ruleset really loaded in the kernel: in a
// network namespace made for the test (test-support/firewall-netns.ts, shared
// with the `ports firewall` test), the ruleset `ports firewall --format nft`
// writes is loaded, Redis's and the API's ports listen on 0.0.0.0, an outside
// host connects over a veth pair (the ground truth), and the built health
// check runs inside the namespace. The generated ruleset as it is: nothing
// exposed. With Redis's drop turned into an accept on purpose: Redis exposed,
// named with the rule that lets it in.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { canRunFirewallNetns, runFirewallNetns } from '../../../../test-support/firewall-netns.js';
import { tempDir } from '../../../../test-support/tree.js';

const repo = join(import.meta.dirname, '../../../..');
const portsBin = join(repo, 'packages/ports/bin/ports.js');
const healthBin = join(repo, 'packages/port-health-check/bin/port-health-check.js');

interface Check {
  check: string;
  severity: string;
  service: string | null;
  reason: string;
}

describe('the firewall check on a loaded ruleset', () => {
  it.skipIf(!canRunFirewallNetns)(
    `reports Redis exposed when the generated ruleset is opened for it on purpose, and nothing with the ruleset as generated ${canRunFirewallNetns ? '' : '[skipped: needs root, nft, unshare, nsenter, ip and python3]'}`,
    async () => {
      const registry = await loadRegistry({ path: join(repo, 'ports.yaml') });
      const redis = registry.service('redis').port;
      const api = registry.service('api').port;
      const generated = execFileSync(process.execPath, [portsBin, 'firewall', '--format', 'nft'], { encoding: 'utf8' });
      const drop = `\t\ttcp dport ${redis} drop\n`;
      expect(generated).toContain(drop);
      const dir = tempDir('dsa110-firewall-health-');
      const write = (name: string, text: string) => {
        writeFileSync(join(dir, name), text);
        return join(dir, name);
      };
      const health = `${process.execPath} ${healthBin} --registry ${join(repo, 'ports.yaml')} --json`;
      const firewallResults = (output: string) => {
        const report = JSON.parse(output) as { checks: Check[] };
        return new Map(report.checks.filter((result) => result.check === 'firewall').map((result) => [result.service, result]));
      };

      const asGenerated = await runFirewallNetns({ rules: write('generated.nft', generated), ports: [redis, api], listen: '0.0.0.0', command: health });
      // The kernel agrees: nothing gets in from a public address.
      expect(asGenerated.seen.get(`after v4 public ${redis}`)).toBe('closed');
      expect(asGenerated.seen.get(`after v4 public ${api}`)).toBe('closed');
      const quiet = firewallResults(asGenerated.output);
      expect(quiet.get('redis')).toMatchObject({
        severity: 'ok',
        reason: expect.stringMatching(/the firewall drops outside connections \(IPv4: rule inet dsa110_ports input handle \d+\)/),
      });
      expect(quiet.get('api')).toMatchObject({ severity: 'ok' });

      const opened = generated.replace(drop, `\t\ttcp dport ${redis} accept\n`);
      const asOpened = await runFirewallNetns({ rules: write('opened.nft', opened), ports: [redis, api], listen: '0.0.0.0', command: health });
      expect(asOpened.seen.get(`after v4 public ${redis}`)).toBe('open');
      expect(asOpened.seen.get(`after v4 public ${api}`)).toBe('closed');
      const loud = firewallResults(asOpened.output);
      expect(loud.get('redis')).toMatchObject({ severity: 'error' });
      expect(loud.get('redis')!.reason).toMatch(
        new RegExp(
          `^redis \\(${redis}\\): listens on 0\\.0\\.0\\.0:${redis} and the firewall lets outside connections in \\(IPv4 from any other host: accepted by rule inet dsa110_ports input handle \\d+\\), but its access is localhost; load the registry's rules \\(ports firewall --format nft`,
        ),
      );
      expect(loud.get('api')).toMatchObject({ severity: 'ok' });
    },
    60_000,
  );
});
