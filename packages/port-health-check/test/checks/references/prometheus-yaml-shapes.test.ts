// prometheus.yml written in YAML shapes the line reader once read otherwise
// than Prometheus does: a key with an escape, a tag on the job's name, a
// and an empty first document. Each file's verdict is checked
// against `promtool check config` (run here when installed): the check says
// an error only where Prometheus would not scrape the service as the
// registry says, and never passes a file Prometheus reads otherwise.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers.js';
import { promtool, promtoolSays } from './promtool.js';
import { prometheusProblems } from './prometheus-problems.js';

const FILE = '/etc/prometheus/prometheus.yml';

/** Expects promtool (when installed) to accept the file. */
function acceptedByPromtool(yml: string): void {
  if (!promtool) return;
  const file = join(tempDir(), 'prometheus.yml');
  writeFileSync(file, yml);
  expect(execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8', stdio: 'pipe' })).toMatch('SUCCESS');
}

const wrongPort = (at: string) =>
  `error: prometheus (9090): ${FILE}:${at}: scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)`;
const noJob = `error: prometheus (9090): ${FILE}: no scrape job dsa110-api, so Prometheus does not scrape FastAPI on port 8000 (ports snippet prometheus-yml)`;

/** The dsa110-api job scraping `port`, under the top-level key written `key`, its job_name key written `name`. */
const job = (port: number, key = 'scrape_configs', name = 'job_name: dsa110-api') =>
  `${key}:\n  - ${name}\n    static_configs:\n      - targets: ['localhost:${port}']\n`;

describe('keys as YAML reads them', () => {
  it('an escaped top-level key ("scrape_\\x63onfigs") is scrape_configs (was "knows no top-level key" and "no scrape job")', async () => {
    const key = '"scrape_\\x63onfigs"';
    acceptedByPromtool(job(8000, key));
    expect(await prometheusProblems(job(8000, key))).toEqual([]);
    expect(await prometheusProblems(job(8001, key))).toEqual([wrongPort('4:20')]);
  });

  it('an escaped job_name key, and a tag on the name, are read by the YAML parser (each was "no scrape job")', async () => {
    for (const name of ['"job_n\\x61me": dsa110-api', 'job_name: !!str dsa110-api']) {
      acceptedByPromtool(job(8000, undefined, name));
      expect(await prometheusProblems(job(8000, undefined, name)), name).toEqual([]);
      // Placed at the job's line and column, as a job the YAML parser reads is.
      expect(await prometheusProblems(job(8001, undefined, name)), name).toEqual([wrongPort('2:5')]);
    }
  });
});

describe('explicit keys and directives', () => {
  it('an explicit key (`? job_name` with `: dsa110-api` on the next line) is read by the YAML parser (was "no scrape job")', async () => {
    const name = '? job_name\n    : dsa110-api';
    acceptedByPromtool(job(8000, undefined, name));
    expect(await prometheusProblems(job(8000, undefined, name))).toEqual([]);
    expect(await prometheusProblems(job(8001, undefined, name))).toEqual([wrongPort('2:5')]);
  });

  it('a `%YAML 1.1` directive before the first `---` is no content: the document after it is read (was "no scrape job")', async () => {
    acceptedByPromtool(`%YAML 1.1\n---\n${job(8000)}`);
    expect(await prometheusProblems(`%YAML 1.1\n---\n${job(8000)}`)).toEqual([]);
    expect(await prometheusProblems(`%YAML 1.1\n---\n${job(8001)}`)).toEqual([wrongPort('6:20')]);
  });
});

describe('anchor and alias names Prometheus parser does not read', () => {
  const refusedName = (at: string, written: string) =>
    `error: prometheus (9090): ${FILE}:${at}: Prometheus refuses this file: the YAML anchor or alias ${written} has a name Go's yaml.v2 does not read, which takes only letters, digits, _ and - (promtool check config: did not find expected alphabetic or numeric character); rename it so, or quote the value if it is text`;

  /** What `promtool check config` says of a file it refuses (undefined without promtool). */

  it('a `.` in an anchor name, or a target written `*.example.com` unquoted: the file is refused, no job judged (was judged as the yaml package reads it)', async () => {
    const dotted =
      "scrape_configs:\n  - job_name: other\n    static_configs: &sc.api\n      - targets: ['localhost:8001']\n  - job_name: dsa110-api\n    static_configs: *sc.api\n";
    expect(promtoolSays(dotted) ?? 'line 3: did not find expected alphabetic or numeric character').toMatch(
      'line 3: did not find expected alphabetic or numeric character',
    );
    expect(await prometheusProblems(dotted)).toEqual([refusedName('3:21', '&sc.api')]);
    const star = `${job(8000)}      - targets:\n          - *.example.com:8000\n`;
    expect(promtoolSays(star) ?? 'line 6: did not find expected alphabetic or numeric character').toMatch(
      'line 6: did not find expected alphabetic or numeric character',
    );
    expect(await prometheusProblems(star)).toEqual([refusedName('6:13', '*.example.com:8000')]);
  });

  it('not refused: names of letters, digits, _ and -, and a `*` or `&` inside a plain or quoted scalar', async () => {
    const yml =
      "scrape_configs:\n  - job_name: other\n    static_configs: &sc_api-1 [{targets: ['localhost:9999']}]\n  - job_name: dsa110-api\n    relabel_configs:\n      - regex: a *b,*c .* &d\n        source_labels: [a]\n        target_label: b\n      - {regex: '&x *y', source_labels: [a], target_label: b}\n    static_configs: [{targets: ['localhost:8000']}]\n  - job_name: third\n    static_configs: *sc_api-1\n";
    acceptedByPromtool(yml);
    expect(await prometheusProblems(yml)).toEqual([]);
  });
});

describe('what Prometheus reads of the file', () => {
  it('`---` twice: the first document is empty, and that is all Prometheus reads (was ok, from the second)', async () => {
    const yml = `---\n---\n${job(8000)}`;
    acceptedByPromtool(yml);
    acceptedByPromtool('---\n---\nno_such_key: 1\n'); // the second document is never read
    expect(await prometheusProblems(yml)).toEqual([noJob]);
  });
});
