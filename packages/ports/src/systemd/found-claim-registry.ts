// Which registry a claim line found across the unit directories (findClaims) makes claim-port read: its --registry,
// else its unit's $DSA110_PORTS_FILE, a relative path in the unit's working directory; or why that is not known here.
import { escapeText } from '../escape.js';
import { REGISTRY_ENV } from '../load.js';
import type { FoundClaim } from '../render/systemd.js';
import { where } from './claim-line.js';
import { listUnitDirs, loadUnit, mergeUnit, type UnitDirListing } from './effective.js';
import { environmentDoubt, mergeUnitWithEnvironmentFiles } from './environment-files.js';
import { readDefaultEnvironment } from './manager-defaults.js';
import type { EnvironmentSetting, UnitFacts } from './types.js';
import { HOST_SPECIFIERS, SYSTEM_MANAGER_SPECIFIERS } from './words.js';
import { pathInWorkingDirectory } from './working-directory.js';

/**
 * A claim line found by findClaims with the registry path it makes claim-port read: its `--registry`, else the
 * non-empty $DSA110_PORTS_FILE of the unit that reads it (FoundClaim.registryEnvironment), a relative one placed where
 * claim-port opens it (FoundClaim.registryIn); or why that cannot be told here (FoundClaim.registryUnknown, one line,
 * as claimRegistryUnresolved says it of a registry unit's line). The unit is the one that reads the file: a unit
 * file's own, or the unit of its own drop-in directory (an alias's too); a template's file or directory, a dash
 * prefix's and the type-wide service.d/ are read by many units, each with its own environment and working directory
 * (a line there without --registry is judged as before: by the registry it names, none).
 */
export function inWorkingDirectory(claim: FoundClaim, unitOf: (unit: string) => UnitFacts | string): FoundClaim {
  if (claim.registry?.startsWith('/')) return claim;
  const unknown = (why: string, fix = 'give it an absolute path'): FoundClaim => ({
    ...claim,
    registryUnknown: `${escapeText(claim.text, 200)}: cannot tell which registry claim-port reads: ${why}; ${fix}`,
  });
  const slash = claim.path.indexOf('/');
  const unitName = slash < 0 ? claim.path : claim.path.slice(0, slash - '.d'.length);
  const base = unitName.slice(0, unitName.lastIndexOf('.'));
  const prefix = base.split('@')[0]!;
  const typeWide = slash >= 0 && !unitName.includes('.');
  // A template's file or drop-in directory (`foo@.service`), a dash prefix's (`foo-.service.d`, `a-@i.service.d`).
  const many = base.endsWith('@') || (slash >= 0 && prefix.length > 1 && prefix.endsWith('-'));
  if (claim.registry === undefined) {
    if (typeWide || many) return claim;
    const unit = unitOf(claim.unitNames?.[0] ?? unitName);
    if (typeof unit === 'string') return claim;
    const doubt = environmentDoubt(unit, [REGISTRY_ENV]);
    const setting = unit.environment.get(REGISTRY_ENV);
    if (doubt !== undefined)
      return unknown(
        `it names no --registry, so claim-port reads the unit's $${REGISTRY_ENV}, and ${escapeText(doubt, 400)}`,
        'give it --registry with an absolute path',
      );
    if (setting === undefined || setting.value === '') return claim;
    const fromEnvironment = { ...claim, registry: setting.value, registryEnvironment: { file: setting.file, line: setting.line } };
    // Environment= expands specifiers (a file's values are taken as written): one of the host's, not known here, is not guessed at.
    const specifier = (unit.environmentFiles ?? []).some((file) => file.path === setting.file)
      ? undefined
      : [...setting.value.matchAll(/%([\s\S])/g)].find(([, letter]) => HOST_SPECIFIERS.includes(letter!) && !Object.hasOwn(SYSTEM_MANAGER_SPECIFIERS, letter!));
    if (specifier !== undefined)
      return {
        ...fromEnvironment,
        registryUnknown: `${escapeText(claim.text, 200)}: cannot tell which registry claim-port reads: its unit's $${REGISTRY_ENV}=${escapeText(setting.value, 200)} (${escapeText(where(setting))}) has ${escapeText(specifier[0])}, which this check does not resolve; give it an absolute path without one`,
      };
    return setting.value.startsWith('/') ? fromEnvironment : resolveRelative(fromEnvironment, setting.value, unit);
  }
  const relative = `${escapeText(claim.registry)} is relative, so claim-port reads it from its working directory`;
  if (typeWide)
    return unknown(
      `${relative}, and ${escapeText(claim.path.slice(0, slash))}/ is read by every ${escapeText(unitName)} unit, each in its own WorkingDirectory=`,
    );
  if (many)
    return unknown(
      `${relative}, and ${escapeText(slash < 0 ? claim.path : `${claim.path.slice(0, slash)}/`)} is read by more than one unit, each in its own WorkingDirectory=`,
    );
  const unit = unitOf(claim.unitNames?.[0] ?? unitName);
  if (typeof unit === 'string') return unknown(`${relative}: ${unit}`);
  return resolveRelative(claim, claim.registry, unit);
}

/** A claim line's relative registry path (`registry`, its `claim.registry`) in its unit's WorkingDirectory= (FoundClaim.registryIn), or why that is not known here. */
function resolveRelative(claim: FoundClaim, registry: string, unit: UnitFacts): FoundClaim {
  const found = pathInWorkingDirectory(registry, unit.workingDirectory);
  if ('path' in found) return { ...claim, registryIn: found.path };
  return {
    ...claim,
    registryUnknown: `${escapeText(claim.text, 200)}: cannot tell which registry claim-port reads: ${found.unknown}; give it an absolute path`,
  };
}

/**
 * A unit by name as systemd merges it, each once: under `root` as loadUnit and mergeUnitWithEnvironmentFiles read it
 * (its EnvironmentFile= files and the manager's DefaultEnvironment= there too); for --out (`root` undefined) the same,
 * with that directory the only unit directory (as aliasDropIns reads it) and no file outside it read (an
 * EnvironmentFile= is then not read: environmentDoubt says so), or, when its unit file is not there, why the unit is
 * not known here.
 */
export function unitReader(root: string | undefined, unitDir: string): (unit: string) => UnitFacts | string {
  let listing: UnitDirListing | undefined;
  let defaultEnvironment: ReadonlyMap<string, EnvironmentSetting> | undefined;
  const known = new Map<string, UnitFacts | string>();
  const read = (unit: string): UnitFacts | string => {
    const loaded = loadUnit(root ?? '/', unit, (listing ??= root === undefined ? listUnitDirs('/', [], [unitDir]) : listUnitDirs(root, [])));
    if (root === undefined) {
      if (loaded.file === undefined) return `its unit file, ${escapeText(unit)}, is not in ${escapeText(unitDir)}, so its WorkingDirectory= is not known here`;
      return mergeUnit(loaded);
    }
    return mergeUnitWithEnvironmentFiles(root, loaded, { defaultEnvironment: (defaultEnvironment ??= readDefaultEnvironment(root)) });
  };
  return (unit) => {
    let got = known.get(unit);
    if (got === undefined) known.set(unit, (got = read(unit)));
    return got;
  };
}

// The registry file a path names (device and inode): with namesRegistry, in its own file (the renderers use it too).
export { registryFileId } from './registry-name.js';
