import { describe, expect, it } from 'vitest';
import { isMap, isPair, isSeq, parseDocument } from 'yaml';
import { disallowedCharacter, MAX_EXPANDED_NODES, tooManyValues, unclosedProblems } from '../src/yaml-rules.js';

const list = (count: number, value: string) => `version: 1\nservices: [${Array(count).fill(value).join(',')}]\n`;
// The values of a `list` besides its items: version, 1, services and the list itself.
const LIST_EXTRA = 4;
// A small limit keeps these fast; the last test holds the real one.
const LIMIT = 1000;

describe('tooManyValues', () => {
  it('counts the values yaml would build, up to the limit and one past it', () => {
    expect(tooManyValues(list(LIMIT - LIST_EXTRA, '1'), LIMIT)).toBe(false);
    expect(tooManyValues(list(LIMIT - LIST_EXTRA + 1, '1'), LIMIT)).toBe(true);
  });

  it.each([
    ['double-quoted scalars', '"a"'],
    ['single-quoted scalars', "'a'"],
    ['aliases', '*a'],
    ['empty lists', '[]'],
    ['empty mappings', '{}'],
  ])('counts %s as values', (_name, value) => {
    expect(tooManyValues(list(LIMIT, value), LIMIT)).toBe(true);
    expect(tooManyValues(list(LIMIT / 2 - LIST_EXTRA, value), LIMIT)).toBe(false);
  });

  it('counts block lists and mappings', () => {
    expect(tooManyValues(`version: 1\nservices:\n${'- 1\n'.repeat(LIMIT)}`, LIMIT)).toBe(true);
    expect(tooManyValues(`version: 1\nservices:\n${'- |\n  a\n'.repeat(LIMIT)}`, LIMIT)).toBe(true);
    expect(tooManyValues(`version: 1\nx:\n${Array.from({ length: LIMIT / 2 + 1 }, (_, index) => `  k${index}: v\n`).join('')}`, LIMIT)).toBe(true);
  });

  it.each([
    ['nested block lists', '  - - - x\n', 3],
    ['block list items with no value', '  -\n', 1],
    ['block list items that are mappings', '  - a: b\n', 3],
    ['keys with no value', '  k:\n', 2],
    ['empty keys', '  : v\n', 2],
    ['explicit keys', '  ? k\n  : v\n', 2],
    ['flow mapping keys with no value', '  - {a, b}\n', 5],
  ])('counts %s, before yaml builds anything', (_name, line, values) => {
    // Under `x:` (one list or mapping): each line holds `values` values.
    const text = (count: number) => `version: 1\nservices: []\nx:\n${line.repeat(count)}`;
    expect(tooManyValues(text(Math.ceil(LIMIT / values)), LIMIT)).toBe(true);
    expect(tooManyValues(text(Math.floor((LIMIT - 6) / values)), LIMIT)).toBe(false);
  });

  it('never counts more values than the document holds', () => {
    // The values yamlProblems counts: each node, and each empty key, value or list item.
    const held = (text: string): number => {
      const size = (node: unknown): number => {
        if (isMap(node)) return 1 + node.items.reduce((sum, pair) => sum + (isPair(pair) ? size(pair.key) + size(pair.value) : 0), 0);
        if (isSeq(node)) return 1 + node.items.reduce((sum: number, item) => sum + size(item), 0);
        return 1;
      };
      return size(parseDocument(text, { uniqueKeys: false }).contents);
    };
    const parts = ['- ', '? ', ': ', 'a', 'b: ', '"q"', '[', ']', '{', '}', ', ', '\n', '\n  ', '\n    ', '*x', '&x ', '|\n  t\n', 'k:', '!!str '];
    let seed = 1;
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % below;
    };
    let checked = 0;
    while (checked < 500) {
      let text = '';
      for (let length = 1 + random(12); length > 0; length--) text += parts[random(parts.length)];
      // yaml reads some broken texts without an error (`? "q", [`); unclosedProblems finds those.
      if (parseDocument(text).errors.length > 0 || unclosedProblems(text).length > 0) continue;
      checked++;
      // A comment of separators gets past the character count, so the tokens are counted.
      expect([text, tooManyValues(`#${','.repeat(100)}\n${text}`, held(text))]).toEqual([text, false]);
    }
  });

  it('does not take characters inside a value for values (a long text of commas and colons is one value)', () => {
    const prose = `version: 1\nservices: []\nnote: "${'a, b: c - d? [e] {f} '.repeat(LIMIT)}"\n`;
    expect(tooManyValues(prose, LIMIT)).toBe(false);
    expect(parseDocument(prose).errors).toEqual([]);
  });

  it('holds MAX_EXPANDED_NODES by default', () => {
    expect(tooManyValues(list(MAX_EXPANDED_NODES - LIST_EXTRA, '1'))).toBe(false);
    expect(tooManyValues(list(MAX_EXPANDED_NODES - LIST_EXTRA + 1, '1'))).toBe(true);
  });
});

describe('disallowedCharacter', () => {
  const first = (text: string) => disallowedCharacter(parseDocument(text), text)?.offset;

  it('passes over DEL, C1 controls and byte order marks inside quoted keys and values, and finds the first outside them', () => {
    const text = `"k\u007f": 'a\u0085\u009f'\nb: ["\ufeff", 'x\uffff']\nc: d\u007f # \u009b\n`;
    expect(first(text)).toBe(text.indexOf('d\u007f') + 1);
    expect(first(text.replace('d\u007f', 'd'))).toBe(text.indexOf('\u009b') - 1);
    expect(first(text.replace('d\u007f', 'd').replace('\u009b', ''))).toBeUndefined();
  });

  it("finds a C0 control or a lone surrogate wherever it is, quoted or not; a byte order mark at the very start is the stream's", () => {
    expect(first('a: "x\u0001"\n')).toBe(5);
    expect(first("a: 'x\udc80'\n")).toBe(5);
    expect(first('a: "\ud83d\ude00"\n')).toBeUndefined();
    expect(first('\ufeffa: b\n')).toBeUndefined();
    expect(first('\ufeff\ufeffa: b\n')).toBe(1);
    expect(first('a: b\t# tab\r\n')).toBeUndefined();
  });
});

describe('unclosedProblems', () => {
  const at = (text: string) => unclosedProblems(text).map(({ offset, message }) => `${offset} ${message.slice(0, message.indexOf(' is never'))}`);

  it('finds each quote and bracket never closed, at its opening', () => {
    expect(at('a: "x\nb: 1\n')).toEqual(['3 this quoted text']);
    expect(at("a: 'x\nb: 1\n")).toEqual(['3 this quoted text']);
    expect(at('a: [x, y\nb: {c: 1\n')).toEqual(['3 this list', '12 this mapping']);
    expect(at('"x')).toEqual(['0 this quoted text']);
  });

  it('takes escaped quotes for what they are: closed by a quote after an even run of backslashes, or ending an odd run of single quotes', () => {
    expect(at(String.raw`a: "x\"`)).toEqual(['3 this quoted text']);
    expect(at(String.raw`a: "x\\"`)).toEqual([]);
    expect(at("a: 'it''")).toEqual(['3 this quoted text']);
    expect(at("a: 'it'''")).toEqual([]);
    expect(at("a: ''")).toEqual([]);
  });

  it("finds none in plain values and comments (It's), nor in closed quotes and brackets over several lines", () => {
    expect(at('a: It\'s # "x\nb: [1,\n  2]\nc: "x\n  y"\n')).toEqual([]);
  });

  it('answers for a file nested deeper than any stack (no recursion)', () => {
    expect(at('['.repeat(20_000))).toHaveLength(20_000);
  });
});
