// Regenerating parts of a Markdown page between markers, as
// eslint-doc-generator does: the page is prose by hand, and each
//   <!-- ports:NAME:start --> ... <!-- ports:NAME:end -->
// block (each marker alone on its line) is replaced as a whole, with fixed
// blank lines so that splicing twice changes nothing. Inline values use
//   <!-- ports:ref KEY -->VALUE<!-- /ports:ref -->
// on one line, a value holding no marker. Markers inside code (fenced and indented code blocks, read as
// CommonMark reads them: BlockReader; code spans, over the lines of their paragraph) are text. Each line keeps its own line ending (CRLF, LF,
// or a lone CR); the generated lines take the page's majority one.
import { codeSpans } from './markdown.js';

export const GENERATED_NOTE = '<!-- generated from ports.yaml by `ports docs`: edit ports.yaml instead -->';

/** A page whose markers cannot be spliced: message is `file:line:col: what; what to do`. */
export class MarkerError extends Error {
  override name = 'MarkerError';
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(file: string, line: number, column: number, message: string) {
    super(line > 0 ? `${file}:${line}:${column}: ${message}` : `${file}: ${message}`);
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

export interface SpliceOptions {
  /** Shown in errors; defaults to `docs/ports.md`. */
  file?: string;
  /** Every block the page must contain, with its contents. */
  blocks: Readonly<Record<string, string>>;
  /** The value of an inline reference key, or undefined for an unknown key. */
  reference?: (key: string) => string | undefined;
}

const BLOCK = /^<!-- ports:([a-z0-9-]+):(start|end) -->$/;
const REF = /<!-- ports:ref ([^\s]+) -->(.*?)<!-- \/ports:ref -->/g;
const REF_END = '<!-- /ports:ref -->';
const ANY = /<!--\s*\/?ports:/g;
/** The first marker of any kind; $1 is the slash of a closing one, $2 `ref` in an opening or closing ref. */
const FIRST_MARKER = /<!--\s*(\/?)ports:(ref\b)?/;
const UNRECOGNIZED =
  'unrecognized ports marker; a section marker is <!-- ports:NAME:start --> or <!-- ports:NAME:end --> alone on its line, a value is <!-- ports:ref KEY -->VALUE<!-- /ports:ref --> on one line';

export function spliceMarkers(text: string, options: SpliceOptions): string {
  const file = options.file ?? 'docs/ports.md';
  const known = Object.keys(options.blocks);
  const lines = splitLines(text);
  // Generated lines take the page's majority line ending; every line read keeps its own.
  const eol = majorityEnding(lines);
  let out = '';
  const seen = new Map<string, number>();
  let open: { name: string; line: number } | undefined;
  const reader = new BlockReader();
  // Start markers read as code inside a fenced block, and whether the same block holds their end (an example of a
  // section does). A stray fence above a section hides its start but not its end, and the error that leads to (an
  // end marker with no start, a missing section) names the fence: it, not the marker, is what to fix.
  const fenced = new Map<string, HiddenStart[]>();
  const fenceError = (name: string, hidden: HiddenStart, consequence: string) =>
    new MarkerError(
      file,
      hidden.fence.line,
      hidden.fence.column,
      `code fence ${hidden.fence.marker} is not closed before <!-- ports:${name}:start --> on line ${hidden.line}, so that marker is read as code and ${consequence}; close the fence with a line of ${hidden.fence.marker} (or longer) after its code, before line ${hidden.line}, or remove it`,
    );
  // The lines of the paragraph being read: a code span may run over several (CommonMark), so a line's references
  // are spliced once its paragraph has ended, with the paragraph's code spans masked (spliceParagraph).
  let paragraph: ParagraphLine[] = [];
  const flush = () => {
    if (paragraph.length === 0) return;
    out += spliceParagraph(paragraph, file, options.reference);
    paragraph = [];
  };

  lines.forEach(({ content: line, ending }, index) => {
    const number = index + 1;
    if (open) {
      // The old generated contents, up to the end marker.
      const block = BLOCK.exec(line.trim());
      if (!block) return;
      reader.afterMarker();
      out += endSection(open, block as unknown as [string, string, 'start' | 'end'], number, line) + ending;
      open = undefined;
      return;
    }
    const kind = reader.read(line, number);
    if (kind !== 'text') {
      const fence = reader.openFence();
      const [, name, edge] = (fence && BLOCK.exec(line.trim())) || [];
      if (fence && name !== undefined) {
        const starts = fenced.get(name) ?? [];
        if (edge === 'start') fenced.set(name, [...starts, { line: number, fence, ended: false }]);
        else {
          const start = starts.findLast((each) => each.fence === fence);
          if (start) start.ended = true;
        }
      }
      flush();
      out += line + ending;
      return;
    }
    const block = BLOCK.exec(line.trim());
    if (block) {
      flush();
      reader.afterMarker();
      const [, name, edge] = block as unknown as [string, string, 'start' | 'end'];
      if (!known.includes(name)) {
        throw new MarkerError(file, number, line.indexOf('<') + 1, `unknown generated section "${name}"; known sections: ${known.join(', ')}`);
      }
      const start = `<!-- ports:${name}:start -->`;
      const end = `<!-- ports:${name}:end -->`;
      if (edge === 'end') {
        const hidden = fenced.get(name)?.at(-1);
        if (hidden && !hidden.ended) throw fenceError(name, hidden, `${end} on line ${number} has no start`);
        throw new MarkerError(file, number, 1, `${end} has no ${start} before it; add the start marker or remove this line`);
      }
      const first = seen.get(name);
      if (first !== undefined) throw new MarkerError(file, number, 1, `section "${name}" appears twice (first on line ${first}); keep one`);
      seen.set(name, number);
      open = { name, line: number };
      out += line + ending;
      return;
    }
    if (!reader.continues) flush();
    paragraph.push({ line, number, ending });
  });
  flush();

  function endSection(section: { name: string; line: number }, block: [string, string, 'start' | 'end'], number: number, line: string): string {
    const [, name, edge] = block;
    const start = `<!-- ports:${name}:start -->`;
    if (!known.includes(name)) {
      throw new MarkerError(file, number, line.indexOf('<') + 1, `unknown generated section "${name}"; known sections: ${known.join(', ')}`);
    }
    if (edge === 'start') {
      throw new MarkerError(
        file,
        section.line,
        1,
        `<!-- ports:${section.name}:start --> has no <!-- ports:${section.name}:end --> before the next section's ${start} on line ${number}; add the end marker on its own line after the section`,
      );
    }
    if (section.name !== name) {
      throw new MarkerError(
        file,
        number,
        1,
        `<!-- ports:${name}:end --> closes section "${section.name}" (opened on line ${section.line}); add <!-- ports:${section.name}:end --> before it`,
      );
    }
    const generated = [GENERATED_NOTE, '', ...options.blocks[name]!.replace(/\n+$/, '').split('\n'), ''];
    return generated.map((row) => row + eol).join('') + line;
  }

  if (open) {
    throw new MarkerError(
      file,
      open.line,
      1,
      `<!-- ports:${open.name}:start --> has no <!-- ports:${open.name}:end -->; add the end marker on its own line after the section`,
    );
  }
  const unclosed = reader.openFence();
  if (unclosed) {
    throw new MarkerError(
      file,
      unclosed.line,
      unclosed.column,
      `code fence ${unclosed.marker} is never closed, so the rest of the page is read as code; close it with a line of ${unclosed.marker} (or longer) after its code`,
    );
  }
  const missing = known.filter((name) => !seen.has(name));
  for (const name of missing) {
    const hidden = fenced.get(name)?.find((start) => !start.ended);
    if (hidden) throw fenceError(name, hidden, `section "${name}" is missing`);
  }
  if (missing.length > 0) {
    const list = missing.map((name) => `"${name}"`).join(', ');
    // Both markers in one code block: an example, or a section that a stray fence swallowed whole.
    const shown = missing.find((name) => fenced.has(name));
    const inCode = shown === undefined ? undefined : fenced.get(shown)![0]!;
    const note =
      inCode === undefined
        ? ''
        : ` (<!-- ports:${shown}:start --> on line ${inCode.line} is inside the code block that the fence ${inCode.fence.marker} at ${file}:${inCode.fence.line}:${inCode.fence.column} opens, so it is read as code: if that fence is stray, remove it)`;
    throw new MarkerError(
      file,
      0,
      0,
      `missing generated section${missing.length > 1 ? 's' : ''} ${list}; add <!-- ports:NAME:start --> and <!-- ports:NAME:end --> lines where each should go${note}`,
    );
  }
  return out;
}

/**
 * The page's lines, each with its own ending (`\r\n`, `\n`, a lone `\r` as CommonMark reads it and
 * old Mac editors write it, or none for the last).
 */
function splitLines(text: string): { content: string; ending: string }[] {
  const lines: { content: string; ending: string }[] = [];
  const breaks = /\r\n|\r|\n/g;
  let start = 0;
  for (let match = breaks.exec(text); match !== null; match = breaks.exec(text)) {
    lines.push({ content: text.slice(start, match.index), ending: match[0] });
    start = breaks.lastIndex;
  }
  lines.push({ content: text.slice(start), ending: '' });
  return lines;
}

/** The ending most of the page's lines have (`\n` on a tie with it, then `\r\n`); `\n` for a page of one line. */
function majorityEnding(lines: readonly { ending: string }[]): string {
  const counts = new Map<string, number>([
    ['\n', 0],
    ['\r\n', 0],
    ['\r', 0],
  ]);
  for (const { ending } of lines) if (ending !== '') counts.set(ending, counts.get(ending)! + 1);
  let best = '\n';
  for (const [ending, count] of counts) if (count > counts.get(best)!) best = ending;
  return best;
}

/** A section's start marker read as code: its line, the fenced block it is in, and whether that block holds its end too. */
interface HiddenStart {
  readonly line: number;
  readonly fence: OpenFence;
  ended: boolean;
}

/** An open fenced code block: its fence's character and length, the content column of its list item, where it opened. */
interface OpenFence {
  readonly char: string;
  readonly length: number;
  readonly container: number;
  readonly line: number;
  readonly column: number;
  readonly marker: string;
}

const OPENING_FENCE = /^(`{3,}|~{3,})(.*)$/;
const CLOSING_FENCE = /^(`{3,}|~{3,})[ \t]*$/;
const LIST_MARKER = /^([-+*]|[0-9]{1,9}[.)])(?=[ \t]|$)/;
const THEMATIC_BREAK = /^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$/;

/**
 * What each line of a page is, as CommonMark reads its blocks (https://spec.commonmark.org/0.31.2/),
 * as far as markers need: `code` (a fenced code block with its fences, or an indented code block) or
 * `text`. Fences: an opening one is 3+ backticks or tildes indented up to 3 spaces past the content
 * column of the list item it is in, a backtick fence's info string holding no backtick (```x``` opens a
 * code span, not a fence); it closes at a fence of the same character, at least as long, with only
 * spaces after, or with its list item. A line indented 4+ columns past its container that does not
 * continue a paragraph is an indented code block. Block quotes and HTML blocks are read as text.
 */
class BlockReader {
  /** The content columns of the open list items, outermost first. */
  private readonly items: number[] = [];
  private fence: OpenFence | undefined;
  /** The last line was paragraph text: an indented line continues it, and a less indented one may be a lazy continuation. */
  private paragraph = false;
  /** The last line read continued a paragraph. */
  private continued = false;

  /** What the line is; `number` (1-based) is where an opening fence is remembered. */
  read(line: string, number: number): 'code' | 'text' {
    this.continued = false;
    if (line.trim() === '') {
      this.paragraph = false;
      return this.fence ? 'code' : 'text';
    }
    let { column, offset } = indentation(line, 0, 0);
    if (this.fence) {
      if (column >= this.fence.container) {
        const rest = line.slice(offset);
        const closing = CLOSING_FENCE.exec(rest);
        if (column - this.fence.container <= 3 && closing && closing[1]![0] === this.fence.char && closing[1]!.length >= this.fence.length)
          this.fence = undefined;
        return 'code';
      }
      this.fence = undefined; // its list item ended, and the block with it
    }
    for (;;) {
      const rest = line.slice(offset);
      // A paragraph's next line continues it (however indented: a lazy continuation keeps its list item open)
      // unless it starts a block that interrupts one.
      if (this.paragraph && !startsBlock(rest)) {
        this.continued = true;
        return 'text';
      }
      while (this.items.length > 0 && column < this.items.at(-1)!) {
        this.items.pop();
        this.paragraph = false;
      }
      const container = this.items.at(-1) ?? 0;
      if (column - container >= 4) {
        // An indented line continues a paragraph: it cannot interrupt one.
        this.continued = this.paragraph;
        return this.paragraph ? 'text' : 'code';
      }
      const fence = OPENING_FENCE.exec(rest);
      if (fence && !(fence[1]![0] === '`' && fence[2]!.includes('`'))) {
        this.fence = { char: fence[1]![0]!, length: fence[1]!.length, container, line: number, column: offset + 1, marker: fence[1]! };
        this.paragraph = false;
        return 'code';
      }
      const item = THEMATIC_BREAK.test(rest.trimEnd()) ? null : LIST_MARKER.exec(rest);
      if (!item) {
        this.paragraph = !/^#{1,6}(?:[ \t]|$)/.test(rest) && !THEMATIC_BREAK.test(rest.trimEnd());
        return 'text';
      }
      // A list item: its content starts after the marker and 1-4 spaces (1 when 5 or more follow, or none).
      const markerEnd = indentation(line, offset + item[0].length, column + item[0].length);
      const spaces = markerEnd.column - column - item[0].length;
      const blank = markerEnd.offset >= line.length;
      const content = blank || spaces > 4 ? column + item[0].length + 1 : markerEnd.column;
      this.items.push(content);
      this.paragraph = false;
      if (blank) return 'text';
      if (spaces > 4) return 'code'; // an indented code block opens the item
      column = markerEnd.column;
      offset = markerEnd.offset;
    }
  }

  /** Whether the last line read continued the paragraph before it (a code span may run from that one into it). */
  get continues(): boolean {
    return this.continued;
  }

  /** A section marker line (an HTML block) ends any paragraph. */
  afterMarker(): void {
    this.paragraph = false;
  }

  /** The fenced code block the last line read is in (its opening or a line of its code; at the page's end, one never closed). */
  openFence(): OpenFence | undefined {
    return this.fence;
  }
}

/**
 * The start of an HTML block that interrupts a paragraph (CommonMark's kinds 1 to 6: `<!--`, `<script`, `<div`, ...),
 * so that no code span runs from a paragraph into it: `<!-- ports:ref ... -->` at the start of a line is live.
 */
const HTML_BLOCK_START = new RegExp(
  '^(?:<(?:script|pre|style|textarea)(?:[ \\t>]|$)|<!--|<\\?|<![A-Za-z]|<!\\[CDATA\\[|</?(?:' +
    'address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul' +
    ')(?:[ \\t>]|/>|$))',
  'i',
);

/** Whether `rest` (a line from its first non-blank character) starts a block that interrupts a paragraph. */
function startsBlock(rest: string): boolean {
  const fence = OPENING_FENCE.exec(rest);
  if (fence && !(fence[1]![0] === '`' && fence[2]!.includes('`'))) return true;
  if (THEMATIC_BREAK.test(rest.trimEnd()) || /^#{1,6}(?:[ \t]|$)/.test(rest) || rest.startsWith('>') || HTML_BLOCK_START.test(rest)) return true;
  // A list item interrupts a paragraph when it is not empty, and, ordered, starts at 1.
  const item = LIST_MARKER.exec(rest);
  return item !== null && rest.slice(item[0].length).trim() !== '' && (!/^[0-9]/.test(item[0]) || /^1[.)]$/.test(item[0]));
}

/** The column (tabs to the next multiple of 4) and offset of the first non-blank character at or after `offset`. */
function indentation(line: string, offset: number, column: number): { column: number; offset: number } {
  while (offset < line.length) {
    const char = line[offset];
    if (char === ' ') column++;
    else if (char === '\t') column += 4 - (column % 4);
    else break;
    offset++;
  }
  return { column, offset };
}

/** A line of a paragraph, with its number (1-based) and its own line ending. */
interface ParagraphLine {
  readonly line: string;
  readonly number: number;
  readonly ending: string;
}

/**
 * The lines of one paragraph with their references spliced (spliceReferences), each with its ending. Code spans
 * are text: masked so that a marker shown as an example is left alone, found as CommonMark finds them in the
 * paragraph (a backtick string, then anything up to the next of the same length, over line endings too); a
 * backslash-escaped backtick (a protected name tick`x is written tick\`x) opens none.
 */
function spliceParagraph(lines: readonly ParagraphLine[], file: string, reference: SpliceOptions['reference']): string {
  const starts: number[] = [];
  let text = '';
  for (const { line } of lines) {
    starts.push(text.length);
    text += `${line}\n`;
  }
  const spans = codeSpans(text, true);
  let out = '';
  let next = 0;
  lines.forEach(({ line, number, ending }, index) => {
    const from = starts[index]!;
    const to = from + line.length;
    // The spans over this line, as columns of it: one walk over the paragraph's spans, in order.
    while (next < spans.length && spans[next]![1] <= from) next++;
    const code: [number, number][] = [];
    for (let each = next; each < spans.length && spans[each]![0] < to; each++)
      code.push([Math.max(spans[each]![0], from) - from, Math.min(spans[each]![1], to) - from]);
    out += spliceReferences(line, number, file, reference, code) + ending;
  });
  return out;
}

function spliceReferences(line: string, number: number, file: string, reference: SpliceOptions['reference'], code: readonly [number, number][]): string {
  let masked = '';
  let from = 0;
  for (const [start, end] of code) {
    masked += line.slice(from, start) + ' '.repeat(end - start);
    from = end;
  }
  masked += line.slice(from);
  let result = '';
  let last = 0;
  const covered: [number, number][] = [];
  // A value ends at a closing marker, so none reaches past the last one: REF is run on the line up
  // to there. On the whole line, each opening marker after it was scanned to the end of the line
  // (40,000 unclosed on one line: 23 s).
  const lastEnd = masked.lastIndexOf(REF_END);
  for (const match of (lastEnd === -1 ? '' : masked.slice(0, lastEnd + REF_END.length)).matchAll(REF)) {
    const at = match.index!;
    const key = match[1]!;
    const value = reference?.(key);
    if (value === undefined)
      throw new MarkerError(
        file,
        number,
        at + 1,
        `unknown reference "${key}"; use port:ID (a service or reserved id) or claim:timeout, claim:protected, claim:pids`,
      );
    const open = `<!-- ports:ref ${key} -->`;
    refuseMarkerInValue(match[2]!, open, at, number, file);
    result += `${line.slice(last, at)}${open}${value}<!-- /ports:ref -->`;
    last = at + match[0].length;
    covered.push([at, last]);
  }
  // Both in line order: one walk, not every reference for every marker (40,000 references on one line: 6 s).
  let next = 0;
  for (const stray of masked.matchAll(ANY)) {
    const at = stray.index!;
    while (next < covered.length && covered[next]![1] <= at) next++;
    if (next < covered.length && at >= covered[next]![0]) continue;
    throw new MarkerError(file, number, at + 1, UNRECOGNIZED);
  }
  return result + line.slice(last);
}

/**
 * A value runs to the first closing marker, so a marker inside it would be replaced with it, and
 * the text around it lost: `<!-- ports:ref a -->1<!-- ports:ref b -->2<!-- /ports:ref -->` became
 * one reference to a.
 */
function refuseMarkerInValue(value: string, open: string, openAt: number, number: number, file: string): void {
  const inner = FIRST_MARKER.exec(value);
  if (!inner) return;
  const at = openAt + open.length + inner.index;
  if (inner[1] || !inner[2]) throw new MarkerError(file, number, at + 1, UNRECOGNIZED);
  throw new MarkerError(
    file,
    number,
    at + 1,
    `a ref marker cannot hold another: ${open} at column ${openAt + 1} is still open; close it with <!-- /ports:ref --> before opening the next`,
  );
}
