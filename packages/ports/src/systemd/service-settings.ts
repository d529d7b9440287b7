// The [Service] settings of one unit as systemd 252 keeps them while it reads
// the unit file and its drop-ins top to bottom: one handler per key, each
// doing what systemd's parser for that key does (append, replace, or clear on
// an empty value). mergeUnit (effective.ts) feeds it the assignments and
// turns what it kept into UnitFacts.
import type {
  BooleanSetting,
  EnvironmentFileFacts,
  EnvironmentSetting,
  ExecSearchPathSetting,
  RootSetting,
  SettingLine,
  StartTimeoutSetting,
  WorkingDirectorySetting,
} from './types.js';
import { parseEnvironmentFile } from './environment-file.js';
import { parseExecSearchPathLine } from './exec-search.js';
import { parseBoolean, parseRootPath } from './root-directory.js';
import { parseTimeSpan } from './time-span.js';
import { parseWorkingDirectory } from './working-directory.js';
import {
  type ExecCommand,
  expandSpecifiers,
  HOST_SPECIFIERS,
  isTrueSetting,
  parseEnvironment,
  parseExec,
  simplifyPath,
  splitWords,
  unknownSpecifier,
} from './words.js';

type ExecSearchIgnored = NonNullable<ExecSearchPathSetting['ignored']>[number];
type ExecSearchUnresolved = NonNullable<ExecSearchPathSetting['unresolved']>;

/** The unit whose specifiers (`%n`, `%i`, `%H`...) the settings resolve: its name, and the host's values the caller gave. */
export interface SpecifierUnit {
  readonly name: string;
  readonly host?: Readonly<Record<string, string>>;
}

/** Where an assignment was read. */
export interface SettingAt {
  readonly file: string;
  readonly line: number;
}

/** One command of an ExecStartPre= or ExecStart= line, with the line that gave it. */
export interface KeptCommand extends SettingAt {
  readonly value: string;
  readonly command: ExecCommand;
}

/**
 * What reading one EnvironmentFile= gave, by its path on the machine: its
 * bytes, that it is not there, or why it could not be read. The caller reads
 * the files (the `environmentFiles` of a first merge) and passes this in.
 */
export type EnvironmentFileRead = { readonly bytes: Uint8Array } | { readonly missing: true } | { readonly problem: string };

/** An EnvironmentFile= line as the merge keeps it: its value with specifiers resolved, and where it was given. */
interface EnvironmentFileLine extends SettingAt {
  readonly path: string;
  readonly optional: boolean;
  /** A host specifier (`%H`) the caller gave no value for: the path is not known. */
  readonly unresolved?: string;
}

/** ExecSearchPath= as systemd stores it (parseExecSearchPathLine: each line appends what systemd keeps of it, an empty one clears). */
interface KeptSearchPath {
  readonly dirs: string[];
  readonly lines: SettingLine[];
  readonly ignored: ExecSearchIgnored[];
  unresolved?: ExecSearchUnresolved;
  last: SettingAt;
}

/** Restart= values (systemd.service(5)). */
const RESTART_VALUES: ReadonlySet<string> = new Set(['no', 'on-success', 'on-failure', 'on-abnormal', 'on-watchdog', 'on-abort', 'always']);

/** KillMode= values (systemd.kill(5)). */
const KILL_MODES: ReadonlySet<string> = new Set(['control-group', 'process', 'mixed', 'none']);

/**
 * A word RestartForceExitStatus= takes (checked with systemd-analyze verify, 252): a status of 0 to 255, a signal in
 * capitals with or without SIG (`TERM`, `SIGTERM`, `RTMIN+2`), or an exit status name (`FAILURE`); `abc`, `sigterm`
 * and `300` are ignored.
 */
function isExitStatusWord(word: string): boolean {
  return /^\d+$/.test(word) ? Number(word) <= 255 : /^(?:SIG)?[A-Z][A-Z0-9]*(?:\+\d+)?$/.test(word);
}

/** SuccessAction= values (systemd.unit(5)), a [Unit] setting. */
const SUCCESS_ACTIONS: ReadonlySet<string> = new Set([
  'none',
  'exit',
  'exit-force',
  'reboot',
  'reboot-force',
  'reboot-immediate',
  'poweroff',
  'poweroff-force',
  'poweroff-immediate',
  'halt',
  'halt-force',
  'halt-immediate',
  'kexec',
  'kexec-force',
  'kexec-immediate',
  'soft-reboot',
  'soft-reboot-force',
]);

/** Pure: SuccessAction= (in [Unit]) as systemd keeps it after `value`: set by any action but none; a word it does not know is ignored. */
export function successActionAfter(current: boolean, value: string): boolean {
  return SUCCESS_ACTIONS.has(value) ? value !== 'none' : current;
}

/** systemd's service types (systemd.service(5), Type=; notify-reload since 253). */
const SERVICE_TYPES: ReadonlySet<string> = new Set(['simple', 'exec', 'forking', 'oneshot', 'dbus', 'notify', 'notify-reload', 'idle']);

/** Characters that make glob(3), which systemd runs on each EnvironmentFile= path, more than a plain path. */
const GLOB = /[*?[\\]/;

/**
 * A key's handler: applies one assignment to the settings; returns why
 * systemd stops reading the file there (a command, directory or path it
 * refuses: the unit file does not load, a drop-in's reading ends), or
 * undefined.
 */
type Handler = (settings: ServiceSettings, value: string, at: SettingAt) => string | undefined;

/** The [Service] settings read so far, as systemd keeps them. Keys it does not model are ignored. */
export class ServiceSettings {
  execStartPre: KeptCommand[] = [];
  /** ExecStart= as systemd keeps it: each line's commands appended, an empty line dropping every earlier one. */
  execStart: KeptCommand[] = [];
  /** The last empty ExecStartPre=, which dropped every earlier one. */
  execStartPreCleared: SettingAt | undefined;
  /** The last empty ExecStart=, which dropped every earlier one. */
  execStartCleared: SettingAt | undefined;
  /**
   * What service_verify() needs: how many ExecStart= and ExecStop= commands, SuccessAction= (a [Unit] setting, which
   * mergeUnit passes in), Type= as given (undefined: systemd infers it, effectiveType), RemainAfterExit=, Restart=,
   * RestartForceExitStatus=, ExitType=, BusName=, PAMName=, KillMode=.
   */
  readonly count = { ExecStart: 0, ExecStop: 0 };
  successAction = false;
  type: string | undefined;
  remainAfterExit = false;
  restart = 'no';
  restartForceStatus = false;
  exitType = 'main';
  busName = false;
  pamName = false;
  killMode = 'control-group';
  readonly environment = new Map<string, EnvironmentSetting>();
  environmentFileLines: EnvironmentFileLine[] = [];
  /** UnsetEnvironment= words (NAME, or NAME=VALUE), in order; an empty line resets the list. */
  unsetEnvironment: string[] = [];
  passEnvironment: EnvironmentSetting[] = [];
  execSearchPath: KeptSearchPath | undefined;
  workingDirectory: WorkingDirectorySetting | undefined;
  /** RootDirectory=, RootImage= (the last non-empty line; an empty one resets). */
  readonly roots: { RootDirectory?: RootSetting | undefined; RootImage?: RootSetting | undefined } = {};
  /** RootDirectoryStartOnly=, MountAPIVFS=. */
  readonly booleans: { RootDirectoryStartOnly?: BooleanSetting | undefined; MountAPIVFS?: BooleanSetting | undefined } = {};
  /** BindPaths= and the other settings that mount into the root (MOUNT_KEYS): the last line of each, in the order read, an empty one resetting its key. */
  readonly mounts = new Map<string, EnvironmentSetting>();
  /** PrivateTmp=, ProtectHome=, DynamicUser=: the last valid line of each (hiddenPaths). */
  readonly hiders = new Map<HiderKey, EnvironmentSetting>();
  /** InaccessiblePaths=: its lines since the last empty one (hiddenPaths). */
  inaccessible: EnvironmentSetting[] = [];
  /** TemporaryFileSystem=, BindPaths= and BindReadOnlyPaths=: their lines since the last empty one of each (MOUNT_RESETS), each value with its key (hiddenPaths). */
  overmounts: EnvironmentSetting[] = [];
  user: EnvironmentSetting | undefined;
  dynamicUser = false;
  readonly sockets: EnvironmentSetting[] = [];
  startTimeout: StartTimeoutSetting | undefined;

  constructor(readonly unit: SpecifierUnit) {}

  /**
   * Type= as systemd runs the service (service_add_extras): as given, else dbus with a BusName=, simple with an
   * ExecStart=, oneshot with neither.
   */
  effectiveType(): string {
    return this.type ?? (this.busName ? 'dbus' : this.count.ExecStart > 0 ? 'simple' : 'oneshot');
  }

  /** Apply one [Service] assignment; returns why systemd stops reading the file there, or undefined. */
  assign(key: string, value: string, at: SettingAt): string | undefined {
    // A Map, not an object: a key read from a file (`constructor`, `__proto__`) must never find a handler.
    return HANDLERS.get(key)?.(this, value, at);
  }

  /**
   * The environment each command gets: beneath everything the manager's
   * DefaultEnvironment=, then Environment= (which an empty one of the unit's
   * never clears from the default), then the EnvironmentFile= files in order
   * (their outcomes returned), and UnsetEnvironment= last, undoing any of
   * them (exec_child merges them in that order).
   */
  compileEnvironment(
    defaultEnvironment: ReadonlyMap<string, EnvironmentSetting> | undefined,
    read: ((path: string) => EnvironmentFileRead | undefined) | undefined,
  ): { environment: Map<string, EnvironmentSetting>; environmentFiles: EnvironmentFileFacts[] } {
    const environment = new Map([...(defaultEnvironment ?? []), ...this.environment]);
    const environmentFiles = applyEnvironmentFiles(this.environmentFileLines, read, environment);
    // systemd.exec(5): a name removes the variable, NAME=VALUE only that exact assignment.
    for (const word of this.unsetEnvironment) {
      const equals = word.indexOf('=');
      if (equals < 0) environment.delete(word);
      else if (environment.get(word.slice(0, equals))?.value === word.slice(equals + 1)) environment.delete(word.slice(0, equals));
    }
    return { environment, environmentFiles };
  }
}

/** ExecStartPre=, ExecStart=, ExecStop=: an empty value drops every earlier command (ExecStop= and ExecStart= only counted for service_verify()). */
function exec(key: 'ExecStartPre' | 'ExecStart' | 'ExecStop'): Handler {
  return (settings, value, at) => {
    if (value === '') {
      if (key === 'ExecStartPre') {
        settings.execStartPre = [];
        settings.execStartPreCleared = at;
      } else {
        settings.count[key] = 0;
        if (key === 'ExecStart') {
          settings.execStart = [];
          settings.execStartCleared = at;
        }
      }
      return undefined;
    }
    const parsed = parseExec(value, undefined, settings.unit);
    const kept = parsed.commands.map((command) => ({ ...at, value, command }));
    if (key === 'ExecStartPre') settings.execStartPre.push(...kept);
    else settings.count[key] += kept.length;
    if (key === 'ExecStart') settings.execStart.push(...kept);
    return parsed.error === undefined ? undefined : `${key}=: ${parsed.error}`;
  };
}

/**
 * The [Service] settings that mount something into the unit's root (systemd.exec(5)): a chroot then sees more than
 * its directory. ConfigurationDirectory= implies BindPaths= of the host's /etc/NAME under RootDirectory=; the other
 * *Directory= ones mount state, logs and sockets, not what a daemon is configured by, and are left out.
 */
const MOUNT_KEYS = [
  'BindPaths',
  'BindReadOnlyPaths',
  'TemporaryFileSystem',
  'MountImages',
  'ExtensionImages',
  'ExtensionDirectories',
  'ConfigurationDirectory',
];
/** Keys an empty line of which resets together: either bind list's empty line resets both (systemd.exec(5)). */
/** The MOUNT_KEYS whose paths hiddenPaths says: TemporaryFileSystem= hides what is there, a bind mount puts another file there. */
const OVERMOUNT_KEYS: readonly string[] = ['BindPaths', 'BindReadOnlyPaths', 'TemporaryFileSystem'];

const MOUNT_RESETS: Readonly<Record<string, readonly string[]>> = {
  BindPaths: ['BindPaths', 'BindReadOnlyPaths'],
  BindReadOnlyPaths: ['BindPaths', 'BindReadOnlyPaths'],
};

/** The settings whose lines hiddenPaths reads. */
export type HiderKey = 'PrivateTmp' | 'ProtectHome' | 'DynamicUser';

/** RootDirectory=, RootImage=: the last non-empty line; a path systemd refuses stops the file (config_parse_unit_path_printf, fatal). */
function root(key: 'RootDirectory' | 'RootImage'): Handler {
  return (settings, value, at) => {
    if (value === '') {
      settings.roots[key] = undefined;
      return undefined;
    }
    const parsed = parseRootPath(key, value, settings.unit);
    if (!('setting' in parsed)) return parsed.error;
    settings.roots[key] = { ...parsed.setting, ...at };
    return undefined;
  };
}

/** RootDirectoryStartOnly=, MountAPIVFS=: an empty MountAPIVFS= resets it to systemd's default; a value parse_boolean() refuses is logged and ignored. */
function boolean(key: 'RootDirectoryStartOnly' | 'MountAPIVFS'): Handler {
  return (settings, value, at) => {
    const parsed = parseBoolean(value);
    if (value === '' && key === 'MountAPIVFS') settings.booleans[key] = undefined;
    else if (parsed !== undefined) settings.booleans[key] = { value: parsed, ...at };
    return undefined;
  };
}

/** As systemd's config_parse_service_timeout: either key sets the start timeout, the later line winning; 0 is no limit, as infinity is; a value it cannot parse is logged and ignored. */
function startTimeout(key: 'TimeoutStartSec' | 'TimeoutSec'): Handler {
  return (settings, value, at) => {
    const seconds = parseTimeSpan(value);
    if (seconds !== undefined) settings.startTimeout = { key, value, seconds: seconds === 0 ? Infinity : seconds, ...at };
    return undefined;
  };
}

const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['ExecStartPre', exec('ExecStartPre')],
  ['ExecStart', exec('ExecStart')],
  ['ExecStop', exec('ExecStop')],
  [
    'Environment',
    (settings, value, at) => {
      if (value === '') settings.environment.clear();
      for (const [name, setting] of parseEnvironment(value, settings.unit)) settings.environment.set(name, { value: setting, ...at });
      return undefined;
    },
  ],
  [
    'UnsetEnvironment',
    (settings, value) => {
      if (value === '') settings.unsetEnvironment = [];
      for (const word of splitWords(value)) settings.unsetEnvironment.push(expandSpecifiers(word, settings.unit));
      return undefined;
    },
  ],
  [
    'EnvironmentFile',
    (settings, value, at) => {
      if (value === '') settings.environmentFileLines = [];
      const entry = value === '' ? undefined : environmentFileLine(value, settings.unit, at);
      if (entry) settings.environmentFileLines.push(entry);
      return undefined;
    },
  ],
  [
    'ExecSearchPath',
    (settings, value, at) => {
      // As systemd's config_parse_colon_separated_paths: past an entry the model cannot resolve nothing is known, so later lines add nothing.
      if (value === '') {
        settings.execSearchPath = undefined;
        return undefined;
      }
      const known = settings.execSearchPath ?? { dirs: [], lines: [], ignored: [], last: at };
      settings.execSearchPath = known;
      if (known.unresolved !== undefined) return undefined;
      const parsed = parseExecSearchPathLine(value, settings.unit);
      known.dirs.push(...parsed.dirs);
      if (parsed.dirs.length > 0) {
        known.lines.push({ ...at });
        known.last = at;
      }
      if (parsed.ignored) known.ignored.push({ ...at, ...parsed.ignored });
      if (parsed.unresolved) known.unresolved = { ...at, ...parsed.unresolved };
      return undefined;
    },
  ],
  [
    'WorkingDirectory',
    (settings, value, at) => {
      if (value === '') {
        settings.workingDirectory = undefined;
        return undefined;
      }
      const parsed = parseWorkingDirectory(value, settings.unit);
      if ('setting' in parsed) settings.workingDirectory = { ...parsed.setting, ...at };
      // As a command systemd refuses: the unit file does not load, a drop-in's reading ends (config_parse_working_directory: -ENOEXEC).
      else if (!parsed.missingOk) return parsed.error;
      return undefined;
    },
  ],
  ['RootDirectory', root('RootDirectory')],
  ['RootImage', root('RootImage')],
  ['RootDirectoryStartOnly', boolean('RootDirectoryStartOnly')],
  ...MOUNT_KEYS.map((key): [string, Handler] => [
    key,
    (settings, value, at) => {
      // An empty line resets the list (systemd.exec(5)); otherwise the paths add up, and any of them changes the root's view.
      // The map's order is the lines': the last one read is its last entry.
      const resets = MOUNT_RESETS[key] ?? [key];
      if (value === '') {
        for (const reset of resets) settings.mounts.delete(reset);
        settings.overmounts = settings.overmounts.filter((line) => !resets.some((reset) => line.value.startsWith(`${reset}=`)));
      } else {
        settings.mounts.delete(key);
        settings.mounts.set(key, { value: `${key}=${value}`, ...at });
        if (OVERMOUNT_KEYS.includes(key)) settings.overmounts.push({ value: `${key}=${value}`, ...at });
      }
      return undefined;
    },
  ]),
  ['MountAPIVFS', boolean('MountAPIVFS')],
  // As systemd reads them (a value it refuses is logged and ignored): what they hide is hiddenPaths's to say.
  [
    'PrivateTmp',
    (settings, value, at) => {
      if (parseBoolean(value) !== undefined) settings.hiders.set('PrivateTmp', { value: `PrivateTmp=${value}`, ...at });
      return undefined;
    },
  ],
  [
    'ProtectHome',
    (settings, value, at) => {
      if (parseBoolean(value) !== undefined || value === 'read-only' || value === 'tmpfs')
        settings.hiders.set('ProtectHome', { value: `ProtectHome=${value}`, ...at });
      return undefined;
    },
  ],
  [
    'InaccessiblePaths',
    (settings, value, at) => {
      if (value === '') settings.inaccessible = [];
      else settings.inaccessible.push({ value, ...at });
      return undefined;
    },
  ],
  [
    'PassEnvironment',
    (settings, value, at) => {
      if (value === '') settings.passEnvironment = [];
      for (const name of value.split(/[ \t\n\r]+/)) if (name !== '') settings.passEnvironment.push({ value: name, ...at });
      return undefined;
    },
  ],
  [
    'User',
    (settings, value, at) => {
      settings.user = value === '' ? undefined : { value: expandSpecifiers(value, settings.unit), ...at };
      return undefined;
    },
  ],
  [
    'Sockets',
    (settings, value, at) => {
      // A list of socket units, merged across lines (systemd cannot clear it); words are split, not unquoted, and a
      // name that is not `*.socket` is ignored, as systemd 252 (config_parse_service_sockets) does.
      for (const name of value.split(/[ \t\n\r]+/)) {
        const expanded = expandSpecifiers(name, settings.unit);
        if (expanded.endsWith('.socket') && expanded.length > '.socket'.length) settings.sockets.push({ value: expanded, ...at });
      }
      return undefined;
    },
  ],
  [
    'DynamicUser',
    (settings, value, at) => {
      settings.dynamicUser = isTrueSetting(value);
      if (parseBoolean(value) !== undefined) settings.hiders.set('DynamicUser', { value: `DynamicUser=${value}`, ...at });
      return undefined;
    },
  ],
  ['TimeoutStartSec', startTimeout('TimeoutStartSec')],
  ['TimeoutSec', startTimeout('TimeoutSec')],
  [
    'RemainAfterExit',
    (settings, value) => {
      // Not a boolean (empty too): "Failed to parse boolean value, ignoring" (systemd-analyze verify, 252).
      settings.remainAfterExit = parseBoolean(value) ?? settings.remainAfterExit;
      return undefined;
    },
  ],
  [
    'Restart',
    (settings, value) => {
      // Another word, or an empty one: "Failed to parse service restart specifier, ignoring" (252).
      if (RESTART_VALUES.has(value)) settings.restart = value;
      return undefined;
    },
  ],
  [
    'RestartForceExitStatus',
    (settings, value) => {
      // Empty resets the set; each word that parses (a status 0-255, a signal, an exit status name) is added, the others ignored.
      settings.restartForceStatus = value !== '' && (settings.restartForceStatus || splitWords(value).some(isExitStatusWord));
      return undefined;
    },
  ],
  [
    'ExitType',
    (settings, value) => {
      if (value === 'main' || value === 'cgroup') settings.exitType = value;
      return undefined;
    },
  ],
  [
    'BusName',
    (settings, value) => {
      // An empty one is "Invalid bus name, ignoring": the last name given stays.
      if (value !== '') settings.busName = true;
      return undefined;
    },
  ],
  [
    'PAMName',
    (settings, value) => {
      settings.pamName = value !== '';
      return undefined;
    },
  ],
  [
    'KillMode',
    (settings, value) => {
      // Empty resets it to control-group (systemd-analyze verify, 252: PAMName= with KillMode=process then KillMode= loads).
      if (value === '') settings.killMode = 'control-group';
      else if (KILL_MODES.has(value)) settings.killMode = value;
      return undefined;
    },
  ],
  [
    'Type',
    (settings, value) => {
      // A value systemd does not know, or an empty one, is logged and ignored ("Failed to parse service type,
      // ignoring"): the type stays what it was (systemd-analyze verify, 252).
      if (SERVICE_TYPES.has(value)) settings.type = value;
      return undefined;
    },
  ],
]);

/**
 * One EnvironmentFile= value as systemd 252 stores it (config_parse_unit_env_file):
 * not unquoted; specifiers resolved (an unknown one drops the line); a
 * leading `-` makes the file optional; a path that is not absolute, or that
 * has a `..` part, is dropped. Undefined for a line systemd drops.
 */
function environmentFileLine(value: string, unit: SpecifierUnit, at: SettingAt): EnvironmentFileLine | undefined {
  if (unknownSpecifier(value) !== undefined) return undefined;
  const unresolved = [...value.matchAll(/%([\s\S]?)/g)].find(
    ([, letter]) => letter !== '' && HOST_SPECIFIERS.includes(letter!) && !(unit.host !== undefined && Object.hasOwn(unit.host, letter!)),
  )?.[0];
  const expanded = expandSpecifiers(value, unit);
  const optional = expanded.startsWith('-');
  const written = optional ? expanded.slice(1) : expanded;
  if (!written.startsWith('/') || written.split('/').includes('..')) return undefined;
  return { path: simplifyPath(written), optional, file: at.file, line: at.line, ...(unresolved !== undefined && { unresolved }) };
}

/**
 * Apply the EnvironmentFile= list to `environment`, in order, after every
 * Environment= (so a file's value wins, as systemd.exec(5) says), from what
 * the caller read; each file's outcome is returned.
 */
function applyEnvironmentFiles(
  lines: readonly EnvironmentFileLine[],
  read: ((path: string) => EnvironmentFileRead | undefined) | undefined,
  environment: Map<string, EnvironmentSetting>,
): EnvironmentFileFacts[] {
  return lines.map(({ path, optional, file, line, unresolved }): EnvironmentFileFacts => {
    const facts = { path, optional, file, line };
    if (unresolved !== undefined) return { ...facts, unread: `its path has ${unresolved}, which this check does not resolve` };
    if (GLOB.test(path)) return { ...facts, unread: 'it is a glob (systemd reads every file it matches), which this check does not expand' };
    const got = read?.(path);
    if (got === undefined) return { ...facts, unread: 'not read' };
    if ('problem' in got) return { ...facts, unread: got.problem };
    if ('missing' in got) return { ...facts, failed: 'no such file' };
    const parsed = parseEnvironmentFile(got.bytes);
    if (parsed.error !== undefined) return { ...facts, failed: parsed.error };
    for (const { name, value, line } of parsed.assignments) environment.set(name, { value, file: path, line });
    return { ...facts, ...(parsed.ignored.length > 0 && { ignored: parsed.ignored }) };
  });
}
