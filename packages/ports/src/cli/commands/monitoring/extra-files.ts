// The files of `ports monitoring`'s tree that the registry does not make but Grafana would load with the ones it does
// (LOADED_DIRECTORIES): found by the loaders' own rules, so that a file no loader reads (an editor's backup, a note, a
// killed writer's .tmp) is not drift, and a dot-file one does read is.
import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOADED_DIRECTORIES, type LoadedDirectory } from '../../../render/monitoring.js';

/** One entry that a loader reads and that is none of the tree's files. */
export interface ExtraFile {
  /** Relative to the output directory. */
  readonly path: string;
  /** `a file`, `a directory`, `a symbolic link`, ...: what is there, as lstat(2) says. */
  readonly kind: string;
  readonly directory: LoadedDirectory;
}

/**
 * The entries of `dir`'s loaded directories that are not in `made` (paths relative to `dir`: the files the registry
 * makes, and those already reported otherwise), sorted by path. A loaded directory that is missing, or is no directory,
 * holds none: the files' own checks say what is wrong with it. A subdirectory the walk may not list is one entry itself.
 */
export function extraFiles(dir: string, made: ReadonlySet<string>): ExtraFile[] {
  const found: ExtraFile[] = [];
  for (const directory of LOADED_DIRECTORIES) {
    const walk = (path: string, top: boolean) => {
      let entries: Dirent[];
      try {
        entries = readdirSync(join(dir, path), { withFileTypes: true });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const kind = code === 'EACCES' || code === 'EPERM' ? 'a directory this user may not list' : `a directory that cannot be listed (${code ?? 'EIO'})`;
        if (!top) found.push({ path, kind, directory });
        return;
      }
      for (const entry of entries) {
        const child = `${path}/${entry.name}`;
        if (made.has(child)) continue;
        // Dirent types are lstat's: a link to a directory is a link, which neither loader's walk enters.
        if (entry.isDirectory() && directory.walks !== undefined) {
          if (directory.walks(entry.name)) walk(child, false);
          continue;
        }
        if (directory.loads(entry.name)) found.push({ path: child, kind: kindOf(entry), directory });
      }
    };
    walk(directory.path, true);
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function kindOf(entry: Dirent): string {
  if (entry.isFile()) return 'a file';
  if (entry.isDirectory()) return 'a directory';
  if (entry.isSymbolicLink()) return 'a symbolic link';
  return 'an entry that is no regular file';
}
