// A word of a shell command line printed for an operator to run: as written
// when the shell leaves it so, else in single quotes (`foo\x2dbar.service`
// would lose its backslash, `my dir` would be two words).
import { describeArgument, stringArgument } from './arguments.js';
import { ESCAPED_SOURCE } from './escape.js';

/** `word` as a POSIX shell reads it back unchanged. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The escapes bash's `$'...'` has names for: printed so, they read as what they are. */
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\u001b': '\\e' };

/**
 * What a printed word shows escaped: what escapeText escapes (controls and line
 * breaks, invisible characters, lookalikes, noncharacters, lone surrogates),
 * the backslash aside. Any other character, printable non-ASCII included, is
 * printed as it is: bash passes it on as its bytes in any locale.
 */
const ESCAPED = new RegExp(ESCAPED_SOURCE);

/** `\xNN` for each of `bytes`. */
const hexBytes = (bytes: Uint8Array) => Array.from(bytes, (byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');

/**
 * One escaped character as `$'...'` writes it: its name (`\n`, `\e`), else
 * its bytes as `\xNN`, which bash turns into those bytes whatever the locale
 * (`\u00e9` stays `\u00e9` under LANG=C). A byte that is not UTF-8, kept as
 * U+DC80+byte (decodeKeepingBadBytes), is that byte; another lone surrogate is
 * what Node writes for it, U+FFFD's bytes.
 */
function escapedChar(char: string): string {
  const named = NAMED_ESCAPES[char];
  if (named !== undefined) return named;
  const code = char.codePointAt(0)!;
  if (code >= 0xdc80 && code <= 0xdcff) return hexBytes(Uint8Array.of(code - 0xdc00));
  return hexBytes(Buffer.from(char, 'utf8'));
}

/**
 * A word of a command printed for an operator to paste: shellWord, or, when it
 * holds a control character, line break, invisible character, lookalike (a
 * no-break space), noncharacter or a byte that is not UTF-8, bash's `$'...'`
 * with each of those escaped, so that the line stays one line, shows what the
 * word is, and pastes back as the same bytes in any locale. Printable text
 * (`café`, `日本`) is printed as it is, in single quotes. The command is
 * printed as it is: escaping it again for display (escapeText doubles each
 * backslash) broke the `'\\''` of a path holding a quote.
 */
export function printedShellWord(word: string): string {
  stringArgument('printedShellWord', 'word', word);
  if (!ESCAPED.test(word)) return shellWord(word);
  let quoted = '';
  for (const char of word) {
    if (char === '\\' || char === "'") quoted += `\\${char}`;
    else quoted += ESCAPED.test(char) ? escapedChar(char) : char;
  }
  return `$'${quoted}'`;
}

/**
 * A flag and its value as words of a printed command line: `--FLAG VALUE`, or
 * `--FLAG=VALUE` as one word when the value starts with `-` (the tools' parser
 * would read it as an option). `flag` is the name without its dashes
 * (`registry`). Quote each word with printedShellWord.
 */
export function flagWords(flag: string, value: string): [string] | [string, string] {
  stringArgument('flagWords', 'flag', flag);
  stringArgument('flagWords', 'value', value);
  // `--registry` gave `----registry`: a name, not the flag as written; nor one a parser would split (`a=b`, `a b`).
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(flag))
    throw new RangeError(`flagWords: flag must be an option's name without its dashes (\`registry\` for --registry), not ${describeArgument(flag)}`);
  return value.startsWith('-') ? [`--${flag}=${value}`] : [`--${flag}`, value];
}
