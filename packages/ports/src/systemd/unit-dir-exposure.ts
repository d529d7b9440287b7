// The directories on the way to the files `ports systemd` writes that others may write, and the other drop-ins there
// that others may change: whoever may write them chooses what systemd runs as root.
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { escapeText } from '../escape.js';
import type { ExposedDirectory, GuardedDirectory } from '../files/directories.js';
import { fileExposure } from '../files/tree.js';
import { trustedOwners, untrustedLink } from '../files/write.js';
import { DROP_IN_NAME } from '../render/systemd.js';

/** The unit directory, absolute, as given and as it really is (through links): of the directories holding files, the ones that are not drop-in directories. */
export function unitDirectories(unitDir: string): Set<string> {
  const dirs = new Set([resolve(unitDir)]);
  try {
    dirs.add(realpathSync(unitDir)); // a link to the real unit directory
  } catch {
    // missing: made by the write
  }
  return dirs;
}

/** Pure: what a writer of `entry`'s directory may do to what systemd runs as root (directoryProblem's `what`); `unitDirs` from unitDirectories. */
export function stake({ dir }: ExposedDirectory, unitDirs: ReadonlySet<string>): string {
  if (!dir.holdsFiles) return `put another directory in place of ${escapeText(dir.below!)}, and so choose the units and drop-ins systemd runs as root`;
  if (unitDirs.has(resolve(dir.path))) return 'replace the drop-in directories and units there, or add others, which systemd runs as root';
  return 'add drop-ins that systemd runs as root';
}

/**
 * Every other `.conf` in a guarded drop-in directory that another user owns or
 * others may write, and why: systemd reads them all, so each is as much the
 * claim's as claim-port.conf. A link is judged by its owner.
 */
export function exposedDropIns(dirs: readonly GuardedDirectory[], unitDirs: ReadonlySet<string>): { path: string; reason: string }[] {
  const euid = process.geteuid?.();
  const found: { path: string; reason: string }[] = [];
  for (const dir of dirs) {
    if (!dir.holdsFiles || unitDirs.has(resolve(dir.path)) || untrustedLink(dir.path) !== undefined) continue;
    let names: string[];
    try {
      names = readdirSync(dir.path).sort();
    } catch {
      continue; // missing: made by the write; unreadable: the write says so
    }
    for (const name of names) {
      if (!name.endsWith('.conf') || name === DROP_IN_NAME) continue;
      let info: ReturnType<typeof lstatSync>;
      try {
        info = lstatSync(join(dir.path, name));
      } catch {
        continue;
      }
      const exposure = info.isSymbolicLink()
        ? info.uid !== 0 && info.uid !== euid
          ? `a symbolic link owned by uid ${info.uid}, not by ${trustedOwners()}`
          : undefined
        : fileExposure(info, join(dir.path, name));
      if (exposure === undefined) continue;
      found.push({
        path: join(dir.path, name),
        reason: `${exposure}: systemd reads every .conf in ${escapeText(dir.path)}, so whoever may change it chooses what systemd runs as root; read it, then remove it or make it root's, 0644`,
      });
    }
  }
  return found;
}
