// The contract with `ports monitoring`: the Grafana dashboard and the alert
// rules it generates query only metrics this health check writes (the list is
// read from renderPrometheus's own output, not typed here), plus Prometheus's
// `up` for the "no health check on this host" alert.
import { loadRegistry } from '@dsa110/ports';
import { alertRules, DASHBOARD_UID, DATASOURCE_UID, renderDashboard, renderDatasourceProvisioning, socketsRead } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report.js';
import { renderPrometheus } from '../../src/report/prometheus.js';

/** Every metric name the Prometheus report declares (# TYPE lines), for any report. */
function emittedMetrics(): Set<string> {
  const report = buildReport({ registry: 'ports.yaml', root: '/', strict: false, startedAt: new Date(0), durationMs: 1, services: [], results: [] });
  return new Set([...renderPrometheus(report).matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!));
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords, labels or strings. */
export function metricsIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![a-zA-Z0-9_:])(?!\s*\()/g)]
    .map((match) => match[1]!)
    .filter((name) => !KEYWORDS.has(name.toLowerCase()));
}

interface Panel {
  type: string;
  id: number;
  title: string;
  datasource?: { uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { expr: string }[];
}

describe('the generated monitoring files read what the health check writes', async () => {
  const registry = await loadRegistry();
  const emitted = emittedMetrics();

  it('the metric list comes from the report (and the extractor sees through functions, labels and strings)', () => {
    expect(emitted).toContain('dsa110_port_up');
    expect(emitted).toContain('dsa110_port_health_last_run_timestamp_seconds');
    expect(metricsIn('time() - max by (instance) (dsa110_port_health_last_run_timestamp_seconds{instance=~"$instance"}) > 900')).toEqual([
      'dsa110_port_health_last_run_timestamp_seconds',
    ]);
    expect(metricsIn('up{job="node"} == 1 unless on (instance) foo_bar')).toEqual(['up', 'foo_bar']);
    expect(metricsIn('sum by (severity) (rate(x_total[5m]))')).toEqual(['x_total']);
  });

  it('the dashboard: stable uid, a row per non-development TCP service, every panel on the provisioned datasource, every query on emitted metrics', () => {
    const dashboard = JSON.parse(renderDashboard(registry)) as { uid: string; panels: Panel[]; templating: { list: { query: { query: string } }[] } };
    expect(dashboard.uid).toBe(DASHBOARD_UID);
    const rows = dashboard.panels.filter((panel) => panel.type === 'row').map((panel) => panel.title);
    // A UDP service has no row: its sockets are not read, so none of a row's series is written for it (socketsRead).
    const services = registry.services.filter((service) => service.group !== 'development' && socketsRead(service));
    expect(rows).toEqual(['port-health-check', ...services.map((service) => expect.stringContaining(`${service.name}: port ${service.port}`))]);
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    const queries: string[] = dashboard.templating.list.map((variable) => variable.query.query);
    for (const panel of dashboard.panels.filter((panel) => panel.type !== 'row')) {
      expect(panel.datasource?.uid, panel.title).toBe(DATASOURCE_UID);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      queries.push(...panel.targets!.map((target) => target.expr));
    }
    for (const service of services)
      expect(
        queries.some((query) => query.includes(`dsa110_port_up{service="${service.id}"`)),
        service.id,
      ).toBe(true);
    for (const query of queries) {
      const metrics = metricsIn(query.replace(/label_values\((\w+),\s*\w+\)/, '$1'));
      expect(metrics.length, query).toBeGreaterThan(0);
      for (const metric of metrics) expect(emitted, `${metric} in ${query}`).toContain(metric);
    }
    const datasource = renderDatasourceProvisioning(registry)!;
    expect(datasource).toContain(`uid: '${DATASOURCE_UID}'`);
    expect(datasource).toContain(`url: 'http://localhost:${registry.service('prometheus').port}'`);
  });

  it('the host list reads a series every run writes a sample of, also a run that read no TCP service (a host whose services are all UDP)', () => {
    const dashboard = JSON.parse(renderDashboard(registry)) as { templating: { list: { name: string; query: { query: string } }[] } };
    const host = dashboard.templating.list.find((variable) => variable.name === 'instance')!;
    const metric = /^label_values\((\w+), instance\)$/.exec(host.query.query)?.[1];
    const report = buildReport({ registry: 'ports.yaml', root: '/', strict: false, startedAt: new Date(0), durationMs: 1, services: [], results: [] });
    expect(renderPrometheus(report).split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^${metric}[ {]`)));
  });

  it("the alert rules: every expression reads emitted metrics (and Prometheus's up)", () => {
    for (const rule of alertRules(registry)) {
      for (const metric of metricsIn(rule.expr)) expect([...emitted, 'up'], `${metric} in ${rule.alert}`).toContain(metric);
    }
  });
});
