// An untracked packet is not `ct state new`. A hostile tester's finding, on
// real kernels: a `notrack` in a prerouting chain at `priority raw` (below
// conntrack's -200) leaves outside packets untracked, so an input rule
// `ct state new tcp dport 18000 drop` lets them in, and `ct state
// {established,related,untracked} accept` before a policy drop too; the
// check once said "the firewall drops outside connections". Each ruleset here
// is loaded by the real nft in a network namespace of its own and evaluated
// as nft prints it; where root, nft, unshare, ip and python3 are at hand, the
// same rulesets are loaded again with an outside host connecting over a veth
// pair (the ground truth) and the health check run from its sources.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { describeSet } from '../../src/firewall/address-set.js';
import { describeDecision, evaluateSources, parseRuleset, type Outcome } from '../../src/firewall/ruleset.js';
import { forbiddenSources } from '../../src/firewall/sources.js';
import { hasCommand } from '../../../../test-support/commands.js';
import { canRunFirewallNetns, runFirewallNetns } from '../../../../test-support/firewall-netns.js';
import { tempDir } from '../helpers.js';

const canLoad = process.getuid?.() === 0 && hasCommand('nft', ['--version']) && hasCommand('unshare', ['--version']) && hasCommand('ip', ['-V']);
const skippedLoad = canLoad ? '' : '[skipped: needs root, nft, unshare and ip]';
const skippedLive = canRunFirewallNetns ? '' : '[skipped: needs root, nft, unshare, nsenter, ip and python3]';

/** The ruleset `source` becomes, as this machine's nft prints it, in a network namespace of its own (with an interface eth9, a veth, for ingress chains). */
function loaded(source: string) {
  const script = 'ip link add eth9 type veth peer name eth9p && nft -f - && nft -j list ruleset';
  const run = spawnSync('unshare', ['--net', 'sh', '-c', script], { input: source, encoding: 'utf8', timeout: 10_000 });
  expect(run.status, run.stderr).toBe(0);
  return parseRuleset(run.stdout);
}

/** A chain before the input hook (`hook` and priority as nft takes them) whose `rules` may notrack, then the input chain `input`. */
function rules(hook: string, pre: readonly string[], input: readonly string[], policy = 'accept', table = 'inet raw'): string {
  const lines = (list: readonly string[]) => list.map((rule) => `\t\t${rule}\n`).join('');
  return [
    `table ${table} {\n\tchain pre {\n\t\ttype filter hook ${hook}; policy accept;\n${lines(pre)}\t}\n}\n`,
    `table inet f {\n\tchain input {\n\t\ttype filter hook input priority 0; policy ${policy};\n${lines(input)}\t}\n}\n`,
  ].join('');
}

const NEW_DROP = (port: number) => [`ct state new tcp dport ${port} drop`];
const UNTRACKED_IN = ['ct state { established, related, untracked } accept', 'ip saddr 10.0.0.0/8 accept'];

function say(outcome: Outcome): string {
  const untracked = outcome.verdict !== 'unknown' && outcome.untracked ? ` (untracked by ${describeDecision(outcome.untracked)})` : '';
  if (outcome.verdict === 'accept') return `accept: ${outcome.by.map(describeDecision).join('; ') || 'no input chain'}${untracked}`;
  if (outcome.verdict === 'drop') return `drop: ${describeDecision(outcome.by)}${untracked}`;
  return `unknown: ${outcome.at ? `${describeDecision(outcome.at)}: ` : ''}${outcome.why}`;
}

/** Every other host's IPv4 (or IPv6) packet to `port`: each range of sources with its answer, in address order. */
function answers(source: string, port = 18000, family: 4 | 6 = 4): string[] {
  return evaluateSources(loaded(source), { family, port, sources: forbiddenSources('localhost', family) })
    .sort((a, b) => (a.sources.ranges[0]![0] < b.sources.ranges[0]![0] ? -1 : 1))
    .map(({ sources, outcome }) => `${describeSet(sources, 4)} -> ${say(outcome)}`);
}

const everyone = '1.0.0.0-126.255.255.255, 128.0.0.0-223.255.255.255, 240.0.0.0-255.255.255.254';

describe('a notrack before conntrack', () => {
  it.skipIf(!canLoad)(
    `at priority raw: the untracked packet is not "ct state new", and the input chain lets it in; after conntrack it changes nothing ${skippedLoad}`,
    () => {
      expect(answers(rules('prerouting priority raw', ['tcp dport 18000 notrack'], NEW_DROP(18000)))).toEqual([
        `${everyone} -> accept: the policy (accept) of inet f input (untracked by rule inet raw pre handle 2)`,
      ]);
      // IPv6 too: the inet table sees both.
      expect(answers(rules('prerouting priority raw', ['tcp dport 18000 notrack'], NEW_DROP(18000)), 18000, 6)).toEqual([
        expect.stringMatching(/-> accept: the policy \(accept\) of inet f input \(untracked by rule inet raw pre handle 2\)$/),
      ]);
      // Another port's notrack leaves this one tracked: dropped, as before.
      expect(answers(rules('prerouting priority raw', ['tcp dport 9999 notrack'], NEW_DROP(18000)))).toEqual([
        `${everyone} -> drop: rule inet f input handle 2`,
      ]);
      // After conntrack (priority -150, 0) a notrack changes nothing: the packet is tracked already, and dropped.
      for (const priority of ['-150', '0']) {
        expect(answers(rules(`prerouting priority ${priority}`, ['tcp dport 18000 notrack'], NEW_DROP(18000)))).toEqual([
          `${everyone} -> drop: rule inet f input handle 2`,
        ]);
      }
    },
  );

  it.skipIf(!canLoad)(
    `before \`ct state { established, related, untracked } accept\` and a policy drop: accepted, not dropped by the policy ${skippedLoad}`,
    () => {
      expect(answers(rules('prerouting priority raw', ['tcp dport 18000 notrack'], UNTRACKED_IN, 'drop'))).toEqual([
        `1.0.0.0-126.255.255.255, 128.0.0.0-223.255.255.255, 240.0.0.0-255.255.255.254 -> accept: rule inet f input handle 3 (untracked by rule inet raw pre handle 2)`,
      ]);
      // A notrack for some sources only: those are untracked and in; the others are tracked, so dropped by the policy (but 10.0.0.0/8).
      expect(answers(rules('prerouting priority raw', ['ip saddr 198.51.100.0/24 tcp dport 18000 notrack'], UNTRACKED_IN, 'drop'))).toEqual([
        '1.0.0.0-9.255.255.255, 11.0.0.0-126.255.255.255, 128.0.0.0-198.51.99.255, 198.51.101.0-223.255.255.255 and 1 more range -> drop: the policy (drop) of inet f input',
        '10.0.0.0/8 -> accept: rule inet f input handle 4',
        '198.51.100.0/24 -> accept: rule inet f input handle 3 (untracked by rule inet raw pre handle 2)',
      ]);
    },
  );

  it.skipIf(!canLoad)(`in an ip table: the same; in an ingress chain (netdev, or inet), on a device nft -j does not name: maybe ${skippedLoad}`, () => {
    expect(answers(rules('prerouting priority -250', ['tcp dport 18000 notrack'], NEW_DROP(18000), 'accept', 'ip raw'))).toEqual([
      `${everyone} -> accept: the policy (accept) of inet f input (untracked by rule ip raw pre handle 2)`,
    ]);
    // The kernel leaves the packets that come in on eth9 untracked (tried over a veth pair); those of other devices are tracked.
    for (const table of ['netdev raw', 'inet raw']) {
      expect(answers(rules('ingress device "eth9" priority 0', ['tcp dport 18000 notrack'], NEW_DROP(18000), 'accept', table))).toEqual([
        `${everyone} -> unknown: rule ${table} pre handle 2: a notrack in an ingress chain, on a device nft -j does not name, so the packet may be untracked (then accepted by the policy (accept) of inet f input; tracked, dropped by rule inet f input handle 2)`,
      ]);
    }
  });

  it.skipIf(!canLoad)(`where it cannot tell whether the notrack applies: unknown when the two ways differ, the answer when they agree ${skippedLoad}`, () => {
    // A mark is not followed: the notrack may or may not apply, and only the untracked packet gets in.
    expect(answers(rules('prerouting priority raw', ['meta mark 0x1 tcp dport 18000 notrack'], NEW_DROP(18000)))).toEqual([
      `${everyone} -> unknown: rule inet raw pre handle 2: a match on meta mark, so the packet may be untracked (then accepted by the policy (accept) of inet f input; tracked, dropped by rule inet f input handle 2)`,
    ]);
    // Dropped both ways: dropped.
    expect(answers(rules('prerouting priority raw', ['meta mark 0x1 tcp dport 18000 notrack'], ['tcp dport 18000 drop']))).toEqual([
      `${everyone} -> drop: rule inet f input handle 2`,
    ]);
    // At conntrack's own priority the kernel picks the order (tried: conntrack first, the packet tracked): either way.
    expect(answers(rules('prerouting priority -200', ['tcp dport 18000 notrack'], NEW_DROP(18000)))).toEqual([
      `${everyone} -> unknown: rule inet raw pre handle 2: a notrack at conntrack's own priority (-200), which may run after conntrack, so the packet may be untracked (then accepted by the policy (accept) of inet f input; tracked, dropped by rule inet f input handle 2)`,
    ]);
  });
});

/** The outside host's connections and the health check's firewall verdicts for Redis (localhost) and the API (private), both on 0.0.0.0, under `source`. */
async function checkLive(name: string, source: (ports: { redis: number; api: number }) => string) {
  const repo = join(import.meta.dirname, '../../../..');
  const registry = await loadRegistry({ path: join(repo, 'ports.yaml') });
  const ports = { redis: registry.service('redis').port, api: registry.service('api').port };
  const file = join(tempDir('dsa110-firewall-notrack-'), name);
  writeFileSync(file, source(ports));
  const health = `cd ${repo} && ${process.execPath} --conditions=development --import tsx packages/port-health-check/src/bin.ts --json`;
  const run = await runFirewallNetns({
    rules: file,
    ports: [ports.redis, ports.api],
    listen: '0.0.0.0',
    command: `${health} --registry ${join(repo, 'ports.yaml')} --service redis,api`,
  });
  const report = JSON.parse(run.output) as { checks: { check: string; severity: string; service: string | null; reason: string }[] };
  const results = new Map(report.checks.filter((result) => result.check === 'firewall').map((result) => [result.service, result]));
  return { ...ports, seen: run.seen, results };
}

describe('on a loaded ruleset, with real connections', () => {
  it.skipIf(!canRunFirewallNetns)(
    `\`tcp dport PORT notrack\` at priority raw before \`ct state new tcp dport PORT drop\`: the outside host gets in, and the check says so ${skippedLive}`,
    async () => {
      const live = await checkLive('notrack.nft', ({ redis }) => rules('prerouting priority raw', [`tcp dport ${redis} notrack`], NEW_DROP(redis)));
      expect(live.seen.get(`after v4 public ${live.redis}`)).toBe('open');
      expect(live.results.get('redis')).toMatchObject({ severity: 'error' });
      expect(live.results.get('redis')!.reason).toContain(
        `the firewall lets outside connections in (IPv4 from any other host: accepted by the policy (accept) of inet f input, the packet untracked by rule inet raw pre handle 2)`,
      );
    },
    60_000,
  );

  it.skipIf(!canRunFirewallNetns)(
    `a notrack before \`ct state { established, related, untracked } accept\` and a policy drop: in, an error; the same notrack at priority 0: out, ok ${skippedLive}`,
    async () => {
      const open = await checkLive('untracked-accept.nft', ({ redis }) =>
        rules('prerouting priority raw', [`tcp dport ${redis} notrack`], UNTRACKED_IN, 'drop'),
      );
      expect(open.seen.get(`after v4 public ${open.redis}`)).toBe('open');
      expect(open.seen.get(`after v4 public ${open.api}`)).toBe('closed');
      expect(open.results.get('redis')).toMatchObject({ severity: 'error' });
      expect(open.results.get('redis')!.reason).toContain('accepted by rule inet f input handle 3, the packet untracked by rule inet raw pre handle 2');
      expect(open.results.get('api')).toMatchObject({ severity: 'ok' });

      const late = await checkLive('notrack-late.nft', ({ redis }) =>
        rules('prerouting priority 0', [`tcp dport ${redis} notrack`], UNTRACKED_IN.slice(0, 1), 'drop'),
      );
      expect(late.seen.get(`after v4 public ${late.redis}`)).toBe('closed');
      expect(late.results.get('redis')).toMatchObject({ severity: 'ok', reason: expect.stringContaining('the firewall drops outside connections') });
    },
    90_000,
  );
});
