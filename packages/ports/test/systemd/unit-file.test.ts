import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endsInUnescapedBackslash, LONG_LINE_MAX, parseUnitFile, splitUnitLines } from '../../src/systemd/unit-file.js';

describe('parseUnitFile', () => {
  it('reads sections, trims around =, skips comments and keeps line numbers', () => {
    const text = '[Unit]\nDescription = API\n# ExecStartPre=/bin/false\n; also a comment\n\n[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000\n';
    expect(parseUnitFile(text)).toEqual([
      { section: 'Unit', key: 'Description', value: 'API', line: 2 },
      { section: 'Service', key: 'ExecStartPre', value: '+/usr/local/bin/claim-port 8000', line: 7 },
    ]);
  });

  it('joins backslash continuations (comment lines inside are dropped) and reports the first line', () => {
    const text = '[Service]\nExecStartPre=+/usr/local/bin/claim-port \\\n# a comment in between\n  8000\nUser=api\n';
    expect(parseUnitFile(text)).toEqual([
      { section: 'Service', key: 'ExecStartPre', value: '+/usr/local/bin/claim-port    8000', line: 2 },
      { section: 'Service', key: 'User', value: 'api', line: 5 },
    ]);
  });

  it('keeps an empty value (the reset of a list setting) and ignores lines without =', () => {
    expect(parseUnitFile('[Service]\nExecStartPre=\nnonsense\n')).toEqual([{ section: 'Service', key: 'ExecStartPre', value: '', line: 2 }]);
  });
});

describe('splitUnitLines', () => {
  // systemd's read_line(), character by character: a line ends at LF, CR or NUL, and at a run of
  // them in which no kind repeats (CR LF is one end, LF LF two), never continuing after a NUL.
  const readLines = (text: string): string[] => {
    const kinds: Record<string, number> = { '\n': 1, '\r': 2, '\0': 4 };
    const lines: string[] = [];
    let line = '';
    let index = 0;
    while (index < text.length) {
      const kind = kinds[text[index]!];
      if (kind === undefined) {
        line += text[index++];
        continue;
      }
      lines.push(line);
      line = '';
      let seen = kind;
      index++;
      while (index < text.length && !(seen & 4) && kinds[text[index]!] !== undefined && !(seen & kinds[text[index]!]!)) seen |= kinds[text[index++]!]!;
    }
    if (line !== '') lines.push(line);
    return lines;
  };

  it('splits as systemd reads lines, with or without CR and NUL (LF-only text takes a faster path)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', ' ', '\n', '\n', '\r', '\0'), { maxLength: 16 }).map((chars) => chars.join('')),
        (text) => {
          expect(splitUnitLines(text)).toEqual(readLines(text));
        },
      ),
      { numRuns: 2000 },
    );
    expect(splitUnitLines('')).toEqual([]);
    expect(splitUnitLines('a\n\nb\n')).toEqual(['a', '', 'b']);
    expect(splitUnitLines('a\r\nb\n\rc')).toEqual(['a', 'b', 'c']);
  });

  it('refuses a line of LONG_LINE_MAX bytes, counted in UTF-8 (one byte short is read)', () => {
    const errors = (value: string) => {
      const found: { line: number; message: string }[] = [];
      parseUnitFile(`[Service]\nUser=${value}\n`, found);
      return found.map((error) => error.message);
    };
    const room = LONG_LINE_MAX - 'User='.length;
    expect(errors('y'.repeat(room - 1))).toEqual([]);
    expect(errors('y'.repeat(room))).toEqual(['line too long (systemd refuses lines of 1 MiB or more)']);
    // 3 bytes each in UTF-8: a third as many characters make the same line too long.
    expect(errors('€'.repeat(Math.ceil(room / 3)))).toEqual(['line too long (systemd refuses lines of 1 MiB or more)']);
    expect(errors('€'.repeat(Math.floor((room - 1) / 3)))).toEqual([]);
  });
});

describe('endsInUnescapedBackslash', () => {
  // systemd's own rule: scan the line, each backslash escaping the next character.
  const scanned = (line: string) => {
    let escaped = false;
    for (const char of line) escaped = escaped ? false : char === '\\';
    return escaped;
  };

  it('agrees with a scan of the whole line', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('\\', 'a', ' ', '\t'), { maxLength: 12 }).map((chars) => chars.join('')),
        (line) => {
          expect(endsInUnescapedBackslash(line)).toBe(scanned(line));
        },
      ),
      { seed: 13, numRuns: 2000 },
    );
  });

  it('reads odd and even runs at the end', () => {
    expect(endsInUnescapedBackslash('a \\')).toBe(true);
    expect(endsInUnescapedBackslash('a \\\\')).toBe(false);
    expect(endsInUnescapedBackslash('\\x\\')).toBe(true);
    expect(endsInUnescapedBackslash('')).toBe(false);
  });
});
