// A scrape job renamed in prometheus.yml that still scrapes the service's port: Prometheus scrapes the service, so
// the finding names the job that does (at its file:line:col) and says to rename it back, never "does not scrape".
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { readPrometheusYml } from '../../../src/checks/references/prometheus.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const API = [{ job: 'dsa110-api', name: 'FastAPI', port: 8000, snippet: 'ports snippet prometheus-yml' }];
const RENAMED = 'scrape_configs:\n  - job_name: fastapi\n    static_configs:\n      - targets: [localhost:8000]\n';

/** The references check of Prometheus on a root of every snippet, prometheus.yml replaced by `yml`. */
async function prometheusProblems(yml: string, extra: Record<string, TreeEntry> = {}): Promise<[string, string][]> {
  const root = tempDir();
  const files: Record<string, TreeEntry> = {};
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) files[snippet.path.slice(1)] = snippet.text;
  writeTree(root, { ...files, 'etc/prometheus/prometheus.yml': yml, ...extra });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('prometheus'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => [result.severity, result.reason]);
}

describe('a renamed scrape job', () => {
  it('names the job that scrapes the port, at its file:line:col, and says to rename it back', async () => {
    expect(await prometheusProblems(RENAMED)).toEqual([
      [
        'error',
        "prometheus (9090): /etc/prometheus/prometheus.yml:2:5: no scrape job dsa110-api, but scrape job fastapi here scrapes FastAPI's port 8000 (targets localhost:8000): the registry names FastAPI's job dsa110-api, after its id; if that job is it renamed, rename its job_name back to dsa110-api, else add the dsa110-api job (ports snippet prometheus-yml prints what passes)",
      ],
    ]);
  });

  it('finds one in a scrape config file, or with its targets in a file_sd file, and names every other job that scrapes the port', () => {
    const files = new Map([
      [
        '/etc/prometheus/more.yml',
        { path: '/etc/prometheus/more.yml', text: 'scrape_configs:\n  - job_name: api\n    file_sd_configs:\n      - files: [jobs/api.json]\n' },
      ],
      ['/etc/prometheus/jobs/api.json', { path: '/etc/prometheus/jobs/api.json', text: '[{"targets": ["127.0.0.1:8000"]}]\n' }],
    ]);
    const lookup = (pattern: string) => {
      const file = files.get(pattern);
      return file ? { files: [file] } : undefined;
    };
    const yml =
      'scrape_config_files: [more.yml]\nscrape_configs:\n  - job_name: node\n    static_configs: [{targets: ["localhost:9100"]}]\n  - job_name: "fast\\e"\n    static_configs: [{targets: ["[::1]:8000"]}]\n';
    expect(readPrometheusYml(yml, API, lookup)).toEqual([
      {
        line: 5,
        column: 5,
        severity: 'error',
        message:
          "no scrape job dsa110-api, but scrape job fast\\e here scrapes FastAPI's port 8000 (targets [::1]:8000) (so does scrape job api at /etc/prometheus/more.yml:2): the registry names FastAPI's job dsa110-api, after its id; if that job is it renamed, rename its job_name back to dsa110-api, else add the dsa110-api job (ports snippet prometheus-yml prints what passes)",
      },
    ]);
  });

  it('a job that scrapes another port, or this port on another host, is no rename: the job is missing, as before', () => {
    const none = {
      line: 0,
      severity: 'error',
      message: 'no scrape job dsa110-api, so Prometheus does not scrape FastAPI on port 8000 (ports snippet prometheus-yml)',
    };
    expect(readPrometheusYml(RENAMED.replace('localhost:8000', 'localhost:8001'), API)).toEqual([none]);
    expect(readPrometheusYml(RENAMED.replace('localhost:8000', 'db.example.org:8000'), API)).toEqual([none]);
    expect(readPrometheusYml('scrape_configs: []\n', API)).toEqual([none]);
  });

  it("another service's job of the registry on this port is that service's wrong port, never taken for the renamed job", () => {
    const both = [...API, { job: 'dsa110-grafana', name: 'Grafana', port: 3030, snippet: 'ports snippet prometheus-yml' }];
    const yml = 'scrape_configs:\n  - job_name: dsa110-grafana\n    static_configs:\n      - targets: [localhost:8000]\n';
    const found = readPrometheusYml(yml, both);
    expect(found.find((finding) => finding.message.startsWith('no scrape job dsa110-api'))).toEqual({
      line: 0,
      severity: 'error',
      message: 'no scrape job dsa110-api, so Prometheus does not scrape FastAPI on port 8000 (ports snippet prometheus-yml)',
    });
    expect(found.some((finding) => finding.message.includes('rename'))).toBe(false);
  });
});
