import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '@dsa110/ports/render';

// A page on disk may be anything up to the 4 MiB `ports docs` reads: a million lines and more, on both
// sides (the page is regenerated from itself). The diff of --check must stay fast and short whatever it holds.
const text = (lines: readonly string[]) => `${lines.join('\n')}\n`;
const numbered = (count: number) => Array.from({ length: count }, (_, index) => `line ${index}`);

function timed(run: () => string): { diff: string; ms: number } {
  const started = performance.now();
  const diff = run();
  return { diff, ms: performance.now() - started };
}

describe('unifiedDiff on large texts', () => {
  it('a page of 1.5 million lines (over 4 MiB) against one as long, every line different: quick, and a few hundred lines long', () => {
    const before = 'xx\n'.repeat(1_500_000);
    const after = 'yy\n'.repeat(1_500_000);
    expect(Buffer.byteLength(before)).toBeGreaterThan(4 * 1000 * 1000);
    const { diff, ms } = timed(() => unifiedDiff(before, after, { loneCr: true }));
    expect(ms).toBeLessThan(5000); // a bound against a hang, not a benchmark: well under a second here
    expect(diff).toBe(
      text([
        '--- a',
        '+++ b',
        '@@ -1,1500000 +1,1500000 @@',
        '(too many lines differ to match them up: these 1500000 lines are shown removed, then 1500000 added)',
        ...Array.from({ length: 500 }, () => '-xx'),
        '(… and 1499500 more lines removed, not shown)',
        ...Array.from({ length: 500 }, () => '+yy'),
        '(… and 1499500 more lines added, not shown)',
      ]),
    );
  });

  it('1.5 million lines on disk after the page: the exact diff, its removed lines counted past the first 500', () => {
    const page = numbered(20);
    const { diff, ms } = timed(() => unifiedDiff(text([...page, ...Array.from({ length: 1_500_000 }, () => 'junk')]), text(page)));
    expect(ms).toBeLessThan(5000); // a bound against a hang, not a benchmark: well under a second here
    expect(diff).toBe(
      text([
        '--- a',
        '+++ b',
        '@@ -18,1500003 +18,3 @@',
        ' line 17',
        ' line 18',
        ' line 19',
        ...Array.from({ length: 500 }, () => '-junk'),
        '(… and 1499500 more lines removed, not shown)',
      ]),
    );
  });

  it('small drift inside a large page, with changes far apart (no common prefix or suffix bridges them): the exact changed lines', () => {
    const before = numbered(1_000_000);
    const after = before.slice();
    after[10] = 'line ten';
    after.splice(500_001, 0, 'inserted');
    after.splice(999_991, 1);
    const { diff, ms } = timed(() => unifiedDiff(text(before), text(after)));
    expect(ms).toBeLessThan(5000); // a bound against a hang, not a benchmark: well under a second here
    expect(diff).toBe(
      text([
        '--- a',
        '+++ b',
        '@@ -8,7 +8,7 @@',
        ' line 7',
        ' line 8',
        ' line 9',
        '-line 10',
        '+line ten',
        ' line 11',
        ' line 12',
        ' line 13',
        '@@ -499999,6 +499999,7 @@',
        ' line 499998',
        ' line 499999',
        ' line 500000',
        '+inserted',
        ' line 500001',
        ' line 500002',
        ' line 500003',
        '@@ -999988,7 +999989,6 @@',
        ' line 999987',
        ' line 999988',
        ' line 999989',
        '-line 999990',
        ' line 999991',
        ' line 999992',
        ' line 999993',
      ]),
    );
  });

  it('30,000 lines whose first and last differ: two short hunks, at once (the LCS table took 11 s and 3.6 GB)', () => {
    const prose = numbered(30_000);
    const { diff, ms } = timed(() => unifiedDiff(text(['old top', ...prose, 'old end']), text(['new top', ...prose, 'new end'])));
    expect(ms).toBeLessThan(5000); // a bound against a hang, not a benchmark: well under a second here
    expect(diff).toBe(
      text([
        '--- a',
        '+++ b',
        '@@ -1,4 +1,4 @@',
        '-old top',
        '+new top',
        ' line 0',
        ' line 1',
        ' line 2',
        '@@ -29999,4 +29999,4 @@',
        ' line 29997',
        ' line 29998',
        ' line 29999',
        '-old end',
        '+new end',
      ]),
    );
  });

  it('many scattered changes in a long page: each shown, removed lines before added ones', () => {
    const before = numbered(5000);
    const after = before.map((line, index) => (index % 1000 === 500 ? `changed ${index}` : line));
    after.splice(4999, 1, 'last', 'one more');
    const diff = unifiedDiff(text(before), text(after), { context: 0 });
    expect(diff).toBe(
      text([
        '--- a',
        '+++ b',
        ...[500, 1500, 2500, 3500, 4500].flatMap((index) => [`@@ -${index + 1},1 +${index + 1},1 @@`, `-line ${index}`, `+changed ${index}`]),
        '@@ -5000,1 +5000,2 @@',
        '-line 4999',
        '+last',
        '+one more',
      ]),
    );
  });
});

describe('unifiedDiff of lines that hold control characters', () => {
  it('prints tabs as they are (an nft file is indented with them) and escapes every other control: ESC, CR, BEL', () => {
    const diff = unifiedDiff('\t\ttcp dport 8500 drop\nsame\n', '\t\ttcp dport 8600 drop\x1b[31m\r\x07\nsame\n');
    expect(diff).toBe(text(['--- a', '+++ b', '@@ -1,2 +1,2 @@', '-\t\ttcp dport 8500 drop', '+\t\ttcp dport 8600 drop\\e[31m\\r\\x07', ' same']));
  });
});
