// prometheus.yml's jobs whose targets live in other files, read as Prometheus
// reads them (config/config.go, discovery/file/file.go): scrape_config_files
// (2.43+) and file_sd_configs, under --root, real files in temp trees from
// the fixtures beside this file, held to the real `promtool check config`
// (Debian's promtool, 2.42, predates scrape_config_files: it checks the
// scrape config file itself, a configuration of scrape_configs only).
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, type Registry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { goGlobPart } from '../../../src/checks/references/go-glob.js';
import { readTargetFile } from '../../../src/checks/references/prometheus-files.js';
import { readPrometheusYml } from '../../../src/checks/references/prometheus.js';
import { gather } from '../../../src/gather.js';
import type { CheckResult } from '../../../src/types.js';
import { hasCommand } from '../../../../../test-support/commands.js';
import { leasePort } from '../../../../../test-support/test-port.js';
import { closeServer, listeningOn, tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const fixtures = new URL('fixtures/', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const PROM = 'etc/prometheus';

const promtool = hasCommand('promtool', ['--version']);
if (!promtool) console.warn('[skipped: missing Debian package prometheus (promtool): install with sudo bash scripts/install-system-packages.sh]');

/** A root with every snippet where the registry says, /etc/prometheus replaced by a fixture (if any), then `extra`. */
function tree(fixture: string | undefined, extra: Record<string, TreeEntry> = {}): string {
  const root = tempDir();
  const files: Record<string, TreeEntry> = { 'etc/systemd/system/dsa110-api.service': '[Service]\nExecStart=/usr/bin/true\n' };
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) files[snippet.path.slice(1)] = snippet.text;
  writeTree(root, files);
  if (fixture) cpSync(join(fixtures, fixture), join(root, PROM), { recursive: true });
  for (const path of Object.keys(extra)) rmSync(join(root, path), { force: true });
  return writeTree(root, extra);
}

async function prometheusResults(root: string, reg: Registry = registry): Promise<CheckResult[]> {
  const facts = await gather({ registry: reg, root });
  return checkReferences(facts, reg.service('prometheus'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root));
}
/** What `promtool check config` says of the tree's prometheus.yml, refused or not. */
function promtoolSays(root: string): string {
  try {
    return execFileSync('promtool', ['check', 'config', join(root, PROM, 'prometheus.yml')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    return `${stdout}${stderr}`;
  }
}
const problems = async (root: string) => (await prometheusResults(root)).map((result) => [result.severity, result.reason]);

describe('file_sd_configs', () => {
  it('a job whose targets are only in file_sd files (JSON and YAML, from prometheus.yml’s directory) passes, and a wrong one is an error at its file:line:col', async () => {
    const root = tree('file-sd');
    expect(await problems(root)).toEqual([]);
    // The fixture is a configuration Prometheus takes, target files included.
    if (promtool) expect(execFileSync('promtool', ['check', 'config', join(root, PROM, 'prometheus.yml')], { encoding: 'utf8' })).toMatch(/SUCCESS/);
    const wrong = tree('file-sd', {
      [`${PROM}/targets/api/extra.yml`]: '- labels:\n    targets: x\n  targets:\n    - localhost:8000\n    - localhost:8001\n',
      // Go's glob, unlike glob(3), lets * match a leading dot: Prometheus reads this one too.
      [`${PROM}/targets/api/.hidden.json`]: '[\n  {"targets": [\n    "localhost:9000"]}]\n',
    });
    expect(await prometheusResults(wrong)).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason:
          'prometheus (9090): /etc/prometheus/targets/api/.hidden.json:3:6: scrape job dsa110-api targets localhost:9000, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes), or give FastAPI port: 9000 in the registry',
        file: '/etc/prometheus/targets/api/.hidden.json:3:6',
      }),
      expect.objectContaining({
        severity: 'error',
        reason:
          'prometheus (9090): /etc/prometheus/targets/api/extra.yml:5:7: scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
      }),
    ]);
  });

  it('a target whose port is no port (an escape, a stray letter, a byte that is not UTF-8) says so, escaped, never "another port"', async () => {
    const root = tree('file-sd', {
      [`${PROM}/targets/api/extra.yml`]: '- targets:\n    - "localhost:8000\\e"\n    - localhost:80x\n    - localhost:8000\n',
    });
    writeFileSync(join(root, PROM, 'targets/api/raw.json'), Buffer.from('[\n  {"targets": ["localhost:8000\x85"]}]\n', 'latin1'));
    const fix = 'so Prometheus does not scrape FastAPI on port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)';
    expect(await problems(root)).toEqual([
      [
        'error',
        `prometheus (9090): /etc/prometheus/targets/api/raw.json:2:17: scrape job dsa110-api targets localhost:8000\\x85, whose port "8000\\x85" is not a port (1 to 65535), ${fix}`,
      ],
      [
        'error',
        `prometheus (9090): /etc/prometheus/targets/api/extra.yml:2:8: scrape job dsa110-api targets localhost:8000\\e, whose port "8000\\e" is not a port (1 to 65535), ${fix}`,
      ],
      [
        'error',
        `prometheus (9090): /etc/prometheus/targets/api/extra.yml:3:7: scrape job dsa110-api targets localhost:80x, whose port "80x" is not a port (1 to 65535), ${fix}`,
      ],
    ]);
  });

  it('files that name no target are an error; a file Prometheus cannot parse is an error (as promtool says), one this check cannot read unknown', async () => {
    expect(await problems(tree('file-sd', { [`${PROM}/targets/api/main.json`]: '[]', [`${PROM}/targets/api/extra.yml`]: '[]\n' }))).toEqual([
      [
        'error',
        'prometheus (9090): /etc/prometheus/prometheus.yml:7: scrape job dsa110-api has no targets: its file_sd_configs files (targets/api/*.json, targets/api/*.yml) name none; add localhost:8000 to one',
      ],
    ]);
    const broken = tree('file-sd', { [`${PROM}/targets/api/main.json`]: '[null]\n', [`${PROM}/targets/api/extra.yml`]: { fifo: true } });
    expect(await problems(broken)).toEqual([
      [
        'error',
        'prometheus (9090): /etc/prometheus/targets/api/main.json:1:2: scrape job dsa110-api: Prometheus cannot read its targets: nil target group item found (index 0)',
      ],
      [
        'unknown',
        'prometheus (9090): /etc/prometheus/prometheus.yml:12: scrape job dsa110-api: file_sd_configs file targets/api/*.yml: /etc/prometheus/targets/api/extra.yml: it is a FIFO (named pipe), not a regular file; its targets are not checked',
      ],
    ]);
    if (promtool) {
      const refused = tree('file-sd', { [`${PROM}/targets/api/main.json`]: '[null]\n' });
      expect(() => execFileSync('promtool', ['check', 'config', join(refused, PROM, 'prometheus.yml')], { stdio: 'pipe' })).toThrow(/nil target group/);
    }
    const aliased = tree('file-sd', { [`${PROM}/targets/api/extra.yml`]: "- targets: &api ['localhost:8000']\n- targets: *api\n" });
    expect(await problems(aliased)).toEqual([
      [
        'unknown',
        'prometheus (9090): /etc/prometheus/targets/api/extra.yml: scrape job dsa110-api: line 1 uses YAML this check does not read (an anchor, alias, tag or block scalar); its targets are not checked',
      ],
    ]);
  });

  it('a file it cannot read makes only its own targets unknown: a wrong target in a sibling the glob names is still an error, whichever sorts first', async () => {
    // Prometheus reads each file_sd file on its own (discovery/file): one it cannot read leaves the others' targets scraped.
    const unreadable: Record<string, TreeEntry> = { FIFO: { fifo: true }, 'dangling link': { symlink: '/etc/prometheus/targets/api/gone.json' } };
    for (const [kind, entry] of Object.entries(unreadable)) {
      for (const name of ['0-first.json', 'z-last.json']) {
        const root = tree('file-sd', { [`${PROM}/targets/api/main.json`]: '[{"targets": ["localhost:8001"]}]\n', [`${PROM}/targets/api/${name}`]: entry });
        const why = kind === 'FIFO' ? 'it is a FIFO (named pipe), not a regular file' : 'no such file';
        expect(await problems(root), `${kind} ${name}`).toEqual([
          [
            'unknown',
            `prometheus (9090): /etc/prometheus/prometheus.yml:11: scrape job dsa110-api: file_sd_configs file targets/api/*.json: /etc/prometheus/targets/api/${name}: ${why}; its targets are not checked`,
          ],
          [
            'error',
            'prometheus (9090): /etc/prometheus/targets/api/main.json:1:16: scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
          ],
        ]);
      }
    }
  });

  it('a job whose readable file_sd files name no target, beside one it cannot read, is unknown (its targets may be there), never "no targets"', async () => {
    const root = tree('file-sd', {
      [`${PROM}/targets/api/main.json`]: '[]\n',
      [`${PROM}/targets/api/extra.yml`]: '[]\n',
      [`${PROM}/targets/api/other.yml`]: { fifo: true },
    });
    expect(await problems(root)).toEqual([
      [
        'unknown',
        'prometheus (9090): /etc/prometheus/prometheus.yml:12: scrape job dsa110-api: file_sd_configs file targets/api/*.yml: /etc/prometheus/targets/api/other.yml: it is a FIFO (named pipe), not a regular file; its targets are not checked',
      ],
    ]);
  });

  it('a path Prometheus refuses (not .json/.yml/.yaml, a * in a directory) is an error; a glob matching nothing names no targets', async () => {
    const yml = (files: string) =>
      tree(undefined, { [`${PROM}/prometheus.yml`]: `scrape_configs:\n  - job_name: dsa110-api\n    file_sd_configs:\n      - files: [${files}]\n` });
    expect(await problems(yml('targets/*.txt, t*/api.json'))).toEqual([
      [
        'error',
        'prometheus (9090): /etc/prometheus/prometheus.yml:4: scrape job dsa110-api: file_sd_configs file targets/*.txt: Prometheus refuses the configuration (a file_sd path must end in .json, .yml or .yaml, with a * only in its last part)',
      ],
      [
        'error',
        'prometheus (9090): /etc/prometheus/prometheus.yml:4: scrape job dsa110-api: file_sd_configs file t*/api.json: Prometheus refuses the configuration (a file_sd path must end in .json, .yml or .yaml, with a * only in its last part)',
      ],
      [
        'error',
        'prometheus (9090): /etc/prometheus/prometheus.yml:2: scrape job dsa110-api has no targets: its file_sd_configs files (targets/*.txt, t*/api.json) name none; add localhost:8000 to one',
      ],
    ]);
  });
});

describe('scrape_config_files', () => {
  it('a job in a scrape config file counts, its file_sd paths taken from that file’s directory; a glob matching nothing is fine', async () => {
    const root = tree('scrape-config-files');
    expect(await problems(root)).toEqual([]);
    // A scrape config file is itself a configuration of scrape_configs only, its paths taken from its directory:
    // promtool (2.42, before scrape_config_files) finds its target file there, as Prometheus 2.43+ does.
    if (promtool) {
      const checked = execFileSync('promtool', ['check', 'config', join(root, PROM, 'jobs/dsa110.yml')], { encoding: 'utf8', stdio: 'pipe' });
      expect(checked).toMatch(/SUCCESS/);
      expect(checked).not.toMatch(/WARNING/);
    }
    const wrong = tree('scrape-config-files', { [`${PROM}/jobs/targets/api.json`]: '[{ "targets": ["localhost:8080"] }]\n' });
    expect(await problems(wrong)).toEqual([
      [
        'error',
        'prometheus (9090): /etc/prometheus/jobs/targets/api.json:1:17: scrape job dsa110-api targets localhost:8080, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes), or give FastAPI port: 8080 in the registry',
      ],
    ]);
  });

  it('a job defined twice, or a file holding more than scrape_configs, is an error: Prometheus refuses the configuration', async () => {
    const twice = tree('scrape-config-files', {
      [`${PROM}/jobs/other.yml`]:
        "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: 'dsa110-api'\n    static_configs: [{targets: ['localhost:8000']}]\n",
    });
    expect(await problems(twice)).toEqual([
      [
        'error',
        'prometheus (9090): /etc/prometheus/jobs/other.yml:1: global: a scrape config file holds only scrape_configs:, so Prometheus refuses the configuration',
      ],
      [
        'error',
        'prometheus (9090): /etc/prometheus/jobs/other.yml:4: scrape job dsa110-api is defined again (first at /etc/prometheus/jobs/dsa110.yml:3), so Prometheus refuses the configuration (promtool check config: found multiple scrape configs with job name "dsa110-api"); rename one of them',
      ],
    ]);
  });

  it('a scrape config file of thousands of other top-level keys: the first 10 said, then one that counts the rest', async () => {
    const many = tree('scrape-config-files', { [`${PROM}/jobs/other.yml`]: Array.from({ length: 2000 }, (_, index) => `x${index}: 1\n`).join('') });
    const said = (await problems(many)).filter(([, reason]) => reason!.includes('/jobs/other.yml'));
    expect(said).toHaveLength(11);
    expect(said[10]).toEqual([
      'error',
      'prometheus (9090): /etc/prometheus/jobs/other.yml:11: 1990 more top-level keys other than scrape_configs: are in this scrape config file from this line on (only the first 10 are said one by one), so Prometheus refuses the configuration; remove them all',
    ]);
  });

  it('a scrape config file it cannot read is unknown, and so is a job that may be in it', async () => {
    const root = tree('scrape-config-files', { [`${PROM}/jobs/dsa110.yml`]: { fifo: true } });
    expect(await problems(root)).toEqual([
      [
        'unknown',
        'prometheus (9090): /etc/prometheus/prometheus.yml:6: scrape_config_files jobs/*.yml: /etc/prometheus/jobs/dsa110.yml: it is a FIFO (named pipe), not a regular file; a scrape job in it is not checked',
      ],
      [
        'unknown',
        'prometheus (9090): /etc/prometheus/prometheus.yml: no scrape job dsa110-api found, and a scrape config file could not be read (see above): it may be there, so whether Prometheus scrapes FastAPI on port 8000 is not known',
      ],
    ]);
  });

  it('a scrape config file it cannot read leaves the jobs of its readable siblings checked', async () => {
    const root = tree('scrape-config-files', {
      [`${PROM}/jobs/a-fifo.yml`]: { fifo: true },
      [`${PROM}/jobs/targets/api.json`]: '[{ "targets": ["localhost:8080"] }]\n',
    });
    expect(await problems(root)).toEqual([
      [
        'unknown',
        'prometheus (9090): /etc/prometheus/prometheus.yml:6: scrape_config_files jobs/*.yml: /etc/prometheus/jobs/a-fifo.yml: it is a FIFO (named pipe), not a regular file; a scrape job in it is not checked',
      ],
      [
        'error',
        'prometheus (9090): /etc/prometheus/jobs/targets/api.json:1:17: scrape job dsa110-api targets localhost:8080, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes), or give FastAPI port: 8080 in the registry',
      ],
    ]);
  });
});

describe('jobs Prometheus fills from elsewhere', () => {
  it('a job whose targets come only from Consul or DNS discovery is unknown (it cannot be checked here), never an error', async () => {
    const root = tree(undefined, {
      [`${PROM}/prometheus.yml`]:
        'scrape_configs:\n  - job_name: dsa110-api\n    consul_sd_configs:\n      - server: localhost:8500\n    dns_sd_configs:\n      - names: [api.service.consul]\n',
    });
    expect(await problems(root)).toEqual([
      [
        'unknown',
        'prometheus (9090): /etc/prometheus/prometheus.yml:3: scrape job dsa110-api takes its targets from consul_sd_configs, dns_sd_configs, which this check cannot read: whether they are on port 8000 is not known',
      ],
    ]);
  });

  it('targets and file_sd files under alerting: are the Alertmanagers’, not the last job’s; a label named targets is a label', async () => {
    const root = tree(undefined, {
      [`${PROM}/prometheus.yml`]:
        "scrape_configs:\n  - job_name: dsa110-api\n    static_configs:\n      - targets: ['localhost:8000']\n        labels:\n          targets: 'x:1'\n      - {targets: ['localhost:8000'], labels: {targets: 'y:2'}}\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['localhost:9093']\n    - file_sd_configs:\n        - files: [am/*.json]\n",
      [`${PROM}/am/a.json`]: '[{"targets": ["localhost:9094"]}]',
    });
    expect(await problems(root)).toEqual([]);
  });
});

describe('what gather reads for Prometheus', () => {
  it('the file_sd files of the registry’s jobs only: nothing for a prometheus.yml without these keys, nor for the generated node job', async () => {
    expect([...((await gather({ registry, root: tree('file-sd') })).prometheusFiles?.keys() ?? [])]).toEqual([
      '/etc/prometheus/targets/api/*.json',
      '/etc/prometheus/targets/api/*.yml',
    ]);
    expect((await gather({ registry, root: tree(undefined) })).prometheusFiles).toBeUndefined();
    const generated = tree(undefined);
    cpSync(join(repoRoot, 'deploy/prometheus'), join(generated, PROM), { recursive: true });
    expect((await gather({ registry, root: generated })).prometheusFiles).toBeUndefined();
    expect(await problems(generated)).toEqual([]);
  });

  it('reads inside the root only: an absolute glob and a link are taken in the root', async () => {
    const outside = writeTree(tempDir(), { 'api.json': '[{"targets": ["localhost:1"]}]' });
    const root = tree('file-sd', { [`${PROM}/targets/api/link.json`]: { symlink: join(outside, 'api.json') } });
    const results = await problems(root);
    expect(results).toEqual([
      [
        'unknown',
        `prometheus (9090): /etc/prometheus/prometheus.yml:11: scrape job dsa110-api: file_sd_configs file targets/api/*.json: /etc/prometheus/targets/api/link.json: no such file; its targets are not checked`,
      ],
    ]);
  });
});

describe('a file_sd JSON file is placed at file:line:col', () => {
  // Each file as Prometheus (discovery/file: Go's encoding/json, unknown keys refused, keys matched case folded) reads
  // it, written to a real tree and held to `promtool check config`; the finding at the value that is wrong, found by
  // reading the JSON (not by looking for its text: an escape, a label holding the same text, CRLF, an emoji before it).
  const cases: { name: string; text: string; promtool: RegExp; found: string[] }[] = [
    {
      name: 'an escaped target after a label holding its text, CRLF, an emoji',
      text: '[\r\n  {"labels": {"note": "🙂 localhost:9000"},\r\n   "targets": ["🙂.example:8000", "localhost:\\u0039000"]}\r\n]\r\n',
      promtool: /SUCCESS/,
      found: [
        'warning: /etc/prometheus/targets/api/main.json:3: scrape job dsa110-api targets 🙂.example:8000, another host (or a name this check does not resolve): it does not scrape FastAPI on this host',
        'error: /etc/prometheus/targets/api/main.json:3:35: scrape job dsa110-api targets localhost:9000, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes), or give FastAPI port: 9000 in the registry',
      ],
    },
    {
      name: 'a byte-order mark',
      text: '\ufeff[{"targets": ["localhost:8000"]}]\n',
      promtool: /invalid character 'ï' looking for beginning of value/,
      found: [
        "error: /etc/prometheus/targets/api/main.json:1:1: scrape job dsa110-api: Prometheus cannot read its targets: not valid JSON: it starts with a byte-order mark (BOM), which Go's JSON reader refuses; save it as UTF-8 without a BOM",
      ],
    },
    {
      name: 'a trailing comma',
      text: '[\n  {"targets": [\n    "localhost:8000",\n  ]}\n]\n',
      promtool: /invalid character ']' looking for beginning of value/,
      found: [
        "error: /etc/prometheus/targets/api/main.json:4:3: scrape job dsa110-api: Prometheus cannot read its targets: not valid JSON: ']' where a value should be",
      ],
    },
    {
      name: 'a key a target group does not have',
      text: '[\n  {"targets": ["localhost:8000"], "label": {"env": "x"}}\n]\n',
      promtool: /unknown field "label"/,
      found: [
        'error: /etc/prometheus/targets/api/main.json:2:35: scrape job dsa110-api: Prometheus cannot read its targets: "label" is not a key of a target group (only targets and labels are)',
      ],
    },
    {
      name: 'a target that is a number',
      text: '[{"targets": ["localhost:8000", 8000]}]',
      promtool: /cannot unmarshal number into Go struct field .targets of type string/,
      found: [
        'error: /etc/prometheus/targets/api/main.json:1:33: scrape job dsa110-api: Prometheus cannot read its targets: the targets of group 0 are not a list of strings',
      ],
    },
    {
      name: 'a label that is a number',
      text: '[{"targets": ["localhost:8000"],\n  "labels": {"env": "x", "shard": 2}}]',
      promtool: /cannot unmarshal number into Go struct field .labels of type model.LabelValue/,
      found: [
        'error: /etc/prometheus/targets/api/main.json:2:35: scrape job dsa110-api: Prometheus cannot read its targets: label "shard" of group 0 is not a string',
      ],
    },
    {
      name: 'keys in another case (Go matches them case folded)',
      text: '[{"Targets": ["localhost:8001"], "LABELS": {"env": "x"}}]',
      promtool: /SUCCESS/,
      found: [
        'error: /etc/prometheus/targets/api/main.json:1:16: scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
      ],
    },
    {
      name: 'a label name Prometheus refuses',
      text: '[{"targets": ["localhost:8000"],\n  "labels": {"env": "x", "bad-name": "y"}}]',
      promtool: /"bad-name" is not a valid label name/,
      found: [
        'error: /etc/prometheus/targets/api/main.json:2:26: scrape job dsa110-api: Prometheus cannot read its targets: the label "bad-name" is not a valid label name (promtool check config: "bad-name" is not a valid label name); name it with letters, digits and _ only, not starting with a digit',
      ],
    },
    {
      name: 'a label name with control and bidi characters, quoted as Go quotes it',
      text: '[{"targets": ["localhost:8000"],\n  "labels": {"a\\u001bb\\u0007\\u202e": "y"}}]',
      promtool: /"a\\x1bb\\a\\u202e" is not a valid label name/,
      found: [
        String.raw`error: /etc/prometheus/targets/api/main.json:2:14: scrape job dsa110-api: Prometheus cannot read its targets: the label "a\x1bb\a\u202e" is not a valid label name (promtool check config: "a\x1bb\a\u202e" is not a valid label name); name it with letters, digits and _ only, not starting with a digit`,
      ],
    },
    { name: 'null, no groups', text: 'null\n', promtool: /SUCCESS/, found: [] },
  ];
  for (const each of cases) {
    it(each.name, async () => {
      const root = tree('file-sd', { [`${PROM}/targets/api/main.json`]: each.text });
      expect((await prometheusResults(root)).map((result) => `${result.severity}: ${result.reason.replace(/^prometheus \(9090\): /, '')}`)).toEqual(each.found);
      if (promtool) expect(promtoolSays(root)).toMatch(each.promtool);
    });
  }
});

describe('a file_sd .yml file (written as JSON too) is read as YAML, strictly, as Prometheus reads it', () => {
  const cases: { name: string; text: string; promtool: RegExp; found: string[] }[] = [
    {
      name: 'a key of a group given twice (block YAML)',
      text: '- targets: ["localhost:8001"]\n  targets: ["localhost:8000"]\n',
      promtool: /line 2: field targets already set/,
      found: [
        'error: /etc/prometheus/targets/api/extra.yml: scrape job dsa110-api: Prometheus cannot read its targets: line 2: "targets" is given twice in a target group (YAML reads a key once)',
      ],
    },
    {
      name: 'labels given twice in a group written as JSON',
      text: '[{"labels": {"a": "1"}, "targets": ["localhost:8000"],\n  "labels": {"a": "2"}}]\n',
      promtool: /line 2: field labels already set/,
      found: [
        'error: /etc/prometheus/targets/api/extra.yml:2:3: scrape job dsa110-api: Prometheus cannot read its targets: "labels" is given twice in target group 0 (YAML reads a key once)',
      ],
    },
    {
      name: 'a label given twice',
      text: '[{"targets": ["localhost:8000"],\n  "labels": {"a": "1", "a": "2"}}]\n',
      promtool: /line 2: key "a" already set in map/,
      found: [
        'error: /etc/prometheus/targets/api/extra.yml:2:24: scrape job dsa110-api: Prometheus cannot read its targets: label "a" is given twice in group 0 (YAML reads a key once)',
      ],
    },
    {
      name: 'a label that is a map',
      text: '[{"targets": ["localhost:8000"], "labels": {"a": {"b": "c"}}}]\n',
      promtool: /cannot unmarshal !!map into model.LabelValue/,
      found: [
        'error: /etc/prometheus/targets/api/extra.yml:1:50: scrape job dsa110-api: Prometheus cannot read its targets: label "a" of group 0 is not a value (a string or other scalar)',
      ],
    },
    {
      name: 'a label that is a list',
      text: '[{"targets": ["localhost:8000"], "labels": {"a": ["x"]}}]\n',
      promtool: /cannot unmarshal !!seq into model.LabelValue/,
      found: [
        'error: /etc/prometheus/targets/api/extra.yml:1:50: scrape job dsa110-api: Prometheus cannot read its targets: label "a" of group 0 is not a value (a string or other scalar)',
      ],
    },
    {
      name: 'a label name Prometheus refuses',
      text: '[{"targets": ["localhost:8000"], "labels": {"9a": "x"}}]\n',
      promtool: /"9a" is not a valid label name/,
      found: [
        'error: /etc/prometheus/targets/api/extra.yml:1:45: scrape job dsa110-api: Prometheus cannot read its targets: the label "9a" is not a valid label name (promtool check config: "9a" is not a valid label name); name it with letters, digits and _ only, not starting with a digit',
      ],
    },
    {
      name: 'labels that are other scalars (YAML takes them as text)',
      text: '[{"targets": ["localhost:8000"], "labels": {"a": 1, "b": true, "c": null}}]\n',
      promtool: /SUCCESS/,
      found: [],
    },
  ];
  for (const each of cases) {
    it(each.name, async () => {
      const root = tree('file-sd', { [`${PROM}/targets/api/extra.yml`]: each.text });
      expect((await prometheusResults(root)).map((result) => `${result.severity}: ${result.reason.replace(/^prometheus \(9090\): /, '')}`)).toEqual(each.found);
      if (promtool) expect(promtoolSays(root)).toMatch(each.promtool);
    });
  }
});

describe('a file_sd YAML file’s labels, block or flow, are checked as Prometheus checks them, at file:line:col', () => {
  // Each fixture in fixtures/file-sd-labels/ is written as targets/api/extra.yml and held to `promtool check config`
  // (which reads file_sd files as Prometheus's file discovery does: a running Prometheus logs the same errors and
  // drops the file's targets).
  const refused = (name: string) =>
    `the label "${name}" is not a valid label name (promtool check config: "${name}" is not a valid label name); name it with letters, digits and _ only, not starting with a digit`;
  const at = (place: string, why: string) =>
    `error: /etc/prometheus/targets/api/extra.yml:${place}: scrape job dsa110-api: Prometheus cannot read its targets: ${why}`;
  const cases: { fixture: string; promtool: RegExp; found: string[] }[] = [
    { fixture: 'block-name.yml', promtool: /"__bad-name" is not a valid label name/, found: [at('5:5', refused('__bad-name'))] },
    { fixture: 'flow-name.yml', promtool: /"bad-name" is not a valid label name/, found: [at('1:51', refused('bad-name'))] },
    { fixture: 'empty-name.yml', promtool: /"" is not a valid label name/, found: [at('3:5', refused(''))] },
    // Quoted as Go's %q quotes it: `"` and `\` escaped (the key is a"b\\c; promtool 2.42 says "a\"b\\\\c").
    {
      fixture: 'quoted-name.yml',
      promtool: /"a\\"b\\\\\\\\c" is not a valid label name/,
      found: [at('4:5', refused('a\\"b\\\\\\\\c'))],
    },
    {
      fixture: 'block-list-value.yml',
      promtool: /line 4: cannot unmarshal !!seq into model.LabelValue/,
      found: [at('4:5', 'label "env" is a list, not a value (a string or other scalar)')],
    },
    {
      fixture: 'block-map-value.yml',
      promtool: /line 4: cannot unmarshal !!map into model.LabelValue/,
      found: [at('4:7', 'label "env" is a mapping, not a value (a string or other scalar)')],
    },
    {
      fixture: 'inline-map-value.yml',
      promtool: /line 3: cannot unmarshal !!map into model.LabelValue/,
      found: [at('3:10', 'label "env" is a mapping, not a value (a string or other scalar)')],
    },
    {
      fixture: 'flow-list-value.yml',
      promtool: /line 1: cannot unmarshal !!seq into model.LabelValue/,
      found: [at('1:45', 'label "env" is a list, not a value (a string or other scalar)')],
    },
    {
      fixture: 'block-twice.yml',
      promtool: /line 4: key "env" already set in map/,
      found: [at('4:5', 'label "env" is given twice in a target group (YAML reads a key once)')],
    },
    {
      fixture: 'flow-twice.yml',
      promtool: /line 1: key "env" already set in map/,
      found: [at('1:48', 'label "env" is given twice in a target group (YAML reads a key once)')],
    },
    {
      fixture: 'merged-twice.yml',
      promtool: /line 7: key "env" already set in map/,
      found: [at('7:5', 'label "env" is given twice in a target group (YAML reads a key once)')],
    },
    {
      fixture: 'labels-list.yml',
      promtool: /line 3: cannot unmarshal !!seq into model.LabelSet/,
      found: [at('3:5', 'the labels of a target group are a list, not a mapping of label names to values')],
    },
    { fixture: 'scalars.yml', promtool: /SUCCESS/, found: [] },
  ];
  for (const each of cases) {
    it(each.fixture, async () => {
      const text = readFileSync(join(fixtures, 'file-sd-labels', each.fixture), 'utf8');
      const root = tree('file-sd', { [`${PROM}/targets/api/extra.yml`]: text });
      expect((await prometheusResults(root)).map((result) => `${result.severity}: ${result.reason.replace(/^prometheus \(9090\): /, '')}`)).toEqual(each.found);
      if (promtool) expect(promtoolSays(root)).toMatch(each.promtool);
    });
  }
});

describe('readTargetFile', () => {
  it('reads groups as Prometheus does: by extension, YAML written as JSON, flow groups on one line, labels never targets', () => {
    expect(readTargetFile('/a.yml', '[{"targets": ["a:1", "b:2"]}]')).toEqual({
      targets: [
        { line: 1, column: 16, value: 'a:1' },
        { line: 1, column: 23, value: 'b:2' },
      ],
    });
    // A YAML target is at its column (past the labels set aside), as a JSON one is.
    expect(readTargetFile('/a.YAML', "[{targets: ['a:1'], labels: {targets: 'x'}}, {targets: [b:2]}]\n")).toEqual({
      targets: [
        { line: 1, column: 14, value: 'a:1' },
        { line: 1, column: 57, value: 'b:2' },
      ],
    });
    // After a block list of targets, `- labels:` is the next group, not a target.
    expect(readTargetFile('/a.yaml', '- targets:\n    - a:1\n- labels:\n    env: x\n  targets:\n  - b:2\n')).toEqual({
      targets: [
        { line: 2, column: 7, value: 'a:1' },
        { line: 6, column: 5, value: 'b:2' },
      ],
    });
    expect(readTargetFile('/a.json', '{"targets": []}')).toEqual({
      line: 1,
      column: 1,
      severity: 'error',
      message: 'Prometheus cannot read its targets: it is not a list of target groups ([{"targets": [...]}])',
    });
    expect(readTargetFile('/a.json', '- targets: [a:1]')).toMatchObject({
      severity: 'error',
      message: expect.stringMatching(/^Prometheus cannot read its targets: not valid JSON/),
    });
  });
});

describe('readPrometheusYml without facts', () => {
  it('a file_sd or scrape config file not gathered is unknown, never a crash', () => {
    const text = 'scrape_config_files: [jobs/*.yml]\nscrape_configs:\n  - job_name: dsa110-api\n    file_sd_configs: [{files: [t.json]}]\n';
    expect(readPrometheusYml(text, [{ job: 'dsa110-api', name: 'FastAPI', port: 8000, snippet: 'ports snippet prometheus-yml' }])).toEqual([
      { line: 1, severity: 'unknown', message: 'scrape_config_files jobs/*.yml: not read; a scrape job in it is not checked' },
      { line: 4, severity: 'unknown', message: 'scrape job dsa110-api: file_sd_configs file t.json: not read; its targets are not checked' },
    ]);
  });

  it('a file a glob names that could not be read is unknown by itself; the files read beside it are checked', () => {
    const text = 'scrape_configs:\n  - job_name: dsa110-api\n    file_sd_configs: [{files: [sd/*.json, one.json]}]\n';
    const files = new Map([
      [
        '/etc/prometheus/sd/*.json',
        {
          files: [
            { path: '/etc/prometheus/sd/0.json', problem: 'permission denied' },
            { path: '/etc/prometheus/sd/a.json', text: '[{"targets": ["localhost:1"]}]' },
          ],
        },
      ],
      ['/etc/prometheus/one.json', { files: [{ path: '/etc/prometheus/one.json', problem: 'permission denied' }] }],
    ]);
    expect(
      readPrometheusYml(text, [{ job: 'dsa110-api', name: 'FastAPI', port: 8000, snippet: 'ports snippet prometheus-yml' }], (pattern) => files.get(pattern)),
    ).toEqual([
      {
        line: 3,
        severity: 'unknown',
        message: 'scrape job dsa110-api: file_sd_configs file sd/*.json: /etc/prometheus/sd/0.json: permission denied; its targets are not checked',
      },
      // A path without a glob names only itself: said once.
      { line: 3, severity: 'unknown', message: 'scrape job dsa110-api: file_sd_configs file one.json: permission denied; its targets are not checked' },
      {
        file: '/etc/prometheus/sd/a.json',
        line: 1,
        column: 16,
        severity: 'error',
        message:
          'scrape job dsa110-api targets localhost:1, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
      },
    ]);
  });
});

describe('goGlobPart (Go filepath.Match)', () => {
  it('matches as Go does: * and ? take a leading dot, [^...] negates, \\ escapes; a malformed class is refused', () => {
    const glob = (pattern: string) => goGlobPart(pattern) as RegExp;
    expect(glob('*.yml').test('.x.yml')).toBe(true);
    expect(glob('*.yml').test('x.yaml')).toBe(false);
    expect(glob('[^a]?.json').test('bc.json')).toBe(true);
    expect(glob('[^a]?.json').test('ac.json')).toBe(false);
    expect(glob('[a-c]\\*').test('b*')).toBe(true);
    expect(glob('[a-c]\\*').test('bx')).toBe(false);
    expect(glob('[!a]').test('!')).toBe(true); // ! is no negation in Go
    for (const bad of ['[', '[]', '[a', '[a-]', 'x\\', '[^]']) expect(goGlobPart(bad), bad).toEqual(expect.stringMatching(/malformed|escaping/));
  });
});

describe('a YAML file_sd file Prometheus refuses for its shape', () => {
  // Prometheus reads file_sd YAML strictly: a target group has targets and labels, nothing else,
  // and the document is a list of groups. Each case is also given to the real
  // `promtool check service-discovery`, which reads the file with Prometheus's own code.
  const cases: [string, string, boolean][] = [
    ['block group with block labels', "- targets: ['localhost:8000']\n  labels:\n    env: prod\n", true],
    ['an unknown key', "- targets: ['localhost:8000']\n  foo: bar\n", false],
    ['Labels capitalised', "- targets: ['localhost:8000']\n  Labels: {a: b}\n", false],
    ['flow group with a misspelt key', "- {targets: ['localhost:8000'], lables: {a: b}}\n", false],
    ['flow group', "- {targets: ['localhost:8000'], labels: {a: b}}\n", true],
    ['a mapping, not a list', "targets: ['localhost:8000']\n", false],
    ['a block list of targets at the key column', '- targets:\n  - localhost:8000\n  - localhost:8001\n  labels:\n    a: b\n', true],
    ['an indented list whose second group has a typo', "  - targets: ['localhost:8000']\n  - target: ['localhost:8001']\n", false],
    ['labels first, quoted keys, a comment', '- labels: {a: b}\n  "targets":\n    - localhost:8000\n  # foo: bar\n- \'targets\': ["localhost:8001"]\n', true],
    ['a label named like a key', "- targets: ['localhost:8000']\n  labels:\n    foo: bar\n    target: x\n", true],
  ];

  it.each(cases)('%s', (_name, text, accepted) => {
    const read = readTargetFile('/etc/prometheus/targets/x.yml', text);
    if (accepted) expect(read).toHaveProperty('targets');
    else expect(read).toMatchObject({ severity: 'error', message: expect.stringMatching(/^Prometheus cannot read its targets: line \d+: /) });
  });

  it('names the line and the key', () => {
    expect(readTargetFile('/t.yml', "- targets: ['localhost:8000']\n  # a comment\n  foo: bar\n")).toEqual({
      severity: 'error',
      message: 'Prometheus cannot read its targets: line 3: "foo" is not a key of a target group (only targets and labels are)',
    });
    // A key from the file is shown escaped: a terminal escape or a bidi override cannot dress the line up.
    expect(readTargetFile('/t.yml', "- targets: ['localhost:8000']\n  \u001b[2Jx\u202e: 1\n")).toEqual({
      severity: 'error',
      message: 'Prometheus cannot read its targets: line 2: "\\e[2Jx\\u202e" is not a key of a target group (only targets and labels are)',
    });
    expect(readTargetFile('/t.yml', "targets: ['localhost:8000']\n")).toEqual({
      severity: 'error',
      message: 'Prometheus cannot read its targets: line 1: it is not a list of target groups (- targets: [...])',
    });
  });

  // promtool waits out its --timeout (the discovery window) and then prints what was found: 5 s leaves
  // a loaded machine time to read the file; the cases run at once.
  it.runIf(promtool)('promtool check service-discovery agrees on every case', { timeout: 30_000 }, async () => {
    const { execFile } = await import('node:child_process');
    const verdicts = await Promise.all(
      cases.map(async ([name, text]) => {
        const root = tempDir();
        writeTree(root, {
          'prometheus.yml': 'scrape_configs:\n  - job_name: x\n    file_sd_configs:\n      - files: [targets/*.yml]\n',
          'targets/x.yml': text,
        });
        const output = await new Promise<string>((resolve) =>
          execFile('promtool', ['check', 'service-discovery', '--timeout=5s', 'prometheus.yml', 'x'], { cwd: root }, (_error, stdout, stderr) =>
            resolve(`${stdout}${stderr}`),
          ),
        );
        return [name, !/Error reading file/.test(output) && /localhost:8000/.test(output)] as const;
      }),
    );
    expect(verdicts).toEqual(cases.map(([name, , accepted]) => [name, accepted]));
  });
});

describe('a target on this host, held to the sockets listening on its port', () => {
  /** A registry of Prometheus and one service with metrics on `port`, and a root whose prometheus.yml targets `target`. */
  async function scraped(port: number, target: string): Promise<string[]> {
    const dir = tempDir();
    const path = join(dir, 'ports.yaml');
    const service = (id: string, name: string, at: number, more: string) =>
      `  - id: ${id}\n    name: ${name}\n    group: monitoring\n    port: ${at}\n    protocol: HTTP\n    access: localhost\n    configuredBy: hardcoded\n    robust: false\n    processes: [${id}]\n${more}`;
    writeFileSync(
      path,
      `version: 1\nservices:\n${service('prometheus', 'Prometheus', port + 1, '    config: /etc/prometheus/prometheus.yml\n    configs:\n      - { kind: prometheus-yml }\n')}${service('api', 'API', port, '    metrics: /metrics\n')}`,
    );
    const reg = await loadRegistry({ path });
    const root = writeTree(tempDir(), {
      [`${PROM}/prometheus.yml`]: `scrape_configs:\n  - job_name: dsa110-api\n    static_configs:\n      - targets: ['${target}']\n`,
    });
    return (await prometheusResults(root, reg)).map((result) => `${result.severity}: ${result.reason}`);
  }

  it('127.0.0.2 reaches a socket bound to it, not one bound to 127.0.0.1, as the kernel matches a connection', async () => {
    const port = leasePort({ ranges: [[20000, 29998]], count: 2 });
    const refused = (target: string, bound: string, fix: string) =>
      `error: prometheus (${port + 1}): /${PROM}/prometheus.yml:4:20: scrape job dsa110-api targets ${target}, but port ${port} here is listened on at ${bound} only, and a connection to ${target.slice(0, target.lastIndexOf(':'))} reaches only a socket bound to that address or to every address, so the scrape is refused; target ${fix} (ports snippet prometheus-yml prints what passes)`;
    // Nothing listens: the target is held to the registry's port alone.
    expect(await scraped(port, `127.0.0.2:${port}`)).toEqual([]);
    const one = await listeningOn(port, '127.0.0.1');
    try {
      for (const target of [`127.0.0.1:${port}`, `localhost:${port}`, `0.0.0.0:${port}`]) expect(await scraped(port, target), target).toEqual([]);
      expect(await scraped(port, `127.0.0.2:${port}`)).toEqual([refused(`127.0.0.2:${port}`, `127.0.0.1:${port}`, `127.0.0.1:${port}`)]);
      expect(await scraped(port, `[::1]:${port}`)).toEqual([refused(`[::1]:${port}`, `127.0.0.1:${port}`, `127.0.0.1:${port}`)]);
    } finally {
      await closeServer(one);
    }
    const two = await listeningOn(port, '127.0.0.2');
    try {
      expect(await scraped(port, `127.0.0.2:${port}`)).toEqual([]);
      expect(await scraped(port, `localhost:${port}`)).toEqual([refused(`localhost:${port}`, `127.0.0.2:${port}`, `127.0.0.2:${port}`)]);
    } finally {
      await closeServer(two);
    }
  });
});

describe('a target that disagrees is placed at file:line:col (the column in characters, inside its quotes)', () => {
  const API = [{ job: 'dsa110-api', name: 'FastAPI', port: 8000, snippet: 'ports snippet prometheus-yml' }];
  /** Each finding as `file:line[:col]: severity: what it is about` (its message up to the first comma). */
  const placed = (findings: readonly { file?: string; line: number; column?: number; severity: string; message: string }[]) =>
    findings.map(
      ({ file, line, column, severity, message }) =>
        `${file ?? 'prometheus.yml'}:${line}${column !== undefined ? `:${column}` : ''}: ${severity}: ${message.slice(0, message.indexOf(','))}`,
    );

  it('in prometheus.yml: a block item, a flow item, quoted or not; the value read, not an earlier copy of it; an emoji one character', () => {
    const text = [
      'scrape_configs:',
      '  - job_name: dsa110-api',
      '    static_configs:',
      '      - targets:',
      '          - localhost:8001',
      "          - 'localhost:8002'",
      '          - "localhost:8003" # a comment',
      `      - targets: [localhost:8000, 'localhost:8004', "localhost:8004"]`,
      "      - {labels: {note: 'localhost:8005'}, targets: ['localhost:8005']}",
      "      - targets: ['🙂.example:8000', localhost:8006]",
      "      - {labels: {note: '🙂'}, 'targets': [ \"localhost:8007\" ]}",
      '      - targets: localhost:99999',
    ].join('\n');
    expect(placed(readPrometheusYml(text, API))).toEqual([
      'prometheus.yml:5:13: error: scrape job dsa110-api targets localhost:8001',
      'prometheus.yml:6:14: error: scrape job dsa110-api targets localhost:8002',
      'prometheus.yml:7:14: error: scrape job dsa110-api targets localhost:8003',
      'prometheus.yml:8:36: error: scrape job dsa110-api targets localhost:8004',
      'prometheus.yml:8:54: error: scrape job dsa110-api targets localhost:8004',
      'prometheus.yml:9:55: error: scrape job dsa110-api targets localhost:8005',
      'prometheus.yml:10: warning: scrape job dsa110-api targets 🙂.example:8000',
      'prometheus.yml:10:37: error: scrape job dsa110-api targets localhost:8006',
      'prometheus.yml:11:45: error: scrape job dsa110-api targets localhost:8007',
      'prometheus.yml:12:18: error: scrape job dsa110-api targets localhost:99999',
    ]);
  });

  it('a flow list or a quoted scalar over several lines: each value at the line and column it starts at', () => {
    const text = [
      'scrape_configs:',
      '  - job_name: dsa110-api',
      '    static_configs:',
      "      - targets: ['localhost:8001',",
      "          'localhost:8002']",
      "      - targets: ['x.example",
      "          :8000', 'localhost:8003']",
      '      - targets:',
      '          - "localhost:',
      '            8000"',
    ].join('\n');
    expect(placed(readPrometheusYml(text, API))).toEqual([
      'prometheus.yml:4:20: error: scrape job dsa110-api targets localhost:8001',
      // On the next line of the flow list: placed there, not at the line the list starts on (was: 4, no column).
      'prometheus.yml:5:12: error: scrape job dsa110-api targets localhost:8002',
      'prometheus.yml:6: warning: scrape job dsa110-api targets x.example :8000',
      'prometheus.yml:7:20: error: scrape job dsa110-api targets localhost:8003',
      // A quoted scalar that starts here and goes on: where its text starts is known.
      'prometheus.yml:9:14: error: scrape job dsa110-api targets localhost: 8000',
    ]);
  });

  it('in a file_sd YAML or JSON file', () => {
    const text = 'scrape_configs:\n  - job_name: dsa110-api\n    file_sd_configs: [{files: [t.yml, t.json]}]\n';
    const yml = [
      '- targets:',
      '    - localhost:8001',
      "    - 'localhost:8002'",
      '- targets: [localhost:8000, "localhost:8003"]',
      "- {labels: {note: '🙂 localhost:8004'}, targets: ['localhost:8004']}",
      "- targets: ['🙂.example:8000', 'localhost:8005']",
    ].join('\n');
    const files = new Map([
      ['/etc/prometheus/t.yml', { files: [{ path: '/etc/prometheus/t.yml', text: yml }] }],
      ['/etc/prometheus/t.json', { files: [{ path: '/etc/prometheus/t.json', text: '[{"targets": ["localhost:8006"]}]' }] }],
    ]);
    expect(placed(readPrometheusYml(text, API, (pattern) => files.get(pattern)))).toEqual([
      '/etc/prometheus/t.yml:2:7: error: scrape job dsa110-api targets localhost:8001',
      '/etc/prometheus/t.yml:3:8: error: scrape job dsa110-api targets localhost:8002',
      '/etc/prometheus/t.yml:4:30: error: scrape job dsa110-api targets localhost:8003',
      '/etc/prometheus/t.yml:5:51: error: scrape job dsa110-api targets localhost:8004',
      '/etc/prometheus/t.yml:6: warning: scrape job dsa110-api targets 🙂.example:8000',
      '/etc/prometheus/t.yml:6:32: error: scrape job dsa110-api targets localhost:8005',
      '/etc/prometheus/t.json:1:16: error: scrape job dsa110-api targets localhost:8006',
    ]);
  });
});
