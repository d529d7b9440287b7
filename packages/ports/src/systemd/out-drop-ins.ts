// The drop-ins of --out's bare directory as systemd would read them once the directory is copied into place: a unit's
// own, and the empty ExecStartPre= lines that clear a claim.
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { escapeText } from '../escape.js';
import { readRootSafeFileBytes } from '../files/root-read.js';
import { MAX_UNIT_BYTES } from '../limits.js';
import { DEFAULT_UNIT_DIR, DROP_IN_NAME, type ClaimWiring, type SystemdDrift } from '../render/systemd.js';
import { decodeKeepingBadBytes } from '../utf8.js';
import { claimPortArgument } from './claim-args.js';
import { claimLines } from './claim-line.js';
import { claimRegistryLineProblem } from './effective-problems.js';
import { listPlacedUnitDir, loadUnit, mergeUnit, namesWithFileElsewhere, type LoadedUnit, type UnitDirListing } from './effective.js';
import { mergeUnitWithEnvironmentFiles } from './environment-files.js';
import { outMaskedText } from './line-advice.js';
import { namesRegistry } from './registry-name.js';
import { idFirst } from './same-name-drop-in.js';
import { chooseDropIns, dropInDirNames, templateOf, typeDropInDirName } from './search-path.js';
import type { EnvironmentSetting } from './types.js';

/**
 * --out's DIR listed as the one unit directory, as loadUnit reads it once DIR is copied into /etc/systemd/system
 * (listPlacedUnitDir: a link to /lib/systemd/system/foo.service there is an alias of foo.service): once for every
 * wired unit of a run.
 */
export function outListing(unitDir: string): UnitDirListing {
  return listPlacedUnitDir(resolve(unitDir));
}

/**
 * The drop-in directories (relative to --out's DIR) `unit` reads once DIR is copied into place, in systemd's order:
 * those of each of the unit's names as loadUnit finds them, DIR being the one unit directory (its id first, then each
 * alias, as under a root: `redis.service`, a link to `redis-server.service` in DIR, makes `redis.service.d/` one of
 * redis-server.service's), each with its template's and dash prefixes', then the type-wide `service.d/`. So --out and
 * --root read the same drop-ins of the same files. `listing`: outListing(unitDir), listed once for a run.
 */
export function outDropInDirNames(unit: string, unitDir: string, listing: UnitDirListing = outListing(unitDir)): string[] {
  const loaded = loadUnit('/', unit, listing);
  // No unit file of it in DIR: it is on the system DIR is copied to (a package's), and every alias link in DIR that
  // leads to it, wherever the link points, names a drop-in directory of it.
  const names = loaded.file === undefined ? namesWithFileElsewhere(listing, unit) : idFirst(unit, loaded.aliases ?? [], basename(loaded.file.path));
  return [...new Set([...names.flatMap((name) => dropInDirNames(name).slice(0, -1)), typeDropInDirName(unit)])];
}

/**
 * A unit's own drop-ins in the bare directory of --out (`UNIT.d/*.conf`, by name, as systemd reads them), but not a
 * claim-port.conf left from `claim: drop-in` (said on its own line, to be removed once the line is in): each with its
 * path as printed and its text. One that is not a regular file or cannot be read (as root, through a link another
 * user owns: readRootSafeFileBytes) is left out (nothing to accept).
 */
export function outOwnDropIns(unit: string, unitDir: string): { readonly path: string; readonly text: string }[] {
  const dir = join(unitDir, `${unit}.d`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no such directory
  }
  return names
    .filter((name) => name.endsWith('.conf') && name !== DROP_IN_NAME)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      try {
        return statSync(path).isFile() ? [{ path, text: decodeKeepingBadBytes(readRootSafeFileBytes(path, { maxBytes: MAX_UNIT_BYTES })) }] : [];
      } catch {
        return [];
      }
    });
}

/**
 * With --out DIR (a bare directory: no unit is loaded, and the units are judged no further), each wired claim that
 * an empty ExecStartPre= in a drop-in in DIR clears, as systemd would read DIR once copied into /etc/systemd/system
 * as laid out: the unit's drop-ins there (its own directory, its aliases', its template's, its dash prefixes', the type-wide
 * `service.d/`, the first of a file name winning, then all by file name: chooseDropIns), after its unit file when DIR
 * has it. One drift each, at the clearing line, when the claim's file is there (its line is then what is cleared) and
 * no claim-port line is read after it. Drop-ins under /usr/lib or /run on the system it is copied to are not known here.
 */
export function outClearings(
  wiring: readonly ClaimWiring[],
  files: ReadonlyMap<string, string | undefined>,
  unitDir: string,
  claimPort: string,
): SystemdDrift[] {
  const drift: SystemdDrift[] = [];
  const listing = outListing(unitDir);
  for (const entry of wiring) {
    if (files.get(entry.path) === undefined) continue;
    const unit = mergeUnit(outLoadedUnit(entry, files, unitDir, listing));
    const cleared = unit.execStartPreCleared;
    if (cleared === undefined || claimLines(unit.execStartPre, [claimPort]).length > 0) continue;
    const port = claimPortArgument(entry.port, entry.service.transport);
    drift.push({
      path: `${cleared.file}:${cleared.line}`,
      message: `the empty ExecStartPre= here clears every earlier ExecStartPre= of ${escapeText(entry.unit)}, its claim line in ${escapeText(join(unitDir, entry.path))} included, so once ${escapeText(unitDir)} is copied into ${DEFAULT_UNIT_DIR} as laid out nothing frees port ${port} before it starts; remove that line or add the claim after it`,
    });
  }
  return drift;
}

/**
 * A wired unit as systemd would load it from --out's bare DIR once copied into place (outClearings' reading): its unit
 * file there for a `claim: unit` service (its text in `files`, by the wiring's path), then the drop-ins of each of its
 * drop-in directories there, the first of a file name winning (chooseDropIns). Paths relative to DIR, or with `shown`
 * joined to it (`out/foo.service.d/x.conf`), as messages name them. One that is not a regular file or cannot be read
 * is left out: said by outDropInProblems.
 */
function outLoadedUnit(
  entry: ClaimWiring,
  files: ReadonlyMap<string, string | undefined>,
  unitDir: string,
  listing: UnitDirListing,
  shown = false,
): LoadedUnit {
  const named = (path: string) => (shown ? join(unitDir, path) : path);
  const text = (path: string): string | undefined => {
    try {
      const host = join(unitDir, path);
      return statSync(host).isFile() ? decodeKeepingBadBytes(readRootSafeFileBytes(host, { maxBytes: MAX_UNIT_BYTES })) : undefined;
    } catch {
      return undefined; // gone, unreadable, too big or (as root) through another user's link: said by outDropInProblems, or nothing systemd reads either
    }
  };
  const found = outDropInDirNames(entry.unit, unitDir, listing).map((dir) => {
    try {
      return { dir, names: readdirSync(join(unitDir, dir)) };
    } catch {
      return { dir, names: [] }; // no such directory
    }
  });
  const dropIns = chooseDropIns(found).flatMap(({ dir, name }) => {
    const read = text(`${dir}/${name}`);
    return read === undefined ? [] : [{ path: named(`${dir}/${name}`), text: read }];
  });
  const fileText = entry.claim === 'unit' ? files.get(entry.path) : undefined;
  return { unit: entry.unit, ...(fileText !== undefined && { file: { path: named(entry.path), text: fileText } }), dropIns, problems: [] };
}

/** A problem of one wired unit as --out's DIR would have systemd load it: said `UNIT: message`, as under a root. */
export interface OutUnitProblem {
  readonly unit: string;
  readonly message: string;
  /** The unit is masked in DIR: no claim of its runs (counted with the masked units). */
  readonly masked?: true;
}

/**
 * With --out DIR, the wired units' problems that the files in DIR alone cause once DIR is copied into
 * ${DEFAULT_UNIT_DIR} as laid out, as --check under a root says them of the units it loads: a `claim: drop-in` unit
 * masked in DIR (its name, else its template's, a link to /dev/null or empty: outMask), whose claim then never runs;
 * and each claim line that reads another registry than `registryPath` (undefined: the bundled one), for the unit's
 * $DSA110_PORTS_FILE set by Environment= or an EnvironmentFile= in DIR (claimRegistryLineProblem). The unit is read
 * from DIR (outLoadedUnit) when its claim file there is as read (`files`, by the wiring's path; a drifted one is said
 * by its drift); its EnvironmentFile= files and systemd's DefaultEnvironment= (`defaultEnvironment`) are this host's.
 */
export function outUnitProblems(
  wiring: readonly ClaimWiring[],
  files: ReadonlyMap<string, string | undefined>,
  unitDir: string,
  claimPort: string,
  registryPath: string | undefined,
  defaultEnvironment: ReadonlyMap<string, EnvironmentSetting>,
): OutUnitProblem[] {
  const problems: OutUnitProblem[] = [];
  const listing = outListing(unitDir);
  // --out names this host's files: a --registry that is the registry's file by another name (a link, `..`) reads it.
  const names = registryPath === undefined ? undefined : namesRegistry('/', registryPath);
  for (const entry of wiring) {
    if (entry.claim === 'drop-in') {
      const mask = outMask(entry.unit, unitDir);
      if (mask !== undefined) {
        problems.push({ unit: entry.unit, message: `masked: ${outMaskedText(mask, unitDir)}`, masked: true });
        continue;
      }
    }
    if (files.get(entry.path) === undefined) continue;
    const unit = mergeUnitWithEnvironmentFiles('/', outLoadedUnit(entry, files, unitDir, listing, true), { defaultEnvironment });
    for (const line of claimLines(unit.execStartPre, [claimPort])) {
      const problem = claimRegistryLineProblem(line, unit, registryPath, undefined, names);
      if (problem !== undefined) problems.push({ unit: entry.unit, message: problem });
    }
  }
  return problems;
}

/**
 * The file in --out's DIR that masks `unit` (`DIR/NAME`, else its template's, the first of them there), a link to
 * /dev/null or an empty regular file, as systemd takes either (null_or_empty_path); undefined when the first one there
 * is a unit file with text, or there is none.
 */
export function outMask(unit: string, unitDir: string): string | undefined {
  const template = templateOf(unit);
  for (const name of template === undefined ? [unit] : [unit, template]) {
    const path = join(unitDir, name);
    let info: ReturnType<typeof lstatSync> | undefined;
    try {
      info = lstatSync(path, { throwIfNoEntry: false });
      if (info === undefined) continue;
      if (info.isSymbolicLink()) return readlinkSync(path) === '/dev/null' ? path : undefined;
      return info.isFile() && info.size === 0 ? path : undefined;
    } catch {
      return undefined; // cannot be looked at: said as the unit file's drift, when it is one
    }
  }
  return undefined;
}
