// What PrivateTmp=, ProtectHome= and InaccessiblePaths= hide from a unit's programs (systemd.exec(5)): a private, empty
// /tmp and /var/tmp; /home, /root and /run/user made inaccessible (yes) or an empty read-only tmpfs (tmpfs; read-only
// hides nothing); each InaccessiblePaths= path, on the host's root unless `+` puts it in the unit's root (`-` only
// ignores one that is not there). DynamicUser=yes implies PrivateTmp=yes (its ProtectHome=read-only hides nothing).
import type { HiderKey } from './service-settings.js';
import type { EnvironmentSetting, HiddenPath } from './types.js';
import { expandSpecifiers, simplifyPath, splitWords, type SpecifierUnit, unknownSpecifier } from './words.js';
import { parseBoolean } from './root-directory.js';

/** Pure: the paths the lines of PrivateTmp=, ProtectHome=, DynamicUser= (`hiders`) and InaccessiblePaths= hide. */
export function hiddenPaths(
  hiders: ReadonlyMap<HiderKey, EnvironmentSetting>,
  inaccessible: readonly EnvironmentSetting[],
  unit?: SpecifierUnit,
): HiddenPath[] {
  const hidden: HiddenPath[] = [];
  const value = (key: HiderKey): string | undefined => hiders.get(key)?.value.slice(key.length + 1);
  const tmp =
    parseBoolean(value('DynamicUser') ?? '') === true
      ? hiders.get('DynamicUser')
      : parseBoolean(value('PrivateTmp') ?? '') === true
        ? hiders.get('PrivateTmp')
        : undefined;
  if (tmp !== undefined) for (const path of ['/tmp', '/var/tmp']) hidden.push({ path, inRoot: true, setting: tmp });
  const home = value('ProtectHome');
  if (home === 'tmpfs' || parseBoolean(home ?? '') === true)
    for (const path of ['/home', '/root', '/run/user']) hidden.push({ path, inRoot: true, setting: hiders.get('ProtectHome')! });
  for (const line of inaccessible) {
    for (const word of splitWords(line.value)) {
      const inRoot = /^-?\+/.test(word);
      // One with a specifier systemd refuses, or not absolute (refused too): it hides nothing.
      if (unknownSpecifier(word) !== undefined) continue;
      const path = expandSpecifiers(word.replace(/^-?\+?/, ''), unit);
      if (!path.startsWith('/')) continue;
      hidden.push({ path: simplifyPath(path), inRoot, setting: { ...line, value: `InaccessiblePaths=${line.value}` } });
    }
  }
  return hidden;
}
