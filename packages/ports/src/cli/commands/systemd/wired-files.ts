// `ports systemd --check`, first step: each wired service's file as it is on disk. A claim drop-in is this command's
// own file, judged as the write would write it; a unit-file claim's file is the one systemd loads (its own, else its
// template's, first unit directory first), masked or a link to nothing said as such.
import { basename, dirname, join } from 'node:path';
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { CommandError } from '../../exit-code.js';
import { readFailureAdvice } from '../../read-advice.js';
import { escapeText, pathText } from '../../../escape.js';
import { FileReadError, hostPath, inspectGeneratedFiles, resolveInRoot, type InspectedFile } from '../../../files/index.js';
import { readRootSafeFileIfPresent } from '../../../files/root-read.js';
import { MAX_GENERATED_FILE_BYTES, MAX_UNIT_BYTES, UNIT_TOO_LARGE } from '../../../limits.js';
import type { ClaimWiring, SystemdDrift } from '../../../render/systemd.js';
import { brokenUnitFileProblem, danglingAliasProblem } from '../../../systemd/claim-verdict.js';
import type { LoadedUnit } from '../../../systemd/effective.js';
import { outInstanceAdvice } from '../../../systemd/line-advice.js';
import { templateOf } from '../../../systemd/search-path.js';

/** A unit directory --check reads: as printed, and the host path of a file in it (links resolved inside --root). */
export interface UnitDir {
  readonly shown: string;
  open(name: string): string;
  /** Where `name` leads (under the root) when it is a link to nothing there: systemd takes it as the unit's file and fails to load it. */
  danglingLink?(name: string): string | undefined;
  /** Not the operator's: a package's unit directory (/usr/lib, /lib), or one made at run time (/run); a claim line goes in a drop-in (unitLineAdvice). */
  readonly packaged?: boolean;
  /** Under /run: made at run time (a generator, a transient unit), which a reboot replaces. */
  readonly madeAtRunTime?: boolean;
}

/** What readWiredFiles found, by the wiring entry's path (relative to the unit directory checked). */
export interface WiredFiles {
  /** The text on disk (undefined: absent). */
  readonly files: Map<string, string | undefined>;
  /** How each path is printed: where it was found. Later steps add the paths they name. */
  readonly shown: Map<string, string>;
  /** Unit-file claims of an instance found in its template's file (no file of its own): what to say beside a missing line. */
  readonly fromTemplate: Map<string, string>;
  /** Unit files masked (linked to /dev/null, or empty), by path: the mask's path as printed; said as such, not as missing. */
  readonly masked: Map<string, string>;
  /** Unit-file claims whose unit file is not the operator's (a package's, or made at run time: true), by path. */
  readonly packaged: Map<string, boolean>;
  /** Files that cannot be judged (a link, a FIFO, one others may write, a link to nothing): drift of their own. */
  readonly unreadable: SystemdDrift[];
  /** The claim drop-ins the write would replace with the registry's (every one it can read, but for a link or a FIFO), by unit. */
  readonly rewritable: Set<string>;
}

/** How a file others may write is said: drift, whatever it holds, since whoever writes it chooses what systemd runs as root. */
export function exposedText(exposure: string, regenerate: string): string {
  return `${exposure}: whoever may write it chooses what systemd runs as root; run \`${regenerate}\` to replace it with one of root's, 0644`;
}

/** Read each wired service's file (see the head of this file); throws CommandError for a unit file that cannot be read. */
export async function readWiredFiles(
  wiring: readonly ClaimWiring[],
  unitDirs: readonly UnitDir[],
  {
    unitDir,
    effectiveRoot,
    root,
    place,
    regenerate,
    load,
  }: {
    readonly unitDir: string;
    readonly effectiveRoot: string | undefined;
    readonly root: string | undefined;
    readonly place: (path: string) => string;
    readonly regenerate: string;
    /** Under a root, the unit as systemd loads it (loadUnit): which file is its unit file, links it ignores, an alias to nothing. */
    readonly load?: (unit: string) => LoadedUnit;
  },
): Promise<WiredFiles> {
  const wired: WiredFiles = {
    files: new Map(),
    shown: new Map(),
    fromTemplate: new Map(),
    masked: new Map(),
    packaged: new Map(),
    unreadable: [],
    rewritable: new Set(),
  };
  for (const entry of wiring) {
    wired.shown.set(entry.path, join(unitDir, entry.path));
    if (entry.claim === 'drop-in') readClaimDropIn(wired, entry, place, effectiveRoot, regenerate);
    else await readUnitFile(wired, entry, unitDirs, unitDir, root, load?.(entry.unit));
  }
  return wired;
}

/** The claim drop-in is this command's file: judged as `ports systemd` would write it (a link or a FIFO there is drift). */
function readClaimDropIn(wired: WiredFiles, entry: ClaimWiring, place: (path: string) => string, effectiveRoot: string | undefined, regenerate: string): void {
  const [{ current, problem, exposure }] = inspectGeneratedFiles('', [{ path: place(entry.path), contents: entry.contents! }], {
    maxBytes: MAX_GENERATED_FILE_BYTES,
    root: effectiveRoot,
  }) as [InspectedFile];
  if (problem !== undefined) wired.unreadable.push({ path: entry.path, message: problem });
  else if (exposure !== undefined) wired.unreadable.push({ path: entry.path, message: exposedText(exposure, regenerate) });
  else wired.files.set(entry.path, current);
  if (problem === undefined) wired.rewritable.add(entry.unit);
}

/**
 * The file systemd loads for a unit-file claim: the unit's own, else (an instance) its template's, first directory
 * first. Under a root, as loadUnit finds it (`loaded`): past the links systemd ignores (`-> x`, a self-alias); an
 * alias to a unit with no unit file said as such (no unit loads), never as a link to fix.
 */
async function readUnitFile(
  wired: WiredFiles,
  entry: ClaimWiring,
  unitDirs: readonly UnitDir[],
  unitDir: string,
  root: string | undefined,
  loaded: LoadedUnit | undefined,
): Promise<void> {
  const under = (path: string) => join(root ?? '/', path);
  if (loaded?.danglingAlias !== undefined) {
    wired.unreadable.push({
      path: entry.path,
      message: `unit ${escapeText(entry.unit)} not found: ${danglingAliasProblem(loaded.danglingAlias, entry.unit, root ?? '/')}`,
    });
    wired.shown.set(entry.path, under(loaded.danglingAlias.path));
    return;
  }
  const template = templateOf(entry.unit);
  const names = template ? [entry.path, template] : [entry.path];
  // The file loadUnit loads, when it read one of the unit's name (masked too): not a link to it that systemd ignores.
  // Else (none, or an alias's: read through the alias link, named as the unit is) the search below, past those links.
  const found = loaded?.file === undefined ? undefined : under(loaded.file.path);
  const only = found !== undefined && names.includes(basename(found)) ? found : undefined;
  const ignored = new Set((loaded?.ignoredLinks ?? []).map((link) => under(link.path)));
  for (const name of names) {
    for (const dir of unitDirs) {
      if ((only !== undefined && join(dir.shown, name) !== only) || ignored.has(join(dir.shown, name))) continue;
      // Masked (a link to /dev/null, as `systemctl mask` makes): systemd never starts it, whatever a later directory holds.
      if (isMaskLink(join(dir.shown, name))) {
        wired.masked.set(entry.path, join(dir.shown, name));
        return;
      }
      const text = await readText(join(dir.shown, name), () => dir.open(name));
      if (text === undefined) {
        // A link to nothing: systemd takes it as the unit's file and fails to load the unit; it never reads a lower copy.
        const leads = dir.danglingLink?.(name);
        if (leads === undefined) continue;
        const under = root === undefined || root === '/' ? '' : ` under ${escapeText(root)}`;
        const part = {
          path: join(dir.shown.slice((root ?? '/').replace(/\/+$/, '').length), name),
          reason: `it leads to ${pathText(leads)}, which does not exist${under}`,
        };
        wired.unreadable.push({ path: entry.path, message: `systemd cannot load ${escapeText(entry.unit)}: ${brokenUnitFileProblem(part, root ?? '/')}` });
        wired.shown.set(entry.path, join(dir.shown, name));
        return;
      }
      // Empty: masked as a link to /dev/null is (systemd's null_or_empty_path), never a file to add the line to.
      if (text === '') {
        wired.masked.set(entry.path, join(dir.shown, name));
        return;
      }
      wired.files.set(entry.path, text);
      wired.shown.set(entry.path, join(dir.shown, name));
      if (dir.packaged) wired.packaged.set(entry.path, dir.madeAtRunTime ?? false);
      // Under --root replaced later by the write's advice there (unitLineAdvice); under --out, the write's (outAdvice).
      if (name !== entry.path) wired.fromTemplate.set(entry.path, outInstanceAdvice(entry.unit, name, unitDir));
      return;
    }
  }
}

/** Where `path` (under `root`) leads when it is a link to nothing there; undefined for anything else. */
export function danglingLink(root: string, path: string): string | undefined {
  try {
    if (!lstatSync(join(hostPath(root, dirname(path)), basename(path))).isSymbolicLink()) return undefined;
    const inside = resolveInRoot(root, path);
    return statSync(join(root, inside), { throwIfNoEntry: false }) === undefined ? inside : undefined;
  } catch {
    return undefined; // not there, a loop (the read says so), unreadable
  }
}

/** Whether `path` is a link to /dev/null: a masked unit (systemd reads no further). */
export function isMaskLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink() && readlinkSync(path) === '/dev/null';
  } catch {
    return false;
  }
}

/**
 * A unit file or drop-in as systemd would read it (links followed, inside --root; as root, none another user owns:
 * readRootSafeFileIfPresent); undefined when absent. No further
 * than MAX_UNIT_BYTES, as every reader of units (loadUnit, findClaims): a line past it is seen by none of them.
 */
async function readText(shown: string, open: () => string): Promise<string | undefined> {
  try {
    return readRootSafeFileIfPresent(open(), { maxBytes: MAX_UNIT_BYTES });
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    throw new CommandError(`ports systemd: cannot read ${escapeText(shown)}: ${unitReadProblem(error)}`);
  }
}

/**
 * Why a unit file could not be read, and what to do (`REASON; ADVICE`): said alike by --check, which stops there, and
 * by the write's advice under --out, which says it in place of the line's (the file may hold it already).
 */
export function unitReadProblem(error: FileReadError): string {
  // Too large: said as the other readers say it, what to do included.
  if (error.kind === 'too-large') return UNIT_TOO_LARGE;
  const advice = unitReadAdvice(error);
  return `${error.reason}${advice === undefined ? '' : `; ${advice}`}`;
}

/** What to do about a unit file readText could not read; undefined where the reason says it (a path that changed). */
function unitReadAdvice(error: FileReadError): string | undefined {
  switch (error.kind) {
    case 'denied':
      return 'run as root, as systemd reads it';
    case 'not-regular':
      return "replace it with the unit's file (a regular file, or a link to one), which systemd can load";
    default:
      return readFailureAdvice(error);
  }
}
