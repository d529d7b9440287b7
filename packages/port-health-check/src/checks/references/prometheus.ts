// Prometheus: the scrape job of each service with metrics targets its port
// (prometheus.yml), and --web.listen-address puts Prometheus on its own port
// (the ARGS of /etc/default/prometheus, or a unit's ExecStart). prometheus.yml
// is read line by line (prometheus-jobs.ts), and so are the files it makes
// Prometheus read for jobs (prometheus-files.ts): the scrape config files of
// `scrape_config_files:`, and a job's file_sd target files. A job whose
// targets come only from a discovery this check cannot read (Consul, DNS,
// Kubernetes, HTTP, ...) is unknown, never a false error.
import { goQuoted } from './go-quote.js';
import { goPort } from '../go-port.js';
import { escapeText, quoteValue, type AccessLevel, type UrlScheme } from '@dsa110/ports';
import { isUnspecified } from '../../address.js';
import { goHost, goUnreadAddress } from './go-host.js';
import {
  type BoundAddress,
  characterColumn,
  type Finding,
  hostOfAddress,
  accessMismatch,
  hostReach,
  isLoopbackHost,
  notAPort,
  orRegistry,
  portFix,
  portOfAddress,
  refusedConnection,
  registryInstead,
  type RegistryTakes,
} from './finding.js';
import { keyOnMarker, readScrapeConfigs, type AtLine, type ScrapeJob } from './prometheus-jobs.js';
import type { SetKey } from './yaml-repeated-keys.js';
import { refusedDirective } from './yaml-directives.js';
import { MAP_KEYS, type RepeatedKey } from './yaml-repeated-keys.js';
import { patternProblem, readTargetFile, resolveFrom, UNREAD_YAML, UNREAD_YAML_WORDS, type PrometheusFileLookup } from './prometheus-files.js';
import type { PrometheusFile, PrometheusVersion } from '../../types.js';
import { unknownFieldFinding, unknownFieldSeverity, type UnknownField } from './prometheus-fields.js';

export interface ScrapeExpectation {
  readonly job: string;
  readonly name: string;
  readonly port: number;
  /** The command that prints the job as the registry wants it (`ports snippet prometheus-yml`, as the references check builds it). */
  readonly snippet: string;
  /** The scheme it is reached by (urlScheme: https for an HTTPS service); left out, a job's `scheme:` is not held to it. */
  readonly scheme?: UrlScheme;
  /**
   * The sockets listening on its port on this machine, when they were read: a target on this host that none of them
   * takes (reachesListener: `127.0.0.2:PORT` beside a listener on 127.0.0.1 only) is refused. Left out, or none, targets are held to the port alone.
   */
  readonly listeners?: readonly BoundAddress[];
  /** Whether the registry would take a target's port for the service instead (RegistryTakes); left out, that is never offered. */
  readonly registryTakes?: RegistryTakes;
}

/**
 * A finding for a job whose scheme (`scheme:`, http when left out) is not the one the registry's protocol says the
 * service speaks. promtool check config passes either (and any other word); Prometheus then marks the target down:
 * http to a TLS server is answered 400 ("Client sent an HTTP request to an HTTPS server"), https to a plain one fails
 * ("server gave HTTP response to HTTPS client"). Prometheus reads the scheme in any case (a URL's scheme is).
 */
function checkScheme(job: PlacedJob, want: ScrapeExpectation): Finding | undefined {
  const wanted = want.scheme;
  if (wanted === undefined) return undefined;
  const at = { ...(job.file !== undefined && { file: job.file }) };
  const scheme = job.scheme;
  if (scheme !== undefined && 'unread' in scheme) {
    return {
      ...at,
      line: scheme.line,
      severity: 'unknown',
      message: `scrape job ${want.job}: its scheme is set where this check does not read it (a relabelling of __scheme__, or YAML the parser does not read), so whether it scrapes ${want.name} by ${wanted} is not known`,
    };
  }
  const written = scheme?.value ?? 'http';
  if (written.toLowerCase() === wanted) return undefined;
  const shownScheme = scheme === undefined ? 'has no scheme: (so http)' : `has scheme: ${escapeText(written, 200)}`;
  const why =
    wanted === 'https'
      ? `is HTTPS, so it answers 400 ("Client sent an HTTP request to an HTTPS server") and the target is down`
      : `is plain HTTP, so the scrape fails ("server gave HTTP response to HTTPS client") and the target is down`;
  const fix = wanted === 'https' ? 'add scheme: https to the job' : 'write scheme: http (or remove the line)';
  return {
    ...at,
    line: scheme?.line ?? job.line,
    ...(job.column !== undefined && { column: job.column }),
    severity: 'error',
    message: `scrape job ${want.job} ${shownScheme}, but the registry says ${want.name} ${why}; ${fix} (${want.snippet}), or give ${want.name} protocol: ${wanted === 'https' ? 'HTTP' : 'HTTPS'} in the registry`,
  };
}

/**
 * The top-level keys of prometheus.yml, of every Prometheus release up to 3.x (config.Config: `storage` since 2.29,
 * `tracing` 2.34, `otlp` 2.47, `runtime` 2.53): any other it refuses. A key only a newer release knows is taken.
 */
const PROMETHEUS_KEYS = new Set([
  'global',
  'runtime',
  'rule_files',
  'scrape_config_files',
  'scrape_configs',
  'alerting',
  'storage',
  'tracing',
  'remote_write',
  'remote_read',
  'otlp',
]);

/** A job with the file it is in (undefined: prometheus.yml itself), and which reading of a file it is from (a file named twice is read twice). */
type PlacedJob = ScrapeJob & { readonly file?: string; readonly reading?: number };

/**
 * The jobs of prometheus.yml and of the scrape config files it names (looked
 * up in the facts; a scrape config file may name none, Prometheus refuses
 * that), with a finding for each file it cannot read. A file named twice is
 * read twice, as Prometheus does: its jobs are then duplicates. `unread`: why
 * a job may be there unread (a file, or an alias, that could not be read).
 * `refused`: a file Prometheus refuses has `scrape_configs:` or
 * `scrape_config_files:` twice, so no job is judged (its repeat is the finding).
 */
function allJobs(
  text: string,
  self: string,
  lookup: PrometheusFileLookup | undefined,
  findings: Finding[],
  prometheus: { readonly version?: PrometheusVersion; readonly unit?: string },
): { jobs: PlacedJob[]; unread: string | undefined; refused: boolean } {
  const said = (field: UnknownField) => unknownFieldSeverity(field, prometheus.version) !== undefined;
  const jobs: PlacedJob[] = [];
  let unread: string | undefined; // why a job may be there unread, if one may
  let refused = false;
  let readings = 0;
  const read = (source: string, file: string | undefined): void => {
    const at = file !== undefined ? { file } : {};
    const reading = readings++;
    const marker = keyOnMarker(source);
    if (marker !== undefined) {
      // A parse error: yaml.v2 stops before any key of the file is read, so nothing else in it is judged.
      const message = `Prometheus refuses this file: Go's yaml.v2 takes no block mapping on the --- line (promtool check config: mapping values are not allowed in this context); put ${marker.key}: on the next line, at column 1`;
      findings.push({ ...at, line: marker.line, column: marker.column, severity: 'error', message });
      refused = true;
      return;
    }
    const config = readScrapeConfigs(source);
    findings.push(
      ...firstFew(
        config.repeats.map((repeat) => ({ ...at, line: repeat.line, column: repeat.column, severity: 'error' as const, message: repeatedKeyMessage(repeat) })),
        (more) =>
          `${more} more repeated keys are in this file from this line on (only the first ${MAX_FINDINGS_SAID} are said one by one); remove every repeat, as Prometheus refuses the file for any one`,
      ),
    );
    if (config.repeats.some((repeat) => repeat.section === undefined && (repeat.key === 'scrape_configs' || repeat.key === 'scrape_config_files'))) {
      refused = true;
      return;
    }
    if (config.refusedName !== undefined) {
      // Not YAML to Prometheus's parser: nothing of the file is loaded, so no job in it is judged.
      const { written, line, column } = config.refusedName;
      findings.push({ ...at, line, ...(column !== undefined && { column }), severity: 'error', message: refusedNameMessage(written) });
      refused = true;
      return;
    }
    if (config.refusedLabel !== undefined) {
      // promtool names no line: the one the label is set at (a merge's `<<`), and where it is written.
      const label = config.refusedLabel;
      const place = label.via ?? label;
      findings.push({ ...at, line: place.line, column: place.column, severity: 'error', message: refusedLabelMessage(label) });
      refused = true;
      return;
    }
    const directive = refusedDirective(source);
    if (directive !== undefined) {
      const message = `Prometheus refuses this file: Go's yaml.v2 does not take this directive (promtool check config: ${directive.promtool}); remove the line, or write %YAML 1.1 once`;
      findings.push({ ...at, line: directive.line, column: 1, severity: 'error', message });
      refused = true;
      return;
    }
    if (config.listDocument !== undefined) {
      const message =
        'Prometheus refuses this file: it is a YAML list, not a mapping of top-level keys (promtool check config: cannot unmarshal !!seq into config.plain); remove the [ ] around it';
      findings.push({ ...at, line: config.listDocument, severity: 'error', message });
      refused = true;
      return;
    }
    if (config.unreadTopKey !== undefined)
      findings.push({
        ...at,
        line: config.unreadTopKey,
        severity: 'unknown',
        message:
          'a top-level key of this flow mapping is written so that this check does not read it (an explicit ? key, a tag, an alias, a merge key <<): whether Prometheus knows it is not known; write each key plainly, and run promtool check config on the file',
      });
    if (config.badMerge !== undefined) {
      const { line, column } = config.badMerge;
      findings.push({ ...at, line, column, severity: 'error', message: BAD_MERGE });
      refused = true;
      return;
    }
    if (config.quotedMerge !== undefined) {
      const { line, column } = config.quotedMerge;
      findings.push({ ...at, line, column, severity: 'error', message: QUOTED_MERGE });
      refused = true;
      return;
    }
    if (file !== undefined) {
      const others = config.sections.filter((each) => each.value !== 'scrape_configs');
      const said = others.map((section) => ({
        ...at,
        line: section.line,
        ...(section.column !== undefined && { column: section.column }),
        severity: 'error' as const,
        message: `${escapeText(section.value, 200)}: a scrape config file holds only scrape_configs:, so Prometheus refuses the configuration`,
      }));
      findings.push(
        ...firstFew(
          said,
          (more) =>
            `${more} more top-level keys other than scrape_configs: are in this scrape config file from this line on (only the first ${MAX_FINDINGS_SAID} are said one by one), so Prometheus refuses the configuration; remove them all`,
        ),
      );
    } else {
      // Prometheus reads its configuration strictly: a top-level key it does not know refuses the whole file (an
      // `x-anchors:` key kept only to hold YAML anchors, as docker-compose allows, is one).
      const unknownKeys: Finding[] = [];
      for (const section of config.sections.filter((each) => !PROMETHEUS_KEYS.has(each.value))) {
        const key = escapeText(section.value, 200);
        unknownKeys.push({
          line: section.line,
          ...(section.column !== undefined && { column: section.column }),
          severity: 'error',
          message: `${key}: Prometheus knows no top-level key ${key} and refuses the whole configuration (promtool check config: "field ${key} not found in type config.plain"); remove it, and keep a YAML anchor inside the job or section that uses it`,
        });
      }
      findings.push(
        ...firstFew(
          unknownKeys,
          (more) =>
            `${more} more top-level keys Prometheus does not know are in this file from this line on (only the first ${MAX_FINDINGS_SAID} are said one by one), so it refuses the whole configuration; remove them all`,
        ),
      );
    }
    // Each message (with the field a key most likely misspells) is made only for those said one by one.
    const unknownFields = config.unknownFields
      .filter(said)
      .map(
        (field, index): Finding =>
          index <= MAX_FINDINGS_SAID
            ? { ...at, ...unknownFieldFinding(field, prometheus.version, prometheus.unit)! }
            : { ...at, line: field.line, severity: 'warning', message: '' },
      );
    findings.push(
      ...firstFew(
        unknownFields,
        (more) =>
          `${more} more keys Prometheus may not know are in this file from this line on (only the first ${MAX_FINDINGS_SAID} are said one by one); check each with promtool check config`,
      ),
    );
    // A job with a key Prometheus refuses (or may) is held as one with a repeated key: its error stands, nothing else of
    // it is judged (a target under a misspelled `statc_configs:` is no target Prometheus scrapes).
    const refusedIn = (job: ScrapeJob) => job.unknownFields?.some(said) === true;
    jobs.push(...config.jobs.map((job) => ({ ...job, ...at, reading, ...(refusedIn(job) && { repeated: true as const }) })));
    if (config.unreadJobs !== undefined) {
      unread ??= 'a YAML alias or merge key of scrape_configs could not be resolved';
      findings.push({
        ...at,
        line: config.unreadJobs.line,
        severity: 'unknown',
        message: `scrape_configs uses a YAML alias or merge key this check could not resolve (${config.unreadJobs.why}): the jobs it gives are not checked`,
      });
    }
    if (file !== undefined && config.scrapeConfigFiles.length > 0) return; // refused above; not followed
    for (const entry of config.scrapeConfigFiles) {
      const named = namedFiles('scrape_config_files', entry, { at, said: `scrape_config_files ${entry.value}`, from: self, lookup, findings });
      if (named === 'refused') continue;
      if (named.unread) unread ??= 'a scrape config file could not be read';
      for (const each of named.files) read(each.text, each.path);
    }
  };
  read(text, undefined);
  return { jobs, unread, refused };
}

/** How many findings of one kind a file gets each (a repeated key, an unknown top-level key) before the rest are counted in one. */
export const MAX_FINDINGS_SAID = 10;

/**
 * The first MAX_FINDINGS_SAID of one kind of finding in a file, then one at the next of them that counts the rest
 * (`more`: its message, after the count): a generated file may hold thousands, each of which the timer's unit would
 * put in the journal.
 */
function firstFew(found: readonly Finding[], more: (count: number) => string): Finding[] {
  if (found.length <= MAX_FINDINGS_SAID + 1) return [...found];
  const { message: _, column: __, ...next } = found[MAX_FINDINGS_SAID]!;
  return [...found.slice(0, MAX_FINDINGS_SAID), { ...next, message: more(found.length - MAX_FINDINGS_SAID) }];
}

/** The error for a key written twice in one mapping: yaml.v2's UnmarshalStrict, which Prometheus reads with, refuses the file. */
function repeatedKeyMessage(repeat: RepeatedKey): string {
  const key = escapeText(repeat.key, 200);
  const promtool = repeat.parent !== undefined && MAP_KEYS.has(repeat.parent) ? `key ${JSON.stringify(key)} already set in map` : `field ${key} already set`;
  // A key a merge key (`<<`) gives a Go map is set there as if written: the `<<` line is where it is set.
  const first = repeat.merged === true ? `line ${repeat.first} (by its merge key, <<)` : `line ${repeat.first}`;
  // Placed where promtool names it, the merged key: the `<<` that sets it again may be far from there.
  const again = repeat.via !== undefined ? `, and the merge key (<<) at line ${repeat.via.line}:${repeat.via.column} sets it again from here` : '';
  return `Prometheus refuses this file: ${key} is already set at ${first}${again} (promtool check config: ${promtool}); remove one of them`;
}

/** The error for a merge key whose value is no mapping (prometheus-jobs.ts's badMerge). */
const BAD_MERGE =
  'Prometheus refuses this file: this merge key (<<) merges what is not a mapping (promtool check config: map merge requires map or sequence of maps as the value); merge a mapping, an alias of one, or a list of those';

/** The error for a quoted `<<` key in a job or other section's mapping (prometheus-jobs.ts's quotedMerge). */
const QUOTED_MERGE =
  "Prometheus refuses this file: a quoted '<<' is a key named <<, not a merge key, as Go's yaml.v2 reads it (promtool check config: field << not found); write << unquoted to merge, or remove the key";

/** The error for an anchor or alias name Go's yaml.v2, which Prometheus reads with, does not scan (refusedAnchorName). */
function refusedNameMessage(written: string): string {
  const name = escapeText(written, 200);
  return `Prometheus refuses this file: the YAML anchor or alias ${name} has a name Go's yaml.v2 does not read, which takes only letters, digits, _ and - (promtool check config: did not find expected alphabetic or numeric character); rename it so, or quote the value if it is text`;
}

/** The error for a label name Prometheus refuses (isRefusedLabel), said where it is set; for a merged one, where it is written too. */
function refusedLabelMessage(label: SetKey): string {
  const name = goQuoted(label.key);
  const merged = label.via !== undefined ? `, which this merge key (<<) gives from line ${label.line}:${label.column},` : '';
  // Quoted as promtool quotes it (Go's %q, goQuoted): an empty name shows, `"` and `\` are escaped.
  return `Prometheus refuses this file: the label ${name}${merged} is not a valid label name (promtool check config: ${name} is not a valid label name); name it with letters, digits and _ only, not starting with a digit`;
}

/**
 * An error at each job whose name an earlier job has (any name: two `other` jobs too, or a `<<` after job_name that
 * names it so): Prometheus refuses the whole configuration (promtool check config: found multiple scrape configs with
 * job name "x"), so it loads none of it.
 */
function definedAgain(jobs: readonly PlacedJob[], self: string): Finding[] {
  const first = new Map<string, PlacedJob>();
  const found: Finding[] = [];
  for (const twice of jobs) {
    if (twice.repeated === true) continue; // a job with a repeated key: its repeat is the finding
    const job = first.get(twice.name);
    if (job === undefined) {
      first.set(twice.name, twice);
      continue;
    }
    const name = escapeText(twice.name, 200);
    // Two jobs of a flow list may share a line: each is named by its column too.
    const at = `${job.file ?? self}:${job.line}${job.line === twice.line && job.column !== undefined ? `:${job.column}` : ''}`;
    const promtool = `found multiple scrape configs with job name "${name}"`;
    found.push({
      ...(twice.file !== undefined && { file: twice.file }),
      line: twice.line,
      severity: 'error',
      message:
        job.reading !== twice.reading && job.file === twice.file && job.line === twice.line
          ? `scrape job ${name}: this file is read twice (scrape_config_files names it again), so Prometheus refuses the configuration (promtool check config: ${promtool}); name it once`
          : `scrape job ${name} is defined again (first at ${at}), so Prometheus refuses the configuration (promtool check config: ${promtool}); rename one of them`,
    });
  }
  return firstFew(
    found,
    (more) =>
      `${more} more scrape jobs are defined again from this line on (only the first ${MAX_FINDINGS_SAID} are said one by one), so Prometheus refuses the configuration; give every job a name of its own`,
  );
}

/** A file a glob names that could be read. */
type NamedFile = Extract<PrometheusFile, { text: string }>;

/**
 * The files a `scrape_config_files` or `file_sd_configs` entry names that
 * could be read, from the directory of `from`, and whether some could not
 * (unknown, with a finding at the entry naming each: what it holds is not
 * checked, what its siblings hold is); or 'refused', with an error at the
 * entry (`said` names it), for a path Prometheus refuses.
 */
function namedFiles(
  key: 'scrape_config_files' | 'file_sd_configs',
  entry: AtLine,
  where: { at: { file?: string }; said: string; from: string; lookup: PrometheusFileLookup | undefined; findings: Finding[] },
): { files: readonly NamedFile[]; unread: boolean } | 'refused' {
  const { at, said, findings } = where;
  const notChecked = key === 'scrape_config_files' ? 'a scrape job in it is not checked' : 'its targets are not checked';
  if (UNREAD_YAML.test(entry.value)) {
    findings.push({ ...at, line: entry.line, severity: 'unknown', message: `${said}: ${UNREAD_YAML_WORDS}; ${notChecked}` });
    return { files: [], unread: true };
  }
  const problem = patternProblem(key, entry.value);
  if (problem) {
    findings.push({ ...at, line: entry.line, severity: 'error', message: `${said}: ${problem}` });
    return 'refused';
  }
  const pattern = resolveFrom(where.from, entry.value);
  const unread = (why: string) => findings.push({ ...at, line: entry.line, severity: 'unknown', message: `${said}: ${why}; ${notChecked}` });
  const found = where.lookup?.(pattern);
  if (!found || 'problem' in found) {
    unread(found?.problem ?? 'not read');
    return { files: [], unread: true };
  }
  const files: NamedFile[] = [];
  for (const file of found.files) {
    if ('text' in file) files.push(file);
    else unread(file.path === pattern ? file.problem : `${file.path}: ${file.problem}`); // a glob's file is named; a plain path is the entry itself
  }
  return { files, unread: files.length < found.files.length };
}

/** A job's targets from its static_configs and its file_sd files, each with its file; and whether some could not be read. */
function jobTargets(
  job: PlacedJob,
  self: string,
  lookup: PrometheusFileLookup | undefined,
  findings: Finding[],
): { targets: (AtLine & { file?: string })[]; unread: boolean } {
  const at = job.file !== undefined ? { file: job.file } : {};
  const targets: (AtLine & { file?: string })[] = job.targets.map((target) => ({ ...target, ...at }));
  let unread = false;
  for (const entry of job.fileSd) {
    const said = `scrape job ${job.name}: file_sd_configs file ${entry.value}`;
    const named = namedFiles('file_sd_configs', entry, { at, said, from: job.file ?? self, lookup, findings });
    if (named === 'refused') continue;
    if (named.unread) unread = true;
    for (const file of named.files) {
      const read = readTargetFile(file.path, file.text);
      if ('targets' in read) targets.push(...read.targets.map((target) => ({ ...target, file: file.path })));
      else {
        if (read.severity !== 'error') unread = true;
        findings.push({ ...read, file: file.path, line: read.line ?? 0, message: `scrape job ${job.name}: ${read.message}` });
      }
    }
  }
  return { targets, unread };
}

/**
 * Findings for prometheus.yml at `self` (its path: relative scrape config
 * and file_sd paths are taken from its directory), the files it names looked
 * up with `lookup`; `prometheus`: the version of the Prometheus that reads it
 * and its unit, as gather read them (a key its structs have no field for is
 * held to that version: prometheus-fields.ts).
 */
export function readPrometheusYml(
  text: string,
  expect: readonly ScrapeExpectation[],
  lookup?: PrometheusFileLookup,
  self = '/etc/prometheus/prometheus.yml',
  prometheus: { readonly version?: PrometheusVersion; readonly unit?: string } = {},
): Finding[] {
  const findings: Finding[] = [];
  const { jobs, unread, refused } = allJobs(text, self, lookup, findings, prometheus);
  if (refused) return findings;
  const twice = definedAgain(jobs, self);
  if (twice.length > 0) return [...findings, ...twice]; // Prometheus loads none of the configuration: no job is judged
  for (const want of expect) {
    const named = jobs.filter((each) => each.name === want.job);
    // A job with a repeated key is in a file Prometheus refuses: nothing of it is judged, its repeat is the finding.
    if (named.length > 0 && named.every((each) => each.repeated === true)) continue;
    const job = named.find((each) => each.repeated !== true);
    if (!job) {
      findings.push(
        unread !== undefined
          ? {
              line: 0,
              severity: 'unknown',
              message: `no scrape job ${want.job} found, and ${unread} (see above): it may be there, so whether Prometheus scrapes ${want.name} on port ${want.port} is not known`,
            }
          : (renamedJob(jobs, want, expect, self, lookup) ?? {
              line: 0,
              severity: 'error',
              message: `no scrape job ${want.job}, so Prometheus does not scrape ${want.name} on port ${want.port} (${want.snippet})`,
            }),
      );
      continue;
    }
    const at = job.file !== undefined ? { file: job.file } : {};
    const scheme = checkScheme(job, want);
    if (scheme) findings.push(scheme);
    if (job.unread !== undefined) {
      findings.push({
        ...at,
        line: job.unread.line,
        severity: 'unknown',
        message: `scrape job ${want.job} uses a YAML alias or merge key this check could not resolve (${job.unread.why}), so whether it scrapes ${want.name} on port ${want.port} is not known`,
      });
      continue;
    }
    const { targets, unread: targetsUnread } = jobTargets(job, self, lookup, findings);
    if (targets.length === 0 && !targetsUnread) {
      const other = job.otherSd[0];
      if (other) {
        findings.push({
          ...at,
          line: other.line,
          severity: 'unknown',
          message: `scrape job ${want.job} takes its targets from ${[...new Set(job.otherSd.map((sd) => sd.value))].join(', ')}, which this check cannot read: whether they are on port ${want.port} is not known`,
        });
      } else if (job.fileSd.length > 0) {
        findings.push({
          ...at,
          line: job.line,
          severity: 'error',
          message: `scrape job ${want.job} has no targets: its file_sd_configs files (${job.fileSd.map((entry) => entry.value).join(', ')}) name none; add localhost:${want.port} to one`,
        });
      } else findings.push({ ...at, line: job.line, severity: 'error', message: `scrape job ${want.job} has no targets; add localhost:${want.port}` });
    }
    for (const { file, line, value, column } of targets) {
      const where = { ...(file !== undefined && { file }), line };
      // A disagreement is placed at the value's column too, where the reader knows it (file:line:col).
      const placed = { ...where, ...(column !== undefined && { column }) };
      if (UNREAD_YAML.test(value)) {
        // `!!str localhost:8000`, `&api localhost:8000`: what Prometheus makes of it is not read here, never another host.
        findings.push({
          ...where,
          severity: 'unknown',
          message: `scrape job ${want.job} targets ${escapeText(value, 200)}, which ${UNREAD_YAML_WORDS}; it is not checked`,
        });
        continue;
      }
      const written = writtenPort(value);
      const none = written !== undefined ? notAPort(written) : undefined;
      if (none !== undefined) {
        findings.push({
          ...placed,
          severity: 'error',
          message: `scrape job ${want.job} targets ${escapeText(value, 200)}, whose port ${none}, so Prometheus does not scrape ${want.name} on port ${want.port}; ${portFix('its port', want.port, want.snippet)}`,
        });
      } else if (portOfAddress(value) !== want.port) {
        findings.push({
          ...placed,
          severity: 'error',
          message: `scrape job ${want.job} targets ${escapeText(value, 200)}, but ${want.name} uses port ${want.port}; ${portFix('its port', want.port, want.snippet, registryInstead(want, portOfAddress(value)))}`,
        });
      } else if (!isThisHost(hostOfAddress(value))) {
        findings.push({
          ...where,
          severity: 'warning',
          message: `scrape job ${want.job} targets ${escapeText(value, 200)}, another host (or a name this check does not resolve): it does not scrape ${want.name} on this host`,
        });
      } else {
        const refused = refusedConnection(hostOfAddress(value), want.port, want.listeners);
        if (refused) {
          const message = `scrape job ${want.job} targets ${escapeText(value, 200)}, but ${refused.why}, so the scrape is refused; target ${refused.instead} (${want.snippet} prints what passes)`;
          findings.push({ ...placed, severity: 'error', message });
        }
      }
    }
  }
  return findings;
}

/**
 * The error for a job the registry names that is not there while another job scrapes its service's port on this
 * host: the job renamed in prometheus.yml (`fastapi` for `dsa110-api`). Prometheus still scrapes the service, so
 * "does not scrape" would send the operator looking for a scrape that is there; what disagrees is the name, which
 * the registry makes from the service's id and anything that asks for the registry's job by name goes by. Placed at
 * the first such job; undefined when none scrapes the port.
 */
function renamedJob(
  jobs: readonly PlacedJob[],
  want: ScrapeExpectation,
  expect: readonly ScrapeExpectation[],
  self: string,
  lookup: PrometheusFileLookup | undefined,
): Finding | undefined {
  const scraping: { job: PlacedJob; target: string }[] = [];
  for (const job of jobs) {
    // Another service's job of the registry is that service's (its own target on the wrong port is its finding); one
    // with a repeated key is refused with its file, which its repeat says.
    if (job.repeated === true || expect.some((each) => each.job === job.name)) continue;
    // The other jobs' own problems (a file_sd file it cannot read) are theirs, not this service's: not reported here.
    const target = jobTargets(job, self, lookup, []).targets.find(
      ({ value }) => !UNREAD_YAML.test(value) && portOfAddress(value) === want.port && isThisHost(hostOfAddress(value)),
    );
    if (target) scraping.push({ job, target: target.value });
  }
  const [first, ...more] = scraping;
  if (first === undefined) return undefined;
  const { job, target } = first;
  // The finding stands at the first job's file:line:col; any other is named with its own.
  const others =
    more.length === 0
      ? ''
      : ` (so does ${more.map((each) => `scrape job ${escapeText(each.job.name, 200)} at ${escapeText(`${each.job.file ?? self}:${each.job.line}`, 500)}`).join(', ')})`;
  return {
    ...(job.file !== undefined && { file: job.file }),
    line: job.line,
    ...(job.column !== undefined && { column: job.column }),
    severity: 'error',
    // It may be the registry's job renamed, or a job of the operator's own (another metrics path, a probe): both ways said.
    message: `no scrape job ${want.job}, but scrape job ${escapeText(job.name, 200)} here scrapes ${want.name}'s port ${want.port} (targets ${escapeText(target, 200)})${others}: the registry names ${want.name}'s job ${want.job}, after its id; if that job is it renamed, rename its job_name back to ${want.job}, else add the ${want.job} job (${want.snippet} prints what passes)`,
  };
}

/**
 * A host a client on this machine reaches this machine at: loopback (127.x,
 * ::1, localhost, `localhost.`, each address in any spelling), or the any-address 0.0.0.0 or :: (a connection
 * to it goes to this host on Linux). Another name or address is another host,
 * as far as this check can tell. (Grafana's reader uses it too.)
 */
export function isThisHost(host: string): boolean {
  const bare = host.toLowerCase();
  return isLoopbackHost(bare.endsWith('.') ? bare.slice(0, -1) : bare) || isUnspecified(bare);
}

/** Prometheus's own default listen address, when no --web.listen-address is given. */
export const PROMETHEUS_DEFAULT_PORT = 9090;

/**
 * The last `ARGS=` line of /etc/default/prometheus (an EnvironmentFile: the
 * last setting takes effect, and Debian's unit starts `prometheus $ARGS`),
 * with the lines a trailing `\` continues it on. A `#` or `;` makes a comment
 * only at the start of a line: `--web.page-title=DSA110#1` is a value, so
 * finding.ts's contentLines (a `#` anywhere) does not fit.
 */
function lastArgs(text: string): { line: number; value: string; column: (index: number) => number | undefined } | undefined {
  const lines = text.split('\n');
  let found: { line: number; value: string; column: (index: number) => number | undefined } | undefined;
  for (let index = 0; index < lines.length; index++) {
    const start = index;
    const raw = lines[index]!;
    let value = raw.trim(); // trim() also drops a CRLF file's \r
    // What of the value is on its first line: a column is known there, not on the lines a `\` continues it on.
    const first = value.endsWith('\\') ? value.length - 1 : value.length;
    while (value.endsWith('\\') && index + 1 < lines.length) value = `${value.slice(0, -1)} ${lines[++index]!.trim()}`;
    if (value.startsWith('ARGS=') || /^ARGS\s+=/.test(value)) {
      const from = value.indexOf('=') + 1;
      const lead = raw.length - raw.trimStart().length;
      const column = (at: number) => (from + at < first ? characterColumn(raw, 0, lead + from + at) : undefined);
      found = { line: start + 1, value: value.slice(from), column };
    }
  }
  return found;
}

/** The port a target (`host:port`, `[v6]:port`) is written with, as text; undefined for one written without a port (`[::1]`, `localhost`). */
function writtenPort(target: string): string | undefined {
  if (target.startsWith('[')) {
    const close = target.indexOf(']');
    return close >= 0 && target[close + 1] === ':' ? target.slice(close + 2) : undefined;
  }
  const colon = target.lastIndexOf(':');
  return colon >= 0 ? target.slice(colon + 1) : undefined;
}

/**
 * A --web.listen-address value as Prometheus listens on it (Go's net.Listen:
 * net.SplitHostPort, then the port, then the host): its host and port, or why
 * it cannot listen there (it exits at start). The host may be empty, an IP
 * address (IPv6 in brackets) or a host name; a byte no name holds (an escape
 * character, a space) is none. A port of digits up to 65535 is read; one out
 * of range, or of other characters (`9090x`; Go would look it up as a service
 * name), is not a port this check reads.
 */
function listenAddress(value: string): { host: string; port: number | undefined } | { problem: string } {
  const colon = value.lastIndexOf(':');
  if (colon < 0) return { problem: 'no port (host:port, or :port)' };
  let host = value.slice(0, colon);
  if (value.startsWith('[')) {
    if (value.indexOf(']') !== colon - 1) return { problem: 'an IPv6 address in brackets must be followed by :port' };
    host = value.slice(1, colon - 1);
    if (!/^[0-9a-fA-F:.]+(?:%[\w.-]+)?$/.test(host)) return { problem: `${quoteValue(host, 200)} is not an IPv6 address` };
  } else if (host.includes(':')) return { problem: 'too many colons (write an IPv6 address in brackets, [::1]:port)' };
  else if (!/^[\w.-]*$/.test(host)) return { problem: `its host ${quoteValue(host, 200)} is no address or host name` };
  const port = value.slice(colon + 1);
  // An empty port, or 0: Go listens on a port of the kernel's choosing, which is no port of the registry's.
  if (port === '') return { host, port: undefined };
  const none = notAPort(port);
  return none !== undefined ? { problem: none } : { host, port: goPort(port) };
}

/**
 * Pure: the listen address a fix writes for a --web.listen-address `value`: its host kept, with the registry's port,
 * when the access level allows that host (accessMismatch; a host name it cannot judge is kept: a fix changes only the port and widens nothing, as
 * `10.0.0.5:9091` for a private service becomes `10.0.0.5:9090`, not `0.0.0.0:9090`); else `listen`, the address
 * `ports snippet prometheus-args` writes (its reach finding then says why).
 */
export function keptListen(value: string | undefined, expect: ListenExpectation, listen: string): string {
  const address = value === undefined ? undefined : listenAddress(value);
  if (address === undefined || 'problem' in address) return listen;
  if (goUnreadAddress(address.host) !== undefined || accessMismatch(hostReach(address.host, goHost), expect, '', '') !== undefined) return listen;
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${expect.port}`;
}

/** Prometheus's own listen address when no --web.listen-address is given (`prometheus --help`): every address, port 9090. */
export const PROMETHEUS_DEFAULT_LISTEN = `0.0.0.0:${PROMETHEUS_DEFAULT_PORT}`;

/** What the registry holds Prometheus's listen address to, wherever it is given (the ARGS file, the command line). */
export interface ListenExpectation {
  readonly name: string;
  readonly port: number;
  /** Its access level: localhost and dev listen on loopback only, public and private on every address. Left out, not held. */
  readonly access?: AccessLevel;
  readonly registryTakes?: RegistryTakes;
}

/**
 * Pure: what is wrong with Prometheus listening on `value`, a --web.listen-address as Prometheus gets it (undefined
 * for none: its default, PROMETHEUS_DEFAULT_LISTEN), held to the registry: an address it cannot listen on (it exits
 * at start), another port, a reach its access level disagrees with (beyond loopback for localhost and dev, loopback
 * only for public and private, as `ports snippet prometheus-args` writes it). `fix` says what to write; `origin`,
 * said after the value, where it comes from; `separator`, what stands between the flag and its value where the
 * message quotes a file (`--web.listen-address 0.0.0.0:9090` in ARGS is quoted so, not with `=`). The one judgement
 * of a listen address, for the ARGS file and the command line alike; each finding without its place.
 */
export function listenAddressFindings(
  value: string | undefined,
  expect: ListenExpectation,
  fix: string,
  origin = '',
  separator: '=' | ' ' = '=',
): Omit<Finding, 'line'>[] {
  const address = listenAddress(value ?? PROMETHEUS_DEFAULT_LISTEN);
  const said = value === undefined ? undefined : `--web.listen-address${separator}${escapeText(value, 200)}${origin}`;
  if ('problem' in address)
    return [{ severity: 'warning', message: `${said}: ${address.problem}, so Prometheus cannot listen there and exits at start; ${fix}` }];
  // A C spelling of an address (`127.1`, `0`): Go's own resolver finds no such host and Prometheus exits at start; a
  // cgo lookup (Debian's prometheus is cgo-linked) reads it as glibc does and it listens. Which one runs depends on
  // the host, so a warning, and the reach held to the registry is glibc's reading.
  const dotted = goUnreadAddress(address.host);
  const findings: Omit<Finding, 'line'>[] = [];
  const listens = said ?? `sets no --web.listen-address, so ${expect.name} listens on its default ${PROMETHEUS_DEFAULT_LISTEN}, which`;
  const wrongReach = accessMismatch(hostReach(dotted ?? address.host, goHost), expect, listens, fix);
  if (dotted !== undefined)
    findings.push({
      severity: 'warning',
      message: `${said}: Prometheus may refuse ${quoteValue(address.host, 200)}: Go's own resolver reads no address in it (an IPv4 address only in dotted decimal) and looks it up as a host name, which fails ("lookup ${escapeText(address.host, 200)}: no such host"), so Prometheus exits at start, while a cgo lookup (GODEBUG=netdns=cgo, or Go's own choice on some hosts, e.g. an /etc/nsswitch.conf with mdns4_minimal or resolve) reads it as glibc does, as ${dotted}; ${wrongReach === undefined ? `write the address in full (${dotted})` : fix}`,
    });
  if (address.port !== expect.port)
    findings.push({
      severity: 'error',
      message:
        said === undefined
          ? `sets no --web.listen-address, so ${expect.name} listens on its default ${PROMETHEUS_DEFAULT_PORT}, not ${expect.port}; ${fix}`
          : `${said}, but the registry says ${expect.name} uses port ${expect.port}; ${fix}${orRegistry(registryInstead(expect, address.port))}`,
    });
  if (wrongReach !== undefined) findings.push({ severity: 'error', message: wrongReach });
  return findings;
}

/** The finding for an HTTPS Prometheus started with no --web.config.file (`fix`: what to add), without its place. */
export function noWebConfigFinding(name: string, fix: string): Omit<Finding, 'line'> {
  return {
    severity: 'warning',
    message: `sets no --web.config.file, so ${name} serves plain HTTP where the registry says HTTPS (Grafana and the scrape jobs reach it by https:// and fail); ${fix}`,
  };
}

/** Whether an /etc/default/prometheus sets ARGS at all (a line lastArgs reads). */
export function setsArgs(text: string): boolean {
  return lastArgs(text) !== undefined;
}

/**
 * `expect.https`: the registry says the service is HTTPS (its scrape jobs and Grafana's datasource then reach it by
 * https://), which Prometheus serves only from a --web.config.file (its TLS settings); without one it serves plain HTTP.
 * `elsewhere`: what Prometheus's command line gives besides this file's ARGS (a --web.listen-address or
 * --web.config.file of the unit's own ExecStart=): then the file need not set it, and its lack is not said.
 */
export function readPrometheusArgs(
  text: string,
  expect: ListenExpectation & { snippet?: string; https?: boolean },
  elsewhere: { readonly listenAddress?: boolean; readonly webConfigFile?: boolean } = {},
): Finding[] {
  const findings: Finding[] = [];
  let seen = false;
  const args = lastArgs(text);
  const fix = expect.snippet !== undefined ? `write the ARGS line \`${expect.snippet}\` prints` : `write --web.listen-address=HOST:${expect.port}`;
  for (const match of args?.value.includes('--web.listen-address') ? args.value.matchAll(/--web\.listen-address(?:=|\s+)['"]?([^\s'"]+)/g) : []) {
    seen = true;
    const value = match[1]!;
    // The column of the address itself (after `=`, or after a quote), as every finding about a value is placed.
    const column = args!.column(match.index + match[0].length - value.length);
    const place = { line: args!.line, ...(column !== undefined && { column }) };
    // Quoted as the file writes it: the flag and its value apart, or joined by `=`.
    const separator = match[0].charAt('--web.listen-address'.length) === '=' ? '=' : ' ';
    for (const finding of listenAddressFindings(value, expect, fix, '', separator)) findings.push({ ...place, ...finding });
  }
  // An @file in ARGS gives Prometheus more arguments (its command line's reader reads them, or says why not): their lack is not said here.
  if (args !== undefined && /(?:^|[\s'"])@/.test(args.value)) elsewhere = { listenAddress: true, webConfigFile: true };
  if (expect.https === true && elsewhere.webConfigFile !== true && !/--web\.config\.file(?:=|\s+)['"]?[^\s'"]/.test(args?.value ?? '')) {
    const tls =
      expect.snippet !== undefined
        ? `write the ARGS line \`${expect.snippet}\` prints, and the file its comment describes`
        : 'add --web.config.file=FILE, a file with its tls_server_config';
    findings.push({ line: args?.line ?? 0, ...noWebConfigFinding(expect.name, tls) });
  }
  if (!seen && elsewhere.listenAddress !== true) for (const finding of listenAddressFindings(undefined, expect, fix)) findings.push({ line: 0, ...finding });
  return findings;
}
