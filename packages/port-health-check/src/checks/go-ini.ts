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
// a quote or `[` never closed, `[]`, an empty key: `= x`, `"" = x`) fails the
// whole file.
import { characterColumn } from './references/finding.js';

/** A key's value as go-ini gives it, with its 1-based line and the 1-based column (in characters) its text starts at. */
export interface IniValue {
  readonly value: string;
  readonly line: number;
  readonly column: number;
}

/**
 * A line go-ini refuses, and the whole file with it (Grafana then exits at start: "failed to parse"): a header with
 * no `]` or no name (`[]`), a line with no `=` or `:` (`http_port 3000`), or none before it or an empty key in quotes
 * (`"" = x`), a quote never closed; go-ini's words for it.
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

/** A file as go-ini holds it: each section's keys (the last value of each), by name; the keys before any header are in DEFAULT. */
export interface IniFile {
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, IniValue>>;
}

/** go-ini's name for the section of the keys before the first header, which a `[DEFAULT]` header adds to. */
export const DEFAULT_SECTION = 'DEFAULT';

/**
 * The files parsed lately, by text: the config check reads several keys of each file (and gather the same keys
 * again), and a long file must be parsed once per run, not once per key. A few, so a long-running caller keeps no more.
 */
const parsed = new Map<string, IniFile | IniRefusal>();
const PARSED_KEPT = 8;

/**
 * Pure: the value of `key` under `[section]` in `text`, as go-ini reads it (the last one given); undefined when the
 * file does not set it; the first line go-ini refuses, when there is one (then no key of the file counts).
 */
export function goIniSetting(text: string, key: string, section: string): IniValue | IniRefusal | undefined {
  const file = goIniFile(text);
  return 'refused' in file ? file : file.sections.get(section)?.get(key);
}

/** Pure (its result kept for the next call with the same text): `text` as go-ini reads it, or the first line it refuses. */
export function goIniFile(text: string): IniFile | IniRefusal {
  const kept = parsed.get(text);
  if (kept !== undefined) return kept;
  const file = parseGoIni(text);
  if (parsed.size >= PARSED_KEPT) parsed.delete(parsed.keys().next().value!);
  parsed.set(text, file);
  return file;
}

function parseGoIni(text: string): IniFile | IniRefusal {
  // go-ini reads each line with its newline (readUntil('\n')), which a quoted value keeps; a UTF-8 byte order mark goes.
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const withNewline = (index: number): string => (index < lines.length - 1 ? `${lines[index]!}\n` : lines[index]!);
  const sections = new Map<string, Map<string, IniValue>>();
  let keys = new Map<string, IniValue>();
  sections.set(DEFAULT_SECTION, keys);
  for (let index = 0; index < lines.length; index++) {
    const raw = withNewline(index);
    const line = trimLeft(raw);
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      const close = line.lastIndexOf(']');
      if (close < 0) return { refused: 'unclosed section', line: index + 1 };
      // A section given twice is one (go-ini's NewSection); `[]` is refused.
      const name = line.slice(1, close);
      if (name === '') return { refused: 'empty section name', line: index + 1 };
      keys = sections.get(name) ?? new Map<string, IniValue>();
      sections.set(name, keys);
      continue;
    }
    const name = keyName(line);
    if ('refused' in name) return { refused: name.refused, line: index + 1 };
    const indent = raw.length - line.length;
    const read = readValue(line.slice(name.offset), index, withNewline, lines.length);
    const at = indent + name.offset + read.start;
    if ('refused' in read) return { refused: read.refused, line: index + 1 };
    // A quoted key may be empty (`"" = x`), which go-ini's NewKey refuses after the value is read.
    if (name.key === '') return { refused: 'empty key name', line: index + 1 };
    keys.set(name.key, { value: read.value, line: index + 1, column: characterColumn(raw, 0, at) });
    index = read.last;
  }
  return { sections };
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
    const pieces = [line.slice(quote.length)];
    for (let next = index + 1; next < count; next++) {
      const text = lineAt(next);
      const end = text.lastIndexOf(quote);
      if (end >= 0) return { value: pieces.join('') + text.slice(0, end), start: lead + quote.length, last: next };
      pieces.push(text);
    }
    return { refused: `missing closing key quote ${quote}`, start: lead + quote.length };
  }
  let value = trimSpace(line);
  let last = index;
  // A `\` at the end joins the next lines, each trimmed, up to an empty one or one without it (readContinuationLines).
  // Each line is tested and cut alone, and the pieces joined once: growing one string line by line is quadratic.
  if (value.endsWith('\\')) {
    const pieces = [value.slice(0, -1)];
    for (let next = index + 1; next < count; next++) {
      const text = trimSpace(lineAt(next));
      last = next;
      if (text === '') break;
      const continued = text.endsWith('\\');
      pieces.push(continued ? text.slice(0, -1) : text);
      if (!continued) break;
    }
    return { value: pieces.join(''), start: lead, last };
  }
  const comment = indexOfAny(value, '#;', 0);
  if (comment >= 0) value = trimSpace(value.slice(0, comment));
  if (surrounded(value, "'") || surrounded(value, '"')) return { value: value.slice(1, -1), start: lead + 1, last };
  return { value, start: lead, last };
}
