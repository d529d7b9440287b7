// The line reader of prometheus.yml tests its characters by hand, not with a
// regular expression per line (each costs start-up time in a fresh process):
// held here to the expressions it replaces, on every UTF-16 code unit.
import { describe, expect, it } from 'vitest';
import { isSpaceAt, keyIndent, logicalLines, readScrapeConfigs } from '../../../src/checks/references/prometheus-jobs.js';

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
      { name: 'api', line: 7, targets: [{ line: 9, value: 'localhost:8000' }], fileSd: [{ line: 13, value: '/etc/prometheus/api.json' }], otherSd: [] },
    ]);
  });
});
