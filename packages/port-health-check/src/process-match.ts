// Is this process one the registry expects on the port? The names a process
// goes by (comm, executable, argv[0], an interpreter's module or script) are
// those of @dsa110/ports/system, the same claim-port protects by.
import { escapeText, processNameText } from '@dsa110/ports';
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
 * for text a process wrote to look like one; its names (comm, argv[0]) as
 * processNameText shows them, every character beyond ASCII escaped too, so a
 * look-alike (`rеdis-server`, a Cyrillic е) never reads as the name it imitates;
 * the command line is cut to 160 characters.
 */
export function describeProcess(process: ProcessFacts): string {
  return describeWith(process, '');
}

/** describeProcess of a service's worker (workersOf), with whose: `python3 (pid 4243, user alice, worker of pid 4242): ...`. */
export function describeWorker(process: ProcessFacts, parent: number): string {
  return describeWith(process, `, worker of pid ${parent}`);
}

function describeWith(process: ProcessFacts, note: string): string {
  const known = process.comm ?? (process.exe ? basename(process.exe) : undefined);
  const name = known === undefined ? '?' : processName(known, 64);
  const user = accountText(process) ?? 'user unknown';
  const who = `${name} (pid ${process.pid}, ${user}${note})`;
  const command = process.argv?.length ? withoutPaddingSpaces(process.argv.join(' ')) : undefined;
  if (!command) return who;
  return `${who}: ${commandText(command, process.argv![0]!.length)}`;
}

/**
 * The account a process runs as, as a report names it: `user redis` (escaped), or `uid 12345` for a uid the passwd
 * file names no account for (userName gives the number itself then, which `user 12345` would pass off as a name);
 * undefined when neither is known.
 */
export function accountText(process: Pick<ProcessFacts, 'user' | 'uid'>): string | undefined {
  if (process.user && process.user !== String(process.uid)) return `user ${escapeText(process.user, 64)}`;
  return process.uid !== undefined ? `uid ${process.uid}` : process.user ? `user ${escapeText(process.user, 64)}` : undefined;
}

/** How many characters of a command line a report shows. */
const MAX_COMMAND = 160;

/**
 * A command line as describeProcess prints it: its argv[0] (the first `nameLength` characters) as processNameText
 * shows a name, the arguments as escapeText shows text (a path or a value beyond ASCII stays readable), the whole
 * cut to MAX_COMMAND characters, never inside an escape.
 */
function commandText(command: string, nameLength: number): string {
  const name = processNameText(command.slice(0, nameLength), MAX_COMMAND);
  const rest = command.slice(nameLength);
  // processNameText escapes a `…` of the process's own: one at the end is where it cut.
  if (rest === '' || name.endsWith('…')) return name;
  if (name.length < MAX_COMMAND - 1) return name + escapedWithin(rest, MAX_COMMAND - name.length);
  const cut = processNameText(command.slice(0, nameLength), MAX_COMMAND - 1);
  return cut.endsWith('…') ? cut : `${cut}…`;
}

// One character: a surrogate pair whole, else one unit (what escapeText escapes as one).
const CHARACTER = /[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g;

/**
 * `text` as escapeText shows it, at most `max` characters (code points), cut between escapes, never inside one (`\e`
 * whole or not at all, never `\…`), the last character an ellipsis where it was cut. Bounded: escapes characters
 * only until past `max`.
 */
function escapedWithin(text: string, max: number): string {
  const pieces: string[] = [];
  let total = 0;
  for (const [character] of text.matchAll(CHARACTER)) {
    const shown = escapeText(character);
    total += [...shown].length;
    if (total > max) {
      let kept = '';
      let used = 0;
      for (const piece of pieces) {
        const length = [...piece].length;
        if (used + length > max - 1) break;
        kept += piece;
        used += length;
      }
      return `${kept}…`;
    }
    pieces.push(shown);
  }
  return pieces.join('');
}

// A process names itself (any 15 bytes, none at all too). In the OWNER column's list of `name[PID]`, one holding
// its separators or a space could pass for two holders (`x[9], grafana` at PID 812 read as `x[9], grafana[812]`),
// and `?` for the holder that was not seen; anywhere, an empty one reads as nothing (`held by  (pid 9`).
const PLAIN_NAME = /^[A-Za-z0-9._\-/:+@~#%=]+$/;

/**
 * A holder's own name wherever a report shows one, escaped (processNameText): quoted when empty (`""`), and in a
 * list of `name[PID]` (`listed`: the OWNER column) whenever it is not plain (`"x[9], grafana"`).
 */
export function processName(name: string, max: number, listed = false): string {
  return name === '' || (listed && !PLAIN_NAME.test(name)) ? quotedProcessName(name, max) : processNameText(name, max);
}

/** A process name or a glob of the registry's on process names, quoted (`"rеdis-server"`), as processNameText shows it. */
export function quotedProcessName(name: string, max = 200): string {
  return `"${processNameText(name, max).replace(/"/g, '\\"')}"`;
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
