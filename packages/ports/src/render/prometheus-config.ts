// Prometheus's own configuration from the registry: scrape each service that
// has `metrics:` (the API's /metrics) every 15 s (the reference page's
// interval) at its registry port, as job dsa110-ID; scrape
// every host's node_exporter (whose textfile collector carries the health
// check's metrics), and load the generated alert rules. Hosts join the fleet
// as files under targets/node/ (file_sd), so the file itself never changes.
import type { Registry } from '../index.js';
import { GENERATED_BY, NODE_JOB, RULES_FILE } from './alert-rules.js';
import { toYaml } from './yaml.js';

/** node_exporter's port: not a DSA-110 service, so not in the registry (its upstream default). */
export const NODE_EXPORTER_PORT = 9100;
/** The scrape job of a service with `metrics:`: dsa110-api for the API. */
export function metricsJob(id: string): string {
  return `dsa110-${id}`;
}
export const SCRAPE_INTERVAL = '15s';
export const NODE_TARGETS_DIR = 'targets/node';

export interface PrometheusConfigOptions {
  /** The host services' /metrics are scraped at; default localhost (Prometheus runs beside them). */
  readonly metricsHost?: string;
  readonly scrapeInterval?: string;
}

export function renderPrometheusConfig(registry: Registry, options: PrometheusConfigOptions = {}): string {
  const interval = options.scrapeInterval ?? SCRAPE_INTERVAL;
  const jobs = [
    ...registry.services.flatMap((service) =>
      service.metrics === undefined
        ? []
        : [
            {
              job_name: metricsJob(service.id),
              scrape_interval: interval,
              metrics_path: service.metrics,
              static_configs: [{ targets: [`${options.metricsHost ?? 'localhost'}:${service.port}`] }],
            },
          ],
    ),
    { job_name: NODE_JOB, scrape_interval: interval, file_sd_configs: [{ files: [`${NODE_TARGETS_DIR}/*.yml`] }] },
  ];
  return toYaml({ global: { scrape_interval: interval, evaluation_interval: interval }, rule_files: [`rules/${RULES_FILE}`], scrape_configs: jobs }, [
    ...GENERATED_BY('ports monitoring'),
    'Install as /etc/prometheus/prometheus.yml, with rules/ and targets/ beside it.',
  ]);
}

/** A file_sd target file for one host's node_exporter (targets/node/HOST.yml); `labels` e.g. { instance: 'host-a' }. */
export function renderNodeTarget(host = 'localhost', port = NODE_EXPORTER_PORT, labels: Readonly<Record<string, string>> = {}): string {
  return toYaml(
    [{ targets: [`${host}:${port}`], ...(Object.keys(labels).length > 0 && { labels }) }],
    ['One file per host whose node_exporter Prometheus scrapes; add a host by adding a file.'],
  );
}
