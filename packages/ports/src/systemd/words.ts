// The small pieces of systemd's command-line and environment syntax the
// health check needs: splitting into words with quotes and C escapes, the
// ExecStartPre= prefix characters, Environment= assignments, and $VAR /
// ${VAR} expansion. Pure functions; see systemd.service(5) "Command lines"
// and systemd.exec(5) "Environment=".
import { quoteValue } from '../escape.js';

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', s: ' ' };

/** A C escape at `text[index]` (just after the backslash): its text and length (`x2d` -> `-`, 3). */
function cUnescape(text: string, index: number): { char: string; length: number } {
  const next = text[index]!;
  const hex = (digits: number) => {
    const body = text.slice(index + 1, index + 1 + digits);
    return new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(body) ? { char: String.fromCodePoint(Number.parseInt(body, 16)), length: 1 + digits } : undefined;
  };
  if (next === 'x') return hex(2) ?? { char: next, length: 1 };
  if (next === 'u') return hex(4) ?? { char: next, length: 1 };
  if (next === 'U') return hex(8) ?? { char: next, length: 1 };
  const octal = /^[0-7]{3}/.exec(text.slice(index));
  if (octal) return { char: String.fromCharCode(Number.parseInt(octal[0], 8)), length: 3 };
  return { char: ESCAPES[next] ?? next, length: 1 };
}

/** Split on white space; single and double quotes group, backslash escapes (`\n`, `\x2d`, `\123`, `\u00e9`). Unbalanced quotes run to the end. */
export function splitWords(text: string): string[] {
  return splitTokens(text).map((token) => token.word);
}

/** splitWords, also saying which words were a bare, unquoted `;` (systemd's command separator). */
export function splitTokens(text: string): Array<{ word: string; separator: boolean }> {
  const words: Array<{ word: string; separator: boolean }> = [];
  let word: string | undefined;
  let plain = true;
  let quote: '"' | "'" | undefined;
  const push = () => {
    if (word !== undefined) words.push({ word, separator: plain && word === ';' });
    word = undefined;
    plain = true;
  };
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\' && index + 1 < text.length) {
      const { char: unescaped, length } = cUnescape(text, index + 1);
      index += length;
      word = (word ?? '') + unescaped;
      plain = false;
    } else if (quote) {
      if (char === quote) quote = undefined;
      else word = (word ?? '') + char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
      plain = false;
    } else if (/\s/.test(char)) {
      push();
    } else {
      word = (word ?? '') + char;
    }
  }
  push();
  return words;
}

/** `%%` is a literal percent sign; other specifiers are left as written (they never name a port). */
export function expandSpecifiers(text: string): string {
  return text.replace(/%%/g, '%');
}

/** One command of an Exec*= line, as systemd would run it. */
export interface ExecCommand {
  /** The prefix characters systemd honoured (`+`, `@-`, `!!`, ...). */
  readonly prefixes: string;
  /** The executable. */
  readonly path: string;
  /** The executable, then the arguments it is given (with `@`, the word after the path is argv[0] and is left out). */
  readonly argv: readonly string[];
}

/**
 * An Exec*= value as systemd.service(5) reads it: commands separated by a bare
 * `;`; each command's first word (quotes removed, so `"+/path"` works) starts
 * with prefixes, each at most once, `+` never with `!`/`!!`; `@` makes the
 * next word argv[0]. A value systemd refuses (`+!/path`, `+ /path`, an empty
 * or relative path) is an error: the unit does not load.
 */
export function parseExec(value: string, env: ReadonlyMap<string, string>): { commands: ExecCommand[] } | { error: string } {
  const tokens = splitTokens(expandSpecifiers(value));
  const commands: ExecCommand[] = [];
  let start = 0;
  for (let index = 0; index <= tokens.length; index++) {
    if (index < tokens.length && !tokens[index]!.separator) continue;
    const words = tokens.slice(start, index).map((token) => token.word);
    start = index + 1;
    if (words.length === 0) continue;
    const first = words[0]!;
    let at = 0;
    const seen = new Set<string>();
    let prefixes = '';
    for (; at < first.length; at++) {
      const char = first[at]!;
      if (char === '-' || char === '@' || char === ':') {
        if (seen.has(char)) break;
      } else if (char === '+') {
        if (seen.has('+') || seen.has('!')) break;
      } else if (char === '!') {
        if (seen.has('+') || prefixes.endsWith('!!')) break;
        if (seen.has('!') && !prefixes.endsWith('!')) break;
      } else break;
      seen.add(char);
      prefixes += char;
    }
    const path = first.slice(at);
    if (path === '') return { error: `${quoteValue(first)} has prefixes but no executable (systemd: "Empty path in command line")` };
    if (/[!+@:-]/.test(path[0]!)) {
      return {
        error: `${quoteValue(first)}: prefix ${quoteValue(path[0]!)} is not allowed here (${prefixes.includes('+') || path[0] === '+' ? '+ cannot be combined with ! or !!' : 'each prefix at most once'})`,
      };
    }
    if (!path.startsWith('/') && path.includes('/')) return { error: `executable ${quoteValue(path)} is neither an absolute path nor a plain name` };
    const rest = words.slice(1);
    const args = prefixes.includes('@') ? rest.slice(1) : rest;
    const expand = !prefixes.includes(':');
    commands.push({ prefixes, path, argv: [path, ...(expand ? expandWords(args, env) : args)] });
  }
  return { commands };
}

function expandWords(words: readonly string[], env: ReadonlyMap<string, string>): string[] {
  const argv: string[] = [];
  for (const word of words) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) {
      const value = env.get(whole[1]!);
      if (value !== undefined) argv.push(...value.split(/\s+/).filter(Boolean));
      continue;
    }
    argv.push(word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env.get(name) ?? ''));
  }
  return argv;
}

const PREFIX_CHARS = new Set(['-', '@', ':', '+', '!']);

/** Split an Exec*= value into its prefix characters and the rest. */
export function splitExecPrefixes(value: string): { prefixes: string; command: string } {
  let index = 0;
  while (index < value.length && PREFIX_CHARS.has(value[index]!)) index++;
  return { prefixes: value.slice(0, index), command: value.slice(index) };
}

/**
 * The argv systemd would run: words split, then `${VAR}` replaced inside a
 * word and a word that is exactly `$VAR` replaced by the value's words
 * (nothing when unset). The `:` prefix turns expansion off.
 */
export function execArgv(command: string, env: ReadonlyMap<string, string>, expand = true): string[] {
  const words = splitWords(expandSpecifiers(command));
  if (!expand) return words;
  const argv: string[] = [];
  for (const word of words) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) {
      const value = env.get(whole[1]!);
      if (value !== undefined) argv.push(...value.split(/\s+/).filter(Boolean));
      continue;
    }
    argv.push(word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env.get(name) ?? ''));
  }
  return argv;
}

/** The `NAME=value` assignments of one Environment= line; invalid words are skipped, as systemd does. */
export function parseEnvironment(value: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const word of splitWords(expandSpecifiers(value))) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(word);
    if (match) pairs.push([match[1]!, match[2]!]);
  }
  return pairs;
}
