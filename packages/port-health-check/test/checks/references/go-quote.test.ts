import { describe, expect, it } from 'vitest';
import { goQuoted } from '../../../src/checks/references/go-quote.js';

describe('goQuoted', () => {
  it('quotes as promtool quoted a label name it refused (Go 2.42.0: strconv.Quote)', () => {
    expect(goQuoted('a\x1bb\x07\u202e\u{e0001}\t\x7f')).toBe('"a\\x1bb\\a\\u202e\\U000e0001\\t\\x7f"');
  });

  it('prints each character below 0x80 as unicode.IsPrint says (letter, mark, number, punctuation, symbol or space), by code, not by the Unicode expression', () => {
    const isPrint = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
    for (let code = 0; code < 0x80; code++) {
      const char = String.fromCharCode(code);
      const quoted = goQuoted(char).slice(1, -1);
      if (char === '"' || char === '\\' || '\x07\b\f\n\r\t\v'.includes(char)) expect(quoted.startsWith('\\'), char).toBe(true);
      else expect(quoted === char, `0x${code.toString(16)}`).toBe(isPrint.test(char));
    }
  });

  it('tells printable runes past ASCII from the rest, and cuts at max runes', () => {
    expect(goQuoted('é٣€\u00ad\u200b')).toBe('"é٣€\\u00ad\\u200b"');
    expect(goQuoted('abc', 2)).toBe('"ab"…');
  });
});
