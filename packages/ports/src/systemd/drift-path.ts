// Where a finding of `ports systemd` is on this host: the paths findClaims and systemdDrift give (relative to the
// unit directory, or as the system under the root names them), as the write and --check print them.
import { join } from 'node:path';

/** The host path of a drift's `path` (SystemdDrift.path): relative to the unit directory checked, or absolute as the system under `root` names it. */
export function driftPath(path: string, unitDir: string, root: string | undefined): string {
  if (!path.startsWith('/')) return join(unitDir, path);
  return root === undefined || root === '/' ? path : join(root, path);
}
