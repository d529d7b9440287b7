// Grafana's config file laid over its defaults.ini, as Grafana lays it
// (pkg/setting/setting.go, loadSpecifiedConfigFile): section by section, key
// by key (go-ini's order: as each first appears, with its last value), each
// key that is not empty is set where go-ini's GetKey finds it in the merged
// file, or added to its own section when GetKey finds none. GetKey looks in
// the section, then in each parent the section's name gives (go-ini's child
// sections, always on: `.` is its delimiter by default): so a key of
// `[server.anything]` that [server] already has (every defaults.ini has
// http_port there) sets [server]'s. Grafana's GF_ variables and `cfg:`
// words then apply only to the keys the merged file has (applyEnvVariableOverrides
// and applyCommandLineProperties iterate its sections and keys).
import { DEFAULT_SECTION, goIniFile, type IniRefusal, type IniValue } from './go-ini.js';

/**
 * The keys every conf/defaults.ini Grafana ships has, by section: when the homepath's defaults.ini cannot be read,
 * these are taken to be in it (the [server] keys the health check reads, and those root_url names by default).
 */
const SHIPPED: ReadonlyMap<string, ReadonlySet<string>> = new Map([['server', new Set(['protocol', 'http_addr', 'http_port', 'domain', 'root_url'])]]);

/** Whether defaults.ini has `key` in `section`: from its text when read, else whether Grafana ships it there (undefined when not known). */
function inDefaults(key: string, section: string, defaults: string | undefined): boolean | undefined {
  if (defaults === undefined) return SHIPPED.get(section)?.has(key) === true ? true : undefined;
  const file = goIniFile(defaults);
  return !('refused' in file) && file.sections.get(section)?.has(key) === true;
}

/** The section go-ini's GetKey finds `key` in, looked up from section `name`, given the sections that have it; `name` itself when none. */
function landing(name: string, holding: ReadonlySet<string>): string {
  for (let at = name; ; ) {
    if (holding.has(at)) return at;
    const cut = at.lastIndexOf('.');
    if (cut < 0) return name;
    // go-ini's GetSection("") is the DEFAULT section.
    at = cut === 0 ? DEFAULT_SECTION : at.slice(0, cut);
  }
}

/** A key of the file as it lands in the merged file: its value, and the section it is written in (`[server.extra]` for `[server]`'s). */
export interface FileKey extends IniValue {
  readonly section: string;
}

/**
 * Pure: the value `text` (Grafana's config file) gives `key` of `[section]` once laid over defaults.ini (`defaults`,
 * its text; undefined when not read): its last key that is not empty and lands there, from that section or a child
 * section of it; undefined when none does; the line go-ini refuses, when there is one.
 */
export function grafanaFileKey(text: string, key: string, section: string, defaults: string | undefined): FileKey | IniRefusal | undefined {
  const file = goIniFile(text);
  if ('refused' in file) return file;
  const base = defaults === undefined ? undefined : goIniFile(defaults);
  // The sections of the merged file that have the key: defaults.ini's (or, not read, the one Grafana ships it in), then each the file adds it to.
  const holding = new Set<string>();
  if (base !== undefined && !('refused' in base)) for (const [name, keys] of base.sections) if (keys.has(key)) holding.add(name);
  if (base === undefined && SHIPPED.get(section)?.has(key) === true) holding.add(section);
  let found: FileKey | undefined;
  for (const [name, keys] of file.sections) {
    const value = keys.get(key);
    if (value === undefined || value.value === '') continue;
    const lands = landing(name, holding);
    holding.add(lands);
    if (lands === section) found = { ...value, section: name };
  }
  return found;
}

/**
 * Pure: whether Grafana's merged file has `key` in `[section]`, so that its GF_ variable and `cfg:` word apply: the
 * file gives it a value (grafanaFileKey) or defaults.ini has it; undefined when that turns on a defaults.ini not read.
 */
export function grafanaHasKey(text: string, key: string, section: string, defaults: string | undefined): boolean | undefined {
  const own = grafanaFileKey(text, key, section, defaults);
  if (own !== undefined && !('refused' in own)) return true;
  return inDefaults(key, section, defaults);
}
