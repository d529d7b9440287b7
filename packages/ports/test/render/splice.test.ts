import { describe, expect, it } from 'vitest';
import { GENERATED_NOTE, MarkerError, spliceMarkers } from '@dsa110/ports/render';

const page = [
  '# Title',
  '',
  '<!-- ports:one:start -->',
  'old',
  '<!-- ports:one:end -->',
  '',
  'Port <!-- ports:ref port:x -->1<!-- /ports:ref --> here.',
  '',
].join('\n');
const options = { file: 'page.md', blocks: { one: 'NEW\n' }, reference: (key: string) => (key === 'port:x' ? '42' : undefined) };

describe('spliceMarkers', () => {
  it('replaces the block with the note and fixed blank lines, and inline values', () => {
    expect(spliceMarkers(page, options)).toBe(
      [
        '# Title',
        '',
        '<!-- ports:one:start -->',
        GENERATED_NOTE,
        '',
        'NEW',
        '',
        '<!-- ports:one:end -->',
        '',
        'Port <!-- ports:ref port:x -->42<!-- /ports:ref --> here.',
        '',
      ].join('\n'),
    );
  });

  it('reads a line of 40,000 references, or of 40,000 unclosed ones, at once (each was matched against all: 6 s and 23 s)', () => {
    const many = page.replace(
      'Port <!-- ports:ref port:x -->1<!-- /ports:ref --> here.',
      `${'<!-- ports:ref port:x -->1<!-- /ports:ref --> '.repeat(40_000)}end`,
    );
    let started = performance.now();
    expect(spliceMarkers(many, options).split('\n')).toContain(`${'<!-- ports:ref port:x -->42<!-- /ports:ref --> '.repeat(40_000)}end`);
    expect(performance.now() - started).toBeLessThan(2000);
    const unclosed = page.replace('here.', `here. ${'<!-- ports:ref port:x -->'.repeat(40_000)}`);
    started = performance.now();
    expect(() => spliceMarkers(unclosed, options)).toThrow(
      new MarkerError(
        'page.md',
        7,
        58,
        'unrecognized ports marker; a section marker is <!-- ports:NAME:start --> or <!-- ports:NAME:end --> alone on its line, a value is <!-- ports:ref KEY -->VALUE<!-- /ports:ref --> on one line',
      ),
    );
    expect(performance.now() - started).toBeLessThan(2000);
    // A stray marker between two references is still found, and one after the last.
    const stray = page.replace('here.', 'here. <!-- ports:bogus --> <!-- ports:ref port:x -->1<!-- /ports:ref --> <!-- /ports:ref -->');
    expect(() => spliceMarkers(stray, options)).toThrow(/^page\.md:7:58: unrecognized ports marker/);
    const after = page.replace('here.', 'here. <!-- ports:ref port:x -->1<!-- /ports:ref --> <!-- ports:ref x');
    expect(() => spliceMarkers(after, options)).toThrow(/^page\.md:7:104: unrecognized ports marker/);
  }, 60_000);

  it('is idempotent', () => {
    const once = spliceMarkers(page, options);
    expect(spliceMarkers(once, options)).toBe(once);
  });

  it('keeps CRLF line endings', () => {
    const crlf = page.replace(/\n/g, '\r\n');
    const out = spliceMarkers(crlf, options);
    expect(out).toContain(`<!-- ports:one:start -->\r\n${GENERATED_NOTE}\r\n\r\nNEW\r\n\r\n<!-- ports:one:end -->`);
    expect(out.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('leaves markers inside fenced code and code spans alone', () => {
    const text = `${page}\n\`\`\`md\n<!-- ports:nope:start -->\n<!-- ports:ref bogus -->\n\`\`\`\n\nWrite \`<!-- ports:NAME:start -->\` on its own line.\n`;
    expect(spliceMarkers(text, options)).toContain('```md\n<!-- ports:nope:start -->\n<!-- ports:ref bogus -->\n```');
  });

  it('reads code spans as CommonMark does: a backslash-escaped backtick opens none, so a value written tick\\`x splices again', () => {
    // A protected name tick`x is written tick\`x; before, its backtick paired with the code span's and hid the closing marker.
    const protectedName = { ...options, reference: (key: string) => (key === 'claim:protected' ? 'sshd, tick\\`x' : options.reference(key)) };
    const line = 'Kill <!-- ports:ref claim:protected -->old<!-- /ports:ref --> (see `claim.protect`) or `<!-- ports:ref bogus -->`.';
    const once = spliceMarkers(page.replace('Port <!-- ports:ref port:x -->1<!-- /ports:ref --> here.', line), protectedName);
    expect(once).toContain('Kill <!-- ports:ref claim:protected -->sshd, tick\\`x<!-- /ports:ref --> (see `claim.protect`) or `<!-- ports:ref bogus -->`.');
    expect(spliceMarkers(once, protectedName)).toBe(once);
    // An escaped backslash escapes nothing after it: the backtick opens a span, which hides the example marker.
    const escapedBackslash = 'here \\\\`<!-- ports:ref bogus -->` ok';
    expect(spliceMarkers(page.replace('here.', escapedBackslash), options)).toContain(`42<!-- /ports:ref --> ${escapedBackslash}`);
    // Inside a span a backslash is a character: `a\` closes there, and the value after it is live.
    expect(spliceMarkers(page.replace('Port ', '`a\\` Port '), options)).toContain('`a\\` Port <!-- ports:ref port:x -->42<!-- /ports:ref -->');
    // A span closes only at a run of its own length: ``a`b`` is one span, and a run that nothing closes is text.
    expect(spliceMarkers(page.replace('Port ', '``a`<!-- ports:ref bogus -->`b`` ` Port '), options)).toContain('` Port <!-- ports:ref port:x -->42<');
  });

  it('reads a code span over the lines of its paragraph as code, as CommonMark does, and never across paragraphs or into a block', () => {
    // A marker inside a span that runs over lines: text, left as written (was: an unrecognized marker, or a value spliced).
    for (const example of [
      'Write `<!-- ports:ref port:x -->1\nmore <!-- /ports:ref -->` in prose.',
      'Or `a\nb <!-- ports:ref port:x -->PORT<!-- /ports:ref --> c`.',
      'Or ``a\n` <!-- ports:ref bogus -->\n    b`` c.',
      '- item `a\n  <b> <!-- ports:NAME:end --> b` c',
    ]) {
      const text = page.replace(
        'Port <!-- ports:ref port:x -->1<!-- /ports:ref --> here.',
        `${example}\n\nPort <!-- ports:ref port:x -->1<!-- /ports:ref --> here.`,
      );
      const out = spliceMarkers(text, options);
      expect(out, example).toContain(`${example}\n\nPort <!-- ports:ref port:x -->42<!-- /ports:ref --> here.`);
      expect(spliceMarkers(out, options)).toBe(out);
    }
    // CRLF lines: the same span, each line keeping its ending.
    const crlf = page.replace('Port <!-- ports:ref port:x -->1<!-- /ports:ref --> here.', 'Or `a\r\nb <!-- ports:ref port:x -->PORT<!-- /ports:ref --> c`.');
    expect(spliceMarkers(crlf, options)).toContain('Or `a\r\nb <!-- ports:ref port:x -->PORT<!-- /ports:ref --> c`.');
    // A blank line ends the paragraph: the backtick before it opens nothing, and the value after it is live.
    const apart = page.replace('Port ', 'A ` here\n\nPort ');
    expect(spliceMarkers(apart, options)).toContain('Port <!-- ports:ref port:x -->42<!-- /ports:ref --> here.');
    // So does a line that starts an HTML block (`<!--`, `<div>`): the value there is live.
    const html = page.replace('Port ', 'Some `text\n');
    expect(spliceMarkers(html, options)).toContain('Some `text\n<!-- ports:ref port:x -->42<!-- /ports:ref --> here.');
    // And a heading: no span runs into one.
    const heading = page.replace('Port ', 'A ` here\n# Port `\nPort ');
    expect(spliceMarkers(heading, options)).toContain('\nPort <!-- ports:ref port:x -->42<!-- /ports:ref --> here.');
  });

  it('reads a line of 20,000 backtick runs (50 lengths, most never closed) in one pass', () => {
    const runs = Array.from({ length: 20_000 }, (_, index) => '`'.repeat((index % 50) + 1)).join(' x ');
    const started = performance.now();
    expect(spliceMarkers(page.replace('here.', `here. ${runs}`), options)).toContain(`42<!-- /ports:ref --> here. ${runs}`);
    expect(performance.now() - started).toBeLessThan(2000);
  }, 60_000);

  it('throws MarkerError with file:line:col for each kind of broken marker', () => {
    const error = (text: string) => {
      try {
        spliceMarkers(text, options);
      } catch (caught) {
        expect(caught).toBeInstanceOf(MarkerError);
        return (caught as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(error(page.replace('<!-- ports:one:end -->', ''))).toBe(
      'page.md:3:1: <!-- ports:one:start --> has no <!-- ports:one:end -->; add the end marker on its own line after the section',
    );
    expect(error(page.replace('<!-- ports:one:start -->', ''))).toBe(
      'page.md:5:1: <!-- ports:one:end --> has no <!-- ports:one:start --> before it; add the start marker or remove this line',
    );
    expect(error(page.replace(/<!-- ports:one:(start|end) -->/g, ''))).toBe(
      'page.md: missing generated section "one"; add <!-- ports:NAME:start --> and <!-- ports:NAME:end --> lines where each should go',
    );
    expect(error(`${page}<!-- ports:one:start -->\n<!-- ports:one:end -->\n`)).toBe('page.md:8:1: section "one" appears twice (first on line 3); keep one');
    expect(error(`${page}<!-- ports:two:start -->\n`)).toMatch(/^page\.md:8:1: unknown generated section "two"; known sections: one$/);
    expect(error(page.replace('port:x', 'port:y'))).toMatch(/^page\.md:7:6: unknown reference "port:y"; use port:ID/);
    expect(error(`${page}Text <!-- ports:ref port:x -->1 and no close\n`)).toMatch(/^page\.md:8:6: unrecognized ports marker; /);
    expect(error(`${page}  <!-- ports:one:begin -->\n`)).toMatch(/^page\.md:8:3: unrecognized ports marker/);
  });

  it('refuses a ref marker opened inside another, at the inner one (it and the text around it were deleted, exit 0)', () => {
    const nested = page.replace('here.', 'and <!-- ports:ref port:x -->1<!-- ports:ref port:x -->2<!-- /ports:ref --> here.');
    expect(() => spliceMarkers(nested, options)).toThrow(
      new MarkerError(
        'page.md',
        7,
        82,
        'a ref marker cannot hold another: <!-- ports:ref port:x --> at column 56 is still open; close it with <!-- /ports:ref --> before opening the next',
      ),
    );
    // Any other ports marker inside a value is refused too, not swallowed with the value.
    const inside = page.replace('-->1<', '-->1<!-- ports:one:start -->2<');
    expect(() => spliceMarkers(inside, options)).toThrow(/^page\.md:7:32: unrecognized ports marker; /);
  });

  describe('reads blocks as CommonMark does (each case checked against marked 9.1.6, which the audit used)', () => {
    // The page, with `body` before its section: a live reference in `body` becomes 42, and a bare example marker
    // (<!-- ports:ref KEY -->) outside code is an error.
    const withBody = (body: string) => `${body}\n\n${page}`;
    const splice = (body: string) => spliceMarkers(withBody(body), options);

    it('a line opening with a ```code span``` is text, not a fence (a backtick fence has no backtick in its info string)', () => {
      const body = '```ports docs --check``` fails when port <!-- ports:ref port:x -->1<!-- /ports:ref --> drifts';
      expect(splice(body)).toContain('```ports docs --check``` fails when port <!-- ports:ref port:x -->42<!-- /ports:ref --> drifts');
      expect(splice(body)).toContain(`<!-- ports:one:start -->\n${GENERATED_NOTE}`);
      // A tilde fence's info string may hold backticks: it is a fence.
      expect(splice('~~~ a`b\n<!-- ports:ref KEY -->\n~~~')).toContain('~~~ a`b\n<!-- ports:ref KEY -->\n~~~');
    });

    it("a fence indented inside a list item (by the item's content indent) is code", () => {
      const ordered = '10. Example:\n\n    ```md\n    <!-- ports:ref KEY -->\n    ```';
      expect(splice(ordered)).toContain(ordered);
      const nested = '- a\n  - b\n\n    ~~~\n    <!-- ports:ref KEY -->\n    ~~~\n\nafter <!-- ports:ref port:x -->1<!-- /ports:ref -->';
      expect(splice(nested)).toContain('    <!-- ports:ref KEY -->\n    ~~~\n\nafter <!-- ports:ref port:x -->42<');
      // The fence ends with its list item: a line less indented than the item's content, not a paragraph's, closes both.
      const ended = '- item\n\n  ```\n  code\ntext <!-- ports:ref port:x -->1<!-- /ports:ref -->';
      expect(splice(ended)).toContain('text <!-- ports:ref port:x -->42<');
    });

    it('an indented code block (4 spaces, not continuing a paragraph) is code: its markers are text', () => {
      const code = 'Example:\n\n    <!-- ports:one:start -->\n    <!-- ports:ref KEY -->\n    <!-- ports:one:end -->';
      expect(splice(code)).toContain(code);
      // Continuing a paragraph, an indented line is the paragraph's: its reference is live.
      expect(splice('para\n    <!-- ports:ref port:x -->1<!-- /ports:ref -->')).toContain('para\n    <!-- ports:ref port:x -->42<');
    });

    it('a fence closes only at the same character, at least as long, with only spaces after, indented up to 3 spaces', () => {
      for (const body of [
        '~~~\n```\n<!-- ports:ref KEY -->\n~~~~',
        '```\ncode\n``` x\n<!-- ports:ref KEY -->\n```',
        '````\n```\n<!-- ports:ref KEY -->\n````',
        '```\n    ```\n<!-- ports:ref KEY -->\n```  ',
      ])
        expect(splice(body)).toContain(body);
    });

    it('an unclosed fence is named at its own line:col, not as a missing section far away', () => {
      expect(() => splice('text\n\n  ```sh\nports docs')).toThrow(
        new MarkerError(
          'page.md',
          3,
          3,
          'code fence ``` is never closed, so the rest of the page is read as code; close it with a line of ``` (or longer) after its code',
        ),
      );
      expect(() => spliceMarkers(`${page}\n~~~~\n`, options)).toThrow(/^page\.md:9:1: code fence ~~~~ is never closed/);
    });

    it('a start marker hidden by a fence not closed before it is named with that fence, not as a missing start far below', () => {
      // A stray fence above the section: the page's next fence (a shell example's opening one, here) closes it,
      // after the start marker, so the end marker below is read as text with no start before it.
      const stray = page.replace('<!-- ports:one:start -->', '```\n<!-- ports:one:start -->').replace('old', '```sh\nports docs\n```');
      expect(() => spliceMarkers(stray, options)).toThrow(
        new MarkerError(
          'page.md',
          3,
          1,
          'code fence ``` is not closed before <!-- ports:one:start --> on line 4, so that marker is read as code and <!-- ports:one:end --> on line 8 has no start; close the fence with a line of ``` (or longer) after its code, before line 4, or remove it',
        ),
      );
      // A fence that hides the start and closes before the end of a missing section: the fence is named.
      const noEnd = page.replace('<!-- ports:one:start -->', '  ~~~~ md\n<!-- ports:one:start -->\n~~~~').replace('<!-- ports:one:end -->', '');
      expect(() => spliceMarkers(noEnd, options)).toThrow(
        /^page\.md:3:3: code fence ~~~~ is not closed before <!-- ports:one:start --> on line 4, so that marker is read as code and section "one" is missing; close the fence/,
      );
      // A section shown whole in a code block (an example, or swallowed by a stray fence) while the real one is missing:
      // the missing section is said as before, with where its markers are read as code.
      const example = `\`\`\`md\n<!-- ports:one:start -->\n<!-- ports:one:end -->\n\`\`\`\n\n${page.replace(/<!-- ports:one:(start|end) -->/g, '')}`;
      expect(() => spliceMarkers(example, options)).toThrow(
        new MarkerError(
          'page.md',
          0,
          0,
          'missing generated section "one"; add <!-- ports:NAME:start --> and <!-- ports:NAME:end --> lines where each should go (<!-- ports:one:start --> on line 2 is inside the code block that the fence ``` at page.md:1:1 opens, so it is read as code: if that fence is stray, remove it)',
        ),
      );
      // An example of a whole section above a stray end marker: the end marker is what to fix.
      expect(() => spliceMarkers(`${example.split('\n\n')[0]}\n\n<!-- ports:one:end -->\n`, options)).toThrow(
        /^page\.md:6:1: <!-- ports:one:end --> has no <!-- ports:one:start --> before it; add the start marker/,
      );
    });
  });

  describe('line endings', () => {
    it("keeps each hand-written line's own ending; generated lines take the page's majority ending", () => {
      // Mostly LF with one CRLF line: only that line keeps CRLF (the whole page became CRLF).
      const oneCrlf = page.replace('# Title\n', '# Title\r\n');
      const out = spliceMarkers(oneCrlf, options);
      expect(out).toBe(spliceMarkers(page, options).replace('# Title\n', '# Title\r\n'));
      // Mostly CRLF with one LF line: the generated lines are CRLF, the LF line stays LF.
      const mostlyCrlf = page
        .replace(/\n/g, '\r\n')
        .replace('Port <!-- ports:ref port:x -->1<!-- /ports:ref --> here.\r\n', 'Port <!-- ports:ref port:x -->1<!-- /ports:ref --> here.\n');
      const crlfOut = spliceMarkers(mostlyCrlf, options);
      expect(crlfOut).toContain(`<!-- ports:one:start -->\r\n${GENERATED_NOTE}\r\n\r\nNEW\r\n\r\n<!-- ports:one:end -->\r\n`);
      expect(crlfOut).toContain('42<!-- /ports:ref --> here.\n');
      expect(crlfOut.match(/(?<!\r)\n/g)).toHaveLength(1);
      expect(spliceMarkers(crlfOut, options)).toBe(crlfOut);
    });

    it('reads a lone CR as a line ending, as CommonMark does, and writes the page back with its own (was: one line, "unrecognized ports marker")', () => {
      const cr = page.replace(/\n/g, '\r');
      const out = spliceMarkers(cr, options);
      expect(out).toBe(spliceMarkers(page, options).replace(/\n/g, '\r'));
      expect(spliceMarkers(out, options)).toBe(out);
      // A CR line among LF ones keeps its CR; generated lines take the majority ending.
      expect(spliceMarkers(page.replace('# Title\n', '# Title\r'), options)).toBe(spliceMarkers(page, options).replace('# Title\n', '# Title\r'));
    });
  });
});
