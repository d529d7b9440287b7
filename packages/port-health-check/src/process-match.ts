// Is this process one the registry expects on the port? The names a process
// goes by (comm, executable, argv[0], an interpreter's module or script) are
// those of @dsa110/ports/system, the same claim-port protects by.
import { escapeText } from '@dsa110/ports';
import { globToRegExp, isInterpreterName, matchProcessName, processNames } from '@dsa110/ports/system';
import type { ProcessFacts } from './types.js';

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function processMatches(process: ProcessFacts, globs: readonly string[]): boolean {
  return matchProcessName(process, globs) !== undefined;
}

/**
 * Whether a name of the process's own matches one of `globs`: not an interpreter's (isInterpreterName), which every
 * script it runs goes by (`node` names any node program; `vite`, the script's, names the one). For telling whose a
 * process is where nothing else does (a listener on a port of nobody's), not for the owner check's expected names.
 */
export function processMatchesByOwnName(process: ProcessFacts, globs: readonly string[]): boolean {
  const names = processNames(process).filter((name) => !isInterpreterName(name));
  return globs.some((glob) => {
    const regexp = globToRegExp(glob);
    return names.some((name) => regexp.test(name));
  });
}

/**
 * `node (pid 4242, user alice): node /srv/vite.js --port 3030`. What the
 * process chose (its name, its command line) is escaped, backslashes too, so
 * `\n` or `\e` in a report always stands for a control character and never
 * for text a process wrote to look like one; the command line is cut to 160
 * characters.
 */
export function describeProcess(process: ProcessFacts): string {
  return describeWith(process, '');
}

/** describeProcess of a service's worker (workersOf), with whose: `python3 (pid 4243, user alice, worker of pid 4242): ...`. */
export function describeWorker(process: ProcessFacts, parent: number): string {
  return describeWith(process, `, worker of pid ${parent}`);
}

function describeWith(process: ProcessFacts, note: string): string {
  const name = escapeText(process.comm ?? (process.exe ? basename(process.exe) : '?'), 64);
  const user = process.user ? `user ${escapeText(process.user, 64)}` : process.uid !== undefined ? `uid ${process.uid}` : 'user unknown';
  const who = `${name} (pid ${process.pid}, ${user}${note})`;
  const command = process.argv?.length ? withoutPaddingSpaces(process.argv.join(' ')) : undefined;
  if (!command) return who;
  return `${who}: ${escapeText(command, 160)}`;
}

/**
 * A process that retitles itself (nginx: worker process) may pad its old argv
 * with spaces: drop them. Only U+0020 at the end, as readProcessInfo's
 * `command`: trim() would also drop a no-break space, U+2028 or U+FEFF, or a
 * newline, that the process put at either end, which the escaper shows
 * (`\xa0`, `\u2028`, `\n`).
 */
function withoutPaddingSpaces(command: string): string {
  let end = command.length;
  while (end > 0 && command.charCodeAt(end - 1) === 32) end--;
  return command.slice(0, end);
}
