// A string as Go's strconv.Quote (fmt's %q) writes it, as promtool quotes a label name it refuses: `\a \b \f \n \r
// \t \v \\ \"`, another control character below 0x80 as `\x1b`, another rune Go does not print (unicode.IsPrint:
// not a letter, mark, number, punctuation, symbol or the ASCII space) as `\u202e` or `\U000e0001`. Checked with
// promtool 2.42.0: `"a\x1bb\a\u202e\U000e0001\t\x7f" is not a valid label name`.

const SHORT: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"' };

// Made at the first rune past ASCII: V8 builds a \p{...} class from ICU's tables when the expression is made, and at
// module scope that ran at every start of the health check (its bundle runs every module's top level). Every ASCII
// character from the space to `~` is a letter, number, punctuation or symbol; none below it, nor DEL.
let printable: RegExp | undefined;

/** Pure: whether Go prints `rune` as it is (unicode.IsPrint). */
function isPrint(rune: string): boolean {
  const code = rune.codePointAt(0)!;
  if (code < 0x80) return code >= 0x20 && code < 0x7f;
  printable ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
  return printable.test(rune);
}

/** Pure: `value` (at most `max` runes of it, then `…` after the quote) quoted as Go's %q quotes it. */
export function goQuoted(value: string, max = 200): string {
  const runes = [...value];
  const quoted = runes.slice(0, max).map((rune) => {
    const short = SHORT[rune];
    if (short !== undefined) return short;
    if (isPrint(rune)) return rune;
    const code = rune.codePointAt(0)!;
    const hex = code.toString(16);
    if (code < 0x80) return `\\x${hex.padStart(2, '0')}`;
    return code < 0x10000 ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`;
  });
  return `"${quoted.join('')}"${runes.length > max ? '…' : ''}`;
}
