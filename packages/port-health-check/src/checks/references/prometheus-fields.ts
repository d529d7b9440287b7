// The fields Prometheus's configuration structs take, where this check reads
// prometheus.yml (a job, its static_configs and file_sd_configs entries, its
// relabel configs, its HTTP client settings, `global:`). Prometheus reads
// the file with yaml.v2's UnmarshalStrict: a key its struct has no field for
// refuses the whole configuration ("field static_config not found in type
// config.ScrapeConfig") and Prometheus exits at start.
//
// Taken from the sources at the tags named, yaml tags of each struct:
// prometheus/prometheus v2.42.0 config/config.go (GlobalConfig,
// ScrapeConfig), model/relabel/relabel.go (Config), discovery/file/file.go
// (SDConfig), discovery/targetgroup/targetgroup.go (Group's UnmarshalYAML),
// the discovery configs registered by discovery/install (each Name() plus
// `_sd_configs`, inline keys of ScrapeConfig); and prometheus/common v0.39.0
// (2.42's go.mod) config/http_config.go (HTTPClientConfig, inline in
// ScrapeConfig; BasicAuth, Authorization, OAuth2, TLSConfig). LATER: the
// fields the same structs gained in the releases up to v3.14.0 (common up to
// v0.70.1), so a key a newer Prometheus takes is not said to be known to none.
// Every list checked against Debian 12's promtool check config 2.42.0+ds.
import { escapeText } from '@dsa110/ports';
import type { PrometheusVersion } from '../../types.js';
import type { Finding } from './finding.js';
import { nearestName } from './nearest-name.js';
import type { SetKey } from './yaml-repeated-keys.js';

/** One struct: the type promtool names in its error, what the message calls it, its fields in 2.42, and those later releases added. */
interface FieldSet {
  readonly type: string;
  readonly what: string;
  readonly fields: ReadonlySet<string>;
  readonly later?: ReadonlySet<string>;
  /** Fields of 2.42 that Debian's build (`+ds`) leaves out: the discoveries it does not package (promtool 2.42.0+ds refuses them). */
  readonly notInDebian?: ReadonlySet<string>;
}

const words = (text: string): ReadonlySet<string> => new Set(text.split(/\s+/).filter((each) => each !== ''));

/** common v0.39.0's HTTPClientConfig, inline in a job. */
const HTTP_CLIENT = 'basic_auth authorization oauth2 bearer_token bearer_token_file proxy_url proxy_connect_header tls_config follow_redirects enable_http2';
/** What later common releases inline (http_headers, ProxyConfig's no_proxy and proxy_from_environment). */
const HTTP_CLIENT_LATER = 'http_headers no_proxy proxy_from_environment';

/** The discoveries 2.42 registers (discovery/install), each a `NAME_sd_configs` key of a job; `static_configs` is one too. */
const SD_2_42 =
  'azure consul digitalocean dns docker dockerswarm ec2 eureka file gce hetzner http ionos kubernetes kuma lightsail linode marathon nerve nomad openstack ovhcloud puppetdb scaleway serverset triton uyuni vultr';
const SD_LATER = 'aws ecs elasticache msk oci outscale rds stackit';
/** The discoveries Debian's prometheus 2.42.0+ds is built without. */
const SD_NOT_IN_DEBIAN = 'consul kubernetes kuma linode nomad';
const sdKeys = (names: string): string =>
  `${names
    .split(' ')
    .map((name) => `${name}_sd_configs`)
    .join(' ')}`;

const TLS: FieldSet = {
  type: 'config.plain',
  what: 'a tls_config',
  fields: words('ca_file cert_file key_file server_name insecure_skip_verify min_version max_version'),
  later: words('ca ca_ref cert cert_ref key key_ref'),
};

/** Prometheus 2.42's structs, by where they are in the file (yaml-repeated-keys.ts's PathOf). */
const FIELDS_2_42: ReadonlyMap<string, FieldSet> = new Map([
  [
    'global',
    {
      type: 'config.plain',
      what: 'global:',
      fields: words('scrape_interval scrape_timeout evaluation_interval query_log_file external_labels'),
      later: words(
        'scrape_protocols rule_query_offset scrape_failure_log_file body_size_limit sample_limit target_limit label_limit label_name_length_limit label_value_length_limit keep_dropped_targets metric_name_validation_scheme metric_name_escaping_scheme scrape_native_histograms convert_classic_histograms_to_nhcb always_scrape_classic_histograms extra_scrape_metrics',
      ),
    },
  ],
  [
    'scrape_configs.-',
    {
      type: 'config.ScrapeConfig',
      what: 'a scrape job',
      fields: words(
        `job_name honor_labels honor_timestamps params scrape_interval scrape_timeout metrics_path scheme body_size_limit sample_limit target_limit label_limit label_name_length_limit label_value_length_limit relabel_configs metric_relabel_configs static_configs ${HTTP_CLIENT} ${sdKeys(SD_2_42)}`,
      ),
      later: words(
        `track_timestamps_staleness scrape_protocols fallback_scrape_protocol scrape_native_histograms scrape_classic_histograms always_scrape_classic_histograms convert_classic_histograms_to_nhcb scrape_failure_log_file enable_compression native_histogram_bucket_limit native_histogram_min_bucket_factor keep_dropped_targets metric_name_validation_scheme metric_name_escaping_scheme extra_scrape_metrics ${HTTP_CLIENT_LATER} ${sdKeys(SD_LATER)}`,
      ),
      notInDebian: words(sdKeys(SD_NOT_IN_DEBIAN)),
    },
  ],
  [
    'scrape_configs.-.static_configs.-',
    {
      type: 'struct { Targets []string "yaml:\\"targets\\""; Labels model.LabelSet "yaml:\\"labels\\"" }',
      what: 'a static_configs entry',
      fields: words('targets labels'),
    },
  ],
  ['scrape_configs.-.file_sd_configs.-', { type: 'file.plain', what: 'a file_sd_configs entry', fields: words('files refresh_interval') }],
  ...['relabel_configs', 'metric_relabel_configs'].map((key): [string, FieldSet] => [
    `scrape_configs.-.${key}.-`,
    { type: 'relabel.plain', what: `a ${key} entry`, fields: words('source_labels separator regex modulus target_label replacement action') },
  ]),
  [
    'scrape_configs.-.basic_auth',
    { type: 'config.plain', what: 'basic_auth', fields: words('username password password_file'), later: words('username_file username_ref password_ref') },
  ],
  [
    'scrape_configs.-.authorization',
    { type: 'config.Authorization', what: 'authorization', fields: words('type credentials credentials_file'), later: words('credentials_ref') },
  ],
  [
    'scrape_configs.-.oauth2',
    {
      type: 'config.OAuth2',
      what: 'oauth2',
      fields: words('client_id client_secret client_secret_file scopes token_url endpoint_params proxy_url tls_config'),
      later: words(
        'audience claims client_certificate_key client_certificate_key_file client_certificate_key_id client_certificate_key_ref client_secret_ref grant_type iss signature_algorithm no_proxy proxy_from_environment proxy_connect_header',
      ),
    },
  ],
  ['scrape_configs.-.tls_config', TLS],
  ['scrape_configs.-.oauth2.tls_config', TLS],
]);

/** A key set where Prometheus 2.42 has no field for it: where, what holds it, and whether later releases or upstream's build take it. */
export interface UnknownField {
  readonly key: string;
  readonly line: number;
  readonly column: number;
  /** The logical line it is on (a job written as a flow mapping starts there). */
  readonly statement: number;
  readonly type: string;
  readonly what: string;
  /** A field of a later release (so a newer Prometheus may take it). */
  readonly later?: true;
  /** A discovery upstream's 2.42 registers and Debian's 2.42.0+ds does not. */
  readonly notInDebian?: true;
  /** The fields of 2.42 where it is (for the one it most likely misspells, found only for a finding said). */
  readonly fields: ReadonlySet<string>;
}

/** Pure: the key `set` as Prometheus 2.42's struct at its place takes it: undefined when it has such a field, or the place is none this list holds. */
export function unknownField(set: SetKey): UnknownField | undefined {
  if (set.path === undefined || set.via !== undefined) return undefined;
  const struct = FIELDS_2_42.get(set.path);
  if (struct === undefined || (struct.fields.has(set.key) && struct.notInDebian?.has(set.key) !== true)) return undefined;
  return {
    key: set.key,
    line: set.line,
    column: set.column,
    statement: set.statement ?? set.line,
    type: struct.type,
    what: struct.what,
    ...(struct.later?.has(set.key) === true && { later: true as const }),
    ...(struct.notInDebian?.has(set.key) === true && { notInDebian: true as const }),
    fields: struct.fields,
  };
}

/** Whether this list holds the fields of `version` (a dpkg version: 2.42.x, Debian's `2.42.0+ds-5+deb12u1` included). */
const listedRelease = (version: string): boolean => /^(?:\d+:)?2\.42\./.test(version);

/**
 * Pure: how a key Prometheus 2.42 has no field for is said for the Prometheus that reads the file (unknownFieldFinding):
 * an error, a warning, or not at all. Cheap, for every such key of a file; the message only for those said one by one.
 */
export function unknownFieldSeverity(field: UnknownField, version: PrometheusVersion | undefined): 'error' | 'warning' | undefined {
  const runs = version !== undefined && 'version' in version ? version.version : undefined;
  if (runs !== undefined && listedRelease(runs)) return field.notInDebian === true && !runs.includes('+ds') ? undefined : 'error';
  return field.later === true || field.notInDebian === true ? undefined : 'warning';
}

/**
 * Pure: the finding for a key Prometheus 2.42 has no field for, held to the version of the Prometheus that reads the
 * file (`version`, of the unit `unit` runs; undefined when no unit was read). For 2.42 (the list this check holds) an
 * error: Prometheus refuses the whole configuration and exits at start. For another version, or one not known, no
 * error: a warning for a key no release up to 3.14 takes (a typo, most likely), nothing for one a later release
 * takes or upstream's build registers.
 */
export function unknownFieldFinding(field: UnknownField, version: PrometheusVersion | undefined, unit: string | undefined): Finding | undefined {
  const severity = unknownFieldSeverity(field, version);
  if (severity === undefined) return undefined;
  const key = escapeText(field.key, 200);
  const promtool = `promtool check config: "field ${key} not found in type ${field.type}"`;
  const nearest = field.notInDebian === true ? undefined : nearestName(field.key, field.fields);
  const fix = nearest !== undefined ? `write ${nearest}, or remove it` : 'remove it, or fix its name';
  const at = { line: field.line, column: field.column };
  const runs = version !== undefined && 'version' in version ? version : undefined;
  if (severity === 'error' && runs !== undefined) {
    const which = `${escapeText(unit ?? 'its unit', 200)} runs Prometheus ${escapeText(runs.version, 100)} (${escapeText(runs.from, 500)})`;
    const none =
      field.notInDebian === true
        ? `${key}: ${which}, which Debian builds without this discovery`
        : `${key}: ${which}, which knows no field ${key} in ${field.what}`;
    return { ...at, severity: 'error', message: `${none}, so it refuses the whole configuration and exits at start (${promtool}); ${fix}` };
  }
  const which =
    runs !== undefined
      ? `${escapeText(unit ?? 'its unit', 200)} runs Prometheus ${escapeText(runs.version, 100)}, whose fields this check does not hold`
      : version !== undefined && 'unknown' in version
        ? `which Prometheus reads this file is not known (${escapeText(unit ?? '', 200)}: ${escapeText(version.unknown, 500)})`
        : 'which Prometheus reads this file is not known';
  return {
    ...at,
    severity: 'warning',
    message: `${key}: no Prometheus release from 2.42 to 3.14 knows a field ${key} in ${field.what}, and ${which}; one that does not refuses the whole configuration and exits at start (${promtool}); ${fix}, and run promtool check config on the file`,
  };
}
