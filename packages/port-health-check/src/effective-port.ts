// The port a service really uses: its unit's override of the service's
// variable when there is one (Environment=, or an EnvironmentFile=, which
// systemd applies after it: that is what systemd hands the service), else the
// registry's port. The health checker's own environment plays no part: cron's
// environment is not the service's.
import { PortsError, type Service } from '@dsa110/ports';
import { claimVariables, environmentDoubt, environmentFileFindings } from '@dsa110/ports/systemd';
import { serviceResult } from './checks/service-result.js';
import type { CheckResult, EnvironmentSetting, Facts, UnitFacts } from './types.js';

export interface EffectivePort {
  readonly port: number;
  /** The Environment= or EnvironmentFile= setting that moved the port away from the registry's. */
  readonly override?: EnvironmentSetting & { readonly variable: string };
  /** Why the unit's override cannot be used (the registry's port applies then). */
  readonly problem?: string;
  /** Why the port cannot be told: an EnvironmentFile= that may set the service's variable could not be read. */
  readonly unsure?: string;
}

export function unitEnvironment(facts: Pick<Facts, 'units'>, service: Service): ReadonlyMap<string, EnvironmentSetting> {
  return serviceUnit(facts, service)?.environment ?? new Map();
}

function serviceUnit(facts: Pick<Facts, 'units'>, service: Service): UnitFacts | undefined {
  return service.systemd ? facts.units.get(service.systemd.unit) : undefined;
}

export function envRecord(environment: ReadonlyMap<string, EnvironmentSetting>): Record<string, string> {
  return Object.fromEntries([...environment].map(([name, setting]) => [name, setting.value]));
}

/**
 * The unit's value of variable `name`, with where it was set, and why it may
 * be another (`doubt`): an EnvironmentFile= this check could not read, read by
 * systemd after the one that set it (or at all, when none did), may set it.
 */
export function unitVariable(facts: Pick<Facts, 'units'>, service: Service, name: string): { setting?: EnvironmentSetting; doubt?: string } {
  const unit = serviceUnit(facts, service);
  const setting = unit?.environment.get(name);
  const doubt = unit ? environmentDoubt(unit, [name]) : undefined;
  return { ...(setting && { setting }), ...(doubt !== undefined && { doubt }) };
}

export function effectivePort(facts: Pick<Facts, 'registry' | 'units'>, service: Service): EffectivePort {
  if (!service.env) return { port: service.port };
  const { setting, doubt } = unitVariable(facts, service, service.env);
  const unsure = doubt !== undefined ? { unsure: doubt } : {};
  if (!setting) return { port: service.port, ...unsure };
  try {
    const resolved = facts.registry.resolvePort(service.id, { env: { [service.env]: setting.value } });
    return resolved.port === service.port
      ? { port: service.port, ...unsure }
      : { port: resolved.port, override: { ...setting, variable: service.env }, ...unsure };
  } catch (error) {
    if (!(error instanceof PortsError)) throw error;
    return { port: service.port, problem: `${setting.file}:${setting.line}: ${error.message}`, ...unsure };
  }
}

/**
 * A service's results, held against its unit's EnvironmentFile= list, by the
 * core's verdicts (those `ports systemd --check` gives): an ok on a port an
 * unread file may move is unknown (never a silent ok), and so is the systemd
 * check's ok on a claim line whose other variables (`$VAR`, a service id's)
 * such a file may set; a file systemd cannot load without `-` (so it does not
 * start the unit), or a line of one that sets the service's variable in a way
 * systemd ignores (`export PORT=...`), is said.
 */
export function withEnvironmentFiles(
  facts: Pick<Facts, 'registry' | 'units' | 'claimPortPaths'>,
  service: Service,
  results: readonly CheckResult[],
): CheckResult[] {
  const unit = serviceUnit(facts, service);
  if (!unit?.environmentFiles) return [...results];
  const { port, unsure } = effectivePort(facts, service);
  const result = serviceResult('systemd', service, port);
  const found = environmentFileFindings(unit, service.env).map((finding) => result(finding.severity, finding.reason, finding.where));
  const claimDoubt = environmentDoubt(unit, claimVariables(facts.registry, service, unit, facts.claimPortPaths));
  const checked = results.map((r) => {
    const doubt = r.check === 'systemd' ? claimDoubt : unsure;
    return r.severity === 'ok' && doubt !== undefined
      ? { ...r, severity: 'unknown' as const, reason: `${r.reason}, but the port may not be ${port}: ${doubt}` }
      : r;
  });
  return [...found, ...checked];
}
