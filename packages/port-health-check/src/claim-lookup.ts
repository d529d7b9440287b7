// Where a claim line's claim-port is looked up. systemd looks a bare name up
// in its own search path (execSearch); a wrapper that sets PATH first
// (`ExecStartPre=+/usr/bin/env PATH=/opt/x/bin claim-port 8000`) makes env
// execvp it in that PATH instead, which the file's #! line is then run in too.
import { claimExecKey, claimLookupPath, execSearch, unitSearchPath, type ExecSearch, type SearchPath } from '@dsa110/ports/systemd';
import type { ExecLine, UnitFacts } from './types.js';

/** How one claim line's claim-port is found: the key of Facts.executables, systemd's search or env's PATH, and the PATH it runs with. */
export interface ClaimLookup {
  readonly key: string;
  readonly search: ExecSearch;
  /** The PATH env sets before naming claim-port (execvp looks it up there), when it does. */
  readonly envPath?: string;
  readonly searchPath: SearchPath;
}

/** claimLookup of a claim line (claimLines) of `unit`. */
export function claimLookup(line: ExecLine, unit: UnitFacts): ClaimLookup {
  const command = line.argv[0]!;
  const envPath = claimLookupPath(line);
  if (envPath === undefined) return { key: claimExecKey(command, unit), search: execSearch(unit), searchPath: unitSearchPath(unit) };
  // execvp: each entry in order; an empty or relative one is the directory the service runs in, not looked at here.
  const dirs = envPath.split(':').filter((dir) => dir.startsWith('/'));
  return {
    key: `${claimExecKey(command, unit)}\u0000PATH=${envPath}`,
    search: { dirs },
    envPath,
    searchPath: { value: envPath, file: line.file, line: line.line },
  };
}
