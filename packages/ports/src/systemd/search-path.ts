// Where systemd looks for a system unit and its drop-ins, highest priority
// first (systemd.unit(5), "Unit File Load Path"): the administrator's
// /etc, runtime /run, then the packaged units. Pure: names in, paths out.
import { describeArgument, isArraySafely, nonEmptyStringArgument, stringArgument, stringListArgument } from '../arguments.js';

/**
 * Unit directories of the system manager, relative to the root, highest
 * priority first, as systemd 252 lists them (`systemd-analyze unit-paths`):
 * runtime control and transient units, generators, /etc, /run, the packaged
 * /usr/local/lib, /lib and /usr/lib, late generators.
 */
export const UNIT_DIRS: readonly string[] = Object.freeze([
  'etc/systemd/system.control',
  'run/systemd/system.control',
  'run/systemd/transient',
  'run/systemd/generator.early',
  'etc/systemd/system',
  'etc/systemd/system.attached',
  'run/systemd/system',
  'run/systemd/system.attached',
  'run/systemd/generator',
  'usr/local/lib/systemd/system',
  'lib/systemd/system',
  'usr/lib/systemd/system',
  'run/systemd/generator.late',
]);

/**
 * `foo@bar.service` -> `foo@.service`; undefined for a unit that is not an
 * instance. As systemd's unit_name_template(): the name up to the first `@`,
 * then the suffix, so `foo@a@b.service` (instance `a@b`) is `foo@.service` too.
 */
export function templateOf(unit: string): string | undefined {
  nonEmptyStringArgument('templateOf', 'unit', unit, 'a unit name (a non-empty string)');
  const match = /^([^@]+@).+(\.[a-z]+)$/.exec(unit);
  return match ? `${match[1]}${match[2]}` : undefined;
}

/**
 * unit_file_find_dirs(): the unit-specific drop-in directory names, most
 * specific first: `NAME.d`, the template's, then the dash prefixes
 * (`a-b-c.service` -> `a-b-.service.d`, `a-.service.d`; for an instance
 * `a-b@i.service` -> `a-@i.service.d` and its template `a-@.service.d`).
 */
function specificDirNames(unit: string, out: Set<string>): void {
  out.add(`${unit}.d`);
  const dot = unit.lastIndexOf('.');
  const base = unit.slice(0, dot);
  const type = unit.slice(dot + 1);
  const at = base.indexOf('@');
  const instance = at >= 0 ? base.slice(at + 1) : '';
  const template = templateOf(unit);
  if (template) specificDirNames(template, out);
  let prefix = at >= 0 ? base.slice(0, at) : base;
  let chopped = false;
  for (;;) {
    const dash = prefix.lastIndexOf('-');
    if (dash <= 0) return;
    if (dash + 1 < prefix.length || chopped) {
      prefix = prefix.slice(0, dash + 1);
      break;
    }
    // A trailing dash: chop it off and look again, once.
    prefix = prefix.slice(0, dash);
    chopped = true;
  }
  specificDirNames(`${prefix}${instance ? `@${instance}` : ''}.${type}`, out);
}

/**
 * The text every unit-specific drop-in directory name of `unit` starts with
 * (specificDirNames keeps each dash it cuts at, and never cuts at the first
 * character): the name up to its first dash after the first character, before
 * any `@`; without such a dash, the name before the `@` or the suffix. A
 * listing with no entry that starts with it holds none of those directories.
 */
export function dropInPrefix(unit: string): string {
  const dot = unit.lastIndexOf('.');
  const base = dot < 0 ? unit : unit.slice(0, dot);
  const at = base.indexOf('@');
  const name = at >= 0 ? base.slice(0, at) : base;
  const dash = name.indexOf('-', 1);
  return dash < 0 ? name : name.slice(0, dash + 1);
}

/**
 * The drop-in directory names for a unit, most specific first: the
 * unit-specific ones (specificDirNames), then the type-wide `service.d`.
 */
export function dropInDirNames(unit: string): string[] {
  nonEmptyStringArgument('dropInDirNames', 'unit', unit, 'a unit name (a non-empty string)');
  const names = new Set<string>();
  specificDirNames(unit, names);
  return [...names, typeDropInDirName(unit)];
}

/**
 * Pure: the units a drop-in directory read by more than one unit applies to, as a pattern: a dash prefix's
 * (`foo-.service.d`: every `foo-*.service`; `a-@i.service.d`: every `a-*@i.service`), a template's (`foo@.service.d`:
 * every `foo@*.service`); undefined for one unit's own (`foo.service.d`) or the type-wide `service.d`.
 */
export function dropInPattern(dirName: string): string | undefined {
  const base = dirName.slice(0, -'.d'.length);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const name = base.slice(0, dot);
  const at = name.indexOf('@');
  const prefix = at < 0 ? name : name.slice(0, at);
  const instance = at < 0 ? undefined : name.slice(at + 1);
  // specificDirNames never cuts at the first character.
  const dash = prefix.length > 1 && prefix.endsWith('-');
  if (!dash && instance !== '') return undefined;
  return `${prefix}${dash ? '*' : ''}${instance === undefined ? '' : `@${instance === '' ? '*' : instance}`}${base.slice(dot)}`;
}

/** The type-wide drop-in directory name of a unit: `service.d` for `foo.service`. */
export function typeDropInDirName(unit: string): string {
  return `${unit.slice(unit.lastIndexOf('.') + 1)}.d`;
}

/**
 * Every drop-in directory to look in, in systemd's order: the unit-specific
 * names in every unit directory first, then the type-wide `service.d` in
 * every unit directory (so `/usr/lib/.../foo.service.d/x.conf` hides
 * `/etc/.../service.d/x.conf`).
 */
export function dropInDirs(unit: string): string[] {
  nonEmptyStringArgument('dropInDirs', 'unit', unit, 'a unit name (a non-empty string)');
  const names = dropInDirNames(unit);
  const typeWide = names.pop()!;
  return [...UNIT_DIRS.flatMap((dir) => names.map((name) => `${dir}/${name}`)), ...UNIT_DIRS.map((dir) => `${dir}/${typeWide}`)];
}

/**
 * Which drop-ins apply, in the order systemd applies them: for each file name
 * the first directory (in `dropInDirs` order) wins, then all winners sorted by
 * file name. `found` lists, per directory in `dropInDirs` order, its entries:
 * regular files (or links) named `*.conf`, not hidden, are read (a FIFO,
 * directory or other special file is skipped, as systemd skips it).
 */
export function chooseDropIns(found: ReadonlyArray<{ dir: string; names: readonly string[] }>): Array<{ dir: string; name: string }> {
  if (!isArraySafely(found)) throw new TypeError(`chooseDropIns: found must be an array of { dir, names }, not ${describeArgument(found)}`);
  const winners = new Map<string, string>();
  for (const [index, entry] of found.entries()) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new TypeError(`chooseDropIns: found[${index}] must be an object ({ dir, names }), not ${describeArgument(entry)}`);
    const dir = stringArgument('chooseDropIns', `found[${index}].dir`, entry.dir, 'a directory (a string)');
    const names = stringListArgument('chooseDropIns', `found[${index}].names`, entry.names);
    // systemd reads only `*.conf`, and skips hidden files (`.claim-port.conf`) as it skips backups.
    for (const name of names) if (name.endsWith('.conf') && !name.startsWith('.') && !winners.has(name)) winners.set(name, dir);
  }
  return [...winners.keys()].sort(compareNames).map((name) => ({ dir: winners.get(name)!, name }));
}

/** strcmp() order on the bytes (conf_files_list sorts by file name so). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
