// The monitoring files `ports monitoring` writes: the committed deploy/ tree is
// current, and every file passes its own project's checker (promtool check
// config, check rules, test rules). The generated rule tests are not vacuous:
// a rule that fires when it should not fails them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadRegistry, parseRegistry } from '@dsa110/ports';
import {
  alertRules,
  annotate,
  durationSeconds,
  monitoringFiles,
  renderAlertRules,
  renderPrometheusConfig,
  templateText,
  toYaml,
  type GeneratedFile,
} from '@dsa110/ports/render';
import { hasCommand } from '../../../../test-support/commands.js';
import { minimalRegistry, repoRoot } from '../helpers.js';
import { tempDir } from '../../../../test-support/tree.js';

const promtool = hasCommand('promtool', ['--version']);
const withPromtool = promtool ? it : it.skip;
if (!promtool) console.warn('[skipped: missing Debian package prometheus (promtool): install with sudo bash scripts/install-system-packages.sh]');

function writeTree(files: readonly GeneratedFile[]): string {
  const dir = tempDir('dsa110-monitoring-');
  for (const file of files) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.contents);
  }
  return dir;
}

function run(command: string, args: string[]): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, output: `${failed.stdout}${failed.stderr}` };
  }
}

// A registry whose names try to break out of YAML, PromQL and Go templates
// (`{}}` and `{{{`: a lone brace next to an escaped pair).
const hostile = minimalRegistry
  .replace('name: FastAPI', `name: "Fast'API {{ .Evil }} \\"x\\" #: - [a] {}} {{{ US$ {"`)
  .replace('name: Redis', 'name: "Redis }}{{ printf \\"%s\\" 1 }"');

describe('the committed deploy/ tree', () => {
  it('matches ports.yaml (run `ports monitoring` to refresh it)', async () => {
    const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
    for (const file of monitoringFiles(registry)) {
      expect(readFileSync(join(repoRoot, 'deploy', file.path), 'utf8'), file.path).toBe(file.contents);
    }
  });
});

describe('Prometheus files', () => {
  withPromtool('pass promtool check config, check rules and test rules, for ports.yaml and a hostile registry', async () => {
    for (const registry of [await loadRegistry({ path: join(repoRoot, 'ports.yaml') }), parseRegistry(hostile)]) {
      const dir = writeTree(monitoringFiles(registry));
      for (const args of [
        ['check', 'config', join(dir, 'prometheus/prometheus.yml')],
        ['check', 'rules', join(dir, 'prometheus/rules/dsa110-ports.rules.yml')],
        ['test', 'rules', join(dir, 'prometheus/tests/dsa110-ports.rules.test.yml')],
      ]) {
        const result = run('promtool', args);
        expect(result.code, `promtool ${args.join(' ')}:\n${result.output}`).toBe(0);
      }
    }
  });

  withPromtool('the rule tests fail when a rule fires on a healthy port or stays quiet on a dead one', async () => {
    const registry = parseRegistry(minimalRegistry);
    for (const [from, to] of [
      ['dsa110_port_up{service="redis"} == 0', 'dsa110_port_up{service="redis"} >= 0'],
      ['dsa110_port_up{service="redis"} == 0', 'dsa110_port_up{service="redis"} == 2'],
    ] as const) {
      const files = monitoringFiles(registry).map((file) => (file.path.endsWith('.rules.yml') ? { ...file, contents: file.contents.replace(from, to) } : file));
      expect(files.find((file) => file.path.endsWith('.rules.yml'))!.contents).toContain(to);
      const result = run('promtool', ['test', 'rules', join(writeTree(files), 'prometheus/tests/dsa110-ports.rules.test.yml')]);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toMatch(/Dsa110PortDown for redis/);
    }
  });

  it('have four alerts per robust service (five when not public: the firewall) and three for the health check, each with a firing and a quiet case', () => {
    const registry = parseRegistry(minimalRegistry);
    const rules = alertRules(registry);
    expect(rules.map((rule) => `${rule.alert}:${rule.labels.service ?? ''}`)).toEqual([
      'Dsa110PortDown:redis',
      'Dsa110PortIntruder:redis',
      'Dsa110PortExposed:redis',
      'Dsa110ClaimWiringMissing:redis',
      'Dsa110PortFirewallOpen:redis',
      'Dsa110PortDown:api',
      'Dsa110PortIntruder:api',
      'Dsa110PortExposed:api',
      'Dsa110ClaimWiringMissing:api',
      'Dsa110PortFirewallOpen:api',
      'Dsa110PortHealthStale:',
      'Dsa110PortHealthFailing:',
      'Dsa110PortHealthMissing:',
    ]);
    for (const rule of rules) {
      expect(rule.fires.firing, rule.alert).toBeDefined();
      expect(rule.quiet.firing, rule.alert).toBeUndefined();
    }
    const stale = rules.find((rule) => rule.alert === 'Dsa110PortHealthStale')!;
    expect(stale.expr).toContain('> 900');
    expect(alertRules(registry, { healthIntervalSeconds: 60 }).find((rule) => rule.alert === 'Dsa110PortHealthStale')!.expr).toContain('> 180');
    expect(alertRules(registry, { for: '1s' }).every((rule) => rule.for === '1s')).toBe(true);
    expect(() => alertRules(registry, { for: '5 minutes' })).toThrow(/not a Prometheus duration/);
  });

  it('scrape the API at its registry port every 15 s and every node_exporter listed under targets/node', () => {
    const config = parse(
      renderPrometheusConfig(
        parseRegistry(minimalRegistry.replace('port: 8000', 'port: 8123').replace('processes: [uvicorn]', 'processes: [uvicorn]\n    metrics: /metrics')),
      ),
    );
    expect(config.scrape_configs).toEqual([
      { job_name: 'dsa110-api', scrape_interval: '15s', metrics_path: '/metrics', static_configs: [{ targets: ['localhost:8123'] }] },
      { job_name: 'node', scrape_interval: '15s', file_sd_configs: [{ files: ['targets/node/*.yml'] }] },
    ]);
    expect(config.rule_files).toEqual(['rules/dsa110-ports.rules.yml']);
  });
});

describe('Go templates and YAML from registry text', () => {
  it('registry text is printed, never run, by a template', () => {
    expect(templateText('a {{ .X }} b')).toBe('a {{ "{{" }} .X {{ "}}" }} b');
    expect(templateText('a{}} {')).toBe('a{{ "{}}" }} {{ "{" }}');
    expect(annotate(templateText('a {{ .X }} on {{ $labels.instance }}'), { instance: 'h:1' })).toBe('a {{ .X }} on {{ $labels.instance }}');
    expect(annotate(`${templateText('{{x}}')} on {{ $labels.instance }}`, { instance: 'h:1' })).toBe('{{x}} on h:1');
  });

  it('toYaml round-trips hostile strings through a YAML parser', () => {
    const value = {
      "a'b": ["it's", 'line\nbreak', '# not a comment', 'key: value', '- item', '{{ x }}', '', 'tab\there', '\u2028'],
      n: [1, 0.5, true, null],
      e: [],
      o: {},
    };
    expect(parse(toYaml(value, ['head']))).toEqual(value);
  });

  it('durations', () => {
    expect(durationSeconds('2m')).toBe(120);
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(() => durationSeconds('2 m')).toThrow();
  });

  it('a hostile registry still yields one rule group whose names are literal text', () => {
    const rules = parse(renderAlertRules(parseRegistry(hostile)));
    expect(rules.groups).toHaveLength(1);
    const summary = rules.groups[0].rules.find(
      (rule: { alert: string; labels: { service?: string } }) => rule.alert === 'Dsa110PortDown' && rule.labels.service === 'api',
    ).annotations.summary;
    expect(summary).toContain(`Fast'API {{ "{{" }} .Evil {{ "}}" }}`);
    expect(annotate(summary, { port: '8000', instance: 'h:1' })).toBe(`Fast'API {{ .Evil }} "x" #: - [a] {}} {{{ US$ { is not listening on port 8000 on h:1`);
  });
});
