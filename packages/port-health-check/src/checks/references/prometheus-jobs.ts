// prometheus.yml's scrape jobs, read line by line as the file is written (no
// YAML parser at start-up): a top-level key at the start of a line opens its
// section, and only `scrape_configs:` holds jobs (a `targets:` under
// `alerting:` is an Alertmanager's, not a job's); a job is one item of its
// list (a `- ` at the column of its first one, or a flow mapping with a
// `job_name:` of its own), and every key in the item is the job's, whatever
// their order: host:port strings on `targets` lines and the list items after
// them are its targets, `files:` under `file_sd_configs:` its file_sd files,
// any other `*_sd_configs:` a discovery this check cannot read, `job_name:`
// its name, first, in the middle or last; the `scrape_config_files:` section
// lists more files of jobs. A flow collection that spans lines is read as one
// line, and a job written as a flow mapping (`- {static_configs: [...],
// job_name: x}`, or an item of `scrape_configs: [{...}]`) is read too. A scrape config file (Prometheus
// 2.43+) is read the same way. YAML's quoting is honoured throughout: what a
// quoted scalar holds (`"a]b"`, `'it''s'`, `"x\" #y"`) is text, never a
// bracket, comma, key or comment to the scanners. A job's `scheme:` written
// otherwise than as one word (a tag, an anchor, the value on the next line)
// is read by the real YAML parser, loaded only for such a file.
import { parseConfigYaml } from '@dsa110/ports';
import { characterColumn, yamlLineBreaks } from './finding.js';
import { unknownField, type UnknownField } from './prometheus-fields.js';
import { refusedAnchorName, type RefusedName } from './yaml-anchor-names.js';
import { isRefusedLabel } from './yaml-label-names.js';
import { type KeyPlace, MAP_KEYS, repeatedKeys, type RepeatedKey, type SetKey } from './yaml-repeated-keys.js';
import { isQuote, unquote, yamlScalar } from './yaml-scalar.js';

export { unquote, yamlScalar } from './yaml-scalar.js';

/** A string and the line it is on. */
export interface AtLine {
  readonly line: number;
  readonly value: string;
  /**
   * Of a target: the 1-based column its text starts at on that line (inside its quotes, if quoted), in characters
   * (Finding.column); left out where that is not known exactly (a value on a later line of a flow list that spans lines).
   */
  readonly column?: number;
}

export interface ScrapeJob {
  readonly name: string;
  /** The line of its `job_name:`. */
  readonly line: number;
  readonly targets: AtLine[];
  /** Each `files:` entry of its file_sd_configs, as written. */
  readonly fileSd: AtLine[];
  /** Other service discovery it uses (`consul_sd_configs`, ...), with the line of each. */
  readonly otherSd: AtLine[];
  /**
   * Its own `scheme:` (a key of the job, not of a discovery in it: consul_sd_configs has one), as written; undefined
   * when it has none (Prometheus scrapes by http); `unread` when this reader cannot tell (a relabelling that sets
   * `__scheme__`; a job written as a flow mapping that names a scheme, or a scheme written as more than one word,
   * that the real YAML parser could not read either), with the line.
   */
  readonly scheme?: AtLine | { readonly line: number; readonly unread: true; readonly flow?: true };
  /** The 1-based column its keys stand at, for a job written as a block item. */
  readonly column?: number;
  /**
   * Set when its targets are not known: it uses a YAML alias or merge key (`static_configs: *sc`, `<<: *base`) that
   * the YAML parser could not resolve (see resolveAliases), with the line and why.
   */
  readonly unread?: { readonly line: number; readonly why: string };
  /** Set when a key is written twice in its item (repeatedKeys), its own or in a mapping inside it: Prometheus refuses the file, so nothing else of it is judged. */
  readonly repeated?: true;
  /** The keys in its item, its own or in a mapping inside it, that Prometheus 2.42 has no field for (prometheus-fields.ts). */
  readonly unknownFields?: readonly UnknownField[];
}

export interface ScrapeConfigs {
  readonly jobs: ScrapeJob[];
  /** The `scrape_config_files:` entries, as written. */
  readonly scrapeConfigFiles: AtLine[];
  /** Every top-level key with its line (a scrape config file may hold only `scrape_configs`). */
  readonly sections: AtLine[];
  /**
   * Set when scrape_configs uses a YAML alias or merge key the YAML parser could not resolve where a job's name
   * may come from it (`scrape_configs: *jobs`, `- *job`): the jobs it gives are not known. The line and why.
   */
  readonly unreadJobs?: { readonly line: number; readonly why: string };
  /** Each key written twice in one block mapping of the file (repeatedKeys): Prometheus refuses the file. */
  readonly repeats: RepeatedKey[];
  /** The first anchor or alias whose name Prometheus's parser does not scan (refusedAnchorName): it refuses the file. */
  readonly refusedName?: RefusedName;
  /** The first label name Prometheus refuses (isRefusedLabel): it refuses the file. */
  readonly refusedLabel?: SetKey;
  /** The first quoted `<<` key (`'<<':`) in a mapping of a section that is no Go map: a key, not a merge, which Prometheus refuses (field << not found). */
  readonly quotedMerge?: SetKey;
  /** The first merge key (`<<`) whose value is written as no mapping (`<<: x`, `<<: [x]`, `<<: [[a]]`): Prometheus refuses the file. */
  readonly badMerge?: KeyPlace;
  /** Each key, in `global:` or a job, that Prometheus 2.42 has no field for (unknownField), in file order. */
  readonly unknownFields: UnknownField[];
  /**
   * Of a document written as one flow mapping: set when a key of it is not read (an explicit `? key`, a tag other than
   * !!str, an alias, a merge key `<<`), so its top-level keys are not all known. Its line.
   */
  readonly unreadTopKey?: number;
  /** Set when the document is a flow list (`[...]`), which Prometheus refuses (cannot unmarshal !!seq into config.plain): its line. */
  readonly listDocument?: number;
}

/** Where a line's scan stands at its end, carried to the next line: how deep `[` and `{` nest, and the quote of a quoted scalar still open. */
interface YamlScan {
  depth: number;
  quote: '' | "'" | '"';
}

/** What stands in masked text for a character of a quoted scalar that is not a letter, digit or `_`. */
const HIDDEN = '\u0001';

/**
 * A line's text as the scanners read it: the same length, with every
 * character a quoted scalar holds, but letters, digits and `_`, replaced by
 * HIDDEN (so `"a]b"`, `'it''s'` and `"x\" #y"` hold no bracket, quote, comma,
 * colon, space or `#`, and a quoted key, `'targets':`, still reads as one);
 * and, with `comments`, where a comment starts (`#` outside quotes, at the
 * start or after white space, as YAML has it: `http://h/#x` holds none).
 * A quote opens a quoted scalar only where one may start (at the start, after
 * `[`, `{`, `,`, or `:`, `-`, `?` and white space): in `it's` it is text.
 * `scan` carries the flow depth and an open quote from line to line. One pass.
 */
function scanYaml(raw: string, scan: YamlScan, comments: boolean): { masked: string; cut: number } {
  let masked = '';
  let copied = 0; // raw before this is in masked
  const hide = (at: number) => {
    masked += raw.slice(copied, at) + HIDDEN;
    copied = at + 1;
  };
  let before = ''; // the last character outside quotes that is not white space ('' at the start)
  let spaced = true; // white space (or the line's start) since then
  let cut = raw.length;
  for (let at = 0; at < raw.length; at++) {
    const code = raw.charCodeAt(at);
    if (scan.quote !== '') {
      if (scan.quote === '"' && code === 92 /* \ */) {
        hide(at);
        if (at + 1 < raw.length) hide(++at);
      } else if (raw[at] !== scan.quote) {
        if (!isKeyChar(code) && !(code >= 65 && code <= 90)) hide(at); // A-Z kept too
      } else if (scan.quote === "'" && raw[at + 1] === "'") {
        hide(at); // '' is a quote inside single quotes
        hide(++at);
      } else {
        scan.quote = '';
        before = raw[at]!;
        spaced = false;
      }
      continue;
    }
    if (isSpaceCode(code)) {
      spaced = true;
      continue;
    }
    const char = raw[at]!;
    if (comments && char === '#' && spaced) {
      cut = at;
      break;
    }
    if ((char === "'" || char === '"') && opensQuote(before, spaced, scan.depth)) scan.quote = char;
    else if (char === '[' || char === '{') scan.depth++;
    else if (char === ']' || char === '}') scan.depth = Math.max(0, scan.depth - 1);
    before = char;
    spaced = false;
  }
  return { masked: copied === 0 ? raw : masked + raw.slice(copied), cut };
}

/** Whether a quote after `before` (and white space, `spaced`) starts a quoted scalar: at a value's start, not inside a plain one (`it's`). */
function opensQuote(before: string, spaced: boolean, depth: number): boolean {
  if (before === '' || before === '[' || before === '{' || before === ',') return true;
  if (before === ':') return spaced || depth > 0; // `{"a":"b"}` in a flow collection
  return (before === '-' || before === '?') && spaced;
}

/** A flow collection's or line's text with its quoted scalars' characters hidden (see scanYaml), for the scanners: the text itself when it holds none. */
export function maskQuoted(text: string): string {
  return scanYaml(text, { depth: 0, quote: '' }, false).masked;
}

/** A line of logicalLines: whether it starts at column 0 (a top-level key) and how far its key is indented (after any `- `), besides its number and text. */
export interface LogicalLine {
  readonly line: number;
  text: string;
  /** The text with its quoted scalars' characters hidden (maskQuoted), for the scanners; the text itself when absent. */
  masked?: string;
  readonly topLevel: boolean;
  readonly indent: number;
  /** Of a block sequence entry (`- ...`, a line whose first character is a `-` before white space or its end): the column of that `-`. */
  readonly dash?: number;
  /** Where its text stands on the physical line it starts on (columnReader); left out, no column is known. */
  readonly place?: LinePlace;
  /** Of a flow collection or quoted scalar joined from the lines after: where each of those lines' text stands (a repeated key's line and column). */
  joins?: LineJoin[];
}

/** A physical line joined to a logical line: from `at` of the logical line's text on, its text is `raw`'s from `from`, on line `line`. */
export interface LineJoin {
  readonly at: number;
  readonly line: number;
  readonly raw: string;
  readonly from: number;
}

/**
 * Where a logical line's text stands on the physical line it starts on: `raw`, that line; `from`, the index its text
 * starts at there; `exact`, how much of its text (as logicalLines made it) is that line's (the rest is joined from the
 * lines after); `cuts`, the `labels: {...}` withoutLabels took out of it, each where it was in the text left (`at`) and
 * how long it was.
 */
export interface LinePlace {
  readonly raw: string;
  readonly from: number;
  readonly exact: number;
  readonly cuts?: readonly { readonly at: number; readonly length: number }[];
}

/**
 * The column (Finding.column) of the text at `index` of a logical line's text, on the physical line it starts on;
 * undefined where that is not known (text joined from a later line, or a line without its place). Asked left to
 * right along a line, as its values are read, it counts each character once (characterColumn from where it
 * stopped): a flow list of many targets on one long line costs one pass, not one per target.
 */
export function columnReader(line: LogicalLine): (index: number) => number | undefined {
  const place = line.place;
  if (place === undefined) return () => undefined;
  const cuts = place.cuts ?? [];
  let cut = 0; // the cuts before the index last asked for
  let removed = 0; // and their length
  let counted = 0; // the index of the raw line counted to
  let column = 1; // and its column
  return (index) => {
    if (index < 0) return undefined;
    if (cuts.length > 0 && cut > 0 && index < cuts[cut - 1]!.at) [cut, removed] = [0, 0];
    while (cut < cuts.length && cuts[cut]!.at <= index) removed += cuts[cut++]!.length;
    const written = index + removed; // where it is in the text before the cuts
    if (written >= place.exact) return undefined;
    const at = place.from + written;
    if (at < counted) [counted, column] = [0, 1];
    column += characterColumn(place.raw, counted, at) - 1;
    counted = at;
    return column;
  };
}

/**
 * The line and column of the text at `index` of a logical line's text, through the lines joined to it (a flow
 * collection that spans lines): columnReader's on the line it starts on, else the joined line's (its column where
 * that line's text is not cut by withoutLabels). Asked left to right, each joined line is counted about once.
 */
export function placeReader(line: LogicalLine): (index: number) => { line: number; column?: number } {
  const first = columnReader(line);
  const joins = line.joins ?? [];
  const cuts = line.place?.cuts ?? [];
  let part = -1; // the join last asked about
  let counted = 0; // the index of its raw line counted to
  let column = 1; // and its column
  let cut = 0; // the cuts before the index last asked about
  let removed = 0; // and their length
  return (index) => {
    const known = first(index);
    if (known !== undefined) return { line: line.line, column: known };
    if (joins.length === 0 || index < 0) return { line: line.line };
    // Where it is in the text before withoutLabels' cuts: the cuts before it counted from where the last ask stopped.
    if (cut > 0 && index < cuts[cut - 1]!.at) [cut, removed] = [0, 0];
    while (cut < cuts.length && cuts[cut]!.at <= index) removed += cuts[cut++]!.length;
    const written = index + removed;
    // The last join at or before it (joins are in text order).
    let [low, high] = [0, joins.length - 1];
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (joins[middle]!.at <= written) low = middle;
      else high = middle - 1;
    }
    const join = joins[low]!;
    if (join.at > written) return { line: line.line };
    const at = join.from + written - join.at;
    if (low !== part || at < counted) [part, counted, column] = [low, join.from, characterColumn(join.raw, 0, join.from)];
    column += characterColumn(join.raw, counted, at) - 1;
    counted = at;
    return { line: join.line, column };
  };
}

/** A logical line's text as the scanners read it. */
export const maskedOf = (line: { readonly text: string; readonly masked?: string }): string => line.masked ?? line.text;

/**
 * Lines without comments, trimmed, blank ones dropped, with a flow collection
 * or a quoted scalar that spans lines (`targets: ['a',\n 'b']`) joined into
 * one, at the line it starts on; of the first YAML document only
 * (Prometheus, yaml.Unmarshal, reads no other), and without the text of block
 * scalars (`note: |` and the lines indented under it are a string, whatever
 * they look like). A `#` is a comment as YAML has it: outside quotes, at a
 * line's start or after white space (`regex: "a#b"` and `http://h/#x` hold
 * none).
 */
export function logicalLines(given: string): LogicalLine[] {
  // A byte-order mark is no character of the first line (YAML, and Prometheus, drop it): its key is at column 1.
  const text = yamlLineBreaks(given.charCodeAt(0) === 0xfeff ? given.slice(1) : given);
  const raw = text.split('\n');
  const joined: LogicalLine[] = [];
  let started = false; // a `---` has started the first document
  const scan: YamlScan = { depth: 0, quote: '' };
  let scalar: number | undefined; // lines indented more than this are an open block scalar's text
  let markerLine: number | undefined; // the index of a `---` line the document's flow collection starts on
  for (let index = 0; index < raw.length; index++) {
    const start = raw[index]!;
    const inQuote = scan.quote !== '';
    const continued = scan.depth > 0 || inQuote;
    if (!continued) {
      const lead = leadingSpace(start);
      if (lead === start.length || start[lead] === '#') continue; // blank, or a comment
      // A directive (`%YAML 1.1`, `%TAG ...`), which only the lines before the first document's `---` may be: no content.
      if (start[0] === '%' && !started && joined.length === 0) continue;
      if (isDocumentMarker(start)) {
        // The next document, or the end of this one (`---` twice: the first document is empty, and so is what Prometheus reads).
        if (joined.length > 0 || started || start.startsWith('...')) break;
        started = true; // `---` before the first document's content starts it
        // `--- {scrape_configs: [...]}`: a document written as one flow collection may start on the marker's line.
        if (!FLOW_DOCUMENT.test(start.slice(3).trimStart())) continue;
        markerLine = index;
      }
      if (scalar !== undefined && lead > scalar) continue;
      scalar = undefined;
    }
    const { masked, cut } = scanYaml(markerLine === index ? `   ${start.slice(3)}` : start, scan, true);
    let from = markerLine === index ? 3 : 0;
    let to = cut;
    while (from < to && isSpaceAt(start, from)) from++;
    while (to > from && isSpaceAt(start, to - 1)) to--;
    if (from === to) continue;
    const [content, hidden] = [start.slice(from, to), masked.slice(from, to)];
    if (continued && joined.length > 0) {
      const last = joined[joined.length - 1]!;
      (last.joins ??= []).push({ at: last.text.length + 1, line: index + 1, raw: start, from });
      // A line break folds to a space: inside quotes, the scalar's own.
      last.masked = `${maskedOf(last)}${inQuote ? HIDDEN : ' '}${hidden}`;
      last.text += ` ${content}`;
    } else {
      const lead = leadingSpace(start);
      const dash = start[lead] === '-' && (lead + 1 === start.length || isSpaceAt(start, lead + 1)) ? lead : undefined;
      joined.push({
        line: index + 1,
        text: content,
        ...(hidden !== content && { masked: hidden }),
        topLevel: !isSpaceAt(start, 0) || markerLine === index,
        indent: keyIndent(start),
        ...(dash !== undefined && { dash }),
        place: { raw: start, from, exact: content.length },
      });
      scalar = blockScalarIndent(content, start);
    }
  }
  return joined;
}

/** A key written on the first document's `---` line: where it starts, and how it is written. */
export interface KeyOnMarker {
  readonly line: number;
  readonly column: number;
  readonly key: string;
}

/**
 * A block mapping started on the first document's `---` line (`--- global:`),
 * which Go's yaml.v2 refuses whole ("mapping values are not allowed in this
 * context", promtool check config 2.42) though other YAML readers take it; a
 * flow mapping there (`--- {global: {}}`) it reads. Later documents are never
 * parsed that far, so only the first marker counts.
 */
export function keyOnMarker(given: string): KeyOnMarker | undefined {
  const text = yamlLineBreaks(given.charCodeAt(0) === 0xfeff ? given.slice(1) : given);
  for (const [index, raw] of text.split('\n').entries()) {
    const lead = leadingSpace(raw);
    if (lead === raw.length || raw[lead] === '#' || raw[0] === '%') continue; // blank, a comment, a directive
    if (!raw.startsWith('---') || !(raw.length === 3 || isSpaceAt(raw, 3))) return undefined; // content first: no marker line
    let at = 3;
    // Anchors and tags before the key are the key's own (`--- &a global:` is refused just the same).
    for (;;) {
      while (isSpaceAt(raw, at)) at++;
      if (raw[at] !== '&' && raw[at] !== '!') break;
      while (at < raw.length && !isSpaceAt(raw, at)) at++;
    }
    const start = at;
    if (at === raw.length || '#{['.includes(raw[at]!)) return undefined; // nothing, a comment, or a flow collection
    if (raw[at] === '"' || raw[at] === "'") {
      const quote = raw[at]!;
      for (at++; at < raw.length; at++) {
        if (quote === '"' && raw[at] === '\\') at++;
        else if (raw[at] === quote && quote === "'" && raw[at + 1] === "'") at++;
        else if (raw[at] === quote) break;
      }
      at++;
      while (isSpaceAt(raw, at)) at++;
      if (raw[at] !== ':') return undefined;
    } else {
      // A plain scalar ends at `: ` (a key) or ` #` (a comment); `a:b` is one scalar.
      while (at < raw.length && !(raw[at] === ':' && (at + 1 === raw.length || isSpaceAt(raw, at + 1)))) {
        if (raw[at] === '#' && isSpaceAt(raw, at - 1)) return undefined;
        at++;
      }
      if (at === raw.length) return undefined;
    }
    if (at + 1 < raw.length && !isSpaceAt(raw, at + 1)) return undefined;
    let end = at;
    while (end > start && isSpaceAt(raw, end - 1)) end--;
    return { line: index + 1, column: characterColumn(raw, 0, start), key: raw.slice(start, end) };
  }
  return undefined;
}

/** A document written as one flow collection, after any anchor or tag (`{...}`, `&top {...}`, `!!map {...}`). */
const FLOW_DOCUMENT = /^(?:[&!]\S*\s+)*[[{]/;

/** Whether a raw line is `---` or `...` at its start, alone or before a space: a YAML document's start or end. */
function isDocumentMarker(raw: string): boolean {
  return (raw.startsWith('---') || raw.startsWith('...')) && (raw.length === 3 || isSpaceAt(raw, 3));
}

/** How many white-space characters a raw line starts with. */
export function leadingSpace(raw: string): number {
  let at = 0;
  while (isSpaceAt(raw, at)) at++;
  return at;
}

/**
 * When a content line opens a block scalar (`key: |`, `key: >-`, `- |2`), the
 * indentation its text lines are deeper than: the key's column, or the `-`'s
 * for a list item; undefined for any other line.
 */
function blockScalarIndent(text: string, raw: string): number | undefined {
  let end = text.length;
  // Up to two indicators after `|` or `>`: chomping (+ -) and indentation (1-9).
  while (end > text.length - 2 && end > 0 && isScalarIndicator(text.charCodeAt(end - 1))) end--;
  const style = text[end - 1];
  if (style !== '|' && style !== '>') return undefined;
  let before = end - 2;
  if (!isSpaceAt(text, before)) return undefined; // `a|` is a plain scalar
  while (before > 0 && isSpaceAt(text, before)) before--;
  const lead = leadingSpace(raw);
  if (text[before] === ':') return keyIndent(raw);
  return text[before] === '-' ? lead + before : undefined;
}

const isScalarIndicator = (code: number) => code === 43 /* + */ || code === 45 /* - */ || (code >= 49 && code <= 57); // 1-9

/** Whether `text[index]` is a character `\s` matches (a plain test: a regular expression per line is not free in a fresh process); false past the end. */
export function isSpaceAt(text: string, index: number): boolean {
  return isSpaceCode(text.charCodeAt(index));
}

/** Whether a UTF-16 code unit is one `\s` matches (NaN, past a string's end, is not). */
function isSpaceCode(code: number): boolean {
  if (code === 32 || (code >= 9 && code <= 13)) return true;
  if (code < 160 || Number.isNaN(code)) return false;
  return (
    code === 160 ||
    code === 5760 ||
    (code >= 8192 && code <= 8202) ||
    code === 8232 ||
    code === 8233 ||
    code === 8239 ||
    code === 8287 ||
    code === 12288 ||
    code === 65279
  );
}

/** The length of `^\s*(?:-\s+)?` in a raw line: how far its key is indented, after any `- `. */
export function keyIndent(raw: string): number {
  let index = 0;
  while (isSpaceAt(raw, index)) index++;
  if (raw[index] === '-' && isSpaceAt(raw, index + 1)) {
    index += 2;
    while (isSpaceAt(raw, index)) index++;
  }
  return index;
}

/**
 * The lines without target groups' `labels:` (a flow mapping on the line, or
 * the block under the key): a label may be named `targets` or `files`, and is
 * still no target.
 */
export function withoutLabels(lines: readonly LogicalLine[]): LogicalLine[] {
  const kept: LogicalLine[] = [];
  let labels: number | undefined; // the indent of an open block `labels:`
  for (const line of lines) {
    if (labels !== undefined && line.indent > labels && !line.text.startsWith('-')) continue;
    labels = undefined;
    const masked = maskedOf(line);
    if (!mayHoldLabelsKey(masked)) {
      kept.push(line);
      continue;
    }
    const cut = withoutFlowLabels(line.text, masked);
    if (endsWithLabelsKey(cut.masked)) labels = line.indent;
    if (cut.text === line.text) {
      kept.push(line);
      continue;
    }
    // Where its text stands is kept, with what was cut out of it (once: a line cut twice has no place known).
    // Its old masked text goes too: a cut that took every quoted scalar leaves none to keep (the text is then its own mask).
    const { place, masked: _, ...rest } = line;
    const moved = place !== undefined && place.cuts === undefined ? { place: { ...place, cuts: cut.cuts } } : {};
    kept.push({ ...rest, text: cut.text, ...(cut.masked !== cut.text && { masked: cut.masked }), ...moved });
  }
  return kept;
}

/** Where a `labels` key written at `at` (the word's index; maybe quoted) starts, its quote included, and where its `:` ends; undefined when the word is no such key. */
function labelsKeyAt(text: string, at: number): { start: number; end: number } | undefined {
  const quote = at > 0 && isQuote(text.charCodeAt(at - 1)) ? text[at - 1]! : '';
  const start = at - quote.length;
  if (start > 0 && !isKeyStart(text.charCodeAt(start - 1))) return undefined;
  const after = at + 'labels'.length;
  return text.slice(after, after + quote.length + 1) === `${quote}:` ? { start, end: after + quote.length + 1 } : undefined;
}

/**
 * The line without `labels: {...}` flow mappings: what
 * `text.replace(/(^|[\s{,-])(['"]?)labels\2:\s*\{[^}]*\}/g, '$1')` gives, by
 * hand and in linear time (that expression scanned to the line's end from
 * every `labels: {` with no `}`: a 400 KB line took 25 s), read on the
 * masked text (a `}` or `labels:` in quotes is text), cut from both.
 */
function withoutFlowLabels(text: string, masked: string): { text: string; masked: string; cuts: { at: number; length: number }[] } {
  let [kept, keptMasked] = ['', ''];
  const cuts: { at: number; length: number }[] = []; // each mapping cut out: where, in what is kept, and how long
  let copied = 0; // text before this is in kept, or removed
  for (let at = masked.indexOf('labels'); at >= 0; at = masked.indexOf('labels', at + 1)) {
    const key = labelsKeyAt(masked, at);
    // A match starts at or after the end of the one before (its prefix character too): `^` only before any.
    if (!key || (key.start > 0 ? key.start - 1 : 0) < copied || (key.start === 0 && copied > 0)) continue;
    let brace = key.end;
    while (isSpaceAt(masked, brace)) brace++;
    if (masked[brace] !== '{') continue;
    const close = masked.indexOf('}', brace + 1);
    if (close < 0) break; // no `}` after this one: none after any later `labels: {` either
    kept += text.slice(copied, key.start);
    keptMasked += masked.slice(copied, key.start);
    cuts.push({ at: kept.length, length: close + 1 - key.start });
    copied = close + 1;
    at = close;
  }
  return copied === 0 ? { text, masked, cuts } : { text: kept + text.slice(copied), masked: keptMasked + masked.slice(copied), cuts };
}

/** Whether the line ends in a `labels:` key (`/(?:^|[\s{,-])(['"]?)labels\1:$/`, by hand): a block mapping of labels follows. */
function endsWithLabelsKey(text: string): boolean {
  if (!text.endsWith(':')) return false;
  const quote = isQuote(text.charCodeAt(text.length - 2)) ? 1 : 0;
  const at = text.length - 1 - quote - 'labels'.length;
  if (at < 0 || !text.startsWith('labels', at)) return false;
  const key = labelsKeyAt(text, at);
  return key !== undefined && key.end === text.length;
}

/** Whether `labels` starts a word on the line (maybe quoted), as it must to be the key withoutFlowLabels and endsWithLabelsKey look for: most lines have none, and then neither runs. */
function mayHoldLabelsKey(text: string): boolean {
  for (let at = text.indexOf('labels'); at >= 0; at = text.indexOf('labels', at + 1)) {
    const start = at > 0 && isQuote(text.charCodeAt(at - 1)) ? at - 1 : at;
    if (start === 0 || isKeyStart(text.charCodeAt(start - 1))) return true;
  }
  return false;
}

/** The items of a flow sequence's text (`'a', "b", c`, `"a,b"` one item), as YAML reads them; split at the commas of `masked` (the text, quoted characters hidden). */
export function flowItems(text: string, masked = maskQuoted(text)): string[] {
  return flowEntries(text, masked, 0).items;
}

/** flowItems, each with where its text starts (valueStart) in the line whose text from `offset` on `text` is. */
function flowEntries(text: string, masked: string, offset: number): { items: string[]; starts: number[] } {
  const [items, starts]: [string[], number[]] = [[], []];
  for (let from = 0; from <= text.length; ) {
    const comma = masked.indexOf(',', from);
    const to = comma < 0 ? text.length : comma;
    const item = yamlScalar(text.slice(from, to).trim());
    if (item) {
      items.push(item);
      starts.push(offset + valueStart(text, from));
    }
    from = to + 1;
  }
  return { items, starts };
}

/**
 * Where the text of a scalar written from `at` on (after white space) starts: inside its quote, if quoted (yamlScalar
 * and unquote drop a quote at its start): the column a finding about its value gives.
 */
export function valueStart(content: string, at: number): number {
  let start = at;
  while (isSpaceAt(content, start)) start++;
  return isQuote(content.charCodeAt(start)) ? start + 1 : start;
}

/** A key's value: a flow list's items, [] and `block` for a block list that follows, or one scalar; `end`: where the value ends on the line. */
export interface KeyValue {
  readonly items: string[];
  /** Where each item's text starts on the line (valueStart: inside its quotes, if quoted). */
  readonly starts: number[];
  readonly block: boolean;
  readonly end: number;
}

/**
 * The value of a key on `content` whose value starts at `start` (after the
 * `:` and the spaces after it), as
 * `/^\[([^\]]*)\]/`, then `/^(?:'[^']*'|"[^"]*"|[^,}\]]*)/`, read it from
 * there, on `masked` (the content with its quoted characters hidden: the `]`
 * of `"a]b"`, the `''` of `'it''s'` and the `\"` of `"a\"b"` close nothing),
 * each scalar as YAML reads it. Each search for a closing character is
 * remembered, so the keys of a line, read left to right, cost one pass over
 * it: those expressions scanned to the line's end for every `targets: [` with
 * no `]` (220 KB took 8 s).
 */
export function valueReader(content: string, masked = content): (start: number) => KeyValue {
  const closeBracket = nextOf(masked, (code) => code === 93 /* ] */);
  const single = nextOf(masked, (code) => code === 39 /* ' */);
  const double = nextOf(masked, (code) => code === 34 /* " */);
  const plainEnd = nextOf(masked, (code) => code === 44 /* , */ || code === 125 /* } */ || code === 93 /* ] */);
  return (start) => {
    const first = content.charCodeAt(start);
    if (first === 91 /* [ */) {
      const close = closeBracket(start + 1);
      if (close >= 0) {
        const { items, starts } = flowEntries(content.slice(start + 1, close), masked.slice(start + 1, close), start + 1);
        return { items, starts, block: false, end: close + 1 };
      }
    }
    let at = start;
    while (isSpaceAt(content, at)) at++;
    if (at >= content.length) return { items: [], starts: [], block: true, end: content.length };
    const quote = first === 39 ? single : first === 34 ? double : undefined;
    const closeQuote = quote?.(start + 1) ?? -1;
    const end = closeQuote >= 0 ? closeQuote + 1 : orEnd(plainEnd(start), content);
    return { items: [yamlScalar(content.slice(start, end).trim())], starts: [valueStart(content, start)], block: false, end };
  };
}

/**
 * A search for the next character `is` takes at or after an index, which
 * remembers its last answer: asked along a line left to right, it looks at
 * each character about once. -1 when there is none.
 */
function nextOf(content: string, is: (code: number) => boolean): (from: number) => number {
  let from = Infinity; // where the remembered search started
  let found = -1; // and what it found
  return (at) => {
    if (at >= from && (found < 0 || at <= found)) return found;
    let index = at;
    while (index < content.length && !is(content.charCodeAt(index))) index++;
    from = at;
    found = index < content.length ? index : -1;
    return found;
  };
}

const orEnd = (index: number, content: string) => (index >= 0 ? index : content.length);

/** An AtLine, with `column` when it is known. */
export const atColumn = (line: number, value: string, column: number | undefined): AtLine => (column === undefined ? { line, value } : { line, value, column });

/** A block list item of a list of targets (listItem's `entry`), at its line and column (where its text starts, after the `- `). */
export function placedItem(logical: LogicalLine, entry: string): AtLine {
  return atColumn(logical.line, entry, columnReader(logical)(valueStart(logical.text, 1)));
}

/** A block list item (`- 'a'`, `- "a b"`), as YAML reads it, or as written when it is YAML no reader here follows (UNREAD_YAML); undefined for any other line (`- key:` included). `masked`: the content, quoted characters hidden. */
export function listItem(content: string, masked = content): string | undefined {
  // An item with an anchor, tag or alias (`- &api localhost:8000`, `- !!str x`, `- *a`) or a block scalar: kept
  // as written, so that its reader says it does not read it (UNREAD_YAML), never dropped as no item.
  const unread = /^-\s+([&*!|>].*)$/.exec(content);
  if (unread) return unread[1]!.trimEnd();
  const quoted = /^-\s+(['"])/.exec(content);
  // One quoted scalar, its closing quote the line's last character.
  if (quoted && masked.indexOf(quoted[1]!, quoted[0].length) === content.length - 1) return yamlScalar(content.slice(quoted[0].length - 1));
  const item = /^-\s+(['"]?[^\s'"]+['"]?)$/.exec(content);
  // `- labels:` starts a mapping (the next group), not a string: a plain item cannot end in `:`.
  return item && !/^[^'"].*:$/.test(item[1]!) ? unquote(item[1]!) : undefined;
}

/** A key of a job that this reader follows, where it is on a line: `index` where the match starts (the character before the key, or 0), `end` after the `:` and the spaces after it. */
export interface KeyAt {
  readonly name: string;
  readonly index: number;
  readonly end: number;
}

/**
 * The keys on a line this reader follows (`job_name`, `targets`, `files`,
 * `scrape_config_files`, any `*_sd_configs`), each at the start of the line or
 * after a space, `{`, `,` or `-`, maybe quoted, then `:`: the matches of
 * `/(?:^|[\s{,-])(['"]?)(job_name|targets|files|scrape_config_files|[a-z0-9]+(?:_[a-z0-9]+)*_sd_configs)\1:\s*\/g`,
 * found by hand (that expression cost 0.2 ms to compile at every start; the
 * test holds the two to each other). Given masked text (maskQuoted), a key
 * inside a quoted scalar (`regex: "a targets: [1]"`) is none; a quoted key
 * (`'targets':`) still is.
 */
export function keysOn(content: string): KeyAt[] {
  const keys: KeyAt[] = [];
  // Every key isFollowedKey takes holds one of these words (`scrape_config_files` holds `files`): most lines hold none.
  if (!content.includes('job_name') && !content.includes('targets') && !content.includes('files') && !content.includes('_sd_configs')) return keys;
  for (let index = 0; index < content.length; ) {
    const key = (index === 0 && keyFrom(content, 0)) || (isKeyStart(content.charCodeAt(index)) && keyFrom(content, index + 1));
    if (key) {
      keys.push({ name: key.name, index, end: key.end });
      index = key.end;
    } else index++;
  }
  return keys;
}

/** A character a key may follow: a space (as `\s` has it), `{`, `,` or `-`. */
function isKeyStart(code: number): boolean {
  return code === 123 /* { */ || code === 44 /* , */ || code === 45 /* - */ || isSpaceCode(code);
}

/** The followed key written at `at` (maybe quoted), with where its `:` and the spaces after end. */
function keyFrom(content: string, at: number): { name: string; end: number } | undefined {
  const quote = isQuote(content.charCodeAt(at)) ? content[at]! : '';
  let end = at + quote.length;
  while (end < content.length && isKeyChar(content.charCodeAt(end))) end++;
  const name = content.slice(at + quote.length, end);
  if (!isFollowedKey(name) || content.slice(end, end + quote.length + 1) !== `${quote}:`) return undefined;
  end += quote.length + 1;
  while (isSpaceAt(content, end)) end++;
  return { name, end };
}

const isKeyChar = (code: number) => (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 95; // a-z 0-9 _

/** `job_name`, `targets`, `files`, `scrape_config_files`, or `<words>_sd_configs` (words of a-z0-9 joined by single `_`). */
function isFollowedKey(name: string): boolean {
  if (name === 'job_name' || name === 'targets' || name === 'files' || name === 'scrape_config_files') return true;
  if (!name.endsWith('_sd_configs')) return false;
  const words = name.slice(0, -'_sd_configs'.length);
  return words !== '' && !words.startsWith('_') && !words.endsWith('_') && !words.includes('__');
}

/** A top-level key at the start of a line (`global:`, `'scrape_configs':`): `/^(['"]?)([^'"\s:]+)\1:(?:\s|$)/`'s name, by hand, as YAML reads it. */
export function topLevelKey(content: string): string | undefined {
  // A flow collection, or a node's anchor, tag or alias, is no plain key (`{scrape_configs: [...]}` is a document of one flow mapping).
  if (content[0] === '{' || content[0] === '[' || content[0] === '&' || content[0] === '!' || content[0] === '*') return undefined;
  const quote = isQuote(content.charCodeAt(0)) ? content[0]! : '';
  let end = quote.length;
  while (end < content.length && !isQuote(content.charCodeAt(end)) && content[end] !== ':' && !isSpaceAt(content, end)) end++;
  if (end === quote.length || content.slice(end, end + quote.length + 1) !== `${quote}:`) return undefined;
  const after = end + quote.length + 1;
  if (after !== content.length && !isSpaceAt(content, after)) return undefined;
  // A double-quoted key as YAML reads it, its escapes applied (`"scrape_\x63onfigs"` is scrape_configs).
  return quote === '"' ? yamlScalar(content.slice(0, after - 1)) : content.slice(quote.length, end);
}

/**
 * The keys of a flow mapping's outer level (`{targets: ['a:1'], foo: 1}` ->
 * targets, foo), as YAML reads them, each with where its `:` stands; what
 * quoted scalars hold (`'a'',}'`, `"a\",b"`) is text, never a comma, colon or
 * brace (`masked`: the text so hidden, when the caller has it).
 */
export function flowMappingEntries(text: string, masked = maskQuoted(text)): { key: string; colon: number }[] {
  const entries: { key: string; colon: number }[] = [];
  let depth = 0;
  let start: number | undefined; // where a key may start (after `{` or `,` at the outer level)
  for (let at = 0; at < masked.length; at++) {
    const char = masked[at]!;
    if (char === '{' || char === '[') {
      depth++;
      if (depth === 1) start = at + 1;
    } else if (char === '}' || char === ']') depth--;
    else if (depth === 1 && char === ',') start = at + 1;
    else if (depth === 1 && char === ':' && start !== undefined) {
      const key = yamlScalar(text.slice(start, at).trim());
      if (key !== '') entries.push({ key, colon: at });
      start = undefined;
    }
  }
  return entries;
}

/** A job as it is read: its keys may come in any order in its item, so its name may come last. */
interface JobDraft {
  name?: string;
  line: number;
  readonly targets: AtLine[];
  readonly fileSd: AtLine[];
  readonly otherSd: AtLine[];
  /** The discovery its next `files:` belong to. */
  sd?: string;
  /** Where its own keys stand (after the `-` of a block item). */
  keyIndent?: number;
  /** Of a job written as a flow mapping: the 1-based column of its job_name key. */
  column?: number;
  /** Of a job written as a flow mapping: the logical line it is in (where repeatedKeys places its statement), when its job_name is on a later line. */
  statement?: number;
  scheme?: ScrapeJob['scheme'];
  /** Whether its text holds an anchor, alias or merge key (resolvesYaml): its values are then the YAML parser's. */
  aliased?: boolean;
  /** The line of the `- ` its block item starts at. */
  start?: number;
  /** Whether a key is written twice in its item (ScrapeJob.repeated). */
  repeated?: boolean;
  /** The keys in its item Prometheus 2.42 has no field for (ScrapeJob.unknownFields). */
  unknownFields?: UnknownField[];
  /** Of a block item: whether its value is a job written as a flow mapping (`- &job {job_name: x, ...}`), which is the job, so the item is none without a name. */
  flowValue?: boolean;
}

/** A job's own `scheme:` line (`scheme: https`, maybe quoted, maybe the item's first key after its `-`): the value, unquoted; undefined for any other line. */
function schemeOf(content: string): string | undefined {
  const match = /^(?:-\s+)?(['"]?)scheme\1:(?:\s+(.*))?$/.exec(content);
  return match ? unquote((match[2] ?? '').trim()) : undefined;
}

const newDraft = (line: number): JobDraft => ({ line, targets: [], fileSd: [], otherSd: [] });

/** A job's `<kind>_sd_configs:` key, its value `rest`: the discovery its next `files:` belong to, and one this check cannot read unless it is empty (`[]`). */
function sdKey(job: JobDraft, name: string, rest: string, line: number): void {
  job.sd = name;
  if (name !== 'file_sd_configs' && !/^\[\s*\]/.test(rest)) job.otherSd.push({ line, value: name });
}

/**
 * For each of `keys` (keysOn's, of `masked`), the flow mapping that holds it
 * and has a `job_name` key of its own: a job written as a flow mapping
 * (`- {static_configs: [{targets: [a]}], job_name: x}`, or an item of
 * `scrape_configs: [{...}, {...}]`), whose keys are that job's wherever they
 * are in it; undefined for a key in no such mapping (a block item's). A
 * mapping is named by where its `{` is. One pass over the line.
 */
function flowJobs(masked: string, keys: readonly KeyAt[]): (number | undefined)[] {
  // Most lines have no flow mapping, or no job_name.
  if (!masked.includes('{') || !keys.some((key) => key.name === 'job_name')) return keys.map(() => undefined);
  const parent = new Map<number, number | undefined>(); // each bracket's enclosing one, by where they are
  const stack: number[] = [];
  const inside: (number | undefined)[] = []; // each key's innermost bracket
  for (let at = 0, next = 0; next < keys.length; at++) {
    // A key's name, `:` and the spaces after hold no bracket: the brackets open before its end are those it is in.
    while (next < keys.length && keys[next]!.end - 1 <= at) {
      inside.push(stack[stack.length - 1]);
      next++;
    }
    const char = masked[at];
    if (char === '[' || char === '{') {
      parent.set(at, stack[stack.length - 1]);
      stack.push(at);
    } else if (char === ']' || char === '}') stack.pop();
  }
  // The mappings that hold a job_name of their own.
  const named = new Set<number>();
  for (const [index, key] of keys.entries()) {
    const open = inside[index];
    if (key.name === 'job_name' && open !== undefined && masked[open] === '{') named.add(open);
  }
  // Each bracket's innermost enclosing named mapping (itself, maybe), each bracket looked up once.
  const owner = new Map<number, number | undefined>();
  const ownerOf = (from: number | undefined): number | undefined => {
    const path: number[] = [];
    let open = from;
    while (open !== undefined && !named.has(open) && !owner.has(open)) {
      path.push(open);
      open = parent.get(open);
    }
    const found = open === undefined || named.has(open) ? open : owner.get(open);
    for (const each of path) owner.set(each, found);
    return found;
  };
  return inside.map(ownerOf);
}

/** The scrape jobs of a prometheus.yml or a scrape config file, in file order (a name written twice: both). */
export function readScrapeConfigs(text: string): ScrapeConfigs {
  const lines = logicalLines(text);
  let refusedLabel: SetKey | undefined; // the first label name Prometheus refuses (it stops there)
  let quotedMerge: SetKey | undefined;
  let badMerge: KeyPlace | undefined; // the first merge key whose value is no mapping
  const unknownFields: UnknownField[] = [];
  const topKeys: AtLine[] = []; // the keys of the document's mapping, as the repeat scan read them (line and column)
  const repeats = repeatedKeys(
    lines,
    (set) => {
      if (set.path === '' && set.section === undefined && set.via === undefined) topKeys.push({ line: set.line, value: set.key, column: set.column });
      const unknown = unknownField(set);
      if (unknown !== undefined) unknownFields.push(unknown);
      if (refusedLabel === undefined && isRefusedLabel(set)) refusedLabel = set;
      // Only a quoted `<<` is set as a key (a plain one merges); at the top level, it is a top-level key Prometheus does not know.
      else if (quotedMerge === undefined && set.key === '<<' && set.via === undefined && set.section !== undefined && !MAP_KEYS.has(set.parent ?? ''))
        quotedMerge = set;
    },
    (at) => {
      badMerge ??= at;
    },
  );
  const state = newReadState(repeats);
  const document = flowDocument(lines);
  if (document !== undefined) state.document = document;
  for (const logical of withoutLabels(lines)) readLine(state, logical);
  markRepeated(state.drafts, repeats);
  markUnknownFields(state.drafts, unknownFields);
  const resolved = resolvedJobs(text, state);
  const jobs = resolved.jobs;
  const refusedName = refusedAnchorName(lines, (line, index) => columnReader(line)(index));
  const first = lines[0];
  const listDocument = first?.topLevel === true && /^(?:[&!]\S*\s+)*\[/.test(maskedOf(first)) ? first.line : undefined;
  return {
    jobs: jobs.some(needsParser) ? schemesByParser(text, jobs) : jobs,
    scrapeConfigFiles: state.scrapeConfigFiles,
    // A document written as one flow mapping has no top-level key at a line's start: its keys are the mapping's.
    sections: document !== undefined ? topKeys : state.sections,
    repeats,
    unknownFields,
    ...(refusedName !== undefined && { refusedName }),
    ...(refusedLabel !== undefined && { refusedLabel }),
    ...(quotedMerge !== undefined && { quotedMerge }),
    ...(badMerge !== undefined && { badMerge: { line: badMerge.line, column: badMerge.column } }),
    ...(resolved.unreadJobs !== undefined && { unreadJobs: resolved.unreadJobs }),
    // Each entry's key is heard once (onKey), or again as a repeat: fewer means one was not read.
    ...(document !== undefined &&
      document.entries.length > topKeys.length + repeats.filter((repeat) => repeat.section === undefined).length && { unreadTopKey: document.line }),
    ...(listDocument !== undefined && { listDocument }),
  };
}

/**
 * Where readScrapeConfigs stands between lines: what it has found so far, and what the next line may belong to. Each
 * line is read by readLine and the functions it calls, which change this and nothing else.
 */
interface ReadState {
  /** Every job begun, named or not yet (a block item whose job_name comes later), in file order. */
  readonly drafts: JobDraft[];
  readonly scrapeConfigFiles: AtLine[];
  readonly sections: AtLine[];
  /** The lines a repeated key is on (repeatedKeys): a job_name there is the repeat, not a second job. */
  readonly repeatLines: ReadonlySet<number>;
  /** The top-level key the line is under; undefined before the first (a file of one flow mapping). */
  section?: string;
  /** The scrape_configs item being read (a job: every key in its `- ` item is its own, job_name first or last). */
  item?: JobDraft;
  /** The column of the `-` of scrape_configs' items (set by the first). */
  itemColumn?: number;
  /** The block list the next `- item` lines belong to. */
  list?: AtLine[];
  /** The list of targets being read (each placed at its column), when that is one; the next `- item` lines are targets when `list` is this. */
  targets?: AtLine[];
  /** The first line of scrape_configs with an anchor, alias or merge key. */
  aliasAt?: number;
  /** The first such line that is in no job's item (`scrape_configs: *jobs`, or a flow list of jobs). */
  looseAt?: number;
  /** Of a document written as one flow mapping: its line, and its keys (where each one's `:` is on that line). */
  document?: FlowDocument;
}

/** A document written as one flow mapping (`{global: {...}, scrape_configs: [...]}`), which logicalLines joins into one line. */
interface FlowDocument {
  readonly line: number;
  readonly entries: readonly { readonly key: string; readonly colon: number }[];
}

/** The document's flow mapping, when the file is one (its first logical line is a `{`, maybe after an anchor or tag); undefined for any other. */
function flowDocument(lines: readonly LogicalLine[]): FlowDocument | undefined {
  const first = lines[0];
  if (first === undefined || !first.topLevel) return undefined;
  const masked = maskedOf(first);
  if (!FLOW_DOCUMENT.test(masked) || masked[masked.search(/[[{]/)] !== '{') return undefined;
  return { line: first.line, entries: flowMappingEntries(first.text, masked) };
}

/**
 * The keys of the document's flow mapping line that are a job's, or name scrape config files: those inside its
 * `scrape_configs` entry, and its own `scrape_config_files` key (a `targets:` under `alerting:` is an
 * Alertmanager's, as it is in a block document).
 */
function keysOfJobs(document: FlowDocument, keys: readonly KeyAt[]): KeyAt[] {
  const { entries } = document;
  const kept: KeyAt[] = [];
  let next = 0; // the first entry whose `:` is at or after the key (both in line order: one pass)
  for (const key of keys) {
    while (next < entries.length && entries[next]!.colon < key.index) next++;
    const own = entries[next] !== undefined && entries[next]!.colon < key.end ? entries[next] : undefined;
    if (own !== undefined) {
      if (own.key === 'scrape_config_files' && key.name === 'scrape_config_files') kept.push(key);
    } else if (entries[next - 1]?.key === 'scrape_configs') kept.push(key);
  }
  return kept;
}

function newReadState(repeats: readonly RepeatedKey[]): ReadState {
  return {
    drafts: [],
    scrapeConfigFiles: [],
    sections: [],
    repeatLines: new Set(repeats.flatMap((repeat) => (repeat.via === undefined ? [repeat.line] : []))),
  };
}

/** One logical line of the file: a section it opens, an item it starts, and the keys or list entry it holds. */
function readLine(state: ReadState, logical: LogicalLine): void {
  const masked = maskedOf(logical);
  const top = logical.topLevel ? topLevelKey(logical.text) : undefined;
  if (top !== undefined) enterSection(state, top, logical.line);
  // A document of other top-level keys, or none seen yet (a file of one flow mapping): jobs only under scrape_configs.
  if (state.section !== undefined && state.section !== 'scrape_configs' && state.section !== 'scrape_config_files') return;
  if (top === undefined && startsItem(state, logical)) startItem(state, logical);
  const inDocument = state.document?.line === logical.line ? state.document : undefined;
  const aliased = noteResolvedYaml(state, logical, masked, inDocument !== undefined);
  readItemScheme(state.item, logical, masked);
  const keys = inDocument !== undefined ? keysOfJobs(inDocument, keysOn(masked)) : keysOn(masked);
  if (keys.length === 0) readListEntry(state, logical, masked);
  else readKeys(state, keyedLine(logical, masked, aliased), keys);
}

/** A top-level key: the section the lines after it are in; no item or list of the one before goes on into it. */
function enterSection(state: ReadState, top: string, line: number): void {
  state.section = top;
  state.sections.push({ line, value: top });
  state.item = undefined;
  state.itemColumn = undefined;
  state.list = undefined;
}

/** Whether a line starts an item of scrape_configs: a `- ` at the column of its first one (which sets that column). */
function startsItem(state: ReadState, logical: LogicalLine): boolean {
  return state.section === 'scrape_configs' && logical.dash !== undefined && logical.dash === (state.itemColumn ??= logical.dash);
}

/** A block item of scrape_configs: a job from here, its name wherever its job_name is in it. */
function startItem(state: ReadState, logical: LogicalLine): void {
  const item = newDraft(logical.line);
  item.keyIndent = logical.indent;
  item.start = logical.line;
  state.drafts.push(item);
  state.item = item;
  state.list = undefined;
}

/**
 * Whether a line of scrape_configs holds YAML the line reader does not follow (an anchor, alias, merge key, a tag on
 * a job name, an escaped key): its job is then read by the YAML parser (resolveAliases), and the first such line is kept.
 */
function noteResolvedYaml(state: ReadState, logical: LogicalLine, masked: string, document: boolean): boolean {
  // A document of one flow mapping is read whole by the parser when it holds one (its jobs are on its one line).
  const aliased =
    (state.section === 'scrape_configs' || document) && (resolvesYaml(masked) || hasTagOrEscapedKey(logical.text, masked) || EXPLICIT_KEY.test(masked));
  if (aliased) {
    state.aliasAt ??= logical.line;
    if (state.item) state.item.aliased = true;
    else state.looseAt ??= logical.line; // `scrape_configs: *jobs`, or a flow list of jobs: not one job's
  }
  return aliased;
}

/** The block item's own `scheme:` (at its keys' indentation), or unread when a relabelling on the line sets `__scheme__`. */
function readItemScheme(item: JobDraft | undefined, logical: LogicalLine, masked: string): void {
  if (item === undefined || !masked.includes('scheme')) return;
  const { line } = logical;
  // A relabelling that sets __scheme__ makes the scheme per target: not this reader's to tell.
  if (masked.includes('__scheme__')) item.scheme = { line, unread: true };
  else if (logical.indent === item.keyIndent && (logical.dash === undefined || line === item.line) && item.scheme === undefined) {
    const value = schemeOf(logical.text);
    if (value !== undefined) item.scheme = { line, value };
  }
}

/** A line with no key this reader follows: an entry of the block list being read (a target, a file), or the end of that list. */
function readListEntry(state: ReadState, logical: LogicalLine, masked: string): void {
  const entry = state.list && listItem(logical.text, masked);
  if (entry === undefined) state.list = undefined;
  else if (state.list === state.targets) state.list!.push(placedItem(logical, entry));
  else state.list!.push({ line: logical.line, value: entry });
}

/** A line with keys this reader follows, and what reading their values needs. */
interface KeyedLine {
  readonly logical: LogicalLine;
  readonly masked: string;
  /** Whether it holds YAML the parser is to read (noteResolvedYaml): each job it gives a key to is read so. */
  readonly aliased: boolean;
  readonly valueAt: (start: number) => KeyValue;
  /** The column of an index of its text (columnReader), made on first use: only a line with targets or a flow job needs it. */
  readonly columnAt: (index: number) => number | undefined;
  /** The line and column of an index of its text (placeReader), for a line a flow collection spans; made on first use. */
  readonly placeAt: (index: number) => { line: number; column?: number };
  /** The jobs written as flow mappings on it, by where their `{` is. */
  readonly flow: Map<number, JobDraft>;
}

function keyedLine(logical: LogicalLine, masked: string, aliased: boolean): KeyedLine {
  let columns: ((index: number) => number | undefined) | undefined;
  let places: ((index: number) => { line: number; column?: number }) | undefined;
  return {
    logical,
    masked,
    aliased,
    valueAt: valueReader(logical.text, masked),
    columnAt: (index) => (columns ??= columnReader(logical))(index),
    placeAt: (index) => (places ??= placeReader(logical))(index),
    flow: new Map(),
  };
}

/** Each followed key of a line, left to right, given to the job it belongs to: the item's, or the flow mapping's that holds it. */
function readKeys(state: ReadState, line: KeyedLine, keys: readonly KeyAt[]): void {
  state.list = undefined;
  const owners = flowJobs(line.masked, keys);
  let read = 0; // where the last value read ends: a key inside it (`job_name: [a, targets: x]`) is its text
  for (const [index, key] of keys.entries()) {
    if (key.index < read) continue;
    const owner = owners[index];
    const job = owner === undefined ? state.item : flowJob(state, line, owner);
    if (line.aliased && job) job.aliased = true;
    if (key.name.endsWith('_sd_configs')) {
      // Its value is not read here: its `files:` are (a key inside it is one).
      if (job) sdKey(job, key.name, line.logical.text.slice(key.end), line.logical.line);
      continue;
    }
    const value = line.valueAt(key.end);
    read = value.end;
    if (key.name === 'scrape_config_files') addValues(state, state.scrapeConfigFiles, value, line.logical.line);
    else if (key.name === 'job_name') readJobName(state, line, { key, owner, job, value });
    else if (!job) continue;
    else if (key.name === 'targets') addTargets(state, job.targets, value, line);
    else if (job.sd === 'file_sd_configs') addValues(state, job.fileSd, value, line.logical.line); // files:
  }
}

/** The job written as the flow mapping whose `{` is at `owner` on the line: made at its first key. */
function flowJob(state: ReadState, line: KeyedLine, owner: number): JobDraft {
  const known = line.flow.get(owner);
  if (known) return known;
  const job = newDraft(line.logical.line);
  line.flow.set(owner, job);
  if (state.item?.start === job.line) state.item.flowValue = true;
  // Its keys are not read one by one: a scheme in it is not known (one left out is http, as Prometheus has it).
  if (line.masked.includes('scheme'))
    job.scheme = line.masked.includes('__scheme__') ? { line: job.line, unread: true } : { line: job.line, unread: true, flow: true };
  state.drafts.push(job);
  return job;
}

/** A key's values (scrape_config_files, files), at its line; a block list after it is read into the same list. */
function addValues(state: ReadState, into: AtLine[], value: KeyValue, line: number): void {
  into.push(...value.items.map((entry) => ({ line, value: entry })));
  if (value.block) state.list = into;
}

/** A `targets:` key's values, each at its column; a block list after it is read into the same list, each item at its own. */
function addTargets(state: ReadState, into: AtLine[], value: KeyValue, line: KeyedLine): void {
  for (let at = 0; at < value.items.length; at++) {
    // A target on a later line of a flow list that spans lines is placed there (file:line:col), not where the list starts.
    const place = line.logical.joins === undefined ? { line: line.logical.line, column: line.columnAt(value.starts[at]!) } : line.placeAt(value.starts[at]!);
    into.push(atColumn(place.line, value.items[at]!, place.column));
  }
  if (value.block) state.list = state.targets = into;
}

/**
 * A `job_name:` key: names the job it is in, or starts one of its own (no item yet: a file of one flow mapping, a
 * job_name before any `- `; or a second job_name in one item).
 */
function readJobName(
  state: ReadState,
  line: KeyedLine,
  { key, owner, job: holder, value }: { key: KeyAt; owner: number | undefined; job: JobDraft | undefined; value: KeyValue },
): void {
  const at = line.logical.line;
  // A job_name set twice in one block item is one item Prometheus refuses (the repeat is its finding), not a second job.
  if (holder?.name !== undefined && owner === undefined && state.repeatLines.has(at)) return;
  let job = holder;
  if (!job || job.name !== undefined) {
    job = newDraft(at);
    state.drafts.push(job);
    if (owner !== undefined) line.flow.set(owner, job);
    else {
      job.keyIndent = line.logical.indent;
      state.item = job;
    }
  }
  job.name = value.items[0] ?? '';
  job.line = at;
  if (line.aliased) job.aliased = true;
  // A job written as a flow mapping stands where its job_name key is (keysOn's index is the character before it),
  // on the line of a flow collection that spans lines it is on; the logical line is where its repeats are found.
  if (owner !== undefined) {
    const place = line.placeAt(key.index + 1);
    job.statement = at;
    job.line = place.line;
    if (place.column !== undefined) job.column = place.column;
  }
}

/** A repeated key in a job's item (its own, or in a static_configs entry or any mapping inside it) refuses the job. */
function markRepeated(drafts: readonly JobDraft[], repeats: readonly RepeatedKey[]): void {
  for (const repeat of repeats) {
    if (repeat.section !== 'scrape_configs') continue;
    // A key a merge gives again is the job's that holds the `<<` (the merged mapping may be another job's).
    const at = repeat.via?.line ?? repeat.line;
    const owner = drafts.findLast((draft) => draft.start !== undefined && draft.start <= at);
    if (owner) owner.repeated = true;
    // A job written as a flow mapping has no block item: each one on the line the repeat is found in may hold it.
    for (const draft of drafts) if (draft.start === undefined && (draft.statement ?? draft.line) === repeat.statement) draft.repeated = true;
  }
}

/** Each key of a job's item (its own, or in a mapping inside it) that 2.42 has no field for, given to that job, as markRepeated places a repeat. */
function markUnknownFields(drafts: readonly JobDraft[], fields: readonly UnknownField[]): void {
  for (const field of fields) {
    const owners = drafts.filter((draft) => draft.start === undefined && (draft.statement ?? draft.line) === field.statement);
    const item = drafts.findLast((draft) => draft.start !== undefined && draft.start <= field.line);
    // A job written as a flow mapping has no block item: each one on the line the key is in may hold it.
    for (const owner of owners.length > 0 ? owners : item !== undefined ? [item] : []) (owner.unknownFields ??= []).push(field);
  }
}

/**
 * The drafts that have a name, as jobs, each with whether the YAML parser is to read it. An item without job_name is
 * no job Prometheus would load (it refuses the file): nothing to attribute its targets to (unless an alias gives its
 * name: resolveAliases reads those).
 */
function namedJobs(drafts: readonly JobDraft[]): { job: ScrapeJob; aliased: boolean }[] {
  return drafts.flatMap(({ name, line, targets, fileSd, otherSd, scheme, keyIndent, column, aliased, repeated, unknownFields }) =>
    name === undefined
      ? []
      : [
          {
            job: {
              name,
              line,
              targets,
              fileSd,
              otherSd,
              ...(scheme !== undefined && { scheme }),
              ...(keyIndent !== undefined ? { column: keyIndent + 1 } : column !== undefined && { column }),
              ...(repeated === true && { repeated }),
              ...(unknownFields !== undefined && { unknownFields }),
            },
            aliased: aliased === true,
          },
        ],
  );
}

/** A line, and the column where known. */
interface Place {
  readonly line: number;
  readonly column?: number;
}

/**
 * Where an alias may give a job's name (`- *job`, `job_name: *n`, `scrape_configs: *jobs`): the first line of a job
 * this reader cannot name, and its column (where the keys or the alias of a block item stand, as a job's column is;
 * not known for `scrape_configs: *jobs`); and, when every such job is an item of its own (no `scrape_configs: *jobs`),
 * each of them in file order, the place of each job the parser finds and the line reader could not name.
 */
function unnamedPlace(drafts: readonly JobDraft[], looseAt: number | undefined): { line?: number; column?: number; each?: Place[] } {
  const unnamed = drafts.filter((draft) => draft.aliased === true && draft.flowValue !== true && (draft.name === undefined || UNREAD_NAME.test(draft.name)));
  const line = Math.min(looseAt ?? Infinity, ...unnamed.map((draft) => draft.line));
  if (!Number.isFinite(line)) return {};
  const item = line !== looseAt ? unnamed.find((draft) => draft.line === line) : undefined;
  const each =
    looseAt === undefined ? unnamed.map((draft) => ({ line: draft.line, ...(draft.keyIndent !== undefined && { column: draft.keyIndent + 1 }) })) : undefined;
  return { line, ...(item?.keyIndent !== undefined && { column: item.keyIndent + 1 }), ...(each !== undefined && { each }) };
}

/** The jobs read, those with YAML the line reader does not follow read by the parser (resolveAliases) when there are any. */
function resolvedJobs(text: string, state: ReadState): ReturnType<typeof resolveAliases> {
  const read = namedJobs(state.drafts);
  if (state.aliasAt === undefined) return { jobs: read.map((each) => each.job) };
  const unnamed = unnamedPlace(state.drafts, state.looseAt);
  return resolveAliases(text, read, {
    first: state.aliasAt,
    ...(unnamed.line !== undefined && { unnamed: unnamed.line }),
    ...(unnamed.column !== undefined && { unnamedColumn: unnamed.column }),
    ...(unnamed.each !== undefined && { unnamedEach: unnamed.each }),
  });
}

/** A line that starts with an explicit key (`? job_name`, `- ? job_name`), whose `: value` is on the next line: the YAML parser reads its job. */
const EXPLICIT_KEY = /^(?:-\s+)*\?(?:\s|$)/;

/** A job name as the line reader took it that an alias, anchor, tag or block scalar gives: not its name (UNREAD_YAML's). */
const UNREAD_NAME = /^[&*!|>]/;

/**
 * Whether a line (masked: quoted text hidden) holds YAML whose value is given elsewhere in the file: an anchor
 * (`&sc`) or an alias (`*sc`) where a node may start (at the line's start, after white space, `[`, `{` or `,`), or a
 * merge key (`<<: *base`). Read loosely (`regex: a *b` matches too): such a line only sends its job to the YAML
 * parser, which reads what Prometheus reads.
 */
function resolvesYaml(masked: string): boolean {
  if (!masked.includes('*') && !masked.includes('&') && !masked.includes('<<')) return false;
  return /(?:^|[\s[{,])[&*][^\s,[\]{}]/.test(masked) || /(?:^|[\s{,])<<\s*:/.test(masked);
}

/**
 * Whether a line holds a job name with a tag (`job_name: !!str x`, which the line reader would take for the name
 * `!!str x`) or a double-quoted key with an escape (`"job_n\x61me":`, which YAML reads as job_name and the line reader
 * does not): its job is then read by the YAML parser, as one with an alias is. (A tag on a target or file is unknown,
 * UNREAD_YAML's.) `masked`: the content with its quoted characters hidden (its quotes kept). One pass over the line.
 */
function hasTagOrEscapedKey(content: string, masked: string): boolean {
  if (masked.includes('!') && /job_name['"]?\s*:\s+!/.test(masked)) return true;
  if (!content.includes('\\')) return false;
  for (let open = masked.indexOf('"'); open >= 0; ) {
    const close = masked.indexOf('"', open + 1);
    if (close < 0) return false;
    let after = close + 1;
    while (isSpaceAt(masked, after)) after++;
    if (masked[after] === ':' && content.slice(open, close).includes('\\')) return true;
    open = masked.indexOf('"', close + 1);
  }
  return false;
}

/**
 * The jobs when scrape_configs uses anchors, aliases or merge keys (from `aliasAt` on): a job whose text holds one,
 * and a job the line reader could not name (`- *job`, `scrape_configs: *jobs`, `job_name: *n`), are read from the
 * YAML parser's value, which resolves them as Prometheus's parser does (YAML 1.1, `<<` merges, a bound on how often
 * aliases are expanded), placed at their `job_name:` line (at `at.unnamed`, the first line where an alias may give a
 * job's name, for one it could not name); the others are the line reader's, with their targets' lines and columns.
 * Where the parser cannot read the file, the jobs with one are unread (unknown), and so is any job it may name.
 */
function resolveAliases(
  text: string,
  read: readonly { job: ScrapeJob; aliased: boolean }[],
  at: { readonly first: number; readonly unnamed?: number; readonly unnamedColumn?: number; readonly unnamedEach?: readonly Place[] },
): { jobs: ScrapeJob[]; unreadJobs?: { line: number; why: string } } {
  const parsed = parseConfigYaml(text);
  const items = parsed.ok && isRecord(parsed.value) ? parsed.value.scrape_configs : undefined;
  if (!parsed.ok || !Array.isArray(items)) {
    const why = parsed.ok ? 'its scrape_configs is not a list' : parsed.problem;
    const jobs = read.map(({ job, aliased }) => (aliased ? { ...job, unread: { line: job.line, why } } : job));
    return { jobs, ...(at.unnamed !== undefined && { unreadJobs: { line: at.unnamed, why } }) };
  }
  const seen = new Map<string, number>();
  const jobs: ScrapeJob[] = [];
  // Where a job the line reader did not name so stands, in file order: one it could not name (at.unnamedEach), or
  // one a merge key renames (`job_name: x` then `<<: *a`, whose job_name is a's), whose name the parser gives no job.
  const given = new Map<string, number>();
  for (const item of items) if (isRecord(item) && typeof item.job_name === 'string') given.set(item.job_name, (given.get(item.job_name) ?? 0) + 1);
  const renamed = read.filter(({ job, aliased }) => {
    if (!aliased || UNREAD_NAME.test(job.name)) return false;
    const left = given.get(job.name) ?? 0;
    given.set(job.name, left - 1);
    return left <= 0;
  });
  const elsewhere: Place[] | undefined =
    at.unnamedEach === undefined && renamed.length === 0
      ? undefined
      : [...(at.unnamedEach ?? []), ...renamed.map(({ job }) => ({ line: job.line, ...(job.column !== undefined && { column: job.column }) }))].sort(
          (a, b) => a.line - b.line,
        );
  let unnamedNext = 0; // the next of elsewhere, for a job the line reader did not name so
  for (const item of items) {
    // An item with no job_name (or not a string) is one Prometheus refuses: no job to attribute anything to.
    if (!isRecord(item) || typeof item.job_name !== 'string') continue;
    const name = item.job_name;
    const nth = seen.get(name) ?? 0;
    seen.set(name, nth + 1);
    const lineRead = read.filter((each) => each.job.name === name)[nth];
    if (lineRead !== undefined && !lineRead.aliased) jobs.push(lineRead.job);
    else {
      // Placed where the line reader found it (its job_name:, or the alias that may give it: each such item its own
      // job, in file order, as `job_name: *n` twice is two jobs at two lines), at its column too.
      const unnamed = lineRead === undefined ? elsewhere?.[unnamedNext++] : undefined;
      const column =
        lineRead !== undefined ? lineRead.job.column : unnamed !== undefined ? unnamed.column : at.unnamed !== undefined ? at.unnamedColumn : undefined;
      const job = parsedJob(name, item, lineRead?.job.line ?? unnamed?.line ?? at.unnamed ?? at.first, column);
      const unknownFields = lineRead?.job.unknownFields;
      jobs.push({ ...job, ...(lineRead?.job.repeated === true && { repeated: true }), ...(unknownFields !== undefined && { unknownFields }) });
    }
  }
  return { jobs };
}

/** A job read from the YAML parser's value of its scrape_configs item, every value placed at `line` (and `column`, where known: file:line:col, as the line reader's are). */
function parsedJob(name: string, item: Record<string, unknown>, line: number, column: number | undefined): ScrapeJob {
  const strings = (value: unknown): string[] | undefined =>
    value === undefined || value === null ? [] : Array.isArray(value) && value.every((each) => typeof each === 'string') ? value : undefined;
  const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const targets: AtLine[] = [];
  const fileSd: AtLine[] = [];
  const otherSd: AtLine[] = [];
  let unread = false; // a target or file that is not a string: not what this check reads
  for (const group of listOf(item.static_configs)) {
    const each = isRecord(group) ? strings(group.targets) : undefined;
    if (each === undefined) unread = true;
    else targets.push(...each.map((value) => atColumn(line, value, column)));
  }
  for (const [key, value] of Object.entries(item)) {
    if (!key.endsWith('_sd_configs')) continue;
    if (key !== 'file_sd_configs') {
      if (listOf(value).length > 0) otherSd.push(atColumn(line, key, column));
      continue;
    }
    for (const sd of listOf(value)) {
      const files = isRecord(sd) ? strings(sd.files) : undefined;
      if (files === undefined) unread = true;
      else fileSd.push(...files.map((file) => atColumn(line, file, column)));
    }
  }
  // A relabelling that sets __scheme__ makes the scheme per target, as the line reader has it.
  const relabelsScheme = JSON.stringify(item.relabel_configs ?? null).includes('__scheme__');
  const scheme: ScrapeJob['scheme'] =
    relabelsScheme || (item.scheme !== undefined && typeof item.scheme !== 'string')
      ? { line, unread: true }
      : typeof item.scheme === 'string'
        ? { line, value: item.scheme }
        : undefined;
  return {
    name,
    line,
    targets,
    fileSd,
    otherSd,
    ...(scheme !== undefined && { scheme }),
    ...(column !== undefined && { column }),
    ...(unread && { unread: { line, why: 'a target or file_sd file in it is not a string' } }),
  };
}

/** A scheme as the line reader takes it whole: one word (`https`, `http`, or a wrong one to report as written). */
const PLAIN_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/**
 * A job whose `scheme:` is written in a way the line reader does not follow: in a job written as a flow mapping, or
 * as more than one word (a tag, `!!str https`; an anchor or alias; a block scalar; the value on the next line; an escape).
 */
const needsParser = (job: ScrapeJob): boolean =>
  job.scheme !== undefined && ('value' in job.scheme ? !PLAIN_SCHEME.test(job.scheme.value) : job.scheme.flow === true);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The jobs, each scheme the line reader could not follow read by the real YAML parser (loaded only then): the
 * scheme of the scrape_configs item with the job's name (the nth, for a name written n times). Unread when the
 * file is not YAML the parser reads, or the scheme is not a string there.
 */
function schemesByParser(text: string, jobs: readonly ScrapeJob[]): ScrapeJob[] {
  const parsed = parseConfigYaml(text);
  const items = parsed.ok && isRecord(parsed.value) && Array.isArray(parsed.value.scrape_configs) ? parsed.value.scrape_configs : [];
  const seen = new Map<string, number>();
  return jobs.map((job) => {
    const nth = seen.get(job.name) ?? 0;
    seen.set(job.name, nth + 1);
    if (!needsParser(job)) return job;
    const item: unknown = items.filter((each) => isRecord(each) && String(each.job_name) === job.name)[nth];
    const scheme = isRecord(item) ? item.scheme : undefined;
    const line = job.scheme!.line;
    return { ...job, scheme: typeof scheme === 'string' ? { line, value: scheme } : { line, unread: true } };
  });
}
