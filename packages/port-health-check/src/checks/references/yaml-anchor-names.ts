// An anchor or alias name Go's yaml.v2 (Prometheus's parser) does not scan:
// it takes a name of ASCII letters, digits, `_` and `-` only, which must end
// at white space, the line's end or one of `? : , ] } % @` and a backtick (its scanner's
// yaml_parser_scan_anchor); anything else (`&sc.api`, `*é`, a target written
// `- *.example.com`) is a syntax error, so Prometheus refuses the whole file
// (`promtool check config`: "did not find expected alphabetic or numeric
// character"), though the yaml package reads it.

/** What of a logical line (prometheus-jobs.ts's LogicalLine) this reads: its number, text and masked text (quoted characters hidden). */
interface NameLine {
  readonly line: number;
  readonly text: string;
  readonly masked?: string;
}

/** A name yaml.v2 refuses: as written (`&sc.api`), at its line and column (where known). */
export interface RefusedName {
  readonly written: string;
  readonly line: number;
  readonly column?: number;
}

/** The first anchor or alias in the lines whose name yaml.v2 refuses (it stops at the first syntax error), if any, with its column (`columnOf` a line's text index). */
export function refusedAnchorName<Line extends NameLine>(
  lines: readonly Line[],
  columnOf: (line: Line, index: number) => number | undefined,
): RefusedName | undefined {
  for (const logical of lines) {
    const masked = logical.masked ?? logical.text;
    if (!masked.includes('&') && !masked.includes('*')) continue;
    let depth = 0; // flow collections open at this point of the line
    let indicators = 0; // the length of the line's block indicators (`- `, `? `) before its content
    while (indicators < masked.length && ' \t-?'.includes(masked[indicators]!)) indicators++;
    for (let at = 0; at < masked.length; at++) {
      const char = masked[at]!;
      if (char === '[' || char === '{') {
        if (depth > 0 || startsNode(masked, at, 0, indicators)) depth++;
      } else if (char === ']' || char === '}') depth = Math.max(0, depth - 1);
      else if ((char === '&' || char === '*') && startsNode(masked, at, depth, indicators)) {
        let end = at + 1;
        while (end < masked.length && isNameChar(masked.charCodeAt(end))) end++;
        if (end > at + 1 && (end === masked.length || ENDS_NAME.has(masked[end]!))) continue;
        let written = end;
        while (written < masked.length && !' \t,[]{}'.includes(masked[written]!)) written++;
        const column = columnOf(logical, at);
        return { written: logical.text.slice(at, Math.max(written, at + 1)), line: logical.line, ...(column !== undefined && { column }) };
      }
    }
  }
  return undefined;
}

/** What may follow a name in yaml.v2: white space, or one of these. */
const ENDS_NAME = new Set([' ', '\t', '?', ':', ',', ']', '}', '%', '@', '`']);

/** `[0-9A-Za-z_-]`: yaml.v2's is_alpha. */
function isNameChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 45;
}

/**
 * Whether the character at `at` starts a node (its properties, an alias, a flow collection), where YAML reads one:
 * after nothing but block indicators (`- `, `? `) on the line, after `: `, or, inside a flow collection (`depth`),
 * right after `[`, `{` or `,`; never inside a plain scalar (`regex: a *b`, `.*`, `a,*b`). `indicators`: where the
 * line's leading block indicators and white space end.
 */
function startsNode(masked: string, at: number, depth: number, indicators: number): boolean {
  let before = at - 1;
  while (before >= 0 && (masked[before] === ' ' || masked[before] === '\t')) before--;
  const spaced = before < at - 1;
  if (before < 0) return true;
  const char = masked[before]!;
  if (depth > 0 && (char === '[' || char === '{' || char === ',')) return true;
  if (char === ':') return spaced;
  // Only block indicators before it: `- - &a`, `? *k`.
  return (char === '-' || char === '?') && spaced && before < indicators;
}
