import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endsInUnescapedBackslash, parseUnitFile } from '../../src/systemd/unit-file.js';

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
