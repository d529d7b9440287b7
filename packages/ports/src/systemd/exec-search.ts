// How systemd finds the program of an Exec*= command it is given without a
// path (`ExecStartPre=+claim-port 8000`): since systemd 239 a bare name is
// looked up in a search path fixed when systemd was built (systemd.service(5),
// "Command lines"), or, when the unit sets ExecSearchPath=, in that alone
// (systemd.exec(5)); never in the PATH the service gets. A relative path with
// a slash is refused when the unit loads (words.ts). Pure: the health check
// reads the files, here only which directories and in what order.
import { objectArgument, stringArgument } from '../arguments.js';
import { escapeText } from '../escape.js';
import type { UnitFacts } from './types.js';

/**
 * The directories systemd 252 searches for a bare command name, in order:
 * DEFAULT_PATH of a split-usr build, as Debian 12's systemd is
 * (`systemd-path search-binaries-default`). Not SYSTEMD_DEFAULT_PATH, the
 * PATH a service gets, which lacks /sbin and /bin.
 */
export const SYSTEMD_EXEC_SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Where systemd looks a bare command up for one unit: its directories in order, and the ExecSearchPath= line that set them (none: the built-in path). */
export interface ExecSearch {
  readonly dirs: readonly string[];
  readonly file?: string;
  readonly line?: number;
}

/** Whether systemd runs `command` as written (a path) or looks it up (a name without a slash). */
export function isBareCommand(command: string): boolean {
  stringArgument('isBareCommand', 'command', command, 'a command (a string)');
  return command !== '' && !command.includes('/');
}

/** The directories systemd searches for `unit`'s bare commands: its ExecSearchPath= when set, else SYSTEMD_EXEC_SEARCH_PATH. */
export function execSearch(unit: Pick<UnitFacts, 'execSearchPath'> | undefined): ExecSearch {
  if (unit !== undefined) objectArgument('execSearch', 'unit', unit, '{ execSearchPath? }, a UnitFacts, or left out');
  const set = unit?.execSearchPath;
  if (set && typeof set.value === 'string' && set.value !== '')
    return { dirs: set.value.split(':').filter((dir) => dir.startsWith('/')), file: set.file, line: set.line };
  return { dirs: SYSTEMD_EXEC_SEARCH_PATH.split(':') };
}

/**
 * One key for "the file `command` runs in `unit`": the path itself, or, for a
 * bare name, the name with the directories searched (two units with different
 * ExecSearchPath= may run different files under one name).
 */
export function execKey(command: string, unit: Pick<UnitFacts, 'execSearchPath'> | undefined): string {
  stringArgument('execKey', 'command', command, 'a command (a string)');
  return isBareCommand(command) ? `${command}\u0000${execSearch(unit).dirs.join(':')}` : command;
}

/** The directories searched, in words: `/usr/local/sbin, ..., /bin`, or `ExecSearchPath=/opt/bin, set in FILE:LINE`. */
export function describeExecSearch(search: ExecSearch): string {
  objectArgument('describeExecSearch', 'search', search, '{ dirs, file?, line? }, as execSearch gives it');
  if (search.file === undefined) return search.dirs.map((dir) => escapeText(dir)).join(', ');
  return `ExecSearchPath=${escapeText(search.dirs.join(':'))}, set in ${escapeText(search.file)}${search.line === undefined ? '' : `:${search.line}`}`;
}
