// readJsonLocated reads what JSON.parse reads (and refuses what it refuses), with where each value is written.
import { describe, expect, it } from 'vitest';
import { lineColumn, lineColumns, readJsonLocated, type JsonNode } from '../../../src/checks/references/json-located.js';

/** The value a node stands for, as JSON.parse would give it (numbers and booleans read from the text). */
function parsedValue(text: string, node: JsonNode): unknown {
  switch (node.kind) {
    case 'string':
      return node.value;
    case 'array':
      return node.items.map((item) => parsedValue(text, item));
    case 'object':
      return Object.fromEntries(node.entries.map((entry) => [entry.key, parsedValue(text, entry.value)]));
    case 'null':
      return null;
    default:
      return JSON.parse(/^(?:-?[\d.eE+-]+|true|false)/.exec(text.slice(node.at))![0]);
  }
}

const VALID = [
  '[]',
  ' {} ',
  '\r\n[ {"targets": ["a:1", "b:\\u0032"], "labels": {"k": "v\\"\\\\\\/\\b\\f\\n\\r\\t"}} ]\r\n',
  '[-0, 1.5e3, 2E-2, 0.25, true, false, null, "\\ud83d\\ude42", "🙂", "\\udc85", "\udc85"]',
  '{"a": {"a": [[], {}]}, "a": 1}',
  '"x"',
];
const INVALID = [
  '',
  '\ufeff[]',
  '[1,]',
  '{"a":1,}',
  '[01]',
  "['a']",
  '[1] x',
  '{"a" 1}',
  '"\\x"',
  '"\\u12"',
  '"a\nb"',
  '[1 2]',
  'nul',
  '{a: 1}',
  '[',
  '.5',
  '1.',
  '+1',
];

describe('readJsonLocated', () => {
  it('reads what JSON.parse reads, the same values', () => {
    for (const text of VALID) {
      const read = readJsonLocated(text);
      expect('node' in read ? parsedValue(text, read.node) : read, text).toEqual(JSON.parse(text));
    }
  });

  it('refuses what JSON.parse refuses, saying where', () => {
    for (const text of INVALID) {
      expect(() => JSON.parse(text), text).toThrow();
      expect(readJsonLocated(text), text).toMatchObject({ problem: expect.any(String), at: expect.any(Number) });
    }
    expect(readJsonLocated('[\n  1,\n]')).toEqual({ problem: "']' where a value should be", at: 7 });
    expect(readJsonLocated('{"a": "b')).toEqual({ problem: 'a string that is never closed', at: 6 });
  });

  it('places each value at its first character (a string at its quote), escapes and all', () => {
    const text = '[\r\n {"k": "\\u0038", "t": ["🙂", "x"]}]';
    const read = readJsonLocated(text);
    if (!('node' in read) || read.node.kind !== 'array') throw new Error('not read');
    const group = read.node.items[0]!;
    if (group.kind !== 'object') throw new Error('not an object');
    expect(group.entries.map((entry) => [entry.key, entry.keyAt, entry.value.at])).toEqual([
      ['k', 5, 10],
      ['t', 20, 25],
    ]);
    const list = group.entries[1]!.value;
    if (list.kind !== 'array') throw new Error('not a list');
    // The emoji is one character: "x" is at column 29 of line 2, not 30.
    expect(list.items.map((item) => lineColumn(text, item.at))).toEqual([
      { line: 2, column: 24 },
      { line: 2, column: 29 },
    ]);
  });

  it('lineColumns, made once per text, places every index as counting from the start does (CRLF, an emoji, the last line)', () => {
    const text = '[\r\n "🙂",\r\n\r\n  "a"\n]';
    const placed = lineColumns(text);
    for (let at = 0; at <= text.length; at++) {
      const before = text.slice(0, at);
      const line = before.split('\n').length;
      const column = [...before.slice(before.lastIndexOf('\n') + 1)].length + 1;
      expect(placed(at), `index ${at}`).toEqual({ line, column });
    }
  });

  it('reads a file nested deeper than a stack would allow, and refuses deeper than Go does', () => {
    expect(readJsonLocated(`${'['.repeat(10000)}${']'.repeat(10000)}`)).toHaveProperty('node');
    expect(readJsonLocated(`${'['.repeat(10001)}${']'.repeat(10001)}`)).toEqual({ problem: 'it nests more than 10000 deep', at: 10000 });
  });
});
