// Where a protected pattern the registry added is written: `FILE:LINE:COL` of
// its entry in `claim.protect.processes`, for the refusal that cites it (so the
// operator can remove or narrow it). Only when a claim is refused by such a
// pattern: a claim that signals, or a free port, never reads the file again.
// The registry that validated holds no positions (nor does the parsed-registry
// cache), and the YAML parser is not in claim-port's bundles: the file is read
// again and its block-style `claim:` / `protect:` / `processes:` found line by
// line, as `ports init` and the bundled registry write them. Anything else (a
// flow mapping, an anchor, a tag, a file changed since) gives the file alone.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { BUNDLED_SOURCE, MAX_REGISTRY_BYTES, pathText } from '@dsa110/ports';

/** `/etc/dsa110/ports.yaml:12:18`, or the file alone where the pattern's entry cannot be found; undefined for the bundled registry. */
export function protectPatternPlace(source: string, glob: string): string | undefined {
  if (source === BUNDLED_SOURCE) return undefined;
  const text = readSmallFile(source);
  const at = text === undefined ? undefined : protectPatternPosition(text, glob);
  return at === undefined ? pathText(source) : `${pathText(source)}:${at.line}:${at.column}`;
}

/** The file's text, never blocking (a FIFO swapped in is not read) and never more than a registry may hold (the loader's MAX_REGISTRY_BYTES); undefined when it cannot be read. */
function readSmallFile(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_REGISTRY_BYTES) return undefined;
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface Line {
  /** 1-based. */
  readonly number: number;
  readonly indent: number;
  /** The line without its comment, its indentation kept. */
  readonly text: string;
}

/**
 * Pure: the line and column (1-based) of `glob`'s entry in the block mapping `claim:` → `protect:` → `processes:`
 * of a registry's text, a flow list (`processes: ["py*", celery]`, over several lines too) or a block list
 * (`- py*`); the column is the entry's first character (its quote, when quoted). Undefined when not found so.
 */
export function protectPatternPosition(text: string, glob: string): { line: number; column: number } | undefined {
  const lines: Line[] = text.split(/\r\n?|\n/).map((raw, index) => {
    const body = withoutComment(raw);
    return { number: index + 1, indent: body.length - body.trimStart().length, text: body };
  });
  const claim = childKey(lines, 0, lines.length, -1, 'claim');
  if (claim === undefined) return undefined;
  const protect = childKey(lines, claim.index + 1, blockEnd(lines, claim.index), lines[claim.index]!.indent, 'protect');
  if (protect === undefined) return undefined;
  const end = blockEnd(lines, protect.index);
  const processes = childKey(lines, protect.index + 1, end, lines[protect.index]!.indent, 'processes');
  if (processes === undefined) return undefined;
  const keyLine = lines[processes.index]!;
  if (processes.rest.startsWith('[')) return inFlowList(lines, processes.index, keyLine.text.length - processes.rest.length, glob);
  if (processes.rest !== '') return undefined;
  // A block list: its items at the key's indentation or deeper, up to the next key of `protect`.
  for (let index = processes.index + 1; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.text.trim() === '') continue;
    if (line.indent < keyLine.indent || (line.indent === keyLine.indent && !line.text.trimStart().startsWith('-'))) break;
    const item = /^(\s*-\s+)(.*?)\s*$/.exec(line.text);
    if (item === null) continue;
    if (scalarValue(item[2]!) === glob) return { line: line.number, column: item[1]!.length + 1 };
  }
  return undefined;
}

/** The line of `key:` (a plain key) among the direct children of a block mapping at `parentIndent`, lines `from` to `to`; `rest` is what follows its colon. */
function childKey(lines: readonly Line[], from: number, to: number, parentIndent: number, key: string): { index: number; rest: string } | undefined {
  let childIndent: number | undefined;
  for (let index = from; index < to; index++) {
    const line = lines[index]!;
    if (line.text.trim() === '') continue;
    if (line.indent <= parentIndent) return undefined;
    childIndent ??= line.indent;
    if (line.indent !== childIndent) continue;
    const match = new RegExp(`^\\s*${key}\\s*:(?:\\s+(.*?))?\\s*$`).exec(line.text);
    if (match) return { index, rest: match[1] ?? '' };
  }
  return undefined;
}

/** The index after the block of the key at `index`: the next line, not blank, indented no deeper than it. */
function blockEnd(lines: readonly Line[], index: number): number {
  const indent = lines[index]!.indent;
  for (let next = index + 1; next < lines.length; next++) if (lines[next]!.text.trim() !== '' && lines[next]!.indent <= indent) return next;
  return lines.length;
}

/** The position of `glob` among the entries of the flow list that opens at `lines[index]`, column `at` (0-based), up to its `]`. */
function inFlowList(lines: readonly Line[], index: number, at: number, glob: string): { line: number; column: number } | undefined {
  let column = at + 1;
  for (let current = index; current < lines.length; current++, column = 0) {
    const text = lines[current]!.text;
    while (column < text.length) {
      const char = text[column]!;
      if (char === ']') return undefined;
      if (/[\s,]/.test(char)) {
        column++;
        continue;
      }
      const token = scalarToken(text, column);
      if (token === undefined) return undefined;
      if (scalarValue(token) === glob) return { line: lines[current]!.number, column: column + 1 };
      column += token.length;
    }
  }
  return undefined;
}

/** The scalar that starts at `text[from]` in a flow list: a quoted one to its closing quote, a plain one to `,` or `]`. */
function scalarToken(text: string, from: number): string | undefined {
  const quote = text[from];
  if (quote === '"' || quote === "'") {
    for (let index = from + 1; index < text.length; index++) {
      if (quote === '"' && text[index] === '\\') index++;
      else if (text[index] === quote) {
        if (quote === "'" && text[index + 1] === "'") index++;
        else return text.slice(from, index + 1);
      }
    }
    return undefined;
  }
  const end = text.slice(from).search(/[,\]]/);
  return (end < 0 ? text.slice(from) : text.slice(from, from + end)).trimEnd();
}

/** A scalar's value: a double-quoted one as JSON reads it (its common escapes), a single-quoted one with `''` as `'`, a plain one as written. */
function scalarValue(token: string): string | undefined {
  if (token.startsWith('"')) {
    try {
      return JSON.parse(token) as string;
    } catch {
      return undefined;
    }
  }
  if (token.startsWith("'")) return token.endsWith("'") && token.length > 1 ? token.slice(1, -1).replace(/''/g, "'") : undefined;
  return token;
}

/** A line without its comment: from a `#` at its start or after white space, outside quotes. */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (quote !== undefined) {
      if (quote === '"' && char === '\\') index++;
      else if (char === quote) quote = undefined;
    } else if ((char === '"' || char === "'") && (index === 0 || /[\s[,:-]/.test(line[index - 1]!))) quote = char;
    else if (char === '#' && (index === 0 || /\s/.test(line[index - 1]!))) return line.slice(0, index).trimEnd();
  }
  return line.trimEnd();
}
