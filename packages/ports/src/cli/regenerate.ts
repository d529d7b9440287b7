// What a --check tells the operator to run when files are missing or stale:
// the same command, with the same registry and options, without --check. The
// bare command would write to its defaults instead (`ports systemd` into
// /etc/systemd/system as root), not to the --out or --root that was checked.
import { shellWord } from '../shell-word.js';
import type { Context } from './context.js';

/**
 * `ports [--registry PATH] NAME [--FLAG VALUE]...` for the `flags` (string flags) this run was given, each word as the shell reads it back.
 * A value that starts with `-` is written `--FLAG=VALUE`: the parser refuses `--out -x` (it cannot tell the value from an option).
 */
export function regenerateCommand(context: Context<unknown>, name: string, flags: readonly string[]): string {
  const values = context.values as Readonly<Record<string, unknown>>;
  const words = ['ports', ...option('registry', context.registryPath), name];
  for (const flag of flags) {
    const value = values[flag];
    if (typeof value === 'string') words.push(...option(flag, value));
  }
  return words.map(printedShellWord).join(' ');
}

/**
 * A word of a command printed for an operator to paste: shellWord, or, when it
 * holds a character outside printable ASCII (a newline, a terminal escape, a
 * bidirectional override), bash's `$'...'` with each such character escaped,
 * so that the line stays one line and shows what the word is. The command is
 * printed as it is: escaping it again for display (escapeText doubles each
 * backslash) broke the `'\''` of a path holding a quote.
 */
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\u001b': '\\e' };

export function printedShellWord(word: string): string {
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

/** `--FLAG VALUE` as two words, or `--FLAG=VALUE` as one when the value starts with `-`; nothing without a value. */
function option(flag: string, value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.startsWith('-') ? [`--${flag}=${value}`] : [`--${flag}`, value];
}
