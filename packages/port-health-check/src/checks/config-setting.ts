// How a program gets one key of its config file: the file's last setting (in
// its INI section), unless the unit's environment overrides it (Grafana's
// GF_SERVER_HTTP_PORT for http_port) or its command line does (Grafana's
// `cfg:server.http_port=`, over both), each value then expanded as Grafana
// expands it (grafana-expand.ts: `${VAR}`, `$__env{VAR}` from that
// environment, `$__file{PATH}` from the file). The config check reads a port
// this way, and Grafana's other [server] keys.
import { escapeText, type Service } from '@dsa110/ports';
import { unitVariable } from '../effective-port.js';
import { DEFAULT_SECTION, goIniSetting, type IniRefusal, type IniValue } from './go-ini.js';
import { grafanaExpand, type EnvLookup, type FileLookup } from './grafana-expand.js';
import { grafanaFileKey, grafanaHasKey } from './grafana-file.js';
import { characterColumn } from './references/finding.js';
import { restartStep } from './restart-step.js';
import type { Facts } from '../types.js';

/** A key of a config file, where to find it, and the environment variable and command line that override it. */
export interface SettingKey {
  readonly file: string;
  readonly key: string;
  readonly section?: string;
  readonly envOverride?: string;
  /** What starts the name of the variable that overrides any key of the file (`GF_`, envOverrideOf), for the keys a `%(NAME)s` in a value names. */
  readonly envPrefix?: string;
  readonly commandLine?: CommandLineSettings;
  /**
   * The program's own value of the key when it is left empty (Grafana's `valueAsString(section, key, DEFAULT)`:
   * http_port 3000): what an empty `cfg:` word gives, as Grafana applies it, then reads the empty value as this.
   */
  readonly builtIn?: string;
  /**
   * The layer under the file, when known: Grafana's homepath's conf/defaults.ini, read first, whose key counts when
   * the file (and the command line's cfg:default.) leave it unset or empty; `problem` when it could not be read.
   */
  readonly defaults?: { readonly file: string; readonly text?: string; readonly problem?: string };
}

/**
 * The settings a daemon's command line gives (Grafana's `cfg:` properties, grafana-command.ts), by the name it gives a
 * key, `SECTION.KEY` (`server.http_port`; `default.SECTION.KEY` for a default the file overrides), with the unit file
 * and line of the command.
 */
export interface CommandLineSettings {
  readonly file: string;
  readonly line: number;
  readonly properties: ReadonlyMap<string, string>;
  /** Why the command's words cannot be told (commandDoubt): a variable in them may be set in a file that cannot be read. */
  readonly doubt?: string;
  /** By property: the unit's variable its value is (`cfg:server.http_port=${GRAFANA_PORT}`), to say why the value is empty. */
  readonly variables?: ReadonlyMap<string, string>;
}

/**
 * The environment variable that overrides `key` of an INI file's section, as Grafana names it (setting.go, EnvKey):
 * `GF_SERVER_HTTP_PORT`; the section's `.` and `-` and the key's `.` become `_`, nothing else does.
 */
export const envOverrideOf = (envPrefix: string, section: string, key: string): string =>
  `${envPrefix}${section.toUpperCase().replaceAll('.', '_').replaceAll('-', '_')}_${key.toUpperCase().replaceAll('.', '_')}`;

/**
 * The uncommented `key = value`, `key: value` or `key value` line that takes
 * effect: the LAST one, as Redis and systemd read a key given twice. With
 * `section`, only lines under an INI `[section]` header of that name count (a
 * section given twice is one). Grafana's INI files are read by go-ini.ts, as
 * go-ini reads them (readSetting). Value, 1-based line, and the 1-based column
 * (in characters, Finding.column) its text starts at: the value's, not the key's.
 */
export function findSetting(text: string, key: string, section?: string): { value: string; line: number; column: number } | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\s*${escaped}\\s*(?:=|:|\\s)\\s*(.*?)\\s*$`, 'd');
  const lines = text.split('\n'); // a CRLF line's \r is trailing space to the pattern
  let current: string | undefined; // the INI section a line is in (none before the first header)
  let found: { value: string; line: number; column: number } | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (section !== undefined && line.trimStart().startsWith('[')) {
      const header = /^\s*\[([^\]]*)\]/.exec(line);
      if (header) current = header[1]!.trim();
      continue;
    }
    // The key must appear for the pattern to match: skip the regular expressions
    // on every other line (a fresh process interprets them: milliseconds on a long file).
    if (!line.includes(key) || /^\s*[#;]/.test(line) || current !== section) continue;
    const match = pattern.exec(line);
    if (!match) continue;
    const written = match[1]!.replace(/\s+[#;].*$/, '');
    const quoted = /^(["'])(.*)\1$/.exec(written);
    // The value's column: where its text starts, inside its quotes if quoted (as the other config readers place a value).
    const start = match.indices![1]![0] + (quoted ? 1 : 0);
    found = { value: quoted ? quoted[2]! : written, line: index + 1, column: characterColumn(line, 0, start) };
  }
  return found;
}

/**
 * `key` as the program reads its file: an INI file's (`section` given: Grafana's, read as go-ini reads it, which may
 * refuse the file), else findSetting's plain last `key = value`.
 */
function readSetting(text: string, key: string, section: string | undefined): IniValue | IniRefusal | undefined {
  return section === undefined ? findSetting(text, key) : goIniSetting(text, key, section);
}

/**
 * A key as the program reads it: set (its value, after the unit's override or a `${VAR}` the file names, and
 * `said`, how it was set, `sets KEY = VALUE`, for a reason after its place), not set anywhere, or not to be told
 * (`reason`, ending in "so SUBJECT cannot be told"). `at` is `file:line`, with `column` when it is a line of the config file.
 */
export type ResolvedSetting =
  | {
      readonly kind: 'set';
      readonly value: string;
      readonly said: string;
      readonly at: string;
      /** `at` in parts: the file (the config file, or the unit file or EnvironmentFile= that overrides it) and its 1-based line. */
      readonly file: string;
      readonly line: number;
      readonly column?: number;
      /** The unit's variable a `${VAR}` value was taken from. */
      readonly variable?: string;
      /** The file a `$__file{PATH}` value was taken from (Grafana puts its contents, trimmed, in the value): the port is written there. */
      readonly valueFile?: string;
      /**
       * What overrides the file's key, when that gave the value: `cfg:server.KEY=`, a word of the unit's command line,
       * or `GF_SERVER_KEY=`, a variable of its environment. The fix is there: an edit of the file changes nothing.
       */
      readonly override?: string;
      /** The value as written, when go-ini filled in a `%(NAME)s` of it (filledIn): a fix rewrites this. */
      readonly written?: string;
      /** The file to write the key in, when the value came from a layer under it (Grafana's defaults.ini, never to be edited). */
      readonly setIn?: string;
    }
  | { readonly kind: 'unset' }
  | {
      readonly kind: 'unknown';
      readonly reason: string;
      readonly at?: string;
      /** Not unknown at all: the program exits at start on it (a file Grafana cannot parse, a $__file{} it cannot read), as `reason` says, with what to do. */
      readonly exits?: true;
      /** No layer over Grafana's defaults.ini sets the key, and defaults.ini could not be read: its value would be that file's. */
      readonly defaultsUnread?: true;
    };

/**
 * `key` of the config file, as the program gets it: the unit's Environment= and EnvironmentFile= (what systemd
 * hands the program) override the file with `envOverride`; the value that wins is then expanded as Grafana expands
 * it (expanded: `${VAR}` and `$__env{VAR}` the unit's VAR, `$__file{PATH}` the file's contents). Such a value is taken as systemd hands it over, spaces included:
 * Grafana sets it as it is (`key.SetValue(envValue)`, no trim), and Go's listener refuses a port of `" 3000"`.
 * The command line (`commandLine`) overrides both with `cfg:SECTION.KEY=VALUE`, and its `cfg:default.SECTION.KEY=VALUE`
 * is the value when the file does not set the key (pkg/setting/setting.go, loadConfiguration).
 */
export function resolveSetting(
  facts: Pick<Facts, 'units' | 'root' | 'grafanaValueFiles'>,
  service: Service,
  text: string,
  wanted: SettingKey,
  subject: string,
): ResolvedSetting {
  const found = resolveWritten(facts, service, text, wanted, subject);
  return found.kind === 'set' && wanted.section !== undefined ? filledIn(facts, service, text, wanted, subject, found) : found;
}

/** go-ini's depthValues: how many `%(NAME)s` it fills in, one a turn, before it gives the value as it then stands. */
const FILL_TURNS = 99;

/**
 * An INI key's value as go-ini's String() gives it to Grafana (key.go, transformValue): in turn, the first
 * `%(NAME)s` replaced everywhere by NAME's value as Grafana holds it (every layer, override and expansion applied,
 * its own `%(...)s` left for a later turn), from the same section, else (not there, or the key itself) from
 * DEFAULT, the keys before any header; a NAME in neither stops it, the rest left as written. Unknown when such a
 * value cannot be told.
 */
function filledIn(
  facts: Pick<Facts, 'units' | 'root' | 'grafanaValueFiles'>,
  service: Service,
  text: string,
  wanted: SettingKey,
  subject: string,
  found: Extract<ResolvedSetting, { kind: 'set' }>,
): ResolvedSetting {
  let { value } = found;
  const filled: string[] = [];
  for (let turn = 0; turn < FILL_TURNS && value.includes('%'); turn++) {
    const reference = /%\(([^)]+)\)s/.exec(value);
    if (reference === null) break;
    const [written, name] = reference as unknown as [string, string];
    const shown = escapeText(name, 200);
    const keyIn = (section: string): ResolvedSetting =>
      resolveWritten(
        facts,
        service,
        text,
        {
          file: wanted.file,
          key: name,
          section,
          ...(wanted.envPrefix !== undefined && { envPrefix: wanted.envPrefix, envOverride: envOverrideOf(wanted.envPrefix, section, name) }),
          ...(wanted.commandLine !== undefined && { commandLine: wanted.commandLine }),
          ...(wanted.defaults !== undefined && { defaults: wanted.defaults }),
        },
        `the ${shown} that ${service.name} fills in for %(${shown})s in ${wanted.key}, and so ${subject},`,
      );
    let got = name === wanted.key ? ({ kind: 'unset' } as const) : keyIn(wanted.section!);
    if (got.kind === 'unset') got = keyIn(DEFAULT_SECTION);
    if (got.kind === 'unknown') return got;
    if (got.kind === 'unset') break;
    value = value.split(written).join(got.value);
    filled.push(`%(${shown})s with ${escapeText(got.value, 200)} from ${got.column !== undefined ? `${got.at}:${got.column}` : got.at}`);
  }
  if (filled.length === 0) return found;
  return { ...found, value, written: found.value, said: `${found.said} (${service.name} fills in ${filled.join(', ')})` };
}

/** A key's value as resolveSetting gives it, before go-ini fills in a `%(NAME)s` of it (filledIn). */
function resolveWritten(
  facts: Pick<Facts, 'units' | 'root' | 'grafanaValueFiles'>,
  service: Service,
  text: string,
  wanted: SettingKey,
  subject: string,
): ResolvedSetting {
  // A reason names its place as every config-file finding does: `file:line:col`, and under --root the root it was read in.
  const under = facts.root === '/' ? '' : ` under ${facts.root}`;
  const command = wanted.commandLine;
  // The key's name on the command line, as Grafana gives it: SECTION.KEY, or KEY alone for DEFAULT's (applyCommandLineProperties);
  // its default's: default.SECTION.KEY, DEFAULT's too (applyCommandLineDefaultProperties).
  const property = wanted.section !== undefined && wanted.section !== DEFAULT_SECTION ? `${wanted.section}.${wanted.key}` : wanted.key;
  const defaultProperty = `default.${wanted.section !== undefined ? `${wanted.section}.` : ''}${wanted.key}`;
  const commandAt = command && { at: `${command.file}:${command.line}`, file: command.file, line: command.line };
  // Grafana applies its cfg: words and GF_ variables only to the keys its merged file has (defaults.ini's, and those the file sets).
  const has = wanted.section === undefined ? true : grafanaHasKey(text, wanted.key, wanted.section, wanted.defaults?.text);
  const notKnown = (at: string, sets: string): ResolvedSetting => ({
    kind: 'unknown',
    reason: `${at}${under} sets ${sets}, which ${service.name} applies only if its homepath's ${wanted.defaults?.file ?? 'conf/defaults.ini'} has ${wanted.key} in [${wanted.section}] (${wanted.file} does not set it), and that file ${wanted.defaults === undefined ? 'is not known' : 'cannot be read'}, so ${subject} cannot be told`,
    at,
  });
  // A cfg: word for a key the merged file lacks is ignored (has false), or may be (undefined).
  const word = command?.doubt === undefined && has !== true ? command?.properties.get(property) : undefined;
  if (word !== undefined && has === undefined) return notKnown(commandAt!.at, `cfg:${property}=${escapeText(word, 200)}`);
  if (command !== undefined && commandAt !== undefined && word === undefined) {
    if (command.doubt !== undefined) {
      return {
        kind: 'unknown',
        reason: `${commandAt.at}${under} gives ${service.name} a command line from the unit's environment, which may name another config file or override ${wanted.key} in ${wanted.file}: ${command.doubt}, so ${subject} cannot be told`,
        at: commandAt.at,
      };
    }
    const value = command.properties.get(property);
    if (value === '') return emptyWord(facts, service, wanted, `cfg:${property}=`, { ...commandAt, override: `cfg:${property}=` });
    if (value !== undefined) {
      const written = `sets cfg:${property}=${escapeText(value, 200)}, which overrides ${wanted.key} in ${wanted.file}`;
      const place = { ...commandAt, override: `cfg:${property}=` };
      return expanded(facts, service, { value, written, placed: `${commandAt.at}${under}`, place }, subject, property);
    }
  }
  const overridden = wanted.envOverride !== undefined && has !== false ? unitVariable(facts, service, wanted.envOverride) : {};
  // An empty variable overrides nothing: Grafana (the one program with such overrides, config.ts's INI_FILES) applies one
  // only `if len(envValue) > 0` (pkg/setting/setting.go, applyEnvVariableOverrides).
  const override = overridden.setting?.value === '' ? undefined : overridden.setting;
  if (override) {
    const at = `${override.file}:${override.line}`;
    const said = `sets ${wanted.envOverride}=${escapeText(override.value, 200)}, which overrides ${wanted.key} in ${wanted.file}`;
    if (has === undefined) return notKnown(at, `${wanted.envOverride}=${escapeText(override.value, 200)}`);
    if (overridden.doubt !== undefined) return { kind: 'unknown', reason: `${at}${under} ${said}, but ${overridden.doubt}, so ${subject} cannot be told`, at };
    // Grafana expands the value after it applies the override (setting.go: expandConfig last).
    const place = { at, file: override.file, line: override.line, override: `${wanted.envOverride}=` };
    return expanded(facts, service, { value: override.value, written: said, placed: `${at}${under}`, place }, subject, property);
  }
  // Not set where it could be read, but perhaps in a file that could not be: then the file's key may not count.
  if (overridden.doubt !== undefined) {
    return {
      kind: 'unknown',
      reason: `${wanted.envOverride} would override ${wanted.key} in ${wanted.file}${under}, and ${overridden.doubt}, so ${subject} cannot be told`,
    };
  }
  const read = wanted.section === undefined ? findSetting(text, wanted.key) : grafanaFileKey(text, wanted.key, wanted.section, wanted.defaults?.text);
  if (read !== undefined && 'refused' in read) return refusedFile(facts, service, wanted.file, read);
  const setting = read;
  const { defaults } = wanted;
  // The command line's default, over Grafana's defaults.ini (only a key defaults.ini has: Grafana applies it to those):
  // the file's key wins, unless left empty (Grafana skips an empty one).
  const overDefaults = defaults?.text === undefined || readSetting(defaults.text, wanted.key, wanted.section) !== undefined;
  const fallback = overDefaults ? command?.properties.get(defaultProperty) : undefined;
  if (fallback === '' && commandAt !== undefined && (!setting || setting.value === ''))
    return emptyWord(facts, service, wanted, `cfg:${defaultProperty}=`, commandAt);
  if (fallback !== undefined && commandAt !== undefined && (!setting || setting.value === '')) {
    const written = `sets cfg:${defaultProperty}=${escapeText(fallback, 200)}, which ${wanted.file} does not override`;
    return expanded(facts, service, { value: fallback, written, placed: `${commandAt.at}${under}`, place: commandAt }, subject, property);
  }
  if (defaults !== undefined && (!setting || setting.value === '')) return fromDefaults(facts, service, wanted, defaults, subject);
  if (!setting) return { kind: 'unset' };
  const at = `${wanted.file}:${setting.line}`;
  // A child section's key, which go-ini's GetKey finds in the parent (grafana-file.ts): said where it is written.
  const child = setting !== undefined && 'section' in setting && setting.section !== wanted.section ? setting.section : undefined;
  const written = `sets ${wanted.key} = ${escapeText(setting.value, 200)}${child === undefined ? '' : ` in [${escapeText(child, 200)}], which ${service.name} reads as [${wanted.section}]'s (go-ini finds a key of [${wanted.section}] from its child sections)`}`;
  const place = { at, file: wanted.file, line: setting.line, column: setting.column };
  return expanded(facts, service, { value: setting.value, written, placed: `${at}:${setting.column}${under}`, place }, subject, property);
}

/**
 * `key` as Grafana's defaults.ini gives it, when nothing over it does: its line (the fix is the file's key, written in
 * `wanted.file`: defaults.ini is the package's, replaced on upgrade); unset when it sets none or an empty one (Grafana
 * then takes its own default); unknown when it could not be read.
 */
function fromDefaults(
  facts: Pick<Facts, 'units' | 'root' | 'grafanaValueFiles'>,
  service: Service,
  wanted: SettingKey,
  defaults: NonNullable<SettingKey['defaults']>,
  subject: string,
): ResolvedSetting {
  const under = facts.root === '/' ? '' : ` under ${facts.root}`;
  const section = wanted.section !== undefined ? ` in [${wanted.section}]` : '';
  if (defaults.text === undefined) {
    return {
      kind: 'unknown',
      reason: `${wanted.file}${under} sets no ${wanted.key}${section}, so ${service.name} takes the one in its homepath's ${defaults.file}, which cannot be read (${defaults.problem ?? 'not read'}), so ${subject} cannot be told`,
      at: wanted.file,
      defaultsUnread: true,
    };
  }
  const setting = readSetting(defaults.text, wanted.key, wanted.section);
  if (setting !== undefined && 'refused' in setting) return refusedFile(facts, service, defaults.file, setting);
  if (!setting || setting.value === '') return { kind: 'unset' };
  const at = `${defaults.file}:${setting.line}`;
  const written = `sets ${wanted.key} = ${escapeText(setting.value, 200)} (${service.name}'s defaults), which ${wanted.file} does not set`;
  const place = { at, file: defaults.file, line: setting.line, column: setting.column };
  const found = expanded(
    facts,
    service,
    { value: setting.value, written, placed: `${at}:${setting.column}${under}`, place },
    subject,
    `${wanted.section}.${wanted.key}`,
  );
  return found.kind === 'set' ? { ...found, setIn: wanted.file } : found;
}

/** A file the program cannot parse (go-ini refuses a line of it): it exits at start, whatever the key says. */
function refusedFile(facts: Pick<Facts, 'root'>, service: Service, file: string, refusal: IniRefusal): ResolvedSetting {
  const under = facts.root === '/' ? '' : ` under ${facts.root}`;
  const at = `${file}:${refusal.line}`;
  return {
    kind: 'unknown',
    exits: true,
    reason: `${at}${under}: ${service.name} cannot parse this line (go-ini: ${refusal.refused}), so it refuses the file and exits at start ("failed to parse"); write it as KEY = VALUE, closing every quote and [, or comment it out with ;`,
    at,
  };
}

/**
 * A `cfg:` word with an empty value (`cfg:server.http_port=`, or `=${GRAFANA_PORT}` with the variable not set):
 * Grafana applies it, then reads the empty key as its own default (MustString), so the key is `builtIn`, not the
 * file's; unset when that default is not known here. Said with the variable that left it empty.
 */
function emptyWord(
  facts: Pick<Facts, 'units' | 'root'>,
  service: Service,
  wanted: SettingKey,
  word: string,
  place: { readonly at: string; readonly file: string; readonly line: number; readonly override?: string },
): ResolvedSetting {
  if (wanted.builtIn === undefined) return { kind: 'unset' };
  const variable = wanted.commandLine?.variables?.get(word.slice('cfg:'.length, -1));
  const set = variable === undefined ? undefined : unitVariable(facts, service, variable).setting;
  const why =
    variable === undefined
      ? 'empty'
      : set === undefined
        ? `empty: the unit sets no ${escapeText(variable, 200)}`
        : `empty: ${escapeText(variable, 200)} is empty at ${escapeText(`${set.file}:${set.line}`, 500)}`;
  const said = `sets ${word} (${why}), so ${service.name} takes its own default ${wanted.key}, ${escapeText(wanted.builtIn, 200)}`;
  return { kind: 'set', value: wanted.builtIn, said, ...place };
}

/** A value as written where it was found: how it was set (`sets ...`), its place, and that place for a reason (`file:line:col under ROOT`). */
interface Written {
  readonly value: string;
  readonly written: string;
  readonly placed: string;
  readonly place: { readonly at: string; readonly file: string; readonly line: number; readonly column?: number; readonly override?: string };
}

/**
 * The fix for a value an override gives (`set.override`: a cfg: word, a GF_ variable) that should be `value`: change
 * it where it is set (or remove it, and the file's key counts), then reload the unit (restartStep: under --root, reloadStep's
 * words); undefined for the file's own key.
 */
export function overrideFix(set: Extract<ResolvedSetting, { kind: 'set' }>, value: string, service: Service, root: string): string | undefined {
  if (set.override === undefined) return undefined;
  const unit = service.systemd?.unit ?? service.name;
  return `change it to ${set.override}${value} at ${set.at} (or remove it: then the config file's key counts)${restartStep(root, unit)}`;
}

/**
 * A written value as the program gets it: Grafana's expansion of it (grafanaExpand: `${VAR}` and `$__env{VAR}` from
 * the unit's environment, `$__file{PATH}` from the file, read under the root); unknown when what it expands cannot be
 * told; `exits` for a file that is not there, which Grafana exits on at start.
 */
function expanded(
  facts: Pick<Facts, 'units' | 'root' | 'grafanaValueFiles'>,
  service: Service,
  found: Written,
  subject: string,
  property: string,
): ResolvedSetting {
  const { value, written, placed, place } = found;
  const environment = (name: string): EnvLookup => {
    const { setting: set, doubt } = unitVariable(facts, service, name);
    if (doubt !== undefined) return { unknown: `from ${service.name}'s environment, but ${doubt}` };
    // The name is read from the file, the place is a unit file's path: both escaped as every string from a file is.
    if (!set) return { unknown: `from ${service.name}'s environment, and the unit sets no ${escapeText(name, 200)} (in Environment= or an EnvironmentFile=)` };
    return { value: set.value, said: `${escapeText(name, 200)}=${escapeText(set.value, 200)} from ${escapeText(`${set.file}:${set.line}`, 500)}` };
  };
  const under = facts.root === '/' ? '' : ` under ${facts.root}`;
  const file = (path: string): FileLookup => {
    const read = facts.grafanaValueFiles?.get(path);
    if (read?.missing === true) return { missing: true };
    if (read?.text !== undefined) return { text: read.text };
    return { unknown: `and ${escapeText(path, 500)}${under}, whose contents ${service.name} puts there, cannot be read (${read?.problem ?? 'not read'})` };
  };
  const result = grafanaExpand(value, property, environment, file);
  if ('unknown' in result) return { kind: 'unknown', reason: `${placed} ${written}, ${result.unknown}, so ${subject} cannot be told`, at: place.at };
  if ('fails' in result) {
    const path = escapeText(result.path, 500);
    return {
      kind: 'unknown',
      exits: true,
      reason: `${placed} ${written}, and ${path}${under} is not there, so ${service.name} exits at start ("${escapeText(result.fails, 500)}"); put the value in ${path}, or write it in place of $__file{${path}}`,
      at: place.at,
    };
  }
  return {
    kind: 'set',
    value: result.value,
    said: result.said.length === 0 ? written : `${written} (${result.said.join(', ')})`,
    ...place,
    ...(result.variable !== undefined && { variable: result.variable }),
    ...(result.file !== undefined && { valueFile: result.file }),
  };
}
