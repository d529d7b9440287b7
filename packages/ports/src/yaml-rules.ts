// How ports.yaml's YAML is read, beyond the YAML spec: numbers only as plain
// decimals, no explicit tags, aliases bounded and acyclic, nesting bounded,
// keys plain (never a list, a mapping or an alias), no merge keys (`<<`).
// The checks run on the parsed document before it becomes JavaScript, so no
// input can make toJS() throw, loop, or blow up in memory (all limits are
// documented in packages/ports/README.md, "Beware"). And the characters YAML
// itself does not allow, which the yaml package reads without a word.
import { LONE_SURROGATE } from './characters.js';
import { escapeText, quoteValue } from './escape.js';
import { CST, isAlias, isMap, isPair, isScalar, isSeq, Lexer, Parser, Scalar, visit, type Alias, type Document, type Node, type ScalarTag } from 'yaml';

/** What is wrong with a list or mapping as a key (`? [a, b]`, `[a]: v`): it has no JavaScript form. */
export const COLLECTION_KEY = 'a mapping key must be a plain word, not a list or a mapping';

export const MAX_ALIASES = 16;
/** Nodes after every alias is expanded; the real registry has about 1,500. */
export const MAX_EXPANDED_NODES = 100_000;
export const MAX_DEPTH = 32;
/** The one message for a document nested past MAX_DEPTH, however deep (parse.ts uses it when yaml's own parser runs out of stack). */
export const TOO_DEEP = `the YAML nests deeper than ${MAX_DEPTH} levels; a registry needs only a few: look here for a [, { or "- " repeated or left open by mistake`;

/** A plain decimal: what every number in ports.yaml must look like (`61800`, `0.5`, `-1`). */
const DECIMAL = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/**
 * The scalar types of ports.yaml: the failsafe schema (strings, maps, lists)
 * plus null, true/false and plain decimal numbers. `0xF168`, `6.18e4`,
 * `061800`, `61800.`, `.5`, `+5`, `.inf` stay strings, so the schema reports
 * them ("must be a number (got "0xF168")") instead of reading 61800.
 */
export const PLAIN_TAGS: ScalarTag[] = [
  {
    identify: (value) => value == null,
    default: true,
    tag: 'tag:yaml.org,2002:null',
    test: /^(?:~|[Nn]ull|NULL)?$/,
    resolve: () => new Scalar(null),
  },
  {
    identify: (value) => typeof value === 'boolean',
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
    resolve: (text) => new Scalar(text[0] === 't' || text[0] === 'T'),
  },
  {
    identify: (value) => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: DECIMAL,
    resolve: (text) => new Scalar(Number(text)),
  },
];

/**
 * The message for a file of more than MAX_EXPANDED_NODES values (`total` when counted, else "more than"). The file was
 * read, so its path is not what is wrong (`check the path` was said of 200,000 nested `[`): the file is, and the way
 * out is to cut it down, or to name another file when it is not the registry at all.
 */
export function tooManyValuesMessage(total?: number): string {
  const held = total === undefined ? `more than ${MAX_EXPANDED_NODES} values` : `${total} values, more than ${MAX_EXPANDED_NODES}`;
  return `the file holds ${held} (a registry holds about 1,500), too many to be one as it stands; cut it down to its services and reserved ranges, or, if it is not the registry, give the registry's path`;
}

/** Characters one of which comes before every value but the first (a separator, an indicator, a quote). */
const BEFORE_A_VALUE = new Uint8Array(128);
for (const char of ',\n\r:-?[]{}"\'|>*&!') BEFORE_A_VALUE[char.charCodeAt(0)] = 1;

/**
 * Whether `text` holds more than `limit` values (the nodes yamlProblems counts), found before
 * any document is built: yaml builds each value at about 12 µs and 1 KiB,
 * so a 1 MiB flow list of 400,000 numbers took 5 s and 460 MB, and 1 MiB of nested
 * block lists (`- - - x`) 9 s and 670 MB, before the tree walk (yamlProblems) could refuse it.
 * A count of the characters that must come before a value (at most two values each: `{a, b}`
 * holds a, b and each one's empty value) gates a count of yaml's own tokens, which stops
 * at the limit (about 0.2 s): a registry (a few kB) pays only the first.
 *
 * The tokens count what the document will hold, never more: each scalar, quoted scalar, alias
 * and `[`/`{`; each place for a value that an indicator (`-`, `?`, `:`) opens and the next
 * indicator closes with no value in it (an empty value, or a block list or mapping: `- - x` is a
 * list in a list), or filled by the first key of a mapping (`- a: b`, where the place holds the
 * mapping); each empty key (`: x`); each key of a flow mapping with no `:` (`{a, b}`),
 * and each explicit key (`? a`) with none. Not counted: a block mapping no indicator opened a place
 * for (the top one), and an explicit key with no value after another one (`?` then `?`: a file of
 * those holds about twice the count). Never more than the document holds: yaml-rules.test.ts checks.
 */
export function tooManyValues(text: string, limit = MAX_EXPANDED_NODES): boolean {
  let before = 0;
  for (let index = 0; index < text.length; index++) before += BEFORE_A_VALUE[text.charCodeAt(index)] ?? 0;
  if (2 * before + 1 <= limit) return false;
  let values = 0;
  // The token after a SCALAR mark is that scalar's source, whatever its first character.
  let afterMark = false;
  // A place for a value that an indicator opened and no value filled yet.
  let open = false;
  // A value since the last indicator, comma, bracket or (outside brackets) line break: a `:` after it ends an implicit key.
  let keyBefore = false;
  // Whether that value filled an open place: if it is a key (`- a: b`, `x:` then `  k: v`), the place holds its mapping, or an empty value.
  let filled = false;
  // Explicit keys (`?`) in block mappings still waiting for their `:`.
  let explicitKeys = 0;
  // For each enclosing flow collection, whether it is a mapping; and whether its entry so far has a `:`.
  const flow: boolean[] = [];
  let entryHasColon = false;
  let entryHasValue = false;
  for (const token of new Lexer().lex(text)) {
    if (afterMark) {
      afterMark = false;
      continue;
    }
    const type = token === CST.SCALAR ? 'scalar' : CST.tokenType(token);
    switch (type) {
      case 'scalar':
      case 'double-quoted-scalar':
      case 'single-quoted-scalar':
      case 'alias':
      case 'flow-seq-start':
      case 'flow-map-start':
        values++;
        filled = open && !type.startsWith('flow');
        open = false;
        entryHasValue = true;
        if (type === 'scalar') afterMark = true;
        if (type === 'flow-seq-start' || type === 'flow-map-start') {
          flow.push(type === 'flow-map-start');
          keyBefore = entryHasColon = entryHasValue = false;
        } else keyBefore = true;
        break;
      case 'seq-item-ind':
        if (open) values++;
        open = true;
        keyBefore = false;
        break;
      case 'explicit-key-ind':
        if (open) values++;
        else if (flow.length === 0 && explicitKeys > 0) {
          // The explicit key before this one had no `:`: its value is empty.
          values++;
          explicitKeys--;
        }
        open = true;
        if (flow.length > 0) keyBefore = true;
        else {
          explicitKeys++;
          keyBefore = false;
        }
        break;
      case 'map-value-ind':
        if (open || (keyBefore && filled)) values++;
        if (!keyBefore) {
          if (flow.length === 0 && explicitKeys > 0) explicitKeys--;
          else values++;
        }
        open = true;
        keyBefore = false;
        entryHasColon = true;
        break;
      case 'comma':
      case 'flow-seq-end':
      case 'flow-map-end':
      case 'flow-error-end':
        if (open) values++;
        else if (flow.at(-1) === true && entryHasValue && !entryHasColon) values++;
        open = false;
        entryHasColon = entryHasValue = false;
        if (type === 'comma') keyBefore = false;
        else {
          flow.pop();
          keyBefore = entryHasValue = true;
          entryHasColon = true;
        }
        break;
      case 'newline':
        if (flow.length === 0) keyBefore = false;
        break;
      case 'doc-start':
      case 'doc-end':
        if (open) values++;
        open = keyBefore = false;
        explicitKeys = 0;
        flow.length = 0;
        break;
    }
    if (values > limit) return true;
  }
  return values + (open ? 1 : 0) > limit;
}

/**
 * What YAML 1.2 allows nowhere (its c-printable leaves them out, and a quoted scalar's nb-json starts at
 * U+0020): the C0 controls but tab, LF and CR; a lone surrogate, which is no character at all (only a
 * JavaScript string holds one: a file's bytes are UTF-8, checked before this, see utf8.ts).
 */
const NOWHERE = `[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]|${LONE_SURROGATE}`;
/**
 * What YAML 1.2 allows only inside a quoted scalar (nb-json, for JSON's sake): DEL and the C1 controls
 * but NEL (U+0085, printable), U+FFFE and U+FFFF (outside c-printable), and a byte order mark, which
 * may only start the stream (where the yaml package reads it) and no plain text or comment holds.
 */
const OUTSIDE_QUOTES = '[\\u007f-\\u0084\\u0086-\\u009f\\ufeff\\ufffe\\uffff]';
const NOWHERE_START = new RegExp(`^(?:${NOWHERE})`);
const NOT_ALLOWED = new RegExp(`${NOWHERE}|${OUTSIDE_QUOTES}`, 'g');

/**
 * The first character of `text` that YAML 1.2 does not allow where it is, said by name (the yaml
 * package reads each without a word, or gives an error that does not name it, such as "Implicit map
 * keys need to be followed by map values" for a NUL byte on a line of its own); undefined when there
 * is none. Where: the quoted scalars of `doc`, parsed from `text`.
 */
export function disallowedCharacter(doc: Document, text: string): YamlProblem | undefined {
  let quoted: [number, number][] | undefined;
  let next = 0;
  for (const match of text.matchAll(NOT_ALLOWED)) {
    const offset = match.index;
    const char = match[0];
    const nowhere = NOWHERE_START.test(char);
    if (!nowhere) {
      if (offset === 0 && char === '\ufeff') continue;
      // The matches come in order, as do the quoted scalars: one walk through both.
      quoted ??= quotedRanges(doc);
      while (next < quoted.length && quoted[next]![1] <= offset) next++;
      if (next < quoted.length && quoted[next]![0] < offset) continue;
    }
    return { message: disallowedMessage(char, nowhere), offset };
  }
  return undefined;
}

/** Where each quoted scalar (a key or a value) starts and ends, its quotes included, in document order. */
function quotedRanges(doc: Document): [number, number][] {
  const ranges: [number, number][] = [];
  visit(doc, {
    Scalar(_, node) {
      if ((node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) && node.range) ranges.push([node.range[0], node.range[1]]);
    },
  });
  return ranges.sort((a, b) => a[0] - b[0]);
}

/**
 * Each quoted text and each flow list or mapping (`[`, `{`) that `text` never closes, at its opening quote
 * or bracket. yaml reports an unclosed quote where the text it swallowed ends (at the end of the file, when
 * no later quote stops it) and an unclosed bracket at the next line: its own concrete syntax tree says where
 * each one starts. Only tokens: a quote inside a plain value or a comment (`It's`, `# "`) is none.
 */
export function unclosedProblems(text: string): YamlProblem[] {
  const problems: YamlProblem[] = [];
  // A walk of its own, not CST.visit: that recurses once per level, and a file nested too deep to parse must still get its answer.
  const pending: (CST.Token | null | undefined)[] = [...new Parser().parse(text)].reverse();
  while (pending.length > 0) {
    const token = pending.pop();
    if (!token) continue;
    if (token.type === 'document') pending.push(token.value);
    else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (token.type === 'flow-collection' && !token.end.some((end) => end.type === 'flow-seq-end' || end.type === 'flow-map-end')) {
        const list = token.start.source === '[';
        problems.push({
          message: `this ${list ? 'list' : 'mapping'} is never closed (its closing ${list ? ']' : '}'} is missing); add it where the ${list ? 'list' : 'mapping'} ends`,
          offset: token.offset,
        });
      }
      for (let index = token.items.length - 1; index >= 0; index--) pending.push(token.items[index]!.value, token.items[index]!.key);
    } else if ((token.type === 'double-quoted-scalar' || token.type === 'single-quoted-scalar') && !quoteClosed(token.source)) {
      const quote = token.source[0];
      problems.push({ message: `this quoted text is never closed (its closing ${quote} is missing); add it where the text ends`, offset: token.offset });
    }
  }
  return problems;
}

/**
 * Where `text` first nests deeper than MAX_DEPTH: the value yamlProblems would name (the 33rd `[` of
 * `[[[...`), found in yaml's concrete syntax tree, which it builds without recursing; undefined when it
 * does not. yaml's own composer recurses once per level, and where it runs out of stack (2:840 of a line
 * of 1,000 `[`) is no place in the file a person can act on.
 */
export function tooDeepOffset(text: string): number | undefined {
  // A walk of its own, depth first in document order (as yamlProblems counts: the document's value is
  // depth 0, a key or value inside a collection one deeper than the collection).
  const pending: [CST.Token | null | undefined, number][] = [...new Parser().parse(text)].reverse().map((token) => [token, -1]);
  while (pending.length > 0) {
    const [token, depth] = pending.pop()!;
    if (!token) continue;
    if (token.type === 'document') pending.push([token.value, 0]);
    else if (depth > MAX_DEPTH) return token.offset;
    else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      for (let index = token.items.length - 1; index >= 0; index--) pending.push([token.items[index]!.value, depth + 1], [token.items[index]!.key, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Whether a quoted scalar's source ends with its closing quote: a `"` after an even run of backslashes
 * (`\"` is an escaped quote), a `'` ending an odd run of them (`''` is an escaped quote).
 */
function quoteClosed(source: string): boolean {
  const quote = source[0]!;
  const end = source.length - 1;
  if (end < 1 || source[end] !== quote) return false;
  let run = 0;
  if (quote === '"') {
    while (source[end - 1 - run] === '\\') run++;
    return run % 2 === 0;
  }
  // The opening quote is not part of the run.
  while (end - run >= 1 && source[end - run] === "'") run++;
  return run % 2 === 1;
}

const CHARACTER_NAMES: Readonly<Record<string, string>> = {
  '\u0000': 'a NUL byte',
  '\u0008': 'a backspace',
  '\u000b': 'a vertical tab',
  '\u000c': 'a form feed',
  '\u001b': 'an escape character',
  '\u007f': 'a DEL character',
  '\ufeff': 'a byte order mark',
  '\ufffe': 'the noncharacter U+FFFE',
  '\uffff': 'the noncharacter U+FFFF',
};

function disallowedMessage(char: string, nowhere: boolean): string {
  const code = char.charCodeAt(0);
  // A lone surrogate by its number: escapeText shows U+DC80-U+DCFF as the byte it may stand for (\x80).
  const what =
    code >= 0xd800 && code <= 0xdfff
      ? `a lone surrogate (U+${code.toString(16).toUpperCase()}, half of a UTF-16 pair), which is no character and`
      : `${CHARACTER_NAMES[char] ?? (code < 0x20 ? 'a control character' : 'a C1 control character')} (${escapeText(char)})${char === '\ufeff' ? ' after the start of the file' : ''}, which`;
  return `${what} YAML does not allow ${nowhere ? 'in a file' : 'outside a quoted string'}; remove it`;
}

export interface YamlProblem {
  readonly message: string;
  readonly offset: number;
}

/** Every way `doc` breaks the rules above; empty when toJS() is safe. */
export function yamlProblems(doc: Document, text?: string): YamlProblem[] {
  const problems: YamlProblem[] = [];
  const at = (node: Node | null | undefined) => node?.range?.[0] ?? 0;
  let aliases = 0;
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let tooDeep = false;
  const targets = aliasTargets(doc);
  // Values counted so far, in document order (each node once, an alias as many as it expands to), and the alias
  // whose expansion took them past MAX_EXPANDED_NODES: where the "aliases expand" problem is said, not at the
  // document's first key. `largest`: the alias that expands to most, for a total passed by plain values after it.
  let counted = 0;
  let passedAt: { alias: Alias; values: number } | undefined;
  let largest: { alias: Alias; values: number } | undefined;
  const countValues = (values: number, alias?: Alias) => {
    counted += values;
    if (alias === undefined) return;
    if (passedAt === undefined && counted > MAX_EXPANDED_NODES) passedAt = { alias, values };
    if (largest === undefined || values > largest.values) largest = { alias, values };
  };

  const countAlias = (node: Alias) => {
    aliases++;
    if (aliases === MAX_ALIASES + 1) {
      problems.push({ message: `more than ${MAX_ALIASES} YAML aliases; write the values out instead`, offset: at(node) });
    }
  };

  const size = (node: unknown, depth: number): number => {
    if (node === null || node === undefined || problems.length > 20) return 1;
    if (depth > MAX_DEPTH) {
      if (!tooDeep) problems.push({ message: TOO_DEEP, offset: at(node as Node) });
      tooDeep = true;
      return 1;
    }
    if (isAlias(node)) {
      countAlias(node);
      const target = targets.get(node);
      if (!target) {
        problems.push({ message: `YAML alias *${node.source} has no anchor &${node.source} before it`, offset: at(node) });
        return 1;
      }
      if (open.has(target)) {
        problems.push({ message: `YAML alias *${node.source} is inside the value it refers to (a loop)`, offset: at(node) });
        return 1;
      }
      // The anchor comes before the alias, so its value is counted already: its size is known, and counted here again.
      const expanded = size(target, depth);
      countValues(expanded, node);
      return expanded;
    }
    const node_ = node as Node;
    const known = sizes.get(node_);
    if (known !== undefined) return known;
    countValues(1);
    // yaml sets `tag` only on a node whose tag is written (a quoted or plain string has none), so `!!str` is refused
    // as every other tag is: the README allows none, and `port: !!str 8080` would be blamed on a value written plain.
    const tag = (node_ as { tag?: string }).tag;
    if (tag !== undefined && (isScalar(node_) || isMap(node_) || isSeq(node_))) {
      problems.push({ message: `YAML tag ${shortTag(tag)} is not allowed in ports.yaml; write the plain value`, offset: tagStart(text, at(node_)) });
    }
    let total = 1;
    open.add(node_);
    if (isMap(node_)) {
      for (const pair of node_.items) {
        if (!isPair(pair)) continue;
        // An alias as a key (`&k port: 8000` then `*k : 8500`) hides what the key is: the line a reader sees
        // (`port: 8000`) lost to the alias's value, and the duplicate-key check would have to see through it.
        // Counted as any alias is; said for the first few only (20,000 of them are one mistake, not 20,000 lines).
        if (isAlias(pair.key)) {
          countAlias(pair.key);
          if (problems.length <= 20) {
            const name = escapeText(pair.key.source, 40);
            problems.push({ message: `a YAML alias (*${name}) may not be a mapping key in ports.yaml; write the key itself`, offset: at(pair.key) });
          }
          countValues(1);
          total += 1 + size(pair.value, depth + 1);
          continue;
        }
        const key = pair.key;
        // A list or mapping as a key (`? [a, b]`) has no JavaScript form: toJS() would stringify it with a warning.
        if (isMap(key) || isSeq(key)) {
          problems.push({ message: COLLECTION_KEY, offset: at(pair.key as Node) });
          continue;
        }
        // A merge key (`<<: *base`, YAML 1.1) is not YAML 1.2: read as a key named "<<", it would be
        // "unknown key" and every merged key "missing". Say what it is instead.
        if (isScalar(key) && key.type === 'PLAIN' && key.source === '<<') {
          problems.push({ message: 'YAML merge keys (<<) are not supported in ports.yaml; write the keys out', offset: at(pair.key as Node) });
          continue;
        }
        total += size(pair.key, depth + 1) + size(pair.value, depth + 1);
      }
    } else if (isSeq(node_)) {
      for (const item of node_.items) total += size(item, depth + 1);
    }
    open.delete(node_);
    sizes.set(node_, total);
    return total;
  };

  const total = size(doc.contents, 0);
  if (total > MAX_EXPANDED_NODES && problems.length === 0) {
    const where = passedAt ?? largest;
    problems.push(
      where === undefined
        ? { message: tooManyValuesMessage(total), offset: at(doc.contents as Node | null) }
        : {
            // At the alias that takes the count past the limit (or, when plain values after the aliases do, the largest).
            message: `YAML aliases expand the registry to ${total} values, more than ${MAX_EXPANDED_NODES} (${where === passedAt ? 'past it here' : 'the most here'}: *${escapeText(where.alias.source, 40)} is ${where.values} values); write the values out instead`,
            offset: at(where.alias),
          },
    );
  }
  return problems;
}

/**
 * What each alias refers to, as yaml's `Alias.resolve` finds it (the last node before the alias,
 * in document order, with that anchor), for every alias in one walk: `resolve` walks the whole
 * document for each alias, so 20,000 aliases in a 60 KB file took 35 s.
 */
function aliasTargets(doc: Document): Map<Alias, Node | undefined> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node | undefined>();
  visit(doc, {
    Node(_, node) {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

/**
 * Where the tag written before the value at `offset` starts (`version: !!int 1` points at the `!`,
 * not at the 1), looking back past at most an anchor; `offset` when it cannot tell (no text, a comment between).
 */
function tagStart(text: string | undefined, offset: number): number {
  if (text === undefined) return offset;
  let end = offset;
  for (let token = 0; token < 2; token++) {
    while (end > 0 && /\s/.test(text[end - 1]!)) end--;
    let start = end;
    while (start > 0 && !/[\s,[\]{}]/.test(text[start - 1]!)) start--;
    if (text[start] === '!') return start;
    if (text[start] !== '&' || start === end) return offset;
    end = start;
  }
  return offset;
}

function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

/**
 * The directives (`%YAML 1.1`, `%TAG ! tag:x:`) before the document's `---` line, each but `%YAML 1.2` a problem where
 * it starts. The registry is read as YAML 1.2 whatever a directive says, so `%YAML 1.1` would make the file another
 * file to an editor that honours it (a schema check in the editor reads `no` as false, `0x22B8` as 8888) while it
 * validates here: said, not ignored. `%TAG` names tags, which ports.yaml allows none of; any other directive is
 * reserved and means nothing. `text` as yaml read it (lone CRs as LF).
 */
export function directiveProblems(text: string): YamlProblem[] {
  const problems: YamlProblem[] = [];
  // The prologue: blank, comment and directive lines, up to the `---` line (or any other line: then there is none).
  let offset = text.startsWith('\uFEFF') ? 1 : 0;
  for (; offset < text.length; ) {
    const end = text.indexOf('\n', offset);
    const content = text.slice(offset, end === -1 ? undefined : end).replace(/\r$/, '');
    const start = offset;
    offset = end === -1 ? text.length : end + 1;
    if (/^[ \t]*(?:#.*)?$/.test(content)) continue;
    if (!content.startsWith('%')) break;
    const directive = content.replace(/[ \t]+#.*$/, '').trimEnd();
    const [name = '', ...parameters] = directive.slice(1).split(/[ \t]+/);
    if (name === 'YAML' && parameters.length === 1 && parameters[0] === '1.2') continue;
    const written = quoteValue(directive, 60);
    problems.push({
      offset: start,
      message:
        name === 'YAML'
          ? `the directive ${written}: ports.yaml is read as YAML 1.2 whatever it says (under YAML 1.1 \`no\` is false and 0x22B8 is 8888, so an editor that honours it checks other values); remove the directive`
          : name === 'TAG'
            ? `the directive ${written} names YAML tags, which ports.yaml does not allow; remove the directive (the registry is YAML 1.2 with plain values)`
            : `the directive ${written} is not one YAML 1.2 knows (only %YAML and %TAG); remove it (the registry is YAML 1.2)`,
    });
  }
  return problems;
}
