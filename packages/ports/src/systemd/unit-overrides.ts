// The robust services whose unit moves their port (Environment=, an EnvironmentFile=): their claim lines name the
// service id, not the port (claimWiring), and the write says why.
import { escapeText } from '../escape.js';
import type { Registry } from '../registry.js';
import type { ClaimWiring } from '../render/systemd.js';
import { where } from './claim-line.js';
import { listUnitDirs, loadUnit, type UnitDirListing } from './effective.js';
import { mergeUnitWithEnvironmentFiles } from './environment-files.js';
import type { ManagerDefaults } from './manager-defaults.js';
import type { EnvironmentSetting } from './types.js';

/** A unit's setting of its service's port variable: the service's variable, and the setting as mergeUnit found it. */
export interface Override {
  readonly variable: string;
  readonly setting: EnvironmentSetting;
  /** The setting's value is one claim-port refuses (another service's port, not a port): the write says so, not its note. */
  readonly refused: boolean;
}

/**
 * The robust services whose unit, as systemd would load it under `root` from its unit directories (`dirs`, default
 * systemd's search path; --out's DIR alone) (its
 * file and drop-ins, and the EnvironmentFile= files they name; loadUnit and
 * mergeUnitWithEnvironmentFiles, as --check and the health check read it),
 * sets the service's port variable, by id: their claim lines name the
 * service id, which claim-port resolves with the unit's environment
 * (claimWiring). A unit that is masked, missing or unreadable sets nothing.
 */
export function unitOverrides(registry: Registry, root: string, managerDefaults: () => ManagerDefaults, dirs?: readonly string[]): Map<string, Override> {
  const overrides = new Map<string, Override>();
  let listing: UnitDirListing | undefined;
  for (const service of registry.services) {
    if (!service.robust || !service.systemd?.claim || !service.env) continue;
    listing ??= listUnitDirs(root, [], dirs);
    const unit = mergeUnitWithEnvironmentFiles(root, loadUnit(root, service.systemd.unit, listing), { defaultEnvironment: managerDefaults().environment });
    const setting = unit.masked ? undefined : unit.environment.get(service.env);
    if (setting === undefined) continue;
    let refused = false;
    try {
      registry.resolvePort(service.id, { env: { [service.env]: setting.value } });
    } catch {
      refused = true;
    }
    overrides.set(service.id, { variable: service.env, setting, refused });
  }
  return overrides;
}

/** Pure: why `entry`'s line names its service id, not its port, for the write to say (unitOverrides, claimWiring). */
export function overrideNote(entry: ClaimWiring, { variable, setting }: Override): string {
  const id = escapeText(entry.service.id);
  return `${escapeText(entry.unit)}: the claim names the service, ${id}, not port ${entry.port}: the unit sets ${variable}=${escapeText(setting.value)} (${escapeText(where(setting))}), and ExecStartPre= runs with the unit's environment, so claim-port frees the port ${id} really uses, and follows ${variable} when it changes`;
}
