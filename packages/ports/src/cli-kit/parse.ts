// The command line, through node:util parseArgs (maintained, +0.5 ms), with
// its errors turned into one line a person can act on. Each tool declares its
// flags in one file, as `Flags`: parseArgs' options plus each flag's help, so
// that the parser and the --help text come from the same declaration
// (port-health-check: src/args.ts; claim-port: @dsa110/ports/systemd's
// claim-args.ts; `ports`: each src/cli/commands/<name>.ts). CONTRIBUTING.md,
// "Adding a flag".
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { escapeText, quoteValue } from '../escape.js';
import { deepFreeze } from '../frozen.js';
import { closest } from '../suggest.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * One flag: what node:util parseArgs takes (type, short, multiple), and what
 * --help says of it. parseArgs ignores the extra keys.
 */
export interface Flag {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's name in the help, for a string flag: PATH, SECONDS. */
  readonly value?: string;
  /** What the value must be, for the error when it is missing: `a number of seconds, e.g. --timeout=5` (default: "a value"). */
  readonly needs?: string;
  /** What the flag does: one line, or several (each printed on its own line). */
  readonly help: string | readonly string[];
  /**
   * This flag asks for JSON output: `true` for a boolean flag (`--json`), or
   * the value that does for a string flag (`'json'` for `--format json`). A
   * tool that prints errors as JSON on request learns it from here, before
   * parsing (wantsJson, conventions.ts), so even a usage error is JSON.
   */
  readonly selectsJson?: true | string;
}

export type Flags = Readonly<Record<string, Flag>>;

/** What every tool accepts: --help/-h, --version/-V. */
export const STANDARD_OPTIONS = deepFreeze({
  help: { type: 'boolean', short: 'h', help: 'show this help' },
  version: { type: 'boolean', short: 'V', help: 'show the version' },
} as const satisfies Flags);

/** How a flag is written in the help: `-q, --quiet`, `--timeout SECONDS`. */
export function flagSyntax(name: string, flag: Flag): string {
  const value = flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : '';
  return `${flag.short ? `-${flag.short}, ` : ''}--${name}${value}`;
}

/**
 * The "Options:" lines of a help text, from the declarations, in their order:
 * each flag's syntax, then its help aligned in a column (later lines of a
 * flag's help under the first). Pure; called only when help is printed.
 */
export function formatFlags(flags: Flags, indent = '  '): string {
  const entries = Object.entries(flags).map(([name, flag]) => [flagSyntax(name, flag), typeof flag.help === 'string' ? [flag.help] : flag.help] as const);
  const width = Math.max(...entries.map(([syntax]) => syntax.length)) + 2;
  return entries.flatMap(([syntax, lines]) => lines.map((line, index) => `${indent}${(index === 0 ? syntax : '').padEnd(width)}${line}`.trimEnd())).join('\n');
}

/** parseArgs' own result type for `options`: values typed per option (string, boolean, string[]). */
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

export interface ParseOptions {
  /** How many operands the command takes; more is a usage error. Default: none. */
  readonly maxPositionals?: number;
  /** Take `-1`, `-5.5` as operands (a bad port reported as such), not as unknown options. */
  readonly negativeNumbers?: boolean;
  /** The hint for an unknown option, e.g. "see claim-port --help" (replaced by "did you mean --X?" when one is near). */
  readonly hint: string;
  /** Flags that parse but are never suggested for an unknown option: `ports validate` takes --json only to refuse it. */
  readonly unsuggested?: readonly string[];
}

/** A mistake in the command line: one line, exit EXIT_USAGE. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parse `argv` against `options` (strict); throws UsageError with one clear line. */
export function parseCommandLine<O extends Options>(argv: readonly string[], options: O, settings: ParseOptions): Parsed<O> {
  const typographic = typographicOption(argv, options as unknown as Flags, settings.unsuggested ?? []);
  if (typographic !== undefined) throw new UsageError(typographic);
  let args = [...argv];
  if (settings.negativeNumbers) {
    // parseArgs reads `-1` as a short option. A negative number after a value
    // option is its value (`--timeout -1` -> `--timeout=-1`, judged by the
    // caller); anywhere else it is an operand, moved after `--` (order kept).
    const end = args.indexOf('--');
    const before = end < 0 ? args : args.slice(0, end);
    if (before.some((arg) => /^-[0-9.]/.test(arg))) {
      const operands: string[] = [];
      const kept: string[] = [];
      for (const arg of before) {
        const previous = kept.at(-1);
        const takesValue = previous?.startsWith('--') && !previous.includes('=') && options[previous.slice(2)]?.type === 'string';
        if (/^-[0-9.]/.test(arg) && takesValue) kept[kept.length - 1] = `${previous}=${arg}`;
        else if (/^-[0-9.]/.test(arg)) operands.push(arg);
        else kept.push(arg);
      }
      args = [...kept, '--', ...operands, ...(end < 0 ? [] : args.slice(end + 1))];
    }
  }
  let parsed: Parsed<O>;
  let tokens: readonly { kind: string; name?: string; value?: string }[];
  try {
    ({ tokens, ...parsed } = parseArgs({ args, options, allowPositionals: true as const, strict: true as const, tokens: true as const }) as Parsed<O> & {
      tokens: readonly { kind: string; name?: string; value?: string }[];
    });
  } catch (error) {
    throw new UsageError(describeParseError(error as Error & { code?: string }, options as unknown as Flags, settings, args));
  }
  // A string flag that is not `multiple` takes one value: given twice (`--timeout 5 --timeout 60`,
  // `--registry a --registry b`), which one was meant is a guess, so neither is taken.
  const seen = new Map<string, string | undefined>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    const flag = options[token.name];
    if (flag?.type !== 'string' || flag.multiple) continue;
    if (seen.has(token.name)) {
      const values = [seen.get(token.name), token.value].map((value) => (value === undefined ? '(none)' : quoteValue(value))).join(', then ');
      throw new UsageError(`--${token.name} given more than once (${values}); give it once, with the value meant`);
    }
    seen.set(token.name, token.value);
  }
  const max = settings.maxPositionals ?? 0;
  if (parsed.positionals.length > max) {
    const extra = parsed.positionals.slice(max).map((arg) => JSON.stringify(arg));
    throw new UsageError(max === 0 ? `unexpected argument ${extra.join(' ')}; ${settings.hint}` : `too many arguments (${extra.join(' ')}); ${settings.hint}`);
  }
  return parsed;
}

/**
 * Dashes a word processor, a web page or a chat makes of `--` and `-` (en and em dash, hyphen, figure dash, minus
 * sign, and their small and full-width forms): a command copied from such a page reaches the bin as `—dry-run`,
 * which parseArgs takes for an operand ("one port at a time").
 */
const TYPOGRAPHIC_DASHES = /^[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]+/u;

/** Each typographic dash by name, for the error: `starts with an em dash (U+2014)`. */
const DASH_NAMES: ReadonlyMap<number, string> = new Map([
  [0x2010, 'a hyphen'],
  [0x2011, 'a non-breaking hyphen'],
  [0x2012, 'a figure dash'],
  [0x2013, 'an en dash'],
  [0x2014, 'an em dash'],
  [0x2015, 'a horizontal bar'],
  [0x2212, 'a minus sign'],
  [0xfe58, 'a small em dash'],
  [0xfe63, 'a small hyphen-minus'],
  [0xff0d, 'a full-width hyphen-minus'],
]);

/**
 * A word that starts with typographic dashes, as the option it reads as once they are `-` (`—dry-run`: `--dry-run`;
 * `–V`: `-V`; `–-timeout=5`: `--timeout=5`), or undefined when it starts with none. For what looks at option-like
 * words without parsing (claim-port's `[claim-port:8000]` label), so that such a word is an option there too.
 */
export function asciiDashed(word: string): string | undefined {
  const dashes = TYPOGRAPHIC_DASHES.exec(word)?.[0];
  if (dashes === undefined) return undefined;
  const rest = word.slice(dashes.length).replace(/^-+/, '');
  return rest.split('=')[0]!.length === 1 ? `-${rest}` : `--${rest}`;
}

/**
 * The line for the first word before `--` that is a declared option written with typographic dashes (`—dry-run`,
 * `–-json=x`, `–V`), or one near a declared name (`—dry-rn`), or undefined. Only such a name counts: a value or an
 * operand that starts with such a dash is left to the command.
 */
function typographicOption(argv: readonly string[], flags: Flags, unsuggested: readonly string[]): string | undefined {
  const end = argv.indexOf('--');
  const words = end < 0 ? argv : argv.slice(0, end);
  // The value of the option before it (`--registry —x.yaml`) is that option's, whatever it starts with.
  const takesValue = (word: string | undefined) =>
    word !== undefined &&
    !word.includes('=') &&
    (word.startsWith('--')
      ? flags[word.slice(2)]?.type === 'string'
      : /^-[^-]$/.test(word) && Object.values(flags).some((flag) => flag.short === word[1] && flag.type === 'string'));
  for (const [index, word] of words.entries()) {
    const dashes = TYPOGRAPHIC_DASHES.exec(word)?.[0];
    if (dashes === undefined || takesValue(words[index - 1])) continue;
    const rest = word.slice(dashes.length).replace(/^-+/, '');
    const name = rest.split('=')[0]!;
    const long = Object.hasOwn(flags, name) ? `--${name}` : undefined;
    const short = name.length === 1 ? Object.values(flags).find((flag) => flag.short === name)?.short : undefined;
    const exact = long ?? (short === undefined ? undefined : `-${short}`);
    // Not the exact name: one near it (`—jsn`), said without the typed value, which may be meant for another option.
    const near = exact === undefined && name.length > 1 && /^[A-Za-z][A-Za-z0-9-]*$/.test(name) ? nearOption(`--${name}`, flags, unsuggested) : undefined;
    const meant = exact ?? near;
    if (meant === undefined) continue;
    const code = dashes.codePointAt(0)!;
    const dash = `${DASH_NAMES.get(code) ?? 'a typographic dash'} (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
    const value = exact === undefined ? '' : escapeText(rest.slice(name.length), 200);
    return `${quoteValue(word)} starts with ${dash}, not "${meant.startsWith('--') ? '--' : '-'}" (a command copied from a web page or a document); did you mean ${meant}${value}?`;
  }
  return undefined;
}

/** parseArgs' messages, one line each: the option named as typed, and what to do (a value's `needs` from its declaration). */
function describeParseError(error: Error & { code?: string }, flags: Flags, { hint, unsuggested = [] }: ParseOptions, args: readonly string[]): string {
  // "Option '-t, --timeout <value>' argument missing": the long name, as typed.
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  // As typed, so escaped: `--x\n...` must not start a forged line.
  const flag = escapeText(
    quoted
      .replace(/ <value>$/, '')
      .split(', ')
      .pop()!,
    200,
  );
  const name = flag.replace(/^-+/, '');
  const needs = Object.hasOwn(flags, name) ? flags[name]!.needs : undefined;
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      // A long option written with one dash (`-json`): read as short options, its first letter unknown. Said as
      // typed, with the long one meant when one is near; `-j` alone named a letter nobody typed as such. A group of
      // short options whose first is unknown (`-xyz`) is said as typed too.
      const end = args.indexOf('--');
      const options = end < 0 ? args : args.slice(0, end);
      const word = quoted.length === 2 ? options.find((arg) => arg.length > 2 && arg[0] === '-' && arg[1] === quoted[1]) : undefined;
      if (word !== undefined) {
        const long = nearOption(`-${word.split('=')[0]}`, flags, unsuggested);
        return `unknown option ${escapeText(word, 200)}; ${long === undefined ? hint : `did you mean ${long}?`}`;
      }
      // The suggestion is a declared name, not the typed text: it needs no escaping.
      const meant = nearOption(quoted, flags, unsuggested);
      return `unknown option ${flag}; ${meant ? `did you mean ${meant}?` : hint}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(error.message)) return `${flag} needs ${needs ?? `a value; ${hint}`}`;
      if (/ambiguous/.test(error.message)) return `${flag} needs ${needs ?? 'a value'}; to give one that starts with "-", write ${flag}=VALUE`;
      if (/does not take an argument/.test(error.message)) return `${flag} takes no value; ${hint}`;
      return `${error.message.split('\n')[0]}; ${hint}`;
    default:
      return `${error.message.split('\n')[0]}; ${hint}`;
  }
}

/**
 * The declared option an unknown one (`typed`, unescaped) was likely meant as, written as it is typed
 * (`--json`, `-V`), or undefined. Long: the nearest name by suggest.ts's rule (a typo, `--jsn`; the start
 * of exactly one name, `--servic`), else the longest name it starts with (`--output-file`: --output).
 * Short: only the same letter in the other case (`-v`: -V); any other letter is one edit away from every
 * short option, so it is no hint.
 */
function nearOption(typed: string, flags: Flags, unsuggested: readonly string[]): string | undefined {
  const offered = Object.entries(flags).filter(([name]) => !unsuggested.includes(name));
  if (!typed.startsWith('--')) {
    const letter = typed.slice(1).toLowerCase();
    const short = offered.find(([, flag]) => flag.short?.toLowerCase() === letter)?.[1].short;
    return short === undefined ? undefined : `-${short}`;
  }
  const input = typed.slice(2);
  const names = offered.map(([name]) => name);
  const extended = names.filter((name) => input.toLowerCase().startsWith(name.toLowerCase())).sort((a, b) => b.length - a.length)[0];
  const name = closest(input, names) ?? extended;
  return name === undefined ? undefined : `--${name}`;
}
