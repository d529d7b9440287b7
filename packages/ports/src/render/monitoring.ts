// The deploy/ tree `ports monitoring` writes: Prometheus's config, alert rules
// and their promtool tests, a node target, Grafana's dashboard and its
// provisioning. Paths are relative to the output directory; every file is a
// pure function of the registry, so `--check` compares them byte for byte.
import type { Registry } from '../index.js';
import { RULES_FILE, RULES_TEST_FILE, type AlertOptions } from './alert-rules.js';
import { renderAlertRules } from './alert-rules.js';
import { renderAlertTests } from './alert-tests.js';
import { DASHBOARD_DIR, DASHBOARD_FILE, renderDashboard, renderDashboardProvisioning, renderDatasourceProvisioning } from './grafana.js';
import { NODE_TARGETS_DIR, renderNodeTarget, renderPrometheusConfig } from './prometheus-config.js';

export const DEFAULT_DEPLOY_DIR = 'deploy';

import type { GeneratedFile } from '../files/tree.js';

export type { GeneratedFile };

export type MonitoringOptions = AlertOptions;

/** Grafana's datasource provisioning file: written only when the registry has a Prometheus to point it at (datasourceUpstream). */
export const DATASOURCE_FILE = 'grafana/provisioning/datasources/dsa110-prometheus.yml';

/**
 * This host's node target (`localhost:9100`): the tree's first entry in the list of the fleet's hosts. That list,
 * `prometheus/targets/node/`, is the operator's (a host joins with its file, leaves when it is removed), so the
 * command writes this file only into a tree that has no such directory yet, and after that neither writes nor checks
 * it (fleetListed): a Prometheus host taken out of its own fleet stays out.
 */
export const NODE_TARGET_FILE = `prometheus/${NODE_TARGETS_DIR}/localhost.yml`;

/** Whether `file` is one of the fleet's list (NODE_TARGET_FILE), which a tree that already has that list leaves to its operator. */
export function fleetListed(file: GeneratedFile): boolean {
  return file.path === NODE_TARGET_FILE;
}

export function monitoringFiles(registry: Registry, options: MonitoringOptions = {}): GeneratedFile[] {
  const datasource = renderDatasourceProvisioning(registry);
  return [
    { path: 'prometheus/prometheus.yml', contents: renderPrometheusConfig(registry) },
    { path: `prometheus/rules/${RULES_FILE}`, contents: renderAlertRules(registry, options) },
    { path: `prometheus/tests/${RULES_TEST_FILE}`, contents: renderAlertTests(registry, options) },
    { path: NODE_TARGET_FILE, contents: renderNodeTarget() },
    { path: `grafana/dashboards/${DASHBOARD_FILE}`, contents: renderDashboard(registry) },
    { path: 'grafana/provisioning/dashboards/dsa110-ports.yml', contents: renderDashboardProvisioning() },
    ...(datasource ? [{ path: DATASOURCE_FILE, contents: datasource }] : []),
  ];
}

/** Files of the tree that this registry does not make (the datasource, with nothing to point it at): left over from an earlier registry. */
export function unmadeMonitoringFiles(registry: Registry, options: MonitoringOptions = {}): string[] {
  const made = new Set(monitoringFiles(registry, options).map((file) => file.path));
  return [DATASOURCE_FILE].filter((path) => !made.has(path));
}

/**
 * A directory of the tree whose files a program loads by a rule of its own, not by name: any other file there that the
 * rule matches rides along into the deploy with this tool's (a second data source marked isDefault, another dashboard).
 */
export interface LoadedDirectory {
  /** Relative to the output directory, as the files' paths are. */
  readonly path: string;
  /** Who loads what there, for the line that names such a file: `Grafana reads every *.yaml and *.yml file ...`. */
  readonly loader: string;
  /** Whether the loader reads `name`, a non-directory entry (a link counts by its own name, as the loaders open it through). */
  readonly loads: (name: string) => boolean;
  /** Whether the loader walks into subdirectories (`walks`: those it enters), rather than reading one level. */
  readonly walks?: (name: string) => boolean;
}

// Grafana's provisioning readers (pkg/services/provisioning/*/config_reader.go) list one level with os.ReadDir and
// read every name ending in .yaml or .yml (alerting/'s .json too): a dot-file too, and a directory so named fails them.
const provisioningYaml = (name: string) => name.endsWith('.yaml') || name.endsWith('.yml');

/**
 * The directories of the tree whose other files Grafana loads: the two the tree's files are in, and beside them the
 * other two provisioning directories an open-source Grafana reads, alerting/ (JSON too) and plugins/, which it loads
 * once the tree's provisioning directory is installed as Grafana's whole. Not prometheus/rules/: prometheus.yml's
 * rule_files names the one rules file (no glob), so another file there is never loaded (promtool check config counts
 * one rule file). Nor targets/node/, the fleet's list of hosts, which is the operator's.
 */
export const LOADED_DIRECTORIES: readonly LoadedDirectory[] = [
  {
    path: 'grafana/provisioning/datasources',
    loader: 'Grafana reads every *.yaml and *.yml file of its provisioning/datasources directory, dot-files included',
    loads: provisioningYaml,
  },
  {
    path: 'grafana/provisioning/dashboards',
    loader: 'Grafana reads every *.yaml and *.yml file of its provisioning/dashboards directory, dot-files included',
    loads: provisioningYaml,
  },
  {
    path: 'grafana/provisioning/alerting',
    loader:
      "Grafana reads every *.yaml, *.yml and *.json file of provisioning/alerting once the tree's provisioning directory is installed as its own, dot-files included",
    loads: (name) => provisioningYaml(name) || name.endsWith('.json'),
  },
  {
    path: 'grafana/provisioning/plugins',
    loader:
      "Grafana reads every *.yaml and *.yml file of provisioning/plugins once the tree's provisioning directory is installed as its own, dot-files included",
    loads: provisioningYaml,
  },
  {
    path: 'grafana/dashboards',
    // The file provider (dashboards/file_reader.go) walks its path with filepath.Walk: links are not followed into,
    // directories named .* are skipped, every other name ending in .json is a dashboard, a dot-file too.
    loader: `Grafana's dashboard provider reads every *.json file under ${DASHBOARD_DIR}, where this directory is installed, and in its subdirectories not named .*, dot-files included`,
    loads: (name) => name.endsWith('.json'),
    walks: (name) => !name.startsWith('.'),
  },
];
