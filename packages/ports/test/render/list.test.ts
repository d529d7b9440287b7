// `ports list`'s table: columns line up on a terminal whatever the names hold.
// "A terminal" is the C library's wcwidth(3), which xterm, VTE, tmux and
// screen follow; it is asked through python3's ctypes (glibc only).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { columns, textTable } from '../../src/render/list.js';

/** Run `script` with glibc's wcwidth as `width` (UTF-8 locale); its stdout parsed as JSON, or undefined where there is no python3 or glibc. */
function withWcwidth(script: string, input = ''): unknown {
  const prelude = [
    'import ctypes, json, sys',
    "libc = ctypes.CDLL('libc.so.6')",
    "libc.setlocale(6, b'C.UTF-8')",
    'libc.wcwidth.argtypes = [ctypes.c_wchar]',
    'width = libc.wcwidth',
    '',
  ].join('\n');
  const run = spawnSync('python3', ['-c', prelude + script], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return run.status === 0 ? JSON.parse(run.stdout) : undefined;
}
const glibc = withWcwidth('print(json.dumps(width("日")))') === 2;

describe('textTable', () => {
  const names = ['Plain', '日本 API', 'Launch 🚀', 'Cafe\u0301', 'Ｆｕｌｌ', 'राम API', 'Flag 🇯🇵', 'Tangut 𗀀', '\u1100\u1161\u11a8 jamo', '㊙ 𛀁 ﹏'];

  it.skipIf(!glibc)(`lines up columns after wide characters, emoji, spacing and combining marks ${glibc ? '' : '[skipped: needs python3 and glibc]'}`, () => {
    const table = textTable(
      ['NAME', 'PORT'],
      names.map((name, index) => [name, String(8000 + index)]),
    );
    const lines = table.split('\n');
    expect(lines).toHaveLength(names.length + 1);
    // The PORT column starts at the same terminal column on every line, as the C library counts them.
    const prefixes = lines.map((line) => line.slice(0, line.search(/(PORT|\d{4})$/)));
    const starts = withWcwidth('print(json.dumps([sum(width(c) for c in line) for line in json.load(sys.stdin)]))', JSON.stringify(prefixes));
    expect(new Set(starts as number[]).size, table).toBe(1);
  });

  it('counts terminal columns', () => {
    expect(columns('abc')).toBe(3);
    expect(columns('日本')).toBe(4);
    expect(columns('🚀')).toBe(2);
    expect(columns('Cafe\u0301')).toBe(4);
    expect(columns('©')).toBe(1);
    expect(columns('राम')).toBe(3); // a spacing mark (ा) takes its column
    expect(columns('🇯🇵')).toBe(2); // a flag: two regional indicators, one column each
    expect(columns('\u1100\u1161\u11a8')).toBe(2); // a Hangul syllable in jamo: the vowel and final consonant join the initial
    expect(columns('𗀀𛀁﹏')).toBe(6); // Tangut, kana supplement, small form variants: wide
  });

  it.skipIf(!glibc)(`counts every character as the C library's wcwidth(3) does ${glibc ? '' : '[skipped: needs python3 and glibc]'}`, () => {
    // Every code point from U+0020 on, -1 where the C library knows none (unassigned, a control, a surrogate).
    const widths = withWcwidth('print(json.dumps([width(chr(c)) if not 0xd800 <= c <= 0xdfff else -1 for c in range(0x20, 0x110000)]))') as number[];
    const wrong: string[] = [];
    widths.forEach((expected, index) => {
      const code = 0x20 + index;
      // U+1171E: a nonspacing mark in Unicode 14 (glibc 2.36), a spacing one since Unicode 15 (Node's).
      if (expected < 0 || code === 0x1171e) return;
      const counted = columns(String.fromCodePoint(code));
      if (counted !== expected) wrong.push(`U+${code.toString(16).toUpperCase()}: ${counted}, wcwidth ${expected}`);
    });
    expect(wrong.slice(0, 20), `${wrong.length} characters counted unlike wcwidth`).toEqual([]);
  });
});
