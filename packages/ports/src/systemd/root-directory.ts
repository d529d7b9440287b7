// RootDirectory=, RootImage=, RootDirectoryStartOnly= and MountAPIVFS=
// (systemd.exec(5)) as systemd 252 reads them, and what they do to a claim
// line. `+` does not lift the root (working-directory.ts says why): systemd
// chroots every Exec line into RootDirectory= (or runs it inside RootImage=),
// ExecStartPre= too, unless RootDirectoryStartOnly=yes, which leaves only
// ExecStart= chrooted. So `ExecStartPre=+/usr/local/bin/claim-port api` of a
// unit with RootDirectory=/srv/root runs /srv/root/usr/local/bin/claim-port,
// which opens its registry under /srv/root. /proc there: systemd mounts the API
// file systems in the root (MountAPIVFS=, yes by default with a root) only for
// a command it sandboxes, and `+` turns the sandboxing off
// (apply_mount_namespace passes mount_apivfs only with needs_sandboxing): a `+`
// line sees whatever is mounted at DIR/proc on the host, usually nothing.
import { statfsSync } from 'node:fs';
import { escapeText } from '../escape.js';
import { describeArgument, objectArgument, pathArgument, stringArgument } from '../arguments.js';
import { execKey, searchDir } from './exec-search.js';
import type { BooleanSetting, ExecLine, RootSetting, UnitFacts } from './types.js';
import { expandSpecifiers, HOST_SPECIFIERS, type SpecifierUnit, SYSTEM_MANAGER_SPECIFIERS, unknownSpecifier } from './words.js';

/**
 * One non-empty RootDirectory= or RootImage= value as systemd 252 stores it (config_parse_unit_path_printf, fatal):
 * specifiers resolved as PID 1 resolves them, the path checked as path_simplify_and_warn(PATH_CHECK_ABSOLUTE)
 * checks it. `error` for a value systemd refuses: the unit file does not load, a drop-in's reading ends.
 */
export function parseRootPath(
  key: 'RootDirectory' | 'RootImage',
  value: string,
  unit: SpecifierUnit,
): { setting: Omit<RootSetting, 'file' | 'line'> } | { error: string } {
  const unknown = unknownSpecifier(value);
  if (unknown !== undefined) return { error: `${key}=${escapeText(value, 200)}: unknown specifier ${unknown} (systemd refuses it)` };
  const host = { ...SYSTEM_MANAGER_SPECIFIERS, ...(unit.host !== undefined && Object.fromEntries(Object.entries(unit.host))) };
  const unresolved = [...value.matchAll(/%([\s\S]?)/g)].find(
    ([, letter]) => letter !== '' && HOST_SPECIFIERS.includes(letter!) && !Object.hasOwn(host, letter!),
  );
  if (unresolved !== undefined) return { setting: { value, unresolved: unresolved[0] } };
  const checked = searchDir(expandSpecifiers(value, { name: unit.name, host }));
  if ('reason' in checked) return { error: `${key}=${escapeText(value, 200)}: ${checked.reason} (systemd refuses it)` };
  return { setting: { value, path: checked.dir } };
}

/** A boolean as systemd's parse_boolean() reads it; undefined for anything else (systemd logs it and ignores the line). */
export function parseBoolean(value: string): boolean | undefined {
  // Looked up, not matched: two case-insensitive expressions were compiled at each start of a check. No character
  // beyond ASCII lower-cases to a letter of these words (U+212A, the Kelvin sign, to `k` is the one near), so
  // toLowerCase takes exactly what strcaseeq() does.
  const word = value.toLowerCase();
  return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : undefined;
}

const TRUE_WORDS: ReadonlySet<string> = new Set(['1', 'yes', 'y', 'true', 't', 'on']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['0', 'no', 'n', 'false', 'f', 'off']);

/**
 * Where a claim line of `unit` runs: on the root the units are for (`host`), chrooted in a directory (`directory`,
 * the path as that root names it, and the RootDirectory= setting), or somewhere this check cannot look
 * (`unknown`, in words: RootImage=, or a RootDirectory= with a specifier not resolved here). Pure.
 */
export type ClaimRoot =
  | { readonly host: true }
  | { readonly directory: string; readonly setting: RootSetting }
  | { readonly unknown: string; readonly setting: RootSetting };

type RootFacts = Pick<UnitFacts, 'rootDirectory' | 'rootImage' | 'rootDirectoryStartOnly'>;

/** The root an ExecStartPre= line of `unit` runs in (ClaimRoot). */
export function claimRoot(unit: RootFacts): ClaimRoot {
  return rootOf('claimRoot', unit);
}

/** claimRoot, its argument checked in the name of `fn`, the exported function called (a wrong RootDirectory= given to another was refused in claimRoot's name). */
export function rootOf(fn: string, unit: RootFacts): ClaimRoot {
  objectArgument(fn, 'unit', unit, 'UnitFacts, from mergeUnit');
  if (unit.rootDirectoryStartOnly?.value === true) return { host: true };
  const image = unit.rootImage;
  if (image !== undefined) rootSettingArgument(fn, 'unit.rootImage', image);
  if (image !== undefined)
    return {
      unknown: `claim-port runs inside RootImage=${escapeText(image.value, 200)} (${image.file}:${image.line}), which this check does not open`,
      setting: image,
    };
  const directory = unit.rootDirectory;
  if (directory === undefined) return { host: true };
  rootSettingArgument(fn, 'unit.rootDirectory', directory);
  if (directory.path === undefined)
    return {
      unknown: `claim-port runs chrooted in RootDirectory=${escapeText(directory.value, 200)} (${directory.file}:${directory.line}), which has ${directory.unresolved}, which this check does not resolve`,
      setting: directory,
    };
  return directory.path === '/' ? { host: true } : { directory: directory.path, setting: directory };
}

/**
 * A unit's RootDirectory= or RootImage= (`name`), checked for what the words and the answer read: a wrong one
 * failed inside, naming escapeText ("escapeText: value must be a string, not undefined"), or printed "undefined".
 */
function rootSettingArgument(fn: string, name: string, setting: unknown): void {
  if (typeof setting !== 'object' || setting === null)
    throw new TypeError(`${fn}: ${name} must be a RootSetting ({ value, file, line, path? }), from mergeUnit, or left out, not ${describeArgument(setting)}`);
  const { value, file, line, path, unresolved } = setting as Partial<Record<keyof RootSetting, unknown>>;
  if (typeof value !== 'string') throw new TypeError(`${fn}: ${name}.value must be the setting as written (a string), not ${describeArgument(value)}`);
  if (typeof file !== 'string') throw new TypeError(`${fn}: ${name}.file must be a path (a string), not ${describeArgument(file)}`);
  if (typeof line !== 'number') throw new TypeError(`${fn}: ${name}.line must be a line number, not ${describeArgument(line)}`);
  if (path !== undefined && typeof path !== 'string')
    throw new TypeError(`${fn}: ${name}.path must be a path (a string) or left out, not ${describeArgument(path)}`);
  if (unresolved !== undefined && typeof unresolved !== 'string')
    throw new TypeError(`${fn}: ${name}.unresolved must be a specifier (a string) or left out, not ${describeArgument(unresolved)}`);
}

/** ` inside RootDirectory=/srv/root (FILE:LINE)`, the words for a chrooted claim line; '' on the host. */
export function claimRootText(root: ClaimRoot): string {
  claimRootArgument('claimRootText', root);
  if ('host' in root) return '';
  return ` inside RootDirectory=${escapeText(root.setting.value, 200)} (${root.setting.file}:${root.setting.line})`;
}

/** `path` (absolute, as the claim line names it) as the root the units are for names it: under the chroot directory, if any. */
export function pathOutsideRoot(path: string, root: ClaimRoot): string {
  stringArgument('pathOutsideRoot', 'path', path, 'a path (a string)');
  claimRootArgument('pathOutsideRoot', root);
  return 'directory' in root && path.startsWith('/') ? `${root.directory}${path}` : path;
}

/**
 * Why systemd does not mount /proc in the chroot of this claim line, in words, or undefined when it does (or the
 * line is not chrooted): `+` turns off the sandboxing that mounts it (MountAPIVFS=, yes by default with a root, is
 * part of it), or MountAPIVFS=no. Without /proc claim-port cannot see which process holds the port. Pure: whether
 * something else mounted a /proc there is the caller's to look at.
 */
export function claimRootProcReason(
  unit: Pick<UnitFacts, 'rootDirectory' | 'rootImage' | 'rootDirectoryStartOnly' | 'mountAPIVFS'>,
  line: Pick<ExecLine, 'prefixes'>,
): string | undefined {
  return procReason('claimRootProcReason', unit, line);
}

/** claimRootProcReason, its arguments checked in the name of `fn`. */
function procReason(
  fn: string,
  unit: Pick<UnitFacts, 'rootDirectory' | 'rootImage' | 'rootDirectoryStartOnly' | 'mountAPIVFS'>,
  line: Pick<ExecLine, 'prefixes'>,
): string | undefined {
  const root = rootOf(fn, unit);
  objectArgument(fn, 'line', line, 'an ExecLine');
  stringArgument(fn, 'line.prefixes', line.prefixes, "the Exec line's prefixes (a string, such as '+')");
  if (!('directory' in root)) return undefined;
  if (line.prefixes.includes('+')) return 'its `+` turns off the sandboxing that mounts /proc in the root (MountAPIVFS= does not apply to it)';
  const apivfs: BooleanSetting | undefined = unit.mountAPIVFS;
  if (apivfs !== undefined && !apivfs.value) return `MountAPIVFS=no (${apivfs.file}:${apivfs.line})`;
  return undefined;
}

/**
 * execKey's key of a claim line's command, with the root it runs in (claimRoot): the same path chrooted in two
 * directories, or inside a RootImage=, is another file. One claim-port per key is looked at.
 */
export function claimExecKey(command: string, unit: Pick<UnitFacts, 'execSearchPath'> & RootFacts): string {
  stringArgument('claimExecKey', 'command', command, 'a command (a string)');
  const root = rootOf('claimExecKey', unit);
  const key = execKey(command, unit);
  return 'host' in root ? key : `${'directory' in root ? root.directory : `${root.setting.value}\u0000image`}\u0000${key}`;
}

/** procfs's f_type (PROC_SUPER_MAGIC). */
const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * Whether a /proc is mounted at `directory`/proc, chrooted claim-port's only /proc when systemd mounts none
 * (claimRootProcReason): looked at only on the machine itself (`root` `/`); under another root its mounts are the
 * booted system's, not known here (undefined).
 */
export function procMountedIn(root: string, directory: string): boolean | undefined {
  pathArgument('procMountedIn', 'root', root);
  pathArgument('procMountedIn', 'directory', directory);
  if (root !== '/') return undefined;
  try {
    return statfsSync(`${directory.replace(/\/+$/, '')}/proc`).type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * The verdict on a chrooted claim line's /proc, one line, or undefined when it has one: systemd mounts none
 * (claimRootProcReason) and none is mounted there (`mounted`, procMountedIn's): an error, as claim-port then
 * cannot see which processes hold the port, so it frees nothing; not known (under another root): a warning.
 */
export function claimRootProcFinding(
  unit: Pick<UnitFacts, 'rootDirectory' | 'rootImage' | 'rootDirectoryStartOnly' | 'mountAPIVFS'>,
  line: Pick<ExecLine, 'prefixes' | 'value' | 'file' | 'line'>,
  mounted: boolean | undefined,
): { readonly severity: 'error' | 'warning'; readonly reason: string } | undefined {
  const why = procReason('claimRootProcFinding', unit, line);
  stringArgument('claimRootProcFinding', 'line.value', line.value, 'the Exec line as written (a string)');
  if (mounted !== undefined && typeof mounted !== 'boolean')
    throw new TypeError(`claimRootProcFinding: mounted must be true, false or undefined (procMountedIn's answer), not ${describeArgument(mounted)}`);
  if (typeof line.file !== 'string') throw new TypeError(`claimRootProcFinding: line.file must be a path (a string), not ${describeArgument(line.file)}`);
  if (typeof line.line !== 'number') throw new TypeError(`claimRootProcFinding: line.line must be a line number, not ${describeArgument(line.line)}`);
  const root = rootOf('claimRootProcFinding', unit);
  if (why === undefined || mounted === true || !('directory' in root)) return undefined;
  const proc = escapeText(`${root.directory}/proc`);
  const state = mounted === false ? `${proc} is not a mounted /proc` : `whether ${proc} is a mounted /proc at boot cannot be told here`;
  return {
    severity: mounted === false ? 'error' : 'warning',
    reason: `ExecStartPre=${line.value.slice(0, 200)} in ${line.file}:${line.line} runs claim-port${claimRootText(root)} without /proc: ${why}, and ${state}; claim-port cannot see which processes hold the port, so it frees nothing; add RootDirectoryStartOnly=yes to [Service] to run it on the host's root`,
  };
}

/** A ClaimRoot (claimRoot's answer), checked in the name of `fn`. */
function claimRootArgument(fn: string, root: ClaimRoot): void {
  objectArgument(fn, 'root', root, "a ClaimRoot (claimRoot's answer)");
  const known = 'host' in root || ('directory' in root && typeof root.directory === 'string') || ('unknown' in root && typeof root.unknown === 'string');
  if (!known || (!('host' in root) && (typeof root.setting !== 'object' || root.setting === null)))
    throw new TypeError(
      `${fn}: root must be a ClaimRoot (claimRoot's answer: { host }, { directory, setting } or { unknown, setting }), not ${describeArgument(root)}`,
    );
}
