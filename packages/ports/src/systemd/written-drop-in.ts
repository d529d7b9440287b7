// A unit as systemd would load it once `ports systemd` has written its claim drop-in: what `ports systemd --check`
// judges a unit on while that drop-in still differs from the registry (or is missing), so that the unit's own
// problems (a later drop-in that clears the claim, a bad EnvironmentFile=) are said in the same run as the drift,
// and none of the stale file's lines is judged twice (once as drift, once as, say, a claim of the wrong port).
import { basename } from 'node:path';
import type { LoadedUnit } from './effective.js';
import { compareNames } from './search-path.js';

/**
 * Pure: `loaded` with the drop-in at `path` (as the system under the root names it, `/etc/systemd/system/NAME.d/
 * claim-port.conf`) holding `text`: its text replaced where systemd reads it, or, when it is not there, read in its
 * turn by file name (systemd reads a unit's drop-ins in strcmp order of their names, whatever their directory).
 * Undefined when another drop-in of that file name is there (read in its place, skipped, or not readable): which of
 * the two systemd would read (the first in its search path) is not worked out here, and the unit is not guessed at.
 */
export function withWrittenDropIn(loaded: LoadedUnit, path: string, text: string): LoadedUnit | undefined {
  const name = basename(path);
  const index = loaded.dropIns.findIndex((dropIn) => dropIn.path === path);
  if (index >= 0) return { ...loaded, dropIns: loaded.dropIns.map((dropIn, at) => (at === index ? { path, text } : dropIn)) };
  const sameName = [...loaded.dropIns, ...(loaded.skippedDropIns ?? []), ...(loaded.unread ?? []).filter((part) => part.kind !== 'file')].some(
    (part) => basename(part.path) === name,
  );
  if (sameName) return undefined;
  const after = loaded.dropIns.findIndex((dropIn) => compareNames(basename(dropIn.path), name) > 0);
  const at = after < 0 ? loaded.dropIns.length : after;
  return { ...loaded, dropIns: [...loaded.dropIns.slice(0, at), { path, text }, ...loaded.dropIns.slice(at)] };
}
