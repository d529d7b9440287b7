// Whether systemd would restart a unit's process after claim-port kills it:
// the unit's effective Restart= (unit file, then drop-ins in systemd's order).
// Read from the files, so it works where systemd is not PID 1 (a container,
// an image build); `systemctl show` is asked first where systemd runs.
// $SYSTEMD_UNIT_PATH (systemd's own: colon-separated, a trailing colon appends
// the defaults) replaces the search path.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parseUnitFile } from '../systemd/unit-file.js';

const DEFAULT_DIRS = [
  '/etc/systemd/system.control',
  '/run/systemd/system.control',
  '/run/systemd/transient',
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];

/** Pure: the unit directories, highest priority first, from $SYSTEMD_UNIT_PATH or the defaults. */
export function unitSearchPath(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  const given = env.SYSTEMD_UNIT_PATH;
  if (given === undefined || given === '') return DEFAULT_DIRS;
  const dirs = given.split(':').filter((dir) => dir !== '');
  return given.endsWith(':') ? [...dirs, ...DEFAULT_DIRS] : dirs;
}

/** Pure: the last `Restart=` of the [Service] section in unit-file text, '' when it resets, undefined when absent. */
export function restartSetting(text: string): string | undefined {
  // The core systemd model's reading of the file (continuations, comments, line ends as systemd 252).
  return parseUnitFile(text)
    .filter((assignment) => assignment.section === 'Service' && assignment.key === 'Restart')
    .at(-1)?.value;
}

export interface RestartPolicy {
  /** `no`, `always`, `on-failure`, ...: the effective Restart=, `no` when unset. */
  readonly restart: string;
  /** Where it was read: `systemctl show`, or the file that set it. */
  readonly source: string;
}

/** Pure: whether a unit with this Restart= restarts its process after SIGTERM or SIGKILL. */
export function restartsAfterKill(restart: string): boolean {
  return restart !== 'no' && restart !== '';
}

function templateOf(unit: string): string | undefined {
  const match = /^([^@]+)@[^@]+(\.[a-z]+)$/.exec(unit);
  return match ? `${match[1]}@${match[2]}` : undefined;
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The effective Restart= of `unit` from its files, or undefined when no unit file is found. */
export function readRestartFromFiles(unit: string, env: Readonly<Record<string, string | undefined>> = process.env): RestartPolicy | undefined {
  const dirs = unitSearchPath(env);
  const names = [unit, templateOf(unit)].filter((name): name is string => name !== undefined);
  let restart: string | undefined;
  let source: string | undefined;
  let found = false;
  // The unit file: the first directory that has it (or its template) wins.
  outer: for (const name of names) {
    for (const dir of dirs) {
      const text = tryRead(`${dir}/${name}`);
      if (text === undefined) continue;
      found = true;
      const value = restartSetting(text);
      if (value !== undefined) [restart, source] = [value, `${dir}/${name}`];
      break outer;
    }
  }
  // Drop-ins: for each file name the highest-priority directory wins; applied in name order.
  const dropIns = new Map<string, string>();
  for (const dir of dirs) {
    for (const name of names) {
      let entries: string[];
      try {
        entries = readdirSync(`${dir}/${name}.d`);
      } catch {
        continue;
      }
      for (const entry of entries) if (entry.endsWith('.conf') && !dropIns.has(entry)) dropIns.set(entry, `${dir}/${name}.d/${entry}`);
    }
  }
  for (const entry of [...dropIns.keys()].sort()) {
    const path = dropIns.get(entry)!;
    const value = restartSetting(tryRead(path) ?? '');
    found = true;
    if (value !== undefined) [restart, source] = [value, path];
  }
  if (!found) return undefined;
  return { restart: restart || 'no', source: source ?? 'the default (no Restart= set)' };
}

/** Whether systemd is the running service manager (sd_booted(3)). */
export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}

/** The effective Restart= of a system unit: `systemctl show` where systemd runs, else its files. */
export async function readRestartPolicy(unit: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<RestartPolicy | undefined> {
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
