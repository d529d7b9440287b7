// `promtool test rules` unit tests for the generated alert rules: for every
// rule, one case where it fires (with the exact labels and annotations) and
// one where it stays quiet. Made from the same definitions as the rules.
import type { Registry } from '../index.js';
import {
  alertRules,
  annotate,
  durationSeconds,
  GENERATED_BY,
  RULES_FILE,
  RULES_TEST_FILE,
  type AlertCase,
  type AlertOptions,
  type AlertRule,
} from './alert-rules.js';
import { toYaml, type YamlValue } from './yaml.js';

const STEP_SECONDS = 60;

function evalSeconds(rule: AlertRule): number {
  // The condition holds after delaySeconds, then must hold for `for:`; two more steps of margin.
  return rule.delaySeconds + durationSeconds(rule.for) + 2 * STEP_SECONDS;
}

function inputSeries(testCase: AlertCase, samples: number): YamlValue {
  return testCase.input.map((input) => ({ series: input.series, values: input.values.replace('{n}', String(samples)) }));
}

function testFor(rule: AlertRule, testCase: AlertCase, name: string): YamlValue {
  const at = evalSeconds(rule);
  const samples = Math.ceil(at / STEP_SECONDS) + 5;
  const expected = testCase.firing
    ? [
        {
          exp_labels: { alertname: rule.alert, ...rule.labels, ...testCase.firing },
          exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([key, template]) => [key, annotate(template, testCase.firing!)])),
        },
      ]
    : [];
  return {
    name,
    interval: `${STEP_SECONDS}s`,
    input_series: inputSeries(testCase, samples),
    alert_rule_test: [{ eval_time: `${at}s`, alertname: rule.alert, exp_alerts: expected }],
  };
}

/** The promtool test file; `rulesPath` is the rules file relative to it (default: prometheus/tests/ beside prometheus/rules/). */
export function renderAlertTests(registry: Registry, options: AlertOptions & { rulesPath?: string } = {}): string {
  const tests = alertRules(registry, options).flatMap((rule) => {
    const service = rule.fires.firing?.service;
    const subject = service ? `${rule.alert} for ${service}` : rule.alert;
    return [testFor(rule, rule.fires, `${subject} fires`), testFor(rule, rule.quiet, `${subject} stays quiet`)];
  });
  return toYaml({ rule_files: [options.rulesPath ?? `../rules/${RULES_FILE}`], evaluation_interval: `${STEP_SECONDS}s`, tests }, [
    ...GENERATED_BY('ports monitoring'),
    `Run: promtool test rules ${RULES_TEST_FILE}`,
  ]);
}
