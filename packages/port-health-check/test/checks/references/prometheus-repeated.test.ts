// A key written twice in one mapping of prometheus.yml: Prometheus reads the
// file with yaml.v2's UnmarshalStrict, which refuses it whole (each case's
// error checked against `promtool check config`, run here when installed), so
// the repeat is the one error and nothing is advised from the file's values.
import { describe, expect, it } from 'vitest';
import { promtoolSays } from './promtool.js';
import { prometheusProblems } from './prometheus-problems.js';

const FILE = '/etc/prometheus/prometheus.yml';

const refused = (at: string, key: string, first: number | string, promtoolWords = `field ${key} already set`) =>
  `error: prometheus (9090): ${FILE}:${at}: Prometheus refuses this file: ${key} is already set at line ${first} (promtool check config: ${promtoolWords}); remove one of them`;

/** A repeat's `first` words for a key a merge key gives again: set first at `first`, again by the `<<` at `merge` (line:column). */
const againBy = (first: number | string, merge: string) => `${first}, and the merge key (<<) at line ${merge} sets it again from here`;

/** prometheus.yml with the one dsa110-api job, its static_configs entry followed by `more` (lines from its key column on). */
const apiJob = (more = '') => `scrape_configs:\n  - job_name: dsa110-api\n    static_configs:\n      - targets: ['localhost:8000']\n${more}`;

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

describe('a key repeated in a flow mapping, or given again by a merge key in a Go map (each was nothing)', () => {
  const inMap = 'key "a" already set in map';

  it('a label twice in a flow mapping, and targets twice in a static_configs entry written as one: at the second key (a key in two of them is none)', async () => {
    const labels = apiJob('        labels: {a: 1, a: 2}\n');
    expect(promtoolSays(labels) ?? `line 5: ${inMap}`).toMatch(`line 5: ${inMap}`);
    expect(await prometheusProblems(labels)).toEqual([refused('5:24', 'a', 5, inMap)]);
    const targets = "scrape_configs:\n  - job_name: dsa110-api\n    static_configs: [{targets: ['localhost:8000'], targets: ['localhost:8001']}]\n";
    expect(promtoolSays(targets) ?? 'line 3: field targets already set').toMatch('line 3: field targets already set');
    // Not "targets localhost:8001, but FastAPI uses port 8000": Prometheus does not load the file.
    expect(await prometheusProblems(targets)).toEqual([refused('3:52', 'targets', 3)]);
    // Not a repeat: a key in two flow mappings, a key inside a quoted value, a merge into a job (a struct), a merge of other labels.
    for (const yml of [
      apiJob("        labels: {a: '1', b: '2'}\n      - targets: ['localhost:8000']\n        labels: {a: '1'}\n"),
      apiJob("        labels: {a: '1, a: 2', b: \"x}, b: y\"}\n    relabel_configs: [{source_labels: [a], regex: '{a: 1, a: 1}', target_label: b}]\n"),
      apiJob('    <<: [{scrape_interval: 5s}, {scrape_interval: 6s}]\n    scrape_interval: 7s\n'),
      apiJob("        labels: &l\n          a: '1'\n      - targets: ['localhost:8000']\n        labels: {b: '2', <<: *l}\n"),
      apiJob('    relabel_configs:\n      - regex: x{1,2}\n        source_labels: [a, a]\n        target_label: b\n'),
    ]) {
      expect(promtoolSays(yml) ?? 'SUCCESS', yml).toMatch('SUCCESS');
      expect(await prometheusProblems(yml), yml).toEqual([]);
    }
  });

  it('a key twice in a job written as a flow mapping: the repeat alone (job_name twice was "has no targets")', async () => {
    const twice = "scrape_configs:\n  - {job_name: dsa110-api, job_name: x, static_configs: [{targets: ['localhost:8000']}]}\n";
    expect(promtoolSays(twice) ?? 'line 2: field job_name already set').toMatch('line 2: field job_name already set');
    expect(await prometheusProblems(twice)).toEqual([refused('2:28', 'job_name', 2)]);
    const sc = "scrape_configs:\n  - {job_name: dsa110-api, static_configs: [{targets: ['localhost:8000']}], static_configs: []}\n";
    expect(promtoolSays(sc) ?? 'line 2: field static_configs already set').toMatch('line 2: field static_configs already set');
    expect(await prometheusProblems(sc)).toEqual([refused('2:77', 'static_configs', 2)]);
  });

  it('a flow mapping that spans lines: the repeat at its own line and column, quoted keys read as YAML reads them', async () => {
    const spans = apiJob("        labels: {  # the site\n          a: '1',\n          b: '2',  \"a\": '3'}\n");
    expect(promtoolSays(spans) ?? `line 7: ${inMap}`).toMatch(`line 7: ${inMap}`);
    expect(await prometheusProblems(spans)).toEqual([refused('7:20', 'a', 6, inMap)]);
    // On the line after its key: still that key's value (a label map).
    const below = apiJob("        labels:\n          {a: '1', a: '2'}\n");
    expect(promtoolSays(below) ?? `line 6: ${inMap}`).toMatch(`line 6: ${inMap}`);
    expect(await prometheusProblems(below)).toEqual([refused('6:20', 'a', 6, inMap)]);
  });

  it('a label a merge key (<<) also gives, in either order, and one two merges give: a Go map takes each as set there', async () => {
    const after = apiJob("        labels:\n          <<: {a: '1'}\n          a: '2'\n");
    expect(promtoolSays(after) ?? `line 7: ${inMap}`).toMatch(`line 7: ${inMap}`);
    expect(await prometheusProblems(after)).toEqual([refused('7:11', 'a', '6 (by its merge key, <<)', inMap)]);
    const alias = apiJob("        labels: &l\n          a: '1'\n      - targets: ['localhost:8000']\n        labels: {a: '2', <<: *l}\n");
    expect(promtoolSays(alias) ?? `line 6: ${inMap}`).toMatch(`line 6: ${inMap}`);
    // Placed where promtool names it, the anchored key, and the `<<` that sets it again said (was at the `<<`, 8:26).
    expect(await prometheusProblems(alias)).toEqual([refused('6:11', 'a', againBy(8, '8:26'), inMap)]);
    // yaml.v2 merges a list of merges last first: the repeat is the first mapping's key (was at the `<<`, 6:11).
    const two = apiJob("        labels:\n          <<: [{a: '1'}, {a: '2'}]\n");
    expect(promtoolSays(two) ?? `line 6: ${inMap}`).toMatch(`line 6: ${inMap}`);
    expect(await prometheusProblems(two)).toEqual([refused('6:17', 'a', againBy('6 (by its merge key, <<)', '6:11'), inMap)]);
  });

  it('a label a merge gives again from an anchor lines away: at the merged key, as promtool names it, with the `<<` said (was at the `<<`)', async () => {
    // After the mapping's own key, from an anchor in the entry before.
    const after = apiJob("        labels: &l\n          a: '1'\n      - targets: ['localhost:8000']\n        labels:\n          a: '2'\n          <<: *l\n");
    expect(promtoolSays(after) ?? `line 6: ${inMap}`).toMatch(`line 6: ${inMap}`);
    expect(await prometheusProblems(after)).toEqual([refused('6:11', 'a', againBy(9, '10:11'), inMap)]);
    // Two aliases merged, `<<: [*x, *y]`: yaml.v2 merges *y first, so *x's key is the repeat (was at the `<<`, 12:11).
    const both = apiJob(
      "        labels: &x\n          a: '1'\n      - targets: ['localhost:8000']\n        labels: &y\n          a: '2'\n      - targets: ['localhost:8000']\n        labels:\n          <<: [*x, *y]\n",
    );
    expect(promtoolSays(both) ?? `line 6: ${inMap}`).toMatch(`line 6: ${inMap}`);
    expect(await prometheusProblems(both)).toEqual([refused('6:11', 'a', againBy('12 (by its merge key, <<)', '12:11'), inMap)]);
    // The anchor in another job: the job with the `<<` is the one in a refused file (its wrong port not advised on).
    const other =
      "scrape_configs:\n  - job_name: other\n    static_configs:\n      - targets: ['localhost:9999']\n        labels: &l\n          a: '1'\n" +
      "  - job_name: dsa110-api\n    static_configs:\n      - targets: ['localhost:8001']\n        labels: {a: '2', <<: *l}\n";
    expect(promtoolSays(other) ?? `line 6: ${inMap}`).toMatch(`line 6: ${inMap}`);
    expect(await prometheusProblems(other)).toEqual([refused('6:11', 'a', againBy(10, '10:26'), inMap)]);
  });

  it('a merge whose value is a block mapping under its `<<` (was not followed: nothing said)', async () => {
    const block = apiJob("        labels:\n          a: '2'\n          <<:\n            a: '1'\n");
    expect(promtoolSays(block) ?? `line 8: ${inMap}`).toMatch(`line 8: ${inMap}`);
    expect(await prometheusProblems(block)).toEqual([refused('8:13', 'a', againBy(6, '7:11'), inMap)]);
    // Anchored there (`<<: &m`) and merged again by an alias.
    const anchored = apiJob(
      "        labels:\n          <<: &m\n            a: '1'\n          b: '1'\n      - targets: ['localhost:8000']\n        labels:\n          a: '2'\n          <<: *m\n",
    );
    expect(promtoolSays(anchored) ?? `line 7: ${inMap}`).toMatch(`line 7: ${inMap}`);
    expect(await prometheusProblems(anchored)).toEqual([refused('7:13', 'a', againBy(11, '12:11'), inMap)]);
    // A block list of aliases under `<<:`: merged last first, as `<<: [*x, *y]` is (was not followed).
    const listed = apiJob(
      "        labels: &x {a: '1'}\n      - targets: ['localhost:8000']\n        labels: &y {a: '2'}\n      - targets: ['localhost:8000']\n        labels:\n          <<:\n            - *x\n            - *y\n",
    );
    expect(promtoolSays(listed) ?? `line 5: ${inMap}`).toMatch(`line 5: ${inMap}`);
    expect(await prometheusProblems(listed)).toEqual([refused('5:21', 'a', againBy('10 (by its merge key, <<)', '10:11'), inMap)]);
    // Not a repeat: a block mapping merged into labels with other keys, a block list of aliases of other keys, or a block mapping merged into a job (a struct).
    for (const yml of [
      apiJob("        labels:\n          a: '2'\n          <<:\n            b: '1'\n"),
      apiJob(
        "        labels: &x {a: '1'}\n      - targets: ['localhost:8000']\n        labels:\n          b: '2'\n          <<:\n          - *x\n          c: '3'\n",
      ),
      "scrape_configs:\n  - job_name: dsa110-api\n    scrape_interval: 5s\n    <<:\n      scrape_interval: 6s\n      static_configs:\n        - targets: ['localhost:8000']\n",
    ]) {
      expect(promtoolSays(yml) ?? 'SUCCESS', yml).toMatch('SUCCESS');
      expect(await prometheusProblems(yml), yml).toEqual([]);
    }
  });

  it('scrape_configs twice, once written with an escape or after a byte-order mark: the repeat, no job judged', async () => {
    const escaped = `${apiJob()}"scrape_\\x63onfigs": []\n`;
    expect(promtoolSays(escaped) ?? 'line 5: field scrape_configs already set').toMatch('line 5: field scrape_configs already set');
    expect(await prometheusProblems(escaped)).toEqual([refused('5:1', 'scrape_configs', 1)]);
    const bom = `\ufeff${apiJob()}scrape_configs: []\n`;
    expect(promtoolSays(bom) ?? 'line 5: field scrape_configs already set').toMatch('line 5: field scrape_configs already set');
    expect(await prometheusProblems(bom)).toEqual([refused('5:1', 'scrape_configs', 1)]);
  });

  it('with CRLF line ends, and in a file that is one flow mapping', async () => {
    const crlf = apiJob('        labels: {a: 1, a: 2}\n').replaceAll('\n', '\r\n');
    expect(promtoolSays(crlf) ?? `line 5: ${inMap}`).toMatch(`line 5: ${inMap}`);
    expect(await prometheusProblems(crlf)).toEqual([refused('5:24', 'a', 5, inMap)]);
    const flow = "{scrape_configs: [{job_name: dsa110-api, static_configs: [{targets: ['localhost:8000']}]}], scrape_configs: []}\n";
    expect(promtoolSays(flow) ?? 'line 1: field scrape_configs already set').toMatch('line 1: field scrape_configs already set');
    expect(await prometheusProblems(flow)).toEqual([refused('1:93', 'scrape_configs', 1)]);
  });

  it('a key repeated thousands of times: the first 10 said, then one finding that counts the rest (was one each: 174,651 lines for a MiB)', async () => {
    const yml = apiJob(`        labels: {a: 1${', a: 1'.repeat(5000)}}\n`);
    const problems = await prometheusProblems(yml);
    expect(problems).toHaveLength(11);
    expect(problems[9]).toBe(refused('5:78', 'a', 5, inMap));
    expect(problems[10]).toBe(
      `error: prometheus (9090): ${FILE}:5: 4990 more repeated keys are in this file from this line on (only the first 10 are said one by one); remove every repeat, as Prometheus refuses the file for any one`,
    );
    // Eleven are all said: a count of one more would be no shorter.
    expect(await prometheusProblems(apiJob(`        labels: {a: 1${', a: 1'.repeat(11)}}\n`))).toHaveLength(11);
  });

  it('thousands of top-level keys Prometheus does not know: the first 10 said, then one that counts the rest', async () => {
    const yml = `${apiJob()}${Array.from({ length: 3000 }, (_, index) => `x${index}: 1\n`).join('')}`;
    const problems = await prometheusProblems(yml);
    expect(problems).toHaveLength(11);
    expect(problems[10]).toBe(
      `error: prometheus (9090): ${FILE}:15: 2990 more top-level keys Prometheus does not know are in this file from this line on (only the first 10 are said one by one), so it refuses the whole configuration; remove them all`,
    );
  });
});

describe('a label name Prometheus refuses (promtool names no line; each was nothing)', () => {
  const badLabel = (at: string, name: string, merged = '') =>
    `error: prometheus (9090): ${FILE}:${at}: Prometheus refuses this file: the label "${name}"${merged} is not a valid label name (promtool check config: "${name}" is not a valid label name); name it with letters, digits and _ only, not starting with a digit`;

  it('in a static_configs entry labels, or external_labels: at the label, and no job judged', async () => {
    const direct = apiJob('        labels:\n          "bad-name": \'1\'\n');
    expect(promtoolSays(direct) ?? '"bad-name" is not a valid label name').toMatch('"bad-name" is not a valid label name');
    expect(await prometheusProblems(direct)).toEqual([badLabel('6:11', 'bad-name')]);
    const external = `global:\n  external_labels:\n    1x: y\n${apiJob().replace('8000', '8001')}`;
    expect(promtoolSays(external) ?? '"1x" is not a valid label name').toMatch('"1x" is not a valid label name');
    expect(await prometheusProblems(external)).toEqual([badLabel('3:5', '1x')]);
    // Quoted as Go's %q quotes it: `"` and `\` escaped (the key is a"b\\c; promtool 2.42 says "a\"b\\\\c").
    const quoted = apiJob("        labels:\n          'a\"b\\\\c': '1'\n");
    expect(promtoolSays(quoted) ?? '"a\\"b\\\\\\\\c" is not a valid label name').toMatch('"a\\"b\\\\\\\\c" is not a valid label name');
    expect(await prometheusProblems(quoted)).toEqual([badLabel('6:11', 'a\\"b\\\\\\\\c')]);
    // Control and other non-printable characters as Go writes them (`\a`, `\x1b`, `\u202e`, `\U000e0001`), not `\e`.
    const controls = apiJob('        labels:\n          "a\\x1bb\\x07\\u202e\\U000e0001\\t\\x7f": \'1\'\n');
    const goSays = String.raw`"a\x1bb\a\u202e\U000e0001\t\x7f" is not a valid label name`;
    expect(promtoolSays(controls) ?? goSays).toContain(goSays);
    expect(await prometheusProblems(controls)).toEqual([badLabel('6:11', String.raw`a\x1bb\a\u202e\U000e0001\t\x7f`)]);
  });

  it('given by a merge key: at the `<<` that sets it, saying where it is written (block or flow)', async () => {
    const block = apiJob('        labels:\n          ok: x\n          <<:\n            bad-name: y\n');
    expect(promtoolSays(block) ?? '"bad-name" is not a valid label name').toMatch('"bad-name" is not a valid label name');
    expect(await prometheusProblems(block)).toEqual([badLabel('7:11', 'bad-name', ', which this merge key (<<) gives from line 8:13,')]);
    const flow = apiJob('        labels: {ok: x, <<: {"a b": y}}\n');
    expect(promtoolSays(flow) ?? '"a b" is not a valid label name').toMatch('"a b" is not a valid label name');
    expect(await prometheusProblems(flow)).toEqual([badLabel('5:25', 'a b', ', which this merge key (<<) gives from line 5:30,')]);
    // Not refused: names of letters, digits and _, a key of another map (params), a label value with any characters.
    const fine = apiJob("        labels: {ok_1: 'a-b.c', _x: '1'}\n    params:\n      'bad-name': ['1']\n");
    expect(promtoolSays(fine) ?? 'SUCCESS').toMatch('SUCCESS');
    expect(await prometheusProblems(fine)).toEqual([]);
  });
});
