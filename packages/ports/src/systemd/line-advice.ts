// Where a `claim: unit` service's claim line goes, in the words `ports systemd` prints beside the line: the unit file
// systemd loads when it is the operator's, else a drop-in of the unit's own; and the one line about every unit whose
// line goes in by hand.
import { basename, dirname, join } from 'node:path';
import { escapeText } from '../escape.js';
import { unitOverrideDropIn } from '../render/labels.js';
import { claimPortLines, DEFAULT_UNIT_DIR, DROP_IN_NAME, hasExecStartPre, unitFileRefusal, type ClaimWiring } from '../render/systemd.js';
import { claimLines } from './claim-line.js';
import { brokenUnitFileProblem } from './claim-verdict.js';
import { mergeUnit, type LoadedUnit } from './effective.js';
import { maskedUnitText } from './masked-unit.js';
import { templateOf } from './search-path.js';
import type { ExecLine } from './types.js';

/**
 * Pure: the write's advice for a `claim: unit` service whose unit already runs a claim line that claims its port as
 * the registry's would (claimsAlike; under `root`, undefined: this host): nothing to add. Where that line names the
 * port while the registry's names the service id (the unit sets the port variable, which it equals today): the
 * registry's line follows the variable when it changes, said as what to do then.
 */
export function alikeAdvice(entry: ClaimWiring, claim: ExecLine, root: string | undefined): LineAdvice {
  const at = `${escapeText(root === undefined ? claim.file : join(root, claim.file))}:${claim.line}`;
  const said = `its unit file claims the port; ExecStartPre=${escapeText(claim.value, 200)} in ${at} claims it as this line would (--check and the health check accept it)`;
  const variable = entry.service.env;
  if (entry.byId && variable !== undefined && !claim.argv.slice(1).includes(entry.service.id))
    return {
      text: `${said}, but it names the port that ${variable} sets today, where this line follows ${variable} when it changes; put this line in its place`,
      place: 'either',
    };
  return { text: `${said}, nothing to do`, place: 'either' };
}

/** What --out's bare directory holds for a unit-file claim's unit (read by the write, as --check reads it). */
export interface OutUnit {
  /** The unit file systemd would load from DIR (the unit's own, else its template's), as printed, with its text. */
  readonly file?: { readonly path: string; readonly text: string };
  /** In place of `file`: the one that cannot be read (as printed), and why with what to do, as --check says it (unitReadProblem). */
  readonly unread?: { readonly path: string; readonly reason: string };
  /** In place of `file`: the file there that masks the unit, a link to /dev/null or empty (as printed). */
  readonly masked?: string;
  /** The unit's own drop-ins in DIR (outOwnDropIns), as printed, with their text. */
  readonly dropIns: readonly { readonly path: string; readonly text: string }[];
  /** An empty ExecStartPre= in a drop-in in DIR that clears the claim line (outClearings), as `PATH:LINE` printed. */
  readonly cleared?: string;
  /** Another claim line there that claims the port as this one would (claimsAlike of outUnitAsJudged), when `cleared` clears it. */
  readonly alike?: ExecLine;
}

/**
 * With --out DIR, a bare directory (no root, no search path): the line goes in the unit file there; for a template's
 * instance, in its own drop-in there (unitOverrideDropIn, as unitLineAdvice, `ports docs` and claimLocation say): its
 * unit file is usually its template's, which every instance reads, and a file of the instance's name would replace the
 * template for it. What DIR already holds (`found`) is said as --check judges it (systemdDrift, outClearings), as
 * unitLineAdvice says it under --root: the line already there (nothing to do), cleared by a later empty
 * ExecStartPre=, or in a unit file systemd refuses to load (the line never runs: the file is to mend); a unit file
 * that cannot be read (`unread`, said as --check fails on it, never "put this line": it may hold it) or masks the unit.
 */
export function outAdvice(unit: string, line: string, unitDir: string, found: OutUnit = { dropIns: [] }): LineAdvice {
  const template = templateOf(unit);
  // Said first, as --check says it (and fails there): what the file holds is not known, so the line may be there already.
  if (found.unread !== undefined)
    return {
      text: `its unit file claims the port, but ${escapeText(found.unread.path)} cannot be read here (${escapeText(found.unread.reason)}); once it can, make sure this line is ${template === undefined ? 'in its [Service] section' : `under a [Service] line in the drop-in ${escapeText(unitOverrideDropIn(unit, unitDir))} (the instance's own)`}`,
      place: template === undefined ? 'file' : 'drop-in',
      unread: true,
    };
  if (found.masked !== undefined)
    return { text: `its unit file claims the port, but it is masked: ${outMaskedText(found.masked, unitDir)}; ${MASKED_THEN}`, place: 'file', masked: true };
  const file = found.file;
  const inPlace =
    template === undefined
      ? file !== undefined && hasExecStartPre(file.text, line)
        ? file.path
        : undefined
      : found.dropIns.find((dropIn) => hasExecStartPre(dropIn.text, line))?.path;
  const place = template === undefined ? 'file' : 'drop-in';
  const refused = file === undefined ? undefined : unitFileRefusal(file.text);
  const refusal = refused === undefined ? undefined : `systemd would refuse to load ${escapeText(file!.path)}:${refused.line}: ${refused.message}`;
  if (inPlace !== undefined && refusal !== undefined)
    return {
      text: `its unit file claims the port, but ${refusal}, so the unit never starts and this line${inPlace === file!.path ? '' : `, in its drop-in ${escapeText(inPlace)},`} never runs; fix that line, keeping this line ${inPlace === file!.path ? 'in its [Service] section' : 'there'}`,
      place,
      refused: true,
      inPlace: true,
    };
  if (inPlace === undefined && found.alike !== undefined && found.cleared !== undefined)
    return {
      text: `its unit file claims the port; ExecStartPre=${escapeText(found.alike.value, 200)} in ${escapeText(found.alike.file)}:${found.alike.line} claims it as this line would, but the empty ExecStartPre= in ${escapeText(found.cleared)} clears every earlier ExecStartPre=, that line included, so once ${escapeText(unitDir)} is copied into ${DEFAULT_UNIT_DIR} nothing frees the port before the unit starts; remove that empty ExecStartPre= or put this line after it`,
      place,
      inPlace: true,
    };
  if (inPlace !== undefined && found.cleared !== undefined)
    return {
      text: `its unit file claims the port; this line is in ${escapeText(inPlace)}, but the empty ExecStartPre= in ${escapeText(found.cleared)} clears every earlier ExecStartPre=, this line included, so once ${escapeText(unitDir)} is copied into ${DEFAULT_UNIT_DIR} nothing frees the port before the unit starts; remove that empty ExecStartPre= or put this line after it`,
      place,
      inPlace: true,
    };
  if (inPlace !== undefined)
    return template === undefined
      ? { text: `its unit file claims the port; this line is already in the [Service] section of ${escapeText(inPlace)}, nothing to do`, place, inPlace: true }
      : { text: `its unit file claims the port; this line is already in ${escapeText(inPlace)}, a drop-in of its own, nothing to do`, place, inPlace: true };
  const mendToo = refusal === undefined ? '' : `; ${refusal.replace('systemd would', 'systemd would also')}, so fix that line`;
  if (template !== undefined) return { text: `its unit file claims the port; ${outInstanceAdvice(unit, template, unitDir)}${mendToo}`, place };
  if (refusal !== undefined)
    return { text: `its unit file claims the port, but ${refusal}; fix that line, then make sure its [Service] section holds this line`, place };
  const replaced = file === undefined ? [] : claimPortLines(file.text).map((other) => escapeText(other));
  return {
    text: `its unit file claims the port; put this line in the [Service] section of ${escapeText(join(unitDir, unit))}${replaced.length > 0 ? `, in place of its ${replaced.join(' and ')}` : ''}`,
    place,
  };
}

/**
 * Where the write's advice puts a `claim: unit` service's line: in a unit file (`file`), in a drop-in of the unit's own,
 * NAME.d/override.conf (`drop-in`: an instance read from its template, a package's unit or one made at run time), or in
 * the unit file when it is the operator's, else that drop-in (`either`: a unit file that cannot be read here).
 */
export type LinePlace = 'file' | 'drop-in' | 'either';

/** The advice for one `claim: unit` service (what follows `UNIT: `), and where it puts the line (byHandText names it). */
interface LineAdvice {
  readonly text: string;
  readonly place: LinePlace;
  /** The line is where it goes, but systemd refuses the unit file: the advice says what to fix, and the unit is left to it. */
  readonly refused?: true;
  /** (--out) The line is already where it goes: not one to add by hand (under --root, lineInPlace says so). */
  readonly inPlace?: true;
  /** The unit file cannot be read here: the advice says why and what to do, and --check fails on the file, not for a missing line. */
  readonly unread?: true;
  /** The unit is masked (its file a link to /dev/null, or empty): the advice says how to unmask it; not a line to add by hand. */
  readonly masked?: true;
}

/** After a masked unit's unmasking (maskedUnitText): where its line goes is known only once the file systemd loads is. */
const MASKED_THEN = 'then run this command again to learn where this line goes, or remove the service from the registry';

/**
 * Pure: a masked unit file in --out's bare DIR (`path`, as printed: a link to /dev/null, or empty, as systemd reads
 * both), and what to do: once DIR is copied into /etc/systemd/system, it masks the unit there (systemctl unmask would
 * be needed then); before that, removing it from DIR (or putting the unit's file in its place) is enough. Said alike
 * by the write's advice and --check, each followed by what to run next.
 */
export function outMaskedText(path: string, unitDir: string): string {
  return `${escapeText(path)} is empty or links to /dev/null, so once ${escapeText(unitDir)} is copied into ${DEFAULT_UNIT_DIR} systemd will not start it; remove it, or put the unit's file in its place`;
}

/**
 * Pure: the write's one line about the wired units that are masked (`units`, as written): systemd never starts them,
 * so their claims never run; each advice above says how to unmask it. `check` is the --check command, which fails
 * ("masked") on each until it is unmasked (or its service leaves the registry). Not "missing": no line added helps.
 */
export function maskedUnitsText(units: readonly string[], check: string): string {
  const names = units.map((unit) => escapeText(unit)).join(', ');
  const one = units.length === 1;
  return `${one ? '1 unit' : `${units.length} units`} (${names}) ${one ? 'is' : 'are'} masked, so systemd never starts ${one ? 'it' : 'them'} and no claim line of ${one ? 'its' : 'theirs'} runs: undo the mask as said above, or remove ${one ? 'its service' : 'their services'} from the registry; \`${check}\` fails ("masked") until then`;
}

/**
 * Pure: the write's one line about the units whose claim line goes in by hand (`units`: each unit's name, as written,
 * and where its advice puts the line), grouped by where it goes, so that each is named with what is true of it: a
 * unit file of its own, or a drop-in of its own (an instance's, `NAME@INST.service.d/override.conf`), neither of which
 * this command writes. `check` is the --check command that fails ("missing") until each has its line.
 */
export function byHandText(units: readonly { readonly unit: string; readonly place: LinePlace }[], check: string): string {
  const count = (n: number) => `${n} unit${n === 1 ? '' : 's'}`;
  const where: Record<LinePlace, readonly [one: string, many: string]> = {
    file: ['claims its port in its own unit file', 'claim their ports in their own unit files'],
    'drop-in': ['claims its port in a drop-in of its own (UNIT.d/override.conf)', 'claim their ports in drop-ins of their own (each UNIT.d/override.conf)'],
    either: [
      "claims its port in its own unit file, or a drop-in of its own when that file is not the operator's",
      "claim their ports in their own unit files, or drop-ins of their own when those files are not the operator's",
    ],
  };
  const groups = (['file', 'drop-in', 'either'] as const).flatMap((place) => {
    const names = units.filter((entry) => entry.place === place).map((entry) => escapeText(entry.unit));
    if (names.length === 0) return [];
    const [one, many] = where[place];
    const said = place === 'drop-in' && names.length === 1 ? one.replace('UNIT', names[0]!) : names.length === 1 ? one : many;
    return [`${count(names.length)} (${names.join(', ')}) ${said}`];
  });
  const them = units.length === 1 ? 'it has' : 'every one has';
  return `${groups.join(' and ')}, which this command never writes: add each ExecStartPre= line above by hand; \`${check}\` fails ("missing") until ${them} it`;
}

/** Pure: where an instance's claim line goes under --out DIR (outAdvice): its own drop-in in DIR, not its template nor a file of its name. */
export function outInstanceAdvice(unit: string, template: string, unitDir: string): string {
  return `its template ${escapeText(template)} is read by every instance (a line there would free this port whenever any instance starts), and a file ${escapeText(unit)} of its own would replace the template for it; put this line under a [Service] line in the drop-in ${escapeText(unitOverrideDropIn(unit, unitDir))} (the instance's own)`;
}

/** Pure: whether a unit file at `path` (or a unit directory) is the operator's to edit: under /etc or /usr/local/lib, not a package's (/usr/lib, /lib) nor made at run time (/run). */
export function isOperatorsUnitDir(path: string): boolean {
  return /^\/(?:etc|usr\/local\/lib)\//.test(path);
}

/** Pure: whether a unit file at `path` (or a unit directory) is made at run time (/run: a generator's, a transient unit), which a reboot replaces. */
export function isRunTimeUnitDir(path: string): boolean {
  return path.startsWith('/run/');
}

/**
 * Pure: where the claim line of a `claim: unit` service already is, as the write's advice puts it (unitLineAdvice):
 * the unit file systemd loads, when it is the operator's and the unit's own, else a drop-in of the unit's own (not a
 * claim-port.conf left from `claim: drop-in`: it is to be removed once the line is in). Its path, or undefined.
 */
export function lineInPlace(unit: string, line: string, loaded: LoadedUnit): string | undefined {
  const file = loaded.file;
  if (file?.text !== undefined && isOperatorsUnitDir(file.path) && basename(file.path) === unit && hasExecStartPre(file.text, line)) return file.path;
  return loaded.dropIns.find(
    (dropIn) =>
      basename(dirname(dropIn.path)) === `${unit}.d` &&
      basename(dropIn.path) !== DROP_IN_NAME &&
      dropIn.text !== undefined &&
      hasExecStartPre(dropIn.text, line),
  )?.path;
}

/**
 * Pure: the empty ExecStartPre= that leaves the unit, as systemd merges it (its claim-port.conf left from `claim: drop-in`
 * aside, as judgedAlike reads it), with no claim-port line at all, or undefined: a claim line read after it still runs.
 */
function claimCleared(loaded: LoadedUnit, claimPort: string): { readonly file: string; readonly line: number } | undefined {
  const leftover = `${DEFAULT_UNIT_DIR}/${loaded.unit}.d/${DROP_IN_NAME}`;
  const unit = mergeUnit({ ...loaded, dropIns: loaded.dropIns.filter((dropIn) => dropIn.path !== leftover) });
  return claimLines(unit.execStartPre, [claimPort]).length === 0 ? unit.execStartPreCleared : undefined;
}

/**
 * Pure: where the claim line of a `claim: unit` service goes (what follows
 * `UNIT: `), from the unit as loadUnit found it under `root` (undefined:
 * this host), the search --check and the health check use. The unit file
 * systemd loads, when it is the operator's (under /etc, or
 * /usr/local/lib/systemd/system); when it is a package's (/usr/lib, /lib) or
 * made at run time (/run), or is its template's (an instance with no file of
 * its own), a drop-in of the unit's own in `unitDir`, whose [Service] lines
 * are the unit's: a file of the unit's name in /etc would replace the unit
 * file, not add to it (LoadState=bad-setting, with no ExecStart=). A masked,
 * unreadable or missing unit is said so.
 */
export function unitLineAdvice(unit: string, line: string, loaded: LoadedUnit, unitDir: string, root: string | undefined, claimPort: string): LineAdvice {
  const shown = (path: string) => escapeText(root === undefined ? path : join(root, path));
  const dropIn = escapeText(unitOverrideDropIn(unit, unitDir));
  const edit = root === undefined ? `, which \`systemctl edit ${escapeText(unit)}\` opens` : '';
  const inDropIn = `under a [Service] line in the drop-in ${dropIn}${edit}`;
  const unreadFile = loaded.unread?.find((part) => part.kind === 'file');
  // One systemd cannot open either: the line goes in a unit file that is there, once the link is mended.
  if (unreadFile?.broken)
    return {
      text: `its unit file claims the port, but systemd cannot load the unit: ${brokenUnitFileProblem(unreadFile, root ?? '/')}, and put this line in the [Service] section of the unit file`,
      place: 'file',
    };
  if (unreadFile !== undefined)
    return {
      text: `its unit file claims the port, but systemd loads it from ${shown(unreadFile.path)}, which cannot be read here (${escapeText(unreadFile.reason)}); put this line in the [Service] section of that file if it is yours, else ${inDropIn}`,
      place: 'either',
      unread: true,
    };
  const file = loaded.file;
  if (file === undefined) {
    const template = templateOf(unit);
    const none = template ? `${escapeText(unit)} nor its template ${escapeText(template)}` : escapeText(unit);
    const where = root === undefined ? "systemd's unit directories" : `the unit directories under ${escapeText(root)}`;
    return {
      text: `its unit file claims the port, but none of ${where} has ${none}; install the unit (e.g. as ${escapeText(join(unitDir, template ?? unit))}) with this line in its [Service] section`,
      place: 'file',
    };
  }
  if (file.text === undefined || file.text === '')
    return {
      text: `its unit file claims the port, but it is masked: ${maskedUnitText(root ?? '/', file.path, unit)}; ${MASKED_THEN}`,
      place: 'file',
      masked: true,
    };
  const name = basename(file.path);
  const operators = isOperatorsUnitDir(file.path);
  // The line already where this advice would put it: the operator's unit file of its own, or a drop-in of the unit's own.
  const inPlace = lineInPlace(unit, line, loaded);
  // A file systemd refuses (a broken section header) may hold the line below the break: said as --check says it
  // (systemdDrift), so that following the advice passes; where the line goes in a drop-in, the file is still to mend.
  const refused = unitFileRefusal(file.text);
  if (inPlace !== undefined && refused !== undefined)
    // The line where it goes, but in a unit systemd never loads: not "already there, nothing to do".
    return {
      text: `its unit file claims the port, but systemd would refuse to load ${shown(file.path)}:${refused.line}: ${refused.message}, so the unit never starts and this line${inPlace === file.path ? '' : `, in its drop-in ${shown(inPlace)},`} never runs; fix that line, keeping this line ${inPlace === file.path ? 'in its [Service] section' : 'there'}`,
      place: inPlace === file.path ? 'file' : 'drop-in',
      refused: true,
    };
  if (inPlace !== undefined) {
    // There, but an empty ExecStartPre= read after it (a later drop-in, the type-wide service.d/) drops it: said, as --check says it.
    const cleared = claimCleared(loaded, claimPort);
    const place = inPlace === file.path ? 'file' : 'drop-in';
    if (cleared !== undefined)
      return {
        text: `its unit file claims the port; this line is in ${shown(inPlace)}, but the empty ExecStartPre= in ${shown(cleared.file)}:${cleared.line} clears every earlier ExecStartPre=, this line included, so nothing frees the port before the unit starts; remove that empty ExecStartPre= or put this line after it`,
        place,
      };
    return inPlace === file.path
      ? { text: `its unit file claims the port; this line is already in the [Service] section of ${shown(file.path)}, nothing to do`, place }
      : { text: `its unit file claims the port; this line is already in ${shown(inPlace)}, a drop-in of its own, nothing to do`, place };
  }
  const refusal = refused === undefined ? undefined : `systemd would refuse to load ${shown(file.path)}: line ${refused.line}: ${refused.message}`;
  const mendToo = refusal === undefined ? '' : `; ${refusal.replace('systemd would', 'systemd would also')}, so fix that line`;
  const template = templateOf(unit);
  if (template !== undefined && name === template)
    return {
      text: `its unit file claims the port; systemd loads it from the template ${shown(file.path)}, which every instance reads (a line there would free this port whenever any instance starts), and a file ${escapeText(unit)} of its own would replace the template for it; put this line ${inDropIn} (the instance's own)${mendToo}`,
      place: 'drop-in',
    };
  // A claim line there already (another port, or one the unit's port variable made wrong): replaced, not kept beside this one.
  const replaced = claimPortLines(file.text).map((other) => escapeText(other));
  if (operators && refusal !== undefined)
    return { text: `its unit file claims the port, but ${refusal}; fix that line, then make sure its [Service] section holds this line`, place: 'file' };
  if (operators)
    return {
      text: `its unit file claims the port; put this line in the [Service] section of ${shown(file.path)}${replaced.length > 0 ? `, in place of its ${replaced.join(' and ')}` : ''}`,
      place: 'file',
    };
  return {
    text: `its unit file claims the port; systemd loads it from ${shown(file.path)}, ${isRunTimeUnitDir(file.path) ? 'made at run time' : "a package's"}, and a file ${escapeText(unit)} in ${escapeText(unitDir)} would replace it, not add to it; put this line ${inDropIn}${mendToo}`,
    place: 'drop-in',
  };
}
