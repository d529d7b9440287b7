// What a --check tells the operator to run when files are missing or stale:
// the same command, with the same registry and options, without --check. The
// bare command would write to its defaults instead (`ports systemd` into
// /etc/systemd/system as root), not to the --out or --root that was checked.
import { REGISTRY_ENV } from '../index.js';
import { listed, type ConcurrentWriteError } from '../files/tree.js';
import { escapeText } from '../escape.js';
import { flagWords, printedShellWord } from '../shell-word.js';
import { workTreeRoot, type Context } from './context.js';

/**
 * `ports [--registry PATH] NAME [--FLAG VALUE]...` for the `flags` (string flags, each value of a repeated one) this run was given, each word as the shell reads it back.
 * The registry is the one this run read when it was named: --registry, else $DSA110_PORTS_FILE, which `sudo` and a fresh shell do not
 * have (the command without it would write the bundled registry's files). A value that starts with `-` is written `--FLAG=VALUE`: the
 * parser refuses `--out -x` (it cannot tell the value from an option). `replace` gives a flag another value (a fix's
 * `--claim-port PATH`), in the flag's place in `flags`.
 */
export function regenerateCommand(context: Context<unknown>, name: string, flags: readonly string[], replace: Readonly<Record<string, string>> = {}): string {
  const values = { ...(context.values as Readonly<Record<string, unknown>>), ...replace };
  const words = ['ports', ...option('registry', context.registryPath ?? (context.env[REGISTRY_ENV] || undefined)), name];
  for (const flag of flags) {
    const value = values[flag];
    if (typeof value === 'string') words.push(...option(flag, value));
    // A flag given more than once (`--keep-open 2222 --keep-open 2200`): each, in the order given.
    else if (Array.isArray(value)) for (const each of value) if (typeof each === 'string') words.push(...option(flag, each));
  }
  return words.map(printedShellWord).join(' ');
}

/** flagWords, or nothing without a value. */
function option(flag: string, value: string | undefined): string[] {
  return value === undefined ? [] : flagWords(flag, value);
}

/**
 * What a --check says of a stale file written under other env overrides than this run's: `recorded` (variable to port,
 * as the file records them) against `current` (this run's); undefined when they agree. The same options under other
 * overrides give other rules, so "run ..." alone would write this run's and drop the file's: a CI job or a shell
 * without the unit's Environment=CONTIMG_API_PORT=8500 removed the filter on the API's real port. Both ways out:
 * check again in the file's environment (`check`, with the file's overrides set and this run's others unset), or,
 * when those overrides are gone, regenerate it as this run has them (`regenerate`, which names this run's). One line;
 * `shown` and `source` escaped by the caller.
 */
export function overrideDriftText(
  shown: string,
  recorded: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
  commands: { readonly check: string; readonly regenerate: string; readonly source: string; readonly afterwards: string },
): string | undefined {
  const variables = [...new Set([...recorded.keys(), ...current.keys()])].filter((variable) => recorded.get(variable) !== current.get(variable)).sort();
  if (variables.length === 0) return undefined;
  const value = (port: number | undefined) => (port === undefined ? 'unset' : String(port));
  const differences = variables.map((variable) => `${variable}: ${value(recorded.get(variable))} in the file, ${value(current.get(variable))} in this run`);
  const unset = [...current.keys()].filter((variable) => !recorded.has(variable)).sort();
  const set = [...recorded].sort(([a], [b]) => a.localeCompare(b)).map(([variable, port]) => printedShellWord(`${variable}=${port}`));
  const environment = unset.length > 0 ? ['env', ...unset.flatMap((variable) => ['-u', printedShellWord(variable)]), ...set] : set;
  const check = [...environment, commands.check].join(' ');
  return (
    `${shown} is stale, and was written under other env overrides than this run's (${differences.join('; ')}): ` +
    `if the services run with the file's, check it with those: "${check}"; ` +
    `if they run with this run's, run "${commands.regenerate}" to regenerate it from ${commands.source}${commands.afterwards}`
  );
}

/**
 * How a --check names the files on disk and what it asks after regenerating:
 * `committed` and `, then commit them` in a git work tree (a `.git` in `path`
 * or a directory above it), `on disk` and nothing outside one (`ports
 * monitoring --out /srv/deploy --check` on a host: there is nothing to commit).
 */
export function driftWords(path: string, what: 'it' | 'them'): { readonly current: string; readonly afterwards: string } {
  return inWorkTree(path) ? { current: 'committed', afterwards: `, then commit ${what}` } : { current: 'on disk', afterwards: '' };
}

/** Whether `path` is in a git work tree (a `.git` in it or a directory above it). */
export function inWorkTree(path: string): boolean {
  return workTreeRoot(path) !== undefined;
}

/**
 * What a write says when another run wrote its tree at the same time (writeGeneratedFiles' ConcurrentWriteError): one line
 * without the command's prefix, `dir` as typed and `source` escaped. Running the command again makes the tree this registry's.
 */
export function concurrentWriteText(dir: string, error: ConcurrentWriteError, source: string, regenerate: string): string {
  return (
    `${escapeText(dir)}: another run wrote ${error.others.length} of these ${error.total} files at the same time (${listed(error.others)}); ` +
    `nothing there is known to match ${source}: run "${regenerate}" again`
  );
}

/**
 * What a --check says of the temporary files writers killed before their rename left (killedWritersTemps): not drift,
 * and removed by the next run that writes. One line; `place` (`under DIR`, `beside FILE`) escaped by the caller;
 * undefined when there are none.
 */
export function killedWritersNote(temps: readonly string[], place: string, regenerate: string): string | undefined {
  if (temps.length === 0) return undefined;
  const [files, were, writers, them] =
    temps.length === 1 ? ['1 temporary file', 'was', 'a writer', 'it'] : [`${temps.length} temporary files`, 'were', 'writers', 'them'];
  return `note: ${files} ${place} ${were} left by ${writers} killed before ${temps.length === 1 ? 'its' : 'their'} rename (${listed(temps)}): not drift; "${regenerate}" removes ${them}`;
}
