// The firewall check against a ruleset really loaded in the kernel: in a
// network namespace made for the test (test-support/firewall-netns.ts, shared
// with the `ports firewall` test), the ruleset `ports firewall --format nft`
// writes is loaded, Redis's and the API's ports listen on 0.0.0.0, an outside
// host connects over a veth pair (the ground truth), and the built health
// check runs inside the namespace. The generated ruleset as it is: nothing
// exposed. With Redis's drop turned into an accept on purpose: Redis exposed,
// named with the rule that lets it in.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { canRunFirewallNetns, runFirewallNetns } from '../../../../test-support/firewall-netns.js';
import { tempDir } from '../../../../test-support/tree.js';
import { registryText } from '../helpers.js';

const repo = join(import.meta.dirname, '../../../..');
const portsBin = join(repo, 'packages/ports/bin/ports.js');
const healthBin = join(repo, 'packages/port-health-check/bin/port-health-check.js');

interface Check {
  check: string;
  severity: string;
  service: string | null;
  reason: string;
}

/** The firewall results of a JSON report, by service. */
function firewallResults(output: string): Map<string | null, Check> {
  const report = JSON.parse(output) as { checks: Check[] };
  return new Map(report.checks.filter((result) => result.check === 'firewall').map((result) => [result.service, result]));
}

describe('the firewall check on a loaded ruleset', () => {
  it.skipIf(!canRunFirewallNetns)(
    `names a fix that, run as printed for a registry of its own (a private service the bundled registry lacks), loads rules that drop it: the check then passes ${canRunFirewallNetns ? '' : '[skipped: needs root, nft, unshare, nsenter, ip and python3]'}`,
    async () => {
      const dir = tempDir('dsa110-firewall-fix-');
      const port = 5555; // the namespace is new: nothing else listens there
      const registry = join(dir, 'site ports.yaml'); // a space: the fix must quote it
      writeFileSync(registry, registryText([{ id: 'celery', port, access: 'private', robust: true, unit: 'celery.service', claim: 'unit' }]));
      // Nothing filters: the private service is open to the world.
      const rules = join(dir, 'open.nft');
      writeFileSync(rules, 'table inet host {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t}\n}\n');
      // A `ports` on PATH that is this checkout's, as an operator's would be.
      mkdirSync(join(dir, 'bin'));
      writeFileSync(join(dir, 'bin/ports'), `#!/bin/sh\nexec '${process.execPath}' '${portsBin}' "$@"\n`, { mode: 0o755 });
      const health = `'${process.execPath}' '${healthBin}' --registry '${registry}' --service celery --json`;
      const fixOf = `'${process.execPath}' -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")).checks.find((c) => c.check === "firewall"); process.stdout.write(/load the registry.s rules \\((.*)\\) or drop port/.exec(r.reason)[1])'`;
      const script = join(dir, 'follow.sh');
      writeFileSync(
        script,
        [
          'set -e',
          `before=$(${health} || true)`,
          'printf "%s\\n--- fix\\n" "$before"',
          `fix=$(printf "%s" "$before" | ${fixOf})`,
          'printf "%s\\n--- after\\n" "$fix"',
          `cd '${dir}' && PATH='${join(dir, 'bin')}':"$PATH" bash -c "$fix"`,
          `${health} || true`,
        ].join('\n'),
      );
      const run = await runFirewallNetns({ rules, ports: [port], listen: '0.0.0.0', command: `bash '${script}'` });
      expect(run.seen.get(`after v4 public ${port}`)).toBe('open');
      const [before = '', fix = '', after = ''] = run.output.split(/^--- (?:fix|after)\n/m);
      expect(firewallResults(before).get('celery')).toMatchObject({ severity: 'error' });
      expect(fix.trim()).toBe(`ports --registry '${registry}' firewall --format nft > dsa110-ports.nft && nft -f dsa110-ports.nft`);
      expect(firewallResults(after).get('celery')).toMatchObject({
        severity: 'ok',
        reason: expect.stringMatching(/the firewall drops outside connections \(IPv4: rule inet dsa110_ports input handle \d+\)/),
      });
    },
    60_000,
  );

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
          `^redis \\(${redis}\\): listens on 0\\.0\\.0\\.0:${redis} and the firewall lets outside connections in \\(IPv4 from any other host: accepted by rule inet dsa110_ports input handle \\d+\\), but its access is localhost; load the registry's rules \\(ports --registry ${join(repo, 'ports.yaml')} firewall --format nft`,
        ),
      );
      expect(loud.get('api')).toMatchObject({ severity: 'ok' });
    },
    60_000,
  );
});
