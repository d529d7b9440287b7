// redis.conf: `port` is the service's port and `bind` stays within its
// access level. Redis applies the last occurrence of a directive, and the
// options of its command line after the file (redis-command.ts): a
// `--port 7001` in the unit's ExecStart= is the port it listens on. A
// `tls-port` is a second port, with TLS (with `port 0`, the only one): the
// registry's port is either.
import { escapeText } from '@dsa110/ports';
import { escapedByte, joinKeptBytes } from '@dsa110/ports/system';
import {
  characterColumn,
  hostReach,
  mappedBind,
  notAPort,
  orRegistry,
  portFix,
  registryInstead,
  type Finding,
  type PortReading,
  type RegistryInstead,
  type RegistryTakes,
} from './finding.js';
import { dottedQuad, glibcHost } from './glibc-host.js';
import { includedFiles, includePath, isGlob, sameIncludeAt, type IncludeLookup } from './include-files.js';
import { leadingCSpace, redisLines, redisRawLines, redisTrim } from './redis-lines.js';
import { nearestName } from './nearest-name.js';
import { redisMajorMinor } from './redis-directives.js';
import type { VariableOrigin as ArgumentVariable } from './daemon-command.js';

/** One line the options make, as Redis reads it after the config file: its text, and the arguments that gave it (for a message). */
export interface RedisOption {
  readonly text: string;
  readonly given: readonly string[];
  /** The variable of the unit whose expansion gave its arguments, where one did (the first such argument's). */
  readonly from?: VariableOrigin;
}

/**
 * The variable of the unit whose expansion gave an option's arguments (where the unit sets it, or that it does not),
 * and `valueFor`, the option's `--name`, when that is a word of the ExecStart= line itself and the variable gives its
 * value (`--port $ARGS`: the first word of ARGS is the port).
 */
export interface VariableOrigin extends ArgumentVariable {
  readonly valueFor?: string;
}

/** How a service's unit starts redis-server: what readRedisConf reads besides, or instead of, the registry's file. */
export interface RedisStart {
  /** The unit file (or drop-in) and line of the ExecStart= command. */
  readonly file: string;
  readonly line: number;
  /**
   * The config file Redis reads: `registry`, the registry's own (the same file: a link to it is it); `none` (its first
   * argument is an option); `other`, another one, as Redis opens it (under --root: as the booted system names it),
   * with where the registry would name it (`Redis's config:`), and the name Redis would give the registry's file
   * (`registryInCommand`: the path under the RootDirectory= it runs chrooted in; left out when the file is outside
   * it, so Redis cannot read it). Undefined when that cannot be told here: a glob (Redis reads every file it
   * matches), a relative path from a working directory not known.
   */
  readonly reads?: 'registry' | 'none' | { readonly other: string; readonly registryNames: string; readonly registryInCommand?: string };
  readonly stdin: boolean;
  readonly options: readonly RedisOption[];
  /** The RootDirectory= redis-server runs chrooted in (DaemonCommand's `root`): an absolute include is the file under it. */
  readonly root?: string;
  /**
   * Why the command Redis gets is not known (an EnvironmentFile= this check cannot read may set a variable it uses; a
   * wrapper runs redis-server; part of the unit cannot be read: commandUnknown): then nothing else is read of it.
   */
  readonly doubt?: string;
  /** What to do to have it read (a wrapper: run redis-server itself). */
  readonly fix?: string;
}

/** The directives this reader acts on. */
const DIRECTIVES_READ = ['port', 'tls-port', 'bind', 'include'];

/** Redis's compiled-in port, when redis.conf sets none. */
export const REDIS_DEFAULT_PORT = 6379;

/** Sentinel's (sentinel.c, initSentinelConfig; checked with Redis 7.0: a file with no port listens on 26379). */
export const REDIS_SENTINEL_PORT = 26379;

/** The port Redis listens on where its file and command line set none, as it runs (Expect.sentinel), and its words for a message. */
const defaultPort = (expect: Pick<Expect, 'sentinel'>): { port: number; of: string; said: string } =>
  expect.sentinel
    ? { port: REDIS_SENTINEL_PORT, of: "Sentinel's", said: `Sentinel's default port ${REDIS_SENTINEL_PORT}` }
    : { port: REDIS_DEFAULT_PORT, of: "Redis's", said: `Redis's default port ${REDIS_DEFAULT_PORT}` };

/**
 * A port as Redis reads it (config.c's numeric configs, string2ll, then the range; checked with redis-server 7.0):
 * decimal digits from 0 to 65535, without a leading 0 or a sign. It refuses `06379`, `+6379`, `-0` and `00` at start
 * ("argument couldn't be parsed into an integer"), and `65536` ("argument must be between 0 and 65535 inclusive").
 * `0` it takes: it listens on no TCP port. The config check reads a redis.conf `port` key this way too.
 */
export const REDIS_PORT: PortReading = {
  program: 'Redis',
  port: (value) => (/^(?:0|[1-9][0-9]{0,4})$/.test(value) && Number(value) <= 65535 ? Number(value) : undefined),
  rule: 'digits from 0 to 65535, no leading 0',
  refused: 'Redis refuses to start',
};

export { redisLines } from './redis-lines.js';

/** C's isspace: Redis skips these between words (it ends an unquoted word at a space, tab, CR or LF only). */
const isSpace = (char: string | undefined): boolean => char === ' ' || char === '\t' || char === '\n' || char === '\r' || char === '\v' || char === '\f';

/** The escapes Redis applies after a backslash inside `"..."`; any other character stands for itself. */
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/**
 * A redis.conf line's words as Redis splits them (sdssplitargs): `"..."`
 * with C escapes (`\\n`, `\\"`, `\\xHH`), `'...'` with only `\\'`, a quote
 * opening anywhere in a word (`a"b c"` is `ab c`), so `port "6380"` is port
 * 6380. Undefined for a line Redis refuses (an unbalanced quote, or a closing
 * one not followed by a space).
 */
export function redisWords(line: string): string[] | undefined {
  // Without a quote, a line is its words between runs of space: the usual
  // line, split at once (a char-by-char walk of Debian's 2,276-line file cost
  // the health check about 2M instructions, twice: includes, then the check).
  if (!line.includes('"') && !line.includes("'") && !line.includes('\v') && !line.includes('\f')) return line.split(/[ \t\r\n]+/).filter((word) => word !== '');
  return redisWordSpans(line)?.map((word) => word.text);
}

/** Each word of `line` as sdssplitargs reads it (redisWords), with where it starts (a UTF-16 index); undefined when Redis refuses its quoting. */
function redisWordSpans(line: string): { text: string; start: number }[] | undefined {
  const words: { text: string; start: number }[] = [];
  let index = 0;
  for (;;) {
    while (isSpace(line[index])) index++;
    if (index >= line.length) return words;
    const word = redisWord(line, index);
    if (word === undefined) return undefined;
    words.push({ text: word.text, start: index });
    index = word.end;
  }
}

/**
 * The column (in characters, Finding.column) of a content line's second word (a port's value) on its line as written
 * (`raw`, of which `content` is the trimmed text): where its text starts, inside its quotes if quoted.
 */
function valueColumn(raw: string, content: string): number | undefined {
  const start = redisWordSpans(content)?.[1]?.start;
  // A line a NUL byte cut (and joined to the next) is not its raw line's text: no column.
  if (start === undefined || raw.includes('\0')) return undefined;
  const quoted = content[start] === '"' || content[start] === "'" ? 1 : 0;
  // What Redis trims and skips before the text (redisLines: content starts after it).
  return characterColumn(raw, 0, leadingCSpace(raw) + start + quoted);
}

/** One word of sdssplitargs from `start` (not a space), and where the scan goes on; undefined when Redis refuses its quoting. */
function redisWord(line: string, start: number): { text: string; end: number } | undefined {
  let text = '';
  let quote: string | undefined;
  for (let index = start; ; index++) {
    const char = line[index];
    if (quote === undefined) {
      if (char === undefined || char === ' ' || char === '\t' || char === '\r' || char === '\n') return { text, end: index };
      if (char === '"' || char === "'") quote = char;
      else text += char;
      continue;
    }
    if (char === undefined) return undefined; // unterminated quotes
    const next = line[index + 1];
    if (char === quote) {
      // The closing quote must be followed by a space or the end of the line.
      return next === undefined || isSpace(next) ? { text: joinKeptBytes(text), end: index + 1 } : undefined;
    }
    if (char === '\\' && next !== undefined && quote === '"') {
      const hex = next === 'x' ? /^[0-9a-fA-F]{2}/.exec(line.slice(index + 2, index + 4)) : null;
      // \xHH is a byte, as Redis reads it: the UTF-8 the word's bytes make is joined, a lone high byte stays one (\x85).
      text += hex ? escapedByte(parseInt(hex[0], 16)) : (ESCAPES[next] ?? next);
      index += hex ? 3 : 1;
    } else if (char === '\\' && next === "'" && quote === "'") {
      text += "'";
      index++;
    } else text += char;
  }
}

/**
 * Whether the first word of a redis.conf content line (trimmed) can be one of
 * `directives` (lower case), without splitting it: it starts with one's first
 * letter in either case, or with a quote (a quoted word is anything).
 */
export function mayBeRedisDirective(content: string, directives: readonly string[]): boolean {
  const first = content[0];
  return first === '"' || first === "'" || (first !== undefined && directives.some((name) => name[0] === first.toLowerCase()));
}

/**
 * An include whose files were not read (one cannot be read, nests deeper than
 * the check reads, is relative): Redis reads it (any depth), so a port or bind
 * in it replaces the last one seen before it.
 */
interface UnreadInclude {
  readonly file?: string;
  readonly line: number;
  readonly include: string;
  /** Not an include: the config redis-server reads from stdin (`-` in its ExecStart= command, at file:line). */
  readonly stdin?: true;
}

/** A port or bind line: where it stands, as written (for a message), and its arguments as Redis reads them. */
interface Setting {
  readonly file?: string;
  readonly line: number;
  /** Of a port: the column its value starts at; of a bind, its first address (Finding.column). */
  readonly column?: number;
  readonly content: string;
  readonly args: readonly string[];
  /** A port line Redis refuses at start (said where it stands): no port to judge, and not "sets no port" either. */
  readonly refused?: true;
  /** Of an option of redis-server's command line (at its ExecStart= file:line): the arguments that gave it (`--port`, `7001`). */
  readonly given?: readonly string[];
  /** Of an option: the variable that gave it (RedisOption.from). */
  readonly from?: VariableOrigin;
}

/**
 * What reading a file (its includes with it) does to what the verdict needs:
 * a key present is assigned there (null: cleared), an absent one is left as
 * it was. Redis applies an included file's directives where the include
 * stands, so reading it is Object.assign of its Settings, the same wherever
 * it stands at one depth: each file is read once per depth, not once per
 * path to it (a file included 8 times at each of 8 levels is 16.8M paths).
 */
interface Settings {
  port?: Setting;
  /** The last tls-port (the port Redis serves TLS on, besides `port`; 0, its default, is none). */
  tlsPort?: Setting;
  bind?: Setting;
  /** The last include not read after the last port (bind): while one is set, the port (bind) may be another, so its verdict is unknown. */
  portMayBeIn?: UnreadInclude | null;
  tlsPortMayBeIn?: UnreadInclude | null;
  bindMayBeIn?: UnreadInclude | null;
}

/** `snippet`: the command that prints a redis.conf as the registry wants it (`ports snippet redis-conf`, as the references check builds it). */
/** `sentinel`: Redis runs as Sentinel (redisRunsSentinel), whose default port is 26379 and which needs a config file. */
type Expect = {
  readonly name: string;
  readonly port: number;
  readonly localOnly: boolean;
  readonly snippet?: string;
  readonly registryTakes?: RegistryTakes;
  readonly sentinel?: boolean;
  /**
   * The directive names the Redis that reads the file knows (redisDirectiveNames), with its version and where that
   * was read: a line named otherwise it refuses at start. Absent when its version, or that version's names, are not
   * known here: then no name is held unknown.
   */
  readonly directives?: { readonly names: ReadonlySet<string>; readonly version: string; readonly from: string };
};

/** A line of the file as written, for a message (a long one cut). */
const shown = (content: string): string => escapeText(content, 200);

/** A file's line for a message, as Redis reads it (`content`), saying so when a NUL byte of the line as written (`raw`) made Redis read it otherwise. */
const shownLine = (content: string, raw: string): string =>
  raw.includes('\0')
    ? `${shown(content)} (as Redis reads it: a NUL byte ends what it reads of a line, and joins the next line to it when the newline is cut too)`
    : shown(redisTrim(raw) || content);

/**
 * An option of redis-server's command line as the unit gives it, for a message: `--port 7001 in ExecStart=`, an
 * argument with a space or quote in `"`; with the variable that gave it, where it is set (or that it is not).
 */
const commandWords = (given: readonly string[], from?: VariableOrigin): string => {
  // The reference as the unit writes it: `$REDIS_OPTS`, or `${REDIS_PORT}` in a word.
  const variable = from && escapeText(from.written, 200);
  const origin =
    from === undefined
      ? ''
      : from.set === undefined
        ? ` (${variable}, which the unit does not set, so systemd gives nothing for it)`
        : ` (from ${variable}, set at ${escapeText(`${from.set.file}:${from.set.line}`, 500)})`;
  return `${shownArguments(given)} in ExecStart=${origin}`;
};

/** Where an option's fix is written: ` in REDIS_OPTS at FILE:LINE` for one a set variable gave, nothing for ExecStart='s own words. */
const fixedIn = (from: VariableOrigin | undefined): string =>
  from?.set === undefined ? '' : ` in ${escapeText(from.variable, 200)} at ${escapeText(`${from.set.file}:${from.set.line}`, 500)}`;

/**
 * The fix that gives an option of the command line `values`: `make it --port 6379` (in the variable that gave it, at
 * the line that sets it); for an option whose `--name` is the ExecStart= line's own and whose value a variable gives
 * (`--port $ARGS`), the variable's first words, as writing `--port 6379` there would give `--port --port 6379`.
 */
const optionFix = (name: string, values: string, from: VariableOrigin | undefined): string => {
  if (from?.valueFor === undefined || from.set === undefined) return `make it ${name} ${values}${fixedIn(from)}`;
  const variable = `${escapeText(from.variable, 200)} at ${escapeText(`${from.set.file}:${from.set.line}`, 500)}`;
  // `${REDIS_PORT}` is one argument, the whole value; `$ARGS` its words, the first ones the option's.
  return from.written.startsWith('${')
    ? `make ${variable} ${values}`
    : `make ${variable} start with ${values}, then an --option or nothing (the ${escapeText(from.valueFor, 200)} before ${escapeText(from.written, 200)} in ExecStart= takes its words up to the next --option)`;
};

/** Arguments for a message: each as it is, or in `"` (`\\` and `"` escaped) when it holds a space or a quote or is empty; the whole escaped, a long one cut. */
const shownArguments = (args: readonly string[]): string =>
  escapeText(args.map((arg) => (arg === '' || /[\s"'\\]/.test(arg) ? `"${arg.replace(/["\\]/g, '\\$&')}"` : arg)).join(' '), 200);

/** Reads a redis.conf and the files it includes into Settings, collecting each line's problem once. */
class RedisConfReader {
  private readonly found = new Map<string, Finding>();
  /** Of a problem said once for several lines (an include of one unreadable file, given again), the other lines, `file:line`. */
  private readonly again = new Map<string, Set<string>>();
  private readonly read = new Map<string, Settings>();
  /** Whether a loadmodule line (with a module's path) was read: Redis then leaves a module's setting to the module. */
  private loadsModule = false;
  /** Whether an include was not read (a loadmodule may be in it). */
  private includeUnread = false;
  /** The lines read that set a module's setting (a name with a `.`), for judgeModuleSettings once all is read. */
  private readonly moduleSettings: Finding[] = [];

  constructor(
    private readonly expect: Expect,
    private readonly lookup: IncludeLookup | undefined,
    /** The file the registry names, for the lines of it a finding names in its text. */
    private readonly self: string | undefined,
    /** The RootDirectory= Redis runs chrooted in (RedisStart's `root`), where its absolute includes are. */
    private readonly root?: string,
    /** Whether the unit's options are not known (RedisStart's `doubt`): a --sentinel may be in them. */
    private readonly optionsUnknown = false,
  ) {}

  /**
   * The problems seen, in reading order; one a file's line says again each time the file is included is said once,
   * and so is an include that cannot be read given on several lines (or in several files): at its first line, naming the others.
   */
  get findings(): Finding[] {
    return [...this.found].map(([key, finding]) => {
      const others = this.again.get(key);
      return others === undefined ? finding : { ...finding, message: `${finding.message} ${sameIncludeAt(others)}` };
    });
  }

  /** A file's Settings. `chain` holds the files being read, this one last: how deep it is, and what would be a loop. */
  settingsOf(source: string, file: string | undefined, chain: readonly string[]): Settings {
    const settings: Settings = {};
    // The lines as written, for a port's column and a message: kept by redisLines (taken now: reading the includes
    // below may push this text out of the few files it keeps).
    const rawLine = redisRawLines(source);
    for (const { line, text: content } of redisLines(source)) this.readLine(settings, { file, line, content, rawLine }, chain);
    return settings;
  }

  /** `sameAnywhere`: the problem is the same wherever the line stands (an include that cannot be read): said once, at its first line. */
  private add(finding: Finding, sameAnywhere = false): void {
    const key = sameAnywhere ? `\0${finding.message}` : `${finding.file ?? ''}\0${finding.line}\0${finding.message}`;
    const first = this.found.get(key);
    if (first === undefined) {
      this.found.set(key, finding);
      return;
    }
    if (first.file === finding.file && first.line === finding.line) return;
    const place = `${finding.file ?? this.self ?? 'line'}${(finding.file ?? this.self) ? ':' : ' '}${finding.line}`;
    // A set, not a list searched and copied per line: an include repeated 120,000 times was 120,000² steps (minutes).
    const others = this.again.get(key);
    if (others === undefined) this.again.set(key, new Set([place]));
    else others.add(place);
  }

  /**
   * An option of redis-server's command line, at its ExecStart= file:line: a line Redis reads after the config file
   * (and stdin), so what it sets replaces the file's. Its includes are read from the top, as Redis reads them.
   */
  readOption(settings: Settings, option: RedisOption, at: { file: string; line: number }): void {
    // As Redis reads each line of its config text: trimmed (of " \t\r\n" only), a `#` at its start a comment.
    const content = redisTrim(option.text);
    if (content === '' || content.startsWith('#')) return;
    const name = redisWords(content)?.[0];
    // No directive of Redis's is other than letters, digits, `-` and `_` (server_cpulist): a line that starts with anything else (`--port=7001`
    // is `port=7001`; an argument after the file that is no option, `-` in the middle, a second file) it refuses at start.
    // A name with a `.` is a module's setting (modeLine), but for `--name=value` (`--bind=127.0.0.1`), said so here.
    if (name !== undefined && !/^[a-z][a-z0-9_-]*$/i.test(name) && !(name.includes('.') && !name.includes('='))) {
      const first = option.given[0] ?? '';
      const equals = first.startsWith('--') ? first.indexOf('=') : -1;
      const unknown = `reads ${escapeText(name, 200)} as a directive it does not know and refuses to start ("Bad directive or wrong number of arguments")`;
      // The option as Redis takes it, with the value the registry wants where this check holds one (`--port=6380`: `--port 6379`).
      const flag = first.slice(0, equals).toLowerCase();
      const value =
        flag === '--port' ? [String(this.expect.port)] : flag === '--bind' && this.expect.localOnly ? ['127.0.0.1', '-::1'] : [first.slice(equals + 1)];
      const message =
        equals >= 0
          ? `Redis takes an option's value as the next argument, so it ${unknown}; write ${shownArguments([first.slice(0, equals), ...value])}${fixedIn(option.from)}`
          : first.startsWith('--')
            ? `Redis ${unknown}; fix the option's name${fixedIn(option.from)}`
            : `Redis ${unknown}: only its first argument is a config file, and a - reads stdin only as the first or last argument; remove it`;
      this.add({ ...at, severity: 'error', message: `${commandWords(option.given, option.from)}: ${message}` });
      return;
    }
    const swallowed = swallowedOption(option.given, content);
    if (swallowed !== undefined) {
      this.add({ ...at, ...swallowed, message: `${commandWords(option.given, option.from)}: ${swallowed.message}${fixedIn(option.from)}` });
      return;
    }
    this.readLine(settings, { ...at, content, given: option.given, ...(option.from && { from: option.from }), rawLine: () => '' }, []);
  }

  private readLine(
    settings: Settings,
    at: { file: string | undefined; line: number; content: string; rawLine: (line: number) => string; given?: readonly string[]; from?: VariableOrigin },
    chain: readonly string[],
  ): void {
    const { file, line, content, given, from } = at;
    if (given === undefined && !DIRECTIVE_START.test(content)) {
      const refused = unknownDirective(content);
      if (refused !== undefined) {
        this.add({ file, line, severity: 'error', message: `${shownLine(content, at.rawLine(line))}: ${refused}` });
        // `\ufeffport 6379` is the port line Redis stops at: not "sets no port" as well.
        const meant = redisWords(content)![0]!
          .replace(/[^a-z0-9-]/gi, '')
          .toLowerCase();
        if (isPort(meant)) Object.assign(settings, portSetting(meant, { file, line, content, args: [], refused: true }));
        return;
      }
    }
    this.modeLine(at);
    const named = this.unknownName(content, given, from);
    if (named !== undefined) {
      this.add({
        file,
        line,
        severity: 'error',
        message: `${given !== undefined ? commandWords(given, from) : shownLine(content, at.rawLine(line))}: ${named}`,
      });
      return;
    }
    // Only a line that may be a directive read, or holds a quote Redis may refuse, needs splitting.
    if (!mayBeRedisDirective(content, DIRECTIVES_READ) && !content.includes('"') && !content.includes("'")) return;
    const words = redisWords(content);
    // A line as the message names it: as written in the file, or the command line's option.
    const written = given !== undefined ? commandWords(given, from) : shownLine(content, at.rawLine(line));
    if (words === undefined) {
      this.add({ file, line, severity: 'error', message: `${written}: unbalanced quotes, so Redis refuses to start; fix the quoting` });
      // Redis stops at this line ("Unbalanced quotes in configuration line"): a port line's port is not its default either.
      const meant = /^[A-Za-z][A-Za-z0-9_-]*/.exec(content)?.[0].toLowerCase();
      if (meant !== undefined && isPort(meant)) Object.assign(settings, portSetting(meant, { file, line, content, args: [], refused: true }));
      return;
    }
    const [directive, ...lineArgs] = words;
    const name = directive?.toLowerCase();
    if (name !== 'port' && name !== 'tls-port' && name !== 'bind' && name !== 'include') return;
    // bind takes several addresses: one argument holding spaces is split as a line is (`--bind "127.0.0.1 ::1"`;
    // config.c, MULTI_ARG_CONFIG), and one whose quotes Redis refuses there is no address at all.
    const args = name === 'bind' && lineArgs.length === 1 && lineArgs[0] !== '' ? (redisWords(lineArgs[0]!) ?? []) : lineArgs;
    // Where a port's value (a bind's first address) starts, for its finding; an option's is not known on its unit's line.
    const column =
      given === undefined && ((isPort(name) && args.length === 1) || (name === 'bind' && args.length > 0)) ? valueColumn(at.rawLine(line), content) : undefined;
    const place = { file, line, ...(column !== undefined && { column }) };
    const option = given !== undefined ? { given, ...(from && { from }) } : {};
    const refused = refusedArguments(name, args, this.expect, given !== undefined, from);
    if (refused !== undefined) {
      this.add({ ...place, severity: 'error', message: `${written}: ${refused}` });
      // Redis stops at this line: the port it would use is not another one, nor its default (until a later port replaces it here).
      if (isPort(name)) Object.assign(settings, portSetting(name, { ...place, content, args, refused: true, ...option }));
      return;
    }
    if (isPort(name)) Object.assign(settings, portSetting(name, { ...place, content, args, ...option }));
    else if (name === 'bind') Object.assign(settings, { bind: { ...place, content, args, ...option }, bindMayBeIn: null });
    else this.include(settings, { file, line, include: args[0]! }, chain);
  }

  /**
   * Why Redis refuses a line (or an option: `given`) whose first word no directive of its version has (Expect.directives),
   * as it lowers the word and looks it up ("Bad directive or wrong number of arguments"); undefined for a name it
   * knows, a module's setting (a `.` in it: kept for the module a loadmodule loads), a line whose quotes it refuses
   * (said where the line is split), or when the names of its version are not known.
   */
  private unknownName(content: string, given: readonly string[] | undefined, from: VariableOrigin | undefined): string | undefined {
    const directives = this.expect.directives;
    if (directives === undefined) return undefined;
    // The usual line's first word ends at its first space or tab (DIRECTIVE_START); a quoted one is split as Redis splits it.
    const word = DIRECTIVE_START.test(content) ? /^[^ \t]+/.exec(content)![0] : redisWords(content)?.[0];
    const name = word?.toLowerCase();
    if (name === undefined || name.includes('.') || directives.names.has(name)) return undefined;
    const near = nearestName(name, directives.names);
    const fix = given !== undefined ? `fix the option's name${fixedIn(from)}` : 'fix or remove the line';
    return `Redis ${redisMajorMinor(directives.version) ?? ''} (${escapeText(directives.version, 100)}, from ${escapeText(directives.from, 500)}) has no directive ${escapeText(name, 200)}, so it refuses to start ("Bad directive or wrong number of arguments"); ${near !== undefined ? `did you mean ${near}? ` : ''}${fix}`;
  }

  /**
   * A line whose meaning hangs on how Redis runs (checked with redis-server 7.0.15): a `sentinel` line with arguments,
   * which a plain Redis refuses at start ("sentinel directive while not in sentinel mode"; `sentinel` alone it takes);
   * a module's setting (a name with a `.`), which Redis leaves to the modules loadmodule loads, and aborts on with none
   * (judgeModuleSettings: a loadmodule after it counts too); Sentinel loads no module and takes both. A module's
   * setting with no value it refuses in any mode.
   */
  private modeLine(at: {
    file: string | undefined;
    line: number;
    content: string;
    rawLine: (line: number) => string;
    given?: readonly string[];
    from?: VariableOrigin;
  }): void {
    const { content, given, from } = at;
    // The usual line (a plain first word) names neither but when it starts with the letter of sentinel or loadmodule.
    const first = content[0]?.toLowerCase();
    if (DIRECTIVE_START.test(content) && first !== 's' && first !== 'l') return;
    const words = redisWords(content);
    const name = words?.[0]?.toLowerCase();
    if (words === undefined || name === undefined) return;
    if (name === 'loadmodule' && words.length > 1) this.loadsModule = true;
    const written = given !== undefined ? commandWords(given, from) : shownLine(content, at.rawLine(at.line));
    // Refused as Redis reads the line, a module loaded or not, Sentinel or not (7.0.15: "Module config specified without value").
    if (name.includes('.') && words.length === 1 && given === undefined) {
      this.add({
        file: at.file,
        line: at.line,
        severity: 'error',
        message: `${written}: a module's setting with no value, so Redis refuses to start ("Module config specified without value"); give it its value, or remove the line`,
      });
      return;
    }
    if (this.expect.sentinel) return;
    if (name === 'sentinel' && words.length > 1)
      this.add({
        file: at.file,
        line: at.line,
        severity: this.optionsUnknown ? 'unknown' : 'error',
        message: `${written}: a Sentinel directive, but Redis does not run as Sentinel here (not started as redis-sentinel, nor with --sentinel${this.optionsUnknown ? ', unless the options not known give it' : ''}), so it refuses to start ("sentinel directive while not in sentinel mode"); remove the line, or run it as Sentinel (redis-sentinel, or --sentinel) with a file of its own`,
      });
    else if (name.includes('.') && words.length > 1)
      this.moduleSettings.push({
        file: at.file,
        line: at.line,
        severity: 'error',
        message: `${written}: a module's setting (a name with a .), but no loadmodule line loads a module, so Redis aborts at start ("Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting"); add the loadmodule line of the module it sets${given !== undefined ? ` (or --loadmodule)${fixedIn(from)}` : ''}, or remove the line`,
      });
  }

  /**
   * Says the module settings read, once the whole text Redis reads is (the file, its includes, the command line), where
   * no loadmodule line was: Redis aborts on them. Not where something not read may hold a loadmodule (`unread`: an
   * include that could not be read, stdin, options not known, the file itself).
   */
  judgeModuleSettings(unread: boolean): void {
    if (this.loadsModule || unread || this.includeUnread) return;
    for (const finding of this.moduleSettings) this.add(finding);
  }

  /** `include FILE` reads FILE there, so the last port or bind may be in it. */
  private include(settings: Settings, include: UnreadInclude, chain: readonly string[]): void {
    const included = includedFiles(this.lookup, includePath('redis-conf', include.include, undefined, this.root), chain);
    if ('problem' in included && included.missing) {
      // Redis opens an include with no glob character or exits (config.c: "Fatal error, can't open config file");
      // as for an include line it refuses, what the rest of the file sets is judged as if the line were not there.
      this.add(
        {
          file: include.file,
          line: include.line,
          severity: 'error',
          message: `include ${escapeText(include.include, 200)}: ${included.problem}, so Redis will refuse to start at its next restart ("Fatal error, can't open config file"); ${/symbolic links/.test(included.problem) ? 'make the link name a file' : 'create the file'}, or remove the include`,
        },
        true,
      );
      return;
    }
    if ('problem' in included && included.loop) {
      // Redis 7.0 reads an include each time it meets it, with no guard (config.c: loadServerConfig calls itself), so a
      // loop recurses until the stack runs out: checked with 7.0.15, a file including itself (or A -> B -> A, or a glob
      // matching its own file) ends redis-server within 0.03 s, SIGSEGV (exit 139), nothing in its log. As for an
      // include it cannot open, what the rest sets is judged as if the line were not there.
      const again = escapeText(included.loop.again, 200);
      const glob = isGlob(include.include) ? `, or narrow its glob so it does not match ${again}` : '';
      this.add({
        file: include.file,
        line: include.line,
        severity: 'error',
        message: `include ${escapeText(include.include, 200)}: a loop, as it reads ${again} again while it is being read (${escapeText(included.loop.chain.join(' -> '), 1000)}): Redis follows it without end and crashes at its next start (a segmentation fault, with nothing in its log); remove the include${glob}`,
      });
      return;
    }
    if ('problem' in included) {
      this.add(
        {
          file: include.file,
          line: include.line,
          severity: 'unknown',
          message: `include ${escapeText(include.include, 200)}: ${included.problem}; a port or bind in it is not checked`,
        },
        true,
      );
      // An include not read may hold what was not seen.
      this.includeUnread = true;
      Object.assign(settings, { portMayBeIn: include, tlsPortMayBeIn: include, bindMayBeIn: include });
      return;
    }
    for (const each of included.files) Object.assign(settings, this.includedSettings(each.path, each.text, [...chain, each.path]));
  }

  /** An included file's Settings, read once per depth (the depth decides what nests too deep). */
  private includedSettings(path: string, text: string, chain: readonly string[]): Settings {
    const key = `${chain.length}\0${path}`;
    let settings = this.read.get(key);
    if (settings === undefined) {
      settings = this.settingsOf(text, path, chain);
      this.read.set(key, settings);
    }
    return settings;
  }
}

/**
 * The directives Redis 7.0 takes more than one argument for (config.c: MULTI_ARG_CONFIG, and those loadServerConfigFromString
 * reads itself), and those this reader judges (readLine): neither is said to have the wrong number of arguments here.
 */
const NOT_ONE_ARGUMENT = new Set([
  'save',
  'bind',
  'client-output-buffer-limit',
  'oom-score-adj-values',
  'user',
  'loadmodule',
  'sentinel',
  'rename-command',
  'replicaof',
  'slaveof',
  'port',
  'tls-port',
  'include',
]);

/**
 * Pure: what Redis makes of an option of its command line alone (`--daemonize`) followed by another (`--port 16380`):
 * it takes the next argument as the value even when it starts with `--` (server.c main; `--save` and `--sentinel`
 * aside, which redisArguments reads so), so the line is `daemonize "--port" "16380"`. With two values or more, a
 * directive of one argument is refused ("wrong number of arguments": an error, as Redis exits at start; checked with
 * redis-server 7.0.15); with `--port` last, its one value is `--port`, which some directives refuse (`loglevel`) and
 * others take (`logfile`, a file named --port): a warning. `line`: the line Redis reads, trimmed. Undefined for any other option, and for the directives this
 * reader judges itself (port, bind, include).
 */
function swallowedOption(given: readonly string[], line: string): Pick<Finding, 'severity' | 'message'> | undefined {
  const [option, next] = given;
  if (option === undefined || next === undefined || !option.startsWith('--') || !next.startsWith('--')) return undefined;
  if (redisWords(option)?.length !== 1) return undefined;
  const name = option.slice(2);
  if (NOT_ONE_ARGUMENT.has(name.toLowerCase())) return undefined;
  const shownName = escapeText(option, 200);
  const takes = `Redis takes the argument after ${shownName} as its value even when it starts with --, so it reads ${escapeText(line, 300)}`;
  return given.length > 2
    ? { severity: 'error', message: `${takes}, which it refuses ("wrong number of arguments") and exits at start; give ${shownName} its value, or remove it` }
    : { severity: 'warning', message: `${takes}, not ${escapeText(next, 200)} as an option of its own; give ${shownName} its value, or remove it` };
}

/**
 * A line that starts with a word that may be a directive's name (letters, digits, `-` and `_`, a letter first: Redis 7.0
 * has four with `_`, server_cpulist among them), then a space or its end: most lines.
 */
const DIRECTIVE_START = /^[A-Za-z][A-Za-z0-9_-]*(?:[ \t]|$)/;

/**
 * Why Redis refuses a file's line (DIRECTIVE_START failed on it) whose first word no directive of Redis's has (none
 * has other than letters, digits, `-` and `_`, a letter first; a name with a `.` is a module's setting): it exits at start with "Bad directive or wrong number of
 * arguments". A character that looks like a space, or like nothing, and that Redis does not trim or split at (a
 * byte-order mark, U+00A0, \v or \f in a word) is named, as the line looks right in an editor. Undefined for a
 * line Redis takes (`"port" 6379`; no word at all) or whose quotes it refuses (said where the line is split).
 */
function unknownDirective(content: string): string | undefined {
  const name = redisWords(content)?.[0];
  // A name with a `.` is a module's setting (`bf.error-rate`): Redis 7 keeps it for the module a loadmodule line loads,
  // and is no "Bad directive" (config.c; with no loadmodule line at all it aborts later: judgeModuleSettings).
  if (name === undefined || /^[a-z][a-z0-9_-]*$/i.test(name) || name.includes('.')) return undefined;
  const odd = [...new Set([...name].filter((char) => !/^[\x21-\x7e]$/.test(char)))].slice(0, 3);
  const codes = odd.map((char) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}${char === '\ufeff' ? ' (a byte-order mark)' : ''}`);
  const refuses = `Redis refuses to start ("Bad directive or wrong number of arguments")`;
  if (name.startsWith('#') && content.startsWith('#'))
    return `${refuses}: a # starts a comment only as the first character after spaces and tabs, and a \\v or \\f stands before it here; remove that character`;
  if (codes.length === 0) return `${refuses}: no directive is named ${escapeText(name, 200)}; fix or remove the line`;
  const what = codes.length === 1 ? `${codes[0]}, which Redis takes` : `${codes.join(', ')}, which Redis takes`;
  const bom = odd.includes('\ufeff') ? ' (save the file as UTF-8 without a BOM)' : '';
  return `the directive's name holds ${what} as part of the name, not as a space, so ${refuses}; remove ${odd.length === 1 ? 'that character' : 'those characters'}${bom}`;
}

/** Whether a directive is one of the two ports Redis listens on. */
const isPort = (name: string): name is 'port' | 'tls-port' => name === 'port' || name === 'tls-port';

/** What a port or tls-port line sets: it, and no include before it may set another. */
const portSetting = (name: 'port' | 'tls-port', setting: Setting): Settings =>
  name === 'port' ? { port: setting, portMayBeIn: null } : { tlsPort: setting, tlsPortMayBeIn: null };

/**
 * Why Redis refuses a port or include line's arguments at start ("wrong number of arguments", a port that is none), with what to do; undefined when
 * it takes them. `option`: the line is an option of the command line (`--port 06379`), fixed there.
 */
function refusedArguments(
  name: 'port' | 'tls-port' | 'bind' | 'include',
  args: readonly string[],
  expect: Expect,
  option = false,
  from?: VariableOrigin,
): string | undefined {
  // Redis reads a port as a whole number from 0 to 65535, without a leading 0 ("argument couldn't be parsed into an integer").
  const none = isPort(name) && args.length === 1 ? notAPort(args[0]!, REDIS_PORT) : undefined;
  // A tls-port is not the registry's port when port is: only what Redis takes is said, not which.
  const tlsFix = `write the port Redis is to serve TLS on (0 for none)${option ? ` as --tls-port's value${fixedIn(from)}` : ''}`;
  if (none !== undefined)
    return `${none}, so ${REDIS_PORT.refused}; ${name === 'tls-port' ? tlsFix : option ? optionFix('--port', String(expect.port), from) : portFix('it', expect.port, expect.snippet)}`;
  if (name === 'bind' || args.length === 1) return undefined;
  // `port 6379 # ours`: Redis reads the comment as more arguments (on a command line, a # is no comment at all).
  const fix = args.slice(1).some((arg) => arg.startsWith('#'))
    ? option
      ? `remove what follows it${fixedIn(from)}`
      : 'put a comment on a line of its own'
    : name === 'port'
      ? option && from?.valueFor !== undefined
        ? `give one port: ${optionFix('--port', String(expect.port), from)}`
        : `give one port, ${option ? '--port ' : ''}${expect.port}${fixedIn(from)}`
      : name === 'tls-port'
        ? `give one port${fixedIn(from)}`
        : 'give one file per include';
  return isPort(name)
    ? `${name} takes one number, so Redis refuses to start ("wrong number of arguments"); ${fix}`
    : `include takes one file, so Redis refuses to start ("Bad directive or wrong number of arguments"); ${fix}`;
}

/**
 * The findings of a redis.conf held to the registry (`expect`); with `start`, of how the service's unit starts
 * redis-server too: the config file it names (none, or another than `self`: said at the command's file:line) and its
 * options, which Redis applies after the file (a `--port` there is the port, whatever the file's `port` says).
 */
export function readRedisConf(text: string, expect: Expect, lookup?: IncludeLookup, self?: string, start?: RedisStart): Finding[] {
  // Without the unit's command, its options (a --loadmodule) are not known: module settings are not judged.
  const read = readRedisSettings(text, expect, lookup, self, start, start !== undefined);
  // Started with no config file: Redis's defaults, where the command line leaves them, are said at its line.
  const defaults = start?.reads === 'none' ? { file: start.file, line: start.line } : undefined;
  const started = start !== undefined ? startFindings(start, self ?? 'redis.conf', expect) : [];
  // Sentinel started with no config file exits at start (startFindings): it listens on nothing to hold.
  if (defaults !== undefined && expect.sentinel) return [...started, ...read.findings];
  return [
    ...started,
    ...read.findings,
    ...listenFindings(read.settings, expect, read, self, { defaults, overrides: read.overrides }),
    ...bindFindings(read.settings.bind, expect, read.bindMayBeIn, defaults, listensOnTcp(read.settings)),
  ];
}

/**
 * The findings of the command line alone, for when the registry's file `self` cannot be read: what redis-server is
 * started with (startFindings) and its options, which Redis applies after any file, so a `--port` or `--bind` there
 * is judged whatever the file says; the lack of one is not, as the file may set it.
 */
export function readRedisOptions(expect: Expect, lookup: IncludeLookup | undefined, self: string, start: RedisStart): Finding[] {
  const read = readRedisSettings('', expect, lookup, self, start);
  const { port, bind } = read.settings;
  // Without a --tls-port, the file may set one, which a --port 0 leaves Redis listening on (a --tls-port replaces it).
  const fileUnread = `${escapeText(self, 200)}, which could not be read`;
  // Sentinel started with no config file exits at start (startFindings): it listens on nothing to hold.
  if (start.reads === 'none' && expect.sentinel) return [...startFindings(start, self, expect), ...read.findings];
  return [
    ...startFindings(start, self, expect),
    ...read.findings,
    ...(port?.given !== undefined
      ? listenFindings(read.settings, expect, { ...read, tlsPortMayBeIn: read.settings.tlsPort === undefined ? fileUnread : read.tlsPortMayBeIn }, self)
      : []),
    ...(bind?.given !== undefined ? bindFindings(bind, expect, read.bindMayBeIn, undefined, listensOnTcp(read.settings)) : []),
  ];
}

/**
 * What the command a unit starts redis-server with says by itself of the file `self` the check reads: that Redis reads
 * another, or none (Sentinel then exits at start); or that it cannot be known.
 */
function startFindings(start: RedisStart, self: string, expect: Pick<Expect, 'sentinel'>): Finding[] {
  const at = { file: start.file, line: start.line };
  const registryFile = escapeText(self, 200);
  if (start.doubt !== undefined)
    return [
      {
        ...at,
        severity: 'unknown',
        message: `the options ExecStart= gives redis-server are not known, as ${start.doubt}; only ${registryFile} is checked${start.fix === undefined ? '' : `; ${start.fix}`}`,
      },
    ];
  if (start.reads === 'none') {
    const from = start.stdin ? ' (only its config from stdin)' : '';
    // Checked with Redis 7.0: `redis-sentinel --port N`, and `redis-server - --sentinel` given its config on stdin, exit so.
    if (expect.sentinel)
      return [
        {
          ...at,
          severity: 'error',
          message: `ExecStart= starts Redis as Sentinel with no config file${from}, so it refuses to start ("Sentinel needs config file on disk to save state"); name ${registryFile} as its first argument (redis-sentinel ${registryFile} ...)`,
        },
      ];
    return [
      {
        ...at,
        severity: 'warning',
        message: `ExecStart= starts redis-server with no config file${from}, so Redis reads none of ${registryFile}, the file this check holds to the registry, and runs on its defaults where the command line sets nothing (port ${defaultPort(expect).port}, bind * -::*: every address); name it as redis-server's first argument (redis-server ${registryFile} ...)`,
      },
    ];
  }
  if (start.reads === undefined || start.reads === 'registry') return [];
  const other = escapeText(start.reads.other, 200);
  const inCommand = start.reads.registryInCommand;
  const orRead = inCommand === undefined ? '' : `, or make ExecStart= read ${escapeText(inCommand, 200)}`;
  return [
    {
      ...at,
      severity: 'warning',
      message: `ExecStart= starts redis-server with ${other}, not ${registryFile}: this check read a file Redis does not; name ${other} in the registry (${start.reads.registryNames})${orRead}`,
    },
  ];
}

/**
 * The port of a redis.conf (and the files it includes) as Redis reads it, for the config check of a file Redis reads
 * that no `redis-conf` entry of `configs:` names: the problems of its lines Redis refuses at start, the verdict on its
 * port, and the port line that takes effect (undefined when none does). Its bind is the references check's (configs:).
 */
export function readRedisPort(
  text: string,
  expect: Omit<Expect, 'localOnly'>,
  lookup: IncludeLookup | undefined,
  self: string,
): { findings: Finding[]; port?: { directive: 'port' | 'tls-port'; file: string; line: number; column?: number; value: string } } {
  const read = readRedisSettings(text, { ...expect, localOnly: false }, lookup, self);
  const findings = [...read.findings, ...listenFindings(read.settings, { ...expect, localOnly: false }, read, self)];
  // The line that gives the registry's port: the tls-port that does, else the port line (its default when none).
  const { tlsPort } = read.settings;
  const port = tlsPort?.args[0] === String(expect.port) ? tlsPort : read.settings.port;
  if (port === undefined || port.refused) return { findings };
  return {
    findings,
    port: {
      directive: port === tlsPort ? 'tls-port' : 'port',
      file: port.file ?? self,
      line: port.line,
      ...(port.column !== undefined && { column: port.column }),
      value: port.args[0]!,
    },
  };
}

/**
 * One reading of a redis.conf, and of the command line after it (`start`): what they set, the problems of their lines,
 * the unread include (or stdin) that may set another port (bind), and the file's port line an option overrides.
 */
function readRedisSettings(
  text: string,
  expect: Expect,
  lookup: IncludeLookup | undefined,
  self: string | undefined,
  start?: RedisStart,
  /** Whether all Redis reads is read here (then a module's setting with no loadmodule is judged): not the command line's options alone, nor a file without them. */
  whole = false,
) {
  const reader = new RedisConfReader(expect, lookup, self, start?.root, start?.doubt !== undefined);
  // Started with no config file, Redis reads none: the command line alone sets what it listens on.
  const settings = start?.reads === 'none' ? {} : reader.settingsOf(text, undefined, self !== undefined ? [self] : []);
  const fromFile = settings.port;
  if (start !== undefined) {
    const at = { file: start.file, line: start.line };
    // `-`: Redis reads stdin after the file, which may set either; the options after it replace that again.
    const stdin: UnreadInclude = { ...at, include: '-', stdin: true };
    if (start.stdin) Object.assign(settings, { portMayBeIn: stdin, tlsPortMayBeIn: stdin, bindMayBeIn: stdin });
    for (const option of start.options) reader.readOption(settings, option, at);
  }
  // Stdin, options not known, or another file than this one, may hold a loadmodule.
  const another = start !== undefined && start.reads !== 'registry' && start.reads !== 'none';
  reader.judgeModuleSettings(!whole || start?.stdin === true || start?.doubt !== undefined || another);
  // The include that may hold another setting, and where it stands (file:line; its line alone when the caller named no file).
  const notRead = (unread: UnreadInclude) => {
    const file = unread.file ?? self;
    const place = `${file !== undefined ? `${file}:` : 'line '}${unread.line}`;
    return unread.stdin
      ? `the config redis-server reads from stdin (- in ExecStart=, ${place}), which this check does not read`
      : `include ${unread.include} (${place}), which could not be read`;
  };
  // A port line of the file that an option replaced (not one Redis refuses: it stops there).
  const port = settings.port;
  // Only of the file Redis reads: another's port replaces nothing.
  const replaced = start?.reads === 'registry' && port?.given !== undefined && fromFile !== undefined && fromFile.given === undefined && !fromFile.refused;
  // Said once, as an include not read is: what stdin holds may set the port or bind the options leave.
  const fromStdin: Finding[] =
    settings.portMayBeIn?.stdin || settings.bindMayBeIn?.stdin
      ? [
          {
            file: start!.file,
            line: start!.line,
            severity: 'unknown',
            message: '- in ExecStart=: redis-server reads config from stdin, which this check does not read; a port or bind there is not checked',
          },
        ]
      : [];
  return {
    settings,
    findings: [...reader.findings, ...fromStdin],
    portMayBeIn: settings.portMayBeIn ? notRead(settings.portMayBeIn) : undefined,
    tlsPortMayBeIn: settings.tlsPortMayBeIn ? notRead(settings.tlsPortMayBeIn) : undefined,
    bindMayBeIn: settings.bindMayBeIn ? notRead(settings.bindMayBeIn) : undefined,
    ...(replaced && { overrides: `${shown(fromFile.content)} at ${fromFile.file ?? self ?? 'line'}${(fromFile.file ?? self) ? ':' : ' '}${fromFile.line}` }),
  };
}

/** Where a setting stands, for a message about another line: `file:line` (of the file read, `self`; of an option, its unit's). */
const settingAt = (setting: Setting, self: string | undefined): string =>
  escapeText(`${setting.file ?? self ?? 'line'}${(setting.file ?? self) ? ':' : ' '}${setting.line}`, 500);

/**
 * The verdict on the ports Redis listens on (checked with redis-server 7.0): `port`, plain (its default 6379 when
 * not set, Sentinel's 26379; none when 0), and `tls-port`, with TLS (none when not set or 0). With both, Redis listens on both, so the
 * registry's port is either: the registry records one port, and a client of either reaches Redis there (the other
 * is the operator's to record, or to close with 0). With port 0, only the tls-port: a TLS-only Redis. Without a
 * tls-port, portFindings. `unless` names an unread include (or stdin) after the last of each.
 */
function listenFindings(
  settings: Pick<Settings, 'port' | 'tlsPort'>,
  expect: Expect,
  unless: { portMayBeIn?: string | undefined; tlsPortMayBeIn?: string | undefined },
  self: string | undefined,
  start: { defaults?: { file: string; line: number } | undefined; overrides?: string | undefined } = {},
): Finding[] {
  const { port, tlsPort } = settings;
  const tls = tlsPort?.args[0];
  if (tlsPort === undefined || tls === '0' || tlsPort.refused) {
    // A tls-port line Redis refuses was said where it stands: Redis does not start, on any port.
    if (tlsPort?.refused) return [];
    return portFindings(port, expect, unless.portMayBeIn, start, tlsPort === undefined ? unless.tlsPortMayBeIn : undefined);
  }
  if (port?.refused) return [];
  const plain = port?.args[0] ?? String(defaultPort(expect).port);
  const mayBe = unless.portMayBeIn ?? unless.tlsPortMayBeIn;
  const otherwise = mayBe ? `, unless ${mayBe}, sets another port` : '';
  const severity = mayBe ? 'unknown' : 'error';
  const place = { file: tlsPort.file, line: tlsPort.line, ...(tlsPort.column !== undefined && { column: tlsPort.column }) };
  const writtenTls = tlsPort.given !== undefined ? commandWords(tlsPort.given, tlsPort.from) : `tls-port ${escapeText(tls!, 200)}`;
  const writtenPlain =
    port === undefined
      ? `no port (${defaultPort(expect).of} default, ${plain})`
      : `${port.given !== undefined ? commandWords(port.given, port.from) : `port ${escapeText(plain, 200)}`} (${settingAt(port, self)})`;
  if (plain === tls) {
    const twice = `Redis listens on ${escapeText(tls, 200)} twice, plain and with TLS, so it fails to start ("Address already in use")${otherwise}`;
    // A --port of the command line beside the file's tls-port: the option, which wins over the file, is the one to change.
    if (port?.given !== undefined && tlsPort.given === undefined)
      return [
        {
          file: port.file,
          line: port.line,
          ...(port.column !== undefined && { column: port.column }),
          severity,
          message: `${commandWords(port.given, port.from)} and tls-port ${escapeText(tls, 200)} (${settingAt(tlsPort, self)}): ${twice}; ${optionFix('--port', '0 (TLS only) or another port', port.from)}`,
        },
      ];
    return [
      {
        ...place,
        severity,
        message: `${writtenTls} and ${writtenPlain}: ${twice}; give ${port?.given !== undefined ? '--port' : 'port'} another number, or 0 for TLS only`,
      },
    ];
  }
  if (tls === String(expect.port) || plain === String(expect.port)) return [];
  // Of an option, fixed on the command line; the registry is offered the TLS port only where it is the one port.
  const tlsFix = (instead?: RegistryInstead) =>
    tlsPort.given !== undefined
      ? `${optionFix('--tls-port', String(expect.port), tlsPort.from)}${orRegistry(instead)}`
      : portFix('it', expect.port, undefined, instead);
  if (plain === '0')
    return [
      {
        ...place,
        severity,
        message: `${writtenTls}, with ${writtenPlain}: Redis serves TLS only, on port ${escapeText(tls!, 200)}, but the registry says ${expect.name} uses port ${expect.port}${otherwise}; ${tlsFix(mayBe ? undefined : registryInstead(expect, Number(tls)))}`,
      },
    ];
  return [
    {
      ...place,
      severity,
      message: `${writtenTls} and ${writtenPlain}: Redis listens on ${escapeText(tls!, 200)} with TLS and on ${escapeText(plain, 200)} without, but the registry says ${expect.name} uses port ${expect.port}, neither${otherwise}; ${tlsFix()} (or port, if clients connect without TLS)`,
    },
  ];
}

/**
 * The verdict on the last port (`port`), or on its absence; `unless` names an unread include after it that may set another.
 * `defaults`: Redis reads no config file (the command's file and line, where its default port is said); `overrides`:
 * the file's port line that an option of the command line replaces, for its message. `tlsUnless`: what was not read
 * that may set a tls-port (Redis has none here), on which a port 0 serves.
 */
function portFindings(
  port: Setting | undefined,
  expect: Expect,
  unless: string | undefined,
  start: { defaults?: { file: string; line: number } | undefined; overrides?: string | undefined } = {},
  tlsUnless?: string,
): Finding[] {
  if (port === undefined) {
    // Redis's 6379, or Sentinel's 26379: the registry's port is right or wrong by the mode Redis runs in.
    const fallback = defaultPort(expect);
    if (expect.port === fallback.port) return [];
    if (start.defaults !== undefined) {
      const listens = `Redis listens on its default port ${fallback.port}, not ${expect.port}`;
      return [
        unless
          ? {
              ...start.defaults,
              severity: 'unknown',
              message: `no config file and no --port in ExecStart=: ${listens}, unless ${unless} sets another port; add --port ${expect.port}`,
            }
          : {
              ...start.defaults,
              severity: 'error',
              message: `no config file and no --port in ExecStart=, so ${listens}; add --port ${expect.port}${orRegistry(registryInstead(expect, fallback.port))}`,
            },
      ];
    }
    return [
      unless
        ? {
            line: 0,
            severity: 'unknown',
            message: `sets no port outside ${unless}: the port may be there; if not, ${expect.name} listens on ${fallback.said}, not ${expect.port}`,
          }
        : {
            line: 0,
            severity: 'error',
            message: `sets no port, so ${expect.name} listens on ${fallback.said}, not ${expect.port}; add port ${expect.port}${orRegistry(registryInstead(expect, fallback.port))}`,
          },
    ];
  }
  // A port line Redis refuses was said where it stands: Redis does not start, so it listens on no port at all.
  if (port.refused) return [];
  const value = port.args[0]!;
  if (value === String(expect.port)) return [];
  const place = { file: port.file, line: port.line, ...(port.column !== undefined && { column: port.column }) };
  const otherwise = unless ? `, unless ${unless}, sets another port` : '';
  // Of an option: named as written, and fixed on the command line (the snippet prints a redis.conf, which it overrides).
  const written = port.given !== undefined ? commandWords(port.given, port.from) : `port ${escapeText(value, 200)}`;
  if (value === '0') {
    // Redis 7 takes port 0 for no TCP listener; with no unixsocket it exits ("Configured to not listen anywhere, exiting").
    const fix =
      port.given !== undefined ? optionFix('--port', String(expect.port), port.from) : portFix({ write: `port ${expect.port}` }, expect.port, expect.snippet);
    // A tls-port in what was not read would be the port Redis serves (port 0 for TLS only is how Redis is told so).
    const orTls = !unless && tlsUnless ? `, unless ${tlsUnless}, sets a tls-port` : otherwise;
    return [
      {
        ...place,
        severity: unless || tlsUnless ? 'unknown' : 'error',
        message: `${written}: Redis listens on no TCP port at all, so ${expect.name} does not serve port ${expect.port}, the registry's: it exits at start ("Configured to not listen anywhere") or, with a unixsocket, serves only that${orTls}; ${fix}, or, to serve TLS only, add ${port.given !== undefined ? '--tls-port' : 'tls-port'} ${expect.port}`,
      },
    ];
  }
  // Where an include not read may set another port, this one may not be Redis's: the registry is not offered it.
  const instead = unless ? undefined : registryInstead(expect, Number(value));
  const over = start.overrides !== undefined ? `, which overrides ${start.overrides}` : '';
  const fix =
    port.given !== undefined
      ? `${optionFix('--port', String(expect.port), port.from)}${orRegistry(instead)}`
      : portFix('it', expect.port, expect.snippet, instead);
  return [
    {
      ...place,
      severity: unless ? 'unknown' : 'error',
      message: `${written}${over}, but the registry says ${expect.name} uses port ${expect.port}${otherwise}; ${fix}`,
    },
  ];
}

/**
 * The verdict on the last bind (`bind`), or on its absence for a localhost-only service; `unless` and `defaults` as for
 * portFindings; `tcp`: whether Redis listens on a TCP port (listensOnTcp), without which its addresses are not opened.
 */
function bindFindings(bind: Setting | undefined, expect: Expect, unless: string | undefined, defaults?: { file: string; line: number }, tcp = true): Finding[] {
  if (bind === undefined) {
    if (!expect.localOnly) return [];
    if (defaults !== undefined) {
      // Redis 7's default bind (config.c; CONFIG GET bind with no config file): every IPv4 and IPv6 address.
      const listens = `${expect.name} listens on every address (its default bind * -::*)`;
      const fix = 'add --bind 127.0.0.1 -::1 (localhost only)';
      return [
        unless
          ? { ...defaults, severity: 'unknown', message: `no config file and no --bind in ExecStart=: ${listens}, unless ${unless} sets another bind; ${fix}` }
          : {
              ...defaults,
              severity: 'error',
              message: `no config file and no --bind in ExecStart=, so ${listens}, but ${expect.name} is localhost-only; ${fix}, or give ${expect.name} access: private or public in the registry`,
            },
      ];
    }
    return [
      unless
        ? { line: 0, severity: 'unknown', message: `sets no bind outside ${unless}: the bind may be there; if not, ${expect.name} listens on every address` }
        : { line: 0, severity: 'error', message: `sets no bind, so ${expect.name} listens on every address; add bind 127.0.0.1 -::1 (localhost only)` },
    ];
  }
  const problem = bindProblem(bind, expect, tcp);
  if (problem === undefined) return [];
  // The file may be right and the registry behind it (Redis opened to other hosts on purpose): that side too, as nginx's
  // listen says it; not where an include not read may set another bind, which may be Redis's.
  const registry = problem.access && !unless ? `, or give ${expect.name} access: private or public in the registry` : '';
  const message = `${problem.what}${unless ? `, unless ${unless}, sets another bind` : ''}${problem.fix ? `; ${problem.fix}${registry}` : ''}`;
  return [
    {
      file: bind.file,
      line: bind.line,
      ...(bind.column !== undefined && { column: bind.column }),
      severity: unless || problem.unknown ? 'unknown' : 'error',
      message,
    },
  ];
}

/** What is wrong with a bind Redis would use (checked with redis-server 7.0), and what to do; undefined when nothing is. */
function bindProblem(bind: Setting, expect: Expect, tcp: boolean): { what: string; fix?: string; access?: true; unknown?: true } | undefined {
  // An option is named as written, and fixed on the command line.
  const option = bind.given !== undefined;
  const written = option ? commandWords(bind.given!, bind.from) : shown(bind.content);
  const localhost = option ? `${optionFix('--bind', '127.0.0.1 -::1', bind.from)} (localhost only)` : 'bind 127.0.0.1 -::1 (localhost only)';
  // Redis 7: `bind ""` (or none) listens on no TCP address; with no unixsocket it exits ("Configured to not listen anywhere, exiting").
  if (bind.args.every((address) => address === ''))
    return {
      what: `${written} listens on no TCP address, so ${expect.name} does not serve port ${expect.port}: it exits at start ("Configured to not listen anywhere") or, with a unixsocket, serves only that`,
      fix: expect.localOnly ? localhost : 'give the addresses to listen on',
    };
  // `bind 127.0.0.1 # ours`: # and ours are addresses to Redis; it cannot listen on them and exits.
  if (bind.args.some((address) => address.startsWith('#')))
    return option
      ? {
          what: `${written}: Redis takes # and what follows for addresses and fails to start, unable to listen on them`,
          fix: 'remove them',
        }
      : {
          what: `${written}: Redis takes # and what follows for addresses (a # is a comment only at the start of a line) and fails to start, unable to listen on them`,
          fix: 'put a comment on a line of its own',
        };
  if (bind.args.includes('')) return { what: `${written}: an empty address, which Redis cannot listen on, so it fails to start`, fix: 'remove it' };
  // A `-` marks the address after it optional (Redis skips it when not there), but `-` alone names none: Redis looks up
  // the empty name, fails ("Name or service not known"; checked with 7.0.15) and exits, optional or not.
  if (bind.args.includes('-'))
    return {
      what: `${written}: a - with no address after it, an empty address Redis cannot listen on, so it fails to start`,
      fix: 'remove it, or write the address after it (-::1)',
    };
  // An IPv4-mapped address: Redis opens an IPv6-only socket for it, which Linux will not bind, and Redis aborts
  // (7.0.15: "bind: Invalid argument", optional with a - or not).
  const mapped = bind.args.map((address) => address.replace(/^-/, '')).find((address) => mappedBind(glibcHost(address)));
  if (mapped !== undefined)
    return {
      what: `${written}: ${shown(mapped)} is an IPv4-mapped IPv6 address, which Linux does not bind Redis's IPv6-only socket to, so Redis does not start ("Could not create server TCP listening socket ...: bind: Invalid argument")`,
      fix: `write its IPv4 address (${dottedQuad(Number(glibcHost(mapped)!.value & 0xffffffffn))}) instead`,
    };
  // With no TCP port, Redis opens none of its addresses (port 0 with a unixsocket serves: checked with 7.0.15).
  const overlap = tcp ? overlappingBind(bind.args) : undefined;
  if (overlap !== undefined)
    return {
      what: `${written}: ${shown(overlap.later)} ${overlap.why}: Linux will not bind a second listening socket over the first (Redis sets SO_REUSEADDR only), so Redis does not start ("Could not create server TCP listening socket ${shown(overlap.later.replace(/^-/, ''))}:PORT: bind: Address already in use"; a - skips only an address this host lacks)${overlap.ipv6 ? ' on a host with IPv6' : ''}`,
      fix: expect.localOnly ? localhost : overlap.fix,
    };
  if (!expect.localOnly) return undefined;
  // Each address as Redis reads it (getaddrinfo: `127.1` and `0x7f.0.0.2` are loopback; `*` and `::*` its wildcards); a host name other than localhost may be any.
  const addresses = bind.args.map((address) => address.replace(/^-/, ''));
  const wide = addresses.filter((address) => {
    const reach = hostReach(redisAddress(address), glibcHost);
    return reach !== undefined && reach !== 'loopback';
  });
  // A host name Redis looks up when it starts (getaddrinfo, in anetTcpServer): where it listens is not known here.
  const named = addresses.filter((address) => hostReach(redisAddress(address), glibcHost) === undefined);
  if (wide.length === 0 && named.length > 0)
    return {
      what: `${option ? written : `bind ${shown(bind.args.join(' '))}`} names a host (${shown(named.join(', '))}), which Redis looks up when it starts, so whether it reaches beyond this host cannot be told here`,
      fix: `write its address to make it plain (${expect.name} is localhost-only: 127.0.0.1 -::1)`,
      unknown: true,
    };
  if (wide.length === 0) return undefined;
  return {
    what: `${option ? written : `bind ${shown(bind.args.join(' '))}`} reaches beyond this host (${shown(wide.join(', '))}), but ${expect.name} is localhost-only`,
    fix: localhost,
    access: true,
  };
}

/** Whether Redis listens on a TCP port with these settings (what was not read may set one: then it may). */
const listensOnTcp = (settings: Pick<Settings, 'port' | 'tlsPort'>): boolean =>
  settings.port?.args[0] !== '0' || (settings.tlsPort !== undefined && settings.tlsPort.args[0] !== '0');

/**
 * A bind address as getaddrinfo gets it from Redis (anet.c, _anetTcpServer): `*` is every IPv4 address (0.0.0.0),
 * `::*` every IPv6 one (::), Redis 7's wildcards; any other as written (without its `-`).
 */
const redisAddress = (address: string): string => (address === '*' ? '0.0.0.0' : address === '::*' ? '::' : address);

/**
 * The first address of a bind Redis cannot listen on beside one before it (checked with redis-server 7.0.15), and why:
 * listenToPort (server.c) opens one socket per address, each with SO_REUSEADDR only, so Linux refuses to bind one
 * over another that listens: the same address again, or either the wildcard of their family (`bind 127.0.0.1 *`,
 * `bind ::1 ::`), and Redis aborts ("bind: Address already in use"), a `-` or not, as it skips an optional address
 * only when it is not on the host (EADDRNOTAVAIL). Its IPv6 sockets are IPv6-only (anetV6Only), so `*` and `::*`
 * coexist. An address with a `:` is IPv6 to Redis, any other IPv4 (a host name is looked up: not known here).
 * An optional address other than a loopback or wildcard one may be absent and skipped: never held to overlap.
 */
function overlappingBind(args: readonly string[]): { later: string; why: string; fix: string; ipv6: boolean } | undefined {
  const bound: { written: string; family: 4 | 6; value: bigint; zone: string }[] = [];
  for (const written of args) {
    const optional = written.startsWith('-');
    const address = redisAddress(optional ? written.slice(1) : written);
    const bits = glibcHost(address);
    if (bits === undefined) continue;
    const reach = hostReach(address, glibcHost);
    // Without a `-`, an address Redis cannot bind stops it anyway; a loopback or wildcard one is on every host (IPv6's where it has IPv6).
    if (optional && reach === 'address') continue;
    const zone = /%.*$/.exec(address)?.[0] ?? '';
    const earlier = bound.find(
      (other) => other.family === bits.family && (other.value === 0n || bits.value === 0n || (other.value === bits.value && other.zone === zone)),
    );
    if (earlier !== undefined) {
      const same = earlier.value === bits.value;
      const family = bits.family === 4 ? 'IPv4' : 'IPv6';
      const wildcard = earlier.value === 0n ? earlier.written : written;
      return {
        later: written,
        why: same ? `is ${shown(earlier.written)} again` : `overlaps ${shown(earlier.written)} before it (${shown(wildcard)} is every ${family} address)`,
        fix: same
          ? earlier.written === written
            ? `write ${shown(written)} once`
            : `remove ${shown(written)}`
          : `keep ${shown(wildcard)} or the other ${family} addresses, not both`,
        ipv6: bits.family === 6,
      };
    }
    bound.push({ written, family: bits.family, value: bits.value, zone });
  }
  return undefined;
}
