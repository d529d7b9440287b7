// Prometheus's command line, as its unit starts it: which prometheus.yml it
// reads (--config.file) and where it listens (--web.listen-address, and
// --web.config.file for TLS). Read from the unit's ExecStart= (daemonCommand),
// $ARGS expanded from its EnvironmentFile= as systemd expands it, each word
// with the variable that gave it; then as Prometheus's flag parser, kingpin,
// reads argv (checked against Prometheus 2.42, Debian's build):
// `--flag=value` and `--flag value` alike; a value starting with `-` is
// refused ("expected argument"); a flag given twice is refused ("flag
// 'config.file' cannot be repeated") and Prometheus exits; `--` ends the
// flags; a word starting with `@` is replaced by the lines of that file
// (expandAtFiles: read under the root, as gather gives them).
import { CONFIG_KINDS, escapeText, type Service } from '@dsa110/ports';
import { commandArgv } from '@dsa110/ports/systemd';
import type { ConfigFileFacts, Facts, UnitFacts } from '../../types.js';
import {
  commandAt,
  commandDoubt,
  commandUnknown,
  commandVariables,
  daemonCommand,
  expandedArguments,
  commandPath,
  nameInCommand,
  wordVariables,
  type DaemonCommand,
} from './daemon-command.js';
import type { Finding } from './finding.js';
import { keptListen, listenAddressFindings, noWebConfigFinding, type ListenExpectation } from './prometheus.js';

/**
 * The prometheus.yml Prometheus reads without --config.file: Debian's build's
 * default (`prometheus --help`, 2.42.0+ds); upstream's is `prometheus.yml` in
 * the directory it starts in.
 */
export const PROMETHEUS_DEFAULT_CONFIG = '/etc/prometheus/prometheus.yml';

/** The flags this check reads; kingpin refuses each given twice. */
export type PrometheusFlag = 'config.file' | 'web.listen-address' | 'web.config.file';
const READ: readonly string[] = ['config.file', 'web.listen-address', 'web.config.file'] satisfies readonly PrometheusFlag[];

/** A flag as Prometheus gets it: its value, and the variable whose expansion gave it, where one did. */
export interface CommandFlag {
  readonly value: string;
  /**
   * The variable and where the unit's environment sets it (an EnvironmentFile= line, an Environment=), with the reference
   * as the ExecStart= word writes it (VariableOrigin's `written`: `$ARGS`, split into words, or `${ARGS}`, in a word,
   * one argument); undefined for a word of the ExecStart= line itself.
   */
  readonly from?: { readonly variable: string; readonly written: string; readonly file: string; readonly line: number };
  /**
   * Given as `--flag VALUE` with the two words from different places: the line's own `--web.listen-address` before
   * `$ARGS`, whose first word is then its value (`from`). Neither is a flag of the ARGS file as its reader sees it,
   * and its value is fixed where it is written.
   */
  readonly apart?: true;
  /** The `@file` line that gave it (expandAtFiles): there, not at the ExecStart= line, is it written and fixed. */
  readonly at?: { readonly file: string; readonly line: number; readonly column?: number };
}

/** A flag kingpin refuses for want of a value (`--web.listen-address` last, or before a word starting with `-`): Prometheus exits at start. */
export interface ValuelessFlag {
  readonly name: PrometheusFlag;
  /** The word after it, which kingpin does not take (none: it is the last). */
  readonly next?: CommandFlag;
  /** The variable the flag's own word came from (`--web.listen-address` ending ARGS), where one did. */
  readonly from?: CommandFlag['from'];
}

/** Prometheus's command line as its unit starts it: the command, and each flag this check reads with every time it is given. */
export interface PrometheusCommand extends DaemonCommand {
  readonly flags: Readonly<Record<PrometheusFlag, readonly CommandFlag[]>>;
  /** The first flag of these given without a value, which kingpin refuses ("expected argument for flag"): Prometheus exits at start. */
  readonly valueless?: ValuelessFlag;
  /** The variables the command expands (`$ARGS`, `${ARGS}`). */
  readonly variables: ReadonlySet<string>;
  /** Those of them given as a word of their own (`$ARGS`), which systemd splits into the value's words; a `${ARGS}` is one argument, spaces and all. */
  readonly splits: ReadonlySet<string>;
  /** The unit's environment (the value and place of each variable). */
  readonly environment: UnitFacts['environment'];
  /** The unit's EnvironmentFile= list. */
  readonly environmentFiles: NonNullable<UnitFacts['environmentFiles']>;
}

/**
 * Pure: the command line Prometheus is started with by `service`'s unit, or undefined where this check cannot know
 * it: no single ExecStart= running prometheus (daemonCommand), a wrapper or a part of the unit not read
 * (commandUnknown), a variable it expands that an EnvironmentFile= not read may set or that the manager passes
 * (PassEnvironment=), or an `@file` argument (kingpin reads more from it). commandLineUnknown says which of these
 * leave it unknown though the unit says it.
 */
export function prometheusCommand(facts: Pick<Facts, 'units' | 'prometheusArgFiles'>, service: Service): PrometheusCommand | undefined {
  if (prometheusUnknown(facts, service) !== undefined) return undefined;
  const command = daemonCommand(facts, service, CONFIG_KINDS['prometheus-yml'].programs);
  const unit = command && facts.units.get(command.unit);
  if (command === undefined || unit === undefined) return undefined;
  const { line } = command;
  const expands = !line.prefixes.includes(':');
  const variables = new Set(commandVariables(line));
  if (commandDoubt(facts, command) !== undefined) return undefined;
  const expanded = expandAtFiles(commandWords(facts, command), command, facts.prometheusArgFiles ?? new Map());
  if (!('words' in expanded)) return undefined;
  const { flags, valueless } = kingpinFlags(expanded.words);
  const splits = new Set(
    expands
      ? line.words
          .slice(1)
          .filter((word) => wordVariables(word)[0] === word.slice(1))
          .map((word) => word.slice(1))
      : [],
  );
  return {
    ...command,
    flags,
    ...(valueless && { valueless }),
    variables,
    splits,
    environment: unit.environment,
    environmentFiles: unit.environmentFiles ?? [],
  };
}

/** The command's arguments word by word, as the unit model expands the line (expandedArguments), so each knows the variable it came from. */
function commandWords(facts: Pick<Facts, 'units'>, command: DaemonCommand): ExpandedFlagWord[] {
  return expandedArguments(facts, command).map((argument): ExpandedFlagWord => {
    const set = argument.from?.set;
    const from = set && { variable: argument.from!.variable, written: argument.from!.written, file: set.file, line: set.line };
    return { value: argument.value, word: argument.word, ...(from && { from }) };
  });
}

/** An `@file` Prometheus reads arguments from, as gather read it under the root (`missing`: nothing there). */
export type ArgFile = ConfigFileFacts & { readonly missing?: boolean; readonly notRegular?: boolean; readonly linkLoop?: boolean };

/** Why an `@file` argument leaves the command line not known (`exits`: Prometheus refuses it and exits at start), and where it is written. */
export interface AtFileDoubt {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  readonly exits?: true;
}

/** At most this many `@file` expansions (kingpin has no limit: a file naming itself never ends). */
const MAX_AT_FILES = 32;

/**
 * Pure: the arguments as kingpin reads them, each `@file` (before `--`) replaced by the lines of that file
 * (ExpandArgsFromFile; checked with Prometheus 2.42): one argument per line, as written (no quotes removed, no
 * spaces trimmed: `--web.listen-address="x"` keeps its quotes), a trailing \r dropped, a line starting with `#`
 * skipped, a blank line an empty argument (which Prometheus refuses: "unexpected"), an `@` line expanded in turn; the
 * file opened from the directory Prometheus starts in, under its RootDirectory= (commandPath), in `files` (gathered
 * under the root). `need`: a file not in `files` yet (gather reads it and asks again); `doubt`: why it is not known.
 */
export function expandAtFiles(
  words: readonly ExpandedFlagWord[],
  command: DaemonCommand,
  files: ReadonlyMap<string, ArgFile>,
): { words: ExpandedFlagWord[] } | { need: string } | { doubt: AtFileDoubt } {
  const pending = [...words];
  const out: ExpandedFlagWord[] = [];
  let expansions = 0;
  while (pending.length > 0) {
    const word = pending.shift()!;
    if (word.value === '--') {
      out.push(word, ...pending);
      break;
    }
    if (!word.value.startsWith('@')) {
      out.push(word);
      continue;
    }
    const where = word.at ?? commandAt(command);
    const shown = escapeText(word.value, 200);
    const name = word.value.slice(1);
    if (name === '') return { doubt: { ...where, exits: true, reason: `its argument @ names no file ("expected @ file to expand arguments from")` } };
    if (++expansions > MAX_AT_FILES) return { doubt: { ...where, reason: `its @file arguments name more than ${MAX_AT_FILES} files (one may name itself)` } };
    const path = commandPath(command, name);
    if (path === undefined) return { doubt: { ...where, reason: `its argument ${shown} is read from a directory not known here` } };
    const file = files.get(path);
    if (file === undefined) return { need: path };
    const shownPath = escapeText(path, 500);
    // Prometheus cannot open it, or read it (a directory: "is a directory"), and exits.
    if (file.missing === true || file.linkLoop === true || file.notRegular === true)
      return {
        doubt: {
          ...where,
          exits: true,
          reason: `its argument ${shown} names ${shownPath}, which ${file.missing === true ? 'is not there' : escapeText(file.problem ?? 'is no file', 200)} ("failed to open arguments file")`,
        },
      };
    if (file.text === undefined)
      return {
        doubt: { ...where, reason: `its argument ${shown} names ${shownPath}, which cannot be read (${escapeText(file.problem ?? 'unreadable', 200)})` },
      };
    const lines = file.text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const read: ExpandedFlagWord[] = [];
    lines.forEach((text, index) => {
      const value = text.endsWith('\r') ? text.slice(0, -1) : text;
      if (!value.startsWith('#')) read.push({ value, word: word.word, at: { file: path, line: index + 1 } });
    });
    pending.unshift(...read);
  }
  return { words: out };
}

/**
 * Pure: the `@file` paths Prometheus's command line leads to (expandAtFiles), given those read so far; undefined when
 * no more are needed. For gather, which reads each and asks again.
 */
export function prometheusArgFileNeeded(facts: Pick<Facts, 'units'>, service: Service, files: ReadonlyMap<string, ArgFile>): string | undefined {
  if (prometheusUnknown(facts, service) !== undefined) return undefined;
  const command = daemonCommand(facts, service, CONFIG_KINDS['prometheus-yml'].programs);
  if (command === undefined || commandDoubt(facts, command) !== undefined) return undefined;
  const expanded = expandAtFiles(commandWords(facts, command), command, files);
  return 'need' in expanded ? expanded.need : undefined;
}

/** Pure: why an `@file` argument of the command leaves it not known (expandAtFiles' doubt), where the rest of the command line is. */
function atFileDoubt(facts: Pick<Facts, 'units' | 'prometheusArgFiles'>, service: Service): AtFileDoubt | undefined {
  if (prometheusUnknown(facts, service) !== undefined) return undefined;
  const command = daemonCommand(facts, service, CONFIG_KINDS['prometheus-yml'].programs);
  if (command === undefined || commandDoubt(facts, command) !== undefined) return undefined;
  const expanded = expandAtFiles(commandWords(facts, command), command, facts.prometheusArgFiles ?? new Map());
  if ('doubt' in expanded) return expanded.doubt;
  return 'need' in expanded ? { ...commandAt(command), reason: `its argument file ${escapeText(expanded.need, 500)} was not read` } : undefined;
}

/**
 * Pure: the unknown, at the unit's line (or the part of it not read), for a command line of Prometheus its unit gives
 * but this check cannot know (commandUnknown: a wrapper, a part of the unit not read; commandDoubt: a variable it
 * expands that a file not read may set), saying that `what` is not checked; none when it is known, or no unit with an
 * ExecStart= was read (Prometheus's defaults then apply). Without it, a file would pass on its own that Prometheus may
 * never read, or whose ARGS it may never get.
 */
export function commandLineUnknown(facts: Pick<Facts, 'units' | 'prometheusArgFiles'>, service: Service, what: string): Finding[] {
  const atFile = atFileDoubt(facts, service);
  if (atFile !== undefined)
    return [
      {
        file: atFile.file,
        line: atFile.line,
        ...(atFile.exits === true
          ? {
              severity: 'error',
              message: `Prometheus refuses its command line: ${atFile.reason}, and exits at start; create that file or correct the argument`,
            }
          : { severity: 'unknown', message: `Prometheus's command line is not known, as ${atFile.reason}, so ${what} is not checked` }),
      },
    ];
  const unknown = prometheusUnknown(facts, service);
  const command = unknown === undefined ? daemonCommand(facts, service, CONFIG_KINDS['prometheus-yml'].programs) : undefined;
  const doubt = command === undefined ? undefined : commandDoubt(facts, command);
  const said = unknown ?? (doubt === undefined ? undefined : { ...commandAt(command!), reason: doubt, fix: undefined });
  if (said === undefined) return [];
  return [
    {
      file: said.file,
      line: said.line,
      severity: 'unknown',
      message: `Prometheus's command line is not known, as ${said.reason}, so ${what} is not checked${said.fix === undefined ? '' : `; ${said.fix}`}`,
    },
  ];
}

/** Why Prometheus's command line is not known (commandUnknown), a relative --config.file read from the directory it starts in. */
function prometheusUnknown(facts: Pick<Facts, 'units'>, service: Service): ReturnType<typeof commandUnknown> {
  return commandUnknown(facts, service, CONFIG_KINDS['prometheus-yml'].programs, (command) => {
    const argv = command.line.argv.slice(1);
    const end = argv.indexOf('--');
    // An @file argument is read from there too, when relative (its lines are not looked at here: they may be relative too).
    if ((end < 0 ? argv : argv.slice(0, end)).some((word) => word.startsWith('@'))) return true;
    const read = kingpinFlags(argv.map((value, word) => ({ value, word })));
    return read.flags['config.file'].some((flag) => flag.value !== '' && !flag.value.startsWith('/'));
  });
}

/** An argv word with the ExecStart= word it came from (its index) and the variable that gave it. */
type ExpandedFlagWord = CommandFlag & { readonly word: number };

/**
 * The flags of READ in argv words as kingpin takes them, its `@file` words expanded (expandAtFiles). A flag whose
 * value is missing (`--config.file` last, or before `--x`) kingpin refuses, and Prometheus exits: the first such is
 * `valueless`, and kingpin reads no further.
 */
function kingpinFlags(words: readonly ExpandedFlagWord[]): { flags: Record<PrometheusFlag, CommandFlag[]>; valueless?: ValuelessFlag } {
  const flags: Record<PrometheusFlag, CommandFlag[]> = { 'config.file': [], 'web.listen-address': [], 'web.config.file': [] };
  for (let index = 0; index < words.length; index++) {
    const { value: word, from, word: written, at } = words[index]!;
    if (word === '--') break;
    if (!word.startsWith('--')) continue;
    const equals = word.indexOf('=');
    const name = word.slice(2, equals < 0 ? undefined : equals);
    if (!READ.includes(name)) continue;
    let flag: CommandFlag;
    // From an @file line, the value's column there (the line is the argument, as written).
    if (equals >= 0)
      flag = { value: word.slice(equals + 1), ...(from && { from }), ...(at && { at: { ...at, column: [...word.slice(0, equals + 1)].length + 1 } }) };
    else {
      const next = words[index + 1];
      if (next === undefined || (next.value.startsWith('-') && next.value !== '-')) {
        const shown = next && { value: next.value, ...(next.from && { from: next.from }) };
        return { flags, valueless: { name: name as PrometheusFlag, ...(shown && { next: shown }), ...(from && { from }) } };
      }
      // Its value is where the next word comes from; the two from different places (`--web.listen-address $ARGS`) are apart.
      const apart = next.word !== written && (from !== undefined || next.from !== undefined);
      flag = { value: next.value, ...(next.from && { from: next.from }), ...(apart && { apart }), ...(next.at && { at: { ...next.at, column: 1 } }) };
      index++;
    }
    flags[name as PrometheusFlag].push(flag);
  }
  return { flags };
}

/**
 * Pure: the prometheus.yml the command makes Prometheus read: --config.file's value (resolved from the directory it
 * starts in) with the flag, or Debian's default without one; undefined when that is not known (a relative path in a
 * directory the model does not know), or the flag is given more than once or empty (Prometheus exits: said apart).
 */
export function commandConfigFile(command: PrometheusCommand): { readonly path: string; readonly flag?: CommandFlag } | undefined {
  const given = command.flags['config.file'];
  // Under a RootDirectory=, the default is the file of that name inside it.
  if (given.length === 0) return { path: commandPath(command, PROMETHEUS_DEFAULT_CONFIG)! };
  if (given.length > 1 || given[0]!.value === '') return undefined;
  const path = commandPath(command, given[0]!.value);
  return path === undefined ? undefined : { path, flag: given[0]! };
}

// ---- held to the registry ----------------------------------------------------

/** What the registry holds Prometheus's command line to: its listen address (ListenExpectation), TLS, and the address to write. */
export interface CommandExpectation extends ListenExpectation {
  /** The registry says HTTPS: Prometheus serves it only with a --web.config.file. */
  readonly https?: boolean;
  /** The listen address `ports snippet prometheus-args` writes (`127.0.0.1:9090` for a localhost service). */
  readonly listen: string;
}

/** Where a flag's word is written, for a fix: `in ARGS at FILE:LINE` (a variable's), or `in its ExecStart=`. */
function writtenIn(flag: CommandFlag | undefined): string {
  if (flag?.at !== undefined) return `at ${escapeText(`${flag.at.file}:${flag.at.line}`, 500)}`;
  return flag?.from === undefined ? 'in its ExecStart=' : `in ${flag.from.variable} at ${escapeText(`${flag.from.file}:${flag.from.line}`, 500)}`;
}

/**
 * The fix that gives flag `name` the value `value`: `fix` (`write --name=VALUE in ARGS at FILE:LINE`), unless the flag is
 * apart from its value (`--web.listen-address $ARGS`): then the value is written where it is, ARGS's first word (a
 * `--web.listen-address=...` in ARGS would follow the bare flag, which kingpin then refuses), or all of ARGS for
 * `${ARGS}` (in a word, systemd hands it over as one argument, spaces and all), or the line's word after it.
 */
function valueFix(name: PrometheusFlag, value: string, flag: CommandFlag | undefined, fix: string): string {
  if (flag?.apart !== true) return fix;
  const shown = escapeText(value, 500);
  if (flag.from === undefined) return `write ${shown} for the word after --${name} in its ExecStart=, its value`;
  const { variable, written } = flag.from;
  const where = `${variable} at ${escapeText(`${flag.from.file}:${flag.from.line}`, 500)}`;
  const before = `the --${name} before ${escapeText(written, 200)} in its ExecStart=`;
  return written === `$${variable}`
    ? `make ${where} start with ${shown} (${before} takes its first word as its value)`
    : `make ${where} exactly ${shown} (${before} takes all of it as its value: systemd hands ${escapeText(written, 200)} in a word over as one argument, not split into words)`;
}

/**
 * The error for a flag kingpin refuses for want of a value (`valueless`), at the ExecStart= line: Prometheus exits at
 * start ("expected argument for flag"), whatever else its command line says; `value`, the one to write.
 */
function valuelessFinding(command: PrometheusCommand, value: string): Finding {
  const { name, next, from } = command.valueless!;
  const why = next === undefined ? 'nothing follows it' : `the word after it, ${escapeText(next.value, 200)}${originOf(next)}, starts with -`;
  const where = from === undefined ? 'in its ExecStart=' : `in ${from.variable} at ${escapeText(`${from.file}:${from.line}`, 500)}`;
  return {
    ...commandAt(command),
    severity: 'error',
    message: `Prometheus's command line gives --${name}${from === undefined ? '' : ` (from ${escapeText(from.written, 200)})`} no value (${why}), which Prometheus refuses ("expected argument for flag '--${name}'") and exits at start; ${
      // The flag given whole right after it (`--web.listen-address $ARGS`, ARGS holding `--web.listen-address=...`): the bare one is the one too many.
      next?.value.startsWith(`--${name}=`) ? `remove the bare --${name} ${where}` : `write --${name}=${value} ${where}`
    }`,
  };
}

/** The variable a flag's word comes from, for a message: `$ARGS, set at FILE:LINE`; undefined for the line's own word. */
function setBy(flag: CommandFlag): string | undefined {
  return flag.from === undefined ? undefined : `${escapeText(flag.from.written, 200)}, set at ${escapeText(`${flag.from.file}:${flag.from.line}`, 500)}`;
}

/** Where a flag's word comes from, after its value in a message: ` (from $ARGS, set at FILE:LINE)`, nothing for the line's own. */
function originOf(flag: CommandFlag): string {
  if (flag.at !== undefined) return ` (from ${escapeText(`${flag.at.file}:${flag.at.line}`, 500)})`;
  const variable = setBy(flag);
  return variable === undefined ? '' : ` (from ${variable})`;
}

/** A flag as Prometheus gets it, for a message: `--config.file=alt.yml`, with its origin. */
function shownFlag(name: PrometheusFlag, flag: CommandFlag): string {
  return `--${name}=${escapeText(flag.value, 200)}${originOf(flag)}`;
}

/**
 * The finding for a flag given more than once: an error, as kingpin refuses it and Prometheus exits at start; for
 * --web.listen-address a warning, as only Prometheus 2 refuses it (checked with Debian 12's 2.42), and Prometheus 3
 * listens on each (each is held to the registry apart).
 */
function repeatedFlag(command: PrometheusCommand, name: PrometheusFlag): Finding | undefined {
  const given = command.flags[name];
  if (given.length < 2) return undefined;
  const gives = `Prometheus's command line gives --${name} ${given.length} times (${given.map((flag) => shownFlag(name, flag)).join('; ')})`;
  const refused = `("flag '${name}' cannot be repeated") and exits at start`;
  return {
    ...commandAt(command),
    ...(name === 'web.listen-address'
      ? {
          severity: 'warning',
          message: `${gives}, which Prometheus 2 refuses ${refused} (Prometheus 3 listens on each); keep one, unless this is Prometheus 3`,
        }
      : { severity: 'error', message: `${gives}, which Prometheus refuses ${refused}; keep one` }),
  };
}

/**
 * Pure: whether the command makes Prometheus read `yml`, the prometheus-yml file the registry names (and this check
 * read): a warning at the ExecStart= line when --config.file (resolved from the directory Prometheus starts in), or
 * without one Debian's default, names another file (`same`: whether two paths are one file, a link to it included),
 * with both ways out (`registryFix` of the path it reads); an error when it names none or is given twice (Prometheus
 * exits). Nothing where the file is not known (a relative path in a directory the model does not know).
 */
export function configFileFindings(
  command: PrometheusCommand,
  yml: string,
  same: (one: string, other: string) => boolean,
  registryFix: (path: string) => string,
): Finding[] {
  if (command.valueless?.name === 'config.file') return [valuelessFinding(command, escapeText(yml, 500))];
  const repeated = repeatedFlag(command, 'config.file');
  if (repeated) return [repeated];
  const at = commandAt(command);
  const given = command.flags['config.file'][0];
  if (given?.value === '')
    return [
      {
        ...at,
        severity: 'error',
        message: `${shownFlag('config.file', given)} names no file, so Prometheus cannot load its configuration and exits at start; ${valueFix('config.file', yml, given, `write --config.file=${escapeText(yml, 500)} ${writtenIn(given)}`)}`,
      },
    ];
  const read = commandConfigFile(command);
  if (read === undefined || same(read.path, yml)) return [];
  // One from an @file is said there, at its value.
  const place = read.flag?.at ?? at;
  const shownYml = escapeText(yml, 500);
  // The name Prometheus gives the registry's file (inside its RootDirectory=); none for one outside it, which it cannot read.
  const ymlInCommand = nameInCommand(command, yml);
  const shownInCommand = ymlInCommand === undefined ? undefined : escapeText(ymlInCommand, 500);
  const chroot = command.root === undefined ? '' : ` inside RootDirectory=${escapeText(command.root, 500)}, ${escapeText(read.path, 500)}`;
  const reads =
    read.flag === undefined
      ? `Prometheus's command line sets no --config.file, so Prometheus reads its default ${PROMETHEUS_DEFAULT_CONFIG} (Debian's build)${chroot}`
      : read.flag.value === read.path
        ? `Prometheus reads ${escapeText(read.path, 500)} (its --config.file${read.flag.from === undefined ? '' : `, from ${setBy(read.flag)}`})`
        : `Prometheus reads ${escapeText(read.path, 500)} (${shownFlag('config.file', read.flag)})`;
  const fix =
    ymlInCommand === undefined
      ? undefined
      : read.flag === undefined
        ? `add --config.file=${shownInCommand} to its ExecStart=`
        : valueFix('config.file', ymlInCommand, read.flag, `point --config.file at ${shownInCommand} ${writtenIn(read.flag)}`);
  return [
    {
      ...place,
      severity: 'warning',
      message: `${reads}, not ${shownYml}, the prometheus-yml file this check read (its findings are about a file Prometheus does not read); ${fix === undefined ? '' : `${fix}, or `}${registryFix(read.path)}`,
    },
  ];
}

/**
 * Pure: Prometheus's listen address (and, for an HTTPS one, --web.config.file) as its command line gives it, held to
 * the registry at the ExecStart= line (listenAddressFindings, the judgement the ARGS file gets too), and either flag
 * given twice. `heldInFile`: the flags the prometheus-args reader holds already, this file's ARGS reaching
 * Prometheus; those are not judged again, nor is the lack of a flag (the reader says it). Undefined when no such
 * file reaches Prometheus: then its lack is said here.
 */
export function listenFindings(command: PrometheusCommand, expect: CommandExpectation, heldInFile?: (flag: CommandFlag) => boolean): Finding[] {
  const at = commandAt(command);
  const findings: Finding[] = [];
  // Prometheus exits on a --web.listen-address or --web.config.file with no value: that is what it does with either.
  const valueless = command.valueless?.name;
  if (valueless === 'web.listen-address') return [valuelessFinding(command, expect.listen)];
  if (valueless === 'web.config.file') return [valuelessFinding(command, 'FILE')];
  const repeated = repeatedFlag(command, 'web.listen-address');
  if (repeated) findings.push(repeated);
  const listens = command.flags['web.listen-address'];
  // Each address Prometheus is given is held, but those of the file its reader holds; none at all, unless that reader says so.
  const judged: (CommandFlag | undefined)[] =
    listens.length === 0 ? (heldInFile === undefined ? [undefined] : []) : listens.filter((flag) => heldInFile?.(flag) !== true);
  for (const listen of judged) {
    const address = keptListen(listen?.value, expect, expect.listen);
    const fix = valueFix('web.listen-address', address, listen, `write --web.listen-address=${escapeText(address, 200)} ${writtenIn(listen)}`);
    // One from an @file is said there, at its value (its line is the argument as written).
    const place = listen?.at === undefined ? at : listen.at;
    const origin = listen === undefined || listen.at !== undefined ? '' : originOf(listen);
    for (const finding of listenAddressFindings(listen?.value, expect, fix, origin)) findings.push({ ...place, ...finding });
  }
  const tls = repeatedFlag(command, 'web.config.file');
  if (tls) findings.push(tls);
  else if (expect.https === true && command.flags['web.config.file'].length === 0 && heldInFile === undefined)
    findings.push({ ...at, ...noWebConfigFinding(expect.name, 'add --web.config.file=FILE, a file with its tls_server_config, to its ExecStart=') });
  return findings;
}

/** The word passing ARGS (`$ARGS`, or one holding `${ARGS}`) of a command with the `:` prefix, which systemd does not expand: Prometheus gets it as written. */
function unexpandedArgs(command: PrometheusCommand): string | undefined {
  if (!command.line.prefixes.includes(':')) return undefined;
  const word = command.line.words.slice(1).find((each) => wordVariables(each).includes('ARGS'));
  return word === undefined ? undefined : escapeText(word, 200);
}

/**
 * Pure: whether Prometheus exits at start on an ARGS word its unit's `:` prefix left as written: a `$ARGS` word of its
 * own, not after a `--flag` that may take it as its value, is an argument kingpin refuses ("unexpected $ARGS";
 * checked with Prometheus 2.42). Then nothing else of its command line matters.
 */
export function exitsOn(command: PrometheusCommand): boolean {
  if (!command.line.prefixes.includes(':')) return false;
  const words = command.line.words.slice(1);
  const index = words.indexOf('$ARGS');
  const before = words[index - 1];
  return index >= 0 && !(before?.startsWith('--') && !before.includes('='));
}

/** Whether a variable's value is the same whether systemd splits it into words (`$ARGS`) or not (`${ARGS}`): one word, no quotes or backslash to remove. */
function oneWord(value: string): boolean {
  const split = commandArgv({ prefixes: '', path: 'prometheus', words: ['prometheus', '$V'] }, new Map([['V', value]])).slice(1);
  return split.length === 1 && split[0] === value;
}

/**
 * Pure: whether the ARGS of `path`, the prometheus-args file the registry names, reach Prometheus: the unit reads
 * the file (an EnvironmentFile= naming it, or a link to it: `same`), its command passes $ARGS, and the ARGS it
 * passes are the file's (or the file sets none, `setsArgs` false). Undefined when they do; else a warning at the
 * ExecStart= line saying why, so that nobody edits a file Prometheus does not read, with both ways out.
 */
export function argsReachFinding(
  command: PrometheusCommand,
  path: string,
  setsArgs: boolean,
  same: (one: string, other: string) => boolean,
): Finding | undefined {
  const file = command.environmentFiles.find((each) => same(each.path, path));
  const passes = command.variables.has('ARGS');
  const literal = unexpandedArgs(command);
  const args = command.environment.get('ARGS');
  const shownPath = escapeText(path, 500);
  const unit = escapeText(command.unit, 200);
  // The registry's other way out: the file whose ARGS Prometheus does get, when one does.
  const other = args !== undefined && passes && command.environmentFiles.some((each) => each.path === args.file) ? args.file : undefined;
  const registry =
    other !== undefined && !same(other, path)
      ? `give Prometheus's prometheus-args entry path: ${escapeText(other, 500)} in the registry`
      : "remove the prometheus-args entry from Prometheus's configs: in the registry";
  let why: string;
  let fix: string;
  if (file === undefined) {
    why = `${unit} reads no EnvironmentFile=${shownPath}`;
    fix = `add EnvironmentFile=${shownPath} to its [Service]${passes ? '' : ' and $ARGS to this ExecStart='} (as Debian's prometheus.service does)`;
  } else if (file.failed !== undefined && !(file.optional && file.failed === 'no such file')) {
    // (A `-` file that is not there systemd skips: it sets no ARGS, which the file's reader, or the lack of it, says.)
    why = `systemd cannot load it (${escapeText(file.failed, 200)})`;
    fix = 'correct it';
  } else if (literal !== undefined) {
    why = `the : prefix of this ExecStart= stops systemd expanding variables, so Prometheus gets the word ${literal} as written${exitsOn(command) ? `, which it refuses ("unexpected ${literal}") and exits at start` : ''}`;
    fix = 'remove the : prefix';
  } else if (!passes) {
    why = 'this ExecStart= does not pass $ARGS';
    fix = "add $ARGS to it (as Debian's prometheus.service does)";
  } else if (!command.splits.has('ARGS') && args !== undefined && same(args.file, path) && !oneWord(args.value)) {
    // systemd 252 (replace_env_argv) splits only a word that is $ARGS alone: `${ARGS}` gives the value as one argument.
    why = `this ExecStart= passes them as \${ARGS}, which systemd hands Prometheus as one argument, not split into words (only a word that is $ARGS alone is)`;
    fix = `write $ARGS, a word of its own, for \${ARGS}`;
  } else if (!setsArgs || (args !== undefined && same(args.file, path))) return undefined;
  else if (args === undefined) {
    why = `${unit}'s UnsetEnvironment= drops ARGS`;
    fix = 'take ARGS out of UnsetEnvironment=';
  } else {
    why = `ARGS is set again at ${escapeText(`${args.file}:${args.line}`, 500)}, which wins`;
    fix = 'remove that ARGS';
  }
  if (literal !== undefined && exitsOn(command))
    return { ...commandAt(command), severity: 'error', message: `the ARGS of ${shownPath} do not reach Prometheus: ${why}; ${fix}` };
  return {
    ...commandAt(command),
    severity: 'warning',
    message: `the ARGS of ${shownPath} do not reach Prometheus: ${why}, so this check holds Prometheus's command line instead of that file; ${fix}, or ${registry}`,
  };
}
