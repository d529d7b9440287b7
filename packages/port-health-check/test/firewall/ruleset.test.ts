// The ruleset evaluator over real `nft -j list ruleset` output. Each fixture
// beside this file was captured from real nft (1.0.6) after loading its
// source (*.nft, or *.iptables through iptables-nft) in a network namespace of
// its own; the last test re-captures them there and compares, so a fixture
// cannot drift from what nft prints.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSet, prefixesSet } from '../../src/firewall/address-set.js';
import { loopbackDnats } from '../../src/firewall/nat.js';
import {
  describeDecision,
  evaluateInput,
  evaluateSources,
  OUTSIDE_SOURCE,
  parseRuleset,
  RulesetError,
  type Outcome,
  type Probe,
  type SourcesProbe,
} from '../../src/firewall/ruleset.js';
import { otherHosts } from '../../src/firewall/sources.js';
import { hasCommand } from '../../../../test-support/commands.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const load = (name: string) => parseRuleset(readFileSync(join(fixtures, name), 'utf8'));
const v4 = (port: number, source = OUTSIDE_SOURCE[4]): Probe => ({ family: 4, port, source });
const v6 = (port: number, source = OUTSIDE_SOURCE[6]): Probe => ({ family: 6, port, source });

/** `accept: rule inet t c handle 6; ...`, `drop: ...`, `unknown: rule ... handle 3: why`: one line to compare. */
function say(outcome: Outcome): string {
  if (outcome.verdict === 'accept') return `accept: ${outcome.by.map(describeDecision).join('; ') || 'no input chain'}`;
  if (outcome.verdict === 'drop') return `drop: ${describeDecision(outcome.by)}`;
  return `unknown: ${outcome.at ? `${describeDecision(outcome.at)}: ` : ''}${outcome.why}`;
}

/** Each range of sources with its answer: `10.0.0.0/8 -> accept: rule ...`, in address order. */
function sayAll(answers: ReturnType<typeof evaluateSources>): string[] {
  return [...answers]
    .sort((a, b) => (a.sources.ranges[0]![0] < b.sources.ranges[0]![0] ? -1 : 1))
    .map(({ sources, outcome }) => `${describeSet(sources, 9)} -> ${say(outcome)}`);
}
const fromOthers = (family: 4 | 6, port: number, destination?: string): SourcesProbe => ({
  family,
  port,
  sources: otherHosts(family),
  ...(destination !== undefined && { destination }),
});

describe('evaluateSources: every source at once, split by the rules on ip saddr', () => {
  it('a bogon filter drops its ranges and only those: the sample source is one, every other host gets in', () => {
    const bogons = load('bogons.json');
    // One sample source answers for itself only: this is the "blocked" the check once took for every source.
    expect(say(evaluateInput(bogons, v4(8000)))).toBe('drop: rule inet edge input handle 5');
    expect(sayAll(evaluateSources(bogons, fromOthers(4, 8000)))).toEqual([
      '1.0.0.0-100.63.255.255, 100.128.0.0-126.255.255.255, 128.0.0.0-169.253.255.255, 169.255.0.0-192.0.1.255, 192.0.3.0-198.17.255.255, 198.20.0.0-198.51.99.255, 198.51.101.0-203.0.112.255, 203.0.114.0-223.255.255.255 -> accept: the policy (accept) of inet edge input',
      '100.64.0.0/10, 169.254.0.0/16, 192.0.2.0/24, 198.18.0.0/15, 198.51.100.0/24, 203.0.113.0/24, 240.0.0.0-255.255.255.254 -> drop: rule inet edge input handle 5',
    ]);
    // IPv6: the documentation prefix dropped, the rest in.
    expect(sayAll(evaluateSources(bogons, fromOthers(6, 8000)))).toEqual([
      '::2-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff, 2001:db9::-feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff -> accept: the policy (accept) of inet edge input',
      '2001:db8::/32 -> drop: rule inet edge input handle 6',
    ]);
  });

  it('`ip saddr != 10.0.0.0/8 drop`: the private network gets in, the rest is dropped by that rule or the bogon filter before it', () => {
    const answers = evaluateSources(load('bogons.json'), fromOthers(4, 6379));
    const accepted = answers.filter(({ outcome }) => outcome.verdict === 'accept');
    expect(accepted.map(({ sources }) => describeSet(sources))).toEqual(['10.0.0.0/8']);
    expect(new Set(answers.filter(({ outcome }) => outcome.verdict === 'drop').map(({ outcome }) => say(outcome)))).toEqual(
      new Set(['drop: rule inet edge input handle 5', 'drop: rule inet edge input handle 7']),
    );
  });

  it('a rule it cannot evaluate is unknown only for the sources that reach it', () => {
    const answers = sayAll(evaluateSources(load('bogons.json'), fromOthers(4, 9090)));
    expect(answers).toContain('192.168.0.0/16 -> unknown: rule inet edge input handle 9: a match on meta mark');
    expect(answers.filter((line) => line.includes('unknown'))).toHaveLength(1);
  });

  it('the generated ruleset: the private API lets in exactly the private networks', () => {
    const accepted = evaluateSources(load('generated.json'), fromOthers(4, 8000)).filter(({ outcome }) => outcome.verdict === 'accept');
    expect(accepted.map(({ sources }) => describeSet(sources))).toEqual(['10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16']);
  });

  it('an empty set of sources has no answer; a set of one address is the one-packet answer', () => {
    expect(evaluateSources(load('generated.json'), { family: 4, port: 8000, sources: prefixesSet(4, []) })).toEqual([]);
    const one = evaluateSources(load('generated.json'), { family: 4, port: 8000, sources: prefixesSet(4, ['10.1.2.3/32']) });
    expect(one.map(({ outcome }) => say(outcome))).toEqual([say(evaluateInput(load('generated.json'), v4(8000, '10.1.2.3')))]);
  });
});

describe('a loopback destination (route_localnet)', () => {
  it('ip daddr is evaluated when the destination is given: the guard against packets to 127.0.0.0/8 from other interfaces drops them', () => {
    const localnet = load('localnet.json');
    expect(sayAll(evaluateSources(localnet, fromOthers(4, 6380, '127.0.0.1')))).toEqual([
      '1.0.0.0-126.255.255.255, 128.0.0.0-223.255.255.255, 240.0.0.0-255.255.255.254 -> drop: rule inet filter input handle 2',
    ]);
    expect(say(evaluateInput(localnet, { ...v4(6379), destination: '127.0.0.1' }))).toBe('accept: the policy (accept) of inet filter input');
    // Without a destination a daddr match cannot be told.
    expect(say(evaluateInput(localnet, v4(6380)))).toBe('unknown: rule inet filter input handle 2: a match on ip daddr');
  });

  it("names the DNAT rules to a loopback listener, never a redirect (to the interface's own address) or a DNAT elsewhere", () => {
    const localnet = load('localnet.json');
    expect(loopbackDnats(localnet, ['127.0.0.1'], 6379).map(({ at, to }) => `${describeDecision(at)} -> ${to}`)).toEqual([
      'rule ip nat prerouting handle 2 -> 127.0.0.1:6379',
    ]);
    expect(loopbackDnats(localnet, ['127.0.0.2'], 6379)).toEqual([]);
    expect(loopbackDnats(localnet, ['127.0.0.1'], 6381)).toEqual([]);
    const xt = parseRuleset(
      JSON.stringify({
        nftables: [
          { chain: { family: 'ip', table: 'nat', name: 'PREROUTING', handle: 1, type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } },
          { rule: { family: 'ip', table: 'nat', chain: 'PREROUTING', handle: 5, expr: [{ counter: null }, { xt: { type: 'target', name: 'DNAT' } }] } },
        ],
      }),
    );
    // iptables-nft's DNAT target hides where it goes: it may be this listener.
    expect(loopbackDnats(xt, ['127.0.0.1'], 6379)).toEqual([
      {
        at: { family: 'ip', table: 'nat', chain: 'PREROUTING', handle: 5 },
        from: { why: 'a DNAT from ports it does not follow (no tcp dport match it reads)' },
      },
    ]);
  });
});

describe('evaluateInput', () => {
  it('an empty ruleset (no input chain) accepts everything', () => {
    const empty = load('empty.json');
    expect(say(evaluateInput(empty, v4(6379)))).toBe('accept: no input chain');
    expect(say(evaluateInput(empty, v6(8000)))).toBe('accept: no input chain');
  });

  it('the ruleset `ports firewall --format nft` writes: drops internal ports from outside, accepts 80 and ports it does not name', () => {
    const generated = load('generated.json');
    for (const probe of [v4, v6]) {
      expect(say(evaluateInput(generated, probe(80)))).toBe('accept: rule inet dsa110_ports input handle 6');
      expect(say(evaluateInput(generated, probe(6379)))).toBe('drop: rule inet dsa110_ports input handle 11');
      expect(say(evaluateInput(generated, probe(9090)))).toBe('drop: rule inet dsa110_ports input handle 19');
      expect(say(evaluateInput(generated, probe(3215)))).toBe('drop: rule inet dsa110_ports input handle 9');
      expect(say(evaluateInput(generated, probe(8000)))).toBe('drop: rule inet dsa110_ports input handle 14');
      expect(say(evaluateInput(generated, probe(22)))).toBe('accept: the policy (accept) of inet dsa110_ports input');
    }
    // From a private network the private API is let in, by the set of that family only.
    expect(say(evaluateInput(generated, v4(8000, '10.1.2.3')))).toBe('accept: rule inet dsa110_ports input handle 12');
    expect(say(evaluateInput(generated, v6(8000, 'fd00::1')))).toBe('accept: rule inet dsa110_ports input handle 13');
    expect(say(evaluateInput(generated, v4(8000, '172.32.0.1')))).toBe('drop: rule inet dsa110_ports input handle 14');
  });

  it('policy drop with explicit accepts: named sets, a verdict map on ct state, jump, goto and return', () => {
    const host = load('policy-drop.json');
    expect(say(evaluateInput(host, v4(22)))).toBe('accept: rule inet host input handle 10');
    expect(say(evaluateInput(host, v6(443)))).toBe('accept: rule inet host input handle 10');
    expect(say(evaluateInput(host, v4(8000)))).toBe('accept: rule inet host input handle 14');
    // Trusted sources only (a prefix and a single address in the named set).
    expect(say(evaluateInput(host, v4(6379)))).toBe('drop: the policy (drop) of inet host input');
    expect(say(evaluateInput(host, v4(6379, '198.51.100.10')))).toBe('accept: rule inet host input handle 11');
    expect(say(evaluateInput(host, v4(6379, '192.0.2.200')))).toBe('accept: rule inet host input handle 11');
    // goto monitoring: no accept there for a public source, so the base chain's policy.
    expect(say(evaluateInput(host, v4(9090)))).toBe('drop: the policy (drop) of inet host input');
    expect(say(evaluateInput(host, v6(9090, 'fd00::9')))).toBe('accept: rule inet host monitoring handle 16');
    // jump grafana returns (counter, return) to the next rule, then the policy.
    expect(say(evaluateInput(host, v4(3030)))).toBe('drop: the policy (drop) of inet host input');
    expect(say(evaluateInput(host, v4(1234)))).toBe('drop: the policy (drop) of inet host input');
  });

  it('ufw-style tables of family ip and ip6: each family by its own table; log and counter change nothing; reject is a drop', () => {
    const ufw = load('ufw-style.json');
    expect(say(evaluateInput(ufw, v4(22)))).toBe('accept: rule ip filter ufw-user-input handle 10');
    expect(say(evaluateInput(ufw, v4(9100)))).toBe('accept: rule ip filter ufw-user-input handle 13');
    expect(say(evaluateInput(ufw, v4(3500)))).toBe('accept: rule ip filter ufw-user-input handle 14');
    expect(say(evaluateInput(ufw, v4(6379)))).toBe('drop: rule ip filter ufw-user-input handle 15');
    expect(say(evaluateInput(ufw, v4(8000)))).toBe('drop: the policy (drop) of ip filter INPUT');
    expect(say(evaluateInput(ufw, v4(8000, '10.0.0.5')))).toBe('accept: rule ip filter ufw-user-input handle 11');
    // IPv6 goes through the ip6 table only.
    expect(say(evaluateInput(ufw, v6(9100)))).toBe('drop: the policy (drop) of ip6 filter INPUT');
    expect(say(evaluateInput(ufw, v6(9090)))).toBe('accept: rule ip6 filter INPUT handle 6');
    expect(say(evaluateInput(ufw, v6(8000, 'fd00::5')))).toBe('accept: rule ip6 filter INPUT handle 5');
  });

  it('iptables-nft rules with xt matches: cannot tell, naming the rule; a rule that cannot apply anyway does not matter', () => {
    const xt = load('xt.json');
    expect(say(evaluateInput(xt, v4(6379)))).toBe('unknown: rule ip filter INPUT handle 3: an iptables extension (xt conntrack) that nft -j does not show');
    // The ip table does not see IPv6: nothing filters it.
    expect(say(evaluateInput(xt, v6(6379)))).toBe('accept: no input chain');
  });

  it('every base chain on the hook must accept, in priority order; a drop in any keeps the packet out', () => {
    const generated = JSON.parse(readFileSync(join(fixtures, 'generated.json'), 'utf8')) as { nftables: unknown[] };
    const ufw = JSON.parse(readFileSync(join(fixtures, 'ufw-style.json'), 'utf8')) as { nftables: unknown[] };
    const both = parseRuleset(JSON.stringify({ nftables: [...generated.nftables, ...ufw.nftables.slice(1)] }));
    // 22: the generated table's policy, and ufw's rule.
    expect(say(evaluateInput(both, v4(22)))).toBe('accept: the policy (accept) of inet dsa110_ports input; rule ip filter ufw-user-input handle 10');
    // 9090: ufw accepts, the generated table drops.
    expect(say(evaluateInput(both, v6(9090)))).toBe('drop: rule inet dsa110_ports input handle 19');
    // 1234: the generated table lets it by, ufw's policy drops.
    expect(say(evaluateInput(both, v4(1234)))).toBe('drop: the policy (drop) of ip filter INPUT');
  });

  it('cannot tell rather than guess: unknown expressions, unknown chains; a false match before or after an unknown one decides', () => {
    const rule = (expr: unknown[]) =>
      parseRuleset(
        JSON.stringify({
          nftables: [
            { chain: { family: 'inet', table: 't', name: 'in', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'drop' } },
            { rule: { family: 'inet', table: 't', chain: 'in', handle: 7, expr } },
          ],
        }),
      );
    const dport = (right: unknown) => ({ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right } });
    const fib = { match: { op: '==', left: { fib: { result: 'type', flags: ['daddr'] } }, right: 'local' } };
    expect(say(evaluateInput(rule([fib, { accept: null }]), v4(6379)))).toBe('unknown: rule inet t in handle 7: a match on fib');
    expect(say(evaluateInput(rule([fib, dport(1), { accept: null }]), v4(6379)))).toBe('drop: the policy (drop) of inet t in');
    expect(say(evaluateInput(rule([dport(1), fib, { accept: null }]), v4(6379)))).toBe('drop: the policy (drop) of inet t in');
    expect(say(evaluateInput(rule([dport(6379), { limit: { rate: 5, per: 'second' } }, { accept: null }]), v4(6379)))).toBe(
      'unknown: rule inet t in handle 7: a "limit" statement',
    );
    expect(say(evaluateInput(rule([dport(6379), { jump: { target: 'nowhere' } }]), v4(6379)))).toBe(
      'unknown: rule inet t in handle 7: jump to a chain it cannot find',
    );
    expect(say(evaluateInput(rule([{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth0' } }, { accept: null }]), v4(1)))).toBe(
      'unknown: rule inet t in handle 7: a match on "eth0"',
    );
    // iifname != "lo", udp, a source of the other family: known for sure.
    expect(say(evaluateInput(rule([{ match: { op: '!=', left: { meta: { key: 'iifname' } }, right: 'lo' } }, { accept: null }]), v4(1)))).toBe(
      'accept: rule inet t in handle 7',
    );
    const udp = { match: { op: '!=', left: { payload: { protocol: 'udp', field: 'dport' } }, right: 53 } };
    expect(say(evaluateInput(rule([udp, { accept: null }]), v4(1)))).toBe('drop: the policy (drop) of inet t in');
    const ip6 = { match: { op: '==', left: { payload: { protocol: 'ip6', field: 'saddr' } }, right: { prefix: { addr: '::', len: 0 } } } };
    expect(say(evaluateInput(rule([ip6, { accept: null }]), v4(1)))).toBe('drop: the policy (drop) of inet t in');
    expect(say(evaluateInput(rule([ip6, { accept: null }]), v6(1)))).toBe('accept: rule inet t in handle 7');
    // A port range, a set holding ranges, meta l4proto by number, continue.
    expect(say(evaluateInput(rule([dport({ set: [{ range: [6000, 6500] }, 22] }), { accept: null }]), v4(6379)))).toBe('accept: rule inet t in handle 7');
    const l4 = { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 6 } };
    expect(say(evaluateInput(rule([l4, { continue: null }, { accept: null }]), v4(1)))).toBe('accept: rule inet t in handle 7');
  });

  it('names a table or chain that is not an identifier quoted, its control characters escaped', () => {
    expect(describeDecision({ family: 'inet', table: 'my edge', chain: 'in\u001b[2Jput', handle: 4 })).toBe('rule inet "my edge" "in\\e[2Jput" handle 4');
    expect(describeDecision({ family: 'ip', table: 'filter', chain: 'ufw-user-input', policy: 'drop' })).toBe('the policy (drop) of ip filter ufw-user-input');
  });

  it('refuses what is not nft JSON', () => {
    expect(() => parseRuleset('Error: Operation not permitted')).toThrow(RulesetError);
    expect(() => parseRuleset('{"tables": []}')).toThrow(/no "nftables" array/);
  });
});

const canCapture = process.getuid?.() === 0 && hasCommand('nft', ['--version']) && hasCommand('unshare', ['--version']);

describe('the fixtures', () => {
  it.skipIf(!canCapture)(`are what this machine's nft prints for their sources ${canCapture ? '' : '[skipped: needs root, nft and unshare]'}`, () => {
    const sources: [string, string][] = [
      ['generated.json', 'nft -f generated.nft'],
      ['ufw-style.json', 'nft -f ufw-style.nft'],
      ['policy-drop.json', 'nft -f policy-drop.nft'],
      ['empty.json', 'true'],
      ['bogons.json', 'nft -f bogons.nft'],
      ['localnet.json', 'nft -f localnet.nft'],
      ...(hasCommand('iptables-restore', ['--version']) ? [['xt.json', 'iptables-restore < xt.iptables'] as [string, string]] : []),
    ];
    const tables = (text: string) => (JSON.parse(text) as { nftables: Record<string, unknown>[] }).nftables.filter((item) => !('metainfo' in item));
    for (const [fixture, load] of sources) {
      // A network namespace of its own: the host's firewall is never touched.
      const run = spawnSync('unshare', ['--net', 'sh', '-c', `${load} && nft -j list ruleset`], { cwd: fixtures, encoding: 'utf8', timeout: 10_000 });
      expect(run.status, `${fixture}: ${run.stderr}`).toBe(0);
      expect(tables(run.stdout), fixture).toEqual(tables(readFileSync(join(fixtures, fixture), 'utf8')));
    }
  });
});
