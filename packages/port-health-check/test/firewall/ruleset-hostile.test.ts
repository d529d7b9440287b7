// Rulesets a hostile tester wrote against the evaluator: jumps that fan out
// (the kernel loads 10 chains each jumping 8 times to the next in 25 ms; every
// path through them is 8^10), a dormant table (its chains do not run), and a
// mark set before a verdict. The rulesets are built here in the shape nft
// 1.0.6 prints; where root, nft and unshare are at hand, the same sources are
// loaded into a network namespace of the test's own and the real output is
// evaluated too (never the host's ruleset).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { describeSet } from '../../src/firewall/address-set.js';
import {
  describeDecision,
  evaluateInput,
  evaluateSources,
  MAX_RULES_PER_PROBE,
  MAX_SOURCE_RANGES,
  OUTSIDE_SOURCE,
  parseRuleset,
  type Outcome,
  type Probe,
} from '../../src/firewall/ruleset.js';
import { forbiddenSources } from '../../src/firewall/sources.js';
import { hasCommand } from '../../../../test-support/commands.js';

const v4 = (port: number): Probe => ({ family: 4, port, source: OUTSIDE_SOURCE[4] });
const v6 = (port: number): Probe => ({ family: 6, port, source: OUTSIDE_SOURCE[6] });

function say(outcome: Outcome): string {
  if (outcome.verdict === 'accept') return `accept: ${outcome.by.map(describeDecision).join('; ') || 'no input chain'}`;
  if (outcome.verdict === 'drop') return `drop: ${describeDecision(outcome.by)}`;
  return `unknown: ${outcome.at ? `${describeDecision(outcome.at)}: ` : ''}${outcome.why}`;
}

const dport = (port: number) => ({ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: port } });
const established = { match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } };
const input = (table = 'f', policy = 'drop') => ({
  chain: { family: 'inet', table, name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy },
});
const chain = (name: string, table = 'f') => ({ chain: { family: 'inet', table, name, handle: 1 } });
let handle = 100;
const rule = (name: string, expr: unknown[], table = 'f') => ({ rule: { family: 'inet', table, chain: name, handle: handle++, expr } });
const ruleset = (items: unknown[]) => parseRuleset(JSON.stringify({ nftables: items }));

/** mkdag.sh K D: chains c0..cD, each of c0..c(D-1) jumping K times to the next; cD accepts port 9999; input jumps to c0. */
function dag(fanOut: number, depth: number) {
  const items: unknown[] = [{ table: { family: 'inet', name: 'f', handle: 1 } }, chain(`c${depth}`), input()];
  for (let i = depth - 1; i >= 0; i--) items.push(chain(`c${i}`));
  items.push(rule(`c${depth}`, [dport(9999), { accept: null }]));
  for (let i = depth - 1; i >= 0; i--) for (let k = 0; k < fanOut; k++) items.push(rule(`c${i}`, [{ jump: { target: `c${i + 1}` } }]));
  items.push(rule('input', [established, { accept: null }]), rule('input', [{ jump: { target: 'c0' } }]));
  return ruleset(items);
}

describe('jumps that fan out', () => {
  it('10 chains each jumping 8 times to the next: answered at once, each chain evaluated once per packet', () => {
    const fan = dag(8, 10);
    const started = performance.now();
    expect(say(evaluateInput(fan, v4(8000)))).toBe('drop: the policy (drop) of inet f input');
    expect(say(evaluateInput(fan, v6(9999)))).toMatch(/^accept: rule inet f c10 handle \d+$/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('more rules to evaluate for one packet than the budget: cannot tell, instead of running on', () => {
    const many = Array.from({ length: MAX_RULES_PER_PROBE + 1 }, (_, port) => rule('input', [dport(port + 10_000), { accept: null }]));
    expect(say(evaluateInput(ruleset([input(), ...many]), v4(8000)))).toMatch(/^unknown: rule inet f input handle \d+: more than \d+ rules to evaluate/);
  });

  it('many rules searching one large named set: the set is searched once per packet', () => {
    const set = {
      set: { family: 'inet', table: 'f', name: 'blocked', type: 'ipv4_addr', elem: Array.from({ length: 20_000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`) },
    };
    const saddr = { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@blocked' } };
    const rules = Array.from({ length: 500 }, (_, port) => rule('input', [saddr, dport(port + 1), { drop: null }]));
    const blocked = ruleset([input('f', 'accept'), set, ...rules]);
    const started = performance.now();
    expect(say(evaluateInput(blocked, v4(8000)))).toBe('accept: the policy (accept) of inet f input');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a loop of jumps (the kernel refuses one; hand-made JSON may hold one): cannot tell', () => {
    const loop = ruleset([
      input(),
      chain('a'),
      chain('b'),
      rule('input', [{ jump: { target: 'a' } }]),
      rule('a', [{ jump: { target: 'b' } }]),
      rule('b', [{ jump: { target: 'a' } }]),
    ]);
    expect(say(evaluateInput(loop, v4(8000)))).toMatch(/^unknown: rule inet f b handle \d+: .*loop/);
  });

  it('a chain shared by a jump and a goto keeps each one meaning: goto returns from the chain that went to it', () => {
    // input: jump via; tcp dport 8000 accept. via: goto shared; (never reached) drop. shared: tcp dport 9999 accept (else return).
    // Then input also jumps to shared directly, before its own accept of 7000.
    const items = [
      input(),
      chain('via'),
      chain('shared'),
      rule('shared', [dport(9999), { accept: null }]),
      rule('via', [{ goto: { target: 'shared' } }]),
      rule('via', [{ drop: null }]),
      rule('input', [{ jump: { target: 'shared' } }]),
      rule('input', [{ jump: { target: 'via' } }]),
      rule('input', [dport(8000), { accept: null }]),
    ];
    const shared = ruleset(items);
    expect(say(evaluateInput(shared, v4(8000)))).toMatch(/^accept: rule inet f input handle \d+$/);
    expect(say(evaluateInput(shared, v4(9999)))).toMatch(/^accept: rule inet f shared handle \d+$/);
    expect(say(evaluateInput(shared, v4(1)))).toBe('drop: the policy (drop) of inet f input');
  });
});

describe('a dormant table', () => {
  const table = (flags: unknown) => ({ table: { family: 'inet', name: 'f', handle: 1, ...(flags !== undefined && { flags }) } });
  const dropAll = (flags: unknown) => ruleset([table(flags), input(), rule('input', [established, { accept: null }])]);

  it('its chains do not run: the packet is not dropped by them', () => {
    expect(say(evaluateInput(dropAll('dormant'), v4(8000)))).toBe('accept: no input chain');
    expect(say(evaluateInput(dropAll(['dormant', 'owner']), v6(8000)))).toBe('accept: no input chain');
  });

  it('other flags leave it running', () => {
    expect(say(evaluateInput(dropAll(undefined), v4(8000)))).toBe('drop: the policy (drop) of inet f input');
    expect(say(evaluateInput(dropAll('owner'), v4(8000)))).toBe('drop: the policy (drop) of inet f input');
  });

  it('flags it cannot read (nft 1.0.6 prints one flag as whatever its freed memory holds, "f"): cannot tell, unless the table would accept anyway', () => {
    expect(say(evaluateInput(dropAll('f'), v4(8000)))).toBe('unknown: chain inet f input: a table whose flags nft prints as "f" (dormant or not)');
    const accepting = ruleset([table('Lester Gooch #5'), input(), rule('input', [dport(8000), { accept: null }])]);
    expect(say(evaluateInput(accepting, v4(8000)))).toMatch(/^accept: rule inet f input handle \d+$/);
  });
});

describe('a mark set before a verdict', () => {
  const mark = (key: Record<string, unknown>) => ({ mangle: { key, value: 1 } });

  it('changes nothing about the verdict (meta mark set 1 drop is a drop; ct mark set ... accept an accept)', () => {
    const marked = ruleset([
      input(),
      rule('input', [established, { accept: null }]),
      rule('input', [dport(8000), mark({ meta: { key: 'mark' } }), { drop: null }]),
    ]);
    expect(say(evaluateInput(marked, v4(8000)))).toMatch(/^drop: rule inet f input handle \d+$/);
    const ctMarked = ruleset([input(), rule('input', [dport(8000), mark({ ct: { key: 'mark' } }), { accept: null }])]);
    expect(say(evaluateInput(ctMarked, v4(8000)))).toMatch(/^accept: rule inet f input handle \d+$/);
  });

  it('a later match on the mark still cannot be told; setting anything else is still a statement it does not evaluate', () => {
    const later = ruleset([
      input('f', 'accept'),
      rule('input', [mark({ meta: { key: 'mark' } })]),
      rule('input', [{ match: { op: '==', left: { meta: { key: 'mark' } }, right: 1 } }, { drop: null }]),
    ]);
    expect(say(evaluateInput(later, v4(8000)))).toMatch(/^unknown: rule inet f input handle \d+: a match on meta mark$/);
    const rewrite = ruleset([input(), rule('input', [mark({ payload: { protocol: 'tcp', field: 'dport' } }), { accept: null }])]);
    expect(say(evaluateInput(rewrite, v4(8000)))).toMatch(/^unknown: rule inet f input handle \d+: a "mangle" statement$/);
  });
});

const canLoad = process.getuid?.() === 0 && hasCommand('nft', ['--version']) && hasCommand('unshare', ['--version']);

/** The ruleset `source` becomes, as this machine's nft prints it, in a network namespace of its own. */
function loaded(source: string) {
  const run = spawnSync('unshare', ['--net', 'sh', '-c', 'nft -f - && nft -j list ruleset'], { input: source, encoding: 'utf8', timeout: 10_000 });
  expect(run.status, run.stderr).toBe(0);
  return parseRuleset(run.stdout);
}

describe('the same rulesets loaded by nft', () => {
  it.skipIf(!canLoad)(`are answered as the built ones ${canLoad ? '' : '[skipped: needs root, nft and unshare]'}`, () => {
    const chains = ['table inet f {', '  chain c10 {', '    tcp dport 9999 accept', '  }'];
    for (let i = 9; i >= 0; i--) chains.push(`  chain c${i} {`, ...Array<string>(8).fill(`    jump c${i + 1}`), '  }');
    chains.push('  chain input { type filter hook input priority 0; policy drop;', '    ct state established,related accept', '    jump c0', '  }', '}', '');
    expect(say(evaluateInput(loaded(chains.join('\n')), v4(8000)))).toBe('drop: the policy (drop) of inet f input');

    const dormant =
      'table inet f {\n  flags dormant\n  chain input { type filter hook input priority 0; policy drop;\n    ct state established,related accept\n  }\n}\n';
    // Never the drop that a running table would give: accepted (an nft that prints the flag) or cannot tell (one that garbles it).
    expect(say(evaluateInput(loaded(dormant), v4(8000)))).toMatch(/^(accept: no input chain|unknown: chain inet f input: a table whose flags)/);

    const mark =
      'table inet f {\n  chain input { type filter hook input priority 0; policy drop;\n    ct state established,related accept\n    tcp dport 8000 meta mark set 1 drop\n  }\n}\n';
    expect(say(evaluateInput(loaded(mark), v4(8000)))).toBe('drop: rule inet f input handle 3');
  });
});

describe('a blocklist written as rules, one source address each', () => {
  const saddr = (address: string) => ({ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: address } });
  const blocklist = (count: number) =>
    ruleset([
      input(),
      ...Array.from({ length: count }, (_, i) => rule('input', [saddr(`198.${(i >> 8) & 255}.${i & 255}.7`), { drop: null }])),
      rule('input', [dport(8000), { accept: null }]),
    ]);
  const everyOtherHost = forbiddenSources('localhost', 4);

  // Each rule cuts one hole in the sources that go on: searched, not walked, so 10,000 rules are not 10,000² steps (9 s a question).
  it('10,000 rules: each address dropped by its rule, every other host accepted on the port', () => {
    const answers = evaluateSources(blocklist(10_000), { family: 4, port: 8000, sources: everyOtherHost });
    expect(answers.filter(({ outcome }) => outcome.verdict === 'drop')).toHaveLength(10_000);
    const accepted = answers.filter(({ outcome }) => outcome.verdict === 'accept');
    expect(accepted).toHaveLength(1);
    expect(describeSet(accepted[0]!.sources)).toBe('1.0.0.0-126.255.255.255, 128.0.0.0-198.0.0.6, 198.0.0.8-198.0.1.6 and 10000 more ranges');
  });

  it('more separate source ranges than the evaluator follows: what is left is unknown, naming why, never a hang', () => {
    const answers = evaluateSources(blocklist(MAX_SOURCE_RANGES + 10), { family: 4, port: 8000, sources: everyOtherHost });
    expect(answers.filter(({ outcome }) => outcome.verdict === 'accept')).toEqual([]);
    const unknown = answers.filter(({ outcome }) => outcome.verdict === 'unknown');
    expect(unknown).toHaveLength(1);
    expect(say(unknown[0]!.outcome)).toMatch(
      new RegExp(`^unknown: rule inet f input handle \\d+: more than ${MAX_SOURCE_RANGES} separate source ranges to follow$`),
    );
  });
});
