// WorkingDirectory= (systemd.exec(5)) as systemd 252 reads it
// (config_parse_working_directory), and the one thing the unit model needs it
// for: the directory a claim line's relative registry path is read from.
// systemd.service(5): the `+` prefix lifts User=, Group=, capabilities and the
// file system namespacing for its command, not WorkingDirectory=: a claim
// line `ExecStartPre=+claim-port ...` runs in the unit's working directory too.
// Nor does it lift RootDirectory=/RootImage=, whatever that table's "file system
// namespacing options (such as PrivateDevices=, PrivateTmp=)" suggests: systemd
// chroots (apply_root_directory) or sets the namespace's root on the
// EXEC_APPLY_CHROOT flag alone, which service.c clears for ExecStartPre= only
// with RootDirectoryStartOnly=yes, and `+` (EXEC_COMMAND_FULLY_PRIVILEGED)
// only turns off the sandboxing (systemd/systemd#43010). So a claim line of a
// unit with RootDirectory= opens its registry path inside that directory
// (root-directory.ts: claimRoot, which both tools apply).
import { escapeText } from '../escape.js';
import { searchDir } from './exec-search.js';
import type { WorkingDirectorySetting } from './types.js';
import { expandSpecifiers, HOST_SPECIFIERS, type SpecifierUnit, SYSTEM_MANAGER_SPECIFIERS, simplifyPath, unknownSpecifier } from './words.js';

/**
 * One non-empty WorkingDirectory= value as systemd 252 stores it: a leading `-` (a missing directory is not fatal)
 * dropped; `~` the User='s home; else specifiers resolved as PID 1 resolves them (`%h` is `/root`) and the path
 * checked as path_simplify_and_warn(PATH_CHECK_ABSOLUTE) checks it. `error` (systemd's words) for a value systemd
 * refuses: without `-` the unit (or drop-in) fails to load, with `-` the line is ignored.
 */
export function parseWorkingDirectory(
  value: string,
  unit: SpecifierUnit,
): { setting: Omit<WorkingDirectorySetting, 'file' | 'line'> } | { error: string; missingOk: boolean } {
  const missingOk = value.startsWith('-');
  const written = missingOk ? value.slice(1) : value;
  if (written === '~') return { setting: { value, home: true } };
  const unknown = unknownSpecifier(written);
  if (unknown !== undefined) return { error: `WorkingDirectory=${escapeText(value, 200)}: unknown specifier ${unknown} (systemd refuses it)`, missingOk };
  const host = { ...SYSTEM_MANAGER_SPECIFIERS, ...(unit.host !== undefined && Object.fromEntries(Object.entries(unit.host))) };
  const unresolved = [...written.matchAll(/%([\s\S]?)/g)].find(
    ([, letter]) => letter !== '' && HOST_SPECIFIERS.includes(letter!) && !Object.hasOwn(host, letter!),
  );
  if (unresolved !== undefined) return { setting: { value, unresolved: unresolved[0] } };
  const checked = searchDir(expandSpecifiers(written, { name: unit.name, host }));
  if ('reason' in checked) return { error: `WorkingDirectory=${escapeText(value, 200)}: ${checked.reason} (systemd refuses it)`, missingOk };
  return { setting: { value, path: checked.dir } };
}

/**
 * Where a path `named` that claim-port opens (`--registry`, `$DSA110_PORTS_FILE`) is, as the system names it: itself
 * when absolute; else in the unit's working directory (WorkingDirectory=, else `/`, the system manager's default),
 * `//` and `/./` simplified, `..` kept (the kernel resolves it, through links). `unknown` when the working
 * directory is not known here (`~`, a host specifier), in words, one line.
 */
export function pathInWorkingDirectory(named: string, workingDirectory: WorkingDirectorySetting | undefined): { path: string } | { unknown: string } {
  if (named.startsWith('/')) return { path: named };
  const dir = workingDirectory === undefined ? '/' : workingDirectory.path;
  if (dir !== undefined) return { path: simplifyPath(`${dir}/${named}`) };
  const at = `${workingDirectory!.file}:${workingDirectory!.line}`;
  const why = workingDirectory!.home
    ? "the home directory of the unit's User=, which this check does not look up"
    : `it has ${workingDirectory!.unresolved}, which this check does not resolve`;
  return {
    unknown: `${escapeText(named)} is relative, so claim-port reads it from its working directory, WorkingDirectory=${escapeText(workingDirectory!.value, 200)} (${at}): ${why}`,
  };
}
