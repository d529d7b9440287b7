// Whether any unit reads a drop-in directory: systemd reads `NAME.service.d/` only for a unit that has it among its
// drop-in directories (unit_file_find_dropin_paths), and loads no unit from drop-ins alone ("Unit NAME.service not
// found", as `systemd-analyze verify --root` says of a name with only a drop-in directory).
import { loadUnit, type UnitDirListing } from './effective.js';
import { dropInDirNames } from './search-path.js';

/**
 * Whether no unit under `root` (as `listing`, from listUnitDirs, lists its unit directories) reads the drop-in
 * directory `dirName` (`ghost.service.d`), so systemd never reads a file in it: no unit of its name (a unit file, an
 * alias, an instance of a template that is there), and, for a template's (`foo@.service.d`) or a dash prefix's
 * (`foo-.service.d`, `a-@i.service.d`), no listed unit, alias or instance of a listed template whose drop-in
 * directories (dropInDirNames) include it. Each candidate is loaded as systemd loads it (loadUnit): it reads the
 * directory when it has a unit file (a masked one too), or when part of it could not be read here (then it cannot be
 * told, and is not said). False for a type-wide directory (`service.d`), which every unit of its type reads.
 */
export function dropInDirUnread(root: string, dirName: string, listing: UnitDirListing): boolean {
  const name = dirName.slice(0, -'.d'.length);
  const dot = name.lastIndexOf('.');
  if (!dirName.endsWith('.d') || dot <= 0) return false;
  const suffix = name.slice(dot);
  const reads = (unit: string): boolean => {
    const loaded = loadUnit(root, unit, listing);
    return loaded.file !== undefined || (loaded.unread ?? []).length > 0;
  };
  if (reads(name)) return false;
  const listed = new Set<string>();
  for (const names of listing.values()) for (const entry of names) if (entry.endsWith(suffix) && entry.length > suffix.length) listed.add(entry);
  // An instance's directory of a dash prefix (`a-@i.service.d`): read by the instance `i` of any listed template it leads to.
  const at = name.indexOf('@');
  const instance = at > 0 && at + 1 < dot ? name.slice(at + 1, dot) : undefined;
  if (instance !== undefined)
    for (const entry of [...listed]) {
      const sign = entry.indexOf('@');
      if (sign > 0 && sign + 1 === entry.length - suffix.length) listed.add(`${entry.slice(0, sign + 1)}${instance}${entry.slice(sign + 1)}`);
    }
  for (const unit of listed) if (unit !== name && dropInDirNames(unit).includes(dirName) && reads(unit)) return false;
  return true;
}
