// The node_exporter textfile-collector format (Prometheus text exposition
// 0.0.4), so the existing Prometheus and Grafana see every host's port
// health. Write it with --output into the collector's directory.
import { prometheusLabel, prometheusLabels } from '@dsa110/ports';
import type { HealthReport } from '../report.js';
import { reportArgument } from './argument.js';
import { SEVERITIES, worst, type Severity } from '../types.js';

function labels(pairs: Record<string, string | number>): string {
  return `{${Object.entries(pairs)
    .map(([name, value]) => `${name}="${prometheusLabel(String(value))}"`)
    .join(',')}}`;
}

function metric(lines: string[], name: string, help: string, samples: Array<[Record<string, string | number>, number]>): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
  for (const [pairs, value] of samples) lines.push(`${name}${Object.keys(pairs).length ? labels(pairs) : ''} ${value}`);
}

export function renderPrometheus(report: HealthReport): string {
  reportArgument('renderPrometheus', report);
  // Two services written as one label value would be one series, silently merged: refused (a Registry of ids never validated).
  prometheusLabels([...report.services.map((row) => row.id), ...report.results.flatMap((result) => result.service ?? [])]);
  const lines: string[] = [];
  metric(
    lines,
    'dsa110_port_up',
    'Whether something listens on the service port (1) or not (0).',
    report.services.filter((row) => row.listening !== undefined).map((row) => [{ service: row.id, port: row.port }, row.listening ? 1 : 0]),
  );

  // One series per (service, check) at its worst severity: alert on severity="error".
  const worstOf = new Map<string, { service: string; check: string; severities: Severity[] }>();
  for (const result of report.results) {
    const service = result.service ?? '';
    const key = `${service}\0${result.check}`;
    const entry = worstOf.get(key) ?? { service, check: result.check, severities: [] };
    entry.severities.push(result.severity);
    worstOf.set(key, entry);
  }
  metric(
    lines,
    'dsa110_port_check',
    'Health check results: 1 for the worst severity (ok, info, unknown, warning, error) a check reached for a service (service is empty for host-wide checks).',
    [...worstOf.values()].map((entry) => [{ service: entry.service, check: entry.check, severity: worst(entry.severities) }, 1]),
  );
  // Only where the firewall check could decide: no series when it could not read or evaluate the ruleset.
  metric(
    lines,
    'dsa110_port_firewall_exposed',
    'Whether the live nftables ruleset lets outside connections reach a robust, non-public service listening beyond loopback (1) or not (0).',
    report.results
      .filter((result) => result.check === 'firewall' && result.service !== undefined && (result.severity === 'error' || result.severity === 'ok'))
      .map((result) => [{ service: result.service!, port: result.port ?? '' }, result.severity === 'error' ? 1 : 0]),
  );
  metric(
    lines,
    'dsa110_port_health_results',
    'Number of check results of each severity in the last run.',
    SEVERITIES.map((severity) => [{ severity }, report.counts[severity]]),
  );
  metric(lines, 'dsa110_port_health_exit_code', 'Exit code of the last run: 0 passed, 1 errors, 2 warnings only.', [[{}, report.exitCode]]);
  metric(lines, 'dsa110_port_health_last_run_timestamp_seconds', 'When the last run started, in seconds since the epoch.', [
    [{}, report.startedAt.getTime() / 1000],
  ]);
  metric(lines, 'dsa110_port_health_duration_seconds', 'How long the last run took, in seconds.', [[{}, Math.round(report.durationMs) / 1000]]);
  return `${lines.join('\n')}\n`;
}
