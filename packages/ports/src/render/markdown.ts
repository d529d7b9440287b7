// Markdown building blocks shared by the docs renderers. Every table cell goes
// through sanitizeMarkdownTable, so a `|` or a newline in ports.yaml can never
// break a table.

/** Make text safe for one Markdown table cell: escape `\` and `|`, turn newlines into `<br/>`. */
export function sanitizeMarkdownTable(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r\n|\r|\n/g, '<br/>')
    .trim();
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

/** Text as written when it already has code spans; otherwise all of it as code. */
export function codeOrAsIs(text: string): string {
  return text.includes('`') ? sanitizeMarkdownLine(text) : inlineCode(sanitizeMarkdownLine(text));
}

function displayWidth(text: string): number {
  return [...text].length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}
