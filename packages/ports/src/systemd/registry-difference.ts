// What differs, for one claim, between the registry a claim line makes
// claim-port read and the registry checked: the parts of a registry claim-port
// acts on (its claim: policy; which service is on which port, with its port
// variable; which services share the claimed service's unit, whose other
// ports it frees too rather than refusing them; the reserved ranges). Pure: two
// registries in, the differences in words out (none: the claim does today
// exactly what it would with the registry checked).
import { describeArgument, listProblem, objectArgument } from '../arguments.js';
import { registryObjectArgument, type ClaimPolicy, type Registry, type Service } from '../registry.js';
import { claimTarget } from './claim-line.js';
import type { ExecLine } from './types.js';

const POLICY_WORDS: Readonly<Record<keyof ClaimPolicy, string>> = {
  timeoutSeconds: 'claim timeout (claim.timeoutSeconds)',
  protectedProcesses: 'protected processes (claim.protect.processes)',
  unprotectedBuiltins: 'built-in protections lifted (claim.protect.unprotectBuiltin)',
  protectedPidsUpTo: 'protected PIDs (claim.protect.pidsUpTo)',
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const sorted = (list: readonly string[]) => [...list].sort();

/** A service as claim-port uses it: its port, transport and port variable, and whether it is in the claimed unit. */
function claimView(service: Service | undefined, claimedUnit: string | undefined) {
  if (service === undefined) return undefined;
  return {
    port: service.port,
    transport: service.transport,
    env: service.env,
    sharesUnit: claimedUnit !== undefined && service.systemd?.unit === claimedUnit,
  };
}

/**
 * The parts of `read` (the registry a claim line reads) that differ from `checked` for a claim of `claimed` (the
 * service id the line gives, or the service on the port it claims in `checked`), each in words: `its claim timeout
 * (claim.timeoutSeconds: 10 there, 5 here)`, `its port of redis`; empty when claim-port would act on the line the same.
 */
export function claimRegistryDifferences(read: Registry, checked: Registry, claimed: string | undefined): string[] {
  registryObjectArgument('claimRegistryDifferences', 'read', read);
  registryObjectArgument('claimRegistryDifferences', 'checked', checked);
  if (claimed !== undefined && typeof claimed !== 'string')
    throw new TypeError(`claimRegistryDifferences: claimed must be a service id (a string) or undefined, not ${describeArgument(claimed)}`);
  const out: string[] = [];
  for (const key of Object.keys(POLICY_WORDS) as (keyof ClaimPolicy)[]) {
    const [there, here] = [read.claim[key], checked.claim[key]];
    const differs = Array.isArray(there) ? !same(sorted(there), sorted(here as readonly string[])) : there !== here;
    if (differs) out.push(`its ${POLICY_WORDS[key]}${Array.isArray(there) ? '' : `: ${there} there, ${here} here`}`);
  }
  const unitIn = (registry: Registry) => (claimed !== undefined && registry.has(claimed) ? registry.service(claimed).systemd?.unit : undefined);
  const [readUnit, checkedUnit] = [unitIn(read), unitIn(checked)];
  const ids = [...new Set([...read.services.map((service) => service.id), ...checked.services.map((service) => service.id)])];
  const services = ids.filter((id) => {
    const there = claimView(read.has(id) ? read.service(id) : undefined, readUnit);
    const here = claimView(checked.has(id) ? checked.service(id) : undefined, checkedUnit);
    return !same(there, here);
  });
  if (services.length > 0) {
    const shown = services.slice(0, 5).join(', ');
    out.push(
      `its services ${shown}${services.length > 5 ? ` and ${services.length - 5} more` : ''} (in one registry only, or on another port, port variable or unit)`,
    );
  }
  if (
    !same(
      read.reserved.map(({ id, start, end, for: users }) => ({ id, start, end, users })),
      checked.reserved.map(({ id, start, end, for: users }) => ({ id, start, end, users })),
    )
  )
    out.push('its reserved ranges');
  return out;
}

/**
 * claimRegistryDifferences for claim line `line` (its argv as claim-port parses it), which reads `read` (as loaded:
 * a string is why it could not be, undefined not loaded), against `checked`: the claimed service is the id the line
 * gives, else the service `checked` puts on the port it claims. Undefined when `read` is not a loaded registry.
 */
export function claimLineDifferences(line: Pick<ExecLine, 'argv'>, read: Registry | string | undefined, checked: Registry): string[] | undefined {
  const problem = listProblem('.argv', objectArgument('claimLineDifferences', 'line', line, 'an ExecLine ({ argv, ... })').argv);
  if (problem !== undefined) throw new TypeError(`claimLineDifferences: line${problem}`);
  if (read !== undefined && typeof read !== 'string') registryObjectArgument('claimLineDifferences', 'read', read);
  registryObjectArgument('claimLineDifferences', 'checked', checked);
  if (read === undefined || typeof read === 'string') return undefined;
  const target = claimTarget(line.argv);
  const owner = 'port' in target ? checked.lookup(target.port, target.transport ?? 'tcp') : undefined;
  return claimRegistryDifferences(read, checked, 'id' in target ? target.id : owner?.kind === 'service' ? owner.id : undefined);
}
