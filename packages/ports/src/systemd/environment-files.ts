// EnvironmentFile= as both tools read it: `ports systemd --check` and the
// health check. A first merge names a unit's files; they are read under the
// root (each at most MAX_ENVIRONMENT_FILE_BYTES, a FIFO or device never
// opened), and a second merge applies their bytes. What could not be read is
// said by the same pure verdicts in both: the variables it may set are not
// known, and a file systemd cannot load without `-` keeps the unit from
// starting. Reading is here; the merge itself is mergeUnit's.
import { FileReadError, readFileBytes } from '../files/read.js';
import { hostPath } from '../files/root.js';
import { describeArgument, iterableArgument, listProblem, nonEmptyStringArgument, objectArgument, optionsArgument, stringListArgument } from '../arguments.js';
import type { Registry } from '../registry.js';
import { claimLines, claimTarget, execLinesArgument } from './claim-line.js';
import type { ClaimFinding } from './claim-verdict.js';
import { checkLoadedUnit, mergeUnit, type EnvironmentFileRead, type LoadedUnit } from './effective.js';
import { MAX_ENVIRONMENT_FILE_BYTES } from './environment-file.js';
import { readDefaultEnvironment } from './manager-defaults.js';
import type { EnvironmentFileFacts, EnvironmentSetting, UnitFacts } from './types.js';

/**
 * The bytes of each EnvironmentFile= `files` name (a first mergeUnit's
 * `environmentFiles`), read under `root` (links resolved inside it), at most
 * MAX_ENVIRONMENT_FILE_BYTES each; or that it is not there (`missing`); or why
 * it could not be read (`problem`: too large, a FIFO, permission denied).
 * Each path once. mergeUnit's `options.environmentFiles`.
 */
export function readEnvironmentFiles(root: string, files: Iterable<Pick<EnvironmentFileFacts, 'path'>>): Map<string, EnvironmentFileRead> {
  nonEmptyStringArgument('readEnvironmentFiles', 'root', root, 'a directory (a non-empty string)');
  iterableArgument('readEnvironmentFiles', 'files', files, '{ path }, from mergeUnit');
  const read = new Map<string, EnvironmentFileRead>();
  for (const file of files) {
    const path: unknown = (file as Partial<EnvironmentFileFacts> | null)?.path;
    if (typeof path !== 'string' || !path.startsWith('/'))
      throw new TypeError(`readEnvironmentFiles: each of files must be { path } with an absolute path, from mergeUnit, not ${describeArgument(file)}`);
    if (!read.has(path)) read.set(path, readEnvironmentFile(root, path));
  }
  return read;
}

function readEnvironmentFile(root: string, path: string): EnvironmentFileRead {
  try {
    return { bytes: readFileBytes(hostPath(root, path), { maxBytes: MAX_ENVIRONMENT_FILE_BYTES }) };
  } catch (error) {
    if (!(error instanceof FileReadError)) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined) throw error;
      return { problem: `cannot look at it: ${code}` };
    }
    if (error.kind === 'missing') return { missing: true };
    // Root is told what root can do about it; anyone else that root may read it.
    if (error.kind === 'denied') return { problem: process.geteuid?.() === 0 ? 'permission denied, even to root' : 'permission denied (run as root)' };
    return { problem: error.reason };
  }
}

/**
 * mergeUnit with its EnvironmentFile= files applied: each file the merge
 * names is read under `root` when the merge needs it (as readEnvironmentFiles
 * reads it, each path once), in one merge; and with systemd's
 * DefaultEnvironment= under `root` beneath the unit's own environment
 * (`options.defaultEnvironment`, else readDefaultEnvironment(root)).
 */
export function mergeUnitWithEnvironmentFiles(
  root: string,
  loaded: LoadedUnit,
  options: { readonly hostSpecifiers?: Readonly<Record<string, string>>; readonly defaultEnvironment?: ReadonlyMap<string, EnvironmentSetting> } = {},
): UnitFacts {
  nonEmptyStringArgument('mergeUnitWithEnvironmentFiles', 'root', root, 'a directory (a non-empty string)');
  checkLoadedUnit('mergeUnitWithEnvironmentFiles', loaded, true);
  const { hostSpecifiers, defaultEnvironment } = optionsArgument('mergeUnitWithEnvironmentFiles', options, '{ hostSpecifiers?, defaultEnvironment? }', [
    'hostSpecifiers',
    'defaultEnvironment',
  ]);
  // systemd's DefaultEnvironment= under the root, unless the caller read it once for many units.
  const given = { ...(hostSpecifiers !== undefined && { hostSpecifiers }), defaultEnvironment: defaultEnvironment ?? readDefaultEnvironment(root) };
  const read = new Map<string, EnvironmentFileRead>();
  const environmentFiles = (path: string) => {
    let got = read.get(path);
    if (got === undefined) read.set(path, (got = readEnvironmentFile(root, path)));
    return got;
  };
  return mergeUnit(loaded, { ...given, environmentFiles });
}

/**
 * Why the unit's value of one of `names` may be another than its
 * `environment` says, in words; undefined when it may not. An EnvironmentFile=
 * that could not be read (`unread`) may set it, when systemd reads that file
 * after the one that set it (or at all, when none did): a value from
 * Environment= too, which every file overrides.
 */
export function environmentDoubt(unit: Pick<UnitFacts, 'environment' | 'environmentFiles'>, names: Iterable<string>): string | undefined {
  objectArgument('environmentDoubt', 'unit', unit, 'UnitFacts, from mergeUnit');
  iterableArgument('environmentDoubt', 'names', names, 'variable names');
  if (!(unit.environment instanceof Map))
    throw new TypeError(
      `environmentDoubt: unit.environment must be a Map of variable name to setting, from mergeUnit, not ${describeArgument(unit.environment)}`,
    );
  const files = environmentFilesOf('environmentDoubt', unit);
  const doubts: string[] = [];
  for (const name of new Set(names)) {
    if (typeof name !== 'string') throw new TypeError(`environmentDoubt: names must hold variable names (strings), not ${describeArgument(name)}`);
    const setting = unit.environment.get(name);
    // The last file that was read and set it: only files after it can override it.
    let from = -1;
    if (setting)
      for (const [index, file] of files.entries()) if (file.path === setting.file && file.unread === undefined && file.failed === undefined) from = index;
    for (const file of files.slice(from + 1)) {
      if (file.unread !== undefined)
        doubts.push(`${file.path} (EnvironmentFile= at ${file.file}:${file.line}) may set ${name}, and cannot be read: ${file.unread}`);
    }
  }
  return doubts.length > 0 ? doubts.join('; ') : undefined;
}

/**
 * What the unit's EnvironmentFile= list says by itself, for a service whose
 * port is in `variable` (if any): an error for each file systemd cannot load
 * (missing, a NUL byte) without `-`, as systemd then does not start the unit;
 * a warning for each line of a file that sets `variable` in a way systemd
 * ignores (`export SVC_PORT=...`). Pure.
 */
export function environmentFileFindings(unit: Pick<UnitFacts, 'unit' | 'environmentFiles'>, variable?: string): ClaimFinding[] {
  objectArgument('environmentFileFindings', 'unit', unit, 'UnitFacts, from mergeUnit');
  if (variable !== undefined && typeof variable !== 'string')
    throw new TypeError(`environmentFileFindings: variable must be a variable name (a string) or left out, not ${describeArgument(variable)}`);
  const findings: ClaimFinding[] = [];
  for (const file of environmentFilesOf('environmentFileFindings', unit)) {
    const at = `${file.file}:${file.line}`;
    if (file.failed !== undefined && !file.optional) {
      const fix = file.failed === 'no such file' ? `create it, or write EnvironmentFile=-${file.path} if it may be absent` : 'fix the file';
      findings.push({
        severity: 'error',
        where: at,
        reason: `${file.path} (EnvironmentFile= at ${at}): ${file.failed}, so systemd does not start ${unit.unit}; ${fix}`,
      });
    }
    for (const ignored of file.ignored ?? []) {
      if (variable === undefined || ignored.key.split(/\s+/).at(-1) !== variable) continue;
      const where = `${file.path}:${ignored.line}`;
      findings.push({
        severity: 'warning',
        where,
        reason: `${where} sets "${ignored.key}", which systemd ignores (an EnvironmentFile= takes NAME=VALUE lines, no "export"); write ${variable}=... there`,
      });
    }
  }
  return findings;
}

function isIgnoredKey(entry: unknown): boolean {
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof (entry as { key?: unknown }).key === 'string' &&
    typeof (entry as { line?: unknown }).line === 'number'
  );
}

/**
 * `unit.environmentFiles` as environmentDoubt and environmentFileFindings read it, checked entry by entry (a type
 * check each): `[5]` was read as a file that set nothing, and a symbol failed inside on being iterated.
 */
function environmentFilesOf(fn: string, unit: Pick<UnitFacts, 'environmentFiles'>): readonly EnvironmentFileFacts[] {
  const files: unknown = unit.environmentFiles;
  if (files === undefined) return [];
  if (!Array.isArray(files))
    throw new TypeError(`${fn}: unit.environmentFiles must be an array of EnvironmentFileFacts, from mergeUnit, or left out, not ${describeArgument(files)}`);
  for (let index = 0; index < files.length; index++) {
    const file: unknown = files[index];
    const fields = typeof file === 'object' && file !== null ? (file as Record<string, unknown>) : undefined;
    const problem =
      fields === undefined
        ? `must be an EnvironmentFileFacts ({ path, optional, file, line, ... }), not ${describeArgument(file)}`
        : typeof fields.path !== 'string'
          ? `.path must be a path (a string), not ${describeArgument(fields.path)}`
          : typeof fields.file !== 'string'
            ? `.file must be a path (a string), not ${describeArgument(fields.file)}`
            : typeof fields.line !== 'number'
              ? `.line must be a line number, not ${describeArgument(fields.line)}`
              : fields.unread !== undefined && typeof fields.unread !== 'string'
                ? `.unread must be a reason (a string) or left out, not ${describeArgument(fields.unread)}`
                : fields.failed !== undefined && typeof fields.failed !== 'string'
                  ? `.failed must be a reason (a string) or left out, not ${describeArgument(fields.failed)}`
                  : undefined;
    if (problem !== undefined) throw new TypeError(`${fn}: unit.environmentFiles[${index}]${problem.startsWith('.') ? '' : ' '}${problem}`);
    const ignored = fields?.ignored;
    const ignoredProblem =
      ignored === undefined
        ? undefined
        : listProblem(`unit.environmentFiles[${index}].ignored`, ignored, 'an array of { key, line } or left out', '{ key, line }', isIgnoredKey);
    if (ignoredProblem !== undefined) throw new TypeError(`${fn}: ${ignoredProblem}`);
  }
  return files as readonly EnvironmentFileFacts[];
}

/**
 * The variables a unit's claim lines depend on, for environmentDoubt: the
 * service's own (its effective port), each `$NAME` and `${NAME}` of their
 * arguments (as systemd expands them; none with the `:` prefix), and the
 * variable of a service id they name (`claim-port api` resolves with the
 * unit's environment). Pure.
 */
export function claimVariables(
  registry: Pick<Registry, 'has' | 'service'>,
  service: { readonly env?: string | undefined },
  unit: Pick<UnitFacts, 'execStartPre'>,
  claimPortPaths: readonly string[],
): string[] {
  objectArgument('claimVariables', 'registry', registry, 'a Registry');
  if (typeof (registry as Partial<Registry>).has !== 'function' || typeof (registry as Partial<Registry>).service !== 'function')
    throw new TypeError(`claimVariables: registry must be a Registry, not ${describeArgument(registry)}`);
  objectArgument('claimVariables', 'service', service, 'a Service');
  if (service.env !== undefined && typeof service.env !== 'string')
    throw new TypeError(`claimVariables: service.env must be a variable name (a string) or left out, not ${describeArgument(service.env)}`);
  objectArgument('claimVariables', 'unit', unit, 'UnitFacts, from mergeUnit');
  // Checked here, not in claimLines' name (a Set of paths was refused as "claimLines: extraPaths must be an array").
  execLinesArgument('claimVariables', 'unit.execStartPre', unit.execStartPre);
  stringListArgument('claimVariables', 'claimPortPaths', claimPortPaths);
  const names = service.env ? [service.env] : [];
  for (const line of claimLines(unit.execStartPre, claimPortPaths)) {
    if (!line.prefixes.includes(':')) {
      for (const word of line.words.slice(1)) {
        if (word.startsWith('$') && word[1] !== '{' && word[1] !== '$') names.push(word.slice(1));
        else for (const [, name] of word.matchAll(/\$\$|\$\{([^}:]*)\}/g)) if (name !== undefined) names.push(name);
      }
    }
    const target = claimTarget(line.argv);
    const env = 'id' in target && registry.has(target.id) ? registry.service(target.id).env : undefined;
    if (env) names.push(env);
  }
  return names;
}
