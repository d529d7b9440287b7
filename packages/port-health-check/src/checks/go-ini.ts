// A key of an INI file as go-ini (gopkg.in/ini.v1 1.67, parser.go, with the
// default options Grafana loads its files with: ini.Load) reads it. A line is
// a comment when it starts (after spaces) with `#` or `;`, a section header
// when it starts with `[` (its name up to the last `]`, as written), else
// KEY=VALUE or KEY:VALUE at the first `=` or `:`. The value, after the spaces
// that start it: in backticks or triple double quotes, the text up to the
// last such quote of the line, raw (`#` and `;` included), or up to one on a
// later line (the lines between kept, newlines and all); otherwise the line
// trimmed, ending with `\` joined to the next lines, cut at the first `#` or
// `;` (no space needed), trimmed again, and one pair of `"` or `'` around it
// taken off when that quote is nowhere else in it. A section or key given
// twice is one: its last value counts. A line it cannot read (no `=` or `:`,
// a quote or `[` never closed) fails the whole file.
import { characterColumn } from './references/finding.js';

/** A key's value as go-ini gives it, with its 1-based line and the 1-based column (in characters) its text starts at. */
export interface IniValue {
  readonly value: string;
  readonly line: number;
  readonly column: number;
}

/**
 * A line go-ini refuses, and the whole file with it (Grafana then exits at start: "failed to parse"): a header with
 * no `]`, a line with no `=` or `:` (`http_port 3000`), or none before it, a quote never closed; go-ini's words for it.
 */
export interface IniRefusal {
  readonly refused: string;
  readonly line: number;
}

/** Go's unicode.IsSpace, which go-ini trims values with (JavaScript's trim also takes U+FEFF). */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING = new RegExp(`^[${GO_SPACE}]+`);
const TRAILING = new RegExp(`[${GO_SPACE}]+$`);
const trimLeft = (text: string): string => text.replace(LEADING, '');
const trimSpace = (text: string): string => trimLeft(text).replace(TRAILING, '');

/** Whether `text` is `quote`...`quote` with that quote nowhere else in it (go-ini's hasSurroundedQuote). */
const surrounded = (text: string, quote: string): boolean =>
  text.length >= 2 && text.startsWith(quote) && text.endsWith(quote) && text.indexOf(quote, 1) === text.length - 1;

/**
 * Pure: the value of `key` under `[section]` in `text`, as go-ini reads it (the last one given); undefined when the
 * file does not set it; the first line go-ini refuses, when there is one (then no key of the file counts).
 */
export function goIniSetting(text: string, key: string, section: string): IniValue | IniRefusal | undefined {
  // go-ini reads each line with its newline (readUntil('\n')), which a quoted value keeps; a UTF-8 byte order mark goes.
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const withNewline = (index: number): string => (index < lines.length - 1 ? `${lines[index]!}\n` : lines[index]!);
  let current: string | undefined; // the section a line is in (none before the first header)
  let found: IniValue | IniRefusal | undefined;
  for (let index = 0; index < lines.length; index++) {
    const raw = withNewline(index);
    const line = trimLeft(raw);
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      const close = line.lastIndexOf(']');
      if (close < 0) return { refused: 'unclosed section', line: index + 1 };
      current = line.slice(1, close);
      continue;
    }
    const name = keyName(line);
    if ('refused' in name) return { refused: name.refused, line: index + 1 };
    const indent = raw.length - line.length;
    const read = readValue(line.slice(name.offset), index, withNewline, lines.length);
    const at = indent + name.offset + read.start;
    if ('refused' in read) return { refused: read.refused, line: index + 1 };
    if (current === section && name.key === key) found = { value: read.value, line: index + 1, column: characterColumn(raw, 0, at) };
    index = read.last;
  }
  return found;
}

/** go-ini's readKeyName with its default delimiters (`=`, `:`): the key, and where its value starts; or why it refuses the line. */
function keyName(line: string): { key: string; offset: number } | { refused: string } {
  const quote = line.startsWith('"') ? (line.length > 6 && line.startsWith('"""') ? '"""' : '"') : line.startsWith('`') ? '`' : '';
  const notFound = { refused: 'key-value delimiter not found' };
  if (quote !== '') {
    const close = line.indexOf(quote, quote.length);
    if (close < 0) return { refused: 'missing closing key quote' };
    const delimiter = indexOfAny(line, '=:', close + quote.length);
    return delimiter < 0 ? notFound : { key: trimSpace(line.slice(quote.length, close)), offset: delimiter + 1 };
  }
  const delimiter = indexOfAny(line, '=:', 0);
  if (delimiter === 0) return { refused: 'empty key name' };
  return delimiter < 0 ? notFound : { key: trimSpace(line.slice(0, delimiter)), offset: delimiter + 1 };
}

function indexOfAny(text: string, characters: string, from: number): number {
  for (let index = from; index < text.length; index++) if (characters.includes(text[index]!)) return index;
  return -1;
}

/**
 * go-ini's readValue: the value from `rest` (the line after its delimiter, newline and all), reading on from line
 * `index` when a quote or a `\` carries it over; with where its text starts in `rest`, and the last line it took.
 */
function readValue(
  rest: string,
  index: number,
  lineAt: (index: number) => string,
  count: number,
): { value: string; start: number; last: number } | { refused: string; start: number } {
  const line = trimLeft(rest);
  const lead = rest.length - line.length;
  if (line === '') return { value: '', start: lead, last: index };
  const quote = line.length > 3 && line.startsWith('"""') ? '"""' : line.startsWith('`') ? '`' : '';
  if (quote !== '') {
    const close = line.lastIndexOf(quote);
    if (close >= quote.length) return { value: line.slice(quote.length, close), start: lead + quote.length, last: index };
    // Carried over: up to the last such quote of a later line (readMultilines).
    let value = line.slice(quote.length);
    for (let next = index + 1; next < count; next++) {
      const text = lineAt(next);
      const end = text.lastIndexOf(quote);
      if (end >= 0) return { value: value + text.slice(0, end), start: lead + quote.length, last: next };
      value += text;
    }
    return { refused: `missing closing key quote ${quote}`, start: lead + quote.length };
  }
  let value = trimSpace(line);
  let last = index;
  // A `\` at the end joins the next lines, each trimmed, up to an empty one or one without it (readContinuationLines).
  if (value.endsWith('\\')) {
    value = value.slice(0, -1);
    for (let next = index + 1; next < count; next++) {
      const text = trimSpace(lineAt(next));
      last = next;
      if (text === '') break;
      value += text;
      if (!value.endsWith('\\')) break;
      value = value.slice(0, -1);
    }
    return { value, start: lead, last };
  }
  const comment = indexOfAny(value, '#;', 0);
  if (comment >= 0) value = trimSpace(value.slice(0, comment));
  if (surrounded(value, "'") || surrounded(value, '"')) return { value: value.slice(1, -1), start: lead + 1, last };
  return { value, start: lead, last };
}
