// Strings from outside, printed: visible escapes, one line, bounded.
import { describe, expect, it } from 'vitest';
import { escapeText, oneLine, pathText, processNameText, prometheusLabel, prometheusLabels, quoteValue, truncate } from '../src/escape.js';
import { formatIssue } from '../src/errors.js';

describe('escapeText', () => {
  it.each([
    ['plain', 'plain'],
    ['a\nb', 'a\\nb'],
    ['a\r\nb\tc', 'a\\r\\nb\\tc'],
    ['\x1b[31mred\x1b[0m', '\\e[31mred\\e[0m'],
    ['bell\x07 nul\x00 del\x7f c1\x9b', 'bell\\x07 nul\\x00 del\\x7f c1\\u009b'],
    ['back\\slash', 'back\\\\slash'],
    ['rtl\u202eevil\u2028line', 'rtl\\u202eevil\\u2028line'],
    ['naïve ☃', 'naïve ☃'],
    // Invisible: a name followed by one of these looks like the bare name.
    ['sshd\u200b', 'sshd\\u200b'],
    ['ss\u00adhd \u2060x\u200dy\ufe0f\u3164', 'ss\\u00adhd \\u2060x\\u200dy\\ufe0f\\u3164'],
    // Bidi marks reorder what a terminal shows, as the overrides do.
    ['a\u200fb\u200ec\u061cd', 'a\\u200fb\\u200ec\\u061cd'],
    // Spaces that are not U+0020.
    ['no\u00a0break\u2009thin\u3000wide\u202fnarrow', 'no\\u00a0break\\u2009thin\\u3000wide\\u202fnarrow'],
    // Tag characters and variation selectors beyond the BMP.
    ['flag\u{e0067}\u{e007f} vs\u{e0100}', 'flag\\u{e0067}\\u{e007f} vs\\u{e0100}'],
    // Noncharacters: no font shows one, and the registry refuses them; the error naming one shows where.
    ['a\uffffb\ufffec\ufdd0d\ufdefe', 'a\\uffffb\\ufffec\\ufdd0d\\ufdefe'],
    ['p\u{1fffe}q\u{10ffff}r', 'p\\u{1fffe}q\\u{10ffff}r'],
  ])('%j -> %s', (value, shown) => {
    expect(escapeText(value)).toBe(shown);
  });

  it('shows lone surrogates escaped (bad bytes kept by decodeKeepingBadBytes as \\xNN), and leaves a real pair (an emoji) alone', () => {
    expect(escapeText(`a${String.fromCharCode(0xdcff)}b`)).toBe('a\\xffb');
    expect(escapeText(`a${String.fromCharCode(0xd800)}b${String.fromCharCode(0xdfff)}`)).toBe('a\\ud800b\\udfff');
    expect(escapeText('ok \u{1f600} \u{10fffd}')).toBe('ok \u{1f600} \u{10fffd}');
    expect(prometheusLabel(`x${String.fromCharCode(0xdc80)}`)).toBe('x\\\\x80'); // as visible text, like every control (\\e)
  });

  it('cuts long values with an ellipsis, after escaping too', () => {
    expect(escapeText('x'.repeat(1_000_000), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(escapeText('\n'.repeat(100), 10)).toBe(`${'\\n'.repeat(4)}\\…`);
    expect(escapeText('🙂'.repeat(20), 5)).toBe('🙂🙂🙂🙂…');
  });
});

describe('quoteValue', () => {
  it('quotes at most 200 characters of a bad value', () => {
    const quoted = quoteValue(`${'a'.repeat(1_000_000)}`);
    expect(quoted).toHaveLength(202);
    expect(quoted.endsWith('…"')).toBe(true);
    expect(quoteValue('say "hi"\n')).toBe('"say \\"hi\\"\\n"');
  });
});

describe('processNameText', () => {
  it('escapes every character of a name beyond ASCII: a look-alike (a Cyrillic е) no longer reads as the name it imitates', () => {
    expect(processNameText('r\u0435dis-server')).toBe('r\\u0435dis-server');
    // Cut between escapes, never inside one: at most max characters, the ellipsis included.
    expect(processNameText('redis-serv\u0435r-long-name', 12)).toBe('redis-serv…');
    expect(processNameText(`${'\u0440'.repeat(10)}x`, 8)).toBe('\\u0440…');
    expect(processNameText('sshd', 4)).toBe('sshd');
    expect(processNameText('sshd!', 4)).toBe('ssh…');
    expect(escapeText('r\u0435dis-server')).toBe('r\u0435dis-server'); // prose stays readable: escapeText leaves letters alone
    expect(processNameText('nginx: worker*')).toBe('nginx: worker*');
    expect(processNameText('a\\b\n\u{1f600}\udcff\u00a0')).toBe('a\\\\b\\n\\u{1f600}\\xff\\u00a0');
  });

  it('cuts to max characters, its own ellipsis not escaped', () => {
    expect(processNameText('x'.repeat(1_000_000), 10)).toBe(`${'x'.repeat(9)}…`);
    // Cut again after escaping, between escapes: never mid-escape.
    expect(processNameText('\u043e'.repeat(20), 8)).toBe('\\u043e…');
  });
});

describe('oneLine', () => {
  it('leaves our own backslashes and escapes line breaks', () => {
    expect(oneLine('unit dsa110\\x2dapi.service\n[claim-port:1] forged')).toBe('unit dsa110\\x2dapi.service\\n[claim-port:1] forged');
  });

  it("escapes what the registry's schema refuses, and leaves what it allows (an emoji's joiner, a no-break space)", () => {
    expect(oneLine('Dev \u{1f469}\u200d\u{1f4bb}\u00a0ok\u200b \u{e0041}')).toBe('Dev \u{1f469}\u200d\u{1f4bb}\u00a0ok\\u200b \\u{e0041}');
    // A value from outside has them escaped too: alone, they let it pass for another.
    expect(escapeText('\u{1f469}\u200d\u{1f4bb}\u00a0')).toBe('\u{1f469}\\u200d\u{1f4bb}\\u00a0');
    // Noncharacters: the schema refuses them, so the line that says so must show them (U+FFFF shows as nothing).
    expect(oneLine('label a\uffffb \u{10fffe} \ufdd5 \ufffd\ufdcf\ufdf0')).toBe('label a\\uffffb \\u{10fffe} \\ufdd5 \ufffd\ufdcf\ufdf0');
  });
});

describe('prometheusLabel', () => {
  it("uses only the exposition format's escapes, other controls as visible text", () => {
    expect(prometheusLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(prometheusLabel('x\x1b[31m')).toBe('x\\\\e[31m');
    expect(prometheusLabel('y'.repeat(500))).toHaveLength(200);
  });
});

describe('prometheusLabels', () => {
  it("gives a validated registry's ids as themselves, each once", () => {
    expect([...prometheusLabels(['api', 'redis', 'api', 'a-1'])]).toEqual([
      ['api', 'api'],
      ['redis', 'redis'],
      ['a-1', 'a-1'],
    ]);
  });

  it('refuses two ids written as one label value (cut alike, or a control beside its escape), naming both', () => {
    const long = 'r'.repeat(250);
    expect(() => prometheusLabels(['api', `${long}a`, `${long}b`])).toThrow(
      new TypeError(
        `services "${'r'.repeat(199)}…" and "${'r'.repeat(199)}…" (they differ from character 251 on) would be one series in Prometheus: both are written as the label value service="${'r'.repeat(59)}…"; give each an id of lower-case letters, digits and dashes, at most 64 characters, as a validated registry has (parseRegistry, loadRegistry)`,
      ),
    );
    // A control character is written as the text of its escape, which another id may be.
    expect(() => prometheusLabels(['redis\x01', 'redis\\x01'])).toThrow(
      new TypeError(
        'services "redis\\x01" and "redis\\\\x01" would be one series in Prometheus: both are written as the label value service="redis\\\\x01"; give each an id of lower-case letters, digits and dashes, at most 64 characters, as a validated registry has (parseRegistry, loadRegistry)',
      ),
    );
    expect(() => prometheusLabels(['a', 1 as unknown as string])).toThrow(TypeError);
  });
});

describe('pathText', () => {
  it('quotes a path that would not be seen otherwise (empty, white space at either end), escapes every other one', () => {
    expect(pathText(' ')).toBe('" "');
    expect(pathText('')).toBe('""');
    expect(pathText('ports.yaml ')).toBe('"ports.yaml "');
    expect(pathText('\tx')).toBe('"\\tx"');
    expect(pathText('/etc/a b.yaml')).toBe('/etc/a b.yaml');
    expect(pathText('/etc/a\nb')).toBe('/etc/a\\nb');
    expect(formatIssue(' ', { path: '', message: 'cannot read', line: 0, column: 0 })).toBe('" ": cannot read');
  });
});

describe('truncate', () => {
  it('cuts at max code points with an ellipsis, never inside a pair, and leaves shorter text alone', () => {
    expect(truncate('abcdefg', 5)).toBe('abcd…');
    expect(truncate('abcde', 5)).toBe('abcde');
    expect(truncate('abc', 1)).toBe('…');
    expect(truncate('😀😀😀😀', 3)).toBe('😀😀…');
    expect(truncate('😀😀😀', 3)).toBe('😀😀😀'); // 6 UTF-16 units, 3 code points
  });

  it('looks at no more of a huge text than it keeps (splitting all of 10 million characters took 0.4 s)', () => {
    const huge = 'x'.repeat(10_000_000);
    const started = performance.now();
    for (let i = 0; i < 5; i++) truncate(huge, 100);
    // 5 splits of 10 million characters took about 2 s; a walk of 101 code points takes microseconds.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(truncate(huge, 100)).toBe(`${'x'.repeat(99)}…`);
  });
});
