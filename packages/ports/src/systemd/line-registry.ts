// The registry a claim line makes claim-port read (its --registry, else the
// unit's $DSA110_PORTS_FILE, else the bundled one; a relative path in the
// unit's WorkingDirectory=), loaded as claim-port
// under a root would load it: a line's service id is resolved where
// claim-port resolves it. The one reading of `ports systemd --check` and the
// health check.
import { join } from 'node:path';
import { escapeText } from '../escape.js';
import { formatIssue, PortsError, RegistryError } from '../errors.js';
import { hostPath } from '../files/root.js';
import { describeArgument, objectArgument, pathArgument, stringArgument, stringListArgument } from '../arguments.js';
import { loadRegistryNow, REGISTRY_ENV } from '../load.js';
import type { Registry } from '../registry.js';
import { parseClaimArgs } from './claim-args.js';
import { where } from './claim-line.js';
import { claimRegistryProblem } from './claim-verdict.js';
import { pathInWorkingDirectory } from './working-directory.js';
import { claimRootText, pathOutsideRoot, rootOf } from './root-directory.js';
import type { ExecLine, UnitFacts } from './types.js';

/**
 * The file the claim line `line` of `unit` reads, as it names it; undefined for the bundled registry or arguments
 * claim-port refuses. A relative path is read from the unit's working directory (WorkingDirectory=, else `/`): the
 * path there, `//` and `/./` simplified; kept as written when that directory is not known here (`~`, a host
 * specifier), which claimRegistryUnresolved says. Chrooted (RootDirectory=, which `+` does not lift; claimRoot): the
 * path under that directory, as the root the units are for names it; inside RootImage= (or a RootDirectory= not
 * resolved here) the path as written without its leading `/`: not absolute, so not known here either.
 */
export function claimLineRegistry(
  line: Pick<ExecLine, 'argv'>,
  unit: Pick<UnitFacts, 'environment' | 'workingDirectory' | 'rootDirectory' | 'rootImage' | 'rootDirectoryStartOnly'>,
): string | undefined {
  checkLineAndUnit('claimLineRegistry', line, unit);
  const named = namedRegistry(line, unit);
  if (named === undefined) return undefined;
  const found = pathInWorkingDirectory(named, unit.workingDirectory);
  const path = 'path' in found ? found.path : named;
  const root = rootOf('claimLineRegistry', unit);
  return 'unknown' in root ? path.replace(/^\/+/, '') : pathOutsideRoot(path, root);
}

/**
 * Why which file the claim line's registry is cannot be told here, one line: a relative path (its `--registry`,
 * the unit's $DSA110_PORTS_FILE) in a working directory not known here (WorkingDirectory=~, a host specifier).
 * Undefined when it can be told. Both tools say it as a warning (the line's service id is then resolved in the
 * registry checked, which may not be the one claim-port reads).
 */
export function claimRegistryUnresolved(
  line: Pick<ExecLine, 'argv' | 'file' | 'line' | 'value'>,
  unit: Pick<UnitFacts, 'environment' | 'workingDirectory' | 'rootDirectory' | 'rootImage' | 'rootDirectoryStartOnly'>,
): string | undefined {
  checkLineAndUnit('claimRegistryUnresolved', line, unit);
  stringArgument('claimRegistryUnresolved', 'line.value', line.value, 'the Exec line as written (a string)');
  // Printed by where(): refused there in its own name.
  stringArgument('claimRegistryUnresolved', 'line.file', line.file, 'a path (a string)');
  if (typeof line.line !== 'number') throw new TypeError(`claimRegistryUnresolved: line.line must be a line number, not ${describeArgument(line.line)}`);
  if (parseClaimArgs(line.argv.slice(1)).command !== 'claim') return undefined;
  const root = rootOf('claimRegistryUnresolved', unit);
  const at = `ExecStartPre=${line.value.slice(0, 200)} in ${where(line)}`;
  if ('unknown' in root)
    return `${at}: cannot tell which claim-port runs nor which registry it reads: ${root.unknown}; add RootDirectoryStartOnly=yes to [Service] to run it on the host's root`;
  const named = namedRegistry(line, unit);
  // The bundled registry of the claim-port installed inside the chroot, which may not be the one this check knows.
  if (named === undefined && 'directory' in root)
    return `${at}: cannot tell which registry claim-port reads: it names none, so it reads the bundled registry of the claim-port${claimRootText(root)}, which this check does not read; give it --registry with an absolute path`;
  if (named === undefined) return undefined;
  const found = pathInWorkingDirectory(named, unit.workingDirectory);
  if (!('unknown' in found)) return undefined;
  return `${at}: cannot tell which registry claim-port reads: ${found.unknown}; give it an absolute path`;
}

/**
 * The parts of a claim line and its unit these functions read, checked: a TypeError naming `fn` and the field
 * (`claimLineRegistry({}, {})` used to fail inside: "cannot read properties of undefined (reading 'slice')").
 */
function checkLineAndUnit(fn: string, line: Pick<ExecLine, 'argv'>, unit: Pick<UnitFacts, 'environment' | 'workingDirectory'>): void {
  objectArgument(fn, 'line', line, 'an ExecLine');
  objectArgument(fn, 'unit', unit, 'UnitFacts, from mergeUnit');
  stringListArgument(fn, 'line.argv', line.argv);
  if (!(unit.environment instanceof Map))
    throw new TypeError(
      `${fn}: unit.environment must be a Map of the unit's environment (UnitFacts, from mergeUnit), not ${describeArgument(unit.environment)}`,
    );
  if (unit.workingDirectory !== undefined)
    objectArgument(fn, 'unit.workingDirectory', unit.workingDirectory, '{ path?, file, line }, from mergeUnit, or left out');
}

/** The registry path the claim line names (its --registry, else the unit's non-empty $DSA110_PORTS_FILE), as written. */
function namedRegistry(line: Pick<ExecLine, 'argv'>, unit: Pick<UnitFacts, 'environment'>): string | undefined {
  const args = parseClaimArgs(line.argv.slice(1));
  if (args.command !== 'claim') return undefined;
  if (args.registry !== undefined) return args.registry;
  const fromEnv = unit.environment.get(REGISTRY_ENV)?.value;
  return fromEnv ? fromEnv : undefined;
}

/**
 * Whether the claim line reads another registry than the one checked (`checked.path` as the units name it; undefined:
 * the bundled one): then its service id is resolved in its own (claimRegistryLoader). Never when `checked` is
 * undefined (a registry no line can name: outside the root, or a Registry object given). `checked.names`
 * (namesRegistry), when given: a path that is the registry's file by another name (a link, `..`) is the one checked.
 */
export function readsOtherRegistry(
  line: Pick<ExecLine, 'argv'>,
  unit: Pick<UnitFacts, 'environment' | 'workingDirectory' | 'rootDirectory' | 'rootImage' | 'rootDirectoryStartOnly'>,
  checked: { readonly path: string | undefined; readonly names?: (path: string) => boolean } | undefined,
): boolean {
  checkLineAndUnit('readsOtherRegistry', line, unit);
  if (checked !== undefined) objectArgument('readsOtherRegistry', 'checked', checked, '{ path }: the registry checked, or undefined');
  if (checked === undefined) return false;
  // Inside RootImage= (or a RootDirectory= not resolved here): not known, so resolved in the one checked (claimRegistryUnresolved warns).
  const root = rootOf('readsOtherRegistry', unit);
  if ('unknown' in root) return false;
  if (checked.path === undefined) return claimLineRegistry(line, unit) !== undefined;
  return claimRegistryProblem(line.argv, checked.path, unit.environment.get(REGISTRY_ENV), unit.workingDirectory, root, undefined, checked.names) !== undefined;
}

/**
 * A loader of the registries claim lines name under `root`, each file once however the lines spell it (`/etc//x`,
 * `/etc/./x`, a link inside the root): `name` as claimLineRegistry gives it (undefined: the bundled one) to the
 * Registry, or why claim-port cannot load it (it then exits 64 and frees nothing), one line. Undefined for a
 * relative path: claimLineRegistry gives one only when the unit's working directory is not known here, and then
 * it is not guessed at (claimRegistryUnresolved says so).
 */
export function claimRegistryLoader(root: string): (name: string | undefined) => Registry | string | undefined {
  pathArgument('claimRegistryLoader', 'root', root);
  const byFile = new Map<string, Registry | string>();
  return (name) => {
    if (name !== undefined) stringArgument('claimRegistryLoader', 'name', name, 'a path (a string) or undefined');
    if (name !== undefined && !name.startsWith('/')) return undefined;
    const file = name === undefined ? '' : hostFile(root, name);
    const known = byFile.get(file);
    if (known !== undefined) return known;
    const loaded = load(root, name, file);
    byFile.set(file, loaded);
    return loaded;
  };
}

/** The host path claim-port under `root` opens for the absolute `name` (links inside the root followed), or the plain join when that cannot be told. */
function hostFile(root: string, name: string): string {
  try {
    return hostPath(root, name);
  } catch {
    return join(root, name);
  }
}

function load(root: string, name: string | undefined, file: string): Registry | string {
  if (name === undefined) return loadRegistryNow('claimRegistryLoader', { env: {} });
  try {
    return loadRegistryNow('claimRegistryLoader', { path: file, env: {} });
  } catch (error) {
    if (!(error instanceof RegistryError || error instanceof PortsError)) throw error;
    // The first problem, at its file:line:col (the host's path: the one to open and fix).
    const issue = error instanceof RegistryError ? error.issues[0] : undefined;
    const why = error instanceof RegistryError && issue !== undefined ? formatIssue(error.source, issue) : (error.message.split('\n')[0] ?? '');
    const under = root === '/' ? '' : ` under ${escapeText(root)}`;
    return `claim-port cannot load the registry it reads, ${escapeText(name)}${under}: ${why}; it exits 64 and frees nothing`;
  }
}
