// prometheus.yml files Prometheus's parser (Go's yaml.v2) refuses whole,
// which a hostile tester found passed or judged as if loaded: two jobs of one
// name, a quoted `<<`, a merge of what is not a mapping, directives yaml.v2
// refuses. Each is checked against `promtool check config` (2.42), run here
// when installed.
import { describe, expect, it } from 'vitest';
import { promtoolSays as promtoolOutput } from './promtool.js';
import { prometheusProblems } from './prometheus-problems.js';

const FILE = '/etc/prometheus/prometheus.yml';

/** What `promtool check config` says of the file (its output, refused or not); `expected` without promtool. */
const promtoolSays = (yml: string, expected: string): string => promtoolOutput(yml) ?? expected;

const API = "  - job_name: dsa110-api\n    static_configs: [{targets: ['localhost:8000']}]\n";

const refused = (at: string, message: string) => `error: prometheus (9090): ${FILE}:${at}: ${message}`;

describe('two scrape jobs of one name, whatever the name: Prometheus loads none of the file', () => {
  const twice = (name: string, first: number | string) =>
    `scrape job ${name} is defined again (first at ${FILE}:${first}), so Prometheus refuses the configuration (promtool check config: found multiple scrape configs with job name "${name}"); rename one of them`;

  it('two jobs named other beside dsa110-api: an error at the second naming the first (was a pass)', async () => {
    const yml = `scrape_configs:\n${API}  - job_name: other\n    static_configs: [{targets: ['localhost:1']}]\n  - job_name: other\n    static_configs: [{targets: ['localhost:2']}]\n`;
    expect(promtoolSays(yml, 'found multiple scrape configs with job name "other"')).toMatch('found multiple scrape configs with job name "other"');
    expect(await prometheusProblems(yml)).toEqual([refused('6', twice('other', 4))]);
  });

  it('a merge key after job_name that names the job as another: the duplicate at the merged job (was a pass)', async () => {
    const yml = `scrape_configs:\n${API}  - &a\n    job_name: other\n    static_configs: [{targets: ['localhost:1']}]\n  - job_name: x\n    <<: *a\n`;
    expect(promtoolSays(yml, 'found multiple scrape configs with job name "other"')).toMatch('found multiple scrape configs with job name "other"');
    expect(await prometheusProblems(yml)).toEqual([refused('7', twice('other', 5))]);
  });
});

describe("a quoted '<<' is a key named <<, not a merge key (yaml.v2)", () => {
  const quoted =
    "Prometheus refuses this file: a quoted '<<' is a key named <<, not a merge key, as Go's yaml.v2 reads it (promtool check config: field << not found); write << unquoted to merge, or remove the key";

  it('in a job, single or double quoted: an error at the key, and what it holds is no job (was a pass: merged)', async () => {
    for (const key of ["'<<'", '"<<"']) {
      const yml = `scrape_configs:\n  - job_name: x\n    ${key}: {job_name: dsa110-api, static_configs: [{targets: ['localhost:8000']}]}\n`;
      expect(promtoolSays(yml, 'field << not found in type config.ScrapeConfig')).toMatch('field << not found in type config.ScrapeConfig');
      expect(await prometheusProblems(yml)).toEqual([refused('3:5', quoted)]);
    }
  });

  it('in labels: the label << Prometheus refuses (was a pass: merged)', async () => {
    const yml = `scrape_configs:\n  - job_name: dsa110-api\n    static_configs: [{targets: ['localhost:8000'], labels: {"<<": {a: b}}}]\n`;
    expect(promtoolSays(yml, '"<<" is not a valid label name')).toMatch('"<<" is not a valid label name');
    expect(await prometheusProblems(yml)).toEqual([
      refused(
        '3:61',
        'Prometheus refuses this file: the label "<<" is not a valid label name (promtool check config: "<<" is not a valid label name); name it with letters, digits and _ only, not starting with a digit',
      ),
    ]);
  });
});

describe('a merge key whose value is no mapping: Prometheus refuses the file', () => {
  const bad =
    'Prometheus refuses this file: this merge key (<<) merges what is not a mapping (promtool check config: map merge requires map or sequence of maps as the value); merge a mapping, an alias of one, or a list of those';

  it('in labels ({<<: x}, {<<: [x]}), in a job (<<: x, <<: [[a]]): an error at the << (was a pass, or unknown)', async () => {
    const labels = (value: string) =>
      `scrape_configs:\n  - job_name: dsa110-api\n    static_configs: [{targets: ['localhost:8000'], labels: {<<: ${value}}}]\n`;
    const job = (value: string) => `scrape_configs:\n  - job_name: dsa110-api\n    <<: ${value}\n    static_configs: [{targets: ['localhost:8000']}]\n`;
    for (const [yml, at] of [
      [labels('x'), '3:61'],
      [labels('[x]'), '3:61'],
      [labels('[[a]]'), '3:61'],
      [job('x'), '3:5'],
      [job('[[a]]'), '3:5'],
      [job('[x]'), '3:5'],
    ] as const) {
      expect(promtoolSays(yml, 'map merge requires map or sequence of maps as the value'), yml).toMatch(
        'map merge requires map or sequence of maps as the value',
      );
      expect(await prometheusProblems(yml), yml).toEqual([refused(at, bad)]);
    }
  });

  it('a merge of a mapping, an alias of one, or a list of those is no error', async () => {
    const yml = `scrape_configs:\n  - job_name: dsa110-api\n    static_configs: [{targets: ['localhost:8000'], labels: &l {a: b}}, {targets: ['localhost:8000'], labels: {<<: [*l, {c: d}]}}]\n    <<: {scrape_interval: 1m}\n`;
    expect(promtoolSays(yml, 'SUCCESS')).toMatch('SUCCESS');
    expect(await prometheusProblems(yml)).toEqual([]);
  });
});

describe('directives yaml.v2 refuses: an error at the line', () => {
  const API_FILE = `---\nscrape_configs:\n${API}`;
  it('%YAML 1.2, %FOO bar, %YAML twice, a %TAG handle twice (was a pass); %YAML 1.1 passes', async () => {
    for (const [head, words] of [
      ['%YAML 1.2\n', 'found incompatible YAML document'],
      ['%FOO bar\n', 'found unknown directive name'],
      ['%YAML 1.1\n%YAML 1.1\n', 'found duplicate %YAML directive'],
      ['%TAG ! tag:x,2000:\n%TAG ! tag:y,2000:\n', 'found duplicate %TAG directive'],
    ] as const) {
      const yml = `${head}${API_FILE}`;
      expect(promtoolSays(yml, words), yml).toMatch(words);
      const line = head.split('\n').length - 1;
      expect(await prometheusProblems(yml), yml).toEqual([
        refused(
          `${line}:1`,
          `Prometheus refuses this file: Go's yaml.v2 does not take this directive (promtool check config: ${words}); remove the line, or write %YAML 1.1 once`,
        ),
      ]);
    }
    const good = `%YAML 1.1\n${API_FILE}`;
    expect(promtoolSays(good, 'SUCCESS')).toMatch('SUCCESS');
    expect(await prometheusProblems(good)).toEqual([]);
  });
});

describe('a block mapping on the --- line: yaml.v2 refuses the file', () => {
  const onMarker = (key: string) =>
    `Prometheus refuses this file: Go's yaml.v2 takes no block mapping on the --- line (promtool check config: mapping values are not allowed in this context); put ${key}: on the next line, at column 1`;

  it('--- global:, --- &a scrape_configs:, --- "global": an error at the key (was a pass)', async () => {
    for (const [yml, at, key] of [
      [`--- global:\n  scrape_interval: 15s\nscrape_configs:\n${API}`, '1:5', 'global'],
      [`# c\n%YAML 1.1\n--- &a scrape_configs:\n${API}`, '3:8', 'scrape_configs'],
      [`--- "global": {}\nscrape_configs:\n${API}`, '1:5', '"global"'],
    ] as const) {
      expect(promtoolSays(yml, 'mapping values are not allowed in this context'), yml).toMatch('mapping values are not allowed in this context');
      expect(await prometheusProblems(yml), yml).toEqual([refused(at, onMarker(key))]);
    }
  });

  it('a flow mapping on the --- line, a comment after it, or the mapping on a second document: still read', async () => {
    for (const yml of [
      "--- {scrape_configs: [{job_name: dsa110-api, static_configs: [{targets: ['localhost:8000']}]}]}\n",
      `--- # c\nscrape_configs:\n${API}`,
      `---\nscrape_configs:\n${API}--- global:\n`,
    ]) {
      expect(promtoolSays(yml, 'SUCCESS'), yml).toMatch('SUCCESS');
      expect(await prometheusProblems(yml), yml).toEqual([]);
    }
  });
});

describe('a refused label name is quoted as promtool quotes it', () => {
  it('an empty one shows as "" (was two spaces), an escape once as "a\\x00" (was "a\\\\x00")', async () => {
    for (const [written, shown] of [
      ["''", ''],
      ['"a\\x00"', 'a\\x00'],
    ] as const) {
      const yml = `scrape_configs:\n  - job_name: dsa110-api\n    static_configs: [{targets: ['localhost:8000'], labels: {${written}: b}}]\n`;
      expect(promtoolSays(yml, `"${shown}" is not a valid label name`)).toMatch(`"${shown}" is not a valid label name`);
      expect(await prometheusProblems(yml)).toEqual([
        refused(
          '3:61',
          `Prometheus refuses this file: the label "${shown}" is not a valid label name (promtool check config: "${shown}" is not a valid label name); name it with letters, digits and _ only, not starting with a digit`,
        ),
      ]);
    }
  });
});
