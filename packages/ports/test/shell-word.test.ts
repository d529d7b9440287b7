// printedShellWord read back by a real bash, under LANG=C and a UTF-8 locale:
// the word pastes back as the same bytes, a byte that is not UTF-8 (kept as
// U+DC80+byte) included, and printable text is shown as it is.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { flagWords, printedShellWord } from '../src/shell-word.js';
import { encodeKeepingBadBytes } from '../src/utf8.js';

const locales = spawnSync('locale', ['-a'], { encoding: 'utf8' }).stdout ?? '';
const utf8Locale = locales.split('\n').find((name) => /^C\.utf-?8$/i.test(name)) ?? locales.split('\n').find((name) => /\.utf-?8$/i.test(name));

/** The bytes bash makes of each of `printed` as one word, in `locale`: one bash for them all. */
function bashWords(printed: readonly string[], locale: string): string[] {
  const run = spawnSync('bash', ['-c', `printf '%s\\0' ${printed.join(' ')}`], {
    stdio: ['ignore', 'pipe', 'pipe'], // not a socket (libuv's pipes are): bash would take itself for one run by sshd and read ~/.bashrc
    env: { PATH: process.env.PATH, LANG: locale, LC_ALL: locale },
  });
  expect(run.status, run.stderr.toString()).toBe(0);
  const words: string[] = [];
  for (let start = 0, end = run.stdout.indexOf(0); end >= 0; start = end + 1, end = run.stdout.indexOf(0, start)) {
    words.push(run.stdout.subarray(start, end).toString('hex'));
  }
  return words;
}

const WORDS = [
  'café',
  '日本/ports.yaml',
  'emoji 😀',
  'bad\udcff',
  'a\udc80b\udcc3\udca9c',
  'lone\ud800high',
  'x\u001b[31m',
  'new\nline\ttab\rcr\u0007bell\u007f',
  "it's é\u00a0\\e",
  'rtl\u202eover\u200bzero\ufeff',
  'tag\u{e0041}',
  'é\udcff',
  'plain-word',
  'my dir',
];

describe('printedShellWord', () => {
  it.each(['C', ...(utf8Locale ? [utf8Locale] : [])])('pastes back as the same bytes under LANG=%s', (locale) => {
    const printed = WORDS.map(printedShellWord);
    const expected = WORDS.map((word, i) => `${printed[i]}: ${encodeKeepingBadBytes(word).toString('hex')}`);
    expect(bashWords(printed, locale).map((hex, i) => `${printed[i]}: ${hex}`)).toEqual(expected);
  });

  it('writes a byte that is not UTF-8 (U+DC80+byte) as \\xNN, other escaped characters as their UTF-8 bytes', () => {
    expect(printedShellWord('bad\udcff')).toBe("$'bad\\xff'");
    expect(printedShellWord('a\u00a0b')).toBe("$'a\\xc2\\xa0b'");
    expect(printedShellWord('rtl\u202e')).toBe("$'rtl\\xe2\\x80\\xae'");
    expect(printedShellWord('x\u001b[31m\n')).toBe("$'x\\e[31m\\n'");
  });

  it("prints printable non-ASCII as it is: in single quotes, or inside $'...' beside an escape", () => {
    expect(printedShellWord('café')).toBe("'café'");
    expect(printedShellWord('日本\n')).toBe("$'日本\\n'");
    expect(printedShellWord("é'\u0007")).toBe("$'é\\'\\x07'");
  });
});

describe('flagWords', () => {
  it('gives a flag and its value as words: two, or one with `=` for a value that starts with `-`', () => {
    expect(flagWords('registry', '/etc/p.yaml')).toEqual(['--registry', '/etc/p.yaml']);
    expect(flagWords('root', '-x')).toEqual(['--root=-x']);
  });

  it("refuses a flag that is not an option's name without its dashes (`--registry` gave `----registry`)", () => {
    for (const flag of ['--registry', '-r', '', 'a=b', 'a b', 're\ngistry']) {
      expect(() => flagWords(flag, 'x')).toThrow(RangeError);
      expect(() => flagWords(flag, 'x')).toThrow(/^flagWords: flag must be an option's name without its dashes \(`registry` for --registry\), not /);
    }
    expect(() => flagWords(1 as unknown as string, 'x')).toThrow(TypeError);
  });
});
