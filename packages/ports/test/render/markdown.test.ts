import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import {
  codeOrProse,
  inlineCode,
  markdownProse,
  markdownTable,
  markdownText,
  sanitizeMarkdownLine,
  sanitizeMarkdownTable,
  unifiedDiff,
} from '@dsa110/ports/render';

describe('sanitizeMarkdownTable', () => {
  it('escapes | (code spans included) and turns newlines into <br/>; the cell is Markdown, so its backslashes are left alone', () => {
    expect(sanitizeMarkdownTable('a | b')).toBe('a \\| b');
    expect(sanitizeMarkdownTable('`a|b`')).toBe('`a\\|b`');
    // Backslashes are markdownText's to escape, in text only: inside a code span one is a character (x\\y read x\\\\y).
    expect(sanitizeMarkdownTable('`C:\\dir`')).toBe('`C:\\dir`');
    expect(sanitizeMarkdownTable(markdownText('C:\\dir | x'))).toBe('C:\\\\dir \\| x');
    expect(sanitizeMarkdownTable('one\ntwo\r\nthree')).toBe('one<br/>two<br/>three');
    expect(sanitizeMarkdownTable('plain')).toBe('plain');
  });

  it('keeps every | in a cell, inside code spans too, from ending it, and the cell reads as written (marked, a GFM renderer)', () => {
    // [the registry's prose, the cell's text as shown, the code in it]
    const cases: [string, string, string[]][] = [
      ["find users with `grep -r '8010\\|api-alt' /etc`", "find users with grep -r '8010\\|api-alt' /etc", ["grep -r '8010\\|api-alt' /etc"]],
      ['`a\\\\|b`', 'a\\\\|b', ['a\\\\|b']],
      ['`\\|` and `|`', '\\| and |', ['\\|', '|']],
      ['`x\\`|y', 'x\\|y', ['x\\']],
      ['a\\|b', 'a\\|b', []],
      ['``a`\\|b``', 'a`\\|b', ['a`\\|b']],
      ['` \\| `', '\\|', ['\\|']],
      ['`<b>&amp;"\\|</b>`', '<b>&amp;"\\|</b>', ['<b>&amp;"\\|</b>']],
      ['`a\\|\nb`', 'a\\| b', ['a\\| b']],
      // Markdown inside the <code> a `\|` needs is still parsed: none of it may act (emphasis, strikethrough, autolink, code).
      ["`grep 'a*b\\|c*d'`", "grep 'a*b\\|c*d'", ["grep 'a*b\\|c*d'"]],
      ['`a _x\\|y_ b`', 'a _x\\|y_ b', ['a _x\\|y_ b']],
      ['`a ~~x\\|y~~`', 'a ~~x\\|y~~', ['a ~~x\\|y~~']],
      ['``a`b\\|c`d``', 'a`b\\|c`d', ['a`b\\|c`d']],
      [
        '`see https://example.com/a\\|b www.example.org ops@example.org`',
        'see https://example.com/a\\|b www.example.org ops@example.org',
        ['see https://example.com/a\\|b www.example.org ops@example.org'],
      ],
      ['`[x](y)\\|![i](j) <b> &amp; $m$`', '[x](y)\\|![i](j) <b> &amp; $m$', ['[x](y)\\|![i](j) <b> &amp; $m$']],
    ];
    // Cells given as Markdown (not through markdownProse): a code span's line break is a space, never a <br/> in the code.
    const cells: [string, string, string[]][] = [
      ['`a\nb`', 'a b', ['a b']],
      ['x `a\r\nb_c*` y\nz', 'x a b_c* y<br/>z', ['a b_c*']],
    ];
    const decode = (html: string) =>
      html.replace(/&(lt|gt|quot|amp|#39|#\d+);/g, (_, name: string) =>
        name.startsWith('#') ? String.fromCodePoint(Number(name.slice(1))) : { lt: '<', gt: '>', quot: '"', amp: '&' }[name]!,
      );
    for (const [prose, text, code] of [...cases.map(([prose, ...rest]) => [markdownProse(prose), ...rest] as const), ...cells]) {
      const html = marked.parse(`${markdownTable(['Purpose', 'Id'], [[prose, 'z']])}\n`, { async: false }) as string;
      const shown = [...html.matchAll(/<td>(.*?)<\/td>/gs)].map((match) => match[1]!);
      expect(shown, prose).toHaveLength(2);
      expect(shown[1]).toBe('z');
      const codes = [...shown[0]!.matchAll(/<code>(.*?)<\/code>/gs)].map((match) => match[1]!);
      for (const inner of codes) expect(inner, prose).not.toMatch(/<(em|strong|del|a|code|br|img)\b/);
      expect(shown[0], prose).not.toMatch(/<(em|strong|del|a|img)\b/);
      expect(codes.map(decode), prose).toEqual(code);
      expect(decode(shown[0]!.replace(/<\/?code>/g, '')), prose).toBe(text);
    }
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

describe('markdownText and markdownProse: registry text shows as written', () => {
  it('escapes HTML as entities, and link, image, emphasis and code syntax with backslashes', () => {
    expect(markdownText('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(markdownText('<div hidden>A')).toBe('&lt;div hidden&gt;A');
    expect(markdownText('[click](javascript:alert(1))')).toBe('\\[click\\](javascript:alert(1))');
    expect(markdownText('![x](y) &amp; *a* ~~b~~ `c` \\')).toBe('!\\[x\\](y) &amp;amp; \\*a\\* \\~\\~b\\~\\~ \\`c\\` \\\\');
    // _ only where it could emphasize: a variable's name stays as it is.
    expect(markdownText('CONTIMG_API_PORT _x_ a__')).toBe('CONTIMG_API_PORT \\_x\\_ a\\_\\_');
  });

  it("breaks GitHub's extended autolinks (a URL, a www. name, an e-mail address) and its $math$, in text and prose alike", () => {
    // Checked with marked 9 (GFM): each renders as the text written, with no <a href>; unescaped, each was a link.
    const cases: [string, string][] = [
      ['Nginx www.evil.example', 'Nginx www\\.evil.example'],
      ['Proxy https://evil.example/x', 'Proxy https\\://evil.example/x'],
      ['ftp://x.example and HTTP://y.example', 'ftp\\://x.example and HTTP\\://y.example'],
      ['mail ops+dsa@b.example now', 'mail ops+dsa\\@b.example now'],
      ['Cost $x^2$', 'Cost \\$x^2\\$'],
    ];
    for (const [text, markdown] of cases) {
      expect(markdownText(text)).toBe(markdown);
      expect(markdownProse(text)).toBe(markdown);
    }
    // What starts no link stays as it was: a port after a colon, a word beginning www, an @ at the end; a code span is code.
    expect(markdownText('port 8000: ok, wwwx.example, swww.example, cc@')).toBe('port 8000: ok, wwwx.example, swww.example, cc@');
    expect(markdownProse('at `http://localhost:9090` or http://h')).toBe('at `http://localhost:9090` or http\\://h');
  });

  it('escapes a start that would begin a block in a list item: heading, list, thematic break', () => {
    const starts = ['# h', '- x', '+ x', '=== x', '1. x', '2) x', 'a - b'];
    expect(starts.map(markdownText)).toEqual(['\\# h', '\\- x', '\\+ x', '\\=== x', '1\\. x', '2\\) x', 'a - b']);
  });

  it("keeps the prose's code spans as code (ports.yaml writes paths so), escaping only the text around them", () => {
    expect(markdownProse('Proxies `/api/` to <b>{port}</b>')).toBe('Proxies `/api/` to &lt;b&gt;{port}&lt;/b&gt;');
    expect(markdownProse('`<x>|[y]` and [z]')).toBe('`<x>|[y]` and \\[z\\]');
    // A lone backtick is text; a backslash in the YAML is a character, also just before a code span.
    expect(markdownProse('a ` b')).toBe('a \\` b');
    expect(markdownProse('C:\\ `x` and ``y`z``')).toBe('C:\\\\ `x` and ``y`z``');
    expect(markdownProse('`one\ntwo`')).toBe('`one two`');
    expect(codeOrProse('mkdocs serve')).toBe('`mkdocs serve`');
    expect(codeOrProse('`npm run dev` in <dir>')).toBe('`npm run dev` in &lt;dir&gt;');
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

  it('with loneCr, shows a page of CR line endings line by line (a CR LF line keeps its CR, as without)', () => {
    const before = `${['1', '2', '3', '4', '5', '6'].join('\r')}\r`;
    expect(unifiedDiff(before, before.replace('4\r', 'four\r'), { loneCr: true })).toBe(
      ['--- a', '+++ b', '@@ -1,6 +1,6 @@', ' 1', ' 2', ' 3', '-4', '+four', ' 5', ' 6', ''].join('\n'),
    );
    expect(unifiedDiff('a\r\nb\n', 'a\r\nc\n', { loneCr: true })).toBe(['--- a', '+++ b', '@@ -1,2 +1,2 @@', ' a\\r', '-b', '+c', ''].join('\n'));
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
