// Markdown building blocks shared by the docs renderers. Text from ports.yaml
// reaches the page through markdownText (names, labels: plain text) or
// markdownProse (purpose, notes, details: plain text with `code spans`), so
// that HTML, a link or emphasis in the registry shows as written instead of
// acting on the page. Every table cell goes through sanitizeMarkdownTable, so
// a `|` or a newline in ports.yaml can never break a table.

/**
 * Make Markdown safe for one table cell: `|` becomes `\|` (GFM splits rows at
 * it, code spans included, and reads `\|` as a `|` there too), newlines
 * `<br/>` (in a code span, spaces: a `<br/>` there would show as text). The
 * cell is Markdown already: its text went through markdownText or
 * markdownProse, which escape backslashes; inside a code span a backslash
 * is a character, so it is left alone here (doubled, `x\y` would read `x\\y`).
 * A code span with a backslash right before a `|` (`` `grep '8010\|api'` ``)
 * cannot be written in a cell at all: GFM reads `\\|` as an escaped backslash
 * and a `|` that ends the cell, and `\\\|` as two backslashes and a `|`. It
 * becomes `<code>` with every punctuation character of its text an entity
 * (codeElement).
 */
export function sanitizeMarkdownTable(text: string): string {
  let out = '';
  let from = 0;
  for (const [start, end] of codeSpans(text, true)) {
    const span = text.slice(start, end);
    // A code span's line endings are spaces (as CommonMark reads them), so no <br/> lands inside it as text.
    const code = span.replace(/\r\n|\r|\n/g, ' ');
    out += escapePipes(text.slice(from, start)) + (/\\\|/.test(code) ? codeElement(code) : escapePipes(code));
    from = end;
  }
  return (out + escapePipes(text.slice(from))).replace(/\r\n|\r|\n/g, '<br/>').trim();
}

function escapePipes(markdown: string): string {
  return markdown.replace(/\|/g, '\\|');
}

/**
 * A code span (its backticks included) as the `<code>` element CommonMark makes of it: its line endings spaces, one
 * space stripped from each end when both are spaces and it is not all spaces; every ASCII punctuation character as a
 * numeric entity (`&#124;`), so that nothing in it acts: no `|` ends the table cell, no `\` escapes one, no `*`, `_` or
 * `~` emphasizes or strikes through, no backtick opens a code span, no `<` opens HTML, and no `scheme://`, `www.` or
 * `a@b` is autolinked (GFM's renderers parse Markdown inside raw HTML elements in a cell).
 */
function codeElement(span: string): string {
  const fence = /^`+/.exec(span)![0].length;
  let code = span.slice(fence, -fence).replace(/\r\n|\r|\n/g, ' ');
  if (code.length >= 2 && code.startsWith(' ') && code.endsWith(' ') && code.trim() !== '') code = code.slice(1, -1);
  return `<code>${code.replace(/[!-/:-@[-`{-~]/g, (char) => `&#${char.charCodeAt(0)};`)}</code>`;
}

/** Make text safe for one line of a Markdown list item: newlines become spaces. */
export function sanitizeMarkdownLine(text: string): string {
  return text.replace(/\s*(\r\n|\r|\n)\s*/g, ' ').trim();
}

/** A GitHub-flavoured Markdown table with padded columns; cells are sanitized here. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers, ...rows].map((row) => headers.map((_, index) => sanitizeMarkdownTable(row[index] ?? '')));
  const widths = headers.map((_, index) => Math.max(3, ...cells.map((row) => displayWidth(row[index]!))));
  const line = (row: readonly string[]) => `| ${row.map((cell, index) => pad(cell, widths[index]!)).join(' | ')} |`;
  const [head, ...body] = cells;
  return [line(head!), `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`, ...body.map(line)].join('\n');
}

/** Inline code that survives backticks in the text. */
export function inlineCode(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const space = longest > 0 ? ' ' : '';
  return `${fence}${space}${text}${space}${fence}`;
}

const ENTITIES: Readonly<Record<string, string>> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };

/**
 * Plain text as Markdown that shows it as written, on a line of its own or
 * within one: `<`, `>` and `&` as entities (no HTML tag, comment or entity
 * reference), `\`, `` ` ``, `*`, `~`, `[`, `]` and `$` backslash-escaped (no code
 * span, emphasis, strikethrough, link, image or GitHub's math), the start of
 * a bare URL, `www.` name or e-mail address too (no autolink), `_` too where it could
 * emphasize (CONTIMG_API_PORT keeps its own: between letters or digits it
 * never does), and a start that would begin a block (`#`, `-`, `+`, `=`,
 * `1.`) escaped for a list item that begins with it.
 */
export function markdownText(text: string): string {
  return escapeBlockStart(escapeInline(text));
}

/**
 * Prose from ports.yaml as Markdown: its code spans (`/api/health`, paired
 * backticks as CommonMark pairs them) kept as code, everything else as
 * markdownText. A backslash in the prose is a character, as in the YAML.
 * A code span's line breaks become spaces (as Markdown shows them), so a
 * table cell's `<br/>` never lands inside one.
 */
export function markdownProse(text: string): string {
  let out = '';
  let from = 0;
  for (const [start, end] of codeSpans(text, false)) {
    out += escapeInline(text.slice(from, start)) + text.slice(start, end).replace(/\r\n|\r|\n/g, ' ');
    from = end;
  }
  return escapeBlockStart(out + escapeInline(text.slice(from)));
}

/** A command: as prose when it has code spans (`` `npm run dev` in `/srv` ``), otherwise all of it as code. */
export function codeOrProse(text: string): string {
  const line = sanitizeMarkdownLine(text);
  return codeSpans(line, false).length > 0 ? markdownProse(line) : inlineCode(line);
}

function escapeInline(text: string): string {
  return text
    .replace(/[\\`*~[\]$]/g, '\\$&')
    .replace(/[<>&]/g, (char) => ENTITIES[char]!)
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
    .replace(AUTOLINK_START, (start) => `${start.slice(0, -1)}\\${start.slice(-1)}`);
}

/**
 * Where GitHub's extended autolinks start, so that a URL, `www.` name or e-mail address in the registry's text stays
 * text on the page: the `:` of `scheme://`, the `.` of `www.`, the `@` of an address (an escaped character breaks
 * the run GFM and marked look for).
 */
const AUTOLINK_START = /\b[A-Za-z][A-Za-z0-9+.-]*:(?=\/\/)|(?<![\w.-])www\.|[\w.+-]@(?=[\w-])/g;

/** A heading (`#`), list item (`-`, `+`, `1.`, `1)`), thematic break or setext underline (`-`, `=`) at the start, escaped. */
function escapeBlockStart(markdown: string): string {
  return markdown.replace(/^[#+=-]/, '\\$&').replace(/^(\d{1,9})([.)])/, '$1\\$2');
}

/** ASCII punctuation: what a backslash escapes in Markdown (before anything else it is a backslash). */
const ESCAPABLE = /[!-/:-@[-`{-~]/;

/**
 * Where `text`'s code spans are, `[start, end)` each, as CommonMark finds
 * them: a run of backticks opens one and closes at the next run of exactly
 * its length, inside which a backslash is just a character; a run that
 * nothing closes is text. With `escapes` (a Markdown page), a backslash
 * before punctuation escapes it, so `` \` `` opens nothing; without (the
 * registry's prose), a backslash is a character like any other. Each
 * length's runs are listed once and walked forward: one pass, however many
 * runs are left unclosed.
 */
export function codeSpans(text: string, escapes: boolean): [number, number][] {
  const spans: [number, number][] = [];
  if (!text.includes('`')) return spans;
  const runs = new Map<number, { starts: number[]; next: number }>();
  for (const run of text.matchAll(/`+/g)) {
    const length = run[0].length;
    const list = runs.get(length) ?? runs.set(length, { starts: [], next: 0 }).get(length)!;
    list.starts.push(run.index);
  }
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (char === '\\' && escapes) {
      at += ESCAPABLE.test(text[at + 1] ?? '') ? 2 : 1;
      continue;
    }
    if (char !== '`') {
      at++;
      continue;
    }
    let end = at;
    while (text[end] === '`') end++;
    // The opening run is whole from here (an escaped backtick before it is not part of it); a closer is a whole run.
    const closers = runs.get(end - at);
    while (closers && closers.next < closers.starts.length && closers.starts[closers.next]! < end) closers.next++;
    if (!closers || closers.next === closers.starts.length) {
      at = end;
      continue;
    }
    const close = closers.starts[closers.next]! + (end - at);
    spans.push([at, close]);
    at = close;
  }
  return spans;
}

function displayWidth(text: string): number {
  return [...text].length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}
