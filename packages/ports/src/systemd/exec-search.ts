// How systemd finds the program of an Exec*= command it is given without a
// path (`ExecStartPre=+claim-port 8000`): since systemd 239 a bare name is
// looked up in a search path fixed when systemd was built (systemd.service(5),
// "Command lines"), or, when the unit sets ExecSearchPath=, in that alone
// (systemd.exec(5)); never in the PATH the service gets. A relative path with
// a slash is refused when the unit loads (words.ts). Pure: the health check
// reads the files, here only which directories and in what order.
import { describeArgument, isArraySafely, objectArgument, stringArgument, stringListArgument } from '../arguments.js';
import { escapeText, quoteValue } from '../escape.js';
import type { ExecSearchPathSetting, SettingLine, UnitFacts } from './types.js';
import {
  HOST_SPECIFIERS,
  NAME_MAX,
  PATH_MAX,
  SYSTEM_MANAGER_SPECIFIERS,
  expandSpecifiers,
  simplifyPath,
  type SpecifierUnit,
  unknownSpecifier,
} from './words.js';

/**
 * The directories systemd 252 searches for a bare command name, in order:
 * DEFAULT_PATH of a split-usr build, as Debian 12's systemd is
 * (`systemd-path search-binaries-default`). Not SYSTEMD_DEFAULT_PATH, the
 * PATH a service gets, which lacks /sbin and /bin.
 */
export const SYSTEMD_EXEC_SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Where systemd looks a bare command up for one unit: its directories in
 * order, and the ExecSearchPath= lines that set them (none: the built-in
 * path); what systemd ignored of the unit's ExecSearchPath= lines, and the
 * entry from which the directories are not known (ExecSearchPathSetting's).
 */
export interface ExecSearch {
  readonly dirs: readonly string[];
  /** The last ExecSearchPath= line that added a directory. */
  readonly file?: string;
  readonly line?: number;
  /** Every ExecSearchPath= line that added a directory, in order. */
  readonly lines?: readonly SettingLine[];
  readonly ignored?: ExecSearchPathSetting['ignored'];
  readonly unresolved?: ExecSearchPathSetting['unresolved'];
}

/** What one ExecSearchPath= line adds: the directories systemd keeps, and where it stops (an entry it refuses, or one the model cannot resolve). */
export interface ExecSearchPathLine {
  readonly dirs: readonly string[];
  /** The first entry systemd refuses, as written, and why (its log's words): it ignores it and the rest of the line. */
  readonly ignored?: { readonly entry: string; readonly reason: string };
  /** The first entry with a specifier the model cannot resolve as PID 1 does: what systemd makes of it and the rest is not known. */
  readonly unresolved?: { readonly entry: string; readonly specifier: string };
}

/** Why path_simplify_and_warn(PATH_CHECK_ABSOLUTE) refuses `path` (specifiers resolved), in systemd's words, or its simplified form. */
export function searchDir(path: string): { dir: string } | { reason: string } {
  // decodeKeepingBadBytes keeps a byte that is not UTF-8 as U+DC80+byte: utf8_is_valid() refuses it.
  if (/[\uDC80-\uDCFF]/.test(path)) return { reason: 'path is not valid UTF-8' };
  if (!path.startsWith('/')) return { reason: 'path is not absolute' };
  const dir = simplifyPath(path);
  if (Buffer.byteLength(dir) >= PATH_MAX || dir.split('/').some((part) => Buffer.byteLength(part) > NAME_MAX)) return { reason: 'path has invalid length' };
  if (dir.split('/').includes('..')) return { reason: 'path is not normalized' };
  return { dir };
}

/**
 * One non-empty ExecSearchPath= value as systemd 252's
 * config_parse_colon_separated_paths stores it: split at each `:` (not
 * coalesced: `::` is an empty entry; a backslash takes the next character as
 * it is), nothing trimmed, each entry's specifiers resolved as PID 1, the
 * system manager, resolves them (SYSTEM_MANAGER_SPECIFIERS: `%h` is `/root`
 * whatever User= says; host specifiers from `unit.host` when given), then
 * path_simplify_and_warn(PATH_CHECK_ABSOLUTE). The first entry systemd
 * refuses (relative, empty, ` /leading-space`, a `..` part, an unknown
 * specifier) ends the line: it and the rest are ignored. A host specifier
 * with no value here (`%H`) ends it too, as `unresolved`.
 */
export function parseExecSearchPathLine(value: string, unit: SpecifierUnit): ExecSearchPathLine {
  stringArgument('parseExecSearchPathLine', 'value', value, 'an ExecSearchPath= value (a string)');
  objectArgument('parseExecSearchPathLine', 'unit', unit, '{ name, host? }, the unit the line is in');
  const host = { ...SYSTEM_MANAGER_SPECIFIERS, ...(unit.host !== undefined && Object.fromEntries(Object.entries(unit.host))) };
  const resolving: SpecifierUnit = { name: unit.name, host };
  const dirs: string[] = [];
  for (let at = 0; ; ) {
    let word = '';
    let end = at;
    for (; end < value.length && value[end] !== ':'; end++) {
      if (value[end] !== '\\') word += value[end];
      else if (end + 1 < value.length) word += value[++end];
      else return { dirs, ignored: { entry: value.slice(at), reason: 'a backslash ends the value' } };
    }
    const entry = value.slice(at, end);
    const unknown = unknownSpecifier(word);
    if (unknown !== undefined) return { dirs, ignored: { entry, reason: `unknown specifier ${unknown}` } };
    const unresolved = [...word.matchAll(/%([\s\S]?)/g)].find(
      ([, letter]) => letter !== '' && HOST_SPECIFIERS.includes(letter!) && !Object.hasOwn(host, letter!),
    );
    if (unresolved !== undefined) return { dirs, unresolved: { entry, specifier: unresolved[0] } };
    const checked = searchDir(expandSpecifiers(word, resolving));
    if ('reason' in checked) return { dirs, ignored: { entry, reason: checked.reason } };
    dirs.push(checked.dir);
    if (end >= value.length) return { dirs };
    at = end + 1;
  }
}

/** Whether systemd runs `command` as written (a path) or looks it up (a name without a slash). */
export function isBareCommand(command: string): boolean {
  stringArgument('isBareCommand', 'command', command, 'a command (a string)');
  return command !== '' && !command.includes('/');
}

/**
 * The directories systemd searches for `unit`'s bare commands: the ones its
 * ExecSearchPath= kept, else (none set, or systemd kept none)
 * SYSTEMD_EXEC_SEARCH_PATH; with what it ignored of those lines, and, when
 * set, the entry from which they are not known (the lookup cannot be judged
 * past it).
 */
export function execSearch(unit: Pick<UnitFacts, 'execSearchPath'> | undefined): ExecSearch {
  if (unit !== undefined) objectArgument('execSearch', 'unit', unit, '{ execSearchPath? }, a UnitFacts, or left out');
  const set = unit?.execSearchPath;
  if (set === undefined || set === null || typeof set !== 'object') return { dirs: SYSTEMD_EXEC_SEARCH_PATH.split(':') };
  const dirs = Array.isArray(set.dirs)
    ? set.dirs
    : typeof set.value === 'string' && set.value !== ''
      ? set.value.split(':').filter((dir) => dir.startsWith('/'))
      : [];
  const notes = {
    ...(set.ignored !== undefined && set.ignored.length > 0 && { ignored: set.ignored }),
    ...(set.unresolved !== undefined && { unresolved: set.unresolved }),
  };
  if (dirs.length === 0 && set.unresolved === undefined) return { dirs: SYSTEMD_EXEC_SEARCH_PATH.split(':'), ...notes };
  const lines = Array.isArray(set.lines) ? set.lines : [{ file: set.file, line: set.line }];
  return { dirs, file: set.file, line: set.line, lines, ...notes };
}

/**
 * One key for "the file `command` runs in `unit`": the path itself, or, for a
 * bare name, the name with the directories searched (two units with different
 * ExecSearchPath= may run different files under one name).
 */
export function execKey(command: string, unit: Pick<UnitFacts, 'execSearchPath'> | undefined): string {
  stringArgument('execKey', 'command', command, 'a command (a string)');
  if (!isBareCommand(command)) return command;
  const search = execSearch(unit);
  return `${command}\u0000${search.dirs.join(':')}${search.unresolved === undefined ? '' : `\u0000${search.unresolved.entry}`}`;
}

const at = (where: { readonly file?: string; readonly line?: number }) => `${escapeText(where.file ?? '')}${where.line === undefined ? '' : `:${where.line}`}`;

/**
 * The directories searched, in words: `/usr/local/sbin, ..., /bin`, or
 * `ExecSearchPath=/opt/x:/opt/bin, set in FILE:5, FILE:6`; then what systemd
 * ignored of the unit's lines (`; systemd ignores FILE:7 from "rel" on (path
 * is not absolute)`).
 */
export function describeExecSearch(search: ExecSearch): string {
  objectArgument('describeExecSearch', 'search', search, '{ dirs, file?, line? }, as execSearch gives it');
  stringListArgument('describeExecSearch', 'search.dirs', search.dirs);
  const lines = search.lines ?? (search.file === undefined ? [] : [{ file: search.file, line: search.line }]);
  const dirs =
    lines.length === 0
      ? search.dirs.map((dir) => escapeText(dir)).join(', ')
      : `ExecSearchPath=${escapeText(search.dirs.join(':'))}, set in ${lines.map(at).join(', ')}`;
  const ignored = (search.ignored ?? []).map((part) => `; systemd ignores ${at(part)} from ${quoteValue(part.entry)} on (${part.reason})`);
  return dirs + ignored.join('');
}

/**
 * Why the lookup cannot be judged past `search.dirs`, in words (undefined
 * when it can): the ExecSearchPath= entry with a specifier the model cannot
 * resolve as PID 1 does.
 */
export function unresolvedExecSearch(search: ExecSearch): string | undefined {
  objectArgument('unresolvedExecSearch', 'search', search, '{ dirs, unresolved?, ... }, as execSearch gives it');
  const unresolved = search.unresolved;
  if (unresolved === undefined) return undefined;
  // Each quoted below: a wrong one failed inside, naming quoteValue or escapeText.
  const {
    entry: given,
    specifier,
    file,
    line,
  } = objectArgument('unresolvedExecSearch', 'search.unresolved', unresolved, '{ entry, specifier, file, line }') as Partial<
    Record<'entry' | 'specifier' | 'file' | 'line', unknown>
  >;
  for (const [name, field] of [
    ['entry', given],
    ['specifier', specifier],
    ['file', file],
  ] as const)
    if (typeof field !== 'string') throw new TypeError(`unresolvedExecSearch: search.unresolved.${name} must be a string, not ${describeArgument(field)}`);
  if (typeof line !== 'number') throw new TypeError(`unresolvedExecSearch: search.unresolved.line must be a line number, not ${describeArgument(line)}`);
  stringListArgument('unresolvedExecSearch', 'search.dirs', search.dirs);
  const lines: unknown = search.lines;
  if (lines !== undefined && !isArraySafely(lines))
    throw new TypeError(`unresolvedExecSearch: search.lines must be an array of { file, line } or left out, not ${describeArgument(lines)}`);
  const entry = `${quoteValue(unresolved.entry)}, whose ${escapeText(unresolved.specifier)} this check cannot resolve as systemd does`;
  return search.dirs.length === 0
    ? `ExecSearchPath= in ${at(unresolved)} starts with ${entry}`
    : `ExecSearchPath=${escapeText(search.dirs.join(':'))} (set in ${(search.lines ?? []).map(at).join(', ')}), and ${at(unresolved)} goes on with ${entry}`;
}
