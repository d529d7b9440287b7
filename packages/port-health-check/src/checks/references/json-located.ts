// JSON read with where each value is written: what JSON.parse gives, plus the
// UTF-16 index of every value and key in the text, so a finding about a value
// can name its file:line:col even when the value is written with escapes
// ("localhost:\u0038000") or appears elsewhere as text (a label's value).
// Strict RFC 8259, as JSON.parse and Go's encoding/json read it: no BOM, no
// comments, no trailing commas. Iterative, so a deeply nested file cannot
// overflow the stack.
import { escapeText } from '@dsa110/ports';
import { characterColumn } from './finding.js';

/** A JSON value and where it starts in the text (`at`: the index of its first character, a string's opening quote). */
export type JsonNode =
  | { readonly kind: 'string'; readonly at: number; readonly value: string }
  | { readonly kind: 'number' | 'boolean' | 'null'; readonly at: number }
  | { readonly kind: 'array'; readonly at: number; readonly items: readonly JsonNode[] }
  | { readonly kind: 'object'; readonly at: number; readonly entries: readonly JsonEntry[] };

/** An object's member: its key (decoded), where the key's quote is, and its value. */
export interface JsonEntry {
  readonly key: string;
  readonly keyAt: number;
  readonly value: JsonNode;
}

/** The parsed text, or why it is not JSON and where (the index of the character that is wrong, or the text's length at its end). */
export type JsonRead = { readonly node: JsonNode } | { readonly problem: string; readonly at: number };

/** Go's encoding/json nests at most this deep ("exceeded max depth"). */
const MAX_DEPTH = 10000;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** An array or object not yet closed; one shape for both (V8 keeps the loop optimized): `key`, an object's key read whose value is not. */
interface Open {
  readonly kind: 'array' | 'object';
  readonly at: number;
  readonly items: JsonNode[];
  readonly entries: JsonEntry[];
  key: string | undefined;
  keyAt: number;
}

class JsonProblem extends Error {
  constructor(
    readonly problem: string,
    readonly at: number,
  ) {
    super(problem);
  }
}

/** `text` read as JSON, with positions (JsonRead). */
export function readJsonLocated(text: string): JsonRead {
  try {
    return { node: parse(text) };
  } catch (error) {
    if (error instanceof JsonProblem) return { problem: error.problem, at: error.at };
    throw error;
  }
}

function parse(text: string): JsonNode {
  let at = 0;
  const space = () => {
    while (at < text.length && (text[at] === ' ' || text[at] === '\t' || text[at] === '\n' || text[at] === '\r')) at++;
  };
  const unexpected = (looking: string): never => {
    if (at >= text.length) throw new JsonProblem(`it ends ${looking}`, text.length);
    const char = text.codePointAt(at)!;
    const said =
      char === 0xfeff
        ? 'a byte-order mark (BOM)'
        : char < 0x20 || char === 0x7f
          ? `U+${char.toString(16).toUpperCase().padStart(4, '0')}`
          : `'${escapeText(String.fromCodePoint(char), 10)}'`;
    throw new JsonProblem(`${said} ${looking}`, at);
  };
  const string = (): string => {
    const start = at++;
    let value = '';
    let from = at;
    for (;;) {
      if (at >= text.length) throw new JsonProblem('a string that is never closed', start);
      const char = text.charCodeAt(at);
      if (char === 0x22) break;
      if (char < 0x20) unexpected('inside a string (a control character must be escaped)');
      if (char !== 0x5c) {
        at++;
        continue;
      }
      value += text.slice(from, at);
      const escaped = text[at + 1];
      if (escaped === 'u') {
        const hex = text.slice(at + 2, at + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonProblem('a \\u escape without four hex digits', at);
        value += String.fromCharCode(Number.parseInt(hex, 16));
        at += 6;
      } else if (escaped !== undefined && escaped in ESCAPES) {
        value += ESCAPES[escaped];
        at += 2;
      } else throw new JsonProblem(`an escape JSON does not have (\\${escapeText(escaped ?? '', 10)})`, at);
      from = at;
    }
    value += text.slice(from, at);
    at++;
    return value;
  };
  const stack: Open[] = [];
  let done: JsonNode | undefined;
  const put = (node: JsonNode) => {
    const open = stack.at(-1);
    if (open === undefined) done = node;
    else if (open.kind === 'array') open.items.push(node);
    else {
      open.entries.push({ key: open.key!, keyAt: open.keyAt, value: node });
      open.key = undefined;
    }
  };
  // After `[`/`{` or a `,`: a value (or a key) must come; `first` when a closing bracket may come instead.
  let first = false;
  for (;;) {
    space();
    const open = stack.at(-1);
    if (open?.kind === 'object' && open.key === undefined) {
      if (first && text[at] === '}') {
        at++;
        stack.pop();
        put({ kind: 'object', at: open.at, entries: open.entries });
      } else {
        if (text[at] !== '"') unexpected('where a key (a string in double quotes) should be');
        const keyAt = at;
        const key = string();
        space();
        if (text[at] !== ':') unexpected('after a key (a colon should follow it)');
        at++;
        open.key = key;
        open.keyAt = keyAt;
        first = false;
        continue;
      }
    } else if (first && open?.kind === 'array' && text[at] === ']') {
      at++;
      stack.pop();
      put({ kind: 'array', at: open.at, items: open.items });
    } else {
      const start = at;
      const char = text[at];
      if (char === '[' || char === '{') {
        if (stack.length >= MAX_DEPTH) throw new JsonProblem(`it nests more than ${MAX_DEPTH} deep`, at);
        at++;
        stack.push({ kind: char === '[' ? 'array' : 'object', at: start, items: [], entries: [], key: undefined, keyAt: 0 });
        first = true;
        continue;
      }
      if (char === '"') put({ kind: 'string', at: start, value: string() });
      else if (text.startsWith('true', at) || text.startsWith('false', at)) {
        at += char === 't' ? 4 : 5;
        put({ kind: 'boolean', at: start });
      } else if (text.startsWith('null', at)) {
        at += 4;
        put({ kind: 'null', at: start });
      } else {
        NUMBER.lastIndex = at;
        if (!NUMBER.test(text)) unexpected('where a value should be');
        at = NUMBER.lastIndex;
        put({ kind: 'number', at: start });
      }
    }
    // After a value: a comma, a closing bracket, or (at the top) the end.
    for (;;) {
      space();
      const parent = stack.at(-1);
      if (parent === undefined) {
        if (at < text.length) unexpected('after the end of the JSON value');
        return done!;
      }
      const close = parent.kind === 'array' ? ']' : '}';
      if (text[at] === ',') {
        at++;
        first = false;
        break;
      }
      if (text[at] !== close) unexpected(`where a comma or ${close} should be`);
      at++;
      stack.pop();
      put(parent.kind === 'array' ? { kind: 'array', at: parent.at, items: parent.items } : { kind: 'object', at: parent.at, entries: parent.entries });
    }
  }
}

/**
 * The 1-based line and column (Finding.column: characters) of UTF-16 index `at` of `text`, by a function made once
 * per text (the line starts found once, each index then by binary search: a file of many targets stays linear);
 * lines end at \n (a CRLF file's \r ends its line).
 */
export function lineColumns(text: string): (at: number) => { line: number; column: number } {
  const starts = [0];
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  return (at) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= at) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: characterColumn(text, starts[low]!, at) };
  };
}

/** lineColumns for one index. */
export const lineColumn = (text: string, at: number): { line: number; column: number } => lineColumns(text)(at);
