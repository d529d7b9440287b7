// systemd's [Manager] defaults (systemd-system.conf(5)) the unit model needs:
// DefaultTimeoutStartSec=, the start timeout of every service that sets none
// of its own (TimeoutStartSec=, TimeoutSec=) and is not Type=oneshot; and
// DefaultEnvironment=, the environment every service starts with (its own
// Environment=, EnvironmentFile= and UnsetEnvironment= applied over it). Read
// as systemd 252 reads its [Manager] settings: /etc/systemd/system.conf, then the `*.conf` drop-ins
// of system.conf.d in /etc, /run, /usr/local/lib, /usr/lib and /lib (the first of
// each name wins, applied in name order); the last valid line wins; 90 s when
// none sets it. The kernel command line's systemd.default_timeout_start_sec=
// is not read.
import { readdirSync } from 'node:fs';
import { readTextFile } from '../files/index.js';
import { hostPath } from '../files/root.js';
import { nonEmptyStringArgument } from '../arguments.js';
import { MAX_UNIT_BYTES } from '../limits.js';
import { chooseDropIns } from './search-path.js';
import { parseTimeSpan } from './time-span.js';
import { parseUnitFile } from './unit-file.js';
import type { EnvironmentSetting } from './types.js';
import { parseEnvironment } from './words.js';

/** systemd's DefaultTimeoutStartSec= when no system.conf sets it. */
export const SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS = 90;

const MAIN = 'etc/systemd/system.conf';
const DROP_IN_DIRS = [
  'etc/systemd/system.conf.d',
  'run/systemd/system.conf.d',
  'usr/local/lib/systemd/system.conf.d',
  'usr/lib/systemd/system.conf.d',
  // A split /usr (Debian's systemd lists it): on a merged one, the same directory, listed once.
  'lib/systemd/system.conf.d',
];

/** The manager's default start timeout, in seconds (Infinity: none), and the line that set it (none: systemd's built-in 90 s). */
export interface DefaultStartTimeout {
  readonly seconds: number;
  readonly setting?: { readonly value: string; readonly file: string; readonly line: number };
}

/** The [Manager] defaults the unit model needs, from one read of system.conf and its drop-ins (readManagerDefaults). */
export interface ManagerDefaults {
  /** DefaultEnvironment= (readDefaultEnvironment's): mergeUnit's `options.defaultEnvironment`. */
  readonly environment: Map<string, EnvironmentSetting>;
  /** DefaultTimeoutStartSec= (readDefaultStartTimeout's): startTimeoutFinding's `managerDefault`. */
  readonly startTimeout: DefaultStartTimeout;
}

/**
 * DefaultEnvironment= and DefaultTimeoutStartSec= as systemd under `root` would have them, from one read of
 * system.conf and its drop-in directories: a run that needs both (the health check, `ports systemd`) reads the files
 * once. A file that cannot be read sets nothing.
 */
export function readManagerDefaults(root: string): ManagerDefaults {
  nonEmptyStringArgument('readManagerDefaults', 'root', root, 'a directory (a non-empty string)');
  const settings = managerSettings(root);
  return { environment: environmentOf(settings), startTimeout: startTimeoutOf(settings) };
}

/** DefaultTimeoutStartSec= as systemd under `root` would have it. A file that cannot be read sets nothing. */
export function readDefaultStartTimeout(root: string): DefaultStartTimeout {
  nonEmptyStringArgument('readDefaultStartTimeout', 'root', root, 'a directory (a non-empty string)');
  return startTimeoutOf(managerSettings(root));
}

function startTimeoutOf(settings: readonly ManagerSetting[]): DefaultStartTimeout {
  let timeout: DefaultStartTimeout = { seconds: SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS };
  for (const { key, value, file, line } of settings) {
    if (key !== 'DefaultTimeoutStartSec') continue;
    const seconds = parseTimeSpan(value);
    // 0 is no limit, as for a unit's TimeoutStartSec= (parse_sec_fix_0).
    if (seconds !== undefined) timeout = { seconds: seconds === 0 ? Infinity : seconds, setting: { value, file, line } };
  }
  return timeout;
}

/**
 * DefaultEnvironment= as systemd under `root` would have it: each variable with the line that set it
 * (`/etc/systemd/system.conf`, a drop-in). Read as systemd 252's config_parse_environ reads it: space-separated
 * assignments, quoted and escaped as Environment='s; one that is not NAME=VALUE is ignored; a later line's value
 * of a name wins; an empty value drops what came before. Host specifiers (`%H`) are left as written. A file that
 * cannot be read sets nothing. mergeUnit's `options.defaultEnvironment`.
 */
export function readDefaultEnvironment(root: string): Map<string, EnvironmentSetting> {
  nonEmptyStringArgument('readDefaultEnvironment', 'root', root, 'a directory (a non-empty string)');
  return environmentOf(managerSettings(root));
}

function environmentOf(settings: readonly ManagerSetting[]): Map<string, EnvironmentSetting> {
  const environment = new Map<string, EnvironmentSetting>();
  for (const { key, value, file, line } of settings) {
    if (key !== 'DefaultEnvironment') continue;
    if (value === '') environment.clear();
    for (const [name, setting] of parseEnvironment(value)) environment.set(name, { value: setting, file, line });
  }
  return environment;
}

interface ManagerSetting {
  readonly key: string;
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

/** Every [Manager] assignment under `root`, in the order systemd applies them: system.conf, then its drop-ins (chooseDropIns). */
function managerSettings(root: string): ManagerSetting[] {
  const found = DROP_IN_DIRS.map((dir) => ({ dir, names: listNames(root, dir) }));
  const files = [MAIN, ...chooseDropIns(found).map(({ dir, name }) => `${dir}/${name}`)];
  const settings: ManagerSetting[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readTextFile(hostPath(root, file), { maxBytes: MAX_UNIT_BYTES });
    } catch {
      continue;
    }
    for (const { section, key, value, line } of parseUnitFile(text)) if (section === 'Manager') settings.push({ key, value, file: `/${file}`, line });
  }
  return settings;
}

function listNames(root: string, dir: string): string[] {
  try {
    return readdirSync(hostPath(root, dir));
  } catch {
    return [];
  }
}
