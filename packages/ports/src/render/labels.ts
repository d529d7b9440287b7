// How registry values read on the reference page and in `ports list`.
import { posix } from 'node:path';
import type { AccessLevel, ConfiguredBy, Service } from '../index.js';
import { templateOf } from '../systemd/search-path.js';

/** The drop-in `systemctl edit` opens in a unit's own drop-in directory. */
const OVERRIDE_CONF = 'override.conf';

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

/**
 * The drop-in of a unit's own that `systemctl edit UNIT` opens, under `unitDir`: where a `claim: unit` line goes when
 * the unit file is not the operator's to edit, or is its template's (an instance, `dns@main.service`): a file of the
 * instance's name would replace the template for it, not add to it. `ports systemd` and the reference page both say it.
 */
export function unitOverrideDropIn(unit: string, unitDir = '/etc/systemd/system'): string {
  return posix.join(unitDir, `${unit}.d`, OVERRIDE_CONF);
}

/**
 * Where a robust service's claim is wired, as a path under `unitDir`: the unit file for `claim: unit` (for a template's
 * instance, the instance's own drop-in: unitOverrideDropIn), else its claim-port.conf drop-in.
 */
export function claimLocation(service: Service, unitDir = '/etc/systemd/system'): string | undefined {
  if (!service.robust || !service.systemd?.claim) return undefined;
  const unit = `${unitDir.replace(/\/+$/, '')}/${service.systemd.unit}`;
  if (service.systemd.claim !== 'unit') return `${unit}.d/claim-port.conf`;
  return templateOf(service.systemd.unit) === undefined ? unit : unitOverrideDropIn(service.systemd.unit, unitDir);
}
