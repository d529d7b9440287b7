// Whether systemd would restart a unit's process after claim-port kills it:
// the unit's effective Restart=. `systemctl show` is asked where systemd runs;
// elsewhere (a container, an image build) the unit file and its drop-ins are
// read with the core systemd model, loadUnit() (../systemd/effective.ts): the
// one drop-in search and order that `ports systemd --check` and the health
// check use (template, dash prefixes, type-wide `service.d`, hidden files and
// FIFOs skipped, masked units). Only Restart= is taken from them here.
// $SYSTEMD_UNIT_PATH (systemd's own: colon-separated, a trailing colon appends
// the defaults) replaces the search path.
import { existsSync } from 'node:fs';
import { listUnitDirs, loadUnit, loadUserUnit, type LoadedUnit } from '../systemd/effective.js';
import { readSystemFileBytes } from '../files/read.js';
import { MAX_PROC_FILE_BYTES } from '../limits.js';
import { UNIT_DIRS } from '../systemd/search-path.js';
import { parseUnitFile } from '../systemd/unit-file.js';
import { envArgument, nonEmptyStringArgument, stringArgument, uidArgument } from '../arguments.js';
import { escapeText } from '../escape.js';
import { passwdEntries } from './users.js';

/** Pure: the unit directories, highest priority first, from $SYSTEMD_UNIT_PATH or the defaults (the core's UNIT_DIRS under /). */
export function unitSearchPath(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  envArgument('unitSearchPath', env);
  const defaults = UNIT_DIRS.map((dir) => `/${dir}`);
  const given = env.SYSTEMD_UNIT_PATH;
  if (given === undefined || given === '') return defaults;
  const dirs = given.split(':').filter((dir) => dir !== '');
  return given.endsWith(':') ? [...dirs, ...defaults] : dirs;
}

/**
 * The values systemd takes for Restart= (service_restart_from_string: as written, case and all). It ignores any other
 * value, an empty one too, with "Failed to parse service restart specifier, ignoring", and keeps the one before:
 * `Restart=` after `Restart=always` still restarts.
 */
const RESTART_VALUES: ReadonlySet<string> = new Set(['no', 'on-success', 'on-failure', 'on-abnormal', 'on-watchdog', 'on-abort', 'always']);

/** Pure: the last `Restart=` of the [Service] section in unit-file text that systemd takes (RESTART_VALUES), undefined when none. */
export function restartSetting(text: string): string | undefined {
  stringArgument('restartSetting', 'text', text, 'the text of a unit file');
  // The core systemd model's reading of the file (continuations, comments, line ends as systemd 252).
  return parseUnitFile(text)
    .filter((assignment) => assignment.section === 'Service' && assignment.key === 'Restart' && RESTART_VALUES.has(assignment.value))
    .at(-1)?.value;
}

export interface RestartPolicy {
  /** `no`, `always`, `on-failure`, ...: the effective Restart=, `no` when unset. */
  readonly restart: string;
  /** Where it was read: `systemctl show`, or the file that set it. */
  readonly source: string;
  /**
   * What kept some of the unit's files from being read (`/etc/systemd/system/api.service: cannot read: it is a FIFO (named pipe), not a
   * regular file`, one line each, as loadUnit gives them): `restart` is then from the files that could be read, or systemd's default
   * `no` when none could, and may not be what systemd runs the unit with. Absent when every file was read.
   */
  readonly problems?: readonly string[];
}

/** Pure: whether a unit with this Restart= restarts its process after SIGTERM or SIGKILL. */
export function restartsAfterKill(restart: string): boolean {
  stringArgument('restartsAfterKill', 'restart', restart, 'a Restart= value (a string)');
  return restart !== 'no' && restart !== '';
}

/**
 * Pure: the effective Restart= of a loaded unit (its file, then its drop-ins,
 * in the order loadUnit() gives them); undefined when there is neither a unit
 * file nor a drop-in, nor a problem reading one. A masked unit cannot be
 * started, so it restarts nothing. The load's problems (a unit file that is a
 * FIFO, a directory, too large, unreadable) are kept in `problems`: the value
 * is then a guess, and the caller says so.
 */
export function restartOf(loaded: LoadedUnit): RestartPolicy | undefined {
  const problems = loaded.problems.length > 0 ? { problems: [...loaded.problems] } : {};
  if (loaded.file === undefined && loaded.dropIns.length === 0) {
    return loaded.problems.length === 0 ? undefined : { restart: 'no', source: "systemd's default, as no file of the unit could be read", ...problems };
  }
  if (loaded.file !== undefined && loaded.file.text === undefined) return { restart: 'no', source: `${loaded.file.path} (masked)`, ...problems };
  let policy: RestartPolicy = { restart: 'no', source: 'the default (no Restart= set)' };
  for (const file of [loaded.file, ...loaded.dropIns]) {
    const value = file?.text === undefined ? undefined : restartSetting(file.text);
    if (value !== undefined) policy = { restart: value, source: file!.path };
  }
  return { ...policy, ...problems };
}

/**
 * The effective Restart= of `unit` from its files, or undefined when no unit
 * file or drop-in is found (and none failed to read): under `root` (default /)
 * with the core model's search path, or in $SYSTEMD_UNIT_PATH's directories
 * when it is set. Files that could not be read are in `problems`.
 */
export function readRestartFromFiles(unit: string, env: Readonly<Record<string, string | undefined>> = process.env, root = '/'): RestartPolicy | undefined {
  nonEmptyStringArgument('readRestartFromFiles', 'unit', unit, 'a unit name (a non-empty string)');
  envArgument('readRestartFromFiles', env);
  nonEmptyStringArgument('readRestartFromFiles', 'root', root, 'a directory (default /)');
  const given = env.SYSTEMD_UNIT_PATH;
  // A directory of $SYSTEMD_UNIT_PATH that cannot be listed may hold the unit: a problem too.
  const listed: string[] = [];
  const listing = given === undefined || given === '' ? undefined : listUnitDirs(root, listed, unitSearchPath(env));
  const loaded = loadUnit(root, unit, listing);
  return restartOf(listed.length === 0 ? loaded : { ...loaded, problems: [...listed, ...loaded.problems] });
}

/** Whether systemd is the running service manager (sd_booted(3)). */
export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}

/** The effective Restart= of a system unit: `systemctl show` where systemd runs, else its files. */
export async function readRestartPolicy(unit: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<RestartPolicy | undefined> {
  nonEmptyStringArgument('readRestartPolicy', 'unit', unit, 'a unit name (a non-empty string)');
  envArgument('readRestartPolicy', env);
  if (systemdRunning() && env.SYSTEMD_UNIT_PATH === undefined) {
    const { execFile } = await import('node:child_process');
    const shown = await new Promise<string | undefined>((resolve) => {
      execFile('systemctl', ['show', '--property=Restart', '--value', '--', unit], { timeout: 5000 }, (error, stdout) =>
        resolve(error ? undefined : stdout.trim()),
      );
    });
    if (shown) return { restart: shown, source: 'systemctl show' };
  }
  return readRestartFromFiles(unit, env);
}

/**
 * Pure: the unit directories of the service manager of `uid` (`systemd --user`, user@UID.service), highest priority
 * first, as systemd's user_dirs() builds them (systemd.unit(5), "User Unit Search Path") with the XDG defaults:
 * its $XDG_CONFIG_HOME, $XDG_DATA_HOME and $XDG_RUNTIME_DIR are its own environment's, which no other process can
 * read, so `home`'s ~/.config, ~/.local/share and /run/user/UID stand for them. Without `home` (no passwd entry),
 * the directories under it are left out.
 */
export function userUnitSearchPath(uid: number, home?: string): string[] {
  uidArgument('userUnitSearchPath', uid);
  if (home !== undefined) nonEmptyStringArgument('userUnitSearchPath', 'home', home, 'a directory (a non-empty string) or left out');
  const runtime = `/run/user/${uid}/systemd`;
  const inHome = (dir: string) => (home === undefined ? [] : [`${home.replace(/\/+$/, '')}/${dir}`]);
  return [
    ...inHome('.config/systemd/user.control'),
    `${runtime}/user.control`,
    `${runtime}/transient`,
    `${runtime}/generator.early`,
    ...inHome('.config/systemd/user'),
    '/etc/xdg/systemd/user',
    '/etc/systemd/user',
    `${runtime}/user`,
    '/run/systemd/user',
    `${runtime}/generator`,
    ...inHome('.local/share/systemd/user'),
    '/usr/local/share/systemd/user',
    '/usr/share/systemd/user',
    '/usr/local/lib/systemd/user',
    '/usr/lib/systemd/user',
    `${runtime}/generator.late`,
  ];
}

/** Pure: the home directory of `uid` in passwd(5) text (its first entry, as getpwuid reads: passwdEntries), or undefined when it has none or a relative one. */
export function homeOf(uid: number, passwd: string): string | undefined {
  uidArgument('homeOf', uid);
  stringArgument('homeOf', 'passwd', passwd, 'the text of /etc/passwd');
  const home = passwdEntries(passwd).find((entry) => entry.uid === uid)?.home;
  return home?.startsWith('/') ? home : undefined;
}

/**
 * The effective Restart= of `unit` of the service manager of `uid` (user@UID.service), from its files in that
 * manager's search path (userUnitSearchPath, the home from `passwdPath`), read as root reads a file a user may write
 * (loadUserUnit). Never undefined: where no file of the unit is found (its manager may have been given another
 * $XDG_CONFIG_HOME), or the home is not known, `problems` says so and `restart` is a guess, as for a system unit
 * whose files cannot all be read.
 */
export function readUserRestartFromFiles(unit: string, uid: number, passwdPath = '/etc/passwd'): RestartPolicy {
  nonEmptyStringArgument('readUserRestartFromFiles', 'unit', unit, 'a unit name (a non-empty string)');
  uidArgument('readUserRestartFromFiles', uid);
  nonEmptyStringArgument('readUserRestartFromFiles', 'passwdPath', passwdPath, 'a path (default /etc/passwd)');
  let home: string | undefined;
  try {
    home = homeOf(uid, readSystemFileBytes(passwdPath, MAX_PROC_FILE_BYTES).toString('utf8'));
  } catch {
    home = undefined;
  }
  const noHome =
    home === undefined
      ? [`uid ${uid} has no home directory in ${escapeText(passwdPath)}, so its ~/.config/systemd/user and ~/.local/share/systemd/user were not read`]
      : [];
  const listed: string[] = [];
  const listing = listUnitDirs('/', listed, userUnitSearchPath(uid, home));
  const policy = restartOf(loadUserUnit(unit, listing));
  const problems = [...noHome, ...listed, ...(policy?.problems ?? [])];
  if (policy === undefined)
    return {
      restart: 'no',
      source: "systemd's default, as no file of the unit was found",
      problems: [
        ...problems,
        `no file of ${escapeText(unit)} is in the default search path of user@${uid}.service (its manager may have been started with an $XDG_CONFIG_HOME or $XDG_DATA_HOME of its own)`,
      ],
    };
  return problems.length === 0 ? policy : { ...policy, problems };
}
