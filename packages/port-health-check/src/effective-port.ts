// The port a service really uses: its unit's Environment= override of the
// service's variable when there is one (that is what systemd hands the
// service), else the registry's port. The health checker's own environment
// plays no part: cron's environment is not the service's.
import { PortsError, type Service } from '@dsa110/ports';
import type { EnvironmentSetting, Facts } from './types.js';

export interface EffectivePort {
  readonly port: number;
  /** The Environment= setting that moved the port away from the registry's. */
  readonly override?: EnvironmentSetting & { readonly variable: string };
  /** Why the unit's override cannot be used (the registry's port applies then). */
  readonly problem?: string;
}

export function unitEnvironment(facts: Pick<Facts, 'units'>, service: Service): ReadonlyMap<string, EnvironmentSetting> {
  const unit = service.systemd ? facts.units.get(service.systemd.unit) : undefined;
  return unit?.environment ?? new Map();
}

export function envRecord(environment: ReadonlyMap<string, EnvironmentSetting>): Record<string, string> {
  return Object.fromEntries([...environment].map(([name, setting]) => [name, setting.value]));
}

export function effectivePort(facts: Pick<Facts, 'registry' | 'units'>, service: Service): EffectivePort {
  const environment = unitEnvironment(facts, service);
  const setting = service.env ? environment.get(service.env) : undefined;
  if (!service.env || !setting) return { port: service.port };
  try {
    const resolved = facts.registry.resolvePort(service.id, { env: { [service.env]: setting.value } });
    return resolved.port === service.port ? { port: service.port } : { port: resolved.port, override: { ...setting, variable: service.env } };
  } catch (error) {
    if (!(error instanceof PortsError)) throw error;
    return { port: service.port, problem: `${setting.file}:${setting.line}: ${error.message}` };
  }
}
