// The deploy/ tree `ports monitoring` writes: Prometheus's config, alert rules
// and their promtool tests, a node target, Grafana's dashboard and its
// provisioning. Paths are relative to the output directory; every file is a
// pure function of the registry, so `--check` compares them byte for byte.
import type { Registry } from '../index.js';
import { RULES_FILE, RULES_TEST_FILE, type AlertOptions } from './alert-rules.js';
import { renderAlertRules } from './alert-rules.js';
import { renderAlertTests } from './alert-tests.js';
import { DASHBOARD_FILE, renderDashboard, renderDashboardProvisioning, renderDatasourceProvisioning } from './grafana.js';
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
