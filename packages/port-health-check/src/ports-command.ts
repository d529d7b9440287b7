// The `ports` and `claim-port` command lines the checks tell an operator to run, in one place:
// each reads the registry this check read (`--registry PATH`, when one was
// named by --registry or $DSA110_PORTS_FILE: the bundled registry has other
// services and other rules, and sudo or a fresh shell drops the variable),
// after the port overrides the services' units set (`CONTIMG_API_PORT=8500`:
// the unit's Environment=, not the operator's shell), each word as the shell
// reads it back (printedShellWord, as `ports`' own --check hints print theirs).
import { flagWords, printedShellWord, type Service } from '@dsa110/ports';
import { effectivePort } from './effective-port.js';
import type { Facts } from './types.js';

/**
 * `[VAR=PORT ...] ports [--registry PATH] WORDS...`, with the override of each of `moved` whose unit moves its port.
 * The path is the one this run read, as given (the command runs here, now, not on a system booted from --root).
 */
export function portsCommand(facts: Pick<Facts, 'registry' | 'units' | 'registryFile'>, words: readonly string[], moved: readonly Service[] = []): string {
  const overrides = [...new Set(moved)].flatMap((service) => {
    const { override, port } = effectivePort(facts, service);
    return override ? [`${override.variable}=${port}`] : [];
  });
  return [...overrides, 'ports', ...registryWords(facts), ...words].map(printedShellWord).join(' ');
}

/**
 * `claim-port [--registry PATH] PORT`: what frees the port under the registry this check read (its
 * claim.protect, not the bundled registry's: a holder this registry protects is refused there, and
 * signalled by a claim-port that reads the bundled one).
 */
export function claimPortCommand(facts: Pick<Facts, 'registryFile'>, port: number): string {
  return ['claim-port', ...registryWords(facts), String(port)].map(printedShellWord).join(' ');
}

/** `--registry PATH` when this check read a named registry (as given); nothing for the bundled one. */
function registryWords(facts: Pick<Facts, 'registryFile'>): string[] {
  return facts.registryFile === undefined ? [] : flagWords('registry', facts.registryFile);
}

/** `ports [--registry PATH] systemd [--root ROOT]`: what writes the claim wiring of the tree this check read. */
export function systemdCommand(facts: Pick<Facts, 'registry' | 'units' | 'registryFile' | 'root'>): string {
  return portsCommand(facts, ['systemd', ...(facts.root === '/' ? [] : flagWords('root', facts.root))]);
}
