// The monitoring files `ports monitoring` writes: the committed deploy/ tree is
// current, and every file passes its own project's checker (promtool check
// config, check rules, test rules). The generated rule tests are not vacuous:
// a rule that fires when it should not fails them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadRegistry, parseRegistry, prometheusLabel, Registry } from '@dsa110/ports';
import {
  alertRules,
  annotate,
  DATASOURCE_FILE,
  durationSeconds,
  monitoringFiles,
  renderAlertRules,
  renderAlertTests,
  renderDashboard,
  renderPrometheusConfig,
  renderService,
  renderSnippets,
  templateText,
  toYaml,
  type AlertRule,
  type GeneratedFile,
} from '@dsa110/ports/render';
import { hasCommand } from '../../../../test-support/commands.js';
import { parseRegistryText } from '../../src/parse.js';
import { minimalRegistry, repoRoot } from '../helpers.js';
import { tempDir } from '../../../../test-support/tree.js';

/** A robust production UDP service (`relay`, 5514) that claims its port in `claim`: its ports.yaml lines. */
const relayService = (claim: 'unit' | 'drop-in') => [
  '  - id: relay',
  '    name: Relay',
  '    group: production',
  '    port: 5514',
  '    protocol: UDP',
  '    transport: udp',
  '    access: private',
  '    configuredBy: { env: RELAY_PORT }',
  '    robust: true',
  `    systemd: { unit: relay.service, claim: ${claim} }`,
  '    processes: [relay]',
];
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

/** A registry of `count` robust services with 80-character names, half of them private (five alerts each) and half localhost. */
function robustRegistry(count: number): string {
  const services = Array.from({ length: count }, (_, index) =>
    [
      `  - id: svc-${index}`,
      `    name: ${`Service ${index} `.padEnd(80, 'x')}`,
      '    group: production',
      `    port: ${20000 + index}`,
      '    protocol: TCP',
      `    access: ${index % 2 === 0 ? 'private' : 'localhost'}`,
      `    configuredBy: { env: SVC_${index}_PORT }`,
      '    robust: true',
      `    systemd: { unit: svc-${index}.service, claim: unit }`,
      `    processes: [svc${index}]`,
    ].join('\n'),
  );
  return ['version: 1', 'services:', ...services, ''].join('\n');
}

function replaceOnce(text: string, from: string, to: string): string {
  expect(text.split(from), from).toHaveLength(2);
  return text.replace(from, to);
}

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
        // Lint too: several rules share an alert name (the catch-all), never its labels as well.
        ['check', 'rules', '--lint=all', '--lint-fatal', join(dir, 'prometheus/rules/dsa110-ports.rules.yml')],
        ['test', 'rules', join(dir, 'prometheus/tests/dsa110-ports.rules.test.yml')],
      ]) {
        const result = run('promtool', args);
        expect(result.code, `promtool ${args.join(' ')}:\n${result.output}`).toBe(0);
      }
    }
  });

  withPromtool("an HTTPS service is scraped with scheme: https and an HTTPS Prometheus is Grafana's https:// datasource; promtool passes", () => {
    const text = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8')
      .replace('    port: 8000\n    protocol: HTTP\n', '    port: 8443\n    protocol: HTTPS\n')
      .replace('    port: 9090\n    protocol: HTTP\n', '    port: 9090\n    protocol: HTTPS\n');
    const files = monitoringFiles(parseRegistry(text));
    const dir = writeTree(files);
    const config = readFileSync(join(dir, 'prometheus/prometheus.yml'), 'utf8');
    const jobs = parse(config).scrape_configs as { job_name: string; scheme?: string }[];
    expect(jobs.find((job) => job.job_name === 'dsa110-api')?.scheme).toBe('https');
    // node_exporter is no registry service: scraped over HTTP, as before.
    expect(jobs.find((job) => job.job_name === 'node')?.scheme).toBeUndefined();
    // What the operator must supply for a self-signed certificate, said in the file.
    expect(config).toContain('# a self-signed one fails the scrape (x509); add its CA to /usr/local/share/ca-certificates and run update-ca-certificates.\n');
    const datasource = parse(readFileSync(join(dir, DATASOURCE_FILE), 'utf8')).datasources[0];
    expect(datasource.url).toBe('https://localhost:9090');
    const result = run('promtool', ['check', 'config', join(dir, 'prometheus/prometheus.yml')]);
    expect(result.code, result.output).toBe(0);
  });

  withPromtool(
    "a service's scrapeInterval is its job's scrape_interval, in ports monitoring, the prometheus-yml snippet and the docs page; promtool passes",
    () => {
      const text = replaceOnce(readFileSync(join(repoRoot, 'ports.yaml'), 'utf8'), '    scrapeInterval: 15s\n', '    scrapeInterval: 1m30s\n');
      const registry = parseRegistry(text);
      const dir = writeTree(monitoringFiles(registry));
      const config = parse(readFileSync(join(dir, 'prometheus/prometheus.yml'), 'utf8'));
      const jobs = config.scrape_configs as { job_name: string; scrape_interval: string }[];
      expect(jobs.map((job) => [job.job_name, job.scrape_interval])).toEqual([
        ['dsa110-api', '1m30s'],
        ['node', '15s'],
      ]);
      expect(config.global.scrape_interval).toBe('15s');
      expect(
        renderSnippets(registry, 'prometheus-yml')
          .map((snippet) => snippet.text)
          .join(''),
      ).toContain("scrape_interval: '1m30s'");
      expect(renderService(registry, registry.service('prometheus'))).toContain('- **Scrapes:** dsa110-api (`/metrics` on port 8000) every `1m30s`\n');
      const result = run('promtool', ['check', 'config', join(dir, 'prometheus/prometheus.yml')]);
      expect(result.code, result.output).toBe(0);
    },
  );

  withPromtool('the rule tests fail when a rule fires on a port the health check calls fine or stays quiet on a dead one', async () => {
    const registry = parseRegistry(minimalRegistry);
    const portDown = 'dsa110_port_up{service="redis"} == 0';
    for (const [from, to] of [
      // Without the health check's verdict: a development-only service that is not running (0, listening ok) would page.
      [`${portDown} and on (instance, job, service) dsa110_port_check{service="redis",check="listening",severity="error"} == 1`, portDown],
      [portDown, 'dsa110_port_up{service="redis"} == 2'],
    ] as const) {
      const files = monitoringFiles(registry).map((file) => (file.path.endsWith('.rules.yml') ? { ...file, contents: file.contents.replace(from, to) } : file));
      expect(files.find((file) => file.path.endsWith('.rules.yml'))!.contents).toContain(to);
      const result = run('promtool', ['test', 'rules', join(writeTree(files), 'prometheus/tests/dsa110-ports.rules.test.yml')]);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toMatch(/Dsa110PortDown for redis/);
    }
  });

  withPromtool("the rule tests fail when one service's rule reads another service's series", async () => {
    const registry = parseRegistry(minimalRegistry);
    // Redis's intruder rule wired to the API's series: it fires, but for the API's case (its instance), not Redis's.
    const from = 'service="redis",check="owner"';
    const files = monitoringFiles(registry).map((file) =>
      file.path.endsWith('.rules.yml') ? { ...file, contents: replaceOnce(file.contents, from, 'service="api",check="owner"') } : file,
    );
    const result = run('promtool', ['test', 'rules', join(writeTree(files), 'prometheus/tests/dsa110-ports.rules.test.yml')]);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toMatch(/alertname: Dsa110PortIntruder/);
    expect(result.output).toContain('instance="Dsa110PortIntruder for api: fires", job="node", service="redis"');
  });

  withPromtool('a host that stops being scraped pages until it is back; one taken out of service discovery stops paging', () => {
    const dir = writeTree(monitoringFiles(parseRegistry(minimalRegistry)));
    const host = (instance: string) => ({ instance, job: 'node' });
    const selector = (name: string, labels: Record<string, string>) =>
      `${name}{${Object.entries(labels)
        .map(([label, value]) => `${label}=${JSON.stringify(value)}`)
        .join(',')}}`;
    // h1: Redis down (a critical page), then the host stops answering at 10m: Prometheus writes up 0 and every series
    // node_exporter served goes stale. h2: healthy, then its targets/node/ file is removed at 10m: up goes stale too.
    const down = host('h1:9100');
    const removed = host('h2:9100');
    const unscraped = {
      exp_labels: { alertname: 'Dsa110PortHealthUnscraped', ...down, severity: 'critical' },
      exp_annotations: {
        summary: 'Prometheus cannot scrape node_exporter on h1:9100, so the port health of the host is unknown',
        description:
          'Scrapes of h1:9100 fail (up == 0): the host is down, node_exporter is stopped or its port is blocked, and every dsa110_port_* series of the host has gone stale, so its alerts resolved and none can fire. Bring the host or node_exporter back, or let the Prometheus host reach that port; for a host taken out of the fleet, remove its file under targets/node/ and this alert resolves.',
      },
    };
    const test = join(dir, 'prometheus/tests/host-gone.test.yml');
    writeFileSync(
      test,
      toYaml(
        {
          rule_files: ['../rules/dsa110-ports.rules.yml'],
          evaluation_interval: '1m',
          tests: [
            {
              interval: '1m',
              input_series: [
                { series: selector('up', down), values: '1x10 0x600' },
                { series: selector('dsa110_port_health_last_run_timestamp_seconds', down), values: '0+60x10 stale' },
                { series: selector('dsa110_port_up', { ...down, service: 'redis', port: '6379' }), values: '0x10 stale' },
                { series: selector('dsa110_port_check', { ...down, service: 'redis', check: 'listening', severity: 'error' }), values: '1x10 stale' },
                { series: selector('up', removed), values: '1x10 stale' },
                { series: selector('dsa110_port_health_last_run_timestamp_seconds', removed), values: '0+60x10 stale' },
              ],
              alert_rule_test: [
                {
                  eval_time: '8m',
                  alertname: 'Dsa110PortDown',
                  exp_alerts: [
                    {
                      exp_labels: { alertname: 'Dsa110PortDown', ...down, service: 'redis', port: '6379', severity: 'critical' },
                      exp_annotations: {
                        summary: 'Redis is not listening on port 6379 on h1:9100',
                        description:
                          "port-health-check found nothing listening on Redis's port 6379; start it (redis-server.service) and run port-health-check on the host.",
                      },
                    },
                  ],
                },
                { eval_time: '8m', alertname: 'Dsa110PortHealthUnscraped', exp_alerts: [] },
                // The host's own alerts resolved with its series; this one says why, and keeps saying it while the host is gone.
                { eval_time: '40m', alertname: 'Dsa110PortDown', exp_alerts: [] },
                { eval_time: '40m', alertname: 'Dsa110PortHealthUnscraped', exp_alerts: [unscraped] },
                { eval_time: '600m', alertname: 'Dsa110PortHealthUnscraped', exp_alerts: [unscraped] },
                { eval_time: '40m', alertname: 'Dsa110PortHealthStale', exp_alerts: [] },
                { eval_time: '40m', alertname: 'Dsa110PortHealthMissing', exp_alerts: [] },
              ],
            },
          ],
        },
        [],
      ),
    );
    const result = run('promtool', ['test', 'rules', test]);
    expect(result.code, result.output).toBe(0);
    // The rule over the vanished timestamp instead of up: it pages for a host deliberately taken out of the fleet too,
    // and the generated tests' quiet case (up stale with the rest) says so.
    const rules = join(dir, 'prometheus/rules/dsa110-ports.rules.yml');
    const vanished =
      'max by (instance, job) (max_over_time(dsa110_port_health_last_run_timestamp_seconds[1d])) unless on (instance, job) dsa110_port_health_last_run_timestamp_seconds';
    writeFileSync(rules, replaceOnce(readFileSync(rules, 'utf8'), 'up{job="node"} == 0', vanished));
    const generated = run('promtool', ['test', 'rules', join(dir, 'prometheus/tests/dsa110-ports.rules.test.yml')]);
    expect(generated.code, generated.output).toBe(1);
    expect(generated.output).toContain('instance="Dsa110PortHealthUnscraped: stays quiet"');
    expect(run('promtool', ['test', 'rules', test]).code).toBe(1);
  });

  it('the rule tests are one promtool test group however many services there are (each group evaluates every rule)', () => {
    for (const count of [1, 2, 100]) {
      const tests = parse(renderAlertTests(parseRegistry(robustRegistry(count)))).tests;
      expect(tests, `${count} services`).toHaveLength(1);
      // Every case still has its input: six alerts a service (five specific, none public, and the catch-all), two more
      // catch-alls (host-wide, unknown services), three for the health check and one for an unscraped host, a firing and a
      // quiet case each.
      const instances = new Set(tests[0].input_series.map((input: { series: string }) => /instance="([^"]+)"/.exec(input.series)![1]));
      expect(instances.size).toBe((count * 6 + 6) * 2);
    }
  });

  withPromtool(
    'promtool runs the rule tests of 100 robust services in seconds (a group per case took 657 s), and they fail when one rule is wrong',
    async () => {
      const registry = parseRegistry(robustRegistry(100));
      const dir = writeTree(monitoringFiles(registry));
      const test = join(dir, 'prometheus/tests/dsa110-ports.rules.test.yml');
      const started = performance.now();
      const result = run('promtool', ['test', 'rules', test]);
      const seconds = (performance.now() - started) / 1000;
      expect(result.code, result.output).toBe(0);
      expect(seconds).toBeLessThan(60);
      // Service 42's port-down rule watching its neighbour's port: one wrong rule among five hundred.
      const rules = join(dir, 'prometheus/rules/dsa110-ports.rules.yml');
      writeFileSync(
        rules,
        replaceOnce(readFileSync(rules, 'utf8'), 'dsa110_port_up{service="svc-42"} == 0', 'dsa110_port_up{service="svc-42",port="20043"} == 0'),
      );
      const broken = run('promtool', ['test', 'rules', test]);
      expect(broken.code, broken.output).toBe(1);
      expect(broken.output).toContain('instance="Dsa110PortDown for svc-42: fires"');
    },
    120_000,
  );

  it('have four alerts per robust service (five when not public: the firewall), a catch-all per service, host-wide and for unknown services, three for the health check and one for a host not scraped, each with a firing and a quiet case', () => {
    const registry = parseRegistry(minimalRegistry);
    const rules = alertRules(registry);
    expect(rules.map((rule) => `${rule.alert}:${rule.labels.service ?? ''}`)).toEqual([
      'Dsa110PortDown:redis',
      'Dsa110PortIntruder:redis',
      'Dsa110PortExposed:redis',
      'Dsa110ClaimWiringMissing:redis',
      'Dsa110PortFirewallOpen:redis',
      'Dsa110PortCheckError:redis',
      'Dsa110PortDown:api',
      'Dsa110PortIntruder:api',
      'Dsa110PortExposed:api',
      'Dsa110ClaimWiringMissing:api',
      'Dsa110PortFirewallOpen:api',
      'Dsa110PortCheckError:api',
      'Dsa110PortCheckError:',
      'Dsa110PortCheckError:',
      'Dsa110PortHealthStale:',
      'Dsa110PortHealthFailing:',
      'Dsa110PortHealthMissing:',
      'Dsa110PortHealthUnscraped:',
    ]);
    for (const rule of rules) {
      expect(rule.fires.firing, rule.alert).toBeDefined();
      expect(rule.quiet.firing, rule.alert).toBeUndefined();
    }
    const stale = rules.find((rule) => rule.alert === 'Dsa110PortHealthStale')!;
    expect(stale.expr).toContain('> 900');
    expect(alertRules(registry, { healthIntervalSeconds: 60 }).find((rule) => rule.alert === 'Dsa110PortHealthStale')!.expr).toContain('> 180');
    expect(alertRules(registry, { for: '1s' }).every((rule) => rule.for === '1s')).toBe(true);
    // A host not scraped hides its services' alerts: as loud as the loudest of them, critical with a production service.
    const unscraped = (text: string) => alertRules(parseRegistry(text)).find((rule) => rule.alert === 'Dsa110PortHealthUnscraped')!;
    expect(unscraped(minimalRegistry)).toMatchObject({ expr: 'up{job="node"} == 0', labels: { severity: 'critical' } });
    expect(unscraped(minimalRegistry.replaceAll('group: production', 'group: monitoring')).labels.severity).toBe('warning');
    expect(() => alertRules(registry, { for: '5 minutes' })).toThrow(/not a Prometheus duration/);
  });

  it('a robust UDP service gets no alert over what port-health-check does not read for it (sockets: TCP only); a service that is not robust only the catch-all', () => {
    const udp = [
      ...relayService('unit'),
      '  - id: docs',
      '    name: Docs',
      '    group: development',
      '    port: 8001',
      '    protocol: HTTP',
      '    access: dev',
      '    configuredBy: none',
      '    robust: false',
      '    processes: [mkdocs]',
      '',
    ].join('\n');
    const registry = parseRegistry(replaceOnce(minimalRegistry, 'reserved:\n', `${udp}reserved:\n`));
    const rules = alertRules(registry);
    const of = (id: string) => rules.filter((rule) => rule.labels.service === id);
    expect(of('relay').map((rule) => rule.alert)).toEqual(['Dsa110ClaimWiringMissing', 'Dsa110PortCheckError']);
    expect(of('relay')[1]!.expr).toBe('max by (instance, job, service, check) (dsa110_port_check{service="relay",check!~"systemd",severity="error"}) == 1');
    expect(of('relay')[1]!.labels.severity).toBe('critical');
    expect(of('docs').map((rule) => rule.alert)).toEqual(['Dsa110PortCheckError']);
    expect(of('docs')[0]!.expr).toBe('max by (instance, job, service, check) (dsa110_port_check{service="docs",severity="error"}) == 1');
    expect(of('docs')[0]!.labels.severity).toBe('warning');
    // The catch-all leaves to each specific alert the check it covers, and to Dsa110PortHealthFailing the registry check.
    expect(of('api').find((rule) => rule.alert === 'Dsa110PortCheckError')!.expr).toContain('check!~"access|firewall|listening|owner|systemd"');
    const others = rules.filter((rule) => rule.alert === 'Dsa110PortCheckError' && rule.labels.service === undefined).map((rule) => rule.expr);
    expect(others).toEqual([
      'max by (instance, job, check) (dsa110_port_check{service="",check!~"registry",severity="error"}) == 1',
      'max by (instance, job, service, check) (dsa110_port_check{service!~"|relay|redis|api|docs",severity="error"}) == 1',
    ]);
  });

  withPromtool('the rule tests fail when the catch-all pages again for an error a specific alert covers, or misses an uncovered one', () => {
    const registry = parseRegistry(minimalRegistry);
    for (const [from, to, expected] of [
      // No exclusion: Redis's port-down case (dsa110_port_up 0 with the listening error) pages twice.
      ['service="redis",check!~"access|firewall|listening|owner|systemd"', 'service="redis"', 'instance="Dsa110PortDown for redis: fires"'],
      // Host-wide without the registry exclusion: the registry error pages as Dsa110PortHealthFailing and again.
      ['service="",check!~"registry"', 'service=""', 'instance="Dsa110PortHealthFailing: fires"'],
      // Excluding a check no specific alert covers: the config error of Redis's own case goes unpaged.
      [
        'service="redis",check!~"access|firewall|listening|owner|systemd"',
        'service="redis",check!~"access|config|firewall|listening|owner|systemd"',
        'instance="Dsa110PortCheckError for redis: fires"',
      ],
    ] as const) {
      const files = monitoringFiles(registry).map((file) =>
        file.path.endsWith('.rules.yml') ? { ...file, contents: replaceOnce(file.contents, from, to) } : file,
      );
      const result = run('promtool', ['test', 'rules', join(writeTree(files), 'prometheus/tests/dsa110-ports.rules.test.yml')]);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toMatch(/alertname: Dsa110PortCheckError/);
      expect(result.output).toContain(expected);
    }
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

describe("Grafana's datasource", () => {
  const root = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');
  const written = (text: string) => {
    const registry = parseRegistry(text);
    return monitoringFiles(registry).find((file) => file.path === DATASOURCE_FILE)?.contents;
  };
  const url = (yaml: string | undefined) => parse(yaml!).datasources[0].url as string;

  it("points where `ports snippet grafana-datasource` does: at the upstream of the registry's grafana-datasource config", () => {
    // A second Prometheus (a lab one, on a port of its own): the config names which one Grafana reads.
    const lab = [
      '  - id: prometheus-lab',
      '    name: Lab Prometheus',
      '    group: monitoring',
      '    port: 9091',
      '    protocol: HTTP',
      '    access: localhost',
      '    configuredBy: { file: prometheus.yml }',
      '    robust: false',
      '    configs:',
      // Its own ARGS file: /etc/default/prometheus's one ARGS= line is the other Prometheus's port.
      '      - { kind: prometheus-args, path: /etc/default/prometheus-lab }',
      '    processes: [prometheus]',
      '',
    ].join('\n');
    const withLab = replaceOnce(root, '  - id: prometheus\n', `${lab}  - id: prometheus\n`);
    for (const upstream of ['prometheus', 'prometheus-lab']) {
      const text = replaceOnce(withLab, '{ kind: grafana-datasource, upstream: prometheus }', `{ kind: grafana-datasource, upstream: ${upstream} }`);
      const [snippet] = renderSnippets(parseRegistry(text), 'grafana-datasource');
      const port = parseRegistry(text).service(upstream).port;
      expect(url(snippet!.text), upstream).toBe(`http://localhost:${port}`);
      expect(url(written(text)), upstream).toBe(`http://localhost:${port}`);
    }
  });

  it('without a grafana-datasource config points at the service "prometheus", and without either is not written', () => {
    const unconfigured = replaceOnce(root, '    configs:\n      - { kind: grafana-datasource, upstream: prometheus }\n', '');
    expect(url(written(unconfigured))).toBe(`http://localhost:${parseRegistry(root).service('prometheus').port}`);
    expect(written(minimalRegistry)).toBeUndefined();
  });
});

describe("Grafana's dashboard", () => {
  it('has no row for a UDP service: its panels would read dsa110_port_up and the owner, access and firewall results, which the health check writes only for TCP', () => {
    const udp = [...relayService('drop-in'), ''].join('\n');
    const registry = parseRegistry(replaceOnce(minimalRegistry, 'reserved:\n', `${udp}reserved:\n`));
    const dashboard = JSON.parse(renderDashboard(registry)) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };
    const rows = dashboard.panels.filter((panel) => panel.type === 'row').map((panel) => panel.title);
    expect(rows).toEqual(['port-health-check', 'Redis: port 6379 (localhost, robust)', 'FastAPI: port 8000 (private networks, robust)']);
    const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    expect(queries.filter((query) => query.includes('"relay"'))).toEqual([]);
    // As the alert rules: those alerts are left out for it, and only its claim wiring and the catch-all remain.
    expect(
      alertRules(registry)
        .filter((rule) => rule.labels.service === 'relay')
        .map((rule) => rule.alert),
    ).toEqual(['Dsa110ClaimWiringMissing', 'Dsa110PortCheckError']);
  });
});

describe("Grafana's dashboard host list", () => {
  it("is read from a series every run of the health check writes (dsa110_port_up is a TCP service's only: a host whose services are all UDP was not listed)", () => {
    const dashboard = JSON.parse(renderDashboard(parseRegistry(minimalRegistry))) as { templating: { list: { name: string; query: { query: string } }[] } };
    expect(dashboard.templating.list[0]).toMatchObject({
      name: 'instance',
      query: { query: 'label_values(dsa110_port_health_last_run_timestamp_seconds, instance)' },
    });
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

describe('a Registry made with new Registry() from ids never validated', () => {
  /** The minimal registry, its Redis with `id` and a second Redis (6380) with `twin`. */
  function twins(id: string, twin: string): Registry {
    const parsed = parseRegistryText(minimalRegistry);
    if (!parsed.ok) throw new Error('the minimal registry does not parse');
    const redis = parsed.data.services.find((service) => service.id === 'redis')!;
    const services = [...parsed.data.services.filter((service) => service !== redis), { ...redis, id }, { ...redis, id: twin, port: 6380 }];
    return new Registry({ ...parsed.data, services }, 'odd.yaml');
  }

  it('refuses two services the health check would write as one service label, instead of alerting on the merged series', () => {
    const said =
      /^services "redis\\x01" and "redis\\\\x01" would be one series in Prometheus: both are written as the label value service="redis\\\\x01"; give each an id/;
    const odd = twins('redis\x01', 'redis\\x01');
    expect(() => monitoringFiles(odd)).toThrow(said);
    expect(() => renderAlertRules(odd)).toThrow(said);
    expect(() => renderAlertTests(odd)).toThrow(said);
    expect(() => renderDashboard(odd)).toThrow(said);
    // Cut to the same first 200 characters.
    const long = 'r'.repeat(230);
    expect(() => monitoringFiles(twins(`${long}-a`, `${long}-b`))).toThrow(
      /^services "r+…" and "r+…" \(they differ from character 232 on\) would be one series/,
    );
    // Ids that stay apart are written as before.
    expect(monitoringFiles(twins('redis', 'redis-2')).map((file) => file.path)).toEqual(
      monitoringFiles(parseRegistry(minimalRegistry)).map((file) => file.path),
    );
  });
  withPromtool(
    'its alerts match the label value the health check writes for an id prometheusLabel changes, and the unknown-service regex only the known values (promtool test rules)',
    () => {
      const parsed = parseRegistryText(minimalRegistry);
      if (!parsed.ok) throw new Error('the minimal registry does not parse');
      const redis = parsed.data.services.find((service) => service.id === 'redis')!;
      const long = `r${'x'.repeat(230)}`;
      // A control character (written `\x01`), a cut id, and two with regex metacharacters.
      const ids = ['redis\x01', long, 'api.v2', 'a+b'];
      const services = [...parsed.data.services.filter((service) => service !== redis), ...ids.map((id, index) => ({ ...redis, id, port: 6379 + index }))];
      const registry = new Registry({ ...parsed.data, services }, 'odd.yaml');
      const rules = alertRules(registry, { for: '1m' }).filter((rule) => rule.alert === 'Dsa110PortCheckError');
      const dir = tempDir('dsa110-odd-ids-');
      writeFileSync(join(dir, 'rules.yml'), renderAlertRules(registry, { for: '1m' }));
      // The series as port-health-check writes them: service="<prometheusLabel(id)>" (exposition escapes read as PromQL's).
      const written = (value: string, instance: string) =>
        `dsa110_port_check{service="${value}",check="config",severity="error",instance="${instance}",job="node"}`;
      // The alert as Prometheus makes it: the series' labels, the rule's (of the service `id`, else the unknown services'), and service= the series' value.
      const expected = (service: string, instance: string, id?: string) => {
        const names = (candidate: AlertRule) => [service, id].some((value) => candidate.expr.includes(`{service=${JSON.stringify(value)},`));
        const rule = rules.find((candidate) => (id === undefined ? candidate.labels.in_registry === 'false' : names(candidate)))!;
        const labels = { service, check: 'config', instance, job: 'node' };
        return {
          exp_labels: { alertname: rule.alert, ...rule.labels, ...labels },
          exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([key, template]) => [key, annotate(template, labels)])),
        };
      };
      const label = (id: string) => JSON.parse(`"${prometheusLabel(id)}"`) as string;
      const cases = [
        // Each known id's own alert (not the one for services these rules do not know).
        ...ids.map((id, index) => ({ series: written(prometheusLabel(id), `known-${index}`), alert: expected(label(id), `known-${index}`, id) })),
        // Values the unescaped regexes `api.v2` and `a+b` matched: services these rules do not know.
        { series: written('apixv2', 'stranger-dot'), alert: expected('apixv2', 'stranger-dot') },
        { series: written('aab', 'stranger-plus'), alert: expected('aab', 'stranger-plus') },
      ];
      const test = {
        rule_files: ['rules.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: cases.map(({ series }) => ({ series, values: '1x10' })),
            alert_rule_test: [{ eval_time: '5m', alertname: 'Dsa110PortCheckError', exp_alerts: cases.map(({ alert }) => alert) }],
          },
        ],
      };
      writeFileSync(join(dir, 'test.yml'), toYaml(test as never));
      expect(run('promtool', ['check', 'rules', join(dir, 'rules.yml')]).code).toBe(0);
      const result = run('promtool', ['test', 'rules', join(dir, 'test.yml')]);
      expect(result.code, result.output).toBe(0);
    },
  );
});
