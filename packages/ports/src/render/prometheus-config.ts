// Prometheus's own configuration from the registry: scrape each service that
// has `metrics:` (the API's /metrics) every `scrapeInterval:` (15s unless it
// says) at its registry port, as job dsa110-ID; scrape
// every host's node_exporter (whose textfile collector carries the health
// check's metrics), and load the generated alert rules. Hosts join the fleet
// as files under targets/node/ (file_sd), so the file itself never changes.
import { urlScheme, type Registry, type Service } from '../index.js';
import { GENERATED_BY, NODE_JOB, RULES_FILE } from './alert-rules.js';
import { toYaml } from './yaml.js';
import { NODE_EXPORTER_PORT } from '../host-ports.js';
import { DEFAULT_SCRAPE_INTERVAL } from '../limits.js';

/** node_exporter's port: not a DSA-110 service, so not in the registry (its upstream default). */
export { NODE_EXPORTER_PORT };

/** The scrape job of a service with `metrics:`: dsa110-api for the API. */
export function metricsJob(id: string): string {
  return `dsa110-${id}`;
}
/** The interval of the jobs no registry entry sets (node_exporter's, the global one): the registry's default. */
export const SCRAPE_INTERVAL = DEFAULT_SCRAPE_INTERVAL;

/**
 * The scrape job of a service with `metrics:` at `target` (host:port), as `ports monitoring` and `ports snippet
 * prometheus-yml` write it: `scheme: https` for an HTTPS service, whose server answers no plain-HTTP request;
 * every `scrapeInterval` of its entry unless `interval` says.
 */
export function metricsScrapeJob(service: Service, target: string, interval?: string) {
  return {
    job_name: metricsJob(service.id),
    scrape_interval: interval ?? service.scrapeInterval ?? SCRAPE_INTERVAL,
    ...(urlScheme(service) === 'https' && { scheme: 'https' }),
    metrics_path: service.metrics!,
    static_configs: [{ targets: [target] }],
  };
}

/**
 * The comment lines for a Prometheus config with an https job: Prometheus verifies the certificate (no
 * tls_config: the system's CAs, for the name in the target, localhost), which a self-signed one fails.
 */
export function httpsScrapeNote(registry: Registry): string[] {
  const https = registry.services.filter((service) => service.metrics !== undefined && urlScheme(service) === 'https');
  if (https.length === 0) return [];
  return [
    `The https jobs (${https.map((service) => metricsJob(service.id)).join(', ')}) verify the certificate against this host's CAs for the name localhost:`,
    'a self-signed one fails the scrape (x509); add its CA to /usr/local/share/ca-certificates and run update-ca-certificates.',
  ];
}
export const NODE_TARGETS_DIR = 'targets/node';

export interface PrometheusConfigOptions {
  /** The host services' /metrics are scraped at; default localhost (Prometheus runs beside them). */
  readonly metricsHost?: string;
  /** Every job's interval and the global one, the registry's `scrapeInterval`s overridden (a test's 1s). */
  readonly scrapeInterval?: string;
}

export function renderPrometheusConfig(registry: Registry, options: PrometheusConfigOptions = {}): string {
  const interval = options.scrapeInterval ?? SCRAPE_INTERVAL;
  const jobs = [
    ...registry.services.flatMap((service) =>
      service.metrics === undefined ? [] : [metricsScrapeJob(service, `${options.metricsHost ?? 'localhost'}:${service.port}`, options.scrapeInterval)],
    ),
    { job_name: NODE_JOB, scrape_interval: interval, file_sd_configs: [{ files: [`${NODE_TARGETS_DIR}/*.yml`] }] },
  ];
  return toYaml({ global: { scrape_interval: interval, evaluation_interval: interval }, rule_files: [`rules/${RULES_FILE}`], scrape_configs: jobs }, [
    ...GENERATED_BY('ports monitoring'),
    'Install as /etc/prometheus/prometheus.yml, with rules/ and targets/ beside it.',
    ...httpsScrapeNote(registry),
  ]);
}

/** A file_sd target file for one host's node_exporter (targets/node/HOST.yml); `labels` e.g. { instance: 'host-a' }. */
export function renderNodeTarget(host = 'localhost', port = NODE_EXPORTER_PORT, labels: Readonly<Record<string, string>> = {}): string {
  return toYaml(
    [{ targets: [`${host}:${port}`], ...(Object.keys(labels).length > 0 && { labels }) }],
    ['One file per host whose node_exporter Prometheus scrapes; add a host by adding a file.'],
  );
}
