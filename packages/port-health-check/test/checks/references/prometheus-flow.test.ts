// prometheus.yml written in YAML's flow style, whole or in part: `{scrape_configs: [{job_name: x, ...}]}`, a
// section's value as a flow list (`scrape_configs: [{...}]`), flow mappings that span lines, with quoted keys and
// comments. Prometheus (yaml.v2) reads them as it reads block style; the check read a file of one flow mapping as a
// top-level key `{scrape_configs` and found no job. Each file is held to `promtool check config` (Debian's 2.42.0+ds)
// when it is installed, and a generated mix of block and flow style is held to it too.
import { describe, expect, it } from 'vitest';
import { readPrometheusYml } from '../../../src/checks/references/prometheus.js';
import { promtool, promtoolSays } from './promtool.js';

const API = [{ job: 'dsa110-api', name: 'FastAPI', port: 8000, snippet: 'ports snippet prometheus-yml' }];
const DEBIAN = { version: { version: '2.42.0+ds-5+deb12u1', from: 'dpkg' }, unit: 'prometheus.service' };
const FILE = '/etc/prometheus/prometheus.yml';

/** The check's findings for `yml` as `line:col severity: message`, read for Debian's 2.42. */
function said(yml: string): string[] {
  return readPrometheusYml(yml, API, undefined, FILE, DEBIAN).map(
    (finding) => `${finding.line}${finding.column !== undefined ? `:${finding.column}` : ''} ${finding.severity}: ${finding.message}`,
  );
}

/** Expects the findings to start with `starts`, one each, in order (a mismatch shows the findings in full). */
function expectSaid(yml: string, starts: readonly string[]): void {
  const found = said(yml);
  expect(found.map((each, index) => (starts[index] !== undefined && each.startsWith(starts[index]) ? starts[index] : each))).toEqual(starts);
}

/** promtool's verdict: 'ok', or its last line (undefined without promtool). */
function promtoolVerdict(yml: string): string | undefined {
  const says = promtoolSays(yml);
  if (says === undefined) return undefined;
  return says.includes('SUCCESS') ? 'ok' : says.trim().split('\n').at(-1)!.trim();
}

const wrongPort = (at: string) => `${at} error: scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set it`;

describe('a prometheus.yml written in flow style', () => {
  it('a file of one flow mapping is read as its keys (was: top-level key `{scrape_configs`, and no job)', () => {
    const good = "{scrape_configs: [{job_name: dsa110-api, static_configs: [{targets: ['localhost:8000']}]}]}\n";
    expect(promtoolVerdict(good) ?? 'ok').toBe('ok');
    expectSaid(good, []);
    const bad = good.replace('8000', '8001');
    expect(promtoolVerdict(bad) ?? 'ok').toBe('ok');
    expectSaid(bad, [wrongPort('1:71')]);
  });

  it('on the line of its `---`, or after an anchor or a tag', () => {
    for (const [before, column] of [
      ['--- ', 75],
      ['--- !!map ', 81],
    ] as const) {
      const yml = `${before}{scrape_configs: [{job_name: dsa110-api, static_configs: [{targets: ['localhost:8001']}]}]}\n`;
      expect(promtoolVerdict(yml) ?? 'ok').toBe('ok');
      expectSaid(yml, [wrongPort(`1:${column}`)]);
    }
  });

  it('spanning lines, with quoted keys and comments: each key and target at its own line and column', () => {
    const yml = [
      '# the whole file is one flow mapping',
      '{',
      '  "global": {scrape_interval: 15s},  # a comment',
      "  'scrape_configs': [",
      "    {job_name: 'dsa110-api',   # the API",
      "     static_configs: [{targets: ['localhost:8001']}]},",
      '    {job_name: node, static_configs: [{targets: [localhost:9100]}]}',
      '  ],',
      '  globl: {}',
      '}',
      '',
    ].join('\n');
    expect(promtoolVerdict(yml) ?? 'line 9: field globl not found in type config.plain').toBe('line 9: field globl not found in type config.plain');
    expectSaid(yml, ['9:3 error: globl: Prometheus knows no top-level key globl and refuses the whole configu', wrongPort('6:35')]);
  });

  it('a field no struct has, in a flow mapping that spans lines: at its line and column, as promtool says it', () => {
    const yml = "scrape_configs: [\n  {job_name: dsa110-api,\n   statc_configs: [{targets: ['localhost:8000']}]}]\n";
    expect(promtoolVerdict(yml) ?? 'line 3: field statc_configs not found in type config.ScrapeConfig').toBe(
      'line 3: field statc_configs not found in type config.ScrapeConfig',
    );
    expectSaid(yml, ['3:4 error: statc_configs: prometheus.service runs Prometheus 2.42.0+ds-5+deb12u1 (dpkg), whi']);
  });

  it('a key written twice in a flow mapping of one line refuses the file', () => {
    const yml = "{scrape_configs: [{job_name: dsa110-api, static_configs: [{targets: ['localhost:8000']}]}], scrape_configs: []}\n";
    expect(promtoolVerdict(yml) ?? 'line 1: field scrape_configs already set in type config.plain').toBe(
      'line 1: field scrape_configs already set in type config.plain',
    );
    expectSaid(yml, ['1:93 error: Prometheus refuses this file: scrape_configs is already set at line 1 (pr']);
  });

  it("targets under alerting: are an Alertmanager's, not a job's, in a flow document too", () => {
    const yml =
      "{alerting: {alertmanagers: [{static_configs: [{targets: ['localhost:9093']}]}]}, scrape_configs: [{job_name: dsa110-api, static_configs: [{targets: ['localhost:8000']}]}]}\n";
    expect(promtoolVerdict(yml) ?? 'ok').toBe('ok');
    expectSaid(yml, []);
  });

  it('a job whose quoted labels, over two lines, come before its job_name (was: no scrape job dsa110-api)', () => {
    const yml =
      'scrape_configs:\n  - {static_configs: [{targets: [localhost:8001], "labels": {\n    "a": "b"}}], metrics_path: /metrics, job_name: dsa110-api}\n';
    expect(promtoolVerdict(yml) ?? 'ok').toBe('ok');
    expectSaid(yml, [wrongPort('2:34')]);
  });

  it('a top-level key it does not read (`? key`, a tag, a merge key) is unknown, never a pass; a list document is refused', () => {
    const jobs = "scrape_configs: [{job_name: dsa110-api, static_configs: [{targets: ['localhost:8000']}]}]";
    for (const key of ['? globl ', '!!binary Z2xvYmw=', '<<: {globl: 1}']) {
      const yml = `{${key.startsWith('<<') ? key : `${key}: 1`}, ${jobs}}\n`;
      expect(promtoolVerdict(yml) ?? 'line 1: field globl not found in type config.plain').toBe('line 1: field globl not found in type config.plain');
      expectSaid(yml, ['1 unknown: a top-level key of this flow mapping is written so that this check does not read it']);
    }
    const list = `[{${jobs}}]\n`;
    expect(promtoolVerdict(list) ?? 'line 1: cannot unmarshal !!seq into config.plain').toMatch('cannot unmarshal !!seq into config.plain');
    expectSaid(list, ['1 error: Prometheus refuses this file: it is a YAML list, not a mapping of top-level keys']);
  });

  it('two jobs of one name on one line are defined twice, not one file read twice', () => {
    const yml = 'scrape_configs: [{job_name: dsa110-api, static_configs: []}, {job_name: dsa110-api, static_configs: []}]\n';
    expect(promtoolVerdict(yml) ?? 'found multiple').toMatch('found multiple scrape configs with job name "dsa110-api"');
    expectSaid(yml, [`1 error: scrape job dsa110-api is defined again (first at ${FILE}:1:19), so Prometheus`]);
  });

  it('a scrape config file of one flow mapping holds scrape_configs (was: it holds `{scrape_configs`)', () => {
    const more = "{scrape_configs: [{job_name: dsa110-api, static_configs: [{targets: ['localhost:8001']}]}]}\n";
    const lookup = (pattern: string) => (pattern === '/etc/prometheus/more.yml' ? { files: [{ path: pattern, text: more }] } : undefined);
    const found = readPrometheusYml('scrape_config_files: [more.yml]\n', API, lookup, FILE, DEBIAN);
    expect(found.map((each) => `${each.file}:${each.line}:${each.column} ${each.message.slice(0, 44)}`)).toEqual([
      '/etc/prometheus/more.yml:1:71 scrape job dsa110-api targets localhost:8001',
    ]);
  });
});

/** A document: mappings (entries) and lists, of strings. */
type Node = string | readonly Node[] | { readonly pairs: readonly (readonly [string, Node])[] };

/** A small deterministic generator (a linear congruential one): the same files on every run. */
function generator(seed: number) {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const pick = <T>(choices: readonly T[]): T => choices[Math.floor(random() * choices.length)]!;
  const key = (name: string) => pick([name, name, `'${name}'`, `"${name}"`]);
  const scalar = (value: string) => pick([value, `'${value}'`, `"${value}"`]);
  const flow = (node: Node, indent: number): string => {
    if (typeof node === 'string') return scalar(node);
    // Between entries: a space, nothing, or a line break (after a comment, sometimes), indented under the block.
    const gap = () => (random() < 0.25 ? `${random() < 0.3 ? ' # c' : ''}\n${' '.repeat(indent + 2)}` : pick(['', ' ']));
    if ('pairs' in node) return `{${node.pairs.map(([name, value]) => `${gap()}${key(name)}: ${flow(value, indent)}`).join(',')}}`;
    return `[${(node as readonly Node[]).map((value) => `${gap()}${flow(value, indent)}`).join(',')}]`;
  };
  const block = (node: Node, indent: number): string[] => {
    if (typeof node === 'string' || random() < 0.3) return [flow(node, indent)];
    const pad = ' '.repeat(indent);
    if ('pairs' in node)
      return node.pairs.flatMap(([name, value]) => {
        const lines = typeof value === 'string' || random() < 0.35 ? undefined : block(value, indent + 2);
        if (lines === undefined || (lines.length === 1 && !lines[0]!.startsWith(' ')))
          return [`${pad}${key(name)}: ${lines?.[0] ?? flow(value, indent)}${random() < 0.15 ? ' # note' : ''}`];
        return [`${pad}${key(name)}:`, ...lines];
      });
    return (node as readonly Node[]).flatMap((value) => {
      if (typeof value !== 'string' && 'pairs' in value && random() < 0.7) {
        const lines = block(value, indent + 2);
        if (lines.length > 1 || lines[0]!.startsWith(' ')) return [`${pad}- ${lines[0]!.trimStart()}`, ...lines.slice(1)];
      }
      return [`${pad}- ${flow(value, indent)}`];
    });
  };
  return { random, flow, block };
}

const map = (...entries: (readonly [string, Node])[]): Node => ({ pairs: entries });

describe('generated mixes of block and flow style, held to promtool', () => {
  it.skipIf(!promtool)('a target on the wrong port is found at its line and column; one on the right port passes; a typo is refused', () => {
    const { random, flow, block } = generator(20261207);
    const disagree: string[] = [];
    for (let index = 0; index < 40; index++) {
      const kind = (['right', 'wrong', 'typo', 'top'] as const)[index % 4]!;
      const api = map(
        ['job_name', 'dsa110-api'],
        ['metrics_path', '/metrics'],
        [
          kind === 'typo' ? 'statc_configs' : 'static_configs',
          [map(['targets', [`localhost:${kind === 'wrong' ? 8001 : 8000}`]], ['labels', map(['a', 'b'])])],
        ],
      );
      const node = map(['job_name', 'node'], ['static_configs', [map(['targets', ['localhost:9100', 'localhost:9101']])]]);
      const document = map(
        ['global', map(['scrape_interval', '15s'])],
        ['scrape_configs', random() < 0.5 ? [node, api] : [api, node]],
        ...(kind === 'top' ? [['globl', map(['a', 'b'])] as const] : []),
      );
      const yml = `${random() < 0.4 ? flow(document, 0) : block(document, 0).join('\n')}\n`;
      const verdict = promtoolVerdict(yml)!;
      const found = readPrometheusYml(yml, API, undefined, FILE, DEBIAN);
      const errors = found.filter((finding) => finding.severity === 'error');
      let wrong: string | undefined;
      if (verdict !== 'ok' && errors.length === 0) wrong = `promtool refuses it (${verdict}), the check passes it`;
      else if (verdict === 'ok' && kind === 'right' && found.length > 0) wrong = `promtool takes it, the check says ${found[0]!.message}`;
      else if (kind === 'wrong') {
        const lines = yml.split('\n');
        const line = lines.findIndex((each) => each.includes('localhost:8001'));
        const at = `${line + 1}:${lines[line]!.indexOf('localhost:8001') + 1}`;
        const error = errors.find((each) => each.message.includes('localhost:8001'));
        if (error === undefined || `${error.line}:${error.column}` !== at) wrong = `the wrong port is not said at ${at}: ${JSON.stringify(found)}`;
      }
      if (wrong !== undefined) disagree.push(`${wrong}\n${yml}`);
    }
    expect(disagree).toEqual([]);
  });
});
