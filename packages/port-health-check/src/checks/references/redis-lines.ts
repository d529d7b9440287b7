// The lines of a redis.conf as Redis 7 reads them (config.c, checked with
// redis-server 7.0.15): loadServerConfig reads the file with fgets, at most
// CONFIG_READ_LEN bytes at a time, and appends each piece with sdscat, which
// stops at a NUL byte: the rest of that piece is lost, its newline too when it
// is in that piece, so the next line joins this one (`#x\0` then `port 6380`
// is one comment line). loadServerConfigFromString then splits the text at
// newlines, trims each line of " \t\r\n" only (sdstrim: not the other spaces
// JavaScript's trim() drops, U+FEFF, U+00A0, U+2028, \v, \f), and skips a line
// whose first character is then `#`, or that is empty; splitting it into words
// skips any of C's spaces before the first (so `\vport 6380` is a port line).
import type { ContentLine } from './finding.js';

/** How many bytes one fgets of Redis's config reader takes at most (a longer line is read in pieces). */
const CONFIG_READ_LEN = 1024;

/** The characters Redis trims from both ends of a config line (sdstrim's set). */
const isTrimmed = (code: number): boolean => code === 32 || code === 9 || code === 13 || code === 10;

/** A line without the characters Redis trims from its ends (sdstrim(line, " \t\r\n")). */
export function redisTrim(line: string): string {
  let from = 0;
  let to = line.length;
  while (from < to && isTrimmed(line.charCodeAt(from))) from++;
  while (to > from && isTrimmed(line.charCodeAt(to - 1))) to--;
  return from === 0 && to === line.length ? line : line.slice(from, to);
}

/** C's isspace (" \t\n\v\f\r"), which sdssplitargs skips between words. */
const isCSpace = (code: number): boolean => code === 32 || (code >= 9 && code <= 13);

/** How many of C's spaces a line starts with: what Redis trims and skips before its first word. */
export function leadingCSpace(line: string): number {
  let at = 0;
  while (at < line.length && isCSpace(line.charCodeAt(at))) at++;
  return at;
}

/** How many UTF-8 bytes the UTF-16 unit at `index` adds (a surrogate pair is 4: 2 each). */
function utf8Length(text: string, index: number): number {
  const code = text.charCodeAt(index);
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  return code >= 0xd800 && code <= 0xdfff ? 2 : 3;
}

/**
 * What Redis keeps of one physical line holding a NUL byte (`raw`, without its newline; `newline`, whether one ends
 * it): each fgets piece (CONFIG_READ_LEN bytes, the newline counted in the last) up to its first NUL; and whether
 * the newline was kept (it is lost when the last piece holds a NUL). A character is counted in the piece it starts
 * in; a file that is not UTF-8 was decoded with replacement characters, so its pieces are only as near as that.
 */
function keptOfLine(raw: string, newline: boolean): { kept: string; newline: boolean } {
  let kept = '';
  let bytes = 0; // of the current piece
  let cut = false; // a NUL was met in the current piece
  for (let index = 0; index < raw.length; index++) {
    if (bytes >= CONFIG_READ_LEN) [bytes, cut] = [0, false];
    bytes += utf8Length(raw, index);
    if (raw.charCodeAt(index) === 0) cut = true;
    if (!cut) kept += raw[index];
  }
  // The newline is in the current piece unless that piece is full.
  return { kept, newline: newline && (bytes >= CONFIG_READ_LEN || !cut) };
}

/** A file's content lines (redisLines) and its lines as written, by number (`rawLine`, 1-based: the line a ContentLine names). */
interface ReadLines {
  readonly text: string;
  readonly lines: readonly ContentLine[];
  readonly rawLine: (line: number) => string;
}

/**
 * The files read last, newest first: gather reads a redis.conf for its includes, then the check reads it again, and
 * another file's read (a unit's command-line config) came between, which made a cache of one entry split and walk
 * Debian's 2,300-line file twice, and split it a third time for the port line's column (callgrind: 2.0M instructions of
 * the health check over the bundled registry). A few entries: a few redis.conf files are read one after the other.
 */
const recent: ReadLines[] = [];
const RECENT_FILES = 4;

/**
 * A redis.conf's content lines as Redis reads them (see above), each at the line of the file it starts on (a line
 * a NUL joined to the next is one line there), trimmed as Redis trims it; comments and empty lines left out.
 */
export function redisLines(text: string): readonly ContentLine[] {
  return readLines(text).lines;
}

/** A redis.conf's line `line` (1-based, as ContentLine.line) as written, without its newline; '' past its end. */
export function redisRawLines(text: string): (line: number) => string {
  return readLines(text).rawLine;
}

function readLines(text: string): ReadLines {
  for (const read of recent) if (read.text === text) return read;
  const read = text.includes('\0') ? readJoinedLines(text) : readPlainLines(text);
  recent.unshift(read);
  if (recent.length > RECENT_FILES) recent.pop();
  return read;
}

/**
 * The lines of a text without a NUL byte: each physical line is a line, found with indexOf; only the content lines
 * are made strings (Debian's file: 71 of 2,300, the rest comments or empty), where a split made every one.
 */
function readPlainLines(text: string): ReadLines {
  const found: ContentLine[] = [];
  // Each content line as written (what a message and a port's column show), at the index of its ContentLine.
  const written: string[] = [];
  let number = 0;
  // As text.split('\n'): a text ending in a newline has an empty last line.
  for (let start = 0; start <= text.length; ) {
    number++;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    // Most lines of a packaged redis.conf are whole-line comments or empty: nothing to trim.
    if (end > start && text.charCodeAt(start) !== 35 /* # */) {
      const line = text.slice(start, end);
      const content = redisTrim(line);
      // sdssplitargs skips C's other spaces (\v, \f) before the first word: `\vport 6380` is a port line (`\f#x` is no comment).
      const from = content === '' || content.charCodeAt(0) === 35 ? content.length : leadingCSpace(content);
      if (from < content.length) {
        found.push(Object.freeze({ line: number, text: from === 0 ? content : content.slice(from) }));
        written.push(line);
      }
    }
    start = end + 1;
  }
  // Another line as written (none of the readers asks for one): split once, if ever.
  let raw: string[] | undefined;
  const rawLine = (line: number): string => {
    const at = contentIndex(found, line);
    return at !== undefined ? written[at]! : ((raw ??= text.split('\n'))[line - 1] ?? '');
  };
  return { text, lines: Object.freeze(found), rawLine };
}

/** The index of the content line at file line `line` in `lines` (in line order), by bisection; undefined when none is. */
function contentIndex(lines: readonly ContentLine[], line: number): number | undefined {
  let low = 0;
  let high = lines.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = lines[middle]!.line;
    if (at === line) return middle;
    if (at < line) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

/** The lines of a text with a NUL byte: a line a NUL cut is joined to the next (see above), from the text split at newlines. */
function readJoinedLines(text: string): ReadLines {
  const raw = text.split('\n');
  const found: ContentLine[] = [];
  for (let index = 0; index < raw.length; index++) {
    const start = index;
    let line = raw[index]!;
    if (line.includes('\0')) {
      // Joined with the lines after it while a NUL takes the newline away.
      let piece = keptOfLine(line, index + 1 < raw.length);
      line = piece.kept;
      while (!piece.newline && index + 1 < raw.length) {
        piece = keptOfLine(raw[++index]!, index + 1 < raw.length);
        line += piece.kept;
      }
    }
    if (line === '' || line.charCodeAt(0) === 35 /* # */) continue;
    const content = redisTrim(line);
    if (content === '' || content.charCodeAt(0) === 35) continue;
    const from = leadingCSpace(content);
    if (from < content.length) found.push(Object.freeze({ line: start + 1, text: from === 0 ? content : content.slice(from) }));
  }
  return { text, lines: Object.freeze(found), rawLine: (line) => raw[line - 1] ?? '' };
}
