import { describe, expect, it } from 'vitest';
import { inlineCode, markdownTable, sanitizeMarkdownLine, sanitizeMarkdownTable, unifiedDiff } from '@dsa110/ports/render';

describe('sanitizeMarkdownTable', () => {
  it('escapes | and backslashes and turns newlines into <br/>', () => {
    expect(sanitizeMarkdownTable('a | b')).toBe('a \\| b');
    expect(sanitizeMarkdownTable('C:\\dir')).toBe('C:\\\\dir');
    expect(sanitizeMarkdownTable('\\|')).toBe('\\\\\\|');
    expect(sanitizeMarkdownTable('one\ntwo\r\nthree')).toBe('one<br/>two<br/>three');
    expect(sanitizeMarkdownTable('plain')).toBe('plain');
  });

  it('keeps a list line on one line', () => {
    expect(sanitizeMarkdownLine('one\n  two')).toBe('one two');
  });
});

describe('markdownTable', () => {
  it('pads columns and sanitizes every cell, headers included', () => {
    expect(
      markdownTable(
        ['A', 'B|C'],
        [
          ['x|y', '1'],
          ['long\nline', ''],
        ],
      ),
    ).toBe(['| A             | B\\|C |', '| ------------- | ---- |', '| x\\|y          | 1    |', '| long<br/>line |      |'].join('\n'));
  });
});

describe('inlineCode', () => {
  it('uses a longer fence when the text has backticks', () => {
    expect(inlineCode('a')).toBe('`a`');
    expect(inlineCode('a`b')).toBe('`` a`b ``');
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal texts and shows - then + lines with context', () => {
    expect(unifiedDiff('a\n', 'a\n')).toBe('');
    const before = `${['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].join('\n')}\n`;
    const after = before.replace('5\n', 'five\n');
    expect(unifiedDiff(before, after, { from: 'old', to: 'new' })).toBe(
      ['--- old', '+++ new', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8', ''].join('\n'),
    );
  });

  it('splits far-apart changes into hunks, and handles additions at the end', () => {
    const before = `${Array.from({ length: 20 }, (_, index) => String(index)).join('\n')}\n`;
    const after = `${before.replace('1\n', 'one\n')}new\n`;
    const diff = unifiedDiff(before, after);
    expect(diff.match(/^@@ /gm)).toHaveLength(2);
    expect(diff).toContain('@@ -18,3 +18,4 @@\n 17\n 18\n 19\n+new\n');
  });

  it('says so when only the final newline differs', () => {
    expect(unifiedDiff('a\n', 'a')).toContain('only in the newline at the end');
  });
});
