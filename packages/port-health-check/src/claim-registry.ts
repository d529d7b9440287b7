// The registry a claim line makes claim-port read: its --registry, else
// $DSA110_PORTS_FILE from the unit's environment (Environment=, then its
// EnvironmentFile= files), else the bundled one (undefined: nothing to judge).
// gather judges each such file, the systemd check reports it: one reading.
import { REGISTRY_ENV } from '@dsa110/ports';
import { parseClaimArgs } from '@dsa110/ports/systemd';
import type { ExecLine, UnitFacts } from './types.js';

/** The file the claim line `line` of `unit` reads, as it names it; undefined for the bundled registry or arguments claim-port refuses. */
export function claimLineRegistry(line: Pick<ExecLine, 'argv'>, unit: Pick<UnitFacts, 'environment'>): string | undefined {
  const args = parseClaimArgs(line.argv.slice(1));
  if (args.command !== 'claim') return undefined;
  if (args.registry !== undefined) return args.registry;
  const fromEnv = unit.environment.get(REGISTRY_ENV)?.value;
  return fromEnv ? fromEnv : undefined;
}
