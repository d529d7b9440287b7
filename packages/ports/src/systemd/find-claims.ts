// Every claim-port line systemd would read across its unit directories (unit files, drop-ins, the type-wide
// service.d/), as `ports systemd` and its --check find stray claims: what hides what (a unit file of the same name
// higher up, a drop-in of the same name, an alias's drop-ins), masks, and drop-in directories no unit reads.
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { escapeText } from '../escape.js';
import { hostPath, readFileBytes, resolveInRoot } from '../files/index.js';
import { MAX_UNIT_BYTES, UNIT_NAME_CHARACTERS } from '../limits.js';
import { claimLinesIn, DEFAULT_UNIT_DIR, DROP_IN_NAME, type FoundClaim } from '../render/systemd.js';
import { decodeKeepingBadBytes } from '../utf8.js';
import { driftPath } from './drift-path.js';
import { dropInDirUnread } from './drop-in-readers.js';
import { listUnitDirs, loadUnit, type UnitDirListing } from './effective.js';
import { inWorkingDirectory, registryFileId, unitReader } from './found-claim-registry.js';
import { idFirst } from './same-name-drop-in.js';
import { dropInDirNames, dropInPattern, UNIT_DIRS } from './search-path.js';

/**
 * Every `*.d/claim-port.conf` in the unit directory, relative to it, each drop-in
 * directory found through `place` (a link to one resolved inside --root), and
 * those that are masked (a link to /dev/null, or empty), under `root` (undefined
 * for --out: a bare directory, whose links the host resolves).
 */
export async function findDropIns(
  unitDir: string,
  place: (path: string) => string,
  root: string | undefined,
): Promise<{ dropIns: string[]; masked: string[] }> {
  let entries: string[];
  try {
    entries = await readdir(unitDir);
  } catch {
    return { dropIns: [], masked: [] };
  }
  const dropIns: string[] = [];
  const masked: string[] = [];
  for (const name of entries.sort()) {
    if (!name.endsWith('.d')) continue;
    const path = `${name}/${DROP_IN_NAME}`;
    let file: string;
    try {
      file = place(path);
      // Whatever is there (a file, a link, a FIFO) is found without being opened.
      await lstat(file);
    } catch {
      continue;
    }
    dropIns.push(path);
    if (isMasked(path, file, root)) masked.push(path);
  }
  return { dropIns, masked };
}

/** Whether the drop-in at `path` (relative to the unit directory; `file`, its host path) masks: a link to /dev/null, or empty, as systemd takes it. */
function isMasked(path: string, file: string, root: string | undefined): boolean {
  try {
    const target = linkTarget(path, file, root);
    if (target?.inside === '/dev/null') return true;
    const info = statSync(target?.host ?? file);
    return info.isFile() && info.size === 0;
  } catch {
    return false; // a link to nothing, or unreadable: no mask
  }
}

/**
 * Where the link at `path` (relative to the unit directory `dir`, as the system names it; `file`, its host path) leads: as the system sees it
 * (`inside`: `/dev/null` for a mask) and the host path to open, resolved inside `root` (undefined for --out, where
 * the host resolves it); undefined when it is no link. Throws when it leads nowhere.
 */
function linkTarget(path: string, file: string, root: string | undefined, dir = DEFAULT_UNIT_DIR): { inside: string; host: string } | undefined {
  if (!lstatSync(file).isSymbolicLink()) return undefined;
  if (root === undefined) {
    const host = realpathSync(file);
    return { inside: host, host };
  }
  const inside = resolveInRoot(root, `${dir}/${path}`);
  return { inside, host: root === '/' ? inside : join(root, inside) };
}

/**
 * Of the claims found (findDropIns' claim-port.conf `dropIns` and `masked` in the unit directory, findClaims' `claims`),
 * those systemd reads: not one in a drop-in directory that no unit reads (dropInDirUnread: no unit file or alias of its
 * name, no instance of a template there, no unit of its dash prefix), under `root`. Such a claim neither satisfies nor
 * fails the check: each such directory is one warning (`warnings`, without the `warning: `). The registry's own
 * drop-ins (`expected`) stay: the check of the units says when their unit is missing. For --out (`root` undefined)
 * every claim stays: DIR is staged for a system whose other unit directories are not known here, and a packaged unit
 * there (`/usr/lib/systemd/system/x.service`) would read DIR's `x.service.d/` once installed.
 */
export function claimsRead(
  root: string | undefined,
  unitDir: string,
  found: { readonly dropIns: readonly string[]; readonly masked: readonly string[]; readonly claims: readonly FoundClaim[] },
  expected: ReadonlySet<string>,
): { dropIns: string[]; masked: string[]; claims: FoundClaim[]; warnings: string[] } {
  if (root === undefined) return { dropIns: [...found.dropIns], masked: [...found.masked], claims: [...found.claims], warnings: [] };
  let listing: UnitDirListing | undefined;
  const unreadOf = new Map<string, boolean>();
  const unread = (dirName: string): boolean => {
    if (!unreadOf.has(dirName)) {
      listing ??= listUnitDirs(root, []);
      unreadOf.set(dirName, dropInDirUnread(root, dirName, listing));
    }
    return unreadOf.get(dirName)!;
  };
  const where = root === '/' ? '' : ` under ${escapeText(root)}`;
  const warned = new Map<string, string>();
  const warn = (shown: string, dirName: string) => {
    const named = escapeText(dropInPattern(dirName) ?? dirName.slice(0, -'.d'.length));
    warned.set(
      shown,
      `${escapeText(shown)}/: systemd never reads this drop-in directory, as no unit${where} is named ${named}, so no claim-port line in it claims a port; remove it (or install the unit it was for)`,
    );
  };
  // The drop-in directory of a file relative to its unit directory (`ghost.service.d/x.conf`), or undefined.
  const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : undefined);
  const kept = (path: string, inside: string | undefined): boolean => {
    const dirName = dirOf(path);
    if (dirName === undefined || (inside === undefined && expected.has(path)) || !unread(dirName)) return true;
    warn(inside === undefined ? join(unitDir, dirName) : driftPath(`${inside}/${dirName}`, unitDir, root), dirName);
    return false;
  };
  const dropIns = found.dropIns.filter((path) => kept(path, undefined));
  const claims = found.claims.filter((claim) => kept(claim.path, claim.dir));
  return {
    dropIns,
    masked: found.masked.filter((path) => dropIns.includes(path)),
    claims,
    warnings: [...warned.keys()].sort().map((shown) => warned.get(shown)!),
  };
}

/** A unit directory findClaims reads: as the system names it (undefined: the one checked), its listing's host path, and a file's. */
interface ClaimDir {
  readonly inside: string | undefined;
  readonly listed: string;
  readonly place: (path: string) => string;
}

/**
 * Every claim-port line (claimLinesIn) in the unit directories' own
 * `*.service` files, `*.service.d/*.conf` drop-ins and type-wide
 * `service.d/*.conf` ones (which every service reads), claim-port.conf
 * included: a line the registry no longer asks for (a service removed, made
 * non-robust, switched to the drop-in) still frees its port, as root, at the
 * next start. With --out (`root` undefined) the one directory given; under a
 * root (`root`, `/` on this host) the unit directory checked and every other
 * systemd loads units from, in systemd's order (UNIT_DIRS: system.control,
 * transient, the generators', system.attached, /run, /usr/local/lib, /lib,
 * /usr/lib): a unit file hides one of its name further down, and a drop-in
 * one of its name that every unit reading it reads after it (dropInHidden),
 * which systemd never reads (so is not reported); a
 * directory that is another through links (/lib -> usr/lib) is read once,
 * under its real name (FoundClaim.dir). Each read through `place`, drop-in
 * directories too (links resolved inside the root), as systemd reads it: a
 * drop-in that is a link is read where it leads; a unit file that is a link
 * only when it leads out of the unit directories (`systemctl link`), since
 * one that leads into them is an alias (the file it names is its unit's); a
 * mask (/dev/null) never. Bytes that are not UTF-8 are kept
 * (decodeKeepingBadBytes), so a line is shown with `\xff`. A file that cannot
 * be read is passed over: it is no unit the registry wires. One over
 * MAX_UNIT_BYTES too, the bound loadUnit reads a unit's files to: a claim line
 * there is never seen by one reader and not the other (loadUnit says the file
 * of a wired unit unread, and its verdict cannot be told).
 */
export async function findClaims(
  unitDir: string,
  place: (path: string) => string,
  claimPort: string,
  registryRoot: string | undefined,
  registryPath: string | undefined,
  registryDropIns: ReadonlySet<string> = new Set(),
): Promise<FoundClaim[]> {
  // The directories a unit-file link leading into them is an alias in (as the system sees them), and where a link's
  // first step leads (`alias.service -> foo.service` is an alias, whatever foo.service is).
  const seen = (dir: string) => (registryRoot === undefined ? realpathSync(dir) : resolveInRoot(registryRoot, dir));
  const unitDirs = new Set<string>();
  for (const dir of registryRoot === undefined ? [unitDir] : [DEFAULT_UNIT_DIR, ...UNIT_DIRS.map((relative) => `/${relative}`)]) {
    try {
      unitDirs.add(seen(dir));
    } catch {
      // not there: no alias into it
    }
  }
  const dirs = registryRoot === undefined ? [{ inside: undefined, listed: unitDir, place }] : claimDirs(registryRoot, unitDir, place);
  // --out: the one directory is the system's only unit directory, as the host names it; its alias links are read alike.
  const outDir = registryRoot === undefined ? resolve(unitDir) : undefined;
  const applied = outDir !== undefined ? aliasDropIns('/', [outDir]) : aliasDropIns(registryRoot!);
  /** Unit files found higher up (`foo.service`): one of its name further down is hidden. */
  const hidden = new Set<string>();
  /** Drop-ins found higher up, by file name: the drop-in directory names holding one of that name. */
  const dropInsAbove = new Map<string, Set<string>>();
  const found: FoundClaim[] = [];
  /** Drop-ins of a directory just read (`NAME.service.d/x.conf`): they hide those of their file name further down (dropInHidden). */
  const recordHiding = (dropIns: Iterable<string>) => {
    for (const path of dropIns) {
      const slash = path.indexOf('/');
      const dirNames = dropInsAbove.get(path.slice(slash + 1)) ?? new Set<string>();
      dirNames.add(path.slice(0, slash));
      dropInsAbove.set(path.slice(slash + 1), dirNames);
    }
  };
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = await readdir(dir.listed);
    } catch {
      entries = []; // not there (yet): the registry's drop-ins, as the write makes them, still hide those below
    }
    const paths: string[] = [];
    for (const name of entries.sort()) {
      // A name systemd refuses (`we$ird.service`) is no unit, nor a drop-in directory of one: never loaded.
      if (!UNIT_NAME_CHARACTERS.test(name)) continue;
      if (name.endsWith('.service')) paths.push(name);
      else if (name.endsWith('.service.d') || name === 'service.d') {
        let dropIns: string[];
        try {
          dropIns = await readdir(dirname(dir.place(`${name}/${DROP_IN_NAME}`)));
        } catch {
          continue; // not a directory, gone, unreadable, or a link not followed (inRoot): passed over
        }
        for (const conf of dropIns.sort()) if (conf.endsWith('.conf') && !conf.startsWith('.')) paths.push(`${name}/${conf}`);
      }
    }
    const base = dir.inside ?? DEFAULT_UNIT_DIR;
    const aliasTo = (file: string): string | undefined => {
      const to = readlinkSync(file);
      return unitDirs.has(seen(dirname(to.startsWith('/') ? to : join(registryRoot === undefined ? unitDir : base, to)))) ? basename(to) : undefined;
    };
    const dropInsHere: string[] = [];
    for (const path of paths) {
      const slash = path.indexOf('/');
      if (slash < 0 ? hidden.has(path) : dropInHidden(path.slice(0, slash), path.slice(slash + 1), dropInsAbove)) continue;
      // A drop-in hides only those of directories read after this one (dropInHidden): kept aside until this one is read.
      if (slash >= 0) dropInsHere.push(path);
      try {
        const file = dir.place(path);
        const target = linkTarget(path, file, registryRoot, base);
        const alias = target !== undefined && slash < 0 ? aliasTo(file) : undefined;
        // An alias of its own name (`/etc/.../foo.service -> /usr/lib/.../foo.service`) hides nothing: the file it names is read.
        if (slash < 0 && alias !== path) hidden.add(path);
        if (target !== undefined && (target.inside === '/dev/null' || alias !== undefined)) continue;
        const read = target?.host ?? file;
        if (!statSync(read).isFile()) continue;
        const text = decodeKeepingBadBytes(readFileBytes(read, { maxBytes: MAX_UNIT_BYTES }));
        const claims = claimLinesIn(path, text, [claimPort]);
        // A drop-in directory of a unit with several names (aliases): systemd reads each name's in turn, its own name's
        // first, so the drop-ins it applies are the unit's, as loadUnit reads them (a claim of the same file name in
        // the unit's own directory, anywhere in the search path, hides one in an alias's).
        // A unit file of a unit with several names: read by each of them (the registry may name it by an alias).
        const named =
          claims.length === 0
            ? undefined
            : slash >= 0
              ? applied.dropIn(`${outDir ?? base}/${path.slice(0, slash)}`, path.slice(slash + 1))
              : applied.unitFile(outDir ?? base, path);
        if (named?.applied === false) continue;
        const placed = dir.inside === undefined ? claims : claims.map((claim) => ({ ...claim, dir: dir.inside }));
        found.push(...(named === undefined ? placed : placed.map((claim) => ({ ...claim, unitNames: named.names }))));
      } catch {
        // gone, unreadable, too big, or a link that leads nowhere: passed over
      }
    }
    // The registry's own drop-ins (`redis-server.service.d/claim-port.conf`) as written, there or not: systemd reads
    // each in place of one of its name further down (a package's copy), which then claims nothing twice.
    recordHiding(dir.inside === undefined ? [...dropInsHere, ...registryDropIns] : dropInsHere);
  }
  // A line without --registry reads the unit's $DSA110_PORTS_FILE (its Environment=, EnvironmentFile=, the manager's
  // DefaultEnvironment=), as the registry's own units' lines do (claimRegistryProblem); a relative path is opened in
  // the working directory of the unit that reads the line (pathInWorkingDirectory): the path there, or why it cannot
  // be told here.
  const unitOf = unitReader(registryRoot, unitDir);
  const resolved = found.map((claim) => inWorkingDirectory(claim, unitOf));
  if (registryRoot === undefined) return resolved;
  // Which registry file each line's --registry names, as the booted system finds it (links resolved inside the root):
  // `/etc/dsa110/../dsa110/ports.yaml`, or a link to it, is the registry checked, not another; a path that names no
  // file is none (claim-port then cannot resolve a service id, and frees a port with its built-in list).
  const checked = registryPath === undefined ? undefined : registryFileId(registryRoot, registryPath);
  return resolved.map((claim) => {
    if (claim.registry === undefined) return claim;
    const path = claim.registryIn ?? claim.registry;
    const named = path.startsWith('/') ? registryFileId(registryRoot, path) : undefined;
    return {
      ...claim,
      otherRegistry: named !== undefined && named !== checked,
      ...(named !== undefined && named === checked && { sameRegistry: true as const }),
    };
  });
}

/**
 * The unit directories under `root` findClaims reads, in systemd's order (UNIT_DIRS), each once by its real name inside
 * the root: the one checked (`unitDir`, its files through `place`) as it is, the others by that name.
 */
function claimDirs(root: string, unitDir: string, place: (path: string) => string): ClaimDir[] {
  const dirs: ClaimDir[] = [];
  const named = new Set<string>();
  for (const relative of UNIT_DIRS) {
    const dir = `/${relative}`;
    let inside: string;
    try {
      inside = resolveInRoot(root, dir);
    } catch {
      continue; // a link that leads nowhere, or loops: no directory
    }
    if (named.has(inside)) continue; // /lib -> usr/lib: read once
    named.add(inside);
    const host = root === '/' ? inside : join(root, inside);
    if (dir === DEFAULT_UNIT_DIR) dirs.push({ inside: undefined, listed: unitDir, place });
    else
      dirs.push({
        inside,
        listed: host,
        place: (path) => join(hostPath(root, `${inside}/${dirname(path)}`), basename(path)),
      });
  }
  return dirs;
}

/**
 * Pure: whether systemd never reads the drop-in `name` of the drop-in directory `dirName` (`foo-.service.d`), given
 * the drop-ins of the unit directories read before its own (`above`: by file name, the directory names holding one).
 * For each file name the first directory in systemd's order wins (dropInDirs: every unit directory in turn, each with
 * the unit's own directory name, its template's, then its dash prefixes'; the type-wide `service.d` after them all).
 * So a unit-specific one is hidden, for every unit that reads it, by a drop-in of its name higher up in any directory
 * name those units all read: its own, or one it leads to (`foo-bar.service.d/x.conf` by `foo-.service.d/x.conf` of a
 * directory read before; `a-b-.service.d/x.conf`, read by every `a-b-*`, by `a-.service.d/x.conf`). A more specific
 * one hides it only for its own units (`foo-bar.service.d/x.conf` hides `foo-.service.d/x.conf` from foo-bar.service
 * alone): it is still read by the others. The type-wide one is hidden by one of its name higher up only.
 */
function dropInHidden(dirName: string, name: string, above: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  const holders = above.get(name);
  if (holders === undefined) return false;
  if (!dirName.slice(0, -'.d'.length).includes('.')) return holders.has(dirName);
  return dropInDirNames(dirName.slice(0, -'.d'.length))
    .slice(0, -1)
    .some((each) => holders.has(each));
}

/**
 * Whether systemd applies the drop-in `name` of the drop-in directory `dir` (as the system under `root` names it) to
 * the one unit that reads that directory, and that unit's names (FoundClaim.unitNames), when the unit has other names (aliases: links in the unit directories,
 * among them those `systemctl enable` makes for [Install] Alias=); undefined when the directory is not one unit's
 * (the type-wide `service.d`, a dash prefix's, a template's), the unit has no other name, or a part of it could not be
 * read: then dropInHidden decides. The unit's names and drop-ins are loadUnit's, the reading the health check and
 * the --check of the registry's units make: systemd reads the unit's own name's directories in every unit directory,
 * then each alias's (unit_file_find_dropin_paths), the first of a file name winning.
 */
function aliasDropIns(
  root: string,
  dirs?: readonly string[],
): {
  dropIn(dir: string, name: string): { applied: boolean; names: readonly string[] } | undefined;
  /** The unit file `name` in `dir`: the unit's names, when it has others and this is the file systemd loads for them. */
  unitFile(dir: string, name: string): { applied: boolean; names: readonly string[] } | undefined;
} {
  let listing: UnitDirListing | undefined;
  const appliedOf = new Map<string, { dropIns: ReadonlySet<string>; file: string | undefined; names: readonly string[] } | undefined>();
  // A drop-in as its directory's real place inside the root and its name: /lib/... and /usr/lib/... are one on a merged /usr.
  const place = (dir: string, name: string): string | undefined => {
    try {
      return `${resolveInRoot(root, dir)}/${name}`;
    } catch {
      return undefined;
    }
  };
  const unitOf = (unit: string) => {
    // One unit's own name only: not `service` (type-wide), `foo@.service` (a template's: every instance), `foo-.service` or `a-@i.service` (a dash prefix's).
    if (!unit.includes('.') || /(?:@|-)\.[^.]+$/.test(unit) || /-@/.test(unit)) return undefined;
    if (!appliedOf.has(unit)) {
      listing ??= listUnitDirs(root, [], dirs);
      const loaded = loadUnit(root, unit, listing);
      const known = loaded.file !== undefined && loaded.aliases !== undefined && loaded.aliases.length > 0 && (loaded.unread ?? []).length === 0;
      const dropIns = new Set(loaded.dropIns.map((dropIn) => place(dirname(dropIn.path), basename(dropIn.path))).filter((each) => each !== undefined));
      const file = known ? place(dirname(loaded.file!.path), basename(loaded.file!.path)) : undefined;
      appliedOf.set(unit, known ? { dropIns, file, names: idFirst(unit, loaded.aliases!, basename(loaded.file!.path)) } : undefined);
    }
    return appliedOf.get(unit);
  };
  return {
    dropIn: (dir, name) => {
      const unit = unitOf(basename(dir).slice(0, -'.d'.length));
      const here = place(dir, name);
      return unit === undefined || here === undefined ? undefined : { applied: unit.dropIns.has(here), names: unit.names };
    },
    unitFile: (dir, name) => {
      const unit = unitOf(name);
      const here = place(dir, name);
      // Another file of its name (not the one systemd loads): no names given, never passed over.
      return unit === undefined || here === undefined || unit.file !== here ? undefined : { applied: true, names: unit.names };
    },
  };
}
