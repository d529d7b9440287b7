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
import { checkOwnRegistry, checkSystemd } from './systemd.js';
import { checkUnknownListeners } from './unknown-listeners.js';

/** The checks of one service, in the order a report lists their results. */
const SERVICE_CHECKS = [checkSystemd, checkConfig, checkListening, checkOwner, checkAccess, checkFirewall, checkKernel, checkReferences] as const;

export function runChecks(facts: Facts, options: CheckOptions): CheckResult[] {
  const results: CheckResult[] = [];
  append(results, registryLoaded(facts.registry));
  append(results, checkDependencies(facts));
  append(results, checkOwnRegistry(facts));
  for (let index = 0; index < facts.services.length; index++) {
    const service = facts.services[index]!;
    const found: CheckResult[] = [];
    for (let check = 0; check < SERVICE_CHECKS.length; check++) append(found, SERVICE_CHECKS[check]!(facts, service));
    // Held against the unit's EnvironmentFile= list: an ok on a port an unreadable file may move is unknown.
    append(results, withEnvironmentFiles(facts, service, found));
  }
  if (facts.allServices) {
    append(results, checkReserved(facts));
    append(results, checkUnknownListeners(facts, options));
  }
  return results;
}

/**
 * Pushes `items` onto `results` by index: spread syntax (`push(...items)`, `[...a, ...b]`) went through
 * the iterator protocol in this cold code, an object for each result, 560 KB of a 500-service check's
 * 12.6 MB of young objects.
 */
function append(results: CheckResult[], items: readonly CheckResult[]): void {
  for (let index = 0; index < items.length; index++) results.push(items[index]!);
}
