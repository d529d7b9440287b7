// pythonInt held to Python 3's int() (base 10), which click's INT (uvicorn's --port, UVICORN_PORT) and gunicorn's
// parse_address (a bind's port) call. Each expectation below was printed by CPython 3.10 to 3.13 (and click 8.4's
// INT.convert); where python3 is installed, the test asks it again, and holds every code point to it.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hasCommand } from '../../../../test-support/index.js';
import { pythonInt } from '../../src/checks/python-int.js';

/** Each text and what int(text) gives, or null where it raises ValueError. */
const TABLE: readonly (readonly [string, bigint | null])[] = [
  ['8000', 8000n],
  ['+8000', 8000n],
  ['-8000', -8000n],
  ['-0', 0n],
  ['08000', 8000n],
  ['8_000', 8000n],
  ['99999999999999999999', 99999999999999999999n],
  // Digits of any script (Unicode Nd), mixed in one number, with underscores between them.
  ['１８０２０', 18020n],
  ['１_０', 10n],
  ['٣', 3n],
  ['𝟘', 0n],
  ['𝟗𝟡', 99n],
  ['1٢𝟘', 120n],
  ['1\u0660\u06f0\u07c0', 1000n],
  ['-٣', -3n],
  // Spaces around: ASCII's \t\n\v\f\r and ` `, and every str.isspace() character past ASCII.
  [' \u3000 8000 \u2003', 8000n],
  ['\u00a08000', 8000n],
  ['\t+8000\n', 8000n],
  ['\v8000\f\r', 8000n],
  ['8000\x85', 8000n],
  ['\u16808000\u205f\u2028', 8000n],
  // Not spaces to int(): \x1c-\x1f (str.isspace() has them), U+FEFF (JavaScript's \s has it), U+200B, U+180E.
  ['\x1c8000', null],
  ['8000\x1f', null],
  ['\ufeff8000', null],
  ['8000\u200b', null],
  ['\u180e8000', null],
  // Underscores only singly between digits; a sign only first, with nothing between it and the digits.
  ['1__0', null],
  ['_1', null],
  ['1_', null],
  ['1_\u3000', null],
  ['+_1', null],
  ['-_1', null],
  ['- 1', null],
  ['+ 1', null],
  ['+-1', null],
  ['8 000', null],
  ['', null],
  [' ', null],
  ['+', null],
  ['0x10', null],
  ['1e3', null],
  ['8000.0', null],
  // Numbers that are not decimal digits (No, Nl): superscript two, a half, a circled eight, a Roman numeral.
  ['²', null],
  ['½', null],
  ['⑧', null],
  ['Ⅷ', null],
  ['\x7f1', null],
  ['1\x00', null],
  // At most 4300 digits, leading zeros counted, underscores not.
  [`${'0'.repeat(4299)}8`, 8n],
  [`${'0'.repeat(4300)}8`, null],
  [`${'0_'.repeat(4299)}8`, 8n],
];

const python = hasCommand('python3', ['--version']);
/** Python's environment without what changes int(): its digit limit. */
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'PYTHONINTMAXSTRDIGITS'));

/** What int(text) gives for each of `texts`, and click's INT where click is installed, as python3 prints them (null where it raises). */
function inPython(texts: readonly string[]): { int: (string | null)[]; click: (string | null)[] | null } {
  const program = [
    'import json, sys',
    'def each(convert, texts):',
    '    def one(text):',
    '        try: return str(convert(text))',
    '        except Exception: return None',
    '    return [one(text) for text in texts]',
    'texts = json.load(sys.stdin)',
    'try: import click',
    'except ImportError: click = None',
    'print(json.dumps({"int": each(int, texts), "click": click and each(lambda text: click.INT.convert(text, None, None), texts)}))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', program], { input: JSON.stringify(texts), env, encoding: 'utf8' }));
}

describe("pythonInt: Python 3's int(text)", () => {
  it.each(TABLE.map(([text, value]) => [JSON.stringify(text).slice(0, 40), text, value] as const))('%s', (_, text, value) => {
    expect(pythonInt(text)).toBe(value ?? undefined);
  });

  it.runIf(python)('the table is what python3 prints (and click, where it is installed: its INT type is int())', () => {
    const expected = TABLE.map(([, value]) => (value === null ? null : String(value)));
    const printed = inPython(TABLE.map(([text]) => text));
    expect(printed.int).toEqual(expected);
    if (printed.click) expect(printed.click).toEqual(expected);
  });

  it.runIf(python)('each code point, alone and after a 1, as python3 reads it (digits and spaces of any script)', () => {
    // A code point Python's Unicode has not assigned (category Cn) may be a digit in Node's newer one. One alone is
    // read only where it is a digit, and then so is a 1 before it: only those that a 1 before leaves read are asked alone.
    const program = [
      'import json, unicodedata',
      'def value(text):\n    try: return int(text)\n    except ValueError: return None',
      'read, unassigned = {}, []',
      'for point in range(0x110000):',
      '    if 0xd800 <= point < 0xe000: continue',
      '    after = value("1" + chr(point))',
      '    if after is not None: read[point] = [value(chr(point)), after]',
      '    if unicodedata.category(chr(point)) == "Cn":',
      '        if unassigned and unassigned[-1][1] == point - 1: unassigned[-1][1] = point',
      '        else: unassigned.append([point, point])',
      'print(json.dumps({"read": read, "unassigned": unassigned}))',
    ].join('\n');
    const found = JSON.parse(execFileSync('python3', ['-c', program], { env, encoding: 'utf8' })) as {
      read: Record<string, [number | null, number]>;
      unassigned: [number, number][];
    };
    const assigned = (point: number) => !found.unassigned.some(([first, last]) => first <= point && point <= last);
    const differ: string[] = [];
    for (let point = 0; point < 0x110000; point++) {
      if (point >= 0xd800 && point < 0xe000) continue;
      const char = String.fromCodePoint(point);
      const ours = [pythonInt(char), pythonInt(`1${char}`)].map((value) => (value === undefined ? null : Number(value)));
      const theirs = found.read[point] ?? [null, null];
      if ((ours[0] !== theirs[0] || ours[1] !== theirs[1]) && assigned(point)) differ.push(`U+${point.toString(16)}: ${ours} where int() gives ${theirs}`);
    }
    expect(differ).toEqual([]);
  });
});
