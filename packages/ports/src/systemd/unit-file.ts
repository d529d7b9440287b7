// Parse a systemd unit or drop-in file the way systemd 252's config parser
// does (systemd.syntax(7); src/shared/conf-parser.c, src/basic/fileio.c):
// - a line ends at LF, CR, NUL or a run of them with no kind repeated
//   (CR LF is one line end, LF LF two); a line over 1 MiB refuses the file;
// - a line whose first non-blank character is `#` or `;` is a comment, also
//   inside a continuation; a `#` later in a line is part of the value;
// - a line ending in an unescaped backslash continues on the next: the
//   backslash becomes a space and the next line is joined as written (a
//   backslash followed by a space is not a continuation);
// - one UTF-8 byte order mark is dropped, the first one that starts a line;
// - `[Section]` headers (a header line must end with `]`, else systemd
//   refuses the file); `Key=Value` with systemd's white space (space, tab, CR,
//   LF; not \v or \f) trimmed around both; a line without `=` is ignored.
// Pure: text in, assignments out with line numbers.
import { quoteValue } from '../escape.js';
import { isSafeString, SYSTEMD_WHITESPACE } from './words.js';
import { stringArgument } from '../arguments.js';

export interface Assignment {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  /** 1-based line of the assignment's first line. */
  readonly line: number;
}

/** A line that makes systemd refuse to load the file, with its 1-based line. */
export interface UnitFileError {
  readonly line: number;
  readonly message: string;
}

/** systemd's LONG_LINE_MAX: a longer line (or continued line) refuses the file. */
export const LONG_LINE_MAX = 1024 * 1024;

const EOL: Readonly<Record<string, number>> = { '\n': 1, '\r': 2, '\0': 4 };

/** read_line(): the file's lines, as systemd splits them. */
export function splitUnitLines(text: string): string[] {
  stringArgument('splitUnitLines', 'text', text, 'the text of a unit file');
  // Nearly every unit file ends its lines with LF alone: then a native split is the same
  // split, without a loop over each character (the whole of it at start-up, in V8's interpreter).
  if (!text.includes('\r') && !text.includes('\0')) {
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines;
  }
  const lines: string[] = [];
  let start = 0;
  let index = 0;
  while (index < text.length) {
    const kind = EOL[text[index]!];
    if (kind === undefined) {
      index++;
      continue;
    }
    lines.push(text.slice(start, index));
    let seen = kind;
    index++;
    // One line end: more end characters join it while none repeats, and not after a NUL.
    while (index < text.length && !(seen & 4)) {
      const next = EOL[text[index]!];
      if (next === undefined || seen & next) break;
      seen |= next;
      index++;
    }
    start = index;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

const trim = (text: string) => {
  let start = 0;
  let end = text.length;
  while (start < end && SYSTEMD_WHITESPACE.includes(text[start]!)) start++;
  while (end > start && SYSTEMD_WHITESPACE.includes(text[end - 1]!)) end--;
  return text.slice(start, end);
};

export function parseUnitFile(text: string, errors: UnitFileError[] = []): Assignment[] {
  stringArgument('parseUnitFile', 'text', text, 'the text of a unit file');
  const assignments: Assignment[] = [];
  const lines = splitUnitLines(text);
  let section = '';
  let bomSeen = false;
  let continuation: { text: string; line: number } | undefined;

  const parseLine = (logical: string, line: number): boolean => {
    const stripped = trim(logical);
    if (stripped === '') return true;
    if (stripped.startsWith('[')) {
      if (!stripped.endsWith(']') || stripped.length < 2) {
        errors.push({
          line,
          message: `invalid section header ${quoteValue(stripped, 80)} (a header line holds only [Section]; systemd refuses the file)`,
        });
        return false;
      }
      const name = stripped.slice(1, -1);
      if (!isSafeString(name)) {
        errors.push({ line, message: `bad characters in section header ${quoteValue(stripped, 80)} (systemd refuses the file)` });
        return false;
      }
      section = name;
      return true;
    }
    const equals = stripped.indexOf('=');
    // systemd logs "Missing '='" or "Missing key name" and ignores the line; an assignment before any section is ignored too.
    if (equals <= 0 || section === '') return true;
    assignments.push({ section, key: trim(stripped.slice(0, equals)), value: trim(stripped.slice(equals + 1)), line });
    return true;
  };

  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    // A UTF-16 unit is at most 3 UTF-8 bytes: most lines are measured without encoding them.
    if (raw.length * 3 >= LONG_LINE_MAX && Buffer.byteLength(raw) >= LONG_LINE_MAX) {
      errors.push({ line: index + 1, message: `line too long (systemd refuses lines of 1 MiB or more)` });
      return assignments;
    }
    const first = raw[firstNonBlank(raw)];
    if (first === '#' || first === ';') continue;
    let line = raw;
    if (!bomSeen && line.startsWith('\ufeff')) {
      line = line.slice(1);
      bomSeen = true;
    }
    const joined = continuation ? continuation.text + line : line;
    if (continuation && joined.length * 3 > LONG_LINE_MAX && Buffer.byteLength(joined) > LONG_LINE_MAX) {
      errors.push({ line: continuation.line, message: `continued line too long (systemd refuses lines of 1 MiB or more)` });
      return assignments;
    }
    // An unescaped backslash at the very end, as systemd scans the whole joined
    // line: each backslash escapes the next character, so an odd run of them
    // at the end leaves the last one unescaped (counted from the end: cheaper).
    if (endsInUnescapedBackslash(joined)) {
      continuation = { text: `${joined.slice(0, -1)} `, line: continuation?.line ?? index + 1 };
      continue;
    }
    const start = continuation?.line ?? index + 1;
    continuation = undefined;
    if (!parseLine(joined, start)) return assignments;
  }
  // A file that ends inside a continuation: the joined text is still one line.
  if (continuation) parseLine(continuation.text, continuation.line);
  return assignments;
}

/** Index of the first character that is not a space, tab, CR or LF (the text's length when there is none). */
function firstNonBlank(text: string): number {
  let index = 0;
  for (; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code !== 32 && code !== 9 && code !== 10 && code !== 13) break;
  }
  return index;
}

/** Pure: whether `line` ends in a backslash that no earlier backslash escapes (an odd run of them at the end). */
export function endsInUnescapedBackslash(line: string): boolean {
  let run = 0;
  while (run < line.length && line.charCodeAt(line.length - 1 - run) === 92) run++;
  return run % 2 === 1;
}
