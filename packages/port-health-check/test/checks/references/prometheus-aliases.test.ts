// prometheus.yml with YAML anchors, aliases and merge keys in scrape_configs:
// each is resolved as Prometheus's parser resolves it (Prometheus 2.42, run
// by hand on a loopback port, scraped each job's resolved targets), and a
// file whose aliases cannot be resolved is unknown, never "no targets".
import { describe, expect, it } from 'vitest';
import { promtoolSays } from './promtool.js';
import { prometheusProblems } from './prometheus-problems.js';

describe('scrape_configs with anchors, aliases and merge keys', () => {
  it('a job whose static_configs is an alias is judged on the targets it resolves to', async () => {
    const yml = (port: number) =>
      `scrape_configs:\n  - job_name: other\n    static_configs: &sc\n      - targets: ['localhost:${port}']\n  - job_name: dsa110-api\n    static_configs: *sc\n`;
    expect(await prometheusProblems(yml(8000))).toEqual([]);
    expect(await prometheusProblems(yml(8001))).toEqual([
      'error: prometheus (9090): /etc/prometheus/prometheus.yml:5:5: scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
    ]);
  });

  it('a job made by a merge key, or an alias of a whole job, scrapes what it merges', async () => {
    const base = "  - &base\n    job_name: other\n    static_configs:\n      - targets: ['localhost:8000']\n";
    expect(await prometheusProblems(`scrape_configs:\n${base}  - <<: *base\n    job_name: dsa110-api\n`)).toEqual([]);
    // `- *job` repeats the job, name and all: Prometheus refuses two jobs of one name.
    const twice = await prometheusProblems(
      `scrape_configs:\n  - &job\n    job_name: dsa110-api\n    static_configs: [{targets: ['localhost:8000']}]\n  - *job\n`,
    );
    expect(twice).toEqual([
      'error: prometheus (9090): /etc/prometheus/prometheus.yml:5: scrape job dsa110-api is defined again (first at /etc/prometheus/prometheus.yml:3), so Prometheus refuses the configuration (promtool check config: found multiple scrape configs with job name "dsa110-api"); rename one of them',
    ]);
  });

  it('an anchor on a job written as a flow mapping (`- &job {...}`), repeated by `- *job`: defined again, first at its line (was "this file is read twice")', async () => {
    const yml = "scrape_configs:\n  - &job {job_name: dsa110-api, static_configs: [{targets: ['localhost:8000']}]}\n  - *job\n";
    expect(promtoolSays(yml) ?? 'found multiple scrape configs with job name "dsa110-api"').toMatch('found multiple scrape configs with job name "dsa110-api"');
    expect(await prometheusProblems(yml)).toEqual([
      'error: prometheus (9090): /etc/prometheus/prometheus.yml:3: scrape job dsa110-api is defined again (first at /etc/prometheus/prometheus.yml:2), so Prometheus refuses the configuration (promtool check config: found multiple scrape configs with job name "dsa110-api"); rename one of them',
    ]);
    // Merged into a job of another name: that job scrapes what it merges.
    const merged = "scrape_configs:\n  - &job {job_name: other, static_configs: [{targets: ['localhost:8001']}]}\n  - {<<: *job, job_name: dsa110-api}\n";
    expect(promtoolSays(merged) ?? 'SUCCESS').toMatch('SUCCESS');
    expect(await prometheusProblems(merged)).toEqual([
      'error: prometheus (9090): /etc/prometheus/prometheus.yml:3:16: scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
    ]);
  });

  it('a job name given by an alias of another job name (`job_name: *n`): defined again at its own line (was "this file is read twice")', async () => {
    const yml =
      "scrape_configs:\n  - job_name: &n dsa110-api\n    static_configs: [{targets: ['localhost:8000']}]\n  - job_name: *n\n    static_configs: [{targets: ['localhost:8000']}]\n";
    expect(promtoolSays(yml) ?? 'found multiple scrape configs with job name "dsa110-api"').toMatch('found multiple scrape configs with job name "dsa110-api"');
    expect(await prometheusProblems(yml)).toEqual([
      'error: prometheus (9090): /etc/prometheus/prometheus.yml:4: scrape job dsa110-api is defined again (first at /etc/prometheus/prometheus.yml:2), so Prometheus refuses the configuration (promtool check config: found multiple scrape configs with job name "dsa110-api"); rename one of them',
    ]);
  });

  it('a merge key after the job own keys overrides them, as Prometheus parser takes it (was: the job own won)', async () => {
    // Prometheus 2.42 loaded targets localhost:8000 for this job (its /api/v1/status/config): the merged ones.
    const targets =
      "scrape_configs:\n  - job_name: dsa110-api\n    static_configs:\n      - targets: ['localhost:8001']\n    <<: {static_configs: [{targets: ['localhost:8000']}]}\n";
    expect(promtoolSays(targets) ?? 'SUCCESS').toMatch('SUCCESS');
    expect(await prometheusProblems(targets)).toEqual([]);
    // The merge renames the job: two jobs named other, which promtool refuses, so it loads none of the file (was "no scrape job dsa110-api").
    const renamed =
      "scrape_configs:\n  - &base\n    job_name: other\n    static_configs:\n      - targets: ['localhost:8000']\n  - job_name: dsa110-api\n    <<: *base\n";
    expect(promtoolSays(renamed) ?? 'found multiple scrape configs with job name "other"').toMatch('found multiple scrape configs with job name "other"');
    expect(await prometheusProblems(renamed)).toEqual([
      'error: prometheus (9090): /etc/prometheus/prometheus.yml:6: scrape job other is defined again (first at /etc/prometheus/prometheus.yml:3), so Prometheus refuses the configuration (promtool check config: found multiple scrape configs with job name "other"); rename one of them',
    ]);
  });

  it('an anchor kept under a top-level key of its own (x-sc:): Prometheus refuses the whole file, whatever the job resolves to', async () => {
    const yml = "x-sc: &sc\n  static_configs:\n    - targets: ['localhost:8000']\nscrape_configs:\n  - job_name: dsa110-api\n    <<: *sc\n";
    expect(await prometheusProblems(yml)).toEqual([
      'error: prometheus (9090): /etc/prometheus/prometheus.yml:1: x-sc: Prometheus knows no top-level key x-sc and refuses the whole configuration (promtool check config: "field x-sc not found in type config.plain"); remove it, and keep a YAML anchor inside the job or section that uses it',
    ]);
  });

  it('file_sd_configs and relabel_configs given by an alias are read where they resolve', async () => {
    const yml =
      "scrape_configs:\n  - job_name: other\n    file_sd_configs: &f\n      - files: ['targets/*.yml']\n    relabel_configs: &r\n      - target_label: __scheme__\n        replacement: https\n" +
      '  - job_name: dsa110-api\n    file_sd_configs: *f\n    relabel_configs: *r\n';
    const target = (port: number) => ({ 'etc/prometheus/targets/api.yml': `- targets: ['localhost:${port}']\n` });
    expect(await prometheusProblems(yml, target(8000))).toEqual([
      'unknown: prometheus (9090): /etc/prometheus/prometheus.yml:8: scrape job dsa110-api: its scheme is set where this check does not read it (a relabelling of __scheme__, or YAML the parser does not read), so whether it scrapes FastAPI by http is not known',
    ]);
    expect((await prometheusProblems(yml, target(8001)))[1]).toEqual(
      'error: prometheus (9090): /etc/prometheus/targets/api.yml:1:14: scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
    );
  });

  it('an alias the parser cannot resolve is unknown, not "no targets" (nor "no scrape job" where it may give the job)', async () => {
    const item = 'scrape_configs:\n  - job_name: other\n    static_configs: []\n  - *nowhere\n';
    expect(await prometheusProblems(item)).toEqual([
      'unknown: prometheus (9090): /etc/prometheus/prometheus.yml:4: scrape_configs uses a YAML alias or merge key this check could not resolve (it cannot be read as YAML: Unresolved alias (the anchor must be set before the alias): nowhere): the jobs it gives are not checked',
      'unknown: prometheus (9090): /etc/prometheus/prometheus.yml: no scrape job dsa110-api found, and a YAML alias or merge key of scrape_configs could not be resolved (see above): it may be there, so whether Prometheus scrapes FastAPI on port 8000 is not known',
    ]);
    const yml = 'scrape_configs:\n  - job_name: dsa110-api\n    static_configs: *nowhere\n';
    expect(await prometheusProblems(yml)).toEqual([
      'unknown: prometheus (9090): /etc/prometheus/prometheus.yml:2: scrape job dsa110-api uses a YAML alias or merge key this check could not resolve (it cannot be read as YAML: Unresolved alias (the anchor must be set before the alias): nowhere), so whether it scrapes FastAPI on port 8000 is not known',
    ]);
  });

  it('a job the parser reads is placed at its line and column, as the line reader places one (was file:line alone)', async () => {
    // Its name from an alias: placed at its item, where the alias gives it.
    const yml =
      "global:\n  external_labels:\n    job: &name dsa110-api\nscrape_configs:\n  - job_name: *name\n    static_configs: [{targets: ['localhost:8001']}]\n";
    expect(await prometheusProblems(yml)).toEqual([
      'error: prometheus (9090): /etc/prometheus/prometheus.yml:5:5: scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
    ]);
    // A job written as a flow mapping: at its job_name key.
    const flow = "scrape_configs: [{job_name: dsa110-api, <<: {static_configs: [{targets: ['localhost:8001']}]}}]\n";
    expect(await prometheusProblems(flow)).toEqual([
      'error: prometheus (9090): /etc/prometheus/prometheus.yml:1:19: scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
    ]);
  });
});
