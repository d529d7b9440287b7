// A key written twice in one mapping of prometheus.yml: Prometheus reads the
// file with yaml.v2's UnmarshalStrict, which refuses it whole (each case's
// error checked against `promtool check config`, run here when installed), so
// the repeat is the one error and nothing is advised from the file's values.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { hasCommand } from '../../../../../test-support/commands.js';
import { tempDir, withoutRoot, writeTree } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const promtool = hasCommand('promtool', ['--version']);
const FILE = '/etc/prometheus/prometheus.yml';

/** The references check's problems for prometheus, in a root with every snippet and then prometheus.yml `yml`. */
async function prometheusProblems(yml: string): Promise<string[]> {
  const snippets: Record<string, string> = { 'etc/systemd/system/dsa110-api.service': '[Service]\nExecStart=/usr/bin/true\n' };
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) snippets[snippet.path.slice(1)] = snippet.text;
  const root = writeTree(tempDir(), { ...snippets, 'etc/prometheus/prometheus.yml': yml });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('prometheus'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

/** What `promtool check config` says of the file (its output, refused or not); undefined without promtool. */
function promtoolSays(yml: string): string | undefined {
  if (!promtool) return undefined;
  const file = join(tempDir(), 'prometheus.yml');
  writeFileSync(file, yml);
  try {
    return execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    return `${stdout}${stderr}`;
  }
}

const refused = (at: string, key: string, first: number, promtoolWords = `field ${key} already set`) =>
  `error: prometheus (9090): ${FILE}:${at}: Prometheus refuses this file: ${key} is already set at line ${first} (promtool check config: ${promtoolWords}); remove one of them`;

describe('a key repeated in one mapping of prometheus.yml', () => {
  it('static_configs twice in a job: the one error, at the second (was nothing)', async () => {
    const yml =
      "scrape_configs:\n  - job_name: 'dsa110-api'\n    static_configs:\n      - targets: ['localhost:8000']\n    static_configs:\n      - targets: ['localhost:8000']\n";
    expect(promtoolSays(yml) ?? 'line 5: field static_configs already set').toMatch('line 5: field static_configs already set in type config.ScrapeConfig');
    expect(await prometheusProblems(yml)).toEqual([refused('5:5', 'static_configs', 3)]);
  });

  it('static_configs twice with different ports: no advice to edit a target of a file Prometheus does not load (was: edit the first)', async () => {
    const yml =
      "scrape_configs:\n  - job_name: 'dsa110-api'\n    static_configs:\n      - targets: ['localhost:9999']\n    static_configs:\n      - targets: ['localhost:8001']\n";
    expect(await prometheusProblems(yml)).toEqual([refused('5:5', 'static_configs', 3)]);
  });

  it('global twice at the top level (was nothing); the job, which does not depend on it, is still judged', async () => {
    const yml =
      "scrape_configs:\n  - job_name: 'dsa110-api'\n    static_configs:\n      - targets: ['localhost:8000']\nglobal:\n  scrape_interval: 15s\nglobal:\n  scrape_interval: 15s\n";
    expect(promtoolSays(yml) ?? 'line 7: field global already set').toMatch('line 7: field global already set in type config.plain');
    expect(await prometheusProblems(yml)).toEqual([refused('7:1', 'global', 5)]);
  });

  it('job_name twice in one job: the repeat, not a second job with no targets (was "defined again" and "has no targets")', async () => {
    const yml = "scrape_configs:\n  - job_name: 'dsa110-api'\n    job_name: 'dsa110-api'\n    static_configs:\n      - targets: ['localhost:8000']\n";
    expect(promtoolSays(yml) ?? 'line 3: field job_name already set').toMatch('line 3: field job_name already set in type config.ScrapeConfig');
    expect(await prometheusProblems(yml)).toEqual([refused('3:5', 'job_name', 2)]);
  });

  it('targets twice in a static_configs entry, a label twice in its labels, a key spelled once quoted', async () => {
    const targets =
      "scrape_configs:\n  - job_name: dsa110-api\n    static_configs:\n      - targets: ['localhost:8000']\n        targets: ['localhost:8001']\n";
    expect(promtoolSays(targets) ?? 'line 5: field targets already set').toMatch('line 5: field targets already set');
    expect(await prometheusProblems(targets)).toEqual([refused('5:9', 'targets', 4)]);
    const labels =
      "scrape_configs:\n  - job_name: dsa110-api\n    static_configs:\n      - targets: ['localhost:8000']\n        labels:\n          x: '1'\n          x: '2'\n";
    expect(promtoolSays(labels) ?? 'line 7: key "x" already set in map').toMatch('line 7: key "x" already set in map');
    expect(await prometheusProblems(labels)).toEqual([refused('7:11', 'x', 6, 'key "x" already set in map')]);
    const quoted = "scrape_configs:\n  - job_name: dsa110-api\n    'static_configs':\n      - targets: ['localhost:8000']\n    \"static_configs\": []\n";
    expect(promtoolSays(quoted) ?? 'line 5: field static_configs already set').toMatch('line 5: field static_configs already set');
    expect(await prometheusProblems(quoted)).toEqual([refused('5:5', 'static_configs', 3)]);
  });

  it('scrape_configs twice: the repeat, and no job of either is judged', async () => {
    const yml = "scrape_configs:\n  - job_name: dsa110-api\n    static_configs: [{targets: ['localhost:8001']}]\nscrape_configs:\n  - job_name: other\n";
    expect(promtoolSays(yml) ?? 'line 4: field scrape_configs already set').toMatch('line 4: field scrape_configs already set');
    expect(await prometheusProblems(yml)).toEqual([refused('4:1', 'scrape_configs', 1)]);
  });

  it('not a repeat: a key a merge key also gives (the job own one wins), the same key in two jobs or two entries, a list at its key indentation', async () => {
    const merged =
      "scrape_configs:\n  - job_name: other\n    static_configs: &sc\n      - targets: ['localhost:9999']\n  - job_name: dsa110-api\n    <<: {static_configs: *sc, scrape_interval: 10s}\n    static_configs:\n    - targets: ['localhost:8000']\n      labels: {a: b}\n    - targets:\n      - localhost:8000\n      labels: {a: b}\n    scrape_interval: 5s\n";
    expect(promtoolSays(merged) ?? 'SUCCESS').toMatch('SUCCESS');
    expect(await prometheusProblems(merged)).toEqual([]);
  });
});
