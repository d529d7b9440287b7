// The command line a service's unit starts its daemon with: the file it names
// is the config the daemon reads, and its options override that file's
// settings. One reading for every config kind whose program takes them
// (nginx -c, redis-server FILE --port, prometheus --config.file, grafana
// --config).
import { posix } from 'node:path';
import { escapeText, plainPath, type Service } from '@dsa110/ports';
import { commandArgv, environmentDoubt, unreadMaySetExecStart, type ExecLine, type UnreadPart } from '@dsa110/ports/systemd';
import type { Facts, UnitFacts } from '../../types.js';

/** A daemon's command line: the ExecStart= command of the service's unit that runs one of its programs, and the directory it starts in. */
export interface DaemonCommand {
  /** The unit it is in. */
  readonly unit: string;
  /** The command, with the file and line that gave it; `argv` as the program gets it ($VAR expanded). */
  readonly line: ExecLine;
  /**
   * The directory the program starts in (WorkingDirectory=, else systemd's `/`), which a relative path it is given
   * is read from; undefined when the model does not know it (`~`, a host specifier with no value here, a part of the
   * unit not read, which may set WorkingDirectory=).
   */
  readonly cwd?: string;
  /**
   * The RootDirectory= the program runs chrooted in, as the root the units are for names it: every path it opens (its
   * executable, its config files, `cwd`) is under it (commandPath). Absent on that root itself.
   */
  readonly root?: string;
  /**
   * Why no file it opens can be looked at here, in words: it runs inside RootImage= (not opened here), or chrooted in
   * a RootDirectory= with a specifier not resolved here. commandPath then tells no path; its words still stand.
   */
  readonly rootUnknown?: string;
}

/**
 * Where a unit's ExecStart= runs (systemd.exec(5); RootDirectoryStartOnly= leaves ExecStart= chrooted, and `+` does
 * not lift the root either, root-directory.ts says why): on the root the units are for (undefined), chrooted in a
 * directory, or inside something this check does not open (RootImage=, which wins over RootDirectory=, or a
 * RootDirectory= with a specifier not resolved here), with the words for it.
 */
function startRoot(unit: Pick<UnitFacts, 'rootDirectory' | 'rootImage' | 'rootMounts'>): { directory: string } | { unknown: CommandUnknown } | undefined {
  const image = unit.rootImage;
  const setting = image ?? unit.rootDirectory;
  if (setting === undefined) return undefined;
  const where = escapeText(`${setting.file}:${setting.line}`, 500);
  if (image !== undefined)
    return {
      unknown: {
        reason: `its ExecStart= runs inside RootImage=${escapeText(image.value, 200)} (${where}), which this check does not open`,
        file: image.file,
        line: image.line,
      },
    };
  if (setting.path === undefined)
    return {
      unknown: {
        reason: `its ExecStart= runs chrooted in RootDirectory=${escapeText(setting.value, 200)} (${where}), whose ${setting.unresolved ?? 'specifier'} this check does not resolve`,
        file: setting.file,
        line: setting.line,
      },
    };
  const mounts = unit.rootMounts;
  // Bind mounts and the like put files of elsewhere into the chroot: which file a path there is, is not read here.
  if (mounts !== undefined && setting.path !== '/')
    return {
      unknown: {
        reason: `its ExecStart= runs chrooted in RootDirectory=${escapeText(setting.value, 200)} (${where}), into which ${escapeText(mounts.value, 200)} (${escapeText(`${mounts.file}:${mounts.line}`, 500)}) mounts files this check does not follow`,
        file: mounts.file,
        line: mounts.line,
      },
    };
  return setting.path === '/' ? undefined : { directory: setting.path.replace(/\/+$/, '') };
}

/**
 * Pure: `path`, an argument of `command` (or a default it opens), as the root the units are for names the file the
 * program opens: from the directory it starts in (pathFromCwd), under the RootDirectory= it runs chrooted in (`..`
 * stops at that directory, as in the chroot). Undefined when it cannot be told (relative, from a directory not known).
 */
export function commandPath(command: Pick<DaemonCommand, 'cwd' | 'root' | 'rootUnknown'>, path: string): string | undefined {
  if (command.rootUnknown !== undefined) return undefined;
  const inside = pathFromCwd(path, command.cwd);
  if (inside === undefined || command.root === undefined) return inside;
  return underRoot(command.root, inside);
}

/** Pure: absolute `path` as a program chrooted in `root` opens it: under `root`, a `..` stopping at it as in the chroot (a trailing `/` kept). */
export function underRoot(root: string, path: string): string {
  return posix.join(root, posix.resolve('/', path)) + (path.endsWith('/') && path !== '/' ? '/' : '');
}

/**
 * Pure: the name `command`'s program gives the file `path` (as the root the units are for names it): itself on that
 * root; inside a RootDirectory=, the path below it, or undefined for a file outside it, which the program cannot open.
 */
export function nameInCommand(command: Pick<DaemonCommand, 'root' | 'rootUnknown'>, path: string): string | undefined {
  if (command.rootUnknown !== undefined) return undefined;
  if (command.root === undefined) return path;
  return path.startsWith(`${command.root}/`) ? path.slice(command.root.length) : undefined;
}

/**
 * Pure: the ExecStart= command of `service`'s unit that runs one of `programs` (the executable's base name, as the
 * kernel names the process), when the unit was read and has exactly one such command; undefined otherwise (no unit,
 * a wrapper such as `sh -c` or a script: what it runs is not known here, so nothing is said of it). `programs` may
 * instead be a test of the command (`python3 -m uvicorn` runs uvicorn, though the kernel names it python3).
 */
export function daemonCommand(
  facts: Pick<Facts, 'units'>,
  service: Service,
  programs: readonly string[] | ((line: ExecLine) => boolean),
): DaemonCommand | undefined {
  const name = service.systemd?.unit;
  const unit = name === undefined ? undefined : facts.units.get(name);
  if (unit === undefined || unit.masked || (unit.invalid ?? []).length > 0) return undefined;
  const runs = typeof programs === 'function' ? programs : (line: ExecLine) => programs.includes(line.path.slice(line.path.lastIndexOf('/') + 1));
  const running = (unit.execStart ?? []).filter(runs);
  if (running.length !== 1) return undefined;
  // Inside RootImage= (or a RootDirectory= not resolved here) nothing it opens can be read (commandUnknown says so
  // for a daemon whose files a verdict reads); its words are known all the same.
  const root = startRoot(unit);
  // WorkingDirectory= is a path inside the root (systemd changes to it after the chroot).
  const directory = unit.workingDirectory;
  const cwd = unreadParts(unit).length > 0 ? undefined : directory === undefined ? '/' : directory.path;
  return {
    unit: unit.unit,
    line: running[0]!,
    ...(cwd !== undefined && { cwd }),
    ...(root !== undefined && ('unknown' in root ? { rootUnknown: root.unknown.reason } : { root: root.directory })),
  };
}

/**
 * Why the command line `service`'s unit starts `program` (one of `programs`) with is not known here, though the unit
 * was found: `reason`, a clause to follow "as" (escaped), and where (`file`, and `line`, 0 for a whole file).
 */
export interface CommandUnknown {
  readonly reason: string;
  readonly file: string;
  readonly line: number;
  /** What to do to have it checked, where there is something (a wrapper: run the program itself). */
  readonly fix?: string;
}

/**
 * Pure: why the model cannot know the command line `service`'s unit starts one of `programs` with, where a verdict
 * that reads it would otherwise stand on the config file alone: part of the unit could not be read (a drop-in that is
 * a FIFO, or only root may read) and may reset ExecStart= (unreadMaySetExecStart: it comes after the last empty
 * ExecStart=, or nothing clears it); or the unit has ExecStart= commands but none runs the program itself, or more
 * than one does. A wrapper (`sh -c`, `env`, `taskset`, `nice`, a script) may pass it any arguments, or set its
 * environment and directory (`env -C`, `env -S`): each has its own options, and a wrapper read wrong is a false
 * pass, so none is read. An unread part before the last empty ExecStart= cannot change the command, but may set the
 * environment and directory it runs with: the command is unknown then only when it expands a variable, or when
 * `usesStartDirectory` says the program reads a path of it from the directory it starts in (a relative path: each
 * program's own reading tells). Without `usesStartDirectory` (a program that reads its own environment: Grafana's
 * GF_ variables), any unread part leaves it unknown. Undefined when the command is known (daemonCommand gives it), or
 * no unit, or none with an ExecStart=, was read (then the program's defaults apply, as before).
 */
export function commandUnknown(
  facts: Pick<Facts, 'units'>,
  service: Service,
  programs: readonly string[],
  usesStartDirectory?: (command: DaemonCommand) => boolean,
): CommandUnknown | undefined {
  const name = service.systemd?.unit;
  const unit = name === undefined ? undefined : facts.units.get(name);
  if (unit === undefined || unit.masked || (unit.invalid ?? []).length > 0) return undefined;
  const mayReset = usesStartDirectory === undefined ? unreadParts(unit) : unreadParts(unit, unreadMaySetExecStart(unit));
  if (mayReset.length > 0) return unreadUnitDoubt(unit, mayReset);
  const commands = unit.execStart ?? [];
  if (commands.length === 0) return undefined;
  const program = programs[programs.length - 1]!;
  const running = commands.filter((line) => programs.includes(line.path.slice(line.path.lastIndexOf('/') + 1)));
  if (running.length === 1) {
    const root = startRoot(unit);
    if (root !== undefined && 'unknown' in root) return root.unknown;
    return settingsDoubt(facts, service, programs, usesStartDirectory);
  }
  if (running.length === 0) {
    const [first] = commands;
    const runs = escapeText(first!.path, 200);
    return {
      reason: `its ExecStart= runs ${runs}, not ${program} itself, and what that runs, with which arguments, is not read`,
      file: first!.file,
      line: first!.line,
      fix: `run ${program} itself in ExecStart= to have it checked (Environment=, Nice=, CPUAffinity= and IOSchedulingClass= in the unit do what env, nice, taskset and ionice do)`,
    };
  }
  const places = running.map((line) => escapeText(`${line.file}:${line.line}`, 500)).join(', ');
  return {
    reason: `its ExecStart= runs ${program} ${running.length} times (${places}), and which one serves is not known`,
    file: running[0]!.file,
    line: running[0]!.line,
  };
}

/**
 * The unread parts before the last empty ExecStart= (commandUnknown: none after it), which cannot change the command
 * but may set the variables it expands or the directory it starts in: why the command is not known when it uses
 * either; undefined when it uses neither, or there is no such part.
 */
function settingsDoubt(
  facts: Pick<Facts, 'units'>,
  service: Service,
  programs: readonly string[],
  usesStartDirectory: ((command: DaemonCommand) => boolean) | undefined,
): CommandUnknown | undefined {
  const command = daemonCommand(facts, service, programs);
  const unit = command && facts.units.get(command.unit);
  if (command === undefined || unit === undefined || unreadParts(unit).length === 0) return undefined;
  const variables = commandVariables(command.line).length > 0;
  // Read from a start directory not known (daemonCommand: none while a part is unread) it would be unknown: so it is relative.
  if (!variables && !usesStartDirectory?.(command)) return undefined;
  const doubt = unreadUnitDoubt(unit)!;
  const cleared = unit.execStartCleared!;
  const uses = variables
    ? 'the variables its command expands (Environment=, EnvironmentFile=)'
    : 'the directory a relative path of its command is read from (WorkingDirectory=)';
  return {
    ...doubt,
    reason: `part of ${escapeText(unit.unit, 200)} cannot be read, ${namedParts(unreadParts(unit))}: it comes before the empty ExecStart= at ${escapeText(`${cleared.file}:${cleared.line}`, 500)}, so cannot change the command, but may set ${uses}`,
  };
}

/** The unread parts of `unit` systemd may read (of `parts`, by default all): not a unit file or drop-in it cannot open either (`broken`). */
function unreadParts(unit: Pick<UnitFacts, 'unread'>, parts: readonly UnreadPart[] = unit.unread ?? []): UnreadPart[] {
  return parts.filter((part) => part.broken !== true);
}

/** Each part, named with what it is and why it could not be read, for a message. */
function namedParts(parts: readonly UnreadPart[]): string {
  const kinds = { file: 'its unit file', 'drop-in': 'a drop-in of it', listing: 'a directory that may hold a drop-in of it' } as const;
  return parts.map((part) => `${escapeText(part.path, 500)} (${kinds[part.kind]}: ${escapeText(part.reason, 300)})`).join('; ');
}

/**
 * Pure: why the unit's merged settings are not all known: the parts of it this check could not read (a drop-in that is
 * a FIFO, larger than it reads, or only root may read; a unit directory it could not list), which systemd, as root, may
 * read, and which may set ExecStart=, Environment= or WorkingDirectory= (`parts`: those, of all unread, to name).
 * Not a unit file systemd cannot open either (`broken`: the unit does not load, the systemd check's error), nor a
 * drop-in it skips (it reads nothing from it).
 */
export function unreadUnitDoubt(unit: Pick<UnitFacts, 'unit' | 'unread'>, parts: readonly UnreadPart[] = unreadParts(unit)): CommandUnknown | undefined {
  if (parts.length === 0) return undefined;
  return {
    reason: `part of ${escapeText(unit.unit, 200)} cannot be read, ${namedParts(parts)}, and may set its ExecStart= or the environment it runs in`,
    file: parts[0]!.path,
    line: 0,
  };
}

/**
 * Pure: `path` as a program started in `cwd` opens it: absolute as it is, relative joined to `cwd` (undefined when
 * `cwd` is not known), with `.` and empty segments dropped.
 */
export function pathFromCwd(path: string, cwd: string | undefined): string | undefined {
  if (path.startsWith('/')) return plainPath(path);
  if (cwd === undefined) return undefined;
  return plainPath(`${cwd.endsWith('/') ? cwd : `${cwd}/`}${path}`).replace(/\/\.$/, '');
}

/** Where a command line finding is: the unit file (or drop-in) and line that gave the command. */
export function commandAt(command: DaemonCommand): { readonly file: string; readonly line: number } {
  return { file: command.line.file, line: command.line.line };
}

/**
 * The variables one ExecStart= word expands, as systemd 252 does (replace_env_argv): a word that is `$NAME` alone,
 * else each `${NAME}` in it (`$$` a literal `$`; `${NAME:...}` stays as written). The one reading of which variables
 * a command uses, for every daemon's.
 */
export function wordVariables(word: string): string[] {
  if (word.startsWith('$') && word[1] !== '{' && word[1] !== '$') return [word.slice(1)];
  const names: string[] = [];
  for (let at = word.indexOf('$'); at >= 0; at = word.indexOf('$', at + 1)) {
    if (word[at + 1] === '$') at++;
    else if (word[at + 1] === '{') {
      const close = word.indexOf('}', at + 2);
      if (close < 0) break;
      const name = word.slice(at + 2, close);
      if (!name.includes(':')) names.push(name);
      at = close;
    }
  }
  return names;
}

/** The unit's variable an argument of a command came from, and where the unit's environment sets it (nowhere: systemd expands it to nothing). */
export interface VariableOrigin {
  readonly variable: string;
  /** The reference as the ExecStart= word writes it, for a message: `$ARGS` (a word of its own, split into words) or `${ARGS}` (in a word). */
  readonly written: string;
  readonly set?: { readonly file: string; readonly line: number };
}

/** An argument as the program gets it: its value, the ExecStart= word it came from (its index among the arguments as written), and the variable that gave it. */
export interface ExpandedArgument {
  readonly value: string;
  readonly word: number;
  readonly from?: VariableOrigin;
}

/**
 * Pure: the command's arguments (argv after argv[0]) as systemd expands them (commandArgv), word by word, so each
 * knows the written word and variable it came from: `--port $ARGS` with ARGS="7001 --bind ::1" is `--port` (the
 * line's), then `7001`, `--bind`, `::1` (ARGS's, word 1); an unset or empty `$ARGS` gives no argument at all, so a
 * flag before it takes the next word, or none. The one reading of a command's expansion for every daemon's.
 */
export function expandedArguments(facts: Pick<Facts, 'units'>, command: DaemonCommand): ExpandedArgument[] {
  const { line } = command;
  const environment = facts.units.get(command.unit)?.environment ?? new Map();
  const values = new Map([...environment].map(([name, setting]) => [name, setting.value]));
  return line.words.slice(1).flatMap((written, word) => {
    const variable = line.prefixes.includes(':') ? [] : wordVariables(written);
    const setting = variable.length === 1 ? environment.get(variable[0]!) : undefined;
    const name = variable[0]!;
    const from: VariableOrigin | undefined =
      variable.length === 1
        ? { variable: name, written: written === `$${name}` ? written : `\${${name}}`, ...(setting && { set: { file: setting.file, line: setting.line } }) }
        : undefined;
    return commandArgv({ prefixes: line.prefixes, path: line.path, words: [line.words[0]!, written] }, values)
      .slice(1)
      .map((value) => ({ value, word, ...(from && { from }) }));
  });
}

/** The variables a command expands (wordVariables of each argument); none with the `:` prefix, with which systemd expands nothing. */
export function commandVariables(line: Pick<ExecLine, 'prefixes' | 'words'>): string[] {
  return line.prefixes.includes(':') ? [] : line.words.slice(1).flatMap(wordVariables);
}

/**
 * Pure: why the command's arguments cannot be told, when a variable they expand (commandVariables) may be set by an
 * EnvironmentFile= of the unit that cannot be read (environmentDoubt), or may be passed by the service manager
 * (PassEnvironment=, the unit setting no value of its own); undefined when they can. The argv then holds what the
 * readable files give, which may not be what the daemon gets.
 */
export function commandDoubt(facts: Pick<Facts, 'units'>, command: DaemonCommand): string | undefined {
  const unit = facts.units.get(command.unit);
  const names = commandVariables(command.line);
  if (unit === undefined || names.length === 0) return undefined;
  const passed = (unit.passEnvironment ?? []).filter((setting) => names.includes(setting.value) && !unit.environment.has(setting.value));
  const doubts = [
    environmentDoubt(unit, names),
    ...passed.map(
      (setting) =>
        `the service manager may pass ${escapeText(setting.value, 200)} (PassEnvironment= at ${escapeText(`${setting.file}:${setting.line}`, 500)}), whose value is not known here`,
    ),
  ].filter((doubt) => doubt !== undefined);
  return doubts.length > 0 ? doubts.join('; ') : undefined;
}

/**
 * Whether two paths are one file under the root: the same path (simplified), or both the one file by device and
 * inode (a link to it is it; daemonFiles, gathered for the files a daemon's command line names and the registry's
 * files they are held against). False when either could not be looked at: then they are not known to be one.
 */
export function sameFile(facts: Pick<Facts, 'daemonFiles'>, one: string, other: string): boolean {
  // Two relative paths are none the same by name (pathFromCwd gives undefined for each): only by device and inode.
  const path = pathFromCwd(one, undefined);
  if (path !== undefined && path === pathFromCwd(other, undefined)) return true;
  const id = facts.daemonFiles?.get(one)?.id;
  return id !== undefined && id === facts.daemonFiles?.get(other)?.id;
}
