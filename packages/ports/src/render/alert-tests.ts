// `promtool test rules` unit tests for the generated alert rules: for every
// rule, one case where it fires (with the exact labels and annotations) and
// one where it stays quiet. Made from the same definitions as the rules.
import type { Registry } from '../index.js';
import {
  alertRules,
  annotate,
  CASE_HOST,
  durationSeconds,
  GENERATED_BY,
  promString,
  RULES_FILE,
  RULES_TEST_FILE,
  type AlertCase,
  type AlertInput,
  type AlertOptions,
  type AlertRule,
} from './alert-rules.js';
import { toYaml, type YamlValue } from './yaml.js';

const STEP_SECONDS = 60;

const TEST_GROUP = 'every alert rule: each case on an instance of its own';

function evalSeconds(rule: AlertRule): number {
  // The condition holds after delaySeconds, then must hold for `for:`; two more steps of margin.
  return rule.delaySeconds + durationSeconds(rule.for) + 2 * STEP_SECONDS;
}

/** The `instance` a case is put on: says which case it is, so promtool's report of a wrong alert names it. */
function caseHost(rule: AlertRule, kind: 'fires' | 'quiet'): string {
  const service = rule.fires.firing?.service;
  return `${rule.alert}${service ? ` for ${service}` : ''}: ${kind === 'fires' ? 'fires' : 'stays quiet'}`;
}

/** The case's series on `host` (values still hold `{n}`). */
function inputSeries(testCase: AlertCase, host: string): AlertInput[] {
  return testCase.input.map((input) => ({ series: input.series.replaceAll(promString(CASE_HOST), promString(host)), values: input.values }));
}

function expectedAlert(rule: AlertRule, firing: Readonly<Record<string, string>>, host: string): YamlValue {
  const labels = { ...firing, instance: host };
  return {
    exp_labels: { alertname: rule.alert, ...rule.labels, ...labels },
    exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([key, template]) => [key, annotate(template, labels)])),
  };
}

/**
 * One test group for every rule. promtool evaluates the whole rules file at
 * every step of every test group, so a group per case (as this file once had)
 * costs cases x rules, quadratic in the robust services: 52 s for 25 of them,
 * 657 s for 100. One group costs each rule once per step instead: 1.6 s for
 * 25, 9 s for 100, 54 s for 620 with 80-character names (promtool 2.42). Cases do not
 * interfere because each has an `instance` of its own: one alert_rule_test per
 * alert name lists exactly the alerts of its firing cases, so a rule that
 * misses its firing case, fires on a quiet one or reads another service's
 * series (whose alert then carries the wrong instance) fails the test.
 */
function testGroup(rules: readonly AlertRule[]): YamlValue {
  // Each alert name is checked once, when the slowest of its rules has fired; a condition that holds from the start still holds then.
  const checks = new Map<string, { at: number; alerts: YamlValue[] }>();
  const input: AlertInput[] = [];
  for (const rule of rules) {
    const check = checks.get(rule.alert) ?? { at: 0, alerts: [] };
    checks.set(rule.alert, { at: Math.max(check.at, evalSeconds(rule)), alerts: check.alerts });
    input.push(...inputSeries(rule.fires, caseHost(rule, 'fires')), ...inputSeries(rule.quiet, caseHost(rule, 'quiet')));
    if (rule.fires.firing) check.alerts.push(expectedAlert(rule, rule.fires.firing, caseHost(rule, 'fires')));
  }
  const lastCheck = Math.max(0, ...[...checks.values()].map((check) => check.at));
  const samples = String(Math.ceil(lastCheck / STEP_SECONDS) + 5);
  return {
    name: TEST_GROUP,
    interval: `${STEP_SECONDS}s`,
    input_series: input.map((series) => ({ series: series.series, values: series.values.replace('{n}', samples) })),
    alert_rule_test: [...checks].map(([alertname, check]) => ({ eval_time: `${check.at}s`, alertname, exp_alerts: check.alerts })),
  };
}

/** The promtool test file; `rulesPath` is the rules file relative to it (default: prometheus/tests/ beside prometheus/rules/). */
export function renderAlertTests(registry: Registry, options: AlertOptions & { rulesPath?: string } = {}): string {
  return toYaml(
    { rule_files: [options.rulesPath ?? `../rules/${RULES_FILE}`], evaluation_interval: `${STEP_SECONDS}s`, tests: [testGroup(alertRules(registry, options))] },
    [...GENERATED_BY('ports monitoring'), `Run: promtool test rules ${RULES_TEST_FILE}`],
  );
}
