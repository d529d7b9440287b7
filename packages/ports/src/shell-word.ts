// A word of a shell command line printed for an operator to run: as written
// when the shell leaves it so, else in single quotes (`foo\x2dbar.service`
// would lose its backslash, `my dir` would be two words).
import { stringArgument } from './arguments.js';

/** `word` as a POSIX shell reads it back unchanged. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The escapes bash's `$'...'` has names for: printed so, they read as what they are. */
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\u001b': '\\e' };

/**
 * A word of a command printed for an operator to paste: shellWord, or, when it
 * holds a character outside printable ASCII (a newline, a terminal escape, a
 * bidirectional override), bash's `$'...'` with each such character escaped,
 * so that the line stays one line and shows what the word is. The command is
 * printed as it is: escaping it again for display (escapeText doubles each
 * backslash) broke the `'\''` of a path holding a quote.
 */
export function printedShellWord(word: string): string {
  stringArgument('printedShellWord', 'word', word);
  if (!/[^\x20-\x7e]/.test(word)) return shellWord(word);
  let quoted = '';
  for (const char of word) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === "'") quoted += `\\${char}`;
    else if (code >= 0x20 && code <= 0x7e) quoted += char;
    else if (NAMED_ESCAPES[char] !== undefined) quoted += NAMED_ESCAPES[char];
    else if (code < 0x80) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else quoted += code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `$'${quoted}'`;
}

/**
 * A flag and its value as words of a printed command line: `--FLAG VALUE`, or
 * `--FLAG=VALUE` as one word when the value starts with `-` (the tools' parser
 * would read it as an option). Quote each word with printedShellWord.
 */
export function flagWords(flag: string, value: string): [string] | [string, string] {
  stringArgument('flagWords', 'flag', flag);
  stringArgument('flagWords', 'value', value);
  return value.startsWith('-') ? [`--${flag}=${value}`] : [`--${flag}`, value];
}
