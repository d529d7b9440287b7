// The health check's own units (dsa110-port-health.service and .timer) as
// systemd would load them: `ports systemd` writes each whole, so the unit
// systemd loads must be that file, with nothing that changes it. A copy in a
// unit directory before it (system.control, transient, an early generator's),
// a mask or an alias there, and every drop-in that sets anything (the unit's
// own `NAME.d/`, its dash prefixes', the type-wide `service.d/` and
// `timer.d/`, an alias's) would make systemd run another health check than
// the one `--check` compares: each is one finding (an empty assignment of a
// setting nothing made before resets nothing, and is none). Read with
// loadUnit, the loader the claim units are judged with.
import { lstatSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { hostPath } from '../files/root.js';
import { escapeText, pathText } from '../escape.js';
import { type LoadedUnit, loadUnit, type UnitDirListing } from './effective.js';
import { parseUnitFile } from './unit-file.js';

/** One way the unit systemd loads is not the file `ports systemd` wrote: the file (root-relative, as loadUnit names it) and what it does. */
export type WrittenUnitChange =
  /** systemd loads the unit from this file (a higher-priority copy, or the file an alias leads to), not from the written one. */
  | { readonly kind: 'shadowed'; readonly path: string; readonly alias: boolean }
  /** A mask (a link to /dev/null, or an empty file) systemd finds before the written file: the unit never runs. */
  | { readonly kind: 'masked'; readonly path: string }
  /** A drop-in systemd applies to the unit, with the settings it makes (`[Section] Key=`, each once, in order). */
  | { readonly kind: 'drop-in'; readonly path: string; readonly settings: readonly string[] }
  /** A part that could not be read (a drop-in, a drop-in or unit directory): it may change the unit. */
  | { readonly kind: 'unread'; readonly path: string; readonly reason: string };

/**
 * What makes `unit`, as systemd loads it under `root` (unit directories as
 * `listing` lists them), other than the file at `written` (root-relative,
 * `/etc/systemd/system/NAME`), which `ports systemd` writes whole. Nothing
 * when the written file is not there, or not a file: that is said apart.
 */
export function writtenUnitChanges(root: string, unit: string, written: string, listing: UnitDirListing): WrittenUnitChange[] {
  const loaded: LoadedUnit = loadUnit(root, unit, listing);
  const changes: WrittenUnitChange[] = [];
  const file = loaded.file;
  // Only when the written file is there: else systemd loads a lower copy, if any, and "missing" is said apart.
  if (file !== undefined && file.path !== written && isFileThere(root, written)) {
    if (file.text === undefined) changes.push({ kind: 'masked', path: file.path });
    else changes.push({ kind: 'shadowed', path: file.path, alias: basename(file.path) !== unit });
  }
  for (const part of loaded.unread ?? []) {
    // The written file itself unread: said by the comparison of its bytes.
    if (part.kind === 'file' && part.path === written) continue;
    changes.push({ kind: 'unread', path: part.path, reason: part.reason });
  }
  // The settings made so far, in systemd's order: an empty assignment (`ExecStartPre=`, systemd's reset to the default)
  // of one nothing has set resets nothing, so a type-wide drop-in that clears other services' lines changes nothing here.
  const made = new Set<string>();
  const setting = ({ section, key }: { section: string; key: string }) => `[${section}] ${key}=`;
  if (file?.text !== undefined) for (const assignment of parseUnitFile(file.text)) made.add(setting(assignment));
  for (const dropIn of loaded.dropIns) {
    // Masked or empty: systemd reads nothing from it.
    if (dropIn.text === undefined) continue;
    // A type-wide one is for every unit of the type (a distribution's, an operator's MemoryMax= for all): only what
    // changes which health check runs, as whom, with what, or when, is one of the health check's.
    const typeWide = basename(dirname(dropIn.path)) === `${unit.slice(unit.lastIndexOf('.') + 1)}.d`;
    const assignments = parseUnitFile(dropIn.text).filter((each) => !typeWide || changesWhatRuns(each));
    const settings = [...new Set(assignments.filter((each) => each.value !== '' || made.has(setting(each))).map(setting))];
    for (const assignment of assignments) if (assignment.value !== '') made.add(setting(assignment));
    if (settings.length > 0) changes.push({ kind: 'drop-in', path: dropIn.path, settings });
  }
  return changes;
}

/**
 * The settings by which a drop-in for every unit of a type changes which health check runs, as whom, with what
 * registry and output, or when (the timer); a type-wide drop-in's other settings (limits, timeouts, logging) are
 * the operator's or the distribution's for every unit (Fedora ships service.d/10-timeout-abort.conf), and no drift.
 */
function changesWhatRuns({ section, key }: { section: string; key: string }): boolean {
  if (section === 'Unit') return key.startsWith('Condition') || key.startsWith('Assert');
  if (section === 'Service') return RUN_KEYS.has(key);
  if (section === 'Timer') return key.startsWith('On') || key === 'Unit' || key === 'AccuracySec' || key === 'RandomizedDelaySec';
  return false;
}

/** The [Service] keys of changesWhatRuns. */
const RUN_KEYS: ReadonlySet<string> = new Set([
  'ExecStart',
  'ExecStartPre',
  'ExecStartPost',
  'ExecCondition',
  'Environment',
  'EnvironmentFile',
  'UnsetEnvironment',
  'PassEnvironment',
  'User',
  'Group',
  'DynamicUser',
  'RootDirectory',
  'RootImage',
  'WorkingDirectory',
  'Type',
]);

/** Whether `path` (root-relative) is a regular file under `root`, itself no link (its directories' links followed inside the root). */
function isFileThere(root: string, path: string): boolean {
  try {
    return lstatSync(join(hostPath(root, dirname(path)), basename(path))).isFile();
  } catch {
    return false;
  }
}

/** Which units a drop-in at `path` is one of: the unit's own directory, the type-wide one, a dash prefix's, an alias's. */
function dropInScope(unit: string, path: string): string {
  const dir = basename(dirname(path));
  const type = unit.slice(unit.lastIndexOf('.') + 1);
  const named = escapeText(unit);
  if (dir === `${unit}.d`) return `a drop-in of ${named}`;
  if (dir === `${type}.d`) return `a drop-in of every .${escapeText(type)} unit, ${named} included`;
  if (dir.endsWith(`-.${type}.d`)) return `a drop-in of every ${escapeText(dir.slice(0, -`.${type}.d`.length))}*.${escapeText(type)} unit, ${named} included`;
  return `a drop-in of ${escapeText(dir.slice(0, -2))}, an alias of ${named}`;
}

/** How many settings a finding names before "and N more". */
const SHOWN_SETTINGS = 6;

/**
 * One line for a change to the health check's `unit` (writtenUnitChanges): what
 * the file does, and what to do. `shown` is the file as printed (under the
 * root), `written` the written file as printed, `change` how the unit is
 * changed from `ports systemd` (its options and the registry) instead.
 */
export function writtenUnitChangeText(unit: string, change: WrittenUnitChange, written: string, instead: string): string {
  const remove = `remove it (${instead})`;
  switch (change.kind) {
    case 'masked':
      return `masks ${escapeText(unit)} (systemd finds it before ${pathText(written)}), so the port health check never runs; remove it (\`systemctl unmask ${escapeText(unit)}\`)`;
    case 'shadowed':
      return change.alias
        ? `systemd loads ${escapeText(unit)} from this file (an alias found before ${pathText(written)} leads to it), not from ${pathText(written)}, which \`ports systemd\` writes; remove the alias (${instead})`
        : `systemd loads ${escapeText(unit)} from this copy, found before ${pathText(written)}, which \`ports systemd\` writes, so the health check runs as the copy says; ${remove}`;
    case 'drop-in': {
      const named = change.settings.slice(0, SHOWN_SETTINGS).map((setting) => escapeText(setting, 100));
      const more = change.settings.length > SHOWN_SETTINGS ? ` and ${change.settings.length - SHOWN_SETTINGS} more` : '';
      return `${dropInScope(unit, change.path)}: it sets ${named.join(', ')}${more}, over what \`ports systemd\` wrote in ${pathText(written)}; ${remove}`;
    }
    case 'unread':
      return `cannot read: ${change.reason}; it may change ${escapeText(unit)}, which --check cannot tell; make it readable (run as root) or remove it`;
  }
}
