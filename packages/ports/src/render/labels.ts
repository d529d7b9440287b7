// How registry values read on the reference page and in `ports list`.
import type { AccessLevel, ConfiguredBy, Service } from '../index.js';

const ACCESS: Record<AccessLevel, string> = {
  public: 'Public',
  private: 'Private networks',
  localhost: 'Localhost',
  dev: 'Dev only',
};

export function accessLabel(access: AccessLevel): string {
  return ACCESS[access];
}

/** The Quick Reference's "Configurable" cell: No, No (hardcoded), the variable, or the file. */
export function configurableLabel(configuredBy: ConfiguredBy): string {
  if (configuredBy === 'none') return 'No';
  if (configuredBy === 'hardcoded') return 'No (hardcoded)';
  if ('env' in configuredBy) return configuredBy.env;
  return configuredBy.file;
}

/** `ports list`'s "configured by" column: none, hardcoded, env VAR, file NAME[:KEY]. */
export function configuredByText(configuredBy: ConfiguredBy): string {
  if (typeof configuredBy === 'string') return configuredBy;
  if ('env' in configuredBy) return `env ${configuredBy.env}`;
  return `file ${configuredBy.file}${configuredBy.key ? `:${configuredBy.key}` : ''}`;
}

/** Where a robust service's claim is wired, as a path under `unitDir`. */
export function claimLocation(service: Service, unitDir = '/etc/systemd/system'): string | undefined {
  if (!service.robust || !service.systemd?.claim) return undefined;
  const unit = `${unitDir.replace(/\/+$/, '')}/${service.systemd.unit}`;
  return service.systemd.claim === 'unit' ? unit : `${unit}.d/claim-port.conf`;
}
