// A key Prometheus's config structs have no field for, in a job, a mapping inside it, or global:, which a hostile
// tester found passed ("agrees with the registry") or, under a misspelled `statc_configs:`, read as targets: yaml.v2's
// strict reading refuses the whole file ("field static_config not found in type config.ScrapeConfig") and Prometheus
// exits at start. Held to the version the unit runs (dpkg's, as prometheus-version.test.ts reads it): an error for
// 2.42 (Debian 12's), whose fields the check holds; a warning, never an error, when the version is not known. Each
// file is checked against `promtool check config` (Debian's 2.42.0+ds), run here when installed.
import { describe, expect, it } from 'vitest';
import { promtoolSays } from './promtool.js';
import { prometheusProblems } from './prometheus-problems.js';

const FILE = '/etc/prometheus/prometheus.yml';
const UNIT = '[Service]\nEnvironmentFile=/etc/default/prometheus\nExecStart=/usr/bin/prometheus $ARGS\n';
const dpkg = (version: string) => ({
  'lib/systemd/system/prometheus.service': UNIT,
  'var/lib/dpkg/info/prometheus.list': '/.\n/usr\n/usr/bin\n/usr/bin/prometheus\n',
  'var/lib/dpkg/status': `Package: prometheus\nStatus: install ok installed\nVersion: ${version}\n`,
});
const DEBIAN = dpkg('2.42.0+ds-5+deb12u1');
const RUNS = 'prometheus.service runs Prometheus 2.42.0+ds-5+deb12u1 (the dpkg package prometheus that installed /usr/bin/prometheus, in /var/lib/dpkg/status)';

/** The error for `key` at `at` (line:col) in `what`, as promtool names its type. */
const refused = (at: string, key: string, what: string, type: string, fix: string) =>
  `error: prometheus (9090): ${FILE}:${at}: ${key}: ${RUNS}, which knows no field ${key} in ${what}, so it refuses the whole configuration and exits at start (promtool check config: "field ${key} not found in type ${type}"); ${fix}`;

/** promtool's words for the file, when it is installed: each `line N: field X not found in type T` it says (as `N X T`); none for SUCCESS. */
function promtoolFields(yml: string): string[] | undefined {
  const said = promtoolSays(yml);
  if (said === undefined) return undefined;
  if (said.includes('SUCCESS')) return [];
  return [
    ...said.matchAll(
      /line (\d+): field (\S+) not found in type (config\.ScrapeConfig|config\.plain|config\.OAuth2|config\.Authorization|file\.plain|relabel\.plain|struct \{.*?\})\n/g,
    ),
  ].map((match) => `${match[1]} ${match[2]} ${match[3]}`);
}

const TARGETS = "static_configs:\n      - targets: ['localhost:8000']";
const SC = 'config.ScrapeConfig';
const GROUP = 'struct { Targets []string "yaml:\\"targets\\""; Labels model.LabelSet "yaml:\\"labels\\"" }';

describe('a key a job, a mapping in it, or global: has no field for (Prometheus 2.42)', () => {
  const cases: { name: string; yml: string; promtool: string[]; problems: string[] }[] = [
    {
      name: 'static_config (no s): an error at the key, naming static_configs (was: agrees with the registry)',
      yml: "scrape_configs:\n  - job_name: dsa110-api\n    metrics_path: /metrics\n    static_config:\n      - targets: ['localhost:8000']\n",
      promtool: [`4 static_config ${SC}`],
      problems: [refused('4:5', 'static_config', 'a scrape job', SC, 'write static_configs, or remove it')],
    },
    {
      name: 'statc_configs with a target on another port: only the key, its targets are none Prometheus scrapes (was: the port)',
      yml: "scrape_configs:\n  - job_name: dsa110-api\n    statc_configs:\n      - targets: ['localhost:8001']\n",
      promtool: [`3 statc_configs ${SC}`],
      problems: [refused('3:5', 'statc_configs', 'a scrape job', SC, 'write static_configs, or remove it')],
    },
    {
      name: 'foo: 1 after static_configs (was: agrees with the registry)',
      yml: `scrape_configs:\n  - job_name: dsa110-api\n    ${TARGETS}\n    foo: 1\n`,
      promtool: [`5 foo ${SC}`],
      problems: [refused('5:5', 'foo', 'a scrape job', SC, 'remove it, or fix its name')],
    },
    {
      name: 'in an item whose keys start on the line after its `-` (`- &job`, `-` alone)',
      yml: "scrape_configs:\n  - &job\n    job_name: other\n    static_configs:\n      -\n        targets: ['localhost:1']\n        foo: 1\n  -\n    <<: *job\n    job_name: dsa110-api\n    scrape_intervl: 1m\n",
      // promtool names line 7 twice: the anchored job is read again where it is merged; said once here, where it is written.
      promtool: [`7 foo ${GROUP}`, `7 foo ${GROUP}`, `11 scrape_intervl ${SC}`],
      problems: [
        refused('7:9', 'foo', 'a static_configs entry', GROUP, 'remove it, or fix its name'),
        refused('11:5', 'scrape_intervl', 'a scrape job', SC, 'write scrape_interval, or remove it'),
      ],
    },
    {
      name: 'a job written as a flow mapping',
      yml: "scrape_configs:\n  - {job_name: dsa110-api, static_config: [{targets: ['localhost:8000']}]}\n",
      promtool: [`2 static_config ${SC}`],
      problems: [refused('2:28', 'static_config', 'a scrape job', SC, 'write static_configs, or remove it')],
    },
    {
      name: 'in a static_configs entry, block and flow',
      yml: "scrape_configs:\n  - job_name: dsa110-api\n    static_configs:\n      - targets: ['localhost:8000']\n        label: {a: b}\n  - job_name: other\n    static_configs: [{targets: ['localhost:1'], tragets: []}]\n",
      promtool: [`5 label ${GROUP}`, `7 tragets ${GROUP}`],
      problems: [
        refused('5:9', 'label', 'a static_configs entry', GROUP, 'write labels, or remove it'),
        refused('7:49', 'tragets', 'a static_configs entry', GROUP, 'write targets, or remove it'),
      ],
    },
    {
      name: 'in file_sd_configs, relabel_configs and metric_relabel_configs entries',
      yml: `scrape_configs:\n  - job_name: dsa110-api\n    ${TARGETS}\n    file_sd_configs:\n      - files: [a.yml]\n        refresh: 1m\n    relabel_configs:\n      - action: keep\n        regexp: x\n    metric_relabel_configs:\n      - {action: drop, source_label: [a]}\n`,
      promtool: ['7 refresh file.plain', '10 regexp relabel.plain', '12 source_label relabel.plain'],
      problems: [
        refused('7:9', 'refresh', 'a file_sd_configs entry', 'file.plain', 'remove it, or fix its name'),
        refused('10:9', 'regexp', 'a relabel_configs entry', 'relabel.plain', 'write regex, or remove it'),
        refused('12:24', 'source_label', 'a metric_relabel_configs entry', 'relabel.plain', 'write source_labels, or remove it'),
      ],
    },
    {
      name: "in the job's HTTP client settings: basic_auth, authorization, oauth2 and its tls_config, tls_config; a field of a later common (tls_config's ca, proxy_from_environment) too",
      yml: `scrape_configs:\n  - job_name: dsa110-api\n    ${TARGETS}\n    basic_auth: {username: a, pasword: b}\n    authorization: {credential: x}\n    oauth2:\n      client_id: a\n      token_url: http://h/\n      tls_config: {insecure: true}\n    tls_config:\n      ca: x\n    proxy_from_environment: true\n`,
      promtool: [
        '5 pasword config.plain',
        '6 credential config.Authorization',
        '10 insecure config.plain',
        '12 ca config.plain',
        `13 proxy_from_environment ${SC}`,
      ],
      problems: [
        refused('5:31', 'pasword', 'basic_auth', 'config.plain', 'write password, or remove it'),
        refused('6:21', 'credential', 'authorization', 'config.Authorization', 'write credentials, or remove it'),
        refused('10:20', 'insecure', 'a tls_config', 'config.plain', 'remove it, or fix its name'),
        refused('12:7', 'ca', 'a tls_config', 'config.plain', 'remove it, or fix its name'),
        refused('13:5', 'proxy_from_environment', 'a scrape job', SC, 'remove it, or fix its name'),
      ],
    },
    {
      name: 'in global:, and a field only a later release has (keep_dropped_targets, 2.47)',
      yml: `global:\n  scrape_intreval: 1m\nscrape_configs:\n  - job_name: dsa110-api\n    ${TARGETS}\n    keep_dropped_targets: 10\n`,
      promtool: ['2 scrape_intreval config.plain', `7 keep_dropped_targets ${SC}`],
      problems: [
        refused('2:3', 'scrape_intreval', 'global:', 'config.plain', 'write scrape_interval, or remove it'),
        refused('7:5', 'keep_dropped_targets', 'a scrape job', SC, 'remove it, or fix its name'),
      ],
    },
    {
      name: 'a discovery Debian builds without (consul_sd_configs)',
      yml: `scrape_configs:\n  - job_name: dsa110-api\n    ${TARGETS}\n    consul_sd_configs: []\n`,
      promtool: [`5 consul_sd_configs ${SC}`],
      problems: [
        `error: prometheus (9090): ${FILE}:5:5: consul_sd_configs: ${RUNS}, which Debian builds without this discovery, so it refuses the whole configuration and exits at start (promtool check config: "field consul_sd_configs not found in type ${SC}"); remove it, or fix its name`,
      ],
    },
    {
      name: 'every field of each struct the check holds, and any label or param name: no finding (promtool passes it)',
      yml: [
        'global:',
        '  scrape_interval: 1m',
        '  scrape_timeout: 10s',
        '  evaluation_interval: 1m',
        '  query_log_file: /tmp/q.log',
        '  external_labels: {any_name: x}',
        'scrape_configs:',
        '  - job_name: dsa110-api',
        '    honor_labels: false',
        '    honor_timestamps: true',
        '    params: {anything: [x]}',
        '    scrape_interval: 1m',
        '    scrape_timeout: 10s',
        '    metrics_path: /metrics',
        '    scheme: http',
        '    body_size_limit: 1MB',
        '    sample_limit: 1',
        '    target_limit: 1',
        '    label_limit: 1',
        '    label_name_length_limit: 1',
        '    label_value_length_limit: 1',
        "    static_configs: [{targets: ['localhost:8000'], labels: {targets: x}}]",
        '    file_sd_configs: [{files: [a.yml], refresh_interval: 1m}]',
        '    dns_sd_configs: [{names: [a.example], type: A, port: 1}]',
        '    relabel_configs: [{source_labels: [a], separator: ;, regex: x, modulus: 0, target_label: b, replacement: c, action: replace}]',
        '    metric_relabel_configs: []',
        '    basic_auth: {username: a, password_file: /p}',
        '    tls_config: {ca_file: /c, cert_file: /c, key_file: /k, server_name: s, insecure_skip_verify: false, min_version: TLS12, max_version: TLS13}',
        '    follow_redirects: true',
        '    enable_http2: true',
        '  - job_name: other',
        "    static_configs: [{targets: ['localhost:1']}]",
        '    authorization: {type: Bearer, credentials_file: /c}',
        '    proxy_url: http://p/',
        '    proxy_connect_header: {a: [b]}',
        '  - job_name: third',
        "    static_configs: [{targets: ['localhost:2']}]",
        '    oauth2: {client_id: a, client_secret_file: /s, scopes: [a], token_url: http://t/, endpoint_params: {a: b}, tls_config: {ca_file: /c}}',
        '',
      ].join('\n'),
      promtool: [],
      problems: [],
    },
  ];

  for (const { name, yml, promtool, problems } of cases)
    it(name, async () => {
      expect(promtoolFields(yml) ?? promtool).toEqual(promtool);
      expect(await prometheusProblems(yml, DEBIAN)).toEqual(problems);
    });
});

describe('a version whose fields the check does not hold: never an error', () => {
  const typo = `scrape_configs:\n  - job_name: dsa110-api\n    metrics_path: /metrics\n    static_config:\n      - targets: ['localhost:8000']\n`;
  const later = `scrape_configs:\n  - job_name: dsa110-api\n    ${TARGETS}\n    keep_dropped_targets: 10\n    consul_sd_configs: []\n`;

  it('a key no release from 2.42 to 3.14 has: a warning saying which version runs, or why that is not known', async () => {
    const warned = (which: string) =>
      `warning: prometheus (9090): ${FILE}:4:5: static_config: no Prometheus release from 2.42 to 3.14 knows a field static_config in a scrape job, and ${which}; one that does not refuses the whole configuration and exits at start (promtool check config: "field static_config not found in type config.ScrapeConfig"); write static_configs, or remove it, and run promtool check config on the file`;
    expect(await prometheusProblems(typo, dpkg('2.53.1+ds-1'))).toEqual([
      warned('prometheus.service runs Prometheus 2.53.1+ds-1, whose fields this check does not hold'),
    ]);
    const { 'var/lib/dpkg/status': _, ...noStatus } = DEBIAN;
    expect(await prometheusProblems(typo, { 'lib/systemd/system/prometheus.service': UNIT })).toEqual([
      warned(
        'which Prometheus reads this file is not known (prometheus.service: no dpkg package lists /usr/bin/prometheus, so its version is not known here (the check does not run it))',
      ),
    ]);
    expect((await prometheusProblems(typo, noStatus))[0]).toMatch(/^warning: .*static_config: no Prometheus release/);
  });

  it('a key a later release takes, or upstream 2.42 (a discovery Debian leaves out): nothing', async () => {
    expect(await prometheusProblems(later, dpkg('3.5.0+ds-1'))).toEqual([]);
    expect(await prometheusProblems(later, { 'lib/systemd/system/prometheus.service': UNIT })).toEqual([]);
    // Upstream's 2.42 registers consul; it does not know keep_dropped_targets.
    expect(await prometheusProblems(later, dpkg('2.42.0-1'))).toEqual([
      `error: prometheus (9090): ${FILE}:5:5: keep_dropped_targets: prometheus.service runs Prometheus 2.42.0-1 (the dpkg package prometheus that installed /usr/bin/prometheus, in /var/lib/dpkg/status), which knows no field keep_dropped_targets in a scrape job, so it refuses the whole configuration and exits at start (promtool check config: "field keep_dropped_targets not found in type config.ScrapeConfig"); remove it, or fix its name`,
    ]);
  });
});

describe('many keys no field takes (a generated file)', () => {
  it('says the first ten one by one, then counts the rest in one finding', async () => {
    const jobs = Array.from({ length: 30 }, (_, index) => `  - job_name: j${index}\n    static_configs: [{targets: ['localhost:1']}]\n    foo: 1\n`);
    const yml = `scrape_configs:\n  - job_name: dsa110-api\n    ${TARGETS}\n${jobs.join('')}`;
    const problems = await prometheusProblems(yml, DEBIAN);
    expect(problems).toHaveLength(11);
    expect(problems[9]).toMatch(`${FILE}:34:5: foo: ${RUNS}, which knows no field foo in a scrape job`);
    expect(problems[10]).toBe(
      `error: prometheus (9090): ${FILE}:37: 20 more keys Prometheus may not know are in this file from this line on (only the first 10 are said one by one); check each with promtool check config`,
    );
  });
});

describe("the version, from a host's whole dpkg status file", () => {
  it('is the prometheus stanza, not prometheus-node-exporter before it nor one named as a word in another', async () => {
    const status = [
      'Package: prometheus-node-exporter\nStatus: install ok installed\nVersion: 1.5.0-1+b6\nDepends: foo\n',
      'Package: adduser\nStatus: install ok installed\nVersion: 3.134\nDescription: Package: prometheus\n',
      'Package: prometheus\nStatus: install ok installed\nVersion: 2.42.0+ds-5+deb12u1\n',
      'Package: zsh\nStatus: install ok installed\nVersion: 5.9-4+b2\n',
    ].join('\n\n');
    const yml = `scrape_configs:\n  - job_name: dsa110-api\n    ${TARGETS}\n    foo: 1\n`;
    expect(await prometheusProblems(yml, { ...DEBIAN, 'var/lib/dpkg/status': status })).toEqual([
      refused('5:5', 'foo', 'a scrape job', SC, 'remove it, or fix its name'),
    ]);
  });
});
