// Prometheus alert rules from the registry, over the metrics port-health-check
// writes into node_exporter's textfile collector (one series set per host,
// told apart by Prometheus's `instance` label). Each robust TCP service gets
// four specific alerts, five when it is not public (the firewall lets outside
// traffic in); a robust UDP service gets only the systemd one (the health
// check reads TCP listeners only, see socketsRead()). Every service, robust or
// not, gets a catch-all (Dsa110PortCheckError) for the errors of the checks no
// specific alert of its covers, and so do host-wide results and services these
// rules do not know; the health check itself gets three (stale, failing,
// missing), and a host Prometheus no longer scrapes one (unscraped). Every
// alert carries its own promtool test case, a firing and a quiet input, so the
// rules and their tests (alert-tests.ts) are made from one definition.
import { prometheusLabel, prometheusLabels, type Registry, type Service } from '../index.js';
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
  /**
   * The port-health-check check (the `check` label of dsa110_port_check) whose
   * errors this alert pages for, for its service (host-wide when it has none):
   * the catch-all, Dsa110PortCheckError, leaves that check's errors to it.
   */
  readonly covers?: string;
}

/** The catch-all alert: every dsa110_port_check error no specific alert covers. */
export const CHECK_ERROR_ALERT = 'Dsa110PortCheckError';

/**
 * Whether port-health-check reads the service's sockets: only TCP listeners
 * are read, so for a UDP service its listening check is "unknown" and it
 * writes no dsa110_port_up, no owner, access or firewall result and no
 * dsa110_port_firewall_exposed (port-health-check's checks/listening.ts,
 * owner.ts, access.ts, firewall.ts's needsFirewall() and report.ts's
 * serviceRows()). Alerts over those series would never fire for it. The two
 * are held together by port-health-check's
 * test/report/alert-contract.test.ts, which runs the health check on a UDP
 * service and requires every series these rules read for it to be written.
 */
export function socketsRead(service: Pick<Service, 'transport'>): boolean {
  return service.transport === 'tcp';
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

/**
 * A service id's `service` label value as port-health-check's metrics give it to Prometheus (prometheusLabel, read
 * back from the exposition text's escapes): a validated id is its own; one never validated (`new Registry()`) has its
 * control characters written as visible escapes (`\x01`) and is cut to 200 characters. The rules match this value, so
 * an alert fires for the series the health check writes.
 */
function serviceLabel(id: string): string {
  return prometheusLabel(id).replace(/\\([\\"n])/g, (_, char: string) => (char === 'n' ? '\n' : char));
}

/** `text` matched literally in a Prometheus (RE2) regular expression: each of its metacharacters escaped. */
function regexLiteral(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
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
  // The label value the health check's series carry (and, in the annotations, as text: no brace starts a template).
  const id = serviceLabel(service.id);
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
  const socketRules: Omit<AlertRule, 'delaySeconds'>[] = [
    {
      alert: 'Dsa110PortDown',
      // port-health-check's listening error is "nothing listens on the port": it always comes with dsa110_port_up 0.
      // Only with that error: a development-only service that is not running is 0 too, and the health check calls it
      // fine (its verdict, not a rule copied here, says which services must listen).
      covers: 'listening',
      expr: `dsa110_port_up{service=${promString(id)}} == 0 and on (instance, job, service) dsa110_port_check{service=${promString(id)},check="listening",severity="error"} == 1`,
      for: forDuration('2m'),
      labels: { service: id, severity },
      annotations: {
        summary: `${name} is not listening on port {{ $labels.port }} ${where}`,
        description: `port-health-check found nothing listening on ${name}'s port {{ $labels.port }}; start it${templateText(unitHint(service))} and run port-health-check on the host.`,
      },
      fires: {
        // As port-health-check writes it: dsa110_port_up 0 with the listening error (which the catch-all leaves to this alert).
        input: [
          { series: series('dsa110_port_up', { service: id, port }), values: '0x{n}' },
          { series: series('dsa110_port_check', { service: id, check: 'listening', severity: 'error' }), values: '1x{n}' },
        ],
        firing: { service: id, port, instance: CASE_HOST, job: NODE_JOB, severity },
      },
      // A development-only service that is not running: 0, and the health check's listening result is ok.
      quiet: {
        input: [
          { series: series('dsa110_port_up', { service: id, port }), values: '0x{n}' },
          { series: series('dsa110_port_check', { service: id, check: 'listening', severity: 'ok' }), values: '1x{n}' },
        ],
      },
    },
    {
      alert: 'Dsa110PortIntruder',
      covers: 'owner',
      expr: check('owner', 'error'),
      for: forDuration('2m'),
      labels: { service: id, severity },
      annotations: {
        summary: `${name}'s port is held by another process ${where}`,
        description: `port-health-check found a process that is not ${name} holding its port; see its report on the host (port-health-check --service ${templateText(id)}). claim-port frees the port when ${name} restarts.`,
      },
      fires: checkCase('owner', 'error', { severity }),
      quiet: checkCase('owner', 'ok'),
    },
    {
      alert: 'Dsa110PortExposed',
      covers: 'access',
      expr: check('access', 'error|warning'),
      for: forDuration('2m'),
      labels: { service: id, severity },
      annotations: {
        summary: `${name} listens wider than its access level (${service.access}) ${where}`,
        description: `port-health-check found ${name} bound to an address its access level (${service.access}) does not allow; bind it as the registry says (port-health-check --service ${templateText(id)}).`,
      },
      fires: checkCase('access', 'error', { severity }),
      quiet: checkCase('access', 'ok'),
    },
  ];
  const rules: Omit<AlertRule, 'delaySeconds'>[] = [
    // Over series port-health-check writes only for a service whose sockets it reads (TCP).
    ...(socketsRead(service) ? socketRules : []),
    {
      alert: 'Dsa110ClaimWiringMissing',
      covers: 'systemd',
      expr: check('systemd', 'error'),
      for: forDuration('10m'),
      labels: { service: id, severity: 'warning' },
      annotations: {
        summary: `${name}'s systemd unit does not claim its port ${where}, or not safely`,
        // The check's errors: no claim line that works, or one that reads a registry someone besides root may change.
        description: `port-health-check found no working ExecStartPre=+claim-port for ${name}${templateText(unitHint(service))}, or one reading a registry someone besides root may change (port-health-check --service ${templateText(id)} says which); run \`ports systemd\` on the host and systemctl daemon-reload, or make that registry root's.`,
      },
      fires: checkCase('systemd', 'error', { severity: 'warning' }),
      quiet: checkCase('systemd', 'ok'),
    },
  ];
  if (socketsRead(service) && service.access !== 'public') {
    // As port-health-check writes it: the firewall check's error with dsa110_port_firewall_exposed 1, its ok with 0.
    const exposed = (value: string) => [
      { series: series('dsa110_port_firewall_exposed', { service: id, port }), values: `${value}x{n}` },
      { series: series('dsa110_port_check', { service: id, check: 'firewall', severity: value === '1' ? 'error' : 'ok' }), values: '1x{n}' },
    ];
    rules.push({
      alert: 'Dsa110PortFirewallOpen',
      // The firewall check's error is exactly dsa110_port_firewall_exposed 1 (port-health-check's report/prometheus.ts).
      covers: 'firewall',
      expr: `max by (instance, job, service) (dsa110_port_firewall_exposed{service=${promString(id)}}) == 1`,
      for: forDuration('10m'),
      labels: { service: id, severity },
      annotations: {
        summary: `The firewall lets outside connections reach ${name} (access: ${service.access}) ${where}`,
        description: `port-health-check found ${name} listening beyond loopback and the host's nftables ruleset accepting new connections to its port from outside; load the registry's rules (ports firewall --format nft) or bind it to loopback (port-health-check --service ${templateText(id)} names the accepting rule).`,
      },
      fires: { input: exposed('1'), firing: { service: id, instance: CASE_HOST, job: NODE_JOB, severity } },
      quiet: { input: exposed('0') },
    });
  }
  return rules.map((rule) => ({ ...rule, delaySeconds: 0 }));
}

/** The catch-all's `for:`: its errors are mostly configuration (files, units, dependencies) that stays wrong until fixed. */
const CHECK_ERROR_FOR = '10m';

/** One case of the catch-all: a dsa110_port_check result of `check` at `metricSeverity`, and, when it fires, the alert's labels. */
function checkErrorCase(service: string, check: string, metricSeverity: string, alertLabels?: Record<string, string>): AlertCase {
  return {
    input: [{ series: series('dsa110_port_check', { service, check, severity: metricSeverity }), values: '1x{n}' }],
    ...(alertLabels && { firing: { ...(service && { service }), check, instance: CASE_HOST, job: NODE_JOB, ...alertLabels } }),
  };
}

/** The `check!~"..."` matcher that leaves `covered` checks to their own alerts (nothing when none is). */
function uncovered(covered: readonly string[]): string {
  return covered.length > 0 ? `,check!~${promString([...covered].sort().join('|'))}` : '';
}

/**
 * The catch-all for one service: an error of any check of port-health-check's
 * for it, but those `covered` (the checks its specific alerts page for, so no
 * error pages twice). Severity as the specific alerts': critical for production.
 */
function checkErrorAlert(service: Service, covered: readonly string[], forDuration: (normal: string) => string): AlertRule {
  const id = serviceLabel(service.id);
  const name = templateText(service.name);
  const severity = service.group === 'production' ? 'critical' : 'warning';
  return {
    alert: CHECK_ERROR_ALERT,
    expr: `max by (instance, job, service, check) (dsa110_port_check{service=${promString(id)}${uncovered(covered)},severity="error"}) == 1`,
    for: forDuration(CHECK_ERROR_FOR),
    labels: { service: id, severity },
    annotations: {
      summary: `port-health-check's {{ $labels.check }} check finds an error for ${name} on {{ $labels.instance }}`,
      description: `port-health-check reports an error of its {{ $labels.check }} check for ${name}; run port-health-check --service ${templateText(id)} on the host to see what is wrong and what to do.`,
    },
    fires: checkErrorCase(id, 'config', 'error', { severity }),
    quiet: checkErrorCase(id, 'config', 'warning'),
    delaySeconds: 0,
  };
}

/**
 * The catch-all for results about no one service (service="": the
 * dependencies, reserved and unknown-listeners checks), but those `covered`
 * (the registry check: Dsa110PortHealthFailing); and for services these rules
 * do not know (a host whose ports.yaml has a service this one has not).
 */
function otherCheckErrorAlerts(registry: Registry, covered: readonly string[], forDuration: (normal: string) => string): AlertRule[] {
  // The services' label values, as the health check's series carry them (serviceLabel).
  const ids = new Set(registry.services.map((service) => serviceLabel(service.id)));
  let stranger = 'unregistered';
  while (ids.has(stranger)) stranger += '-x';
  // Each matched as itself (a validated id has no metacharacter; one never validated may: `a.b` is not `axb`). "" is the host-wide results'.
  const known = promString(['', ...ids].map(regexLiteral).join('|'));
  return [
    {
      alert: CHECK_ERROR_ALERT,
      expr: `max by (instance, job, check) (dsa110_port_check{service=""${uncovered(covered)},severity="error"}) == 1`,
      for: forDuration(CHECK_ERROR_FOR),
      labels: { severity: 'warning' },
      annotations: {
        summary: `port-health-check's host-wide {{ $labels.check }} check finds an error on {{ $labels.instance }}`,
        description:
          'port-health-check reports an error of its {{ $labels.check }} check that is about no one service; run port-health-check on the host to see what is wrong and what to do.',
      },
      fires: checkErrorCase('', 'dependencies', 'error', { severity: 'warning' }),
      quiet: checkErrorCase('', 'dependencies', 'warning'),
      delaySeconds: 0,
    },
    {
      alert: CHECK_ERROR_ALERT,
      expr: `max by (instance, job, service, check) (dsa110_port_check{service!~${known},severity="error"}) == 1`,
      for: forDuration(CHECK_ERROR_FOR),
      // A label of its own: two rules of one alert name with the same labels are duplicates to promtool's lint.
      labels: { severity: 'warning', in_registry: 'false' },
      annotations: {
        summary: `port-health-check's {{ $labels.check }} check finds an error for {{ $labels.service }}, a service these rules do not know, on {{ $labels.instance }}`,
        description:
          "port-health-check reports an error of its {{ $labels.check }} check for {{ $labels.service }}, which is in the host's ports.yaml but not in the one these rules come from; run port-health-check --service {{ $labels.service }} on the host, and regenerate the rules from the current ports.yaml (ports monitoring).",
      },
      fires: checkErrorCase(stranger, 'config', 'error', { severity: 'warning', in_registry: 'false' }),
      quiet: checkErrorCase(stranger, 'config', 'warning'),
      delaySeconds: 0,
    },
  ];
}

/** Minutes a host's unscraped case is scraped before it goes (its firing case: scraped, then gone). */
const SCRAPED_MINUTES = 5;

function healthAlerts(registry: Registry, intervalSeconds: number, forDuration: (normal: string) => string): AlertRule[] {
  const staleAfter = intervalSeconds * 3;
  const host = { instance: CASE_HOST, job: NODE_JOB };
  const lastRun = series('dsa110_port_health_last_run_timestamp_seconds', {});
  // A host that is not scraped hides every alert of its services, the critical ones of production services too.
  const unscrapedSeverity = registry.services.some((service) => service.group === 'production') ? 'critical' : 'warning';
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
      covers: 'registry',
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
    {
      alert: 'Dsa110PortHealthUnscraped',
      // A host Prometheus no longer scrapes (host down, node_exporter stopped, its port blocked): every dsa110_* series
      // of it goes stale, so its alerts resolve, the stale rule has no timestamp to read and the missing one needs up 1.
      // `up` is what Prometheus itself writes for every target at every scrape, whatever the target answers: it is there,
      // 0, exactly while the host is listed under targets/node/ and not answering, so the alert lasts as long as the
      // outage and ends when the host is taken out of the fleet (its up goes stale too). A rule on the vanished
      // health-check timestamp (absent_over_time, or max_over_time unless the series) needs a look-back window
      // instead: it stops paging for a host still down once the window has passed, pages for the window after a
      // deliberate removal, and cannot tell the two apart. Every node target is a host of the fleet, as for the
      // missing rule: the scrape config's node job lists targets/node/ only.
      expr: `up{job=${promString(NODE_JOB)}} == 0`,
      for: forDuration('5m'),
      labels: { severity: unscrapedSeverity },
      annotations: {
        summary: 'Prometheus cannot scrape node_exporter on {{ $labels.instance }}, so the port health of the host is unknown',
        description:
          'Scrapes of {{ $labels.instance }} fail (up == 0): the host is down, node_exporter is stopped or its port is blocked, and every dsa110_port_* series of the host has gone stale, so its alerts resolved and none can fire. Bring the host or node_exporter back, or let the Prometheus host reach that port; for a host taken out of the fleet, remove its file under targets/node/ and this alert resolves.',
      },
      // Scraped, then gone: up turns 0 and the health check's series go stale.
      fires: {
        input: [
          { series: series('up', {}), values: `1x${SCRAPED_MINUTES - 1} 0x{n}` },
          { series: lastRun, values: `0+60x${SCRAPED_MINUTES - 1} stale` },
        ],
        firing: { ...host, severity: unscrapedSeverity },
      },
      // Taken out of service discovery: Prometheus marks its up stale with the rest, and nothing pages.
      quiet: {
        input: [
          { series: series('up', {}), values: `1x${SCRAPED_MINUTES - 1} stale` },
          { series: lastRun, values: `0+60x${SCRAPED_MINUTES - 1} stale` },
        ],
      },
    },
  ];
  const delays: Readonly<Record<string, number>> = { Dsa110PortHealthStale: staleAfter, Dsa110PortHealthUnscraped: SCRAPED_MINUTES * 60 };
  return rules.map((rule) => ({ ...rule, delaySeconds: delays[rule.alert] ?? 0 }));
}

/** Every alert rule: each service's (by port), the catch-all for host-wide results and unknown services, then the health check's own. */
export function alertRules(registry: Registry, options: AlertOptions = {}): AlertRule[] {
  const interval = options.healthIntervalSeconds ?? systemdSpanSeconds(HEALTH_INTERVAL);
  if (!Number.isInteger(interval) || interval < 1) throw new RangeError(`healthIntervalSeconds must be a whole number of seconds >= 1, not ${interval}`);
  if (options.for !== undefined) durationSeconds(options.for);
  const forDuration = (normal: string) => options.for ?? normal;
  // Two services the health check's metrics would write as one (a Registry of ids never validated): one's alerts would fire for the other.
  prometheusLabels(registry.services.map((service) => service.id));
  const health = healthAlerts(registry, interval, forDuration);
  const covers = (rules: readonly AlertRule[]) => rules.flatMap((rule) => (rule.covers === undefined ? [] : [rule.covers]));
  return [
    ...registry.services.flatMap((service) => {
      const specific = service.robust ? serviceAlerts(service, forDuration) : [];
      return [...specific, checkErrorAlert(service, covers(specific), forDuration)];
    }),
    ...otherCheckErrorAlerts(registry, covers(health), forDuration),
    ...health,
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
