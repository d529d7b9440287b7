// A Python config file (gunicorn.conf.py) read for a few settings, without
// running it. The file is code: gunicorn runs it and takes the module's names
// as its settings. This reads only what a plain file says for certain: a
// top-level `name = literal` (True, False, None, a whole number, a string, or
// a list or tuple of strings), the last one winning. Where the file may set a
// name any other way (in a block, by a tuple or augmented assignment, an
// import, `del`, or the means that set any name: globals(), exec, import *),
// that name is unknown, never guessed. A module it imports that reaches back
// into the config's own namespace is beyond any reading of this file.

/** A literal this reading takes: what the name holds after the file runs. */
export type PythonLiteral = boolean | null | number | string | readonly string[];

/** A name as the file leaves it: set by a plain assignment (at its line), never set, or not to be told (why, and where). */
export type PythonSetting =
  | { readonly kind: 'set'; readonly value: PythonLiteral; readonly line: number }
  | { readonly kind: 'unset' }
  | { readonly kind: 'unknown'; readonly reason: string; readonly line?: number };

interface Token {
  readonly kind: 'name' | 'number' | 'string' | 'op';
  readonly text: string;
  readonly line: number;
}

/** A logical line: its first physical line, whether it is indented (inside a block), and its tokens. */
interface LogicalLine {
  readonly line: number;
  readonly indented: boolean;
  readonly tokens: readonly Token[];
}

/** Operators of more than one character, longest first, so `==` and `+=` are never read as an assignment's `=`. */
const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  ':=',
  '==',
  '!=',
  '<=',
  '>=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '@=',
  '->',
  '**',
  '//',
  '<<',
  '>>',
];

/** Names through which a file sets names it does not write: any of them, and no name is known. */
const DYNAMIC = new Set(['globals', 'locals', 'vars', 'exec', 'eval', 'setattr', 'delattr', '__dict__', '__name__', '__builtins__', '__import__', 'modules']);

/** The name Python reads `text` as: identifiers are NFKC-normalized (PEP 3131), so a fullwidth `ｂｉｎｄ` is `bind`. */
function pythonName(text: string): string {
  return text.normalize('NFKC');
}

/** Pure: the file's logical lines, as Python's tokenizer splits them; undefined for a text it would not take (an unclosed string or bracket). */
function logicalLines(text: string): LogicalLine[] | undefined {
  const lines: LogicalLine[] = [];
  let tokens: Token[] = [];
  let start = 1;
  let indented = false;
  let depth = 0;
  let line = 1;
  let atLineStart = true;
  const end = () => {
    if (tokens.length > 0) lines.push({ line: start, indented, tokens });
    tokens = [];
    atLineStart = true;
  };
  for (let at = text.startsWith('\uFEFF') ? 1 : 0; at < text.length; ) {
    const char = text[at]!;
    if (atLineStart && depth === 0 && tokens.length === 0) {
      // The indentation of a line that holds a statement (a blank or comment line holds none).
      const lead = /^[ \t\f]*/.exec(text.slice(at))![0];
      at += lead.length;
      indented = lead.length > 0;
      start = line;
      atLineStart = false;
      continue;
    }
    if (char === '\n') {
      line++;
      at++;
      if (depth === 0) end();
      continue;
    }
    if (char === '\\' && text[at + 1] === '\n') {
      line++;
      at += 2;
      continue;
    }
    if (char === '\\' && text[at + 1] === '\r' && text[at + 2] === '\n') {
      line++;
      at += 3;
      continue;
    }
    if (char === ' ' || char === '\t' || char === '\f' || char === '\r') {
      at++;
      continue;
    }
    if (char === '#') {
      while (at < text.length && text[at] !== '\n') at++;
      continue;
    }
    const string = /^([rRbBuUfFtT]{0,2})('''|"""|'|")/.exec(text.slice(at));
    if (string) {
      const quote = string[2]!;
      let close = at + string[0].length;
      const first = line;
      for (;;) {
        if (close >= text.length) return undefined;
        const next = text[close]!;
        if (next === '\\') {
          if (text[close + 1] === '\n') line++;
          close += 2;
          continue;
        }
        if (text.startsWith(quote, close)) break;
        if (next === '\n') {
          // A string in one quote ends at its line; in three, it goes on.
          if (quote.length === 1) return undefined;
          line++;
        }
        close++;
      }
      close += quote.length;
      tokens.push({ kind: 'string', text: text.slice(at, close), line: first });
      at = close;
      continue;
    }
    const word = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(text.slice(at)) ?? /^(?:\d[\d_]*(?:\.\d*)?|\.\d)[\w.]*/.exec(text.slice(at));
    if (word) {
      tokens.push({ kind: /^[\d.]/.test(word[0]) ? 'number' : 'name', text: word[0], line });
      at += word[0].length;
      continue;
    }
    const op = OPERATORS.find((each) => text.startsWith(each, at)) ?? char;
    if ('([{'.includes(op)) depth++;
    if (')]}'.includes(op) && --depth < 0) return undefined;
    tokens.push({ kind: 'op', text: op, line });
    at += op.length;
  }
  if (depth !== 0) return undefined;
  end();
  return lines;
}

/** Pure: a string token's value, when it is a plain one this reading takes (no prefix but u or r, no backslash); else undefined. */
function stringValue(token: Token): string | undefined {
  const found = /^([uUrR]?)('''|"""|'|")([\s\S]*)\2$/.exec(token.text);
  if (!found || found[3]!.includes('\\')) return undefined;
  return found[3];
}

/** Pure: the literal `tokens` are, all of them, when they are one this reading takes; else undefined. */
function literal(tokens: readonly Token[]): { value: PythonLiteral } | undefined {
  if (tokens.length === 1) {
    const [token] = tokens as [Token];
    if (token.kind === 'name' && ['True', 'False', 'None'].includes(token.text)) return { value: token.text === 'None' ? null : token.text === 'True' };
    if (token.kind === 'number' && /^\d+$/.test(token.text) && !/^0\d/.test(token.text)) return { value: Number(token.text) };
    const value = token.kind === 'string' ? stringValue(token) : undefined;
    return value === undefined ? undefined : { value };
  }
  const open = tokens[0]?.text;
  const close = tokens.at(-1)?.text;
  if (!((open === '[' && close === ']') || (open === '(' && close === ')'))) return undefined;
  const inner = tokens.slice(1, -1);
  // `("x")` is the string; `("x",)` and `["x"]` a sequence.
  if (open === '(' && inner.length === 1) return literal(inner);
  const items: string[] = [];
  for (let index = 0; index < inner.length; index += 2) {
    const value = inner[index]!.kind === 'string' ? stringValue(inner[index]!) : undefined;
    const after = inner[index + 1];
    if (value === undefined || (after !== undefined && after.text !== ',')) return undefined;
    items.push(value);
  }
  return { value: items };
}

/**
 * Pure: what the Python file `text` leaves in each of `names` after it runs, as far as it can be told without running
 * it: the last top-level `name = literal`, unset when the file never names it, unknown when it may set it otherwise.
 */
export function pythonSettings(text: string, names: readonly string[]): Map<string, PythonSetting> {
  const settings = new Map<string, PythonSetting>();
  const lines = logicalLines(text);
  const dynamic = lines?.find(({ tokens }) =>
    tokens.some(
      (token, index) =>
        (token.kind === 'name' && DYNAMIC.has(pythonName(token.text))) ||
        (token.text === '*' && tokens[index - 1]?.text === 'import') ||
        // An f-string's (or t-string's) braces hold code: `f"{(bind := '0.0.0.0:80')}"` sets a name, unseen by a reading of its text.
        (token.kind === 'string' && /^[rRbBuU]?[fFtT]/.test(token.text) && token.text.includes('{')),
    ),
  );
  for (const name of names) {
    if (lines === undefined) {
      settings.set(name, { kind: 'unknown', reason: 'it holds a string or bracket that is never closed' });
      continue;
    }
    if (dynamic !== undefined) {
      settings.set(name, { kind: 'unknown', reason: 'it may set any name (globals(), exec, import * or the like)', line: dynamic.line });
      continue;
    }
    let found: PythonSetting = { kind: 'unset' };
    for (const { line, indented, tokens } of lines) {
      const at = tokens.findIndex((token) => token.kind === 'name' && pythonName(token.text) === name);
      if (at < 0) continue;
      const assigned = !indented && at === 0 && tokens[1]?.text === '=' ? literal(tokens.slice(2)) : undefined;
      // Named any other way (in a block, read, rebound by another statement): what it holds is not told here.
      if (assigned === undefined) {
        found = { kind: 'unknown', reason: `it names ${name} other than in a plain top-level ${name} = VALUE`, line: tokens[at]!.line };
        break;
      }
      found = { kind: 'set', value: assigned.value, line };
    }
    settings.set(name, found);
  }
  return settings;
}
