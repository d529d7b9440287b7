// Every check, in the order a report lists them. Pure: facts in, results out.
import type { CheckOptions, CheckResult, Facts } from '../types.js';
import { withEnvironmentFiles } from '../effective-port.js';
import { checkAccess } from './access.js';
import { checkConfig } from './config.js';
import { checkDependencies } from './dependencies.js';
import { checkFirewall } from './firewall.js';
import { checkKernel } from './kernel.js';
import { checkListening } from './listening.js';
import { checkOwner } from './owner.js';
import { checkReferences } from './references.js';
import { registryLoaded } from './registry.js';
import { checkReserved } from './reserved.js';
import { checkSystemd } from './systemd.js';
import { checkUnknownListeners } from './unknown-listeners.js';

export function runChecks(facts: Facts, options: CheckOptions): CheckResult[] {
  const results = [...registryLoaded(facts.registry), ...checkDependencies(facts)];
  for (const service of facts.services) {
    // Held against the unit's EnvironmentFile= list: an ok on a port an unreadable file may move is unknown.
    results.push(
      ...withEnvironmentFiles(facts, service, [
        ...checkSystemd(facts, service),
        ...checkConfig(facts, service),
        ...checkListening(facts, service),
        ...checkOwner(facts, service),
        ...checkAccess(facts, service),
        ...checkFirewall(facts, service),
        ...checkKernel(facts, service),
        ...checkReferences(facts, service),
      ]),
    );
  }
  if (facts.allServices) results.push(...checkReserved(facts), ...checkUnknownListeners(facts, options));
  return results;
}
