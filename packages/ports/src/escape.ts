// Strings from outside (command lines, comm, paths, unit lines, values from
// files) as they may be printed: every control character, line break and
// terminal escape as a visible escape, long values cut with an ellipsis. One
// home for the rule; claim-port, the health check and `ports` print through it.

import { maxArgument, stringArgument, stringListArgument } from './arguments.js';
import { CONTROLS_BUT_NEWLINE, INVISIBLE, INVISIBLE_PAIRS, LONE_SURROGATE, NONCHARACTER_PAIRS, NONCHARACTERS } from './characters.js';
import { cutText, ESCAPED_SOURCE, escapedText, quotedText, visible } from './escape-core.js';
import { MAX_ID_LENGTH } from './limits.js';

export { ESCAPED_SOURCE };

/** Errors quote at most this much of a bad value. */
export const MAX_QUOTED = 200;

// oneLine and prometheusLabel: what no text of ours or of the registry holds
// (the registry's schema refuses the same sets). escapeText, for values from
// outside: also what could make a value pass for another (see characters.ts).
// Printable text, emoji included, is left alone.
// Noncharacters too: the schema refuses them, and the error that says so must show where the one is.
const UNSAFE = new RegExp(`[\\n${CONTROLS_BUT_NEWLINE}${INVISIBLE}${NONCHARACTERS}]|${INVISIBLE_PAIRS}|${NONCHARACTER_PAIRS}|${LONE_SURROGATE}`, 'g');
/** Cut `text` to `max` characters (code points), the last one an ellipsis. */
export function truncate(text: string, max: number): string {
  stringArgument('truncate', 'text', text);
  maxArgument('truncate', max);
  return cutText(text, max);
}

/**
 * A value from outside, safe to print on one line: backslashes and every
 * control character as C-style escapes (`\n`, `\e`, `\x07`, `\u202e`), so
 * nothing it holds can start a new log line, move the cursor or colour the
 * terminal, and `\n` in the output always means an escaped newline. Cut to
 * `max` characters (default 500) with an ellipsis.
 */
export function escapeText(value: string, max = 500): string {
  stringArgument('escapeText', 'value', value);
  maxArgument('escapeText', max);
  return escapedText(value, max);
}

// A name's every character that is not printable ASCII: a surrogate pair whole (one `\u{...}`), else one unit.
const NOT_PRINTABLE_ASCII = /\\|[\ud800-\udbff][\udc00-\udfff]|[^\x20-\x7e]/g;

/**
 * A process name, or a glob of the registry's on process names (a service's `processes`,
 * `claim.protect.processes`), as printed: escaped as escapeText escapes it, and every other
 * character beyond ASCII as `\uNNNN` too. Programs are named in ASCII; a name that is not is
 * most often a look-alike (`rеdis-server` with U+0435, a Cyrillic е), which, printed as it is,
 * reads as the name it imitates: `expected rеdis-server` beside a holder named `redis-server`.
 * For names only: prose (a description in Japanese) goes through escapeText, readable.
 */
export function processNameText(name: string, max = 500): string {
  stringArgument('processNameText', 'name', name);
  maxArgument('processNameText', max);
  // Cut before escaping (bounded work), as escapeText does; then cut between escapes, never inside one (`\u04…`).
  const cut = truncate(name, max);
  const pieces = (cut.match(NAME_CHARACTER) ?? []).map((piece) => piece.replace(NOT_PRINTABLE_ASCII, visible));
  const whole = pieces.join('');
  if (cut === name && whole.length <= max) return whole;
  let shown = '';
  for (const piece of pieces) {
    if (shown.length + piece.length > max - 1) break;
    shown += piece;
  }
  return `${shown}…`;
}

// One character of a name: a surrogate pair whole, else one unit.
const NAME_CHARACTER = /[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g;

/** A bad value quoted in an error message: `"…"`, escaped, at most MAX_QUOTED characters. */
export function quoteValue(value: string, max = MAX_QUOTED): string {
  stringArgument('quoteValue', 'value', value);
  maxArgument('quoteValue', max);
  return quotedText(value, max);
}

/**
 * A path (or file name) from outside, as printed: escaped like escapeText, and
 * quoted when it would not be seen for what it is otherwise: empty, or starting
 * or ending with white space (`DSA110_PORTS_FILE=' '` shows as `" "`, not as a
 * blank).
 */
export function pathText(path: string, max = 500): string {
  stringArgument('pathText', 'path', path);
  // Checked here too: escapeText and quoteValue would refuse it in their own names.
  maxArgument('pathText', max);
  return path === '' || /^\s|\s$/u.test(path) ? quoteValue(path, max) : escapeText(path, max);
}

/**
 * One line for a log or a report, whatever went into it: control characters
 * and line breaks escaped (backslashes left alone: the line's own text is
 * ours; values from outside were escaped with escapeText already). Cut to
 * `max` characters.
 */
export function oneLine(line: string, max = 4000): string {
  stringArgument('oneLine', 'line', line);
  maxArgument('oneLine', max);
  return truncate(truncate(line, max).replace(UNSAFE, visible), max);
}

/**
 * A Prometheus label value: the exposition format's own escapes (`\\`, `\"`,
 * `\n`), with every other control character escaped visibly too, and cut to
 * 200 characters.
 */
export function prometheusLabel(value: string, max = MAX_QUOTED): string {
  stringArgument('prometheusLabel', 'value', value);
  maxArgument('prometheusLabel', max);
  const shown = truncate(value, max).replace(UNSAFE, (char) => (char === '\n' ? char : visible(char)));
  return truncate(shown, max).replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`));
}

/**
 * Each service id's Prometheus label value (prometheusLabel, as the health check's metrics write `service="..."`),
 * one to one: two ids written as one value would make two services one series, and the alerts `ports monitoring`
 * writes for one fire for the other. A validated registry's ids (lower-case letters, digits and dashes, at most 64
 * characters) are their own values; a Registry made with `new Registry(data, source)` from ids never validated may
 * have two that are cut to the same first 200 characters, or a control character beside the text of its escape
 * (`a\x01` and `a\\x01`): a TypeError that names both.
 */
export function prometheusLabels(ids: readonly string[]): ReadonlyMap<string, string> {
  stringListArgument('prometheusLabels', 'ids', ids);
  const labels = new Map<string, string>();
  const owner = new Map<string, string>(); // each value, and the id it is written for
  for (const id of ids) {
    if (labels.has(id)) continue;
    const label = prometheusLabel(id);
    const other = owner.get(label);
    if (other !== undefined) throw sameLabel(other, id, label);
    labels.set(id, label);
    owner.set(label, id);
  }
  return labels;
}

function sameLabel(first: string, second: string, label: string): TypeError {
  let differ = 0; // where the ids differ, in characters: said when their quotes, cut, look alike
  while (first[differ] === second[differ]) differ++;
  const [a, b] = [quotedText(first, MAX_QUOTED), quotedText(second, MAX_QUOTED)];
  const apart = a === b ? ` (they differ from character ${[...first.slice(0, differ)].length + 1} on)` : '';
  return new TypeError(
    `services ${a} and ${b}${apart} would be one series in Prometheus: both are written as the label value service="${truncate(label, 60)}"; give each an id of lower-case letters, digits and dashes, at most ${MAX_ID_LENGTH} characters, as a validated registry has (parseRegistry, loadRegistry)`,
  );
}

const LONE_SURROGATES = new RegExp(LONE_SURROGATE, 'g');

/**
 * JSON.stringify's replacer for output other programs parse: every string
 * well-formed Unicode (I-JSON, RFC 7493), a lone surrogate (a byte that is not
 * UTF-8 in a process's argv or comm, kept as U+DC80+byte) U+FFFD. Plain
 * JSON.stringify writes `"\udcff"`, which Rust's serde_json refuses and
 * Python cannot encode again; the human lines keep such a byte visible as
 * `\xff` (escapeText).
 */
export function wellFormedJson(key: string, value: unknown): unknown {
  stringArgument('wellFormedJson', 'key', key);
  return typeof value === 'string' ? value.replace(LONE_SURROGATES, '\uFFFD') : value;
}
