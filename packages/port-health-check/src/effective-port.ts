// The port a service really uses: its unit's override of the service's
// variable when there is one (Environment=, or an EnvironmentFile=, which
// systemd applies after it: that is what systemd hands the service), else the
// registry's port. The health checker's own environment plays no part: cron's
// environment is not the service's.
import { PortsError, type Service } from '@dsa110/ports';
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
  const files = unit?.environmentFiles ?? [];
  // The last file that was read and set it: only files after it can override it (an Environment= value, any file).
  let from = -1;
  if (setting)
    for (const [index, file] of files.entries()) if (file.path === setting.file && file.unread === undefined && file.failed === undefined) from = index;
  const unread = files.slice(from + 1).filter((file) => file.unread !== undefined);
  const doubt = unread
    .map((file) => `${file.path} (EnvironmentFile= at ${file.file}:${file.line}) may set ${name}, and cannot be read: ${file.unread}`)
    .join('; ');
  return { ...(setting && { setting }), ...(doubt !== '' && { doubt }) };
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
 * A service's results, held against its unit's EnvironmentFile= list: an ok
 * on a port an unread file may move is unknown (never a silent ok), and a
 * file systemd cannot load without `-` (so it does not start the unit), or a
 * line of one that sets the service's variable in a way systemd ignores
 * (`export PORT=...`), is said.
 */
export function withEnvironmentFiles(facts: Pick<Facts, 'registry' | 'units'>, service: Service, results: readonly CheckResult[]): CheckResult[] {
  const files = serviceUnit(facts, service)?.environmentFiles;
  if (!files) return [...results];
  const { port, unsure } = effectivePort(facts, service);
  const result = serviceResult('systemd', service, port);
  const found: CheckResult[] = [];
  for (const file of files) {
    const at = `${file.file}:${file.line}`;
    if (file.failed !== undefined && !file.optional) {
      const fix = file.failed === 'no such file' ? `create it, or write EnvironmentFile=-${file.path} if it may be absent` : 'fix the file';
      found.push(result('error', `${file.path} (EnvironmentFile= at ${at}): ${file.failed}, so systemd does not start ${service.systemd!.unit}; ${fix}`, at));
    }
    for (const ignored of file.ignored ?? []) {
      if (service.env === undefined || ignored.key.split(/\s+/).at(-1) !== service.env) continue;
      const where = `${file.path}:${ignored.line}`;
      found.push(
        result(
          'warning',
          `${where} sets "${ignored.key}", which systemd ignores (an EnvironmentFile= takes NAME=VALUE lines, no "export"); write ${service.env}=... there`,
          where,
        ),
      );
    }
  }
  const checked =
    unsure === undefined
      ? results
      : results.map((r) =>
          r.severity === 'ok' ? { ...r, severity: 'unknown' as const, reason: `${r.reason}, but the port may not be ${port}: ${unsure}` } : r,
        );
  return [...found, ...checked];
}
