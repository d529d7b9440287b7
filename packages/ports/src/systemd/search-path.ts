// Where systemd looks for a system unit and its drop-ins, highest priority
// first (systemd.unit(5), "Unit File Load Path"): the administrator's
// /etc, runtime /run, then the packaged units. Pure: names in, paths out.

/** Unit directories, relative to the root, highest priority first. */
export const UNIT_DIRS: readonly string[] = [
  'etc/systemd/system',
  'run/systemd/system',
  'usr/local/lib/systemd/system',
  'usr/lib/systemd/system',
  'lib/systemd/system',
];

/** `foo@bar.service` -> `foo@.service`; undefined for a unit that is not an instance. */
export function templateOf(unit: string): string | undefined {
  const match = /^([^@]+)@[^@]+(\.[a-z]+)$/.exec(unit);
  return match ? `${match[1]}@${match[2]}` : undefined;
}

/**
 * The drop-in directory names for a unit, most specific first: `NAME.d`, the
 * template's `PREFIX@.service.d`, the dash prefixes (`a-b-.service.d`, then
 * `a-.service.d`), then the type-wide `service.d`. A drop-in file name found
 * in a more specific directory hides the same name in a less specific one.
 */
export function dropInDirNames(unit: string): string[] {
  const dot = unit.lastIndexOf('.');
  const base = unit.slice(0, dot);
  const type = unit.slice(dot + 1);
  const names = [`${unit}.d`];
  const template = templateOf(unit);
  if (template) names.push(`${template}.d`);
  const stem = base.split('@')[0]!;
  const parts = stem.split('-');
  for (let count = parts.length - 1; count >= 1; count--) {
    const prefix = parts.slice(0, count).join('-');
    if (prefix) names.push(`${prefix}-.${type}.d`);
  }
  names.push(`${type}.d`);
  return names;
}

/** Every drop-in directory to look in, in priority order (search directory first, then name). */
export function dropInDirs(unit: string): string[] {
  const names = dropInDirNames(unit);
  return UNIT_DIRS.flatMap((dir) => names.map((name) => `${dir}/${name}`));
}

/**
 * Which drop-ins apply, in the order systemd applies them: for each file name
 * the highest-priority directory wins, then all winners sorted by file name.
 * `found` lists, per directory in `dropInDirs` order, the `.conf` names in it.
 */
export function chooseDropIns(found: ReadonlyArray<{ dir: string; names: readonly string[] }>): Array<{ dir: string; name: string }> {
  const winners = new Map<string, string>();
  for (const { dir, names } of found) {
    // systemd reads only `*.conf`, and skips hidden files (`.claim-port.conf`) as it skips backups.
    for (const name of names) if (name.endsWith('.conf') && !name.startsWith('.') && !winners.has(name)) winners.set(name, dir);
  }
  return [...winners.keys()].sort().map((name) => ({ dir: winners.get(name)!, name }));
}
