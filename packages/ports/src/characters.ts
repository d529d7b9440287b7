// Which characters may not be printed or written as they are: one home for
// the sets that the registry's schema refuses (schema.ts) and that every
// printer escapes (escape.ts). Each set is the body of a regular expression's
// character class (BMP), or an alternation of surrogate pairs (beyond it). The
// schema's sets beyond the BMP are also written as code points (*_BEYOND_BMP),
// for an expression with the `u` flag: JSON Schema reads every pattern so, and
// there a surrogate-pair alternation matches nothing.

/**
 * Controls, save the line feed: C0 and C1 controls, DEL, the Unicode line
 * and paragraph separators, the bidirectional overrides and isolates (they
 * reorder what a terminal shows), the byte order mark.
 */
export const CONTROLS_BUT_NEWLINE = '\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ufeff';

/**
 * Characters that show as nothing, or that format others rather than show
 * themselves: every format character (Unicode's category Cf) and every
 * default-ignorable code point, assigned or not, save the few the next set
 * keeps and the controls above. A zero-width space, word joiner or invisible
 * operator, a soft hyphen, a combining grapheme joiner, the bidirectional
 * marks (LRM, RLM, ALM, which reorder text as the overrides do), the Mongolian
 * vowel separator, Khmer's inherent vowels, the deprecated format characters,
 * interlinear annotations, the Hangul fillers, the prepended concatenation
 * marks (U+0600, U+06DD, U+070F, U+08E2, U+110CD: they join the digits that
 * follow), Egyptian hieroglyph format controls, tag characters. "Ng\u200binx"
 * reads as "Nginx" on every page and terminal but is another name.
 * characters.test.ts holds the list to those properties, code point by code
 * point (a property escape here would cost its pattern's making at every start).
 */
export const INVISIBLE =
  '\\u00ad\\u034f\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u115f\\u1160\\u17b4\\u17b5\\u180e\\u200b\\u200e\\u200f\\u2060-\\u2065\\u206a-\\u206f\\u3164\\uffa0\\ufff0-\\ufffb';
/**
 * INVISIBLE beyond the BMP: Kaithi's number signs, Egyptian hieroglyph format controls, shorthand and
 * musical format controls, tag characters and the default-ignorable rest of plane 14 (U+E0000-U+E0FFF
 * but the variation selectors supplement, U+E0100-U+E01EF).
 */
export const INVISIBLE_PAIRS =
  '\\ud804[\\udcbd\\udccd]|\\ud80d[\\udc30-\\udc3f]|\\ud82f[\\udca0-\\udca3]|\\ud834[\\udd73-\\udd7a]|\\udb40[\\udc00-\\udcff\\uddf0-\\udfff]|[\\udb41-\\udb43][\\udc00-\\udfff]';
/** INVISIBLE_PAIRS as a character class body of code points, for the `u` flag. */
export const INVISIBLE_BEYOND_BMP =
  '\\u{110bd}\\u{110cd}\\u{13430}-\\u{1343f}\\u{1bca0}-\\u{1bca3}\\u{1d173}-\\u{1d17a}\\u{e0000}-\\u{e00ff}\\u{e01f0}-\\u{e0fff}';

/**
 * Characters that text may need but that let a value pass for another when
 * it stands alone: the zero-width (non-)joiners and variation selectors
 * (emoji and some scripts need them; `sshd` followed by one looks like
 * `sshd`), Mongolian's variation selectors, and every space that is not
 * U+0020 (a no-break space looks like a space and is not one). The registry
 * may hold them; a value from outside (a process's command line, a path) is
 * printed with them escaped.
 */
export const LOOKALIKES = '\\u00a0\\u1680\\u180b-\\u180d\\u180f\\u2000-\\u200a\\u200c\\u200d\\u202f\\u205f\\u3000\\ufe00-\\ufe0f';
/** LOOKALIKES beyond the BMP: the variation selectors supplement (U+E0100-U+E01EF). */
export const LOOKALIKE_PAIRS = '\\udb40[\\udd00-\\uddef]';

/** A surrogate without its other half (a terminal shows U+FFFD; decodeKeepingBadBytes keeps a bad byte as U+DC80+byte). */
export const LONE_SURROGATE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';

/**
 * Unicode noncharacters: U+FDD0-U+FDEF and the last two code points of every
 * plane (U+FFFE, U+FFFF, U+1FFFE, ... U+10FFFF). Unicode keeps them for
 * programs' internal use: no font shows one (U+FFFF prints as nothing), and
 * YAML readers refuse U+FFFE and U+FFFF.
 */
export const NONCHARACTERS = '\\ufdd0-\\ufdef\\ufffe\\uffff';
// U+1FFFE, U+1FFFF, ... U+10FFFF in UTF-16: a plane's last high surrogate (D83F, D87F, ..., DBFF), then DFFE or DFFF.
const PLANE_ENDS = Array.from({ length: 16 }, (_, plane) => `\\u${(0xd83f + plane * 0x40).toString(16)}`).join('');
/** NONCHARACTERS beyond the BMP. */
export const NONCHARACTER_PAIRS = `[${PLANE_ENDS}][\\udffe\\udfff]`;
/** NONCHARACTER_PAIRS as a character class body of code points, for the `u` flag. */
export const NONCHARACTERS_BEYOND_BMP = Array.from(
  { length: 16 },
  (_, plane) => `\\u{${(plane + 1).toString(16)}fffe}-\\u{${(plane + 1).toString(16)}ffff}`,
).join('');
