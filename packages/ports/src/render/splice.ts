// Regenerating parts of a Markdown page between markers, as
// eslint-doc-generator does: the page is prose by hand, and each
//   <!-- ports:NAME:start --> ... <!-- ports:NAME:end -->
// block (each marker alone on its line) is replaced as a whole, with fixed
// blank lines so that splicing twice changes nothing. Inline values use
//   <!-- ports:ref KEY -->VALUE<!-- /ports:ref -->
// on one line, a value holding no marker. Markers inside fenced code blocks and code spans are text.
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
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  const seen = new Map<string, number>();
  let open: { name: string; line: number } | undefined;
  let fence: string | undefined;

  lines.forEach((line, index) => {
    const number = index + 1;
    const trimmed = line.trim();
    const block = BLOCK.exec(trimmed);
    if (fence === undefined && block) {
      const [, name, edge] = block as unknown as [string, string, 'start' | 'end'];
      const start = `<!-- ports:${name}:start -->`;
      const end = `<!-- ports:${name}:end -->`;
      if (!known.includes(name)) {
        throw new MarkerError(file, number, line.indexOf('<') + 1, `unknown generated section "${name}"; known sections: ${known.join(', ')}`);
      }
      if (edge === 'start') {
        if (open) {
          throw new MarkerError(
            file,
            open.line,
            1,
            `<!-- ports:${open.name}:start --> has no <!-- ports:${open.name}:end --> before the next section's ${start} on line ${number}; add the end marker on its own line after the section`,
          );
        }
        const first = seen.get(name);
        if (first !== undefined) throw new MarkerError(file, number, 1, `section "${name}" appears twice (first on line ${first}); keep one`);
        seen.set(name, number);
        open = { name, line: number };
        out.push(line);
        return;
      }
      if (!open) throw new MarkerError(file, number, 1, `${end} has no ${start} before it; add the start marker or remove this line`);
      if (open.name !== name) {
        throw new MarkerError(
          file,
          number,
          1,
          `${end} closes section "${open.name}" (opened on line ${open.line}); add <!-- ports:${open.name}:end --> before it`,
        );
      }
      out.push(GENERATED_NOTE, '', ...options.blocks[name]!.replace(/\n+$/, '').split('\n'), '', line);
      open = undefined;
      return;
    }
    if (open) return; // the old generated contents
    const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch) {
      if (fence === undefined) fence = fenceMatch[1]!;
      else if (fenceMatch[1]!.startsWith(fence[0]!) && fenceMatch[1]!.length >= fence.length && trimmed === fenceMatch[1]) fence = undefined;
      out.push(line);
      return;
    }
    if (fence !== undefined) {
      out.push(line);
      return;
    }
    out.push(spliceReferences(line, number, file, options.reference));
  });

  if (open) {
    throw new MarkerError(
      file,
      open.line,
      1,
      `<!-- ports:${open.name}:start --> has no <!-- ports:${open.name}:end -->; add the end marker on its own line after the section`,
    );
  }
  const missing = known.filter((name) => !seen.has(name));
  if (missing.length > 0) {
    const list = missing.map((name) => `"${name}"`).join(', ');
    throw new MarkerError(
      file,
      0,
      0,
      `missing generated section${missing.length > 1 ? 's' : ''} ${list}; add <!-- ports:NAME:start --> and <!-- ports:NAME:end --> lines where each should go`,
    );
  }
  return out.join(eol);
}

function spliceReferences(line: string, number: number, file: string, reference: SpliceOptions['reference']): string {
  // Code spans are text: mask them so that a marker shown as an example is left alone. As Markdown reads the
  // line: a backslash-escaped backtick (a protected name tick`x is written tick\`x) opens none.
  let masked = '';
  let from = 0;
  for (const [start, end] of codeSpans(line, true)) {
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
