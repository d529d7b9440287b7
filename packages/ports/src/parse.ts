// Text -> validated registry data, or every problem with its line and column.
// This is the only module that loads yaml and zod; the built library loads it
// lazily (see scripts/build.mjs) so that resolving a port never pays for them.
import { YAML_DOUBLE_QUOTE_ESCAPES } from './yaml-escapes.js';
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import * as z from 'zod';
import type { RegistryIssue, SalvagedProtection } from './errors.js';
import { checkRules, type CheckableRegistry, type PathSegment, type ReservedFacts, type ServiceFacts } from './rules.js';
import { INTEGER_KEYS, RegistrySchema, refusedCharacter, ReservedSchema, ServiceSchema, type RegistryData } from './schema.js';
import { escapeText, oneLine, quoteValue, truncate } from './escape.js';
import { pollutedKeys } from './polluted.js';
import { closest, didYouMean, didYouMeanText } from './suggest.js';
import { notAsciiProblem } from './port.js';
import {
  COLLECTION_KEY,
  directiveProblems,
  disallowedCharacter,
  MAX_ALIASES,
  PLAIN_TAGS,
  TOO_DEEP,
  tooDeepOffset,
  tooManyValues,
  tooManyValuesMessage,
  unclosedProblems,
  yamlProblems,
} from './yaml-rules.js';
import { MAX_ID_LENGTH, MAX_REGISTRY_BYTES, REGISTRY_TOO_LARGE, timeoutProblem, timeoutTextProblem } from './limits.js';
import { claimSections, throughLastLineBreak } from './claim-sections.js';
import { mergeProtections, salvageProtection } from './salvage.js';
import { mergeInWrittenOrder } from './yaml-v2-merge.js';

export { MAX_ALIASES };
/** The JSON Schema of ports.yaml (`ports schema`, schema.json), built with zod: loaded with the parser. */
export { registryJsonSchema } from './registry-json-schema.js';

export type ParseResult = { ok: true; data: RegistryData } | { ok: false; issues: RegistryIssue[]; protect?: SalvagedProtection };

interface Located {
  path: PathSegment[];
  message: string;
  /** Point at the key of the last path segment rather than its value. */
  atKey?: boolean;
  /** An unknown key's nearest known key (its did-you-mean). */
  suggests?: string;
  /** The character the message names (schema.ts, refusedCharacter): the place is where the value holds it. */
  char?: string;
  /** Where the problem is in the text, when the node at `path` does not say it (an empty key: its colon). */
  offset?: number;
}

/**
 * Never throws: every input either parses or gives issues with a line and a
 * column (held by a property-based test, test/parse.fuzz.test.ts).
 */
export function parseRegistryText(text: string): ParseResult {
  try {
    const result = parseUnsafe(text);
    return result.ok ? result : (foreignLineEnds(text, result) ?? result);
  } catch (error) {
    // A bug, not a property of the input: still an issue, never a crash of the caller.
    const polluted = pollutedKeys();
    const message =
      polluted.length > 0
        ? `cannot read the registry in this process: ${polluted.join(', ')} ${polluted.length === 1 ? 'is a property' : 'are properties'} that another module set on every object (prototype pollution), and the YAML and schema libraries fail with it (${String((error as Error)?.message ?? error).slice(0, 200)}); find and fix the module that sets it`
        : `internal error reading the registry: ${String((error as Error)?.message ?? error).slice(0, 200)}; please report this with the file`;
    return fail([{ path: '', message, line: 0, column: 0 }]);
  }
}

/**
 * `value` (what toJS() or zod made) copied with every mapping an object of its own keys and no
 * prototype, every list a new array. A process may have a polluted Object.prototype (another
 * module's bug set `Object.prototype.port = 1`): read through it, a reserved range written with
 * start and end would have a port too, and zod's strict objects (`for...in`) would find an
 * unknown key `port` in every mapping. With no prototype, zod, the rules and the Registry see
 * the file's own keys only. toJS() has no option for it, nor zod.
 */
function ownData<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const list: unknown[] = new Array(value.length);
    for (let index = 0; index < value.length; index++) list[index] = ownData(value[index]);
    return list as T;
  }
  const copy: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) copy[key] = ownData((value as Record<string, unknown>)[key]);
  return copy as T;
}

/** Line ends YAML 1.2 reads as ordinary characters (1.1 read them as line breaks): how editors and YAML 1.1 name them. */
const FOREIGN_LINE_ENDS: Readonly<Record<string, string>> = {
  '\u0085': 'U+0085 (NEL)',
  '\u2028': 'U+2028 (LINE SEPARATOR)',
  '\u2029': 'U+2029 (PARAGRAPH SEPARATOR)',
};

/**
 * A file whose lines end in NEL, U+2028 or U+2029 (saved by a YAML 1.1 tool, or an editor set to them) reads to
 * YAML 1.2 as fewer, longer lines: a comment on the first swallows the rest ("the registry is empty"), a key
 * takes the next line's as part of it. When the first problem's line holds one, that is what to say, once.
 */
function foreignLineEnds(text: string, result: Extract<ParseResult, { ok: false }>): ParseResult | undefined {
  const first = result.issues[0];
  if (first === undefined || first.line < 1) return undefined;
  // The line's text, as the parser counted lines (CR LF, a lone CR, LF): one pass, however long the file.
  const breaks = /\r\n?|\n/g;
  let start = 0;
  for (let line = 1; line < first.line; line++) {
    if (breaks.exec(text) === null) return undefined;
    start = breaks.lastIndex;
  }
  const end = breaks.exec(text)?.index ?? text.length;
  let at = text.slice(start, end).search(/[\u0085\u2028\u2029]/);
  if (at < 0) return undefined;
  if (start === 0 && text.startsWith('\uFEFF')) at--; // a byte order mark is no column
  const name = FOREIGN_LINE_ENDS[text[start + at]!]!;
  const message = `this line ends in ${name}, which YAML 1.2 does not read as a line break (the lines after it read as part of this one); save the file with LF line endings`;
  return fail([{ path: '', message, line: first.line, column: at + 1 }], result.protect);
}

/**
 * Line and column (1-based) of `offset` in `source`, as an editor counts them: yaml's linePos, but a byte order mark
 * at the start of the file, which yaml counts as line 1's first character and which no editor shows, not counted.
 * Columns count UTF-16 code units (an emoji is two), as yaml's offsets do and VS Code's "Go to Line/Column" does.
 * Whole numbers always (a RegistryError refuses any other): yaml's state, read through a polluted prototype
 * (`Object.prototype.value`), can give an error no offset; then 0 and 0.
 */
function placeOf(lineCounter: LineCounter, source: string, offset: number): { line: number; column: number } {
  const { line, col } = lineCounter.linePos(offset);
  if (!Number.isInteger(line) || !Number.isInteger(col)) return { line: 0, column: 0 };
  return { line, column: line === 1 && col > 1 && source.startsWith('\uFEFF') ? col - 1 : col };
}

/** A registry's text as YAML, as every reader of it here parses it: the document, its line counter, and the text it was read from. */
function readRegistryDocument(text: string): { lineCounter: LineCounter; source: string; doc: ReturnType<typeof parseDocument> } {
  const lineCounter = new LineCounter();
  // A lone CR is a line break to YAML 1.2 (and to editors: an old Mac file), but the yaml package reads a file of
  // lone CRs as one line. As LF, each offset and line number stays what the file's own line breaks make them.
  const source = text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
  const doc = parseDocument(source, {
    lineCounter,
    logLevel: 'error',
    // yaml's own duplicate-key check compares each key with every key before it: a mapping of
    // 16,000 keys (well under 1 MiB) took seconds, 100,000 minutes. duplicateKeys() does it in one pass.
    uniqueKeys: false,
    prettyErrors: false,
    keepSourceTokens: false,
    schema: 'failsafe',
    customTags: PLAIN_TAGS,
  });
  return { lineCounter, source, doc };
}

/**
 * What a text too large or too full to read as a registry protects: its top-level `claim:` blocks (claimSections),
 * each read as YAML alone, so that a stray one (a log line) cannot hide what the real one says.
 */
function claimSectionProtection(text: string): SalvagedProtection | undefined {
  return mergeProtections(
    claimSections(text).map((section) => {
      // Nesting deeper than a registry may (32 `[`): read up to the line it starts on. yaml's composer recurses once a
      // level, and a few blocks of 32,000 `[` ran V8 out of memory ("RegExpCompiler Allocation failed"), uncatchable.
      const deep = tooDeepOffset(section);
      const read = deep === undefined ? section : throughLastLineBreak(section.slice(0, deep));
      return salvageProtection(readRegistryDocument(read).doc);
    }),
  );
}

function parseUnsafe(text: string): ParseResult {
  const bytes = Buffer.byteLength(text, 'utf8');
  // Too much to read as YAML, but what its claim blocks protect still counts (claim-port adds it to its built-in list).
  if (bytes > MAX_REGISTRY_BYTES) return fail([{ path: '', message: REGISTRY_TOO_LARGE, line: 0, column: 0 }], claimSectionProtection(text));

  if (tooManyValues(text)) return fail([{ path: '', message: tooManyValuesMessage(), line: 1, column: 1 }], claimSectionProtection(text));

  const { lineCounter, source, doc } = readRegistryDocument(text);
  const position = (offset: number) => placeOf(lineCounter, source, offset);

  // A directive other than `%YAML 1.2`: said wherever the file has other problems (the rest is still read as YAML 1.2).
  const directives: RegistryIssue[] = directiveProblems(source).map(({ message, offset }) => ({ path: '', message, ...position(offset) }));
  // A character YAML does not allow (a NUL byte, a control character), said by name: yaml reads most of them
  // without a word, and gives an error that does not name it for the rest ("Implicit map keys need to be
  // followed by map values"), on its line or after. Before dropDuplicateKeys, which takes quoted keys away.
  const bad = disallowedCharacter(doc, text);
  const character: RegistryIssue | undefined = bad && { path: '', message: bad.message, ...position(bad.offset) };
  // A quote or bracket never closed, where it opens: yaml says so where what it swallowed ends (the end of
  // the file), which comes after it and so is its echo. Looked for only in a file yaml found errors in.
  const unclosed = doc.errors.length > 0 ? unclosedProblems(source) : [];
  let deepest: number | undefined;
  const syntax: RegistryIssue[] = [
    ...doc.errors.map((error) => {
      const { message, offset } = syntaxError(error, source, () => (deepest ??= tooDeepOffset(source) ?? error.pos[0]));
      return { path: '', message, ...position(offset) };
    }),
    ...unclosed.map(({ message, offset }) => ({ path: '', message, ...position(offset) })),
  ]
    // A stack overflow may be reported once per level on the way out: say it once.
    .filter((issue, index, all) => issue.message !== TOO_DEEP || all.findIndex((other) => other.message === TOO_DEEP) === index)
    // yaml's errors on the bad character's line and after may be its echo; one on an earlier line is a mistake of its own.
    .filter((issue) => character === undefined || issue.line < character.line);
  // Every key as its text (`1.50:` is the label "1.50", not 1.5), before the duplicate keys are compared.
  keysAsWritten(doc);
  // What the file protects, from every copy of a key given twice: before those are dropped.
  const protect = salvageProtection(doc);
  // A duplicate key leaves the document whole: report it, keep the first of the pair (where every
  // line:col then points), and go on, so the file's other problems come in the same run.
  const duplicateKeys = dropDuplicateKeys(doc);
  // Named by entry (`services.x`) once the document is read as JavaScript; by position before that.
  const duplicateIssues = (input?: unknown): RegistryIssue[] =>
    duplicateKeys.map(({ offset, key, path }) => ({
      path: formatPath(path, input),
      message: yamlMessage('DUPLICATE_KEY', '', key ?? sourceAt(text, offset)),
      ...position(offset),
    }));
  if (syntax.length > 0 || character !== undefined) {
    // yaml reads on past a syntax error and finds more in what follows (one line indented with a tab makes every
    // later line "not at the same column"): the first is the mistake, the rest its echo. Said once, with what to do;
    // a character YAML does not allow is said as well, wherever it is.
    const first = [...syntax, ...(character ? [character] : [])].reduce((a, b) => (b.line < a.line || (b.line === a.line && b.column < a.column) ? b : a));
    const before = duplicateIssues().filter((issue) => issue.line < first.line || (issue.line === first.line && issue.column < first.column));
    const advised = (issue: RegistryIssue): RegistryIssue =>
      issue.message.includes('; ') || issue.message === TOO_DEEP ? issue : { ...issue, message: `${issue.message}; ${SYNTAX_ADVICE}` };
    // What yaml could read of the file still protects what it names, a syntax error or a character YAML does not allow
    // anywhere in it (protection only grows: a stray `[` at the end must not unprotect a pattern at the top).
    return fail([...directives, ...before, advised(first), ...(character !== undefined && first !== character ? [character] : [])], protect);
  }
  const structure = yamlProblems(doc, text);
  if (structure.length > 0)
    return fail([...directives, ...duplicateIssues(), ...structure.map(({ message, offset }) => ({ path: '', message, ...position(offset) }))], protect);

  // yamlProblems bounded the aliases (count, loops, expanded size), so yaml's own guard may go.
  const input: unknown = ownData(doc.toJS({ maxAliasCount: -1 }));
  const named = [...directives, ...duplicateIssues(input)];
  if (input === null || input === undefined) {
    return fail([...named, { path: '', message: 'the registry is empty; it needs at least "version: 1" and "services:"', line: 1, column: 1 }]);
  }

  // Another YAML file altogether (a compose file, /proc/self/status): one line, not an "unknown key" per key.
  const foreign = notARegistry(input);
  if (foreign) return fail([...named, { path: '', message: foreign, line: 1, column: 1 }]);

  const parsed = RegistrySchema.safeParse(input);
  // zod's output is plain objects (an optional key left out would read through the prototype): own keys only, as the input.
  const data = parsed.success ? ownData(parsed.data) : undefined;
  // An entry a duplicate id repeats, by its place in the list and its line: `services[4] (line 119)`.
  const entryName = (path: readonly PathSegment[]) => {
    const { line } = position(offsetOf(doc, path, false));
    return `${path[0]}[${path[1]}]${line > 0 ? ` (line ${line})` : ''}`;
  };
  const nulls = nullLabels(doc, source);
  const located: Located[] = [
    ...wholeNumbersWithAPoint(doc),
    ...timeoutAsWritten(doc),
    ...protoLabels(doc),
    ...nulls,
    ...noNullLabelEmpty(
      data !== undefined
        ? checkRules(data, entryName)
        : [
            ...mergeMissing(
              (parsed.error?.issues ?? []).flatMap((issue) =>
                describeZodIssue(
                  issue,
                  input,
                  (path) => quotedNumber(doc, path) && validUnquoted(input, path),
                  (path) => writtenAs(doc, source, path),
                ),
              ),
            ),
            ...checkRules(entryFacts(input), entryName),
          ],
      nulls,
    ),
  ];
  if (located.length === 0 && data !== undefined && named.length === 0) return { ok: true, data };

  return fail(
    [
      ...named,
      ...located.map(({ path, message, atKey, char, offset }) => ({
        path: formatPath(path, input),
        message,
        ...position(offset ?? (char === undefined ? offsetOf(doc, path, atKey ?? false) : characterOffset(doc, source, path, atKey ?? false, char))),
      })),
    ],
    protect,
  );
}

/**
 * Where a key of an entry is in a registry's text, as a problem's place is found (the entry of `list` whose `id` is
 * `id`, its `key`'s value, or that value's `item`th element when given; line and column, 1-based; 0 and 0 when the
 * text has no such entry): for `ports validate`'s warnings about a registry that validated. Parsed as
 * parseRegistryText parses it.
 */
export function entryKeyPositions(
  text: string,
  wanted: readonly { readonly list: 'services' | 'reserved'; readonly id: string; readonly key: string; readonly item?: number }[],
): { line: number; column: number }[] {
  const { lineCounter, source, doc } = readRegistryDocument(text);
  return wanted.map(({ list, id, key, item }) => {
    const items = isMap(doc.contents) ? pairByKey(doc.contents, list)?.value : undefined;
    const index = isSeq(items)
      ? items.items.findIndex(
          (item) => isMap(item) && isScalar(pairByKey(item, 'id')?.value) && String((pairByKey(item, 'id')!.value as { value: unknown }).value) === id,
        )
      : -1;
    if (index < 0) return { line: 0, column: 0 };
    const place = placeOf(lineCounter, source, offsetOf(doc, [list, index, key, ...(item === undefined ? [] : [item])], false));
    return place.line > 0 ? place : { line: 0, column: 0 };
  });
}

/**
 * Where `pattern`'s entry of `claim.protect.processes` is in a registry's text (line and column, 1-based, of the entry:
 * its quote when quoted; 0 and 0 when the text has no such entry), as a problem's place is found: for claim-port's
 * refusal by a pattern the registry added. Parsed as parseRegistryText parses it.
 */
export function protectPatternPosition(text: string, pattern: string): { line: number; column: number } {
  const { lineCounter, source, doc } = readRegistryDocument(text);
  const claim = isMap(doc.contents) ? pairByKey(doc.contents, 'claim')?.value : undefined;
  const protect = isMap(claim) ? pairByKey(claim, 'protect')?.value : undefined;
  const processes = isMap(protect) ? pairByKey(protect, 'processes')?.value : undefined;
  const index = isSeq(processes) ? processes.items.findIndex((item) => isScalar(item) && item.value === pattern) : -1;
  if (index < 0) return { line: 0, column: 0 };
  const place = placeOf(lineCounter, source, offsetOf(doc, ['claim', 'protect', 'processes', index], false));
  return place.line > 0 ? place : { line: 0, column: 0 };
}

/** Why a mapping none of whose keys is a registry's is not a registry at all, or undefined. */
function notARegistry(input: unknown): string | undefined {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return undefined;
  const keys = Object.keys(input);
  const known = Object.keys(RegistrySchema.shape);
  // A misspelt registry (`verison:`) gets its did-you-mean lines instead.
  if (keys.length < 2 || keys.some((key) => known.includes(key) || didYouMean(key, known) !== '')) return undefined;
  // Its first keys say what the file is (a compose file, a Kubernetes manifest), but only names: a line of
  // /etc/shadow (`root:$6$...`) is a key too, and the message goes to the journal and to cron's mail.
  const names = keys.filter((key) => /^[A-Za-z_][A-Za-z0-9_.-]{0,39}$/.test(key));
  const shown = names.slice(0, 3).map((key) => quoteValue(key));
  const has = shown.length > 0 ? `it has ${shown.join(', ')}${keys.length > shown.length ? ', …' : ''}` : 'its keys are not names';
  return `not a ports registry: none of its keys is version, services, reserved or claim (${has}); check the path`;
}

/** The text at `offset` up to a colon or the end of the line: the key a duplicate-key message names. */
function sourceAt(text: string, offset: number): string {
  return text.slice(offset).match(/^[^:\n]*/)![0];
}

/**
 * Remove the second and later pairs of each key in every mapping (yaml keeps them all) and return
 * where each removed key starts. One pass with a set per mapping: yaml's `uniqueKeys` compares each
 * key with all the keys before it. Keys are compared as JavaScript will see them (`8000:` and
 * `"8000":` are one key of the object toJS() makes, the later silently winning).
 */
function dropDuplicateKeys(doc: Document): { offset: number; key?: string; path: PathSegment[] }[] {
  const found: { offset: number; key?: string; path: PathSegment[] }[] = [];
  visit(doc, {
    Map(_, map, ancestors) {
      const seen = new Set<unknown>();
      map.items = map.items.filter((pair) => {
        // A null key (`~:`, or nothing before the colon) is "" to JavaScript. An alias as a key is no key to
        // compare: yamlProblems refuses it (the file fails), and before that it stays, never hiding the key it repeats.
        const key = isScalar(pair.key) ? (pair.key.value === null ? '' : String(pair.key.value)) : pair.key;
        if (!seen.has(key)) {
          seen.add(key);
          return true;
        }
        // The key as YAML reads it (`"version"` is version), and the mapping it is in (services.x).
        found.push({
          offset: (pair.key as Node | null)?.range?.[0] ?? 0,
          ...(typeof key === 'string' && key !== '' && { key }),
          path: nodePath(ancestors, map),
        });
        return false;
      });
    },
  });
  return found;
}

/** The path of `node` from the document's top, through the visitor's ancestors: keys of pairs, indexes of lists. */
function nodePath(ancestors: readonly unknown[], node: unknown): PathSegment[] {
  const chain = [...ancestors, node];
  const path: PathSegment[] = [];
  for (let index = 0; index + 1 < chain.length; index++) {
    const parent = chain[index];
    const child = chain[index + 1];
    if (isPair(parent) && parent.value === child) path.push(isScalar(parent.key) ? String(parent.key.value) : '?');
    else if (isSeq(parent)) path.push(parent.items.indexOf(child as never));
  }
  return path;
}

/**
 * `port: 61800.0`: zod sees 61800, a whole number; the command line would
 * refuse it, so the registry does too (whole numbers are written as such).
 */
function wholeNumbersWithAPoint(doc: Document): Located[] {
  const found: Located[] = [];
  visit(doc, {
    Pair(_, pair, ancestors) {
      if (!isScalar(pair.key) || !INTEGER_KEYS.has(String(pair.key.value)) || !isScalar(pair.value)) return;
      const { value, source } = pair.value as { value: unknown; source?: unknown };
      if (typeof value !== 'number' || !Number.isInteger(value) || typeof source !== 'string' || !source.includes('.')) return;
      const path = pathTo([...ancestors, pair]);
      found.push({ path, message: `must be a whole number written without a decimal point (got ${source})` });
    },
  });
  return found;
}

/**
 * `timeoutSeconds: 300.00000000000000001`: zod sees the number it rounds to, 300, within the limits;
 * claim-port's --timeout refuses the same digits, so the registry does too (judged as written,
 * timeoutTextProblem). Only what the rounding hid: a value out of range as a number has zod's line.
 */
function timeoutAsWritten(doc: Document): Located[] {
  const node = doc.getIn(['claim', 'timeoutSeconds'], true);
  if (!isScalar(node) || typeof node.value !== 'number' || typeof node.source !== 'string') return [];
  const problem = timeoutTextProblem(node.source);
  if (problem === undefined || timeoutProblem(node.value) !== undefined) return [];
  return [{ path: ['claim', 'timeoutSeconds'], message: `${problem} (got ${escapeText(node.source, 40)})` }];
}

/**
 * A key is the text written: PLAIN_TAGS read a plain `1.50` or `True` as a
 * number or a boolean, and toJS() would make the key String() of that ("1.5",
 * "true"), so a `details` label came out other than written.
 */
function keysAsWritten(doc: Document): void {
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key;
      // Not null: an empty or null key has its own message (yamlProblems).
      if (isScalar(key) && (typeof key.value === 'number' || typeof key.value === 'boolean') && typeof key.source === 'string') key.value = key.source;
    },
  });
}

/**
 * A `__proto__` label in a mapping of free labels (a service's `details`): zod's record drops the
 * key without a word (it guards against prototype pollution), so the fact would vanish from the
 * reference page while the file validated. A fixed mapping reports it already, as an unknown key.
 */
function protoLabels(doc: Document): Located[] {
  const found: Located[] = [];
  visit(doc, {
    Pair(_, pair, ancestors) {
      if (!isScalar(pair.key) || pair.key.value !== '__proto__') return;
      const path = pathTo([...ancestors, pair]);
      if (!(schemaAt(path.slice(0, -1)) instanceof z.ZodRecord)) return;
      found.push({ path, message: 'a label may not be "__proto__" (JavaScript objects drop it); write another', atKey: true });
    },
  });
  return found;
}

/**
 * A label in a mapping of free labels (a service's `details`) that YAML reads as null (`null:`, `~:`, `Null:`, or
 * nothing before the colon): JavaScript makes it "", which zod calls empty, though something was written. Said as
 * what YAML read, with what to do; zod's "must not be empty" for it goes (noNullLabelEmpty).
 */
function nullLabels(doc: Document, source: string): Located[] {
  const found: Located[] = [];
  visit(doc, {
    Pair(_, pair, ancestors) {
      if (!isScalar(pair.key) || pair.key.value !== null) return;
      const parent = pathTo(ancestors);
      if (!(schemaAt(parent) instanceof z.ZodRecord)) return;
      const written = typeof pair.key.source === 'string' ? pair.key.source.trim() : '';
      const message =
        written === ''
          ? 'an empty label (nothing before the colon), which YAML reads as null; write the label'
          : `YAML reads the label ${written} as null, not as the word; quote it ("${written}") to keep the word, or write another label`;
      // An empty key's node starts where its line does: the colon is what was written.
      const start = pair.key.range?.[0];
      const colon = written === '' && start !== undefined ? start + /^[ \t]*/.exec(source.slice(start, start + 200))![0].length : undefined;
      found.push({ path: [...parent, ''], message, atKey: true, ...(colon !== undefined && { offset: colon }) });
    },
  });
  return found;
}

/** `located` without zod's "must not be empty" for a label nullLabels said (the null key is the "" label). */
function noNullLabelEmpty(located: readonly Located[], nulls: readonly Located[]): Located[] {
  const said = new Set(nulls.map((item) => JSON.stringify(item.path)));
  return located.filter((item) => item.message !== 'must not be empty' || !said.has(JSON.stringify(item.path)));
}

/** The registry path of the last node of a chain from visit(): keys by name, list items by index. */
function pathTo(chain: readonly unknown[]): PathSegment[] {
  const path: PathSegment[] = [];
  chain.forEach((node, index) => {
    if (isPair(node) && isScalar(node.key)) path.push(String(node.key.value));
    else if (isSeq(node)) path.push(node.items.indexOf(chain[index + 1] as never));
  });
  return path;
}

/**
 * Several missing keys of one mapping as one line: `services.x: missing keys name, group`.
 * A key that is missing because it is misspelt (`protocl:`, "did you mean protocol?") is said
 * once, by the unknown key's line, not again as missing.
 */
function mergeMissing(located: Located[]): Located[] {
  const missing = new Map<string, { parent: PathSegment[]; keys: string[] }>();
  const rest: Located[] = [];
  const misspelt = new Set(located.flatMap((item) => (item.suggests ? [JSON.stringify([...item.path.slice(0, -1), item.suggests])] : [])));
  for (const item of located) {
    if (item.message !== 'is required' || item.path.length === 0) {
      rest.push(item);
      continue;
    }
    if (misspelt.has(JSON.stringify(item.path))) continue;
    const parent = item.path.slice(0, -1);
    const key = JSON.stringify(parent);
    const entry = missing.get(key) ?? { parent, keys: [] };
    entry.keys.push(String(item.path.at(-1)));
    missing.set(key, entry);
  }
  for (const { parent, keys } of missing.values()) {
    rest.push(keys.length === 1 ? { path: [...parent, keys[0]!], message: 'is required' } : { path: parent, message: `missing keys ${keys.join(', ')}` });
  }
  return rest;
}

/**
 * What is known of each entry, so the cross-entry rules still run when an entry
 * is broken: a well-formed entry as parsed, a broken one by its valid keys
 * (see `EntryFacts` in rules.ts).
 */
function entryFacts(input: unknown): CheckableRegistry {
  const list = (key: string): unknown[] => {
    const value = input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[key] : undefined;
    return Array.isArray(value) ? value : [];
  };
  const rawIds = (entries: unknown[]) =>
    entries.flatMap((entry) => {
      const id = entry !== null && typeof entry === 'object' ? (entry as { id?: unknown }).id : undefined;
      return typeof id === 'string' ? [id] : [];
    });
  const services = list('services');
  const reserved = list('reserved');
  return {
    serviceIds: rawIds(services),
    reservedIds: rawIds(reserved),
    services: services.map((entry) => facts(ServiceSchema, entry) as ServiceFacts | undefined),
    reserved: reserved.map((entry) => facts(ReservedSchema, entry) as ReservedFacts | undefined),
  };
}

/** The entry parsed whole when it is valid, else each of its keys parsed alone (a list item by item). */
function facts(schema: z.ZodObject, entry: unknown): Record<string, unknown> | undefined {
  const whole = schema.safeParse(entry);
  if (whole.success) return ownData(whole.data) as Record<string, unknown>;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
  // No prototype, as ownData's: a key the entry lacks is not read through a polluted Object.prototype.
  const out: Record<string, unknown> = Object.create(null);
  const broken = new Set<string>();
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const value = (entry as Record<string, unknown>)[key];
    const parsed = field.safeParse(value);
    if (parsed.success) {
      if (parsed.data !== undefined) out[key] = ownData(parsed.data);
      continue;
    }
    broken.add(key);
    const inner = unwrap(field);
    if (Array.isArray(value) && inner instanceof z.ZodArray) {
      out[key] = value.map((item) => ownData((inner.element as z.ZodType).safeParse(item).data));
    }
  }
  out.broken = broken;
  return out;
}

function fail(issues: RegistryIssue[], protect?: SalvagedProtection): ParseResult {
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, issues, ...(protect !== undefined && { protect }) };
}

/** A line indented with a tab, said so wherever yaml's error about it is (see syntaxError). */
const TAB_INDENT = 'a tab indents this line, and YAML indents with spaces only; indent it with spaces';

/**
 * One of yaml's syntax errors, said where it is and as what it is. yaml puts some at the start of the
 * white space before what it failed on: a line indented with a tab after a blank or comment line was
 * "5:1: A block sequence may not be used as an implicit map key", the tab being on line 8. Such an error
 * is moved past the blank and comment lines, to the line they lead to; on a line indented with a tab,
 * it is the tab, said at the tab (yaml's own "Tabs are not allowed as indentation" too, with what to
 * do). Nesting past the limit is said where it passes it (`deepest`), not where yaml ran out of stack.
 */
function syntaxError(error: YAMLError, source: string, deepest: () => number): { message: string; offset: number } {
  const message = yamlMessage(error.code, error.message, sourceAt(source, error.pos[0]));
  if (message === TOO_DEEP) return { message, offset: deepest() };
  if (error.code === 'MULTIPLE_DOCS') return { message: secondDocument(source, error.pos[0]), offset: error.pos[0] };
  // `[a]: v` or `{a: 1}: v` after the first key of a nested mapping: yaml's composer fails on it ("Map comment with
  // trailing content", IMPOSSIBLE), where the same key anywhere else is yamlProblems' "a mapping key must be a plain word".
  if (error.code === 'IMPOSSIBLE' && FLOW_KEY.test(source.slice(error.pos[0], error.pos[0] + MAX_FLOW_KEY_LINE)))
    return { message: COLLECTION_KEY, offset: error.pos[0] };
  const offset = pastBlankLines(source, error.pos[0]);
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  const indent = /^[ \t]*/.exec(source.slice(lineStart, lineStart + 200))![0];
  const tab = indent.indexOf('\t');
  // At the start of its line, or inside its indentation: the line's indentation is what yaml could not read.
  if (tab !== -1 && (error.code === 'TAB_AS_INDENT' || offset <= lineStart + indent.length)) return { message: TAB_INDENT, offset: lineStart + tab };
  return { message, offset };
}

/**
 * What starts the second document yaml found at `offset`: a `---` line, or what follows a `...` line (which ends the
 * first document; an editor may show nothing wrong there), said as what it is, with the `...` line's number.
 */
function secondDocument(source: string, offset: number): string {
  if (/^---(?:[ \t]|$)/m.test(source.slice(offset, offset + 4))) return yamlMessage('MULTIPLE_DOCS', '', '');
  // The last line before `offset` that is not blank or a comment.
  const lines = source.slice(0, offset).split('\n');
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]!.replace(/\r$/, '');
    if (/^[ \t]*(?:#.*)?$/.test(line)) continue;
    if (/^\.\.\.(?:[ \t]|$)/.test(line))
      return `more than one YAML document (line ${index + 1} is "...", which ends the document, and this comes after it); a registry is one document: remove the "..." line or what follows it`;
    break;
  }
  return 'more than one YAML document (this starts another); a registry is one document';
}

/**
 * `offset`, or, when the rest of its line is blank or a comment, the start of the first line after it
 * that is neither; `offset` when none is (blank lines to the end of the file).
 */
function pastBlankLines(source: string, offset: number): number {
  let at = offset;
  for (;;) {
    const end = source.indexOf('\n', at);
    if (!/^[ \t]*(?:#.*)?$/.test(source.slice(at, end === -1 ? undefined : end))) return at;
    if (end === -1) return offset;
    at = end + 1;
  }
}

/** A flow list or mapping written as a key (`[a]: v`, `{a: 1}: v`), from where it starts; one line, its first MAX_FLOW_KEY_LINE characters. */
const FLOW_KEY = /^(?:\[[^\n]*\]|\{[^\n]*\})[ \t]*:(?:[ \t]|\r?\n|$)/;
const MAX_FLOW_KEY_LINE = 1000;

/** What to do, after a syntax error's message that does not say it already. */
const SYNTAX_ADVICE = 'fix the YAML there (the rest of the file is checked once it parses)';

function yamlMessage(code: string, message: string, source: string): string {
  // yaml's parser recurses once per level: thousands of levels (`[[[[...`, `- - - ...`) overflow
  // the stack before yamlProblems can count them. Only nesting does that, so say so.
  if (code === 'RESOURCE_EXHAUSTION' && /call stack/i.test(message)) return TOO_DEEP;
  if (code === 'DUPLICATE_KEY') return `duplicate key ${quoteValue(source.trim())}; each key may appear once in a mapping: keep one`;
  if (code === 'MULTIPLE_DOCS') return 'more than one YAML document (a "---" line starts another); a registry is one document';
  // yaml's messages end with a source excerpt after a colon and newline; keep the first line.
  return oneLine(message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), 300);
}

/**
 * An id longer than an id may be is shown by its position (`services[3]`): its own problem is its length, and the
 * line:col says which entry it is. A key that long is cut short (with an ellipsis) in a path.
 */
const MAX_ID_IN_PATH = MAX_ID_LENGTH;

/** A key or id a path shows as it is (`services.api-v2.port`); any other is quoted, `services["jupyter.lab"].id`. */
const PLAIN_PATH_WORD = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** One key or id of a path: `.word`, or `["a.b"]` when a dot, a space or a bracket in it would make the path ambiguous. */
function pathWord(word: string): string {
  return PLAIN_PATH_WORD.test(word) ? `.${truncate(word, MAX_ID_IN_PATH)}` : `[${quoteValue(word, MAX_ID_IN_PATH)}]`;
}

/**
 * `services.api.port` rather than `services.5.port`: operators know entries by id. A key or id that is not a plain
 * word is quoted (`services["jupyter.lab"].id`, `details["1"]`), so that a dot in it is not read as a step of the path;
 * escaped (a line break or a terminal escape in it must not forge a line or colour the terminal) and cut short.
 */
export function formatPath(path: readonly PathSegment[], input: unknown): string {
  let text = '';
  let value: unknown = input;
  for (const segment of path) {
    const child = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[segment] : undefined;
    if (typeof segment === 'number') {
      const id = child !== null && typeof child === 'object' ? (child as { id?: unknown }).id : undefined;
      text += typeof id === 'string' && id !== '' && id.length <= MAX_ID_IN_PATH ? pathWord(id) : `[${segment}]`;
    } else {
      text += pathWord(segment);
    }
    value = child;
  }
  return text.startsWith('.') ? text.slice(1) : text;
}

/** Each mapping's pairs by key (the first of a key), made once: a file with thousands of problems is not searched key by key for each. */
const pairIndexes = new WeakMap<object, Map<unknown, Pair>>();

function pairByKey(map: YAMLMap, key: PathSegment | undefined): Pair | undefined {
  let index = pairIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const item of map.items) {
      if (!isPair(item) || !isScalar(item.key)) continue;
      // A null key (`~:`, or nothing before the colon) is "" to JavaScript, as the schema's issues name it.
      const key = item.key.value === null ? '' : item.key.value;
      if (!index.has(key)) index.set(key, item);
    }
    pairIndexes.set(map, index);
  }
  return index.get(key);
}

function offsetOf(doc: Document, path: readonly PathSegment[], atKey: boolean): number {
  return nodeAt(doc, path, atKey).offset;
}

/** The node at `path` (its key's, with `atKey`) and where it starts; a missing one: where the deepest node on the way starts, and no node. */
function nodeAt(doc: Document, path: readonly PathSegment[], atKey: boolean): { offset: number; node?: unknown } {
  // Walk as deep as the document goes; a missing key points at its parent.
  let node: unknown = doc.contents;
  let best = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (let index = 0; index < path.length; index++) {
    const segment = path[index];
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = pairByKey(node, segment);
      if (!pair) return { offset: best };
      const key = pair.key as Node;
      if (last && (atKey || !pair.value)) return { offset: key.range?.[0] ?? best, node: key };
      node = pair.value;
      best = (node as Node | null)?.range?.[0] ?? key.range?.[0] ?? best;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (!node) return { offset: best };
      best = (node as Node).range?.[0] ?? best;
    } else {
      return { offset: best };
    }
  }
  return { offset: best, node };
}

const YAML_ESCAPE = /\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([\s\S]))/g;

/**
 * Where the value (or key) at `path` holds `char`, the character a message names: in a long value, an invisible one
 * cannot be found by looking. As written, or as a double-quoted text's escape for it (`\e`, `\u2066`); where the
 * value starts when neither is found (an alias, a line break that folding made).
 */
function characterOffset(doc: Document, source: string, path: readonly PathSegment[], atKey: boolean, char: string): number {
  const { offset, node } = nodeAt(doc, path, atKey);
  if (!isScalar(node) || !node.range) return offset;
  const [start, end] = node.range;
  const written = source.slice(start, end);
  // A line break as written is the text's layout (a block scalar's header ends in one), never the character itself.
  const raw = char === '\n' ? -1 : written.indexOf(char);
  if (raw >= 0) return start + raw;
  if (node.type !== Scalar.QUOTE_DOUBLE) return offset;
  for (const match of written.matchAll(YAML_ESCAPE)) {
    const [, x, u, U, other] = match;
    const hex = x ?? u ?? U;
    const stands = hex !== undefined ? String.fromCodePoint(Math.min(Number.parseInt(hex, 16), 0x10ffff)) : YAML_DOUBLE_QUOTE_ESCAPES[other!];
    if (stands === char) return start + match.index;
  }
  return offset;
}

type ZodIssue = z.core.$ZodIssue;

/**
 * Whether the schema takes the quoted number at `path` once its quotes are gone (`port: "80"` yes; `port: "70000"`,
 * still no port, no): only then is "remove the quotes" the fix. The schema itself judges it, so each field's range
 * is said in one place. On the error path only: a copy of the input with that value a number, parsed again.
 */
function validUnquoted(input: unknown, path: readonly PathSegment[]): boolean {
  const issues = issuesWith(input, path, Number);
  return issues !== undefined && issues.length === 0;
}

/**
 * The schema's issues at `path` once its value is `replace(value)`, in a copy of the input parsed again; undefined
 * where there is no such value. On the error path only: so the schema itself says what it says of another value.
 */
function issuesWith(input: unknown, path: readonly PathSegment[], replace: (value: unknown) => unknown): ZodIssue[] | undefined {
  if (path.length === 0) return undefined;
  const copy = structuredClone(input);
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    const next = parent[key];
    if (typeof next !== 'object' || next === null) return undefined;
    parent = next as Record<string | number, unknown>;
  }
  const last = path.at(-1)!;
  parent[last] = replace(parent[last]);
  const issues = RegistrySchema.safeParse(copy).error?.issues ?? [];
  const same = (other: readonly PropertyKey[]) => other.length === path.length && other.every((key, index) => key === path[index]);
  return issues.filter((issue) => same(issue.path));
}

/**
 * `port: 999…` of 309 digits or more: yaml reads Infinity, which the schema refuses as no number at all. As far past
 * the range as it is, it gets the range's own message (`must be between 1 and 65535`, `must be at most 300 seconds`),
 * the one a number of 300 digits gets: the schema's, for the largest number there is; undefined for another value.
 */
function tooLongNumber(input: unknown, path: readonly PathSegment[], value: unknown): string | undefined {
  if (typeof value !== 'number' || Number.isFinite(value) || Number.isNaN(value)) return undefined;
  const issues = issuesWith(input, path, () => Math.sign(value) * Number.MAX_VALUE);
  // `.int()`'s "not a safe integer" is left out, as describeZodIssue leaves it out: the range says what is wrong.
  return issues?.find((issue) => (issue.code === 'too_big' || issue.code === 'too_small') && issue.origin !== 'int')?.message;
}

/**
 * Whether the value at `path` is a number written in quotes (`port: "80"`): a string to YAML, where the schema wants a
 * number, and the quotes are all there is to remove. Not a plain scalar (`port: 0x50`, a string too, that no quotes
 * explain), nor a quoted text that would still not be a plain decimal without them (`"0080"`, `" 80"`).
 */
function quotedNumber(doc: Document, path: readonly PathSegment[]): boolean {
  const { node } = nodeAt(doc, path, false);
  return (
    isScalar(node) &&
    (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) &&
    typeof node.value === 'string' &&
    /^[1-9][0-9]{0,15}$/.test(node.value)
  );
}

/** How a value is written in the file: a scalar (`quoted` or plain, `text` its source), a flow or block collection. */
type WrittenAs = { readonly kind: 'scalar'; readonly quoted: boolean; readonly text: string } | { readonly kind: 'flow' | 'block' } | undefined;

/** How the value at `path` is written in `source` (nodeAt's node); undefined where no node is found. */
function writtenAs(doc: Document, source: string, path: readonly PathSegment[]): WrittenAs {
  const { node } = nodeAt(doc, path, false);
  if (isScalar(node)) {
    const range = node.range;
    const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
    return { kind: 'scalar', quoted, text: range ? source.slice(range[0], range[1]) : String(node.value) };
  }
  if (isMap(node) || isSeq(node)) return { kind: node.flow ? 'flow' : 'block' };
  return undefined;
}

/**
 * Pure: what a value of the wrong type is to YAML, and what to write instead, by the type the schema wants against the
 * type YAML read and how the value is written (`robust: "false"`: quoted; `robust: yes`: a string to YAML 1.2;
 * `name: 123`: a number; a list item holding `: `: a mapping). `note` goes inside the "(got ...)", `fix` after it;
 * undefined when there is nothing more to say than the types.
 */
function wrongTypeHint(expected: string, value: unknown, written: WrittenAs): { readonly note?: string; readonly fix: string } | undefined {
  const scalar = written?.kind === 'scalar' ? written : undefined;
  const collection = Array.isArray(value) ? 'list' : typeof value === 'object' && value !== null ? 'mapping' : undefined;
  if (expected === 'boolean') {
    if (typeof value === 'string' && scalar?.quoted && /^(?:true|false)$/.test(value))
      return { note: 'in quotes: a string to YAML', fix: 'write true or false without quotes' };
    if (typeof value === 'string' && !scalar?.quoted && /^(?:y|yes|n|no|on|off|true|false)$/i.test(value))
      return { note: 'a string to YAML 1.2, where only true and false are booleans', fix: 'write true or false' };
    return { fix: 'write true or false' };
  }
  if (expected === 'string') {
    if (scalar !== undefined && !scalar.quoted && (typeof value === 'number' || typeof value === 'boolean' || value === null)) {
      const kind = value === null ? 'null' : typeof value === 'number' ? 'a number' : 'a boolean';
      if (scalar.text.trim() === '') return { fix: 'write the text after the colon' };
      return { note: `${kind} to YAML`, fix: `put it in quotes to make it text: ${quoteValue(scalar.text)}` };
    }
    if (collection === 'mapping')
      return {
        note: written?.kind === 'flow' ? 'YAML reads {...} as a mapping' : 'YAML reads a colon followed by a space as "key: value"',
        fix: 'put the whole text in quotes',
      };
    if (collection === 'list')
      return { note: written?.kind === 'flow' ? 'YAML reads [...] as a list' : 'YAML reads "- " lines as a list', fix: 'put the whole text in quotes' };
    return undefined;
  }
  if (expected === 'array' && collection === undefined) return { fix: 'write a list: each item on a line of its own, after "- " (or [a, b])' };
  if (expected === 'object' && collection === undefined) return { fix: 'write a mapping: its keys on the lines below, indented' };
  return undefined;
}

function describeZodIssue(
  issue: ZodIssue,
  input: unknown,
  isQuotedNumber: (path: readonly PathSegment[]) => boolean = () => false,
  written: (path: readonly PathSegment[]) => WrittenAs = () => undefined,
): Located[] {
  const path = issue.path as PathSegment[];
  // `.int()` also refuses a whole number past 2^53 (`port: 99999999999999999999`) with its
  // "must be a whole number" message, which is untrue; every whole-number key has a range
  // whose message says what is wrong, so this one goes.
  if ((issue.code === 'too_big' || issue.code === 'too_small') && issue.origin === 'int') return [];
  const value = valueAt(input, path);
  if (value === undefined && issue.code !== 'unrecognized_keys' && issue.code !== 'custom') {
    return [{ path, message: 'is required' }];
  }
  switch (issue.code) {
    case 'unrecognized_keys': {
      // One search per key (closest() is the did-you-mean), against the mapping's keys listed once.
      const known = knownKeys(path);
      return issue.keys.map((key) => {
        const suggests = closest(key, known);
        // Every key the schema knows is ASCII: a key that is not (`рort`, a Cyrillic р) is named by code point,
        // or it reads as the key it is told to be (`unknown key "рort" (did you mean "port"?)`).
        const notAscii = notAsciiProblem(key);
        const hint =
          notAscii === undefined ? didYouMeanText(suggests) : ` (${notAscii}${suggests === undefined ? '' : `; did you mean ${quoteValue(suggests)}?`})`;
        return {
          path: [...path, key],
          message:
            key === ''
              ? 'an empty or null key (`~:`, `"":`, or nothing before the colon); remove it'
              : `unknown key ${quoteValue(key)}${hint}${suggests === undefined ? '; remove it' : ''}`,
          atKey: true,
          ...(suggests !== undefined && { suggests }),
        };
      });
    }
    case 'invalid_type': {
      const range = tooLongNumber(input, path, value);
      if (range !== undefined) return [{ path, message: `${range} (got ${numberWritten(value, written(path))})` }];
      // The whole document: its kind only, never its content (see documentKind).
      const got = path.length === 0 ? documentKind(value) : describeValue(value);
      if (path.length === 0)
        return [{ path, message: `must be a mapping (got ${got}); a registry is a mapping that starts with "version: 1" and "services:"` }];
      const message = issue.message.startsWith('Invalid input') ? `must be ${article(issue.expected)}` : issue.message;
      if (issue.expected === 'number' && isQuotedNumber(path))
        return [{ path, message: `${message} (got ${got}, in quotes: a string to YAML); remove the quotes` }];
      // `port: ８０００`: a number to the eye, in other digits: named by code point, as an environment override's is.
      const notAscii = issue.expected === 'number' && typeof value === 'string' ? notAsciiProblem(value) : undefined;
      if (notAscii !== undefined) return [{ path, message: `${message} (got ${got}): ${notAscii}` }];
      const hint = wrongTypeHint(issue.expected, value, written(path));
      if (hint === undefined) return [{ path, message: `${message} (got ${got})` }];
      return [{ path, message: `${message} (got ${got}${hint.note === undefined ? '' : `, ${hint.note}`}); ${hint.fix}` }];
    }
    case 'invalid_value': {
      const options = issue.values.map((option) => String(option));
      // `version: "1"`: the number the schema wants, in quotes.
      if (typeof value === 'string' && issue.values.includes(Number(value)) && isQuotedNumber(path))
        return [{ path, message: `${issue.message} (got ${describeValue(value)}, in quotes: a string to YAML); remove the quotes` }];
      if (!issue.message.startsWith('Invalid')) return [{ path, message: `${issue.message} (got ${describeValue(value)})` }];
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      return [{ path, message: `must be one of ${options.join(', ')} (got ${describeValue(value)})${hint}` }];
    }
    case 'invalid_key':
      // A record's key (a details label) that is not valid: say why, at the key (at the character it names, in the key).
      return issue.issues.flatMap((inner) => {
        const char = inner.code === 'invalid_format' ? refusedCharacter(inner.pattern, path.at(-1)) : undefined;
        return describeZodIssue({ ...inner, path } as ZodIssue, input, isQuotedNumber, written).map(({ char: _inValue, ...located }) => ({
          ...located,
          path,
          atKey: true,
          ...(char !== undefined && { char }),
        }));
      });
    case 'invalid_union': {
      // Report the branch that got furthest: the one whose problems are not at the union itself.
      const deeper = issue.errors.find((branch) => branch.every((inner) => inner.path.length > 0));
      if (deeper) return deeper.flatMap((inner) => describeZodIssue({ ...inner, path: [...path, ...inner.path] } as ZodIssue, input, isQuotedNumber, written));
      const shape = path.at(-1) === 'configuredBy' ? 'none, hardcoded, { env: VARIABLE } or { file: NAME }' : 'one of the allowed forms';
      return [{ path, message: `must be ${shape} (got ${describeValue(value)})` }];
    }
    default: {
      // A number out of its range (`port: 70000`): the value, as every other wrong value is named. Not a length's.
      if ((issue.code === 'too_big' || issue.code === 'too_small') && issue.origin === 'number')
        return [{ path, message: `${issue.message} (got ${numberWritten(value, written(path))})` }];
      const char = issue.code === 'invalid_format' ? refusedCharacter(issue.pattern, value) : undefined;
      return [{ path, message: issue.message, ...(char !== undefined && { char }) }];
    }
  }
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

/** The schema of the value at `path` (unwrapped), or undefined where the schema has none. */
function schemaAt(path: readonly PathSegment[]): z.ZodType | undefined {
  let schema: z.ZodType = RegistrySchema;
  for (const segment of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) {
      // Own keys only: `constructor`, or a key another module set on Object.prototype, is no key of the schema.
      if (!Object.hasOwn(schema.shape, segment)) return undefined;
      schema = (schema.shape as Record<string, z.ZodType>)[segment as string]!;
    } else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
    else return undefined;
    if (!schema) return undefined;
  }
  return unwrap(schema);
}

function knownKeys(path: readonly PathSegment[]): string[] {
  const schema = schemaAt(path);
  if (schema instanceof z.ZodUnion) {
    return schema.options.flatMap((option) => (option instanceof z.ZodObject ? Object.keys(option.shape) : []));
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
  return current;
}

function article(type: string): string {
  if (type === 'array') return 'a list';
  if (type === 'object') return 'a mapping';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * What a document that is not a mapping is, by kind: never its content. Such a file is no
 * registry at all (DSA110_PORTS_FILE naming a token file, an SSH key, /proc/self/environ), and
 * the message goes to the journal and to cron's mail: as notARegistry shows only a foreign
 * file's key names (never a line of /etc/shadow), this shows no value.
 */
function documentKind(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'a text value';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a true/false value';
  return value === null || typeof value === 'object' ? describeValue(value) : 'a single value';
}

/**
 * A number as the file writes it (`70000`, `-1`, `99999999999999999999`: not the number JavaScript rounds it to,
 * 100000000000000000000), cut to 40 characters; describeValue's words where no plain scalar is found.
 */
function numberWritten(value: unknown, written: WrittenAs): string {
  return written?.kind === 'scalar' && !written.quoted ? escapeText(written.text, 40) : describeValue(value);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  // yaml's Infinity for a plain decimal of 309 digits or more: never "Infinity", which no one wrote.
  if (typeof value === 'number' && !Number.isFinite(value) && !Number.isNaN(value)) return `${value < 0 ? 'a negative number' : 'a number'} of over 300 digits`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return quoteValue(value);
  return String(value);
}

/**
 * Another program's YAML file (prometheus.yml) as JavaScript values, as YAML 1.1 reads it (Go's yaml.v2, which
 * Prometheus uses, does): tags (`!!str https`), anchors and aliases, block scalars, a value on the line after its
 * key; merge keys in the order they are written (mergeInWrittenOrder: a `<<` after a key gives it again). For the
 * health check's readers, where a file is written in a way their line-by-line reading does not follow. Never throws: a file that is not YAML, or holds more than MAX_ALIASES aliases, more than
 * MAX_EXPANDED_NODES values or nests too deep, is `ok: false` with a one-line problem.
 */
export function parseConfigYamlText(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  if (tooManyValues(text)) return { ok: false, problem: 'it holds too many values to read as YAML' };
  try {
    const source = text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
    const doc = parseDocument(source, { version: '1.1', logLevel: 'silent', prettyErrors: false, keepSourceTokens: false, uniqueKeys: false });
    const error = doc.errors[0];
    if (error) return { ok: false, problem: `it is not YAML: ${oneLine(escapeText(error.message, 200))}` };
    mergeInWrittenOrder(doc);
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIASES }) };
  } catch (error) {
    // yaml's own limits: an alias expanded too often, nesting past the stack.
    return { ok: false, problem: `it cannot be read as YAML: ${oneLine(escapeText(error instanceof Error ? error.message : String(error), 200))}` };
  }
}
