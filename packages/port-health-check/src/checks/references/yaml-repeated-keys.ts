// A key written twice in one block mapping of a YAML file, found from its
// logical lines (prometheus-jobs.ts's logicalLines) by indentation alone.
// Prometheus reads its files with yaml.v2's UnmarshalStrict, which refuses a
// repeated key in any mapping (`promtool check config`: "field static_configs
// already set in type config.ScrapeConfig", `key "x" already set in map`), so
// the file is not loaded at all. A merge key (`<<: *base`) is never one: a
// key it merges that the mapping also sets is taken, the mapping's own winning
// (promtool passes it in a job). A key in a flow mapping (`{a: 1, a: 2}`) is not read here.

/** What of a logical line (prometheus-jobs.ts's LogicalLine) this reads: its text, masked (quoted characters hidden), and where it starts on its line. */
export interface KeyLine {
  readonly line: number;
  readonly text: string;
  readonly masked?: string;
  readonly place?: { readonly from: number };
}

export interface RepeatedKey {
  /** The key, as YAML reads it (a quoted one unquoted). */
  readonly key: string;
  /** Where it is written the second time: its line and 1-based column. */
  readonly line: number;
  readonly column: number;
  /** The line it is first set on. */
  readonly first: number;
  /** The top-level key it is under (undefined for a top-level key itself). */
  readonly section?: string;
  /** The key whose value the mapping is (`labels`), undefined for an item of a list or the top level. */
  readonly parent?: string;
}

/** A block mapping being read: the column its keys stand at, each key with the line it is set on, and the key it is the value of. */
interface OpenMapping {
  readonly indent: number;
  readonly keys: Map<string, number>;
  readonly parent?: string;
  /** The key last set in it: a mapping on the lines after, indented more, is its value. */
  last?: string;
}

/** Every key set a second time (or more) in its block mapping, in file order. */
export function repeatedKeys(lines: readonly KeyLine[]): RepeatedKey[] {
  const repeats: RepeatedKey[] = [];
  const open: OpenMapping[] = [];
  for (const logical of lines) {
    const place = logical.place;
    if (place === undefined) continue;
    const { text } = logical;
    const masked = logical.masked ?? text;
    let at = 0; // after the `- ` of a list item (or several: `- - a: 1`)
    while (text[at] === '-' && (at + 1 === text.length || text[at + 1] === ' ' || text[at + 1] === '\t')) {
      at++;
      while (text[at] === ' ' || text[at] === '\t') at++;
    }
    const dash = at > 0;
    const key = keyAt(text, masked, at);
    // A line that is neither a list item nor a key (a plain scalar's next line, a flow value on its own line) changes no mapping.
    if (!dash && key === undefined) continue;
    const lead = place.from;
    while (open.length > 0 && open[open.length - 1]!.indent > lead) open.pop();
    if (key === undefined) continue;
    const column = lead + at;
    let mapping = open[open.length - 1];
    if (dash || mapping === undefined || mapping.indent !== column) {
      // A list item's mapping starts here; so does a mapping that is the value of the key before it.
      const parent = dash ? undefined : mapping?.last;
      mapping = { indent: column, keys: new Map(), ...(parent !== undefined && { parent }) };
      open.push(mapping);
    }
    mapping.last = key;
    if (key === '<<') continue;
    const first = mapping.keys.get(key);
    if (first === undefined) {
      mapping.keys.set(key, logical.line);
      continue;
    }
    const section = open.length > 1 ? open[0]!.last : undefined;
    repeats.push({
      key,
      line: logical.line,
      column: column + 1,
      first,
      ...(section !== undefined && { section }),
      ...(mapping.parent !== undefined && { parent: mapping.parent }),
    });
  }
  return repeats;
}

/**
 * The block mapping key a line's text starts with at `at` (`static_configs:`, `'job_name':`, `a b:`), as YAML reads
 * it; undefined when it starts with none: a scalar (`localhost:9090`, whose `:` no space follows), a flow
 * collection, an explicit `? ` key, an alias or anchor. `masked`: the text with its quoted characters hidden.
 */
function keyAt(text: string, masked: string, at: number): string | undefined {
  if (at >= text.length || '[{?*&!|>%@`#'.includes(text[at]!)) return undefined;
  let colon = masked.indexOf(':', at);
  while (colon >= 0 && colon + 1 < masked.length && masked[colon + 1] !== ' ' && masked[colon + 1] !== '\t') colon = masked.indexOf(':', colon + 1);
  if (colon < 0) return undefined;
  const written = text.slice(at, colon).trimEnd();
  const quote = written[0];
  if (quote !== "'" && quote !== '"') return written === '' || /["'[\]{},]/.test(masked.slice(at, colon)) ? undefined : written;
  // A quoted key ends at its closing quote, just before the `:`; its text as written between them (`''` is one quote).
  if (written.length < 2 || written[written.length - 1] !== quote || masked.slice(at + 1, at + written.length - 1).includes(quote)) return undefined;
  const inner = written.slice(1, -1);
  return quote === "'" ? inner.replaceAll("''", "'") : inner;
}
