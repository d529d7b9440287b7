// The DNAT evaluation's one budget for every port and interface it asks
// about (nat.ts): rulesets loaded by real nft in a network namespace of the
// test's own, evaluated from `nft -j list ruleset`. A DNAT of 256 ports that
// rules before it tell apart one by one costs a walk a port, and past the
// budget the answer is "cannot tell", naming why; 256 ports that nothing
// tells apart cost one walk, and 5,000 rules before them are judged exactly.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { describeSet, sameSet, subtract, fromRanges } from '../../src/firewall/address-set.js';
import { addressBits } from '../../src/firewall/ip.js';
import { dnatWaysIn, MAX_DNAT_RULES } from '../../src/firewall/nat.js';
import { parseRuleset } from '../../src/firewall/ruleset.js';
import { forbiddenSources } from '../../src/firewall/sources.js';
import { hasCommand } from '../../../../test-support/commands.js';

const canLoad = process.getuid?.() === 0 && hasCommand('nft', ['--version']) && hasCommand('unshare', ['--version']);
const skipped = canLoad ? '' : '[skipped: needs root, nft and unshare]';

/** `rules` in a nat prerouting chain, loaded by nft in a network namespace of its own, as nft -j prints it back. */
function loaded(rules: readonly string[]) {
  const source = `table ip nat {\n\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n${rules.map((rule) => `\t\t${rule}\n`).join('')}\t}\n}\n`;
  const run = spawnSync('unshare', ['--net', 'sh', '-c', 'nft -f - && nft -j list ruleset'], {
    input: source,
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) throw new Error(`nft: ${run.stderr}`);
  return parseRuleset(run.stdout);
}

const dnat = 'tcp dport 20000-20255 dnat to 127.0.0.1:6379';
const sources = forbiddenSources('localhost', 4);
const ask = (rules: readonly string[]) => dnatWaysIn(loaded(rules), { addresses: ['127.0.0.1'], port: 6379, sources, interfaces: [undefined] });

describe('the DNAT evaluation budget', () => {
  it.skipIf(!canLoad)(`256 ports that rules before the DNAT tell apart, one walk each past the budget: cannot tell, naming why ${skipped}`, () => {
    // Each port its own rule before the DNAT: 256 questions of 257 rules, more than the budget.
    expect(256 * 257).toBeGreaterThan(MAX_DNAT_RULES);
    const ways = ask([...Array.from({ length: 256 }, (_, at) => `tcp dport ${20_000 + at} counter`), dnat]);
    const unsure = ways.answers.filter((answer) => answer.outcome.verdict === 'unknown');
    expect(unsure).toEqual([
      {
        sources,
        outcome: {
          verdict: 'unknown',
          why: `the prerouting ruleset is too large to evaluate for every port: 257 rules × 256 ports (more than ${MAX_DNAT_RULES} rules in all)`,
        },
      },
    ]);
    // What it found let in before the budget ran out still stands: every source, for the ports it asked.
    for (const answer of ways.answers.filter((answer) => answer.outcome.verdict === 'in')) expect(sameSet(answer.sources, sources)).toBe(true);
  });

  it.skipIf(!canLoad)(`5,000 rules on source addresses before a DNAT of 256 ports nothing tells apart: judged exactly, for every port ${skipped}`, () => {
    const dropped = Array.from({ length: 5000 }, (_, at) => `10.0.${at >> 8}.${at & 255}`);
    const ways = ask([...dropped.map((address) => `ip saddr ${address} drop`), dnat]);
    expect(ways.answers.filter((answer) => answer.outcome.verdict === 'unknown')).toEqual([]);
    const [only, ...more] = ways.answers;
    expect(more).toEqual([]);
    expect(only!.ports).toEqual(Array.from({ length: 256 }, (_, at) => 20_000 + at));
    expect(only!.outcome).toMatchObject({ verdict: 'in', to: '127.0.0.1:6379', by: { chain: 'prerouting', handle: 5002 } });
    const values = dropped.map((address) => addressBits(address)!.value);
    const rest = subtract(sources, fromRanges(4, [[values[0]!, values.at(-1)!]]));
    expect(describeSet(only!.sources)).toBe(describeSet(rest));
  });
});
