// A service's reading of a file the registry names: its own where the daemons that name the file open different files
// by that name (a RootDirectory=, a link between, a path one unit hides), else the one reading all of them share.
import type { Service } from '@dsa110/ports';
import type { ConfigFileFacts, Facts } from './types.js';

/** Pure: the files `service` reads by path (Facts' configs, with its own readings of them in their place). */
export function configsOf(facts: Pick<Facts, 'configs' | 'serviceConfigs'>, service: Service): ReadonlyMap<string, ConfigFileFacts> {
  const own = facts.serviceConfigs?.get(service.id);
  return own === undefined ? facts.configs : new Map([...facts.configs, ...own]);
}
