// Prometheus alert rules from the registry, over the metrics port-health-check
// writes into node_exporter's textfile collector (one series set per host,
// told apart by Prometheus's `instance` label). Each robust service gets four
// alerts, five when it is not public (the firewall lets outside traffic in);
// the health check itself gets three (stale, failing, missing). Every
// alert carries its own promtool test case, a firing and a quiet input, so
// the rules and their tests (alert-tests.ts) are made from one definition.
import type { Registry, Service } from '../index.js';
import { HEALTH_INTERVAL, HEALTH_TIMER } from './health-timer.js';
import { toYaml, type YamlValue } from './yaml.js';

/** node_exporter's job name in the generated scrape config; the "missing" alert looks for it. */
export const NODE_JOB = 'node';
export const RULES_FILE = 'dsa110-ports.rules.yml';
export const RULES_TEST_FILE = 'dsa110-ports.rules.test.yml';
export const RULE_GROUP = 'dsa110-ports';

export interface AlertOptions {
  /** How often the health check runs on each host (the timer or cron interval); default the timer's (HEALTH_INTERVAL). */
  readonly healthIntervalSeconds?: number;
  /** Override every alert's `for:` (tests use a short one). */
  readonly for?: string;
}

/** One promtool input: series selector (with its labels) and its values. */
export interface AlertInput {
  readonly series: string;
  readonly values: string;
}

export interface AlertCase {
  /**
   * `{n}` in values stands for the number of samples the test needs; the
   * `instance` label of every series is CASE_HOST, the host the test puts the case on.
   */
  readonly input: readonly AlertInput[];
  /** The labels of the alert that fires (empty for the quiet case); its `instance` is CASE_HOST. */
  readonly firing?: Readonly<Record<string, string>>;
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Go templates over $labels; `annotate()` fills them in for a test's expected alert. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly fires: AlertCase;
  readonly quiet: AlertCase;
  /** Seconds of the firing input before the expression holds (the stale alert's threshold), before `for:`. */
  readonly delaySeconds: number;
}

/**
 * Text from the registry inside a Go template: printed, not parsed. Every run
 * of braces becomes a string action (`{{ "{}}" }}`), so no brace of the text
 * can join a neighbour (its own, or the template's) into a `{{` or `}}`.
 */
export function templateText(text: string): string {
  return text.replace(/[{}]+/g, (braces) => `{{ ${JSON.stringify(braces)} }}`);
}

/** A PromQL string literal. */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/** The annotations of an alert with `labels`, as Prometheus renders them (for promtool's exp_annotations). */
export function annotate(template: string, labels: Readonly<Record<string, string>>): string {
  return template.replace(
    /\{\{ (\$labels\.([a-z_]+)|"([{}]+)") \}\}/g,
    (_, __, label: string | undefined, literal: string | undefined) => literal ?? labels[label!] ?? '',
  );
}

/**
 * The `instance` of a case's series and firing labels: a stand-in that
 * alert-tests.ts replaces with a host of the case's own, so that every case of
 * every rule can share one promtool test group without one case's series
 * making another's alert fire (or hiding it).
 */
export const CASE_HOST = '{host}';

/** 900 -> "15m", 90 -> "90s": a Prometheus duration. */
export function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** A systemd time span as the timer writes it ("5min", "30s", "1h") in seconds. */
export function systemdSpanSeconds(span: string): number {
  const units: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, hr: 3600 };
  const match = /^(\d+)\s*(s|sec|m|min|h|hr)$/.exec(span);
  if (!match) throw new RangeError(`not a systemd time span this module reads: ${JSON.stringify(span)}`);
  return Number(match[1]) * units[match[2]!]!;
}

/** "2m" -> 120: the Prometheus durations this module writes (s, m, h, d; one or more parts). */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) throw new RangeError(`not a Prometheus duration: ${JSON.stringify(text)}`);
  return parts.reduce((sum, part) => sum + Number(part[1]) * units[part[2]!]!, 0);
}

function series(name: string, labels: Record<string, string>): string {
  const all = { ...labels, instance: CASE_HOST, job: NODE_JOB };
  return `${name}{${Object.entries(all)
    .map(([label, value]) => `${label}=${promString(value)}`)
    .join(',')}}`;
}

function unitHint(service: Service): string {
  return service.systemd ? ` (${service.systemd.unit})` : '';
}

function serviceAlerts(service: Service, forDuration: (normal: string) => string): AlertRule[] {
  const id = service.id;
  const name = templateText(service.name);
  const severity = service.group === 'production' ? 'critical' : 'warning';
  const where = 'on {{ $labels.instance }}';
  const check = (checkId: string, severities: string) =>
    `max by (instance, job, service) (dsa110_port_check{service=${promString(id)},check=${promString(checkId)},severity=~${promString(severities)}}) == 1`;
  const checkCase = (checkId: string, metricSeverity: string, alertLabels?: Record<string, string>): AlertCase => ({
    input: [{ series: series('dsa110_port_check', { service: id, check: checkId, severity: metricSeverity }), values: '1x{n}' }],
    ...(alertLabels && { firing: { service: id, instance: CASE_HOST, job: NODE_JOB, ...alertLabels } }),
  });
  const port = String(service.port);
  const rules: Omit<AlertRule, 'delaySeconds'>[] = [
    {
      alert: 'Dsa110PortDown',
      expr: `dsa110_port_up{service=${promString(id)}} == 0`,
      for: forDuration('2m'),
      labels: { service: id, severity },
      annotations: {
        summary: `${name} is not listening on port {{ $labels.port }} ${where}`,
        description: `port-health-check found nothing listening on ${name}'s port {{ $labels.port }}; start it${templateText(unitHint(service))} and run port-health-check on the host.`,
      },
      fires: {
        input: [{ series: series('dsa110_port_up', { service: id, port }), values: '0x{n}' }],
        firing: { service: id, port, instance: CASE_HOST, job: NODE_JOB, severity },
      },
      quiet: { input: [{ series: series('dsa110_port_up', { service: id, port }), values: '1x{n}' }] },
    },
    {
      alert: 'Dsa110PortIntruder',
      expr: check('owner', 'error'),
      for: forDuration('2m'),
      labels: { service: id, severity },
      annotations: {
        summary: `${name}'s port is held by another process ${where}`,
        description: `port-health-check found a process that is not ${name} holding its port; see its report on the host (port-health-check --service ${id}). claim-port frees the port when ${name} restarts.`,
      },
      fires: checkCase('owner', 'error', { severity }),
      quiet: checkCase('owner', 'ok'),
    },
    {
      alert: 'Dsa110PortExposed',
      expr: check('access', 'error|warning'),
      for: forDuration('2m'),
      labels: { service: id, severity },
      annotations: {
        summary: `${name} listens wider than its access level (${service.access}) ${where}`,
        description: `port-health-check found ${name} bound to an address its access level (${service.access}) does not allow; bind it as the registry says (port-health-check --service ${id}).`,
      },
      fires: checkCase('access', 'error', { severity }),
      quiet: checkCase('access', 'ok'),
    },
    {
      alert: 'Dsa110ClaimWiringMissing',
      expr: check('systemd', 'error'),
      for: forDuration('10m'),
      labels: { service: id, severity: 'warning' },
      annotations: {
        summary: `${name}'s systemd unit does not claim its port ${where}`,
        description: `port-health-check found no working ExecStartPre=+claim-port for ${name}${templateText(unitHint(service))}; run \`ports systemd\` on the host and systemctl daemon-reload.`,
      },
      fires: checkCase('systemd', 'error', { severity: 'warning' }),
      quiet: checkCase('systemd', 'ok'),
    },
  ];
  if (service.access !== 'public') {
    const exposed = (value: string) => [{ series: series('dsa110_port_firewall_exposed', { service: id, port }), values: `${value}x{n}` }];
    rules.push({
      alert: 'Dsa110PortFirewallOpen',
      expr: `max by (instance, job, service) (dsa110_port_firewall_exposed{service=${promString(id)}}) == 1`,
      for: forDuration('10m'),
      labels: { service: id, severity },
      annotations: {
        summary: `The firewall lets outside connections reach ${name} (access: ${service.access}) ${where}`,
        description: `port-health-check found ${name} listening beyond loopback and the host's nftables ruleset accepting new connections to its port from outside; load the registry's rules (ports firewall --format nft) or bind it to loopback (port-health-check --service ${id} names the accepting rule).`,
      },
      fires: { input: exposed('1'), firing: { service: id, instance: CASE_HOST, job: NODE_JOB, severity } },
      quiet: { input: exposed('0') },
    });
  }
  return rules.map((rule) => ({ ...rule, delaySeconds: 0 }));
}

function healthAlerts(intervalSeconds: number, forDuration: (normal: string) => string): AlertRule[] {
  const staleAfter = intervalSeconds * 3;
  const host = { instance: CASE_HOST, job: NODE_JOB };
  const lastRun = series('dsa110_port_health_last_run_timestamp_seconds', {});
  // promtool starts at time 0: a run stamped 0 that is never repeated goes stale; one stamped every minute never does.
  const rules: Omit<AlertRule, 'delaySeconds'>[] = [
    {
      alert: 'Dsa110PortHealthStale',
      expr: `time() - max by (instance, job) (dsa110_port_health_last_run_timestamp_seconds) > ${staleAfter}`,
      for: forDuration('5m'),
      labels: { severity: 'warning' },
      annotations: {
        summary: `port-health-check has not run for over ${duration(staleAfter)} on {{ $labels.instance }}`,
        description: `The health check's textfile is older than ${staleAfter} s (three runs); check its timer (systemctl status ${HEALTH_TIMER}) or cron line on the host.`,
      },
      fires: { input: [{ series: lastRun, values: '0x{n}' }], firing: { ...host, severity: 'warning' } },
      quiet: { input: [{ series: lastRun, values: '0+60x{n}' }] },
    },
    {
      alert: 'Dsa110PortHealthFailing',
      expr: 'max by (instance, job) (dsa110_port_check{check="registry",severity="error"}) == 1',
      for: forDuration('5m'),
      labels: { severity: 'warning' },
      annotations: {
        summary: 'port-health-check cannot load the port registry on {{ $labels.instance }}',
        description: 'The health check ran but could not read ports.yaml, so it checked nothing; run port-health-check on the host to see why.',
      },
      fires: {
        input: [{ series: series('dsa110_port_check', { service: '', check: 'registry', severity: 'error' }), values: '1x{n}' }],
        firing: { ...host, severity: 'warning' },
      },
      quiet: { input: [{ series: series('dsa110_port_check', { service: '', check: 'registry', severity: 'ok' }), values: '1x{n}' }] },
    },
    {
      alert: 'Dsa110PortHealthMissing',
      expr: `up{job=${promString(NODE_JOB)}} == 1 unless on (instance) dsa110_port_health_last_run_timestamp_seconds`,
      for: forDuration('15m'),
      labels: { severity: 'warning' },
      annotations: {
        summary: 'node_exporter on {{ $labels.instance }} exports no port-health-check results',
        description: `The host's textfile collector has no dsa110_port_* metrics: install ${HEALTH_TIMER} (\`ports systemd\` writes it) or the cron line, writing --format prometheus into node_exporter's textfile directory.`,
      },
      fires: { input: [{ series: series('up', {}), values: '1x{n}' }], firing: { ...host, severity: 'warning' } },
      quiet: {
        input: [
          { series: series('up', {}), values: '1x{n}' },
          { series: lastRun, values: '0+60x{n}' },
        ],
      },
    },
  ];
  return rules.map((rule) => ({ ...rule, delaySeconds: rule.alert === 'Dsa110PortHealthStale' ? staleAfter : 0 }));
}

/** Every alert rule, robust services by port first, then the health check's own. */
export function alertRules(registry: Registry, options: AlertOptions = {}): AlertRule[] {
  const interval = options.healthIntervalSeconds ?? systemdSpanSeconds(HEALTH_INTERVAL);
  if (!Number.isInteger(interval) || interval < 1) throw new RangeError(`healthIntervalSeconds must be a whole number of seconds >= 1, not ${interval}`);
  if (options.for !== undefined) durationSeconds(options.for);
  const forDuration = (normal: string) => options.for ?? normal;
  return [
    ...registry.services.filter((service) => service.robust).flatMap((service) => serviceAlerts(service, forDuration)),
    ...healthAlerts(interval, forDuration),
  ];
}

export const GENERATED_BY = (command: string) => [`Generated from ports.yaml by \`${command}\`; edit ports.yaml instead.`];

/** The rules file Prometheus loads (rule_files:). */
export function renderAlertRules(registry: Registry, options: AlertOptions = {}): string {
  const rules = alertRules(registry, options).map(
    (rule): YamlValue => ({ alert: rule.alert, expr: rule.expr, for: rule.for, labels: rule.labels, annotations: rule.annotations }),
  );
  return toYaml({ groups: [{ name: RULE_GROUP, rules }] }, GENERATED_BY('ports monitoring'));
}
