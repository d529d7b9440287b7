// Files a hostile tester wrote to make the Prometheus and Grafana readers hang
// or pass what Prometheus or Grafana reads otherwise: each case is one that
// hung or gave a false "ok" before its fix.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGrafanaDatasource } from '../../../src/checks/references/grafana.js';
import { readTargetFile } from '../../../src/checks/references/prometheus-files.js';
import { flowItems, keysOn, readScrapeConfigs, unquote, valueReader } from '../../../src/checks/references/prometheus-jobs.js';
import { readPrometheusArgs, readPrometheusYml } from '../../../src/checks/references/prometheus.js';
import { hasCommand } from '../../../../../test-support/commands.js';
import { tempDir } from '../../helpers.js';

const API = [{ job: 'dsa110-api', name: 'FastAPI', port: 8000, snippet: 'ports snippet prometheus-yml' }];
const promtool = hasCommand('promtool', ['--version']);

/** Milliseconds `run` takes. */
function timed(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

describe('linear time on one long line (a file may be 4 MiB)', () => {
  it('many `labels: {` with no closing brace: read in well under a second (was 4 s for 200 KB, growing with the square)', () => {
    const text = `scrape_configs:\n  - job_name: other\n    params: {${' labels: {'.repeat(30_000)}\n`;
    expect(timed(() => readScrapeConfigs(text))).toBeLessThan(1000);
  });

  it('many `targets: [` (with or without a closing bracket) or `targets: x` with no comma: read in well under a second (was 8 s for 220 KB)', () => {
    for (const line of [' targets: ['.repeat(25_000), `${' targets: ['.repeat(25_000)}]`, ' targets: x'.repeat(25_000), " targets: 'x".repeat(25_000)]) {
      const text = `scrape_configs:\n  - job_name: other\n    params: [${line}\n`;
      expect(
        timed(() => readScrapeConfigs(text)),
        line.slice(0, 12),
      ).toBeLessThan(1000);
      expect(
        timed(() => readTargetFile('t.yml', `- targets: [${line}\n`)),
        line.slice(0, 12),
      ).toBeLessThan(1000);
    }
  });

  it('valueReader gives what the expressions it replaces gave, for every key on 20,000 generated lines', () => {
    const old = (rest: string) => {
      const flow = /^\[([^\]]*)\]/.exec(rest);
      if (flow) return { items: flowItems(flow[1]!), block: false };
      if (rest.trim() === '') return { items: [], block: true };
      return { items: [unquote(/^(?:'[^']*'|"[^"]*"|[^,}\]]*)/.exec(rest)![0].trim())], block: false };
    };
    const pieces = ['targets: ', 'files:', 'job_name: ', '[', ']', '{', '}', ',', "'", '"', ' ', 'a', ':', '- '];
    let state = 7;
    const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31);
    const differ: string[] = [];
    for (let count = 0; count < 20_000; count++) {
      const line = Array.from({ length: next() % 12 }, () => pieces[next() % pieces.length]).join('');
      const read = valueReader(line);
      for (const key of keysOn(line)) {
        const { items, block } = read(key.end);
        if (JSON.stringify({ items, block }) !== JSON.stringify(old(line.slice(key.end)))) differ.push(line);
      }
    }
    expect(differ.slice(0, 5)).toEqual([]);
  });
});

describe('prometheus.yml: only what Prometheus reads as a job', () => {
  const second = [
    'scrape_configs:',
    '  - job_name: node',
    '    static_configs: [{targets: ["localhost:9100"]}]',
    '---',
    'scrape_configs:',
    '  - job_name: dsa110-api',
    '    static_configs: [{targets: ["localhost:8000"]}]',
  ].join('\n');
  const scalar = [
    'scrape_configs:',
    '  - job_name: node',
    '    static_configs: [{targets: ["localhost:9100"]}]',
    '    params:',
    '      note:',
    '        - |',
    '          - job_name: dsa110-api',
    '            static_configs: [{targets: ["localhost:8000"]}]',
    '      other: >-',
    '        - job_name: dsa110-api',
  ].join('\n');
  const none = {
    line: 0,
    severity: 'error',
    message: 'no scrape job dsa110-api, so Prometheus does not scrape FastAPI on port 8000 (ports snippet prometheus-yml)',
  };

  it('a job only in a second YAML document is not there (Prometheus reads the first document alone)', () => {
    expect(readPrometheusYml(second, API)).toEqual([none]);
    // A `---` before the first document starts it: its jobs are read.
    expect(readPrometheusYml(`---\n${second.split('\n---\n')[1]}`, API)).toEqual([]);
    expect(readPrometheusYml(second.replace('\n---\n', '\n...\n'), API)).toEqual([none]);
    if (promtool) {
      // promtool takes the file whatever the second document holds: it is not read.
      const file = join(tempDir(), 'prometheus.yml');
      writeFileSync(file, `${second}\n  broken: [\n`);
      expect(execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8' })).toMatch(/SUCCESS/);
    }
  });

  it('a job written inside a block scalar (`|`, `>-`) is text, not a job', () => {
    expect(readPrometheusYml(scalar, API)).toEqual([none]);
    // The scalar ends where the indentation comes back: a job after it is read.
    const after = `${scalar}\n  - job_name: dsa110-api\n    static_configs: [{targets: ["localhost:8001"]}]`;
    expect(readPrometheusYml(after, API)).toEqual([
      {
        line: 12,
        column: 34,
        severity: 'error',
        message:
          'scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
      },
    ]);
  });

  it('a target on another host does not scrape this host’s service: a warning naming it', () => {
    const text =
      'scrape_configs:\n  - job_name: dsa110-api\n    static_configs:\n      - targets: ["10.9.8.7:8000", "localhost:8000", "127.0.0.2:8000", "0.0.0.0:8000"]\n      - targets:\n          - "[::1]:8000"\n          - "LOCALHOST.:8000"\n';
    expect(readPrometheusYml(text, API)).toEqual([
      {
        line: 4,
        severity: 'warning',
        message: 'scrape job dsa110-api targets 10.9.8.7:8000, another host (or a name this check does not resolve): it does not scrape FastAPI on this host',
      },
    ]);
  });
});

/** promtool (Prometheus's own reading) takes the file: a test of this reader, not of a broken file. */
function acceptedByPrometheus(text: string, extra: Record<string, string> = {}): void {
  if (!promtool) return;
  const dir = tempDir();
  for (const [name, body] of Object.entries(extra)) writeFileSync(join(dir, name), body);
  writeFileSync(join(dir, 'prometheus.yml'), text);
  expect(execFileSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' })).toMatch(/SUCCESS/);
}

describe('a job is its scrape_configs list item: its keys are its own, job_name first, in the middle or last', () => {
  const NODE = { job: 'node', name: 'node_exporter', port: 9100, snippet: 'ports snippet prometheus-yml' };

  it('job_name last: its targets are its own (was "has no targets")', () => {
    const text = 'scrape_configs:\n  - static_configs:\n      - targets: [localhost:8000]\n    job_name: dsa110-api\n';
    acceptedByPrometheus(text);
    expect(readPrometheusYml(text, API)).toEqual([]);
    expect(readScrapeConfigs(text).jobs).toEqual([
      { name: 'dsa110-api', line: 4, column: 5, targets: [{ line: 3, column: 19, value: 'localhost:8000' }], fileSd: [], otherSd: [] },
    ]);
    // A wrong port there is its own error, at the target's line and column.
    expect(readPrometheusYml(text.replace(':8000', ':8001'), API)).toEqual([
      {
        line: 3,
        column: 19,
        severity: 'error',
        message:
          'scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
      },
    ]);
  });

  it('job_name after a job: the next item’s targets are not the first job’s (was "dsa110-api targets localhost:9100")', () => {
    const text = [
      'scrape_configs:',
      '  - job_name: dsa110-api',
      '    static_configs:',
      '      - targets: [localhost:8000]',
      '  - static_configs:',
      '      - targets: [localhost:9100]',
      '    file_sd_configs:',
      '      - files: [node.json]',
      '    job_name: node',
      '',
    ].join('\n');
    acceptedByPrometheus(text, { 'node.json': '[{"targets": ["localhost:9100"]}]\n' });
    expect(
      readPrometheusYml(text, [...API, NODE], () => ({ files: [{ path: '/etc/prometheus/node.json', text: '[{"targets": ["localhost:9100"]}]\n' }] })),
    ).toEqual([]);
    expect(readScrapeConfigs(text).jobs.map(({ name, line, targets, fileSd }) => ({ name, line, targets, fileSd }))).toEqual([
      { name: 'dsa110-api', line: 2, targets: [{ line: 4, column: 19, value: 'localhost:8000' }], fileSd: [] },
      { name: 'node', line: 9, targets: [{ line: 6, column: 19, value: 'localhost:9100' }], fileSd: [{ line: 8, value: 'node.json' }] },
    ]);
  });

  it('job_name in the middle, an indentless list of items, and an item with no job_name (its targets are nobody’s)', () => {
    const text = [
      'scrape_configs:',
      '- scrape_interval: 5s',
      '  job_name: dsa110-api',
      '  static_configs:',
      '  - targets:',
      '    - localhost:8000',
      '- static_configs:',
      '  - targets: [localhost:9999]',
      '',
    ].join('\n');
    expect(readScrapeConfigs(text).jobs).toEqual([
      { name: 'dsa110-api', line: 3, column: 3, targets: [{ line: 6, column: 7, value: 'localhost:8000' }], fileSd: [], otherSd: [] },
    ]);
    expect(readPrometheusYml(text, API)).toEqual([]);
  });

  it('flow items: a job written as a flow mapping, and scrape_configs as a flow sequence, with job_name last', () => {
    const items = [
      'scrape_configs:',
      '  - {static_configs: [{targets: [localhost:8000]}], job_name: dsa110-api}',
      '  - {static_configs: [{targets: [localhost:9100]}], dns_sd_configs: [{names: [x.example]}], job_name: node}',
      '',
    ].join('\n');
    acceptedByPrometheus(items);
    const sequence =
      "scrape_configs: [{static_configs: [{targets: ['localhost:8000']}], job_name: dsa110-api}, {static_configs: [{targets: [localhost:9100]}], job_name: node}]\n";
    acceptedByPrometheus(sequence);
    for (const text of [items, sequence]) {
      expect(readPrometheusYml(text, [...API, NODE])).toEqual([]);
      expect(readScrapeConfigs(text).jobs.map((job) => [job.name, job.targets.map((target) => target.value)])).toEqual([
        ['dsa110-api', ['localhost:8000']],
        ['node', ['localhost:9100']],
      ]);
    }
    expect(readScrapeConfigs(items).jobs.map((job) => job.otherSd.map((sd) => sd.value))).toEqual([[], ['dns_sd_configs']]);
  });
});

describe('a tag where a target or a file is (an anchor or alias in a file_sd file): unknown, never dropped (no targets) or read as another host', () => {
  const job = (lines: string) => `scrape_configs:\n  - job_name: dsa110-api\n${lines}`;
  const unknown = (line: number, value: string) => ({
    line,
    severity: 'unknown',
    message: `scrape job dsa110-api targets ${value}, which uses YAML this check does not read (an anchor, alias, tag or block scalar); it is not checked`,
  });

  it('in prometheus.yml: a block item or a flow item', () => {
    for (const [lines, line, value] of [
      ['    static_configs:\n      - targets:\n          - !!str localhost:8000\n', 5, '!!str localhost:8000'],
      ['    static_configs:\n      - targets: [!!str localhost:8000]\n', 4, '!!str localhost:8000'],
    ] as const) {
      const text = job(lines);
      expect(readPrometheusYml(text, API), lines).toEqual([unknown(line, value)]);
      acceptedByPrometheus(text);
    }
    // An anchor is read by the YAML parser (prometheus-aliases.test.ts): the value it names is the target.
    const anchored = job('    static_configs:\n      - targets:\n          - &api localhost:8000\n');
    expect(readPrometheusYml(anchored, API)).toEqual([]);
    expect(readPrometheusYml(anchored.replace('8000', '8001'), API)).toMatchObject([{ line: 2, severity: 'error' }]);
  });

  it('in a file_sd file, and as the path of one', () => {
    const dir = '/etc/prometheus';
    const text = job('    file_sd_configs:\n      - files: ["sd/*.yml"]\n');
    const lookup = (body: string) => () => ({ files: [{ path: `${dir}/sd/api.yml`, text: body }] });
    for (const body of ['- targets:\n  - &api localhost:8000\n', '- targets:\n  - !!str localhost:8000\n']) {
      expect(readPrometheusYml(text, API, lookup(body)), body).toEqual([
        {
          file: `${dir}/sd/api.yml`,
          line: 0,
          severity: 'unknown',
          message: 'scrape job dsa110-api: line 2 uses YAML this check does not read (an anchor, alias, tag or block scalar); its targets are not checked',
        },
      ]);
    }
    const tagged = job('    file_sd_configs:\n      - files:\n          - !!str sd/*.yml\n');
    expect(readPrometheusYml(tagged, API, lookup('- targets: [localhost:8000]\n'))).toEqual([
      {
        line: 5,
        severity: 'unknown',
        message:
          'scrape job dsa110-api: file_sd_configs file !!str sd/*.yml: uses YAML this check does not read (an anchor, alias, tag or block scalar); its targets are not checked',
      },
    ]);
  });
});

describe('YAML quoting: what a quoted scalar holds is text', () => {
  /** prometheus.yml with `node` (whose lines are `nodeLines`) before dsa110-api (`apiLines`), each line given indented under its job. */
  const yml = (nodeLines: readonly string[], apiLines: readonly string[] = ["static_configs: [{targets: ['localhost:8000']}]"]) =>
    [
      'scrape_configs:',
      '  - job_name: node',
      ...nodeLines.map((line) => `    ${line}`),
      '  - job_name: dsa110-api',
      ...apiLines.map((line) => `    ${line}`),
      '',
    ].join('\n');

  it('a ] inside a quoted item does not close the flow sequence (an IPv6 target, "a]b")', () => {
    const ipv6 = yml([], [`static_configs: [{targets: ["localhost:8000", "[::1]:8000", '[::1]:8000']}]`]);
    acceptedByPrometheus(ipv6);
    expect(readPrometheusYml(ipv6, API)).toEqual([]);
    // The brief's case: one item "a]b" (a target on no port: a true error, naming the whole item).
    expect(readPrometheusYml(yml([], [`static_configs: [{targets: ['localhost:8000', "a]b"]}]`]), API)).toEqual([
      {
        line: 4,
        column: 52,
        severity: 'error',
        message: 'scrape job dsa110-api targets a]b, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
      },
    ]);
    expect(readTargetFile('t.yml', `- targets: ["[::1]:8000", 'localhost:8000']\n`)).toEqual({
      targets: [
        { line: 1, column: 14, value: '[::1]:8000' },
        { line: 1, column: 28, value: 'localhost:8000' },
      ],
    });
  });

  it("reads '' inside single quotes and \\\" inside double quotes as a quote, not the scalar's end", () => {
    // A bracket after an escaped quote opened a flow collection that never closed: the dsa110-api job was swallowed.
    const escaped = yml([`static_configs: [{targets: ['localhost:9100'], labels: {note: "say \\"[\\"", other: 'it''s [old'}}]`]);
    acceptedByPrometheus(escaped);
    expect(readPrometheusYml(escaped, API)).toEqual([]);
    expect(readPrometheusYml(yml([], [`static_configs: [{targets: ['localhost:8000', 'it''s:8001']}]`]), API)).toEqual([
      {
        line: 4,
        column: 52,
        severity: 'error',
        message: "scrape job dsa110-api targets it's:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)",
      },
    ]);
  });

  it('a # inside quotes is no comment, nor one without white space before it', () => {
    const hash = yml([`static_configs: [{targets: ['localhost:9100'], labels: {rack: "#4", url: http://h/#x}}]`]);
    acceptedByPrometheus(hash);
    expect(readPrometheusYml(hash, API)).toEqual([]);
    // A comment after white space is one, in a flow list that spans lines too.
    expect(readPrometheusYml(yml([], ['static_configs: [{targets: [ # ours', "  'localhost:8001' # ] not this", ']}]']), API)).toEqual([
      {
        line: 5,
        column: 8,
        severity: 'error',
        message:
          'scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes)',
      },
    ]);
  });

  it('a key inside a quoted scalar is text (targets: in a relabel regex)', () => {
    const text = [
      'scrape_configs:',
      `  - {job_name: dsa110-api, static_configs: [{targets: ['localhost:8000']}], relabel_configs: [{source_labels: [__address__], regex: "x targets: [1]", target_label: t}]}`,
      '',
    ].join('\n');
    acceptedByPrometheus(text);
    expect(readPrometheusYml(text, API)).toEqual([]);
  });

  it('a quoted scalar that spans lines is one scalar: a job written inside it is text', () => {
    const text = yml([
      'static_configs: [{targets: [localhost:9100]}]',
      'params:',
      '  note: ["first line',
      '    - job_name: dsa110-api',
      '      static_configs: x"]',
    ]);
    acceptedByPrometheus(text);
    expect(readPrometheusYml(text, API)).toEqual([]);
  });

  it('a file_sd group is read past a quoted label holding }, a comma and a key', () => {
    const group = `- {labels: {note: "a\\"}, foo: \\"b"}, targets: ['localhost:8000']}\n`;
    // At the target's column, past the labels mapping the reader set aside.
    expect(readTargetFile('t.yml', group)).toEqual({ targets: [{ line: 1, column: 49, value: 'localhost:8000' }] });
    acceptedByPrometheus(yml([], ['file_sd_configs: [{files: [t.yml]}]']), { 't.yml': group });
  });

  it('stays linear on a 400 KB line of quotes, escapes, brackets and #', () => {
    for (const piece of [' "a]', " 'b''", ' "\\"[', ' #"', " targets: ['x", ' [{"', " labels: {a: '}"]) {
      const line = piece.repeat(Math.ceil(400_000 / piece.length));
      expect(
        timed(() => readScrapeConfigs(`scrape_configs:\n  - job_name: x\n    params: [${line}\n`)),
        piece,
      ).toBeLessThan(1000);
      expect(
        timed(() => readTargetFile('t.yml', `- targets: [${line}\n`)),
        piece,
      ).toBeLessThan(1000);
    }
  });
});

describe('/etc/default/prometheus', () => {
  const expect9090 = { name: 'Prometheus', port: 9090 };
  it('a # inside the ARGS value is not a comment (only at the start of a line)', () => {
    expect(readPrometheusArgs('ARGS="--web.page-title=DSA110#1 --web.listen-address=0.0.0.0:9091"\n', expect9090)).toEqual([
      {
        line: 1,
        column: 54,
        severity: 'error',
        message: '--web.listen-address=0.0.0.0:9091, but the registry says Prometheus uses port 9090; write --web.listen-address=HOST:9090',
      },
    ]);
    expect(readPrometheusArgs('# ARGS="--web.listen-address=:9091"\n  ; ARGS="--web.listen-address=:9092"\nARGS=""\n', expect9090)).toEqual([]);
  });

  it('a flag apart from its value is quoted as the file writes it (it was quoted back as --web.listen-address=0.0.0.0:29090)', () => {
    expect(readPrometheusArgs('ARGS="--web.listen-address 0.0.0.0:29090"\n', { ...expect9090, access: 'localhost' }).map((finding) => finding.message)).toEqual(
      [
        '--web.listen-address 0.0.0.0:29090, but the registry says Prometheus uses port 9090; write --web.listen-address=HOST:9090',
        '--web.listen-address 0.0.0.0:29090 accepts connections on every address, but the registry says Prometheus is access: localhost (loopback only); write --web.listen-address=HOST:9090, or give Prometheus access: private or public in the registry',
      ],
    );
    // Joined by `=`, quoted or not, as written.
    expect(readPrometheusArgs('ARGS="--web.listen-address=\'0.0.0.0:29090\'"\n', expect9090)[0]!.message).toMatch(
      /^--web\.listen-address=0\.0\.0\.0:29090, but/,
    );
  });

  it('only the last ARGS= line takes effect', () => {
    expect(readPrometheusArgs('ARGS="--web.listen-address=127.0.0.1:9091"\nARGS="--web.listen-address=127.0.0.1:9090"\n', expect9090)).toEqual([]);
    expect(readPrometheusArgs('ARGS="--web.listen-address=127.0.0.1:9090"\nARGS="--web.listen-address=127.0.0.1:9091"\n', expect9090)).toEqual([
      {
        line: 2,
        column: 28,
        severity: 'error',
        message: '--web.listen-address=127.0.0.1:9091, but the registry says Prometheus uses port 9090; write --web.listen-address=HOST:9090',
      },
    ]);
    expect(readPrometheusArgs('ARGS="--web.listen-address=127.0.0.1:9091"\nARGS=""\n', { name: 'Prometheus', port: 9091 })).toEqual([
      {
        line: 0,
        severity: 'error',
        message: 'sets no --web.listen-address, so Prometheus listens on its default 9090, not 9091; write --web.listen-address=HOST:9091',
      },
    ]);
  });

  it('a listen address Prometheus cannot listen on (it exits at start) is a warning naming the line, the value escaped, and what to write', () => {
    const SNIPPET = { ...expect9090, snippet: 'ports snippet prometheus-args' };
    const warning = (value: string, why: string) => ({
      line: 1,
      column: 28,
      severity: 'warning',
      message: `--web.listen-address=${value}: ${why}, so Prometheus cannot listen there and exits at start; write the ARGS line \`ports snippet prometheus-args\` prints`,
    });
    for (const [value, shown, why] of [
      ['\x1b[31m0.0.0.0:9090', '\\e[31m0.0.0.0:9090', 'its host "\\e[31m0.0.0.0" is no address or host name'],
      ['0.0.0.0:9090\x1b[0m', '0.0.0.0:9090\\e[0m', '"9090\\e[0m" is not a port (1 to 65535)'],
      ['0.0.0.0:9090x', '0.0.0.0:9090x', '"9090x" is not a port (1 to 65535)'],
      ['0.0.0.0:+9090', '0.0.0.0:+9090', '"+9090" is not a port (1 to 65535)'],
      ['127.0.0.1:90900', '127.0.0.1:90900', '"90900" is not a port (1 to 65535)'],
      ['9090', '9090', 'no port (host:port, or :port)'],
      ['::1:9090', '::1:9090', 'too many colons (write an IPv6 address in brackets, [::1]:port)'],
      ['[::1]9090', '[::1]9090', 'an IPv6 address in brackets must be followed by :port'],
    ] as const) {
      const text = `ARGS="--web.listen-address=${value}"\n`;
      expect(readPrometheusArgs(text, SNIPPET), shown).toEqual([warning(shown, why)]);
      expect(JSON.stringify(readPrometheusArgs(text, SNIPPET))).not.toContain('\x1b');
    }
    // Without the command (the function called alone), the flag to write.
    expect(readPrometheusArgs('ARGS="--web.listen-address=:9090x"\n', expect9090)[0]!.message).toMatch(/; write --web\.listen-address=HOST:9090$/);
    // What Prometheus listens on is read as before: any host, IPv6 in brackets, a name.
    for (const value of [':9090', '0.0.0.0:9090', '[::1]:9090', '[fe80::1%eth0]:9090', 'localhost:9090', 'prom_1.example:9090']) {
      expect(readPrometheusArgs(`ARGS="--web.listen-address=${value}"\n`, SNIPPET), value).toEqual([]);
    }
  });

  it('reads an ARGS value continued with a backslash', () => {
    expect(readPrometheusArgs('ARGS="--storage.tsdb.retention.time=15d \\\n  --web.listen-address=:9091"\n', expect9090)).toEqual([
      {
        line: 1,
        severity: 'error',
        message: '--web.listen-address=:9091, but the registry says Prometheus uses port 9090; write --web.listen-address=HOST:9090',
      },
    ]);
  });
});

describe('Grafana datasources: every url read', () => {
  const expect9090 = { upstream: { name: 'Prometheus', port: 9090 }, snippet: 'ports snippet grafana-datasource' };
  const wrong = (line: number, column: number, url: string) => ({
    line,
    column,
    severity: 'error',
    message: `url ${url}, but Prometheus uses port 9090; set its port to 9090 (ports snippet grafana-datasource prints what passes)`,
  });

  it('a quoted key ("url":) beside a right datasource', () => {
    const file =
      'apiVersion: 1\ndatasources:\n  - name: A\n    type: prometheus\n    url: http://localhost:9090\n  - name: B\n    "type": prometheus\n    "url": http://localhost:9091\n';
    expect(readGrafanaDatasource(file, expect9090)).toEqual([wrong(8, 12, 'http://localhost:9091')]);
  });

  it('a datasource written as a flow mapping, and one of another type that way', () => {
    const file = [
      'apiVersion: 1',
      'datasources:',
      '  - {name: A, type: prometheus, url: "http://localhost:9091"}',
      '  - {name: L, type: loki, url: "http://localhost:3100"}',
      '  - name: B',
      '    type: prometheus',
      '    url: http://localhost:9090',
    ].join('\n');
    expect(readGrafanaDatasource(file, expect9090)).toEqual([wrong(3, 39, 'http://localhost:9091')]);
  });

  it('a flow mapping read as YAML reads it: a `,`, `}`, key or `#` inside quotes splits, ends or starts nothing', () => {
    const file = [
      'datasources:',
      // The type: and url: inside the quoted names are text: this is a Prometheus datasource on 9091 (both read as a Loki on 3100, or as 9090, before).
      '  - {name: "x, type: loki", type: prometheus, url: "http://localhost:9091"}',
      "  - {name: 'y, url: http://localhost:9090', 'type': prometheus, \"url\": 'http://localhost:9092/it''s,}'}",
      '  - {name: "#1", type: prometheus, url: "http://localhost:9093/a\\"b,c"} # a comment',
      '  - {name: "z}", type: "loki", url: http://localhost:3100}',
      '  - {name: "w", type: prometheus, url: "http://localhost:9090"}',
    ].join('\n');
    expect(readGrafanaDatasource(file, expect9090)).toEqual([
      wrong(2, 53, 'http://localhost:9091'),
      wrong(3, 73, "http://localhost:9092/it's,}"),
      wrong(4, 42, 'http://localhost:9093/a"b,c'),
    ]);
    // A `}` inside quotes does not close the mapping: it goes on past the line, which is not read (said, never ok).
    expect(readGrafanaDatasource('datasources:\n  - {type: prometheus, name: "a}\n    b", url: http://localhost:9091}\n', expect9090)).toEqual([
      expect.objectContaining({ line: 2, severity: 'unknown' }),
    ]);
  });

  it('0.0.0.0, 127.x, localhost. and an upper-case scheme are this host', () => {
    const urls = ['http://0.0.0.0:9091', 'HTTP://127.0.0.1:9092', 'http://127.1.2.3:9093', 'http://localhost.:9094', 'http://[::]:9095', 'http://[::1]:9090'];
    const file = `datasources:\n${urls.map((url) => `  - type: prometheus\n    url: ${url}\n`).join('')}`;
    expect(readGrafanaDatasource(file, expect9090)).toEqual(urls.slice(0, 5).map((url, index) => wrong(3 + 2 * index, 10, url)));
  });

  it('a url it cannot read (an environment variable) is unknown, never ok', () => {
    expect(readGrafanaDatasource('datasources:\n  - type: prometheus\n    url: $PROMETHEUS_URL\n', expect9090)).toEqual([
      {
        line: 3,
        severity: 'unknown',
        message: 'url $PROMETHEUS_URL is not an http(s) URL this check reads: whether it is Prometheus on port 9090 is not known',
      },
    ]);
  });
});
