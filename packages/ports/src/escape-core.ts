// The core of escape.ts, with no argument checks, so that arguments.ts can escape what it quotes (a getter's thrown
// message) without an import cycle: escape.ts checks its arguments with arguments.ts, then calls these.
import {
  CONTROLS_BUT_NEWLINE,
  INVISIBLE,
  INVISIBLE_PAIRS,
  LONE_SURROGATE,
  LOOKALIKE_PAIRS,
  LOOKALIKES,
  NONCHARACTER_PAIRS,
  NONCHARACTERS,
} from './characters.js';

/**
 * What escapeText shows escaped, the backslash aside (one character, or a pair of UTF-16
 * units), as a regular expression's source: printedShellWord (shell-word.ts) escapes the same.
 */
export const ESCAPED_SOURCE = `[\\n${CONTROLS_BUT_NEWLINE}${INVISIBLE}${NONCHARACTERS}${LOOKALIKES}]|${INVISIBLE_PAIRS}|${NONCHARACTER_PAIRS}|${LOOKALIKE_PAIRS}|${LONE_SURROGATE}`;
const UNSAFE_OR_BACKSLASH = new RegExp(`\\\\|${ESCAPED_SOURCE}`, 'g');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e', '\\': '\\\\' };

export function visible(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.codePointAt(0)!;
  if (code >= 0xdc80 && code <= 0xdcff) return `\\x${(code - 0xdc00).toString(16)}`; // a bad byte kept by decodeKeepingBadBytes
  if (code > 0xffff) return `\\u{${code.toString(16)}}`; // a tag character or variation selector beyond the BMP
  // \xNN is for a byte (one that is not UTF-8, above); a character is \uNNNN from U+0080 up (a C1 control, a no-break
  // space), so that the two never read alike: U+00A0 and the byte 0xa0 were both `\xa0`.
  return code <= 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** truncate, unchecked: `text` cut to `max` characters (code points), the last one an ellipsis. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  // Code points up to max + 1 only: splitting the whole text took 0.4 s for 10 million characters.
  const keep = Math.max(0, max - 1);
  let points = 0;
  let cut = 0;
  for (const point of text) {
    if (++points > max) return `${text.slice(0, cut)}…`;
    if (points <= keep) cut += point.length;
  }
  return text;
}

/** escapeText, unchecked. */
export function escapedText(value: string, max: number): string {
  // Cut before escaping (bounded work on a 1 MB value), then once more after.
  return cutText(cutText(value, max).replace(UNSAFE_OR_BACKSLASH, visible), max);
}

/** quoteValue, unchecked: `"…"`, escaped, at most `max` characters. */
export function quotedText(value: string, max: number): string {
  return `"${escapedText(value, max).replace(/"/g, '\\"')}"`;
}
