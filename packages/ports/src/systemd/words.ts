// systemd's command-line and environment syntax, ported from systemd 252:
// words split as extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE) does
// (quotes anywhere in a word, C escapes in and out of quotes, an unknown
// escape kept with its backslash), unit specifiers (%n, %i, %%, ...), the
// Exec*= prefixes and `;` separators of config_parse_exec(), Environment=
// assignments, and $VAR / ${VAR} expansion at run time. Pure functions; see
// systemd.syntax(7), systemd.service(5) "Command lines", systemd.unit(5)
// "Specifiers" and systemd.exec(5) "Environment=".
import { quoteValue } from '../escape.js';
import { describeArgument, integerArgument, objectArgument, stringArgument, stringListArgument } from '../arguments.js';
import { escapedByte, joinKeptBytes } from '../utf8.js';

/** systemd's WHITESPACE: the only word separators (not \v, \f or Unicode spaces). */
export const SYSTEMD_WHITESPACE = ' \t\n\r';

/** Pure: a boolean setting (`DynamicUser=`, `Accept=`) as systemd's parse_boolean() reads it: true for 1, yes, y, true, t, on (any case). */
export function isTrueSetting(value: string): boolean {
  stringArgument('isTrueSetting', 'value', value);
  return /^(1|yes|y|true|t|on)$/i.test(value);
}
const isSpace = (char: string | undefined) => char !== undefined && char !== '' && SYSTEMD_WHITESPACE.includes(char);

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
  s: ' ',
};

/**
 * cunescape_one(): the escape at `text[index]` (just after the backslash), or
 * undefined when systemd does not accept it (`\q`, `\x0`, `\x00`, `\8`).
 */
function cUnescape(text: string, index: number): { char: string; length: number } | undefined {
  const next = text[index];
  if (next === undefined) return undefined;
  const simple = SIMPLE_ESCAPES[next];
  if (simple !== undefined) return { char: simple, length: 1 };
  const hex = (digits: number) => {
    const body = text.slice(index + 1, index + 1 + digits);
    if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(body)) return undefined;
    const code = Number.parseInt(body, 16);
    // No NUL, and (\U) only valid code points.
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
    // \xNN is a byte (UTF-8 the word's bytes make is joined: extract), \u and \U a character.
    return { char: digits === 2 ? escapedByte(code) : String.fromCodePoint(code), length: 1 + digits };
  };
  if (next === 'x') return hex(2);
  if (next === 'u') return hex(4);
  if (next === 'U') return hex(8);
  const octal = /^[0-7]{3}/.exec(text.slice(index, index + 3));
  if (octal) {
    const code = Number.parseInt(octal[0], 8);
    return code === 0 || code > 255 ? undefined : { char: escapedByte(code), length: 3 };
  }
  return undefined;
}

/** One word, and where the next one starts (undefined at the end); or why systemd refuses it. */
type Extracted = { word: string; next: number | undefined; unknownEscape: boolean } | { end: true } | { error: 'unbalanced quoting' };

/**
 * extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE) from `start`, with
 * extract_first_word_and_warn()'s retry: an escape systemd does not know is
 * kept as written, backslash included (systemd warns "Ignoring unknown escape
 * sequences"); a quote left open is an error ("Unbalanced quoting").
 */
export function extractWord(text: string, start: number): Extracted {
  stringArgument('extractWord', 'text', text, 'a string');
  integerArgument('extractWord', 'start', start, 0, Number.MAX_SAFE_INTEGER, 'an index (a number)');
  const strict = extract(text, start, false);
  if (!('error' in strict)) return strict;
  const relaxed = extract(text, start, true);
  return 'error' in relaxed ? { error: 'unbalanced quoting' } : { ...relaxed, unknownEscape: true };
}

function extract(text: string, start: number, relax: boolean): Extracted | { error: 'invalid' } {
  let index = start;
  while (index < text.length && isSpace(text[index])) index++;
  if (index >= text.length) return { end: true };
  let word = '';
  let quote: string | undefined;
  for (; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\') {
      if (index + 1 >= text.length) {
        // A trailing backslash: kept when relaxed and outside quotes.
        if (relax && !quote) return { word: `${joinKeptBytes(word)}\\`, next: undefined, unknownEscape: false };
        return { error: 'invalid' };
      }
      const unescaped = cUnescape(text, index + 1);
      if (unescaped) {
        word += unescaped.char;
        index += unescaped.length;
      } else if (relax) {
        word += `\\${text[index + 1]}`;
        index += 1;
      } else return { error: 'invalid' };
    } else if (quote) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (isSpace(char)) {
      while (index < text.length && isSpace(text[index])) index++;
      return { word: joinKeptBytes(word), next: index < text.length ? index : undefined, unknownEscape: false };
    } else word += char;
  }
  if (quote) return { error: 'invalid' };
  return { word: joinKeptBytes(word), next: undefined, unknownEscape: false };
}

/** Split on systemd's white space; quotes group, backslash escapes. An unbalanced quote ends the words. */
export function splitWords(text: string): string[] {
  stringArgument('splitWords', 'text', text, 'a string');
  const words: string[] = [];
  for (let at: number | undefined = 0; at !== undefined; ) {
    const extracted = extractWord(text, at);
    if ('end' in extracted || 'error' in extracted) break;
    words.push(extracted.word);
    at = extracted.next;
  }
  return words;
}

/** The unit a value belongs to, for its specifiers (`%n`, `%i`, ...). */
export interface SpecifierUnit {
  /** The unit's full name, e.g. `api@blue.service`. */
  readonly name: string;
  /** Values of host specifiers when the caller knows them (`{ H: 'host', q: 'host' }`); without, they stay as written. */
  readonly host?: Readonly<Record<string, string>>;
}

/** unit_name_unescape(): `-` is `/`, `\xNN` a byte. */
function unescapeUnitName(text: string): string {
  return joinKeptBytes(text.replace(/\\x([0-9a-fA-F]{2})|-/g, (_, hex: string | undefined) => (hex ? escapedByte(Number.parseInt(hex, 16)) : '/')));
}

/** The specifiers the model can resolve from the unit's name alone, as systemd.unit(5) "Specifiers" defines them. */
function nameSpecifiers(unit: string): Record<string, string> {
  const dot = unit.lastIndexOf('.');
  const base = dot > 0 ? unit.slice(0, dot) : unit;
  const at = base.indexOf('@');
  const prefix = at >= 0 ? base.slice(0, at) : base;
  const instance = at >= 0 ? base.slice(at + 1) : '';
  const last = prefix.slice(prefix.lastIndexOf('-') + 1);
  const pathOf = (text: string) => {
    if (text === '-') return '/';
    const path = unescapeUnitName(text);
    return path.startsWith('/') ? path : `/${path}`;
  };
  return {
    n: unit,
    N: base,
    p: prefix,
    P: unescapeUnitName(prefix),
    i: instance,
    I: unescapeUnitName(instance),
    j: last,
    J: unescapeUnitName(last),
    f: pathOf(at >= 0 ? instance : prefix),
  };
}

/**
 * Specifiers systemd resolves from the machine (host name and pretty host
 * name `%H %q %l`, machine id, user, directories, OS release): the model, a
 * pure function of the files, leaves them as written unless the caller passes
 * their values (SpecifierUnit.host).
 */
export const HOST_SPECIFIERS = 'aAbBcCdEgGhHlLmMoqrRsStTuUvVwWyY';

/**
 * specifier_printf() with a unit's table: `%%` is `%`, the name specifiers
 * (`%n %N %p %P %i %I %j %J %f`) resolved from the unit's name; host
 * specifiers (HOST_SPECIFIERS) from `unit.host` when given, else left as
 * written; letters systemd does not know are left as written, as systemd does.
 */
export function expandSpecifiers(text: string, unit?: SpecifierUnit): string {
  stringArgument('expandSpecifiers', 'text', text, 'a string');
  // Most words have no specifier: then neither the name table (five unescapes) nor the pattern is worth building.
  if (!text.includes('%')) return text;
  const table = unit ? nameSpecifiers(unit.name) : {};
  return text.replace(/%([\s\S]?)/g, (whole, letter: string) => {
    if (letter === '%') return '%';
    // Own entries only: a letter set on a polluted Object.prototype is no specifier's value.
    if (Object.hasOwn(table, letter)) return table[letter]!;
    const host = unit?.host;
    return (HOST_SPECIFIERS.includes(letter) && host !== undefined && Object.hasOwn(host, letter) ? host[letter] : undefined) ?? whole;
  });
}

/**
 * The host specifiers whose value systemd.unit(5) fixes for the system
 * manager, PID 1, which runs as root ("in case of the system manager this
 * resolves to"): not the unit's User=, nor the host's hostname or IDs.
 */
export const SYSTEM_MANAGER_SPECIFIERS: Readonly<Record<string, string>> = Object.freeze({
  h: '/root',
  u: 'root',
  U: '0',
  g: 'root',
  G: '0',
  C: '/var/cache',
  E: '/etc',
  L: '/var/log',
  S: '/var/lib',
  t: '/run',
});

/** The letters systemd 252 knows as unit specifiers; `%` and any other letter after it make systemd refuse the value. */
const KNOWN_SPECIFIERS = `iIjJnNpPf${HOST_SPECIFIERS}`;

/** A specifier systemd does not know (`%Z`, `%1`): systemd refuses the word ("Failed to resolve unit specifiers"). `%` before anything but a letter or digit, or at the end, is kept. */
export function unknownSpecifier(text: string): string | undefined {
  stringArgument('unknownSpecifier', 'text', text, 'a string');
  if (!text.includes('%')) return undefined;
  for (const match of text.matchAll(/%([\s\S])/g)) {
    // Only a letter or digit is taken for a specifier (POSSIBLE_SPECIFIERS); `%-` or `% ` stay as written.
    if (/^[A-Za-z0-9]$/.test(match[1]!) && !KNOWN_SPECIFIERS.includes(match[1]!)) return match[0];
  }
  return undefined;
}

/** One command of an Exec*= line, as systemd loads it. */
export interface ExecCommand {
  /** The prefix characters systemd honoured, in the order written (`+`, `-@`, `!!`, ...). */
  readonly prefixes: string;
  /** The executable, as systemd stores it (`//` and `/./` simplified). */
  readonly path: string;
  /** systemd's argv as loaded: argv[0] (the path as written, or the word after it with `@`), then the arguments; $VAR not yet expanded. */
  readonly words: readonly string[];
  /** The executable, then the arguments the program gets, $VAR and ${VAR} expanded (unless `:`). */
  readonly argv: readonly string[];
}

/** What systemd makes of one Exec*= value: its commands, or why the unit does not load, and its warnings. */
export interface ParsedExec {
  readonly commands: readonly ExecCommand[];
  /** Set when systemd refuses the value: the unit does not load ("bad-setting"). */
  readonly error?: string;
  /** Things systemd logs and then ignores (the rest of the line is dropped when one says "ignoring"). */
  readonly warnings: readonly string[];
}

/** PATH_MAX: systemd refuses an executable path of this many bytes or more. */
export const PATH_MAX = 4096;
/** NAME_MAX: nor one with a longer name in it. */
export const NAME_MAX = 255;

/** string_is_safe(): no control characters (below space, and DEL), quotes or backslashes. */
export function isSafeString(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || char === '"' || char === "'" || char === '\\') return false;
  }
  return true;
}

function pathProblem(path: string): string | undefined {
  if (path === '') return 'Empty path in command line';
  if (!isSafeString(path)) return 'Executable name contains special characters';
  if (path.endsWith('/')) return 'Executable path specifies a directory';
  const bytes = Buffer.byteLength(path);
  if (path.startsWith('/')) {
    if (bytes >= PATH_MAX || path.split('/').some((part) => Buffer.byteLength(part) > NAME_MAX)) return 'Neither a valid executable name nor an absolute path';
  } else if (path === '.' || path === '..' || path.includes('/') || bytes > NAME_MAX) {
    return 'Neither a valid executable name nor an absolute path';
  }
  return undefined;
}

/** path_simplify(): `//` to `/`, `/./` dropped. */
export function simplifyPath(path: string): string {
  const absolute = path.startsWith('/');
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  const joined = parts.join('/');
  return absolute ? `/${joined}` : joined || '.';
}

/**
 * An Exec*= value as systemd 252's config_parse_exec() reads it: specifiers
 * resolved after unquoting; commands separated by a bare `;`; each command's
 * first word (unquoted, so `"+/path"` works) starts with prefixes, each at most
 * once, `+` never with `!`/`!!`; `@` makes the next word argv[0]. A value
 * systemd refuses (`+!/path`, `+ /path`, a relative path with a slash, an
 * open quote after the first word) gives `error`: the unit does not load,
 * unless the command has the `-` prefix, which makes systemd ignore the rest
 * of the line instead. An open quote in a command's first word drops the rest
 * of the line, and the unit still loads.
 */
export function parseExec(value: string, env: ReadonlyMap<string, string> = new Map(), unit?: SpecifierUnit): ParsedExec {
  stringArgument('parseExec', 'value', value, 'an ExecStart= value (a string)');
  envMapArgument('parseExec', env);
  const commands: ExecCommand[] = [];
  const warnings: string[] = [];
  const done = (error?: string): ParsedExec => ({ commands, warnings, ...(error !== undefined && { error }) });
  let at: number | undefined = 0;
  let semicolon: boolean;
  do {
    semicolon = false;
    if (at === undefined) break;
    const first = extractWord(value, at);
    if ('end' in first) return done();
    if ('error' in first) {
      warnings.push(`Unbalanced quoting, ignoring: ${quoteValue(value)}`);
      return done();
    }
    if (first.unknownEscape) warnings.push(`Ignoring unknown escape sequences: ${quoteValue(first.word)}`);
    at = first.next;
    if (first.word === ';') {
      semicolon = true;
      continue;
    }
    // The prefixes, as config_parse_exec() takes them: each once; `+` only first among +, !, !!.
    let ignore = false;
    let separateArgv0 = false;
    let noExpand = false;
    let privileged = false;
    let noSetuid = false;
    let ambient = false;
    let index = 0;
    for (; index < first.word.length; index++) {
      const char = first.word[index];
      if (char === '-' && !ignore) ignore = true;
      else if (char === '@' && !separateArgv0) separateArgv0 = true;
      else if (char === ':' && !noExpand) noExpand = true;
      else if (char === '+' && !(privileged || noSetuid || ambient)) privileged = true;
      else if (char === '!' && !(privileged || noSetuid || ambient)) noSetuid = true;
      else if (char === '!' && !(privileged || ambient)) {
        noSetuid = false;
        ambient = true;
      } else break;
    }
    const prefixes = first.word.slice(0, index);
    const refuse = (message: string): ParsedExec => {
      const text = `${message}${ignore ? ', ignoring' : ''}: ${quoteValue(value)}`;
      if (ignore) {
        warnings.push(text);
        return done();
      }
      return done(text);
    };
    const unresolved = unknownSpecifier(first.word.slice(index));
    if (unresolved) return refuse(`Failed to resolve unit specifiers (${unresolved} is none)`);
    const written = expandSpecifiers(first.word.slice(index), unit);
    const problem = pathProblem(written);
    if (problem) return refuse(problem);
    const words: string[] = separateArgv0 ? [] : [written];
    while (at !== undefined) {
      // A bare `;` (followed by white space or the end) ends the command; `\;` so placed is a literal `;`.
      if (value[at] === ';' && (at + 1 >= value.length || isSpace(value[at + 1]))) {
        at += 1;
        while (at < value.length && isSpace(value[at])) at++;
        semicolon = true;
        break;
      }
      if (value[at] === '\\' && value[at + 1] === ';' && (at + 2 >= value.length || isSpace(value[at + 2]))) {
        at += 2;
        while (at < value.length && isSpace(value[at])) at++;
        words.push(';');
        if (at >= value.length) at = undefined;
        continue;
      }
      const word = extractWord(value, at);
      if ('end' in word) break;
      if ('error' in word) return refuse('Unbalanced quoting');
      if (word.unknownEscape) warnings.push(`Ignoring unknown escape sequences: ${quoteValue(word.word)}`);
      const unknown = unknownSpecifier(word.word);
      if (unknown) return refuse(`Failed to resolve unit specifiers (${unknown} is none)`);
      words.push(expandSpecifiers(word.word, unit));
      at = word.next;
    }
    if (words.length === 0) return refuse('Empty executable name or zeroeth argument');
    const command = { prefixes, path: simplifyPath(written), words };
    commands.push({ ...command, argv: commandArgv(command, env) });
  } while (semicolon);
  return done();
}

/** `env` of parseExec and commandArgv: a Map (or other ReadonlyMap) of variable names to values. */
function envMapArgument(fn: string, env: unknown): void {
  if (typeof env !== 'object' || env === null || typeof (env as Partial<ReadonlyMap<string, string>>).get !== 'function')
    throw new TypeError(`${fn}: env must be a Map of environment variables (name to value), not ${describeArgument(env)}`);
}

/** The executable and the arguments the program gets: systemd's words after argv[0], $VAR expanded unless the `:` prefix. */
export function commandArgv(command: Pick<ExecCommand, 'prefixes' | 'path' | 'words'>, env: ReadonlyMap<string, string>): string[] {
  objectArgument('commandArgv', 'command', command, 'an ExecCommand, from parseExec');
  // Each field it reads, checked: `commandArgv({})` used to fail inside on `words.slice`.
  const prefixes = stringArgument('commandArgv', 'command.prefixes', command.prefixes, 'a string of prefix characters (from parseExec)');
  const path = stringArgument('commandArgv', 'command.path', command.path, 'a string (the executable, from parseExec)');
  const words = stringListArgument('commandArgv', 'command.words', command.words);
  envMapArgument('commandArgv', env);
  const args = words.slice(1);
  return [path, ...(prefixes.includes(':') ? args : expandWords(args, env))];
}

/**
 * Exec-time expansion, replace_env_argv(): a word that starts with `$` but not
 * `${` or `$$` is a variable of its own and becomes the value's words (none
 * when unset; valueWords); in any other word `${VAR}` is the value (empty when
 * unset) and `$$` a literal `$`.
 */
function expandWords(words: readonly string[], env: ReadonlyMap<string, string>): string[] {
  const argv: string[] = [];
  for (const word of words) {
    if (word.startsWith('$') && word[1] !== '{' && word[1] !== '$') {
      const value = env.get(word.slice(1));
      if (value !== undefined) argv.push(...valueWords(value));
      continue;
    }
    argv.push(replaceEnv(word, env));
  }
  return argv;
}

/**
 * A variable's value as the words `$NAME` becomes, as systemd 252 splits it
 * (replace_env_argv: extract_first_word with EXTRACT_RELAX|EXTRACT_UNQUOTE,
 * no C escapes): at its white space; a quote anywhere in a word groups up to
 * the same quote and is removed; a backslash takes the next character as it
 * is, in quotes too (Debian's /etc/default/prometheus: `\\\\d` for `\d` under
 * systemd); a quote left open or a last backslash ends the value.
 * `ARGS="--web.page-title='DSA 110'"` passes one word, `--web.page-title=DSA 110`.
 */
function valueWords(value: string): string[] {
  const words: string[] = [];
  let index = 0;
  for (;;) {
    while (index < value.length && isSpace(value[index])) index++;
    if (index >= value.length) return words;
    let word = '';
    let quote: string | undefined;
    for (; index < value.length; index++) {
      const char = value[index]!;
      if (char === '\\') {
        index++;
        if (index < value.length) word += value[index];
      } else if (quote !== undefined) {
        if (char === quote) quote = undefined;
        else word += char;
      } else if (char === '"' || char === "'") quote = char;
      else if (isSpace(char)) break;
      else word += char;
    }
    words.push(word);
  }
}

/**
 * replace_env() without flags, as systemd 252 expands one word of a command:
 * `${NAME}` is the value (empty when unset; NAME is whatever stands up to the
 * `}`), `$$` is `$`; `${NAME:...}` and a `${` never closed stay as written,
 * and so does `$NAME` inside a word.
 */
function replaceEnv(word: string, env: ReadonlyMap<string, string>): string {
  let out = '';
  let from = 0;
  let index = 0;
  while (index < word.length) {
    if (word[index] !== '$') {
      index++;
      continue;
    }
    const next = word[index + 1];
    if (next === '$') {
      out += word.slice(from, index + 1);
      index += 2;
      from = index;
    } else if (next === '{') {
      let end = index + 2;
      while (end < word.length && word[end] !== '}' && word[end] !== ':') end++;
      if (word[end] === '}') {
        out += word.slice(from, index) + (env.get(word.slice(index + 2, end)) ?? '');
        index = end + 1;
        from = index;
      } else index = end + 1;
    } else index++;
  }
  return out + word.slice(from);
}

const PREFIX_CHARS = new Set(['-', '@', ':', '+', '!']);

/** Split an Exec*= value into its leading prefix characters and the rest (no validation; see parseExec). */
export function splitExecPrefixes(value: string): { prefixes: string; command: string } {
  stringArgument('splitExecPrefixes', 'value', value, 'an Exec*= value (a string)');
  let index = 0;
  while (index < value.length && PREFIX_CHARS.has(value[index]!)) index++;
  return { prefixes: value.slice(0, index), command: value.slice(index) };
}

/**
 * The argv systemd would run for one command (no prefixes): words split, then
 * `${VAR}` replaced inside a word and a word that is exactly `$VAR` replaced by
 * the value's words (nothing when unset). `expand = false` is the `:` prefix.
 */
export function execArgv(command: string, env: ReadonlyMap<string, string>, expand = true): string[] {
  stringArgument('execArgv', 'command', command, 'an Exec*= command (a string)');
  const words = splitWords(command).map((word) => expandSpecifiers(word));
  return expand ? [...words.slice(0, 1), ...expandWords(words.slice(1), env)] : words;
}

/** The `NAME=value` assignments of one Environment= line; invalid words are skipped, as systemd does. */
export function parseEnvironment(value: string, unit?: SpecifierUnit): Array<[string, string]> {
  stringArgument('parseEnvironment', 'value', value, 'an Environment= value (a string)');
  const pairs: Array<[string, string]> = [];
  for (const word of splitWords(value)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(expandSpecifiers(word, unit));
    if (match) pairs.push([match[1]!, match[2]!]);
  }
  return pairs;
}

/** What puts a word written by quoteExecWord() in double quotes: systemd's white space, other control characters, quotes, backslash. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: quoting them is the point
const NEEDS_QUOTES = /[\u0001-\u0020\u007f"'\\]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point
const ESCAPED_IN_QUOTES = /[\u0001-\u001f\u007f"\\]/g;

/**
 * One word of an Exec*= line that systemd reads back as exactly `word`, the
 * inverse of parseExec() (systemd.service(5) "Command lines"): `%` written
 * `%%` (a specifier otherwise), and in an argument `$` written `$$` (a
 * variable otherwise; the executable is never expanded, so it keeps its `$`);
 * a word with white space, a quote or a backslash, an empty word and a lone
 * `;` in double quotes, in which `"` and `\` are backslash-escaped and a
 * control character is a C escape. A plain word is written as it is. NUL
 * cannot be written (RangeError); neither can a quote or backslash in an
 * executable (systemd refuses the line): the caller checks first.
 */
export function quoteExecWord(word: string, role: 'executable' | 'argument' = 'argument'): string {
  if (word.includes('\0')) throw new RangeError('quoteExecWord: a unit file cannot hold NUL in a command line');
  let text = word.replace(/%/g, '%%');
  if (role === 'argument') text = text.replace(/\$/g, '$$$$');
  if (text !== '' && text !== ';' && !NEEDS_QUOTES.test(text)) return text;
  return `"${text.replace(ESCAPED_IN_QUOTES, (char) => (char === '"' || char === '\\' ? `\\${char}` : `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`))}"`;
}
