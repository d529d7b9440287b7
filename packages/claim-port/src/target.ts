// What a claim is about: the port and transport (a number, or a service id
// resolved with its env override), the service that owns it, and the policy
// (the registry's, or the built-in one when the registry cannot be read).
import {
  DEFAULT_CLAIM_TIMEOUT_SECONDS,
  isOtherDigits,
  loadRegistry,
  MAX_CLAIM_TIMEOUT_SECONDS,
  parsePort,
  portProblem,
  PortsError,
  protectPatternPlace,
  quoteValue,
  RegistryError,
  type Registry,
} from '@dsa110/ports';
import type { Transport } from '@dsa110/ports/system';
import { claimPortArgument } from '@dsa110/ports/systemd';
import { ClaimUsageError, type ClaimOptions } from './options.js';
import { BUILTIN_POLICY, withSalvagedProtection, type ProtectionPolicy } from './policy.js';
import { registryTrustWarning } from './registry-trust.js';
import { serviceOnPort } from './elsewhere.js';
import { registryFix, registryProblems, registryWarning } from './registry-warning.js';

export interface Target {
  readonly port: number;
  readonly transport: Transport;
  readonly service?: string;
  readonly policy: ProtectionPolicy;
  readonly timeoutSeconds: number;
  /** The registry, when it could be read: who else's ports a holder listens on (see otherPorts in elsewhere.ts). */
  readonly registry?: Registry;
}

/** `port 8000 (api)`, `port 5353/udp (mdns)`: how messages name what is claimed. */
export function targetName(target: Pick<Target, 'port' | 'transport' | 'service'>): string {
  return `port ${claimPortArgument(target.port, target.transport)}${target.service ? ` (${target.service})` : ''}`;
}

/** The registry of a claim: options.registry (a Registry or a path), else $DSA110_PORTS_FILE, else the bundled one. Throws RegistryError. */
async function claimRegistry(options: Pick<ClaimOptions, 'registry' | 'registryOrigin' | 'env'>): Promise<Registry> {
  if (typeof options.registry === 'object') return options.registry;
  // A path from $DSA110_PORTS_FILE (read from options.env) or options.registry; errors say which (registryOrigin).
  const env = options.env ?? process.env;
  return options.registry === undefined
    ? await loadRegistry({ env })
    : await loadRegistry({ path: options.registry, env, ...(options.registryOrigin !== undefined && { origin: options.registryOrigin }) });
}

/**
 * Why `id` is no service of the claim's registry, as a claim of `id` says it
 * (`unknown service "nosuch"; known services: ...`, naming the id of a unit
 * name); undefined when it is one, or when the registry cannot be read (then
 * nothing is known about `id`). For `claim-port ID/udp`, a usage error whose
 * hint, "give the id alone", is the answer only for a service.
 */
export async function unknownService(id: string, options: Pick<ClaimOptions, 'registry' | 'registryOrigin' | 'env'>): Promise<string | undefined> {
  let registry: Registry;
  try {
    registry = await claimRegistry(options);
  } catch (error) {
    if (error instanceof RegistryError) return undefined;
    throw error;
  }
  try {
    registry.service(id); // the message `claim-port ID` gives (resolvePort asks the same)
    return undefined;
  } catch (error) {
    if (error instanceof PortsError) return error.message;
    throw error;
  }
}

export async function resolveTarget(portOrId: number | string, options: ClaimOptions, warn: (line: string, port?: number) => void): Promise<Target> {
  const numeric = typeof portOrId === 'number' ? portOrId : parsePort(portOrId);
  if (typeof portOrId === 'number' && !(Number.isInteger(portOrId) && portOrId >= 1 && portOrId <= 65535)) {
    throw new ClaimUsageError(`port ${portOrId} is not valid: give an integer 1-65535`);
  }
  // Meant as a port: what starts like a number (or is empty), or is all digits of another script (`٨٠`, `１２`: no service id is).
  if (numeric === undefined && (/^[-+]?[0-9.]|^$/.test(String(portOrId)) || isOtherDigits(String(portOrId)))) {
    throw new ClaimUsageError(`port ${quoteValue(String(portOrId))} is not valid: ${portProblem(String(portOrId))}`);
  }
  // As root, a registry file others may change is said before it is read (registry-trust.ts); the claim goes on.
  const distrusted = registryTrustWarning(options);
  if (distrusted !== undefined) warn(distrusted, numeric);
  let registry: Registry | undefined;
  let fallback = BUILTIN_POLICY;
  /** The broken registry file whose claim.protect.processes the fallback keeps (see withSalvagedProtection). */
  let fallbackSource: string | undefined;
  try {
    registry = await claimRegistry(options);
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    // One line however many problems the registry has: the first, how many more, and what to do.
    if (numeric === undefined) {
      throw new ClaimUsageError(`cannot resolve service ${quoteValue(String(portOrId))}: ${registryProblems(error)}${registryFix(error)}`, undefined, error);
    }
    // A broken ports.yaml must never block a service start: the port is known, use the built-in policy,
    // with what the file still says it protects (a typo in a service must not unprotect the registry's own names).
    warn(registryWarning(error), numeric);
    fallback = withSalvagedProtection(BUILTIN_POLICY, error.protect);
    if ((error.protect?.processes.length ?? 0) > 0) fallbackSource = error.source;
  }
  // A refusal by a pattern the file added cites where it is written (the file read again only then: protectPatternPlace).
  const file = typeof options.registry === 'object' ? undefined : (registry?.source ?? fallbackSource);
  const base = registry?.claim ?? fallback;
  const policy = file === undefined ? base : { ...base, patternPlace: (glob: string) => protectPatternPlace(file, glob) };
  let port = numeric;
  let service: string | undefined;
  let transport: Transport = options.transport ?? 'tcp';
  if (numeric === undefined) {
    try {
      const id = String(portOrId);
      port = registry!.resolvePort(id, { env: options.env ?? process.env }).port;
      service = id;
      const own = registry!.service(id).transport;
      if (options.transport !== undefined && options.transport !== own) {
        throw new ClaimUsageError(`service "${id}" is ${own}, not ${options.transport}; give the id alone (claim-port ${id})`, port);
      }
      transport = own;
    } catch (error) {
      if (error instanceof PortsError) throw new ClaimUsageError(error.message, undefined, error);
      throw error;
    }
  } else {
    // The service that runs there with its env override applied, as `claim-port ID` resolves it (and the other-ports check).
    const owner = registry === undefined ? undefined : serviceOnPort(registry, numeric, transport, options.env ?? process.env);
    if (owner !== undefined) service = owner.id;
  }
  const timeoutSeconds = options.timeoutSeconds ?? policy.timeoutSeconds ?? DEFAULT_CLAIM_TIMEOUT_SECONDS;
  if (!(timeoutSeconds > 0 && timeoutSeconds <= MAX_CLAIM_TIMEOUT_SECONDS)) {
    throw new ClaimUsageError(`timeout ${timeoutSeconds} is not valid: give seconds > 0 and at most ${MAX_CLAIM_TIMEOUT_SECONDS}`, port);
  }
  return { port: port!, transport, ...(service !== undefined && { service }), policy, timeoutSeconds, ...(registry !== undefined && { registry }) };
}
