// systemd's DefaultTimeoutStartSec= (systemd-system.conf(5)): the start
// timeout of every service that sets none of its own (TimeoutStartSec=,
// TimeoutSec=) and is not Type=oneshot. Read as systemd 252 reads its
// [Manager] settings: /etc/systemd/system.conf, then the `*.conf` drop-ins
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

/** DefaultTimeoutStartSec= as systemd under `root` would have it. A file that cannot be read sets nothing. */
export function readDefaultStartTimeout(root: string): DefaultStartTimeout {
  nonEmptyStringArgument('readDefaultStartTimeout', 'root', root, 'a directory (a non-empty string)');
  const found = DROP_IN_DIRS.map((dir) => ({ dir, names: listNames(root, dir) }));
  const files = [MAIN, ...chooseDropIns(found).map(({ dir, name }) => `${dir}/${name}`)];
  let timeout: DefaultStartTimeout = { seconds: SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS };
  for (const file of files) {
    let text: string;
    try {
      text = readTextFile(hostPath(root, file), { maxBytes: MAX_UNIT_BYTES });
    } catch {
      continue;
    }
    for (const { section, key, value, line } of parseUnitFile(text)) {
      if (section !== 'Manager' || key !== 'DefaultTimeoutStartSec') continue;
      const seconds = parseTimeSpan(value);
      // 0 is no limit, as for a unit's TimeoutStartSec= (parse_sec_fix_0).
      if (seconds !== undefined) timeout = { seconds: seconds === 0 ? Infinity : seconds, setting: { value, file: `/${file}`, line } };
    }
  }
  return timeout;
}

function listNames(root: string, dir: string): string[] {
  try {
    return readdirSync(hostPath(root, dir));
  } catch {
    return [];
  }
}
