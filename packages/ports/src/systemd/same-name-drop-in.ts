// A claim-port.conf other than the registry's, read by a unit the registry wires with its own claim-port.conf: systemd
// applies one drop-in of each file name, so one of the two is never read. Which one, and what removes a stray one
// that wins: an emptied file of that name still wins, and a mask of it hides the registry's too.
import { escapeText } from '../escape.js';
import { DROP_IN_NAME } from './claim-line.js';
import { reloadStep } from './reload.js';
import { compareNames, dropInPattern, UNIT_DIRS } from './search-path.js';

/** Where a claim line found outside the registry's drop-ins is (FoundClaim's fields: its path, unit directory, and its unit's names). */
interface ClaimFile {
  readonly path: string;
  readonly dir?: string;
  readonly unitNames?: readonly string[];
}

/** Of the registry's wiring of a unit (ClaimWiring): its unit, where its claim lives, and the claim drop-in's path. */
interface Wired {
  readonly unit: string;
  readonly claim: 'unit' | 'drop-in';
  readonly path: string;
}

/** The unit directories systemd reads before /etc/systemd/system, where the registry's drop-ins are (systemd.unit(5)). */
export const BEFORE_ETC: ReadonlySet<string> = new Set(UNIT_DIRS.slice(0, UNIT_DIRS.indexOf('etc/systemd/system')).map((dir) => `/${dir}`));

/**
 * Pure: for a drop-in (`claim`'s file) that the unit of `entry` reads, when it has the file name of the registry's
 * claim drop-in (`entry.path`, NAME.d/claim-port.conf in /etc/systemd/system or --out's DIR): which of the two
 * systemd applies to that unit. It takes the first of each file name in its order (unit_file_find_dropin_paths):
 * every directory of the unit's id before any of an alias's (FoundClaim.unitNames, id first), and for one name
 * every unit directory in turn, each with the unit's own directory name before its template's and dash prefixes'.
 * So the claim's file wins (`claim`) in the directory of an earlier name of the unit, or in a unit directory read
 * before /etc/systemd/system (BEFORE_ETC: system.control, transient, generator.early); else the registry's does
 * (`registry`). Undefined for a drop-in of another name, or a unit-file claim's entry: systemd applies both.
 */
export function sameNameWinner(claim: ClaimFile, entry: Wired): 'claim' | 'registry' | undefined {
  const slash = claim.path.indexOf('/');
  if (entry.claim !== 'drop-in' || slash < 0 || claim.path.slice(slash + 1) !== DROP_IN_NAME) return undefined;
  const dirUnit = claim.path.slice(0, slash - '.d'.length);
  const names = claim.unitNames ?? [];
  if (dirUnit !== entry.unit && names.includes(dirUnit) && names.includes(entry.unit))
    return names.indexOf(dirUnit) < names.indexOf(entry.unit) ? 'claim' : 'registry';
  return claim.dir !== undefined && BEFORE_ETC.has(claim.dir) ? 'claim' : 'registry';
}

/** Pure: why systemd reads `claim`'s file in place of the registry's drop-in of `entry` (sameNameWinner says it does). */
export function inPlaceReason(claim: ClaimFile, entry: Wired): string {
  const dirUnit = claim.path.slice(0, claim.path.indexOf('/') - '.d'.length);
  const unit = escapeText(entry.unit);
  const first = 'systemd applies one drop-in of each file name, the first it finds';
  const before = `it reads ${escapeText(claim.dir!)} before /etc/systemd/system`;
  if (dirUnit === entry.unit) return `${first}, and ${before}`;
  // A dash prefix's (`redis-.service.d`) or a template's (`wrk@.service.d`) directory, read before /etc: never a name of
  // the unit, but one systemd reads for every unit its name leads to (systemd.unit(5): the unit name truncated after
  // each dash, and the template's name).
  const pattern = claim.unitNames?.includes(dirUnit) ? undefined : dropInPattern(`${dirUnit}.d`);
  if (pattern !== undefined) {
    const what = /-(?:@[^.]*)?\.[^.]+$/.test(dirUnit) ? 'a prefix drop-in directory' : "a template's drop-in directory";
    return `${first}; ${escapeText(dirUnit)}.d/ is ${what}, which systemd applies to every unit named ${escapeText(pattern)}, ${unit} among them, and ${before}`;
  }
  const of =
    claim.unitNames?.[0] === dirUnit ? `${escapeText(dirUnit)}, the unit ${unit} is an alias of` : `${escapeText(dirUnit)}, another name of ${unit}'s unit`;
  return `${first}, and it reads the drop-in directories of ${of}, before those of ${unit}`;
}

/**
 * Pure: what removes `claim`'s file, which systemd reads in place of the registry's drop-in of `entry`: not the line
 * (an emptied file of the name still wins), nor a mask of its name in `unitDir` (which would win in place of both).
 * Under system.control or /run/systemd/transient, the file, and what put it there; a generator's (generator.early),
 * made again at each daemon-reload, at its source. Else (a drop-in of an earlier name of the unit: its id, when the
 * registry names an alias) the file when it is the operator's, in `unitDir`; else the registry names the unit by its
 * id, so that `regenerate` writes the claim in the id's own directory, which systemd reads first. `root`: the tree
 * read with --root, when not this host's: a removal there ends as reloadStep says, not with the host's daemon-reload.
 */
export function inPlaceFix(claim: ClaimFile, entry: Wired, unitDir: string, regenerate: string, root?: string): string {
  const file = "remove this file, not only the line (systemd reads even an emptied file of its name in place of the registry's)";
  const dir = claim.dir;
  const reload = reloadStep(root);
  const shown = escapeText(dir ?? unitDir);
  if (dir === '/run/systemd/transient')
    return `${file}${reload}; it is under ${shown}, where systemd keeps transient units (\`systemd-run\`) and their settings (a reboot removes it), so whatever put it there may put it again: change that too`;
  if (dir?.endsWith('/systemd/system.control'))
    return `${file}${reload}; it is under ${shown}, where \`systemctl set-property\` keeps the settings it makes, and ExecStartPre= is none of them: the file was put there by hand or by a tool, so change that too`;
  if (dir !== undefined && BEFORE_ETC.has(dir))
    return `the file is a generator's (under ${shown}), which systemd's generators make again at each boot and \`systemctl daemon-reload\`, and nothing in ${escapeText(unitDir)} hides it: change what the generator makes it from (its configuration), or remove the generator (under /etc/systemd/system-generators, /usr/local/lib/systemd/system-generators, /usr/lib/systemd/system-generators)`;
  if (dir === undefined || dir === '/etc/systemd/system') return file;
  const id = claim.unitNames?.[0] ?? entry.unit;
  const idDropIn = escapeText(`${unitDir}/${id}.d/${DROP_IN_NAME}`);
  return `name the unit ${escapeText(id)} in the registry (\`systemd.unit: ${escapeText(id)}\`, ${escapeText(entry.unit)} being an alias of it), then run \`${regenerate}\`: it writes the claim to ${idDropIn}, which systemd reads in place of this file (a mask there, a link to /dev/null, would hide the registry's claim too), and remove ${escapeText(`${unitDir}/${entry.path}`)}, which is then no unit's claim`;
}

/**
 * Pure: a unit's names in the order systemd reads their drop-in directories (namesOfUnit): its id first, the name of
 * its unit file `fragment` (an instance's, for a template's file), then the others in strcmp order. `unit` is the
 * name asked for, `aliases` loadUnit's others.
 */
export function idFirst(unit: string, aliases: readonly string[], fragment: string): string[] {
  const instance = /^[^@]+@(.+)\.[^.]+$/.exec(unit)?.[1];
  const id = instance !== undefined && /@\.[^.]+$/.test(fragment) ? fragment.replace('@.', `@${instance}.`) : fragment;
  const names = new Set([unit, ...aliases]);
  names.delete(id);
  return [id, ...[...names].sort(compareNames)];
}
