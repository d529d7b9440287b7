// The claim blocks of a text too large or too full to read as a registry, found line by line (claim-sections.ts).
import { describe, expect, it } from 'vitest';
import { claimSections, MAX_CLAIM_SECTION_CHARS, MAX_CLAIM_SECTIONS, throughLastLineBreak } from '../src/claim-sections.js';

describe('claimSections', () => {
  it('gives each top-level claim block, its lines under it (indented, blank, comments) and no further, whatever the line ends', () => {
    for (const end of ['\n', '\r\n', '\r']) {
      const text = ['version: 1', 'claim:', '  protect:', '', '# a comment', '    processes: [a]', 'services: []', '"claim" :', '  x: 1', ''].join(end);
      expect(claimSections(text)).toEqual([`claim:${end}  protect:${end}${end}# a comment${end}    processes: [a]${end}`, `"claim" :${end}  x: 1${end}`]);
    }
    // Only CR and LF start a line: a U+2028 (or NEL) in a comment does not, as in YAML.
    expect(claimSections('# a\u2028claim: {protect: {processes: [node]}}\n# b\u0085claim: x\n')).toEqual([]);
    // No look-alikes: an indented key, another key, a value that is no mapping key.
    expect(claimSections('  claim: x\nclaims: x\nclaim:x\nclaim\n')).toEqual([]);
  });

  it(`reads at most ${MAX_CLAIM_SECTIONS} blocks, each at most ${MAX_CLAIM_SECTION_CHARS} characters, cut at a line break`, () => {
    expect(claimSections('claim: x\n'.repeat(100))).toHaveLength(MAX_CLAIM_SECTIONS);
    const long = `claim:\n${'  - an indented line of an appended log\n'.repeat(10_000)}`;
    const [section] = claimSections(long);
    expect(section!.length).toBeLessThanOrEqual(MAX_CLAIM_SECTION_CHARS);
    expect(section!.length).toBeGreaterThan(MAX_CLAIM_SECTION_CHARS - 100);
    expect(section!.endsWith('log\n')).toBe(true);
    expect(long.startsWith(section!)).toBe(true);
    // One line longer than the limit: nothing of it (a cut line could read as another value).
    expect(claimSections(`claim: [${'a,'.repeat(MAX_CLAIM_SECTION_CHARS)}a]\n`)).toEqual(['']);
  });
});

describe('throughLastLineBreak', () => {
  it('keeps the text up to and with its last CR or LF, or nothing', () => {
    expect(throughLastLineBreak('a\nb\nc')).toBe('a\nb\n');
    expect(throughLastLineBreak('a\rb\rc')).toBe('a\rb\r');
    expect(throughLastLineBreak('a\r\nb')).toBe('a\r\n');
    expect(throughLastLineBreak('abc')).toBe('');
  });
});
