// The registry this check holds as claim lines would name it, and the one a
// claim line's service id is resolved in. Which registry a line reads is the
// core's reading (claimLineRegistry, readsOtherRegistry of
// @dsa110/ports/systemd), shared with `ports systemd --check`.
import { BUNDLED_SOURCE, type Registry } from '@dsa110/ports';
import { claimLineRegistry } from '@dsa110/ports/systemd';
import type { ExecLine, Facts, UnitFacts } from './types.js';

/**
 * The registry this check holds, as a claim line would name it: its path
 * (registryPath: under a root, as the booted system names it), `bundled`, or
 * undefined when no line can name it (a file outside the root, a Registry
 * passed in that is not the bundled one): then no line is held to it.
 */
export function checkedRegistryName(
  facts: Pick<Facts, 'registryPath' | 'registryFile'> & { readonly registry: Pick<Registry, 'source'> },
): { readonly path: string | undefined } | undefined {
  if (facts.registryPath !== undefined) return { path: facts.registryPath };
  return facts.registryFile === undefined && facts.registry.source === BUNDLED_SOURCE ? { path: undefined } : undefined;
}

/**
 * The registry a claim line's service id is resolved in: the one it reads,
 * as gather loaded it (Facts.claimRegistries, keyed by claimLineRegistry's
 * name, `` for the bundled one), or the checked registry when the line reads
 * that one. A string: why claim-port could not load it.
 */
export function registryForLine(
  facts: Pick<Facts, 'registry' | 'claimRegistries'>,
  line: Pick<ExecLine, 'argv'>,
  unit: Pick<UnitFacts, 'environment' | 'workingDirectory' | 'rootDirectory' | 'rootImage' | 'rootDirectoryStartOnly'>,
): Registry | string {
  if (facts.claimRegistries === undefined) return facts.registry;
  return facts.claimRegistries.get(claimLineRegistry(line, unit) ?? '') ?? facts.registry;
}
