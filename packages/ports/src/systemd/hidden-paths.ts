// What PrivateTmp=, ProtectHome=, InaccessiblePaths= and TemporaryFileSystem= hide from a unit's programs (and where BindPaths= puts another file) (systemd.exec(5)): a private, empty
// /tmp and /var/tmp; /home, /root and /run/user made inaccessible (yes) or an empty read-only tmpfs (tmpfs; read-only
// hides nothing); each InaccessiblePaths= path, on the host's root unless `+` puts it in the unit's root (`-` only
// ignores one that is not there). DynamicUser=yes implies PrivateTmp=yes (its ProtectHome=read-only hides nothing).
import type { HiderKey } from './service-settings.js';
import type { EnvironmentSetting, HiddenPath } from './types.js';
import { expandSpecifiers, simplifyPath, splitWords, type SpecifierUnit, unknownSpecifier } from './words.js';
import { parseBoolean } from './root-directory.js';

/**
 * Pure: the paths the lines of PrivateTmp=, ProtectHome=, DynamicUser= (`hiders`), InaccessiblePaths= and
 * TemporaryFileSystem= (`overmounts`) hide, and the destinations where BindPaths=/BindReadOnlyPaths= (`overmounts`) put
 * another file (`mounted`), or the host's own one back, bound onto itself (`shown`).
 */
export function hiddenPaths(
  hiders: ReadonlyMap<HiderKey, EnvironmentSetting>,
  inaccessible: readonly EnvironmentSetting[],
  unit?: SpecifierUnit,
  overmounts: readonly EnvironmentSetting[] = [],
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
  // TemporaryFileSystem=PATH[:OPTIONS]: an empty tmpfs on PATH in the unit's root. BindPaths=[-]SRC[:DST[:OPTIONS]]
  // (BindReadOnlyPaths= too): SRC's file at DST (SRC when no DST) in the unit's root; what is there then is not known
  // here, unless DST is SRC: the host's own file, there even under a tmpfs (systemd.exec(5): TemporaryFileSystem=/var:ro
  // with BindReadOnlyPaths=/var/lib/systemd). systemd 252 ignores an entry whose SRC or DST is not absolute or not
  // normalized (`+/etc`, `/a/../b`), or whose OPTIONS is not rbind or norbind. Binds are said first, and readers take the
  // deepest path a file is under (systemd mounts a path's parents first), the first of equal ones.
  const binds: HiddenPath[] = [];
  const normalized = (path: string | undefined): path is string => path?.startsWith('/') === true && !/(^|\/)\.{1,2}(\/|$)/.test(path);
  for (const line of overmounts) {
    const key = line.value.slice(0, line.value.indexOf('='));
    for (const word of splitWords(line.value.slice(key.length + 1))) {
      if (unknownSpecifier(word) !== undefined) continue;
      const parts = expandSpecifiers(word, unit).split(':');
      if (key === 'TemporaryFileSystem') {
        if (parts[0]!.startsWith('/')) hidden.push({ path: simplifyPath(parts[0]!), inRoot: true, setting: line });
        continue;
      }
      const source = parts[0]!.replace(/^-/, '');
      const path = parts[1] ?? source;
      if (!normalized(source) || !normalized(path) || parts.length > 3 || (parts.length === 3 && !['rbind', 'norbind'].includes(parts[2]!))) continue;
      const shown = simplifyPath(path) === simplifyPath(source);
      binds.push({ path: simplifyPath(path), inRoot: true, setting: line, ...(shown ? { shown: true } : { mounted: true }) });
    }
  }
  return [...binds, ...hidden];
}
