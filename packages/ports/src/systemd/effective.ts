// The effective [Service] settings of one unit: read the unit file and its
// drop-ins under a root (a tree, or `/`), then merge them as systemd does.
// Reading is here; the merge itself is `mergeUnit`, a pure function.
// Synchronous on purpose: a handful of small files, and no thread-pool start-up
// (several ms) for a command that must start about as fast as `node -e 0`.
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { FileReadError, readFileBytes } from '../files/index.js';
import { readRootSafeFileBytes } from '../files/root-read.js';
import { statOrUndefined } from '../files/read.js';
import { hostPath, resolveInRoot } from '../files/root.js';
import { MAX_UNIT_BYTES, UNIT_TOO_LARGE } from '../limits.js';
import { join, posix } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { decodeKeepingBadBytes, hasKeptBadBytes } from '../utf8.js';
import { escapeText, pathText } from '../escape.js';
import type { DanglingAlias, EnvironmentSetting, ExecLine, IgnoredLink, SkippedDropIn, UnitFacts, UnreadPart } from './types.js';
import { UNIT_DIRS, chooseDropIns, compareNames, dropInDirNames, dropInPrefix, templateOf, typeDropInDirName } from './search-path.js';
import { parseUnitFile } from './unit-file.js';
import { commandArgv } from './words.js';
import { type EnvironmentFileRead, type KeptCommand, ServiceSettings, successActionAfter } from './service-settings.js';
import { hiddenPaths } from './hidden-paths.js';
import { withoutStackTraces } from '../stack-traces.js';

import {
  describeArgument,
  isArraySafely,
  listProblem,
  nonEmptyStringArgument,
  objectArgument,
  optionsArgument,
  stringArgument,
  stringListArgument,
} from '../arguments.js';

/** A unit or drop-in file as read: its path on the machine and its text (undefined when masked). */
export interface LoadedFile {
  readonly path: string;
  readonly text: string | undefined;
}

export interface LoadedUnit {
  readonly unit: string;
  readonly file?: LoadedFile;
  readonly dropIns: readonly LoadedFile[];
  /**
   * The unit's other names whose drop-ins apply, when it has any: its id
   * (the name of its unit file), when the unit is an alias, and every alias
   * that leads to its unit file from any unit directory (`b.service ->
   * a.service` makes `b.service.d/` a drop-in directory of `a.service`).
   */
  readonly aliases?: readonly string[];
  /** The parts that could not be read, one line each, for display. */
  readonly problems: readonly string[];
  /**
   * The same parts as data, when there are any. A unit directory the listing
   * could not list is one too, also when the listing was passed in (its line
   * then went to listUnitDirs' caller, not to `problems`).
   */
  readonly unread?: readonly UnreadPart[];
  /**
   * The drop-ins systemd skips, when there are any: chosen for their file name (the first in the search path), but
   * a link to nothing, a loop of links, a socket or a directory, which systemd cannot read either, whoever runs it. It
   * reads nothing from them, says nothing (a debug line at most), and reads no drop-in of that name lower down instead.
   * A drop-in directory that is a loop of links too (SkippedDropIn).
   */
  readonly skippedDropIns?: readonly SkippedDropIn[];
  /**
   * The links of the unit's name (or of a name its aliases lead to) that systemd ignores, when there are any: links
   * into the search path to no name systemd takes for an alias (IgnoredLink). The unit file is the next entry of the
   * name lower in the search path instead. Not one that leads to that very file (a link to the packaged unit, a
   * self-alias): nothing of it is lost.
   */
  readonly ignoredLinks?: readonly IgnoredLink[];
  /** When the unit's name is an alias of a unit no unit directory has a file of (DanglingAlias): then no `file`. */
  readonly danglingAlias?: DanglingAlias;
}

/** What loadUnit could not read, as it collects it: the lines for `problems`, and the same parts for `unread`; the drop-ins systemd skips. */
interface Unreadable {
  readonly problems: string[];
  readonly unread: UnreadPart[];
  readonly skipped: SkippedDropIn[];
  /** Read as root's rule for a file a user may write (readRootSafeFileBytes): a user manager's units, in its user's home. */
  readonly userFiles?: boolean;
}

/** Note one part that could not be read: `line` to show, `part` to decide from. */
function noteUnread(into: Unreadable, part: UnreadPart, line: string): void {
  into.problems.push(line);
  into.unread.push(part);
}

/** A LoadedUnit's `problems`, and its `unread` when there is any. */
function unreadFields(into: Unreadable): Pick<LoadedUnit, 'problems' | 'unread' | 'skippedDropIns'> {
  return {
    problems: into.problems,
    ...(into.unread.length > 0 && { unread: into.unread }),
    ...(into.skipped.length > 0 && { skippedDropIns: into.skipped }),
  };
}

/** Whether `part` has SkippedDropIn's shape. */
function isSkippedDropIn(part: unknown): part is SkippedDropIn {
  if (typeof part !== 'object' || part === null) return false;
  const { path, reason, hides } = part as Record<string, unknown>;
  return typeof path === 'string' && typeof reason === 'string' && (hides === undefined || typeof hides === 'string');
}

/** Whether `part` has IgnoredLink's shape. */
function isIgnoredLink(part: unknown): part is IgnoredLink {
  if (typeof part !== 'object' || part === null) return false;
  const { path, link, reason } = part as Record<string, unknown>;
  return typeof path === 'string' && typeof link === 'string' && typeof reason === 'string';
}

/** Whether `part` has DanglingAlias's shape. */
function isDanglingAlias(part: unknown): part is DanglingAlias {
  if (typeof part !== 'object' || part === null) return false;
  const { path, link, target, hides } = part as Record<string, unknown>;
  return typeof path === 'string' && typeof link === 'string' && typeof target === 'string' && (hides === undefined || typeof hides === 'string');
}

const UNREAD_KINDS: ReadonlySet<unknown> = new Set(['file', 'drop-in', 'listing']);

/** Whether `part` has UnreadPart's shape (a LoadedUnit from JavaScript may hold anything). */
export function isUnreadPart(part: unknown): part is UnreadPart {
  if (typeof part !== 'object' || part === null) return false;
  const { kind, path, name, reason, broken } = part as Record<string, unknown>;
  return (
    UNREAD_KINDS.has(kind) &&
    typeof path === 'string' &&
    typeof reason === 'string' &&
    (name === undefined || name instanceof Uint8Array) &&
    (broken === undefined || broken === true)
  );
}

/**
 * `loaded`, as mergeUnit and parseSocketUnit read it, checked field by field: a TypeError naming
 * `fn` and the field (`mergeUnit({})` used to fail inside: "loaded.dropIns is not iterable").
 */
export function checkLoadedUnit(fn: string, loaded: LoadedUnit, withProblems: boolean): void {
  objectArgument(fn, 'loaded', loaded, 'a LoadedUnit, from loadUnit');
  if (typeof loaded.unit !== 'string') throw new TypeError(`${fn}: loaded.unit must be a unit name (a string), not ${describeArgument(loaded.unit)}`);
  if (loaded.file !== undefined) checkLoadedFile(fn, 'loaded.file', loaded.file);
  if (!Array.isArray(loaded.dropIns as unknown))
    throw new TypeError(`${fn}: loaded.dropIns must be an array of { path, text }, not ${describeArgument(loaded.dropIns)}`);
  for (const [index, file] of loaded.dropIns.entries()) checkLoadedFile(fn, `loaded.dropIns[${index}]`, file);
  const aliases: unknown = loaded.aliases;
  // Each list's entry at fault is named (`loaded.aliases[1] must be ...`), not the list called no list.
  const unread: unknown = loaded.unread;
  const skipped: unknown = loaded.skippedDropIns;
  const ignoredLinks: unknown = loaded.ignoredLinks;
  const dangling: unknown = loaded.danglingAlias;
  const problem =
    (aliases === undefined ? undefined : listProblem('loaded.aliases', aliases, 'an array of unit names (strings), or left out', 'a unit name (a string)')) ??
    (withProblems ? listProblem('loaded.problems', loaded.problems) : undefined) ??
    (withProblems && unread !== undefined
      ? listProblem(
          'loaded.unread',
          unread,
          'an array of { kind, path, name?, reason }, or left out',
          '{ kind: "file", "drop-in" or "listing", path, name?: bytes, reason }',
          isUnreadPart,
        )
      : undefined) ??
    (skipped === undefined
      ? undefined
      : listProblem(
          'loaded.skippedDropIns',
          skipped,
          'an array of { path, reason, hides? }, or left out',
          '{ path, reason, hides?: a path }',
          isSkippedDropIn,
        )) ??
    (ignoredLinks === undefined
      ? undefined
      : listProblem('loaded.ignoredLinks', ignoredLinks, 'an array of { path, link, reason }, or left out', '{ path, link, reason }', isIgnoredLink)) ??
    (dangling === undefined || isDanglingAlias(dangling)
      ? undefined
      : `loaded.danglingAlias must be { path, link, target, hides? }, or left out, not ${describeArgument(dangling)}`);
  if (problem !== undefined) throw new TypeError(`${fn}: ${problem}`);
}

function checkLoadedFile(fn: string, name: string, file: LoadedFile): void {
  if (typeof file !== 'object' || file === null || Array.isArray(file))
    throw new TypeError(`${fn}: ${name} must be an object ({ path, text }), not ${describeArgument(file)}`);
  if (typeof file.path !== 'string') throw new TypeError(`${fn}: ${name}.path must be a string, not ${describeArgument(file.path)}`);
  if (file.text !== undefined && typeof file.text !== 'string')
    throw new TypeError(`${fn}: ${name}.text must be a string (the file's text) or undefined (masked), not ${describeArgument(file.text)}`);
}

/** mergeUnit's `options.hostSpecifiers`: an object of strings, copied by its own properties (never read through a prototype). */
function hostSpecifiersOption(given: unknown): Readonly<Record<string, string>> | undefined {
  if (given === undefined) return undefined;
  const prototype: unknown = typeof given === 'object' && given !== null && !Array.isArray(given) ? Object.getPrototypeOf(given) : undefined;
  if (prototype !== Object.prototype && prototype !== null)
    throw new TypeError(`mergeUnit: options.hostSpecifiers must be an object of specifier values ({ H: "host" }) or left out, not ${describeArgument(given)}`);
  const host = Object.create(null) as Record<string, string>;
  for (const letter of Object.keys(given as object)) {
    const value: unknown = (given as Record<string, unknown>)[letter];
    if (typeof value !== 'string')
      throw new TypeError(`mergeUnit: options.hostSpecifiers.${letter.slice(0, 20)} must be a string (the specifier's value), not ${describeArgument(value)}`);
    host[letter] = value;
  }
  return host;
}

export type { EnvironmentFileRead };

/**
 * mergeUnit's `options.environmentFiles`: the files' reads by path, or a
 * function that reads one when the merge needs it (one merge, not two: the
 * merge names the files, and only then can they be read).
 */
export type EnvironmentFilesGiven = ReadonlyMap<string, EnvironmentFileRead> | ((path: string) => EnvironmentFileRead);

/** mergeUnit's `options.environmentFiles`: a Map of path to EnvironmentFileRead, checked entry by entry, or a reading function (its answers checked as they come). */
function environmentFilesOption(given: unknown): ((path: string) => EnvironmentFileRead | undefined) | undefined {
  if (given === undefined) return undefined;
  const shape = 'a Map of path to { bytes } | { missing: true } | { problem }, or a function of a path that returns one';
  if (typeof given === 'function') {
    return (path) => {
      const read: unknown = (given as (path: string) => unknown)(path);
      if (!isEnvironmentFileRead(read))
        throw new TypeError(
          `mergeUnit: options.environmentFiles returned ${describeArgument(read)} for ${describeArgument(path)}; it must return ${shape.slice(shape.indexOf('{'), shape.indexOf(', or'))}`,
        );
      return read;
    };
  }
  if (!(given instanceof Map)) throw new TypeError(`mergeUnit: options.environmentFiles must be ${shape}, or left out, not ${describeArgument(given)}`);
  for (const [path, read] of given as Map<unknown, unknown>) {
    if (typeof path !== 'string' || !isEnvironmentFileRead(read))
      throw new TypeError(`mergeUnit: options.environmentFiles must be ${shape}; its entry ${describeArgument(path)} is ${describeArgument(read)}`);
  }
  const map = given as ReadonlyMap<string, EnvironmentFileRead>;
  return (path) => map.get(path);
}

/** mergeUnit's `options.defaultEnvironment`: a Map of variable name to { value, file, line } (readDefaultEnvironment's), checked entry by entry. */
function defaultEnvironmentOption(given: unknown): ReadonlyMap<string, EnvironmentSetting> | undefined {
  if (given === undefined) return undefined;
  const shape = 'a Map of variable name to { value, file, line }, from readDefaultEnvironment';
  if (!(given instanceof Map)) throw new TypeError(`mergeUnit: options.defaultEnvironment must be ${shape}, or left out, not ${describeArgument(given)}`);
  for (const [name, setting] of given as Map<unknown, unknown>) {
    const entry = setting as Record<string, unknown> | null;
    if (
      typeof name !== 'string' ||
      typeof entry !== 'object' ||
      entry === null ||
      typeof entry.value !== 'string' ||
      typeof entry.file !== 'string' ||
      typeof entry.line !== 'number'
    )
      throw new TypeError(`mergeUnit: options.defaultEnvironment must be ${shape}; its entry ${describeArgument(name)} is ${describeArgument(setting)}`);
  }
  return given as ReadonlyMap<string, EnvironmentSetting>;
}

function isEnvironmentFileRead(read: unknown): read is EnvironmentFileRead {
  const entry = read as Record<string, unknown> | null;
  return typeof entry === 'object' && entry !== null && (entry.bytes instanceof Uint8Array || entry.missing === true || typeof entry.problem === 'string');
}

/**
 * Merge a unit file and its drop-ins (already in systemd's order), as systemd
 * 252 loads them: each file read top to bottom; an empty `ExecStartPre=`,
 * `Environment=` or `EnvironmentFile=` clears what came before; the files of
 * EnvironmentFile= (their bytes in `options.environmentFiles`, by path, or
 * read by it when it is a function; a path not given there is `unread`) are
 * applied in order after every
 * Environment=, and override it; beneath both, the manager's
 * DefaultEnvironment= (`options.defaultEnvironment`, readDefaultEnvironment's:
 * an empty Environment= does not clear it, UnsetEnvironment= does undo it);
 * `$VAR` in ExecStartPre and ExecStart is expanded with the result.
 *
 * An error in the unit file itself (a bad section header, an Exec line
 * systemd refuses, no ExecStart=) stops the unit loading: `invalid`. The same
 * error in a drop-in only ends the reading of that drop-in (what came before
 * it stays), and the unit loads: `ignored`.
 */
export function mergeUnit(
  loaded: LoadedUnit,
  options: {
    readonly hostSpecifiers?: Readonly<Record<string, string>>;
    readonly environmentFiles?: EnvironmentFilesGiven;
    readonly defaultEnvironment?: ReadonlyMap<string, EnvironmentSetting>;
  } = {},
): UnitFacts {
  checkLoadedUnit('mergeUnit', loaded, true);
  // Own properties only (optionsArgument's copy): a hostSpecifiers inherited through a polluted Object.prototype is not the caller's.
  const {
    hostSpecifiers: givenHost,
    environmentFiles: givenFiles,
    defaultEnvironment: givenDefault,
  } = optionsArgument('mergeUnit', options, '{ hostSpecifiers?, environmentFiles?, defaultEnvironment? }', [
    'hostSpecifiers',
    'environmentFiles',
    'defaultEnvironment',
  ]);
  const hostSpecifiers = hostSpecifiersOption(givenHost);
  const environmentFileBytes = environmentFilesOption(givenFiles);
  const defaultEnvironment = defaultEnvironmentOption(givenDefault);
  const masked = loaded.file !== undefined && loaded.file.text === undefined;
  const files = masked ? [] : [loaded.file, ...loaded.dropIns];
  const invalid: string[] = [];
  const ignored: string[] = [];
  const settings = new ServiceSettings({ name: loaded.unit, ...(hostSpecifiers && { host: hostSpecifiers }) });
  for (const file of files) {
    if (!file || file.text === undefined) continue;
    const report = (line: number, message: string) => (file === loaded.file ? invalid : ignored).push(`${file.path}:${line}: ${message}`);
    const errors: { line: number; message: string }[] = [];
    let stopped = false;
    for (const { section, key, value, line } of parseUnitFile(file.text, errors)) {
      // Any assignment, in any section, holding bytes that are not UTF-8: systemd 252 says "String is not UTF-8
      // clean, ignoring assignment", and then refuses to load a unit file that held one (a drop-in's is only
      // ignored). Measured with systemd-analyze verify.
      if (hasKeptBadBytes(key) || hasKeptBadBytes(value)) {
        report(line, `${escapeText(`${key}=${value}`, 200)} holds bytes that are not UTF-8 (systemd: "String is not UTF-8 clean, ignoring assignment")`);
        continue;
      }
      // SuccessAction= is a [Unit] setting, which service_verify() reads beside the [Service] ones.
      if (section === 'Unit' && key === 'SuccessAction') settings.successAction = successActionAfter(settings.successAction, value);
      if (section !== 'Service') continue;
      const refused = settings.assign(key, value, { file: file.path, line });
      if (refused !== undefined) {
        report(line, refused);
        stopped = true;
        break;
      }
    }
    if (!stopped) for (const error of errors) report(error.line, error.message);
  }
  if (loaded.file && !masked && invalid.length === 0) {
    const refusal = serviceVerifyRefusal(settings);
    if (refusal !== undefined) invalid.push(`${loaded.file.path}: ${refusal}`);
  }
  const { environment, environmentFiles } = settings.compileEnvironment(defaultEnvironment, environmentFileBytes);
  const env = new Map([...environment].map(([name, setting]) => [name, setting.value]));
  // One ExecLine per command: a line may hold several, separated by a bare `;`.
  const execLine = ({ file, line, value, command }: KeptCommand): ExecLine => ({
    file,
    line,
    value,
    prefixes: command.prefixes,
    path: command.path,
    words: command.words,
    argv: commandArgv(command, env),
  });
  const execStart = settings.execStart.map(execLine);
  const { execSearchPath, roots, booleans, user, dynamicUser, sockets, passEnvironment, workingDirectory, startTimeout } = settings;
  // TemporaryFileSystem= and the bind mounts only on the host's root: inside RootDirectory=/RootImage= they are rootMounts' (not followed).
  const hidden = hiddenPaths(settings.hiders, settings.inaccessible, settings.unit, roots.RootDirectory || roots.RootImage ? [] : settings.overmounts);
  return {
    unit: loaded.unit,
    ...(loaded.aliases !== undefined && loaded.aliases.length > 0 && { aliases: loaded.aliases }),
    ...(loaded.file && { file: loaded.file.path }),
    dropIns: loaded.dropIns.filter((file) => file.text !== undefined).map((file) => file.path),
    ...(!masked &&
      loaded.dropIns.some((file) => file.text === undefined) && {
        maskedDropIns: loaded.dropIns.filter((file) => file.text === undefined).map((file) => file.path),
      }),
    masked,
    execStartPre: settings.execStartPre.map(execLine),
    ...(settings.execStartPreCleared && { execStartPreCleared: settings.execStartPreCleared }),
    ...(execStart.length > 0 && { execStart }),
    ...(settings.execStartCleared && { execStartCleared: settings.execStartCleared }),
    environment,
    ...(environmentFiles.length > 0 && { environmentFiles }),
    ...(execSearchPath && {
      execSearchPath: {
        value: execSearchPath.dirs.join(':'),
        file: execSearchPath.last.file,
        line: execSearchPath.last.line,
        dirs: execSearchPath.dirs,
        lines: execSearchPath.lines,
        ...(execSearchPath.ignored.length > 0 && { ignored: execSearchPath.ignored }),
        ...(execSearchPath.unresolved && { unresolved: execSearchPath.unresolved }),
      },
    }),
    ...(passEnvironment.length > 0 && { passEnvironment }),
    ...(workingDirectory && { workingDirectory }),
    ...(roots.RootDirectory && { rootDirectory: roots.RootDirectory }),
    ...(roots.RootImage && { rootImage: roots.RootImage }),
    ...(booleans.RootDirectoryStartOnly && { rootDirectoryStartOnly: booleans.RootDirectoryStartOnly }),
    ...(booleans.MountAPIVFS && { mountAPIVFS: booleans.MountAPIVFS }),
    ...(settings.mounts.size > 0 && { rootMounts: [...settings.mounts.values()].at(-1)! }),
    ...(hidden.length > 0 && { hiddenPaths: hidden }),
    ...(user && { user }),
    ...(dynamicUser && { dynamicUser }),
    ...(sockets.length > 0 && { sockets }),
    ...(startTimeout && { startTimeout }),
    ...(settings.effectiveType() === 'oneshot' && { oneshot: true }),
    problems: loaded.problems,
    ...(loaded.unread !== undefined && loaded.unread.length > 0 && { unread: loaded.unread }),
    ...(loaded.skippedDropIns !== undefined && loaded.skippedDropIns.length > 0 && { skippedDropIns: loaded.skippedDropIns }),
    ...(loaded.ignoredLinks !== undefined && loaded.ignoredLinks.length > 0 && { ignoredLinks: loaded.ignoredLinks }),
    ...(loaded.danglingAlias !== undefined && { danglingAlias: loaded.danglingAlias }),
    ...(invalid.length > 0 && { invalid }),
    ...(ignored.length > 0 && { ignored }),
  };
}

/**
 * Why service_verify() refuses a unit whose settings loaded, its first reason in systemd's order (src/core/service.c;
 * each checked with systemd-analyze verify, 252), in systemd's words, or undefined.
 */
function serviceVerifyRefusal(settings: ServiceSettings): string | undefined {
  const { count, successAction, remainAfterExit, restart } = settings;
  const type = settings.effectiveType();
  const oneshot = type === 'oneshot';
  const refused = (why: string) => `${why} (systemd refuses it)`;
  if (count.ExecStart === 0 && count.ExecStop === 0 && !successAction) return refused('Service has no ExecStart=, ExecStop=, or SuccessAction=');
  if (count.ExecStart === 0 && !oneshot) return refused(`Service has no ExecStart=, which only Type=oneshot allows (it is Type=${type})`);
  if (count.ExecStart === 0 && !remainAfterExit && !successAction)
    return refused('Service has no ExecStart= and no SuccessAction=, and does not have RemainAfterExit=yes');
  if (count.ExecStart > 1 && !oneshot) return refused('Service has more than one ExecStart=, which only Type=oneshot allows');
  if (oneshot && (restart === 'always' || restart === 'on-success'))
    return refused(`Service has Restart=${restart}, which Type=oneshot does not allow (use Restart=on-failure, or another Type=)`);
  if (oneshot && settings.restartForceStatus) return refused('Service has RestartForceExitStatus= set, which Type=oneshot does not allow');
  if (oneshot && settings.exitType === 'cgroup') return refused('Service has ExitType=cgroup, which Type=oneshot does not allow');
  if (type === 'dbus' && !settings.busName) return refused('Service is Type=dbus but names no BusName=');
  if (settings.pamName && settings.killMode !== 'control-group' && settings.killMode !== 'mixed')
    return refused(`Service has PAMName= set, which needs KillMode=control-group or mixed, not ${settings.killMode}`);
  return undefined;
}

/** What each unit directory holds (entry names), read once for every unit, in the search path's order (which loadUnit follows); absent directories are left out. */
export type UnitDirListing = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * List the unit directories under `root`: systemd's (UNIT_DIRS), or `dirs`
 * in their order (a search path such as $SYSTEMD_UNIT_PATH's; a leading `/`
 * is taken from under `root` too). A directory that is one listed before it
 * under another name (`/lib/systemd/system` and `/usr/lib/systemd/system` on
 * a merged /usr, where /lib links to usr/lib) is left out, as systemd's
 * lookup_paths_reduce() drops it: the first name is the one a unit's path
 * shows, and the directory is listed once.
 */
export function listUnitDirs(root: string, problems: string[] = [], dirs: readonly string[] = UNIT_DIRS): UnitDirListing {
  nonEmptyStringArgument('listUnitDirs', 'root', root, 'a directory (a non-empty string)');
  // Pushed into when a directory cannot be listed: anything else failed then, inside, or was never said.
  if (!isArraySafely(problems))
    throw new TypeError(
      `listUnitDirs: problems must be an array (the lines of what could not be listed go there) or left out, not ${describeArgument(problems)}`,
    );
  if (dirs !== UNIT_DIRS) stringListArgument('listUnitDirs', 'dirs', dirs);
  const unlisted: UnreadPart[] = [];
  const links = new Map<string, string[]>();
  const sameDirs: string[] = [];
  const seen = new Set<string>();
  const entries = withoutStackTraces(() =>
    dirs.map((given) => {
      const dir = given.replace(/^\/+/, '');
      try {
        const path = hostPath(root, dir);
        // Most of them do not exist on a given machine: asked without an exception each.
        const info = statSync(path, { throwIfNoEntry: false });
        if (info === undefined || !info.isDirectory()) return undefined; // absent, or not a directory: systemd skips it too
        const identity = `${info.dev}:${info.ino}`;
        if (seen.has(identity)) {
          sameDirs.push(dir);
          return undefined;
        }
        seen.add(identity);
        // With the entries' types, which cost the listing nothing more: the links among them are the candidate aliases.
        const names = new Set<string>();
        const linked: string[] = [];
        for (const entry of readdirSync(path, { withFileTypes: true })) {
          names.add(entry.name);
          if (entry.isSymbolicLink()) linked.push(entry.name);
        }
        links.set(dir, linked);
        return [dir, names] as const;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') {
          const reason = listingError(error);
          problems.push(`/${dir}: cannot list: ${reason}`);
          unlisted.push({ kind: 'listing', path: `/${dir}`, reason });
        }
        return undefined;
      }
    }),
  );
  const listing: UnitDirListing = new Map(entries.filter((entry) => entry !== undefined));
  const searched = dirs.map((given) => given.replace(/^\/+/, ''));
  listingNotes.set(listing, { unlisted, links, sameDirs, searched });
  return listing;
}

/**
 * A bare directory (--out's DIR, a host path) listed as the one unit directory, to be read as systemd reads it once
 * copied into `place` (inside a root: `etc/systemd/system`) as laid out: a link in it is an alias when its target lies
 * in a unit directory of systemd's search path (UNIT_DIRS) there, an absolute target as written, a relative one from
 * `place` (`/lib/systemd/system/foo.service`, `../../../lib/systemd/system/foo.service`), or in DIR itself by its host
 * path. Nothing outside DIR is read: a unit file an alias leads to there is on the system DIR is copied to.
 */
export function listPlacedUnitDir(unitDir: string, place = 'etc/systemd/system'): UnitDirListing {
  nonEmptyStringArgument('listPlacedUnitDir', 'unitDir', unitDir, 'a directory (a non-empty string)');
  const listing = listUnitDirs('/', [], [unitDir]);
  const notes = listingNotes.get(listing)!;
  listingNotes.set(listing, { ...notes, placed: { dir: unitDir.replace(/^\/+/, ''), at: place.replace(/^\/+|\/+$/g, '') } });
  return listing;
}

/**
 * The names of `unit` whose drop-in directories systemd reads, when the listing holds no unit file of it (nor of the
 * unit its alias links in the listing lead to) but the system it is copied to does (listPlacedUnitDir): the unit its
 * links lead to first, then `unit` and every alias in the listing that leads to that unit, as namesOfUnit orders them
 * (an instance's unit file taken for its template's).
 */
export function namesWithFileElsewhere(listing: UnitDirListing, unit: string): string[] {
  nonEmptyStringArgument('namesWithFileElsewhere', 'unit', unit, 'a unit name (a non-empty string)');
  listingArgument(listing);
  const { finalOf } = aliasIndex('/', listing, unit);
  const instance = instanceOf(unit);
  const template = templateOf(unit);
  const templateFinal = template === undefined ? undefined : finalOf.get(template);
  const id = finalOf.get(unit) ?? (templateFinal !== undefined && instance !== undefined ? withInstance(templateFinal, instance) : unit);
  const fragment = instanceOf(id) !== undefined ? (templateOf(id) ?? id) : id;
  return namesOfUnit('/', listing, unit, [unit], fragment);
}

/**
 * What listUnitDirs learnt beside a listing: the unit directories it could
 * not list (loadUnit puts them in each unit's `unread`: any of them may hold a
 * file of the unit), the links in each directory it listed (the candidate
 * aliases), and the directories it left out as one listed before under
 * another name (a link into one of them is a link into a unit directory).
 * Kept beside the listing, not in it, so that a UnitDirListing stays a plain
 * Map of what was listed; a listing made elsewhere has none of it.
 */
interface ListingNotes {
  readonly unlisted: readonly UnreadPart[];
  readonly links: ReadonlyMap<string, readonly string[]>;
  readonly sameDirs: readonly string[];
  /** Every unit directory of the search path, as given (no leading `/`), listed or not: a link into one that is absent is still an alias (systemd-analyze verify 252). */
  readonly searched: readonly string[];
  /** listPlacedUnitDir's: the listed directory `dir`, read as if it were `at` (inside a root). */
  readonly placed?: { readonly dir: string; readonly at: string };
}

const listingNotes = new WeakMap<UnitDirListing, ListingNotes>();

/** Listings made elsewhere that listingArgument has checked: each is checked once, not at every unit of a 500-unit check. */
const checkedListings = new WeakSet<UnitDirListing>();

/**
 * loadUnit's `listing`: listUnitDirs' own, or a Map of directory to a Set of entry names. Anything else failed
 * inside ("listing.values is not a function", "listed.has is not a function").
 */
function listingArgument(listing: unknown): void {
  if (listing instanceof Map && (listingNotes.has(listing) || checkedListings.has(listing))) return;
  const shape = 'a UnitDirListing (a Map of directory to a Set of entry names), from listUnitDirs, or left out';
  if (!(listing instanceof Map)) throw new TypeError(`loadUnit: listing must be ${shape}, not ${describeArgument(listing)}`);
  for (const [dir, names] of listing as Map<unknown, unknown>) {
    if (typeof dir !== 'string') throw new TypeError(`loadUnit: listing must be ${shape}; it has the key ${describeArgument(dir)}`);
    if (!(names instanceof Set)) throw new TypeError(`loadUnit: listing must be ${shape}; its entry ${escapeText(dir, 200)} is ${describeArgument(names)}`);
  }
  checkedListings.add(listing as UnitDirListing);
}

/** Why a directory could not be listed, in words (`EACCES` is "permission denied", with what to do). */
function listingError(error: unknown): string {
  if (error instanceof FileReadError) return error.reason;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return process.geteuid?.() === 0 ? 'permission denied, even to root' : 'permission denied (run as root)';
  return code ?? (error as Error).message;
}

/**
 * Read a unit and its drop-ins under `root`. Missing files are normal;
 * unreadable ones are `problems` (in words) and `unread` (as data, to decide
 * from: a drop-in with the bytes of its name). Pass `listing` (from listUnitDirs) when
 * loading several units, so that each unit directory is listed once.
 */
export function loadUnit(root: string, unit: string, listing?: UnitDirListing): LoadedUnit {
  nonEmptyStringArgument('loadUnit', 'root', root, 'a directory (a non-empty string)');
  nonEmptyStringArgument('loadUnit', 'unit', unit, 'a unit name (a non-empty string)');
  return loadUnitFrom(root, unit, listing, false);
}

/**
 * loadUnit under `/` for a unit of a user's service manager, whose files a user may write (their home's
 * ~/.config/systemd/user): as root, a symbolic link on the way that root does not own is never followed
 * (readRootSafeFileBytes), and the file is a problem of the unit's, its Restart= a guess.
 */
export function loadUserUnit(unit: string, listing: UnitDirListing): LoadedUnit {
  nonEmptyStringArgument('loadUserUnit', 'unit', unit, 'a unit name (a non-empty string)');
  return loadUnitFrom('/', unit, listing, true);
}

function loadUnitFrom(root: string, unit: string, listing: UnitDirListing | undefined, userFiles: boolean): LoadedUnit {
  const unreadable: Unreadable = { problems: [], unread: [], skipped: [], ...(userFiles && { userFiles }) };
  if (listing !== undefined) listingArgument(listing);
  listing ??= listUnitDirs(root, unreadable.problems);
  unreadable.unread.push(...(listingNotes.get(listing)?.unlisted ?? []));
  const names = [unit, templateOf(unit)].filter((name): name is string => name !== undefined);
  // Most units a large registry names are not on the machine. Those are answered here, by a function
  // small enough for V8 to optimize in a few ms: the whole loader, hot in a 500-unit health check,
  // took V8 30-80 ms of a second core to optimize, and the process waited for that at exit.
  return mayBeListed(listing, unit, names) ? readListedUnit(root, unit, names, listing, unreadable) : { unit, dropIns: [], ...unreadFields(unreadable) };
}

/**
 * Whether a listed directory holds the unit's file (or its template's), its
 * type-wide drop-in directory, or an entry that may be one of its own drop-in
 * directories (each of whose names starts with dropInPrefix).
 */
function mayBeListed(listing: UnitDirListing, unit: string, names: readonly string[]): boolean {
  const typeWide = typeDropInDirName(unit);
  for (const listed of listing.values()) {
    if (listed.has(typeWide)) return true;
    for (const name of names) if (listed.has(name)) return true;
  }
  const prefix = dropInPrefix(unit);
  return dropInEntries(listing).some((entry) => entry.startsWith(prefix));
}

/** loadUnit for a unit some listed directory may hold a file of. */
function readListedUnit(root: string, unit: string, names: readonly string[], listing: UnitDirListing, unreadable: Unreadable): LoadedUnit {
  // systemd's unit file is the first regular file or symbolic link of the unit's name in the search path, or, when no
  // directory has one, its template's (unit_file_build_name_map, unit_file_find_fragment). It opens that one alone:
  // when it cannot, the unit fails to load, and no copy lower in the path is read instead (unit_load_fragment). So one
  // that cannot be read here leaves the unit file unread, its settings unknown: never taken from a copy systemd would not read.
  let candidates = names.flatMap((name) => [...listing].filter(([, listed]) => listed.has(name)).map(([dir]) => ({ dir, name })));
  let file: LoadedFile | undefined;
  // The entry name of the unit file systemd loads (`foo@.service` for an instance of a template).
  let fragment: string | undefined;
  // Its path under the root, as found (a link, perhaps).
  let fragmentPath: string | undefined;
  const instance = instanceOf(unit);
  // The names followed to the unit file: the unit's, and those of the units its alias links name (followed by name).
  const chain: string[] = [unit];
  // The links systemd ignores on the way (unit_file_resolve_symlink), and the last alias link followed.
  const ignoredLinks: IgnoredLink[] = [];
  let lastAlias: DanglingAlias | undefined;
  let tooLong = false;
  for (let index = 0; index < candidates.length; index++) {
    const { dir, name } = candidates[index]!;
    const entry = unitFileEntry(root, dir, name);
    if (entry === 'taken') {
      const verdict = aliasTarget(root, dir, name, listing);
      // A link into the search path that systemd takes for no alias (`foo.service -> x`): it maps nothing to the name
      // there, so the next entry of the name lower down is the unit file (systemd-analyze verify 252 reads that one).
      if (verdict !== undefined && 'ignored' in verdict) {
        ignoredLinks.push({ path: `/${dir}/${name}`, link: verdict.link, reason: verdict.ignored });
        continue;
      }
      // An alias (a link to another unit's name in a unit directory): systemd loads that unit, by name, from wherever
      // the search path first has it (or its template's, for an instance), with the drop-ins of both names
      // (unit_file_build_name_map, unit_ids_map_get, systemd 252).
      const target = verdict?.target;
      const named = target !== undefined && instance !== undefined && isTemplate(target) ? withInstance(target, instance) : target;
      if (named !== undefined && !chain.includes(named) && chain.length <= MAX_ALIASES) {
        // The unit's own file lower down, which the alias hides: systemd never loads it, whatever the alias leads to.
        const below = chain.length === 1 ? candidates.slice(index + 1).find((each) => unitFileEntry(root, each.dir, each.name) === 'taken') : undefined;
        const hides = below === undefined ? lastAlias?.hides : `/${below.dir}/${below.name}`;
        lastAlias = { path: `/${dir}/${name}`, link: verdict!.link, target: named, ...(hides !== undefined && { hides }) };
        chain.push(named);
        const targetNames = [named, templateOf(named)].filter((each): each is string => each !== undefined);
        candidates = targetNames.flatMap((each) => [...listing].filter(([, listed]) => listed.has(each)).map(([dir]) => ({ dir, name: each })));
        index = -1;
        continue;
      }
      // A chain longer than systemd follows (unit_ids_map_get gives up: -ELOOP): no unit of this name is found.
      if (named !== undefined && !chain.includes(named)) {
        tooLong = true;
        break;
      }
      const next = candidates[index + 1];
      file = readConfig(root, `${dir}/${name}`, unreadable, { shadowed: next && `${next.dir}/${next.name}` });
      fragment = name;
      fragmentPath = `${dir}/${name}`;
      break;
    }
    // A FIFO, directory, socket or device of the name: systemd passes it over, and so does this search. It is still
    // reported unread (the read refuses it at once, never opening it): a mistake to hear of, whatever systemd makes of it.
    if (entry === 'passed over') readConfig(root, `${dir}/${name}`, unreadable, { shadowed: undefined });
  }
  // A masked unit has no aliases (systemd leaves a mask out of its map of names), and reads no drop-in.
  const unitNames = namesOfUnit(root, listing, unit, chain, file?.text === undefined && file !== undefined ? undefined : fragment);
  // dropInDirs' order, but only the directories the listing shows: most of its
  // 13 × names candidates do not exist, and building every path first cost a
  // 500-unit health check about 20 ms (and as much again in garbage collection).
  // systemd's order (unit_file_find_dropin_paths): each name's own directories in every unit directory, the unit's own
  // name first, then each alias's, then the type-wide `service.d` in every unit directory.
  const found: Array<{ dir: string; names: string[] }> = [];
  const looked = new Set<string>();
  const look = (dirNames: readonly string[]) => {
    for (const [dir, listed] of listing) {
      for (const name of dirNames) {
        const path = `${dir}/${name}`;
        if (!listed.has(name) || looked.has(path)) continue;
        looked.add(path);
        const entries = listDropIns(root, path, unreadable);
        if (entries.length > 0) found.push({ dir: path, names: entries });
      }
    }
  };
  for (const name of unitNames) look(dropInDirNames(name).slice(0, -1));
  look([typeDropInDirName(unit)]);
  const dropIns: LoadedFile[] = [];
  for (const { dir, name } of chooseDropIns(found)) {
    // A drop-in systemd skips still hides one of its name lower down (conf_files_list keeps the first, never opening it).
    const below = found.slice(found.findIndex((each) => each.dir === dir) + 1).find((each) => each.names.includes(name));
    const loaded = readConfig(root, `${dir}/${name}`, unreadable, { dropInName: Buffer.from(name), hides: below && `/${below.dir}/${name}` });
    if (loaded) dropIns.push(loaded);
  }
  const aliases = unitNames.filter((name) => name !== unit);
  // A link systemd ignores that leads to the very file it loads (`/etc/systemd/system/foo.service ->
  // /usr/lib/systemd/system/foo.service`, a self-alias: systemd-analyze verify 252 loads the link's target): nothing is
  // lost, so nothing to say.
  const lost = file === undefined || fragmentPath === undefined ? ignoredLinks : ignoredLinks.filter((link) => !sameFile(root, link.path, fragmentPath!));
  // An alias to a unit no unit directory has a file of: systemd loads no unit of the name (unit_ids_map_get: -ENXIO).
  const dangling = file === undefined && lastAlias !== undefined && !tooLong && !unreadable.unread.some((part) => part.kind === 'file');
  return {
    unit,
    ...(file && { file }),
    dropIns,
    ...(aliases.length > 0 && { aliases }),
    ...unreadFields(unreadable),
    ...(lost.length > 0 && { ignoredLinks: lost }),
    ...(dangling && { danglingAlias: lastAlias }),
  };
}

/** Whether paths `a` and `b` under `root`, links followed inside it, are one file (by device and inode). */
function sameFile(root: string, a: string, b: string): boolean {
  try {
    const [one, other] = [resolveInRoot(root, a), resolveInRoot(root, b)];
    // One path (a mask's /dev/null, which an image need not have, among them), else one device and inode.
    if (one === other) return true;
    const [first, second] = [statSync(join(root, one)), statSync(join(root, other))];
    return first.dev === second.dev && first.ino === second.ino;
  } catch {
    return false; // a link to nothing, a loop of links: not the file loaded
  }
}

/**
 * Every name of a unit whose drop-ins apply, as systemd 252 gathers them
 * (unit_file_find_fragment, add_names): the unit's id first (the name of its
 * unit file, with the unit's instance for a template's), then the names it was
 * reached by (`chain`) and every alias that leads to its unit file (from any
 * unit directory, whichever name the registry gives), in strcmp order. systemd
 * keeps those in a hash set, so where two aliases' directories hold a drop-in
 * of the same file name, which one it applies is not fixed; this takes the
 * first in that order. `fragment` is the entry name of the unit file, or
 * undefined when there is none (or it is masked): then no alias leads to it.
 */
function namesOfUnit(root: string, listing: UnitDirListing, unit: string, chain: readonly string[], fragment: string | undefined): string[] {
  const instance = instanceOf(unit);
  const id = fragment === undefined ? unit : instance !== undefined && isTemplate(fragment) ? withInstance(fragment, instance) : fragment;
  const others = new Set(chain);
  if (fragment !== undefined) {
    const { aliasesOf, finalOf } = aliasIndex(root, listing, id);
    for (const alias of aliasesOf.get(id) ?? []) others.add(alias);
    // An instance of a template: each alias template's instance (`b@.service -> a@.service` makes `b@x.service` a name
    // of `a@x.service`), unless that instance is a unit of its own (its own file, or an alias of another unit).
    if (instance !== undefined && fragment !== id) {
      for (const alias of aliasesOf.get(fragment) ?? []) {
        if (!isTemplate(alias)) continue;
        const name = withInstance(alias, instance);
        const final = finalOf.get(name);
        if (final === undefined ? !isListed(listing, name) : final === id || final === fragment) others.add(name);
      }
    }
  }
  others.delete(id);
  return [id, ...[...others].sort(compareNames)];
}

function isListed(listing: UnitDirListing, name: string): boolean {
  for (const listed of listing.values()) if (listed.has(name)) return true;
  return false;
}

/** `x` of an instance `foo@x.service`; undefined for a template or a unit that is neither. */
function instanceOf(unit: string): string | undefined {
  const at = unit.indexOf('@');
  const dot = unit.lastIndexOf('.');
  return at > 0 && dot > at + 1 ? unit.slice(at + 1, dot) : undefined;
}

/** Whether `unit` is a template (`foo@.service`). */
function isTemplate(unit: string): boolean {
  const at = unit.indexOf('@');
  return at > 0 && unit.lastIndexOf('.') === at + 1;
}

/** The template `foo@.service` with instance `x`: `foo@x.service`. */
function withInstance(template: string, instance: string): string {
  const at = template.indexOf('@');
  return `${template.slice(0, at + 1)}${instance}${template.slice(at + 1)}`;
}

/**
 * The aliases of the units a listing holds, as systemd 252's map of unit
 * names has them: each alias's name by the unit name at the end of its chain
 * (`finalOf`; an instance's for an instance alias of a template), and the
 * reverse (`aliasesOf`). An alias is the first entry of its name in the search
 * path, a link that aliasTarget takes for one.
 */
interface AliasIndex {
  readonly finalOf: ReadonlyMap<string, string>;
  readonly aliasesOf: ReadonlyMap<string, readonly string[]>;
}

const aliasIndexesOf = new WeakMap<UnitDirListing, Map<string, AliasIndex>>();

/**
 * The listing's AliasIndex of the units of `unit`'s type (an alias is of its
 * unit's type), made once, from the links the listing saw: no directory is
 * listed again, and only the links of that type are read (a Debian VM's
 * dozen service aliases: about 1 ms in a fresh process, once per run).
 */
function aliasIndex(root: string, listing: UnitDirListing, unit: string): AliasIndex {
  const suffix = unit.slice(unit.lastIndexOf('.'));
  let indexes = aliasIndexesOf.get(listing);
  if (indexes === undefined) aliasIndexesOf.set(listing, (indexes = new Map()));
  let index = indexes.get(suffix);
  if (index === undefined) {
    index = buildAliasIndex(root, listing, suffix);
    indexes.set(suffix, index);
  }
  return index;
}

function buildAliasIndex(root: string, listing: UnitDirListing, suffix: string): AliasIndex {
  const targetOf = new Map<string, string>();
  const decided = new Set<string>();
  const dirs = [...listing.keys()];
  for (const [position, dir] of dirs.entries()) {
    for (const name of linksIn(root, listing, dir)) {
      if (!name.endsWith(suffix) || decided.has(name)) continue;
      // A file of the name higher in the path is the name's (a FIFO or directory there is passed over, and so is a
      // link systemd ignores).
      if (takenAbove(root, listing, dirs, position, name)) {
        decided.add(name);
        continue;
      }
      const verdict = aliasTarget(root, dir, name, listing);
      // A link systemd ignores leaves the name to an entry lower down.
      if (verdict !== undefined && 'ignored' in verdict) continue;
      decided.add(name);
      if (verdict !== undefined) targetOf.set(name, verdict.target);
    }
  }
  const finalOf = new Map<string, string>();
  const aliasesOf = new Map<string, string[]>();
  for (const name of targetOf.keys()) {
    // unit_ids_map_get(): follow the chain, at most MAX_ALIASES links; a name no link has, but its template does, goes on from the template.
    let id = name;
    for (let hop = 0; hop < MAX_ALIASES; hop++) {
      const template = targetOf.has(id) ? undefined : templateOf(id);
      const next = targetOf.get(id) ?? (template !== undefined ? targetOf.get(template) : undefined);
      if (next === undefined) break;
      id = next;
    }
    if (targetOf.has(id)) continue; // a loop of aliases, or a chain longer than systemd follows: no unit
    const instance = instanceOf(name);
    const final = instance !== undefined && isTemplate(id) ? withInstance(id, instance) : id;
    finalOf.set(name, final);
    const aliases = aliasesOf.get(final);
    if (aliases) aliases.push(name);
    else aliasesOf.set(final, [name]);
  }
  return { finalOf, aliasesOf };
}

/** Whether a unit directory before `dirs[position]` has an entry `name` that systemd takes for a unit file (a FIFO or directory it passes over). */
function takenAbove(root: string, listing: UnitDirListing, dirs: readonly string[], position: number, name: string): boolean {
  for (let index = 0; index < position; index++) {
    const dir = dirs[index]!;
    if (!listing.get(dir)!.has(name) || unitFileEntry(root, dir, name) !== 'taken') continue;
    const verdict = aliasTarget(root, dir, name, listing);
    if (verdict === undefined || !('ignored' in verdict)) return true;
  }
  return false;
}

/** The links among unit directory `dir`'s entries: from listUnitDirs' notes, else (a listing made elsewhere) by their types. */
function linksIn(root: string, listing: UnitDirListing, dir: string): readonly string[] {
  const noted = listingNotes.get(listing)?.links.get(dir);
  if (noted !== undefined) return noted;
  const listed = listing.get(dir)!;
  try {
    return readdirSync(hostPath(root, dir), { withFileTypes: true })
      .filter((entry) => entry.isSymbolicLink() && listed.has(entry.name))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

/**
 * As systemd 252's unit_ids_map_get() follows: FOLLOW_MAX (8) lookups of a
 * name, the last one the unit file's, so at most 7 alias links; a longer chain
 * names no unit (checked with systemd-analyze verify).
 */
const MAX_ALIASES = 7;

/**
 * What systemd 252 makes of the unit file `name` of unit directory `dir` when it is a link
 * (unit_file_resolve_symlink, unit_validate_alias_symlink_or_warn): undefined when it is no link, or a link that
 * leads out of the unit directories (a linked unit file, a mask), read through. A link whose target lies in a unit
 * directory (written `b.service`, relative, or `/usr/lib/systemd/system/b.service`; in a subdirectory such as
 * `foo.target.wants/` too, which systemd 252 warns of as "suspicious" and takes all the same) is an alias (`target`)
 * when systemd takes its target's file name for another name of it: systemd loads the target by that name. Any
 * other such link systemd ignores (`ignored`, why): a target that is not a valid unit name (`x`), of another type
 * (`b.socket`), a template for a plain unit or the reverse, an instance of another instance name, a unit type that
 * may have no alias (`.mount`), or the link's own name (a self-alias). It maps no unit file to the name there, so
 * the next entry of the name lower in the search path is the unit file (systemd-analyze verify shows it).
 */
type LinkVerdict = { readonly target: string; readonly link: string } | { readonly ignored: string; readonly link: string } | undefined;

function aliasTarget(root: string, dir: string, name: string, listing: UnitDirListing): LinkVerdict {
  let link: string;
  try {
    link = readlinkSync(join(hostPath(root, dir), name));
  } catch {
    return undefined; // not a link: a unit file
  }
  const slash = link.lastIndexOf('/');
  const target = link.slice(slash + 1);
  if (!linksIntoUnitDir(root, dir, link, slash, listing)) return undefined;
  const ignored = aliasRefusal(name, target);
  return ignored === undefined ? { target, link } : { ignored, link };
}

/** Whether `link`, the target of a link in unit directory `dir`, lies in a unit directory (or below one). */
function linksIntoUnitDir(root: string, dir: string, link: string, slash: number, listing: UnitDirListing): boolean {
  // Most aliases name a unit of their own directory (`reboot.target`): no path to work out.
  if (slash < 0) return true;
  const written = link.slice(0, slash) || '/';
  const placed = listingNotes.get(listing)?.placed;
  if (placed?.dir === dir) {
    // DIR read as if copied into its place: the link's target as systemd there would see it.
    const there = posix.normalize(link.startsWith('/') ? written : `/${placed.at}/${written}`);
    if (UNIT_DIRS.some((unitDir) => there === `/${unitDir}` || there.startsWith(`/${unitDir}/`))) return true;
  }
  return inUnitDir(root, posix.normalize(link.startsWith('/') ? written : `/${dir}/${written}`), listing);
}

/**
 * Whether directory `path` (absolute, inside the root) is a unit directory of
 * the listing or below one, as systemd 252 decides it: by the path with its
 * links resolved (chase_symlinks), so that on a merged /usr a link to
 * `/usr/lib/systemd/system/x` is into the unit directory listed as
 * `lib/systemd/system`.
 */
function inUnitDir(root: string, path: string, listing: UnitDirListing): boolean {
  const under = (candidate: string) => {
    const within = (dir: string) =>
      candidate.length > dir.length && candidate.startsWith(dir, 1) && (candidate.length === dir.length + 1 || candidate[dir.length + 1] === '/');
    for (const dir of listing.keys()) if (within(dir)) return true;
    const notes = listingNotes.get(listing);
    // A unit directory of the search path that is absent from the root is one all the same: systemd 252 takes a link
    // into it for an alias (checked with systemd-analyze verify --root, a link to /usr/lib/systemd/system/x with no
    // usr/lib/systemd/system in the root).
    return (notes?.sameDirs ?? []).some(within) || (notes?.searched ?? []).some(within);
  };
  if (under(path)) return true;
  try {
    const resolved = resolveInRoot(root, path);
    return resolved !== path && under(resolved);
  } catch {
    return false; // a loop of links: no directory
  }
}

/** Unit types systemd 252 lets have aliases (unit_type_may_alias); all of them but `.device` may be templates too. */
const ALIAS_TYPES: ReadonlySet<string> = new Set(['.service', '.socket', '.target', '.device', '.timer', '.path']);

/**
 * Why systemd 252 refuses `target` as another name of the unit `alias` (unit_validate_alias_symlink_or_warn; its
 * words, as `systemd-analyze verify` logs them), or undefined when it takes it: valid unit names of one type that may
 * have aliases; a plain unit for a plain unit, a template for a template, an instance for an instance of the same
 * instance name or for a template (a device unit is never a template or an instance). A link to its own name is
 * refused too (a self-alias, which systemd ignores in silence).
 */
function aliasRefusal(alias: string, target: string): string | undefined {
  const suffix = alias.slice(alias.lastIndexOf('.'));
  const kind = (unit: string) => (!unit.includes('@') ? 'plain' : isTemplate(unit) ? 'template' : 'instance');
  const shown = quoteUnitName(target);
  if (!isUnitName(alias)) return 'its name is not a valid unit name';
  if (!ALIAS_TYPES.has(suffix)) return `units of type ${suffix.slice(1)} may have no alias`;
  if (kind(alias) !== 'plain' && suffix === '.device') return 'device units may not be templates';
  if (!isUnitName(target)) return `it points to ${shown}, which is not a valid unit name`;
  const targetKind = kind(target);
  if (!(targetKind === kind(alias) || (kind(alias) === 'instance' && targetKind === 'template')))
    return `it points to ${shown}, ${targetKind === 'plain' ? 'a plain unit' : `a${targetKind === 'instance' ? 'n' : ''} ${targetKind}`}, not a ${kind(alias) === 'plain' ? 'plain unit' : kind(alias)} as it is`;
  if (targetKind === 'instance' && instanceOf(alias) !== instanceOf(target)) return `it points to ${shown}, an instance of another instance name`;
  if (target.slice(target.lastIndexOf('.')) !== suffix) return `it points to ${shown}, a unit of another type`;
  if (target === alias) return 'it points to a file of its own name (a self-alias)';
  return undefined;
}

/** A link target's file name as a message shows it: quoted, escaped. */
function quoteUnitName(name: string): string {
  return `"${escapeText(name, 200)}"`;
}

/**
 * Whether `name` is a valid unit name (unit_name_is_valid): under 256
 * characters; letters, digits and `:-_.\`, then for a template or instance
 * an `@` and the instance (which may hold `@` too), then the suffix (its type
 * is checked apart). A loop, not a regular expression: in a fresh process,
 * compiling one costs more than checking a dozen names.
 */
export function isValidUnitName(name: string): boolean {
  return isUnitName(stringArgument('isValidUnitName', 'name', name, 'a unit name (a string)'));
}

/** isValidUnitName without its argument check: the loaders' own use, per directory entry. */
function isUnitName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.length >= 256 || name.charCodeAt(0) === 64) return false;
  for (let index = 0; index < dot; index++) {
    const code = name.charCodeAt(index);
    const letterOrDigit = (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
    // : _ . \ - and @ (the first one starts the instance, and an instance may hold more)
    if (!letterOrDigit && code !== 58 && code !== 95 && code !== 46 && code !== 92 && code !== 45 && code !== 64) return false;
  }
  return true;
}

/**
 * Whether systemd 252 takes the entry `name` of unit directory `dir` for a
 * unit file, by the type of its directory entry, as
 * unit_file_build_name_map() reads it: a regular file or a symbolic link (to
 * anything, or nothing) is taken; a FIFO, directory, socket or device is
 * passed over, and the next entry of the name down the search path is the
 * unit file instead (`systemd-analyze verify` shows it). `gone` when it was
 * removed since the listing. An entry whose type cannot be seen is taken:
 * reading it then says why.
 */
function unitFileEntry(root: string, dir: string, name: string): 'taken' | 'passed over' | 'gone' {
  try {
    const info = lstatSync(join(hostPath(root, dir), name), { throwIfNoEntry: false });
    if (info === undefined) return 'gone';
    return info.isFile() || info.isSymbolicLink() ? 'taken' : 'passed over';
  } catch {
    return 'taken';
  }
}

const dropInEntriesOf = new WeakMap<UnitDirListing, readonly string[]>();

/** The entries of a listing's directories that could be drop-in directories (`*.d`), each once: a few dozen of its hundreds. */
function dropInEntries(listing: UnitDirListing): readonly string[] {
  let entries = dropInEntriesOf.get(listing);
  if (entries === undefined) {
    const found = new Set<string>();
    for (const listed of listing.values()) for (const entry of listed) if (entry.endsWith('.d')) found.add(entry);
    entries = [...found];
    dropInEntriesOf.set(listing, entries);
  }
  return entries;
}

/** The entries of drop-in directory `path` that are not directories; a listing error other than absence is unread. */
function listDropIns(root: string, path: string, unreadable: Unreadable): string[] {
  try {
    // A directory named *.conf is listed, as systemd lists it (conf_files_list reads no entry's type): it is a drop-in
    // systemd reads nothing from, and it hides a drop-in of its name lower in the search path (systemd-analyze verify
    // 252 says "Skipping overridden file" of that one). readConfig says it is skipped. A FIFO is not skipped (systemd
    // 252 blocks opening one): it is refused when read, a problem.
    // Names as bytes: a drop-in whose name is not UTF-8 is still applied by
    // systemd, but a string path cannot open it here, so it is a problem (the
    // verdict unknown), never silently left out.
    const names: string[] = [];
    for (const entry of readdirSync(hostPath(root, path), { withFileTypes: true, encoding: 'buffer' })) {
      if (entry.isDirectory() && entry.name.subarray(-5).toString('latin1') !== '.conf') continue;
      const name = entry.name.toString('utf8');
      if (isUtf8(entry.name)) names.push(name);
      else if (entry.name.subarray(-5).toString('latin1') === '.conf' && entry.name[0] !== 0x2e) {
        const shown = `/${path}/${decodeKeepingBadBytes(entry.name)}`;
        const reason = 'its name is not UTF-8 (systemd applies it, this check cannot open it); rename it';
        noteUnread(unreadable, { kind: 'drop-in', path: shown, name: Buffer.from(entry.name), reason }, `${pathText(shown)}: cannot read: ${reason}`);
      }
    }
    return names;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A loop of links holds no drop-in: systemd reads none from it, without a word (systemd-analyze verify 252 says
    // nothing, and loads the unit with its other drop-ins), so it is skipped, as a drop-in that is a loop is.
    if (code === 'ELOOP') unreadable.skipped.push({ path: `/${path}`, reason: listingError(error) });
    else if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      const reason = listingError(error);
      noteUnread(unreadable, { kind: 'listing', path: `/${path}`, reason }, `/${path}: cannot list drop-ins: ${reason}`);
    }
    return [];
  }
}

/** Why a drop-in that is a socket is skipped (skippedDropInProblem says to remove it: there is no link to fix). */
export const SOCKET_DROP_IN = 'it is a socket, which nobody can open as a file';

/**
 * A drop-in that is a directory (`foo.service.d/x.conf/`): why systemd skips it, and what to do (skippedDropInProblem;
 * `ports systemd --out` says the same of one in DIR). systemd 252 takes it for the drop-in of its name, reads nothing
 * from it and says nothing (systemd-analyze verify lists it as a DropIn Path, applies none of the files in it).
 */
export const DIRECTORY_DROP_IN = {
  reason: 'it is a directory, which systemd reads no drop-in from (not even the files in it)',
  fix: 'if it was meant as a drop-in, make it a file, else rename it without .conf or remove it',
} as const;

/**
 * What to do about a drop-in that is a FIFO, a device or another file that is not regular (neither a directory nor a
 * socket): systemd 252 blocks opening a FIFO (`systemd-analyze verify` hangs on one), so said of the reason, with the fix.
 */
export const NOT_REGULAR_DROP_IN = { why: 'which systemd would block reading', fix: 'make it a regular file, or remove it' } as const;

/** What readConfig reads: a drop-in, with the bytes of its name; else a unit file, with the path of a copy lower in the search path that systemd does not read. */
type ConfigRole = { readonly dropInName: Uint8Array; readonly hides?: string | undefined } | { readonly shadowed: string | undefined };

/**
 * A config file under the root: undefined when absent, text undefined when
 * masked (a symlink to /dev/null, or empty). Absolute symlinks resolve inside the root.
 * One that cannot be read is noted in `unreadable`, as a drop-in or a unit file by its `role`.
 */
function readConfig(root: string, relative: string, unreadable: Unreadable, role: ConfigRole): LoadedFile | undefined {
  const shown = `/${relative}`;
  const dropInName = 'dropInName' in role ? role.dropInName : undefined;
  // A unit file with a copy lower down: said, so that nobody looks for the unit's settings in the copy.
  const shadowed = 'shadowed' in role && role.shadowed !== undefined ? ` (systemd loads the unit from this file, never from /${role.shadowed})` : '';
  const cannotRead = (reason: string, broken = false) =>
    noteUnread(
      unreadable,
      { kind: dropInName ? 'drop-in' : 'file', path: shown, ...(dropInName && { name: dropInName }), reason, ...(broken && { broken: true }) },
      `${shown}: cannot read: ${reason}${shadowed}`,
    );
  // Where the links lead, inside the root, once known.
  let inside: string | undefined;
  try {
    // Links are followed inside the root (files/root.ts): an image's absolute link never reaches the host.
    // Under `/` the kernel follows them rightly, so only a unit file that is a link (a mask, perhaps) costs the walk.
    const given = join(root, relative);
    inside = root === '/' && !lstatSync(given).isSymbolicLink() ? shown : resolveInRoot(root, relative);
    // Masked: a link to /dev/null, directly or through other links (an image need not have /dev/null itself).
    if (inside === '/dev/null') return { path: shown, text: undefined };
    const path = join(root, inside);
    // Never blocks: a FIFO or device is refused at once, and no unit is read past 1 MiB.
    // Bytes that are not UTF-8 kept as such (shown as \xNN, never all as one U+FFFD): systemd ignores an assignment holding them.
    const text = decodeKeepingBadBytes(
      unreadable.userFiles ? readRootSafeFileBytes(given, { maxBytes: MAX_UNIT_BYTES }) : readFileBytes(path, { maxBytes: MAX_UNIT_BYTES }),
    );
    return { path: shown, text: text === '' ? undefined : text };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = error instanceof FileReadError ? error.kind === 'missing' : code === 'ENOENT' || code === 'ENOTDIR';
    // Said with the root it is under: "/etc/hostname does not exist" would be false of the host's.
    const under = root === '/' ? '' : ` under ${escapeText(root)}`;
    const link = inside !== undefined && inside !== shown ? inside : undefined;
    const leadsNowhere = link !== undefined ? `it leads to ${pathText(link)}, which does not exist${under}` : undefined;
    // A drop-in systemd cannot open either, whoever runs it (a loop of links, a link to nothing): it reads nothing from
    // it and goes on (unit_load_dropin() passes config_parse() no flags: not even a warning), and the unit loads. A
    // certainty, not an unknown; a drop-in of its name lower down is not read instead (checked with systemd-analyze verify).
    // So is a socket: open(2) of one fails (ENXIO) for root too, and systemd logs that and goes on.
    const kind = dropInName !== undefined && !missing ? statOrUndefined(join(root, inside ?? shown)) : undefined;
    const socket = kind?.isSocket() === true;
    // A directory of a drop-in's name (`x.conf/`): systemd reads nothing from it, whoever runs it, and goes on.
    const directory = kind?.isDirectory() === true;
    if (dropInName && 'dropInName' in role && (code === 'ELOOP' || socket || directory || (missing && leadsNowhere !== undefined))) {
      const reason = code === 'ELOOP' ? listingError(error) : socket ? SOCKET_DROP_IN : directory ? DIRECTORY_DROP_IN.reason : leadsNowhere!;
      unreadable.skipped.push({ path: shown, reason, ...(role.hides !== undefined && { hides: role.hides }) });
    }
    // A unit file that is a loop of links: systemd's fopen() fails with ELOOP as this read does, whoever runs it.
    // Too large: said as every reader of units says it (UNIT_TOO_LARGE).
    else if (error instanceof FileReadError && error.kind === 'too-large') cannotRead(UNIT_TOO_LARGE);
    // A FIFO or a device as a drop-in: what it sets is not known here, and systemd would block reading it.
    else if (dropInName && error instanceof FileReadError && error.kind === 'not-regular')
      cannotRead(`${error.reason}, ${NOT_REGULAR_DROP_IN.why}; ${NOT_REGULAR_DROP_IN.fix}`);
    else if (!missing) cannotRead(listingError(error), !dropInName && code === 'ELOOP');
    // Listed, yet not there: a link to nothing (or removed since). systemd takes such a unit file as the unit's, and
    // fails to load it: it never reads a lower copy instead. A drop-in removed since the listing is simply not there.
    else if (!dropInName) cannotRead(leadsNowhere ?? 'it is gone (removed after its directory was listed)', leadsNowhere !== undefined);
    return undefined;
  }
}
