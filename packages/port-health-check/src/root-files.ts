// Questions about a file under the checked root (--root), asked of the host path its links lead to inside that root
// (hostPath), so that one answer is kept in one place for gather and uvicorn-install alike. A file inside a
// RootDirectory= is asked of the path its links lead to inside that directory, as the program chrooted there opens it
// (readPath).
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { escapeText } from '@dsa110/ports';
import { hostPath } from '@dsa110/ports/files';
import { fileSystemPath } from '@dsa110/ports/system';
import type { EnvironmentSetting } from '@dsa110/ports/systemd';

/**
 * Where a daemon's files are read: the root the units are for (--root, `/` on the host), and the RootDirectory=
 * directories in it that programs run chrooted in (as that root names them, without a trailing `/`; never `/`).
 */
export interface ReadRoot {
  readonly root: string;
  readonly chroots: readonly string[];
  /**
   * What the daemon's unit hides from it (PrivateTmp=, ProtectHome=, InaccessiblePaths=, TemporaryFileSystem=, and
   * where BindPaths= puts another file: UnitFacts' hiddenPaths), each
   * path as the root the units are for names it: a file at or under one, or that its links lead to, is not read
   * (readPath throws HiddenPathError), as the daemon sees an empty directory or nothing there; the deepest one a file
   * is under decides, and one `shown` (a path bound onto itself) shows the file.
   */
  readonly hidden?: readonly { readonly path: string; readonly setting: EnvironmentSetting; readonly mounted?: true; readonly shown?: true }[];
}

/** A file the daemon's unit hides from it (ReadRoot's `hidden`): which file it opens, if any, is not known here. */
export class HiddenPathError extends Error {
  readonly code = 'EHIDDEN';

  constructor(
    message: string,
    /** The setting that hides it, and the path it hides as the root the units are for names it, with the name a chrooted program gives it (` (its /tmp)`, or empty). */
    readonly hidden: { readonly path: string; readonly setting: EnvironmentSetting; readonly its: string; readonly mounted?: true },
  ) {
    super(message);
  }
}

/**
 * The host path to open for `path` (as the root the units are for names it): inside one of the tree's chroots (the
 * innermost), the file a program chrooted there opens, its links (an absolute one, `..`) resolved inside that
 * directory, as chroot(2) has it, the directory itself found inside the root; else hostPath's, inside the root.
 */
export function readPath(at: ReadRoot, path: string): string {
  const host = openedPath(at, path);
  const under = (name: string, dir: string): boolean => name === dir || name.startsWith(`${dir}/`);
  // The deepest path the file is under decides (systemd mounts a path's parents first), the first of equal ones.
  let hidden: NonNullable<ReadRoot['hidden']>[number] | undefined;
  // The file's real path once, not once for each hidden path (a realpath is an lstat of each part of it).
  let realHost: string | undefined;
  const depth = (name: string): number => name.split('/').filter(Boolean).length;
  const dirs = realHiddenDirs(at);
  for (const [index, each] of (at.hidden ?? []).entries()) {
    const dir = dirs[index]!;
    if (
      (under(path, each.path) || under(host, dir) || under((realHost ??= realOrSame(host)), dir)) &&
      (hidden === undefined || depth(each.path) > depth(hidden.path))
    )
      hidden = each;
  }
  // A path bound onto itself (BindReadOnlyPaths=/etc/redis): the host's own file, read as it is.
  if (hidden === undefined || hidden.shown === true) return host;
  // Inside its RootDirectory=, the daemon names the directory otherwise: that name too.
  const chroot = chrootOf(at.chroots, hidden.path);
  const its = chroot === undefined ? '' : ` (its ${escapeText(hidden.path.slice(chroot.length) || '/')})`;
  throw new HiddenPathError(
    hidden.mounted === true
      ? `${hiddenText(hidden)} mounts another file or directory at ${escapeText(hidden.path)}${its} for the daemon, so which file it reads there is not known here; move the file out of it, or the setting`
      : `${hiddenText(hidden)} hides ${escapeText(hidden.path)}${its} from the daemon, so it does not read the file there; move the file out of it, or the setting`,
    { path: hidden.path, setting: hidden.setting, its, ...(hidden.mounted === true && { mounted: true }) },
  );
}

/** `PrivateTmp=yes (/lib/systemd/system/x.service:2)`: the setting that hides a path, escaped. */
export function hiddenText(hidden: { readonly setting: EnvironmentSetting }): string {
  return `${escapeText(hidden.setting.value, 200)} (${escapeText(`${hidden.setting.file}:${hidden.setting.line}`, 500)})`;
}

/**
 * The real paths of the directories `at` hides (its `hidden`, in order), found once for each ReadRoot: a realpath is
 * an lstat of each part, and a check reads each daemon's files through one ReadRoot several times (readPath).
 */
function realHiddenDirs(at: ReadRoot): readonly string[] {
  let dirs = realDirsOf.get(at);
  if (dirs === undefined) realDirsOf.set(at, (dirs = (at.hidden ?? []).map((each) => realOrSame(openedPath(at, each.path)))));
  return dirs;
}

const realDirsOf = new WeakMap<ReadRoot, readonly string[]>();

function openedPath(at: ReadRoot, path: string): string {
  const chroot = chrootOf(at.chroots, path);
  if (chroot === undefined) return hostPath(at.root, path);
  return hostPath(hostPath(at.root, chroot), path.slice(chroot.length) || '/');
}

function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Two daemons that open different files by one name (sharedReadRoot): `hiddenBy`, why one of them does not see it at
 * all (readPath's HiddenPathError), where another reads it; else a daemon chrooted in a RootDirectory= and one beside
 * it on the root, a link between.
 */
export interface SplitReading {
  readonly split: true;
  readonly hiddenBy?: string;
}

/**
 * Of `ats` (the roots of the daemons that open `path`; one at least), one to read `path` through when all of them
 * open the one file (readPath, links followed), or none of them sees it (hidden from each); a SplitReading when two
 * open different files by that name, or one sees it and another not: which one a reading is about cannot be told.
 */
export function sharedReadRoot(ats: readonly ReadRoot[], path: string): ReadRoot | SplitReading {
  const opened = (at: ReadRoot): { file: string } | { hidden: string } => {
    try {
      return { file: realOrSame(readPath(at, path)) };
    } catch (error) {
      return error instanceof HiddenPathError ? { hidden: error.message } : { file: `${(error as Error).message}` };
    }
  };
  const first = ats[0];
  if (first === undefined) throw new RangeError('sharedReadRoot: no daemon reads the file');
  const plain = (at: ReadRoot): boolean => (at.hidden ?? []).length === 0;
  let firstOpened: ReturnType<typeof opened> | undefined;
  for (const at of ats.slice(1)) {
    // In one directory (the root, or one RootDirectory=), with nothing hidden from either: the one file.
    if (chrootOf(at.chroots, path) === chrootOf(first.chroots, path) && plain(at) && plain(first)) continue;
    const mine = (firstOpened ??= opened(first));
    const other = opened(at);
    if ('hidden' in mine && 'file' in other) return { split: true, hiddenBy: mine.hidden };
    if ('file' in mine && 'hidden' in other) return { split: true, hiddenBy: other.hidden };
    if ('file' in mine && 'file' in other && mine.file !== other.file) return { split: true };
  }
  return first;
}

/**
 * Pure: why the daemons of `units` cannot be given one reading of a file (split), and, for two files by one name,
 * `fix` (a file the registry names: to name each daemon's file there as the root names it).
 */
export function splitReason(units: readonly string[], split: SplitReading, fix = "name each daemon's file in the registry as the root names it"): string {
  const named = [...new Set(units)];
  const who = named.length > 1 ? named.map((unit) => escapeText(unit)).join(' and ') : 'the daemons that name it';
  return split.hiddenBy !== undefined
    ? `one of ${who} does not see this file: ${split.hiddenBy}`
    : `${who} open different files by this name (one chrooted in its RootDirectory=, a link leading elsewhere there); ${fix}`;
}

/** A key for `at`: two roots with one key read every path alike (readPath). */
export function readRootKey(at: ReadRoot): string {
  return JSON.stringify([at.root, at.chroots, (at.hidden ?? []).map((each) => [each.path, each.setting.value, each.setting.file, each.setting.line])]);
}

/** Pure: the innermost of `chroots` that `path` is inside (or is), undefined for none. */
export function chrootOf(chroots: readonly string[], path: string): string | undefined {
  let found: string | undefined;
  for (const chroot of chroots) if ((path === chroot || path.startsWith(`${chroot}/`)) && chroot.length > (found?.length ?? 0)) found = chroot;
  return found;
}

/** Whether `path` under `root` (or in `at`: readPath) is a directory (links followed); false when it cannot be looked at. */
export function isDirectory(root: string | ReadRoot, path: string): boolean {
  try {
    return statSync(openPath(root, path)).isDirectory();
  } catch {
    return false;
  }
}

/** Whether anything (a file, a directory, a link, even a dangling one) is at `path` under `root` (or in `at`: readPath). */
export function anythingAt(root: string | ReadRoot, path: string): boolean {
  try {
    lstatSync(openPath(root, path));
    return true;
  } catch {
    return false;
  }
}

// A byte that is not UTF-8 (kept as U+DC80+byte: a name an include glob listed) is opened as that byte.
function openPath(root: string | ReadRoot, path: string): string | Buffer {
  return fileSystemPath(typeof root === 'string' ? hostPath(root, path) : readPath(root, path));
}

/**
 * Readings of files by path, for facts keyed by path (one reading a path): each read once, through the root of the
 * first daemon that asks for it; another daemon's root shares that reading when it opens the same files by its names
 * (sharedReadRoot of each of `names`: the path, or a glob's directory and the files it matched), else `split`'s
 * reading takes its place, for every daemon: which one's file a reading is about cannot be told.
 */
export class SharedReadings<T> {
  readonly values = new Map<string, T>();
  private readonly asked = new Map<string, { ats: ReadRoot[]; keys: Set<string>; units: string[] }>();

  constructor(
    private readonly split: (path: string, reason: string) => T,
    private readonly names: (path: string, value: T) => readonly string[] = (path) => [path],
  ) {}

  /**
   * `path`'s reading for the daemon of `unit`, which reads through `at` (`read` reads it there when it is the
   * first); `state`: read now, shared (the first time through this root: what it leads to is to be followed from
   * this root too), or seen (asked through this root before, or split).
   */
  read(path: string, at: ReadRoot, unit: string | undefined, read: () => T): { value: T; state: 'read' | 'shared' | 'seen' } {
    const key = readRootKey(at);
    const asked = this.asked.get(path);
    if (asked === undefined) {
      const value = read();
      this.values.set(path, value);
      this.asked.set(path, { ats: [at], keys: new Set([key]), units: unit === undefined ? [] : [unit] });
      return { value, state: 'read' };
    }
    const value = this.values.get(path) as T;
    if (asked.keys.has(key)) return { value, state: 'seen' };
    asked.keys.add(key);
    asked.ats.push(at);
    if (unit !== undefined) asked.units.push(unit);
    for (const name of this.names(path, value)) {
      const shared = sharedReadRoot(asked.ats, name);
      if ('split' in shared) {
        const split = this.split(path, splitReason(asked.units, shared, "give each daemon's file a name of its own"));
        this.values.set(path, split);
        return { value: split, state: 'seen' };
      }
    }
    return { value, state: 'shared' };
  }
}
