// The other files prometheus.yml makes Prometheus read for its jobs, with
// Prometheus's own rules (config/config.go, discovery/file/file.go):
// `scrape_config_files:` globs name files of more scrape_configs (2.43+), and
// a job's `file_sd_configs: [{files: [...]}]` globs name its target files
// (a JSON or YAML list of `{targets: [...], labels: {...}}`). A relative
// path is taken from the directory of the file that names it (prometheus.yml,
// or the scrape config file the job is in), globs are Go's (go-glob.ts), and
// a glob that matches nothing is no error. gather() reads them under the root
// (prometheusFiles in the facts); the reader looks them up here.
import { goQuoted } from './go-quote.js';
import type { PrometheusFileFacts } from '../../types.js';
import { posix } from 'node:path';
import { yamlLineBreaks } from './finding.js';
import { quoteValue } from '@dsa110/ports';
import type { Finding } from './finding.js';
import { goGlobPart, hasGoMeta } from './go-glob.js';
import { lineColumn, lineColumns, readJsonLocated, type JsonNode } from './json-located.js';
import {
  atColumn,
  columnReader,
  flowMappingEntries,
  isSpaceAt,
  leadingSpace,
  listItem,
  logicalLines,
  maskedOf,
  placedItem,
  readScrapeConfigs,
  topLevelKey,
  valueReader,
  withoutLabels,
  type AtLine,
  type LogicalLine,
} from './prometheus-jobs.js';
import { isLabelName } from './yaml-label-names.js';
import { repeatedKeys, type KeyPlace } from './yaml-repeated-keys.js';

/** The scrape job Prometheus must have for a service with `metrics:` (as `ports snippet prometheus-yml` writes it). */
export const scrapeJobName = (id: string) => `dsa110-${id}`;

/** Prometheus's check of a scrape_config_files entry (patRulePath): a `*` only in the last part. */
const SCRAPE_CONFIG_FILE = /^[^*]*(\*[^/]*)?$/;
/** Prometheus's check of a file_sd_configs file (patFileSDName): a `*` only in the last part, and .json, .yml or .yaml. */
const FILE_SD_FILE = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

/** A path as Prometheus takes it from the file `from` names it in (config.JoinDir: a relative one from that file's directory). */
export function resolveFrom(from: string, pattern: string): string {
  return pattern.startsWith('/') ? pattern : posix.join(posix.dirname(from), pattern);
}

/** Why Prometheus refuses a scrape_config_files or file_sd_configs entry, or undefined when it takes it. */
export function patternProblem(kind: 'scrape_config_files' | 'file_sd_configs', pattern: string): string | undefined {
  if (kind === 'scrape_config_files' ? !SCRAPE_CONFIG_FILE.test(pattern) : !FILE_SD_FILE.test(pattern)) {
    return kind === 'scrape_config_files'
      ? 'Prometheus refuses the configuration (a * is allowed only in the last part of the path)'
      : 'Prometheus refuses the configuration (a file_sd path must end in .json, .yml or .yaml, with a * only in its last part)';
  }
  for (const part of pattern.split('/')) {
    const matcher = hasGoMeta(part) ? goGlobPart(part) : undefined;
    if (typeof matcher === 'string') return `${matcher}, so Prometheus cannot expand it`;
  }
  return undefined;
}

/** The files by resolved glob (gather's prometheusFiles). Include facts, where one unreadable file stands for the whole glob, fit too. */
export type PrometheusFileLookup = (pattern: string) => PrometheusFileFacts | undefined;

/** A file Prometheus reads for a job: the resolved glob, and whether its files are scrape config files (read for more files in turn). */
export interface PrometheusFilePattern {
  readonly pattern: string;
  readonly scrapeConfigs: boolean;
}

/**
 * The globs a prometheus.yml (or, `scrapeConfigFile`, a scrape config file)
 * at `path` makes Prometheus read that matter to the check: every
 * scrape_config_files entry of prometheus.yml, and the file_sd files of the
 * jobs named in `jobs` (the registry's; a node job's targets are none of its
 * business). Resolved; ones Prometheus refuses left out.
 */
export function prometheusFilePatterns(text: string, path: string, jobs: ReadonlySet<string>, scrapeConfigFile = false): PrometheusFilePattern[] {
  if (!text.includes('scrape_config_files') && !text.includes('file_sd_configs')) return []; // the common file, at no cost
  const read = readScrapeConfigs(text);
  const found = (kind: 'scrape_config_files' | 'file_sd_configs', entries: readonly AtLine[]) =>
    entries.filter((entry) => patternProblem(kind, entry.value) === undefined).map((entry) => resolveFrom(path, entry.value));
  return [
    ...found('scrape_config_files', scrapeConfigFile ? [] : read.scrapeConfigFiles).map((pattern) => ({ pattern, scrapeConfigs: true })),
    ...read.jobs
      .filter((job) => jobs.has(job.name))
      .flatMap((job) => found('file_sd_configs', job.fileSd).map((pattern) => ({ pattern, scrapeConfigs: false }))),
  ];
}

/**
 * The targets of a file_sd file, each with its line and column, or why Prometheus cannot read them (severity error) or
 * this check cannot (unknown), at the line (and column) of what is wrong where that is known (0: the file as a whole).
 */
export type TargetFile = { readonly targets: readonly AtLine[] } | (Omit<Finding, 'file' | 'line'> & { readonly line?: number });

/** A file_sd file's targets, read as Prometheus reads it by its extension: JSON, or YAML (as written, line by line). */
export function readTargetFile(path: string, text: string): TargetFile {
  const json = path.toLowerCase().endsWith('.json');
  if (json || /^\s*\[\s*(\{\s*"|\]\s*$)/.test(text)) {
    // YAML is a superset of JSON: a .yml file written as JSON means the same (read as YAML reads it, see jsonTargets).
    const read = readJsonLocated(text);
    if ('node' in read) return jsonTargets(text, read.node, json);
    if (json && read.at === 0 && text.startsWith('\ufeff'))
      return cannotRead(text, 0, "not valid JSON: it starts with a byte-order mark (BOM), which Go's JSON reader refuses; save it as UTF-8 without a BOM");
    if (json) return cannotRead(text, read.at, `not valid JSON: ${read.problem}`);
  }
  return yamlTargets(text);
}

/** The first entry of an object whose key an earlier one has: YAML read strictly refuses it, where Go's JSON reader keeps the last. */
function repeatedKey<T extends { readonly key: string }>(entries: readonly T[]): T | undefined {
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.key)) return entry;
    seen.add(entry.key);
  }
  return undefined;
}

const cannotRead = (text: string, at: number, why: string): TargetFile => ({
  ...lineColumn(text, at),
  severity: 'error',
  message: `Prometheus cannot read its targets: ${why}`,
});

/**
 * Whether an object's key names the field `name`: as Go's encoding/json matches it (case folded: `Targets`,
 * `targetſ`), or, for a .yml file written as JSON, as YAML does (exactly).
 */
const names = (key: string, name: string, json: boolean): boolean =>
  key === name || (json && (key.toLowerCase() === name || key.toUpperCase() === name.toUpperCase()));

/**
 * A JSON file's targets (discovery/file: []*targetgroup.Group), each at the line and column its text starts at
 * (inside its quotes): a list of groups, each an object of `targets` (a list of strings) and `labels` (an object of
 * strings), either null or left out; any other key refuses the file (DisallowUnknownFields; YAML's strict reading
 * too). A .yml file (`json` false) is read as YAML reads it (yaml.UnmarshalStrict): keys exactly, a key given twice
 * in one object refusing the file ("field targets already set", "key \"env\" already set in map"), and a label any
 * scalar but no object or list ("cannot unmarshal !!map into model.LabelValue").
 */
function jsonTargets(text: string, top: JsonNode, json: boolean): TargetFile {
  if (top.kind === 'null') return { targets: [] }; // Go reads null as no groups
  if (top.kind !== 'array') return cannotRead(text, top.at, 'it is not a list of target groups ([{"targets": [...]}])');
  const targets: AtLine[] = [];
  const placed = lineColumns(text);
  for (const [index, group] of top.items.entries()) {
    if (group.kind === 'null') return cannotRead(text, group.at, `nil target group item found (index ${index})`);
    if (group.kind !== 'object') return cannotRead(text, group.at, `target group ${index} is not an object`);
    let list: AtLine[] = [];
    const twice = json ? undefined : repeatedKey(group.entries);
    if (twice) return cannotRead(text, twice.keyAt, `${quoteValue(twice.key)} is given twice in target group ${index} (YAML reads a key once)`);
    for (const { key, keyAt, value } of group.entries) {
      if (names(key, 'targets', json)) {
        if (value.kind !== 'array' && value.kind !== 'null') return cannotRead(text, value.at, `the targets of group ${index} are not a list of strings`);
        list = [];
        for (const target of value.kind === 'array' ? value.items : []) {
          // null would be an empty target, which Prometheus refuses too (no address).
          if (target.kind !== 'string') return cannotRead(text, target.at, `the targets of group ${index} are not a list of strings`);
          const { line, column } = placed(target.at + 1);
          list.push({ line, column, value: target.value });
        }
      } else if (names(key, 'labels', json)) {
        if (value.kind !== 'object' && value.kind !== 'null') return cannotRead(text, value.at, `the labels of group ${index} are not an object`);
        const labels = value.kind === 'object' ? value.entries : [];
        const bad = labels.find((label) => (json ? label.value.kind !== 'string' : label.value.kind === 'object' || label.value.kind === 'array'));
        if (bad)
          return cannotRead(
            text,
            bad.value.at,
            `label ${quoteValue(bad.key)} of group ${index} is not a ${json ? 'string' : 'value (a string or other scalar)'}`,
          );
        const again = json ? undefined : repeatedKey(labels);
        if (again) return cannotRead(text, again.keyAt, `label ${quoteValue(again.key)} is given twice in group ${index} (YAML reads a key once)`);
        const refused = labels.find((label) => !isLabelName(label.key));
        if (refused) return cannotRead(text, refused.keyAt, refusedLabelWords(refused.key));
      } else return cannotRead(text, keyAt, `${quoteValue(key)} is not a key of a target group (only targets and labels are)`);
    }
    targets.push(...list); // of a key given twice, the last is read
  }
  return { targets };
}

/** YAML the line-by-line reading does not follow: an anchor, alias, tag or block scalar where a target (or a file's path) would be. */
export const UNREAD_YAML = /^[&*!|>]/;

/** What a finding says of such a value. */
export const UNREAD_YAML_WORDS = 'uses YAML this check does not read (an anchor, alias, tag or block scalar)';

/**
 * Why Prometheus refuses a label of a file_sd file (model.LabelName): promtool check config says it with no line.
 * Quoted as Go's %q quotes it (goQuoted).
 */
function refusedLabelWords(name: string): string {
  const said = goQuoted(name);
  return `the label ${said} is not a valid label name (promtool check config: ${said} is not a valid label name); name it with letters, digits and _ only, not starting with a digit`;
}

/**
 * The first problem with the labels of a YAML file_sd file, block or flow, at its line and column: a label name
 * Prometheus refuses (which stops yaml.v2 at once, so it is said first), else, in file order, a label given twice
 * (`key "a" already set in map`), one whose value is a mapping or list (`cannot unmarshal !!map into
 * model.LabelValue`), or `labels:` that is a list (`cannot unmarshal !!seq into model.LabelSet`).
 */
function yamlLabelProblem(lines: readonly LogicalLine[]): (KeyPlace & { readonly why: string }) | undefined {
  let name: (KeyPlace & { readonly why: string }) | undefined;
  const others: (KeyPlace & { readonly why: string })[] = [];
  const repeats = repeatedKeys(
    lines,
    (set) => {
      if (name === undefined && set.parent === 'labels' && !isLabelName(set.key))
        name = { line: set.line, column: set.column, why: refusedLabelWords(set.key) };
    },
    undefined,
    (value) => {
      if (value.parent === 'labels')
        others.push({ ...value, why: `label ${quoteValue(value.key)} is a ${value.kind}, not a value (a string or other scalar)` });
      else if (value.key === 'labels' && value.parent === undefined && value.kind === 'list')
        others.push({ ...value, why: 'the labels of a target group are a list, not a mapping of label names to values' });
    },
  );
  if (name) return name;
  for (const repeat of repeats)
    if (repeat.parent === 'labels') others.push({ ...repeat, why: `label ${quoteValue(repeat.key)} is given twice in a target group (YAML reads a key once)` });
  return others.sort((a, b) => a.line - b.line || a.column - b.column)[0];
}

function yamlTargets(text: string): TargetFile {
  const targets: AtLine[] = [];
  let list = false;
  const all = logicalLines(text);
  const lines = withoutLabels(all);
  const refused = groupShapeProblem(text, lines);
  if (refused) return { severity: 'error', message: `Prometheus cannot read its targets: ${refused}` };
  const label = yamlLabelProblem(all);
  if (label) return { line: label.line, column: label.column, severity: 'error', message: `Prometheus cannot read its targets: ${label.why}` };
  for (const logical of lines) {
    const { line, text: content } = logical;
    const masked = maskedOf(logical); // a `targets:` inside quotes is text
    const keys = [...masked.matchAll(/(?:^|[\s{,-])(['"]?)targets\1:\s*/g)];
    if (keys.length === 0) {
      const item = list ? listItem(content, masked) : undefined;
      if (item !== undefined) targets.push(placedItem(logical, item));
      else list = false;
      continue;
    }
    const valueAt = valueReader(content, masked);
    const columnAt = columnReader(logical);
    let read = 0; // where the last value read ends: a `targets:` inside it is its text
    for (const key of keys) {
      if (key.index < read) continue;
      const value = valueAt(key.index + key[0].length);
      read = value.end;
      for (let at = 0; at < value.items.length; at++) targets.push(atColumn(line, value.items[at]!, columnAt(value.starts[at]!)));
      list = value.block;
    }
  }
  const unread = targets.find((target) => UNREAD_YAML.test(target.value));
  if (unread) {
    return {
      severity: 'unknown',
      message: `line ${unread.line} ${UNREAD_YAML_WORDS}; its targets are not checked`,
    };
  }
  return { targets };
}

/** The keys a YAML target group may have: Prometheus reads file_sd YAML strictly (yaml.UnmarshalStrict), so any other refuses the whole file. */
const GROUP_KEYS = new Set(['targets', 'labels']);

/**
 * Why Prometheus refuses a file_sd YAML file for its shape, or undefined: a
 * document that is not a list (of target groups), or a group with a key other
 * than `targets` and `labels` (`target:`, `Labels:`, `foo:`) or with one of
 * them twice (YAML read strictly: "field targets already set"), in block form
 * (`- targets: ...` and the keys under it) or flow form (`- {targets: [...]}`).
 * The lines are logicalLines without labels' contents (withoutLabels).
 */
export function groupShapeProblem(text: string, lines: readonly LogicalLine[]): string | undefined {
  const raw = yamlLineBreaks(text).split('\n');
  let dashAt: number | undefined; // the column of the dash of a target group
  let keyAt: number | undefined; // the column of the current group's keys
  let seen = new Set<string>(); // the current group's keys
  for (const line of lines) {
    const lead = leadingSpace(raw[line.line - 1]!);
    let keys: string[] = [];
    if (line.text === '-' || (line.text.startsWith('-') && isSpaceAt(line.text, 1))) {
      dashAt ??= lead;
      if (lead !== dashAt) continue; // an item of a list inside the group (its targets)
      keyAt = line.indent;
      seen = new Set();
      const item = line.text.slice(1).trim();
      keys = item.startsWith('{') ? flowMappingKeys(item) : [topLevelKey(item)].filter((key) => key !== undefined);
    } else if (dashAt === undefined) {
      if (line.text.startsWith('[')) return undefined; // a flow list, read as written
      return `line ${line.line}: it is not a list of target groups (- targets: [...])`;
    } else if (lead === keyAt) {
      const key = topLevelKey(line.text);
      if (key !== undefined) keys = [key];
    }
    // A merge key (<<) is YAML's, not a field.
    const other = keys.find((key) => !GROUP_KEYS.has(key) && key !== '<<');
    if (other !== undefined) return `line ${line.line}: ${quoteValue(other)} is not a key of a target group (only targets and labels are)`;
    for (const key of keys) {
      if (seen.has(key)) return `line ${line.line}: ${quoteValue(key)} is given twice in a target group (YAML reads a key once)`;
      if (key !== '<<') seen.add(key);
    }
  }
  return undefined;
}

export { flowMappingEntries } from './prometheus-jobs.js';

/** flowMappingEntries' keys. */
export function flowMappingKeys(text: string): string[] {
  return flowMappingEntries(text).map((entry) => entry.key);
}
