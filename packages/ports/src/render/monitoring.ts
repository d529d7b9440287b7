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

export function monitoringFiles(registry: Registry, options: MonitoringOptions = {}): GeneratedFile[] {
  const datasource = renderDatasourceProvisioning(registry);
  return [
    { path: 'prometheus/prometheus.yml', contents: renderPrometheusConfig(registry) },
    { path: `prometheus/rules/${RULES_FILE}`, contents: renderAlertRules(registry, options) },
    { path: `prometheus/tests/${RULES_TEST_FILE}`, contents: renderAlertTests(registry, options) },
    { path: `prometheus/${NODE_TARGETS_DIR}/localhost.yml`, contents: renderNodeTarget() },
    { path: `grafana/dashboards/${DASHBOARD_FILE}`, contents: renderDashboard(registry) },
    { path: 'grafana/provisioning/dashboards/dsa110-ports.yml', contents: renderDashboardProvisioning() },
    ...(datasource ? [{ path: 'grafana/provisioning/datasources/dsa110-prometheus.yml', contents: datasource }] : []),
  ];
}
