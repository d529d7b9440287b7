// The line reader of prometheus.yml tests its characters by hand, not with a
// regular expression per line (each costs start-up time in a fresh process):
// held here to the expressions it replaces, on every UTF-16 code unit.
import { describe, expect, it } from 'vitest';
import {
  isSpaceAt,
  keyIndent,
  keysOn,
  logicalLines,
  readScrapeConfigs,
  topLevelKey,
  unquote,
  withoutLabels,
  type LogicalLine,
} from '../../../src/checks/references/prometheus-jobs.js';

/** Lines made of the pieces the expressions care about, from a fixed seed: the same lines every run. */
function generatedLines(count: number, pieces: readonly string[], seed = 1): string[] {
  let state = seed;
  // mulberry32: 32-bit integer steps (Math.imul), so no precision is lost.
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return (mixed ^ (mixed >>> 14)) >>> 0;
  };
  return Array.from({ length: count }, () => Array.from({ length: next() % 9 }, () => pieces[next() % pieces.length]).join(''));
}

const PIECES = [
  'job_name',
  'targets',
  'files',
  'scrape_config_files',
  'file_sd_configs',
  'consul_sd_configs',
  'a__sd_configs',
  '_sd_configs',
  'sd_configs',
  'labels',
  'labels: {x: 1}',
  '"labels": {',
  'labels:',
  'external_labels',
  ':',
  ': ',
  ':\t',
  ' ',
  '\u00a0',
  '{',
  '}',
  ',',
  '-',
  '- ',
  "'",
  '"',
  '[',
  ']',
  'x',
  '9',
  '_',
  'A',
];

describe('the hand-written character tests', () => {
  it('isSpaceAt is /\\s/ for every UTF-16 code unit, and false past the end', () => {
    const differ: number[] = [];
    for (let code = 0; code < 0x10000; code++) {
      const char = String.fromCharCode(code);
      if (isSpaceAt(char, 0) !== /\s/.test(char)) differ.push(code);
    }
    expect(differ).toEqual([]);
    expect(isSpaceAt('a', 1)).toBe(false);
  });

  it('keyIndent is the length of /^\\s*(?:-\\s+)?/ on lines of spaces, tabs, odd spaces, dashes and text', () => {
    const parts = [' ', '\t', '\u00a0', '\u3000', '-', '--', 'a', 'job_name:', ''];
    const lines: string[] = [];
    for (const a of parts) for (const b of parts) for (const c of parts) for (const d of parts) lines.push(a + b + c + d);
    const differ = lines.filter((line) => keyIndent(line) !== /^\s*(?:-\s+)?/.exec(line)![0].length);
    expect(differ).toEqual([]);
  });
});

describe('the hand-written matchers, held to the expressions they replace on 40,000 generated lines', () => {
  const lines = generatedLines(40_000, PIECES);

  it('keysOn finds what the key expression matches: the same keys, where they start, where their values start', () => {
    const KEYS = /(?:^|[\s{,-])(['"]?)(job_name|targets|files|scrape_config_files|[a-z0-9]+(?:_[a-z0-9]+)*_sd_configs)\1:\s*/g;
    const differ = lines.filter((line) => {
      const expected = [...line.matchAll(KEYS)].map((match) => ({ name: match[2], index: match.index, end: match.index + match[0].length }));
      return JSON.stringify(keysOn(line)) !== JSON.stringify(expected);
    });
    expect(differ.slice(0, 5)).toEqual([]);
    expect(lines.filter((line) => keysOn(line).length > 0).length).toBeGreaterThan(1000); // the lines do hold keys
  });

  it('topLevelKey is the name the top-level expression captures', () => {
    // A flow collection, anchor, tag or alias at the start is no key (`{scrape_configs: [...]}` is a document of one flow mapping).
    const TOP = /^(?![{[&!*])(['"]?)([^'"\s:]+)\1:(?:\s|$)/;
    const differ = lines.filter((line) => topLevelKey(line) !== TOP.exec(line)?.[2]);
    expect(differ.slice(0, 5)).toEqual([]);
    expect(lines.filter((line) => topLevelKey(line) !== undefined).length).toBeGreaterThan(100);
  });

  it('unquote drops a quote at each end as the expression did', () => {
    const differ = [...lines, "'", '"', "''", "a'", "'a"].filter((line) => unquote(line) !== line.replace(/^['"]|['"]$/g, ''));
    expect(differ.slice(0, 5)).toEqual([]);
  });

  it('withoutLabels gives what the two expressions alone give (its cheap look for a labels key skips only lines they leave alone)', () => {
    const reference = (input: readonly LogicalLine[]): LogicalLine[] => {
      const kept: LogicalLine[] = [];
      let labels: number | undefined;
      for (const line of input) {
        if (labels !== undefined && line.indent > labels && !line.text.startsWith('-')) continue;
        labels = undefined;
        const text = line.text.replace(/(^|[\s{,-])(['"]?)labels\2:\s*\{[^}]*\}/g, '$1');
        if (/(?:^|[\s{,-])(['"]?)labels\1:$/.test(text)) labels = line.indent;
        kept.push(text === line.text ? line : { ...line, text });
      }
      return kept;
    };
    const logical = lines.map((text, index): LogicalLine => ({ line: index + 1, text, topLevel: index % 3 === 0, indent: index % 5 }));
    expect(withoutLabels(logical)).toEqual(reference(logical));
    const originals = new Set(logical);
    const out = reference(logical);
    expect(out.filter((line) => !originals.has(line)).length).toBeGreaterThan(0); // some lines lose a labels: {...} mapping
    expect(out.length).toBeLessThan(logical.length); // and some are dropped under a block labels:
  });
});

describe('readScrapeConfigs', () => {
  it('reads jobs after lines of other keys, an indented list item, and a line of non-breaking space (not top level)', () => {
    const text = [
      'global:',
      '  scrape_interval: 15s',
      '  external_labels:',
      '      monitor: example',
      '\u00a0odd: value',
      'scrape_configs:',
      '  - job_name: api',
      '    static_configs:',
      "      - targets: ['localhost:8000']",
      '        labels: {targets: x}',
      '    file_sd_configs:',
      '      - files:',
      '        - /etc/prometheus/api.json',
    ].join('\n');
    expect(logicalLines(text).map(({ topLevel, indent }) => [topLevel, indent])).toEqual([
      [true, 0],
      [false, 2],
      [false, 2],
      [false, 6],
      [false, 1],
      [true, 0],
      [false, 4],
      [false, 4],
      [false, 8],
      [false, 8],
      [false, 4],
      [false, 8],
      [false, 10],
    ]);
    const { jobs, sections } = readScrapeConfigs(text);
    expect(sections.map((section) => section.value)).toEqual(['global', 'scrape_configs']);
    expect(jobs).toEqual([
      {
        name: 'api',
        line: 7,
        column: 5,
        targets: [{ line: 9, column: 20, value: 'localhost:8000' }],
        fileSd: [{ line: 13, value: '/etc/prometheus/api.json' }],
        otherSd: [],
      },
    ]);
  });
});
